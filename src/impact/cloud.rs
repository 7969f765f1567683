//! What `terraform apply` does with the changed `terraform/*.tf`: which
//! resources it creates, replaces (a changed argument forces a new resource,
//! `data/replacement.tsv`), updates in place or destroys. A resource that
//! refers to a replaced one gets a new value for that argument, so it is
//! replaced or updated in turn.

use std::collections::BTreeSet;

use serde_json::Value;

use super::table::replaces;
use super::{Action, FileChange, Impact, Resources, Results, effects_of, propagate, verdict};
use crate::render::Files;

/// Meta-arguments that change no resource themselves.
const META: &[&str] = &["depends_on", "lifecycle"];

/// Deepest bracket nesting of a committed file that is parsed (a generated one
/// nests a few levels; the parser recurses).
pub(super) const MAX_DEPTH: usize = 64;

pub(super) fn effects(changes: &[FileChange<'_>], current: &Files, out: &mut Impact) {
    let is_tf = |rel: &str| rel.starts_with("terraform/") && rel.ends_with(".tf");
    // Other changed files of the target (`deploy.sh.tftpl`): an argument that
    // names one changes with it.
    let templates: Vec<&str> = changes
        .iter()
        .filter(|c| c.rel.starts_with("terraform/") && !c.rel.ends_with(".tf"))
        .filter_map(|c| c.rel.rsplit('/').next())
        .collect();
    let mut tf: Vec<FileChange<'_>> = changes.iter().copied().filter(|c| is_tf(c.rel)).collect();
    if tf.is_empty() && templates.is_empty() {
        return;
    }
    // A changed template reaches resources of unchanged `.tf` files too.
    tf.extend(
        current
            .iter()
            .filter(|(rel, _)| is_tf(rel) && !changes.iter().any(|c| c.rel == rel.as_str()))
            .map(|(rel, text)| FileChange {
                rel,
                old: Some(text),
                new: Some(text),
            }),
    );
    let (mut old, mut new) = (Resources::new(), Resources::new());
    for change in &tf {
        let (Some(o), Some(n)) = (read(change.old), read(change.new)) else {
            out.not_analysed.push(change.rel.to_owned());
            return;
        };
        old.extend(o);
        new.extend(n);
    }
    let mut results = Results::new();
    for address in old.keys().chain(new.keys()).collect::<BTreeSet<_>>() {
        match (old.get(address), new.get(address)) {
            (None, Some(_)) => {
                results.insert(address.clone(), (Action::Created, Vec::new()));
            }
            (Some(_), None) => {
                results.insert(address.clone(), (Action::Removed, Vec::new()));
            }
            (Some((old_ty, o)), Some((ty, n))) => {
                let mut because: Vec<String> = Vec::new();
                let mut replace = old_ty != ty;
                for key in o.keys().chain(n.keys()).collect::<BTreeSet<_>>() {
                    if META.contains(&key.as_str()) {
                        continue;
                    }
                    let differs = o.get(key) != n.get(key);
                    let via: Vec<&&str> = templates
                        .iter()
                        .filter(|t| n.get(key).is_some_and(|v| v.to_string().contains(**t)))
                        .collect();
                    if !differs && via.is_empty() {
                        continue;
                    }
                    replace |= replaces("terraform", ty, key).unwrap_or(true);
                    because.push(if differs {
                        key.clone()
                    } else {
                        format!("{key}: {} changed", via[0])
                    });
                }
                if let Some(verdict) = verdict(replace, because) {
                    results.insert(address.clone(), verdict);
                }
            }
            (None, None) => {}
        }
    }
    // `${alicloud_ecs_command.deploy.id}` refers to alicloud_ecs_command.deploy.
    propagate("terraform", &new, &mut results, |value, address| {
        value.to_string().contains(&format!("{address}."))
    });
    out.effects.extend(effects_of("terraform", results));
}

/// The resources of a `.tf` file (`None` text: none); `None` when it is not
/// HCL that can be read within bounds.
fn read(text: Option<&str>) -> Option<Resources> {
    let Some(text) = text else {
        return Some(Resources::new());
    };
    if depth(text) > MAX_DEPTH {
        return None;
    }
    let body: Value = hcl::from_str(text).ok()?;
    let mut out = Resources::new();
    if let Some(Value::Object(types)) = body.get("resource") {
        for (ty, names) in types {
            let Value::Object(names) = names else {
                return None;
            };
            for (name, args) in names {
                let Value::Object(args) = args else {
                    return None;
                };
                out.insert(format!("{ty}.{name}"), (ty.clone(), args.clone()));
            }
        }
    }
    Some(out)
}

/// The deepest nesting of brackets, counting those in strings too (which only
/// makes the bound stricter).
pub(super) fn depth(text: &str) -> usize {
    let (mut depth, mut max) = (0usize, 0usize);
    for b in text.bytes() {
        match b {
            b'{' | b'[' | b'(' => {
                depth += 1;
                max = max.max(depth);
            }
            b'}' | b']' | b')' => depth = depth.saturating_sub(1),
            _ => {}
        }
    }
    max
}

#[cfg(test)]
mod tests {
    use super::super::impact;
    use super::*;

    const OLD: &str = r#"resource "alicloud_log_store" "app" {
  project_name     = "p"
  logstore_name    = "app"
  retention_period = 30
}

resource "alicloud_ecs_command" "deploy" {
  name            = "deploy"
  command_content = base64encode(templatefile("${path.module}/deploy.sh.tftpl", {}))
}

resource "alicloud_ecs_invocation" "deploy" {
  command_id  = alicloud_ecs_command.deploy.id
  instance_id = ["i-1"]
}
"#;

    fn effects(changes: &[FileChange<'_>]) -> Vec<(String, Action, Vec<String>)> {
        impact(changes, &Files::new())
            .effects
            .into_iter()
            .map(|e| (e.subject, e.action, e.because))
            .collect()
    }

    #[test]
    fn an_updatable_argument_updates_in_place_and_a_forcing_one_replaces_with_its_dependents() {
        let new = OLD.replace("retention_period = 30", "retention_period = 90");
        let got = effects(&[
            FileChange {
                rel: "terraform/main.tf",
                old: Some(OLD),
                new: Some(&new),
            },
            FileChange {
                rel: "terraform/deploy.sh.tftpl",
                old: Some("a"),
                new: Some("b"),
            },
        ]);
        assert_eq!(
            got,
            [
                (
                    "alicloud_ecs_command.deploy".to_owned(),
                    Action::Replaced,
                    vec!["command_content: deploy.sh.tftpl changed".to_owned()]
                ),
                (
                    "alicloud_ecs_invocation.deploy".to_owned(),
                    Action::Replaced,
                    vec!["command_id: alicloud_ecs_command.deploy is replaced".to_owned()]
                ),
                (
                    "alicloud_log_store.app".to_owned(),
                    Action::Updated,
                    vec!["retention_period".to_owned()]
                ),
            ]
        );
    }

    #[test]
    fn a_renamed_logstore_is_replaced_and_a_new_resource_created() {
        let new = OLD.replace("logstore_name    = \"app\"", "logstore_name    = \"apps\"")
            + "\nresource \"alicloud_log_project\" \"logs\" {\n  project_name = \"p\"\n}\n";
        let got = effects(&[FileChange {
            rel: "terraform/main.tf",
            old: Some(OLD),
            new: Some(&new),
        }]);
        assert_eq!(got[0].1, Action::Created);
        assert_eq!(
            got[1],
            (
                "alicloud_log_store.app".to_owned(),
                Action::Replaced,
                vec!["logstore_name".to_owned()]
            )
        );
    }

    #[test]
    fn a_deeply_nested_or_broken_committed_file_is_not_analysed() {
        let deep = format!("x = {}{}\n", "[".repeat(10_000), "]".repeat(10_000));
        for old in [deep.as_str(), "resource \"a\" {"] {
            let got = impact(
                &[FileChange {
                    rel: "terraform/main.tf",
                    old: Some(old),
                    new: Some(OLD),
                }],
                &Files::new(),
            );
            assert_eq!(got.not_analysed, ["terraform/main.tf"]);
        }
    }
}
