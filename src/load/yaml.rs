//! YAML text → a tree of [`Node`]s that remember where each value came from.
//!
//! This is the only module that talks to the YAML parser (serde-saphyr), so
//! swapping the parser touches nothing else.

use std::fmt;
use std::sync::Arc;

use serde::Deserialize;
use serde::de::{self, MapAccess, SeqAccess, Visitor};
use serde_saphyr::{Location, Spanned};

use crate::error::{Diagnostic, Origin};

mod events;

/// A YAML value together with the place in a source file it was written.
#[derive(Debug, Clone, PartialEq)]
pub struct Node {
    pub value: Value,
    pub origin: Origin,
}

impl Node {
    /// The value as JSON holds it: a float JSON cannot hold (`.nan`, `.inf`)
    /// is `null`. The schema check, the typed spec and the JSON conversion
    /// all read the tree through this.
    pub fn as_json(&self) -> &Value {
        match &self.value {
            Value::Float(f) if !f.is_finite() => &Value::Null,
            other => other,
        }
    }
}

/// The shape of a YAML value after parsing (YAML 1.2 core schema).
#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    Null,
    Bool(bool),
    Int(i64),
    Float(f64),
    Str(String),
    Seq(Vec<Node>),
    /// Keys in document order; keys are always strings in a spec.
    Map(Vec<(Key, Node)>),
}

/// A mapping key with its own position (diagnostics about unknown keys point here).
#[derive(Debug, Clone, PartialEq)]
pub struct Key {
    pub name: String,
    pub origin: Origin,
}

/// Values a spec may hold (aliases counted each time they are expanded), by
/// default: serde-saphyr's own default, far above any real stack (the shipped
/// prod spec has about 1 500). `--yaml-max-nodes` raises it.
pub const DEFAULT_MAX_NODES: usize = 250_000;

/// Parses one YAML document. `file` is the path shown in diagnostics.
pub fn parse(file: &Arc<str>, text: &str) -> Result<Node, Diagnostic> {
    parse_with_budget(file, text, DEFAULT_MAX_NODES)
}

/// Parses one YAML document with a node budget of `max_nodes`, raised to one
/// value per two bytes of `text` (YAML without aliases needs at least two
/// bytes a value, `[1,1,...]`, so only aliases can exceed it; a large honest
/// spec is not refused), and events, the parser's other count, four per node.
pub fn parse_with_budget(
    file: &Arc<str>,
    text: &str,
    max_nodes: usize,
) -> Result<Node, Diagnostic> {
    let max_nodes = max_nodes.max(text.len() / 2);
    match events::parse(file, text, max_nodes) {
        Some(node) => Ok(node),
        None => parse_fully(file, text, max_nodes),
    }
}

