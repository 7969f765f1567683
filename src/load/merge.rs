//! Overlay merging: maps merge by key, scalars and lists replace, `null` removes.

use std::collections::HashMap;

use super::yaml::{Key, Node, Value};

/// Merges `overlay` onto `base`. Every value keeps the position of the file it
/// came from, so diagnostics point at the overlay when the overlay set the value.
/// Keys keep their first position. Linear in the size of both maps.
pub fn merge(base: Node, overlay: Node) -> Node {
    let base_origin = base.origin;
    match (base.value, overlay.value) {
        (Value::Map(base_entries), Value::Map(overlay_entries)) => {
            let mut slots: Vec<Option<(Key, Node)>> = base_entries.into_iter().map(Some).collect();
            let mut index: HashMap<String, usize> = slots
                .iter()
                .enumerate()
                .filter_map(|(i, e)| e.as_ref().map(|(k, _)| (k.name.clone(), i)))
                .collect();
            for (key, value) in overlay_entries {
                let removes = value.value == Value::Null;
                match index.get(&key.name).copied() {
                    Some(i) if removes => {
                        slots[i] = None;
                        index.remove(&key.name);
                    }
                    Some(i) => {
                        if let Some((old_key, old)) = slots[i].take() {
                            slots[i] = Some((old_key, merge(old, value)));
                        }
                    }
                    None if removes => {}
                    None => {
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
