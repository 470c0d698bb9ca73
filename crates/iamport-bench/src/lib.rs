//! The programs `cargo xtask bench` measures, and what they share.
//!
//! * `bench-server --mode <mode>` serves one of the [`Mode`]s on loopback: the sandbox on the generated
//!   router, the hand-written axum baseline that answers the same JSON, and a few in-between variants
//!   that tell where a difference comes from.
//! * `bench-client` gets tokens, fetches one answer (so the bench can check that both servers say the
//!   same bytes), and runs the client A/B: [`iamport_client::IamportClient`] vs raw reqwest + serde_json.
//!
//! Both binaries are driven by `xtask/src/bench/`; nothing here measures time on its own except the
//! client A/B, which prints its figures as JSON.

use std::collections::HashMap;
use std::io::Read;
use std::sync::Arc;

use axum::Json;
use axum::Router;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use iamport_sandbox::{Clock, Fixtures, NaverAnswer, Sandbox, SystemClock};
use iamport_server::types::GetTokenRequest;
use iamport_server::{
    GetTokenResponse, IamportApi, QueryCashAmountResponse, RequestContext, inputs,
};
use serde::{Deserialize, Serialize};

/// The payment every measured request asks for (a 200 in the default fixture set).
pub const IMP_UID: &str = "imp_448280090638";

/// The token that the hand-written baseline (and the static-token variant) issues and accepts.
pub const STATIC_TOKEN: &str = "bench0static0token0a9ace025c90c0da216107";

/// What a server under test runs; the first two are the A/B, the others split the difference.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum Mode {
    /// The sandbox as its binary serves it: the generated router over `Sandbox`, with the sandbox's
    /// request log (tower-http trace layer; no tracing subscriber installed, so the lines go nowhere).
    Generated,
    /// A hand-written axum router: one handler that compares the bearer token to a known string and
    /// serializes the same JSON.
    Handwritten,
    /// Diagnostic: the generated router over `Sandbox`, without the sandbox's request log.
    GeneratedNoLog,
    /// Diagnostic: the generated router over `Sandbox`'s answers, but `authorize` compares the token
    /// to a known string instead of asking the sandbox's token store.
    GeneratedStaticToken,
    /// Diagnostic: the hand-written routes inside the generated crate's envelope layers
    /// (`iamport_server::envelope::harden`: 404/405 fallbacks, panic guard).
    HandwrittenHardened,
}

impl Mode {
    pub fn app(self) -> Router {
        let fixtures = Fixtures::default_set();
        match self {
            Mode::Generated => iamport_sandbox::app(Sandbox::new(&fixtures, SystemClock)),
            Mode::GeneratedNoLog => {
                iamport_server::router(Arc::new(Sandbox::new(&fixtures, SystemClock)))
            }
            Mode::GeneratedStaticToken => {
                iamport_server::router(Arc::new(StaticToken(Sandbox::new(&fixtures, SystemClock))))
            }
            Mode::Handwritten => handwritten_routes(&fixtures),
            Mode::HandwrittenHardened => {
                iamport_server::envelope::harden(handwritten_routes(&fixtures))
            }
        }
    }
}

/// The sandbox's answers behind a string-compare token check.
struct StaticToken(Sandbox);

impl IamportApi for StaticToken {
    async fn authorize(&self, token: &str) -> bool {
        token == STATIC_TOKEN
    }

    async fn get_token(
        &self,
        context: RequestContext,
        input: inputs::GetToken,
    ) -> GetTokenResponse {
        match self.0.get_token(context, input).await {
            GetTokenResponse::Ok(mut ok) => {
                if let Some(annotation) = ok.response.as_mut() {
                    annotation.access_token = STATIC_TOKEN.to_owned();
                }
                GetTokenResponse::Ok(ok)
            }
            other => other,
        }
    }

    async fn query_cash_amount(
        &self,
        context: RequestContext,
        input: inputs::QueryCashAmount,
    ) -> QueryCashAmountResponse {
        self.0.query_cash_amount(context, input).await
    }
}

// ---------------------------------------------------------------------------------------------
// The hand-written baseline: what one would write with axum and serde alone.

/// The amounts, in the field order the generated types serialize (alphabetical).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct CashAmount {
    pub amount_by_npoint: i64,
    pub amount_by_primary: i64,
    pub amount_supply: i64,
    pub amount_total: i64,
    pub amount_vat: i64,
}

/// The success envelope of the cash-amount call (`message` is left out when null, as the generated
/// types do).
#[derive(Debug, Serialize, Deserialize)]
pub struct CashAmountEnvelope {
    pub code: i64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub message: Option<String>,
    #[serde(default)]
    pub response: Option<CashAmount>,
}

