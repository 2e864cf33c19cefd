//! A loosely typed YAML tree with a location on every node.
//!
//! The spec is first read into this tree instead of a `#[serde(deny_unknown_fields)]` struct:
//! serde stops at the first unknown key or type mismatch, while walking a tree lets
//! [`super::validate`] report every problem in one pass. Only YAML syntax errors and budget
//! breaches stop early.

use std::fmt;

use serde::de::{self, Deserialize, Deserializer, MapAccess, SeqAccess, Visitor};
use serde_saphyr::Spanned;

/// One YAML node as serde-saphyr resolved it (YAML 1.2 core schema, strict booleans).
#[derive(Debug)]
pub(super) enum Node {
    /// A string scalar (quoted, or plain and not a number, boolean or null).
    Str(String),
    /// An integer scalar that fits in `i128`.
    Int(i128),
    /// Any other number (float, or an integer too large for `i128`).
    Num,
    /// `true` or `false` (any case variant allowed by the core schema).
    Bool(bool),
    /// `null`, `~` or an empty value.
    Null,
    /// A sequence.
    Seq(Vec<Spanned<Node>>),
    /// A mapping, in source order; duplicate keys are kept so the validator can report them.
    Map(Vec<(Spanned<Node>, Spanned<Node>)>),
}

impl Node {
    /// What this node is, for "expected X, got Y" messages (scalars are quoted by the caller).
    pub(super) fn kind(&self) -> &'static str {
        match self {
            Node::Str(_) => "string",
            Node::Int(_) | Node::Num => "number",
            Node::Bool(_) => "boolean",
            Node::Null => "null",
            Node::Seq(_) => "a list",
            Node::Map(_) => "a mapping",
        }
    }
}

impl<'de> Deserialize<'de> for Node {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_any(NodeVisitor)
    }
}

struct NodeVisitor;

impl<'de> Visitor<'de> for NodeVisitor {
    type Value = Node;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a YAML scalar, list or mapping")
    }

    fn visit_bool<E: de::Error>(self, v: bool) -> Result<Node, E> {
        Ok(Node::Bool(v))
    }

    fn visit_i64<E: de::Error>(self, v: i64) -> Result<Node, E> {
        Ok(Node::Int(i128::from(v)))
    }

    fn visit_u64<E: de::Error>(self, v: u64) -> Result<Node, E> {
        Ok(Node::Int(i128::from(v)))
    }

    fn visit_i128<E: de::Error>(self, v: i128) -> Result<Node, E> {
        Ok(Node::Int(v))
    }

    fn visit_u128<E: de::Error>(self, v: u128) -> Result<Node, E> {
        Ok(i128::try_from(v).map_or(Node::Num, Node::Int))
    }

    fn visit_f64<E: de::Error>(self, _v: f64) -> Result<Node, E> {
        Ok(Node::Num)
    }

    fn visit_char<E: de::Error>(self, v: char) -> Result<Node, E> {
        Ok(Node::Str(v.to_string()))
    }

    fn visit_str<E: de::Error>(self, v: &str) -> Result<Node, E> {
        Ok(Node::Str(v.to_owned()))
    }

    fn visit_string<E: de::Error>(self, v: String) -> Result<Node, E> {
        Ok(Node::Str(v))
    }

    fn visit_unit<E: de::Error>(self) -> Result<Node, E> {
        Ok(Node::Null)
    }

    fn visit_none<E: de::Error>(self) -> Result<Node, E> {
        Ok(Node::Null)
    }

    fn visit_some<D: Deserializer<'de>>(self, deserializer: D) -> Result<Node, D::Error> {
        Node::deserialize(deserializer)
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Node, A::Error> {
        let mut items = Vec::new();
        while let Some(item) = seq.next_element()? {
            items.push(item);
        }
        Ok(Node::Seq(items))
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Node, A::Error> {
        let mut entries = Vec::new();
        while let Some(key) = map.next_key()? {
            let value = map.next_value()?;
            entries.push((key, value));
        }
        Ok(Node::Map(entries))
    }
}
