//! Kubernetes manifests as values in the order a reader expects (`apiVersion`,
//! `kind`, `metadata`, `spec`), written as block YAML. Every string goes
//! through [`render::yaml_str`], the one YAML escaping layer; text that spans
//! lines (a config file in a ConfigMap) becomes a literal block.

use crate::render;

/// A YAML value whose maps keep the order they were built in.
#[derive(Debug, Clone, PartialEq)]
pub enum Y {
    Str(String),
    Int(i64),
    Bool(bool),
    Map(Vec<(String, Y)>),
    Seq(Vec<Y>),
}

impl Y {
    /// A map from `(key, value)` pairs, in this order.
    pub fn map<K: Into<String>>(entries: impl IntoIterator<Item = (K, Y)>) -> Y {
        Y::Map(entries.into_iter().map(|(k, v)| (k.into(), v)).collect())
    }

    pub fn seq(items: impl IntoIterator<Item = Y>) -> Y {
        Y::Seq(items.into_iter().collect())
    }

    /// Adds an entry to a map (does nothing to other values).
    pub fn push(&mut self, key: &str, value: Y) {
        if let Y::Map(entries) = self {
            entries.push((key.to_owned(), value));
        }
    }

    fn is_scalar(&self) -> bool {
        match self {
            Y::Map(m) => m.is_empty(),
            Y::Seq(s) => s.is_empty(),
            _ => true,
        }
    }
}

pub fn s(text: impl Into<String>) -> Y {
    Y::Str(text.into())
}

pub fn i(n: impl TryInto<i64>) -> Y {
    Y::Int(n.try_into().unwrap_or(i64::MAX))
}

/// Documents separated by `---`, each ending with a newline.
pub fn documents(docs: &[Y]) -> String {
    let mut out = String::new();
    for (n, doc) in docs.iter().enumerate() {
        if n > 0 {
            out.push_str("---\n");
        }
        block(&mut out, doc, 0);
    }
    out
}

fn pad(out: &mut String, indent: usize) {
    out.extend(std::iter::repeat_n(' ', indent));
}

/// A scalar (or an empty collection) on the current line.
fn scalar(out: &mut String, value: &Y, indent: usize) {
    match value {
        Y::Str(text) if text.contains('\n') => literal(out, text, indent),
        Y::Str(text) => out.push_str(&render::yaml_str(text)),
        Y::Int(n) => out.push_str(&n.to_string()),
        Y::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
        Y::Map(_) => out.push_str("{}"),
        Y::Seq(_) => out.push_str("[]"),
    }
}

/// A literal block (`|`) holding `text` verbatim, when YAML can: no control
/// characters but tab and newline, and an indentation indicator when the first
/// line starts with a space. Otherwise a double-quoted scalar.
fn literal(out: &mut String, text: &str, indent: usize) {
    let trailing = text.len() - text.trim_end_matches('\n').len();
    let writable = !text
        .chars()
        .any(|c| c.is_control() && c != '\n' && c != '\t')
        && !text.trim_end_matches('\n').is_empty()
        && !text
            .lines()
            .any(|l| l.trim_end_matches([' ', '\t']) != l && l.trim().is_empty());
    if !writable {
        out.push_str(&render::yaml_str(text));
        return;
    }
    out.push('|');
    if text.starts_with(' ') {
        out.push('2');
    }
    match trailing {
        0 => out.push('-'),
        1 => {}
        _ => out.push('+'),
    }
    let body = if trailing == 1 {
        &text[..text.len() - 1]
    } else {
        text.trim_end_matches('\n')
    };
    for line in body.split('\n') {
        out.push('\n');
        if !line.is_empty() {
            pad(out, indent + 2);
            out.push_str(line);
        }
    }
    for _ in 1..trailing {
        out.push('\n');
    }
    out.push('\n');
}

/// `value` as a block at `indent`, starting on a fresh line.
fn block(out: &mut String, value: &Y, indent: usize) {
    match value {
        Y::Map(entries) if !entries.is_empty() => {
            for (key, v) in entries {
                pad(out, indent);
                entry(out, key, v, indent);
            }
        }
        Y::Seq(items) if !items.is_empty() => {
            for item in items {
                pad(out, indent);
                out.push_str("- ");
                match item {
                    Y::Map(entries) if !entries.is_empty() => {
                        for (n, (key, v)) in entries.iter().enumerate() {
                            if n > 0 {
                                pad(out, indent + 2);
                            }
                            entry(out, key, v, indent + 2);
                        }
                    }
                    Y::Seq(_) if !item.is_scalar() => {
                        out.truncate(out.len() - 1);
                        out.push('\n');
                        block(out, item, indent + 2);
                    }
                    _ => line_end(out, item, indent + 2),
                }
            }
        }
        _ => line_end(out, value, indent),
    }
}

/// `key: value`, the value on this line or below it.
fn entry(out: &mut String, key: &str, value: &Y, indent: usize) {
    out.push_str(&render::yaml_str(key));
    out.push(':');
    if value.is_scalar() {
        out.push(' ');
        line_end(out, value, indent);
    } else {
        out.push('\n');
        let inner = if matches!(value, Y::Seq(_)) {
            indent
        } else {
            indent + 2
        };
        block(out, value, inner);
    }
}

fn line_end(out: &mut String, value: &Y, indent: usize) {
    scalar(out, value, indent);
    if !out.ends_with('\n') {
        out.push('\n');
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn block_yaml_reads_back_as_the_same_values() {
        let doc = Y::map([
            ("apiVersion", s("v1")),
            ("kind", s("ConfigMap")),
            (
                "data",
                Y::map([
                    ("prometheus.yml", s("global:\n  scrape_interval: 15s\n")),
                    ("odd", s(" leading\n\nno newline")),
                    ("yes", s("true")),
                    ("quote", s("it's \"x\"")),
                ]),
            ),
            (
                "list",
                Y::seq([
                    Y::map([("a", i(1)), ("b", Y::seq([s("x"), s("y")]))]),
                    s("z"),
                    Y::seq([]),
                ]),
            ),
            ("empty", Y::map::<&str>([])),
        ]);
        let text = documents(&[doc.clone(), Y::map([("b", Y::Bool(false))])]);
        let docs: Vec<serde_json::Value> = serde_saphyr::from_multiple(&text).unwrap();
        assert_eq!(docs.len(), 2, "{text}");
        let d = &docs[0];
        assert_eq!(
            d["data"]["prometheus.yml"], "global:\n  scrape_interval: 15s\n",
            "{text}"
        );
        assert_eq!(d["data"]["odd"], " leading\n\nno newline", "{text}");
        assert_eq!(d["data"]["yes"], "true", "{text}");
        assert_eq!(d["data"]["quote"], "it's \"x\"", "{text}");
        assert_eq!(d["list"][0]["b"][1], "y", "{text}");
        assert_eq!(d["list"][1], "z", "{text}");
        assert_eq!(d["list"][2], serde_json::json!([]), "{text}");
        assert_eq!(d["empty"], serde_json::json!({}), "{text}");
        assert_eq!(docs[1]["b"], false);
        assert!(text.contains("prometheus.yml: |\n    global:\n"), "{text}");
    }
}
