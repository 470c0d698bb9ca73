//! The load generator of `bench-load` against a sandbox in this process: it gets a token, sends the
//! whole mix, counts every answer under its request and status, and reports a refused connection as
//! such instead of failing.

use std::time::Duration;

use iamport_bench::Mode;
use iamport_bench::load::{self, Load};

/// Serves the sandbox (generated router, built-in fixtures) on a free loopback port.
async fn sandbox() -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let (app, _) = Mode::Generated.app().await;
    tokio::spawn(async move { axum::serve(listener, app).await });
    format!("http://{addr}")
}

fn short() -> Load {
    Load {
        concurrency: 4,
        duration: Duration::from_millis(300),
        timeout: Duration::from_secs(5),
    }
}

#[tokio::test]
async fn every_request_of_the_mix_is_sent_and_counted_by_status() {
    let test = async {
        let base = sandbox().await;
        let token = load::token(&base).await.unwrap();
        let outcome = load::run(&base, &token, &short(), "test").await.unwrap();
        assert!(outcome.completed > 0, "{outcome:?}");
        assert!(outcome.requests_per_sec > 0.0, "{outcome:?}");
        assert!(outcome.p50_ms <= outcome.p99_ms, "{outcome:?}");
        let names: Vec<&str> = load::mix().iter().map(|r| r.name).collect();
        assert_eq!(
            outcome
                .statuses
                .keys()
                .map(String::as_str)
                .collect::<Vec<_>>(),
            {
                let mut sorted = names.clone();
                sorted.sort_unstable();
                sorted
            }
        );
        // The cash amount of this payment is a 200 in the built-in fixtures, with the token.
        let cash = &outcome.statuses["GET /payments/{imp_uid}/naver/cash-amount"];
        assert_eq!(cash.keys().collect::<Vec<_>>(), ["200"], "{cash:?}");
        // Every request got an answer with an HTTP status (whatever it is), none failed.
        for (name, statuses) in &outcome.statuses {
            assert!(!statuses.is_empty(), "{name} was never sent");
            for status in statuses.keys() {
                let http = status.split(' ').next().unwrap();
                assert!(http.parse::<u16>().is_ok(), "{name}: {status}");
            }
        }
        // The probes: each answered, with the envelope's message; the second prepare of one order is
        // refused (PortOne's HTTP 200 with code 1).
        let answers = load::probe(&base, &token).await.unwrap();
        assert_eq!(answers.len(), load::probes().len());
        let twice = answers
            .iter()
            .find(|a| a.name == "same merchant_uid prepared twice")
            .unwrap();
        assert!(twice.status.starts_with("200 code "), "{twice:?}");
        assert!(
            twice.message.as_deref().is_some_and(|m| !m.is_empty()),
            "{twice:?}"
        );
        let unknown = answers
            .iter()
            .find(|a| a.name == "unknown payment")
            .unwrap();
        assert!(unknown.status.starts_with("404"), "{unknown:?}");
        assert!(
            answers.iter().all(|a| a.violations.is_none()),
            "{answers:?}"
        );
        // A wrong token is measured too: the sandbox refuses it with a 401.
        let refused = load::run(&base, "not-a-token", &short(), "wrong")
            .await
            .unwrap();
        let cash = &refused.statuses["GET /payments/{imp_uid}/naver/cash-amount"];
        assert_eq!(cash.keys().collect::<Vec<_>>(), ["401 code -1"], "{cash:?}");
    };
    tokio::time::timeout(Duration::from_secs(60), test)
        .await
        .expect("the load test took over 60 s");
}

#[tokio::test]
async fn a_server_that_is_not_there_is_counted_not_fatal() {
    // A port that was free a moment ago: connections are refused.
    let port = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap().port()
    };
    let base = format!("http://127.0.0.1:{port}");
    let outcome = tokio::time::timeout(
        Duration::from_secs(60),
        load::run(&base, "token", &short(), "absent"),
    )
    .await
    .expect("bounded")
    .unwrap();
    for (name, statuses) in &outcome.statuses {
        assert_eq!(
            statuses.keys().collect::<Vec<_>>(),
            ["connect"],
            "{name}: {statuses:?}"
        );
    }
    assert!(load::token(&base).await.is_err());
}
