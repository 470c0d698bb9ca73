//! `cargo xtask bench --prism`: the sandbox binary (release build, built-in fixtures) against
//! Stoplight Prism in mock mode on the same spec, `spec/iamport.yaml`, in one run: the same
//! requests, the same load generator (`bench-load`, Rust, in `crates/iamport-bench`), the same
//! concurrency, in alternating rounds; throughput, latency p50/p99, peak resident memory and what
//! each answered (the status of every request).
//!
//! Prism comes from `.ci/prism` (exact version in its `package.json`, the whole tree in its
//! `package-lock.json`), installed with `npm ci`; the bench installs nothing. Not part of CI: it
//! takes a minute or more and needs Node.js. Its section and rows of BENCHMARKS.md are spliced into
//! the file as it is, and kept by the other runs of the bench.

use std::collections::BTreeMap;
use std::fmt::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use serde::Deserialize;

use super::process::{Group, free_port, output, status_kib, wait_for_port};
use super::{first_line, load_average, median, require, thousands};

/// The title of the section, and the start of its rows in the results table: how the splice finds
/// them.
const TITLE: &str = "## The sandbox against Prism";
const ROW: &str = "| Sandbox vs Prism";
const PRISM_DIR: &str = ".ci/prism";
const PRISM_JS: &str = ".ci/prism/node_modules/@stoplight/prism-cli/dist/index.js";
const INSTALL: &str = "npm ci --prefix .ci/prism --ignore-scripts --no-audit --no-fund";
const SPEC: &str = "spec/iamport.yaml";
const SANDBOX: &str = "sandbox";
const PRISM: &str = "prism";
const CONCURRENCY: usize = 32;
/// The request of the mix that stores something in the sandbox.
const PREPARE: &str = "POST /payments/prepare";
/// The levels of Prism's log lines that say something is wrong (`[time] › [CLI] <icon> <level> …`).
const COMPLAINTS: [&str; 4] = ["warn", "warning", "error", "fatal"];

/// `bench-load`'s report (the parts read here).
#[derive(Deserialize)]
struct Report {
    requests: Vec<RequestInfo>,
    /// Each server's warmup (not reported, but what it stored counts).
    #[serde(default)]
    warmups: BTreeMap<String, Outcome>,
    rounds: Vec<Round>,
    /// Per server, its answers to the one-off requests.
    #[serde(default)]
    probes: BTreeMap<String, Vec<ProbeAnswer>>,
}

#[derive(Deserialize)]
struct ProbeAnswer {
    name: String,
    method: String,
    path: String,
    status: String,
    message: Option<String>,
    violations: Option<String>,
}

#[derive(Deserialize)]
struct RequestInfo {
    name: String,
    method: String,
    path: String,
}

#[derive(Deserialize)]
struct Round {
    order: Vec<String>,
    outcomes: BTreeMap<String, Outcome>,
}

#[derive(Deserialize)]
struct Outcome {
    requests_per_sec: f64,
    p50_ms: f64,
    p99_ms: f64,
    statuses: BTreeMap<String, BTreeMap<String, u64>>,
    per_request: BTreeMap<String, (f64, f64)>,
}

/// What is known of one server besides the load: its memory and how it was started.
struct Footprint {
    idle_kib: u64,
    peak_kib: u64,
    processes: usize,
}

