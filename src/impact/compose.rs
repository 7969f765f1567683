//! What `docker compose up` does with a changed `docker-compose.yml`: which
//! containers it creates, recreates or removes, and which networks and volumes
//! it replaces ([`super::table::COMPOSE`] says why each change does what).

use std::collections::BTreeSet;

use serde_json::{Map, Value};

use super::table::{self, COMPOSE_FILE};
use super::{Action, Effect, FileChange, Impact, changed_keys, yaml_json};
use crate::targets::compose::MOUNTS_LABEL;

type Object = Map<String, Value>;

pub(super) fn effects(changes: &[FileChange<'_>], out: &mut Impact) {
    let Some(change) = changes.iter().find(|c| c.rel == COMPOSE_FILE) else {
        return;
    };
    let read = |text: Option<&str>| -> Result<Object, ()> {
        match text {
            None => Ok(Object::new()),
            Some(text) => match yaml_json(text) {
                Some(Value::Object(map)) => Ok(map),
                _ => Err(()),
            },
        }
    };
    let (Ok(old), Ok(new)) = (read(change.old), read(change.new)) else {
        out.not_analysed.push(change.rel.to_owned());
        return;
    };
    let section = |file: &Object, key: &str| -> Object {
        match file.get(key) {
            Some(Value::Object(map)) => map.clone(),
            _ => Object::new(),
        }
    };
    let changed_files: Vec<&str> = changes.iter().map(|c| c.rel).collect();
    if let (Some(Value::String(was)), Some(Value::String(now))) = (old.get("name"), new.get("name"))
        && was != now
    {
        // Containers, networks and volumes are named after the project.
        out.effects.push(effect(
            "every service".to_owned(),
            Action::Created,
            Some(format!(
                "{}: `{now}`, from `{was}`; stop the old one with `docker compose -p {was} down` (its volumes keep their data under the old name)",
                table::PROJECT_RENAMED
            )),
        ));
        return;
    }

    // Networks and volumes whose definition changed: Compose replaces them.
    let (old_nets, new_nets) = (section(&old, "networks"), section(&new, "networks"));
    let mut replaced_nets = BTreeSet::new();
    for key in changed_keys(&old_nets, &new_nets) {
        let (action, because) = match (old_nets.get(key), new_nets.get(key)) {
            (None, _) => (Action::Created, None),
            (_, None) => (Action::Removed, None),
            _ => {
                replaced_nets.insert(key.to_owned());
                (Action::Recreated, Some(table::NETWORK_CHANGED.to_owned()))
            }
        };
        out.effects
            .push(effect(format!("network {key}"), action, because));
    }
    let (old_vols, new_vols) = (section(&old, "volumes"), section(&new, "volumes"));
    for key in changed_keys(&old_vols, &new_vols) {
        match (old_vols.get(key), new_vols.get(key)) {
            (None, _) => out
                .effects
                .push(effect(format!("volume {key}"), Action::Created, None)),
            // Compose never removes a volume that left the file: its data stays.
            (_, None) => {}
            _ => out.effects.push(effect(
                format!("volume {key}"),
                Action::Recreated,
                Some(table::VOLUME_CHANGED.to_owned()),
            )),
        }
    }

    let (old_svcs, new_svcs) = (section(&old, "services"), section(&new, "services"));
    for key in changed_keys(&old_svcs, &new_svcs) {
        match (old_svcs.get(key), new_svcs.get(key)) {
            (None, _) => out
                .effects
                .push(effect(key.to_owned(), Action::Created, None)),
            (_, None) => out.effects.push(effect(
                key.to_owned(),
                Action::Removed,
                Some(table::SERVICE_REMOVED.to_owned()),
            )),
            (Some(Value::Object(o)), Some(Value::Object(n))) => {
                let mut because = definition_changes(o, n, &changed_files);
                because.extend(
                    networks_of(n)
                        .into_iter()
                        .filter(|net| replaced_nets.contains(net))
                        .map(|net| format!("network {net} is recreated")),
                );
                if !because.is_empty() {
                    out.effects.push(Effect {
                        by: "compose",
                        subject: key.to_owned(),
                        action: Action::Recreated,
                        because,
                    });
                }
            }
            _ => out.not_analysed.push(change.rel.to_owned()),
        }
    }
    // Unchanged services on a replaced network are recreated too.
    for (key, svc) in &new_svcs {
        if old_svcs.get(key) != Some(svc) {
            continue;
        }
        let on: Vec<String> = networks_of(svc.as_object().unwrap_or(&Object::new()))
            .into_iter()
            .filter(|net| replaced_nets.contains(net))
            .map(|net| format!("network {net} is recreated"))
            .collect();
        if !on.is_empty() {
            out.effects.push(Effect {
                by: "compose",
                subject: key.clone(),
                action: Action::Recreated,
                because: on,
            });
        }
    }
}

fn effect(subject: String, action: Action, because: Option<String>) -> Effect {
    Effect {
        by: "compose",
        subject,
        action,
        because: because.into_iter().collect(),
    }
}

/// What differs in a service's definition that Compose hashes: the keys it
/// leaves out of the hash are left out here; a map names the entries
/// (`environment.TZ`); the mounts label names the changed files it mounts.
fn definition_changes(old: &Object, new: &Object, changed_files: &[&str]) -> Vec<String> {
    let mut because = Vec::new();
    for key in changed_keys(old, new) {
        if table::COMPOSE_UNHASHED.contains(&key) {
            continue;
        }
        match (old.get(key), new.get(key)) {
            (Some(Value::Object(o)), Some(Value::Object(n))) if key == "deploy" => {
                let strip = |m: &Object| {
                    let mut m = m.clone();
                    m.remove("replicas");
                    m
                };
                if strip(o) != strip(n) {
                    because.push(key.to_owned());
                }
            }
            (Some(Value::Object(o)), Some(Value::Object(n))) => {
                for entry in changed_keys(o, n) {
                    if key == "labels" && entry == MOUNTS_LABEL && o.contains_key(entry) {
                        let files = mounted_changes(new, changed_files);
                        if files.is_empty() {
                            because.push("mounted files".to_owned());
                        }
                        because.extend(files.into_iter().map(|f| format!("mounted {f}")));
                    } else {
                        because.push(format!("{key}.{entry}"));
                    }
                }
            }
            _ => because.push(key.to_owned()),
        }
    }
    because
}

/// The changed files below the service's relative bind sources.
fn mounted_changes<'a>(service: &Object, changed_files: &[&'a str]) -> Vec<&'a str> {
    let sources: Vec<String> = match service.get("volumes") {
        Some(Value::Array(items)) => items
            .iter()
            .filter_map(|v| match v {
                Value::Object(m) => m.get("source").and_then(Value::as_str).map(str::to_owned),
                Value::String(s) => s.split(':').next().map(str::to_owned),
                _ => None,
            })
            .filter_map(|s| {
                s.strip_prefix("./")
                    .map(|s| s.trim_end_matches('/').to_owned())
            })
            .collect(),
        _ => Vec::new(),
    };
    changed_files
        .iter()
        .copied()
        .filter(|f| {
            sources.iter().any(|root| {
                *f == root.as_str()
                    || f.strip_prefix(root.as_str())
                        .is_some_and(|rest| rest.starts_with('/'))
            })
        })
        .collect()
}

