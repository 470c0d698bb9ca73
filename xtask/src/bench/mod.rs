//! `cargo xtask bench [--full]`: measures the generated server, the client and codegen against
//! baselines taken in the same run, and writes `BENCHMARKS.md`.
//!
//! xtask only orchestrates: the measured programs are `bench-server` and `bench-client` from
//! `crates/iamport-bench` (built here with `cargo build --release -p iamport-bench`), the load comes
//! from Debian's wrk, and codegen is timed in this process (it is xtask's own code). Nothing asserts
//! a timing; targets are reported as met or missed. Every process started is stopped by a guard, and
//! every loop is bounded in count and time (see `process.rs`).

mod callgrind;
mod codegen;
mod machine;
mod process;
mod report;
mod stats;
mod wrk;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use serde::Deserialize;

use process::{Server, run_captured, run_inherited};
use wrk::{Load, WrkResult};

/// The payment every measured request asks for (a 200 in the sandbox's default fixtures).
const IMP_UID: &str = "imp_448280090638";

pub struct Config {
    pub full: bool,
    pub server_rounds: usize,
    pub warmup_secs: u64,
    pub load: Load,
    /// Tokio workers of every server (and of the client A/B).
    pub workers: usize,
    pub client_rounds: usize,
    pub client_calls: u32,
    pub client_warmup_calls: u32,
    pub client_concurrency: usize,
    pub codegen_sizes: Vec<usize>,
    pub codegen_reps: usize,
    pub codegen_budget: Duration,
    pub check_runs: usize,
}

impl Config {
    pub fn new(full: bool) -> Config {
        let workers = std::thread::available_parallelism().map_or(2, |n| n.get());
        Config {
            full,
            server_rounds: if full { 5 } else { 3 },
            warmup_secs: if full { 5 } else { 2 },
            load: Load {
                threads: 2,
                connections: 32,
                seconds: if full { 15 } else { 3 },
            },
            workers,
            client_rounds: if full { 5 } else { 3 },
            client_calls: if full { 150_000 } else { 30_000 },
            client_warmup_calls: if full { 10_000 } else { 3_000 },
            client_concurrency: 32,
            codegen_sizes: vec![1, 10, 100, 1000],
            codegen_reps: if full { 7 } else { 3 },
            codegen_budget: Duration::from_secs(if full { 240 } else { 60 }),
            check_runs: if full { 9 } else { 5 },
        }
    }

    pub fn command(&self) -> &'static str {
        if self.full {
            "cargo xtask bench --full"
        } else {
            "cargo xtask bench"
        }
    }
}

/// A server under test: its `bench-server --mode`, and what it is in the report.
pub struct Arm {
    pub mode: &'static str,
    pub label: &'static str,
    pub adds: &'static str,
}

pub const GENERATED: &str = "generated";
pub const HANDWRITTEN: &str = "handwritten";

/// The A/B pair first, then the diagnostic arms in ladder order (each adds one thing to the one
/// before, from the hand-written baseline up to the sandbox as served).
pub const ARMS: [Arm; 5] = [
    Arm {
        mode: GENERATED,
        label: "generated router + sandbox",
        adds: "+ the sandbox's request log (tower-http trace layer): `iamport_sandbox::app`, the sandbox as its binary serves it (no tracing subscriber installed)",
    },
    Arm {
        mode: HANDWRITTEN,
        label: "hand-written axum",
        adds: "baseline: one axum handler, bearer token compared to a known string, serde_json of the same body",
    },
    Arm {
        mode: "handwritten-hardened",
        label: "hand-written + envelope layers",
        adds: "+ `iamport_server::envelope::harden` (404/405 fallbacks, panic guard)",
    },
    Arm {
        mode: "generated-static-token",
        label: "generated router, static token",
        adds: "+ the generated handler (HeaderMap, `Path<Vec<(String, String)>>`, validated `imp_uid`, typed answer), sandbox answers; token compared to a known string",
    },
    Arm {
        mode: "generated-no-log",
        label: "generated router + sandbox, no log layer",
        adds: "+ the sandbox's token store (`Mutex<HashMap>` lookup and a clock read per request)",
    },
];

/// The ladder, in order: hand-written → … → generated.
pub const LADDER: [&str; 5] = [
    HANDWRITTEN,
    "handwritten-hardened",
    "generated-static-token",
    "generated-no-log",
    GENERATED,
];

