//! Against hostile servers: no secret leaks and nothing hangs, whatever the other side does.
//!
//! Redirects are not followed, tokens and the secret never show in errors or logs, bodies are read
//! up to a limit, `Retry-After` is kept and the opt-in retry policy repeats only what is safe, and
//! a token issued already expired does not cost one `getToken` per call.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use iamport_client::{Error, IamportClient, RetryPolicy};
use reqwest::StatusCode;

use crate::common::*;
use crate::hostile::{Hostile, Reply, bounded};
use crate::redaction::capture_logs;

const TOKEN_PATH: &str = "/users/getToken";

fn amount_path() -> String {
    format!("/payments/{UID}/naver/cash-amount")
}

fn token_body(token: &str, now: &str, expired_at: &str) -> String {
    format!(
        r#"{{"code":0,"message":null,"response":{{"access_token":"{token}","now":{now},"expired_at":{expired_at}}}}}"#
    )
}

fn token_json(token: &str) -> String {
    token_body(
        token,
        &SERVER_NOW.to_string(),
        &(SERVER_NOW + LIFETIME_SECS).to_string(),
    )
}

fn amount_json() -> String {
    serde_json::to_string(&amount_ok()).unwrap()
}

fn client_for(base_url: &str) -> IamportClient {
    IamportClient::builder(KEY, SECRET)
        .base_url(base_url)
        .build()
        .unwrap()
}

fn assert_nothing_secret(what: &str, text: &str) {
    for secret in [SECRET, TOKEN, TOKEN_2] {
        assert!(!text.contains(secret), "{what} leaks {secret:?}: {text}");
    }
}

fn assert_redirect(error: &Error, operation: &str, status: u16, to: &str) {
    match error {
        Error::Redirect {
            operation: op,
            status: s,
            location: Some(location),
            followed: false,
            ..
        } => {
            assert_eq!((*op, s.as_u16()), (operation, status));
            assert_eq!(location, to);
        }
        other => panic!("expected a redirect error, got {other:?}"),
    }
    let shown = error.to_string();
    assert!(
        shown.contains(to),
        "the error names where it pointed: {shown}"
    );
    assert!(!error.is_retryable());
}

// 1. Redirects.

#[tokio::test]
async fn get_token_redirected_with_307_or_308_sends_nothing_to_the_other_server() {
    bounded(async {
        for status in ["307 Temporary Redirect", "308 Permanent Redirect"] {
            let elsewhere = Hostile::start(|_| Reply::json("200 OK", &token_json(TOKEN_2))).await;
            let target = format!("{}{TOKEN_PATH}", elsewhere.url());
            let location = target.clone();
            let server =
                Hostile::start(move |_| Reply::new(status, &[("location", &location)], "")).await;
            let client = client_for(&server.url());

            let error = client.access_token().await.unwrap_err();

            assert_redirect(&error, "getToken", status[..3].parse().unwrap(), &target);
            assert!(
                elsewhere.requests().is_empty(),
                "the body (with imp_secret) went to the other server: {:?}",
                elsewhere.requests()
            );
            assert_eq!(server.requests().len(), 1);
            assert_nothing_secret("error", &format!("{error} {error:?}"));
        }
    })
    .await;
}

#[tokio::test]
async fn cash_amount_redirected_to_another_origin_is_not_taken_as_the_answer() {
    bounded(async {
        let elsewhere = Hostile::start(|_| Reply::json("200 OK", &amount_json())).await;
        let target = format!("{}{}", elsewhere.url(), amount_path());
        let location = target.clone();
        let server = Hostile::start(move |request| {
            if request.path == TOKEN_PATH {
                Reply::json("200 OK", &token_json(TOKEN))
            } else {
                Reply::new("302 Found", &[("location", &location)], "")
            }
        })
        .await;
        let client = client_for(&server.url());

        let error = client.query_cash_amount(UID).await.unwrap_err();

        assert_redirect(&error, "queryCashAmount", 302, &target);
        assert!(elsewhere.requests().is_empty());
    })
    .await;
}

#[tokio::test]
async fn same_origin_redirect_does_not_resend_the_token() {
    bounded(async {
        let server = Hostile::start(|request| {
            if request.path == TOKEN_PATH {
                Reply::json("200 OK", &token_json(TOKEN))
            } else if request.path == "/moved" {
                Reply::json("200 OK", &amount_json())
            } else {
                Reply::new("301 Moved Permanently", &[("location", "/moved")], "")
            }
        })
        .await;
        let client = client_for(&server.url());

        let error = client.query_cash_amount(UID).await.unwrap_err();

        assert_redirect(&error, "queryCashAmount", 301, "/moved");
        let paths: Vec<String> = server.requests().into_iter().map(|r| r.path).collect();
        assert_eq!(paths, [TOKEN_PATH.to_owned(), amount_path()]);
    })
    .await;
}

