//! Change impact: what a change of the generated files does to what runs, per
//! environment. Which containers Compose recreates or removes, which host units
//! the deploy restarts or reloads, and which cloud resources ROS and Terraform
//! replace or update in place. Pure: it reads the committed and the new text of
//! each changed file, and the table of what each consumer does ([`table`]).
//!
//! The committed files come from a pull request: they are parsed within bounds,
//! never trusted, and a file that cannot be read the way futurestack writes it
//! is reported as not analysed instead of guessed at.

mod cloud;
mod compose;
mod ros;
pub mod table;

use std::collections::BTreeMap;

use serde::Serialize;

/// One changed file of an environment: its path below the environment's folder,
/// and its committed and new text (`None`: absent).
#[derive(Debug, Clone, Copy)]
pub struct FileChange<'a> {
    pub rel: &'a str,
    pub old: Option<&'a str>,
    pub new: Option<&'a str>,
}

/// What happens to one thing that runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Action {
    /// Compose or the cloud creates it.
    Created,
    /// Compose removes the container and starts a new one.
    Recreated,
    /// The deploy restarts it (a systemd unit).
    Restarted,
    /// It reads its definition again without stopping (systemd's
    /// `daemon-reload`: the next run of a timer uses the new files).
    Reloaded,
    /// The cloud deletes it and creates a new one.
    Replaced,
    /// The cloud changes it in place.
    Updated,
    /// Compose or the cloud removes it.
    Removed,
    /// Nothing deploys it any more: it runs until someone takes it down.
    Left,
}

impl Action {
    /// The verb in the report's lines (`compose recreates nginx`).
    pub fn verb(self) -> &'static str {
        match self {
            Action::Created => "creates",
            Action::Recreated => "recreates",
            Action::Restarted => "restarts",
            Action::Reloaded => "reloads",
            Action::Replaced => "replaces",
            Action::Updated => "updates in place",
            Action::Removed => "removes",
            Action::Left => "leaves running",
        }
    }
}

/// What happens to one service, unit or resource, and why.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize)]
pub struct Effect {
    /// Who acts: `compose`, `host`, `terraform` or `ros`.
    pub by: &'static str,
    /// The service, unit, volume, network or resource (`nginx`,
    /// `alicloud_log_store.app`, `LogstoreApp`).
    pub subject: String,
    pub action: Action,
    /// What changed that causes it (`image`, `mounted nginx/nginx.conf`).
    pub because: Vec<String>,
}

/// The impact of an environment's changes.
#[derive(Debug, Default, Clone, PartialEq, Eq, Serialize)]
pub struct Impact {
    /// Sorted by who acts, action and subject.
    pub effects: Vec<Effect>,
    /// Changed files whose committed text could not be read as futurestack
    /// writes it (hand-edited, or not ours): their impact is unknown.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub not_analysed: Vec<String>,
}

impl Impact {
    pub fn is_empty(&self) -> bool {
        self.effects.is_empty() && self.not_analysed.is_empty()
    }
}

/// Largest committed file analysed (the generated ones are far smaller).
const MAX_BYTES: usize = 4 << 20;

/// The impact of one environment's changed files; `current` holds every file
/// it generates now (a changed file can change what an unchanged one means:
/// `terraform/main.tf` reads `deploy.sh.tftpl`).
pub fn impact(changes: &[FileChange<'_>], current: &crate::render::Files) -> Impact {
    let mut out = Impact::default();
    let too_big = |c: &FileChange<'_>| {
        c.old.is_some_and(|t| t.len() > MAX_BYTES) || c.new.is_some_and(|t| t.len() > MAX_BYTES)
    };
    let (big, changes): (Vec<FileChange<'_>>, Vec<FileChange<'_>>) =
        changes.iter().copied().partition(too_big);
    out.not_analysed
        .extend(big.iter().map(|c| c.rel.to_owned()));
    if changes
        .iter()
        .any(|c| c.rel == table::COMPOSE_FILE && c.new.is_none())
    {
        // The environment is gone: no deploy, apply or stack update runs for
        // it, so nothing is removed; what runs stays until taken down.
        for (by, prefix, subject, reason) in table::ENVIRONMENT_REMOVED {
            if changes.iter().any(|c| c.rel.starts_with(prefix)) {
                out.effects.push(Effect {
                    by,
                    subject: (*subject).to_owned(),
                    action: Action::Left,
                    because: vec![(*reason).to_owned()],
                });
            }
        }
        return out;
    }
    compose::effects(&changes, &mut out);
    host_effects(&changes, &mut out);
    cloud::effects(&changes, current, &mut out);
    ros::effects(&changes, &mut out);
    out.effects.sort_by(|a, b| {
        (a.by, a.action, &a.subject, &a.because).cmp(&(b.by, b.action, &b.subject, &b.because))
    });
    // One effect per subject: the reasons of several changed files together.
    let mut merged: Vec<Effect> = Vec::with_capacity(out.effects.len());
    for effect in std::mem::take(&mut out.effects) {
        match merged.last_mut() {
            Some(last)
                if last.by == effect.by
                    && last.subject == effect.subject
                    && last.action == effect.action =>
            {
                for reason in effect.because {
                    if !last.because.contains(&reason) {
                        last.because.push(reason);
                    }
                }
            }
            _ => merged.push(effect),
        }
    }
    out.effects = merged;
    out.not_analysed.sort();
    out.not_analysed.dedup();
    out
}

