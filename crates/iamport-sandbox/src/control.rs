//! The sandbox's own controls, never part of PortOne's API: what the browser SDK, the PG and the
//! bank would do (complete a checkout, deposit into a virtual account), the webhooks sent, the
//! global notice URL, and the clock. The same controls two ways: [`Control`] in process, and HTTP
//! under `/sandbox/` (documented in the sandbox's README).

use std::time::Duration;

use axum::Router;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post, put};
use iamport_client::types::PaymentAnnotation;
use serde::Deserialize;
use serde::de::DeserializeOwned;
use serde_json::{Value, json};

use crate::behaviour::checkout::{self, Card, NewPayment, Vbank, bank_name};
use crate::store::READY;
use crate::webhooks::Delivery;
use crate::{Notice, Sandbox};

/// A checkout the buyer completes in the browser: `card` (or any method other than `vbank`) is
/// paid at once, `vbank` is issued a virtual account and waits for a [`Deposit`]. The amount is
/// checked against the one registered with `POST /payments/prepare`, as PortOne does: a different
/// amount makes a `failed` payment.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
#[non_exhaustive]
pub struct Checkout {
    pub merchant_uid: String,
    pub amount: f64,
    #[serde(default = "card")]
    pub pay_method: String,
    #[serde(default = "default_pg")]
    pub pg_provider: String,
    #[serde(default)]
    pub name: Option<String>,
    #[serde(default)]
    pub buyer_name: Option<String>,
    #[serde(default)]
    pub buyer_email: Option<String>,
    #[serde(default)]
    pub buyer_tel: Option<String>,
    #[serde(default)]
    pub custom_data: Option<String>,
    /// Where this payment's webhooks go (else the global notice URL).
    #[serde(default)]
    pub notice_url: Option<String>,
    #[serde(default)]
    pub escrow: bool,
    /// The card number the buyer typed (masked in the payment).
    #[serde(default)]
    pub card_number: Option<String>,
    /// The PG declines the payment with this reason: it is `failed`.
    #[serde(default)]
    pub decline: Option<String>,
    /// The virtual account's bank (KFTC code), default `088`.
    #[serde(default)]
    pub vbank_code: Option<String>,
    /// The deposit deadline (UNIX seconds), default three days from the sandbox's now.
    #[serde(default)]
    pub vbank_due: Option<i64>,
}

fn card() -> String {
    "card".into()
}
fn default_pg() -> String {
    "html5_inicis".into()
}

impl Checkout {
    /// A card payment of `amount` for `merchant_uid`.
    pub fn card(merchant_uid: impl Into<String>, amount: f64) -> Self {
        Self {
            merchant_uid: merchant_uid.into(),
            amount,
            pay_method: card(),
            pg_provider: default_pg(),
            name: None,
            buyer_name: None,
            buyer_email: None,
            buyer_tel: None,
            custom_data: None,
            notice_url: None,
            escrow: false,
            card_number: None,
            decline: None,
            vbank_code: None,
            vbank_due: None,
        }
    }
    /// A virtual account of `amount` for `merchant_uid`, to be deposited into.
    pub fn vbank(merchant_uid: impl Into<String>, amount: f64) -> Self {
        Self {
            pay_method: "vbank".into(),
            ..Self::card(merchant_uid, amount)
        }
    }
    pub fn name(mut self, name: impl Into<String>) -> Self {
        self.name = Some(name.into());
        self
    }
    pub fn buyer_name(mut self, name: impl Into<String>) -> Self {
        self.buyer_name = Some(name.into());
        self
    }
    pub fn notice_url(mut self, url: impl Into<String>) -> Self {
        self.notice_url = Some(url.into());
        self
    }
    pub fn escrow(mut self) -> Self {
        self.escrow = true;
        self
    }
    pub fn decline(mut self, reason: impl Into<String>) -> Self {
        self.decline = Some(reason.into());
        self
    }
    pub fn vbank_due(mut self, unix_secs: i64) -> Self {
        self.vbank_due = Some(unix_secs);
        self
    }
}

