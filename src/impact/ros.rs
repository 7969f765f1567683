//! What a ROS stack update does with the changed `ros/template.yaml`: which
//! resources it creates, replaces (a property it cannot update,
//! `data/replacement.tsv`), updates in place or deletes. The deploy's
//! resources are named after their content (`Deploy1f0aea93`): a pair that
//! differs only in that suffix is one resource replaced.

use std::collections::{BTreeMap, BTreeSet};

use serde_json::{Map, Value};

use super::cloud::{MAX_DEPTH, depth};
use super::table::replaces;
use super::{
    Action, FileChange, Impact, Resources, Results, changed_keys, effects_of, propagate, verdict,
    yaml_json,
};

const TEMPLATE: &str = "ros/template.yaml";

pub(super) fn effects(changes: &[FileChange<'_>], out: &mut Impact) {
    let Some(change) = changes.iter().find(|c| c.rel == TEMPLATE) else {
        return;
    };
    let (Some(old), Some(new)) = (read(change.old), read(change.new)) else {
        out.not_analysed.push(change.rel.to_owned());
        return;
    };
    let mut results = Results::new();
    // Content-named pairs: the old name's stem is the new name's.
    let renamed: BTreeMap<&String, &String> = old
        .iter()
        .filter(|(name, _)| !new.contains_key(*name))
        .filter_map(|(name, (ty, _))| {
            let stem = content_stem(name)?;
            new.iter()
                .find(|(n, (t, _))| {
                    t == ty && !old.contains_key(*n) && content_stem(n) == Some(stem)
                })
                .map(|(n, _)| (n, name))
        })
        .collect();
    for name in old.keys().chain(new.keys()).collect::<BTreeSet<_>>() {
        if renamed.values().any(|o| *o == name) {
            continue; // reported under its new name
        }
        let previous = old
            .get(name)
            .or_else(|| renamed.get(name).and_then(|o| old.get(*o)));
        match (previous, new.get(name)) {
            (None, Some(_)) => {
                results.insert(name.clone(), (Action::Created, Vec::new()));
            }
            (Some(_), None) => {
                results.insert(name.clone(), (Action::Removed, Vec::new()));
            }
            (Some((old_ty, o)), Some((ty, n))) => {
                let mut because: Vec<String> = Vec::new();
                let mut replace = old_ty != ty;
                for key in changed_keys(o, n) {
                    replace |= replaces("ros", ty, key).unwrap_or(true);
                    because.push(key.to_owned());
                }
                if let Some(old_name) = renamed.get(name) {
                    // The name follows the content: a new resource.
                    replace = true;
                    because.push(format!("was {old_name}"));
                }
                if let Some(verdict) = verdict(replace, because) {
                    results.insert(name.clone(), verdict);
                }
            }
            (None, None) => {}
        }
    }
    propagate("ros", &new, &mut results, refers_to);
    out.effects.extend(effects_of("ros", results));
}

/// `Deploy1f0aea93` → `Deploy`: a name that ends in eight hex digits after
/// at least one letter.
fn content_stem(name: &str) -> Option<&str> {
    let cut = name.len().checked_sub(8)?;
    let (stem, hash) = name.split_at_checked(cut)?;
    let hex = hash
        .bytes()
        .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b));
    (hex && stem.bytes().any(|b| b.is_ascii_alphabetic())).then_some(stem)
}

/// Whether a property refers to the resource `name` (`Ref`, `Fn::GetAtt`, or
/// `${name...}` in `Fn::Sub`).
fn refers_to(value: &Value, name: &str) -> bool {
    match value {
        Value::Object(map) => map.iter().any(|(k, v)| {
            (k == "Ref" && v.as_str() == Some(name))
                || (k == "Fn::GetAtt"
                    && v.as_array().and_then(|a| a.first()).and_then(Value::as_str) == Some(name))
                || refers_to(v, name)
        }),
        Value::Array(items) => items.iter().any(|v| refers_to(v, name)),
        Value::String(s) => {
            s.contains(&format!("${{{name}.")) || s.contains(&format!("${{{name}}}"))
        }
        _ => false,
    }
}

/// The resources of a template (`None` text: none); `None` when it is not a
/// template that can be read within bounds.
fn read(text: Option<&str>) -> Option<Resources> {
    let Some(text) = text else {
        return Some(Resources::new());
    };
    if depth(text) > MAX_DEPTH {
        return None;
    }
    let Value::Object(template) = yaml_json(text)? else {
        return None;
    };
    let mut out = Resources::new();
    match template.get("Resources") {
        None => {}
        Some(Value::Object(resources)) => {
            for (name, resource) in resources {
                let ty = resource.get("Type")?.as_str()?.to_owned();
                let props = match resource.get("Properties") {
                    None => Map::new(),
                    Some(Value::Object(p)) => p.clone(),
                    Some(_) => return None,
                };
                out.insert(name.clone(), (ty, props));
            }
        }
        Some(_) => return None,
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::super::impact;
    use super::*;

    fn template(deploy: &str, content: &str, retention: u32) -> String {
        format!(
            "Resources:
  LogstoreApp:
    Type: ALIYUN::SLS::Logstore
    Properties:
      ProjectName: p
      LogstoreName: app
      TTL: {retention}
  Deploy{deploy}:
    Type: ALIYUN::ECS::RunCommand
    Properties:
      CommandContent: {content}
  Done:
    Type: ALIYUN::ROS::WaitCondition
    Properties:
      Handle:
        Fn::GetAtt: [Deploy{deploy}, InvokeId]
"
        )
    }

    #[test]
    fn a_content_named_resource_is_replaced_and_a_changed_property_updated() {
        let old = template("1f0aea93", "a", 30);
        let new = template("be72e2eb", "b", 90);
        let got: Vec<(String, Action)> = impact(
            &[FileChange {
                rel: TEMPLATE,
                old: Some(&old),
                new: Some(&new),
            }],
            &Default::default(),
        )
        .effects
        .into_iter()
        .map(|e| (e.subject, e.action))
        .collect();
        assert!(
            got.contains(&("Deploybe72e2eb".to_owned(), Action::Replaced)),
            "{got:?}"
        );
        assert!(
            got.contains(&("Done".to_owned(), Action::Updated))
                || got.contains(&("Done".to_owned(), Action::Replaced)),
            "{got:?}"
        );
        assert!(
            got.iter()
                .any(|(s, a)| s == "LogstoreApp" && *a != Action::Created),
            "{got:?}"
        );
        assert!(!got.iter().any(|(s, _)| s == "Deploy1f0aea93"), "{got:?}");
    }

    #[test]
    fn stems_are_names_before_eight_hex_digits() {
        assert_eq!(content_stem("Deploy1f0aea93"), Some("Deploy"));
        assert_eq!(content_stem("DeployHandle1f0aea93"), Some("DeployHandle"));
        assert_eq!(content_stem("12345678"), None);
        assert_eq!(content_stem("LogstoreApp"), None);
        assert_eq!(content_stem("é1f0aea9"), None);
    }
}