pub fn run(root: &Path, full: bool) -> anyhow::Result<()> {
    let (rounds, seconds, warmup) = if full { (5, 10, 5) } else { (3, 5, 3) };
    let started = Instant::now();
    let cores = std::thread::available_parallelism().map_or(2, |n| n.get());
    let date = first_line(Command::new("date").args(["-u", "+%Y-%m-%d %H:%M UTC"]));
    let load_before = load_average();
    require(
        "node",
        "sudo apt-get install nodejs (Node.js 18.20.1 or newer)",
    )?;
    let pinned = pinned_version(root)?;
    let prism_js = root.join(PRISM_JS);
    let installed = first_line(Command::new("node").arg(&prism_js).arg("--version"));
    if installed != pinned {
        bail!(
            "Prism {pinned} is not installed in {PRISM_DIR} (found: {installed}); the bench installs \
             nothing: run `{INSTALL}` in {}",
            root.display()
        );
    }
    let node = first_line(Command::new("node").arg("--version"));
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    eprintln!("bench: cargo build --release -p iamport-sandbox -p iamport-bench");
    let status = Command::new(&cargo)
        .args([
            "build",
            "--release",
            "-p",
            "iamport-sandbox",
            "-p",
            "iamport-bench",
        ])
        .current_dir(root)
        .stdin(Stdio::null())
        .status()
        .context("running cargo")?;
    if !status.success() {
        bail!("cargo build --release -p iamport-sandbox -p iamport-bench failed ({status})");
    }
    let target = std::env::var_os("CARGO_TARGET_DIR").map_or(root.join("target"), |d| root.join(d));
    let release = target.join("release");
    let logs = Logs(target.join("bench-prism"));
    std::fs::create_dir_all(&logs.0)?;

    // The sandbox as `cargo run -p iamport-sandbox` serves it, only in release.
    let sandbox_port = free_port()?;
    let sandbox_addr = format!("127.0.0.1:{sandbox_port}");
    let sandbox = Group::start(
        &release.join("iamport-sandbox"),
        &["--addr", &sandbox_addr],
        root,
        Path::new("/dev/null"),
    )?;
    wait_for_port(
        sandbox_addr.parse()?,
        Duration::from_secs(30),
        "iamport-sandbox",
    )?;
    // Prism as its README starts it (`prism mock <document>`), on the port picked here.
    let prism_port = free_port()?;
    let prism_args = [
        "mock",
        "-h",
        "127.0.0.1",
        "-p",
        &prism_port.to_string(),
        SPEC,
    ]
    .map(str::to_owned);
    let mut node_args: Vec<&str> = vec![PRISM_JS];
    node_args.extend(prism_args.iter().map(String::as_str));
    let prism_log = logs.0.join("prism.log");
    let prism_started = Instant::now();
    let prism = Group::start(Path::new("node"), &node_args, root, &prism_log)?;
    wait_for_port(
        format!("127.0.0.1:{prism_port}").parse()?,
        Duration::from_secs(120),
        "Prism",
    )?;
    // It lists the operations, then says it listens: everything it said about the spec is before.
    let mut start_log = String::new();
    while !start_log.contains("is listening on") {
        if prism_started.elapsed() > Duration::from_secs(120) {
            bail!("Prism did not say it listens within 120 s; its log:\n{start_log}");
        }
        std::thread::sleep(Duration::from_millis(100));
        start_log = std::fs::read_to_string(&prism_log).unwrap_or_default();
    }
    let prism_start_secs = prism_started.elapsed().as_secs_f64();
    let complaints = complaints(&start_log);
    // One line per operation, `METHOD http://127.0.0.1:<port>/path`, then `… listening on …`.
    let operations = start_log
        .lines()
        .filter(|l| l.contains("http://127.0.0.1:") && !l.contains("listening"))
        .count();
    let idle = |g: &Group| -> u64 { g.pids().iter().map(|p| status_kib(*p, "VmRSS:")).sum() };
    let (sandbox_idle, prism_idle) = (idle(&sandbox), idle(&prism));

    eprintln!("bench: bench-load, {rounds} rounds of {seconds} s per server");
    let out = output(
        Command::new(release.join("bench-load"))
            .args(["--target", &format!("{SANDBOX}=http://{sandbox_addr}")])
            .args([
                "--target",
                &format!("{PRISM}=http://127.0.0.1:{prism_port}"),
            ])
            .args(["--rounds", &rounds.to_string()])
            .args(["--seconds", &seconds.to_string()])
            .args(["--warmup", &warmup.to_string()])
            .args(["--concurrency", &CONCURRENCY.to_string()])
            .stderr(Stdio::inherit()),
        "bench-load",
    )?;
    let report: Report = serde_json::from_str(&out)
        .with_context(|| format!("reading bench-load's report:\n{out}"))?;
    let footprint = |g: &Group, idle_kib: u64| {
        let (peak_kib, processes) = g.peak_rss_kib();
        Footprint {
            idle_kib,
            peak_kib,
            processes,
        }
    };
    let (sandbox_mem, prism_mem) = (
        footprint(&sandbox, sandbox_idle),
        footprint(&prism, prism_idle),
    );
    drop((sandbox, prism));

    let (rows, mut section) = report_md(
        &report,
        &sandbox_mem,
        &prism_mem,
        &Setup {
            rounds,
            seconds,
            warmup,
            prism_version: &installed,
            node: &node,
            prism_command: &format!("prism {}", prism_args.join(" "))
                .replace(&prism_port.to_string(), "<port>"),
            prism_start_secs,
            operations,
            complaints: &complaints,
            busy: load_before
                .split(' ')
                .next()
                .and_then(|l| l.parse::<f64>().ok())
                .filter(|load| *load > cores as f64 / 2.0),
            cores,
        },
    );
    let _ = writeln!(
        section,
        "\nMeasured by `cargo xtask bench --prism{}` on {date} ({:.0} s in all); load average (1, 5, \
         15 min) before / after: {load_before} / {}; {}; {} cores.",
        if full { " --full" } else { "" },
        started.elapsed().as_secs_f64(),
        load_average(),
        first_line(Command::new("rustc").arg("-V")),
        cores,
    );
    let path = root.join("BENCHMARKS.md");
    let old = std::fs::read_to_string(&path).unwrap_or_default();
    if !old.contains("\n## Results\n") {
        bail!(
            "{} has no `## Results` table to add the Prism rows to: run `cargo xtask bench` first",
            path.display()
        );
    }
    std::fs::write(&path, splice(&old, &rows, &section))
        .with_context(|| format!("writing {}", path.display()))?;
    drop(logs);
    println!("{}", rows.join("\n"));
    eprintln!("bench: wrote {}", path.display());
    Ok(())
}

