//! Answers that are not the envelope, transport failures, and rejected input.

use std::time::Duration;

use httpmock::MockServer;
use iamport_client::{Error, IamportClient};
use iamport_httpmock::MockServerExt;
use reqwest::StatusCode;
use serde_json::json;

use crate::common::*;

const PROXY_PAGE: &str = "<html>\r\n<head><title>502 Bad Gateway</title></head>\r\n<body>\r\n\
<center><h1>502 Bad Gateway</h1></center>\r\n<hr><center>nginx</center>\r\n</body>\r\n</html>\r\n";

#[tokio::test]
async fn html_502_from_a_proxy_is_kept_verbatim() {
    let server = MockServer::start_async().await;
    mock_token(&server, TOKEN);
    server.query_cash_amount(|when, then| {
        when.imp_uid(&uid(UID));
        then.into_inner()
            .status(502)
            .header("content-type", "text/html; charset=utf-8")
            .body(PROXY_PAGE);
    });
    let (client, _) = client(&server);

    let error = client.query_cash_amount(UID).await.unwrap_err();

    match &error {
        Error::UnexpectedResponse {
            operation,
            status,
            content_type,
            body,
            retry_after: None,
        } => {
            assert_eq!(*operation, "queryCashAmount");
            assert_eq!(*status, StatusCode::BAD_GATEWAY);
            assert_eq!(content_type.as_deref(), Some("text/html; charset=utf-8"));
            assert_eq!(body, PROXY_PAGE, "the body is kept byte for byte");
        }
        other => panic!("expected UnexpectedResponse, got {other:?}"),
    }
    assert_eq!(error.status(), Some(StatusCode::BAD_GATEWAY));
    assert!(error.is_retryable());
    let shown = error.to_string();
    assert!(!shown.contains(['\n', '\r']), "{shown:?}");
    assert_eq!(
        shown,
        "iamport queryCashAmount got an unexpected HTTP 502 Bad Gateway (text/html; charset=utf-8): \
         <html> <head><title>502 Bad Gateway</title></head> <body> <center><h1>502 Bad Gateway</h1></center> \
         <hr><center>nginx</center> </body> </html>"
    );
}

#[tokio::test]
async fn long_bodies_are_cut_in_the_error_and_more_in_display() {
    let server = MockServer::start_async().await;
    mock_token(&server, TOKEN);
    let body = format!("<html>{}</html>", "x\n".repeat(5000));
    server.query_cash_amount(|_, then| {
        then.into_inner()
            .status(503)
            .header("content-type", "text/html")
            .body(&body);
    });
    let (client, _) = client(&server);

    let error = client.query_cash_amount(UID).await.unwrap_err();

    let kept = match &error {
        Error::UnexpectedResponse { body, .. } => body.clone(),
        other => panic!("expected UnexpectedResponse, got {other:?}"),
    };
    assert!(kept.starts_with(&body[..4096]), "{kept}");
    assert!(
        kept.ends_with(&format!("… [cut: {} bytes in all]", body.len())),
        "{kept}"
    );
    assert!(format!("{error:?}").len() < 2 * 4096 + 300);
    let shown = error.to_string();
    assert!(shown.len() < 500, "{} chars", shown.len());
    assert!(shown.contains("bytes in all"), "{shown}");
}

#[tokio::test]
async fn declared_status_with_a_non_json_body_keeps_status_and_body() {
    // 500 is declared, so the generated code tries to decode it and reports only the body and the
    // serde error; the client adds the status and content-type back.
    let server = MockServer::start_async().await;
    mock_token(&server, TOKEN);
    server.query_cash_amount(|_, then| {
        then.into_inner()
            .status(500)
            .header("content-type", "text/plain")
            .body("upstream exploded");
    });
    let (client, _) = client(&server);

    let error = client.query_cash_amount(UID).await.unwrap_err();

    match &error {
        Error::InvalidPayload {
            operation,
            status,
            content_type,
            body,
            source,
            retry_after: None,
        } => {
            assert_eq!(*operation, "queryCashAmount");
            assert_eq!(*status, Some(StatusCode::INTERNAL_SERVER_ERROR));
            assert_eq!(content_type.as_deref(), Some("text/plain"));
            assert_eq!(body, "upstream exploded");
            assert!(source.is_syntax(), "{source}");
        }
        other => panic!("expected InvalidPayload, got {other:?}"),
    }
    assert!(std::error::Error::source(&error).is_some());
}

