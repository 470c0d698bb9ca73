//! Helpers of the contract tests: the spec as data, and schemas compared by meaning.
//!
//! The spec (OpenAPI 3.0), the server's own document (utoipa, OpenAPI 3.1) and the client's types
//! (schemars, JSON Schema 2020-12) write the same schema in different ways. [`canonical`] brings any of
//! them to one form; the canonical form is plain JSON Schema 2020-12, so it also serves to validate
//! answers with `jsonschema`. [`differences`] lists what differs, by JSON pointer; [`failure_report`]
//! groups differences under a hint at their cause.
//!
//! # Reading exactly
//!
//! Every schema keyword is either compared ([`COMPARED_KEYWORDS`]), or documentation only
//! ([`DOCUMENTATION_ONLY`]), or an error of [`canonical`] naming the keyword and its JSON pointer
//! (`discriminator`, `x-…` extensions, `prefixItems`, `patternProperties`, `if`, `$id`, … anything
//! else). The same holds for the fields of operations, parameters, bodies, responses, headers and
//! security schemes in [`contract_view`]. The spellings brought to one form:
//!
//! - references are inlined; `$ref` with siblings other than documentation is an error (3.0 ignores
//!   them, 3.1 applies them);
//! - `type` is a sorted list; `nullable: true` (3.0) adds `null` to the types of the whole schema, its
//!   `allOf` included (the 3.0 spelling of a nullable reference, as progenitor reads it), but not to an
//!   `enum` (3.0.3: null must be listed there too); `nullable` without `type` is an error;
//! - `const: v` is `enum: [v]`; with an `enum`, `type` is the types of its values (those the declared
//!   types allow), and `enum: [null]` is `type: [null]`;
//! - `allOf` members are merged (types and enums intersected, `required` united, bounds tightened); what
//!   cannot be merged exactly (different schemas for one property, `additionalProperties` beside other
//!   members' properties, two different `pattern`s…) is an error;
//! - `anyOf`/`oneOf` with one member, or one member and `{type: null}`, is that member (or null), merged
//!   like an `allOf` member: `own ∧ (X ∨ null)`, so a `type` beside it still decides about null;
//!   `oneOf [X, null]` stays a list when X itself accepts null; several members stay a sorted list, and
//!   `oneOf` is read as `anyOf` only when no value can match two members (different types, disjoint
//!   enums, or a required tag property with disjoint values);
//! - 3.0's boolean `exclusiveMinimum`/`exclusiveMaximum` beside `minimum`/`maximum` is 2020-12's number;
//! - defaults that say nothing are dropped: `additionalProperties: true` or `{}`, `items: {}`, empty
//!   `properties` and `required`, `uniqueItems`/`readOnly`/`writeOnly: false`, `nullable: false`,
//!   `propertyNames: {type: string}`;
//! - a `oneOf`/`anyOf` of members that only list values (schemars' spelling of an enum whose variants
//!   have doc comments: a oneOf of consts) is one `enum` of all their values.
//!
//! Extensions (`x-…`) are errors too, but for those in [`KNOWN_EXTENSIONS`], each listed with why it
//! says nothing about the wire.
//!
//! # Absence and null
//!
//! Absence and null are separate facts. The spec says each with its own keyword: `required` (may the
//! property be absent?) and `nullable` (may it be null?). The canonical form keeps them apart: a
//! property that is optional is never read as nullable, nor the other way round.
//!
//! The Rust side cannot always say as little as the spec. serde reads an `Option<T>` field as absent
//! or null alike, and schemars and utoipa write every `Option<T>` field as not required and
//! `[T, null]`; a field with `#[serde(default)]` is not required, and schemars writes its `default`.
//! What a type reads is one schema (schemars' default contract, and utoipa's); what it writes is
//! another (schemars' `for_serialize` contract, where a field is required unless `skip_serializing_if`
//! may leave it out). The comparison of the spec with a Rust side forgives, in one place
//! (`forgive_rust_leniency`, used by [`component_differences`], [`component_differences_for`] and
//! [`contract_differences`]), exactly the following; each lets Rust accept a value the spec forbids,
//! or write less than it may, and none lets it refuse a value the spec allows. (One lets it write a
//! value the spec forbids: rule 4, when a value Rust writes for one member of a `oneOf` matches
//! another member too; that takes members of the spec's `oneOf` that overlap.)
//!
//! In what Rust reads ([`RustContract::Reads`]):
//!
//! 1. an optional property the spec does not make nullable, that Rust reads as `Option<T>`: Rust also
//!    accepts null (its `null` is dropped before comparing);
//! 2. a required property the spec makes nullable, that Rust reads as `Option<T>`: Rust also accepts
//!    absence (it is read as required before comparing);
//! 3. an optional property with no `default` in the spec, that Rust reads with `#[serde(default)]`: the
//!    `default` is how Rust accepts absence (it is dropped before comparing);
//! 4. a `oneOf` that Rust reads as an untagged enum, which schemars writes as `anyOf`: Rust takes the
//!    first member that matches, so it also accepts a value that matches several (the `anyOf` is read
//!    as the `oneOf` before comparing; the members are still compared).
//!
//! (1 and 2 read null in either spelling: a `null` type, or a `{type: null}` member of a list.)
//!
//! In what Rust writes ([`RustContract::Writes`]; an `Option<T>` is still written `[T, null]` there),
//! rules 3 and 4, and:
//!
//! 5. a property Rust always writes that the spec lets be absent: writing it is allowed (it is read as
//!    optional before comparing);
//! 6. an `Option<T>` Rust skips when None, for a property the spec does not make nullable: Rust never
//!    writes null (its `null` is dropped before comparing).
//!
//! And in both:
//!
//! 7. `format: double` where the spec says `type: number` with no format: f64 is how Rust reads any
//!    JSON number, and schemars and utoipa name it `double` (an annotation JSON Schema does not check).
//!    No other format is forgiven: `int64` for an `integer` without format is a narrower range.
//!
//! So an `Option<T>` without `skip_serializing_if` for an optional, non-nullable property (Rust writes
//! null) is a difference in what Rust writes, though rule 1 forgives it in what Rust reads. Nothing
//! else is forgiven: a required, non-nullable property that Rust reads as `Option<T>`, a
//! nullable one Rust reads as `T`, or a `default` the spec gives and Rust does not, are differences.

use std::collections::BTreeSet;

use openapi_support::METHODS;
use serde_json::{Map, Value, json};

/// The spec, parsed, as the generators read it.
pub fn spec() -> Value {
    let text =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../spec/iamport.yaml"))
            .expect("spec/iamport.yaml is readable");
    yaml_serde::from_str(&text)
        .expect("spec/iamport.yaml parses (`cargo xtask codegen` explains why not)")
}

/// One status an operation declares: the unit the agreement tests must cover.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct Declared {
    pub operation_id: String,
    pub method: String,
    pub path: String,
    pub status: u16,
}

impl std::fmt::Display for Declared {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{} {} ({}) → {}",
            self.method.to_uppercase(),
            self.path,
            self.operation_id,
            self.status
        )
    }
}

/// Every (operation, status) pair the spec declares.
pub fn declared(spec: &Value) -> Vec<Declared> {
    let mut out = vec![];
    for (path, item) in spec["paths"].as_object().into_iter().flatten() {
        for method in METHODS {
            let Some(op) = item.get(method) else { continue };
            for status in op["responses"]
                .as_object()
                .into_iter()
                .flatten()
                .map(|(s, _)| s)
            {
                out.push(Declared {
                    operation_id: op["operationId"].as_str().unwrap_or_default().to_owned(),
                    method: method.to_owned(),
                    path: path.clone(),
                    status: status.parse().unwrap_or_else(|_| {
                        panic!("{path} {method}: status `{status}` is not a number")
                    }),
                });
            }
        }
    }
    out.sort();
    out
}

/// The JSON Schema of a declared response body (`application/json`), references inlined.
pub fn response_schema(spec: &Value, d: &Declared) -> Option<Value> {
    let schema = &spec["paths"][&d.path][&d.method]["responses"][d.status.to_string()]["content"]["application/json"]
        ["schema"];
    let at = format!(
        "#/paths/{}/{}/responses/{}/content/application~1json/schema",
        escape(&d.path),
        d.method,
        d.status
    );
    (!schema.is_null()).then(|| {
        canonical_at(schema, &components_resolver(spec), &at)
            .unwrap_or_else(|e| panic!("reading the spec: {e}"))
    })
}