/// The lines of Prism's log whose level (a word before any URL) is a warning or worse.
fn complaints(log: &str) -> Vec<String> {
    log.lines()
        .filter(|l| {
            l.split_whitespace()
                .take_while(|w| !w.contains("://"))
                .any(|w| COMPLAINTS.contains(&w.to_lowercase().as_str()))
        })
        .map(|l| l.trim().to_owned())
        .collect()
}

/// Prism's log (its start is read from it), removed however the run ends.
struct Logs(PathBuf);

impl Drop for Logs {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// The version `.ci/prism/package.json` pins.
fn pinned_version(root: &Path) -> anyhow::Result<String> {
    let path = root.join(PRISM_DIR).join("package.json");
    let text =
        std::fs::read_to_string(&path).with_context(|| format!("reading {}", path.display()))?;
    let json: serde_json::Value =
        serde_json::from_str(&text).with_context(|| format!("reading {}", path.display()))?;
    json["dependencies"]["@stoplight/prism-cli"]
        .as_str()
        .map(str::to_owned)
        .with_context(|| format!("{} pins no @stoplight/prism-cli", path.display()))
}

/// How the run was made, for the section's text.
struct Setup<'a> {
    rounds: usize,
    seconds: u64,
    warmup: u64,
    prism_version: &'a str,
    node: &'a str,
    prism_command: &'a str,
    prism_start_secs: f64,
    operations: usize,
    complaints: &'a [String],
    /// The 1-minute load average before the run, when over half the cores.
    busy: Option<f64>,
    cores: usize,
}

fn mib(kib: u64) -> String {
    format!("{:.1} MiB", kib as f64 / 1024.0)
}