/// Host files the deploy installs as systemd units (the table's rows).
fn host_effects(changes: &[FileChange<'_>], out: &mut Impact) {
    for change in changes {
        let Some(rule) = table::host_rule(change.rel) else {
            continue;
        };
        // Only the unit file itself makes the unit new or gone.
        let unit_file = change.rel.ends_with(".service") || change.rel.ends_with(".timer");
        let (action, because) = match (change.old, change.new) {
            (None, Some(_)) if unit_file => (Action::Created, "new".to_owned()),
            (Some(_), None) if unit_file => (Action::Removed, "no longer generated".to_owned()),
            (None, Some(_)) => (rule.action, format!("{} added{}", change.rel, rule.note)),
            (Some(_), None) => (rule.action, format!("{} removed{}", change.rel, rule.note)),
            _ => (rule.action, format!("{} changed{}", change.rel, rule.note)),
        };
        out.effects.push(Effect {
            by: "host",
            subject: rule.unit.to_owned(),
            action,
            because: vec![because],
        });
    }
}

/// A cloud target's resources by name (`alicloud_log_store.app`,
/// `LogstoreApp`): type and arguments.
type Resources = BTreeMap<String, (String, serde_json::Map<String, serde_json::Value>)>;

/// What happens to each resource, and why, by name.
type Results = BTreeMap<String, (Action, Vec<String>)>;

/// A resource both versions have, whose properties `because` changed:
/// replaced when one of them forces it, updated in place otherwise; nothing
/// when none changed.
fn verdict(replace: bool, because: Vec<String>) -> Option<(Action, Vec<String>)> {
    let action = if replace {
        Action::Replaced
    } else {
        Action::Updated
    };
    (!because.is_empty()).then_some((action, because))
}

/// The effects `by` (`terraform`, `ros`) has, from its results.
fn effects_of(by: &'static str, results: Results) -> impl Iterator<Item = Effect> {
    results
        .into_iter()
        .map(move |(subject, (action, because))| Effect {
            by,
            subject,
            action,
            because,
        })
}

/// A resource whose argument refers to a replaced one gets a value known only
/// after the apply: it is replaced when `tool` cannot update that argument in
/// place, updated otherwise. Runs until nothing changes (at most once per
/// resource).
fn propagate(
    tool: &str,
    new: &Resources,
    results: &mut Results,
    refers_to: impl Fn(&serde_json::Value, &str) -> bool,
) {
    for _ in 0..=new.len() {
        let replaced: Vec<String> = results
            .iter()
            .filter(|(_, (a, _))| *a == Action::Replaced)
            .map(|(k, _)| k.clone())
            .collect();
        let mut changed = false;
        for (name, (ty, args)) in new {
            if matches!(
                results.get(name).map(|(a, _)| *a),
                Some(Action::Created | Action::Replaced)
            ) {
                continue;
            }
            for (key, value) in args {
                let Some(target) = replaced.iter().find(|r| *r != name && refers_to(value, r))
                else {
                    continue;
                };
                let reason = format!("{key}: {target} is replaced");
                let slot = results
                    .entry(name.clone())
                    .or_insert((Action::Updated, Vec::new()));
                if !slot.1.contains(&reason) {
                    slot.1.push(reason);
                    changed = true;
                }
                if table::replaces(tool, ty, key).unwrap_or(true) && slot.0 != Action::Replaced {
                    slot.0 = Action::Replaced;
                    changed = true;
                }
            }
        }
        if !changed {
            break;
        }
    }
}

/// Parses generated YAML (a compose file, a ROS template) into JSON with the
/// spec loader's bounds; `None` when it is not YAML futurestack could read.
fn yaml_json(text: &str) -> Option<serde_json::Value> {
    let file: std::sync::Arc<str> = std::sync::Arc::from("impact");
    let node = crate::load::yaml::parse(&file, text).ok()?;
    Some(crate::load::to_json_value(&node))
}

/// The keys whose values differ between two JSON objects (a missing key
/// counts as a difference), sorted.
fn changed_keys<'a>(
    old: &'a serde_json::Map<String, serde_json::Value>,
    new: &'a serde_json::Map<String, serde_json::Value>,
) -> Vec<&'a str> {
    let mut keys: Vec<&str> = old
        .keys()
        .chain(new.keys())
        .map(String::as_str)
        .filter(|k| old.get(*k) != new.get(*k))
        .collect();
    keys.sort_unstable();
    keys.dedup();
    keys
}

