//! The comparison: both documents normalized, media type changes taken out (drift panics on them),
//! the supplement's walk, drift, and their findings merged.

use std::collections::{BTreeMap, BTreeSet, HashSet};

use anyhow::Context as _;
use drift::{ChangeClass, ChangeComparison, ChangeDetails};
use openapi_support::{follow_refs, panic_message, unescape_segment};
use serde_json::Value;

use super::gate::Finding;
use super::operations::{common_operations, reconcile_media_types};
use super::walk::Walk;

/// Every change from `old` to `new`, merged and sorted by pointer.
pub fn diff(old: &Value, new: &Value) -> anyhow::Result<Vec<Finding>> {
    let (mut old, mut new) = (old.clone(), new.clone());
    normalize(&mut old);
    normalize(&mut new);
    let mut findings = reconcile_media_types(&mut old, &mut new);

    let mut walk = Walk {
        old: &old,
        new: &new,
        findings: Vec::new(),
        explained: HashSet::new(),
        seen: HashSet::new(),
    };
    for (o, n) in common_operations(&old, &new) {
        walk.operation(&o, &n);
    }
    let Walk {
        findings: own,
        explained,
        ..
    } = walk;
    findings.extend(own);

    match std::panic::catch_unwind(|| drift::compare(&old, &new)) {
        Ok(changes) => {
            let changes = changes.context("drift could not read the documents")?;
            findings.extend(from_drift(&changes, &explained));
        }
        Err(panic) => {
            let why = panic_message(&*panic);
            findings.push(Finding {
                breaking: true,
                pointer: "#".into(),
                message: format!(
                    "drift failed while comparing ({why}); the changes cannot be classified, treated as breaking"
                ),
                context: BTreeSet::new(),
            });
        }
    }

    let mut merged: BTreeMap<(String, String, bool), BTreeSet<String>> = BTreeMap::new();
    for f in findings {
        merged
            .entry((f.pointer, f.message, f.breaking))
            .or_default()
            .extend(f.context);
    }
    Ok(merged
        .into_iter()
        .map(|((pointer, message, breaking), context)| Finding {
            breaking,
            pointer,
            message,
            context,
        })
        .collect())
}

/// Representation-only differences, removed from both documents before comparing: a `type` beside
/// a single-member `allOf`/`anyOf`/`oneOf` that repeats the member's type (OpenAPI 3.0.3 wants it
/// there for `nullable` to apply; openapiv3 then reads the schema as "any", which drift reports as
/// an incompatible kind change), and a `type` beside `enum: [null]` (only null is allowed anyway).
pub(super) fn normalize(doc: &mut Value) {
    fn visit(root: &Value, node: &mut Value) {
        match node {
            Value::Object(map) => {
                let redundant = map.get("type").is_some_and(|ty| {
                    let only_null = map
                        .get("enum")
                        .and_then(Value::as_array)
                        .is_some_and(|e| !e.is_empty() && e.iter().all(Value::is_null));
                    let wrapped = ["allOf", "anyOf", "oneOf"]
                        .into_iter()
                        .find_map(|kw| match map.get(kw) {
                            Some(Value::Array(items)) if items.len() == 1 => Some(&items[0]),
                            _ => None,
                        });
                    only_null
                        || wrapped.is_some_and(|inner| {
                            follow_refs(root, String::new(), inner).1.get("type") == Some(ty)
                        })
                });
                if redundant {
                    map.remove("type");
                }
                map.values_mut().for_each(|v| visit(root, v));
            }
            Value::Array(items) => items.iter_mut().for_each(|v| visit(root, v)),
            _ => {}
        }
    }
    let snapshot = doc.clone();
    visit(&snapshot, doc);
}

/// drift's `Unhandled` messages that the walk below analyses in full for the same schema node.
pub(super) const REFINED_BY_WALK: &[&str] = &[
    "object properties changed",
    "object required properties changed",
    "object minProperties changed",
    "object maxProperties changed",
    "string schema changed",
    "integer schema changed",
    "number schema changed",
    "boolean schema changed",
    "array minItems changed",
    "array maxItems changed",
    "array uniqueItems changed",
];

fn from_drift(changes: &[drift::Change], explained: &HashSet<String>) -> Vec<Finding> {
    let mut out = Vec::new();
    for change in changes {
        let Some(first) = change.paths.first() else {
            continue;
        };
        let inputs = change
            .paths
            .iter()
            .any(|p| p.comparison == ChangeComparison::Input);
        let context: BTreeSet<String> = change
            .paths
            .iter()
            .filter_map(|p| {
                let endpoint = endpoint_label(p.new.endpoint_base().or(p.old.endpoint_base())?);
                Some(match p.comparison {
                    ChangeComparison::Input => format!("request of {endpoint}"),
                    ChangeComparison::Output => format!("response of {endpoint}"),
                    ChangeComparison::Structural => endpoint,
                })
            })
            .collect();
        for info in &change.changes {
            let old_pointer = drift_pointer(&first.old, &info.old_subpath);
            let new_pointer = drift_pointer(&first.new, &info.new_subpath);
            if info.class == ChangeClass::Unhandled
                && REFINED_BY_WALK.contains(&info.message.as_str())
                && (explained.contains(&old_pointer) || explained.contains(&new_pointer))
            {
                continue;
            }
            let (breaking, note) = match info.class {
                ChangeClass::Trivial => (false, None),
                ChangeClass::BackwardIncompatible | ChangeClass::Incompatible => (true, None),
                ChangeClass::Unhandled => (
                    true,
                    Some("drift cannot classify this change; treated as breaking"),
                ),
                ChangeClass::ForwardIncompatible if info.details == ChangeDetails::Removed => (
                    true,
                    Some("the generated client or mocks lose what they had for it"),
                ),
                // The client takes optional inputs with setters on the request value: a new one
                // is one more setter, and every existing call still compiles.
                ChangeClass::ForwardIncompatible
                    if inputs && info.message.starts_with(NEW_OPTIONAL_PARAMETER) =>
                {
                    (
                        false,
                        Some("a new setter on the client's request; calls compile as before"),
                    )
                }
                ChangeClass::ForwardIncompatible if inputs => (
                    true,
                    Some("the required arguments of the client method change"),
                ),
                ChangeClass::ForwardIncompatible => (false, None),
            };
            let removed = info.details == ChangeDetails::Removed || new_pointer == "#/paths";
            out.push(Finding {
                breaking,
                pointer: if removed { old_pointer } else { new_pointer },
                message: match note {
                    Some(note) => format!("{} ({note})", info.message),
                    None => info.message.clone(),
                },
                context: context.clone(),
            });
        }
    }
    out
}

/// How drift words an added optional parameter (pinned in `drift_pins.rs`).
pub(super) const NEW_OPTIONAL_PARAMETER: &str = "A new, optional parameter";

fn drift_pointer(stack: &drift::JsonPathStack, subpath: &str) -> String {
    let (base, _) = stack.base_and_subpath();
    let pointer = if subpath.is_empty() {
        base.to_owned()
    } else {
        format!("{base}/{subpath}")
    };
    // drift names this segment after openapiv3's field, not the document's key.
    pointer.replace("/request_body/", "/requestBody/")
}

/// `#/paths/~1users~1getToken/post` → `POST /users/getToken`.
fn endpoint_label(pointer: &str) -> String {
    let rest = pointer.strip_prefix("#/paths/").unwrap_or(pointer);
    let mut segments = rest.split('/');
    let path = unescape_segment(segments.next().unwrap_or_default());
    match segments.next() {
        Some(method) => format!("{} {path}", method.to_uppercase()),
        None => path,
    }
}