/// Resolves `#/components/schemas/X` (and any other local pointer) in an OpenAPI document.
pub fn components_resolver(doc: &Value) -> impl Fn(&str) -> Option<Value> + '_ {
    move |reference: &str| openapi_support::resolve_ref(doc, reference).cloned()
}

/// Schema keywords [`canonical`] compares, each brought to one spelling first (see the module docs).
pub const COMPARED_KEYWORDS: &[&str] = &[
    "$ref",
    "type",
    "nullable",
    "enum",
    "const",
    "allOf",
    "anyOf",
    "oneOf",
    "not",
    "properties",
    "required",
    "additionalProperties",
    "minProperties",
    "maxProperties",
    "items",
    "minItems",
    "maxItems",
    "uniqueItems",
    "minLength",
    "maxLength",
    "pattern",
    "format",
    "minimum",
    "maximum",
    "exclusiveMinimum",
    "exclusiveMaximum",
    "multipleOf",
    "default",
    "readOnly",
    "writeOnly",
    "propertyNames",
];

/// Schema keywords that change no value's validity, dropped by [`canonical`]: prose and samples
/// (`description`, `title`, `example`, `examples`, `externalDocs`, `$comment`), `deprecated` (advice to
/// stop using a value, not a rule about it: the wire accepts the same values either way), the dialect
/// marker `$schema`, and the holders of definitions (`$defs`, `definitions`), which constrain nothing
/// themselves and are compared where a `$ref` reaches them.
pub const DOCUMENTATION_ONLY: &[&str] = &[
    "description",
    "title",
    "example",
    "examples",
    "externalDocs",
    "$comment",
    "deprecated",
    "$schema",
    "$defs",
    "definitions",
];

/// Extensions the contract tests know, with why they are not compared. Any other `x-…` is an error.
pub const KNOWN_EXTENSIONS: &[(&str, &str)] = &[(
    "x-token-issuer",
    "on an operation: tells the client generator which operation fetches access tokens (the \
     facade's `fetch_token`); it changes nothing on the wire, and the server's document has no \
     place for it",
)];

const TYPES: [&str; 7] = [
    "null", "boolean", "object", "array", "number", "string", "integer",
];

type Resolve<'a> = &'a dyn Fn(&str) -> Option<Value>;

/// Brings a schema to the canonical form described in the module docs; a keyword it does not read is
/// an error naming the keyword and where it is.
pub fn canonical(schema: &Value, resolve: &dyn Fn(&str) -> Option<Value>) -> Result<Value, String> {
    canonical_at(schema, resolve, "#")
}

/// [`canonical`], for a schema found at `pointer` (a `#/…` JSON pointer) of its document, so that
/// errors name the place.
pub fn canonical_at(
    schema: &Value,
    resolve: &dyn Fn(&str) -> Option<Value>,
    pointer: &str,
) -> Result<Value, String> {
    canon(schema, resolve, pointer, 0)
}

fn escape(key: &str) -> String {
    key.replace('~', "~0").replace('/', "~1")
}

fn refused(keyword: &str, at: &str) -> String {
    let why = match keyword {
        "discriminator" => {
            " (its mapping, explicit or by schema name, decides which member a value is read as; \
             fold it into an `enum` of the tag property in each member, or teach `canonical` to)"
        }
        k if k.starts_with("x-") => " (an extension: its meaning is the tool's that reads it)",
        _ => "",
    };
    format!(
        "`{keyword}` at {at}: the contract tests do not read this keyword{why}; compare it in \
         `canonical` (tests/lib.rs) or, if it only documents, list it in DOCUMENTATION_ONLY"
    )
}

