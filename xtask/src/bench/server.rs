//! The generated server (`iamport_sandbox::app`: generated router + sandbox) against a hand-written
//! axum handler giving the same answer, under wrk: does the generated code cost throughput or
//! latency?

use std::fmt::Write;
use std::process::Command;

use anyhow::{Context, bail};

use super::process::{Server, output};
use super::{Ctx, Measurement, Row, Section, median, thousands};

pub const MEASUREMENT: Measurement = Measurement {
    name: "server",
    tools: &[("wrk", "sudo apt-get install wrk")],
    run,
};

const THROUGHPUT_TARGET: f64 = 0.95;
const P99_TARGET: f64 = 1.10;

/// What wrk reported for one run.
#[derive(Debug, PartialEq)]
pub struct Wrk {
    pub requests: u64,
    pub requests_per_sec: f64,
    pub p50_ms: f64,
    pub p99_ms: f64,
    /// Answers that were not 2xx/3xx.
    pub non_2xx: u64,
}

fn wrk_args(seconds: u64) -> Vec<String> {
    vec![
        "-t2".into(),
        "-c32".into(),
        format!("-d{seconds}s"),
        "--timeout".into(),
        "5s".into(),
        "--latency".into(),
    ]
}

fn wrk(server: &Server, seconds: u64) -> anyhow::Result<Wrk> {
    let url = &server.measure;
    let out = output(
        Command::new("wrk")
            .args(wrk_args(seconds))
            .arg("-H")
            .arg(format!("Authorization: Bearer {}", server.token))
            .arg(url),
        "wrk",
    )?;
    let result = parse(&out).with_context(|| format!("reading wrk's output:\n{out}"))?;
    // A run with other answers than 200 measured something else (a token problem).
    if result.non_2xx > 0 {
        bail!(
            "{url}: {} of {} answers were not 2xx",
            result.non_2xx,
            result.requests
        );
    }
    Ok(result)
}

/// Parses the output of `wrk --latency`.
pub fn parse(out: &str) -> anyhow::Result<Wrk> {
    let (mut p50, mut p99, mut requests, mut rps, mut non_2xx) = (None, None, None, None, 0);
    for line in out.lines().map(str::trim) {
        let words: Vec<&str> = line.split_whitespace().collect();
        match words[..] {
            ["50%", value] => p50 = Some(duration_ms(value)?),
            ["99%", value] => p99 = Some(duration_ms(value)?),
            ["Requests/sec:", value] => rps = Some(value.parse::<f64>()?),
            ["Non-2xx", "or", "3xx", "responses:", n] => non_2xx = n.parse()?,
            [n, "requests", "in", ..] => requests = Some(n.parse::<u64>()?),
            _ => {}
        }
    }
    let (Some(p50_ms), Some(p99_ms)) = (p50, p99) else {
        bail!("no latency distribution (was --latency passed?)");
    };
    Ok(Wrk {
        requests: requests.context("no `N requests in` line")?,
        requests_per_sec: rps.context("no Requests/sec line")?,
        p50_ms,
        p99_ms,
        non_2xx,
    })
}

/// `516.00us`, `5.44ms`, `1.02s` in milliseconds.
fn duration_ms(text: &str) -> anyhow::Result<f64> {
    let split = text
        .find(|c: char| !(c.is_ascii_digit() || c == '.'))
        .with_context(|| format!("no unit in {text:?}"))?;
    let (number, unit) = text.split_at(split);
    let scale = match unit {
        "us" => 0.001,
        "ms" => 1.0,
        "s" => 1000.0,
        "m" => 60_000.0,
        _ => bail!("unknown unit in {text:?}"),
    };
    Ok(number.parse::<f64>()? * scale)
}