pub fn arm(mode: &str) -> &'static Arm {
    ARMS.iter()
        .find(|a| a.mode == mode)
        .expect("every mode is an arm")
}

/// One wrk run against one server.
pub struct Run {
    pub load: WrkResult,
    /// The server process's CPU time (user + system) over the run, per request served.
    pub cpu_us_per_request: f64,
}

pub struct ServerResults {
    /// Per round, the arms in the order they ran.
    pub rounds: Vec<Vec<(&'static str, Run)>>,
    /// Per mode: VmHWM and VmRSS in KiB after the last round.
    pub memory_kib: BTreeMap<&'static str, (u64, u64)>,
}

impl ServerResults {
    pub fn of(&self, mode: &str) -> Vec<&Run> {
        self.rounds
            .iter()
            .flatten()
            .filter(|(m, _)| *m == mode)
            .map(|(_, r)| r)
            .collect()
    }
    pub fn median(&self, mode: &str, f: impl Fn(&Run) -> f64) -> f64 {
        stats::median(&self.of(mode).into_iter().map(f).collect::<Vec<_>>())
    }

    /// Per round, `f` of `mode` over `f` of the hand-written arm of the same round.
    pub fn paired_ratios(&self, mode: &str, f: impl Fn(&Run) -> f64) -> Vec<f64> {
        self.rounds
            .iter()
            .filter_map(|round| {
                let of = |m: &str| round.iter().find(|(x, _)| *x == m).map(|(_, r)| f(r));
                Some(of(mode)? / of(HANDWRITTEN)?)
            })
            .collect()
    }

    /// The median of [`paired_ratios`](Self::paired_ratios): robust to the machine getting faster
    /// or slower between rounds.
    pub fn ratio(&self, mode: &str, f: impl Fn(&Run) -> f64) -> f64 {
        stats::median(&self.paired_ratios(mode, f))
    }
}

#[derive(Deserialize)]
pub struct ClientResults {
    pub workers: usize,
    pub concurrency: usize,
    pub calls: u32,
    pub warmup_calls: u32,
    pub rounds: Vec<ClientRound>,
    pub token_cache_ns_per_call: f64,
}

#[derive(Deserialize)]
pub struct ClientRound {
    pub order: Vec<String>,
    pub arms: BTreeMap<String, ClientArm>,
}

#[derive(Deserialize)]
pub struct ClientArm {
    pub calls_per_sec: f64,
    /// The client process's CPU time (user + system) over the arm, per call (absent off Linux).
    #[serde(default)]
    pub cpu_us_per_call: Option<f64>,
}

impl ClientResults {
    pub fn median(&self, arm: &str, f: impl Fn(&ClientArm) -> f64) -> f64 {
        stats::median(
            &self
                .rounds
                .iter()
                .filter_map(|r| r.arms.get(arm).map(&f))
                .collect::<Vec<_>>(),
        )
    }

    /// Per round, `f` of `arm` over `f` of `baseline` in the same round.
    pub fn paired_ratios(
        &self,
        arm: &str,
        baseline: &str,
        f: impl Fn(&ClientArm) -> f64,
    ) -> Vec<f64> {
        self.rounds
            .iter()
            .filter_map(|r| Some(f(r.arms.get(arm)?) / f(r.arms.get(baseline)?)))
            .collect()
    }