fn canon(schema: &Value, resolve: Resolve, at: &str, depth: usize) -> Result<Value, String> {
    if depth > 64 {
        return Err(format!(
            "{at}: schema nesting deeper than 64 (a reference cycle?)"
        ));
    }
    let s = match schema {
        Value::Bool(true) => return Ok(json!({})),
        Value::Bool(false) => return Ok(json!({"not": {}})),
        Value::Object(s) => s,
        other => return Err(format!("{at}: not a schema: {}", short(other))),
    };
    if let Some(keyword) = s.keys().find(|k| {
        !COMPARED_KEYWORDS.contains(&k.as_str()) && !DOCUMENTATION_ONLY.contains(&k.as_str())
    }) {
        return Err(refused(keyword, at));
    }
    let child = |path: &[&str]| {
        path.iter()
            .fold(at.to_owned(), |p, k| format!("{p}/{}", escape(k)))
    };
    let recurse = |s: &Value, path: &[&str]| canon(s, resolve, &child(path), depth + 1);

    if let Some(reference) = s.get("$ref") {
        let reference = reference
            .as_str()
            .ok_or_else(|| format!("{at}/$ref: not a string"))?;
        if let Some(k) = s
            .keys()
            .find(|k| *k != "$ref" && !DOCUMENTATION_ONLY.contains(&k.as_str()))
        {
            return Err(format!(
                "`{k}` beside `$ref` at {at}: OpenAPI 3.0 ignores it and 3.1 applies it; write \
                 `allOf: [{{$ref: …}}, …]` to say which"
            ));
        }
        let target =
            resolve(reference).ok_or_else(|| format!("{at}: unresolved reference {reference}"))?;
        return canon(&target, resolve, reference, depth + 1);
    }

    let mut out = Map::new();
    match s.get("type") {
        None => {}
        Some(Value::String(t)) => {
            out.insert("type".into(), json!([t]));
        }
        Some(Value::Array(ts)) => {
            let mut names = BTreeSet::new();
            for t in ts {
                names.insert(
                    t.as_str()
                        .ok_or_else(|| format!("{at}/type: {t} is not a type name"))?,
                );
            }
            out.insert("type".into(), json!(names));
        }
        Some(other) => return Err(format!("{at}/type: {other} is not a type")),
    }
    for t in out
        .get("type")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
    {
        if !TYPES.contains(&t.as_str().unwrap_or_default()) {
            return Err(format!("{at}/type: unknown type {t}"));
        }
    }
    let nullable = match s.get("nullable") {
        None | Some(Value::Bool(false)) => false,
        Some(Value::Bool(true)) if out.contains_key("type") => true,
        Some(Value::Bool(true)) => {
            return Err(format!(
                "{at}/nullable: `nullable` without `type` has no effect in OpenAPI 3.0.3 (progenitor \
                 reads it as nullable anyway); write the `type` beside it"
            ));
        }
        Some(other) => return Err(format!("{at}/nullable: {other} is not a boolean")),
    };

    let mut values: Option<Vec<Value>> = match s.get("enum") {
        None => None,
        Some(Value::Array(vs)) if !vs.is_empty() => Some(vs.clone()),
        Some(other) => {
            return Err(format!(
                "{at}/enum: {} is not a non-empty list",
                short(other)
            ));
        }
    };
    if let Some(c) = s.get("const") {
        values = Some(match values {
            None => vec![c.clone()],
            Some(vs) => vs.into_iter().filter(|v| v == c).collect(),
        });
    }
    if let Some(mut vs) = values {
        vs.sort_by_key(Value::to_string);
        vs.dedup();
        out.insert("enum".into(), Value::Array(vs));
    }

    if let Some(props) = s.get("properties") {
        let props = props
            .as_object()
            .ok_or_else(|| format!("{at}/properties: not an object"))?;
        let mut canon_props = Map::new();
        for (name, prop) in props {
            canon_props.insert(name.clone(), recurse(prop, &["properties", name])?);
        }
        if !canon_props.is_empty() {
            out.insert("properties".into(), Value::Object(canon_props));
        }
    }
    if let Some(required) = s.get("required") {
        let mut names = BTreeSet::new();
        for name in required
            .as_array()
            .ok_or_else(|| format!("{at}/required: not a list"))?
        {
            names.insert(
                name.as_str()
                    .ok_or_else(|| format!("{at}/required: {name} is not a property name"))?,
            );
        }
        if !names.is_empty() {
            out.insert("required".into(), json!(names));
        }
    }
    match s.get("additionalProperties") {
        None | Some(Value::Bool(true)) => {}
        Some(Value::Bool(false)) => {
            out.insert("additionalProperties".into(), Value::Bool(false));
        }
        Some(extra) => {
            let extra = recurse(extra, &["additionalProperties"])?;
            if extra != json!({}) {
                out.insert("additionalProperties".into(), extra);
            }
        }
    }
    // object keys are strings: `propertyNames: {type: string}` (utoipa, for maps) says nothing
    if let Some(names) = s.get("propertyNames") {
        let names = recurse(names, &["propertyNames"])?;
        if names != json!({}) && names != json!({"type": ["string"]}) {
            out.insert("propertyNames".into(), names);
        }
    }
    match s.get("items") {
        None => {}
        Some(Value::Array(_)) => {
            return Err(format!(
                "{at}/items: a list of schemas (tuple validation) is not read by the contract tests"
            ));
        }
        Some(items) => {
            let items = recurse(items, &["items"])?;
            if items != json!({}) {
                out.insert("items".into(), items);
            }
        }
    }
    if let Some(not) = s.get("not") {
        out.insert("not".into(), recurse(not, &["not"])?);
    }
    for key in [
        "minLength",
        "maxLength",
        "minimum",
        "maximum",
        "minItems",
        "maxItems",
        "minProperties",
        "maxProperties",
        "multipleOf",
    ] {
        if let Some(v) = s.get(key) {
            let n = v
                .as_f64()
                .ok_or_else(|| format!("{at}/{key}: {v} is not a number"))?;
            out.insert(key.into(), json!(n));
        }
    }
    // exclusiveMinimum / exclusiveMaximum: OpenAPI 3.0 writes a boolean beside minimum / maximum,
    // JSON Schema 2020-12 (OpenAPI 3.1) the bound itself; the canonical form is the latter.
    for (exclusive, inclusive) in [
        ("exclusiveMinimum", "minimum"),
        ("exclusiveMaximum", "maximum"),
    ] {
        match s.get(exclusive) {
            None | Some(Value::Bool(false)) => {}
            Some(Value::Bool(true)) => {
                let bound = out.remove(inclusive).ok_or_else(|| {
                    format!("{at}/{exclusive}: `true` without `{inclusive}` bounds nothing")
                })?;
                out.insert(exclusive.into(), bound);
            }
            Some(v) => {
                let n = v.as_f64().ok_or_else(|| {
                    format!("{at}/{exclusive}: {v} is neither a boolean nor a number")
                })?;
                out.insert(exclusive.into(), json!(n));
            }
        }
    }
    for key in ["pattern", "format"] {
        if let Some(v) = s.get(key) {
            if !v.is_string() {
                return Err(format!("{at}/{key}: {v} is not a string"));
            }
            out.insert(key.into(), v.clone());
        }
    }
    for key in ["uniqueItems", "readOnly", "writeOnly"] {
        match s.get(key) {
            None | Some(Value::Bool(false)) => {}
            Some(Value::Bool(true)) => {
                out.insert(key.into(), Value::Bool(true));
            }
            Some(v) => return Err(format!("{at}/{key}: {v} is not a boolean")),
        }
    }
    if let Some(v) = s.get("default") {
        out.insert("default".into(), v.clone());
    }

    // allOf: every member holds, so members merge into this schema.
    if let Some(members) = s.get("allOf") {
        let members = members
            .as_array()
            .ok_or_else(|| format!("{at}/allOf: not a list"))?;
        for (i, member) in members.iter().enumerate() {
            let member = recurse(member, &["allOf", &i.to_string()])?;
            merge(&mut out, member, at)?;
        }
    }
    // anyOf / oneOf: a single member, or a single member and `null`, is a schema of its own (merged
    // like an allOf member); several stay a list, oneOf read as anyOf when no value can match two.
    for key in ["anyOf", "oneOf"] {
        let Some(members) = s.get(key) else { continue };
        let members = members
            .as_array()
            .filter(|m| !m.is_empty())
            .ok_or_else(|| format!("{at}/{key}: not a non-empty list"))?;
        let mut canon_members = vec![];
        for (i, member) in members.iter().enumerate() {
            canon_members.push(recurse(member, &[key, &i.to_string()])?);
        }
        canon_members.sort_by_key(Value::to_string);
        canon_members.dedup();
        let disjoint = canon_members
            .iter()
            .enumerate()
            .all(|(i, a)| canon_members[i + 1..].iter().all(|b| disjoint(a, b)));
        let null = json!({"type": ["null"]});
        let with_null = canon_members.contains(&null);
        let rest: Vec<&Value> = canon_members.iter().filter(|m| **m != null).collect();
        let folded = match rest.as_slice() {
            // members that are sets of values (`const`, `enum`, null): one enum of all their values
            _ if key == "anyOf" || disjoint => value_union(&canon_members, at)?,
            _ => None,
        }
        .or_else(|| match rest.as_slice() {
            [] => Some(null.clone()),
            [only] if !with_null => Some((*only).clone()),
            // oneOf [X, null] is X-or-null only when X itself refuses null
            [only] if key == "anyOf" || !accepts_null(only) => or_null(only),
            _ => None,
        });
        match folded {
            Some(schema) => merge(&mut out, schema, at)?,
            None => {
                let key = if key == "oneOf" && disjoint {
                    "anyOf"
                } else {
                    key
                };
                merge(&mut out, json!({ key: canon_members }), at)?;
            }
        }
    }

    // `nullable: true` (OpenAPI 3.0) adds null to the types of the whole schema, its allOf included:
    // `type: object, nullable: true, allOf: [$ref]` is the 3.0 spelling of a nullable reference, and is
    // how progenitor reads it. It does not add null to an `enum` (3.0.3: list null there too).
    if nullable && let Some(Value::Array(types)) = out.get_mut("type") {
        types.push(json!("null"));
        types.sort_by_key(Value::to_string);
        types.dedup();
        // …and to a list of alternatives (`allOf: [$ref]` to an `anyOf`): null is one more of them.
        if let Some(Value::Array(members)) = out.get_mut("anyOf") {
            let null = json!({"type": ["null"]});
            if !members.contains(&null) {
                members.push(null);
                members.sort_by_key(Value::to_string);
            }
        }
    }
    drop_type_restated_by_members(&mut out);
    normalize_enum(&mut out, at)?;
    Ok(Value::Object(out))
}

/// A `type` beside `anyOf` that every member already keeps to says nothing more: dropped.
fn drop_type_restated_by_members(out: &mut Map<String, Value>) {
    let (Some(Value::Array(types)), Some(Value::Array(members))) =
        (out.get("type"), out.get("anyOf"))
    else {
        return;
    };
    let within = |member: &Value| {
        member
            .get("type")
            .and_then(Value::as_array)
            .is_some_and(|ts| ts.iter().all(|t| types.contains(t)))
    };
    if members.iter().all(within) {
        out.remove("type");
    }
}

/// The JSON type of a value, as `type` would name it given the declared `types`.
fn type_of(v: &Value, types: &[Value]) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "boolean",
        Value::String(_) => "string",
        Value::Array(_) => "array",
        Value::Object(_) => "object",
        Value::Number(n) => {
            let integral = n.is_i64() || n.is_u64() || n.as_f64().is_some_and(|f| f.fract() == 0.0);
            let declared = |t: &str| types.iter().any(|d| d == t);
            if integral && (declared("integer") || !declared("number")) {
                "integer"
            } else {
                "number"
            }
        }
    }
}

/// With an `enum`, the type list is the types of its values (those the declared types allow);
/// `enum: [null]` is `type: [null]`.
fn normalize_enum(out: &mut Map<String, Value>, at: &str) -> Result<(), String> {
    let Some(Value::Array(values)) = out.get("enum").cloned() else {
        return Ok(());
    };
    let declared: Option<Vec<Value>> = out.get("type").and_then(Value::as_array).cloned();
    let allowed = |v: &Value| {
        declared.as_ref().is_none_or(|ts| {
            let t = type_of(v, ts);
            ts.iter()
                .any(|d| d == t || (t == "integer" && d == "number"))
        })
    };
    let kept: Vec<Value> = values.into_iter().filter(allowed).collect();
    if kept.is_empty() {
        return Err(format!(
            "{at}/enum: no value of the enum has a type the schema allows (nothing is valid)"
        ));
    }
    let types: BTreeSet<&str> = kept
        .iter()
        .map(|v| type_of(v, declared.as_deref().unwrap_or_default()))
        .collect();
    out.insert("type".into(), json!(types));
    if kept == [Value::Null] {
        out.remove("enum");
    } else {
        out.insert("enum".into(), Value::Array(kept));
    }
    Ok(())
}

