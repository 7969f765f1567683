//! Overlay merging: maps merge by key, scalars and lists replace, `null` removes.

use super::yaml::{Node, Value};

/// Merges `overlay` onto `base`. Every value keeps the position of the file it
/// came from, so diagnostics point at the overlay when the overlay set the value.
pub fn merge(base: Node, overlay: Node) -> Node {
    let base_origin = base.origin;
    match (base.value, overlay.value) {
        (Value::Map(mut base_entries), Value::Map(overlay_entries)) => {
            for (key, value) in overlay_entries {
                match base_entries.iter().position(|(k, _)| k.name == key.name) {
                    Some(idx) if value.value == Value::Null => {
                        base_entries.remove(idx);
                    }
                    Some(idx) => {
                        // The key keeps its first position; the value is merged.
                        let (old_key, old) = base_entries.remove(idx);
                        base_entries.insert(idx, (old_key, merge(old, value)));
                    }
                    None if value.value == Value::Null => {}
                    None => base_entries.push((key, value)),
                }
            }
            Node {
                value: Value::Map(base_entries),
                origin: base_origin,
            }
        }
        (_, value) => Node {
            value,
            origin: overlay.origin,
        },
    }
}
