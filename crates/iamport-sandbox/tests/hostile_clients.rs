//! Clients that do not play by the rules, on raw sockets against the sandbox's serving layer:
//! half-sent requests, bodies that never come, clients that shut their write side, requests hyper
//! refuses. Every wait is bounded; the timeouts are shortened through [`Limits`] where a test would
//! otherwise wait for the default ones.

use std::net::SocketAddr;
use std::time::Duration;

use iamport_sandbox::{Fixtures, Limits, Sandbox, SystemClock};
use serde_json::Value;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio::time::timeout;

/// The longest any single step of these tests may take before it counts as a hang.
const BOUND: Duration = Duration::from_secs(20);

const HALF_SENT: &[u8] = b"GET /nope HTTP/1.1\r\nHost: sandbox\r\nX-Slow: ";

fn sandbox() -> Sandbox {
    Sandbox::new(&Fixtures::default_set(), SystemClock)
}

async fn connect(addr: SocketAddr) -> TcpStream {
    timeout(BOUND, TcpStream::connect(addr))
        .await
        .expect("connect within the bound")
        .expect("connect")
}

async fn send(addr: SocketAddr, bytes: &[u8]) -> TcpStream {
    let mut stream = connect(addr).await;
    timeout(BOUND, stream.write_all(bytes))
        .await
        .expect("write within the bound")
        .expect("write");
    stream
}

/// Everything the server sends until it closes the connection (an error after some bytes, such as a
/// reset, also ends it).
async fn read_to_close(stream: &mut TcpStream) -> Vec<u8> {
    let mut answer = Vec::new();
    let mut chunk = [0u8; 4096];
    loop {
        match timeout(BOUND, stream.read(&mut chunk)).await {
            Err(_) => panic!(
                "the server neither answered nor closed within {BOUND:?}; got so far: {:?}",
                String::from_utf8_lossy(&answer)
            ),
            Ok(Ok(0) | Err(_)) => return answer,
            Ok(Ok(n)) => answer.extend_from_slice(&chunk[..n]),
        }
    }
}

/// One HTTP/1 answer: status, lower-cased headers, body.
struct Answer {
    status: u16,
    headers: Vec<(String, String)>,
    body: Vec<u8>,
}

impl Answer {
    fn parse(raw: &[u8]) -> Self {
        let text = String::from_utf8_lossy(raw);
        let end = raw
            .windows(4)
            .position(|w| w == b"\r\n\r\n")
            .unwrap_or_else(|| panic!("no complete answer head in {text:?}"));
        let head = String::from_utf8_lossy(&raw[..end]);
        let mut lines = head.split("\r\n");
        let status_line = lines.next().unwrap_or_default();
        let status = status_line
            .split(' ')
            .nth(1)
            .and_then(|s| s.parse().ok())
            .unwrap_or_else(|| panic!("bad status line {status_line:?}"));
        let headers = lines
            .filter_map(|l| l.split_once(':'))
            .map(|(n, v)| (n.trim().to_ascii_lowercase(), v.trim().to_owned()))
            .collect();
        Self {
            status,
            headers,
            body: raw[end + 4..].to_vec(),
        }
    }

    fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }

    /// Asserts the error envelope: JSON content type, `code` -1, a message, `response` null.
    fn assert_envelope(&self, status: u16) {
        assert_eq!(
            self.status,
            status,
            "{:?}",
            String::from_utf8_lossy(&self.body)
        );
        assert_eq!(self.header("content-type"), Some("application/json"));
        let body: Value = serde_json::from_slice(&self.body).unwrap_or_else(|e| {
            panic!("{e}: {:?}", String::from_utf8_lossy(&self.body));
        });
        assert_eq!(body["code"], -1, "{body}");
        assert!(
            body["message"].as_str().is_some_and(|m| !m.is_empty()),
            "{body}"
        );
        assert!(body["response"].is_null(), "{body}");
    }
}