/// The union of members that only list values (`enum`, from `const` too, or `type: [null]`) as one
/// schema, as schemars writes a Rust enum whose variants carry doc comments (a oneOf of consts);
/// `None` when a member says more than its values.
fn value_union(members: &[Value], at: &str) -> Result<Option<Value>, String> {
    let mut types = BTreeSet::new();
    let mut values = vec![];
    for m in members {
        let Some(m) = m.as_object() else {
            return Ok(None);
        };
        if m.keys().any(|k| k != "type" && k != "enum") {
            return Ok(None);
        }
        let member_types = m.get("type").and_then(Value::as_array);
        match m.get("enum").and_then(Value::as_array) {
            Some(vs) => values.extend(vs.iter().cloned()),
            None if member_types == Some(&vec![json!("null")]) => values.push(Value::Null),
            None => return Ok(None),
        }
        types.extend(member_types.into_iter().flatten().filter_map(Value::as_str));
    }
    values.sort_by_key(Value::to_string);
    values.dedup();
    let mut out = Map::from_iter([("enum".to_owned(), Value::Array(values))]);
    if !types.is_empty() {
        out.insert("type".into(), json!(types));
    }
    normalize_enum(&mut out, at)?;
    Ok(Some(Value::Object(out)))
}

/// Whether a canonical schema may accept null (conservative: true when it cannot tell).
fn accepts_null(s: &Value) -> bool {
    let listed = |key: &str, null: &Value| {
        s.get(key)
            .and_then(Value::as_array)
            .is_none_or(|vs| vs.contains(null))
    };
    let members_may = |key: &str| {
        s.get(key)
            .and_then(Value::as_array)
            .is_none_or(|ms| ms.iter().any(accepts_null))
    };
    s.get("not").is_some()
        || listed("type", &json!("null"))
            && listed("enum", &Value::Null)
            && members_may("anyOf")
            && members_may("oneOf")
}

/// A canonical schema that accepts what `s` accepts and null, when it can be written without a list
/// around `s`.
fn or_null(s: &Value) -> Option<Value> {
    let mut s = s.as_object()?.clone();
    let null = json!({"type": ["null"]});
    // a bare list: null is one more member (for oneOf, when no member accepts null already)
    if s.len() == 1
        && let Some((key, Value::Array(members))) = s.iter_mut().next()
        && (key == "anyOf" || key == "oneOf" && !members.iter().any(accepts_null))
    {
        members.push(null);
        members.sort_by_key(Value::to_string);
        members.dedup();
        return Some(Value::Object(s));
    }
    if ["not", "anyOf", "oneOf"].iter().any(|k| s.contains_key(*k)) {
        return None;
    }
    for (key, null) in [("type", json!("null")), ("enum", Value::Null)] {
        if let Some(Value::Array(vs)) = s.get_mut(key) {
            vs.push(null);
            vs.sort_by_key(Value::to_string);
            vs.dedup();
        }
    }
    Some(Value::Object(s))
}

/// Whether no value can match both canonical schemas (false when it cannot tell).
fn disjoint(a: &Value, b: &Value) -> bool {
    let set = |s: &Value, key: &str| s.get(key).and_then(Value::as_array).cloned();
    if let (Some(ta), Some(tb)) = (set(a, "type"), set(b, "type")) {
        let widen = |ts: Vec<Value>| -> BTreeSet<String> {
            ts.iter()
                .filter_map(Value::as_str)
                .flat_map(|t| match t {
                    "integer" | "number" => vec!["number".to_owned()],
                    t => vec![t.to_owned()],
                })
                .collect()
        };
        if widen(ta).is_disjoint(&widen(tb)) {
            return true;
        }
    }
    if let (Some(ea), Some(eb)) = (set(a, "enum"), set(b, "enum"))
        && ea.iter().all(|v| !eb.contains(v))
    {
        return true;
    }
    // objects told apart by a property both require, with values that cannot match both (a tag)
    let required = |s: &Value| -> BTreeSet<String> {
        set(s, "required")
            .into_iter()
            .flatten()
            .filter_map(|v| v.as_str().map(str::to_owned))
            .collect()
    };
    required(a).intersection(&required(b)).any(|p| {
        match (a["properties"].get(p), b["properties"].get(p)) {
            (Some(pa), Some(pb)) => disjoint(pa, pb),
            _ => false,
        }
    })
}

/// Folds a canonical member into `out` (allOf semantics); what cannot be merged exactly is an error.
fn merge(out: &mut Map<String, Value>, member: Value, at: &str) -> Result<(), String> {
    let Value::Object(member) = member else {
        return Err(format!("{at}: a member is not a schema"));
    };
    // additionalProperties speaks of the properties of its own schema only
    for (a, b) in [(&*out, &member), (&member, &*out)] {
        if a.contains_key("additionalProperties") {
            let own = a.get("properties").and_then(Value::as_object);
            let other = b.get("properties").and_then(Value::as_object);
            if other
                .into_iter()
                .flatten()
                .any(|(k, _)| !own.is_some_and(|o| o.contains_key(k)))
            {
                return Err(format!(
                    "{at}: allOf members with `additionalProperties` and other properties cannot be \
                     merged exactly"
                ));
            }
        }
    }
    for (key, theirs) in member {
        let Some(mine) = out.get_mut(&key) else {
            out.insert(key, theirs);
            continue;
        };
        if *mine == theirs {
            continue;
        }
        let as_set = |v: &Value| -> Vec<Value> { v.as_array().cloned().unwrap_or_default() };
        match key.as_str() {
            "type" => {
                let names = |v: &Value| -> BTreeSet<String> {
                    v.as_array()
                        .into_iter()
                        .flatten()
                        .filter_map(|t| t.as_str().map(str::to_owned))
                        .collect()
                };
                let (a, b) = (names(mine), names(&theirs));
                // integer is a kind of number
                let within = |t: &String, other: &BTreeSet<String>| {
                    other.contains(t) || (t == "integer" && other.contains("number"))
                };
                let both: BTreeSet<&String> = a
                    .iter()
                    .filter(|t| within(t, &b))
                    .chain(b.iter().filter(|t| within(t, &a)))
                    .collect();
                if both.is_empty() {
                    return Err(format!(
                        "{at}: allOf members have no type in common (nothing is valid)"
                    ));
                }
                *mine = json!(both);
            }
            "enum" => {
                let theirs = as_set(&theirs);
                let both: Vec<Value> = as_set(mine)
                    .into_iter()
                    .filter(|v| theirs.contains(v))
                    .collect();
                if both.is_empty() {
                    return Err(format!(
                        "{at}: allOf members have no enum value in common (nothing is valid)"
                    ));
                }
                *mine = Value::Array(both);
            }
            "required" => {
                let union: BTreeSet<String> = as_set(mine)
                    .into_iter()
                    .chain(as_set(&theirs))
                    .filter_map(|v| v.as_str().map(str::to_owned))
                    .collect();
                *mine = json!(union);
            }
            "properties" => {
                let mine = mine.as_object_mut().expect("canonical properties");
                for (name, schema) in theirs.as_object().into_iter().flatten() {
                    match mine.get(name) {
                        Some(existing) if existing != schema => {
                            return Err(format!(
                                "{at}: allOf members say different things of property `{name}`"
                            ));
                        }
                        _ => {
                            mine.insert(name.clone(), schema.clone());
                        }
                    }
                }
            }
            "minLength" | "minimum" | "minItems" | "minProperties" | "exclusiveMinimum" => {
                if theirs.as_f64() > mine.as_f64() {
                    *mine = theirs;
                }
            }
            "maxLength" | "maximum" | "maxItems" | "maxProperties" | "exclusiveMaximum" => {
                if theirs.as_f64() < mine.as_f64() {
                    *mine = theirs;
                }
            }
            _ => {
                return Err(format!(
                    "{at}: allOf members disagree on `{key}` ({} and {}); the canonical form cannot \
                     merge them",
                    short(mine),
                    short(&theirs)
                ));
            }
        }
    }
    Ok(())
}

/// Every place where `left` and `right` differ, as `pointer: left says …, right says …`.
pub fn differences(left: &Value, right: &Value, names: (&str, &str)) -> Vec<String> {
    let mut out = vec![];
    diff_at(left, right, String::new(), names, &mut out);
    out
}

