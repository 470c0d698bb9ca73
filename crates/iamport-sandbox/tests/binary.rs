//! The `iamport-sandbox` binary: refuses bad fixtures before serving, serves, stops cleanly on Ctrl-C.

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

const BIN: &str = env!("CARGO_BIN_EXE_iamport-sandbox");

#[test]
fn a_bad_fixture_file_is_refused_at_start_with_its_line() {
    let dir = std::env::temp_dir().join(format!("iamport-sandbox-test-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("bad.yaml");
    std::fs::write(&file, "credentials:\n  - imp_key: k\n    imp_secret: s\npayments:\n  - imp_uid: imp_1\n    pg_provider: naverpay\n").unwrap();
    let out = Command::new(BIN)
        .args(["--addr", "127.0.0.1:0", "--fixtures"])
        .arg(&file)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("bad.yaml:5:"), "{stderr}");
    assert!(stderr.contains("needs `cash_amount`"), "{stderr}");
    std::fs::remove_dir_all(&dir).ok();
}

#[test]
fn it_serves_and_stops_on_ctrl_c() {
    let mut child = Command::new(BIN)
        .args(["--addr", "127.0.0.1:0"])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut first = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut first)
        .unwrap();
    assert!(
        first.starts_with("iamport sandbox on http://127.0.0.1:"),
        "{first}"
    );
    assert!(first.contains("built-in fixtures"), "{first}");

    let status = Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(status.success());
    let started = Instant::now();
    loop {
        if let Some(status) = child.try_wait().unwrap() {
            assert!(status.success(), "graceful shutdown exits 0, got {status}");
            break;
        }
        if started.elapsed() > Duration::from_secs(10) {
            child.kill().ok();
            panic!("still running 10 s after Ctrl-C");
        }
        std::thread::sleep(Duration::from_millis(50));
    }
}

// ---------------------------------------------------------------------------------------------
// Hostile clients against the binary: signals with a request half sent, and a low descriptor limit.

/// The binary, started (through `sh`, for `ulimit`) on a free port; killed when dropped.
struct Running {
    child: std::process::Child,
    addr: std::net::SocketAddr,
    stderr: std::sync::mpsc::Receiver<String>,
}

impl Running {
    /// `sh -c "<prefix> exec BIN --addr 127.0.0.1:0 ARGS"`.
    fn start(prefix: &str, args: &[&str]) -> Self {
        let script = format!("{prefix} exec \"$0\" --addr 127.0.0.1:0 \"$@\"");
        let mut child = Command::new("sh")
            .arg("-c")
            .arg(script)
            .arg(BIN)
            .args(args)
            .env("NO_COLOR", "1")
            .env("RUST_LOG", "info")
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let mut first = String::new();
        BufReader::new(child.stdout.take().unwrap())
            .read_line(&mut first)
            .unwrap();
        let addr = first
            .strip_prefix("iamport sandbox on http://")
            .and_then(|rest| rest.split_whitespace().next())
            .and_then(|a| a.parse().ok())
            .unwrap_or_else(|| panic!("no address in {first:?}"));
        let (lines, stderr) = std::sync::mpsc::channel();
        let err = child.stderr.take().unwrap();
        std::thread::spawn(move || {
            for line in BufReader::new(err).lines() {
                let Ok(line) = line else { break };
                if lines.send(line).is_err() {
                    break;
                }
            }
        });
        Self {
            child,
            addr,
            stderr,
        }
    }

    fn signal(&self, name: &str) {
        let status = Command::new("kill")
            .args([&format!("-{name}"), &self.child.id().to_string()])
            .status()
            .unwrap();
        assert!(status.success());
    }

