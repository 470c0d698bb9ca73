//! `bench-client`: the client side of `cargo xtask bench`.
//!
//! * `token`: POST /users/getToken with the fixture credentials, print the access token.
//! * `get`: one GET of the cash-amount call, printed as JSON (status, content-type, body), so the
//!   driver can check that two servers answer the same bytes.
//! * `ab`: calls per second of `IamportClient::naver_cash_amount` (token cached) vs raw reqwest +
//!   serde_json on the same body, alternated over rounds, printed as one JSON document.
//!
//! Every loop is bounded by a call count and by `--max-seconds`.

use std::collections::BTreeMap;
use std::hint::black_box;
use std::process::ExitCode;
use std::sync::Arc;
use std::sync::atomic::{AtomicI64, Ordering};
use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use clap::{Parser, Subcommand};
use iamport_bench::{CashAmountEnvelope, IMP_UID};
use iamport_client::IamportClient;
use iamport_client::types::QueryCashAmountImpUid;
use serde::Serialize;
use serde_json::json;

const IMP_KEY: &str = "1234567890123456";
const IMP_SECRET: &str = "sandbox-secret-do-not-use-in-production-0123456789abcdef";

#[derive(Parser)]
#[command(about = "The client side of `cargo xtask bench`")]
struct Cli {
    /// Exit (status 130) when standard input closes (the driver holds a pipe to it).
    #[arg(long, global = true)]
    exit_on_stdin_eof: bool,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Print an access token from POST {base_url}/users/getToken (fixture credentials).
    Token {
        #[arg(long)]
        base_url: String,
    },
    /// GET the cash amount of `imp_uid` once and print status, content-type and body as JSON.
    Get {
        #[arg(long)]
        base_url: String,
        /// Sent as `Authorization: Bearer <token>`; none when absent.
        #[arg(long)]
        token: Option<String>,
        #[arg(long, default_value = IMP_UID)]
        imp_uid: String,
    },
    /// IamportClient vs raw reqwest + serde_json, alternated; prints JSON.
    Ab {
        #[arg(long)]
        base_url: String,
        #[arg(long, default_value_t = 3)]
        rounds: usize,
        /// Calls per arm per round.
        #[arg(long, default_value_t = 10_000)]
        calls: u32,
        /// Calls per arm before the first round (connections, token, caches).
        #[arg(long, default_value_t = 1_000)]
        warmup_calls: u32,
        /// Calls in flight at once (tasks sharing one client).
        #[arg(long, default_value_t = 32)]
        concurrency: usize,
        /// Tokio worker threads (default: one per core).
        #[arg(long)]
        workers: Option<usize>,
        /// Give up (with an error) after this long in all.
        #[arg(long, default_value_t = 300)]
        max_seconds: u64,
    },
    /// Make `calls` calls through one arm and nothing else (the driver runs this under callgrind
    /// twice, with two counts, and takes the difference: instructions per call).
    Calls {
        #[arg(long)]
        base_url: String,
        #[arg(long, value_enum)]
        arm: ArmName,
        #[arg(long)]
        calls: u32,
        #[arg(long, default_value_t = 4)]
        concurrency: usize,
        #[arg(long, default_value_t = 600)]
        max_seconds: u64,
    },
}

#[derive(Clone, Copy, clap::ValueEnum)]
enum ArmName {
    IamportClient,
    RawReqwest,
    GeneratedRaw,
}

impl ArmName {
    fn key(self) -> &'static str {
        match self {
            ArmName::IamportClient => CLIENT,
            ArmName::RawReqwest => RAW,
            ArmName::GeneratedRaw => GENERATED_RAW,
        }
    }
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    if cli.exit_on_stdin_eof {
        iamport_bench::exit_when_stdin_closes(130);
    }
    let workers = match &cli.command {
        Command::Ab { workers, .. } => *workers,
        Command::Calls { .. } => Some(1),
        _ => Some(1),
    };
    let result = iamport_bench::runtime(workers)
        .context("starting the runtime")
        .and_then(|rt| {
            rt.block_on(async {
                tokio::select! {
                    r = run(cli.command) => r,
                    () = iamport_bench::stop_signal() => bail!("interrupted"),
                }
            })
        });
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::FAILURE
        }
    }
}

/// The reqwest settings both arms use: those of `IamportClient`'s default HTTP client.
fn http_client() -> anyhow::Result<reqwest::Client> {
    reqwest::Client::builder()
        .timeout(IamportClient::DEFAULT_TIMEOUT)
        .connect_timeout(IamportClient::DEFAULT_CONNECT_TIMEOUT)
        .user_agent(concat!("iamport-client/", env!("CARGO_PKG_VERSION")))
        .build()
        .context("building the HTTP client")
}

