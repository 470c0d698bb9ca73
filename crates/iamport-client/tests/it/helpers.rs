//! The hand-written helpers: per-client and per-call `Tier`, the static base URL, paging, payment
//! and webhook verification.

use std::pin::Pin;
use std::time::Duration;

use futures_core::Stream;
use httpmock::{Mock, MockServer};
use iamport_client::types::{
    GetPaymentByImpUidImpUid, GetPaymentsByStatusPaymentStatus, PagedPaymentAnnotation,
    PaymentAnnotation, PaymentListResponse, PaymentResponse,
};
use iamport_client::{Error, IamportClient, VerifyError, Webhook};
use iamport_httpmock::MockServerExt;
use reqwest::StatusCode;

use crate::common::*;

/// Bounds every helper call: a hang fails the test instead of stalling the suite.
async fn bounded<F: std::future::IntoFuture>(future: F) -> F::Output {
    tokio::time::timeout(Duration::from_secs(20), future.into_future())
        .await
        .expect("the call did not finish within 20 s")
}

fn payment(imp_uid: &str, merchant_uid: &str, status: &str, amount: f64) -> PaymentAnnotation {
    PaymentAnnotation::builder()
        .imp_uid(imp_uid)
        .merchant_uid(merchant_uid)
        .status(status)
        .amount(amount)
        .cancel_amount(0.0)
        .currency("KRW")
        .sandbox(false)
        .try_into()
        .unwrap()
}

fn payment_ok(payment: PaymentAnnotation) -> PaymentResponse {
    PaymentResponse::builder()
        .code(0)
        .response(Some(payment))
        .try_into()
        .unwrap()
}

fn imp_uid(value: &str) -> GetPaymentByImpUidImpUid {
    value.parse().unwrap()
}

/// `getPaymentByImpUid` for `uid` answering `payment`.
fn mock_payment<'a>(server: &'a MockServer, uid: &str, payment: PaymentAnnotation) -> Mock<'a> {
    server.get_payment_by_imp_uid(|when, then| {
        when.imp_uid(&imp_uid(uid))
            .into_inner()
            .header("authorization", bearer(TOKEN));
        then.ok(&payment_ok(payment));
    })
}

// ---- Tier ----------------------------------------------------------------------------------

fn tier_client(server: &MockServer, tier: Option<&str>) -> IamportClient {
    let builder = IamportClient::builder(KEY, SECRET).base_url(server.base_url());
    match tier {
        Some(tier) => builder.tier(tier),
        None => builder,
    }
    .build()
    .unwrap()
}

/// `getPaymentByImpUid` answering only when `Tier` is `tier` (or absent, for `None`).
fn mock_payment_with_tier<'a>(server: &'a MockServer, tier: Option<&str>) -> Mock<'a> {
    server.get_payment_by_imp_uid(|when, then| {
        let when = when.imp_uid(&imp_uid(UID)).into_inner();
        match tier {
            Some(tier) => when.header("tier", tier),
            None => when.header_missing("tier"),
        };
        then.ok(&payment_ok(payment(UID, "order_1", "paid", 1000.0)));
    })
}

/// `getToken`, answering only when no `Tier` is sent (it needs none).
fn mock_token_without_tier(server: &MockServer) -> Mock<'_> {
    server.get_token(|when, then| {
        when.body(&credentials())
            .into_inner()
            .header_missing("tier");
        then.ok(&token_ok(TOKEN));
    })
}

#[tokio::test]
async fn the_clients_tier_is_sent_on_every_call_but_get_token() {
    let server = MockServer::start_async().await;
    let token = mock_token_without_tier(&server);
    let lookup = mock_payment_with_tier(&server, Some("AB1"));
    let client = tier_client(&server, Some("AB1"));

    bounded(client.get_payment_by_imp_uid(UID)).await.unwrap();
    bounded(client.get_payment_by_imp_uid(UID)).await.unwrap();

    assert_eq!(token.calls_async().await, 1);
    assert_eq!(lookup.calls_async().await, 2);
}

#[tokio::test]
async fn a_calls_own_tier_wins_over_the_clients() {
    let server = MockServer::start_async().await;
    mock_token_without_tier(&server);
    let own = mock_payment_with_tier(&server, Some("XY9"));
    let client = tier_client(&server, Some("AB1"));

    bounded(client.get_payment_by_imp_uid(UID).tier("XY9"))
        .await
        .unwrap();

    assert_eq!(own.calls_async().await, 1);
}

