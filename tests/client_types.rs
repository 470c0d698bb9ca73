//! The client's types (their schemars schemas) say what the spec's component schemas say.

use iamport_client::types;
use iamport_contract_tests::{canonical, component_differences, component_schemas, spec};
use serde_json::Map;

/// Rust cannot look a type up by name, so the client's types are listed here; the test checks the
/// list against the spec both ways, so a schema added to or removed from the spec cannot be missed.
macro_rules! client_schemas {
    ($($name:ident),* $(,)?) => {
        vec![$((stringify!($name), serde_json::to_value(schemars::schema_for!(types::$name)).unwrap())),*]
    };
}

#[test]
fn every_component_schema_has_a_client_type_that_says_the_same() {
    let listed = client_schemas!(
        AuthAnnotation,
        AuthResponse,
        ErrorResponse,
        GetTokenRequest,
        NaverCashAmountAnnotation,
        NaverCashAmountResponse,
    );
    let from_spec = component_schemas(&spec()).unwrap();

    let listed_names: Vec<&str> = listed.iter().map(|(n, _)| *n).collect();
    let missing: Vec<&String> = from_spec
        .keys()
        .filter(|k| !listed_names.contains(&k.as_str()))
        .collect();
    assert!(
        missing.is_empty(),
        "spec schemas with no client type checked here (add them to the list): {missing:?}"
    );
    let extra: Vec<&&str> = listed_names
        .iter()
        .filter(|n| !from_spec.contains_key(**n))
        .collect();
    assert!(
        extra.is_empty(),
        "listed types that are not in the spec: {extra:?}"
    );

    let mut from_client = Map::new();
    for (name, root) in &listed {
        // schemars puts nested types under `$defs` of the root schema.
        let resolve = |r: &str| openapi_support::resolve_ref(root, r).cloned();
        from_client.insert((*name).to_owned(), canonical(root, &resolve).unwrap());
    }
    let diffs = component_differences(from_spec, from_client, "client");
    assert!(
        diffs.is_empty(),
        "the client's types disagree with the spec (run `cargo xtask codegen`?):\n{}",
        diffs.join("\n")
    );
}
