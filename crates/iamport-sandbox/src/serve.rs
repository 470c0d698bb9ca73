//! The serving layer: a hand-rolled accept loop over hyper's HTTP/1 connection, so that no client,
//! however slow or hostile, can hold the sandbox: every phase of a connection has a deadline, the
//! number of open connections is capped, graceful shutdown has a deadline, and the requests hyper
//! hands over are checked for size before the router sees them.
//!
//! What each limit guarantees is written down in the crate's README ("Security and reliability").

use std::collections::HashMap;
use std::future::Future;
use std::io;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

use axum::Router;
use axum::extract::{Request, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::middleware::{self, Next};
use axum::response::Response;
use hyper::body::Incoming;
use hyper::server::conn::http1;
use hyper_util::rt::{TokioIo, TokioTimer};
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{Notify, watch};
use tokio::task::JoinSet;
use tower::Service as _;

/// The limits [`serve_with`] enforces. [`Limits::default`] is what [`serve`](crate::serve), [`spawn`](crate::spawn)
/// and the binary use; tests shorten the timeouts.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Limits {
    /// A connection must deliver a whole request head (request line and headers) within this time,
    /// counted from when the server starts waiting for it: on accept, and again after each answer
    /// (so it is also the idle keep-alive timeout). Otherwise the connection is closed, unanswered.
    pub header_read_timeout: Duration,
    /// From the end of the head to the answer: the body must arrive and be handled within this time,
    /// or the answer is a 408 in the error envelope and the connection is closed.
    pub request_timeout: Duration,
    /// A write to the client that makes no progress for this long (a client that does not read its
    /// answers) closes the connection.
    pub write_timeout: Duration,
    /// At most this many connections are open at once. A new connection beyond it (or one that
    /// finds the process out of file descriptors) closes the connection that has been quiet the
    /// longest, so slow clients cannot lock out new ones.
    pub max_connections: usize,
    /// After the shutdown signal, the requests in flight have this long to finish; the connections
    /// still open then are closed.
    pub shutdown_grace: Duration,
    /// A request target (path and query) longer than this is answered 414 in the envelope.
    pub max_uri_bytes: usize,
    /// A header section (each header counted as `name: value\r\n`) larger than this is answered 431
    /// in the envelope.
    pub max_header_bytes: usize,
    /// hyper's read buffer: a request head that does not fit in it gets hyper's own 431, with an
    /// empty body. Kept above `max_uri_bytes + max_header_bytes` so that the envelope answers come
    /// first. hyper's minimum is 8192.
    pub max_head_buffer_bytes: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Self {
            header_read_timeout: Duration::from_secs(30),
            request_timeout: Duration::from_secs(30),
            write_timeout: Duration::from_secs(30),
            max_connections: 512,
            shutdown_grace: Duration::from_secs(10),
            max_uri_bytes: 8 * 1024,
            max_header_bytes: 16 * 1024,
            max_head_buffer_bytes: 64 * 1024,
        }
    }
}