/// The results rows and the section.
fn report_md(
    report: &Report,
    sandbox: &Footprint,
    prism: &Footprint,
    setup: &Setup,
) -> (Vec<String>, String) {
    let of = |name: &str, f: fn(&Outcome) -> f64| -> Vec<f64> {
        report
            .rounds
            .iter()
            .filter_map(|r| r.outcomes.get(name))
            .map(f)
            .collect()
    };
    // (sandbox, Prism, ratio): medians over the rounds, the ratio that of the rounds' ratios.
    let medians = |f: fn(&Outcome) -> f64| {
        let ratios: Vec<f64> = report
            .rounds
            .iter()
            .filter_map(|r| Some(f(r.outcomes.get(SANDBOX)?) / f(r.outcomes.get(PRISM)?)))
            .collect();
        (
            median(&of(SANDBOX, f)),
            median(&of(PRISM, f)),
            median(&ratios),
        )
    };
    let (rps_s, rps_p, rps_r) = medians(|o| o.requests_per_sec);
    let (p50_s, p50_p, p50_r) = medians(|o| o.p50_ms);
    let (p99_s, p99_p, p99_r) = medians(|o| o.p99_ms);
    let mem_r = sandbox.peak_kib as f64 / prism.peak_kib.max(1) as f64;
    let n = report.rounds.len();
    let row = |what: &str, s: String, p: String, ratio: f64| {
        format!("{ROW}: {what} | {s} (sandbox) | {p} (Prism) | {ratio:.3} | — |  |")
    };
    let rows = vec![
        row(
            &format!("throughput, same requests (median of {n} rounds)"),
            format!("{} req/s", thousands(rps_s)),
            format!("{} req/s", thousands(rps_p)),
            rps_r,
        ),
        row(
            "latency p50",
            format!("{p50_s:.3} ms"),
            format!("{p50_p:.3} ms"),
            p50_r,
        ),
        row(
            "latency p99",
            format!("{p99_s:.3} ms"),
            format!("{p99_p:.3} ms"),
            p99_r,
        ),
        row(
            "peak resident memory",
            format!(
                "{}, {} orders prepared",
                mib(sandbox.peak_kib),
                thousands(prepared(report) as f64)
            ),
            mib(prism.peak_kib),
            mem_r,
        ),
    ];

    let mut md = format!("{TITLE}\n\n");
    if let Some(load) = setup.busy {
        let _ = writeln!(
            md,
            "> **The machine was busy**: load average {load} before the run, on {} cores (other work on \
             a shared machine). Absolute figures are depressed and noisy; read the per-round figures \
             below before reading much into a ratio.\n",
            setup.cores
        );
    }
    let mix: Vec<String> = report
        .requests
        .iter()
        .map(|r| format!("`{} {}`", r.method, r.path))
        .collect();
    let _ = writeln!(
        md,
        "The sandbox binary (`target/release/iamport-sandbox --addr 127.0.0.1:<port>`, built-in fixtures, \
         its default settings and log level, its log to /dev/null) against Stoplight Prism {} in mock mode \
         (`{}`, run by Node.js {}: its default static mode, one process, default log level, logs to a \
         file), both serving `{SPEC}` as it is; started once each, then loaded in turn. The load is \
         `bench-load` (`crates/iamport-bench`, reqwest + tokio): {CONCURRENCY} requests in flight, each \
         task sending the next request as soon as the previous answer's body is read, a {} s warmup of \
         each server, then {} rounds of {} s per server, the order alternating (sandbox first, then \
         Prism first, …). Each task goes round the same mix: {}, the last with `{{\"merchant_uid\": \
         <new each time>, \"amount\": 1000}}`; all with `Authorization: Bearer <token>`, the token from \
         the sandbox's `POST /users/getToken` with the built-in key pair (Prism checks that a bearer \
         token is there, not its value). Latency is per request, send to last body byte; throughput \
         counts the answers completed within the {} s; figures are medians over the rounds, ratios \
         sandbox / Prism the median of the per-round ratios. Peak memory is `VmHWM` (peak resident \
         set) of the server's process(es) at the end, idle memory `VmRSS` once it listened. The load \
         generator shares the machine's cores with the server it loads: at the sandbox's rate it takes \
         a good part of them (so the sandbox's figures are a lower bound, its ratios too), at Prism's \
         a small one.\n",
        setup.prism_version,
        setup.prism_command,
        setup.node.trim_start_matches('v'),
        setup.warmup,
        setup.rounds,
        setup.seconds,
        mix.join(", "),
        setup.seconds,
    );
    let _ = writeln!(
        md,
        "| | req/s | p50 ms | p99 ms | peak memory | idle memory |\n|---|---|---|---|---|---|\n\
         | sandbox | {} | {p50_s:.3} | {p99_s:.3} | {} | {} |\n\
         | Prism | {} | {p50_p:.3} | {p99_p:.3} | {} | {} |\n\
         | sandbox / Prism | {rps_r:.3} | {p50_r:.4} | {p99_r:.4} | {mem_r:.4} | {:.4} |\n",
        thousands(rps_s),
        mib(sandbox.peak_kib),
        mib(sandbox.idle_kib),
        thousands(rps_p),
        mib(prism.peak_kib),
        mib(prism.idle_kib),
        sandbox.idle_kib as f64 / prism.idle_kib.max(1) as f64,
    );
    let per_round: Vec<String> = report
        .rounds
        .iter()
        .filter_map(|r| {
            let (s, p) = (r.outcomes.get(SANDBOX)?, r.outcomes.get(PRISM)?);
            Some(format!(
                "{:.0} / {:.0} req/s (p99 {:.2} / {:.1} ms, {} first)",
                s.requests_per_sec,
                p.requests_per_sec,
                s.p99_ms,
                p.p99_ms,
                match r.order.first().map(String::as_str) {
                    Some(SANDBOX) => "sandbox",
                    Some(PRISM) => "Prism",
                    _ => "?",
                }
            ))
        })
        .collect();
    let _ = writeln!(
        md,
        "Per round, sandbox / Prism: {}.\n",
        per_round.join("; ")
    );

    // What each server answered, over the measured rounds, and each request's own latency.
    let _ = writeln!(
        md,
        "What each answered (HTTP status, and the envelope's `code` when it is not 0; counts over the \
         measured rounds) and each request's own latency (medians over the rounds):\n"
    );
    let _ = writeln!(
        md,
        "| Request | sandbox: statuses | sandbox p50 / p99 ms | Prism: statuses | Prism p50 / p99 ms |\n\
         |---|---|---|---|---|"
    );
    for request in &report.requests {
        let cell = |server: &str| -> (String, String) {
            let mut counts: BTreeMap<&str, u64> = BTreeMap::new();
            let (mut p50, mut p99) = (vec![], vec![]);
            for o in report.rounds.iter().filter_map(|r| r.outcomes.get(server)) {
                for (status, n) in o.statuses.get(&request.name).into_iter().flatten() {
                    *counts.entry(status).or_default() += n;
                }
                if let Some((a, b)) = o.per_request.get(&request.name) {
                    p50.push(*a);
                    p99.push(*b);
                }
            }
            let statuses: Vec<String> = counts
                .iter()
                .map(|(s, n)| format!("{s} × {}", thousands(*n as f64)))
                .collect();
            (
                statuses.join(", "),
                format!("{:.3} / {:.3}", median(&p50), median(&p99)),
            )
        };
        let (ss, sl) = cell(SANDBOX);
        let (ps, pl) = cell(PRISM);
        let _ = writeln!(md, "| `{}` | {ss} | {sl} | {ps} | {pl} |", request.name);
    }
    let _ = writeln!(
        md,
        "\nPeak memory: sandbox {} ({} process), Prism {} ({} process{}).",
        mib(sandbox.peak_kib),
        sandbox.processes,
        mib(prism.peak_kib),
        prism.processes,
        if prism.processes == 1 { "" } else { "es" },
    );
    probes_md(&mut md, report);
    let prepared = prepared(report);
    let _ = writeln!(
        md,
        "The sandbox keeps what it is sent: every `POST /payments/prepare` it answered with a 200 (a \
         new merchant_uid each time) prepared an order, {} in all (warmup included); its store keeps the \
         newest {} prepared amounts, or {} MiB of them (the sandbox README's limits), so its peak \
         memory holds at most that many, plus the load's buffers. Prism keeps nothing.",
        thousands(prepared as f64),
        thousands(iamport_sandbox_limits::MAX_RECORDS as f64),
        iamport_sandbox_limits::MAX_BYTES / (1024 * 1024),
    );
    let complaints = if setup.complaints.is_empty() {
        "printed no warning or error about the spec".to_owned()
    } else {
        format!(
            "printed {} warning or error line(s) about the spec, the first: `{}`",
            setup.complaints.len(),
            setup.complaints[0].replace('`', "'")
        )
    };
    let _ = writeln!(
        md,
        "\nPrism listened {:.1} s after it was started, listed {} operations and {complaints}.",
        setup.prism_start_secs, setup.operations
    );
    let _ = writeln!(
        md,
        "\nPrism is pinned in `.ci/prism/package.json` (the whole tree in its `package-lock.json`; {} is \
         the newest release that runs on Node.js 20: 5.15 and later need Node.js 24). Install it with \
         `{INSTALL}`, then run `cargo xtask bench --prism` (about a minute; `--full`: 5 rounds of 10 s). \
         It is not part of CI (too slow, and it needs Node.js); like `--compile`, it updates only its \
         rows and this section, which the other runs keep.",
        setup.prism_version
    );
    (rows, md)
}

