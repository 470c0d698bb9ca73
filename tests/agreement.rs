//! Client, mocks and server agree, for every (operation, status) the spec declares.
//!
//! The pairs come from the spec at test time. For each one a case makes the sandbox (the generated
//! router over a real implementation) answer with that status; then
//! 1. the answer's status and body are validated against the spec's schema for that status;
//! 2. the generated client, calling the sandbox, decodes it into `Ok`/`Err` with the same body;
//! 3. the generated httpmock mock, serving that same body, gives the client the same result.
//!
//! A pair with no case, or a case for a pair the spec no longer declares, fails the suite by name.

use iamport_client::raw::{self, ResponseValue};
use iamport_client::{RawClient, RequestAuth, types};
use iamport_contract_tests::{Declared, declared, response_schema, spec};
use iamport_httpmock::MockServerExt;
use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::Value;

use iamport_sandbox::credentials::{IMP_KEY as KEY, IMP_SECRET as SECRET};

/// How a case makes the server answer with its status.
#[derive(Clone, Debug)]
enum Call {
    GetToken {
        imp_key: &'static str,
        imp_secret: &'static str,
    },
    /// A request body the typed client cannot send (the server must still answer in the envelope).
    GetTokenRawBody(String),
    QueryCashAmount {
        imp_uid: &'static str,
        valid_token: bool,
    },
}

struct Case {
    operation_id: &'static str,
    status: u16,
    call: Call,
}