/// Whether the server has closed `stream` (EOF or reset) within the bound; it must send nothing.
async fn closed_unanswered(stream: &mut TcpStream) -> bool {
    let mut chunk = [0u8; 64];
    match timeout(BOUND, stream.read(&mut chunk)).await {
        Err(_) => false,
        Ok(Err(_) | Ok(0)) => true,
        Ok(Ok(n)) => panic!(
            "a half-sent request got an answer: {:?}",
            String::from_utf8_lossy(&chunk[..n])
        ),
    }
}

/// Sends `GET /nope` on a fresh connection and expects the 404 envelope.
async fn normal_request(addr: SocketAddr) {
    let mut stream = send(
        addr,
        b"GET /nope HTTP/1.1\r\nHost: sandbox\r\nConnection: close\r\n\r\n",
    )
    .await;
    Answer::parse(&read_to_close(&mut stream).await).assert_envelope(404);
}

// ---------------------------------------------------------------------------------------------
// 6. slow clients: timeouts and the connection cap

#[tokio::test]
async fn while_300_half_sent_requests_are_held_a_normal_request_is_answered() {
    let limits = Limits {
        max_connections: 64,
        ..Limits::default()
    };
    let (addr, _stop) = iamport_sandbox::spawn_with(sandbox(), limits)
        .await
        .unwrap();
    let mut held = Vec::new();
    for _ in 0..300 {
        held.push(send(addr, HALF_SENT).await);
    }
    normal_request(addr).await;
    // The cap: of the 301 connections, at most 64 are open at once; the quietest (the first ones
    // held) were closed, with no answer, to make room.
    for (i, stream) in held[..200].iter_mut().enumerate() {
        assert!(
            closed_unanswered(stream).await,
            "held connection {i} is still open"
        );
    }
}

#[tokio::test]
async fn held_and_idle_connections_are_closed_after_the_header_timeout() {
    let limits = Limits {
        header_read_timeout: Duration::from_millis(500),
        ..Limits::default()
    };
    let (addr, _stop) = iamport_sandbox::spawn_with(sandbox(), limits)
        .await
        .unwrap();
    let mut held = Vec::new();
    for _ in 0..20 {
        held.push(send(addr, HALF_SENT).await);
    }
    // one that never sends a byte
    held.push(connect(addr).await);
    for stream in &mut held {
        assert!(
            closed_unanswered(stream).await,
            "a held connection stayed open"
        );
    }

    // an idle keep-alive connection, after one answer
    let mut idle = send(addr, b"GET /nope HTTP/1.1\r\nHost: sandbox\r\n\r\n").await;
    let answer = read_to_close(&mut idle).await;
    let answer = Answer::parse(&answer);
    answer.assert_envelope(404);
    assert_ne!(answer.header("connection"), Some("close"), "kept alive");
}

#[tokio::test]
async fn a_body_that_never_arrives_gets_408_in_the_envelope() {
    let limits = Limits {
        request_timeout: Duration::from_millis(500),
        ..Limits::default()
    };
    let (addr, _stop) = iamport_sandbox::spawn_with(sandbox(), limits)
        .await
        .unwrap();
    let mut stream = send(
        addr,
        b"POST /users/getToken HTTP/1.1\r\nHost: sandbox\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{\"imp_key\":",
    )
    .await;
    let answer = Answer::parse(&read_to_close(&mut stream).await);
    answer.assert_envelope(408);
    assert_eq!(answer.header("connection"), Some("close"));
    // and the server still answers others
    normal_request(addr).await;
}

// ---------------------------------------------------------------------------------------------
// 7. graceful shutdown has a deadline (the binary's signals are in tests/binary.rs)