/// [`parse_with_budget`] through serde-saphyr's deserialization: every YAML
/// feature, every budget, and the messages of every error.
fn parse_fully(file: &Arc<str>, text: &str, max_nodes: usize) -> Result<Node, Diagnostic> {
    let mut budget = serde_saphyr::Budget::default();
    budget.max_nodes = max_nodes;
    budget.max_events = max_nodes.saturating_mul(4);
    // Values are counted each time an alias expands them, so the node budget
    // bounds an alias bomb; the ratio heuristic (more than ten aliases per
    // anchor) would refuse honest YAML such as `<<: *defaults` in a hundred
    // services.
    budget.enforce_alias_anchor_ratio = false;
    let mut options = serde_saphyr::Options::default();
    options.budget = Some(budget);
    let raw: Spanned<RawValue> = serde_saphyr::from_str_with_options(text, options).map_err(|err| {
        let mut origin = err
            .location()
            .map(|loc| origin_of(file, text, &loc))
            .unwrap_or_else(|| Origin::start_of(file.clone()));
        let (message, help) = match err.without_snippet() {
            serde_saphyr::Error::Budget { breach, .. } => budget_message(breach, max_nodes),
            _ => {
                let message = first_line(&err.without_snippet().to_string());
                // A breach found while replaying an alias arrives as text only.
                if let Some(breach) = message.strip_prefix("budget breached: ") {
                    budget_text_message(breach, max_nodes)
                } else if let Some(key) = message
                    .strip_prefix("duplicate mapping key: ")
                    .map(|rest| rest.split(", set DuplicateKeyPolicy").next().unwrap_or(rest))
                {
                    // The parser's own text names an option of the library.
                    (
                        format!("duplicate key `{key}`: a mapping has each key once"),
                        format!("remove one `{key}:`, or merge the two into one"),
                    )
                } else if message == "recursion limit exceeded" {
                    (
                        "the YAML nests too deeply (the parser's limit is 64 levels)".to_owned(),
                        "flatten the spec: no real stack nests this deep".to_owned(),
                    )
                } else if let Some(cause) =
                    super::yaml_hint::likely_cause(text, origin.line as usize, &message)
                {
                    let column = cause.column.max(1);
                    origin = Origin {
                        file: file.clone(),
                        line: cause.line as u32,
                        column: column as u32,
                        offset: byte_offset_of(text, cause.line, column),
                        len: 1,
                    };
                    (format!("invalid YAML: {}", cause.message), cause.help)
                } else {
                    (
                        format!("invalid YAML: {message}"),
                        "fix the YAML syntax at the marked position (indentation, quotes, `key: value` pairs)".to_owned(),
                    )
                }
            }
        };
        Diagnostic::error("FS001", message).at(origin).with_help(help)
    })?;
    Ok(convert(file, text, raw))
}

/// Like [`budget_message`], from the breach's debug text (`Nodes { nodes: 250001 }`).
fn budget_text_message(breach: &str, max_nodes: usize) -> (String, String) {
    use serde_saphyr::budget::BudgetBreach as B;
    let kind = if breach.starts_with("Nodes") {
        B::Nodes { nodes: 0 }
    } else if breach.starts_with("Events") {
        B::Events { events: 0 }
    } else if breach.starts_with("Depth") {
        B::Depth { depth: 0 }
    } else {
        return (
            format!("the YAML breaks the parser's budget: {breach}"),
            "remove repeated anchors and aliases (`&name`, `*name`): a spec needs few".to_owned(),
        );
    };
    budget_message(&kind, max_nodes)
}

/// Message and help for a breached parser budget.
fn budget_message(
    breach: &serde_saphyr::budget::BudgetBreach,
    max_nodes: usize,
) -> (String, String) {
    use serde_saphyr::budget::BudgetBreach as B;
    let raise = format!(
        "split the spec with `extends`, expand fewer aliases, or raise the budget with `--yaml-max-nodes {}`",
        max_nodes.saturating_mul(2)
    );
    match breach {
        B::Nodes { .. } => (
            format!(
                "the YAML has more than {max_nodes} values (aliases counted each time they are used): the parser's budget"
            ),
            raise,
        ),
        B::Events { .. } => (
            format!(
                "the YAML has more than {} parser events: the parser's budget (four per value of `--yaml-max-nodes`)",
                max_nodes.saturating_mul(4)
            ),
            raise,
        ),
        B::Depth { .. } => (
            "the YAML nests too deeply (the parser's limit is 64 levels)".to_owned(),
            "flatten the spec: no real stack nests this deep".to_owned(),
        ),
        other => (
            format!(
                "the YAML breaks the parser's budget: {}",
                first_line(&format!("{other:?}"))
            ),
            "remove repeated anchors and aliases (`&name`, `*name`): a spec needs few".to_owned(),
        ),
    }
}

fn first_line(message: &str) -> String {
    let line = message.lines().next().unwrap_or("").trim();
    // serde-saphyr appends " at line X column Y"; the origin already says where.
    let line = match line.find(" at line ") {
        Some(idx) => &line[..idx],
        None => line,
    };
    let mut chars = line.chars();
    match chars.next() {
        Some(c) => c.to_lowercase().chain(chars).collect(),
        None => "unexpected input".to_owned(),
    }
}

