//! Positions by JSON pointer: a [`SpanIndex`] reads where each value of a
//! merged tree was written from the tree itself, when a diagnostic asks, and
//! the tree converted to JSON where a JSON value is wanted (generated files
//! read back, the cold paths of the schema check).

use std::cell::RefCell;
use std::collections::HashMap;
use std::sync::Arc;

use super::yaml::{Key, Node, Value};
use crate::error::Origin;

/// Where each value of a merged tree was written, by JSON pointer
/// (`/services/mysql/image`): a view of the tree, so nothing is stored per
/// value; a pointer is resolved when it is asked for.
#[derive(Debug, Clone, Default)]
pub struct SpanIndex<'a> {
    root: Option<&'a Node>,
    /// Key → entry of the mappings with many keys (`services` of a large
    /// stack), built the first time one is looked into: a lookup stays
    /// constant-time however many services there are.
    wide: RefCell<HashMap<usize, HashMap<String, usize>>>,
}

/// Mappings up to this many keys are searched in order.
const NARROW: usize = 32;

impl<'a> SpanIndex<'a> {
    /// Positions of the values of `root`.
    pub fn new(root: &'a Node) -> Self {
        SpanIndex {
            root: Some(root),
            wide: RefCell::default(),
        }
    }

    /// Where the value at `pointer` was written.
    pub fn value(&self, pointer: &str) -> Option<Origin> {
        self.find(pointer)
            .filter(|found| found.complete)
            .map(|found| found.node.origin.clone())
    }

    /// Where the key of the value at `pointer` was written (falls back to the value).
    pub fn key(&self, pointer: &str) -> Option<Origin> {
        self.find(pointer)
            .filter(|found| found.complete)
            .map(|found| {
                found
                    .key
                    .map_or_else(|| found.node.origin.clone(), |k| k.origin.clone())
            })
    }

    /// The lines the value at `pointer` and everything below it were written
    /// on, per file (an overlay adds lines in another): `(file, first, last)`.
    pub fn extent(&self, pointer: &str) -> Vec<(Arc<str>, u32, u32)> {
        let mut out: Vec<(Arc<str>, u32, u32)> = Vec::new();
        let Some(found) = self.find(pointer).filter(|found| found.complete) else {
            return out;
        };
        let mut add = |origin: &Origin| match out.iter_mut().find(|(f, _, _)| *f == origin.file) {
            Some((_, first, last)) => {
                *first = (*first).min(origin.line);
                *last = (*last).max(origin.line);
            }
            None => out.push((origin.file.clone(), origin.line, origin.line)),
        };
        if let Some(key) = found.key {
            add(&key.origin);
        }
        let mut stack = vec![found.node];
        while let Some(node) = stack.pop() {
            add(&node.origin);
            match &node.value {
                Value::Seq(items) => stack.extend(items),
                Value::Map(entries) => {
                    for (key, value) in entries {
                        add(&key.origin);
                        stack.push(value);
                    }
                }
                _ => {}
            }
        }
        out.sort();
        out
    }

    /// Best position for `pointer`: itself, else its nearest ancestor that has one.
    pub fn nearest(&self, pointer: &str) -> Option<Origin> {
        self.find(pointer).map(|found| found.node.origin.clone())
    }

    /// [`SpanIndex::nearest`] of the pointer of plain `segments`
    /// (`["services", "mysql", "image"]`), without writing the pointer.
    pub fn nearest_at(&self, segments: &[&str]) -> Option<Origin> {
        self.find_segments(segments.iter().map(|s| std::borrow::Cow::Borrowed(*s)))
            .map(|found| found.node.origin.clone())
    }

    /// [`SpanIndex::key`] of plain `segments`, else their [`SpanIndex::nearest_at`].
    pub fn key_at(&self, segments: &[&str]) -> Option<Origin> {
        let found = self.find_segments(segments.iter().map(|s| std::borrow::Cow::Borrowed(*s)))?;
        Some(match (found.complete, found.key) {
            (true, Some(key)) => key.origin.clone(),
            _ => found.node.origin.clone(),
        })
    }

