//! A hostile HTTP/1.1 server on 127.0.0.1: answers whatever a test tells it to (redirects,
//! endless bodies, echoes of the request), records what it received and counts what it wrote.

use std::future::Future;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

/// Every test here is bounded by this.
pub const TEST_TIMEOUT: Duration = Duration::from_secs(60);

/// Runs `test` within [`TEST_TIMEOUT`].
pub async fn bounded<T>(test: impl Future<Output = T>) -> T {
    tokio::time::timeout(TEST_TIMEOUT, test)
        .await
        .expect("the test did not finish in time: something hangs")
}

/// A request as the server read it.
#[derive(Clone, Debug)]
pub struct Received {
    pub method: String,
    pub path: String,
    pub head: String,
    pub body: String,
}

/// What the server answers.
pub enum Reply {
    /// These bytes, then close.
    Raw(String),
    /// `head` (status line and headers, without the blank line), then `chunk` again and again
    /// until the client goes away (or `max` bytes of body).
    Endless {
        head: String,
        chunk: Vec<u8>,
        max: u64,
    },
}

impl Reply {
    /// A complete answer with this status line, headers (`Name: value` lines) and body.
    pub fn new(status: &str, headers: &[(&str, &str)], body: &str) -> Self {
        let mut text = format!("HTTP/1.1 {status}\r\n");
        for (name, value) in headers {
            text.push_str(&format!("{name}: {value}\r\n"));
        }
        text.push_str(&format!(
            "content-length: {}\r\nconnection: close\r\n\r\n{body}",
            body.len()
        ));
        Reply::Raw(text)
    }

    pub fn json(status: &str, body: &str) -> Self {
        Self::new(status, &[("content-type", "application/json")], body)
    }
}

pub struct Hostile {
    pub port: u16,
    pub received: Arc<Mutex<Vec<Received>>>,
    /// Body bytes written by [`Reply::Endless`] answers.
    pub body_bytes_written: Arc<AtomicU64>,
}

impl Hostile {
    /// Serves until the test ends; `answer` is called for every request.
    pub async fn start(answer: impl Fn(&Received) -> Reply + Send + Sync + 'static) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = listener.local_addr().unwrap().port();
        let received = Arc::new(Mutex::new(Vec::new()));
        let written = Arc::new(AtomicU64::new(0));
        let answer = Arc::new(answer);
        let (r, w) = (received.clone(), written.clone());
        tokio::spawn(async move {
            while let Ok((stream, _)) = listener.accept().await {
                let (answer, r, w) = (answer.clone(), r.clone(), w.clone());
                tokio::spawn(async move {
                    let _ = serve(stream, &*answer, &r, &w).await;
                });
            }
        });
        Hostile {
            port,
            received,
            body_bytes_written: written,
        }
    }

    pub fn url(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    pub fn requests(&self) -> Vec<Received> {
        self.received.lock().unwrap().clone()
    }

    pub fn written(&self) -> u64 {
        self.body_bytes_written.load(Ordering::SeqCst)
    }
}

async fn serve(
    mut stream: TcpStream,
    answer: &(dyn Fn(&Received) -> Reply + Send + Sync),
    received: &Mutex<Vec<Received>>,
    written: &AtomicU64,
) -> std::io::Result<()> {
    let mut buf = Vec::new();
    let head_end = loop {
        let mut chunk = [0u8; 4096];
        let n = stream.read(&mut chunk).await?;
        if n == 0 {
            return Ok(());
        }
        buf.extend_from_slice(&chunk[..n]);
        if let Some(i) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
            break i + 4;
        }
    };
    let head = String::from_utf8_lossy(&buf[..head_end]).into_owned();
    let length: usize = head
        .lines()
        .find_map(|l| {
            let (name, value) = l.split_once(':')?;
            name.eq_ignore_ascii_case("content-length")
                .then(|| value.trim().parse().ok())?
        })
        .unwrap_or(0);
    while buf.len() < head_end + length {
        let mut chunk = [0u8; 4096];
        let n = stream.read(&mut chunk).await?;
        if n == 0 {
            break;
        }
        buf.extend_from_slice(&chunk[..n]);
    }
    let mut words = head.split_whitespace();
    let request = Received {
        method: words.next().unwrap_or_default().to_owned(),
        path: words.next().unwrap_or_default().to_owned(),
        body: String::from_utf8_lossy(&buf[head_end..]).into_owned(),
        head: head.clone(),
    };
    received.lock().unwrap().push(request.clone());
    match answer(&request) {
        Reply::Raw(text) => stream.write_all(text.as_bytes()).await?,
        Reply::Endless { head, chunk, max } => {
            stream
                .write_all(format!("{head}\r\nconnection: close\r\n\r\n").as_bytes())
                .await?;
            let mut sent = 0u64;
            while sent < max {
                stream.write_all(&chunk).await?;
                sent += chunk.len() as u64;
                written.fetch_add(chunk.len() as u64, Ordering::SeqCst);
            }
        }
    }
    stream.shutdown().await
}
