//! The API secret and access tokens never show in `Debug`, `Display` or tracing output.

use std::io;
use std::sync::{Arc, Mutex};

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

/// Collects everything a `fmt` subscriber writes.
#[derive(Clone, Default)]
struct Captured(Arc<Mutex<Vec<u8>>>);

impl io::Write for Captured {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

impl<'a> tracing_subscriber::fmt::MakeWriter<'a> for Captured {
    type Writer = Captured;
    fn make_writer(&'a self) -> Self::Writer {
        self.clone()
    }
}

/// Captures the events of this thread at every level until the returned value is dropped (use a
/// single-threaded runtime so the client's events happen on this thread).
pub struct Logs {
    captured: Captured,
    _guard: tracing::subscriber::DefaultGuard,
}

impl Logs {
    pub fn text(&self) -> String {
        String::from_utf8(self.captured.0.lock().unwrap().clone()).unwrap()
    }
}

pub fn capture_logs() -> Logs {
    let captured = Captured::default();
    let subscriber = tracing_subscriber::fmt()
        .with_max_level(tracing::Level::TRACE)
        .with_ansi(false)
        .with_writer(captured.clone())
        .finish();
    let guard = tracing::subscriber::set_default(subscriber);
    // Callsites registered by other tests' threads before this subscriber existed.
    tracing::callsite::rebuild_interest_cache();
    Logs {
        captured,
        _guard: guard,
    }
}

// Single-threaded runtime: the thread-local subscriber sees every event of the client.
#[tokio::test(flavor = "current_thread")]
async fn tracing_events_never_show_the_secret_or_a_token() {
    let captured = Captured::default();
    let subscriber = tracing_subscriber::fmt()
        .with_max_level(tracing::Level::TRACE)
        .with_ansi(false)
        .with_writer(captured.clone())
        .finish();
    let _guard = tracing::subscriber::set_default(subscriber);
    // Callsites registered by other tests' threads before this subscriber existed.
    tracing::callsite::rebuild_interest_cache();

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

    let logs = String::from_utf8(captured.0.lock().unwrap().clone()).unwrap();
    for event in [
        "fetching iamport access token",
        "fetched iamport access token",
        "iamport answered 401; refreshing the access token and retrying once",
    ] {
        assert!(logs.contains(event), "missing {event:?} in:\n{logs}");
    }
    assert_no_secret("tracing output", &logs);
}
