//! Successful calls and every envelope-shaped failure of `queryCashAmount` and `getToken`.

use httpmock::MockServer;
use iamport_client::types::{AuthResponse, NaverCashAmountResponse};
use iamport_client::{Error, RequestAuth};
use iamport_httpmock::MockServerExt;
use reqwest::StatusCode;
use serde_json::json;

use crate::common::*;

#[tokio::test]
async fn success_decodes_all_five_fields_and_sends_bearer_token() {
    let server = MockServer::start_async().await;
    // Both mocks only match the right credentials / `Authorization: Bearer <token>`: a request
    // without them gets httpmock's 404 and the call fails.
    let get_token = mock_token(&server, TOKEN);
    let query = mock_amount(&server, TOKEN);
    let (client, _) = client(&server);

    let amount = client.query_cash_amount(UID).await.unwrap();

    assert_eq!(amount.amount_total, 33000);
    assert_eq!(amount.amount_by_npoint, 3000);
    assert_eq!(amount.amount_by_primary, 30000);
    assert_eq!(amount.amount_supply, 30000);
    assert_eq!(amount.amount_vat, 3000);
    assert_eq!(amount, self::amount());
    assert_eq!(get_token.calls_async().await, 1);
    assert_eq!(query.calls_async().await, 1);
}

/// Runs one call answered by `respond` and returns its error.
async fn failing_call(
    respond: impl FnOnce(iamport_httpmock::operations::QueryCashAmountThen),
) -> Error {
    let server = MockServer::start_async().await;
    mock_token(&server, TOKEN);
    let query = server.query_cash_amount(|when, then| {
        when.imp_uid(&uid(UID));
        respond(then);
    });
    let (client, _) = client(&server);
    let error = client.query_cash_amount(UID).await.unwrap_err();
    assert_eq!(query.calls_async().await, 1, "no retry for {error:?}");
    error
}

fn assert_api(error: &Error, status: StatusCode, code: i64, message: &str) {
    match error {
        Error::Api {
            operation,
            status: s,
            code: c,
            message: m,
            retry_after: None,
        } => {
            assert_eq!(
                (*operation, *s, *c, m.as_str()),
                ("queryCashAmount", status, code, message)
            );
        }
        other => panic!("expected Error::Api, got {other:?}"),
    }
    assert_eq!(error.status(), Some(status));
    assert_eq!(error.code(), Some(code));
    assert_eq!(error.message(), Some(message));
}

#[tokio::test]
async fn bad_request_keeps_status_code_and_message() {
    let message = "네이버페이 결제형 거래가 아닙니다.";
    let error = failing_call(|then| {
        then.bad_request(&error(message));
    })
    .await;
    assert_api(&error, StatusCode::BAD_REQUEST, -1, message);
    assert!(!error.is_unauthorized() && !error.is_retryable());
    assert_eq!(
        error.to_string(),
        format!("iamport queryCashAmount failed: HTTP 400 Bad Request, code -1: {message}")
    );
}

#[tokio::test]
async fn not_found_keeps_status_code_and_message() {
    let message = "존재하지 않는 결제정보입니다";
    let error = failing_call(|then| {
        then.not_found(&error(message));
    })
    .await;
    assert_api(&error, StatusCode::NOT_FOUND, -1, message);
}

#[tokio::test]
async fn internal_server_error_keeps_status_code_and_message() {
    let message = "네이버페이 응답이 올바르지 않습니다.";
    let error = failing_call(|then| {
        then.internal_server_error(&error(message));
    })
    .await;
    assert_api(&error, StatusCode::INTERNAL_SERVER_ERROR, -1, message);
}

#[tokio::test]
async fn http_200_with_nonzero_code_is_an_api_error() {
    let error = failing_call(|then| {
        then.ok(&NaverCashAmountResponse::builder()
            .code(1)
            .message(Some("처리할 수 없는 요청입니다".to_owned()))
            .try_into()
            .unwrap());
    })
    .await;
    assert_api(&error, StatusCode::OK, 1, "처리할 수 없는 요청입니다");
}