#[tokio::test]
async fn without_a_clients_tier_only_a_calls_own_is_sent() {
    let server = MockServer::start_async().await;
    mock_token_without_tier(&server);
    let none = mock_payment_with_tier(&server, None);
    let own = mock_payment_with_tier(&server, Some("XY9"));
    let client = tier_client(&server, None);

    bounded(client.get_payment_by_imp_uid(UID)).await.unwrap();
    bounded(client.get_payment_by_imp_uid(UID).tier("XY9"))
        .await
        .unwrap();

    assert_eq!(none.calls_async().await, 1);
    assert_eq!(own.calls_async().await, 1);
}

#[test]
fn a_bad_tier_code_is_refused_by_build() {
    for bad in ["", "has space", "way-too-long-tier-code", "a\r\nX-Evil: 1"] {
        let error = IamportClient::builder(KEY, SECRET)
            .tier(bad)
            .build()
            .unwrap_err();
        assert!(
            matches!(&error, Error::Config { reason, .. } if reason.contains("tier")),
            "{bad:?}: {error:?}"
        );
    }
}

// ---- Static base URL -----------------------------------------------------------------------

#[test]
fn the_static_base_url_is_the_fixed_ip_host() {
    assert_eq!(
        IamportClient::STATIC_BASE_URL,
        "https://static-api.iamport.kr"
    );
    let client = IamportClient::builder(KEY, SECRET)
        .static_base_url()
        .build()
        .unwrap();
    assert_eq!(client.base_url(), IamportClient::STATIC_BASE_URL);
    let default = IamportClient::new(KEY, SECRET).unwrap();
    assert_eq!(default.base_url(), IamportClient::DEFAULT_BASE_URL);
}

// ---- Paging --------------------------------------------------------------------------------

fn page_of(uids: &[&str], next: i64) -> PaymentListResponse {
    let list: Vec<PaymentAnnotation> = uids
        .iter()
        .map(|uid| payment(uid, &format!("order_{uid}"), "paid", 1000.0))
        .collect();
    let page: PagedPaymentAnnotation = PagedPaymentAnnotation::builder()
        .total(7)
        .previous(0)
        .next(next)
        .list(Some(list))
        .try_into()
        .unwrap();
    PaymentListResponse::builder()
        .code(0)
        .response(Some(page))
        .try_into()
        .unwrap()
}

fn status(value: &str) -> GetPaymentsByStatusPaymentStatus {
    value.parse().unwrap()
}

/// `getPaymentsByStatus` (paid) for page `page` answering `answer`.
fn mock_page(server: &MockServer, page: i64, answer: PaymentListResponse) -> Mock<'_> {
    server.get_payments_by_status(|when, then| {
        when.payment_status(status("paid")).page(page);
        then.ok(&answer);
    })
}

async fn next<S: Stream + Unpin>(stream: &mut S) -> Option<S::Item> {
    bounded(std::future::poll_fn(|cx| {
        Pin::new(&mut *stream).poll_next(cx)
    }))
    .await
}

fn uid_of(item: Option<Result<PaymentAnnotation, Error>>) -> String {
    item.expect("an item")
        .expect("a payment")
        .imp_uid
        .to_string()
}

#[tokio::test]
async fn pages_yields_every_item_of_every_page_in_order() {
    let server = MockServer::start_async().await;
    mock_token(&server, TOKEN);
    let pages = [
        mock_page(&server, 1, page_of(&["imp_1", "imp_2", "imp_3"], 2)),
        mock_page(&server, 2, page_of(&["imp_4", "imp_5"], 3)),
        mock_page(&server, 3, page_of(&["imp_6", "imp_7"], 0)),
    ];
    let (client, _) = client(&server);

    let mut stream = iamport_client::pages(|page| client.get_payments_by_status("paid").page(page));
    let mut seen = Vec::new();
    while let Some(item) = next(&mut stream).await {
        seen.push(item.unwrap().imp_uid.to_string());
    }
    assert!(next(&mut stream).await.is_none(), "the end is the end");

    assert_eq!(
        seen,
        [
            "imp_1", "imp_2", "imp_3", "imp_4", "imp_5", "imp_6", "imp_7"
        ]
    );
    for (number, page) in pages.iter().enumerate() {
        assert_eq!(page.calls_async().await, 1, "page {}", number + 1);
    }

    // The same walk, collected.
    let all = bounded(
        iamport_client::pages(|page| client.get_payments_by_status("paid").page(page))
            .collect_all(),
    )
    .await
    .unwrap();
    assert_eq!(all.len(), 7);
    assert_eq!(*all[6].imp_uid, "imp_7");
}

