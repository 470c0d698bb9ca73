//! The token lifecycle: caching, refresh before expiry, 401 handling, concurrent callers.

use std::time::Duration;

use httpmock::MockServer;
use iamport_client::Error;
use iamport_httpmock::MockServerExt;
use reqwest::StatusCode;

use crate::common::*;

#[tokio::test]
async fn token_is_fetched_once_and_cached_across_calls() {
    let server = MockServer::start_async().await;
    let get_token = mock_token(&server, TOKEN);
    let query = mock_amount(&server, TOKEN);
    let (client, _) = client(&server);

    for _ in 0..3 {
        client.query_cash_amount(UID).await.unwrap();
    }
    let token = client.access_token().await.unwrap();
    // Clones share the cache.
    client.clone().query_cash_amount(UID).await.unwrap();

    assert_eq!(token.expose_secret(), TOKEN);
    assert_eq!(get_token.calls_async().await, 1);
    assert_eq!(query.calls_async().await, 4);
}

#[tokio::test]
async fn token_is_refreshed_30s_before_expiry_whatever_the_local_wall_clock() {
    // The server says it is 2001 and the token lives 1800 s. Only that difference matters: a client
    // comparing `expired_at` with the local wall clock would see an expired token and refetch at once.
    let server = MockServer::start_async().await;
    let first = mock_token(&server, TOKEN);
    first.up_to_n_times_async(1).await;
    let second = mock_token(&server, TOKEN_2);
    let query_1 = mock_amount(&server, TOKEN);
    let query_2 = mock_amount(&server, TOKEN_2);
    let (client, clock) = client(&server);

    client.query_cash_amount(UID).await.unwrap();
    clock.advance(Duration::from_secs(1769)); // 31 s before expiry: still fresh
    client.query_cash_amount(UID).await.unwrap();

    assert_eq!(first.calls_async().await, 1);
    assert_eq!(second.calls_async().await, 0);
    assert_eq!(query_1.calls_async().await, 2);

    clock.advance(Duration::from_secs(2)); // 29 s before expiry: refresh
    client.query_cash_amount(UID).await.unwrap();

    assert_eq!(second.calls_async().await, 1);
    assert_eq!(
        query_2.calls_async().await,
        1,
        "the call used the new token"
    );
    assert_eq!(query_1.calls_async().await, 2);
    assert_eq!(
        client.access_token().await.unwrap().expose_secret(),
        TOKEN_2
    );
}

#[tokio::test]
async fn unauthorized_call_refreshes_once_and_retries_once() {
    let server = MockServer::start_async().await;
    let first = mock_token(&server, TOKEN);
    first.up_to_n_times_async(1).await;
    let second = mock_token(&server, TOKEN_2);
    let rejected = server.query_cash_amount(|when, then| {
        when.imp_uid(&uid(UID))
            .into_inner()
            .header("authorization", bearer(TOKEN));
        then.unauthorized(&error("인증 Token이 전달되지 않았거나 유효하지 않습니다."));
    });
    let accepted = mock_amount(&server, TOKEN_2);
    let (client, _) = client(&server);

    let amount = client.query_cash_amount(UID).await.unwrap();

    assert_eq!(amount, crate::common::amount());
    assert_eq!(first.calls_async().await, 1);
    assert_eq!(second.calls_async().await, 1);
    assert_eq!(rejected.calls_async().await, 1);
    assert_eq!(accepted.calls_async().await, 1);
}

#[tokio::test]
async fn second_unauthorized_is_returned_without_looping() {
    let server = MockServer::start_async().await;
    let get_token = mock_token(&server, TOKEN);
    let message = "인증 Token이 전달되지 않았거나 유효하지 않습니다.";
    let query = server.query_cash_amount(|when, then| {
        when.imp_uid(&uid(UID));
        then.unauthorized(&error(message));
    });
    let (client, _) = client(&server);

    let error = client.query_cash_amount(UID).await.unwrap_err();

    assert!(
        matches!(&error, Error::Api { operation: "queryCashAmount", status: StatusCode::UNAUTHORIZED, code: -1, message: m, retry_after: None } if m == message),
        "{error:?}"
    );
    assert!(error.is_unauthorized());
    assert_eq!(get_token.calls_async().await, 2);
    assert_eq!(query.calls_async().await, 2);
}