/// The networks a service is on (list or map form).
fn networks_of(service: &Object) -> Vec<String> {
    match service.get("networks") {
        Some(Value::Array(items)) => items
            .iter()
            .filter_map(Value::as_str)
            .map(str::to_owned)
            .collect(),
        Some(Value::Object(map)) => map.keys().cloned().collect(),
        _ => Vec::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::super::impact;
    use super::*;

    fn compose(services: &str) -> String {
        format!("services:\n{services}networks:\n  data:\n    internal: true\n")
    }

    #[test]
    fn a_changed_image_recreates_and_depends_on_does_not() {
        let old = compose(
            "  a:\n    image: x:1\n    networks: [data]\n  b:\n    image: y:1\n    depends_on: [a]\n",
        );
        let new = compose(
            "  a:\n    image: x:2\n    networks: [data]\n  b:\n    image: y:1\n    depends_on: {a: {condition: service_healthy}}\n  c:\n    image: z:1\n",
        );
        let got = impact(
            &[FileChange {
                rel: COMPOSE_FILE,
                old: Some(&old),
                new: Some(&new),
            }],
            &Default::default(),
        );
        let summary: Vec<(String, Action, Vec<String>)> = got
            .effects
            .into_iter()
            .map(|e| (e.subject, e.action, e.because))
            .collect();
        assert_eq!(
            summary,
            [
                ("c".to_owned(), Action::Created, vec![]),
                ("a".to_owned(), Action::Recreated, vec!["image".to_owned()]),
            ]
        );
    }

    #[test]
    fn the_mounts_label_names_the_changed_file_and_a_network_change_recreates_its_services() {
        let svc = |hash: &str| {
            format!(
                "  nginx:\n    image: n\n    networks: [data]\n    volumes:\n      - type: bind\n        source: \"./nginx/nginx.conf\"\n        target: /etc/nginx/nginx.conf\n    labels:\n      {MOUNTS_LABEL}: {hash}\n  redis:\n    image: r\n    networks: [data]\n"
            )
        };
        let old = compose(&svc("aaa"));
        let new = compose(&svc("bbb")).replace("internal: true", "internal: false");
        let got = impact(
            &[
                FileChange {
                    rel: COMPOSE_FILE,
                    old: Some(&old),
                    new: Some(&new),
                },
                FileChange {
                    rel: "nginx/nginx.conf",
                    old: Some("a"),
                    new: Some("b"),
                },
            ],
            &Default::default(),
        );
        let nginx = got.effects.iter().find(|e| e.subject == "nginx").unwrap();
        assert_eq!(
            nginx.because,
            ["mounted nginx/nginx.conf", "network data is recreated"]
        );
        let redis = got.effects.iter().find(|e| e.subject == "redis").unwrap();
        assert_eq!(redis.action, Action::Recreated);
        assert!(got.effects.iter().any(|e| e.subject == "network data"));
    }

    #[test]
    fn a_committed_file_that_is_not_compose_is_not_analysed() {
        let got = impact(
            &[FileChange {
                rel: COMPOSE_FILE,
                old: Some("- just\n- a list\n"),
                new: Some(&compose("  a:\n    image: x\n")),
            }],
            &Default::default(),
        );
        assert_eq!(got.not_analysed, [COMPOSE_FILE]);
        assert!(got.effects.is_empty());
    }
}