async fn run(command: Command) -> anyhow::Result<()> {
    match command {
        Command::Token { base_url } => {
            println!("{}", raw_token(&http_client()?, &base_url).await?);
            Ok(())
        }
        Command::Get {
            base_url,
            token,
            imp_uid,
        } => {
            let url = format!("{base_url}/payments/{imp_uid}/naver/cash-amount");
            let mut request = http_client()?.get(url);
            if let Some(token) = token {
                request = request.bearer_auth(token);
            }
            let response = request.send().await?;
            let status = response.status().as_u16();
            let content_type = response
                .headers()
                .get(reqwest::header::CONTENT_TYPE)
                .and_then(|v| v.to_str().ok())
                .map(str::to_owned);
            let body = response.text().await?;
            println!(
                "{}",
                json!({"status": status, "content_type": content_type, "body": body})
            );
            Ok(())
        }
        Command::Calls {
            base_url,
            arm,
            calls: n,
            concurrency,
            max_seconds,
        } => calls(&base_url, arm, n, concurrency, max_seconds).await,
        Command::Ab {
            base_url,
            rounds,
            calls,
            warmup_calls,
            concurrency,
            workers,
            max_seconds,
        } => {
            let deadline = Instant::now() + Duration::from_secs(max_seconds);
            let report = ab(
                &base_url,
                rounds,
                calls,
                warmup_calls,
                concurrency.max(1),
                deadline,
            )
            .await?;
            println!(
                "{}",
                json!({
                    "workers": workers.unwrap_or_else(|| std::thread::available_parallelism().map_or(1, |n| n.get())),
                    "concurrency": concurrency,
                    "calls": calls,
                    "warmup_calls": warmup_calls,
                    "rounds": report.rounds,
                    "token_cache_ns_per_call": report.token_cache_ns_per_call,
                })
            );
            Ok(())
        }
    }
}

async fn calls(
    base_url: &str,
    arm: ArmName,
    calls: u32,
    concurrency: usize,
    max_seconds: u64,
) -> anyhow::Result<()> {
    let deadline = Instant::now() + Duration::from_secs(max_seconds);
    let callers = callers(base_url).await?;
    let arm = drive(&callers[arm.key()], calls, concurrency.max(1), deadline).await?;
    println!("{}", json!({"calls": arm.calls, "secs": arm.secs}));
    Ok(())
}

async fn raw_token(http: &reqwest::Client, base_url: &str) -> anyhow::Result<String> {
    let answer: serde_json::Value = http
        .post(format!("{base_url}/users/getToken"))
        .json(&json!({"imp_key": IMP_KEY, "imp_secret": IMP_SECRET}))
        .send()
        .await
        .context("POST /users/getToken")?
        .error_for_status()?
        .json()
        .await?;
    answer["response"]["access_token"]
        .as_str()
        .map(str::to_owned)
        .with_context(|| format!("no access_token in {answer}"))
}

#[derive(Serialize)]
struct Arm {
    calls: u32,
    secs: f64,
    calls_per_sec: f64,
    /// This process's CPU time (user + system, all threads) over the arm, per call.
    cpu_us_per_call: Option<f64>,
}

/// This process's user + system CPU time in microseconds, from `/proc/self/stat` (Linux; clock
/// ticks of 1/100 s). None elsewhere.
fn cpu_micros() -> Option<u64> {
    let stat = std::fs::read_to_string("/proc/self/stat").ok()?;
    let rest = &stat[stat.rfind(')')? + 1..];
    let fields: Vec<&str> = rest.split_whitespace().collect();
    let utime: u64 = fields.get(11)?.parse().ok()?;
    let stime: u64 = fields.get(12)?.parse().ok()?;
    Some((utime + stime) * 10_000)
}

/// One arm: a way to make one call, cheap to clone into each task.
#[derive(Clone)]
enum Caller {
    /// `IamportClient::naver_cash_amount`: what the A/B measures.
    Client(IamportClient),
    /// Raw reqwest + serde_json on the same body: the baseline.
    Raw {
        http: reqwest::Client,
        url: Arc<str>,
        authorization: Arc<str>,
    },
    /// Diagnostic: the generated (progenitor) client with the cached token
    /// (`IamportClient::authorized_raw`), without the payload/error mapping of `naver_cash_amount`.
    GeneratedRaw(IamportClient, Arc<QueryCashAmountImpUid>),
}

