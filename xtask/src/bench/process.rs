//! The processes the bench starts: every one is owned by a guard that kills and reaps it when dropped
//! (normal end, error, panic), and every wait is bounded in time.
//!
//! When xtask itself is killed outright its guards do not run; the programs of `iamport-bench` are
//! started with `--exit-on-stdin-eof` and a pipe on their standard input, so they exit when that pipe
//! closes with xtask. wrk ends by itself after its `-d` duration. Ctrl-C in a terminal reaches the
//! whole process group, children included.

use std::io::{BufRead, BufReader, Read};
use std::path::Path;
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::mpsc;
use std::thread;
use std::time::{Duration, Instant};

use anyhow::{Context, bail};

/// A child process that is killed and reaped when this is dropped.
pub struct Guarded {
    child: Child,
    what: String,
}

impl Guarded {
    pub fn spawn(command: &mut Command, what: impl Into<String>) -> anyhow::Result<Guarded> {
        let what = what.into();
        let child = command
            .spawn()
            .with_context(|| format!("cannot start {what} ({:?})", command.get_program()))?;
        Ok(Guarded { child, what })
    }

    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// Waits for the exit at most `limit`; past it, kills the process and fails.
    pub fn wait_at_most(&mut self, limit: Duration) -> anyhow::Result<ExitStatus> {
        let started = Instant::now();
        loop {
            if let Some(status) = self.child.try_wait()? {
                return Ok(status);
            }
            if started.elapsed() > limit {
                self.stop();
                bail!(
                    "{} still running after {:.0} s; stopped it",
                    self.what,
                    limit.as_secs_f64()
                );
            }
            // 1 ms polling: negligible next to the processes timed here (tens of ms and up).
            thread::sleep(Duration::from_millis(1));
        }
    }

    fn stop(&mut self) {
        if let Ok(None) = self.child.try_wait() {
            let _ = self.child.kill();
        }
        let _ = self.child.wait();
    }
}

impl Drop for Guarded {
    fn drop(&mut self) {
        self.stop();
    }
}

/// What a bounded run printed and how long it took.
pub struct Finished {
    pub status: ExitStatus,
    pub stdout: String,
    pub stderr: String,
    pub secs: f64,
}

impl Finished {
    /// Fails unless the process exited with 0, quoting the end of its stderr.
    pub fn ok(self, what: &str) -> anyhow::Result<Finished> {
        if self.status.success() {
            return Ok(self);
        }
        let tail: Vec<&str> = self.stderr.lines().rev().take(15).collect();
        let tail: Vec<&str> = tail.into_iter().rev().collect();
        bail!("{what} failed ({}):\n{}", self.status, tail.join("\n"))
    }
}

/// Runs `command` to its end, capturing stdout and stderr, for at most `limit`. Its stdin is a pipe
/// held open until it ends (see the module docs).
pub fn run_captured(
    command: &mut Command,
    what: &str,
    limit: Duration,
) -> anyhow::Result<Finished> {
    command
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let started = Instant::now();
    let mut guarded = Guarded::spawn(command, what)?;
    let stdout = drain(guarded.child.stdout.take());
    let stderr = drain(guarded.child.stderr.take());
    let status = guarded.wait_at_most(limit)?;
    let secs = started.elapsed().as_secs_f64();
    Ok(Finished {
        status,
        stdout: stdout.join().unwrap_or_default(),
        stderr: stderr.join().unwrap_or_default(),
        secs,
    })
}

/// Runs `command` with the terminal's stdout/stderr (a build, so its progress shows), at most `limit`.
pub fn run_inherited(command: &mut Command, what: &str, limit: Duration) -> anyhow::Result<()> {
    command.stdin(Stdio::null());
    let mut guarded = Guarded::spawn(command, what)?;
    let status = guarded.wait_at_most(limit)?;
    if !status.success() {
        bail!("{what} failed ({status})");
    }
    Ok(())
}

fn drain(pipe: Option<impl Read + Send + 'static>) -> thread::JoinHandle<String> {
    thread::spawn(move || {
        let mut text = String::new();
        if let Some(mut pipe) = pipe {
            let mut bytes = Vec::new();
            let _ = pipe.read_to_end(&mut bytes);
            text = String::from_utf8_lossy(&bytes).into_owned();
        }
        text
    })
}

/// A `bench-server` process, listening on a loopback port it picked.
pub struct Server {
    pub mode: &'static str,
    pub base_url: String,
    process: Guarded,
}

impl Server {
    /// Starts `bench-server --mode <mode>` and waits (at most 20 s) for its `listening on` line.
    pub fn start(bin: &Path, mode: &'static str, workers: usize) -> anyhow::Result<Server> {
        let mut command = Command::new(bin);
        command.args(Self::args(mode, workers));
        Self::spawn(command, mode, Duration::from_secs(20))
    }