    /// Waits for a log line containing `text`.
    fn wait_for_log(&self, text: &str) {
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            match self.stderr.recv_timeout(left) {
                Ok(line) if line.contains(text) => return,
                Ok(_) => {}
                Err(_) => panic!("no log line with {text:?} within 10 s"),
            }
        }
    }

    /// The exit status, if the process exits within `bound`.
    fn exit_within(&mut self, bound: Duration) -> Option<std::process::ExitStatus> {
        let started = Instant::now();
        loop {
            if let Some(status) = self.child.try_wait().unwrap() {
                return Some(status);
            }
            if started.elapsed() > bound {
                return None;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    /// A connection with a request head half sent.
    fn hold(&self) -> std::net::TcpStream {
        use std::io::Write as _;
        let mut stream =
            std::net::TcpStream::connect_timeout(&self.addr, Duration::from_secs(10)).unwrap();
        stream
            .write_all(b"GET /nope HTTP/1.1\r\nHost: sandbox\r\nX-Slow: ")
            .unwrap();
        stream
    }

    /// `GET /nope` on a new connection: the answer's status line, or why there is none within
    /// `bound`.
    fn get_nope(&self, bound: Duration) -> Result<String, String> {
        use std::io::{Read as _, Write as _};
        let mut stream = std::net::TcpStream::connect_timeout(&self.addr, bound)
            .map_err(|e| format!("connect: {e}"))?;
        stream.set_read_timeout(Some(bound)).unwrap();
        stream.set_write_timeout(Some(bound)).unwrap();
        stream
            .write_all(b"GET /nope HTTP/1.1\r\nHost: sandbox\r\nConnection: close\r\n\r\n")
            .map_err(|e| format!("write: {e}"))?;
        let mut answer = Vec::new();
        stream
            .read_to_end(&mut answer)
            .map_err(|e| format!("read: {e}"))?;
        let answer = String::from_utf8_lossy(&answer);
        assert!(answer.contains(r#""code":-1"#), "{answer}");
        Ok(answer.lines().next().unwrap_or_default().to_owned())
    }
}

impl Drop for Running {
    fn drop(&mut self) {
        self.child.kill().ok();
        self.child.wait().ok();
    }
}

#[test]
fn sigterm_with_a_request_half_sent_exits_at_the_shutdown_deadline() {
    // the default grace period, 10 s
    let mut server = Running::start("", &[]);
    let _held = server.hold();
    // the half-sent request is in (an answer on another connection comes after it)
    assert_eq!(
        server.get_nope(Duration::from_secs(10)).as_deref(),
        Ok("HTTP/1.1 404 Not Found")
    );
    server.signal("TERM");
    let status = server
        .exit_within(Duration::from_secs(30))
        .expect("still running 30 s after SIGTERM");
    assert!(status.success(), "a graceful stop exits 0, got {status}");
}

#[test]
fn a_second_ctrl_c_stops_at_once() {
    let mut server = Running::start("", &["--shutdown-grace", "600"]);
    let _held = server.hold();
    assert_eq!(
        server.get_nope(Duration::from_secs(10)).as_deref(),
        Ok("HTTP/1.1 404 Not Found")
    );
    server.signal("INT");
    // the first signal is taken (signals sent too close together may count as one)
    server.wait_for_log("stopping");
    server.signal("INT");
    let status = server
        .exit_within(Duration::from_secs(30))
        .expect("still running 30 s after the second Ctrl-C (the grace period is 600 s)");
    assert_eq!(status.code(), Some(130), "{status}");
}

#[test]
fn with_256_descriptors_300_half_sent_requests_do_not_lock_out_a_normal_one() {
    let server = Running::start("ulimit -n 256 &&", &[]);
    let mut held = Vec::new();
    for _ in 0..300 {
        held.push(server.hold());
    }
    assert_eq!(
        server.get_nope(Duration::from_secs(10)).as_deref(),
        Ok("HTTP/1.1 404 Not Found")
    );
}

#[test]
fn a_client_that_shuts_its_write_side_after_the_request_gets_the_answer() {
    use std::io::{Read as _, Write as _};
    let server = Running::start("", &[]);
    let ask = |request: &[u8]| -> String {
        let mut stream =
            std::net::TcpStream::connect_timeout(&server.addr, Duration::from_secs(10)).unwrap();
        stream
            .set_read_timeout(Some(Duration::from_secs(10)))
            .unwrap();
        stream.write_all(request).unwrap();
        stream.shutdown(std::net::Shutdown::Write).unwrap();
        let mut answer = Vec::new();
        // a reset counts as no answer
        let _ = stream.read_to_end(&mut answer);
        String::from_utf8_lossy(&answer).into_owned()
    };
    let answered = (0..50)
        .map(|_| ask(b"GET /nope HTTP/1.0\r\n\r\n"))
        .filter(|answer| answer.starts_with("HTTP/1.0 404 ") && answer.contains(r#""code":-1"#))
        .count();
    assert_eq!(answered, 50, "of 50 HTTP/1.0 requests");

    let body = r#"{"imp_key":"1234567890123456","imp_secret":"sandbox-secret-do-not-use-in-production-0123456789abcdef"}"#;
    let request = format!(
        "POST /users/getToken HTTP/1.1\r\nHost: sandbox\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n{body}",
        body.len()
    );
    let answered = (0..20)
        .map(|_| ask(request.as_bytes()))
        .filter(|answer| answer.starts_with("HTTP/1.1 200 ") && answer.contains("access_token"))
        .count();
    assert_eq!(answered, 20, "of 20 HTTP/1.1 POSTs");
}

#[test]
fn bad_limits_are_refused_with_the_reason() {
    for (option, value) in [
        ("--header-timeout", "0"),
        ("--request-timeout", "-1"),
        ("--write-timeout", "soon"),
        ("--shutdown-grace", "inf"),
        ("--max-connections", "0"),
    ] {
        let out = Command::new(BIN)
            .args(["--addr", "127.0.0.1:0", &format!("{option}={value}")])
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(2), "{option} {value}");
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(stderr.contains(option), "{option} {value}: {stderr}");
    }
}