/// A deposit into a virtual account: the whole amount (PortOne's virtual accounts take no partial
/// deposit).
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
#[non_exhaustive]
pub struct Deposit {
    /// Must be the payment's amount if given.
    #[serde(default)]
    pub amount: Option<f64>,
}

/// Why a control request was refused.
#[derive(Clone, Debug, PartialEq, thiserror::Error)]
#[non_exhaustive]
pub enum ControlError {
    #[error("{0}")]
    BadRequest(String),
    #[error("{0}")]
    NotFound(String),
    #[error("{0}")]
    Conflict(String),
}

impl ControlError {
    fn status(&self) -> StatusCode {
        match self {
            Self::BadRequest(_) => StatusCode::BAD_REQUEST,
            Self::NotFound(_) => StatusCode::NOT_FOUND,
            Self::Conflict(_) => StatusCode::CONFLICT,
        }
    }
}

/// The controls of one sandbox, in process. Cheap to clone.
#[derive(Clone)]
pub struct Control {
    sandbox: Sandbox,
}

/// Three days: a checkout's virtual account is due this long after it is issued, unless told.
const DEFAULT_VBANK_SECS: i64 = 3 * 24 * 3600;

impl Control {
    pub(crate) fn new(sandbox: Sandbox) -> Self {
        Self { sandbox }
    }

    /// Completes a checkout (see [`Checkout`]), sends its webhook and returns after the first
    /// delivery attempt.
    pub async fn checkout(&self, c: Checkout) -> Result<PaymentAnnotation, ControlError> {
        let shown = self.checkout_json(c).await?;
        decode_payment(shown)
    }

    async fn checkout_json(&self, c: Checkout) -> Result<Value, ControlError> {
        if c.merchant_uid.is_empty() || c.merchant_uid.chars().count() > 40 {
            return Err(ControlError::BadRequest(
                "merchant_uid must have 1 to 40 characters".into(),
            ));
        }
        if !(c.amount.is_finite() && c.amount > 0.0) {
            return Err(ControlError::BadRequest(
                "amount must be a positive number".into(),
            ));
        }
        let inner = &self.sandbox.inner;
        let now = inner.now();
        let vbank = (c.pay_method == "vbank").then(|| {
            let code = c.vbank_code.clone().unwrap_or_else(|| "088".into());
            Vbank {
                name: bank_name(&code).into(),
                code,
                num: String::new(),
                holder: "(주)포트원".into(),
                due: c.vbank_due.unwrap_or(now + DEFAULT_VBANK_SECS),
            }
        });
        let card = (c.pay_method == "card")
            .then(|| Card::from_number(c.card_number.as_deref().unwrap_or("9410-1234-5678-1234")));
        let made = {
            let mut state = inner.state();
            let vbank = vbank.map(|mut v| {
                v.num = format!("5621{:010}", 1_000_000 + state.payments.len());
                v
            });
            checkout::make(
                &mut state,
                now,
                NewPayment {
                    merchant_uid: c.merchant_uid,
                    amount: c.amount,
                    pay_method: c.pay_method,
                    pg_provider: c.pg_provider,
                    name: c.name,
                    buyer_name: c.buyer_name,
                    buyer_email: c.buyer_email,
                    buyer_tel: c.buyer_tel,
                    custom_data: c.custom_data,
                    notice_url: c.notice_url,
                    escrow: c.escrow,
                    channel: "pc".into(),
                    card,
                    vbank,
                    decline: c.decline,
                    ..NewPayment::default()
                },
            )
            .map_err(ControlError::Conflict)?
        };
        self.changed(&made).await;
        Ok(crate::behaviour::payments::render(&made))
    }

    /// Deposits into the virtual account of `imp_uid`: it becomes `paid`; sends the webhook and
    /// returns after the first delivery attempt.
    pub async fn deposit(
        &self,
        imp_uid: &str,
        deposit: Deposit,
    ) -> Result<PaymentAnnotation, ControlError> {
        decode_payment(self.deposit_json(imp_uid, deposit).await?)
    }