/// The report's line for one actor's effects: `compose recreates nginx
/// (image), prometheus (mounted prometheus/prometheus.yml); removes old`.
pub fn line(by: &str, effects: &[&Effect]) -> String {
    let mut parts: Vec<String> = Vec::new();
    let mut i = 0;
    while i < effects.len() {
        let action = effects[i].action;
        let group: Vec<&Effect> = effects[i..]
            .iter()
            .copied()
            .take_while(|e| e.action == action)
            .collect();
        i += group.len();
        // One reason shared by the whole group is said once, after it.
        let shared = group.len() > 1
            && !group[0].because.is_empty()
            && group.iter().all(|e| e.because == group[0].because);
        let names: Vec<String> = group
            .iter()
            .map(|e| {
                if e.because.is_empty() || shared {
                    one_line(&e.subject)
                } else {
                    one_line(&format!("{} ({})", e.subject, e.because.join(", ")))
                }
            })
            .collect();
        let mut group = names.join(", ");
        if shared {
            group.push_str(&one_line(&format!(
                " ({})",
                effects[i - 1].because.join(", ")
            )));
        }
        parts.push(format!("{} {group}", action.verb()));
    }
    format!("{by} {}", parts.join("; "))
}

/// Names from a committed file (a pull request's) on one terminal line: no
/// control character, no line break.
fn one_line(text: &str) -> String {
    crate::error::printable(text).replace('\n', "\\u{a}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_hostile_name_stays_on_its_line() {
        let e = Effect {
            by: "compose",
            subject: "x\n::error::boom\x1b[2J".to_owned(),
            action: Action::Removed,
            because: Vec::new(),
        };
        let text = line("compose", &[&e]);
        assert!(!text.contains('\n') && !text.contains('\x1b'), "{text}");
    }

    #[test]
    fn a_line_groups_effects_by_action() {
        let e = |subject: &str, action, because: &[&str]| Effect {
            by: "compose",
            subject: subject.to_owned(),
            action,
            because: because.iter().map(|s| s.to_string()).collect(),
        };
        let a = e("nginx", Action::Recreated, &["image"]);
        let b = e("redis", Action::Recreated, &[]);
        let c = e("old", Action::Removed, &["no longer in the spec"]);
        assert_eq!(
            line("compose", &[&a, &b, &c]),
            "compose recreates nginx (image), redis; removes old (no longer in the spec)"
        );
        let d = e("older", Action::Removed, &["no longer in the spec"]);
        assert_eq!(
            line("compose", &[&c, &d]),
            "compose removes old, older (no longer in the spec)"
        );
    }

    #[test]
    fn an_oversized_file_is_not_analysed() {
        let big = "x".repeat(MAX_BYTES + 1);
        let impact = impact(
            &[FileChange {
                rel: "docker-compose.yml",
                old: Some(&big),
                new: Some("services: {}\n"),
            }],
            &crate::render::Files::new(),
        );
        assert_eq!(impact.not_analysed, ["docker-compose.yml"]);
        assert!(impact.effects.is_empty());
    }
}
