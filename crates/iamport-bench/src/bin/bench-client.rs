//! `bench-client --base-url URL`: calls per second and CPU time per call of
//! `IamportClient::query_cash_amount` (token cached) against raw reqwest + serde_json on the same
//! call, alternated over rounds, printed as one JSON document. A third, diagnostic arm
//! (`generated_raw`: the generated progenitor client with the cached token, without the payload and
//! error mapping) says where a difference comes from. Bounded by call counts and `--max-seconds`.

use std::collections::BTreeMap;
use std::hint::black_box;
use std::process::ExitCode;
use std::sync::Arc;
use std::sync::atomic::{AtomicI64, Ordering};
use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use clap::Parser;
use iamport_bench::{CashAmountEnvelope, IMP_UID};
use iamport_client::IamportClient;
use iamport_client::types::QueryCashAmountImpUid;
use iamport_sandbox::credentials::{IMP_KEY, IMP_SECRET};
use serde::Serialize;
use serde_json::json;

#[derive(Parser)]
#[command(about = "The client A/B of `cargo xtask bench`")]
struct Args {
    /// A sandbox serving the built-in fixtures.
    #[arg(long)]
    base_url: String,
    #[arg(long, default_value_t = 3)]
    rounds: usize,
    /// Calls per arm per round (and a tenth of it per arm before the first round, to warm up
    /// connections, token and caches).
    #[arg(long, default_value_t = 10_000)]
    calls: u32,
    /// Give up (with an error) after this long in all.
    #[arg(long, default_value_t = 300)]
    max_seconds: u64,
}

const CLIENT: &str = "iamport_client";
const RAW: &str = "raw_reqwest";
const GENERATED_RAW: &str = "generated_raw";
/// Calls in flight at once (tasks sharing one client).
const CONCURRENCY: usize = 32;

fn main() -> ExitCode {
    let args = Args::parse();
    let result = iamport_bench::runtime(None)
        .context("starting the runtime")
        .and_then(|rt| rt.block_on(ab(&args)));
    match result {
        Ok(report) => {
            println!("{report}");
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::FAILURE
        }
    }
}

/// The reqwest settings of every arm: those of `IamportClient`'s default HTTP client.
fn http_client() -> anyhow::Result<reqwest::Client> {
    reqwest::Client::builder()
        .timeout(IamportClient::DEFAULT_TIMEOUT)
        .connect_timeout(IamportClient::DEFAULT_CONNECT_TIMEOUT)
        .user_agent(concat!("iamport-client/", env!("CARGO_PKG_VERSION")))
        .build()
        .context("building the HTTP client")
}

/// One arm: a way to make one call, cheap to clone into each task.
#[derive(Clone)]
enum Caller {
    Client(IamportClient),
    Raw {
        http: reqwest::Client,
        url: Arc<str>,
        authorization: Arc<str>,
    },
    GeneratedRaw(IamportClient, Arc<QueryCashAmountImpUid>),
}

impl Caller {
    async fn call(&self) -> anyhow::Result<()> {
        match self {
            Caller::Client(client) => {
                black_box(client.query_cash_amount(IMP_UID).await?);
            }
            Caller::Raw {
                http,
                url,
                authorization,
            } => {
                let response = http
                    .get(&**url)
                    .header(reqwest::header::AUTHORIZATION, &**authorization)
                    .send()
                    .await?;
                let status = response.status();
                let body = response.bytes().await?;
                if !status.is_success() {
                    bail!("HTTP {status}: {}", String::from_utf8_lossy(&body));
                }
                let envelope: CashAmountEnvelope = serde_json::from_slice(&body)?;
                black_box(envelope.response.context("no response payload")?);
            }
            Caller::GeneratedRaw(client, imp_uid) => {
                let raw = client.authorized_raw().await?;
                let envelope = raw
                    .query_cash_amount()
                    .imp_uid((**imp_uid).clone())
                    .send()
                    .await?
                    .into_inner();
                black_box(envelope.response.context("no response payload")?);
            }
        }
        Ok(())
    }
}