    async fn deposit_json(&self, imp_uid: &str, deposit: Deposit) -> Result<Value, ControlError> {
        let inner = &self.sandbox.inner;
        let now = inner.now();
        let paid = {
            let mut state = inner.state();
            let p = state.payments.get_mut(imp_uid).ok_or_else(|| {
                ControlError::NotFound(crate::behaviour::payments::NO_PAYMENT.into())
            })?;
            if p.pay_method != "vbank" || p.status != READY {
                return Err(ControlError::Conflict(
                    "입금대기 상태의 가상계좌 결제건이 아닙니다.".into(),
                ));
            }
            if p.vbank_date.is_some_and(|due| due < now) {
                return Err(ControlError::Conflict(
                    "입금기한이 지난 가상계좌입니다.".into(),
                ));
            }
            if let Some(amount) = deposit.amount
                && amount != p.amount
            {
                return Err(ControlError::Conflict(format!(
                    "입금액({amount})이 결제금액({})과 다릅니다.",
                    p.amount
                )));
            }
            checkout::deposit(p, now);
            p.clone()
        };
        self.changed(&paid).await;
        Ok(crate::behaviour::payments::render(&paid))
    }

    /// Queues the payment's webhook and returns once its first attempt is made (here, or by a
    /// round already under way).
    async fn changed(&self, p: &crate::store::Payment) {
        let inner = &self.sandbox.inner;
        let ids = inner.queue(vec![Notice::of(p)]);
        inner.run_due().await;
        inner.webhooks.attempted(&ids).await;
        inner.wake();
    }

    /// Puts the store back as the fixtures seed it (at the clock's current time), forgets the
    /// webhooks sent and the global notice URL. Tokens stay valid; the clock is not moved.
    pub fn reset(&self) {
        let inner = &self.sandbox.inner;
        let seed = inner.fixtures.seed(inner.now());
        *inner.state() = seed;
        inner.webhooks.clear();
    }

    /// Every webhook so far, oldest first, with its attempts.
    pub fn webhooks(&self) -> Vec<Delivery> {
        self.sandbox.inner.webhooks.list()
    }

    /// Sets (or with `None`, removes) the notice URL of payments that name none.
    pub fn set_notice_url(&self, url: Option<String>) {
        self.sandbox.inner.state().notice_url = url;
    }

    /// The sandbox's time (UNIX seconds).
    pub fn now(&self) -> i64 {
        self.sandbox.inner.now()
    }

    /// Moves the clock forward, then runs what became due (schedules, webhook retries, each at
    /// its own time) before returning; the new time. Refused past 9999-12-31.
    pub async fn advance(&self, by: Duration) -> Result<i64, ControlError> {
        let secs = i64::try_from(by.as_secs()).unwrap_or(i64::MAX);
        let now = self
            .sandbox
            .inner
            .clock
            .advance(secs)
            .map_err(out_of_range)?;
        self.run_due(now).await;
        Ok(now)
    }

    /// Sets the clock (UNIX seconds, 1970 to 9999), then runs what became due; the new time.
    pub async fn set_time(&self, unix_secs: i64) -> Result<i64, ControlError> {
        let now = self
            .sandbox
            .inner
            .clock
            .set(unix_secs)
            .map_err(out_of_range)?;
        self.run_due(now).await;
        Ok(now)
    }

    /// Runs the schedules due by `now` and every webhook attempt due by then, including those a
    /// background round has under way.
    async fn run_due(&self, now: i64) {
        let inner = &self.sandbox.inner;
        inner.run_due().await;
        inner.webhooks.settled(now).await;
    }
}

fn out_of_range(e: crate::clock::OutOfRange) -> ControlError {
    ControlError::BadRequest(e.to_string())
}