fn run(ctx: &Ctx) -> anyhow::Result<Section> {
    // Many short rounds: each pair sees the same machine, and the median of the per-round ratios
    // stands against the bursts of other work on a shared machine.
    let (rounds, seconds, warmup) = if ctx.full { (15, 5, 5) } else { (5, 2, 2) };
    let bin = ctx.release.join("bench-server");
    let generated = Server::start(&bin, "generated", ctx.cores)?;
    let handwritten = Server::start(&bin, "handwritten", ctx.cores)?;
    wrk(&generated, warmup)?;
    wrk(&handwritten, warmup)?;
    // Per round (generated, hand-written), back to back in alternating order (ABBA…).
    let mut results: Vec<(Wrk, Wrk)> = vec![];
    for round in 0..rounds {
        let pair = if round % 2 == 0 {
            (wrk(&generated, seconds)?, wrk(&handwritten, seconds)?)
        } else {
            let h = wrk(&handwritten, seconds)?;
            (wrk(&generated, seconds)?, h)
        };
        eprintln!(
            "bench: server round {}/{rounds}: {:.0} vs {:.0} req/s",
            round + 1,
            pair.0.requests_per_sec,
            pair.1.requests_per_sec
        );
        results.push(pair);
    }
    let shown = generated
        .measure
        .replace(&generated.base_url, "http://127.0.0.1:<port>");
    drop((generated, handwritten));

    // (generated, hand-written, ratio): medians over the rounds, the ratio that of the rounds' ratios.
    let medians = |f: fn(&Wrk) -> f64| {
        let g: Vec<f64> = results.iter().map(|r| f(&r.0)).collect();
        let h: Vec<f64> = results.iter().map(|r| f(&r.1)).collect();
        let ratios: Vec<f64> = results.iter().map(|r| f(&r.0) / f(&r.1)).collect();
        (median(&g), median(&h), median(&ratios))
    };
    let (rps_g, rps_h, rps_ratio) = medians(|w| w.requests_per_sec);
    let (p50_g, p50_h, p50_ratio) = medians(|w| w.p50_ms);
    let (p99_g, p99_h, p99_ratio) = medians(|w| w.p99_ms);
    let rows = vec![
        Row {
            measure: format!("Server throughput (median of {rounds} rounds)"),
            ours: format!("{} req/s (generated router + sandbox)", thousands(rps_g)),
            baseline: format!("{} req/s (hand-written axum)", thousands(rps_h)),
            ratio: Some(rps_ratio),
            target: Some((
                rps_ratio >= THROUGHPUT_TARGET,
                format!("≥ {THROUGHPUT_TARGET}"),
            )),
        },
        Row {
            measure: "Server latency p99".into(),
            ours: format!("{p99_g:.3} ms"),
            baseline: format!("{p99_h:.3} ms"),
            ratio: Some(p99_ratio),
            target: Some((p99_ratio <= P99_TARGET, format!("≤ {P99_TARGET}"))),
        },
    ];

    let mut md = String::from("## Server: generated vs hand-written axum\n\n");
    let _ = writeln!(
        md,
        "`wrk {} -H 'Authorization: Bearer <token>' {}` \
         against two `bench-server` processes (release build, {} tokio workers each): `--mode generated` \
         is `iamport_sandbox::app`, the sandbox as its binary serves it (generated router, validation, \
         token store, request log); `--mode handwritten` is one axum handler that compares the bearer \
         token with a known string and serializes the same JSON (the test of `crates/iamport-bench` \
         checks that both answer the same bytes, and the same 401 without a valid token). A {warmup} s \
         warmup each, then {rounds} rounds of the pair back to back in alternating order; every answer \
         was a 200 (wrk's non-2xx count). wrk and the servers share the machine's {} cores.\n",
        wrk_args(seconds).join(" "),
        shown,
        ctx.cores,
        ctx.cores
    );
    let _ = writeln!(
        md,
        "| | req/s | p50 ms | p99 ms |\n|---|---|---|---|\n\
         | generated | {} | {p50_g:.3} | {p99_g:.3} |\n\
         | hand-written | {} | {p50_h:.3} | {p99_h:.3} |\n\
         | ratio | {rps_ratio:.3} | {p50_ratio:.3} | {p99_ratio:.3} |\n",
        thousands(rps_g),
        thousands(rps_h)
    );
    let per_round: Vec<String> = results
        .iter()
        .map(|(g, h)| format!("{:.3}", g.requests_per_sec / h.requests_per_sec))
        .collect();
    let _ = writeln!(md, "Throughput ratio per round: {}.", per_round.join(", "));
    Ok(Section { rows, markdown: md })
}

#[cfg(test)]
mod tests {
    use super::*;

    const OUTPUT: &str =
        "Running 3s test @ http://127.0.0.1:42695/payments/imp_448280090638/naver/cash-amount
  2 threads and 32 connections
  Thread Stats   Avg      Stdev     Max   +/- Stdev
    Latency   712.43us    1.10ms  21.25ms   91.27%
    Req/Sec    23.10k     2.11k   27.31k    70.00%
  Latency Distribution
     50%  461.00us
     75%  702.00us
     90%    1.27ms
     99%    1.02s
  137848 requests in 3.00s, 26.56MB read
  Non-2xx or 3xx responses: 5
Requests/sec:  45957.86
Transfer/sec:      8.85MB
";

    #[test]
    fn parses_wrk_latency_output() {
        let r = parse(OUTPUT).unwrap();
        assert_eq!(r.requests, 137_848);
        assert!((r.requests_per_sec - 45957.86).abs() < 1e-6);
        assert!((r.p50_ms - 0.461).abs() < 1e-9);
        assert!((r.p99_ms - 1020.0).abs() < 1e-9);
        assert_eq!(r.non_2xx, 5);
        let clean = parse(&OUTPUT.replace("  Non-2xx or 3xx responses: 5\n", "")).unwrap();
        assert_eq!(clean.non_2xx, 0);
    }

    #[test]
    fn output_without_latency_is_refused() {
        let err = parse("Requests/sec: 1.0\n").unwrap_err().to_string();
        assert!(err.contains("--latency"), "{err}");
    }
}
