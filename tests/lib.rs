//! Helpers of the contract tests: the spec as data, and schemas compared by meaning.
//!
//! The spec (OpenAPI 3.0), the server's own document (utoipa, OpenAPI 3.1) and the client's types
//! (schemars, JSON Schema 2020-12) write the same schema in different ways. [`canonical`] brings any of
//! them to one form (references inlined, `nullable` and `oneOf [X, null]` folded into a type list,
//! documentation dropped); the canonical form is plain JSON Schema, so it also serves to validate
//! answers with `jsonschema`. [`differences`] lists what differs, by JSON pointer.

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
    (!schema.is_null())
        .then(|| canonical(schema, &components_resolver(spec)).expect("the spec's schema resolves"))
}

/// Resolves `#/components/schemas/X` (and any other local pointer) in an OpenAPI document.
pub fn components_resolver(doc: &Value) -> impl Fn(&str) -> Option<Value> + '_ {
    move |reference: &str| openapi_support::resolve_ref(doc, reference).cloned()
}

/// Brings a schema to the canonical form described in the module docs.
pub fn canonical(schema: &Value, resolve: &dyn Fn(&str) -> Option<Value>) -> Result<Value, String> {
    canonical_at(schema, resolve, 0)
}

fn canonical_at(
    schema: &Value,
    resolve: &dyn Fn(&str) -> Option<Value>,
    depth: usize,
) -> Result<Value, String> {
    if depth > 64 {
        return Err("schema nesting deeper than 64 (a reference cycle?)".into());
    }
    let recurse = |s: &Value| canonical_at(s, resolve, depth + 1);
    let s = match schema {
        Value::Bool(true) => return Ok(json!({})),
        Value::Bool(false) => return Ok(json!({"not": {}})),
        Value::Object(s) => s,
        other => return Err(format!("not a schema: {other}")),
    };
    if let Some(reference) = s.get("$ref").and_then(Value::as_str) {
        let target =
            resolve(reference).ok_or_else(|| format!("unresolved reference {reference}"))?;
        return recurse(&target);
    }

    let mut out = Map::new();
    let mut types: BTreeSet<String> = match s.get("type") {
        Some(Value::String(t)) => [t.clone()].into(),
        Some(Value::Array(ts)) => ts
            .iter()
            .filter_map(Value::as_str)
            .map(str::to_owned)
            .collect(),
        _ => BTreeSet::new(),
    };
    let mut nullable = s.get("nullable") == Some(&Value::Bool(true));

    // allOf: merged into this schema (the spec uses it to make a reference nullable).
    for member in s
        .get("allOf")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
    {
        let member = recurse(member)?;
        merge(&mut out, &mut types, member);
    }
    // anyOf / oneOf: a `null` member is nullability; a single remaining member is the schema itself.
    for key in ["anyOf", "oneOf"] {
        let Some(members) = s.get(key).and_then(Value::as_array) else {
            continue;
        };
        let mut rest = vec![];
        for member in members {
            let member = recurse(member)?;
            if member == json!({"type": ["null"]}) {
                nullable = true;
            } else {
                rest.push(member);
            }
        }
        match rest.len() {
            0 => {}
            1 => merge(&mut out, &mut types, rest.remove(0)),
            _ => {
                rest.sort_by_key(Value::to_string);
                out.insert("anyOf".into(), Value::Array(rest));
            }
        }
    }

    if let Some(values) = s.get("enum").and_then(Value::as_array) {
        let mut values: Vec<Value> = values.clone();
        if values.contains(&Value::Null) {
            values.retain(|v| !v.is_null());
            if values.is_empty() {
                types = ["null".to_owned()].into();
            } else {
                nullable = true;
            }
        }
        if !values.is_empty() {
            values.sort_by_key(Value::to_string);
            out.insert("enum".into(), Value::Array(values));
        }
    }
    if nullable && (!types.is_empty() || !out.is_empty()) {
        types.insert("null".into());
    }
    if let Some(props) = s.get("properties").and_then(Value::as_object) {
        let mut canon = Map::new();
        for (name, prop) in props {
            canon.insert(name.clone(), recurse(prop)?);
        }
        out.insert("properties".into(), Value::Object(canon));
    }
    if let Some(required) = s.get("required").and_then(Value::as_array) {
        let mut names: Vec<&str> = required.iter().filter_map(Value::as_str).collect();
        names.sort();
        names.dedup();
        if !names.is_empty() {
            out.insert("required".into(), json!(names));
        }
    }
    if let Some(items) = s.get("items") {
        out.insert("items".into(), recurse(items)?);
    }
    match s.get("additionalProperties") {
        None | Some(Value::Bool(true)) => {}
        Some(Value::Bool(false)) => {
            out.insert("additionalProperties".into(), Value::Bool(false));
        }
        Some(extra) => {
            out.insert("additionalProperties".into(), recurse(extra)?);
        }
    }
    for key in [
        "minLength",
        "maxLength",
        "minimum",
        "maximum",
        "minItems",
        "maxItems",
        "multipleOf",
    ] {
        if let Some(n) = s.get(key).and_then(Value::as_f64) {
            out.insert(key.into(), json!(n));
        }
    }
    for key in ["pattern", "format"] {
        if let Some(v) = s.get(key) {
            out.insert(key.into(), v.clone());
        }
    }
    if !types.is_empty() {
        out.insert("type".into(), json!(types));
    }
    Ok(Value::Object(out))
}

