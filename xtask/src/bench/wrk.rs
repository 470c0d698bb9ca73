//! The load generator: Debian's wrk, pinned, installed with apt-get when missing; its `--latency`
//! output parsed.

use std::path::Path;
use std::process::Command;
use std::time::Duration;

use anyhow::{Context, bail};

use super::process::run_captured;

/// The Debian package version the figures are taken with (bookworm's).
pub const PINNED: &str = "4.1.0-3+b2";

/// The installed wrk's Debian version, installing the pinned one with apt-get when wrk is missing.
pub fn ensure_installed() -> anyhow::Result<String> {
    if let Some(version) = installed_version() {
        if version != PINNED {
            eprintln!(
                "bench: note: wrk {version} is installed, not the pinned {PINNED}; using it (the report names it)"
            );
        }
        return Ok(version);
    }
    if !Path::new("/usr/bin/apt-get").exists() {
        bail!("wrk is missing and there is no apt-get here: install wrk {PINNED} (Debian) first");
    }
    eprintln!("bench: wrk is missing; installing Debian's wrk={PINNED} with apt-get");
    let install = |update: bool| -> anyhow::Result<bool> {
        if update {
            run_captured(
                Command::new("apt-get").args(["update", "-qq"]),
                "apt-get update",
                Duration::from_secs(600),
            )?
            .ok("apt-get update")?;
        }
        let done = run_captured(
            Command::new("apt-get")
                .args(["install", "-y", "-qq", "--no-install-recommends"])
                .arg(format!("wrk={PINNED}"))
                .env("DEBIAN_FRONTEND", "noninteractive"),
            "apt-get install wrk",
            Duration::from_secs(600),
        )?;
        Ok(done.status.success())
    };
    // Without an `apt-get update` first the package lists may not know wrk yet.
    if !install(false)? && !install(true)? {
        bail!(
            "could not install wrk={PINNED} with apt-get (root is needed; is the pinned version still in the archive?)"
        );
    }
    installed_version().context("apt-get installed wrk but dpkg does not list it")
}

fn installed_version() -> Option<String> {
    let out = run_captured(
        Command::new("dpkg-query").args(["-W", "-f", "${Version}", "wrk"]),
        "dpkg-query",
        Duration::from_secs(30),
    )
    .ok()?;
    let version = out.stdout.trim();
    (out.status.success() && !version.is_empty() && Path::new("/usr/bin/wrk").exists())
        .then(|| version.to_owned())
}

/// What wrk prints first with `-v`: `wrk debian/4.1.0-3+b2 [epoll] ...`.
pub fn banner() -> String {
    run_captured(
        Command::new("wrk").arg("-v"),
        "wrk -v",
        Duration::from_secs(10),
    )
    .map(|o| o.stdout.lines().next().unwrap_or("").trim().to_owned())
    .unwrap_or_default()
}

/// The load of one run.
#[derive(Clone, Debug)]
pub struct Load {
    pub threads: usize,
    pub connections: usize,
    pub seconds: u64,
}

impl Load {
    /// The command line (with the token left out).
    pub fn args(&self) -> Vec<String> {
        vec![
            format!("-t{}", self.threads),
            format!("-c{}", self.connections),
            format!("-d{}s", self.seconds),
            "--timeout".into(),
            "5s".into(),
            "--latency".into(),
        ]
    }
}

/// Runs wrk against `url` with `Authorization: Bearer <token>`.
pub fn run(load: &Load, url: &str, token: &str) -> anyhow::Result<WrkResult> {
    let out = run_captured(
        Command::new("wrk")
            .args(load.args())
            .arg("-H")
            .arg(format!("Authorization: Bearer {token}"))
            .arg(url),
        "wrk",
        Duration::from_secs(load.seconds + 30),
    )?
    .ok("wrk")?;
    parse(&out.stdout).with_context(|| format!("reading wrk's output:\n{}", out.stdout))
}

#[derive(Clone, Debug, PartialEq)]
pub struct WrkResult {
    pub requests: u64,
    pub requests_per_sec: f64,
    pub p50_ms: f64,
    pub p75_ms: f64,
    pub p90_ms: f64,
    pub p99_ms: f64,
    /// Answers that were not 2xx/3xx (a wrong token would show here).
    pub non_2xx: u64,
    /// connect + read + write + timeout errors.
    pub socket_errors: u64,
}

