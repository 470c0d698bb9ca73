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