/// Folds a canonical member into `out` (allOf semantics, for the shapes the generators produce).
fn merge(out: &mut Map<String, Value>, types: &mut BTreeSet<String>, member: Value) {
    let Value::Object(mut member) = member else {
        return;
    };
    if let Some(Value::Array(ts)) = member.remove("type") {
        let member_types: BTreeSet<String> = ts
            .iter()
            .filter_map(Value::as_str)
            .map(str::to_owned)
            .collect();
        *types = if types.is_empty() {
            member_types
        } else {
            types.intersection(&member_types).cloned().collect()
        };
    }
    for (key, value) in member {
        match (out.get_mut(&key), value) {
            (Some(Value::Object(mine)), Value::Object(theirs)) if key == "properties" => {
                mine.extend(theirs)
            }
            (Some(Value::Array(mine)), Value::Array(theirs)) if key == "required" => {
                mine.extend(theirs);
                mine.sort_by_key(Value::to_string);
                mine.dedup();
            }
            (_, value) => {
                out.insert(key, value);
            }
        }
    }
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
    if text.chars().count() > 120 {
        format!("{}…", text.chars().take(117).collect::<String>())
    } else {
        text
    }
}

/// What an OpenAPI document (3.0 or 3.1) says about its operations, by meaning: operationIds,
/// parameters, request bodies, responses with their canonical schemas, security; plus the info
/// version and the security schemes. Descriptions and examples are left out.
pub fn contract_view(doc: &Value) -> Result<Value, String> {
    let resolve = components_resolver(doc);
    let deref = |v: &Value| -> Value {
        match v.get("$ref").and_then(Value::as_str) {
            Some(r) => resolve(r).unwrap_or(Value::Null),
            None => v.clone(),
        }
    };
    let mut paths = Map::new();
    for (path, item) in doc["paths"].as_object().into_iter().flatten() {
        let mut methods = Map::new();
        for method in METHODS {
            let Some(op) = item.get(method) else { continue };
            let mut params = Map::new();
            let shared = item
                .get("parameters")
                .and_then(Value::as_array)
                .into_iter()
                .flatten();
            for p in shared.chain(
                op.get("parameters")
                    .and_then(Value::as_array)
                    .into_iter()
                    .flatten(),
            ) {
                let p = deref(p);
                let place = p["in"].as_str().unwrap_or("?");
                let schema = canonical(&p["schema"], &resolve)?;
                params.insert(
                    format!("{place}:{}", p["name"].as_str().unwrap_or("?")),
                    json!({"required": p["required"].as_bool().unwrap_or(false) || place == "path", "schema": schema}),
                );
            }
            let body = match op.get("requestBody").map(&deref) {
                None => Value::Null,
                Some(b) => json!({
                    "required": b["required"].as_bool().unwrap_or(false),
                    "content": content_view(&b["content"], &resolve)?,
                }),
            };
            let mut responses = Map::new();
            for (status, r) in op["responses"].as_object().into_iter().flatten() {
                let r = deref(r);
                responses.insert(
                    status.clone(),
                    json!({"content": content_view(&r["content"], &resolve)?}),
                );
            }
            let mut security: Vec<Vec<String>> = op
                .get("security")
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
                .map(|req| {
                    let mut names: Vec<String> = req
                        .as_object()
                        .into_iter()
                        .flatten()
                        .map(|(k, _)| k.clone())
                        .collect();
                    names.sort();
                    names
                })
                .collect();
            security.sort();
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
        let mut s = Map::new();
        for key in ["type", "in", "name"] {
            if let Some(v) = scheme.get(key) {
                s.insert(key.into(), v.clone());
            }
        }
        if let Some(v) = scheme.get("scheme").and_then(Value::as_str) {
            s.insert("scheme".into(), json!(v.to_ascii_lowercase()));
        }
        schemes.insert(name.clone(), Value::Object(s));
    }
    Ok(json!({
        "info": {"title": doc["info"]["title"], "version": doc["info"]["version"]},
        "paths": paths,
        "securitySchemes": schemes,
    }))
}

fn content_view(content: &Value, resolve: &dyn Fn(&str) -> Option<Value>) -> Result<Value, String> {
    let mut out = Map::new();
    for (media, body) in content.as_object().into_iter().flatten() {
        let schema = match body.get("schema") {
            Some(s) => canonical(s, resolve)?,
            None => Value::Null,
        };
        out.insert(media.clone(), json!({ "schema": schema }));
    }
    Ok(Value::Object(out))
}

/// What differs between the spec's component schemas and another side's, as
/// `/components/schemas/<Name>/…` pointers.
pub fn component_differences(
    from_spec: Map<String, Value>,
    other: Map<String, Value>,
    side: &str,
) -> Vec<String> {
    differences(
        &Value::Object(from_spec),
        &Value::Object(other),
        ("spec", side),
    )
    .into_iter()
    .map(|d| format!("/components/schemas{d}"))
    .collect()
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
        out.insert(name.clone(), canonical(schema, &resolve)?);
    }
    Ok(out)
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
        let spec_3_0 = json!({"nullable": true, "allOf": [{"$ref": "#/components/schemas/X"}]});
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
        let only_null = canonical(&json!({"nullable": true, "enum": [null]}), &no_refs).unwrap();
        assert_eq!(only_null, json!({"type": ["null"]}));
        assert_eq!(
            only_null,
            canonical(&json!({"type": "null", "default": null}), &no_refs).unwrap()
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
}