    /// The arguments of `bench-server` for `mode`.
    pub fn args(mode: &str, workers: usize) -> Vec<String> {
        [
            "--mode",
            mode,
            "--addr",
            "127.0.0.1:0",
            "--exit-on-stdin-eof",
            "--workers",
        ]
        .map(str::to_owned)
        .into_iter()
        .chain([workers.to_string()])
        .collect()
    }

    /// Starts `command` (a `bench-server`, perhaps under a wrapper) and waits at most `limit` for
    /// its `listening on` line.
    pub fn spawn(
        mut command: Command,
        mode: &'static str,
        limit: Duration,
    ) -> anyhow::Result<Server> {
        command
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit());
        let mut process = Guarded::spawn(&mut command, format!("bench-server --mode {mode}"))?;
        let stdout = process.child.stdout.take().context("no stdout pipe")?;
        let (lines, first_lines) = mpsc::channel();
        // Keeps reading (and dropping) whatever the server prints, so it never blocks on a full pipe.
        thread::spawn(move || {
            for line in BufReader::new(stdout).lines() {
                let Ok(line) = line else { break };
                let _ = lines.send(line);
            }
        });
        let line = first_lines
            .recv_timeout(limit)
            .with_context(|| format!("bench-server --mode {mode} did not report its address"))?;
        let base_url = line
            .split_whitespace()
            .find(|word| word.starts_with("http://"))
            .with_context(|| format!("bench-server --mode {mode} printed {line:?}"))?
            .to_owned();
        Ok(Server {
            mode,
            base_url,
            process,
        })
    }

    /// Closes the server's standard input, which makes it exit (it runs with
    /// `--exit-on-stdin-eof`), and waits at most `limit` for that.
    pub fn finish(mut self, limit: Duration) -> anyhow::Result<()> {
        drop(self.process.child.stdin.take());
        let status = self.process.wait_at_most(limit)?;
        if !status.success() {
            bail!("bench-server --mode {} exited with {status}", self.mode);
        }
        Ok(())
    }

    pub fn pid(&self) -> u32 {
        self.process.pid()
    }

    /// CPU time (user + system, all threads) the process has used so far, in microseconds.
    pub fn cpu_micros(&self) -> anyhow::Result<u64> {
        cpu_micros(self.pid())
    }

    /// VmHWM (peak resident set) and VmRSS from `/proc/<pid>/status`, in KiB.
    pub fn memory_kib(&self) -> anyhow::Result<(u64, u64)> {
        let path = format!("/proc/{}/status", self.pid());
        let status = std::fs::read_to_string(&path).with_context(|| format!("reading {path}"))?;
        let field = |name: &str| -> anyhow::Result<u64> {
            status
                .lines()
                .find_map(|l| l.strip_prefix(name))
                .and_then(|rest| rest.split_whitespace().next())
                .and_then(|n| n.parse().ok())
                .with_context(|| format!("no {name} in {path}"))
        };
        Ok((field("VmHWM:")?, field("VmRSS:")?))
    }
}

/// User + system CPU time of process `pid` (all its threads), in microseconds, from
/// `/proc/<pid>/stat` (fields 14 and 15, in clock ticks of 1/100 s: Linux's USER_HZ).
pub fn cpu_micros(pid: u32) -> anyhow::Result<u64> {
    let path = format!("/proc/{pid}/stat");
    let stat = std::fs::read_to_string(&path).with_context(|| format!("reading {path}"))?;
    parse_cpu_micros(&stat).with_context(|| format!("no CPU times in {path}: {stat:?}"))
}

fn parse_cpu_micros(stat: &str) -> Option<u64> {
    // The command name (field 2) is in parentheses and may hold spaces: count from after it.
    let rest = &stat[stat.rfind(')')? + 1..];
    let fields: Vec<&str> = rest.split_whitespace().collect();
    // `rest` starts at field 3 (state), so fields 14 and 15 are at 11 and 12.
    let utime: u64 = fields.get(11)?.parse().ok()?;
    let stime: u64 = fields.get(12)?.parse().ok()?;
    Some((utime + stime) * 10_000)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cpu_times_are_read_after_the_command_name() {
        let stat =
            "4242 (bench server) S 1 4242 4242 0 -1 4194304 1203 0 0 0 250 37 0 0 20 0 3 0 100 0 0";
        assert_eq!(parse_cpu_micros(stat), Some(287 * 10_000));
        assert!(cpu_micros(std::process::id()).is_ok());
    }
}
