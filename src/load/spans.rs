//! Positions by JSON pointer: the merged tree converted to JSON for the schema
//! and the typed spec, and a [`SpanIndex`] that says where each value was
//! written.

use std::collections::HashMap;
use std::fmt::Write as _;
use std::sync::Arc;

use super::yaml::{Node, Value};
use crate::error::Origin;

/// Positions of every value of a merged tree, by JSON pointer (`/services/mysql/image`).
#[derive(Debug, Default, Clone)]
pub struct SpanIndex {
    /// Pointer → (where the value was written, where its key was written).
    entries: HashMap<String, (Origin, Option<Origin>)>,
    /// Pointer bytes that may still be stored.
    budget: usize,
}

impl SpanIndex {
    /// Where the value at `pointer` was written.
    pub fn value(&self, pointer: &str) -> Option<Origin> {
        self.entries.get(pointer).map(|(value, _)| value.clone())
    }

    /// Where the key of the value at `pointer` was written (falls back to the value).
    pub fn key(&self, pointer: &str) -> Option<Origin> {
        self.entries
            .get(pointer)
            .map(|(value, key)| key.clone().unwrap_or_else(|| value.clone()))
    }

    /// The lines the value at `pointer` and everything below it were written
    /// on, per file (an overlay adds lines in another): `(file, first, last)`.
    pub fn extent(&self, pointer: &str) -> Vec<(Arc<str>, u32, u32)> {
        let prefix = format!("{pointer}/");
        let mut out: Vec<(Arc<str>, u32, u32)> = Vec::new();
        let below = self
            .entries
            .iter()
            .filter(|(p, _)| p.as_str() == pointer || p.starts_with(&prefix));
        for (_, (value, key)) in below {
            for origin in std::iter::once(value).chain(key) {
                match out.iter_mut().find(|(f, _, _)| *f == origin.file) {
                    Some((_, first, last)) => {
                        *first = (*first).min(origin.line);
                        *last = (*last).max(origin.line);
                    }
                    None => out.push((origin.file.clone(), origin.line, origin.line)),
                }
            }
        }
        out.sort();
        out
    }

    /// Best position for `pointer`: itself, else its nearest ancestor that has one.
    pub fn nearest(&self, pointer: &str) -> Option<Origin> {
        let mut p = pointer;
        loop {
            if let Some((o, _)) = self.entries.get(p) {
                return Some(o.clone());
            }
            match p.rfind('/') {
                Some(idx) => p = &p[..idx],
                None => return None,
            }
        }
    }
}

/// Escapes one JSON pointer segment.
pub fn pointer_segment(segment: &str) -> String {
    if segment.contains(['~', '/']) {
        segment.replace('~', "~0").replace('/', "~1")
    } else {
        segment.to_owned()
    }
}

/// Builds a JSON pointer from plain segments.
pub fn pointer(segments: &[&str]) -> String {
    segments
        .iter()
        .map(|s| format!("/{}", pointer_segment(s)))
        .collect()
}

/// Converts a merged tree to JSON (for schema validation and typed deserialization)
/// and records where each value came from.
pub fn to_json(node: &Node) -> (serde_json::Value, SpanIndex) {
    let mut index = SpanIndex {
        budget: MAX_POINTER_BYTES,
        ..SpanIndex::default()
    };
    let mut at = String::new();
    let value = to_json_at(node, &mut at, None, &mut index);
    (value, index)
}

/// Converts `node`, found at pointer `at` (a buffer reused down the tree).
fn to_json_at(
    node: &Node,
    at: &mut String,
    key: Option<&Origin>,
    index: &mut SpanIndex,
) -> serde_json::Value {
    use serde_json::Value as J;
    let len = at.len();
    let value = match &node.value {
        Value::Seq(items) => J::Array(
            items
                .iter()
                .enumerate()
                .map(|(i, item)| {
                    let _ = write!(at, "/{i}");
                    let v = to_json_at(item, at, None, index);
                    at.truncate(len);
                    v
                })
                .collect(),
        ),
        Value::Map(entries) => {
            let mut map = serde_json::Map::new();
            for (k, value) in entries {
                at.push('/');
                at.push_str(&pointer_segment(&k.name));
                map.insert(
                    k.name.clone(),
                    to_json_at(value, at, Some(&k.origin), index),
                );
                at.truncate(len);
            }
            J::Object(map)
        }
        scalar => scalar_json(scalar),
    };
    // Each pointer is stored whole: long keys nested deep over many values
    // would take memory and time that grow with their product, so past the
    // budget positions are kept no more (diagnostics fall back to the nearest
    // position kept).
    if index.budget >= at.len() {
        index.budget -= at.len();
        index
            .entries
            .insert(at.clone(), (node.origin.clone(), key.cloned()));
    }
    value
}

/// Bytes of JSON pointers a [`SpanIndex`] keeps: far above a large real spec
/// (10 000 services take about 10 MB), far below what a crafted 4 MiB file
/// would need.
const MAX_POINTER_BYTES: usize = 64 << 20;

/// [`to_json`] without positions (for generated files read back).
pub fn to_json_value(node: &Node) -> serde_json::Value {
    use serde_json::Value as J;
    match &node.value {
        Value::Seq(items) => J::Array(items.iter().map(to_json_value).collect()),
        Value::Map(entries) => J::Object(
            entries
                .iter()
                .map(|(k, v)| (k.name.clone(), to_json_value(v)))
                .collect(),
        ),
        scalar => scalar_json(scalar),
    }
}

/// A scalar as JSON (a float JSON cannot hold becomes `null`).
fn scalar_json(value: &Value) -> serde_json::Value {
    use serde_json::Value as J;
    match value {
        Value::Bool(b) => J::Bool(*b),
        Value::Int(i) => J::from(*i),
        Value::Float(f) => serde_json::Number::from_f64(*f)
            .map(J::Number)
            .unwrap_or(J::Null),
        Value::Str(s) => J::String(s.clone()),
        Value::Null | Value::Seq(_) | Value::Map(_) => J::Null,
    }
}
