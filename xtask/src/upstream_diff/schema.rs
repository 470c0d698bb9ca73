//! A schema as a tree of field facts, following `$ref` and `allOf` (with `nullable` and siblings
//! beside them), with cycle protection. Tolerant: what is not a schema is read the way its author
//! meant it where that is clear (a bare type name `"string"` is `{type: string}`), else ignored;
//! each such reading is kept as a quirk of the field.

use std::collections::BTreeSet;

use serde_json::Value;

use super::facts::{Facts, Tree};
use super::load::Doc;

/// Deeper than this, a schema is not walked (no real API nests so deep; a guard, not a rule).
const MAX_DEPTH: usize = 48;

/// One schema with its `$ref`s and `allOf`s merged.
#[derive(Default)]
struct Flat<'a> {
    ty: Option<String>,
    format: Option<String>,
    enum_values: Option<&'a Vec<Value>>,
    props: Vec<(&'a str, &'a Value)>,
    required: BTreeSet<&'a str>,
    items: Option<&'a Value>,
    /// The `$ref`s followed to get here (pushed on the stack for what is below).
    refs: Vec<String>,
    recursive: bool,
    quirks: Vec<String>,
}

pub struct Walker<'d> {
    pub doc: &'d Doc,
    stack: Vec<String>,
}

impl<'d> Walker<'d> {
    pub fn new(doc: &'d Doc) -> Self {
        Walker {
            doc,
            stack: Vec::new(),
        }
    }

