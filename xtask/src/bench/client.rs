//! `IamportClient` against raw reqwest + serde_json on the same call, both against the sandbox:
//! what does the typed client cost per call, and where?

use std::collections::BTreeMap;
use std::fmt::Write;
use std::process::Command;

use anyhow::Context;
use serde::Deserialize;

use super::process::{Server, output};
use super::{Ctx, Measurement, Row, Section, median, thousands};

pub const MEASUREMENT: Measurement = Measurement {
    name: "client",
    tools: &[],
    run,
};

const TARGET: f64 = 0.95;
const CLIENT: &str = "iamport_client";
const RAW: &str = "raw_reqwest";
const GENERATED_RAW: &str = "generated_raw";

/// What `bench-client` prints.
#[derive(Deserialize)]
struct Report {
    concurrency: usize,
    calls: u32,
    rounds: Vec<Round>,
}

#[derive(Deserialize)]
struct Round {
    arms: BTreeMap<String, Arm>,
}

#[derive(Deserialize)]
struct Arm {
    calls_per_sec: f64,
    cpu_us_per_call: f64,
}

impl Report {
    /// The median over rounds of `f(arm)`, and of the per-round ratios `f(arm) / f(raw)`.
    fn median(&self, arm: &str, f: fn(&Arm) -> f64) -> (f64, f64) {
        let values: Vec<(f64, f64)> = self
            .rounds
            .iter()
            .filter_map(|r| Some((f(r.arms.get(arm)?), f(r.arms.get(RAW)?))))
            .collect();
        let own: Vec<f64> = values.iter().map(|v| v.0).collect();
        let ratios: Vec<f64> = values.iter().map(|v| v.0 / v.1).collect();
        (median(&own), median(&ratios))
    }
}

fn run(ctx: &Ctx) -> anyhow::Result<Section> {
    // Many short rounds: each pair sees the same machine, and the median of the per-round ratios
    // stands against the bursts of other work on a shared machine.
    let (rounds, calls) = if ctx.full { (15, 50_000) } else { (5, 10_000) };
    let max_seconds: u64 = if ctx.full { 900 } else { 300 };
    let sandbox = Server::start(&ctx.release.join("bench-server"), "generated", ctx.cores)?;
    eprintln!("bench: client A/B, {rounds} rounds x {calls} calls per arm");
    let out = output(
        Command::new(ctx.release.join("bench-client"))
            .args([
                "--base-url",
                &sandbox.base_url,
                "--rounds",
                &rounds.to_string(),
            ])
            .args([
                "--calls",
                &calls.to_string(),
                "--max-seconds",
                &max_seconds.to_string(),
            ]),
        "bench-client",
    )?;
    drop(sandbox);
    let report: Report =
        serde_json::from_str(&out).with_context(|| format!("bench-client printed {out:?}"))?;

    let calls_per_sec = |a: &Arm| a.calls_per_sec;
    let cpu = |a: &Arm| a.cpu_us_per_call;
    let (client, ratio) = report.median(CLIENT, calls_per_sec);
    let (raw, _) = report.median(RAW, calls_per_sec);
    let (client_cpu, cpu_ratio) = report.median(CLIENT, cpu);
    let (raw_cpu, _) = report.median(RAW, cpu);
    let rows = vec![
        Row {
            measure: format!("Client calls/s (median of {rounds} rounds)"),
            ours: format!("{} (`IamportClient::query_cash_amount`)", thousands(client)),
            baseline: format!("{} (raw reqwest + serde_json)", thousands(raw)),
            ratio: Some(ratio),
            target: Some((ratio >= TARGET, format!("≥ {TARGET}"))),
        },
        Row {
            measure: "Client CPU time per call (client process)".into(),
            ours: format!("{client_cpu:.2} µs"),
            baseline: format!("{raw_cpu:.2} µs"),
            ratio: Some(cpu_ratio),
            target: None,
        },
    ];

    let mut md = String::from("## Client: IamportClient vs raw reqwest\n\n");
    let _ = writeln!(
        md,
        "`bench-client` against a sandbox process (`bench-server --mode generated`) on loopback: {} rounds \
         of {} calls per arm (a tenth of that each first, to warm up), {} calls in flight from tasks \
         sharing one client, {} tokio workers; the A/B pair runs back to back in alternating order. Each arm has its \
         own `reqwest::Client` with `IamportClient`'s default settings. The raw arm gets its token once, \
         then GETs with `Authorization: Bearer` and decodes the body with serde_json into a struct of the \
         same shape. CPU time is the client process's user + system time over the arm, per call; \
         client and sandbox share the machine's {} cores, so calls/s hides part of the client's own cost \
         and CPU per call shows it.\n",
        report.rounds.len(),
        thousands(f64::from(report.calls)),
        report.concurrency,
        ctx.cores,
        ctx.cores
    );
    md.push_str("| Arm | What it is | calls/s | vs raw | CPU µs/call | vs raw |\n|---|---|---|---|---|---|\n");
    for (arm, what) in [
        (RAW, "baseline: reqwest GET + serde_json decode"),
        (
            GENERATED_RAW,
            "diagnostic: `authorized_raw()` (token cached) then the generated `query_cash_amount`: the \
             request built by progenitor's code (`Accept` and `api-version` headers, the auth hook), \
             decoding through `ResponseValue`",
        ),
        (
            CLIENT,
            "`IamportClient::query_cash_amount`: the above, plus validating `imp_uid`, mapping the \
             envelope to the payload or an `Error`, the 401 retry",
        ),
    ] {
        let (rate, rate_ratio) = report.median(arm, calls_per_sec);
        let (cpu, cpu_ratio) = report.median(arm, cpu);
        let _ = writeln!(
            md,
            "| `{arm}` | {what} | {} | {rate_ratio:.3} | {cpu:.2} | {cpu_ratio:.3} |",
            thousands(rate)
        );
    }
    let generated_cpu_ratio = report.median(GENERATED_RAW, cpu).1;
    let _ = writeln!(
        md,
        "\nOf the {:+.1} % of CPU per call that `IamportClient` costs over raw reqwest, {:+.1} points are \
         the generated client's (raw → `generated_raw`) and {:+.1} points `IamportClient`'s own layer \
         (`generated_raw` → `iamport_client`).\n",
        (cpu_ratio - 1.0) * 100.0,
        (generated_cpu_ratio - 1.0) * 100.0,
        (cpu_ratio - generated_cpu_ratio) * 100.0
    );
    let per_round = |f: fn(&Arm) -> f64| {
        let ratios: Vec<String> = report
            .rounds
            .iter()
            .filter_map(|r| {
                Some(format!(
                    "{:.3}",
                    f(r.arms.get(CLIENT)?) / f(r.arms.get(RAW)?)
                ))
            })
            .collect();
        ratios.join(", ")
    };
    let _ = writeln!(
        md,
        "`iamport_client` / `raw_reqwest` per round: calls/s {}; CPU per call {}.",
        per_round(calls_per_sec),
        per_round(cpu)
    );
    Ok(Section { rows, markdown: md })
}