    pub fn ratio(&self, arm: &str, baseline: &str, f: impl Fn(&ClientArm) -> f64) -> f64 {
        stats::median(&self.paired_ratios(arm, baseline, f))
    }
}

/// How busy the machine was around the run.
pub struct Busy {
    /// Other processes' share of all CPU time over the whole run (machine busy time minus the
    /// bench's own processes).
    pub during: Option<f64>,
    pub before: Option<f64>,
    pub after: Option<f64>,
    pub load_before: String,
    pub load_after: String,
}

impl Busy {
    pub fn was_busy(&self) -> bool {
        [self.during, self.before, self.after]
            .iter()
            .any(|share| share.unwrap_or(0.0) > 0.10)
    }
}

pub struct Versions {
    pub valgrind: Option<String>,
    pub rustc: String,
    pub cargo: String,
    pub wrk_package: String,
    pub wrk_banner: String,
    pub crates: Vec<String>,
}

pub struct Results {
    pub config: Config,
    pub date: String,
    pub machine: machine::Machine,
    pub versions: Versions,
    pub busy: Busy,
    pub server: ServerResults,
    pub client: ClientResults,
    /// User-space instructions per request of each server arm (callgrind); empty without valgrind.
    pub server_instructions: BTreeMap<&'static str, f64>,
    /// User-space instructions per call of each client arm (callgrind); empty without valgrind.
    pub client_instructions: BTreeMap<&'static str, f64>,
    pub codegen: Vec<codegen::SizeResult>,
    pub checks: Vec<codegen::CheckTiming>,
    pub total_secs: f64,
}

pub fn run(root: &Path, full: bool) -> anyhow::Result<()> {
    let started = Instant::now();
    let config = Config::new(full);
    let date = machine::utc_now();
    eprintln!(
        "bench: {} ({}); sampling what else runs on the machine for 2 s",
        config.command(),
        if full { "full" } else { "quick" }
    );
    let busy_before = machine::busy_share(Duration::from_secs(2));
    let load_before = machine::load_average();
    let cpu_start = machine::cpu_sample();

    let wrk_package = wrk::ensure_installed()?;
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    eprintln!("bench: cargo build --release -p iamport-bench");
    run_inherited(
        Command::new(&cargo)
            .args(["build", "--release", "-p", "iamport-bench"])
            .current_dir(root),
        "cargo build --release -p iamport-bench",
        Duration::from_secs(45 * 60),
    )?;
    let release = target_dir(root).join("release");
    let server_bin = release.join("bench-server");
    let client_bin = release.join("bench-client");
    for bin in [&server_bin, &client_bin] {
        if !bin.exists() {
            bail!("{} is missing after the build", bin.display());
        }
    }

    let server = server_bench(&config, &server_bin, &client_bin)?;
    let client = client_bench(&config, &server_bin, &client_bin)?;
    let valgrind = callgrind::available().then(callgrind::version);
    let (server_instructions, client_instructions) = if valgrind.is_some() {
        instruction_counts(&config, &server_bin, &client_bin)?
    } else {
        eprintln!(
            "bench: valgrind not found; skipping instruction counts (apt-get install valgrind)"
        );
        Default::default()
    };

    eprintln!(
        "bench: codegen on synthetic specs {:?}",
        config.codegen_sizes
    );
    let codegen = codegen::measure(
        root,
        &config.codegen_sizes,
        config.codegen_reps,
        config.codegen_budget,
    )?;
    eprintln!(
        "bench: timing `codegen --check` ({} runs each)",
        config.check_runs
    );
    // One untimed `cargo xtask` first, so cargo has nothing left to build (another change to xtask's
    // sources since this process started would be built here), then the binary it runs.
    run_captured(
        Command::new(&cargo)
            .args(["xtask", "codegen", "--check"])
            .current_dir(root),
        "cargo xtask codegen --check",
        Duration::from_secs(30 * 60),
    )?;
    let xtask = target_dir(root)
        .join("debug")
        .join(format!("xtask{}", std::env::consts::EXE_SUFFIX));
    let checks = vec![
        codegen::time_process(
            root,
            "xtask codegen --check (the built binary)",
            &xtask,
            &["codegen", "--check"],
            config.check_runs,
        )?,
        codegen::time_process(
            root,
            "cargo xtask codegen --check",
            Path::new(&cargo),
            &["xtask", "codegen", "--check"],
            config.check_runs,
        )?,
    ];

    let busy_during = cpu_start
        .zip(machine::cpu_sample())
        .and_then(|(a, b)| machine::others_share(&a, &b));
    let busy_after = machine::busy_share(Duration::from_secs(2));
    let versions = Versions {
        valgrind,
        rustc: machine::version_of("rustc", &["-V"]),
        cargo: machine::version_of(&cargo.to_string_lossy(), &["-V"]),
        wrk_package,
        wrk_banner: wrk::banner(),
        crates: machine::locked_versions(
            root,
            &[
                "axum",
                "hyper",
                "tokio",
                "reqwest",
                "serde_json",
                "progenitor-impl",
                "progenitor-client",
            ],
        ),
    };
    let results = Results {
        config,
        date,
        machine: machine::describe(),
        versions,
        busy: Busy {
            during: busy_during,
            before: busy_before,
            after: busy_after,
            load_before,
            load_after: machine::load_average(),
        },
        server,
        client,
        server_instructions,
        client_instructions,
        codegen,
        checks,
        total_secs: started.elapsed().as_secs_f64(),
    };
    let markdown = report::markdown(&results);
    let path = root.join("BENCHMARKS.md");
    std::fs::write(&path, &markdown).with_context(|| format!("writing {}", path.display()))?;
    println!("{}", report::summary_table(&results));
    eprintln!(
        "bench: wrote {} in {:.0} s",
        path.display(),
        results.total_secs
    );
    Ok(())
}

fn target_dir(root: &Path) -> PathBuf {
    match std::env::var_os("CARGO_TARGET_DIR") {
        Some(dir) => root.join(dir),
        None => root.join("target"),
    }
}

/// Client arms as `bench-client calls --arm` names them, and as the report keys them.
pub const CLIENT_ARMS: [(&str, &str); 3] = [
    ("raw-reqwest", "raw_reqwest"),
    ("generated-raw", "generated_raw"),
    ("iamport-client", "iamport_client"),
];

type Counts = BTreeMap<&'static str, f64>;

/// Instructions per request of every server arm and per call of every client arm, by callgrind.
fn instruction_counts(
    config: &Config,
    server_bin: &Path,
    client_bin: &Path,
) -> anyhow::Result<(Counts, Counts)> {
    let load = Load {
        threads: 1,
        connections: 4,
        seconds: if config.full { 5 } else { 2 },
    };
    let mut server = BTreeMap::new();
    for mode in LADDER {
        let per_request = callgrind::server(server_bin, client_bin, mode, &load)?;
        eprintln!("bench: callgrind {mode:<24} {per_request:>9.0} instructions/request");
        server.insert(mode, per_request);
    }
    let (short, long) = if config.full {
        (500, 5_500)
    } else {
        (300, 2_300)
    };
    let sandbox = Server::start(server_bin, GENERATED, config.workers)?;
    let mut client = BTreeMap::new();
    for (arm, key) in CLIENT_ARMS {
        let per_call = callgrind::client(client_bin, &sandbox.base_url, arm, short, long)?;
        eprintln!("bench: callgrind {key:<24} {per_call:>9.0} instructions/call");
        client.insert(key, per_call);
    }
    Ok((server, client))
}

fn bench_client(client_bin: &Path, args: &[&str], limit: Duration) -> anyhow::Result<String> {
    let what = format!("bench-client {}", args.first().copied().unwrap_or(""));
    let done = run_captured(
        Command::new(client_bin)
            .arg("--exit-on-stdin-eof")
            .args(args),
        &what,
        limit,
    )?
    .ok(&what)?;
    Ok(done.stdout.trim().to_owned())
}

/// The answer of one GET, as `bench-client get` prints it.
#[derive(Deserialize, PartialEq, Debug)]
struct Answer {
    status: u16,
    content_type: Option<String>,
    body: String,
}

fn get(client_bin: &Path, base_url: &str, token: Option<&str>) -> anyhow::Result<Answer> {
    let mut args = vec!["get", "--base-url", base_url, "--imp-uid", IMP_UID];
    if let Some(token) = token {
        args.extend(["--token", token]);
    }
    let out = bench_client(client_bin, &args, Duration::from_secs(30))?;
    serde_json::from_str(&out).with_context(|| format!("bench-client get printed {out:?}"))
}

/// Starts every arm, checks that they all answer the same bytes (and the same 401 without a token
/// for the A/B pair), warms them up, then runs the rounds.
fn server_bench(
    config: &Config,
    server_bin: &Path,
    client_bin: &Path,
) -> anyhow::Result<ServerResults> {
    let mut servers = vec![];
    for arm in &ARMS {
        servers.push(Server::start(server_bin, arm.mode, config.workers)?);
    }
    let mut tokens = BTreeMap::new();
    for server in &servers {
        let token = bench_client(
            client_bin,
            &["token", "--base-url", &server.base_url],
            Duration::from_secs(30),
        )?;
        tokens.insert(server.mode, token);
    }
    let reference = get(client_bin, &servers[0].base_url, Some(&tokens[GENERATED]))?;
    if reference.status != 200 {
        bail!("the sandbox answered {reference:?} for {IMP_UID}");
    }
    for server in &servers[1..] {
        let answer = get(client_bin, &server.base_url, Some(&tokens[server.mode]))?;
        if answer != reference {
            bail!(
                "{} does not answer what the sandbox answers:\n  sandbox: {reference:?}\n  {}: {answer:?}",
                server.mode,
                server.mode
            );
        }
    }
    let unauthorized: Vec<Answer> = servers[..2]
        .iter()
        .map(|s| get(client_bin, &s.base_url, None))
        .collect::<anyhow::Result<_>>()?;
    if unauthorized[0].status != 401 || unauthorized[0] != unauthorized[1] {
        bail!("without a token the A/B pair must both answer the same 401: {unauthorized:?}");
    }
    eprintln!(
        "bench: {} servers answer the same {} bytes; warming up {} s each",
        servers.len(),
        reference.body.len(),
        config.warmup_secs
    );
    let url = |s: &Server| format!("{}/payments/{IMP_UID}/naver/cash-amount", s.base_url);
    let warmup = Load {
        seconds: config.warmup_secs,
        ..config.load.clone()
    };
    for server in &servers {
        checked(
            wrk::run(&warmup, &url(server), &tokens[server.mode])?,
            server.mode,
        )?;
    }

    let mut rounds = vec![];
    for round in 0..config.server_rounds {
        let mut order: Vec<&Server> = if round.is_multiple_of(2) {
            vec![&servers[0], &servers[1]]
        } else {
            vec![&servers[1], &servers[0]]
        };
        let diagnostics = &servers[2..];
        for i in 0..diagnostics.len() {
            order.push(&diagnostics[(round + i) % diagnostics.len()]);
        }
        let mut results = vec![];
        for server in order {
            let cpu_before = server.cpu_micros()?;
            let load = checked(
                wrk::run(&config.load, &url(server), &tokens[server.mode])?,
                server.mode,
            )?;
            let cpu = server.cpu_micros()?.saturating_sub(cpu_before);
            let cpu_us_per_request = cpu as f64 / load.requests.max(1) as f64;
            eprintln!(
                "bench: round {}/{} {:<24} {:>9.0} req/s  p50 {:.3} ms  p99 {:.3} ms  {:.2} µs CPU/request",
                round + 1,
                config.server_rounds,
                server.mode,
                load.requests_per_sec,
                load.p50_ms,
                load.p99_ms,
                cpu_us_per_request
            );
            results.push((
                server.mode,
                Run {
                    load,
                    cpu_us_per_request,
                },
            ));
        }
        rounds.push(results);
    }
    let mut memory_kib = BTreeMap::new();
    for server in &servers {
        memory_kib.insert(server.mode, server.memory_kib()?);
    }
    drop(servers);
    Ok(ServerResults { rounds, memory_kib })
}

/// A run whose answers were not all 2xx measured something else (a token problem): refused.
pub(crate) fn checked(result: WrkResult, mode: &str) -> anyhow::Result<WrkResult> {
    if result.non_2xx > 0 {
        bail!(
            "{mode}: {} of {} answers were not 2xx; the measurement would not be of the cash-amount call",
            result.non_2xx,
            result.requests
        );
    }
    Ok(result)
}

/// The client A/B against a fresh sandbox process.
fn client_bench(
    config: &Config,
    server_bin: &Path,
    client_bin: &Path,
) -> anyhow::Result<ClientResults> {
    let server = Server::start(server_bin, GENERATED, config.workers)?;
    eprintln!(
        "bench: client A/B, {} rounds x {} calls per arm, {} in flight",
        config.client_rounds, config.client_calls, config.client_concurrency
    );
    let max_seconds: u64 = if config.full { 900 } else { 300 };
    let out = bench_client(
        client_bin,
        &[
            "ab",
            "--base-url",
            &server.base_url,
            "--rounds",
            &config.client_rounds.to_string(),
            "--calls",
            &config.client_calls.to_string(),
            "--warmup-calls",
            &config.client_warmup_calls.to_string(),
            "--concurrency",
            &config.client_concurrency.to_string(),
            "--workers",
            &config.workers.to_string(),
            "--max-seconds",
            &max_seconds.to_string(),
        ],
        Duration::from_secs(max_seconds + 30),
    )?;
    drop(server);
    let results: ClientResults =
        serde_json::from_str(&out).with_context(|| format!("bench-client ab printed {out:?}"))?;
    for (i, round) in results.rounds.iter().enumerate() {
        let figures: Vec<String> = round
            .order
            .iter()
            .map(|arm| format!("{arm} {:.0}/s", round.arms[arm].calls_per_sec))
            .collect();
        eprintln!("bench: client round {}: {}", i + 1, figures.join(", "));
    }
    Ok(results)
}
