//! A local sandbox of the PortOne V1 (iamport) REST API: the generated [`iamport_server`] router over a
//! hand-written [`IamportApi`] implementation that answers from a fixture set.

pub mod credentials;
pub mod fixtures;
pub mod tokens;

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::extract::Request;
use axum::response::Response;
use iamport_server::types::{
    AuthAnnotation, AuthResponse, ErrorResponse, GetTokenRequest, NaverCashAmountResponse,
};
use iamport_server::{GetTokenResponse, IamportApi, QueryCashAmountResponse, types};
use tower_http::trace::TraceLayer;

pub use fixtures::{Fixtures, NaverAnswer};
pub use tokens::{Clock, ManualClock, SystemClock, TokenStore};

/// The envelope `code` PortOne uses for its own errors.
const ERROR_CODE: i64 = -1;

pub struct Sandbox {
    secrets: HashMap<String, String>,
    payments: HashMap<String, NaverAnswer>,
    tokens: TokenStore,
}

impl Sandbox {
    pub fn new(fixtures: &Fixtures, clock: impl Clock) -> Self {
        Self {
            secrets: fixtures.credentials.secrets_by_key(),
            payments: fixtures
                .payments
                .0
                .iter()
                .map(|p| (p.imp_uid.clone(), p.answer.clone()))
                .collect(),
            tokens: TokenStore::new(clock),
        }
    }
}

fn error(message: &str) -> ErrorResponse {
    ErrorResponse {
        code: ERROR_CODE,
        message: message.to_owned(),
        response: (),
    }
}

impl IamportApi for Sandbox {
    async fn authorize(&self, token: &str) -> bool {
        self.tokens.is_valid(token)
    }

    async fn get_token(&self, body: GetTokenRequest) -> GetTokenResponse {
        let known = self
            .secrets
            .get(&body.imp_key)
            .is_some_and(|secret| *secret == body.imp_secret);
        if !known {
            return GetTokenResponse::Unauthorized(error(
                "인증에 실패하였습니다. API키와 secret을 확인하세요.",
            ));
        }
        let issued = self.tokens.issue(&body.imp_key);
        GetTokenResponse::Ok(AuthResponse {
            code: 0,
            message: None,
            response: Some(AuthAnnotation {
                access_token: issued.access_token,
                now: issued.now,
                expired_at: issued.expired_at,
            }),
        })
    }

    async fn query_cash_amount(
        &self,
        imp_uid: types::QueryCashAmountImpUid,
    ) -> QueryCashAmountResponse {
        match self.payments.get(imp_uid.as_str()) {
            None => QueryCashAmountResponse::NotFound(error("존재하지 않는 결제정보입니다")),
            Some(NaverAnswer::NotNaverPay { pg_provider }) => {
                QueryCashAmountResponse::BadRequest(error(&format!(
                    "네이버페이 결제형 거래가 아닙니다. (pg_provider: {pg_provider})"
                )))
            }
            Some(NaverAnswer::NaverBroken) => QueryCashAmountResponse::InternalServerError(error(
                "네이버페이 응답이 올바르지 않습니다.",
            )),
            Some(NaverAnswer::CashAmount(amount)) => {
                QueryCashAmountResponse::Ok(NaverCashAmountResponse {
                    code: 0,
                    message: None,
                    response: Some(amount.clone()),
                })
            }
        }
    }
}

/// The generated router over the sandbox, with one log line per request: method, path, status and
/// latency, never headers or bodies, which carry tokens and secrets. (tower-http's trace layer adds no
/// boxing per request, and its span costs next to nothing when logging is off.)
pub fn app(sandbox: Sandbox) -> Router {
    let trace = TraceLayer::new_for_http()
        .make_span_with(|request: &Request| {
            tracing::info_span!("request", method = %request.method(), path = %request.uri().path())
        })
        .on_request(())
        .on_response(|response: &Response, latency: Duration, _span: &tracing::Span| {
            let status = response.status().as_u16();
            let latency_ms = latency.as_secs_f64() * 1000.0;
            if status >= 500 {
                tracing::warn!(status, latency_ms, "answered");
            } else {
                tracing::info!(status, latency_ms, "answered");
            }
        })
        .on_failure(());
    iamport_server::router(Arc::new(sandbox)).layer(trace)
}

/// Serves `app` on `listener` until `shutdown` completes, finishing the requests in flight.
pub async fn serve(
    listener: tokio::net::TcpListener,
    app: Router,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    axum::serve(listener, app)
        .with_graceful_shutdown(shutdown)
        .await
}

/// Starts the sandbox on a free loopback port in the background (for tests and benchmarks); the
/// server stops when the returned sender is dropped or sent to.
pub async fn spawn(
    sandbox: Sandbox,
) -> std::io::Result<(SocketAddr, tokio::sync::oneshot::Sender<()>)> {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let addr = listener.local_addr()?;
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    tokio::spawn(serve(listener, app(sandbox), async {
        let _ = stopped.await;
    }));
    Ok((addr, stop))
}
