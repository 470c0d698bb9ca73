//! Shared fixtures: credentials, typed bodies, a controllable clock, a client pointed at a mock.

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use httpmock::{Mock, MockServer};
use iamport_client::types::{
    AuthAnnotation, AuthResponse, ErrorResponse, GetTokenRequest, NaverCashAmountAnnotation,
    NaverCashAmountResponse, QueryCashAmountImpUid,
};
use iamport_client::{Clock, IamportClient};
use iamport_httpmock::MockServerExt;

pub const KEY: &str = "1234567890123456";
/// Distinctive so any leak into Debug/Display/logs is found by substring search.
pub const SECRET: &str = "SECRET-imp-secret-0123456789abcdef";
pub const TOKEN: &str = "TOKEN-a9ace025c90c0da2161075da6ddd3492";
pub const TOKEN_2: &str = "TOKEN-2-ffffffffffffffffffffffffffffff";
pub const UID: &str = "imp_448280090638";

/// Server timestamps of the token: year 2001, far from the test machine's clock on purpose.
pub const SERVER_NOW: i64 = 1_000_000_000;
pub const LIFETIME_SECS: i64 = 30 * 60;

/// A clock that moves only when told to.
#[derive(Debug)]
pub struct TestClock {
    start: Instant,
    elapsed: Mutex<Duration>,
}

impl Default for TestClock {
    fn default() -> Self {
        TestClock {
            start: Instant::now(),
            elapsed: Mutex::new(Duration::ZERO),
        }
    }
}

impl TestClock {
    pub fn advance(&self, by: Duration) {
        *self.elapsed.lock().unwrap() += by;
    }
}

impl Clock for TestClock {
    fn now(&self) -> Instant {
        self.start + *self.elapsed.lock().unwrap()
    }
}

pub fn uid(value: &str) -> QueryCashAmountImpUid {
    value.parse().unwrap()
}

pub fn amount() -> NaverCashAmountAnnotation {
    NaverCashAmountAnnotation::builder()
        .amount_total(33000)
        .amount_by_npoint(3000)
        .amount_by_primary(30000)
        .amount_supply(30000)
        .amount_vat(3000)
        .try_into()
        .unwrap()
}

pub fn amount_ok() -> NaverCashAmountResponse {
    NaverCashAmountResponse::builder()
        .code(0)
        .response(Some(amount()))
        .try_into()
        .unwrap()
}

pub fn token_ok(token: &str) -> AuthResponse {
    let annotation: AuthAnnotation = AuthAnnotation::builder()
        .access_token(token)
        .now(SERVER_NOW)
        .expired_at(SERVER_NOW + LIFETIME_SECS)
        .try_into()
        .unwrap();
    AuthResponse::builder()
        .code(0)
        .response(Some(annotation))
        .try_into()
        .unwrap()
}

pub fn error(message: &str) -> ErrorResponse {
    ErrorResponse::builder()
        .code(-1)
        .message(message)
        .try_into()
        .unwrap()
}

/// The token call's body with our credentials.
pub fn credentials() -> GetTokenRequest {
    GetTokenRequest::builder()
        .imp_key(KEY)
        .imp_secret(SECRET)
        .try_into()
        .unwrap()
}

pub fn bearer(token: &str) -> String {
    format!("Bearer {token}")
}

/// A client for `server` with a [`TestClock`].
pub fn client(server: &MockServer) -> (IamportClient, Arc<TestClock>) {
    let clock = Arc::new(TestClock {
        start: Instant::now(),
        elapsed: Mutex::new(Duration::ZERO),
    });
    let client = IamportClient::builder(KEY, SECRET)
        .base_url(server.base_url())
        .clock(clock.clone())
        .build()
        .unwrap();
    (client, clock)
}

/// `getToken` answering `token`, only for our credentials and only without an `Authorization`.
pub fn mock_token<'a>(server: &'a MockServer, token: &str) -> Mock<'a> {
    server.get_token(|when, then| {
        when.body(&credentials())
            .into_inner()
            .header_missing("authorization");
        then.ok(&token_ok(token));
    })
}

/// `queryCashAmount` for [`UID`] answering the sample amounts, only with `Bearer <token>`.
pub fn mock_amount<'a>(server: &'a MockServer, token: &str) -> Mock<'a> {
    server.query_cash_amount(|when, then| {
        when.imp_uid(&uid(UID))
            .into_inner()
            .header("authorization", bearer(token));
        then.ok(&amount_ok());
    })
}