    /// Records the field at `path` and everything below it.
    pub fn field<'a>(&mut self, schema: &'a Value, path: &str, required: bool, out: &mut Tree)
    where
        'd: 'a,
    {
        let flat = self.flatten(schema);
        let mut facts = Facts {
            ty: flat.ty.clone(),
            format: flat.format.clone(),
            enum_values: flat.enum_values.map(|v| enum_set(v)),
            required,
            items_unknown: false,
            recursive: flat.recursive,
            quirks: flat.quirks.clone(),
        };
        if facts.ty.as_deref() == Some("string")
            && flat
                .enum_values
                .is_some_and(|v| v.iter().any(|v| !v.is_string() && !v.is_null()))
        {
            facts
                .quirks
                .push("a string enum holding non-strings".to_owned());
        }
        if facts.ty.as_deref() == Some("array") && flat.items.is_none() {
            facts.items_unknown = true;
            facts.quirks.push("array without items".to_owned());
        }
        out.insert(path.to_owned(), facts);
        self.below(&flat, path, out);
    }

    /// Records the properties of `schema` (not the schema itself) under `prefix`.
    pub fn properties<'a>(&mut self, schema: &'a Value, prefix: &str, out: &mut Tree)
    where
        'd: 'a,
    {
        let flat = self.flatten(schema);
        self.below(&flat, prefix, out);
    }

    /// The schema of the property `name` of `schema` (through `$ref`/`allOf`), and whether it is required.
    pub fn property<'a>(&mut self, schema: &'a Value, name: &str) -> Option<(&'a Value, bool)>
    where
        'd: 'a,
    {
        let flat = self.flatten(schema);
        let found = flat
            .props
            .iter()
            .find(|(n, _)| *n == name)
            .map(|(_, s)| *s)?;
        Some((found, flat.required.contains(name)))
    }

    fn below<'a>(&mut self, flat: &Flat<'a>, path: &str, out: &mut Tree)
    where
        'd: 'a,
    {
        if flat.recursive || self.stack.len() + flat.refs.len() > MAX_DEPTH {
            return;
        }
        let depth = self.stack.len();
        self.stack.extend(flat.refs.iter().cloned());
        for (name, schema) in &flat.props {
            let child = format!("{path}.{name}");
            self.field(schema, &child, flat.required.contains(name), out);
        }
        if let Some(items) = flat.items {
            self.field(items, &format!("{path}[]"), false, out);
        }
        self.stack.truncate(depth);
    }

    fn flatten<'a>(&self, schema: &'a Value) -> Flat<'a>
    where
        'd: 'a,
    {
        let mut flat = Flat::default();
        self.absorb(schema, &mut flat, 0);
        if flat.ty.is_none() {
            if !flat.props.is_empty() {
                flat.ty = Some("object".to_owned());
            } else if flat.items.is_some() {
                flat.ty = Some("array".to_owned());
            }
        }
        flat
    }

    fn absorb<'a>(&self, schema: &'a Value, flat: &mut Flat<'a>, depth: usize)
    where
        'd: 'a,
    {
        if depth > MAX_DEPTH {
            return;
        }
        let map = match schema {
            Value::Object(map) => map,
            Value::String(name) => {
                flat.quirks
                    .push(format!("schema written as the bare type name {name:?}"));
                flat.ty.get_or_insert_with(|| name.clone());
                return;
            }
            other => {
                flat.quirks
                    .push(format!("schema is not an object: {other}"));
                return;
            }
        };
        if let Some(reference) = map.get("$ref") {
            let Some(reference) = reference.as_str() else {
                flat.quirks.push("$ref is not a string".to_owned());
                return;
            };
            if self.stack.iter().chain(&flat.refs).any(|r| r == reference) {
                flat.recursive = true;
                flat.ty.get_or_insert_with(|| "object".to_owned());
                return;
            }
            match self.doc.pointer(reference) {
                Some(target) => {
                    flat.refs.push(reference.to_owned());
                    self.absorb(target, flat, depth + 1);
                }
                None => flat
                    .quirks
                    .push(format!("$ref {reference:?} points at nothing")),
            }
            // Siblings of `$ref` are ignored (OpenAPI 3.0 and Swagger 2.0 alike).
            return;
        }
        match map.get("type") {
            Some(Value::String(t)) => set_once(&mut flat.ty, t),
            // a list of types (JSON Schema style): the one that is not "null"
            Some(Value::Array(ts)) => {
                if let Some(t) = ts.iter().filter_map(Value::as_str).find(|t| *t != "null") {
                    set_once(&mut flat.ty, t);
                }
            }
            _ => {}
        }
        if let Some(Value::String(f)) = map.get("format") {
            set_once(&mut flat.format, f);
        }
        if let Some(Value::Array(values)) = map.get("enum") {
            flat.enum_values.get_or_insert(values);
        }
        if let Some(Value::Object(props)) = map.get("properties") {
            for (name, s) in props {
                if !flat.props.iter().any(|(n, _)| n == name) {
                    flat.props.push((name, s));
                }
            }
        }
        if let Some(Value::Array(names)) = map.get("required") {
            flat.required.extend(names.iter().filter_map(Value::as_str));
        }
        if let Some(items) = map.get("items") {
            flat.items.get_or_insert(items);
        }
        if let Some(Value::Array(parts)) = map.get("allOf") {
            for part in parts {
                self.absorb(part, flat, depth + 1);
            }
        }
        // oneOf/anyOf: the fields of every alternative; required only where all require it
        for key in ["oneOf", "anyOf"] {
            let Some(Value::Array(alternatives)) = map.get(key) else {
                continue;
            };
            let mut common: Option<BTreeSet<&'a str>> = None;
            let mut types = BTreeSet::new();
            for alternative in alternatives {
                let mut alt = Flat::default();
                self.absorb(alternative, &mut alt, depth + 1);
                flat.recursive |= alt.recursive;
                flat.refs.extend(alt.refs);
                flat.quirks.extend(alt.quirks);
                types.insert(alt.ty.clone());
                for (name, s) in alt.props {
                    if !flat.props.iter().any(|(n, _)| *n == name) {
                        flat.props.push((name, s));
                    }
                }
                flat.items = flat.items.or(alt.items);
                common = Some(match common {
                    None => alt.required,
                    Some(c) => c.intersection(&alt.required).copied().collect(),
                });
            }
            flat.required.extend(common.unwrap_or_default());
            if let (1, Some(Some(t))) = (types.len(), types.first()) {
                set_once(&mut flat.ty, t);
            }
        }
    }
}

fn set_once(slot: &mut Option<String>, value: &str) {
    slot.get_or_insert_with(|| value.to_owned());
}

/// Enum values as text: `"true"` and `true` are the same value for this comparison.
pub fn enum_set(values: &[Value]) -> BTreeSet<String> {
    values
        .iter()
        .filter_map(|v| match v {
            Value::Null => None,
            Value::String(s) => Some(s.clone()),
            other => Some(other.to_string()),
        })
        .collect()
}
