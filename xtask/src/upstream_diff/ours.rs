//! Our OpenAPI 3.0 document as facts: parameters by where they go, the request body's properties
//! (`application/json`, `application/x-www-form-urlencoded`, `multipart/form-data` alike: their
//! fields are merged) as `body.NAME`, and per success status the envelope's `response`.

use serde_json::{Map, Value};

use super::facts::{Api, OpKey, Operation, Tree, body_names};
use openapi_support::METHODS;

use super::load::{self, Doc};
use super::schema::Walker;
use super::upstream::payload;

const BODY_TYPES: [&str; 3] = [
    "application/json",
    "application/x-www-form-urlencoded",
    "multipart/form-data",
];

pub fn read(doc: &Doc) -> anyhow::Result<Api> {
    match doc.root.get("openapi") {
        Some(Value::String(v)) if v.starts_with("3.") => {}
        other => {
            return Err(doc.error(
                "/openapi",
                &format!(
                    "expected an OpenAPI 3 version, found {}",
                    other.map_or("nothing".to_owned(), Value::to_string)
                ),
            ));
        }
    }
    let mut api = Api::new();
    for (path, at, item) in load::path_items(doc)? {
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
            api.insert(
                key,
                operation(doc, op, item.get("parameters"), &at, &op_at)?,
            );
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
    let mut seen: Vec<(String, String)> = Vec::new();
    for (list, list_at) in [
        (op.get("parameters"), format!("{at}/parameters")),
        (shared, format!("{item_at}/parameters")),
    ] {
        let Some(list) = list else { continue };
        let list = list
            .as_array()
            .ok_or_else(|| doc.error(&list_at, "parameters that are not a list"))?;
        for (i, p) in list.iter().enumerate() {
            let p_at = format!("{list_at}/{i}");
            let p = doc.deref(p, &p_at)?;
            let name = p.get("name").and_then(Value::as_str);
            let place = p.get("in").and_then(Value::as_str);
            let (Some(name), Some(place)) = (name, place) else {
                return Err(doc.error(&p_at, "a parameter without name or in"));
            };
            let pair = (name.to_owned(), place.to_owned());
            if seen.contains(&pair) {
                continue;
            }
            seen.push(pair.clone());
            let required = p.get("required").and_then(Value::as_bool).unwrap_or(false);
            // `schema`, or (OpenAPI 3's other way) `content` with one media type
            let schema = p
                .get("schema")
                .or_else(|| {
                    p.get("content")?
                        .as_object()?
                        .values()
                        .next()?
                        .get("schema")
                })
                .ok_or_else(|| doc.error(&p_at, "a parameter without schema or content"))?;
            walker.field(
                schema,
                &format!("{place}.{name}"),
                required || place == "path",
                &mut out.fields,
            );
            out.inputs.push((pair.0, pair.1));
        }
    }
    if let Some(body) = op.get("requestBody") {
        let body_at = format!("{at}/requestBody");
        let body = doc.deref(body, &body_at)?;
        if let Some(content) = body.get("content").and_then(Value::as_object) {
            let mut media: Vec<&String> = content.keys().collect();
            media.sort_by_key(|m| BODY_TYPES.iter().position(|t| t == m).unwrap_or(9));
            for m in media {
                let Some(schema) = content[m].get("schema") else {
                    continue;
                };
                let mut tree = Tree::new();
                walker.properties(schema, "body", &mut tree);
                for name in body_names(&tree) {
                    let input = (name, "body".to_owned());
                    if !out.inputs.contains(&input) {
                        out.inputs.push(input);
                    }
                }
                for (path, facts) in tree {
                    out.fields.entry(path).or_insert(facts);
                }
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
        let Some(content) = response.get("content").and_then(Value::as_object) else {
            continue;
        };
        let schema = content
            .get("application/json")
            .or_else(|| content.values().next())
            .and_then(|m| m.get("schema"));
        if let Some(schema) = schema {
            out.payloads
                .insert(status.clone(), payload(&mut walker, schema, status));
        }
    }
    Ok(out)
}