#[tokio::test]
async fn success_body_missing_a_field_is_an_invalid_payload() {
    let server = MockServer::start_async().await;
    mock_token(&server, TOKEN);
    let body = json!({"code": 0, "message": null, "response": {"amount_total": 33000}});
    server.query_cash_amount(|_, then| {
        then.into_inner()
            .status(200)
            .header("content-type", "application/json")
            .json_body(body.clone());
    });
    let (client, _) = client(&server);

    let error = client.query_cash_amount(UID).await.unwrap_err();

    match &error {
        Error::InvalidPayload {
            status,
            body: b,
            source,
            ..
        } => {
            assert_eq!(*status, Some(StatusCode::OK));
            assert_eq!(serde_json::from_str::<serde_json::Value>(b).unwrap(), body);
            assert!(source.to_string().contains("missing field"), "{source}");
        }
        other => panic!("expected InvalidPayload, got {other:?}"),
    }
}

#[tokio::test]
async fn slow_answer_is_a_timeout() {
    let server = MockServer::start_async().await;
    mock_token(&server, TOKEN);
    server.query_cash_amount(|_, then| {
        then.ok(&amount_ok())
            .into_inner()
            .delay(Duration::from_secs(5));
    });
    let client = IamportClient::builder(KEY, SECRET)
        .base_url(server.base_url())
        .timeout(Duration::from_millis(300))
        .build()
        .unwrap();

    let started = std::time::Instant::now();
    let error = client.query_cash_amount(UID).await.unwrap_err();

    assert!(matches!(error, Error::Timeout(_)), "{error:?}");
    assert!(
        started.elapsed() < Duration::from_secs(4),
        "the timeout applied"
    );
    assert!(error.is_retryable());
    assert!(
        error.to_string().starts_with("request to http://"),
        "{error}"
    );
    assert!(
        error
            .to_string()
            .ends_with("/payments/imp_448280090638/naver/cash-amount timed out"),
        "{error}"
    );
}

#[tokio::test]
async fn refused_connection_is_a_connect_error() {
    // Bind then drop a listener: nothing listens on that port any more.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let client = IamportClient::builder(KEY, SECRET)
        .base_url(format!("http://127.0.0.1:{port}"))
        .build()
        .unwrap();

    let error = client.query_cash_amount(UID).await.unwrap_err();

    assert!(matches!(error, Error::Connect(_)), "{error:?}");
    assert!(error.is_retryable());
    assert_eq!(error.status(), None);
}

#[tokio::test]
async fn invalid_imp_uid_is_rejected_without_any_request() {
    let server = MockServer::start_async().await;
    let get_token = mock_token(&server, TOKEN);
    let query = server.query_cash_amount(|_, then| {
        then.ok(&amount_ok());
    });
    let (client, _) = client(&server);

    let too_long = "i".repeat(33);
    for (bad, reason) in [
        (too_long.as_str(), "longer than 32 characters"),
        ("", "shorter than 1 characters"),
        ("..", "doesn't match pattern \"[^.]\""),
    ] {
        let error = client.query_cash_amount(bad).await.unwrap_err();
        match &error {
            Error::InvalidInput {
                parameter,
                reason: r,
                ..
            } => assert_eq!((*parameter, r.as_str()), ("imp_uid", reason)),
            other => panic!("expected InvalidInput for {bad:?}, got {other:?}"),
        }
        assert_eq!(error.status(), None);
    }
    // 32 characters is fine (and needs a token first).
    client.query_cash_amount("i".repeat(32)).await.unwrap();

    assert_eq!(get_token.calls_async().await, 1);
    assert_eq!(query.calls_async().await, 1);
}

#[test]
fn builder_rejects_bad_configuration() {
    let config = |r: Result<IamportClient, Error>| match r {
        Err(Error::Config { reason, .. }) => reason,
        other => panic!("expected Error::Config, got {other:?}"),
    };
    assert!(
        config(
            IamportClient::builder(KEY, SECRET)
                .base_url("api.iamport.kr")
                .build()
        )
        .contains("not a URL")
    );
    assert!(config(IamportClient::builder(KEY, "").build()).contains("must not be empty"));
    assert!(
        config(
            IamportClient::builder(KEY, SECRET)
                .http_client(reqwest::Client::new())
                .timeout(Duration::from_secs(1))
                .build()
        )
        .contains("custom http_client")
    );
    // A custom client alone is fine, and a trailing slash is dropped.
    let client = IamportClient::builder(KEY, SECRET)
        .http_client(reqwest::Client::new())
        .base_url("http://localhost:8080/iamport/")
        .build()
        .unwrap();
    assert_eq!(client.base_url(), "http://localhost:8080/iamport");
    assert_eq!(
        IamportClient::new(KEY, SECRET).unwrap().base_url(),
        "https://api.iamport.kr"
    );
}