fn diff_at(
    left: &Value,
    right: &Value,
    pointer: String,
    names: (&str, &str),
    out: &mut Vec<String>,
) {
    match (left, right) {
        (Value::Object(l), Value::Object(r)) => {
            let keys: BTreeSet<&String> = l.keys().chain(r.keys()).collect();
            for key in keys {
                let child = format!("{pointer}/{}", openapi_support::escape_segment(key));
                match (l.get(key), r.get(key)) {
                    (Some(a), Some(b)) => diff_at(a, b, child, names, out),
                    (Some(a), None) => out.push(format!(
                        "{child}: {} has {}, {} has nothing",
                        names.0,
                        short(a),
                        names.1
                    )),
                    (None, Some(b)) => out.push(format!(
                        "{child}: {} has nothing, {} has {}",
                        names.0,
                        names.1,
                        short(b)
                    )),
                    (None, None) => {}
                }
            }
        }
        (a, b) if a != b => out.push(format!(
            "{}: {} says {}, {} says {}",
            if pointer.is_empty() { "/" } else { &pointer },
            names.0,
            short(a),
            names.1,
            short(b)
        )),
        _ => {}
    }
}

fn short(v: &Value) -> String {
    let text = v.to_string();
    if text.chars().count() > 120 && std::env::var_os("CONTRACT_FULL").is_none() {
        format!("{}…", text.chars().take(117).collect::<String>())
    } else {
        text
    }
}

/// An OpenAPI object's fields: which [`contract_view`] compares and which only document; any other
/// field is an error naming it.
fn fields<'a>(
    obj: &'a Value,
    at: &str,
    what: &str,
    compared: &[&str],
    documentation: &[&str],
) -> Result<&'a Map<String, Value>, String> {
    let map = obj
        .as_object()
        .ok_or_else(|| format!("{at}: {what} is not an object"))?;
    let known = |k: &str| KNOWN_EXTENSIONS.iter().any(|(name, _)| *name == k);
    if let Some(key) = map.keys().find(|k| {
        !compared.contains(&k.as_str()) && !documentation.contains(&k.as_str()) && !known(k)
    }) {
        return Err(format!(
            "`{key}` at {at}: the contract tests do not read this field of {what}; compare it in \
             `contract_view` (tests/lib.rs) or list it there as documentation"
        ));
    }
    Ok(map)
}

/// What an OpenAPI document (3.0 or 3.1) says about its operations, by meaning: operationIds,
/// parameters (with their effective style and explode), request bodies, responses with their headers,
/// links and canonical schemas, the effective security of each operation (its own `security`, else the
/// document's), the servers, the info title and version, and the security schemes. Descriptions and
/// examples are left out; a field it does not know is an error naming it.
pub fn contract_view(doc: &Value) -> Result<Value, String> {
    let resolve = components_resolver(doc);
    let deref = |v: &Value, at: &str| -> Result<(Value, String), String> {
        match v.get("$ref") {
            None => Ok((v.clone(), at.to_owned())),
            Some(r) => {
                let r = r
                    .as_str()
                    .ok_or_else(|| format!("{at}/$ref: not a string"))?;
                let target = resolve(r).ok_or_else(|| format!("{at}: unresolved reference {r}"))?;
                Ok((target, r.to_owned()))
            }
        }
    };
    let top = fields(
        doc,
        "#",
        "the document",
        &["info", "servers", "paths", "components", "security"],
        // `openapi` is the dialect: each side is read in its own, and compared in the canonical form
        &["openapi", "tags", "externalDocs"],
    )?;
    let info = fields(
        &doc["info"],
        "#/info",
        "the info object",
        &["title", "version"],
        &[
            "description",
            "license",
            "contact",
            "termsOfService",
            "summary",
        ],
    )?;
    let mut servers = vec![];
    for (i, server) in doc["servers"].as_array().into_iter().flatten().enumerate() {
        let at = format!("#/servers/{i}");
        fields(
            server,
            &at,
            "a server",
            &["url", "variables"],
            &["description"],
        )?;
        servers.push(json!({"url": server["url"], "variables": server.get("variables")}));
    }
    if let Some(components) = top.get("components") {
        fields(
            components,
            "#/components",
            "the components object",
            &[
                "schemas",
                "securitySchemes",
                "responses",
                "parameters",
                "requestBodies",
                "headers",
            ],
            &["examples"],
        )?;
    }
    let global_security = top.get("security");

    let mut paths = Map::new();
    for (path, item) in doc["paths"].as_object().into_iter().flatten() {
        let at_path = format!("#/paths/{}", escape(path));
        let item_fields = fields(
            item,
            &at_path,
            "a path item",
            &[METHODS.as_slice(), &["parameters"]].concat(),
            &["summary", "description"],
        )?;
        let mut methods = Map::new();
        for method in METHODS {
            let Some(op) = item_fields.get(method) else {
                continue;
            };
            let at_op = format!("{at_path}/{method}");
            let op_fields = fields(
                op,
                &at_op,
                "an operation",
                &[
                    "operationId",
                    "parameters",
                    "requestBody",
                    "responses",
                    "security",
                ],
                &[
                    "tags",
                    "summary",
                    "description",
                    "externalDocs",
                    "deprecated",
                ],
            )?;
            let mut params = Map::new();
            let shared = item
                .get("parameters")
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
                .enumerate()
                .map(|(i, p)| (p, format!("{at_path}/parameters/{i}")));
            let own = op
                .get("parameters")
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
                .enumerate()
                .map(|(i, p)| (p, format!("{at_op}/parameters/{i}")));
            // an operation's parameter overrides the path item's of the same name and place
            for (p, at) in shared.chain(own) {
                let (p, at) = deref(p, &at)?;
                fields(
                    &p,
                    &at,
                    "a parameter",
                    &[
                        "name",
                        "in",
                        "required",
                        "schema",
                        "style",
                        "explode",
                        "allowReserved",
                        "allowEmptyValue",
                    ],
                    &["description", "example", "examples", "deprecated"],
                )?;
                let place = p["in"].as_str().unwrap_or("?");
                let name = p["name"].as_str().unwrap_or("?");
                // header names are case-insensitive
                let name = if place == "header" {
                    name.to_ascii_lowercase()
                } else {
                    name.to_owned()
                };
                let schema = canonical_at(&p["schema"], &resolve, &format!("{at}/schema"))?;
                params.insert(
                    format!("{place}:{name}"),
                    json!({
                        "required": p["required"].as_bool().unwrap_or(false) || place == "path",
                        "schema": schema,
                        "style": style(&p, place),
                        "explode": explode(&p, place),
                        "allowReserved": p["allowReserved"].as_bool().unwrap_or(false),
                        "allowEmptyValue": p["allowEmptyValue"].as_bool().unwrap_or(false),
                    }),
                );
            }
            let body = match op_fields.get("requestBody") {
                None => Value::Null,
                Some(b) => {
                    let (b, at) = deref(b, &format!("{at_op}/requestBody"))?;
                    fields(
                        &b,
                        &at,
                        "a request body",
                        &["content", "required"],
                        &["description"],
                    )?;
                    json!({
                        "required": b["required"].as_bool().unwrap_or(false),
                        "content": content_view(&b["content"], &resolve, &format!("{at}/content"))?,
                    })
                }
            };
            let mut responses = Map::new();
            for (status, r) in op["responses"].as_object().into_iter().flatten() {
                let (r, at) = deref(r, &format!("{at_op}/responses/{status}"))?;
                fields(
                    &r,
                    &at,
                    "a response",
                    &["content", "headers", "links"],
                    &["description"],
                )?;
                let mut links = Map::new();
                for (name, l) in r["links"].as_object().into_iter().flatten() {
                    let (l, at) = deref(l, &format!("{at}/links/{}", escape(name)))?;
                    fields(
                        &l,
                        &at,
                        "a link",
                        &[
                            "operationId",
                            "operationRef",
                            "parameters",
                            "requestBody",
                            "server",
                        ],
                        &["description"],
                    )?;
                    links.insert(
                        name.clone(),
                        json!({
                            "operationId": l["operationId"],
                            "operationRef": l["operationRef"],
                            "parameters": l.get("parameters").cloned().unwrap_or_else(|| json!({})),
                            "requestBody": l["requestBody"],
                            "server": l["server"],
                        }),
                    );
                }
                let mut headers = Map::new();
                for (name, h) in r["headers"].as_object().into_iter().flatten() {
                    let (h, at) = deref(h, &format!("{at}/headers/{}", escape(name)))?;
                    // OpenAPI: a response header named Content-Type is ignored
                    if name.eq_ignore_ascii_case("content-type") {
                        continue;
                    }
                    fields(
                        &h,
                        &at,
                        "a header",
                        &["required", "schema", "style", "explode"],
                        &["description", "example", "examples", "deprecated"],
                    )?;
                    headers.insert(
                        name.to_ascii_lowercase(),
                        json!({
                            "required": h["required"].as_bool().unwrap_or(false),
                            "schema": canonical_at(&h["schema"], &resolve, &format!("{at}/schema"))?,
                            "style": style(&h, "header"),
                            "explode": explode(&h, "header"),
                        }),
                    );
                }
                responses.insert(
                    status.clone(),
                    json!({
                        "content": content_view(&r["content"], &resolve, &format!("{at}/content"))?,
                        "headers": headers,
                        "links": links,
                    }),
                );
            }
            let security = match op_fields.get("security") {
                Some(own) => security_view(own, &format!("{at_op}/security"))?,
                None => match global_security {
                    Some(global) => security_view(global, "#/security")?,
                    None => json!([]),
                },
            };
            methods.insert(
                method.to_owned(),
                json!({
                    "operationId": op["operationId"],
                    "parameters": params,
                    "requestBody": body,
                    "responses": responses,
                    "security": security,
                }),
            );
        }
        paths.insert(path.clone(), Value::Object(methods));
    }
    let mut schemes = Map::new();
    for (name, scheme) in doc["components"]["securitySchemes"]
        .as_object()
        .into_iter()
        .flatten()
    {
        let at = format!("#/components/securitySchemes/{}", escape(name));
        let scheme = fields(
            scheme,
            &at,
            "a security scheme",
            &["type", "in", "name", "scheme", "flows", "openIdConnectUrl"],
            // bearerFormat is "primarily for documentation purposes" (OpenAPI)
            &["description", "bearerFormat"],
        )?;
        let mut s = Map::new();
        for (key, v) in scheme {
            match key.as_str() {
                "description" | "bearerFormat" => {}
                // the HTTP auth scheme name is case-insensitive
                "scheme" => {
                    s.insert(
                        key.clone(),
                        json!(v.as_str().unwrap_or_default().to_ascii_lowercase()),
                    );
                }
                _ => {
                    s.insert(key.clone(), v.clone());
                }
            }
        }
        schemes.insert(name.clone(), Value::Object(s));
    }
    Ok(json!({
        "info": {"title": info.get("title"), "version": info.get("version")},
        "servers": servers,
        "paths": paths,
        "securitySchemes": schemes,
    }))
}