fn cases() -> Vec<Case> {
    use Call::*;
    let case = |operation_id, status, call| Case {
        operation_id,
        status,
        call,
    };
    vec![
        case(
            "getToken",
            200,
            GetToken {
                imp_key: KEY,
                imp_secret: SECRET,
            },
        ),
        case(
            "getToken",
            400,
            GetTokenRawBody(r#"{"imp_key":"1234567890123456"}"#.into()),
        ),
        case(
            "getToken",
            413,
            GetTokenRawBody(format!(
                r#"{{"imp_key":"{}","imp_secret":"x"}}"#,
                "k".repeat(iamport_server::envelope::BODY_LIMIT)
            )),
        ),
        case(
            "getToken",
            401,
            GetToken {
                imp_key: KEY,
                imp_secret: "wrong-secret",
            },
        ),
        case(
            "queryCashAmount",
            200,
            QueryCashAmount {
                imp_uid: "imp_448280090638",
                valid_token: true,
            },
        ),
        case(
            "queryCashAmount",
            400,
            QueryCashAmount {
                imp_uid: "imp_987654321098",
                valid_token: true,
            },
        ),
        case(
            "queryCashAmount",
            401,
            QueryCashAmount {
                imp_uid: "imp_448280090638",
                valid_token: false,
            },
        ),
        case(
            "queryCashAmount",
            404,
            QueryCashAmount {
                imp_uid: "imp_000000000000",
                valid_token: true,
            },
        ),
        case(
            "queryCashAmount",
            500,
            QueryCashAmount {
                imp_uid: "imps_426515090382",
                valid_token: true,
            },
        ),
    ]
}

/// What a client call came to, in terms that compare across server and mock.
#[derive(Debug, PartialEq)]
enum Outcome {
    Ok { status: u16, body: Value },
    Err { status: u16, body: Value },
    Failed(String),
}

fn outcome<T: Serialize>(
    result: Result<ResponseValue<T>, raw::Error<types::ErrorResponse>>,
) -> Outcome {
    match result {
        Ok(v) => Outcome::Ok {
            status: v.status().as_u16(),
            body: serde_json::to_value(v.into_inner()).unwrap(),
        },
        Err(raw::Error::ErrorResponse(v)) => Outcome::Err {
            status: v.status().as_u16(),
            body: serde_json::to_value(v.into_inner()).unwrap(),
        },
        Err(e) => Outcome::Failed(e.to_string()),
    }
}

/// The typed client call for a case; `None` where the typed client cannot make the request.
async fn client_call(base: &str, token: &str, call: &Call) -> Option<Outcome> {
    let http = reqwest::Client::new();
    match call {
        Call::GetToken {
            imp_key,
            imp_secret,
        } => {
            let client = RawClient::new_with_client(base, http, RequestAuth::none());
            let body = types::GetTokenRequest::builder()
                .imp_key(*imp_key)
                .imp_secret(*imp_secret);
            Some(outcome(client.get_token().body(body).send().await))
        }
        Call::GetTokenRawBody(_) => None,
        Call::QueryCashAmount {
            imp_uid,
            valid_token,
        } => {
            let token = if *valid_token {
                token.to_owned()
            } else {
                "expired-or-unknown-token".to_owned()
            };
            let client = RawClient::new_with_client(base, http, RequestAuth::bearer(token));
            Some(outcome(
                client.query_cash_amount().imp_uid(*imp_uid).send().await,
            ))
        }
    }
}

/// The same request as a plain HTTP call, to see exactly what the server answers.
async fn raw_answer(base: &str, token: &str, call: &Call) -> (u16, Value) {
    let http = reqwest::Client::new();
    let request = match call {
        Call::GetToken {
            imp_key,
            imp_secret,
        } => http
            .post(format!("{base}/users/getToken"))
            .json(&serde_json::json!({ "imp_key": imp_key, "imp_secret": imp_secret })),
        Call::GetTokenRawBody(body) => http
            .post(format!("{base}/users/getToken"))
            .header("content-type", "application/json")
            .body(body.clone()),
        Call::QueryCashAmount {
            imp_uid,
            valid_token,
        } => {
            let token = if *valid_token {
                token
            } else {
                "expired-or-unknown-token"
            };
            http.get(format!("{base}/payments/{imp_uid}/naver/cash-amount"))
                .bearer_auth(token)
        }
    };
    let response = request.send().await.expect("the sandbox answers");
    let status = response.status().as_u16();
    let text = response.text().await.unwrap();
    (
        status,
        serde_json::from_str(&text).unwrap_or(Value::String(text)),
    )
}

fn typed<T: DeserializeOwned>(body: &Value) -> Result<T, String> {
    serde_json::from_value(body.clone())
        .map_err(|e| format!("the server's body does not fit the mock's type: {e}"))
}

/// Registers the generated mock for the case's operation that answers `status` with `body`.
/// `None` when this (operation, status) has no typed answer wired here.
fn mock<'a>(
    server: &'a httpmock::MockServer,
    case: &Case,
    body: &Value,
) -> Option<Result<httpmock::Mock<'a>, String>> {
    let answer = match (case.operation_id, case.status) {
        ("getToken", 200) => typed::<types::AuthResponse>(body).map(|b| {
            server.get_token(move |_, then| {
                then.ok(&b);
            })
        }),
        ("getToken", 400) => typed::<types::ErrorResponse>(body).map(|b| {
            server.get_token(move |_, then| {
                then.bad_request(&b);
            })
        }),
        ("getToken", 413) => typed::<types::ErrorResponse>(body).map(|b| {
            server.get_token(move |_, then| {
                then.payload_too_large(&b);
            })
        }),
        ("getToken", 401) => typed::<types::ErrorResponse>(body).map(|b| {
            server.get_token(move |_, then| {
                then.unauthorized(&b);
            })
        }),
        ("queryCashAmount", status) => {
            let Call::QueryCashAmount { imp_uid, .. } = case.call else {
                return None;
            };
            let uid: types::QueryCashAmountImpUid = imp_uid.parse().unwrap();
            let when = move |w: iamport_httpmock::operations::QueryCashAmountWhen| w.imp_uid(&uid);
            match status {
                200 => typed::<types::NaverCashAmountResponse>(body).map(|b| {
                    server.query_cash_amount(move |w, then| {
                        when(w);
                        then.ok(&b);
                    })
                }),
                400 => typed::<types::ErrorResponse>(body).map(|b| {
                    server.query_cash_amount(move |w, then| {
                        when(w);
                        then.bad_request(&b);
                    })
                }),
                401 => typed::<types::ErrorResponse>(body).map(|b| {
                    server.query_cash_amount(move |w, then| {
                        when(w);
                        then.unauthorized(&b);
                    })
                }),
                404 => typed::<types::ErrorResponse>(body).map(|b| {
                    server.query_cash_amount(move |w, then| {
                        when(w);
                        then.not_found(&b);
                    })
                }),
                500 => typed::<types::ErrorResponse>(body).map(|b| {
                    server.query_cash_amount(move |w, then| {
                        when(w);
                        then.internal_server_error(&b);
                    })
                }),
                _ => return None,
            }
        }
        _ => return None,
    };
    Some(answer)
}

/// For a mock, the typed client call is the one the case would make if it could (a malformed body
/// case asks with a well-formed body: the mock answers the server's answer regardless).
fn call_for_mock(call: &Call) -> Call {
    match call {
        Call::GetTokenRawBody(_) => Call::GetToken {
            imp_key: KEY,
            imp_secret: SECRET,
        },
        other => other.clone(),
    }
}

fn validate(schema: &Value, body: &Value) -> Vec<String> {
    let validator =
        jsonschema::validator_for(schema).expect("the spec's schema compiles as JSON Schema");
    validator
        .iter_errors(body)
        .map(|e| format!("body{}: {e}", e.instance_path()))
        .collect()
}

