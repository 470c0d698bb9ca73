//! Every server the bench loads answers the measured request with the same bytes, and the A/B pair
//! refuses a missing or wrong token the same way: otherwise the bench would compare different work.

use iamport_bench::{IMP_UID, Mode};

const IMP_KEY: &str = "1234567890123456";
const IMP_SECRET: &str = "sandbox-secret-do-not-use-in-production-0123456789abcdef";

async fn serve(mode: Mode) -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, mode.app()).await });
    format!("http://{addr}")
}

async fn token(http: &reqwest::Client, base: &str) -> String {
    let answer: serde_json::Value = http
        .post(format!("{base}/users/getToken"))
        .json(&serde_json::json!({"imp_key": IMP_KEY, "imp_secret": IMP_SECRET}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    answer["response"]["access_token"]
        .as_str()
        .unwrap()
        .to_owned()
}

async fn get(http: &reqwest::Client, base: &str, token: Option<&str>) -> (u16, String, String) {
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
async fn every_mode_answers_the_same_bytes() {
    let http = reqwest::Client::new();
    let generated = serve(Mode::Generated).await;
    let reference = get(&http, &generated, Some(&token(&http, &generated).await)).await;
    assert_eq!(reference.0, 200, "{reference:?}");
    assert!(
        reference.2.contains("\"amount_total\":33000"),
        "{reference:?}"
    );
    for mode in [
        Mode::Handwritten,
        Mode::GeneratedNoLog,
        Mode::GeneratedStaticToken,
        Mode::HandwrittenHardened,
    ] {
        let base = serve(mode).await;
        let answer = get(&http, &base, Some(&token(&http, &base).await)).await;
        assert_eq!(answer, reference, "{mode:?}");
    }
}

#[tokio::test]
async fn the_ab_pair_refuses_bad_tokens_alike() {
    let http = reqwest::Client::new();
    let generated = serve(Mode::Generated).await;
    let handwritten = serve(Mode::Handwritten).await;
    for token in [None, Some("not-the-token")] {
        let a = get(&http, &generated, token).await;
        let b = get(&http, &handwritten, token).await;
        assert_eq!(a.0, 401, "{a:?}");
        assert_eq!(a, b, "token {token:?}");
    }
}