/// The one-off requests: what each server answered.
fn probes_md(md: &mut String, report: &Report) {
    let (Some(sandbox), Some(prism)) = (report.probes.get(SANDBOX), report.probes.get(PRISM))
    else {
        return;
    };
    let _ = writeln!(
        md,
        "\nOne-off requests after the load (not timed), the same to both (the prepare sent twice, the \
         second answer shown):\n\n| Request | sandbox | Prism |\n|---|---|---|"
    );
    let cell = |a: &ProbeAnswer| {
        let mut text = a.status.clone();
        if let Some(m) = &a.message {
            let _ = write!(text, " “{}”", clip(m, 80));
        }
        if let Some(v) = &a.violations {
            let _ = write!(
                text,
                "; `sl-violations`: `{}`",
                clip(v, 160).replace('`', "'")
            );
        }
        text.replace('|', "\\|")
    };
    for (s, p) in sandbox.iter().zip(prism) {
        let _ = writeln!(
            md,
            "| {}: `{} {}` | {} | {} |",
            s.name,
            s.method,
            s.path,
            cell(s),
            cell(p)
        );
    }
    md.push('\n');
}

/// `text` cut to at most `max` characters, with `…` when cut.
fn clip(text: &str, max: usize) -> String {
    if text.chars().count() <= max {
        text.to_owned()
    } else {
        text.chars().take(max).collect::<String>() + "…"
    }
}