#[test]
fn every_declared_status_has_exactly_one_case() {
    let spec = spec();
    let cases = cases();
    let missing: Vec<String> = declared(&spec)
        .iter()
        .filter(|d| {
            !cases
                .iter()
                .any(|c| c.operation_id == d.operation_id && c.status == d.status)
        })
        .map(ToString::to_string)
        .collect();
    assert!(
        missing.is_empty(),
        "declared in spec/iamport.yaml but exercised by no case in tests/agreement.rs:\n  {}",
        missing.join("\n  ")
    );
    let stale: Vec<String> = cases
        .iter()
        .filter(|c| {
            !declared(&spec)
                .iter()
                .any(|d| d.operation_id == c.operation_id && d.status == c.status)
        })
        .map(|c| format!("{} → {}", c.operation_id, c.status))
        .collect();
    assert!(
        stale.is_empty(),
        "cases for statuses the spec does not declare: {stale:?}"
    );
    let mut keys: Vec<(&str, u16)> = cases.iter().map(|c| (c.operation_id, c.status)).collect();
    keys.sort();
    keys.dedup();
    assert_eq!(
        keys.len(),
        cases.len(),
        "two cases for the same (operation, status)"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn server_client_and_mocks_agree_on_every_declared_status() {
    let spec = spec();
    // A clock that stands still: each case asks the server twice (raw, then through the client), and
    // getToken's `now` must be the same both times for the answers to compare equal.
    let sandbox = iamport_sandbox::Sandbox::new(
        &iamport_sandbox::Fixtures::default_set(),
        iamport_sandbox::ManualClock::new(1_764_086_400),
    );
    let (addr, _stop) = iamport_sandbox::spawn(sandbox).await.unwrap();
    let base = format!("http://{addr}");
    let token = match raw_answer(
        &base,
        "",
        &Call::GetToken {
            imp_key: KEY,
            imp_secret: SECRET,
        },
    )
    .await
    {
        (200, body) => body["response"]["access_token"]
            .as_str()
            .unwrap()
            .to_owned(),
        other => panic!("no token from the sandbox: {other:?}"),
    };

    let mut failures = vec![];
    for d in declared(&spec) {
        let Some(case) = cases()
            .into_iter()
            .find(|c| c.operation_id == d.operation_id && c.status == d.status)
        else {
            continue; // reported by every_declared_status_has_exactly_one_case
        };
        if let Err(problems) = check_case(&spec, &d, &case, &base, &token).await {
            failures.extend(problems.into_iter().map(|p| format!("{d}: {p}")));
        }
    }
    assert!(
        failures.is_empty(),
        "client, mocks and server disagree:\n{}",
        failures.join("\n")
    );
}

async fn check_case(
    spec: &Value,
    d: &Declared,
    case: &Case,
    base: &str,
    token: &str,
) -> Result<(), Vec<String>> {
    let mut problems = vec![];

    // 1. the server answers the declared status, with a body the spec's schema accepts
    let (status, body) = raw_answer(base, token, &case.call).await;
    if status != d.status {
        return Err(vec![format!("the server answered {status} (body {body})")]);
    }
    match response_schema(spec, d) {
        Some(schema) => problems.extend(
            validate(&schema, &body)
                .into_iter()
                .map(|e| format!("server {e}")),
        ),
        None => problems.push("the spec declares no JSON body for this status".into()),
    }
    let expected = if (200..300).contains(&status) {
        Outcome::Ok {
            status,
            body: body.clone(),
        }
    } else {
        Outcome::Err {
            status,
            body: body.clone(),
        }
    };

    // 2. the generated client decodes the server's answer into the same Ok/Err
    if let Some(via_server) = client_call(base, token, &case.call).await
        && via_server != expected
    {
        problems.push(format!(
            "client against the server got {via_server:?}, expected {expected:?}"
        ));
    }

    // 3. the generated mock serving the same body gives the client the same result
    let mock_server = httpmock::MockServer::start_async().await;
    match mock(&mock_server, case, &body) {
        None => problems
            .push("no typed mock answer is wired for this status in tests/agreement.rs".into()),
        Some(Err(e)) => problems.push(e),
        Some(Ok(m)) => {
            let via_mock =
                client_call(&mock_server.base_url(), token, &call_for_mock(&case.call)).await;
            if via_mock.as_ref() != Some(&expected) {
                problems.push(format!(
                    "client against the mock got {via_mock:?}, expected {expected:?}"
                ));
            }
            if m.calls_async().await != 1 {
                problems.push(format!(
                    "the mock matched {} requests, expected 1",
                    m.calls_async().await
                ));
            }
        }
    }
    if problems.is_empty() {
        Ok(())
    } else {
        Err(problems)
    }
}
