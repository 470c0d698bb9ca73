//! `GET /docs`: Swagger UI over the API's description, served offline, "Try it out" calling the sandbox.
//!
//! The page's files are compiled into the binary: utoipa-swagger-ui's build script takes the Swagger UI
//! dist from the zip the utoipa-swagger-ui-vendored crate ships (its `vendored` feature), so neither the
//! build nor the running sandbox fetches anything.
//!
//! The document shown (`GET /docs/openapi.json`) is spec/iamport.yaml itself, embedded at build time
//! (the sandbox is not published, so a file outside the crate is fine), as JSON in the spec's own order,
//! with one change: `servers` is the sandbox itself (the relative URL `/`, which Swagger UI resolves
//! against the page's origin), so "Try it out" calls the sandbox and never api.iamport.kr. The spec
//! rather than the server's `/openapi.json` (utoipa's, built from the generated annotations): the same
//! operations, but the spec also has the examples (utoipa's document has none), which Swagger UI shows
//! and puts in the request bodies of "Try it out". `/openapi.json` is left as it is. The spec's security
//! schemes come along, so the page's "Authorize" button takes the access token of `POST /users/getToken`.

use std::sync::LazyLock;

use axum::Router;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use utoipa_swagger_ui::{Config, SwaggerUi};

/// The page (`/docs` redirects to `/docs/`, where Swagger UI's files are).
pub const PAGE: &str = "/docs";
/// The document the page shows.
pub const DOCUMENT: &str = "/docs/openapi.json";
/// The API's description (the source the server and the client are generated from).
const SPEC_YAML: &str = include_str!("../../../spec/iamport.yaml");

/// The routes of `/docs`; stateless, to merge into the sandbox's router.
pub fn routes() -> Router {
    let config = Config::new([DOCUMENT])
        // the operationIds of the spec next to each path (what the client's methods are named after)
        .display_operation_id(true)
        .filter(true)
        .display_request_duration(true)
        // Swagger UI would otherwise load a validity badge from validator.swagger.io
        .validator_url("none");
    Router::from(SwaggerUi::new(PAGE).config(config))
        .route(DOCUMENT, axum::routing::get(serve_document))
}

async fn serve_document() -> Response {
    static DOC: LazyLock<Result<String, String>> = LazyLock::new(|| document(SPEC_YAML));
    match &*DOC {
        Ok(json) => ([(header::CONTENT_TYPE, "application/json")], json.clone()).into_response(),
        Err(e) => {
            tracing::error!("the embedded spec/iamport.yaml: {e}");
            (
                StatusCode::INTERNAL_SERVER_ERROR,
                axum::Json(serde_json::json!({
                    "code": -1,
                    "message": format!("the sandbox cannot read its embedded spec/iamport.yaml: {e}"),
                    "response": null,
                })),
            )
                .into_response()
        }
    }
}

/// The spec as JSON (keys in the spec's order: YAML mappings keep it), `servers` the sandbox.
fn document(yaml: &str) -> Result<String, String> {
    let mut spec: yaml_serde::Value = yaml_serde::from_str(yaml).map_err(|e| e.to_string())?;
    let yaml_serde::Value::Mapping(top) = &mut spec else {
        return Err("not a YAML mapping".to_owned());
    };
    let sandbox = serde_json::json!([{"url": "/", "description": "this sandbox (이 샌드박스)"}]);
    top.insert(
        yaml_serde::Value::String("servers".to_owned()),
        yaml_serde::to_value(sandbox).map_err(|e| e.to_string())?,
    );
    serde_json::to_string(&spec).map_err(|e| e.to_string())
}

#[cfg(test)]
mod tests {
    use axum::body::Body;
    use axum::http::{Request, StatusCode, header};
    use tower::ServiceExt as _;

    async fn get(path: &str) -> (StatusCode, Option<String>, String) {
        let response = super::routes()
            .oneshot(Request::get(path).body(Body::empty()).unwrap())
            .await
            .unwrap();
        let status = response.status();
        let location = response
            .headers()
            .get(header::LOCATION)
            .map(|l| l.to_str().unwrap().to_owned());
        let body = axum::body::to_bytes(response.into_body(), 16 << 20)
            .await
            .unwrap();
        (status, location, String::from_utf8(body.to_vec()).unwrap())
    }

    #[tokio::test]
    async fn docs_redirects_to_the_page_which_loads_only_its_own_files() {
        let (status, location, _) = get("/docs").await;
        assert!(status.is_redirection(), "{status}");
        assert_eq!(location.as_deref(), Some("/docs/"));

        let (status, _, page) = get("/docs/").await;
        assert_eq!(status, StatusCode::OK);
        assert!(page.contains("swagger-ui"), "{page}");
        for needle in ["src=\"http", "href=\"http", "src=\"//", "href=\"//"] {
            assert!(
                !page.contains(needle),
                "the page loads a remote file: {page}"
            );
        }
        for asset in [
            "swagger-ui.css",
            "swagger-ui-bundle.js",
            "swagger-initializer.js",
        ] {
            assert!(page.contains(asset), "{asset} not in {page}");
            let (status, _, body) = get(&format!("/docs/{asset}")).await;
            assert_eq!(status, StatusCode::OK, "/docs/{asset}");
            assert!(!body.is_empty(), "/docs/{asset}");
        }
        let (_, _, init) = get("/docs/swagger-initializer.js").await;
        assert!(init.contains("/docs/openapi.json"), "{init}");
        assert!(
            init.replace(char::is_whitespace, "")
                .contains(r#""validatorUrl":"none""#),
            "{init}"
        );
    }

    #[tokio::test]
    async fn the_document_is_the_spec_with_the_sandbox_as_its_server() {
        let (status, _, body) = get("/docs/openapi.json").await;
        assert_eq!(status, StatusCode::OK);
        let shown: serde_json::Value = serde_json::from_str(&body).unwrap();
        assert_eq!(
            shown["servers"],
            serde_json::json!([{"url": "/", "description": "this sandbox (이 샌드박스)"}])
        );
        let mut spec: serde_json::Value = yaml_serde::from_str(super::SPEC_YAML).unwrap();
        assert_eq!(spec["servers"][0]["url"], "https://api.iamport.kr");
        spec["servers"] = shown["servers"].clone();
        assert_eq!(shown, spec, "only `servers` differs");
        assert!(shown["components"]["securitySchemes"]["bearerAuth"].is_object());
        // in the spec's order (Swagger UI lists the operations so)
        let order = |text: &str, a: &str, b: &str| text.find(a).unwrap() < text.find(b).unwrap();
        let (first, second) = ("\"/users/getToken\"", "\"/benepia/payment\"");
        let yaml = |s: &str| s.trim_matches('"').to_owned() + ":";
        assert!(order(super::SPEC_YAML, &yaml(first), &yaml(second)));
        assert!(order(&body, first, second), "not in the spec's order");
    }

    #[test]
    fn a_broken_spec_is_an_error_not_a_panic() {
        assert!(super::document("openapi: [").is_err());
        assert_eq!(super::document("- 1"), Err("not a YAML mapping".to_owned()));
    }

    #[tokio::test]
    async fn unknown_files_under_docs_are_404() {
        let (status, _, _) = get("/docs/no-such-file.js").await;
        assert_eq!(status, StatusCode::NOT_FOUND);
    }
}
