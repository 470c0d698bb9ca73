//! The stateful sandbox, end to end: payment flows through the control API and PortOne's
//! operations, webhooks and their retries, the movable clock. Every answer of a PortOne operation is
//! also checked against the spec's schema for its (operation, status), so the behaviour cannot drift
//! from the contract the other tests hold the client and mocks to.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use iamport_contract_tests::{Declared, declared, response_schema, spec};
use iamport_sandbox::{Checkout, DeliveryState, Deposit, Sandbox};
use serde_json::{Value, json};

/// Raw HTTP against a started sandbox, checking every answer against the spec.
struct Api {
    base: String,
    token: String,
    http: reqwest::Client,
    spec: Value,
    declared: Vec<Declared>,
}

impl Api {
    async fn new(base: &str, key: &str, secret: &str) -> Self {
        let http = reqwest::Client::new();
        let spec = spec();
        let mut api = Self {
            base: base.to_owned(),
            token: String::new(),
            http,
            declared: declared(&spec),
            spec,
        };
        api.renew(key, secret).await;
        api
    }

    /// A token that is valid on the sandbox's clock now.
    async fn renew(&mut self, key: &str, secret: &str) {
        let base = &self.base;
        let token: Value = self
            .http
            .post(format!("{base}/users/getToken"))
            .json(&json!({ "imp_key": key, "imp_secret": secret }))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        self.token = token["response"]["access_token"]
            .as_str()
            .unwrap()
            .to_owned();
    }

    /// `operation_id`'s request; the status and body, after checking the body against the spec's
    /// schema for that status.
    async fn call(
        &self,
        operation_id: &str,
        method: &str,
        path: &str,
        body: Option<Value>,
    ) -> (u16, Value) {
        let url = format!("{}{path}", self.base);
        let request = match method {
            "GET" => self.http.get(url),
            "POST" => self.http.post(url),
            "PUT" => self.http.put(url),
            "DELETE" => self.http.delete(url),
            other => panic!("method {other}"),
        };
        let request = match body {
            Some(b) => request.json(&b),
            None => request,
        };
        let answer = request.bearer_auth(&self.token).send().await.unwrap();
        let status = answer.status().as_u16();
        let body: Value = answer.json().await.unwrap();
        let d = self
            .declared
            .iter()
            .find(|d| d.operation_id == operation_id && d.status == status)
            .unwrap_or_else(|| {
                panic!("{operation_id} answered {status}, which the spec does not declare: {body}")
            });
        let schema = response_schema(&self.spec, d).expect("a JSON schema");
        let validator = jsonschema::validator_for(&schema).unwrap();
        let errors: Vec<String> = validator
            .iter_errors(&body)
            .map(|e| e.to_string())
            .collect();
        assert!(
            errors.is_empty(),
            "{operation_id} {status}: {errors:?}\n{body}"
        );
        (status, body)
    }
}