/// Parses the output of `wrk --latency`.
pub fn parse(out: &str) -> anyhow::Result<WrkResult> {
    let mut percentiles = [None; 4];
    let mut requests = None;
    let mut requests_per_sec = None;
    let mut non_2xx = 0;
    let mut socket_errors = 0;
    for line in out.lines().map(str::trim) {
        let mut words = line.split_whitespace();
        let first = words.next().unwrap_or("");
        let slot = match first {
            "50%" => Some(0),
            "75%" => Some(1),
            "90%" => Some(2),
            "99%" => Some(3),
            _ => None,
        };
        if let Some(slot) = slot {
            let value = words.next().context("a percentile without a value")?;
            percentiles[slot] = Some(duration_ms(value)?);
        } else if let Some(rest) = line.strip_prefix("Requests/sec:") {
            requests_per_sec = Some(rest.trim().parse::<f64>().context("Requests/sec")?);
        } else if let Some(rest) = line.strip_prefix("Non-2xx or 3xx responses:") {
            non_2xx = rest.trim().parse().context("Non-2xx count")?;
        } else if let Some(rest) = line.strip_prefix("Socket errors:") {
            // "connect 0, read 0, write 0, timeout 0"
            socket_errors = rest
                .split(',')
                .filter_map(|part| part.split_whitespace().nth(1))
                .map(|n| n.parse::<u64>().context("socket error count"))
                .sum::<anyhow::Result<u64>>()?;
        } else if line.contains(" requests in ") {
            requests = Some(first.parse::<u64>().context("request count")?);
        }
    }
    let [Some(p50_ms), Some(p75_ms), Some(p90_ms), Some(p99_ms)] = percentiles else {
        bail!("no latency distribution (was --latency passed?)");
    };
    Ok(WrkResult {
        requests: requests.context("no `N requests in` line")?,
        requests_per_sec: requests_per_sec.context("no Requests/sec line")?,
        p50_ms,
        p75_ms,
        p90_ms,
        p99_ms,
        non_2xx,
        socket_errors,
    })
}

/// `516.00us`, `5.44ms`, `1.02s`, `2.00m` in milliseconds.
fn duration_ms(text: &str) -> anyhow::Result<f64> {
    let split = text
        .find(|c: char| !(c.is_ascii_digit() || c == '.'))
        .with_context(|| format!("no unit in {text:?}"))?;
    let (number, unit) = text.split_at(split);
    let number: f64 = number
        .parse()
        .with_context(|| format!("not a number: {text:?}"))?;
    let scale = match unit {
        "us" => 0.001,
        "ms" => 1.0,
        "s" => 1000.0,
        "m" => 60_000.0,
        "h" => 3_600_000.0,
        _ => bail!("unknown unit in {text:?}"),
    };
    Ok(number * scale)
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
     99%    7.28ms
  137848 requests in 3.00s, 26.56MB read
  Socket errors: connect 0, read 2, write 0, timeout 1
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
        assert!((r.p90_ms - 1.27).abs() < 1e-9);
        assert!((r.p99_ms - 7.28).abs() < 1e-9);
        assert_eq!(r.non_2xx, 5);
        assert_eq!(r.socket_errors, 3);
    }

    #[test]
    fn clean_runs_have_no_errors_and_seconds_parse() {
        let clean = OUTPUT
            .replace(
                "  Socket errors: connect 0, read 2, write 0, timeout 1\n",
                "",
            )
            .replace("  Non-2xx or 3xx responses: 5\n", "")
            .replace("7.28ms", "1.02s");
        let r = parse(&clean).unwrap();
        assert_eq!((r.non_2xx, r.socket_errors), (0, 0));
        assert!((r.p99_ms - 1020.0).abs() < 1e-9);
    }

    #[test]
    fn output_without_latency_is_refused() {
        let err = parse("Requests/sec: 1.0\n").unwrap_err().to_string();
        assert!(err.contains("--latency"), "{err}");
    }
}