fn decode_payment(v: Value) -> Result<PaymentAnnotation, ControlError> {
    serde_json::from_value(v).map_err(|e| {
        ControlError::Conflict(format!(
            "the sandbox made a payment its client cannot read: {e}"
        ))
    })
}

// --- HTTP ----------------------------------------------------------------------------------------

/// `/sandbox/...`: the same controls over HTTP, answering in PortOne's envelope.
pub(crate) fn routes(sandbox: Sandbox) -> Router {
    Router::new()
        .route("/sandbox/checkout", post(http_checkout))
        .route("/sandbox/vbanks/{imp_uid}/deposit", post(http_deposit))
        .route("/sandbox/webhooks", get(http_webhooks))
        .route("/sandbox/notice-url", put(http_notice_url))
        .route("/sandbox/clock", get(http_clock).post(http_move_clock))
        .route("/sandbox/reset", post(http_reset))
        .with_state(Control::new(sandbox))
}

fn envelope(result: Result<Value, ControlError>) -> Response {
    match result {
        Ok(v) => (
            StatusCode::OK,
            axum::Json(json!({ "code": 0, "message": null, "response": v })),
        )
            .into_response(),
        Err(e) => (
            e.status(),
            axum::Json(json!({ "code": -1, "message": e.to_string(), "response": null })),
        )
            .into_response(),
    }
}

/// A JSON body, or a 400 that says what is wrong with it. An empty body is `{}`.
fn body<T: DeserializeOwned>(bytes: &Bytes) -> Result<T, ControlError> {
    let bytes: &[u8] = if bytes.iter().all(u8::is_ascii_whitespace) {
        b"{}"
    } else {
        bytes
    };
    serde_json::from_slice(bytes).map_err(|e| ControlError::BadRequest(format!("body: {e}")))
}

async fn http_checkout(State(control): State<Control>, bytes: Bytes) -> Response {
    let result = match body::<Checkout>(&bytes) {
        Ok(c) => control.checkout_json(c).await,
        Err(e) => Err(e),
    };
    envelope(result)
}

async fn http_deposit(
    State(control): State<Control>,
    Path(imp_uid): Path<String>,
    bytes: Bytes,
) -> Response {
    let result = match body::<Deposit>(&bytes) {
        Ok(d) => control.deposit_json(&imp_uid, d).await,
        Err(e) => Err(e),
    };
    envelope(result)
}

async fn http_webhooks(State(control): State<Control>) -> Response {
    envelope(Ok(json!(control.webhooks())))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct NoticeUrl {
    notice_url: Option<String>,
}

async fn http_notice_url(State(control): State<Control>, bytes: Bytes) -> Response {
    envelope(body::<NoticeUrl>(&bytes).map(|n| {
        control.set_notice_url(n.notice_url.clone());
        json!({ "notice_url": n.notice_url })
    }))
}

async fn http_reset(State(control): State<Control>) -> Response {
    control.reset();
    envelope(Ok(json!({ "now": control.now() })))
}

async fn http_clock(State(control): State<Control>) -> Response {
    envelope(Ok(json!({ "now": control.now() })))
}

/// `{"advance": SECONDS}` or `{"now": UNIX_SECONDS}`.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct MoveClock {
    advance: Option<i64>,
    now: Option<i64>,
}

async fn http_move_clock(State(control): State<Control>, bytes: Bytes) -> Response {
    let result = match body::<MoveClock>(&bytes) {
        Ok(MoveClock {
            advance: Some(secs),
            now: None,
        }) if secs >= 0 => control
            .advance(Duration::from_secs(secs.unsigned_abs()))
            .await
            .map(|now| json!({ "now": now })),
        Ok(MoveClock {
            advance: None,
            now: Some(at),
        }) => control.set_time(at).await.map(|now| json!({ "now": now })),
        Ok(_) => Err(ControlError::BadRequest(
            "send either {\"advance\": seconds >= 0} or {\"now\": unix seconds}".into(),
        )),
        Err(e) => Err(e),
    };
    envelope(result)
}
