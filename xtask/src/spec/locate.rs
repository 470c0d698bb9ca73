//! Finds the line and column of a path inside the YAML text.
//!
//! yaml_serde stamps an error with the position of the node being read when it is raised. So we walk
//! the document with a `DeserializeSeed` that follows the path and raises an error on the node it points
//! at: the error's location is the node's position. No second YAML parser, no guessing from indentation.

use std::fmt;

use serde::de::{self, DeserializeSeed, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};

use super::Segment;

/// 1-based line and column of the node at `path`, or of its nearest ancestor that exists.
pub fn locate(text: &str, path: &[Segment]) -> Option<(usize, usize)> {
    let err = Seek { path }
        .deserialize(yaml_serde::Deserializer::from_str(text))
        .err()?;
    err.location().map(|l| (l.line(), l.column()))
}

/// The path of the deepest node that starts at or before `(line, column)` and holds it: the way
/// back from a position (a deserializer's error) to the document's path. Descends one level at a
/// time, locating each child, so it costs a few parses per level, not one per node.
pub fn path_at(text: &str, doc: &serde_json::Value, position: (usize, usize)) -> Vec<Segment> {
    let mut path: Vec<Segment> = vec![];
    let mut node = doc;
    loop {
        let children: Vec<(Segment, &serde_json::Value)> = match node {
            serde_json::Value::Object(map) => map
                .iter()
                .map(|(k, v)| (Segment::Key(k.clone()), v))
                .collect(),
            serde_json::Value::Array(list) => list
                .iter()
                .enumerate()
                .map(|(i, v)| (Segment::Index(i), v))
                .collect(),
            _ => return path,
        };
        let mut best: Option<((usize, usize), Segment, &serde_json::Value)> = None;
        for (segment, child) in children {
            let mut child_path = path.clone();
            child_path.push(segment.clone());
            let Some(at) = locate(text, &child_path) else {
                continue;
            };
            if at <= position && best.as_ref().is_none_or(|(b, _, _)| at > *b) {
                best = Some((at, segment, child));
            }
        }
        match best {
            Some((_, segment, child)) => {
                path.push(segment);
                node = child;
            }
            None => return path,
        }
    }
}

/// `visit_*` methods that raise the error on any scalar node.
macro_rules! found_on_scalars {
    () => {
        fn visit_str<E: de::Error>(self, _: &str) -> Result<(), E> {
            Err(E::custom(FOUND))
        }
        fn visit_i64<E: de::Error>(self, _: i64) -> Result<(), E> {
            Err(E::custom(FOUND))
        }
        fn visit_u64<E: de::Error>(self, _: u64) -> Result<(), E> {
            Err(E::custom(FOUND))
        }
        fn visit_f64<E: de::Error>(self, _: f64) -> Result<(), E> {
            Err(E::custom(FOUND))
        }
        fn visit_bool<E: de::Error>(self, _: bool) -> Result<(), E> {
            Err(E::custom(FOUND))
        }
        fn visit_unit<E: de::Error>(self) -> Result<(), E> {
            Err(E::custom(FOUND))
        }
    };
}

struct Seek<'p> {
    path: &'p [Segment],
}

const FOUND: &str = "found";

impl<'de> DeserializeSeed<'de> for Seek<'_> {
    type Value = ();

    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        match self.path.first() {
            None => d.deserialize_any(Found),
            Some(Segment::Key(_)) => d.deserialize_map(self),
            Some(Segment::Index(_)) => d.deserialize_seq(self),
        }
    }
}

impl<'de> Visitor<'de> for Seek<'_> {
    type Value = ();

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("the path to follow")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        let Some((Segment::Key(wanted), rest)) = self.path.split_first() else {
            return Err(de::Error::custom(FOUND));
        };
        while let Some(key) = map.next_key::<ScalarText>()? {
            if key.0 == *wanted {
                return map.next_value_seed(Seek { path: rest });
            }
            map.next_value::<IgnoredAny>()?;
        }
        // The key is not there: the map itself is the nearest place to point at.
        Err(de::Error::custom(FOUND))
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
        let Some((Segment::Index(wanted), rest)) = self.path.split_first() else {
            return Err(de::Error::custom(FOUND));
        };
        for _ in 0..*wanted {
            if seq.next_element::<IgnoredAny>()?.is_none() {
                return Err(de::Error::custom(FOUND));
            }
        }
        match seq.next_element_seed(Seek { path: rest })? {
            Some(()) | None => Err(de::Error::custom(FOUND)),
        }
    }

    // A scalar where the path expects a map or a list: point at the scalar.
    found_on_scalars!();
}

/// Raises the error on whatever node it is given.
struct Found;

impl<'de> Visitor<'de> for Found {
    type Value = ();

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("any node")
    }
    fn visit_map<A: MapAccess<'de>>(self, _: A) -> Result<(), A::Error> {
        Err(de::Error::custom(FOUND))
    }
    fn visit_seq<A: SeqAccess<'de>>(self, _: A) -> Result<(), A::Error> {
        Err(de::Error::custom(FOUND))
    }
    found_on_scalars!();
}

/// A mapping key read as text, whatever its YAML type (`200:` and `'200':` are the same key here).
struct ScalarText(String);

impl<'de> de::Deserialize<'de> for ScalarText {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct Text;
        impl Visitor<'_> for Text {
            type Value = ScalarText;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a scalar key")
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<ScalarText, E> {
                Ok(ScalarText(v.to_owned()))
            }
            fn visit_i64<E: de::Error>(self, v: i64) -> Result<ScalarText, E> {
                Ok(ScalarText(v.to_string()))
            }
            fn visit_u64<E: de::Error>(self, v: u64) -> Result<ScalarText, E> {
                Ok(ScalarText(v.to_string()))
            }
            fn visit_f64<E: de::Error>(self, v: f64) -> Result<ScalarText, E> {
                Ok(ScalarText(v.to_string()))
            }
            fn visit_bool<E: de::Error>(self, v: bool) -> Result<ScalarText, E> {
                Ok(ScalarText(v.to_string()))
            }
            fn visit_unit<E: de::Error>(self) -> Result<ScalarText, E> {
                Ok(ScalarText("null".to_owned()))
            }
        }
        d.deserialize_any(Text)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::spec::Segment::{Index, Key};

    const DOC: &str = "openapi: 3.0.3\npaths:\n  /a/{id}:\n    get:\n      parameters:\n        - name: id\n          schema:\n            maxLength: \"16\"\n      responses:\n        200:\n          description: ok\n";

    fn key(k: &str) -> Segment {
        Key(k.to_owned())
    }

    #[test]
    fn finds_a_nested_scalar_through_lists() {
        let path = [
            key("paths"),
            key("/a/{id}"),
            key("get"),
            key("parameters"),
            Index(0),
            key("schema"),
            key("maxLength"),
        ];
        assert_eq!(locate(DOC, &path), Some((8, 24)));
    }

    #[test]
    fn finds_integer_keys_and_falls_back_to_the_nearest_ancestor() {
        let ok = [
            key("paths"),
            key("/a/{id}"),
            key("get"),
            key("responses"),
            key("200"),
            key("description"),
        ];
        assert_eq!(locate(DOC, &ok).map(|p| p.0), Some(11));
        let missing = [key("paths"), key("/a/{id}"), key("get"), key("nope")];
        assert_eq!(
            locate(DOC, &missing).map(|p| p.0),
            Some(5),
            "points at the `get` map's first entry"
        );
    }
}
