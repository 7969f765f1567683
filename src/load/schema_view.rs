//! The merged YAML tree as the JSON Schema validator reads it: jsonschema's
//! own representation trait (`jsonschema::json::Json`), implemented over
//! [`Node`]s, so the schema check runs on the tree the spec was parsed into,
//! with no JSON copy of it.
//!
//! It reads the tree exactly as the JSON conversion did ([`super::to_json_value`],
//! still used for the cold paths: error instances): integers are JSON
//! integers, a float JSON cannot hold (`.nan`, `.inf`) is `null`, keys are
//! strings in document order.

use std::borrow::Cow;

use jsonschema::json::{Array, Json, Node as JsonNode, NodeIdentity, Object};
use jsonschema::types::JsonType;
use serde_json::Value as J;

use super::yaml::{Key, Node, Value};

/// The representation: nodes of a parsed spec.
pub struct Tree;

/// One value the validator visits: a node of the tree, or a mapping key
/// (`propertyNames` checks keys as string values).
#[derive(Clone, Copy)]
pub enum View<'a> {
    Node(&'a Node),
    Name(&'a str),
}

impl<'a> View<'a> {
    /// The node's value as JSON sees it ([`Node::as_json`]); a key has none.
    fn value(self) -> Option<&'a Value> {
        match self {
            View::Node(node) => Some(node.as_json()),
            View::Name(_) => None,
        }
    }
}

impl Json for Tree {
    type Node<'a> = View<'a>;
    type PreparedKey = Box<str>;
    type StringBuffer = ();

    // A mapping is a vector in document order: one pass over its keys costs
    // no more than a lookup.
    const KEYS_PER_LOOKUP: usize = 64;
    // Aliases are expanded into copies: no node is its own descendant.
    const ACYCLIC: bool = true;

    fn prepare_key(key: &str) -> Box<str> {
        key.into()
    }

    fn with_string_node<T>((): &mut (), string: &str, f: impl FnOnce(View<'_>) -> T) -> T {
        f(View::Name(string))
    }
}

impl<'a> JsonNode<'a, Tree> for View<'a> {
    type Object = Members<'a>;
    type Array = Items<'a>;
    type Number = serde_json::Number;

    fn as_object(&self) -> Option<Members<'a>> {
        match self.value() {
            Some(Value::Map(entries)) => Some(Members(entries)),
            _ => None,
        }
    }

    fn as_array(&self) -> Option<Items<'a>> {
        match self.value() {
            Some(Value::Seq(items)) => Some(Items(items)),
            _ => None,
        }
    }

    fn as_string(&self) -> Option<Cow<'a, str>> {
        match self {
            View::Name(name) => Some(Cow::Borrowed(name)),
            View::Node(_) => match self.value() {
                Some(Value::Str(s)) => Some(Cow::Borrowed(s)),
                _ => None,
            },
        }
    }

    fn as_number(&self) -> Option<serde_json::Number> {
        match self.value() {
            Some(Value::Int(i)) => Some(serde_json::Number::from(*i)),
            Some(Value::Float(f)) => serde_json::Number::from_f64(*f),
            _ => None,
        }
    }

    fn as_boolean(&self) -> Option<bool> {
        match self.value() {
            Some(Value::Bool(b)) => Some(*b),
            _ => None,
        }
    }

    fn is_null(&self) -> bool {
        self.json_type() == JsonType::Null
    }

    fn json_type(&self) -> JsonType {
        match self {
            View::Name(_) => JsonType::String,
            View::Node(_) => match self.value() {
                None | Some(Value::Null) => JsonType::Null,
                Some(Value::Bool(_)) => JsonType::Boolean,
                Some(Value::Int(_) | Value::Float(_)) => JsonType::Number,
                Some(Value::Str(_)) => JsonType::String,
                Some(Value::Seq(_)) => JsonType::Array,
                Some(Value::Map(_)) => JsonType::Object,
            },
        }
    }

    fn to_value(&self) -> Cow<'a, J> {
        Cow::Owned(match self {
            View::Node(node) => super::to_json_value(node),
            View::Name(name) => J::String((*name).to_owned()),
        })
    }

    fn identity(&self) -> Option<NodeIdentity> {
        match self {
            View::Node(node) => Some(NodeIdentity::new(std::ptr::from_ref::<Node>(node) as usize)),
            View::Name(_) => None,
        }
    }
}

/// The entries of a mapping, in document order.
#[derive(Clone, Copy)]
pub struct Members<'a>(&'a [(Key, Node)]);

impl<'a> Object<'a, Tree> for Members<'a> {
    type Node = View<'a>;
    type MemberName = &'a str;
    type MembersIter = std::iter::Map<
        std::slice::Iter<'a, (Key, Node)>,
        fn(&'a (Key, Node)) -> (&'a str, View<'a>),
    >;

    fn len(&self) -> usize {
        self.0.len()
    }

    fn get(&self, key: &Box<str>) -> Option<View<'a>> {
        self.0
            .iter()
            .find(|(k, _)| *k.name == **key)
            .map(|(_, v)| View::Node(v))
    }

    fn members(&self) -> Self::MembersIter {
        self.0.iter().map(|(k, v)| (k.name.as_str(), View::Node(v)))
    }
}

/// The items of a sequence.
#[derive(Clone, Copy)]
pub struct Items<'a>(&'a [Node]);

impl<'a> Array<'a, Tree> for Items<'a> {
    type Node = View<'a>;
    type ElementsIter = std::iter::Map<std::slice::Iter<'a, Node>, fn(&'a Node) -> View<'a>>;

    fn len(&self) -> usize {
        self.0.len()
    }

    fn elements(&self) -> Self::ElementsIter {
        self.0.iter().map(View::Node)
    }
}