impl Caller {
    async fn call(&self) -> anyhow::Result<()> {
        match self {
            Caller::Client(client) => {
                let amount = client.query_cash_amount(IMP_UID).await?;
                black_box(amount);
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
                if envelope.code != 0 {
                    bail!("code {}: {:?}", envelope.code, envelope.message);
                }
                let amount = envelope.response.context("no response payload")?;
                black_box(amount);
            }
            Caller::GeneratedRaw(client, imp_uid) => {
                let raw = client.authorized_raw().await?;
                let envelope = raw
                    .query_cash_amount()
                    .imp_uid((**imp_uid).clone())
                    .send()
                    .await?
                    .into_inner();
                if envelope.code != 0 {
                    bail!("code {}: {:?}", envelope.code, envelope.message);
                }
                black_box(envelope.response.context("no response payload")?);
            }
        }
        Ok(())
    }
}

/// `calls` calls through `caller` from `concurrency` tasks; the wall time of all of them.
async fn drive(
    caller: &Caller,
    calls: u32,
    concurrency: usize,
    deadline: Instant,
) -> anyhow::Result<Arm> {
    let remaining = Arc::new(AtomicI64::new(i64::from(calls)));
    let cpu_before = cpu_micros();
    let started = Instant::now();
    let mut tasks = tokio::task::JoinSet::new();
    for _ in 0..concurrency {
        let caller = caller.clone();
        let remaining = remaining.clone();
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
    let cpu = cpu_micros()
        .zip(cpu_before)
        .map(|(after, before)| after.saturating_sub(before) as f64);
    Ok(Arm {
        calls,
        secs,
        calls_per_sec: f64::from(calls) / secs,
        cpu_us_per_call: cpu.map(|micros| micros / f64::from(calls.max(1))),
    })
}

/// The arms in the order they run in `round`: the A/B pair runs back to back and swaps places every
/// round (ABBA…); the diagnostic arm runs last, then first.
fn order(round: usize) -> [&'static str; 3] {
    if round.is_multiple_of(2) {
        [CLIENT, RAW, GENERATED_RAW]
    } else {
        [GENERATED_RAW, RAW, CLIENT]
    }
}

const CLIENT: &str = "iamport_client";
const RAW: &str = "raw_reqwest";
const GENERATED_RAW: &str = "generated_raw";

#[derive(Serialize)]
struct Report {
    rounds: Vec<Round>,
    /// Nanoseconds per `IamportClient::access_token()` on a warm cache (one task, no HTTP): the
    /// per-call cost of the token check.
    token_cache_ns_per_call: f64,
}

#[derive(Serialize)]
struct Round {
    order: [&'static str; 3],
    arms: BTreeMap<&'static str, Arm>,
}

/// The three arms, each with its own `reqwest::Client` built by the same function (same settings,
/// separate pools).
async fn callers(base_url: &str) -> anyhow::Result<BTreeMap<&'static str, Caller>> {
    let build = || -> anyhow::Result<IamportClient> {
        Ok(IamportClient::builder(IMP_KEY, IMP_SECRET)
            .base_url(base_url)
            .http_client(http_client()?)
            .build()?)
    };
    let raw_http = http_client()?;
    let token = raw_token(&raw_http, base_url).await?;
    let imp_uid: QueryCashAmountImpUid = IMP_UID.parse().map_err(|e| anyhow::anyhow!("{e}"))?;
    Ok(BTreeMap::from([
        (CLIENT, Caller::Client(build()?)),
        (
            RAW,
            Caller::Raw {
                http: raw_http,
                url: format!("{base_url}/payments/{IMP_UID}/naver/cash-amount").into(),
                authorization: format!("Bearer {token}").into(),
            },
        ),
        (
            GENERATED_RAW,
            Caller::GeneratedRaw(build()?, Arc::new(imp_uid)),
        ),
    ]))
}

async fn ab(
    base_url: &str,
    rounds: usize,
    calls: u32,
    warmup_calls: u32,
    concurrency: usize,
    deadline: Instant,
) -> anyhow::Result<Report> {
    let callers = callers(base_url).await?;
    for name in order(0) {
        drive(&callers[name], warmup_calls, concurrency, deadline).await?;
    }
    let mut out = Vec::with_capacity(rounds);
    for round in 0..rounds {
        let order = order(round);
        let mut arms = BTreeMap::new();
        for name in order {
            arms.insert(
                name,
                drive(&callers[name], calls, concurrency, deadline).await?,
            );
        }
        out.push(Round { order, arms });
    }

    // The token check alone: warm cache, one task, bounded by count and time.
    let Caller::Client(client) = &callers[CLIENT] else {
        unreachable!("the client arm holds the client")
    };
    const TOKEN_CALLS: u32 = 200_000;
    let started = Instant::now();
    let mut done = 0u32;
    while done < TOKEN_CALLS && Instant::now() < deadline {
        black_box(client.access_token().await?);
        done += 1;
    }
    let token_cache_ns_per_call = started.elapsed().as_secs_f64() * 1e9 / f64::from(done.max(1));
    Ok(Report {
        rounds: out,
        token_cache_ns_per_call,
    })
}
