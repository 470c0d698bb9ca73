//! Operations, paired as drift pairs them, and their request and response media types.

use std::collections::{BTreeMap, BTreeSet};

use openapi_support::{METHODS, escape_segment, follow_refs, resolve_ref};
use serde_json::Value;

use super::gate::Finding;

pub(super) struct Op<'a> {
    /// `POST /users/getToken`
    pub(super) label: String,
    /// `#/paths/~1users~1getToken/post`
    pub(super) pointer: String,
    pub(super) item_pointer: String,
    pub(super) item: &'a Value,
    pub(super) op: &'a Value,
}

/// Operations in both documents, keyed like drift: path with parameter names erased, method.
pub(super) fn common_operations<'a>(old: &'a Value, new: &'a Value) -> Vec<(Op<'a>, Op<'a>)> {
    fn operations(doc: &Value) -> BTreeMap<(String, &'static str), Op<'_>> {
        let mut out = BTreeMap::new();
        for (path, item) in doc
            .get("paths")
            .and_then(Value::as_object)
            .into_iter()
            .flatten()
        {
            let item_pointer = format!("#/paths/{}", escape_segment(path));
            for method in METHODS {
                if let Some(op) = item.get(method) {
                    let mut route = String::new();
                    let mut in_param = false;
                    for c in path.chars() {
                        match c {
                            '{' => {
                                in_param = true;
                                route.push_str("{}");
                            }
                            '}' => in_param = false,
                            c if !in_param => route.push(c),
                            _ => {}
                        }
                    }
                    out.insert(
                        (route, method),
                        Op {
                            label: format!("{} {path}", method.to_uppercase()),
                            pointer: format!("{item_pointer}/{method}"),
                            item_pointer: item_pointer.clone(),
                            item,
                            op,
                        },
                    );
                }
            }
        }
        out
    }
    let mut new_ops = operations(new);
    operations(old)
        .into_iter()
        .filter_map(|(key, o)| Some((o, new_ops.remove(&key)?)))
        .collect()
}

/// Media type → (pointer, schema) of a request body or response's content.
pub(super) fn content_schemas<'a>(
    doc: &'a Value,
    pointer: String,
    node: &'a Value,
) -> BTreeMap<String, (String, &'a Value)> {
    let (pointer, node) = follow_refs(doc, pointer, node);
    let mut out = BTreeMap::new();
    for (media, value) in node
        .get("content")
        .and_then(Value::as_object)
        .into_iter()
        .flatten()
    {
        if let Some(schema) = value.get("schema") {
            out.insert(
                media.clone(),
                (
                    format!("{pointer}/content/{}/schema", escape_segment(media)),
                    schema,
                ),
            );
        }
    }
    out
}

/// drift asserts that a request body or response keeps the same media types, each with or
/// without a schema (it panics otherwise). Report such changes here (as breaking: nothing compares
/// them) and drop the unmatched media types from both copies so drift can compare the rest.
pub(super) fn reconcile_media_types(old: &mut Value, new: &mut Value) -> Vec<Finding> {
    struct Pair {
        old: String,
        new: String,
        what: String,
        context: String,
    }
    let mut pairs = Vec::new();
    for (o, n) in common_operations(old, new) {
        let mut push = |old_node: (String, &Value), new_node: (String, &Value), what, context| {
            let (old_pointer, _) = follow_refs(old, old_node.0, old_node.1);
            let (new_pointer, _) = follow_refs(new, new_node.0, new_node.1);
            pairs.push(Pair {
                old: format!("{old_pointer}/content"),
                new: format!("{new_pointer}/content"),
                what,
                context,
            });
        };
        if let (Some(ob), Some(nb)) = (o.op.get("requestBody"), n.op.get("requestBody")) {
            push(
                (format!("{}/requestBody", o.pointer), ob),
                (format!("{}/requestBody", n.pointer), nb),
                "the request body".to_owned(),
                format!("request of {}", n.label),
            );
        }
        let (Some(or), Some(nr)) = (o.op.get("responses"), n.op.get("responses")) else {
            continue;
        };
        for (status, ov) in or.as_object().into_iter().flatten() {
            if let Some(nv) = nr.get(status) {
                push(
                    (format!("{}/responses/{status}", o.pointer), ov),
                    (format!("{}/responses/{status}", n.pointer), nv),
                    format!("response {status}"),
                    format!("response of {}", n.label),
                );
            }
        }
    }

    fn media(doc: &Value, pointer: &str) -> BTreeMap<String, bool> {
        resolve_ref(doc, pointer)
            .and_then(Value::as_object)
            .into_iter()
            .flatten()
            .map(|(k, v)| (k.clone(), v.get("schema").is_some()))
            .collect()
    }
    fn strip(doc: &mut Value, pointer: &str, media: &str) {
        if let Some(map) = doc
            .pointer_mut(&pointer[1..])
            .and_then(Value::as_object_mut)
        {
            map.remove(media);
        }
    }

    let mut findings = Vec::new();
    let note = "drift cannot compare media type changes; treated as breaking";
    for pair in pairs {
        let (old_media, new_media) = (media(old, &pair.old), media(new, &pair.new));
        let mut finding = |pointer: String, message: String| {
            findings.push(Finding {
                breaking: true,
                pointer,
                message: format!("{message} ({note})"),
                context: BTreeSet::from([pair.context.clone()]),
            })
        };
        for (media_type, had_schema) in &old_media {
            match new_media.get(media_type) {
                None => {
                    finding(
                        format!("{}/{}", pair.old, escape_segment(media_type)),
                        format!("{} no longer has media type {media_type}", pair.what),
                    );
                    strip(old, &pair.old, media_type);
                }
                Some(has_schema) if has_schema != had_schema => {
                    finding(
                        format!("{}/{}", pair.new, escape_segment(media_type)),
                        format!(
                            "{} {media_type}: the schema was {}",
                            pair.what,
                            if *has_schema { "added" } else { "removed" }
                        ),
                    );
                    strip(old, &pair.old, media_type);
                    strip(new, &pair.new, media_type);
                }
                Some(_) => {}
            }
        }
        for media_type in new_media.keys().filter(|m| !old_media.contains_key(*m)) {
            finding(
                format!("{}/{}", pair.new, escape_segment(media_type)),
                format!("{} gained media type {media_type}", pair.what),
            );
            strip(new, &pair.new, media_type);
        }
    }
    findings
}