/// A parameter's or header's effective `style` (OpenAPI defaults: form in query and cookie, simple in
/// path and header).
fn style(p: &Value, place: &str) -> Value {
    p.get("style").cloned().unwrap_or_else(|| {
        json!(if matches!(place, "query" | "cookie") {
            "form"
        } else {
            "simple"
        })
    })
}

/// A parameter's or header's effective `explode` (OpenAPI default: true for style form only).
fn explode(p: &Value, place: &str) -> Value {
    p.get("explode")
        .cloned()
        .unwrap_or_else(|| json!(style(p, place) == "form"))
}

/// A list of security requirements, each scheme with its scopes, in a stable order. An empty list
/// (no security) and `[{}]` (security optional) stay different.
fn security_view(security: &Value, at: &str) -> Result<Value, String> {
    let requirements = security
        .as_array()
        .ok_or_else(|| format!("{at}: `security` is not a list"))?;
    let mut out = vec![];
    for (i, req) in requirements.iter().enumerate() {
        let req = req
            .as_object()
            .ok_or_else(|| format!("{at}/{i}: a security requirement is not an object"))?;
        let mut canon = Map::new();
        for (scheme, scopes) in req {
            let mut scopes: Vec<&str> = scopes
                .as_array()
                .ok_or_else(|| format!("{at}/{i}/{}: scopes are not a list", escape(scheme)))?
                .iter()
                .filter_map(Value::as_str)
                .collect();
            scopes.sort();
            scopes.dedup();
            canon.insert(scheme.clone(), json!(scopes));
        }
        out.push(Value::Object(canon));
    }
    out.sort_by_key(Value::to_string);
    out.dedup();
    Ok(Value::Array(out))
}

fn content_view(
    content: &Value,
    resolve: &dyn Fn(&str) -> Option<Value>,
    at: &str,
) -> Result<Value, String> {
    let mut out = Map::new();
    for (media, body) in content.as_object().into_iter().flatten() {
        let at = format!("{at}/{}", escape(media));
        fields(
            body,
            &at,
            "a media type",
            &["schema", "encoding"],
            &["example", "examples"],
        )?;
        let schema = match body.get("schema") {
            Some(s) => canonical_at(s, resolve, &format!("{at}/schema"))?,
            None => Value::Null,
        };
        let mut view = json!({ "schema": schema });
        if let Some(encoding) = body.get("encoding") {
            view["encoding"] = encoding.clone();
        }
        // media type names are case-insensitive
        out.insert(media.to_ascii_lowercase(), view);
    }
    Ok(Value::Object(out))
}

/// Which half of a Rust type's contract its schema describes: what serde reads (schemars' default
/// contract, and utoipa's schemas) or what it writes (schemars with `SchemaSettings::for_serialize`,
/// where a field is required unless `skip_serializing_if` may leave it out).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RustContract {
    Reads,
    Writes,
}

/// What differs between the spec's component schemas and another side's (a Rust side: the server's
/// utoipa document or the client's schemars schemas, describing what serde reads), as
/// `/components/schemas/<Name>/…` pointers. The Rust side's leniencies of the module docs are
/// forgiven first.
pub fn component_differences(
    from_spec: Map<String, Value>,
    other: Map<String, Value>,
    side: &str,
) -> Vec<String> {
    component_differences_for(from_spec, other, side, RustContract::Reads)
}

/// [`component_differences`] for schemas that describe `contract`: what the Rust side reads or what it
/// writes (module docs, "Absence and null").
pub fn component_differences_for(
    from_spec: Map<String, Value>,
    mut other: Map<String, Value>,
    side: &str,
    contract: RustContract,
) -> Vec<String> {
    for (name, schema) in other.iter_mut() {
        if let Some(spec_schema) = from_spec.get(name) {
            forgive_rust_leniency(spec_schema, schema, contract);
        }
    }
    differences(
        &Value::Object(from_spec),
        &Value::Object(other),
        ("spec", side),
    )
    .into_iter()
    .map(|d| format!("/components/schemas{d}"))
    .collect()
}

/// What differs between the spec's [`contract_view`] and a Rust side's (the server's utoipa document,
/// which describes what serde reads), by pointer, the Rust side's leniencies of the module docs
/// forgiven first.
pub fn contract_differences(spec_view: &Value, other_view: &Value, side: &str) -> Vec<String> {
    let mut other = other_view.clone();
    forgive_in_view(spec_view, &mut other);
    differences(spec_view, &other, ("spec", side))
}

fn forgive_in_view(spec: &Value, other: &mut Value) {
    let (Some(spec), Some(other)) = (spec.as_object(), other.as_object_mut()) else {
        return;
    };
    for (key, theirs) in other.iter_mut() {
        let Some(ours) = spec.get(key) else { continue };
        if key == "schema" {
            forgive_rust_leniency(ours, theirs, RustContract::Reads);
        } else {
            forgive_in_view(ours, theirs);
        }
    }
}

/// Whether a canonical schema says null is valid, by its types or by a `{type: [null]}` member.
fn says_null(s: &Value) -> bool {
    let null = json!({"type": ["null"]});
    s.get("type")
        .and_then(Value::as_array)
        .is_some_and(|t| t.contains(&json!("null")))
        || ["anyOf", "oneOf"].iter().any(|k| {
            s.get(*k)
                .and_then(Value::as_array)
                .is_some_and(|ms| ms.contains(&null))
        })
}

/// Takes null out of a canonical schema that says it (see [`says_null`]) beside other values.
fn strip_null(s: &mut Value) {
    let null = json!({"type": ["null"]});
    if s.get("type").is_some_and(|t| *t != json!(["null"])) {
        for key in ["type", "enum"] {
            if let Some(Value::Array(vs)) = s.get_mut(key) {
                vs.retain(|v| !v.is_null() && v != "null");
            }
        }
    }
    for key in ["anyOf", "oneOf"] {
        if let Some(Value::Array(ms)) = s.get_mut(key)
            && ms.len() > 2
        {
            ms.retain(|m| *m != null);
        }
    }
}