#[tokio::test]
async fn refresh_failure_after_unauthorized_is_returned() {
    let server = MockServer::start_async().await;
    let first = mock_token(&server, TOKEN);
    first.up_to_n_times_async(1).await;
    let failing = server.get_token(|_, then| {
        then.into_inner()
            .status(503)
            .header("content-type", "text/plain")
            .body("maintenance");
    });
    let query = server.query_cash_amount(|_, then| {
        then.unauthorized(&error("expired"));
    });
    let (client, _) = client(&server);

    let error = client.query_cash_amount(UID).await.unwrap_err();

    assert!(
        matches!(&error, Error::UnexpectedResponse { operation: "getToken", status: StatusCode::SERVICE_UNAVAILABLE, body, .. } if body == "maintenance"),
        "{error:?}"
    );
    assert_eq!(failing.calls_async().await, 1);
    assert_eq!(query.calls_async().await, 1, "no retry without a new token");
}

#[tokio::test]
async fn invalidation_only_drops_the_exact_cached_token() {
    // The server returns the same string until expiry, so this is about fetches, not strings.
    let server = MockServer::start_async().await;
    let get_token = mock_token(&server, TOKEN);
    let (client, _) = client(&server);

    let old = client.access_token().await.unwrap();
    assert!(client.invalidate_token(&old));
    let new = client.access_token().await.unwrap();
    assert_eq!(new.expose_secret(), old.expose_secret());
    // A caller still holding the old token (e.g. its 401 arrived late) must not drop the new one.
    assert!(!client.invalidate_token(&old));
    client.access_token().await.unwrap();

    assert_eq!(get_token.calls_async().await, 2);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hundred_concurrent_first_calls_share_one_token_fetch() {
    let server = MockServer::start_async().await;
    // Slow, so that every caller arrives while the first fetch is in flight.
    let get_token = server.get_token(|_, then| {
        then.ok(&token_ok(TOKEN))
            .into_inner()
            .delay(Duration::from_millis(300));
    });
    let query = mock_amount(&server, TOKEN);
    let (client, _) = client(&server);

    let mut tasks = tokio::task::JoinSet::new();
    for _ in 0..100 {
        let client = client.clone();
        tasks.spawn(async move { client.query_cash_amount(UID).await });
    }
    let results = tasks.join_all().await;

    assert_eq!(results.len(), 100);
    assert!(
        results
            .iter()
            .all(|r| r.as_ref().is_ok_and(|a| *a == amount()))
    );
    assert_eq!(get_token.calls_async().await, 1);
    assert_eq!(query.calls_async().await, 100);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_callers_share_a_failed_fetch_and_later_calls_try_again() {
    let server = MockServer::start_async().await;
    let get_token = server.get_token(|_, then| {
        then.unauthorized(&error("인증에 실패하였습니다."))
            .into_inner()
            .delay(Duration::from_millis(300));
    });
    let (client, _) = client(&server);

    let mut tasks = tokio::task::JoinSet::new();
    for _ in 0..20 {
        let client = client.clone();
        tasks.spawn(async move { client.access_token().await });
    }
    for result in tasks.join_all().await {
        let error = result.unwrap_err();
        assert!(
            matches!(
                &error,
                Error::Api {
                    operation: "getToken",
                    status: StatusCode::UNAUTHORIZED,
                    ..
                }
            ),
            "{error:?}"
        );
    }
    assert_eq!(get_token.calls_async().await, 1);

    // The failure is not cached: the next caller fetches again.
    client.access_token().await.unwrap_err();
    assert_eq!(get_token.calls_async().await, 2);
}
