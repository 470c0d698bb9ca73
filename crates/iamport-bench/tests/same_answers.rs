//! Both servers the bench loads answer the measured request with the same bytes, and refuse a
//! missing or wrong token the same way: otherwise the bench would compare different work.

use iamport_bench::{IMP_UID, Mode};

/// Serves `mode` on a free loopback port: its base URL and a token it accepts.
async fn serve(mode: Mode) -> (String, String) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let (app, token) = mode.app().await;
    tokio::spawn(async move { axum::serve(listener, app).await });
    (format!("http://{addr}"), token)
}

async fn get(base: &str, token: Option<&str>) -> (u16, String, String) {
    let http = reqwest::Client::builder()
        .timeout(std::time::Duration::from_secs(10))
        .build()
        .unwrap();
    let mut request = http.get(format!("{base}/payments/{IMP_UID}/naver/cash-amount"));
    if let Some(token) = token {
        request = request.bearer_auth(token);
    }
    let response = request.send().await.unwrap();
    let status = response.status().as_u16();
    let content_type = response.headers()["content-type"]
        .to_str()
        .unwrap()
        .to_owned();
    (status, content_type, response.text().await.unwrap())
}

#[tokio::test]
async fn both_servers_answer_the_same_bytes_and_refuse_bad_tokens_alike() {
    let (generated, generated_token) = serve(Mode::Generated).await;
    let (handwritten, handwritten_token) = serve(Mode::Handwritten).await;

    let reference = get(&generated, Some(&generated_token)).await;
    assert_eq!(reference.0, 200, "{reference:?}");
    assert!(
        reference.2.contains("\"amount_total\":33000"),
        "{reference:?}"
    );
    assert_eq!(get(&handwritten, Some(&handwritten_token)).await, reference);

    for token in [None, Some("not-the-token")] {
        let a = get(&generated, token).await;
        assert_eq!(a.0, 401, "{a:?}");
        assert_eq!(get(&handwritten, token).await, a, "token {token:?}");
    }
}