#[tokio::test]
async fn an_error_on_a_page_is_yielded_once_and_ends_the_stream() {
    let server = MockServer::start_async().await;
    mock_token(&server, TOKEN);
    mock_page(&server, 1, page_of(&["imp_1", "imp_2"], 2));
    let second = server.get_payments_by_status(|when, then| {
        when.payment_status(status("paid")).page(2);
        then.bad_request(&error("page 2 is gone"));
    });
    let third = mock_page(&server, 3, page_of(&["imp_3"], 0));
    let (client, _) = client(&server);

    let mut stream = iamport_client::pages(|page| client.get_payments_by_status("paid").page(page));
    assert_eq!(uid_of(next(&mut stream).await), "imp_1");
    assert_eq!(uid_of(next(&mut stream).await), "imp_2");
    match next(&mut stream).await {
        Some(Err(error)) => {
            assert_eq!(error.operation(), Some("getPaymentsByStatus"));
            assert_eq!(error.status(), Some(StatusCode::BAD_REQUEST));
            assert_eq!(error.message(), Some("page 2 is gone"));
        }
        other => panic!("expected the page-2 error, got {other:?}"),
    }
    assert!(next(&mut stream).await.is_none());
    assert!(next(&mut stream).await.is_none());
    assert_eq!(second.calls_async().await, 1);
    assert_eq!(third.calls_async().await, 0);
}

#[tokio::test]
async fn a_next_page_that_does_not_advance_ends_with_an_error() {
    let server = MockServer::start_async().await;
    mock_token(&server, TOKEN);
    let first = mock_page(&server, 1, page_of(&["imp_1"], 2));
    let second = mock_page(&server, 2, page_of(&["imp_2"], 1));
    let (client, _) = client(&server);

    let mut stream = iamport_client::pages(|page| client.get_payments_by_status("paid").page(page));
    assert_eq!(uid_of(next(&mut stream).await), "imp_1");
    assert_eq!(uid_of(next(&mut stream).await), "imp_2");
    match next(&mut stream).await {
        Some(Err(Error::InvalidPage { page: 2, next: 1 })) => {}
        other => panic!("expected InvalidPage, got {other:?}"),
    }
    assert!(next(&mut stream).await.is_none());
    assert_eq!(first.calls_async().await, 1);
    assert_eq!(second.calls_async().await, 1);
}

#[tokio::test]
async fn an_empty_listing_ends_at_once() {
    let server = MockServer::start_async().await;
    mock_token(&server, TOKEN);
    let only = mock_page(&server, 1, page_of(&[], 0));
    let (client, _) = client(&server);
    let all = bounded(
        iamport_client::pages(|page| client.get_payments_by_status("paid").page(page))
            .collect_all(),
    )
    .await
    .unwrap();
    assert!(all.is_empty());
    assert_eq!(only.calls_async().await, 1);
}

// ---- verify_payment ------------------------------------------------------------------------

#[tokio::test]
async fn a_paid_payment_of_the_expected_amount_passes() {
    let server = MockServer::start_async().await;
    mock_token(&server, TOKEN);
    let lookup = mock_payment(&server, UID, payment(UID, "order_1", "paid", 15000.0));
    let (client, _) = client(&server);

    let paid = bounded(client.verify_payment(UID, 15000)).await.unwrap();
    assert_eq!(*paid.merchant_uid, "order_1");
    assert_eq!(paid.amount, 15000.0);
    assert_eq!(lookup.calls_async().await, 1);
}

#[tokio::test]
async fn a_paid_payment_of_another_amount_is_refused_with_both_amounts() {
    let server = MockServer::start_async().await;
    mock_token(&server, TOKEN);
    mock_payment(&server, UID, payment(UID, "order_1", "paid", 100.0));
    let (client, _) = client(&server);

    let error = bounded(client.verify_payment(UID, 15000))
        .await
        .unwrap_err();
    match &error {
        VerifyError::AmountMismatch {
            imp_uid,
            expected,
            actual,
            payment,
        } => {
            assert_eq!(imp_uid, UID);
            assert_eq!((*expected, *actual), (15000.0, 100.0));
            assert_eq!(payment.amount, 100.0);
        }
        other => panic!("expected AmountMismatch, got {other:?}"),
    }
    assert_eq!(
        error.to_string(),
        format!("payment {UID} is for 100, not the 15000 expected")
    );
    assert!(error.payment().is_some());
}

