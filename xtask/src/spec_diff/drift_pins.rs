//! What the classifier takes from drift, pinned on small documents, so that a drift upgrade that
//! changes any of it fails here instead of changing spec-diff's verdicts silently: the `Unhandled`
//! messages the walk supersedes (by their text), the classes and details `from_drift` maps, where
//! drift says a change is (`request_body`, the endpoint), and what drift does not see or panics on
//! (which the supplement covers).

use std::collections::BTreeSet;

use drift::{ChangeClass, ChangeComparison, ChangeDetails};
use serde_json::{Value, json};

use super::compare::REFINED_BY_WALK;

const OP: &str = "#/paths/~1things~1{id}/post";

/// One operation whose response body is the component `Out` = `out`.
fn doc(out: Value) -> Value {
    json!({
        "openapi": "3.0.3",
        "info": {"title": "pins", "version": "1.0.0"},
        "paths": {"/things/{id}": {"post": {
            "operationId": "thing",
            "parameters": [{"name": "id", "in": "path", "required": true, "schema": {"type": "string"}}],
            "requestBody": {"required": true, "content": {"application/json": {"schema": {
                "type": "object", "properties": {"a": {"type": "string"}}
            }}}},
            "responses": {"200": {"description": "ok", "content": {"application/json": {"schema": {
                "$ref": "#/components/schemas/Out"
            }}}}}
        }}},
        "components": {"schemas": {"Out": out}}
    })
}

/// What drift says: (comparison, class, details, message, new base pointer, new subpath) per change.
type Said = (
    ChangeComparison,
    ChangeClass,
    ChangeDetails,
    String,
    String,
    String,
);

fn drift_says(old: &Value, new: &Value) -> Vec<Said> {
    let mut out = vec![];
    for change in drift::compare(old, new).expect("drift reads both documents") {
        let path = &change.paths[0];
        for info in &change.changes {
            out.push((
                path.comparison,
                info.class,
                info.details,
                info.message.clone(),
                path.new.base_and_subpath().0.to_owned(),
                info.new_subpath.clone(),
            ));
        }
    }
    out
}

/// The messages of drift's changes between `doc(old)` and `doc(new)`, with their classes.
fn messages(old: Value, new: Value) -> Vec<(ChangeClass, String)> {
    drift_says(&doc(old), &doc(new))
        .into_iter()
        .map(|said| (said.1, said.3))
        .collect()
}

#[test]
fn the_unhandled_messages_the_walk_supersedes_are_drift_s() {
    let object = json!({"type": "object", "properties": {"a": {"type": "string"}}});
    let with = |extra: Value| {
        let mut o = object.clone();
        o.as_object_mut()
            .unwrap()
            .extend(extra.as_object().unwrap().clone());
        o
    };
    let array = json!({"type": "array", "items": {"type": "string"}});
    let array_with = |k: &str, v: Value| {
        let mut a = array.clone();
        a[k] = v;
        a
    };
    let cases = [
        (
            object.clone(),
            with(json!({"properties": {"a": {"type": "string"}, "b": {"type": "string"}}})),
            "object properties changed",
        ),
        (
            object.clone(),
            with(json!({"required": ["a"]})),
            "object required properties changed",
        ),
        (
            object.clone(),
            with(json!({"minProperties": 1})),
            "object minProperties changed",
        ),
        (
            object.clone(),
            with(json!({"maxProperties": 1})),
            "object maxProperties changed",
        ),
        (
            json!({"type": "string"}),
            json!({"type": "string", "maxLength": 3}),
            "string schema changed",
        ),
        (
            json!({"type": "integer"}),
            json!({"type": "integer", "maximum": 3}),
            "integer schema changed",
        ),
        (
            json!({"type": "number"}),
            json!({"type": "number", "maximum": 3}),
            "number schema changed",
        ),
        (
            json!({"type": "boolean"}),
            json!({"type": "boolean", "enum": [true]}),
            "boolean schema changed",
        ),
        (
            array.clone(),
            array_with("minItems", json!(1)),
            "array minItems changed",
        ),
        (
            array.clone(),
            array_with("maxItems", json!(1)),
            "array maxItems changed",
        ),
        (
            array.clone(),
            array_with("uniqueItems", json!(true)),
            "array uniqueItems changed",
        ),
    ];
    for (old, new, message) in &cases {
        assert_eq!(
            messages(old.clone(), new.clone()),
            vec![(ChangeClass::Unhandled, message.to_string())],
            "{old} -> {new}"
        );
    }
    // Every text the classifier matches on is pinned here.
    let pinned: BTreeSet<&str> = cases.iter().map(|c| c.2).collect();
    assert_eq!(pinned, REFINED_BY_WALK.iter().copied().collect());
}