#[derive(Serialize)]
struct ErrorEnvelope<'a> {
    code: i64,
    message: &'a str,
    response: (),
}

#[derive(Serialize)]
struct TokenEnvelope<'a> {
    code: i64,
    response: TokenAnnotation<'a>,
}

#[derive(Serialize)]
struct TokenAnnotation<'a> {
    access_token: &'a str,
    expired_at: i64,
    now: i64,
}

struct Handwritten {
    credentials: HashMap<String, String>,
    payments: HashMap<String, CashAmount>,
}

fn handwritten_routes(fixtures: &Fixtures) -> Router {
    let state = Handwritten {
        credentials: fixtures.credentials.secrets_by_key(),
        payments: fixtures
            .payments
            .0
            .iter()
            .filter_map(|p| match &p.answer {
                NaverAnswer::CashAmount(a) => Some((
                    p.imp_uid.clone(),
                    CashAmount {
                        amount_by_npoint: a.amount_by_npoint,
                        amount_by_primary: a.amount_by_primary,
                        amount_supply: a.amount_supply,
                        amount_total: a.amount_total,
                        amount_vat: a.amount_vat,
                    },
                )),
                _ => None,
            })
            .collect(),
    };
    Router::new()
        .route(
            "/payments/{imp_uid}/naver/cash-amount",
            axum::routing::get(handwritten_cash_amount),
        )
        .route(
            "/users/getToken",
            axum::routing::post(handwritten_get_token),
        )
        .with_state(Arc::new(state))
}

fn handwritten_error(status: StatusCode, message: &str) -> Response {
    let body = ErrorEnvelope {
        code: -1,
        message,
        response: (),
    };
    (status, Json(body)).into_response()
}

async fn handwritten_cash_amount(
    State(state): State<Arc<Handwritten>>,
    Path(imp_uid): Path<String>,
    headers: HeaderMap,
) -> Response {
    let authorized = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .is_some_and(|token| token == STATIC_TOKEN);
    if !authorized {
        return handwritten_error(
            StatusCode::UNAUTHORIZED,
            "인증 Token이 전달되지 않았거나 유효하지 않습니다. (missing or invalid access token)",
        );
    }
    match state.payments.get(&imp_uid) {
        Some(amount) => Json(CashAmountEnvelope {
            code: 0,
            message: None,
            response: Some(amount.clone()),
        })
        .into_response(),
        None => handwritten_error(StatusCode::NOT_FOUND, "존재하지 않는 결제정보입니다"),
    }
}

async fn handwritten_get_token(
    State(state): State<Arc<Handwritten>>,
    Json(body): Json<GetTokenRequest>,
) -> Response {
    if state.credentials.get(&body.imp_key) != Some(&body.imp_secret) {
        return handwritten_error(
            StatusCode::UNAUTHORIZED,
            "인증에 실패하였습니다. API키와 secret을 확인하세요.",
        );
    }
    let now = SystemClock.now();
    Json(TokenEnvelope {
        code: 0,
        response: TokenAnnotation {
            access_token: STATIC_TOKEN,
            expired_at: now + 30 * 60,
            now,
        },
    })
    .into_response()
}

// ---------------------------------------------------------------------------------------------
// Process plumbing shared by both binaries.

/// The one runtime configuration both servers (and the client A/B) run on.
pub fn runtime(workers: Option<usize>) -> std::io::Result<tokio::runtime::Runtime> {
    let mut builder = tokio::runtime::Builder::new_multi_thread();
    if let Some(n) = workers {
        builder.worker_threads(n);
    }
    builder.enable_all().build()
}

/// Exits the process with `code` when standard input reaches its end: the driver keeps a pipe open
/// to each program it starts, so these programs go away with it even when it is killed outright.
pub fn exit_when_stdin_closes(code: i32) {
    std::thread::spawn(move || {
        let mut stdin = std::io::stdin().lock();
        let mut buf = [0u8; 256];
        loop {
            match stdin.read(&mut buf) {
                Ok(0) | Err(_) => std::process::exit(code),
                Ok(_) => {}
            }
        }
    });
}

/// Resolves on Ctrl-C or SIGTERM.
pub async fn stop_signal() {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        match signal(SignalKind::terminate()) {
            Ok(mut term) => {
                tokio::select! {
                    _ = tokio::signal::ctrl_c() => {}
                    _ = term.recv() => {}
                }
            }
            Err(_) => {
                let _ = tokio::signal::ctrl_c().await;
            }
        }
    }
    #[cfg(not(unix))]
    {
        let _ = tokio::signal::ctrl_c().await;
    }
}