    /// The value at `pointer`, or the deepest ancestor of it the tree holds.
    fn find(&self, pointer: &str) -> Option<Found<'a>> {
        if pointer.is_empty() {
            return self.find_segments(std::iter::empty());
        }
        let Some(rest) = pointer.strip_prefix('/') else {
            let mut found = self.find_segments(std::iter::empty())?;
            found.complete = false;
            return Some(found);
        };
        self.find_segments(rest.split('/').map(unescape))
    }

    /// The value at the path of `segments` (keys as written, indices in
    /// decimal), or the deepest ancestor of it the tree holds.
    fn find_segments<'s>(
        &self,
        segments: impl Iterator<Item = std::borrow::Cow<'s, str>>,
    ) -> Option<Found<'a>> {
        let mut found = Found {
            node: self.root?,
            key: None,
            complete: true,
        };
        for segment in segments {
            let next = match &found.node.value {
                Value::Map(entries) => self.entry(entries, &segment).map(|(k, v)| (v, Some(k))),
                Value::Seq(items) => item_index(&segment)
                    .and_then(|i| items.get(i))
                    .map(|v| (v, None)),
                _ => None,
            };
            match next {
                Some((node, key)) => {
                    found.node = node;
                    found.key = key;
                }
                None => {
                    found.complete = false;
                    return Some(found);
                }
            }
        }
        Some(found)
    }

    /// The entry of `entries` named `name`.
    fn entry(&self, entries: &'a [(Key, Node)], name: &str) -> Option<&'a (Key, Node)> {
        if entries.len() <= NARROW {
            return entries.iter().find(|(k, _)| k.name == name);
        }
        let mut wide = self.wide.borrow_mut();
        let index = wide.entry(entries.as_ptr() as usize).or_insert_with(|| {
            let mut index = HashMap::with_capacity(entries.len());
            for (i, (k, _)) in entries.iter().enumerate() {
                index.entry(k.name.clone()).or_insert(i);
            }
            index
        });
        index.get(name).map(|&i| &entries[i])
    }
}

/// A value found by pointer: the node, the key it is under, and whether the
/// whole pointer was followed (else `node` is the deepest ancestor found).
struct Found<'a> {
    node: &'a Node,
    key: Option<&'a Key>,
    complete: bool,
}

/// The node of `tree` at the JSON `pointer`, to change it (the path of a
/// key to drop).
pub fn node_at_mut<'t>(tree: &'t mut Node, pointer: &str) -> Option<&'t mut Node> {
    let mut node = tree;
    for segment in pointer.split('/').skip(1).map(unescape) {
        node = match &mut node.value {
            Value::Map(entries) => entries
                .iter_mut()
                .find(|(k, _)| k.name == segment)
                .map(|(_, v)| v)?,
            Value::Seq(items) => items.get_mut(item_index(&segment)?)?,
            _ => return None,
        };
    }
    Some(node)
}

/// The item a pointer segment names in a sequence: decimal, no sign, no
/// leading zero (`/01` and `/+1` name none).
fn item_index(segment: &str) -> Option<usize> {
    segment
        .parse::<usize>()
        .ok()
        .filter(|i| i.to_string() == segment)
}

/// One JSON pointer segment as the key it names (`~1` is `/`, `~0` is `~`).
fn unescape(segment: &str) -> std::borrow::Cow<'_, str> {
    if segment.contains('~') {
        segment.replace("~1", "/").replace("~0", "~").into()
    } else {
        segment.into()
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

/// A tree as JSON, without positions (generated files read back, a
/// compose file imported, the instance of a schema error).
pub fn to_json_value(node: &Node) -> serde_json::Value {
    use serde_json::Value as J;
    match node.as_json() {
        Value::Seq(items) => J::Array(items.iter().map(to_json_value).collect()),
        Value::Map(entries) => J::Object(
            entries
                .iter()
                .map(|(k, v)| (k.name.clone(), to_json_value(v)))
                .collect(),
        ),
        Value::Bool(b) => J::Bool(*b),
        Value::Int(i) => J::from(*i),
        Value::Float(f) => serde_json::Number::from_f64(*f).map_or(J::Null, J::Number),
        Value::Str(s) => J::String(s.clone()),
        Value::Null => J::Null,
    }
}