/// A merchant's webhook endpoint: records every body; answers `fail_first` requests with 500.
async fn merchant(fail_first: usize) -> (String, Arc<Mutex<Vec<Value>>>) {
    let got = Arc::new(Mutex::new(vec![]));
    let seen = Arc::new(Mutex::new(0usize));
    let app = axum::Router::new().route(
        "/webhook",
        axum::routing::post({
            let got = got.clone();
            move |axum::Json(body): axum::Json<Value>| {
                let got = got.clone();
                let seen = seen.clone();
                async move {
                    let n = {
                        let mut seen = seen.lock().unwrap();
                        *seen += 1;
                        *seen
                    };
                    got.lock().unwrap().push(body);
                    if n <= fail_first {
                        axum::http::StatusCode::INTERNAL_SERVER_ERROR
                    } else {
                        axum::http::StatusCode::OK
                    }
                }
            }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/webhook", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await });
    (url, got)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn prepare_pay_webhook_verify_and_cancel_in_part() {
    let sandbox = Sandbox::start().await.unwrap();
    let api = Api::new(&sandbox.base_url, &sandbox.imp_key, &sandbox.imp_secret).await;
    let (hook, received) = merchant(0).await;

    // the amount registered in advance; a second registration of the same order is refused
    let (_, body) = api
        .call(
            "preparePayment",
            "POST",
            "/payments/prepare",
            Some(json!({"merchant_uid": "o-1", "amount": 15000})),
        )
        .await;
    assert_eq!(body["response"]["amount"], 15000.0);
    let (status, body) = api
        .call(
            "preparePayment",
            "POST",
            "/payments/prepare",
            Some(json!({"merchant_uid": "o-1", "amount": 1})),
        )
        .await;
    assert_eq!((status, body["code"].clone()), (200, json!(1)), "{body}");

    // a checkout with another amount fails; the registered one is paid and notified
    let tampered = sandbox
        .control
        .checkout(Checkout::card("o-1", 100.0).notice_url(&hook))
        .await
        .unwrap();
    assert_eq!(tampered.status, "failed");
    let paid = sandbox
        .control
        .checkout(
            Checkout::card("o-1", 15000.0)
                .notice_url(&hook)
                .name("의자"),
        )
        .await
        .unwrap();
    assert_eq!(paid.status, "paid");
    let imp_uid = paid.imp_uid.to_string();
    let bodies = received.lock().unwrap().clone();
    assert_eq!(
        bodies.last().unwrap(),
        &json!({"imp_uid": imp_uid, "merchant_uid": "o-1", "status": "paid"})
    );

    // the merchant verifies with the client
    let webhook = iamport_client::Webhook::parse(
        Some("application/json"),
        bodies.last().unwrap().to_string().as_bytes(),
    )
    .unwrap();
    let verified = sandbox.client.verify_webhook(&webhook).await.unwrap();
    assert_eq!(verified.amount, 15000.0);

    // looked up every way
    let (_, one) = api
        .call(
            "getPaymentByImpUid",
            "GET",
            &format!("/payments/{imp_uid}"),
            None,
        )
        .await;
    assert_eq!(one["response"]["status"], "paid");
    let (_, by_mid) = api
        .call(
            "getPaymentByMerchantUid",
            "GET",
            "/payments/find/o-1/paid",
            None,
        )
        .await;
    assert_eq!(by_mid["response"]["imp_uid"], imp_uid.as_str());
    let (_, all) = api
        .call(
            "getAllPaymentsByMerchantUid",
            "GET",
            "/payments/findAll/o-1/failed",
            None,
        )
        .await;
    assert_eq!(all["response"]["total"], 1, "the failed checkout: {all}");
    let (_, paged) = api
        .call(
            "getPaymentsByStatus",
            "GET",
            "/payments/status/all?limit=1&page=1",
            None,
        )
        .await;
    assert_eq!(paged["response"]["list"].as_array().unwrap().len(), 1);
    assert_eq!(paged["response"]["next"], 2);

    // partial cancel, then over the rest (refused), then the rest
    let (_, part) = api
        .call(
            "cancelPayment",
            "POST",
            "/payments/cancel",
            Some(json!({"imp_uid": imp_uid, "amount": 5000, "reason": "부분 환불"})),
        )
        .await;
    assert_eq!(part["response"]["status"], "paid");
    assert_eq!(part["response"]["cancel_amount"], 5000.0);
    assert_eq!(
        part["response"]["cancel_history"].as_array().unwrap().len(),
        1
    );
    let (_, over) = api
        .call(
            "cancelPayment",
            "POST",
            "/payments/cancel",
            Some(json!({"imp_uid": imp_uid, "amount": 20000})),
        )
        .await;
    assert_eq!(over["code"], 1, "{over}");
    let (_, rest) = api
        .call(
            "cancelPayment",
            "POST",
            "/payments/cancel",
            Some(json!({"merchant_uid": "o-1", "checksum": 10000})),
        )
        .await;
    assert_eq!(rest["response"]["status"], "cancelled", "{rest}");
    assert_eq!(
        rest["response"]["cancel_history"].as_array().unwrap().len(),
        2
    );
    let (_, again) = api
        .call(
            "cancelPayment",
            "POST",
            "/payments/cancel",
            Some(json!({"imp_uid": imp_uid})),
        )
        .await;
    assert_eq!(again["message"], "이미 전액취소된 주문입니다.");
    // the full cancellation was notified, with its cancellation id
    tokio::time::timeout(Duration::from_secs(10), async {
        while received.lock().unwrap().len() < 3 {
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    })
    .await
    .expect("the cancellation's webhook");
    let last = received.lock().unwrap().last().unwrap().clone();
    assert_eq!(last["status"], "cancelled");
    assert!(last["cancellation_id"].is_string(), "{last}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn virtual_account_issued_deposited_and_refunded_to_an_account() {
    let sandbox = Sandbox::start().await.unwrap();
    let api = Api::new(&sandbox.base_url, &sandbox.imp_key, &sandbox.imp_secret).await;
    let (hook, received) = merchant(0).await;
    sandbox.control.set_notice_url(Some(hook));

    let issued = sandbox
        .control
        .checkout(Checkout::vbank("v-1", 30000.0))
        .await
        .unwrap();
    assert_eq!(issued.status, "ready");
    assert!(issued.vbank_num.is_some());
    let imp_uid = issued.imp_uid.to_string();
    let (_, not_yet) = api
        .call(
            "cancelPayment",
            "POST",
            "/payments/cancel",
            Some(json!({"imp_uid": imp_uid})),
        )
        .await;
    assert_eq!(not_yet["code"], 1);

    let paid = sandbox
        .control
        .deposit(&imp_uid, Deposit::default())
        .await
        .unwrap();
    assert_eq!(paid.status, "paid");
    let statuses: Vec<Value> = received
        .lock()
        .unwrap()
        .iter()
        .map(|b| b["status"].clone())
        .collect();
    assert_eq!(statuses, [json!("ready"), json!("paid")]);
    assert!(
        sandbox
            .control
            .deposit(&imp_uid, Deposit::default())
            .await
            .is_err()
    );

    // a refund of a virtual account needs the account
    let (_, no_account) = api
        .call(
            "cancelPayment",
            "POST",
            "/payments/cancel",
            Some(json!({"imp_uid": imp_uid})),
        )
        .await;
    assert_eq!(no_account["code"], 1);
    let (_, refunded) = api
        .call("cancelPayment", "POST", "/payments/cancel", Some(json!({"imp_uid": imp_uid, "refund_holder": "홍길동", "refund_bank": "088", "refund_account": "110123456789"})))
        .await;
    assert_eq!(refunded["response"]["status"], "cancelled", "{refunded}");

    // issued through the API, then revoked
    let due = sandbox.control.now() + 3600;
    let (_, created) = api
        .call("createVbank", "POST", "/vbanks", Some(json!({"channel_key": "k", "merchant_uid": "v-2", "amount": 1000, "vbank_code": "004", "vbank_due": due})))
        .await;
    assert_eq!(created["response"]["vbank_name"], "KB국민은행", "{created}");
    let uid = created["response"]["imp_uid"].as_str().unwrap();
    let (_, revoked) = api
        .call("revokeVbank", "DELETE", &format!("/vbanks/{uid}"), None)
        .await;
    assert_eq!(revoked["response"]["status"], "cancelled");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn billing_keys_schedules_and_the_clock() {
    let sandbox = Sandbox::start().await.unwrap();
    let mut api = Api::new(&sandbox.base_url, &sandbox.imp_key, &sandbox.imp_secret).await;
    let (hook, received) = merchant(0).await;
    sandbox.control.set_notice_url(Some(hook));

    let (_, key) = api
        .call(
            "customer_save",
            "POST",
            "/subscribe/customers/c-1",
            Some(json!({"card_number": "9410-1111-2222-3333", "expiry": "2099-12"})),
        )
        .await;
    assert_eq!(key["response"]["card_number"], "941011******3333", "{key}");
    let (_, declining) = api
        .call(
            "customer_save",
            "POST",
            "/subscribe/customers/c-2",
            Some(json!({"card_number": "9410-1111-2222-0000", "expiry": "2099-12"})),
        )
        .await;
    assert_eq!(declining["code"], 0);
    let (_, expired) = api
        .call(
            "customer_save",
            "POST",
            "/subscribe/customers/c-3",
            Some(json!({"card_number": "9410-1111-2222-3333", "expiry": "2001-01"})),
        )
        .await;
    assert_eq!(expired["code"], 1);

    let (_, paid) = api
        .call("again", "POST", "/subscribe/payments/again", Some(json!({"customer_uid": "c-1", "merchant_uid": "a-1", "amount": 9900, "name": "월 구독"})))
        .await;
    assert_eq!(paid["response"]["status"], "paid");
    let (_, declined) = api
        .call("again", "POST", "/subscribe/payments/again", Some(json!({"customer_uid": "c-2", "merchant_uid": "a-2", "amount": 9900, "name": "월 구독"})))
        .await;
    assert_eq!(declined["response"]["status"], "failed");
    let (_, unknown) = api
        .call(
            "again",
            "POST",
            "/subscribe/payments/again",
            Some(
                json!({"customer_uid": "nobody", "merchant_uid": "a-3", "amount": 1, "name": "x"}),
            ),
        )
        .await;
    assert_eq!(unknown["message"], "등록되지 않은 구매자입니다.");

    // a schedule runs when the sandbox's clock reaches it, not before
    let at = sandbox.control.now() + 86_400;
    let (_, scheduled) = api
        .call("schedule", "POST", "/subscribe/payments/schedule", Some(json!({"customer_uid": "c-1", "schedules": [
            {"merchant_uid": "s-1", "schedule_at": at, "amount": 9900, "currency": "KRW", "name": "다음 달"},
            {"merchant_uid": "s-2", "schedule_at": at + 86_400, "amount": 9900, "currency": "KRW", "name": "그다음 달"}]})))
        .await;
    assert_eq!(
        scheduled["response"].as_array().map(Vec::len),
        Some(2),
        "{scheduled}"
    );
    let (_, unscheduled) = api
        .call(
            "unschedule",
            "POST",
            "/subscribe/payments/unschedule",
            Some(json!({"customer_uid": "c-1", "merchant_uid": ["s-2"]})),
        )
        .await;
    assert_eq!(
        unscheduled["response"][0]["schedule_status"], "revoked",
        "{unscheduled}"
    );
    sandbox
        .control
        .advance(Duration::from_secs(3600))
        .await
        .unwrap();
    api.renew(&sandbox.imp_key, &sandbox.imp_secret).await;
    let (_, waiting) = api
        .call(
            "getScheduleByMid",
            "GET",
            "/subscribe/payments/schedule/s-1",
            None,
        )
        .await;
    assert_eq!(
        waiting["response"]["schedule_status"], "scheduled",
        "{waiting}"
    );
    sandbox
        .control
        .advance(Duration::from_secs(86_400))
        .await
        .unwrap();
    api.renew(&sandbox.imp_key, &sandbox.imp_secret).await;
    let (_, done) = api
        .call(
            "getScheduleByMid",
            "GET",
            "/subscribe/payments/schedule/s-1",
            None,
        )
        .await;
    assert_eq!(done["response"]["schedule_status"], "executed", "{done}");
    assert_eq!(done["response"]["payment_status"], "paid");
    let (_, payments) = api
        .call(
            "customer_payments",
            "GET",
            "/subscribe/customers/c-1/payments",
            None,
        )
        .await;
    assert_eq!(payments["response"]["total"], 2, "again + the schedule");
    let last = received
        .lock()
        .unwrap()
        .last()
        .cloned()
        .unwrap_or_else(|| panic!("no webhook: {:?}", sandbox.control.webhooks()));
    assert_eq!(
        (last["merchant_uid"].clone(), last["customer_uid"].clone()),
        (json!("s-1"), json!("c-1"))
    );

    // the token the client holds expires with the sandbox's clock, and the client gets a new one
    let before = sandbox.client.access_token().await.unwrap();
    sandbox
        .control
        .advance(Duration::from_secs(31 * 60))
        .await
        .unwrap();
    let (status, _) = api
        .call(
            "getScheduleByMid",
            "GET",
            "/subscribe/payments/schedule/s-1",
            None,
        )
        .await;
    assert_eq!(status, 401, "the old raw token expired");
    let after = sandbox.client.access_token().await.unwrap();
    assert_ne!(before.expose_secret(), after.expose_secret());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn webhooks_are_retried_five_times_a_minute_apart_on_the_sandbox_clock() {
    let sandbox = Sandbox::new(
        &iamport_sandbox::Fixtures::default_set(),
        iamport_sandbox::ManualClock::new(1_764_086_400),
    );
    let control = sandbox.control();
    let (_addr, _stop) = iamport_sandbox::spawn(sandbox).await.unwrap();
    let (hook, received) = merchant(3).await;
    control
        .checkout(Checkout::card("w-1", 1000.0).notice_url(&hook))
        .await
        .unwrap();
    let hooks = control.webhooks();
    assert_eq!(hooks[0].state, DeliveryState::Pending);
    assert_eq!(hooks[0].next_attempt_at, Some(1_764_086_400 + 60));
    control.advance(Duration::from_secs(59)).await.unwrap();
    assert_eq!(received.lock().unwrap().len(), 1, "not before a minute");
    for _ in 0..3 {
        control.advance(Duration::from_secs(60)).await.unwrap();
    }
    let hooks = control.webhooks();
    let statuses: Vec<Option<u16>> = hooks[0].attempts.iter().map(|a| a.status).collect();
    assert_eq!(statuses, [Some(500), Some(500), Some(500), Some(200)]);
    assert_eq!(hooks[0].state, DeliveryState::Delivered);

    // a URL that never answers 2xx: the first attempt and 5 retries, then given up
    let (dead, _) = merchant(usize::MAX).await;
    control
        .checkout(Checkout::card("w-2", 1000.0).notice_url(&dead))
        .await
        .unwrap();
    for _ in 0..10 {
        control.advance(Duration::from_secs(60)).await.unwrap();
    }
    let hooks = control.webhooks();
    assert_eq!(hooks[1].attempts.len(), 6);
    assert_eq!(hooks[1].state, DeliveryState::Failed);
    let times: Vec<i64> = hooks[1].attempts.iter().map(|a| a.at).collect();
    assert!(times.windows(2).all(|w| w[1] - w[0] == 60), "{times:?}");

    // one move of ten minutes makes every retry that fell due in it, each at its own time
    let (dead_too, _) = merchant(usize::MAX).await;
    let at = control.now();
    control
        .checkout(Checkout::card("w-3", 1000.0).notice_url(&dead_too))
        .await
        .unwrap();
    control.advance(Duration::from_secs(600)).await.unwrap();
    let hooks = control.webhooks();
    let times: Vec<i64> = hooks[2].attempts.iter().map(|a| a.at).collect();
    assert_eq!(times, (0..6).map(|i| at + 60 * i).collect::<Vec<_>>());
    assert_eq!(hooks[2].state, DeliveryState::Failed);

    // a clock past 9999-12-31 is refused, and the clock stays
    assert!(control.set_time(i64::MAX).await.is_err());
    assert!(
        control
            .advance(Duration::from_secs(u64::MAX))
            .await
            .is_err()
    );
    assert_eq!(control.now(), at + 600);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn control_endpoints_over_http_and_fixture_overrides() {
    let mut fixtures = iamport_sandbox::Fixtures::default_set();
    let extra = iamport_sandbox::Fixtures::parse(
        "o.yaml",
        &format!(
            "{}\noverrides:\n  - method: GET\n    path: /payments/*/naver/cash-amount\n    status: 500\n    body: {{code: -1, message: \"PG사 점검 중입니다.\", response: null}}\n",
            iamport_sandbox::fixtures::DEFAULT_YAML
        ),
    )
    .unwrap();
    fixtures.overrides = extra.overrides;
    let sandbox = Sandbox::start_with(&fixtures).await.unwrap();
    let http = reqwest::Client::new();
    let base = &sandbox.base_url;
    let out: Value = http
        .post(format!("{base}/sandbox/checkout"))
        .json(&json!({"merchant_uid": "h-1", "amount": 500, "pay_method": "vbank"}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(out["response"]["status"], "ready", "{out}");
    let uid = out["response"]["imp_uid"].as_str().unwrap();
    let deposited = http
        .post(format!("{base}/sandbox/vbanks/{uid}/deposit"))
        .send()
        .await
        .unwrap();
    assert_eq!(deposited.status(), 200);
    let bad = http
        .post(format!("{base}/sandbox/checkout"))
        .json(&json!({"merchant_uid": "h-2"}))
        .send()
        .await
        .unwrap();
    assert_eq!(bad.status(), 400);
    let bad: Value = bad.json().await.unwrap();
    assert!(bad["message"].as_str().unwrap().contains("amount"), "{bad}");
    let clock: Value = http
        .post(format!("{base}/sandbox/clock"))
        .json(&json!({"advance": 600}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert!((clock["response"]["now"].as_i64().unwrap() - sandbox.control.now()).abs() <= 1);

    let api = Api::new(base, &sandbox.imp_key, &sandbox.imp_secret).await;
    let (status, _) = api
        .call(
            "getPaymentByImpUid",
            "GET",
            &format!("/payments/{uid}"),
            None,
        )
        .await;
    assert_eq!(status, 200);
    let reset = http
        .post(format!("{base}/sandbox/reset"))
        .send()
        .await
        .unwrap();
    assert_eq!(reset.status(), 200);
    let (status, _) = api
        .call(
            "getPaymentByImpUid",
            "GET",
            &format!("/payments/{uid}"),
            None,
        )
        .await;
    assert_eq!(
        status, 404,
        "the reset store has only the fixtures' payments"
    );
    let (status, _) = api
        .call(
            "getPaymentByImpUid",
            "GET",
            "/payments/imp_448280090638",
            None,
        )
        .await;
    assert_eq!(status, 200);
    assert!(sandbox.control.webhooks().is_empty());
    let (status, body) = api
        .call(
            "queryCashAmount",
            "GET",
            "/payments/imp_448280090638/naver/cash-amount",
            None,
        )
        .await;
    assert_eq!(
        (status, body["message"].clone()),
        (500, json!("PG사 점검 중입니다."))
    );
}
