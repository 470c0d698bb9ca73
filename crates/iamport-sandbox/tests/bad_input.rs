//! Bad input of every kind against the running sandbox: each answer has the expected status and a body
//! that is the error envelope; client mistakes never get a 5xx; the server survives all of it.

use std::sync::Arc;

use iamport_sandbox::{Fixtures, ManualClock, Sandbox};
use reqwest::Method;
use serde_json::Value;

use iamport_sandbox::credentials::{IMP_KEY as KEY, IMP_SECRET as SECRET};
const NAVER: &str = "/payments/imp_448280090638/naver/cash-amount";

struct Case {
    name: &'static str,
    method: Method,
    path: String,
    headers: Vec<(&'static str, String)>,
    body: Option<Vec<u8>>,
    status: u16,
}

fn case(name: &'static str, method: Method, path: impl Into<String>, status: u16) -> Case {
    Case {
        name,
        method,
        path: path.into(),
        headers: vec![],
        body: None,
        status,
    }
}

impl Case {
    fn header(mut self, name: &'static str, value: impl Into<String>) -> Self {
        self.headers.push((name, value.into()));
        self
    }
    fn json(mut self, body: &str) -> Self {
        self.body = Some(body.as_bytes().to_vec());
        self.header("content-type", "application/json")
    }
    fn raw_body(mut self, body: Vec<u8>) -> Self {
        self.body = Some(body);
        self
    }
}

async fn token(http: &reqwest::Client, base: &str) -> String {
    let answer: Value = http
        .post(format!("{base}/users/getToken"))
        .json(&serde_json::json!({ "imp_key": KEY, "imp_secret": SECRET }))
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

#[tokio::test]
async fn every_bad_request_gets_the_envelope_with_the_right_status() {
    let clock = Arc::new(ManualClock::new(1_764_000_000));
    let (addr, _stop) =
        iamport_sandbox::spawn(Sandbox::new(&Fixtures::default_set(), clock.clone()))
            .await
            .unwrap();
    let base = format!("http://{addr}");
    let http = reqwest::Client::new();

    let expired = token(&http, &base).await;
    clock.advance(31 * 60);
    let valid = token(&http, &base).await;
    assert_ne!(expired, valid, "a new token after expiry");

    let long_uid = "i".repeat(33);
    let unicode_long = "가".repeat(33);
    let get = Method::GET;
    let post = Method::POST;
    let cases = vec![
        // tokens, in all three places
        case("no token", get.clone(), NAVER, 401),
        case("bearer token", get.clone(), NAVER, 200)
            .header("authorization", format!("Bearer {valid}")),
        case("lower-case bearer", get.clone(), NAVER, 200)
            .header("authorization", format!("bearer {valid}")),
        case("raw Authorization token", get.clone(), NAVER, 200)
            .header("authorization", valid.clone()),
        case("X-ImpTokenHeader token", get.clone(), NAVER, 200)
            .header("x-imptokenheader", valid.clone()),
        case("garbled bearer", get.clone(), NAVER, 401)
            .header("authorization", "Bearer 0000deadbeef"),
        case("garbled raw Authorization", get.clone(), NAVER, 401)
            .header("authorization", "garbage"),
        case("garbled X-ImpTokenHeader", get.clone(), NAVER, 401)
            .header("x-imptokenheader", "garbage"),
        case("expired bearer", get.clone(), NAVER, 401)
            .header("authorization", format!("Bearer {expired}")),
        case("expired raw Authorization", get.clone(), NAVER, 401)
            .header("authorization", expired.clone()),
        case("expired X-ImpTokenHeader", get.clone(), NAVER, 401)
            .header("x-imptokenheader", expired.clone()),
        case("empty bearer", get.clone(), NAVER, 401).header("authorization", "Bearer "),
        case("empty X-ImpTokenHeader", get.clone(), NAVER, 401).header("x-imptokenheader", ""),
        case("Basic scheme", get.clone(), NAVER, 401)
            .header("authorization", format!("Basic {valid}")),
        case(
            "Authorization wins over a valid X-ImpTokenHeader",
            get.clone(),
            NAVER,
            401,
        )
        .header("authorization", "Bearer garbage")
        .header("x-imptokenheader", valid.clone()),
        case(
            "valid Authorization beside a garbled X-ImpTokenHeader",
            get.clone(),
            NAVER,
            200,
        )
        .header("authorization", format!("Bearer {valid}"))
        .header("x-imptokenheader", "garbage"),
        // imp_uid: long, odd, empty
        case(
            "imp_uid of 33 characters",
            get.clone(),
            format!("/payments/{long_uid}/naver/cash-amount"),
            400,
        )
        .header("authorization", format!("Bearer {valid}")),
        case(
            "imp_uid of 33 Korean characters",
            get.clone(),
            format!("/payments/{unicode_long}/naver/cash-amount"),
            400,
        )
        .header("authorization", format!("Bearer {valid}")),
        case(
            "unknown imp_uid of exactly 32 characters",
            get.clone(),
            format!("/payments/{}/naver/cash-amount", "i".repeat(32)),
            404,
        )
        .header("authorization", format!("Bearer {valid}")),
        case(
            "percent-encoded slash in imp_uid",
            get.clone(),
            "/payments/imp%2F448280090638/naver/cash-amount",
            404,
        )
        .header("authorization", format!("Bearer {valid}")),
        case(
            "percent-encoded space in imp_uid",
            get.clone(),
            "/payments/imp%20448/naver/cash-amount",
            404,
        )
        .header("authorization", format!("Bearer {valid}")),
        case(
            "unicode imp_uid",
            get.clone(),
            "/payments/%EA%B2%B0%EC%A0%9C_1/naver/cash-amount",
            404,
        )
        .header("authorization", format!("Bearer {valid}")),
        case(
            "invalid UTF-8 in imp_uid",
            get.clone(),
            "/payments/%FF%FE/naver/cash-amount",
            400,
        )
        .header("authorization", format!("Bearer {valid}")),
        case(
            "imp_uid of dots only",
            get.clone(),
            "/payments/.../naver/cash-amount",
            400,
        )
        .header("authorization", format!("Bearer {valid}")),
        case(
            "empty imp_uid (minLength 1)",
            get.clone(),
            "/payments//naver/cash-amount",
            400,
        )
        .header("authorization", format!("Bearer {valid}")),
        case(
            "not a Naver Pay payment",
            get.clone(),
            "/payments/imp_987654321098/naver/cash-amount",
            400,
        )
        .header("authorization", format!("Bearer {valid}")),
        case(
            "unknown payment",
            get.clone(),
            "/payments/imp_000000000000/naver/cash-amount",
            404,
        )
        .header("authorization", format!("Bearer {valid}")),
        case(
            "unknown query parameters are ignored",
            get.clone(),
            format!("{NAVER}?foo=bar&imp_uid=x"),
            200,
        )
        .header("authorization", format!("Bearer {valid}")),
        // methods
        case("POST on the cash-amount path", post.clone(), NAVER, 405),
        case("DELETE on getToken", Method::DELETE, "/users/getToken", 405),
        case("GET on getToken", get.clone(), "/users/getToken", 405),
        case("PUT on the cash-amount path", Method::PUT, NAVER, 405),
        // bodies
        case(
            "getToken without a body",
            post.clone(),
            "/users/getToken",
            400,
        ),
        case(
            "getToken with broken JSON",
            post.clone(),
            "/users/getToken",
            400,
        )
        .json("{\"imp_key\": "),
        case(
            "getToken with a JSON list",
            post.clone(),
            "/users/getToken",
            400,
        )
        .json("[]"),
        case(
            "getToken with JSON null",
            post.clone(),
            "/users/getToken",
            400,
        )
        .json("null"),
        case(
            "getToken without imp_secret",
            post.clone(),
            "/users/getToken",
            400,
        )
        .json(&format!("{{\"imp_key\":\"{KEY}\"}}")),
        case(
            "getToken with a numeric imp_key",
            post.clone(),
            "/users/getToken",
            400,
        )
        .json("{\"imp_key\":1,\"imp_secret\":\"x\"}"),
        case(
            "getToken with invalid UTF-8",
            post.clone(),
            "/users/getToken",
            400,
        )
        .raw_body(vec![b'{', 0xff, 0xfe, b'}']),
        case(
            "getToken with a wrong secret",
            post.clone(),
            "/users/getToken",
            401,
        )
        .json(&format!(
            "{{\"imp_key\":\"{KEY}\",\"imp_secret\":\"nope\"}}"
        )),
        case(
            "getToken with an unknown key",
            post.clone(),
            "/users/getToken",
            401,
        )
        .json("{\"imp_key\":\"nope\",\"imp_secret\":\"nope\"}"),
        case(
            "getToken with a 1 MiB body",
            post.clone(),
            "/users/getToken",
            413,
        )
        .raw_body(vec![b' '; 1 << 20])
        .header("content-type", "application/json"),
        // what the spec refuses beyond the Rust types: null for an optional, non-nullable field,
        // a number out of its declared range, a malformed Tier header
        case("getToken with the fields as an array", post.clone(), "/users/getToken", 400)
            .json(&format!("[\"{KEY}\",\"{SECRET}\"]")),
        case("an optional body as an empty array", post.clone(), "/payments/imp_448280090638/naver/approve-return", 400)
            .header("authorization", format!("Bearer {valid}"))
            .json("[]"),
        case("null inside an inline object", post.clone(), "/subscribe/payments/schedule", 400)
            .header("authorization", format!("Bearer {valid}"))
            .json(r#"{"customer_uid":"c","schedules":[{"merchant_uid":"m","schedule_at":1764086400,"amount":1000,"currency":"KRW","name":"n","extra":{"naverUseCfm":null}}]}"#),
        case("a value inside an inline object", post.clone(), "/subscribe/payments/schedule", 200)
            .header("authorization", format!("Bearer {valid}"))
            .json(r#"{"customer_uid":"customer_1234","schedules":[{"merchant_uid":"m","schedule_at":4102444800,"amount":1000,"currency":"KRW","name":"n","extra":{"naverUseCfm":"20261231"}}]}"#),
        case(
            "prepare with currency: null",
            post.clone(),
            "/payments/prepare",
            400,
        )
        .header("authorization", format!("Bearer {valid}"))
        .json(r#"{"merchant_uid":"order_1","amount":1000,"currency":null}"#),
        case(
            "prepare with a currency",
            post.clone(),
            "/payments/prepare",
            200,
        )
        .header("authorization", format!("Bearer {valid}"))
        .json(r#"{"merchant_uid":"order_1","amount":1000,"currency":"KRW"}"#),
        case(
            "limit above its maximum",
            get.clone(),
            "/payments/status/paid?limit=1001",
            400,
        )
        .header("authorization", format!("Bearer {valid}")),
        case(
            "limit at its maximum",
            get.clone(),
            "/payments/status/paid?limit=1000",
            200,
        )
        .header("authorization", format!("Bearer {valid}")),
        case("Tier with spaces", get.clone(), "/banks", 400)
            .header("authorization", format!("Bearer {valid}"))
            .header("tier", "A B"),
        // routes
        case("unknown path", get.clone(), "/no-such-path", 404),
        case("root", get.clone(), "/", 404),
        case(
            "cash-amount without its last segment",
            get.clone(),
            "/payments/imp_448280090638/naver",
            404,
        ),
        case("trailing slash", post.clone(), "/users/getToken/", 404),
    ];
    assert!(cases.len() >= 30);

    let mut failures = vec![];
    for c in &cases {
        let mut request = http.request(c.method.clone(), format!("{base}{}", c.path));
        for (name, value) in &c.headers {
            request = request.header(*name, value);
        }
        if let Some(body) = &c.body {
            request = request.body(body.clone());
        }
        let response = request
            .send()
            .await
            .unwrap_or_else(|e| panic!("{}: no answer: {e}", c.name));
        let status = response.status().as_u16();
        let content_type = response
            .headers()
            .get("content-type")
            .map(|v| v.to_str().unwrap_or("").to_owned());
        let text = response.text().await.unwrap();
        let envelope: Result<Value, _> = serde_json::from_str(&text);
        let problem = match (&envelope, status) {
            _ if status != c.status => Some(format!("status {status}, expected {}", c.status)),
            (Err(e), _) => Some(format!("body is not JSON ({e}): {text}")),
            _ if !content_type
                .as_deref()
                .is_some_and(|t| t.starts_with("application/json")) =>
            {
                Some(format!("content-type {content_type:?}"))
            }
            (Ok(v), 200) if v["code"] != 0 || v["response"].is_null() => {
                Some(format!("success envelope expected: {v}"))
            }
            (Ok(v), s) if s != 200 && !envelope_error(v) => {
                Some(format!("error envelope expected: {v}"))
            }
            _ => None,
        };
        if let Some(problem) = problem {
            failures.push(format!("{} ({} {}): {problem}", c.name, c.method, c.path));
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {} cases failed:\n{}",
        failures.len(),
        cases.len(),
        failures.join("\n")
    );

    // Nothing above took the server down.
    assert_eq!(
        http.get(format!("{base}{NAVER}"))
            .bearer_auth(&valid)
            .send()
            .await
            .unwrap()
            .status(),
        200
    );
}

/// `{"code": non-zero integer, "message": non-empty string, "response": null or absent}`
fn envelope_error(v: &Value) -> bool {
    v["code"].as_i64().is_some_and(|c| c != 0)
        && v["message"].as_str().is_some_and(|m| !m.trim().is_empty())
        && v.get("response").is_none_or(Value::is_null)
}

#[tokio::test]
async fn a_405_names_the_allowed_methods() {
    let (addr, _stop) = iamport_sandbox::spawn(Sandbox::new(
        &Fixtures::default_set(),
        iamport_sandbox::SystemClock,
    ))
    .await
    .unwrap();
    let response = reqwest::Client::new()
        .delete(format!("http://{addr}/users/getToken"))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 405);
    let allow = response
        .headers()
        .get("allow")
        .map(|v| v.to_str().unwrap().to_owned());
    assert_eq!(allow.as_deref(), Some("POST"));
}
