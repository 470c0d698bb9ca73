//! A local sandbox of the PortOne V1 (iamport) REST API: the generated [`iamport_server`] router over a
//! hand-written [`IamportApi`](iamport_server::IamportApi) implementation with state. One sandbox is
//! one in-memory store, seeded from a fixture set: payments (prepared, paid by card or virtual
//! account, looked up, cancelled in full or in part), billing keys and their schedules, cash receipts,
//! certifications and escrow deliveries. It sends webhooks and retries them, runs on a clock tests
//! move, and has its own controls ([`Control`], and HTTP under `/sandbox/`) for what the browser,
//! the PG and the bank would do. Operations without behaviour answer with the spec's examples.
//!
//! ```no_run
//! # async fn run() -> Result<(), Box<dyn std::error::Error>> {
//! use iamport_sandbox::{Checkout, Sandbox};
//!
//! let sandbox = Sandbox::start().await?; // a free loopback port, in this process
//! let paid = sandbox.control.checkout(Checkout::card("order-1", 1000.0)).await?;
//! let payment = sandbox.client.verify_payment(&paid.imp_uid, 1000).await?;
//! # Ok(()) }
//! ```

mod api;
mod behaviour;
pub mod clock;
pub mod control;
pub mod credentials;
mod docs;
pub mod fixtures;
pub mod overrides;
mod serve;
mod start;
pub(crate) mod store;
pub mod tokens;
pub mod webhooks;

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex, MutexGuard, OnceLock, PoisonError, Weak};
use std::time::Duration;

use axum::Router;
use axum::extract::Request;
use axum::response::Response;
use serde_json::{Value, json};
use tower_http::trace::TraceLayer;

pub use clock::SandboxClock;
pub use control::{Checkout, Control, ControlError, Deposit};
pub use fixtures::{Fixtures, NaverAnswer};
pub use serve::{Limits, serve_with, spawn_with};
pub use start::Started;
pub use tokens::{Clock, ManualClock, SystemClock, TokenStore};
pub use webhooks::{Attempt, Delivery, DeliveryState};

/// One sandbox: one store, seeded from a fixture set, with its own clock. Cheap to clone; clones
/// share everything.
#[derive(Clone)]
pub struct Sandbox {
    pub(crate) inner: Arc<Inner>,
}

pub(crate) struct Inner {
    pub(crate) secrets: HashMap<String, String>,
    pub(crate) naver: HashMap<String, NaverAnswer>,
    pub(crate) tokens: TokenStore,
    pub(crate) clock: SandboxClock,
    state: Mutex<store::State>,
    pub(crate) webhooks: webhooks::Webhooks,
    pub(crate) overrides: Vec<overrides::Override>,
    /// What the store starts from, again on a reset.
    pub(crate) fixtures: Fixtures,
    ticker: OnceLock<()>,
}

/// A webhook to send once the state's lock is released: the payment's own notice URL, or `None`
/// for the global one.
pub(crate) struct Notice {
    pub(crate) url: Option<String>,
    pub(crate) body: Value,
}

impl Notice {
    /// The webhook of `payment`'s current status.
    pub(crate) fn of(payment: &store::Payment) -> Self {
        let mut body = json!({
            "imp_uid": payment.imp_uid,
            "merchant_uid": payment.merchant_uid,
            "status": payment.status,
        });
        if let Some(uid) = &payment.customer_uid {
            body["customer_uid"] = json!(uid);
        }
        if payment.status == store::CANCELLED
            && let Some(last) = payment.cancel_history.last()
        {
            body["cancellation_id"] = json!(last.cancellation_id);
        }
        Self {
            url: payment.notice_url.clone(),
            body,
        }
    }
}

impl Sandbox {
    pub fn new(fixtures: &Fixtures, clock: impl Clock) -> Self {
        let clock = SandboxClock::new(clock);
        let state = fixtures.seed(clock.now());
        Self {
            inner: Arc::new(Inner {
                secrets: fixtures.credentials.secrets_by_key(),
                naver: fixtures
                    .payments
                    .0
                    .iter()
                    .map(|p| (p.imp_uid.clone(), p.answer.clone()))
                    .collect(),
                tokens: TokenStore::new(clock.clone()),
                clock,
                state: Mutex::new(state),
                webhooks: webhooks::Webhooks::new(),
                overrides: fixtures.overrides.clone(),
                fixtures: fixtures.clone(),
                ticker: OnceLock::new(),
            }),
        }
    }

    /// The handle tests use to play the browser, the PG and the bank, and to move the clock.
    pub fn control(&self) -> Control {
        Control::new(self.clone())
    }

    /// The sandbox's clock.
    pub fn clock(&self) -> &SandboxClock {
        &self.inner.clock
    }
}

impl Inner {
    pub(crate) fn now(&self) -> i64 {
        self.clock.now()
    }

    pub(crate) fn state(&self) -> MutexGuard<'_, store::State> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Queues the webhooks (those with no URL go to the global one, or nowhere) and sends them in
    /// the background.
    pub(crate) fn notify(self: &Arc<Self>, notices: Vec<Notice>) {
        if !self.queue(notices).is_empty() {
            self.wake();
        }
    }

    /// Queues the webhooks; the ids of those queued.
    pub(crate) fn queue(&self, notices: Vec<Notice>) -> Vec<u64> {
        if notices.is_empty() {
            return vec![];
        }
        let global = self.state().notice_url.clone();
        let now = self.now();
        notices
            .into_iter()
            .filter_map(|n| {
                let url = n.url.or_else(|| global.clone())?;
                Some(self.webhooks.queue(url, n.body, now))
            })
            .collect()
    }

    /// Runs what is due in the background: now, and on every tick of the ticker after.
    pub(crate) fn wake(self: &Arc<Self>) {
        let Ok(runtime) = tokio::runtime::Handle::try_current() else {
            return;
        };
        let me = Arc::clone(self);
        runtime.spawn(async move { me.run_due().await });
        self.ticker.get_or_init(|| {
            let weak: Weak<Self> = Arc::downgrade(self);
            runtime.spawn(async move {
                let mut tick = tokio::time::interval(TICK);
                loop {
                    tick.tick().await;
                    let Some(me) = weak.upgrade() else { return };
                    // its own task: should a round fail, the next tick still comes
                    if tokio::spawn(async move { me.run_due().await })
                        .await
                        .is_err()
                    {
                        tracing::error!("a round of schedules and webhooks failed");
                    }
                }
            });
        });
    }

    /// Runs the schedules whose time has come, then makes the webhook attempts that are due.
    pub(crate) async fn run_due(self: &Arc<Self>) {
        self.queue(behaviour::billing::run_due_schedules(self));
        let now = self.now();
        if self.webhooks.any_due(now) {
            self.webhooks.deliver_due(now).await;
        }
    }
}

/// How often, in real time, the sandbox looks for schedules and webhook retries that its clock has
/// made due.
const TICK: Duration = Duration::from_millis(250);

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
    // Schedules the fixtures made wait run when their time comes, even if no request wakes the sandbox.
    sandbox.inner.wake();
    let control = control::routes(sandbox.clone());
    let overrides =
        axum::middleware::from_fn_with_state(sandbox.clone(), overrides::answer_overrides);
    iamport_server::router(Arc::new(sandbox))
        .merge(control)
        .layer(overrides)
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