/// THE place where the comparison forgives anything: the Rust side's ways of saying more than the spec
/// (module docs, "Absence and null"), removed from the Rust side's canonical schema `rust` wherever the
/// spec's schema `spec` is stricter, at every depth.
fn forgive_rust_leniency(spec: &Value, rust: &mut Value, contract: RustContract) {
    let required = |s: &Value| -> BTreeSet<String> {
        s.get("required")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .filter_map(|v| v.as_str().map(str::to_owned))
            .collect()
    };
    let (spec_required, rust_required) = (required(spec), required(rust));
    let mut presence = vec![];
    if let (Some(Value::Object(ours)), Some(Value::Object(theirs))) =
        (spec.get("properties"), rust.get_mut("properties"))
    {
        for (name, theirs) in theirs.iter_mut() {
            let Some(ours) = ours.get(name) else { continue };
            let is_required = presence_leniency(
                ours,
                theirs,
                spec_required.contains(name),
                rust_required.contains(name),
                contract,
            );
            presence.push((name.clone(), is_required));
            forgive_rust_leniency(ours, theirs, contract);
        }
    }
    let now: BTreeSet<String> = rust_required
        .iter()
        .filter(|n| !presence.iter().any(|(p, r)| p == *n && !r))
        .cloned()
        .chain(presence.iter().filter(|(_, r)| *r).map(|(p, _)| p.clone()))
        .collect();
    if now != rust_required {
        match rust.as_object_mut() {
            Some(rust) if now.is_empty() => {
                rust.remove("required");
            }
            Some(rust) => {
                rust.insert("required".into(), json!(now));
            }
            None => {}
        }
    }
    // 7. f64 for a number the spec gives no format: schemars and utoipa name it `double`
    if spec.get("format").is_none()
        && spec
            .get("type")
            .and_then(Value::as_array)
            .is_some_and(|t| t.contains(&json!("number")))
        && rust.get("format") == Some(&json!("double"))
        && let Some(rust) = rust.as_object_mut()
    {
        rust.remove("format");
    }
    for key in ["items", "additionalProperties", "not"] {
        if let (Some(ours), Some(theirs)) = (spec.get(key), rust.get_mut(key)) {
            forgive_rust_leniency(ours, theirs, contract);
        }
    }
    // 4. an untagged enum (schemars writes it as anyOf) for a oneOf: Rust takes the first member that
    // matches, so it also accepts a value that matches several
    if spec.get("oneOf").is_some()
        && rust.get("oneOf").is_none()
        && let Some(rust) = rust.as_object_mut()
        && let Some(members) = rust.remove("anyOf")
    {
        rust.insert("oneOf".into(), members);
    }
    for key in ["anyOf", "oneOf"] {
        if let (Some(Value::Array(ours)), Some(Value::Array(theirs))) =
            (spec.get(key), rust.get_mut(key))
            && ours.len() == theirs.len()
        {
            for (ours, theirs) in ours.iter().zip(theirs.iter_mut()) {
                forgive_rust_leniency(ours, theirs, contract);
            }
        }
    }
}

/// The rules for one property present on both sides (module docs, "Absence and null"). Returns
/// whether the Rust side's property is to be read as required.
fn presence_leniency(
    spec: &Value,
    rust: &mut Value,
    spec_required: bool,
    rust_required: bool,
    contract: RustContract,
) -> bool {
    // 3. serde `default`: how Rust accepts the absence of a property the spec leaves optional
    if !spec_required
        && spec.get("default").is_none()
        && let Some(rust) = rust.as_object_mut()
    {
        rust.remove("default");
    }
    let option = says_null(rust) && rust.get("type") != Some(&json!(["null"]));
    match contract {
        RustContract::Reads => {
            if rust_required || !option {
                return rust_required; // Rust insists on presence, or reads no Option here
            }
            // `Option<T>`: Rust reads both absence and null
            match (spec_required, says_null(spec)) {
                // 1. optional, not nullable: Rust also accepts null
                (false, false) => {
                    strip_null(rust);
                    false
                }
                // 2. required and nullable: Rust also accepts absence
                (true, true) => true,
                _ => false,
            }
        }
        RustContract::Writes => {
            // 5. always written, though the spec lets it be absent: writing it is allowed
            if rust_required {
                return spec_required;
            }
            // 6. an `Option<T>` skipped when None (`skip_serializing_if`): null is never written
            if option && !says_null(spec) {
                strip_null(rust);
            }
            false
        }
    }
}

/// The spec's component schemas, canonical, by name.
pub fn component_schemas(doc: &Value) -> Result<Map<String, Value>, String> {
    let resolve = components_resolver(doc);
    let mut out = Map::new();
    for (name, schema) in doc["components"]["schemas"]
        .as_object()
        .into_iter()
        .flatten()
    {
        let at = format!("#/components/schemas/{}", escape(name));
        out.insert(name.clone(), canonical_at(schema, &resolve, &at)?);
    }
    Ok(out)
}

/// The generator behind a side's code, and the generated file whose header names the spec it was
/// made from.
fn generated(side: &str) -> Option<(&'static str, &'static str)> {
    match side {
        "server" => Some((
            "the server generator (xtask/src/codegen/server/, its document in doc.rs; its types carry utoipa's ToSchema)",
            "crates/iamport-server/src/generated_server.rs",
        )),
        "client" => Some((
            "the client generator (progenitor and typify, set up in xtask/src/codegen/client.rs; the \
             types carry schemars' JsonSchema)",
            "crates/iamport-client/src/generated_client.rs",
        )),
        _ => None,
    }
}

/// Whether a side's generated code was made from the spec as it is now (the `// spec sha256:` line of
/// its header against the spec's hash); `None` when that cannot be told.
pub fn generated_from_current_spec(side: &str) -> Option<bool> {
    use sha2::{Digest, Sha256};
    let (_, file) = generated(side)?;
    let root = concat!(env!("CARGO_MANIFEST_DIR"), "/..");
    let spec = std::fs::read(format!("{root}/spec/iamport.yaml")).ok()?;
    let code = std::fs::read_to_string(format!("{root}/{file}")).ok()?;
    let recorded = code
        .lines()
        .take(10)
        .find_map(|l| l.strip_prefix("// spec sha256: "))?;
    let hash: String = Sha256::digest(&spec)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    Some(recorded.trim() == hash)
}

/// Where to look for the cause of one difference (as [`differences`] writes it) between the spec and
/// a side whose generated code is, or is not, `fresh` (made from the current spec).
pub fn hint(difference: &str, side: &str, fresh: bool) -> String {
    let generator = generated(side).map_or("the generator of that side", |(g, _)| g);
    if !fresh {
        return format!(
            "the {side}'s generated code was made from another version of spec/iamport.yaml (the \
             `// spec sha256:` line of its header differs): run `cargo xtask codegen`"
        );
    }
    let pointer = difference.split(": ").next().unwrap_or_default();
    let segments: Vec<&str> = pointer.split('/').collect();
    let last = segments.last().copied().unwrap_or_default();
    let in_operation = segments.first() == Some(&"") && segments.get(1) == Some(&"paths");
    if in_operation && segments.len() >= 5 && segments[4] == "security" {
        return format!(
            "security: the comparison reads each operation's effective security (its own `security`, \
             else the document's global one) on both sides; {generator} gives this operation other \
             requirements"
        );
    }
    if matches!(
        segments.get(1),
        Some(&"info" | &"servers" | &"securitySchemes")
    ) {
        return format!(
            "the document's header (info, servers, security schemes) comes from {generator}"
        );
    }
    if last == "required" && !in_operation_field(&segments)
        || last == "type" && difference.contains("\"null\"")
    {
        return format!(
            "absence and null: the spec's `required` and `nullable` against the Rust field (`T`, \
             `Option<T>`, serde `default` and `skip_serializing_if`); the comparison already \
             forgives the Rust leniencies listed in tests/lib.rs's module docs, so this is a real \
             mismatch: {generator} maps this property otherwise than the spec says"
        );
    }
    if segments.len() == 4 && segments[1] == "components" {
        return format!(
            "named schemas: one side names a schema the other does not; {generator} names its own \
             types (a newtype for a constrained property, say) in its document, and a spec schema \
             needs a type of the same name"
        );
    }
    if last == "default" {
        return format!(
            "default: a default of the spec reaches Rust as `#[serde(default = …)]`, and the \
             server's document as `#[schema(default = …)]` / `#[param(default = …)]`; {generator} \
             writes another default here, or none"
        );
    }
    if last == "format" {
        return format!(
            "format: the Rust type {generator} picks for this format is written with another `format` \
             (schemars and utoipa name formats after the Rust type, e.g. u64 → uint64)"
        );
    }
    if in_operation && !segments.contains(&"schema") {
        return format!(
            "operations: {generator} writes the operations (routes, parameters, bodies, statuses, \
             headers) otherwise than the spec declares them"
        );
    }
    format!("schemas: {generator} produces a type whose schema says something else here")
}