#[tokio::test]
async fn a_redirect_followed_by_a_custom_http_client_is_refused() {
    bounded(async {
        let elsewhere = Hostile::start(|_| Reply::json("200 OK", &amount_json())).await;
        let target = format!("{}{}", elsewhere.url(), amount_path());
        let location = target.clone();
        let server = Hostile::start(move |request| {
            if request.path == TOKEN_PATH {
                Reply::json("200 OK", &token_json(TOKEN))
            } else {
                Reply::new("302 Found", &[("location", &location)], "")
            }
        })
        .await;
        // reqwest's default policy follows up to 10 redirects.
        let client = IamportClient::builder(KEY, SECRET)
            .base_url(server.url())
            .http_client(reqwest::Client::new())
            .build()
            .unwrap();

        let error = client.query_cash_amount(UID).await.unwrap_err();

        match &error {
            Error::Redirect {
                location: Some(location),
                followed: true,
                ..
            } => assert_eq!(location, &target),
            other => panic!("expected a followed redirect, got {other:?}"),
        }
        assert!(error.to_string().contains("Policy::none()"), "{error}");
    })
    .await;
}

// 2. Tokens and secrets in errors and logs.

#[tokio::test(flavor = "current_thread")]
async fn an_undecodable_token_answer_shows_the_token_nowhere() {
    let logs = capture_logs();
    bounded(async {
        // `now` as a string: the body does not decode, and it carries the live token.
        let body = token_body(TOKEN, "\"1000000000\"", "1000001800");
        let server = Hostile::start(move |_| Reply::json("200 OK", &body)).await;
        let client = client_for(&server.url());

        // The token where serde quotes the value it refuses.
        let quoted = token_body(TOKEN, &format!("\"{TOKEN}\""), "1000001800");
        let quoting = Hostile::start(move |_| Reply::json("200 OK", &quoted)).await;
        let error = client_for(&quoting.url()).access_token().await.unwrap_err();
        assert_nothing_secret("Debug", &format!("{error:?}"));
        let source = std::error::Error::source(&error).unwrap().to_string();
        assert_nothing_secret("the serde error", &source);

        let error = client.query_cash_amount(UID).await.unwrap_err();

        assert!(
            matches!(
                &error,
                Error::InvalidPayload {
                    operation: "getToken",
                    status: Some(StatusCode::OK),
                    ..
                }
            ),
            "{error:?}"
        );
        let source = std::error::Error::source(&error).unwrap().to_string();
        assert!(source.contains("line 1"), "{source}");
        assert_nothing_secret("Display", &error.to_string());
        assert_nothing_secret("Debug", &format!("{error:?}"));
        assert_nothing_secret("alternate Debug", &format!("{error:#?}"));
    })
    .await;
    let logs = logs.text();
    assert!(
        logs.contains("fetching iamport access token failed"),
        "{logs}"
    );
    assert_nothing_secret("the crate's logs", &logs);
}

#[tokio::test]
async fn a_proxy_echoing_the_request_shows_neither_secret_nor_token() {
    bounded(async {
        // Echoes the request, head and body, as HTML and as JSON-ish text.
        let server = Hostile::start(|request| {
            let echo = format!(
                "<html><body><pre>{}{}</pre><p>{}</p></body></html>",
                request.head,
                request.body,
                request.body.replace('"', "&quot;")
            );
            Reply::new("502 Bad Gateway", &[("content-type", "text/html")], &echo)
        })
        .await;
        let client = client_for(&server.url());
        let error = client.access_token().await.unwrap_err();
        assert_eq!(error.status(), Some(StatusCode::BAD_GATEWAY));
        let shown = format!("{error} {error:?}");
        assert!(shown.contains("imp_key"), "the echo is kept: {shown}");
        assert_nothing_secret("getToken error", &shown);

        // The same proxy in front of a call with a token.
        let server = Hostile::start(|request| {
            if request.path == TOKEN_PATH {
                return Reply::json("200 OK", &token_json(TOKEN));
            }
            let echo = format!("<pre>{}</pre>", request.head);
            Reply::new("502 Bad Gateway", &[("content-type", "text/html")], &echo)
        })
        .await;
        let client = client_for(&server.url());
        let error = client.query_cash_amount(UID).await.unwrap_err();
        let shown = format!("{error} {error:?}");
        assert!(shown.contains("authorization"), "the echo is kept: {shown}");
        assert_nothing_secret("queryCashAmount error", &shown);
    })
    .await;
}

