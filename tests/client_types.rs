//! The client's types (their schemars schemas) say what the spec's component schemas say.

use iamport_contract_tests::{
    RustContract, canonical_at, component_differences_for, component_schemas, failure_report, spec,
};
use serde_json::Map;

#[test]
fn every_component_schema_has_a_client_type_that_says_the_same() {
    // The generated client lists its type for each component schema of the spec it was generated
    // from; a schema added to or removed from the spec without regenerating shows here too.
    let listed = iamport_client::__contract::component_schemas();
    let from_spec = component_schemas(&spec()).unwrap_or_else(|e| panic!("reading the spec: {e}"));

    let listed_names: Vec<&str> = listed.iter().map(|(n, _)| *n).collect();
    let missing: Vec<&String> = from_spec
        .keys()
        .filter(|k| !listed_names.contains(&k.as_str()))
        .collect();
    assert!(
        missing.is_empty(),
        "spec schemas with no client type (run `cargo xtask codegen`): {missing:?}"
    );
    let extra: Vec<&&str> = listed_names
        .iter()
        .filter(|n| !from_spec.contains_key(**n))
        .collect();
    assert!(
        extra.is_empty(),
        "client types for schemas that are not in the spec (run `cargo xtask codegen`): {extra:?}"
    );

    // What the types read (schemars' default contract) and what they write (`for_serialize`).
    for (contract, schemas, what) in [
        (RustContract::Reads, listed, "read"),
        (
            RustContract::Writes,
            iamport_client::__contract::component_schemas_written(),
            "write",
        ),
    ] {
        let mut from_client = Map::new();
        for (name, schema) in &schemas {
            let root = serde_json::to_value(schema).expect("a schema serializes");
            // schemars puts nested types under `$defs` of the root schema.
            let resolve = |r: &str| r.strip_prefix('#').and_then(|p| root.pointer(p)).cloned();
            let schema = canonical_at(&root, &resolve, "#").unwrap_or_else(|e| {
                panic!("reading the schemars schema of the client's {name}: {e}")
            });
            from_client.insert((*name).to_owned(), schema);
        }
        let diffs = component_differences_for(from_spec.clone(), from_client, "client", contract);
        assert!(
            diffs.is_empty(),
            "{}",
            failure_report(
                &format!(
                    "what the client's types {what} disagrees with the spec's component schemas"
                ),
                &diffs,
                "client"
            )
        );
    }
}