fn convert(file: &Arc<str>, text: &str, raw: Spanned<RawValue>) -> Node {
    let origin = origin_of(file, text, &raw.referenced);
    let value = match raw.value {
        RawValue::Null => Value::Null,
        RawValue::Bool(b) => Value::Bool(b),
        RawValue::Int(i) => Value::Int(i),
        RawValue::Float(f) => Value::Float(f),
        RawValue::Str(s) => Value::Str(s),
        RawValue::Seq(items) => Value::Seq(
            items
                .into_iter()
                .map(|item| convert(file, text, item))
                .collect(),
        ),
        RawValue::Map(entries) => Value::Map(
            entries
                .into_iter()
                .map(|(key, value)| {
                    let key = Key {
                        origin: origin_of(file, text, &key.referenced),
                        name: key.value,
                    };
                    (key, convert(file, text, value))
                })
                .collect(),
        ),
    };
    Node { value, origin }
}

/// Converts a parser location (1-based line and character column) to an [`Origin`]
/// with a byte offset into `text`, so snippets can point at the exact token.
fn origin_of(file: &Arc<str>, text: &str, loc: &Location) -> Origin {
    let line = loc.line().max(1) as usize;
    let column = loc.column().max(1) as usize;
    let offset = loc
        .span()
        .byte_offset()
        .map(|o| o as usize)
        .unwrap_or_else(|| byte_offset_of(text, line, column));
    let len = loc.span().byte_len().map(|l| l as usize).unwrap_or(0);
    Origin {
        file: file.clone(),
        line: line as u32,
        column: column as u32,
        offset: offset.min(text.len()),
        len,
    }
}

fn byte_offset_of(text: &str, line: usize, column: usize) -> usize {
    let line_start: usize = text
        .split_inclusive('\n')
        .take(line - 1)
        .map(str::len)
        .sum();
    let rest = &text[line_start.min(text.len())..];
    line_start
        + rest
            .char_indices()
            .nth(column - 1)
            .map(|(i, _)| i)
            .unwrap_or(rest.len())
}

/// What the parser hands us before positions are attached to every node.
enum RawValue {
    Null,
    Bool(bool),
    Int(i64),
    Float(f64),
    Str(String),
    Seq(Vec<Spanned<RawValue>>),
    Map(Vec<(Spanned<String>, Spanned<RawValue>)>),
}

impl<'de> Deserialize<'de> for RawValue {
    fn deserialize<D: de::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_any(RawVisitor)
    }
}

struct RawVisitor;

