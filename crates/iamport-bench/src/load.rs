//! The load generator of `bench-load` (the sandbox against Prism): a fixed number of tasks, each
//! sending the next request of a fixed mix as soon as its previous answer is read, for a fixed time.
//! Every answer is kept as (request, status, latency); nothing is judged here, so a server answering
//! 404 or 501 is measured (and shown) as it answers.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use anyhow::Context;
use iamport_sandbox::credentials::{IMP_KEY, IMP_SECRET};
use serde::Serialize;
use serde_json::json;

/// One request of the mix.
#[derive(Clone, Debug)]
pub struct Request {
    /// `METHOD /path/template`, as the report names it.
    pub name: &'static str,
    pub method: reqwest::Method,
    /// Path and query, after the base URL.
    pub path: &'static str,
    /// Sends `{"merchant_uid": <unique>, "amount": 1000}` (a new merchant_uid each time, so that a
    /// stateful server sees a new order, not a repeat).
    pub prepare_body: bool,
}

/// The mix every server gets, in turn (task `i` starts at request `i % len`): two GETs of a payment
/// in the spec's examples and in the built-in fixtures, and a POST with a JSON body.
pub fn mix() -> Vec<Request> {
    vec![
        Request {
            name: "GET /payments/{imp_uid}",
            method: reqwest::Method::GET,
            path: "/payments/imp_448280090638",
            prepare_body: false,
        },
        Request {
            name: "GET /payments/{imp_uid}/naver/cash-amount",
            method: reqwest::Method::GET,
            path: "/payments/imp_448280090638/naver/cash-amount",
            prepare_body: false,
        },
        Request {
            name: "POST /payments/prepare",
            method: reqwest::Method::POST,
            path: "/payments/prepare",
            prepare_body: true,
        },
    ]
}

/// A request sent once to each server (after the load), to show how each answers something the
/// load does not ask: (name, method, path and query, JSON body, times sent; the last answer is kept).
pub type Probe = (
    &'static str,
    reqwest::Method,
    &'static str,
    Option<serde_json::Value>,
    usize,
);

/// The probes: a repeatable query parameter, a payment that does not exist, the same order prepared
/// twice.
pub fn probes() -> Vec<Probe> {
    vec![
        (
            "array query parameter",
            reqwest::Method::GET,
            "/subscribe/customers?customer_uid[]=customer_1234",
            None,
            1,
        ),
        (
            "unknown payment",
            reqwest::Method::GET,
            "/payments/imp_000000000000",
            None,
            1,
        ),
        (
            "same merchant_uid prepared twice",
            reqwest::Method::POST,
            "/payments/prepare",
            Some(json!({"merchant_uid": "bench-probe-twice", "amount": 1000})),
            2,
        ),
    ]
}

/// How a server answered a probe.
#[derive(Debug, Serialize)]
pub struct ProbeAnswer {
    pub name: &'static str,
    pub method: String,
    pub path: &'static str,
    /// As [`label`] gives it, or the failure kind.
    pub status: String,
    /// The envelope's `message`, if any.
    pub message: Option<String>,
    /// Prism's `sl-violations` header, if any.
    pub violations: Option<String>,
}

/// Sends every probe to `base` (each as many times as it says) and keeps the last answers.
pub async fn probe(base: &str, token: &str) -> anyhow::Result<Vec<ProbeAnswer>> {
    let http = http_client(Duration::from_secs(10))?;
    let mut answers = vec![];
    for (name, method, path, body, times) in probes() {
        let mut answer = None;
        for _ in 0..times {
            let mut request = http
                .request(method.clone(), format!("{base}{path}"))
                .bearer_auth(token);
            if let Some(body) = &body {
                request = request.json(body);
            }
            answer = Some(match request.send().await {
                Ok(response) => {
                    let status = response.status().as_u16();
                    let violations = response
                        .headers()
                        .get("sl-violations")
                        .and_then(|v| v.to_str().ok())
                        .map(str::to_owned);
                    let body = response.bytes().await.unwrap_or_default();
                    let message = serde_json::from_slice::<serde_json::Value>(&body)
                        .ok()
                        .and_then(|v| v.get("message")?.as_str().map(str::to_owned));
                    (label(status, &body), message, violations)
                }
                Err(e) => (failure(&e).to_owned(), None, None),
            });
        }
        let (status, message, violations) = answer.context("a probe sent no request")?;
        answers.push(ProbeAnswer {
            name,
            method: method.to_string(),
            path,
            status,
            message,
            violations,
        });
    }
    Ok(answers)
}