#[tokio::test]
async fn http_200_code_0_without_response_is_a_clear_error() {
    // `response` absent (the typed body skips `None`).
    let absent = failing_call(|then| {
        then.ok(&NaverCashAmountResponse::builder()
            .code(0)
            .message(Some("ok".to_owned()))
            .try_into()
            .unwrap());
    })
    .await;
    // `response: null`, which the typed body cannot produce.
    let null = failing_call(|then| {
        then.into_inner()
            .status(200)
            .header("content-type", "application/json")
            .json_body(json!({"code": 0, "message": null, "response": null}));
    })
    .await;

    for (error, message) in [(&absent, Some("ok")), (&null, None)] {
        assert!(
            matches!(
                error,
                Error::EmptyResponse {
                    operation: "queryCashAmount",
                    status: StatusCode::OK,
                    ..
                }
            ),
            "{error:?}"
        );
        assert_eq!((error.code(), error.message()), (Some(0), message));
        assert!(
            error.to_string().contains("no `response` payload"),
            "{error}"
        );
    }
}

#[tokio::test]
async fn undeclared_status_with_an_envelope_is_an_api_error() {
    let error = failing_call(|then| {
        then.into_inner()
            .status(429)
            .header("content-type", "application/json")
            .json_body_obj(&error("too many requests"));
    })
    .await;
    assert_api(
        &error,
        StatusCode::TOO_MANY_REQUESTS,
        -1,
        "too many requests",
    );
    assert!(error.is_retryable());
}

#[tokio::test]
async fn error_envelope_with_null_message_keeps_status_and_code() {
    // Not the spec's `ErrorResponse` (message is required there), still an envelope.
    let error = failing_call(|then| {
        then.into_inner()
            .status(400)
            .header("content-type", "application/json")
            .json_body(json!({"code": -7, "message": null, "response": null}));
    })
    .await;
    assert_api(&error, StatusCode::BAD_REQUEST, -7, "");
}

#[tokio::test]
async fn get_token_failures_are_returned_with_their_operation() {
    let server = MockServer::start_async().await;
    let message = "인증에 실패하였습니다. API키와 secret을 확인하세요.";
    let get_token = server.get_token(|_, then| {
        then.unauthorized(&error(message));
    });
    let query = mock_amount(&server, TOKEN);
    let (client, _) = client(&server);

    let error = client.query_cash_amount(UID).await.unwrap_err();

    assert!(
        matches!(&error, Error::Api { operation: "getToken", status: StatusCode::UNAUTHORIZED, code: -1, message: m, retry_after: None } if m == message),
        "{error:?}"
    );
    assert!(error.is_unauthorized());
    assert_eq!(
        get_token.calls_async().await,
        1,
        "bad credentials are not retried"
    );
    assert_eq!(query.calls_async().await, 0);
}

#[tokio::test]
async fn get_token_http_200_with_nonzero_code_is_an_error() {
    // Older servers answer bad credentials with HTTP 200 and code 1.
    let server = MockServer::start_async().await;
    server.get_token(|_, then| {
        then.ok(&AuthResponse::builder()
            .code(1)
            .message(Some("imp_key/imp_secret이 올바르지 않습니다".to_owned()))
            .try_into()
            .unwrap());
    });
    let (client, _) = client(&server);

    let error = client.access_token().await.unwrap_err();

    assert!(
        matches!(
            &error,
            Error::Api {
                operation: "getToken",
                status: StatusCode::OK,
                code: 1,
                ..
            }
        ),
        "{error:?}"
    );
    assert_eq!(
        error.message(),
        Some("imp_key/imp_secret이 올바르지 않습니다")
    );
}

#[tokio::test]
async fn raw_clients_give_the_envelope() {
    let server = MockServer::start_async().await;
    mock_token(&server, TOKEN);
    mock_amount(&server, TOKEN);
    let (client, _) = client(&server);

    let raw_token = client
        .raw()
        .get_token()
        .body(credentials())
        .send()
        .await
        .unwrap();
    assert_eq!(raw_token.status(), StatusCode::OK);
    assert_eq!(raw_token.into_inner(), token_ok(TOKEN));

    let envelope = client
        .authorized_raw()
        .await
        .unwrap()
        .query_cash_amount()
        .imp_uid(uid(UID))
        .send()
        .await
        .unwrap();
    assert_eq!(envelope.into_inner(), amount_ok());

    // A token managed by the caller goes through the same hook.
    let own = iamport_client::RawClient::new_with_client(
        client.base_url(),
        reqwest::Client::new(),
        RequestAuth::bearer(TOKEN),
    );
    assert_eq!(
        own.query_cash_amount()
            .imp_uid(uid(UID))
            .send()
            .await
            .unwrap()
            .into_inner(),
        amount_ok()
    );
}