#[test]
fn the_classes_and_details_the_classifier_maps() {
    use ChangeClass::*;
    use ChangeComparison::*;
    use ChangeDetails::*;
    let old = doc(json!({"type": "string"}));
    let at = |base: &str, sub: &str| (base.to_owned(), sub.to_owned());

    // A removed response status is only "forward" incompatible, but `Removed` (breaking for us).
    let mut new = old.clone();
    new["paths"]["/things/{id}"]["post"]["responses"] = json!({"201": {"description": "created"}});
    let said = drift_says(&old, &new);
    let expected: Vec<Said> = vec![
        (
            Output,
            ForwardIncompatible,
            Removed,
            "operation no longer responds with status 200".into(),
            OP.into(),
            String::new(),
        ),
        (
            Output,
            BackwardIncompatible,
            Added,
            "operation added a new response code 201".into(),
            OP.into(),
            String::new(),
        ),
    ];
    assert_eq!(said, expected);

    // A new optional parameter: forward only, on the input; the classifier recognizes it by the
    // start of the message (compatible for us: a new setter).
    let mut new = old.clone();
    new["paths"]["/things/{id}"]["post"]["parameters"]
        .as_array_mut()
        .unwrap()
        .push(json!({"name": "q", "in": "query", "schema": {"type": "string"}}));
    let said = drift_says(&old, &new);
    assert_eq!(said.len(), 1, "{said:?}");
    assert_eq!(
        (said[0].0, said[0].1, said[0].2),
        (Input, ForwardIncompatible, Added)
    );
    assert_eq!(said[0].3, "A new, optional parameter 'q' was added");
    assert!(
        said[0]
            .3
            .starts_with(super::compare::NEW_OPTIONAL_PARAMETER)
    );
    assert_eq!(at(&said[0].4, &said[0].5), at(OP, "parameters/1"));

    // An added operation is forward only (compatible); a removed one is backward, with `#/paths`
    // as its new location (the classifier points at the old one then).
    let mut added = old.clone();
    added["paths"]["/other"] =
        json!({"get": {"operationId": "other", "responses": {"200": {"description": "ok"}}}});
    let said = drift_says(&old, &added);
    assert_eq!(
        (said[0].0, said[0].1, said[0].2),
        (Structural, ForwardIncompatible, Added)
    );
    assert_eq!(said[0].3, "The operation other was added");
    let said = drift_says(&added, &old);
    assert_eq!(
        (said[0].0, said[0].1, said[0].2),
        (Structural, BackwardIncompatible, Removed)
    );
    assert_eq!(said[0].3, "The operation other was removed");
    assert_eq!(said[0].4, "#/paths");
}

#[test]
fn where_drift_says_a_change_is() {
    // Inside a request body drift names the segment after openapiv3's field (`request_body`);
    // `drift_pointer` turns it back into the document's key.
    let old = doc(json!({"type": "string"}));
    let mut new = old.clone();
    new["paths"]["/things/{id}"]["post"]["requestBody"]["content"]["application/json"]["schema"]
        ["properties"]["a"]["maxLength"] = json!(3);
    let change = &drift::compare(&old, &new).unwrap()[0];
    assert_eq!(change.paths[0].comparison, ChangeComparison::Input);
    assert_eq!(change.paths[0].new.endpoint_base(), Some(OP));
    assert_eq!(
        change.changes[0].new_subpath,
        "request_body/content/application~1json/schema/properties/a"
    );
    let findings = super::diff(&old, &new).unwrap();
    assert_eq!(findings.len(), 1, "{findings:?}");
    assert_eq!(
        findings[0].pointer,
        format!("{OP}/requestBody/content/application~1json/schema/properties/a/maxLength")
    );
    assert!(findings[0].context.contains("request of POST /things/{id}"));
}

#[test]
fn what_drift_does_not_see_or_panics_on() {
    let old = doc(json!({"type": "string"}));
    // A change of `nullable` alone, and a renamed operationId: nothing.
    let nullable = doc(json!({"type": "string", "nullable": true}));
    assert_eq!(drift_says(&old, &nullable), vec![]);
    let mut renamed = old.clone();
    renamed["paths"]["/things/{id}"]["post"]["operationId"] = json!("renamed");
    assert_eq!(drift_says(&old, &renamed), vec![]);
    // A changed media type: drift asserts that they stay the same (a panic).
    let mut media = old.clone();
    let body = &mut media["paths"]["/things/{id}"]["post"]["requestBody"]["content"];
    body["text/plain"] = body["application/json"].take();
    body.as_object_mut().unwrap().remove("application/json");
    let panicked = std::panic::catch_unwind(|| drift::compare(&old, &media)).is_err();
    assert!(
        panicked,
        "drift no longer panics on a media type change: spec-diff could let drift compare them"
    );
}
