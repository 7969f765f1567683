//! The common case of [`super::parse`], fast: the parser's events
//! (granit-parser, which serde-saphyr parses with and re-exports) straight
//! into [`Node`]s, without serde's visitor machinery around every value.
//!
//! It reads only what it can read exactly as serde-saphyr's own
//! deserialization does (serde-saphyr 2.2.0, `YamlDeserializer::deserialize_any`):
//! one document of mappings with string keys, sequences and scalars, no
//! anchors, aliases, tags or merge keys, and plain scalars whose type is beyond
//! doubt. For anything else, and for every error, it answers `None`, and the
//! full deserialization runs: it decides, and words the message. A test holds
//! the two to the same trees, positions included.

use std::sync::Arc;

use serde_saphyr::granit_parser::{Event, Parser, ScalarStyle, Span};

use super::{Key, Node, Value};
use crate::error::Origin;

/// Deeper than this, the full deserialization decides (its limit is 64).
const MAX_DEPTH: usize = 48;

/// `text` as a tree, when it holds only what this reader reads exactly; the
/// budget is serde-saphyr's (`max_nodes` values, four events a value), with
/// room to spare, so a document near it goes the full way.
pub(super) fn parse(file: &Arc<str>, text: &str, max_nodes: usize) -> Option<Node> {
    let mut reader = Reader {
        parser: Parser::new_from_str(text),
        file,
        nodes_left: max_nodes / 2,
        events_left: max_nodes.saturating_mul(4) / 2,
    };
    if !matches!(reader.next()?.0, Event::StreamStart) {
        return None;
    }
    if !matches!(reader.next()?.0, Event::DocumentStart(..)) {
        return None;
    }
    let (event, span) = reader.next()?;
    let root = reader.node(event, span, 0)?;
    if !matches!(reader.next()?.0, Event::DocumentEnd) {
        return None;
    }
    if !matches!(reader.next()?.0, Event::StreamEnd) {
        return None;
    }
    Some(root)
}

struct Reader<'t> {
    parser: Parser<'t, serde_saphyr::granit_parser::StrInput<'t>>,
    file: &'t Arc<str>,
    nodes_left: usize,
    events_left: usize,
}

impl<'t> Reader<'t> {
    fn next(&mut self) -> Option<(Event<'t>, Span)> {
        self.events_left = self.events_left.checked_sub(1)?;
        self.parser.next_event()?.ok()
    }

    /// Where a value or key starts, as serde-saphyr reports it.
    fn origin(&self, span: &Span) -> Option<Origin> {
        let offset = span.start.byte_offset()?;
        let len = span.end.byte_offset()?.saturating_sub(offset);
        Some(Origin {
            file: self.file.clone(),
            line: u32::try_from(span.start.line().max(1)).ok()?,
            column: u32::try_from(span.start.col() + 1).ok()?,
            offset,
            len,
        })
    }

    fn node(&mut self, event: Event<'t>, span: Span, depth: usize) -> Option<Node> {
        self.nodes_left = self.nodes_left.checked_sub(1)?;
        if depth > MAX_DEPTH {
            return None;
        }
        let origin = self.origin(&span)?;
        let value = match event {
            Event::Scalar(text, style, 0, None) => scalar(text, style)?,
            Event::SequenceStart(_, 0, None) => {
                let mut items = Vec::new();
                loop {
                    match self.next()? {
                        (Event::SequenceEnd, _) => break,
                        (event, span) => items.push(self.node(event, span, depth + 1)?),
                    }
                }
                Value::Seq(items)
            }
            Event::MappingStart(_, 0, None) => Value::Map(self.entries(depth)?),
            _ => return None,
        };
        Some(Node { value, origin })
    }

    fn entries(&mut self, depth: usize) -> Option<Vec<(Key, Node)>> {
        let mut entries: Vec<(Key, Node)> = Vec::new();
        loop {
            let (event, span) = self.next()?;
            let name = match event {
                Event::MappingEnd => return unique(entries),
                Event::Scalar(name, style, 0, None) if plain_key(&name, style) => name,
                _ => return None,
            };
            self.nodes_left = self.nodes_left.checked_sub(1)?;
            let key = Key {
                origin: self.origin(&span)?,
                name: name.into_owned(),
            };
            // A duplicate key is an error, which the full deserialization
            // words (wide mappings are checked once, at their end).
            if entries.len() < WIDE && entries.iter().any(|(k, _)| k.name == key.name) {
                return None;
            }
            let (event, span) = self.next()?;
            let value = self.node(event, span, depth + 1)?;
            entries.push((key, value));
        }
    }
}