impl<'de> Visitor<'de> for RawVisitor {
    type Value = RawValue;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a YAML value")
    }
    fn visit_unit<E>(self) -> Result<RawValue, E> {
        Ok(RawValue::Null)
    }
    fn visit_none<E>(self) -> Result<RawValue, E> {
        Ok(RawValue::Null)
    }
    fn visit_some<D: de::Deserializer<'de>>(self, d: D) -> Result<RawValue, D::Error> {
        RawValue::deserialize(d)
    }
    fn visit_bool<E>(self, v: bool) -> Result<RawValue, E> {
        Ok(RawValue::Bool(v))
    }
    fn visit_i64<E>(self, v: i64) -> Result<RawValue, E> {
        Ok(RawValue::Int(v))
    }
    fn visit_u64<E: de::Error>(self, v: u64) -> Result<RawValue, E> {
        i64::try_from(v)
            .map(RawValue::Int)
            .map_err(|_| E::custom(format!("integer {v} is too large")))
    }
    fn visit_i128<E: de::Error>(self, v: i128) -> Result<RawValue, E> {
        i64::try_from(v)
            .map(RawValue::Int)
            .map_err(|_| E::custom(format!("integer {v} is too large")))
    }
    fn visit_u128<E: de::Error>(self, v: u128) -> Result<RawValue, E> {
        i64::try_from(v)
            .map(RawValue::Int)
            .map_err(|_| E::custom(format!("integer {v} is too large")))
    }
    fn visit_f64<E>(self, v: f64) -> Result<RawValue, E> {
        Ok(RawValue::Float(v))
    }
    fn visit_str<E>(self, v: &str) -> Result<RawValue, E> {
        Ok(RawValue::Str(v.to_owned()))
    }
    fn visit_string<E>(self, v: String) -> Result<RawValue, E> {
        Ok(RawValue::Str(v))
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<RawValue, A::Error> {
        let mut items = Vec::new();
        while let Some(item) = seq.next_element::<Spanned<RawValue>>()? {
            items.push(item);
        }
        Ok(RawValue::Seq(items))
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<RawValue, A::Error> {
        let mut entries = Vec::new();
        while let Some(key) = map.next_key::<Spanned<String>>()? {
            let value = map.next_value::<Spanned<RawValue>>()?;
            entries.push((key, value));
        }
        Ok(RawValue::Map(entries))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn file() -> Arc<str> {
        Arc::from("spec.yaml")
    }

    #[test]
    fn remembers_line_and_column_of_values_and_keys() {
        let text = "a: 1\nb:\n  c: [x, 2.5]\n  d: ~\n";
        let node = parse(&file(), text).unwrap();
        let Value::Map(entries) = &node.value else {
            panic!("not a map")
        };
        assert_eq!(entries[1].0.name, "b");
        assert_eq!(
            (entries[1].0.origin.line, entries[1].0.origin.column),
            (2, 1)
        );
        let Value::Map(inner) = &entries[1].1.value else {
            panic!("not a map")
        };
        assert_eq!((inner[0].0.origin.line, inner[0].0.origin.column), (3, 3));
        let Value::Seq(items) = &inner[0].1.value else {
            panic!("not a seq")
        };
        assert_eq!(items[0].value, Value::Str("x".into()));
        assert_eq!(items[1].value, Value::Float(2.5));
        assert_eq!((items[1].origin.line, items[1].origin.column), (3, 10));
        assert_eq!(
            &text[items[1].origin.offset..items[1].origin.offset + 3],
            "2.5"
        );
        assert_eq!(inner[1].1.value, Value::Null);
    }

    #[test]
    fn syntax_error_has_position_and_help() {
        let err = parse(&file(), "a: 1\nb: [1, 2\n").unwrap_err();
        assert_eq!(err.code, "FS001");
        let origin = err.origin.unwrap();
        assert!(origin.line >= 2, "{origin:?}");
        assert!(err.help.is_some());
    }

    #[test]
    fn duplicate_keys_are_rejected() {
        let err = parse(&file(), "a: 1\na: 2\n").unwrap_err();
        assert_eq!(err.code, "FS001");
        assert!(err.message.contains("duplicate"), "{}", err.message);
        assert_eq!(err.origin.unwrap().line, 2);
    }

    /// Every YAML file of the repository (specs, cases, generated files,
    /// imported compose files) and a set of awkward documents: the fast
    /// reader gives the full deserialization's tree, positions included, or
    /// leaves the document to it.
    #[test]
    fn fast_reader_agrees_with_the_full_deserialization() {
        // Debug builds of the full deserialization need a deep stack for the
        // nested documents.
        std::thread::Builder::new()
            .stack_size(256 << 20)
            .spawn(fast_reader_agrees)
            .unwrap()
            .join()
            .unwrap();
    }

    fn fast_reader_agrees() {
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
        let mut texts: Vec<(String, String)> = Vec::new();
        let mut folders = vec![
            root.join("environments"),
            root.join("tests"),
            root.join("golden"),
            root.join("prices"),
        ];
        while let Some(dir) = folders.pop() {
            let Ok(read) = std::fs::read_dir(&dir) else {
                continue;
            };
            for entry in read.flatten() {
                let path = entry.path();
                if path.is_dir() {
                    folders.push(path);
                } else if path.extension().is_some_and(|e| e == "yaml" || e == "yml") {
                    if let Ok(text) = std::fs::read_to_string(&path) {
                        texts.push((path.display().to_string(), text));
                    }
                }
            }
        }
        assert!(texts.len() > 50, "found only {} YAML files", texts.len());
        let awkward = [
            "a: 1",
            "a: -1",
            "a: 0",
            "a: -0",
            "a: 007",
            "a: 0x1F",
            "a: 0o17",
            "a: 1_000",
            "a: 1.5",
            "a: -0.25",
            "a: 1.",
            "a: .5",
            "a: 1e3",
            "a: 1.0e3",
            "a: 12345678901234567890",
            "a: -9223372036854775808",
            "a: 9223372036854775807",
            "a: 9223372036854775808",
            "a: true",
            "a: True",
            "a: TRUE",
            "a: yes",
            "a: No",
            "a: on",
            "a: y",
            "a: n",
            "a: null",
            "a: Null",
            "a: ~",
            "a:",
            "a: ''",
            "a: \"\"",
            "a: .inf",
            "a: -.Inf",
            "a: .nan",
            "a: +.nan",
            "a: nan",
            "a: inf",
            "a: Infinity",
            "a: 1.0.0",
            "a: v1",
            "a: 'quoted'",
            "a: \"tab\\there\"",
            "a: |\n  block\n  text\n",
            "a: >\n  folded\n  text\n",
            "a: [1, 'x', {b: c}]",
            "a: {}",
            "a: []",
            "- 1\n- two\n- [3]\n",
            "~",
            "",
            "# only a comment\n",
            "'1': x",
            "80: http",
            "true: x",
            "null: x",
            "~: x",
            "'': x",
            "<<: {a: 1}",
            "a: &x 1\nb: *x\n",
            "a: !!str 1",
            "a: !custom x",
            "a: 1\na: 2\n",
            "---\na: 1\n---\nb: 2\n",
            "---\na: 1\n...\n",
            "\u{feff}a: 1",
            "a: 1\r\nb: 2\r\n",
            "a:\n  b:\n    c: [x, 2.5]\n  d: ~\n",
            "x: caf\u{e9}\ny: \u{65e5}\u{672c}: 1\n",
            "{a: 1, b: [2, 3]}",
            "a: 'it''s'",
            "a: -",
            "a: +1",
            "a: -foo",
            "a: 2026-12-07",
            "a: 12:30",
            "a: 1:2:3",
            "a: 0.1e-2",
            "? complex\n: key\n",
            "[1]: x",
        ];
        for (i, doc) in awkward.iter().enumerate() {
            texts.push((format!("awkward #{i}"), (*doc).to_owned()));
        }
        // Deep nesting, and one near the budget.
        texts.push((
            "deep".to_owned(),
            "a: ".to_owned() + &"[".repeat(60) + &"]".repeat(60),
        ));
        texts.push((
            "wide".to_owned(),
            (0..2000).map(|i| format!("k{i}: {i}\n")).collect(),
        ));
        let mut fast = 0;
        for (name, text) in &texts {
            let file = Arc::from(name.as_str());
            let full = parse_fully(&file, text, DEFAULT_MAX_NODES.max(text.len() / 2));
            let Some(tree) = events::parse(&file, text, DEFAULT_MAX_NODES.max(text.len() / 2))
            else {
                assert!(
                    !name.starts_with(&root.join("environments").display().to_string()),
                    "{name}: a spec the fast reader should read"
                );
                continue;
            };
            fast += 1;
            match full {
                Ok(full) => assert!(
                    tree == full,
                    "{name}: the fast reader differs:\n{tree:#?}\nfull:\n{full:#?}"
                ),
                Err(err) => panic!(
                    "{name}: the fast reader accepts what the full one refuses: {}",
                    err.message
                ),
            }
        }
        // The fast reader is the common path: the specs and generated files take it.
        assert!(
            fast * 2 > texts.len(),
            "the fast reader read {fast} of {} documents",
            texts.len()
        );
        // A budget the fast reader cannot keep to within its margin goes the full way.
        let file = Arc::from("budget.yaml");
        assert!(events::parse(&file, "[1, 2, 3, 4]", 8).is_none());
        assert!(events::parse(&file, "[1, 2, 3, 4]", 32).is_some());
    }

    #[test]
    fn non_string_keys_are_rejected() {
        // `[1]: x` has a sequence as key, which no spec field accepts.
        assert!(parse(&file(), "[1]: x\n").is_err());
    }
}
