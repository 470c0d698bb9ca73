//! `GET /docs`: Swagger UI over the sandbox's own OpenAPI document, served offline.
//!
//! The page's files are compiled into the binary: utoipa-swagger-ui's build script takes the Swagger UI
//! dist from the zip the utoipa-swagger-ui-vendored crate ships (its `vendored` feature), so neither the
//! build nor the running sandbox fetches anything.
//!
//! The document shown (`GET /docs/openapi.json`) is the one `GET /openapi.json` serves (utoipa's,
//! built from the generated server's annotations, so every operation the sandbox routes), with one
//! change: `servers` is the sandbox itself (the relative URL `/`, which Swagger UI resolves against the
//! page's origin), so "Try it out" calls the sandbox and never api.iamport.kr. `/openapi.json` itself is
//! left as it is: it is the API's description, production servers included. The security schemes come
//! along, so the page's "Authorize" button takes the access token of `POST /users/getToken`.

use axum::Router;
use utoipa::OpenApi as _;
use utoipa::openapi::OpenApi;
use utoipa::openapi::server::Server;
use utoipa_swagger_ui::{Config, SwaggerUi};

/// The page (`/docs` redirects to `/docs/`, where Swagger UI's files are).
pub const PAGE: &str = "/docs";
/// The document the page shows.
pub const DOCUMENT: &str = "/docs/openapi.json";

/// The routes of `/docs`; stateless, to merge into the sandbox's router.
pub fn routes() -> Router {
    let config = Config::new([DOCUMENT])
        // the operationIds of the spec next to each path (what the client's methods are named after)
        .display_operation_id(true)
        .filter(true)
        .display_request_duration(true)
        // Swagger UI would otherwise load a validity badge from validator.swagger.io
        .validator_url("none");
    SwaggerUi::new(PAGE)
        .url(DOCUMENT, document())
        .config(config)
        .into()
}

/// The server's OpenAPI document with the sandbox as its only server.
pub fn document() -> OpenApi {
    let mut doc = iamport_server::ApiDoc::openapi();
    let mut sandbox = Server::new("/");
    sandbox.description = Some("this sandbox (이 샌드박스)".to_owned());
    doc.servers = Some(vec![sandbox]);
    doc
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
    async fn the_document_is_the_servers_with_the_sandbox_as_its_server() {
        let (status, _, body) = get("/docs/openapi.json").await;
        assert_eq!(status, StatusCode::OK);
        let shown: serde_json::Value = serde_json::from_str(&body).unwrap();
        assert_eq!(
            shown["servers"],
            serde_json::json!([{"url": "/", "description": "this sandbox (이 샌드박스)"}])
        );
        let mut served =
            serde_json::to_value(<iamport_server::ApiDoc as utoipa::OpenApi>::openapi()).unwrap();
        assert_eq!(served["servers"][0]["url"], "https://api.iamport.kr");
        served["servers"] = shown["servers"].clone();
        assert_eq!(shown, served, "only `servers` differs");
        assert!(shown["components"]["securitySchemes"]["bearerAuth"].is_object());
    }

    #[tokio::test]
    async fn unknown_files_under_docs_are_404() {
        let (status, _, _) = get("/docs/no-such-file.js").await;
        assert_eq!(status, StatusCode::NOT_FOUND);
    }
}
