//! Instructions per request and per call, counted by callgrind: user-space work, the same from run
//! to run whatever else the machine is doing, so the diagnostic ladders do not drown in the noise
//! of a shared machine. Kernel time (the loopback TCP stack, the same for every arm) is not counted.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use anyhow::{Context, bail};

use super::process::{Server, run_captured};
use super::wrk::{self, Load};

/// Whether valgrind (with callgrind_control) is installed.
pub fn available() -> bool {
    let works = |program: &str, arg: &str| {
        run_captured(
            Command::new(program).arg(arg),
            program,
            Duration::from_secs(30),
        )
        .is_ok_and(|o| o.status.success())
    };
    works("valgrind", "--version") && works("callgrind_control", "--version")
}

pub fn version() -> String {
    super::machine::version_of("valgrind", &["--version"])
}

fn out_file(name: &str) -> PathBuf {
    std::env::temp_dir().join(format!(
        "xtask-bench-callgrind-{}-{name}.out",
        std::process::id()
    ))
}

fn valgrind(out: &Path) -> Command {
    let mut command = Command::new("valgrind");
    command
        .arg("--tool=callgrind")
        .arg(format!("--callgrind-out-file={}", out.display()))
        .args(["--dump-instr=no", "--quiet"]);
    command
}

/// The `totals:` line of a callgrind output file (instructions executed, `Ir`).
fn totals(path: &Path) -> anyhow::Result<u64> {
    let text =
        std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?;
    let _ = std::fs::remove_file(path);
    text.lines()
        .find_map(|l| l.strip_prefix("totals:"))
        .and_then(|v| v.split_whitespace().next()?.parse().ok())
        .with_context(|| format!("no totals in {}", path.display()))
}

/// Instructions per request of `bench-server --mode <mode>` (one worker thread) under wrk: the
/// counters are zeroed after a warmup, then `load` runs and the count is divided by the requests
/// wrk completed.
pub fn server(
    server_bin: &Path,
    client_bin: &Path,
    mode: &'static str,
    load: &Load,
) -> anyhow::Result<f64> {
    let out = out_file(mode);
    let mut command = valgrind(&out);
    command.arg(server_bin).args(Server::args(mode, 1));
    let server = Server::spawn(command, mode, Duration::from_secs(60))?;
    let token = super::bench_client(
        client_bin,
        &["token", "--base-url", &server.base_url],
        Duration::from_secs(60),
    )?;
    let url = format!(
        "{}/payments/{}/naver/cash-amount",
        server.base_url,
        super::IMP_UID
    );
    let warmup = Load {
        seconds: 1,
        ..load.clone()
    };
    super::checked(wrk::run(&warmup, &url, &token)?, mode)?;
    run_captured(
        Command::new("callgrind_control")
            .arg("-z")
            .arg(server.pid().to_string()),
        "callgrind_control -z",
        Duration::from_secs(30),
    )?
    .ok("callgrind_control -z")?;
    let measured = super::checked(wrk::run(load, &url, &token)?, mode)?;
    server.finish(Duration::from_secs(60))?;
    Ok(totals(&out)? as f64 / measured.requests.max(1) as f64)
}

/// Instructions per call of one client arm: `bench-client calls` under callgrind with `short` and
/// `long` calls; the difference divided by `long - short` leaves out start-up, the token and the
/// connections.
pub fn client(
    client_bin: &Path,
    base_url: &str,
    arm: &str,
    short: u32,
    long: u32,
) -> anyhow::Result<f64> {
    let count = |calls: u32| -> anyhow::Result<u64> {
        let out = out_file(&format!("{arm}-{calls}"));
        let mut command = valgrind(&out);
        command
            .arg(client_bin)
            .args(["--exit-on-stdin-eof", "calls", "--base-url", base_url])
            .args(["--arm", arm, "--calls", &calls.to_string()]);
        run_captured(
            &mut command,
            "bench-client calls (callgrind)",
            Duration::from_secs(600),
        )?
        .ok("bench-client calls (callgrind)")?;
        totals(&out)
    };
    let a = count(short)?;
    let b = count(long)?;
    if b <= a {
        bail!("callgrind counted fewer instructions for {long} calls than for {short}");
    }
    Ok((b - a) as f64 / f64::from(long - short))
}