/// `/paths/…/parameters/<p>/required` and `/…/requestBody/required` are operation fields, not schema
/// `required` lists.
fn in_operation_field(segments: &[&str]) -> bool {
    !segments.contains(&"schema") && segments.get(1) == Some(&"paths")
}

/// A failure message: the differences between spec/iamport.yaml and a side of this workspace
/// ("server" or "client"), grouped under the hint that points to their cause.
pub fn failure_report(what: &str, diffs: &[String], side: &str) -> String {
    let fresh = generated_from_current_spec(side).unwrap_or(true);
    failure_report_with(what, diffs, side, fresh)
}

/// [`failure_report`] for code generated from another spec (a corpus spec, say): `fresh` tells
/// whether that code was made from the spec as it is now.
pub fn failure_report_with(what: &str, diffs: &[String], side: &str, fresh: bool) -> String {
    let mut groups: Vec<(String, Vec<&String>)> = vec![];
    for d in diffs {
        let h = hint(d, side, fresh);
        match groups.iter_mut().find(|(g, _)| *g == h) {
            Some((_, ds)) => ds.push(d),
            None => groups.push((h, vec![d])),
        }
    }
    let mut out = format!("{what} ({} differences)", diffs.len());
    for (h, ds) in groups {
        out.push_str(&format!("\n\n→ {h}:"));
        for d in ds {
            out.push_str(&format!("\n  {d}"));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn no_refs(_: &str) -> Option<Value> {
        None
    }

    #[test]
    fn the_three_spellings_of_a_nullable_reference_agree() {
        let target = json!({"type": "object", "properties": {"a": {"type": "integer"}}});
        let resolve = |_: &str| Some(target.clone());
        let spec_3_0 = json!({"type": "object", "nullable": true, "allOf": [{"$ref": "#/components/schemas/X"}]});
        let utoipa_3_1 = json!({"oneOf": [{"$ref": "#/components/schemas/X"}, {"type": "null"}]});
        let schemars = json!({"anyOf": [{"$ref": "#/$defs/X"}, {"type": "null"}]});
        let a = canonical(&spec_3_0, &resolve).unwrap();
        assert_eq!(a, canonical(&utoipa_3_1, &resolve).unwrap());
        assert_eq!(a, canonical(&schemars, &resolve).unwrap());
        assert_eq!(a["type"], json!(["null", "object"]));
    }

    #[test]
    fn nullable_scalars_and_null_only_schemas() {
        let a = canonical(
            &json!({"type": "string", "nullable": true, "description": "x"}),
            &no_refs,
        )
        .unwrap();
        assert_eq!(
            a,
            canonical(&json!({"type": ["string", "null"]}), &no_refs).unwrap()
        );
        let only_null = canonical(
            &json!({"type": "object", "nullable": true, "enum": [null]}),
            &no_refs,
        )
        .unwrap();
        assert_eq!(only_null, json!({"type": ["null"]}));
        assert_eq!(
            only_null,
            canonical(&json!({"type": "null"}), &no_refs).unwrap()
        );
    }

    #[test]
    fn differences_are_reported_by_pointer() {
        let l = json!({"paths": {"/a/{b}": {"get": {"x": 1, "y": 2}}}});
        let r = json!({"paths": {"/a/{b}": {"get": {"x": 2}}}});
        assert_eq!(
            differences(&l, &r, ("spec", "server")),
            vec![
                "/paths/~1a~1{b}/get/x: spec says 1, server says 2".to_owned(),
                "/paths/~1a~1{b}/get/y: spec has 2, server has nothing".to_owned(),
            ]
        );
    }

    #[test]
    fn every_status_of_the_spec_is_enumerated() {
        let pairs = declared(&spec());
        assert!(pairs.len() >= 8, "{pairs:?}");
        assert!(
            pairs
                .iter()
                .any(|d| d.operation_id == "queryCashAmount" && d.status == 500)
        );
        assert!(
            pairs
                .iter()
                .any(|d| d.operation_id == "getToken" && d.status == 401)
        );
    }

    #[test]
    fn a_hint_points_to_the_kind_of_difference_not_always_to_codegen() {
        let security = r#"/paths/~1x/get/security: spec says [{"bearerAuth":[]}], server says []"#;
        let h = hint(security, "server", true);
        assert!(h.starts_with("security:"), "{h}");
        assert!(!h.contains("cargo xtask codegen"), "{h}");
        assert!(h.contains("xtask/src/codegen/server/"), "{h}");

        let null = r#"/components/schemas/X/properties/a/type: spec says ["string"], client says ["null","string"]"#;
        let h = hint(null, "client", true);
        assert!(h.starts_with("absence and null:"), "{h}");
        assert!(h.contains("progenitor"), "{h}");
        let required = r#"/components/schemas/X/required: spec says ["a"], client has nothing"#;
        assert!(hint(required, "client", true).starts_with("absence and null:"));

        let param =
            r#"/paths/~1x/get/parameters/query:ids/required: spec says true, server says false"#;
        assert!(hint(param, "server", true).starts_with("operations:"));
        let format =
            r#"/components/schemas/X/properties/n/format: spec says "int64", client says "uint64""#;
        assert!(hint(format, "client", true).starts_with("format:"));
        let default =
            r#"/components/schemas/X/properties/n/default: spec has 20, server has nothing"#;
        assert!(hint(default, "server", true).starts_with("default:"));
        let scheme =
            r#"/securitySchemes/bearerAuth/scheme: spec says "bearer", server says "basic""#;
        assert!(hint(scheme, "server", true).contains("header"));

        // only code made from another spec is sent to `cargo xtask codegen`
        for d in [security, null, param, format] {
            assert!(hint(d, "server", false).contains("run `cargo xtask codegen`"));
        }
    }

    #[test]
    fn a_failure_report_groups_differences_under_their_hint() {
        let diffs = vec![
            r#"/paths/~1x/get/security: spec says [{"bearerAuth":[]}], server says []"#.to_owned(),
            r#"/paths/~1y/get/security: spec says [{"bearerAuth":[]}], server says []"#.to_owned(),
            r#"/components/schemas/X/properties/a/pattern: spec has "^a", server has nothing"#
                .to_owned(),
        ];
        let report = failure_report("the server disagrees", &diffs, "server");
        assert!(
            report.starts_with("the server disagrees (3 differences)"),
            "{report}"
        );
        assert_eq!(report.matches("\n→ ").count(), 2, "{report}");
        // both generated files carry the spec's hash in their header
        assert!(generated_from_current_spec("server").is_some());
        assert!(generated_from_current_spec("client").is_some());
        assert_eq!(generated_from_current_spec("elsewhere"), None);
    }

    #[test]
    fn the_contract_comparison_forgives_rust_leniency_inside_schemas_only() {
        let spec_view = json!({"paths": {"/x": {"post": {
            "requestBody": {"required": true, "content": {"application/json": {"schema": {
                "type": ["object"], "properties": {"a": {"type": ["string"]}}}}}},
        }}}});
        let mut server_view = spec_view.clone();
        server_view["paths"]["/x"]["post"]["requestBody"]["content"]["application/json"]["schema"]
            ["properties"]["a"]["type"] = json!(["null", "string"]);
        assert_eq!(
            contract_differences(&spec_view, &server_view, "server"),
            Vec::<String>::new()
        );
        // the body itself being optional is no schema leniency
        server_view["paths"]["/x"]["post"]["requestBody"]["required"] = json!(false);
        assert_eq!(
            contract_differences(&spec_view, &server_view, "server").len(),
            1
        );
    }
}
