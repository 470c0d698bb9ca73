//! The processes the bench starts. A server is killed and reaped when its guard is dropped (normal
//! end, error, panic) and also exits when xtask's pipe to its standard input closes, so it goes away
//! with xtask even when xtask is killed outright. The other programs end by themselves: wrk after its
//! `-d` duration, `bench-client` after its call counts or its `--max-seconds`.

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::thread;
use std::time::Duration;

use anyhow::{Context, bail};

/// Runs `command` to its end and returns its standard output; fails with the end of its standard
/// error unless it exits with 0.
pub fn output(command: &mut Command, what: &str) -> anyhow::Result<String> {
    let out = command
        .stdin(Stdio::null())
        .output()
        .with_context(|| format!("cannot run {what}"))?;
    if !out.status.success() {
        let stderr = String::from_utf8_lossy(&out.stderr);
        let lines: Vec<&str> = stderr.lines().collect();
        let tail = lines[lines.len().saturating_sub(15)..].join("\n");
        bail!("{what} failed ({}):\n{tail}", out.status);
    }
    Ok(String::from_utf8_lossy(&out.stdout).into_owned())
}

/// A `bench-server` process, listening on a loopback port it picked.
pub struct Server {
    pub base_url: String,
    /// The URL of the measured request.
    pub measure: String,
    /// A token the server accepts.
    pub token: String,
    child: Child,
}

impl Server {
    /// Starts `bench-server --mode <mode>` and waits (at most 20 s) for its first line,
    /// `listening on http://ADDR measure URL token TOKEN`.
    pub fn start(bin: &Path, mode: &str, workers: usize) -> anyhow::Result<Server> {
        let what = format!("bench-server --mode {mode}");
        let mut child = Command::new(bin)
            .args(["--mode", mode, "--exit-on-stdin-eof", "--workers"])
            .arg(workers.to_string())
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .spawn()
            .with_context(|| format!("cannot start {what} ({})", bin.display()))?;
        let stdout = child.stdout.take().context("no stdout pipe")?;
        // Owned before anything can fail, so that the process is stopped then too.
        let mut server = Server {
            base_url: String::new(),
            measure: String::new(),
            token: String::new(),
            child,
        };
        let (lines, first_line) = mpsc::channel();
        // Keeps reading whatever the server prints, so it never blocks on a full pipe.
        thread::spawn(move || {
            for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                let _ = lines.send(line);
            }
        });
        let line = first_line
            .recv_timeout(Duration::from_secs(20))
            .with_context(|| format!("{what} did not report its address"))?;
        let words: Vec<&str> = line.split_whitespace().collect();
        let [
            "listening",
            "on",
            base_url,
            "measure",
            measure,
            "token",
            token,
        ] = words[..]
        else {
            bail!("{what} printed {line:?}");
        };
        server.base_url = base_url.to_owned();
        server.measure = measure.to_owned();
        server.token = token.to_owned();
        Ok(server)
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
