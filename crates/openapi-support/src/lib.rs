//! The small pieces that both `xtask` (generators, spec checks, spec-diff) and the contract tests
//! (`tests/`) need when they read an OpenAPI document, written once.

use std::any::Any;

use serde_json::Value;

/// The keys of a path item that are operations, in the order OpenAPI 3.0 lists them.
pub const METHODS: [&str; 8] = [
    "get", "put", "post", "delete", "options", "head", "patch", "trace",
];

/// The node a local reference (`#/components/schemas/X`, any JSON pointer after `#`) points at in
/// `doc`; `None` for a reference into another document or to nothing.
pub fn resolve_ref<'a>(doc: &'a Value, reference: &str) -> Option<&'a Value> {
    doc.pointer(reference.strip_prefix('#')?)
}

/// Follows `node`'s `$ref` chain (at most 32 steps, so a cycle ends) to the node that is not a
/// reference, with its pointer (`#/…`); `pointer` names `node` itself. A reference that does not
/// resolve stops the walk where it is.
pub fn follow_refs<'a>(
    doc: &'a Value,
    mut pointer: String,
    mut node: &'a Value,
) -> (String, &'a Value) {
    for _ in 0..32 {
        let Some(reference) = node.get("$ref").and_then(Value::as_str) else {
            break;
        };
        let Some(target) = resolve_ref(doc, reference) else {
            break;
        };
        pointer = reference.to_owned();
        node = target;
    }
    (pointer, node)
}

/// `key` as one segment of a JSON pointer (`~` → `~0`, `/` → `~1`).
pub fn escape_segment(key: &str) -> String {
    key.replace('~', "~0").replace('/', "~1")
}

/// A JSON pointer segment back to the key it names.
pub fn unescape_segment(segment: &str) -> String {
    segment.replace("~1", "/").replace("~0", "~")
}

/// What a caught panic said (`catch_unwind`'s payload): its message, or `(no message)`.
pub fn panic_message(payload: &(dyn Any + Send)) -> String {
    payload
        .downcast_ref::<&str>()
        .map(|s| (*s).to_owned())
        .or_else(|| payload.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "(no message)".to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn local_references_resolve_with_escapes() {
        let doc = json!({
            "components": {"schemas": {"A": {"$ref": "#/components/schemas/B"}, "B": {"type": "string"}}},
            "paths": {"/a/{b}": {"get": {"operationId": "x"}}}
        });
        assert_eq!(
            resolve_ref(&doc, "#/components/schemas/B"),
            Some(&json!({"type": "string"}))
        );
        assert_eq!(
            resolve_ref(&doc, "#/paths/~1a~1{b}/get/operationId"),
            Some(&json!("x"))
        );
        assert_eq!(resolve_ref(&doc, "#/components/schemas/C"), None);
        assert_eq!(resolve_ref(&doc, "other.yaml#/components/schemas/B"), None);

        let a = &doc["components"]["schemas"]["A"];
        let (pointer, node) = follow_refs(&doc, "#/components/schemas/A".into(), a);
        assert_eq!(pointer, "#/components/schemas/B");
        assert_eq!(node, &json!({"type": "string"}));
    }

    #[test]
    fn pointer_segments_round_trip() {
        assert_eq!(escape_segment("/a/{b}~c"), "~1a~1{b}~0c");
        assert_eq!(unescape_segment("~1a~1{b}~0c"), "/a/{b}~c");
        assert_eq!(unescape_segment(&escape_segment("~1")), "~1");
    }

    #[test]
    fn a_reference_cycle_ends() {
        let doc = json!({"A": {"$ref": "#/B"}, "B": {"$ref": "#/A"}});
        let (_, node) = follow_refs(&doc, "#/A".into(), &doc["A"]);
        assert!(node.get("$ref").is_some());
    }

    #[test]
    fn panic_messages() {
        let text = std::panic::catch_unwind(|| panic!("plain")).unwrap_err();
        assert_eq!(panic_message(&*text), "plain");
        let formatted = std::panic::catch_unwind(|| panic!("formatted {}", 42)).unwrap_err();
        assert_eq!(panic_message(&*formatted), "formatted 42");
        let other = std::panic::catch_unwind(|| std::panic::panic_any(7_u8)).unwrap_err();
        assert_eq!(panic_message(&*other), "(no message)");
    }
}