/// Mappings with more keys are checked for duplicates by sorting their names.
const WIDE: usize = 16;

/// `entries`, unless a key is there twice.
fn unique(entries: Vec<(Key, Node)>) -> Option<Vec<(Key, Node)>> {
    if entries.len() > WIDE {
        let mut names: Vec<&str> = entries.iter().map(|(k, _)| k.name.as_str()).collect();
        names.sort_unstable();
        if names.windows(2).any(|pair| pair[0] == pair[1]) {
            return None;
        }
    }
    Some(entries)
}

/// A key read as the string it is written as: quoted, or plain and not one
/// that may be read otherwise (null, a merge key).
fn plain_key(name: &str, style: ScalarStyle) -> bool {
    match style {
        ScalarStyle::SingleQuoted | ScalarStyle::DoubleQuoted => true,
        ScalarStyle::Plain => {
            !name.is_empty() && name != "<<" && !special_word(name) && name.trim() == name
        }
        _ => false,
    }
}

/// Words some YAML schema reads as other than a string (YAML 1.1 booleans,
/// nulls, infinities and NaN, in any case).
fn special_word(text: &str) -> bool {
    const WORDS: &[&str] = &[
        "y",
        "n",
        "yes",
        "no",
        "on",
        "off",
        "true",
        "false",
        "null",
        "~",
        "nan",
        "inf",
        "infinity",
        ".nan",
        ".inf",
        "+.inf",
        "-.inf",
        "+inf",
        "-inf",
        "+infinity",
        "-infinity",
    ];
    text.len() <= 9 && WORDS.iter().any(|w| text.eq_ignore_ascii_case(w))
}

/// A scalar's value, when its type is beyond doubt; `None` leaves it to the
/// full deserialization.
fn scalar(text: std::borrow::Cow<'_, str>, style: ScalarStyle) -> Option<Value> {
    if style != ScalarStyle::Plain {
        return match style {
            ScalarStyle::SingleQuoted
            | ScalarStyle::DoubleQuoted
            | ScalarStyle::Literal
            | ScalarStyle::Folded => Some(Value::Str(text.into_owned())),
            _ => None,
        };
    }
    match text.as_ref() {
        "" | "~" | "null" => return Some(Value::Null),
        "true" => return Some(Value::Bool(true)),
        "false" => return Some(Value::Bool(false)),
        _ => {}
    }
    if special_word(&text) || text.trim() != text {
        return None;
    }
    let first = text.as_bytes()[0];
    if first.is_ascii_digit() || matches!(first, b'-' | b'+' | b'.') {
        return number(text);
    }
    Some(Value::Str(text.into_owned()))
}

/// A scalar that starts like a number: `12`, `-3` and `0.5` (decimal
/// integers without leading zeros, decimal fractions), or a string that no
/// schema reads as a number; every other spelling is left to the full path.
fn number(text: std::borrow::Cow<'_, str>) -> Option<Value> {
    let unsigned = text.strip_prefix(['+', '-']).unwrap_or(&text);
    if matches!(
        unsigned.as_bytes(),
        [b'0', b'x' | b'X' | b'o' | b'O' | b'b' | b'B', ..]
    ) {
        return None;
    }
    // Past a radix prefix, no integer or float of any YAML schema holds
    // another character than digits, signs, `.`, an exponent, `_`, and `:`
    // of YAML 1.1's base 60: `8GiB`, `15d` and `0.0.0.0/0` are strings.
    const NUMERIC: &str = "0123456789.+-_:eE";
    if text.chars().any(|c| !NUMERIC.contains(c)) {
        return Some(Value::Str(text.into_owned()));
    }
    let digits = text.strip_prefix('-').unwrap_or(&text);
    let (whole, fraction) = match digits.split_once('.') {
        Some((whole, fraction)) => (whole, Some(fraction)),
        None => (digits, None),
    };
    let decimal = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit());
    if !decimal(whole) || (whole.len() > 1 && whole.starts_with('0')) {
        return None;
    }
    match fraction {
        None => text.parse::<i64>().ok().map(Value::Int),
        Some(fraction) if decimal(fraction) && text.len() <= 17 => {
            text.parse::<f64>().ok().map(Value::Float)
        }
        Some(_) => None,
    }
}
