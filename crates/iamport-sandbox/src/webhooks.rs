//! Webhooks as PortOne sends them: on a payment's status change, a POST of
//! `{"imp_uid", "merchant_uid", "status"}` (with `cancellation_id` on a cancellation and
//! `customer_uid` on a billing-key payment) as JSON to the payment's `notice_url`, or the sandbox's
//! global one. An answer other than 2xx (or none within 10 s) is retried up to [`RETRIES`] times,
//! [`RETRY_INTERVAL_SECS`] apart on the sandbox's clock. Every delivery and attempt is kept, for the
//! control API to list.

use std::sync::Mutex;
use std::time::Duration;

use serde::Serialize;
use serde_json::Value;

/// Retries after the first attempt.
pub const RETRIES: usize = 5;
/// Sandbox seconds between two attempts.
pub const RETRY_INTERVAL_SECS: i64 = 60;
/// Deliveries kept for the control API; beyond, the oldest finished ones go.
pub const MAX_DELIVERIES: usize = 10_000;
/// How long one attempt waits for the merchant's answer (real time).
pub const ATTEMPT_TIMEOUT: Duration = Duration::from_secs(10);

/// One webhook and what became of it.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[non_exhaustive]
pub struct Delivery {
    /// Its number in this sandbox, from 1.
    pub id: u64,
    pub url: String,
    /// The JSON body, as sent.
    pub body: Value,
    /// Sandbox time it was queued at.
    pub created_at: i64,
    pub attempts: Vec<Attempt>,
    /// `pending` (an attempt is due at `next_attempt_at`), `delivered` or `failed` (no retry left).
    pub state: DeliveryState,
    /// Sandbox time of the next attempt, while `pending`.
    pub next_attempt_at: Option<i64>,
    /// An attempt is under way (not listed).
    #[serde(skip)]
    pub(crate) in_flight: bool,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum DeliveryState {
    Pending,
    Delivered,
    Failed,
}

/// One POST of a delivery.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[non_exhaustive]
pub struct Attempt {
    /// Sandbox time of the attempt.
    pub at: i64,
    /// The merchant's HTTP status, if it answered.
    pub status: Option<u16>,
    /// Why it did not count as delivered (no answer, or a status that is not 2xx).
    pub error: Option<String>,
}

pub(crate) struct Webhooks {
    deliveries: Mutex<Vec<Delivery>>,
    http: reqwest::Client,
}

impl Webhooks {
    pub(crate) fn new() -> Self {
        Self {
            deliveries: Mutex::new(vec![]),
            http: reqwest::Client::builder()
                .timeout(ATTEMPT_TIMEOUT)
                .redirect(reqwest::redirect::Policy::none())
                .build()
                .unwrap_or_default(),
        }
    }

    /// Queues a webhook, due at once; its id.
    pub(crate) fn queue(&self, url: String, body: Value, now: i64) -> u64 {
        let mut all = self.lock();
        if all.len() >= MAX_DELIVERIES
            && let Some(oldest) = all.iter().position(|d| d.state != DeliveryState::Pending)
        {
            all.remove(oldest);
        }
        let id = all.last().map_or(1, |d| d.id + 1);
        all.push(Delivery {
            id,
            url,
            body,
            created_at: now,
            attempts: vec![],
            state: DeliveryState::Pending,
            next_attempt_at: Some(now),
            in_flight: false,
        });
        id
    }

    /// Waits until no attempt due by `now` is left or under way (a round elsewhere may hold some),
    /// for at most as long as every retry could take.
    pub(crate) async fn settled(&self, now: i64) {
        let most = (ATTEMPT_TIMEOUT + Duration::from_secs(1)) * (RETRIES as u32 + 1);
        let _ = tokio::time::timeout(most, async {
            loop {
                let busy = self
                    .lock()
                    .iter()
                    .any(|d| d.in_flight || d.next_attempt_at.is_some_and(|at| at <= now));
                if !busy {
                    return;
                }
                self.deliver_due(now).await;
                tokio::time::sleep(Duration::from_millis(5)).await;
            }
        })
        .await;
    }

    /// Waits (at most one attempt's timeout and a second) until each of `ids` has had an attempt.
    pub(crate) async fn attempted(&self, ids: &[u64]) {
        let waited = tokio::time::timeout(ATTEMPT_TIMEOUT + Duration::from_secs(1), async {
            loop {
                let done = self
                    .lock()
                    .iter()
                    .filter(|d| ids.contains(&d.id))
                    .all(|d| !d.attempts.is_empty() || d.state != DeliveryState::Pending);
                if done {
                    return;
                }
                tokio::time::sleep(Duration::from_millis(5)).await;
            }
        });
        let _ = waited.await;
    }

    /// Forgets every delivery.
    pub(crate) fn clear(&self) {
        self.lock().clear();
    }

    pub(crate) fn list(&self) -> Vec<Delivery> {
        self.lock().clone()
    }

    /// Whether an attempt is due at `now` (and not under way).
    pub(crate) fn any_due(&self, now: i64) -> bool {
        self.lock()
            .iter()
            .any(|d| !d.in_flight && d.next_attempt_at.is_some_and(|at| at <= now))
    }

    /// Makes every attempt due by `now`, each at the time it was due (so a clock moved by ten
    /// minutes makes a failing delivery's retries, a minute apart, in one call), concurrently, and
    /// records each result. A delivery whose attempt is under way elsewhere is left to it: a notice
    /// URL that does not answer holds up its own deliveries only.
    pub(crate) async fn deliver_due(&self, now: i64) {
        loop {
            let due: Vec<(u64, i64, String, Value)> = self
                .lock()
                .iter_mut()
                .filter(|d| !d.in_flight)
                .filter_map(|d| {
                    let at = d.next_attempt_at.filter(|at| *at <= now)?;
                    d.in_flight = true;
                    Some((d.id, at, d.url.clone(), d.body.clone()))
                })
                .collect();
            if due.is_empty() {
                return;
            }
            let mut sends = tokio::task::JoinSet::new();
            for (id, at, url, body) in due {
                let http = self.http.clone();
                sends.spawn(async move { (id, at, send(&http, &url, &body).await) });
            }
            while let Some(done) = sends.join_next().await {
                let Ok((id, at, (status, error))) = done else {
                    continue;
                };
                let mut all = self.lock();
                let Some(d) = all.iter_mut().find(|d| d.id == id) else {
                    continue;
                };
                d.in_flight = false;
                d.attempts.push(Attempt {
                    at,
                    status,
                    error: error.clone(),
                });
                if error.is_none() {
                    d.state = DeliveryState::Delivered;
                    d.next_attempt_at = None;
                } else if d.attempts.len() > RETRIES {
                    d.state = DeliveryState::Failed;
                    d.next_attempt_at = None;
                } else {
                    d.next_attempt_at = Some(at + RETRY_INTERVAL_SECS);
                }
            }
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Vec<Delivery>> {
        self.deliveries
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

/// One POST: the status, and why it does not count as delivered (`None`: delivered).
async fn send(http: &reqwest::Client, url: &str, body: &Value) -> (Option<u16>, Option<String>) {
    match http.post(url).json(body).send().await {
        Ok(answer) => {
            let status = answer.status();
            let error = (!status.is_success())
                .then(|| format!("the notice URL answered {}", status.as_u16()));
            (Some(status.as_u16()), error)
        }
        Err(e) => (None, Some(format!("no answer from the notice URL: {e}"))),
    }
}
