//! `bench-load --target NAME=URL …`: the same requests at each target with the same load (fixed
//! concurrency, fixed duration), in rounds whose order alternates (AB, BA, …), after a warmup of
//! each, then a few one-off requests ([`load::probes`]) to each; printed as one JSON document. The bearer token comes from the first target's
//! `POST /users/getToken` (the built-in fixtures' key pair) and goes to every target. Bounded by
//! `--max-seconds`.

use std::collections::BTreeMap;
use std::process::ExitCode;
use std::time::Duration;

use anyhow::{Context, bail};
use clap::Parser;
use iamport_bench::load::{self, Load};
use serde_json::json;

#[derive(Parser)]
#[command(about = "The sandbox-vs-Prism load of `cargo xtask bench --prism`")]
struct Args {
    /// `NAME=BASE_URL`, at least one; the first one issues the token.
    #[arg(long = "target", required = true, value_parser = target)]
    targets: Vec<(String, String)>,
    #[arg(long, default_value_t = 3)]
    rounds: usize,
    /// Seconds of load per target per round.
    #[arg(long, default_value_t = 5.0)]
    seconds: f64,
    /// Seconds of load per target before the first round (not reported).
    #[arg(long, default_value_t = 2.0)]
    warmup: f64,
    /// Requests in flight at once.
    #[arg(long, default_value_t = 32)]
    concurrency: usize,
    /// Seconds one request may take; then it counts as `timeout`.
    #[arg(long, default_value_t = 10.0)]
    timeout: f64,
    /// Give up (with an error) after this long in all.
    #[arg(long, default_value_t = 600)]
    max_seconds: u64,
}

fn target(text: &str) -> Result<(String, String), String> {
    match text.split_once('=') {
        Some((name, url)) if !name.is_empty() && url.starts_with("http://") => {
            Ok((name.to_owned(), url.trim_end_matches('/').to_owned()))
        }
        _ => Err(format!("`{text}`: expected NAME=http://HOST:PORT")),
    }
}

fn main() -> ExitCode {
    let args = Args::parse();
    let result = iamport_bench::runtime(None)
        .context("starting the runtime")
        .and_then(|rt| {
            rt.block_on(async {
                let limit = Duration::from_secs(args.max_seconds);
                tokio::time::timeout(limit, rounds(&args))
                    .await
                    .map_err(|_| {
                        anyhow::anyhow!("out of time (--max-seconds {})", args.max_seconds)
                    })?
            })
        });
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

fn seconds(s: f64, what: &str) -> anyhow::Result<Duration> {
    if !(s.is_finite() && s > 0.0 && s <= 3600.0) {
        bail!("--{what} {s}: expected more than 0 and at most 3600 seconds");
    }
    Ok(Duration::from_secs_f64(s))
}

async fn rounds(args: &Args) -> anyhow::Result<serde_json::Value> {
    if args.concurrency == 0 {
        bail!("--concurrency must be at least 1");
    }
    let timeout = seconds(args.timeout, "timeout")?;
    let load = |s: f64, what: &str| -> anyhow::Result<Load> {
        Ok(Load {
            concurrency: args.concurrency,
            duration: seconds(s, what)?,
            timeout,
        })
    };
    let (warmup, measured) = (load(args.warmup, "warmup")?, load(args.seconds, "seconds")?);
    let token = load::token(&args.targets[0].1).await?;
    let mut warmups = BTreeMap::new();
    for (name, url) in &args.targets {
        eprintln!("bench-load: warming up {name}");
        let outcome = load::run(url, &token, &warmup, &format!("warmup-{name}")).await?;
        warmups.insert(name.clone(), outcome);
    }
    let mut rounds = vec![];
    for round in 0..args.rounds {
        let mut order: Vec<&(String, String)> = args.targets.iter().collect();
        if round % 2 == 1 {
            order.reverse();
        }
        let mut outcomes = BTreeMap::new();
        for (name, url) in &order {
            let outcome = load::run(url, &token, &measured, &format!("{round}-{name}")).await?;
            eprintln!(
                "bench-load: round {}/{}: {name} {:.0} req/s, p99 {:.2} ms",
                round + 1,
                args.rounds,
                outcome.requests_per_sec,
                outcome.p99_ms
            );
            outcomes.insert(name.clone(), outcome);
        }
        let order: Vec<&String> = order.iter().map(|(name, _)| name).collect();
        rounds.push(json!({"order": order, "outcomes": outcomes}));
    }
    let mut probes = BTreeMap::new();
    for (name, url) in &args.targets {
        probes.insert(name.clone(), load::probe(url, &token).await?);
    }
    let requests: Vec<serde_json::Value> = load::mix()
        .iter()
        .map(|r| json!({"name": r.name, "method": r.method.as_str(), "path": r.path}))
        .collect();
    Ok(json!({
        "concurrency": args.concurrency,
        "seconds": args.seconds,
        "warmup": args.warmup,
        "timeout": args.timeout,
        "requests": requests,
        "warmups": warmups,
        "rounds": rounds,
        "probes": probes,
    }))
}
