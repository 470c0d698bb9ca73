//! The processes the bench starts. A server is killed and reaped when its guard is dropped (normal
//! end, error, panic) and also exits when xtask's pipe to its standard input closes, so it goes away
//! with xtask even when xtask is killed outright. The other programs end by themselves: wrk after its
//! `-d` duration, `bench-client` after its call counts or its `--max-seconds`. Programs that cannot
//! watch their standard input (the sandbox binary, Prism) run under a [`Group`].

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

/// A program the bench cannot tell to exit when xtask goes (the sandbox binary, Prism), started in
/// a process group of its own under `sh`, which kills the group when its standard input (a pipe
/// from xtask) closes: so the group goes away with xtask even when xtask is killed outright.
/// Dropping the guard kills the group.
pub struct Group {
    child: Child,
}

impl Group {
    /// Starts `program args` in `dir`, its standard output and error to `log` (created anew).
    pub fn start(program: &Path, args: &[&str], dir: &Path, log: &Path) -> anyhow::Result<Group> {
        use std::os::unix::process::CommandExt;
        let child = Command::new("sh")
            .arg("-c")
            .arg(r#"log=$1; shift; "$@" </dev/null >"$log" 2>&1 & cat >/dev/null; kill -KILL 0"#)
            .arg("sh")
            .arg(log)
            .arg(program)
            .args(args)
            .current_dir(dir)
            .process_group(0)
            .stdin(Stdio::piped())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .with_context(|| format!("cannot start {}", program.display()))?;
        Ok(Group { child })
    }

    /// The processes of the group but the `sh` and `cat` that watch xtask.
    pub fn pids(&self) -> Vec<u32> {
        let leader = self.child.id();
        let Ok(dir) = std::fs::read_dir("/proc") else {
            return vec![];
        };
        dir.filter_map(|e| e.ok()?.file_name().to_str()?.parse::<u32>().ok())
            .filter(|pid| *pid != leader)
            .filter(|pid| {
                let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default();
                // `pid (comm) state ppid pgrp …`: comm may hold spaces, so split after the `)`.
                let Some((head, rest)) = stat.rsplit_once(')') else {
                    return false;
                };
                let comm = head.split_once('(').map_or("", |(_, c)| c);
                let pgrp = rest.split_whitespace().nth(2);
                pgrp == Some(&leader.to_string()) && comm != "cat"
            })
            .collect()
    }

    /// The sum over [`Self::pids`] of the peak resident memory (`VmHWM`), in KiB, and how many
    /// processes that is.
    pub fn peak_rss_kib(&self) -> (u64, usize) {
        let pids = self.pids();
        let total = pids.iter().map(|pid| status_kib(*pid, "VmHWM:")).sum();
        (total, pids.len())
    }
}

/// A `kB` field of `/proc/<pid>/status`, 0 when unreadable.
pub fn status_kib(pid: u32, field: &str) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap_or_default();
    status
        .lines()
        .find_map(|l| l.strip_prefix(field))
        .and_then(|v| v.split_whitespace().next()?.parse().ok())
        .unwrap_or(0)
}

impl Drop for Group {
    fn drop(&mut self) {
        let _ = Command::new("kill")
            .args(["-KILL", "--", &format!("-{}", self.child.id())])
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status();
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Waits (at most `limit`) until something accepts TCP connections on `addr`.
pub fn wait_for_port(
    addr: std::net::SocketAddr,
    limit: Duration,
    what: &str,
) -> anyhow::Result<()> {
    let started = std::time::Instant::now();
    while started.elapsed() < limit {
        if std::net::TcpStream::connect_timeout(&addr, Duration::from_millis(200)).is_ok() {
            return Ok(());
        }
        thread::sleep(Duration::from_millis(100));
    }
    bail!(
        "{what} did not listen on {addr} within {} s",
        limit.as_secs()
    )
}

/// A loopback port nothing listens on right now.
pub fn free_port() -> anyhow::Result<u16> {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").context("binding 127.0.0.1:0")?;
    Ok(listener.local_addr()?.port())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_group_is_measured_and_killed_with_its_guard() {
        let dir = std::env::temp_dir();
        let group =
            Group::start(Path::new("sleep"), &["30"], &dir, Path::new("/dev/null")).unwrap();
        // The program shows up in the group (sh starts it in the background).
        let started = std::time::Instant::now();
        let mut pids = group.pids();
        while pids.is_empty() && started.elapsed() < Duration::from_secs(10) {
            thread::sleep(Duration::from_millis(20));
            pids = group.pids();
        }
        assert_eq!(pids.len(), 1, "sleep alone, not its sh or cat: {pids:?}");
        let comm = std::fs::read_to_string(format!("/proc/{}/comm", pids[0])).unwrap();
        assert_eq!(comm.trim(), "sleep");
        let (peak, processes) = group.peak_rss_kib();
        assert!(peak > 0 && processes == 1, "{peak} KiB over {processes}");
        drop(group);
        // Killed (the signal lands a moment later): gone, or a zombie waiting for init to reap it.
        let alive = || {
            let state =
                std::fs::read_to_string(format!("/proc/{}/stat", pids[0])).unwrap_or_default();
            state
                .rsplit_once(')')
                .is_some_and(|(_, rest)| !rest.trim_start().starts_with('Z'))
        };
        let killed = std::time::Instant::now();
        while alive() && killed.elapsed() < Duration::from_secs(10) {
            thread::sleep(Duration::from_millis(20));
        }
        assert!(!alive(), "sleep still runs 10 s after its group was killed");
    }

    #[test]
    fn a_free_port_is_free_and_waiting_on_it_ends() {
        let port = free_port().unwrap();
        let addr = format!("127.0.0.1:{port}").parse().unwrap();
        let err = wait_for_port(addr, Duration::from_millis(300), "nothing").unwrap_err();
        assert!(err.to_string().contains("did not listen"), "{err}");
        let listener = std::net::TcpListener::bind(addr).unwrap();
        wait_for_port(addr, Duration::from_secs(5), "a listener").unwrap();
        drop(listener);
    }
}
