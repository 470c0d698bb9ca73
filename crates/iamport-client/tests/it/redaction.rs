//! The API secret and access tokens never show in `Debug`, `Display` or tracing output.

use std::cell::RefCell;
use std::io;
use std::sync::{Arc, Mutex, Once};

use tracing_subscriber::layer::{Layer, SubscriberExt};
use tracing_subscriber::util::SubscriberInitExt;

use httpmock::MockServer;
use iamport_client::{IamportClient, RequestAuth};
use iamport_httpmock::MockServerExt;

use crate::common::*;

fn assert_no_secret(what: &str, text: &str) {
    for secret in [SECRET, TOKEN, TOKEN_2] {
        assert!(!text.contains(secret), "{what} leaks {secret:?}: {text}");
    }
}

#[tokio::test]
async fn debug_and_display_never_show_the_secret_or_a_token() {
    let server = MockServer::start_async().await;
    let first = mock_token(&server, TOKEN);
    first.up_to_n_times_async(1).await;
    server.get_token(|_, then| {
        then.unauthorized(&error("인증에 실패하였습니다."));
    });
    server.query_cash_amount(|_, then| {
        then.unauthorized(&error("expired"));
    });
    let (client, _) = client(&server);

    let builder = IamportClient::builder(KEY, SECRET);
    let mut shown = vec![
        ("builder", format!("{builder:?}")),
        ("client before a token", format!("{client:?}")),
    ];
    let token = client.access_token().await.unwrap();
    assert_eq!(token.expose_secret(), TOKEN);
    shown.push(("client with a token", format!("{client:#?}")));
    shown.push(("token", format!("{token:?}")));
    shown.push(("RequestAuth", format!("{:?}", RequestAuth::bearer(TOKEN))));
    shown.push((
        "authorized raw client",
        format!("{:?}", client.authorized_raw().await.unwrap()),
    ));

    // The call's 401 is followed by a failed refresh (401 from getToken): both paths' errors.
    let error = client.query_cash_amount(UID).await.unwrap_err();
    assert_eq!(error.operation(), Some("getToken"));
    shown.push(("error Display", format!("{error}")));
    shown.push(("error Debug", format!("{error:#?}")));

    assert!(shown[2].1.contains("token_cached: true"), "{}", shown[2].1);
    assert!(shown[0].1.contains("<redacted>") && shown[1].1.contains("<redacted>"));
    for (what, text) in &shown {
        assert_no_secret(what, text);
    }
}

thread_local! {
    /// Where this thread's events go while a [`Logs`] is alive on it.
    static CAPTURE: RefCell<Option<Arc<Mutex<Vec<u8>>>>> = const { RefCell::new(None) };
}

/// Writes an event into the capture of the thread it happens on.
struct ThisThread;

impl io::Write for ThisThread {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        CAPTURE.with(|c| {
            if let Some(captured) = &*c.borrow() {
                captured.lock().unwrap().extend_from_slice(buf);
            }
        });
        Ok(buf.len())
    }
    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

/// Captures the events of this thread at every level until dropped (use a single-threaded
/// runtime so the client's events happen on this thread).
///
/// One global subscriber, filtering per event on whether its thread captures: scoped
/// (`set_default`) subscribers on several threads at once race with tracing's global per-callsite
/// interest cache, and lose events.
pub struct Logs(Arc<Mutex<Vec<u8>>>);

impl Logs {
    pub fn text(&self) -> String {
        String::from_utf8(self.0.lock().unwrap().clone()).unwrap()
    }
}

impl Drop for Logs {
    fn drop(&mut self) {
        CAPTURE.with(|c| c.borrow_mut().take());
    }
}

pub fn capture_logs() -> Logs {
    static INSTALL: Once = Once::new();
    INSTALL.call_once(|| {
        let layer = tracing_subscriber::fmt::layer()
            .with_ansi(false)
            .with_writer(|| ThisThread)
            // A dynamic filter is asked for every event: no callsite is cached as disabled.
            .with_filter(tracing_subscriber::filter::dynamic_filter_fn(|_, _| {
                CAPTURE.with(|c| c.borrow().is_some())
            }));
        tracing_subscriber::registry()
            .with(layer)
            .try_init()
            .expect("no other global subscriber in this test binary");
    });
    let captured = Arc::new(Mutex::new(Vec::new()));
    CAPTURE.with(|c| *c.borrow_mut() = Some(captured.clone()));
    Logs(captured)
}

// Single-threaded runtime: the thread-local subscriber sees every event of the client.
#[tokio::test(flavor = "current_thread")]
async fn tracing_events_never_show_the_secret_or_a_token() {
    let captured = capture_logs();

    let server = MockServer::start_async().await;
    let first = mock_token(&server, TOKEN);
    first.up_to_n_times_async(1).await;
    mock_token(&server, TOKEN_2);
    server.query_cash_amount(|when, then| {
        when.into_inner().header("authorization", bearer(TOKEN));
        then.unauthorized(&error("expired"));
    });
    mock_amount(&server, TOKEN_2);
    let (client, _) = client(&server);

    client.query_cash_amount(UID).await.unwrap();

    let logs = captured.text();
    for event in [
        "fetching iamport access token",
        "fetched iamport access token",
        "iamport answered 401; refreshing the access token and retrying once",
    ] {
        assert!(logs.contains(event), "missing {event:?} in:\n{logs}");
    }
    assert_no_secret("tracing output", &logs);
}