/// Serves `app` on `listener` with `limits` until `shutdown` completes; then stops accepting, lets
/// the requests in flight finish for up to [`Limits::shutdown_grace`] and closes what is left.
pub async fn serve_with(
    listener: TcpListener,
    app: Router,
    limits: Limits,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> io::Result<()> {
    let app = guard(app, &limits);
    let mut http = http1::Builder::new();
    http.timer(TokioTimer::new())
        .header_read_timeout(limits.header_read_timeout)
        // An HTTP/1.0-style client that shuts its write side after the request still gets the answer.
        .half_close(true)
        .keep_alive(true)
        .max_buf_size(limits.max_head_buffer_bytes.max(8192));

    let registry = Registry::default();
    let (closing, closing_seen) = watch::channel(false);
    let mut connections = JoinSet::new();
    let mut shutdown = std::pin::pin!(shutdown);
    loop {
        tokio::select! {
            biased;
            () = &mut shutdown => break,
            Some(_) = connections.join_next(), if !connections.is_empty() => {}
            accepted = listener.accept() => match accepted {
                Ok((stream, peer)) => {
                    while registry.len() >= limits.max_connections.max(1) {
                        if registry.evict_quietest().is_none() {
                            break;
                        }
                    }
                    let slot = registry.insert();
                    connections.spawn(connection(
                        stream,
                        peer,
                        http.clone(),
                        app.clone(),
                        slot,
                        limits.write_timeout,
                        closing_seen.clone(),
                    ));
                }
                Err(e) if is_out_of_descriptors(&e) => {
                    // The pending connection stays in the backlog; make room and take it.
                    match registry.evict_quietest() {
                        Some(closed) => {
                            tracing::warn!("out of file descriptors: closed the quietest connection");
                            let _ = tokio::time::timeout(Duration::from_millis(100), closed).await;
                        }
                        None => {
                            tracing::error!("cannot accept a connection: {e}");
                            tokio::time::sleep(Duration::from_millis(100)).await;
                        }
                    }
                }
                Err(e) if is_connection_error(&e) => {}
                Err(e) => {
                    tracing::error!("cannot accept a connection: {e}");
                    tokio::time::sleep(Duration::from_millis(100)).await;
                }
            },
        }
    }
    drop(listener);
    let _ = closing.send(true);
    let finished = tokio::time::timeout(limits.shutdown_grace, async {
        while connections.join_next().await.is_some() {}
    })
    .await;
    if finished.is_err() {
        tracing::warn!(
            connections = connections.len(),
            "shutdown deadline reached: closing the connections still open"
        );
        connections.shutdown().await;
    }
    Ok(())
}

/// Starts the sandbox with `limits` on a free loopback port in the background; the server stops when
/// the returned sender is dropped or sent to.
pub async fn spawn_with(
    sandbox: crate::Sandbox,
    limits: Limits,
) -> io::Result<(SocketAddr, tokio::sync::oneshot::Sender<()>)> {
    let listener = TcpListener::bind("127.0.0.1:0").await?;
    let addr = listener.local_addr()?;
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    tokio::spawn(serve_with(listener, crate::app(sandbox), limits, async {
        let _ = stopped.await;
    }));
    Ok((addr, stop))
}

/// One connection, until it ends, is evicted, or the shutdown deadline aborts it.
async fn connection(
    stream: TcpStream,
    peer: SocketAddr,
    http: http1::Builder,
    app: Router,
    slot: SlotGuard,
    write_timeout: Duration,
    mut closing: watch::Receiver<bool>,
) {
    let activity = slot.slot.clone();
    let service = hyper::service::service_fn(move |request: Request<Incoming>| {
        let mut app = app.clone();
        let activity = activity.clone();
        activity.touch();
        async move {
            let response = app.call(request.map(axum::body::Body::new)).await;
            activity.touch();
            response
        }
    });
    let io = WriteDeadline::new(stream, write_timeout);
    let conn = http.serve_connection(TokioIo::new(io), service);
    let mut conn = std::pin::pin!(conn);
    let mut draining = false;
    loop {
        tokio::select! {
            served = conn.as_mut() => {
                if let Err(e) = served {
                    tracing::debug!(%peer, "connection ended: {e}");
                }
                break;
            }
            _ = closing.changed(), if !draining => {
                conn.as_mut().graceful_shutdown();
                draining = true;
            }
            () = slot.slot.evicted.notified() => {
                tracing::debug!(%peer, "connection closed to make room for a new one");
                break;
            }
        }
    }
}

/// A socket whose writes fail with `TimedOut` once one has been pending (the client not reading)
/// for `timeout`; reads are left alone (hyper's header timeout and the request deadline bound them).
struct WriteDeadline {
    inner: TcpStream,
    timeout: Duration,
    stalled: Option<Pin<Box<tokio::time::Sleep>>>,
}

impl WriteDeadline {
    fn new(inner: TcpStream, timeout: Duration) -> Self {
        Self {
            inner,
            timeout,
            stalled: None,
        }
    }

    /// What a write that returned `polled` gives: its result once it is ready (the stall is over),
    /// `TimedOut` once it has been pending for the timeout.
    fn bounded<T>(
        &mut self,
        cx: &mut Context<'_>,
        polled: Poll<io::Result<T>>,
    ) -> Poll<io::Result<T>> {
        if polled.is_ready() {
            self.stalled = None;
            return polled;
        }
        let timeout = self.timeout;
        let stalled = self
            .stalled
            .get_or_insert_with(|| Box::pin(tokio::time::sleep(timeout)));
        match stalled.as_mut().poll(cx) {
            Poll::Ready(()) => Poll::Ready(Err(io::Error::new(
                io::ErrorKind::TimedOut,
                "the client has not read its answer",
            ))),
            Poll::Pending => Poll::Pending,
        }
    }
}

impl AsyncRead for WriteDeadline {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_read(cx, buf)
    }
}

impl AsyncWrite for WriteDeadline {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        let polled = Pin::new(&mut self.inner).poll_write(cx, buf);
        self.bounded(cx, polled)
    }

    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        let polled = Pin::new(&mut self.inner).poll_write_vectored(cx, bufs);
        self.bounded(cx, polled)
    }

    fn is_write_vectored(&self) -> bool {
        self.inner.is_write_vectored()
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        let polled = Pin::new(&mut self.inner).poll_flush(cx);
        self.bounded(cx, polled)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        let polled = Pin::new(&mut self.inner).poll_shutdown(cx);
        self.bounded(cx, polled)
    }
}

/// The open connections, for the cap: each with the time of its last progress (accepted, request
/// head read, answer made).
#[derive(Clone, Default)]
struct Registry {
    inner: Arc<RegistryInner>,
}

#[derive(Default)]
struct RegistryInner {
    slots: Mutex<HashMap<u64, Arc<Slot>>>,
    next_id: AtomicU64,
}

struct Slot {
    epoch: Instant,
    /// Milliseconds since `epoch` of the last progress.
    last_progress: AtomicU64,
    evicted: Notify,
    closed: Notify,
}

