//! The programs `cargo xtask bench` measures (see `xtask/src/bench/`):
//!
//! * `bench-server --mode <mode>`: the sandbox on the generated router ([`Mode::Generated`]) or the
//!   hand-written axum baseline that gives the same answer ([`Mode::Handwritten`]), on loopback.
//! * `bench-client`: [`iamport_client::IamportClient`] against raw reqwest + serde_json, calls per
//!   second and CPU per call, printed as JSON.
//! * `bench-load`: the same requests at several servers (the sandbox binary and Prism, for
//!   `cargo xtask bench --prism`), in alternating rounds, with the load generator of [`load`].

pub mod load;

use std::collections::HashMap;
use std::io::Read;
use std::sync::Arc;

use axum::Json;
use axum::Router;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use iamport_sandbox::credentials::{IMP_KEY, IMP_SECRET};
use iamport_sandbox::{Fixtures, NaverAnswer, Sandbox, SystemClock};
use iamport_server::types::GetTokenRequest;
use iamport_server::{GetTokenResponse, IamportApi, RequestContext, inputs};
use serde::{Deserialize, Serialize};

/// The payment every measured request asks for (a 200 in the default fixture set).
pub const IMP_UID: &str = "imp_448280090638";

/// The token the hand-written baseline accepts.
const STATIC_TOKEN: &str = "bench0static0token0a9ace025c90c0da216107";

/// A server under test.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum Mode {
    /// The sandbox as its binary serves it: `iamport_sandbox::app`, the generated router over
    /// `Sandbox` with its request log (no tracing subscriber installed, so the lines go nowhere).
    Generated,
    /// A hand-written axum router: one handler that compares the bearer token to a known string and
    /// serializes the same JSON.
    Handwritten,
}

impl Mode {
    /// The server's router, and a token it accepts (the sandbox issues its own, as
    /// `POST /users/getToken` would).
    pub async fn app(self) -> (Router, String) {
        let fixtures = Fixtures::default_set();
        match self {
            Mode::Generated => {
                let sandbox = Sandbox::new(&fixtures, SystemClock);
                let request = GetTokenRequest {
                    imp_key: IMP_KEY.to_owned(),
                    imp_secret: IMP_SECRET.to_owned(),
                };
                let input = inputs::GetToken::new(request);
                let token = match sandbox.get_token(RequestContext::default(), input).await {
                    GetTokenResponse::Ok(ok) => ok.response.map(|a| a.access_token),
                    _ => None,
                };
                let token = token.expect("the sandbox issues a token for its built-in key pair");
                (iamport_sandbox::app(sandbox), token)
            }
            Mode::Handwritten => (handwritten(&fixtures), STATIC_TOKEN.to_owned()),
        }
    }
}

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

/// The envelope of the cash-amount call (`message` left out when null, as the generated types do).
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

type Payments = HashMap<String, CashAmount>;

fn handwritten(fixtures: &Fixtures) -> Router {
    let payments: Payments = fixtures
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
        .collect();
    Router::new()
        .route(
            "/payments/{imp_uid}/naver/cash-amount",
            axum::routing::get(cash_amount),
        )
        .with_state(Arc::new(payments))
}

fn error(status: StatusCode, message: &str) -> Response {
    let body = ErrorEnvelope {
        code: -1,
        message,
        response: (),
    };
    (status, Json(body)).into_response()
}

async fn cash_amount(
    State(payments): State<Arc<Payments>>,
    Path(imp_uid): Path<String>,
    headers: HeaderMap,
) -> Response {
    let authorized = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .is_some_and(|token| token == STATIC_TOKEN);
    if !authorized {
        return error(
            StatusCode::UNAUTHORIZED,
            "인증 Token이 전달되지 않았거나 유효하지 않습니다. (missing or invalid access token)",
        );
    }
    match payments.get(&imp_uid) {
        Some(amount) => Json(CashAmountEnvelope {
            code: 0,
            message: None,
            response: Some(amount.clone()),
        })
        .into_response(),
        None => error(StatusCode::NOT_FOUND, "존재하지 않는 결제정보입니다"),
    }
}

/// The runtime both programs run on (`None`: one worker per core).
pub fn runtime(workers: Option<usize>) -> std::io::Result<tokio::runtime::Runtime> {
    let mut builder = tokio::runtime::Builder::new_multi_thread();
    if let Some(n) = workers {
        builder.worker_threads(n);
    }
    builder.enable_all().build()
}

/// Exits the process with `code` when standard input closes: the driver holds a pipe to it, so
/// the server goes away with the driver even when the driver is killed outright.
pub fn exit_when_stdin_closes(code: i32) {
    std::thread::spawn(move || {
        let mut buf = [0u8; 256];
        while let Ok(1..) = std::io::stdin().lock().read(&mut buf) {}
        std::process::exit(code);
    });
}