#[tokio::test]
async fn shutdown_finishes_requests_in_flight_and_closes_held_connections_at_the_deadline() {
    let limits = Limits {
        shutdown_grace: Duration::from_secs(2),
        ..Limits::default()
    };
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let server = tokio::spawn(iamport_sandbox::serve_with(
        listener,
        iamport_sandbox::app(sandbox()),
        limits,
        async {
            let _ = stopped.await;
        },
    ));
    let mut held = send(addr, HALF_SENT).await;
    // a request in flight: head sent, body half sent
    let body = br#"{"imp_key":"1234567890123456","imp_secret":"sandbox-secret-do-not-use-in-production-0123456789abcdef"}"#;
    let head = format!(
        "POST /users/getToken HTTP/1.1\r\nHost: sandbox\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n",
        body.len()
    );
    let mut in_flight = send(addr, head.as_bytes()).await;
    in_flight.write_all(&body[..10]).await.unwrap();
    // let the server read the head before the stop
    tokio::time::sleep(Duration::from_millis(200)).await;
    stop.send(()).unwrap();
    tokio::time::sleep(Duration::from_millis(200)).await;
    in_flight.write_all(&body[10..]).await.unwrap();
    let answer = Answer::parse(&read_to_close(&mut in_flight).await);
    assert_eq!(
        answer.status,
        200,
        "{:?}",
        String::from_utf8_lossy(&answer.body)
    );

    assert!(
        closed_unanswered(&mut held).await,
        "the held connection stayed open"
    );
    timeout(BOUND, server)
        .await
        .expect("serve_with returns after the grace period")
        .unwrap()
        .unwrap();
}

// ---------------------------------------------------------------------------------------------
// 8. a client that shuts its write side after the request: in tests/binary.rs (the answer was lost
// to a race between the request and the client's FIN, which a separate process shows reliably)

// ---------------------------------------------------------------------------------------------
// 9. protocol-level errors

#[tokio::test]
async fn a_long_request_target_gets_414_in_the_envelope() {
    let (addr, _stop) = iamport_sandbox::spawn(sandbox()).await.unwrap();
    let request = format!(
        "GET /nope?q={} HTTP/1.1\r\nHost: sandbox\r\nConnection: close\r\n\r\n",
        "a".repeat(9000)
    );
    let mut stream = send(addr, request.as_bytes()).await;
    let answer = Answer::parse(&read_to_close(&mut stream).await);
    answer.assert_envelope(414);
    // a long path, on a real route
    let request = format!(
        "GET /payments/{}/naver/cash-amount HTTP/1.1\r\nHost: sandbox\r\nConnection: close\r\n\r\n",
        "i".repeat(9000)
    );
    let mut stream = send(addr, request.as_bytes()).await;
    Answer::parse(&read_to_close(&mut stream).await).assert_envelope(414);
}

#[tokio::test]
async fn a_large_header_section_gets_431_in_the_envelope() {
    let (addr, _stop) = iamport_sandbox::spawn(sandbox()).await.unwrap();
    for request in [
        format!(
            "GET /nope HTTP/1.1\r\nHost: sandbox\r\nConnection: close\r\nX-Big: {}\r\n\r\n",
            "a".repeat(20_000)
        ),
        format!(
            "GET /nope HTTP/1.1\r\nHost: sandbox\r\nConnection: close\r\n{}\r\n",
            (0..90)
                .map(|i| format!("X-H{i}: {}\r\n", "b".repeat(200)))
                .collect::<String>()
        ),
    ] {
        let mut stream = send(addr, request.as_bytes()).await;
        Answer::parse(&read_to_close(&mut stream).await).assert_envelope(431);
    }
}