#[tokio::test]
async fn secret_named_fields_are_redacted_whatever_their_value() {
    bounded(async {
        // A token this client never saw, in an error answer.
        let server = Hostile::start(|request| {
            if request.path == TOKEN_PATH {
                return Reply::json("200 OK", &token_json(TOKEN));
            }
            Reply::json(
                "500 Internal Server Error",
                &format!(r#"{{"debug":{{"access_token":"{TOKEN_2}","api_secret": "{TOKEN_2}"}}}}"#),
            )
        })
        .await;
        let client = client_for(&server.url());
        let error = client.query_cash_amount(UID).await.unwrap_err();
        let shown = format!("{error} {error:?}");
        assert!(shown.contains("<redacted>"), "{shown}");
        assert_nothing_secret("error", &shown);
    })
    .await;
}

// 3. Body size.

#[tokio::test]
async fn a_gibibyte_answer_fails_early_without_being_read() {
    bounded(async {
        const GIB: u64 = 1 << 30;
        let server = Hostile::start(|request| {
            if request.path == TOKEN_PATH {
                return Reply::json("200 OK", &token_json(TOKEN));
            }
            Reply::Endless {
                head: format!(
                    "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: {GIB}"
                ),
                chunk: vec![b' '; 64 * 1024],
                max: GIB,
            }
        })
        .await;
        let client = client_for(&server.url());

        let error = client.query_cash_amount(UID).await.unwrap_err();

        match &error {
            Error::ResponseTooLarge { status, limit, .. } => {
                assert_eq!(*status, StatusCode::OK);
                assert_eq!(*limit, IamportClient::DEFAULT_MAX_RESPONSE_BYTES);
            }
            other => panic!("expected ResponseTooLarge, got {other:?}"),
        }
        // The server stops when the client hangs up; only socket buffers' worth went out.
        eprintln!(
            "1 GiB declared: {} body bytes sent before the client hung up",
            server.written()
        );
        assert!(
            server.written() < 64 << 20,
            "{} bytes were sent",
            server.written()
        );
    })
    .await;
}

#[tokio::test]
async fn an_endless_answer_without_length_stops_at_the_limit() {
    bounded(async {
        let server = Hostile::start(|request| {
            if request.path == TOKEN_PATH {
                return Reply::json("200 OK", &token_json(TOKEN));
            }
            Reply::Endless {
                // No length: the body ends when the connection does (never, here).
                head: "HTTP/1.1 200 OK\r\ncontent-type: application/json".into(),
                chunk: vec![b'['; 16 * 1024],
                max: u64::MAX,
            }
        })
        .await;
        let client = IamportClient::builder(KEY, SECRET)
            .base_url(server.url())
            .max_response_bytes(1 << 20)
            .build()
            .unwrap();

        let error = client.query_cash_amount(UID).await.unwrap_err();

        assert!(
            matches!(&error, Error::ResponseTooLarge { limit, .. } if *limit == 1 << 20),
            "{error:?}"
        );
        eprintln!(
            "endless body, 1 MiB limit: {} body bytes sent before the client hung up",
            server.written()
        );
        assert!(
            server.written() < 64 << 20,
            "{} bytes were sent",
            server.written()
        );
    })
    .await;
}

#[tokio::test]
async fn a_huge_html_502_is_kept_as_a_short_prefix() {
    bounded(async {
        const SIZE: u64 = 256 << 20;
        let server = Hostile::start(|request| {
            if request.path == TOKEN_PATH {
                return Reply::json("200 OK", &token_json(TOKEN));
            }
            Reply::Endless {
                head: format!(
                    "HTTP/1.1 502 Bad Gateway\r\ncontent-type: text/html\r\ncontent-length: {SIZE}"
                ),
                chunk: b"<p>Bad Gateway</p>\n".repeat(1000),
                max: SIZE,
            }
        })
        .await;
        let client = client_for(&server.url());

        let error = client.query_cash_amount(UID).await.unwrap_err();

        assert_eq!(error.status(), Some(StatusCode::BAD_GATEWAY));
        assert!(error.is_retryable());
        match &error {
            Error::ResponseTooLarge { body, .. } => {
                assert!(body.starts_with("<p>Bad Gateway</p>"), "{body}");
                assert!(body.len() <= 4096, "{} bytes kept", body.len());
            }
            other => panic!("expected ResponseTooLarge, got {other:?}"),
        }
        let debug = format!("{error:?}");
        eprintln!(
            "256 MiB HTML 502: Debug of the error is {} bytes",
            debug.len()
        );
        assert!(debug.len() < 8192, "Debug is {} bytes", debug.len());
        assert!(error.to_string().len() < 1024);
    })
    .await;
}

// 4. Retry-After and the retry policy.

#[tokio::test]
async fn retry_after_is_kept_on_the_error() {
    bounded(async {
        // Seconds, on an envelope 429.
        let server = Hostile::start(|request| {
            if request.path == TOKEN_PATH {
                return Reply::json("200 OK", &token_json(TOKEN));
            }
            Reply::new(
                "429 Too Many Requests",
                &[("content-type", "application/json"), ("retry-after", "7")],
                r#"{"code":-1,"message":"slow down"}"#,
            )
        })
        .await;
        let error = client_for(&server.url())
            .query_cash_amount(UID)
            .await
            .unwrap_err();
        assert!(error.is_retryable());
        assert_eq!(
            error.retry_after(),
            Some(Duration::from_secs(7)),
            "{error:?}"
        );

        // An HTTP date in the past, on an HTML 503.
        let server = Hostile::start(|request| {
            if request.path == TOKEN_PATH {
                return Reply::json("200 OK", &token_json(TOKEN));
            }
            Reply::new(
                "503 Service Unavailable",
                &[
                    ("content-type", "text/html"),
                    ("retry-after", "Sun, 06 Nov 1994 08:49:37 GMT"),
                ],
                "<h1>maintenance</h1>",
            )
        })
        .await;
        let error = client_for(&server.url())
            .query_cash_amount(UID)
            .await
            .unwrap_err();
        assert!(error.is_retryable());
        assert_eq!(error.retry_after(), Some(Duration::ZERO), "{error:?}");
    })
    .await;
}

fn quick_retries() -> RetryPolicy {
    RetryPolicy::new()
        .max_attempts(3)
        .initial_backoff(Duration::from_millis(1))
        .max_backoff(Duration::from_millis(5))
}

/// Answers 503 (with `retry_after`) to the first `failures` cash-amount calls, then the amount;
/// `getToken` answers the token (or, with `token_fails`, always 503).
async fn flaky_server(failures: usize, retry_after: &'static str, token_fails: bool) -> Hostile {
    let seen = Arc::new(AtomicUsize::new(0));
    Hostile::start(move |request| {
        let busy = || {
            Reply::new(
                "503 Service Unavailable",
                &[("retry-after", retry_after)],
                "busy",
            )
        };
        if request.path == TOKEN_PATH {
            return if token_fails {
                busy()
            } else {
                Reply::json("200 OK", &token_json(TOKEN))
            };
        }
        if seen.fetch_add(1, Ordering::SeqCst) < failures {
            busy()
        } else {
            Reply::json("200 OK", &amount_json())
        }
    })
    .await
}

fn retrying_client(server: &Hostile, policy: RetryPolicy) -> IamportClient {
    IamportClient::builder(KEY, SECRET)
        .base_url(server.url())
        .retry(policy)
        .build()
        .unwrap()
}

fn calls(server: &Hostile, path: &str) -> usize {
    server.requests().iter().filter(|r| r.path == path).count()
}

#[tokio::test]
async fn the_retry_policy_repeats_an_idempotent_call_honouring_retry_after() {
    bounded(async {
        // Without a policy: one attempt, and the error says how long to wait.
        let plain = flaky_server(2, "0", false).await;
        let error = client_for(&plain.url())
            .query_cash_amount(UID)
            .await
            .unwrap_err();
        assert_eq!(error.status(), Some(StatusCode::SERVICE_UNAVAILABLE));
        assert_eq!(error.retry_after(), Some(Duration::ZERO));
        assert_eq!(calls(&plain, &amount_path()), 1);

        // With it, the cash amount (a GET) is asked again: the third attempt succeeds.
        let server = flaky_server(2, "0", false).await;
        let client = retrying_client(&server, quick_retries());
        assert_eq!(client.query_cash_amount(UID).await.unwrap(), amount());
        assert_eq!(calls(&server, &amount_path()), 3);
        assert_eq!(calls(&server, TOKEN_PATH), 1);
    })
    .await;
}

#[tokio::test]
async fn the_retry_policy_never_repeats_a_post_that_reached_the_server() {
    bounded(async {
        let server = flaky_server(0, "0", true).await;
        let client = retrying_client(&server, quick_retries());

        let error = client.access_token().await.unwrap_err();

        assert_eq!(error.status(), Some(StatusCode::SERVICE_UNAVAILABLE));
        assert!(
            error.is_retryable(),
            "retryable by the caller who knows better"
        );
        assert_eq!(server.requests()[0].method, "POST");
        assert_eq!(
            calls(&server, TOKEN_PATH),
            1,
            "getToken is a POST: sent once"
        );
    })
    .await;
}

#[tokio::test(flavor = "current_thread")]
async fn the_retry_policy_repeats_a_post_that_could_not_connect() {
    let logs = capture_logs();
    bounded(async {
        // Port 1: nobody listens there, and no test's listener gets it (they take ephemeral
        // ports), so the connection fails before anything is sent.
        let client = IamportClient::builder(KEY, SECRET)
            .base_url("http://127.0.0.1:1")
            .retry(quick_retries())
            .build()
            .unwrap();

        let error = client.access_token().await.unwrap_err();

        assert!(matches!(error, Error::Connect(_)), "{error:?}");
    })
    .await;
    let logs = logs.text();
    assert_eq!(
        logs.matches("retrying an iamport request").count(),
        2,
        "three attempts in all:\n{logs}"
    );
}

#[tokio::test]
async fn the_retry_policy_is_bounded_in_attempts_and_in_time() {
    bounded(async {
        // Always 503: exactly `max_attempts` attempts.
        let server = flaky_server(usize::MAX, "0", false).await;
        let client = retrying_client(&server, quick_retries().max_attempts(4));
        let error = client.query_cash_amount(UID).await.unwrap_err();
        assert_eq!(error.status(), Some(StatusCode::SERVICE_UNAVAILABLE));
        assert_eq!(calls(&server, &amount_path()), 4);

        // A Retry-After beyond the time budget: no retry; the error says how long to wait.
        let server = flaky_server(usize::MAX, "3600", false).await;
        let client = retrying_client(&server, quick_retries().max_elapsed(Duration::from_secs(5)));
        let error = client.query_cash_amount(UID).await.unwrap_err();
        assert_eq!(error.retry_after(), Some(Duration::from_secs(3600)));
        assert_eq!(calls(&server, &amount_path()), 1);
    })
    .await;
}

// 5. A token expired when issued.

/// `getToken` answering a token whose `expired_at - now` is `lifetime`.
async fn token_server(lifetime: i64) -> Hostile {
    Hostile::start(move |request| {
        if request.path == TOKEN_PATH {
            Reply::json(
                "200 OK",
                &token_body(
                    TOKEN,
                    &SERVER_NOW.to_string(),
                    &(SERVER_NOW + lifetime).to_string(),
                ),
            )
        } else {
            Reply::json("200 OK", &amount_json())
        }
    })
    .await
}

#[tokio::test(flavor = "current_thread")]
async fn a_token_expired_when_issued_is_fetched_once_and_reported_once() {
    let logs = capture_logs();
    bounded(async {
        for lifetime in [0, -600, 10 * 365 * 24 * 3600] {
            let server = token_server(lifetime).await;
            let client = client_for(&server.url());

            for _ in 0..5 {
                client.query_cash_amount(UID).await.unwrap();
            }
            let mut tasks = tokio::task::JoinSet::new();
            for _ in 0..20 {
                let client = client.clone();
                tasks.spawn(async move { client.query_cash_amount(UID).await });
            }
            for result in tasks.join_all().await {
                result.unwrap();
            }

            assert_eq!(
                calls(&server, TOKEN_PATH),
                1,
                "lifetime {lifetime}: one getToken for 25 calls"
            );
            assert_eq!(calls(&server, &amount_path()), 25);
        }
    })
    .await;
    let logs = logs.text();
    // Once per client (three clients here).
    assert_eq!(logs.matches("absurd lifetime").count(), 3, "{logs}");
}

#[tokio::test]
async fn concurrent_callers_take_a_fresh_fetch_even_of_an_expired_token() {
    bounded(async {
        let server = token_server(0).await;
        let (client, clock) = {
            // The shared fixture's clock, moved past the floor between rounds.
            let clock = Arc::new(TestClock::default());
            let client = IamportClient::builder(KEY, SECRET)
                .base_url(server.url())
                .clock(clock.clone())
                .build()
                .unwrap();
            (client, clock)
        };
        for round in 1..=3 {
            let mut tasks = tokio::task::JoinSet::new();
            for _ in 0..20 {
                let client = client.clone();
                tasks.spawn(async move { client.access_token().await });
            }
            for result in tasks.join_all().await {
                assert_eq!(result.unwrap().expose_secret(), TOKEN);
            }
            assert_eq!(calls(&server, TOKEN_PATH), round);
            clock.advance(Duration::from_secs(11));
        }
    })
    .await;
}