/// How one load runs.
#[derive(Clone, Debug)]
pub struct Load {
    pub concurrency: usize,
    pub duration: Duration,
    /// Per request; a request over it counts as `timeout`.
    pub timeout: Duration,
}

/// What a server did under one load.
#[derive(Debug, Serialize)]
pub struct Outcome {
    /// Answers completed within the duration, per second.
    pub requests_per_sec: f64,
    /// Answers completed within the duration (requests still in flight at its end are awaited and
    /// counted in the latencies and statuses, not here).
    pub completed: u64,
    pub p50_ms: f64,
    pub p99_ms: f64,
    /// Per request name: statuses (`"200"`, `"200 code 1"` (see [`label`]), …, or `timeout` /
    /// `connect` / `error`) and their counts.
    pub statuses: BTreeMap<String, BTreeMap<String, u64>>,
    /// Per request name: its own p50 and p99 in ms.
    pub per_request: BTreeMap<String, (f64, f64)>,
}

/// The HTTP client of every load (one per load, its connections kept alive).
pub fn http_client(timeout: Duration) -> anyhow::Result<reqwest::Client> {
    reqwest::Client::builder()
        .timeout(timeout)
        .connect_timeout(Duration::from_secs(5))
        .pool_max_idle_per_host(1024)
        .build()
        .context("building the HTTP client")
}

/// A token from `POST {base}/users/getToken` with the built-in fixtures' key pair.
pub async fn token(base: &str) -> anyhow::Result<String> {
    let http = http_client(Duration::from_secs(10))?;
    let answer: serde_json::Value = http
        .post(format!("{base}/users/getToken"))
        .json(&json!({"imp_key": IMP_KEY, "imp_secret": IMP_SECRET}))
        .send()
        .await
        .with_context(|| format!("POST {base}/users/getToken"))?
        .error_for_status()?
        .json()
        .await?;
    answer["response"]["access_token"]
        .as_str()
        .map(str::to_owned)
        .with_context(|| format!("no access_token in {answer}"))
}

/// One answer: which request, its status (or failure kind), its latency in µs.
type Sample = (usize, String, u64);

/// Runs `load` against `base` with `Authorization: Bearer <token>`. `tag` goes into the
/// merchant_uids, so that two loads never send the same one.
pub async fn run(base: &str, token: &str, load: &Load, tag: &str) -> anyhow::Result<Outcome> {
    let http = http_client(load.timeout)?;
    let requests = Arc::new(mix());
    let authorization: Arc<str> = format!("Bearer {token}").into();
    let counter = Arc::new(AtomicU64::new(0));
    let started = Instant::now();
    let end = started + load.duration;
    let mut tasks = tokio::task::JoinSet::new();
    for worker in 0..load.concurrency {
        let (http, requests, authorization, counter) = (
            http.clone(),
            requests.clone(),
            authorization.clone(),
            counter.clone(),
        );
        let (base, tag) = (base.to_owned(), tag.to_owned());
        tasks.spawn(async move {
            let mut samples: Vec<Sample> = vec![];
            let mut completed_in_time = 0u64;
            let mut next = worker % requests.len();
            while Instant::now() < end {
                let index = next;
                let request = &requests[index];
                next = (next + 1) % requests.len();
                let mut builder = http
                    .request(request.method.clone(), format!("{base}{}", request.path))
                    .header(reqwest::header::AUTHORIZATION, &*authorization);
                if request.prepare_body {
                    let n = counter.fetch_add(1, Ordering::Relaxed);
                    builder = builder.json(&json!({
                        "merchant_uid": format!("bench-{tag}-{n}"),
                        "amount": 1000,
                    }));
                }
                let sent = Instant::now();
                let status = match builder.send().await {
                    Ok(response) => {
                        let status = response.status().as_u16();
                        // The whole body is part of the answer.
                        match response.bytes().await {
                            Ok(body) => label(status, &body),
                            Err(e) => failure(&e).to_owned(),
                        }
                    }
                    Err(e) => failure(&e).to_owned(),
                };
                let done = Instant::now();
                if done <= end {
                    completed_in_time += 1;
                }
                let micros = u64::try_from((done - sent).as_micros()).unwrap_or(u64::MAX);
                samples.push((index, status, micros));
            }
            (samples, completed_in_time)
        });
    }
    let mut samples: Vec<Sample> = vec![];
    let mut completed = 0;
    while let Some(joined) = tasks.join_next().await {
        let (mut s, n) = joined.context("a load task panicked")?;
        samples.append(&mut s);
        completed += n;
    }
    Ok(summarize(&requests, &samples, completed, load.duration))
}