/// What hyper answers by itself, before any code of ours runs (see the README): the status is right,
/// the body is empty, the connection is closed. This pins the documented behaviour.
#[tokio::test]
async fn what_hyper_refuses_gets_its_status_with_an_empty_body() {
    let (addr, _stop) = iamport_sandbox::spawn(sandbox()).await.unwrap();
    let cases: Vec<(&str, Vec<u8>, u16)> = vec![
        (
            "malformed request line",
            b"GET  /nope HTTP/1.1\r\nHost: sandbox\r\n\r\n".to_vec(),
            400,
        ),
        ("not HTTP", b"hello there\r\n\r\n".to_vec(), 400),
        (
            "unknown HTTP version",
            b"GET /nope HTTP/1.2\r\nHost: sandbox\r\n\r\n".to_vec(),
            400,
        ),
        (
            "header line without a colon",
            b"GET /nope HTTP/1.1\r\nHost: sandbox\r\nBroken header\r\n\r\n".to_vec(),
            400,
        ),
        (
            "conflicting Content-Length",
            b"POST /users/getToken HTTP/1.1\r\nHost: sandbox\r\nContent-Length: 2\r\nContent-Length: 3\r\n\r\n{}"
                .to_vec(),
            400,
        ),
        (
            "invalid Content-Length",
            b"POST /users/getToken HTTP/1.1\r\nHost: sandbox\r\nContent-Length: abc\r\n\r\n".to_vec(),
            400,
        ),
        (
            "Transfer-Encoding without chunked last",
            b"POST /users/getToken HTTP/1.1\r\nHost: sandbox\r\nTransfer-Encoding: gzip\r\n\r\n".to_vec(),
            400,
        ),
        (
            "request target over 64 KiB",
            format!("GET /{} HTTP/1.1\r\nHost: sandbox\r\n\r\n", "a".repeat(66_000)).into_bytes(),
            414,
        ),
        (
            "more than 100 headers",
            format!(
                "GET /nope HTTP/1.1\r\nHost: sandbox\r\n{}\r\n",
                (0..120).map(|i| format!("X-H{i}: v\r\n")).collect::<String>()
            )
            .into_bytes(),
            431,
        ),
    ];
    for (name, request, status) in cases {
        let mut stream = send(addr, &request).await;
        let answer = Answer::parse(&read_to_close(&mut stream).await);
        assert_eq!(answer.status, status, "{name}");
        assert!(
            answer.body.is_empty(),
            "{name}: hyper's answers have no body"
        );
        assert_eq!(answer.header("connection"), Some("close"), "{name}");
    }
    // HTTP/2 with prior knowledge: no answer, the connection is closed
    let mut stream = send(addr, b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n").await;
    assert_eq!(read_to_close(&mut stream).await, b"");
    normal_request(addr).await;
}

// ---------------------------------------------------------------------------------------------
// a client that sends and never reads

#[tokio::test]
async fn a_client_that_never_reads_its_answers_is_closed_after_the_write_timeout() {
    let limits = Limits {
        write_timeout: Duration::from_millis(500),
        header_read_timeout: Duration::from_secs(5),
        ..Limits::default()
    };
    let (addr, _stop) = iamport_sandbox::spawn_with(sandbox(), limits)
        .await
        .unwrap();
    let socket = tokio::net::TcpSocket::new_v4().unwrap();
    socket.set_recv_buffer_size(4096).unwrap();
    let mut stream = timeout(BOUND, socket.connect(addr)).await.unwrap().unwrap();
    // 2000 pipelined requests (90 KB, which the socket buffers take at once) for the OpenAPI document
    // (8 KiB or more): over 16 MB of answers, more than the buffers on the way back hold (a send
    // buffer grows to 4 MiB by default on Linux, ours is 4 KiB), so the server's writes stall while
    // we do not read.
    let sent = 2000;
    let request = b"GET /openapi.json HTTP/1.1\r\nHost: sandbox\r\n\r\n".repeat(sent);
    timeout(BOUND, stream.write_all(&request))
        .await
        .expect("the requests fit in the socket buffers")
        .unwrap();
    // Not reading for a while: longer than the write timeout.
    tokio::time::sleep(Duration::from_secs(3)).await;
    // Now read what is there: the answers written before the stall, then the close.
    let answers = read_to_close(&mut stream).await;
    let answered = answers
        .windows(b"HTTP/1.1 200".len())
        .filter(|w| *w == b"HTTP/1.1 200")
        .count();
    assert!(
        answered < sent,
        "all {sent} requests were answered: the stalled connection was kept"
    );
}
