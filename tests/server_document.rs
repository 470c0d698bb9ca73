//! The server's own OpenAPI document (utoipa, 3.1) says what the spec (3.0) says, by meaning.

use iamport_contract_tests::{
    component_differences, component_schemas, contract_differences, contract_view, failure_report,
    spec,
};
use serde_json::Value;

fn server_document() -> Value {
    serde_json::to_value(<iamport_server::ApiDoc as utoipa::OpenApi>::openapi())
        .expect("the document serializes")
}

#[test]
fn operations_parameters_statuses_and_schemas_match_the_spec() {
    let spec_view = contract_view(&spec()).unwrap_or_else(|e| panic!("reading the spec: {e}"));
    let server_view = contract_view(&server_document())
        .unwrap_or_else(|e| panic!("reading the server's document: {e}"));
    let diffs = contract_differences(&spec_view, &server_view, "server");
    assert!(
        diffs.is_empty(),
        "{}",
        failure_report(
            "the server's /openapi.json disagrees with spec/iamport.yaml",
            &diffs,
            "server"
        )
    );
}

#[test]
fn component_schemas_match_the_spec() {
    let from_spec = component_schemas(&spec()).unwrap_or_else(|e| panic!("reading the spec: {e}"));
    let from_server = component_schemas(&server_document())
        .unwrap_or_else(|e| panic!("reading the server's document: {e}"));
    let diffs = component_differences(from_spec, from_server, "server");
    assert!(
        diffs.is_empty(),
        "{}",
        failure_report(
            "the server's component schemas disagree with the spec's",
            &diffs,
            "server"
        )
    );
}

#[test]
fn the_document_is_the_one_served_at_openapi_json() {
    // The view above is taken from `ApiDoc`; make sure that is what the router serves.
    let runtime = tokio::runtime::Runtime::new().unwrap();
    runtime.block_on(async {
        let sandbox = iamport_sandbox::Sandbox::new(
            &iamport_sandbox::Fixtures::default_set(),
            iamport_sandbox::SystemClock,
        );
        let (addr, _stop) = iamport_sandbox::spawn(sandbox).await.unwrap();
        let served: Value = reqwest::get(format!("http://{addr}/openapi.json"))
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        assert_eq!(served, server_document());
    });
}
