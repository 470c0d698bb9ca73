//! Response `links`: each names an operation of the spec, and each of its parameters a parameter of
//! that operation (`name`, or `path.name` / `query.name` / `header.name`). The generators carry links
//! into the server's document and schemathesis follows them in its stateful phase: a link to nothing
//! would be dropped there without a word.

use std::collections::BTreeMap;

use openapi_support::{METHODS, resolve_ref};
use serde_json::{Map, Value};

use super::DocPath;
use super::checks::Problems;

pub fn check(doc: &Map<String, Value>, whole: &Value, p: &mut Problems) {
    let Some(paths) = doc.get("paths").and_then(Value::as_object) else {
        return;
    };
    // operationId → the parameters it takes, as (in, name)
    let mut params: BTreeMap<&str, Vec<(String, String)>> = BTreeMap::new();
    for item in paths.values().filter_map(Value::as_object) {
        for method in METHODS {
            let Some(op) = item.get(method) else { continue };
            let Some(id) = op.get("operationId").and_then(Value::as_str) else {
                continue;
            };
            let declared = item
                .get("parameters")
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
                .chain(
                    op.get("parameters")
                        .and_then(Value::as_array)
                        .into_iter()
                        .flatten(),
                )
                .filter_map(|prm| match prm.get("$ref").and_then(Value::as_str) {
                    Some(r) => resolve_ref(whole, r),
                    None => Some(prm),
                })
                .filter_map(|prm| {
                    Some((
                        prm.get("in")?.as_str()?.to_owned(),
                        prm.get("name")?.as_str()?.to_owned(),
                    ))
                })
                .collect();
            params.insert(id, declared);
        }
    }
    for (template, item) in paths {
        let Some(item) = item.as_object() else {
            continue;
        };
        for method in METHODS {
            let Some(responses) = item
                .get(method)
                .and_then(|op| op.get("responses"))
                .and_then(Value::as_object)
            else {
                continue;
            };
            for (status, response) in responses {
                let Some(links) = response.get("links").and_then(Value::as_object) else {
                    continue;
                };
                let at = DocPath::default()
                    .key("paths")
                    .key(template.as_str())
                    .key(method)
                    .key("responses")
                    .key(status.as_str())
                    .key("links");
                for (name, link) in links {
                    check_link(link, &params, &at.key(name.as_str()), p);
                }
            }
        }
    }
}

fn check_link(
    link: &Value,
    params: &BTreeMap<&str, Vec<(String, String)>>,
    at: &DocPath,
    p: &mut Problems,
) {
    let Some(target) = link.get("operationId").and_then(Value::as_str) else {
        p.push((
            at.clone(),
            "a link needs an `operationId` (the generators do not follow `operationRef`)".into(),
        ));
        return;
    };
    let Some(takes) = params.get(target) else {
        p.push((
            at.key("operationId"),
            format!("no operation has the operationId `{target}`"),
        ));
        return;
    };
    for key in link
        .get("parameters")
        .and_then(Value::as_object)
        .into_iter()
        .flat_map(Map::keys)
    {
        let known = match key.split_once('.') {
            Some((place, name)) if ["path", "query", "header", "cookie"].contains(&place) => {
                takes.iter().any(|(i, n)| i == place && n == name)
            }
            _ => takes.iter().any(|(_, n)| n == key),
        };
        if !known {
            p.push((
                at.key("parameters").key(key.as_str()),
                format!("`{target}` has no parameter `{key}`"),
            ));
        }
    }
}