/// The three arms, each with its own `reqwest::Client` built by the same function.
async fn callers(base_url: &str) -> anyhow::Result<BTreeMap<&'static str, Caller>> {
    let client = || -> anyhow::Result<IamportClient> {
        Ok(IamportClient::builder(IMP_KEY, IMP_SECRET)
            .base_url(base_url)
            .http_client(http_client()?)
            .build()?)
    };
    // The raw arm gets its token once, as a raw reqwest user would.
    let http = http_client()?;
    let answer: serde_json::Value = http
        .post(format!("{base_url}/users/getToken"))
        .json(&json!({"imp_key": IMP_KEY, "imp_secret": IMP_SECRET}))
        .send()
        .await
        .context("POST /users/getToken")?
        .error_for_status()?
        .json()
        .await?;
    let token = answer["response"]["access_token"]
        .as_str()
        .with_context(|| format!("no access_token in {answer}"))?;
    let imp_uid: QueryCashAmountImpUid = IMP_UID.parse().map_err(|e| anyhow::anyhow!("{e}"))?;
    Ok(BTreeMap::from([
        (CLIENT, Caller::Client(client()?)),
        (
            RAW,
            Caller::Raw {
                http,
                url: format!("{base_url}/payments/{IMP_UID}/naver/cash-amount").into(),
                authorization: format!("Bearer {token}").into(),
            },
        ),
        (
            GENERATED_RAW,
            Caller::GeneratedRaw(client()?, Arc::new(imp_uid)),
        ),
    ]))
}

#[derive(Serialize)]
struct Arm {
    calls_per_sec: f64,
    /// This process's CPU time (user + system, all threads) over the arm, per call.
    cpu_us_per_call: f64,
}

/// This process's user + system CPU time in microseconds, from `/proc/self/stat` (fields 14 and
/// 15, in ticks of 1/100 s), or 0 where there is none.
fn cpu_micros() -> u64 {
    let stat = std::fs::read_to_string("/proc/self/stat").unwrap_or_default();
    let rest = stat.rsplit_once(')').map_or("", |(_, rest)| rest);
    let fields: Vec<u64> = rest
        .split_whitespace()
        .skip(11)
        .take(2)
        .filter_map(|n| n.parse().ok())
        .collect();
    fields.iter().sum::<u64>() * 10_000
}

/// `calls` calls through `caller` from [`CONCURRENCY`] tasks.
async fn drive(caller: &Caller, calls: u32, deadline: Instant) -> anyhow::Result<Arm> {
    let remaining = Arc::new(AtomicI64::new(i64::from(calls)));
    let cpu_before = cpu_micros();
    let started = Instant::now();
    let mut tasks = tokio::task::JoinSet::new();
    for _ in 0..CONCURRENCY {
        let (caller, remaining) = (caller.clone(), remaining.clone());
        tasks.spawn(async move {
            while remaining.fetch_sub(1, Ordering::Relaxed) > 0 {
                if Instant::now() > deadline {
                    bail!("out of time (--max-seconds)");
                }
                caller.call().await?;
            }
            anyhow::Ok(())
        });
    }
    while let Some(joined) = tasks.join_next().await {
        joined.context("a call task panicked")??;
    }
    let secs = started.elapsed().as_secs_f64();
    let cpu = cpu_micros().saturating_sub(cpu_before) as f64;
    Ok(Arm {
        calls_per_sec: f64::from(calls) / secs,
        cpu_us_per_call: cpu / f64::from(calls.max(1)),
    })
}

/// The rounds: the A/B pair back to back, swapping places every round (ABBA…); the diagnostic arm
/// last, then first.
async fn ab(args: &Args) -> anyhow::Result<serde_json::Value> {
    let deadline = Instant::now() + Duration::from_secs(args.max_seconds);
    let callers = callers(&args.base_url).await?;
    for caller in callers.values() {
        drive(caller, args.calls / 10, deadline).await?;
    }
    let mut rounds = vec![];
    for round in 0..args.rounds {
        let order = if round.is_multiple_of(2) {
            [CLIENT, RAW, GENERATED_RAW]
        } else {
            [GENERATED_RAW, RAW, CLIENT]
        };
        let mut arms = BTreeMap::new();
        for name in order {
            let arm = drive(&callers[name], args.calls, deadline).await?;
            arms.insert(name, arm);
        }
        rounds.push(json!({"order": order, "arms": arms}));
    }
    Ok(json!({"concurrency": CONCURRENCY, "calls": args.calls, "rounds": rounds}))
}