/// `200`, or `200 code 1` when the envelope's `code` is not 0 (PortOne answers some business errors
/// with HTTP 200 and a non-zero code). Only the start of the body is looked at: `{"code":N,…`.
pub fn label(status: u16, body: &[u8]) -> String {
    let head = &body[..body.len().min(64)];
    let code = std::str::from_utf8(head)
        .ok()
        .and_then(|h| {
            h.trim_start()
                .strip_prefix('{')?
                .trim_start()
                .strip_prefix("\"code\"")?
                .trim_start()
                .strip_prefix(':')
        })
        .map(|rest| {
            let rest = rest.trim_start();
            let end = rest
                .char_indices()
                .find(|(i, c)| !(c.is_ascii_digit() || (*i == 0 && *c == '-')))
                .map_or(rest.len(), |(i, _)| i);
            &rest[..end]
        });
    match code {
        Some(code) if !code.is_empty() && code != "0" => format!("{status} code {code}"),
        _ => status.to_string(),
    }
}

fn failure(e: &reqwest::Error) -> &'static str {
    if e.is_timeout() {
        "timeout"
    } else if e.is_connect() {
        "connect"
    } else {
        "error"
    }
}

fn summarize(
    requests: &[Request],
    samples: &[Sample],
    completed: u64,
    duration: Duration,
) -> Outcome {
    let mut all: Vec<u64> = samples.iter().map(|s| s.2).collect();
    let mut statuses: BTreeMap<String, BTreeMap<String, u64>> = BTreeMap::new();
    let mut per_request = BTreeMap::new();
    for (i, request) in requests.iter().enumerate() {
        let mut latencies: Vec<u64> = vec![];
        let counts = statuses.entry(request.name.to_owned()).or_default();
        for (_, status, micros) in samples.iter().filter(|s| s.0 == i) {
            *counts.entry(status.clone()).or_default() += 1;
            latencies.push(*micros);
        }
        per_request.insert(
            request.name.to_owned(),
            (
                percentile_ms(&mut latencies, 50.0),
                percentile_ms(&mut latencies, 99.0),
            ),
        );
    }
    Outcome {
        requests_per_sec: completed as f64 / duration.as_secs_f64(),
        completed,
        p50_ms: percentile_ms(&mut all, 50.0),
        p99_ms: percentile_ms(&mut all, 99.0),
        statuses,
        per_request,
    }
}

/// The `p`th percentile (nearest rank) of latencies in µs, in ms; NaN for none.
pub fn percentile_ms(micros: &mut [u64], p: f64) -> f64 {
    if micros.is_empty() {
        return f64::NAN;
    }
    micros.sort_unstable();
    let rank = ((p / 100.0) * micros.len() as f64).ceil() as usize;
    micros[rank.clamp(1, micros.len()) - 1] as f64 / 1000.0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percentiles_are_nearest_rank() {
        let mut v: Vec<u64> = (1..=100).map(|i| i * 1000).collect();
        assert_eq!(percentile_ms(&mut v, 50.0), 50.0);
        assert_eq!(percentile_ms(&mut v, 99.0), 99.0);
        assert_eq!(percentile_ms(&mut [7000], 99.0), 7.0);
        assert!(percentile_ms(&mut [], 50.0).is_nan());
    }

    #[test]
    fn a_non_zero_envelope_code_is_part_of_the_label() {
        assert_eq!(label(200, br#"{"code":0,"response":{}}"#), "200");
        assert_eq!(label(200, br#"{"code":1,"message":"x"}"#), "200 code 1");
        assert_eq!(
            label(404, br#"{ "code" : -1, "message":"x"}"#),
            "404 code -1"
        );
        assert_eq!(
            label(
                404,
                br#"{"type":"https://stoplight.io/prism/errors#NOT_FOUND"}"#
            ),
            "404"
        );
        assert_eq!(label(500, b""), "500");
        assert_eq!(label(200, b"\xff\xfe"), "200");
    }

    #[test]
    fn statuses_are_counted_per_request() {
        let requests = mix();
        let samples = vec![
            (0, "200".to_owned(), 1000),
            (0, "404".to_owned(), 3000),
            (2, "timeout".to_owned(), 9000),
        ];
        let o = summarize(&requests, &samples, 2, Duration::from_secs(2));
        assert_eq!(o.requests_per_sec, 1.0);
        assert_eq!(o.statuses["GET /payments/{imp_uid}"]["404"], 1);
        assert_eq!(o.statuses["POST /payments/prepare"]["timeout"], 1);
        assert!(o.statuses["GET /payments/{imp_uid}/naver/cash-amount"].is_empty());
        assert_eq!(o.per_request["GET /payments/{imp_uid}"], (1.0, 3.0));
        assert_eq!(o.p99_ms, 9.0);
    }
}
