//! The vendored upstream file (spec/upstream/openapi.json) read as facts: its known errors are read
//! as meant, and nothing in it stops the reading.

use std::path::Path;

use super::allow::AllowList;
use super::facts::{Api, OpKey};
use super::load::Doc;

fn vendored() -> Doc {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../spec/upstream/openapi.json");
    Doc::read(&path, "spec/upstream/openapi.json").unwrap()
}

fn key(method: &str, path: &str) -> OpKey {
    OpKey {
        method: method.to_owned(),
        path: path.to_owned(),
    }
}

fn ty(api: &Api, method: &str, path: &str, field: &str) -> Option<String> {
    let op = &api[&key(method, path)];
    op.fields
        .get(field)
        .or_else(|| op.payloads.get("200").and_then(|p| p.get(field)))
        .and_then(|f| f.ty.clone())
}

#[test]
fn the_vendored_upstream_file_reads_as_76_operations_with_its_errors_read_as_meant() {
    let api = super::upstream::read(&vendored()).unwrap();
    assert_eq!(api.len(), 76);
    // the two duplicate operationIds stay two operations each (matched by method and path)
    let with_id = |id: &str| {
        api.values()
            .filter(|o| o.operation_id.as_deref() == Some(id))
            .count()
    };
    assert_eq!(
        (
            with_id("naverShipProductOrder"),
            with_id("findSchedulesByCustomer")
        ),
        (2, 2)
    );

    let cancel = &api[&key("POST", "/payments/cancel")];
    assert_eq!(cancel.statuses.iter().collect::<Vec<_>>(), ["200", "401"]);
    assert_eq!(
        ty(&api, "POST", "/payments/cancel", "body.amount").as_deref(),
        Some("number")
    );
    // an array without items: nothing below it, and marked so
    assert!(cancel.fields["body.extra"].items_unknown);
    assert_eq!(
        ty(
            &api,
            "POST",
            "/payments/cancel",
            "response.cancel_history[].amount"
        )
        .as_deref(),
        Some("number")
    );

    // items: "string"
    let naver = &api[&key("POST", "/payments/{imp_uid}/naver/cancel")];
    let items = &naver.fields["body.product_order_id[]"];
    assert_eq!(items.ty.as_deref(), Some("string"));
    assert_eq!(
        items.quirks,
        ["schema written as the bare type name \"string\""]
    );
    // formData with `type: string` beside `schema: {$ref}`: the object
    assert_eq!(
        ty(&api, "POST", "/escrows/logis/{imp_uid}", "body.sender").as_deref(),
        Some("object")
    );
    assert_eq!(
        ty(&api, "POST", "/escrows/logis/{imp_uid}", "body.sender.name").as_deref(),
        Some("string")
    );
    // formData with `type: array` beside `schema: {type: string}`: an array of strings
    assert_eq!(
        ty(
            &api,
            "POST",
            "/subscribe/payments/unschedule",
            "body.merchant_uid[]"
        )
        .as_deref(),
        Some("string")
    );
    // maxLength: "16" does not matter to the facts
    assert_eq!(
        ty(&api, "POST", "/kcpquick/payment/money", "body.member_id").as_deref(),
        Some("string")
    );
    // envelopes named as properties: the alternatives' payloads, one of
    let customer = &api[&key("GET", "/subscribe/customers/{customer_uid}")].payloads["200"];
    assert!(
        customer.contains_key("response.customer_uid")
            && customer.contains_key("response.channelGroupId")
    );
    // required where both alternatives require it
    assert!(customer["response.customer_uid"].required);
    // an envelope without payload has no fields
    assert!(api[&key("POST", "/payments/{imp_uid}/naver/confirm")].payloads["200"].is_empty());
    // formData on a GET is still a body field here (ours may place it elsewhere: a `location` difference)
    assert_eq!(
        ty(&api, "GET", "/naver/reviews", "body.channel_key").as_deref(),
        Some("string")
    );
}

#[test]
fn against_a_spec_of_one_operation_the_other_75_are_upstream_only() {
    let ours = Doc::parse(
        "openapi: 3.0.3\ninfo: {title: t, version: '1'}\npaths:\n  /users/getToken:\n    post:\n      \
         operationId: getToken\n      requestBody:\n        content:\n          application/json:\n            \
         schema:\n              type: object\n              properties:\n                imp_key: {type: string}\n                \
         imp_secret: {type: string}\n      responses:\n        '200': {description: ok}\n        '401': {description: no}\n",
        "ours.yaml",
        false,
    )
    .unwrap();
    let report = super::diff(&vendored(), &ours, &AllowList::default()).unwrap();
    let operations = report
        .differences
        .iter()
        .filter(|d| d.difference.subject == "operation")
        .count();
    assert_eq!(operations, 75);
    // getToken itself: upstream requires both body fields, and its 200 has a payload we did not describe
    let token: Vec<&str> = report
        .differences
        .iter()
        .filter(|d| d.difference.operation == "POST /users/getToken")
        .map(|d| d.id.as_str())
        .collect();
    assert_eq!(
        token,
        [
            "POST /users/getToken body.imp_key required",
            "POST /users/getToken body.imp_secret required",
            "POST /users/getToken response",
        ]
    );
}
