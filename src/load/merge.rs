//! Overlay merging: maps merge by key, scalars and lists replace, `null` removes.

use std::collections::HashMap;

use super::yaml::{Key, Node, Value};

/// A `null` in an overlay under a key its base does not have: it removes
/// nothing, which is almost always a misspelt name.
#[derive(Debug)]
pub struct Unmatched {
    /// The keys from the top of the document down to the one that was null.
    pub path: Vec<String>,
    pub key: Key,
    /// The keys the base has at that level.
    pub existing: std::sync::Arc<[String]>,
}

/// A key an overlay adds next to a base key of a close name (`ai-recomend`
/// beside `ai-recommend`): perhaps a new entry, perhaps a misspelt one.
#[derive(Debug, Clone)]
pub struct NearMiss {
    pub key: Key,
    /// The base's key it resembles.
    pub close: String,
}

/// What a merge noticed besides the merged document.
#[derive(Debug, Default)]
pub struct Notes {
    pub unmatched: Vec<Unmatched>,
    pub near_misses: Vec<NearMiss>,
}

/// Merges `overlay` onto `base`. Every value keeps the position of the file it
/// came from, so diagnostics point at the overlay when the overlay set the value.
/// Keys keep their first position. Linear in the size of both maps. A `null`
/// that removes nothing is added to `unmatched`.
pub fn merge(base: Node, overlay: Node, notes: &mut Notes) -> Node {
    merge_at(base, overlay, &mut Vec::new(), notes)
}

/// New keys of one overlay mapping compared with the base's for a near miss.
const MAX_NEAR_MISS_CHECKS: usize = 64;

fn merge_at(base: Node, overlay: Node, path: &mut Vec<String>, notes: &mut Notes) -> Node {
    let base_origin = base.origin;
    match (base.value, overlay.value) {
        (Value::Map(base_entries), Value::Map(overlay_entries)) => {
            let mut slots: Vec<Option<(Key, Node)>> = base_entries.into_iter().map(Some).collect();
            let mut index: HashMap<String, usize> = slots
                .iter()
                .enumerate()
                .filter_map(|(i, e)| e.as_ref().map(|(k, _)| (k.name.clone(), i)))
                .collect();
            // The base's keys, once per mapping: what a misspelt overlay key
            // is compared with (never the overlay's own new keys), for at most
            // `MAX_NEAR_MISS_CHECKS` keys, so a large overlay stays linear.
            let base_names: std::sync::Arc<[String]> = slots
                .iter()
                .flatten()
                .map(|(k, _)| k.name.clone())
                .collect();
            let mut checks = 0usize;
            for (key, value) in overlay_entries {
                let removes = value.value == Value::Null;
                match index.get(&key.name).copied() {
                    Some(i) if removes => {
                        slots[i] = None;
                        index.remove(&key.name);
                    }
                    Some(i) => {
                        if let Some((old_key, old)) = slots[i].take() {
                            path.push(old_key.name.clone());
                            let merged = merge_at(old, value, path, notes);
                            path.pop();
                            slots[i] = Some((old_key, merged));
                        }
                    }
                    None if removes => notes.unmatched.push(Unmatched {
                        path: path.iter().cloned().chain([key.name.clone()]).collect(),
                        existing: base_names.clone(),
                        key,
                    }),
                    None => {
                        checks += 1;
                        let close = (checks <= MAX_NEAR_MISS_CHECKS)
                            .then(|| {
                                crate::suggest::did_you_mean(
                                    &key.name,
                                    base_names.iter().map(String::as_str),
                                )
                            })
                            .flatten();
                        if let Some(close) = close {
                            notes.near_misses.push(NearMiss {
                                key: key.clone(),
                                close: close.to_owned(),
                            });
                        }
                        index.insert(key.name.clone(), slots.len());
                        slots.push(Some((key, value)));
                    }
                }
            }
            Node {
                value: Value::Map(slots.into_iter().flatten().collect()),
                origin: base_origin,
            }
        }
        (_, value) => Node {
            value,
            origin: overlay.origin,
        },
    }
}