impl Slot {
    fn touch(&self) {
        let now = u64::try_from(self.epoch.elapsed().as_millis()).unwrap_or(u64::MAX);
        self.last_progress.store(now, Ordering::Relaxed);
    }
}

/// Takes the connection out of the registry when its task ends, however it ends.
struct SlotGuard {
    registry: Registry,
    id: u64,
    slot: Arc<Slot>,
}

impl Drop for SlotGuard {
    fn drop(&mut self) {
        self.registry.slots().remove(&self.id);
        self.slot.closed.notify_one();
    }
}

impl Registry {
    fn slots(&self) -> std::sync::MutexGuard<'_, HashMap<u64, Arc<Slot>>> {
        // A panic while holding this lock leaves the map consistent (one insert or remove).
        self.inner
            .slots
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    fn len(&self) -> usize {
        self.slots().len()
    }

    fn insert(&self) -> SlotGuard {
        static EPOCH: std::sync::OnceLock<Instant> = std::sync::OnceLock::new();
        let epoch = *EPOCH.get_or_init(Instant::now);
        let slot = Arc::new(Slot {
            epoch,
            last_progress: AtomicU64::new(0),
            evicted: Notify::new(),
            closed: Notify::new(),
        });
        slot.touch();
        let id = self.inner.next_id.fetch_add(1, Ordering::Relaxed);
        self.slots().insert(id, slot.clone());
        SlotGuard {
            registry: self.clone(),
            id,
            slot,
        }
    }

    /// Closes the connection whose last progress is the oldest; returns a future that completes when
    /// its socket is closed, or `None` when there is no connection.
    fn evict_quietest(&self) -> Option<impl Future<Output = ()> + use<>> {
        let slot = {
            let mut slots = self.slots();
            let id = slots
                .iter()
                .min_by_key(|(id, slot)| (slot.last_progress.load(Ordering::Relaxed), **id))
                .map(|(id, _)| *id)?;
            slots.remove(&id)?
        };
        slot.evicted.notify_one();
        Some(async move { slot.closed.notified().await })
    }
}

/// `EMFILE` / `ENFILE`: the process or the system is out of file descriptors.
fn is_out_of_descriptors(e: &io::Error) -> bool {
    matches!(e.raw_os_error(), Some(23 | 24))
}

/// Errors of one connection that `accept` reports; the listener itself is fine.
fn is_connection_error(e: &io::Error) -> bool {
    matches!(
        e.kind(),
        io::ErrorKind::ConnectionRefused
            | io::ErrorKind::ConnectionAborted
            | io::ErrorKind::ConnectionReset
    )
}

/// The checks between hyper and the router: request target and header size, and the request
/// deadline (body read and handling), all answered in the error envelope.
fn guard(app: Router, limits: &Limits) -> Router {
    app.layer(middleware::from_fn_with_state(
        limits.clone(),
        check_request,
    ))
}

async fn check_request(State(limits): State<Limits>, request: Request, next: Next) -> Response {
    let uri = request.uri();
    let target_len = uri.path_and_query().map_or(0, |pq| pq.as_str().len())
        + uri.authority().map_or(0, |a| a.as_str().len());
    if target_len > limits.max_uri_bytes {
        tracing::info!(
            method = %request.method(),
            target_len,
            status = 414,
            "answered"
        );
        return closing(iamport_server::envelope::error(
            StatusCode::URI_TOO_LONG,
            format!(
                "요청 URI가 너무 깁니다. (request target longer than {} bytes)",
                limits.max_uri_bytes
            ),
        ));
    }
    let header_bytes: usize = request
        .headers()
        .iter()
        .map(|(name, value)| name.as_str().len() + value.len() + 4)
        .sum();
    if header_bytes > limits.max_header_bytes {
        tracing::info!(
            method = %request.method(),
            path = %request.uri().path(),
            header_bytes,
            status = 431,
            "answered"
        );
        return closing(iamport_server::envelope::error(
            StatusCode::REQUEST_HEADER_FIELDS_TOO_LARGE,
            format!(
                "요청 헤더가 너무 큽니다. (header section larger than {} bytes)",
                limits.max_header_bytes
            ),
        ));
    }
    let method = request.method().clone();
    let uri = request.uri().clone();
    match tokio::time::timeout(limits.request_timeout, next.run(request)).await {
        Ok(response) => response,
        Err(_) => {
            tracing::info!(%method, path = %uri.path(), status = 408, "answered");
            closing(iamport_server::envelope::error(
                StatusCode::REQUEST_TIMEOUT,
                format!(
                    "요청 시간이 초과되었습니다. (request not complete within {} s)",
                    limits.request_timeout.as_secs_f64()
                ),
            ))
        }
    }
}

/// Marks an answer as the last on its connection (the rest of the request may still be unread).
fn closing(mut response: Response) -> Response {
    response
        .headers_mut()
        .insert(header::CONNECTION, HeaderValue::from_static("close"));
    response
}
