//! A local sandbox of the PortOne V1 (iamport) REST API: the generated [`iamport_server`] router over a
//! hand-written [`IamportApi`] implementation that answers from a fixture set.

pub mod credentials;
mod docs;
pub mod fixtures;
mod serve;
pub mod tokens;

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::extract::Request;
use axum::response::Response;
use iamport_server::types::{AuthAnnotation, AuthResponse, ErrorResponse, NaverCashAmountResponse};
use iamport_server::{
    GetTokenResponse, IamportApi, QueryCashAmountResponse, RequestContext, inputs,
};
use tower_http::trace::TraceLayer;

pub use fixtures::{Fixtures, NaverAnswer};
pub use serve::{Limits, serve_with, spawn_with};
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

fn error(message: &str) -> Option<ErrorResponse> {
    built(ErrorResponse::builder().code(ERROR_CODE).message(message))
}

/// A value from its builder. The builders leave out optional fields, so a field the spec adds as
/// optional needs no change here; `None` (logged) when a required field was not set: the spec
/// gained one that this sandbox does not know yet.
fn built<T, B>(builder: B) -> Option<T>
where
    B: TryInto<T>,
    B::Error: std::fmt::Display,
{
    builder
        .try_into()
        .inspect_err(|e| {
            tracing::error!(
                "the sandbox cannot build {}: {e}",
                std::any::type_name::<T>()
            )
        })
        .ok()
}

impl IamportApi for Sandbox {
    async fn authorize(&self, token: &str) -> bool {
        self.tokens.is_valid(token)
    }

    async fn get_token(&self, _: RequestContext, input: inputs::GetToken) -> GetTokenResponse {
        let body = input.body;
        let known = self
            .secrets
            .get(&body.imp_key)
            .is_some_and(|secret| *secret == body.imp_secret);
        if !known {
            return error("인증에 실패하였습니다. API키와 secret을 확인하세요.").map_or(
                GetTokenResponse::Unimplemented,
                GetTokenResponse::Unauthorized,
            );
        }
        let issued = self.tokens.issue(&body.imp_key);
        let annotation = built::<AuthAnnotation, _>(
            AuthAnnotation::builder()
                .access_token(issued.access_token)
                .now(issued.now)
                .expired_at(issued.expired_at),
        );
        annotation
            .and_then(|a| built(AuthResponse::builder().code(0).response(Some(a))))
            .map_or(GetTokenResponse::Unimplemented, GetTokenResponse::Ok)
    }

    async fn query_cash_amount(
        &self,
        _: RequestContext,
        input: inputs::QueryCashAmount,
    ) -> QueryCashAmountResponse {
        match self.payments.get(input.imp_uid.as_str()) {
            None => error("존재하지 않는 결제정보입니다").map_or(
                QueryCashAmountResponse::Unimplemented,
                QueryCashAmountResponse::NotFound,
            ),
            Some(NaverAnswer::NotNaverPay { pg_provider }) => error(&format!(
                "네이버페이 결제형 거래가 아닙니다. (pg_provider: {pg_provider})"
            ))
            .map_or(
                QueryCashAmountResponse::Unimplemented,
                QueryCashAmountResponse::BadRequest,
            ),
            Some(NaverAnswer::NaverBroken) => error("네이버페이 응답이 올바르지 않습니다.").map_or(
                QueryCashAmountResponse::Unimplemented,
                QueryCashAmountResponse::InternalServerError,
            ),
            Some(NaverAnswer::CashAmount(amount)) => built(
                NaverCashAmountResponse::builder()
                    .code(0)
                    .response(Some(amount.clone())),
            )
            .map_or(
                QueryCashAmountResponse::Unimplemented,
                QueryCashAmountResponse::Ok,
            ),
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
    iamport_server::router(Arc::new(sandbox))
        .merge(docs::routes())
        .layer(trace)
}

/// Serves `app` on `listener` with the default [`Limits`] until `shutdown` completes; then finishes
/// the requests in flight for up to [`Limits::shutdown_grace`] (10 s) and closes what is left.
pub async fn serve(
    listener: tokio::net::TcpListener,
    app: Router,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    serve_with(listener, app, Limits::default(), shutdown).await
}

/// Starts the sandbox on a free loopback port in the background (for tests and benchmarks), with
/// the default [`Limits`]; the server stops when the returned sender is dropped or sent to.
pub async fn spawn(
    sandbox: Sandbox,
) -> std::io::Result<(SocketAddr, tokio::sync::oneshot::Sender<()>)> {
    spawn_with(sandbox, Limits::default()).await
}
