//! The client's types (their schemars schemas) say what the spec's component schemas say: both what
//! serde reads and what it writes.

use iamport_client::types;
use iamport_contract_tests::{
    RustContract, canonical_at, component_differences_for, component_schemas, failure_report, spec,
};
use serde_json::{Map, Value};

/// A type's two schemas: what serde reads (schemars' default) and what it writes (`for_serialize`).
fn reads_and_writes<T: schemars::JsonSchema>() -> (Value, Value) {
    let reads = serde_json::to_value(schemars::schema_for!(T)).expect("a schema serializes");
    let writes = serde_json::to_value(
        schemars::generate::SchemaSettings::default()
            .for_serialize()
            .into_generator()
            .into_root_schema_for::<T>(),
    )
    .expect("a schema serializes");
    (reads, writes)
}

/// Rust cannot look a type up by name, so the client's types are listed here; the test checks the
/// list against the spec both ways, so a schema added to or removed from the spec cannot be missed.
macro_rules! client_schemas {
    ($($name:ident),* $(,)?) => {
        vec![$((stringify!($name), reads_and_writes::<types::$name>())),*]
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
    let from_spec = component_schemas(&spec()).unwrap_or_else(|e| panic!("reading the spec: {e}"));

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

    for (contract, what) in [
        (RustContract::Reads, "what the client's types read"),
        (RustContract::Writes, "what the client's types write"),
    ] {
        let mut from_client = Map::new();
        for (name, (reads, writes)) in &listed {
            let root = if contract == RustContract::Reads {
                reads
            } else {
                writes
            };
            // schemars puts nested types under `$defs` of the root schema.
            let resolve = |r: &str| r.strip_prefix('#').and_then(|p| root.pointer(p)).cloned();
            let schema = canonical_at(root, &resolve, "#").unwrap_or_else(|e| {
                panic!("reading the schemars schema of the client's {name}: {e}")
            });
            from_client.insert((*name).to_owned(), schema);
        }
        let diffs = component_differences_for(from_spec.clone(), from_client, "client", contract);
        assert!(
            diffs.is_empty(),
            "{}",
            failure_report(
                &format!("{what} disagrees with the spec's component schemas"),
                &diffs,
                "client"
            )
        );
    }
}
