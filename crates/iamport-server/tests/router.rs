//! The generated router's own behaviour, with small implementations of the trait.

use std::sync::Arc;

use axum::body::Body;
use axum::http::{Request, StatusCode};
use http_body_util::BodyExt;
use iamport_server::types::{AuthResponse, ErrorResponse};
use iamport_server::{
    GetTokenResponse, IamportApi, QueryCashAmountResponse, RequestContext, inputs, router,
};
use serde_json::Value;
use tower::ServiceExt;

/// Accepts the token "good", panics on every operation.
struct Panicking;

impl IamportApi for Panicking {
    async fn authorize(&self, token: &str) -> bool {
        token == "good"
    }
    async fn query_cash_amount(
        &self,
        _: RequestContext,
        input: inputs::QueryCashAmount,
    ) -> QueryCashAmountResponse {
        panic!("implementation bug for {}", input.imp_uid.as_str())
    }
    async fn get_token(&self, _: RequestContext, _: inputs::GetToken) -> GetTokenResponse {
        panic!("implementation bug")
    }
}

/// Records what it was called with.
struct Echo;

impl IamportApi for Echo {
    async fn authorize(&self, token: &str) -> bool {
        token == "good"
    }
    async fn query_cash_amount(
        &self,
        context: RequestContext,
        input: inputs::QueryCashAmount,
    ) -> QueryCashAmountResponse {
        QueryCashAmountResponse::NotFound(ErrorResponse {
            code: 7,
            message: format!(
                "saw {} with token {:?}",
                input.imp_uid.as_str(),
                context.token
            ),
            response: (),
        })
    }
    async fn get_token(&self, _: RequestContext, input: inputs::GetToken) -> GetTokenResponse {
        GetTokenResponse::Ok(AuthResponse {
            code: 0,
            message: Some(format!("{}/{}", input.body.imp_key, input.body.imp_secret)),
            response: None,
        })
    }
}

/// Implements nothing but the token check: every operation answers the spec's example.
struct Nothing;

impl IamportApi for Nothing {
    async fn authorize(&self, token: &str) -> bool {
        token == "good"
    }
}

async fn call(app: axum::Router, request: Request<Body>) -> (StatusCode, Value) {
    let response = app.oneshot(request).await.unwrap();
    let status = response.status();
    let bytes = response.into_body().collect().await.unwrap().to_bytes();
    let body = serde_json::from_slice(&bytes)
        .unwrap_or_else(|e| panic!("not JSON ({e}): {}", String::from_utf8_lossy(&bytes)));
    (status, body)
}

fn get(uri: &str, token: Option<&str>) -> Request<Body> {
    let mut r = Request::get(uri);
    if let Some(t) = token {
        r = r.header("authorization", format!("Bearer {t}"));
    }
    r.body(Body::empty()).unwrap()
}

#[tokio::test]
async fn a_panicking_implementation_answers_500_in_the_envelope() {
    let app = router(Arc::new(Panicking));
    let (status, body) = call(
        app.clone(),
        get("/payments/imp_1/naver/cash-amount", Some("good")),
    )
    .await;
    assert_eq!(status, StatusCode::INTERNAL_SERVER_ERROR);
    assert_eq!(body["code"], -1);
    assert_eq!(body["response"], Value::Null);
    assert!(
        body["message"].as_str().unwrap().contains("internal error"),
        "{body}"
    );
    // and the router keeps serving
    let (status, _) = call(app, get("/payments/imp_1/naver/cash-amount", None)).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn inputs_reach_the_implementation_decoded() {
    let app = router(Arc::new(Echo));
    let (status, body) = call(
        app.clone(),
        get("/payments/imp%20%EA%B0%80/naver/cash-amount", Some("good")),
    )
    .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert_eq!(
        body,
        serde_json::json!({"code": 7, "message": "saw imp 가 with token Some(\"good\")", "response": null})
    );

    let request = Request::post("/users/getToken")
        .header("content-type", "application/json")
        .body(Body::from(r#"{"imp_key":"k","imp_secret":"s","extra":1}"#))
        .unwrap();
    let (status, body) = call(app, request).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body["message"], "k/s");
}

#[tokio::test]
async fn operations_without_security_are_not_gated_and_secured_ones_are() {
    let app = router(Arc::new(Echo));
    let request = Request::post("/users/getToken")
        .body(Body::from(r#"{"imp_key":"k","imp_secret":"s"}"#))
        .unwrap();
    assert_eq!(
        call(app.clone(), request).await.0,
        StatusCode::OK,
        "getToken needs no token"
    );
    let (status, body) = call(app, get("/payments/imp_1/naver/cash-amount", Some("bad"))).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert_eq!(body["code"], -1);
}

#[tokio::test]
async fn the_server_serves_its_own_openapi_document() {
    let (status, doc) = call(router(Arc::new(Echo)), get("/openapi.json", None)).await;
    assert_eq!(status, StatusCode::OK);
    assert!(doc["openapi"].as_str().unwrap().starts_with("3.1"));
    assert_eq!(
        doc["paths"]["/payments/{imp_uid}/naver/cash-amount"]["get"]["operationId"],
        "queryCashAmount"
    );
    assert_eq!(
        doc["paths"]["/users/getToken"]["post"]["operationId"],
        "getToken"
    );
    assert_eq!(
        doc["components"]["securitySchemes"]["bearerAuth"]["scheme"],
        "bearer"
    );
    assert_eq!(
        doc["components"]["securitySchemes"]["impTokenHeader"]["name"],
        "X-ImpTokenHeader"
    );
}

#[tokio::test]
async fn an_operation_left_unimplemented_answers_the_spec_example() {
    let app = router(Arc::new(Nothing));
    let (status, body) = call(
        app.clone(),
        get("/payments/imp_1/naver/cash-amount", Some("good")),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body["code"], 0);
    assert_eq!(body["response"]["amount_total"], 33000);
    // Still behind the token check and the input checks.
    let (status, _) = call(app.clone(), get("/payments/imp_1/naver/cash-amount", None)).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    let (status, _) = call(app, get("/payments/../naver/cash-amount", Some("good"))).await;
    assert_ne!(status, StatusCode::OK);
}
