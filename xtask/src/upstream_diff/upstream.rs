//! Upstream's Swagger 2.0 document as facts. Parameters `in: formData` (and the properties of an
//! `in: body` parameter's schema) are the request body's fields `body.NAME`; a formData parameter
//! is its own schema (`type`, `items`, `enum`), or carries one in `schema` (upstream does both:
//! `type: string` beside `schema: {$ref}` means the `$ref`; `type: array` beside `schema: {type:
//! string}` means an array of those).

use serde_json::{Map, Value, json};

use super::facts::{Api, OpKey, Operation, Tree, body_names, payload_root};
use openapi_support::METHODS;

use super::load::{self, Doc};
use super::schema::Walker;

pub fn read(doc: &Doc) -> anyhow::Result<Api> {
    match doc.root.get("swagger") {
        Some(Value::String(v)) if v.starts_with('2') => {}
        other => {
            return Err(doc.error(
                "/swagger",
                &format!(
                    "expected \"2.0\" (upstream's document is Swagger 2.0), found {}",
                    other.map_or("nothing".to_owned(), Value::to_string)
                ),
            ));
        }
    }
    let mut api = Api::new();
    for (path, at, item) in load::path_items(doc)? {
        let shared = item.get("parameters");
        for method in METHODS {
            let Some(op) = item.get(method) else { continue };
            let op_at = format!("{at}/{method}");
            let op = op
                .as_object()
                .ok_or_else(|| doc.error(&op_at, "an operation that is not a mapping"))?;
            let key = OpKey {
                path: path.to_owned(),
                method: method.to_uppercase(),
            };
            api.insert(key, operation(doc, op, shared, &at, &op_at)?);
        }
    }
    Ok(api)
}

fn operation(
    doc: &Doc,
    op: &Map<String, Value>,
    shared: Option<&Value>,
    item_at: &str,
    at: &str,
) -> anyhow::Result<Operation> {
    let mut out = Operation {
        operation_id: op
            .get("operationId")
            .and_then(Value::as_str)
            .map(str::to_owned),
        ..Operation::default()
    };
    let mut walker = Walker::new(doc);
    // the operation's own parameters win over the path item's of the same (name, in)
    let mut params: Vec<(&str, &str, &Value)> = Vec::new();
    for (list, list_at) in [
        (op.get("parameters"), format!("{at}/parameters")),
        (shared, format!("{item_at}/parameters")),
    ] {
        let Some(list) = list else { continue };
        let list = list
            .as_array()
            .ok_or_else(|| doc.error(&list_at, "parameters that are not a list"))?;
        for (i, p) in list.iter().enumerate() {
            let p = doc.deref(p, &format!("{list_at}/{i}"))?;
            let name = p.get("name").and_then(Value::as_str);
            let place = p.get("in").and_then(Value::as_str);
            let (Some(name), Some(place)) = (name, place) else {
                return Err(doc.error(&format!("{list_at}/{i}"), "a parameter without name or in"));
            };
            if !params.iter().any(|(n, w, _)| *n == name && *w == place) {
                params.push((name, place, p));
            }
        }
    }
    for (name, place, p) in params {
        let required = p.get("required").and_then(Value::as_bool).unwrap_or(false);
        match place {
            "body" => {
                if let Some(schema) = p.get("schema") {
                    let mut tree = Tree::new();
                    walker.properties(schema, "body", &mut tree);
                    for name in body_names(&tree) {
                        out.inputs.push((name, "body".to_owned()));
                    }
                    out.fields.append(&mut tree);
                }
            }
            _ => {
                let place = if place == "formData" { "body" } else { place };
                let (schema, quirk) = param_schema(p);
                let path = format!("{place}.{name}");
                let mut tree = Tree::new();
                walker.field(&schema, &path, required || place == "path", &mut tree);
                if let (Some(q), Some(facts)) = (quirk, tree.get_mut(&path)) {
                    facts.quirks.push(q);
                }
                out.fields.append(&mut tree);
                out.inputs.push((name.to_owned(), place.to_owned()));
            }
        }
    }
    let responses = op
        .get("responses")
        .and_then(Value::as_object)
        .ok_or_else(|| doc.error(&format!("{at}/responses"), "missing or not a mapping"))?;
    for (status, response) in responses {
        out.statuses.insert(status.clone());
        if !status.starts_with('2') {
            continue;
        }
        let response = doc.deref(response, &format!("{at}/responses/{status}"))?;
        if let Some(schema) = response.get("schema") {
            out.payloads
                .insert(status.clone(), payload(&mut walker, schema, status));
        }
    }
    Ok(out)
}

/// The schema a non-body parameter describes, and how it had to be read when upstream wrote it
/// oddly.
fn param_schema(p: &Value) -> (Value, Option<String>) {
    let Some(schema) = p.get("schema") else {
        return (p.clone(), None);
    };
    let ty = p.get("type").and_then(Value::as_str);
    let schema_is_array = schema.get("type").and_then(Value::as_str) == Some("array");
    match ty {
        Some("array") if !schema_is_array => (
            json!({"type": "array", "items": schema}),
            Some("a parameter with type: array beside a schema, read as an array of it".to_owned()),
        ),
        Some(t) => (
            schema.clone(),
            Some(format!(
                "a parameter with type: {t} beside a schema, read as the schema"
            )),
        ),
        None => (schema.clone(), None),
    }
}

/// The tree of the envelope's `response`: empty for an envelope without payload (no `response`, or
/// an object without fields); the whole payload when it is not an envelope.
pub fn payload<'a>(walker: &mut Walker<'a>, schema: &'a Value, status: &str) -> Tree {
    let root = payload_root(status);
    let mut tree = Tree::new();
    if let Some((inner, required)) = walker.property(schema, "response") {
        walker.field(inner, &root, required, &mut tree);
    } else if let Some(alternatives) = named_alternatives(walker.doc, schema) {
        let synthetic = json!({ "oneOf": alternatives });
        walker.field(&synthetic, &root, false, &mut tree);
        if let Some(facts) = tree.get_mut(&root) {
            facts.quirks.push(
                "alternative envelopes written as properties named after definitions (read as \
                 their `response`s, one of)"
                    .to_owned(),
            );
        }
    } else if walker.property(schema, "code").is_none() {
        walker.field(schema, &root, true, &mut tree);
    }
    let empty = tree.len() == 1
        && tree
            .get(&root)
            .is_some_and(|f| f.ty.as_deref() == Some("object"));
    if empty {
        tree.clear();
    }
    tree
}

/// Upstream's way of saying "one of these envelopes": `properties: {CustomerResponse: {$ref:
/// '#/definitions/CustomerResponse'}, ...}`. The alternatives' `response` schemas.
fn named_alternatives(doc: &Doc, schema: &Value) -> Option<Vec<Value>> {
    let props = schema.get("properties")?.as_object()?;
    if props.is_empty() || schema.get("$ref").is_some() {
        return None;
    }
    let mut out = Vec::new();
    for (name, s) in props {
        let reference = s.get("$ref")?.as_str()?;
        if reference.rsplit('/').next() != Some(name.as_str()) {
            return None;
        }
        let mut walker = Walker::new(doc);
        let target = doc.pointer(reference)?;
        let (response, _) = walker.property(target, "response")?;
        out.push(response.clone());
    }
    Some(out)
}