#[tokio::test]
async fn a_payment_that_is_not_paid_is_refused_with_its_status() {
    for status in ["ready", "cancelled", "failed"] {
        let server = MockServer::start_async().await;
        mock_token(&server, TOKEN);
        // The amount matches: the status alone refuses it.
        mock_payment(&server, UID, payment(UID, "order_1", status, 15000.0));
        let (client, _) = client(&server);

        let error = bounded(client.verify_payment(UID, 15000))
            .await
            .unwrap_err();
        match &error {
            VerifyError::NotPaid { status: s, .. } => assert_eq!(s, status),
            other => panic!("expected NotPaid for {status}, got {other:?}"),
        }
        assert_eq!(
            error.to_string(),
            format!("payment {UID} is \"{status}\", not \"paid\"")
        );
    }
}

#[tokio::test]
async fn a_lookup_error_passes_through() {
    let server = MockServer::start_async().await;
    mock_token(&server, TOKEN);
    server.get_payment_by_imp_uid(|when, then| {
        when.imp_uid(&imp_uid(UID));
        then.not_found(&error("존재하지 않는 결제정보입니다."));
    });
    let (client, _) = client(&server);

    let error = bounded(client.verify_payment(UID, 15000))
        .await
        .unwrap_err();
    match &error {
        VerifyError::Lookup(inner) => {
            assert_eq!(inner.operation(), Some("getPaymentByImpUid"));
            assert_eq!(inner.status(), Some(StatusCode::NOT_FOUND));
            assert_eq!(inner.message(), Some("존재하지 않는 결제정보입니다."));
        }
        other => panic!("expected Lookup, got {other:?}"),
    }
    assert!(error.payment().is_none());
    // An imp_uid the spec refuses is a lookup error too, and nothing is sent.
    let error = bounded(client.verify_payment("", 1)).await.unwrap_err();
    assert!(
        matches!(error, VerifyError::Lookup(Error::InvalidInput { .. })),
        "{error:?}"
    );
}

// ---- verify_webhook ------------------------------------------------------------------------

fn notice(merchant_uid: &str, status: &str) -> Webhook {
    let body = format!("imp_uid={UID}&merchant_uid={merchant_uid}&status={status}");
    Webhook::parse(Some("application/x-www-form-urlencoded"), body.as_bytes()).unwrap()
}

#[tokio::test]
async fn a_webhook_that_agrees_with_the_payment_passes() {
    let server = MockServer::start_async().await;
    mock_token(&server, TOKEN);
    let lookup = mock_payment(&server, UID, payment(UID, "order_1", "paid", 15000.0));
    let (client, _) = client(&server);

    let webhook = Webhook::parse(
        Some("application/json"),
        format!(r#"{{"imp_uid":"{UID}","merchant_uid":"order_1","status":"paid"}}"#).as_bytes(),
    )
    .unwrap();
    let paid = bounded(client.verify_webhook(&webhook)).await.unwrap();
    assert_eq!(*paid.imp_uid, UID);
    assert_eq!(paid.status, "paid");
    assert_eq!(lookup.calls_async().await, 1);
}

#[tokio::test]
async fn a_forged_webhook_is_refused() {
    let server = MockServer::start_async().await;
    mock_token(&server, TOKEN);
    mock_payment(&server, UID, payment(UID, "order_1", "ready", 15000.0));
    let (client, _) = client(&server);

    // Says it is paid; the payment is still waiting for its deposit.
    let error = bounded(client.verify_webhook(&notice("order_1", "paid")))
        .await
        .unwrap_err();
    match &error {
        VerifyError::StatusMismatch {
            notified, actual, ..
        } => assert_eq!((notified.as_str(), actual.as_str()), ("paid", "ready")),
        other => panic!("expected StatusMismatch, got {other:?}"),
    }
    assert!(
        error.to_string().contains("says status \"paid\""),
        "{error}"
    );

    // Names another order than the payment's.
    let error = bounded(client.verify_webhook(&notice("order_2", "ready")))
        .await
        .unwrap_err();
    match &error {
        VerifyError::MerchantUidMismatch {
            notified, actual, ..
        } => assert_eq!((notified.as_str(), actual.as_str()), ("order_2", "order_1")),
        other => panic!("expected MerchantUidMismatch, got {other:?}"),
    }
}