/// The sandbox store's limits (`crates/iamport-sandbox/src/store.rs`), written here because xtask does
/// not depend on the sandbox; `store_limits_are_the_sandboxs` keeps them in step.
mod iamport_sandbox_limits {
    pub const MAX_RECORDS: usize = 20_000;
    pub const MAX_BYTES: usize = 32 * 1024 * 1024;
}

/// The orders the sandbox answered `POST /payments/prepare` with a plain 200 for, warmup included.
fn prepared(report: &Report) -> u64 {
    let outcomes = report
        .rounds
        .iter()
        .filter_map(|r| r.outcomes.get(SANDBOX))
        .chain(report.warmups.get(SANDBOX));
    outcomes
        .filter_map(|o| o.statuses.get(PREPARE)?.get("200"))
        .sum()
}

/// `doc` with the Prism rows and section replaced (see [`super::splice`]).
pub fn splice(doc: &str, rows: &[String], section: &str) -> String {
    super::splice(doc, TITLE, ROW, rows, section)
}

/// The Prism rows and section of `doc`, when it has them (see [`super::kept`]).
pub fn kept(doc: &str) -> Option<(Vec<String>, String)> {
    super::kept(doc, TITLE, ROW)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn outcome(rps: f64, p99: f64, status: &str) -> Outcome {
        let name = "GET /payments/{imp_uid}".to_owned();
        Outcome {
            requests_per_sec: rps,
            p50_ms: p99 / 4.0,
            p99_ms: p99,
            statuses: BTreeMap::from([(name.clone(), BTreeMap::from([(status.to_owned(), 10)]))]),
            per_request: BTreeMap::from([(name, (p99 / 4.0, p99))]),
        }
    }

    fn report() -> Report {
        let round = |s: f64, p: f64| Round {
            order: vec![SANDBOX.into(), PRISM.into()],
            outcomes: BTreeMap::from([
                (SANDBOX.to_owned(), outcome(s, 2.0, "200")),
                (PRISM.to_owned(), outcome(p, 200.0, "404")),
            ]),
        };
        Report {
            requests: vec![RequestInfo {
                name: "GET /payments/{imp_uid}".into(),
                method: "GET".into(),
                path: "/payments/imp_448280090638".into(),
            }],
            warmups: BTreeMap::new(),
            probes: BTreeMap::from([
                (
                    SANDBOX.to_owned(),
                    vec![probe(
                        "404 code -1",
                        Some("존재하지 않는 결제정보입니다"),
                        None,
                    )],
                ),
                (
                    PRISM.to_owned(),
                    vec![probe("400 code -1", None, Some(r#"[{"code":"required"}]"#))],
                ),
            ]),
            rounds: vec![
                round(30_000.0, 1_000.0),
                round(20_000.0, 500.0),
                round(33_000.0, 1_100.0),
            ],
        }
    }

    fn probe(status: &str, message: Option<&str>, violations: Option<&str>) -> ProbeAnswer {
        ProbeAnswer {
            name: "unknown payment".into(),
            method: "GET".into(),
            path: "/payments/imp_000000000000".into(),
            status: status.into(),
            message: message.map(str::to_owned),
            violations: violations.map(str::to_owned),
        }
    }

    fn setup(complaints: &[String]) -> Setup<'_> {
        Setup {
            rounds: 3,
            seconds: 5,
            warmup: 3,
            prism_version: "5.14.2",
            node: "v20.20.2",
            prism_command: "prism mock -h 127.0.0.1 -p <port> spec/iamport.yaml",
            prism_start_secs: 4.2,
            operations: 76,
            complaints,
            busy: None,
            cores: 2,
        }
    }

    #[test]
    fn the_rows_give_medians_and_the_median_of_the_round_ratios() {
        let mem = |kib| Footprint {
            idle_kib: kib / 2,
            peak_kib: kib,
            processes: 1,
        };
        let (rows, md) = report_md(&report(), &mem(10 * 1024), &mem(250 * 1024), &setup(&[]));
        assert_eq!(rows.len(), 4);
        assert!(rows.iter().all(|r| r.starts_with(ROW)), "{rows:?}");
        // Ratios per round: 30, 40, 30 → 30.
        assert!(
            rows[0].contains("| 30,000 req/s (sandbox) | 1,000 req/s (Prism) | 30.000 |"),
            "{}",
            rows[0]
        );
        assert!(
            rows[2].contains("| 2.000 ms (sandbox) | 200.000 ms (Prism) | 0.010 |"),
            "{}",
            rows[2]
        );
        assert!(
            rows[3]
                .contains("| 10.0 MiB, 0 orders prepared (sandbox) | 250.0 MiB (Prism) | 0.040 |"),
            "{}",
            rows[3]
        );
        assert!(md.starts_with(TITLE), "{md}");
        // Every status is shown, whatever it is.
        assert!(md.contains("| `GET /payments/{imp_uid}` | 200 × 30 | 0.500 / 2.000 | 404 × 30 | 50.000 / 200.000 |"), "{md}");
        assert!(
            md.contains("printed no warning or error about the spec"),
            "{md}"
        );
        assert!(
            md.contains(r#"| unknown payment: `GET /payments/imp_000000000000` | 404 code -1 “존재하지 않는 결제정보입니다” | 400 code -1; `sl-violations`: `[{"code":"required"}]` |"#),
            "{md}"
        );
        let complaints = ["[CLI] ✖  fatal  bad `$ref`".to_owned()];
        let (_, md) = report_md(&report(), &mem(1024), &mem(1024), &setup(&complaints));
        assert!(md.contains("printed 1 warning or error line(s) about the spec, the first: `[CLI] ✖  fatal  bad '$ref'`"), "{md}");
    }

    #[test]
    fn only_warnings_and_worse_are_complaints() {
        let log = "[7:03:07 AM] › [CLI] …  awaiting  Starting Prism…\n\
                   [7:03:07 AM] › [CLI] ℹ  info      DELETE     http://127.0.0.1:1/x?extra=error\n\
                   [7:03:07 AM] › [CLI] ⚠  warning   Invalid $ref at #/paths/~1x\n\
                   [7:03:07 AM] › [CLI] ✖  fatal     Circular $ref\n\
                   [7:03:08 AM] › [CLI] ▶  start     Prism is listening on http://127.0.0.1:1\n";
        assert_eq!(
            complaints(log),
            [
                "[7:03:07 AM] › [CLI] ⚠  warning   Invalid $ref at #/paths/~1x",
                "[7:03:07 AM] › [CLI] ✖  fatal     Circular $ref"
            ]
        );
    }

    #[test]
    fn the_pinned_version_is_read_from_the_package_json() {
        let root = crate::codegen::workspace_root();
        let version = pinned_version(&root).unwrap();
        assert!(
            version.split('.').count() == 3
                && version.chars().all(|c| c.is_ascii_digit() || c == '.'),
            "an exact version, not a range: {version}"
        );
        let lock = std::fs::read_to_string(root.join(PRISM_DIR).join("package-lock.json")).unwrap();
        assert!(
            lock.contains(&format!(
                "\"node_modules/@stoplight/prism-cli\": {{\n      \"version\": \"{version}\""
            )),
            "package-lock.json locks the pinned version"
        );
    }

    #[test]
    fn store_limits_are_the_sandboxs() {
        let store = include_str!("../../../crates/iamport-sandbox/src/store.rs");
        for line in [
            format!("pub const MAX_RECORDS: usize = {};", "20_000"),
            "pub const MAX_BYTES: usize = 32 * 1024 * 1024;".to_owned(),
        ] {
            assert!(
                store.contains(&line),
                "store.rs no longer says `{line}`: update iamport_sandbox_limits"
            );
        }
        assert_eq!(super::iamport_sandbox_limits::MAX_RECORDS, 20_000);
        assert_eq!(super::iamport_sandbox_limits::MAX_BYTES, 32 * 1024 * 1024);
    }
}
