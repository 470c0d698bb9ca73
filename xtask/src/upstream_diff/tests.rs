//! The comparison on small inline documents: each test names the behaviour it pins.

use super::allow::AllowList;
use super::load::Doc;
use super::report::{self, Report};

/// An upstream (Swagger 2.0) document: `paths` and `definitions` as YAML, indented by two.
fn upstream(paths: &str, definitions: &str) -> Doc {
    let text = format!(
        "swagger: '2.0'\ninfo: {{title: t, version: '1'}}\npaths:\n{paths}\ndefinitions:\n  \
         ResponseAnnotation:\n    properties:\n      code: {{type: integer}}\n      message: {{type: string}}\n{definitions}"
    );
    Doc::parse(&text, "upstream.yaml", false).unwrap()
}

/// Our (OpenAPI 3.0.3) document.
fn ours(paths: &str, schemas: &str) -> Doc {
    let text = format!(
        "openapi: 3.0.3\ninfo: {{title: t, version: '1'}}\npaths:\n{paths}\ncomponents:\n  schemas:\n    \
         Empty: {{type: object}}\n{schemas}"
    );
    Doc::parse(&text, "ours.yaml", false).unwrap()
}

fn report(up: &Doc, our: &Doc, allow: &AllowList) -> Report {
    super::diff(up, our, allow).unwrap()
}

/// Each difference as printed (`+ upstream only: ...  [id]`).
fn lines(up: &Doc, our: &Doc) -> Vec<String> {
    report(up, our, &AllowList::default())
        .differences
        .iter()
        .map(|s| {
            let d = &s.difference;
            let l = report::line(
                d.kind,
                &d.subject,
                d.aspect.as_deref(),
                d.upstream.as_deref(),
                d.ours.as_deref(),
            );
            format!("{l}  [{}]", s.id)
        })
        .collect()
}

/// An upstream operation with formData parameters and an empty envelope.
fn up_op(method: &str, id: &str, params: &str) -> String {
    format!(
        "    {method}:\n      operationId: {id}\n      parameters:\n{params}      responses:\n        \
         '200': {{description: ok, schema: {{$ref: '#/definitions/ResponseAnnotation'}}}}\n        \
         '401': {{description: no token}}\n"
    )
}

/// Our operation with a request body schema (by name) and an empty envelope.
fn our_op(method: &str, id: &str, body: Option<(&str, &str)>) -> String {
    let body = body.map_or(String::new(), |(media, schema)| {
        format!(
            "      requestBody:\n        content:\n          {media}:\n            schema: {{$ref: \
             '#/components/schemas/{schema}'}}\n"
        )
    });
    format!(
        "    {method}:\n      operationId: {id}\n{body}      responses:\n        '200':\n          \
         description: ok\n          content:\n            application/json:\n              schema: \
         {{$ref: '#/components/schemas/Envelope'}}\n        '401': {{description: no token}}\n"
    )
}

const ENVELOPE: &str = "    Envelope:\n      type: object\n      required: [code]\n      properties:\n        \
     code: {type: integer, format: int64}\n        message: {type: string, nullable: true}\n        \
     response: {type: object, nullable: true}\n";

const CANCEL_PARAMS: &str = "        - {name: imp_uid, in: formData, type: string, required: true}\n        \
     - {name: amount, in: formData, type: number}\n        - {name: reason, in: formData, type: string}\n";

const CANCEL_BODY: &str = "    CancelRequest:\n      type: object\n      required: [imp_uid]\n      \
     properties:\n        imp_uid: {type: string}\n        amount: {type: number, format: double}\n        \
     reason: {type: string}\n";

#[test]
fn form_data_parameters_are_the_properties_of_our_body_whatever_its_media_type() {
    let up = upstream(
        &format!(
            "  /payments/cancel:\n{}",
            up_op("post", "cancelPayment", CANCEL_PARAMS)
        ),
        "",
    );
    for media in [
        "application/json",
        "application/x-www-form-urlencoded",
        "multipart/form-data",
    ] {
        let our = ours(
            &format!(
                "  /payments/cancel:\n{}",
                our_op("post", "cancelPayment", Some((media, "CancelRequest")))
            ),
            &format!("{ENVELOPE}{CANCEL_BODY}"),
        );
        assert_eq!(lines(&up, &our), Vec::<String>::new(), "{media}");
    }
    // both media types at once, each a $ref to the same schema
    let both = our_op("post", "cancelPayment", Some(("application/json", "CancelRequest"))).replace(
        "      responses:",
        "          application/x-www-form-urlencoded:\n            schema: {$ref: '#/components/schemas/CancelRequest'}\n      responses:",
    );
    let our = ours(
        &format!("  /payments/cancel:\n{both}"),
        &format!("{ENVELOPE}{CANCEL_BODY}"),
    );
    assert_eq!(lines(&up, &our), Vec::<String>::new());
}

#[test]
fn an_in_body_parameter_is_its_schemas_properties() {
    let params = "        - {name: body, in: body, required: true, schema: {$ref: '#/definitions/Cancel'}}\n";
    let definitions = "  Cancel:\n    required: [imp_uid]\n    properties:\n      imp_uid: {type: string}\n      \
         amount: {type: number}\n      reason: {type: string}\n";
    let up = upstream(
        &format!(
            "  /payments/cancel:\n{}",
            up_op("post", "cancelPayment", params)
        ),
        definitions,
    );
    let our = ours(
        &format!(
            "  /payments/cancel:\n{}",
            our_op(
                "post",
                "cancelPayment",
                Some(("application/json", "CancelRequest"))
            )
        ),
        &format!("{ENVELOPE}{CANCEL_BODY}"),
    );
    assert_eq!(lines(&up, &our), Vec::<String>::new());
}

#[test]
fn operations_are_matched_by_method_and_path_and_a_renamed_duplicate_id_is_one_difference() {
    // upstream gives two operations the same operationId; we renamed the second
    let params = "        - {name: imp_uid, in: path, type: string, required: true}\n";
    let up = upstream(
        &format!(
            "  /payments/{{imp_uid}}/naver/ship:\n{}  /payments/{{imp_uid}}/naver/ship-exchanged:\n{}  /only/upstream:\n{}",
            up_op("post", "naverShipProductOrder", params),
            up_op("post", "naverShipProductOrder", params),
            up_op("get", "upstreamOnly", "        []\n"),
        ),
        "",
    );
    let path_param = "      parameters:\n        - {name: imp_uid, in: path, required: true, schema: {type: string}}\n";
    let with_param = |op: String| {
        op.replacen("\n", &format!("\n{path_param}"), 2)
            .replacen(path_param, "", 1)
    };
    let our = ours(
        &format!(
            "  /payments/{{imp_uid}}/naver/ship:\n{}  /payments/{{imp_uid}}/naver/ship-exchanged:\n{}  /only/ours:\n{}",
            with_param(our_op("post", "naverShipProductOrder", None)),
            with_param(our_op("post", "naverShipExchangedProductOrder", None)),
            our_op("delete", "oursOnly", None),
        ),
        ENVELOPE,
    );
    assert_eq!(
        lines(&up, &our),
        [
            "- ours only: operation (operationId oursOnly)  [DELETE /only/ours operation]",
            "+ upstream only: operation (operationId upstreamOnly)  [GET /only/upstream operation]",
            "~ differs: operationId: upstream naverShipProductOrder, ours naverShipExchangedProductOrder  \
             [POST /payments/{imp_uid}/naver/ship-exchanged operationId]",
        ]
    );
}

/// The payload trees: upstream's allOf [ResponseAnnotation, {response: $ref}] against our envelope
/// with `response: {type: object, nullable: true, allOf: [$ref]}`, arrays of `$ref`s on both sides.
const UP_PAYMENT: &str = "  PaymentResponse:\n    allOf:\n      - $ref: '#/definitions/ResponseAnnotation'\n      \
     - properties:\n          response: {$ref: '#/definitions/Payment'}\n  Payment:\n    required: [imp_uid]\n    \
     properties:\n      imp_uid: {type: string}\n      amount: {type: number}\n      status: {type: string, enum: [ready, paid]}\n      \
     cancel_history:\n        type: array\n        items: {$ref: '#/definitions/Cancel'}\n  Cancel:\n    properties:\n      \
     amount: {type: number}\n      cancelled_at: {type: integer}\n";

fn our_payment(payment: &str) -> String {
    format!(
        "    PaymentResponse:\n      type: object\n      required: [code]\n      properties:\n        \
         code: {{type: integer, format: int64}}\n        message: {{type: string, nullable: true}}\n        \
         response:\n          type: object\n          nullable: true\n          allOf:\n            \
         - $ref: '#/components/schemas/Payment'\n{payment}    Cancel:\n      type: object\n      properties:\n        \
         amount: {{type: number, format: double}}\n        cancelled_at: {{type: integer, format: int64}}\n"
    )
}

const OUR_PAYMENT: &str = "    Payment:\n      type: object\n      required: [imp_uid]\n      properties:\n        \
     imp_uid: {type: string}\n        amount: {type: number, format: double}\n        \
     status: {type: string, enum: [ready, paid]}\n        cancel_history:\n          type: array\n          \
     items: {$ref: '#/components/schemas/Cancel'}\n";

fn payment_docs(our_payment_schema: &str) -> (Doc, Doc) {
    let up = upstream(
        "  /payments/{imp_uid}:\n    get:\n      operationId: getPayment\n      parameters:\n        \
         - {name: imp_uid, in: path, type: string, required: true}\n      responses:\n        \
         '200': {description: ok, schema: {$ref: '#/definitions/PaymentResponse'}}\n        \
         '401': {description: no token}\n",
        UP_PAYMENT,
    );
    let our = ours(
        "  /payments/{imp_uid}:\n    get:\n      operationId: getPayment\n      parameters:\n        \
         - {name: imp_uid, in: path, required: true, schema: {type: string}}\n      responses:\n        \
         '200':\n          description: ok\n          content:\n            application/json:\n              \
         schema: {$ref: '#/components/schemas/PaymentResponse'}\n        '401': {description: no token}\n        \
         '404': {description: no such payment}\n",
        &our_payment(our_payment_schema),
    );
    (up, our)
}

#[test]
fn payload_fields_are_compared_by_path_through_refs_all_of_and_nullable() {
    let (up, our) = payment_docs(OUR_PAYMENT);
    // integer vs integer/int64 and number vs number/double: the same (upstream says no format)
    assert_eq!(
        lines(&up, &our),
        ["- ours only: status 404  [GET /payments/{imp_uid} status 404]"]
    );

    let changed = OUR_PAYMENT
        .replace("enum: [ready, paid]", "enum: [ready, paid, cancelled]")
        .replace("required: [imp_uid]", "required: [imp_uid, amount]")
        .replace(
            "imp_uid: {type: string}",
            "imp_uid: {type: string}\n        pg: {type: string}",
        );
    let (up, our) = payment_docs(&changed);
    let mut cancel = our_payment(&changed);
    cancel = cancel.replace(
        "amount: {type: number, format: double}\n        cancelled_at",
        "amount: {type: integer, format: int64}\n        cancelled_at",
    );
    let our = Doc {
        root: {
            let mut r = our.root.clone();
            r["components"]["schemas"] = ours("", &cancel).root["components"]["schemas"].clone();
            r
        },
        ..our
    };
    assert_eq!(
        lines(&up, &our),
        [
            "~ differs: response.amount required: upstream optional, ours required  [GET /payments/{imp_uid} response.amount required]",
            "~ differs: response.cancel_history[].amount type: upstream number, ours integer/int64  \
             [GET /payments/{imp_uid} response.cancel_history[].amount type]",
            "- ours only: response.pg (string)  [GET /payments/{imp_uid} response.pg]",
            "~ differs: response.status enum: upstream [paid, ready], ours [cancelled, paid, ready]  \
             [GET /payments/{imp_uid} response.status enum]",
            "- ours only: status 404  [GET /payments/{imp_uid} status 404]",
        ]
    );
}

#[test]
fn formats_are_compared_only_where_both_say_one() {
    let up = upstream(
        &format!(
            "  /x:\n{}",
            up_op(
                "get",
                "x",
                "        - {name: a, in: query, type: integer, format: int32}\n        \
                 - {name: b, in: query, type: integer}\n        - {name: c, in: query, type: string, format: date}\n"
            )
        ),
        "",
    );
    let our = ours(
        &format!(
            "  /x:\n{}",
            our_op("get", "x", None).replace(
                "      responses:",
                "      parameters:\n        - {name: a, in: query, schema: {type: integer, format: int64}}\n        \
                 - {name: b, in: query, schema: {type: integer, format: int64}}\n        \
                 - {name: c, in: query, schema: {type: string}}\n      responses:"
            )
        ),
        ENVELOPE,
    );
    assert_eq!(
        lines(&up, &our),
        [
            "~ differs: query.a type: upstream integer/int32, ours integer/int64  [GET /x query.a type]"
        ]
    );
}

#[test]
fn upstreams_errors_are_read_charitably_and_noted_only_beside_a_real_difference() {
    // maxLength "16", items: "string", required naming an absent property, an array without
    // items, a default of the wrong type, a string enum holding booleans, an error answer without
    // schema, no security
    let params = "        - {name: member_id, in: formData, type: string, maxLength: '16', required: true}\n        \
         - {name: product_order_id, in: formData, type: array, items: string}\n        \
         - {name: codes, in: formData, type: array, items: string}\n        \
         - {name: extra, in: formData, type: array}\n        \
         - {name: limit, in: query, type: integer, default: '20', minimum: '1'}\n        \
         - {name: escrow, in: formData, type: string, enum: [true, false]}\n";
    let up = upstream(
        &format!(
            "  /kcpquick/payment/money:\n{}",
            up_op("post", "payWithMoney", params)
        ),
        "",
    );
    let our = ours(
        &format!(
            "  /kcpquick/payment/money:\n{}",
            our_op("post", "payWithMoney", Some(("application/json", "Money"))).replace(
                "      requestBody:",
                "      parameters:\n        - {name: limit, in: query, schema: {type: integer, default: 20, minimum: 1}}\n      requestBody:"
            )
        ),
        &format!(
            "{ENVELOPE}    Money:\n      type: object\n      required: [member_id]\n      properties:\n        \
             member_id: {{type: string, maxLength: 16}}\n        \
             product_order_id: {{type: array, items: {{type: string}}}}\n        \
             codes: {{type: array, items: {{type: integer}}}}\n        \
             extra: {{type: array, items: {{type: object, properties: {{requester: {{type: string}}}}}}}}\n        \
             escrow: {{type: string, enum: ['true', 'false']}}\n"
        ),
    );
    let r = report(&up, &our, &AllowList::default());
    let got: Vec<(String, Option<String>)> = r
        .differences
        .iter()
        .map(|s| (s.id.clone(), s.difference.note.clone()))
        .collect();
    assert_eq!(
        got,
        [(
            "POST /kcpquick/payment/money body.codes[] type".to_owned(),
            Some("upstream: schema written as the bare type name \"string\"".to_owned())
        )]
    );
}

#[test]
fn a_field_on_one_side_only_is_one_line_with_the_count_of_what_is_below_it() {
    let (up, our) = payment_docs(OUR_PAYMENT);
    let mut our = our;
    our.root["components"]["schemas"]["Payment"]["properties"]
        .as_object_mut()
        .unwrap()
        .remove("cancel_history");
    assert_eq!(
        lines(&up, &our),
        [
            "+ upstream only: response.cancel_history (array; 3 fields below)  [GET /payments/{imp_uid} response.cancel_history]",
            "- ours only: status 404  [GET /payments/{imp_uid} status 404]",
        ]
    );
}

#[test]
fn an_input_in_another_place_is_one_location_difference() {
    // upstream puts channel_key of a GET in formData; we send it in the query
    let up = upstream(
        &format!(
            "  /naver/reviews:\n{}",
            up_op(
                "get",
                "getReviews",
                "        - {name: channel_key, in: formData, type: string, required: true}\n"
            )
        ),
        "",
    );
    let our = ours(
        &format!(
            "  /naver/reviews:\n{}",
            our_op("get", "getReviews", None).replace(
                "      responses:",
                "      parameters:\n        - {name: channel_key, in: query, required: true, schema: {type: integer}}\n      responses:"
            )
        ),
        ENVELOPE,
    );
    assert_eq!(
        lines(&up, &our),
        [
            "~ differs: channel_key location: upstream body, ours query  [GET /naver/reviews channel_key location]",
            "~ differs: body.channel_key type: upstream string, ours integer  [GET /naver/reviews body.channel_key type]",
        ]
    );
}

#[test]
fn cycles_end() {
    let up = upstream(
        "  /tree:\n    get:\n      responses:\n        '200': {description: ok, schema: {$ref: '#/definitions/TreeResponse'}}\n",
        "  TreeResponse:\n    properties:\n      response: {$ref: '#/definitions/Node'}\n  Node:\n    \
         properties:\n      name: {type: string}\n      children: {type: array, items: {$ref: '#/definitions/Node'}}\n      \
         parent: {allOf: [{$ref: '#/definitions/Node'}]}\n",
    );
    let our = ours(
        "  /tree:\n    get:\n      responses:\n        '200':\n          description: ok\n          content:\n            \
         application/json:\n              schema:\n                type: object\n                properties:\n                  \
         response: {$ref: '#/components/schemas/Node'}\n",
        "    Node:\n      type: object\n      properties:\n        name: {type: integer}\n        \
         children: {type: array, items: {$ref: '#/components/schemas/Node'}}\n        \
         parent: {type: object, nullable: true, allOf: [{$ref: '#/components/schemas/Node'}]}\n",
    );
    assert_eq!(
        lines(&up, &our),
        [
            "~ differs: response.name type: upstream string, ours integer  [GET /tree response.name type]"
        ]
    );
}

#[test]
fn upstreams_alternatives_named_as_properties_are_our_one_of() {
    let up = upstream(
        "  /subscribe/customers/{customer_uid}:\n    get:\n      responses:\n        '200':\n          description: ok\n          \
         schema:\n            properties:\n              CustomerResponse: {$ref: '#/definitions/CustomerResponse'}\n              \
         SuperResponse: {$ref: '#/definitions/SuperResponse'}\n",
        "  CustomerResponse:\n    allOf:\n      - $ref: '#/definitions/ResponseAnnotation'\n      \
         - properties: {response: {$ref: '#/definitions/Customer'}}\n  SuperResponse:\n    allOf:\n      \
         - $ref: '#/definitions/ResponseAnnotation'\n      - properties: {response: {$ref: '#/definitions/Super'}}\n  \
         Customer:\n    required: [customer_uid, pg_id]\n    properties:\n      customer_uid: {type: string}\n      pg_id: {type: string}\n  \
         Super:\n    required: [customer_uid]\n    properties:\n      customer_uid: {type: string}\n      channelGroupId: {type: string}\n",
    );
    let our = ours(
        "  /subscribe/customers/{customer_uid}:\n    get:\n      responses:\n        '200':\n          description: ok\n          \
         content:\n            application/json:\n              schema:\n                type: object\n                \
         properties:\n                  code: {type: integer}\n                  response:\n                    \
         type: object\n                    nullable: true\n                    oneOf:\n                      \
         - $ref: '#/components/schemas/Customer'\n                      - $ref: '#/components/schemas/Super'\n",
        "    Customer:\n      type: object\n      required: [customer_uid, pg_id]\n      properties:\n        \
         customer_uid: {type: string}\n        pg_id: {type: string}\n    Super:\n      type: object\n      \
         required: [customer_uid]\n      properties:\n        customer_uid: {type: string}\n        channelGroupId: {type: integer}\n",
    );
    assert_eq!(
        lines(&up, &our),
        [
            "~ differs: response.channelGroupId type: upstream string, ours integer  \
          [GET /subscribe/customers/{customer_uid} response.channelGroupId type]"
        ]
    );
}

/// Eight operations: upstream (a new version) drops `pg` and requires `channel_key`; ours still has
/// `pg` and no `channel_key`.
fn channel_key_docs() -> (Doc, Doc) {
    let names = [
        "/payments/cancel",
        "/payments/prepare",
        "/subscribe/payments/again",
        "/subscribe/payments/onetime",
        "/subscribe/customers/{customer_uid}",
        "/vbanks",
        "/cvs",
        "/benepia/payment",
    ];
    let (mut up_paths, mut our_paths) = (String::new(), String::new());
    for (i, path) in names.iter().enumerate() {
        let params = "        - {name: amount, in: formData, type: number}\n        \
             - {name: channel_key, in: formData, type: string, required: true}\n";
        up_paths.push_str(&format!(
            "  {path}:\n{}",
            up_op("post", &format!("op{i}"), params)
        ));
        let media = if i % 2 == 0 {
            "application/json"
        } else {
            "application/x-www-form-urlencoded"
        };
        our_paths.push_str(&format!(
            "  {path}:\n{}",
            our_op("post", &format!("op{i}"), Some((media, "WithPg")))
        ));
    }
    // an operation without the change: not in the summary
    up_paths.push_str(&format!(
        "  /other:\n{}",
        up_op("post", "other", "        []\n")
    ));
    our_paths.push_str(&format!("  /other:\n{}", our_op("post", "other", None)));
    let up = upstream(&up_paths, "");
    let our = ours(
        &our_paths,
        &format!(
            "{ENVELOPE}    WithPg:\n      type: object\n      properties:\n        amount: {{type: number}}\n        \
             pg: {{type: string}}\n"
        ),
    );
    (up, our)
}

#[test]
fn the_summary_groups_the_same_change_across_operations() {
    let (up, our) = channel_key_docs();
    let r = report(&up, &our, &AllowList::default());
    assert_eq!(r.differences.len(), 16);
    let text = report::text(&r, ("up", "ours"), "allow.toml");
    let summary: Vec<&str> = text
        .lines()
        .skip_while(|l| *l != "Summary")
        .skip(1)
        .collect();
    let ops = "POST /benepia/payment (op7), POST /cvs (op6), POST /payments/cancel (op0), POST /payments/prepare (op1), \
         POST /subscribe/customers/{customer_uid} (op4), POST /subscribe/payments/again (op2), \
         POST /subscribe/payments/onetime (op3), POST /vbanks (op5)";
    assert_eq!(
        summary,
        [
            format!(
                "  + upstream only: body.channel_key (string, required) in 8 operations: {ops}"
            )
            .as_str(),
            format!("  - ours only: body.pg (string) in 8 operations: {ops}").as_str(),
            "  16 differences in 8 operations: 8 upstream only, 8 ours only, 0 differ",
            "  0 allowed differences (see allow.toml)",
        ]
    );
    // per operation, each line carries its id
    assert!(text.contains(
        "\nPOST /payments/cancel (op0)\n  + upstream only: body.channel_key (string, required)  \
         [POST /payments/cancel body.channel_key]\n  - ours only: body.pg (string)  [POST /payments/cancel body.pg]\n"
    ));
    // the machines' form says the same
    let json: serde_json::Value = serde_json::to_value(&r).unwrap();
    assert_eq!(
        json["summary"][0]["operations"].as_array().unwrap().len(),
        8
    );
    assert_eq!(json["differences"][0]["kind"], "upstream_only");
    assert_eq!(
        json["differences"][0]["id"],
        "POST /benepia/payment body.channel_key"
    );
}

#[test]
fn allowed_differences_are_counted_not_listed_and_stale_entries_fail() {
    let (up, our) = channel_key_docs();
    let allow = AllowList::parse(
        "[[allow]]\nid = \"* body.pg\"\nwhy = \"we still send pg for old integrations\"\n\n\
         [[allow]]\nid = \"POST /cvs body.channel_key\"\nwhy = \"taken later\"\n\n\
         [[allow]]\nid = \"GET /nowhere status 404\"\nwhy = \"the live API answers 404\"\n",
        "allow.toml",
    )
    .unwrap();
    let r = report(&up, &our, &allow);
    assert_eq!(r.allowed, 9);
    assert_eq!(r.differences.len(), 7);
    assert!(
        r.differences
            .iter()
            .all(|d| d.difference.subject == "body.channel_key")
    );
    assert_eq!(r.stale.len(), 1);
    assert_eq!(r.stale[0].id, "GET /nowhere status 404");
    assert!(r.failed());
    let text = report::text(&r, ("up", "ours"), "spec/upstream/allow.toml");
    assert!(text.contains("  9 allowed differences (see spec/upstream/allow.toml)\n"));
    assert!(text.contains("  1 stale allow-list entries (they match no difference; remove them):\n    GET /nowhere status 404"));

    // everything allowed, nothing stale: passes
    let allow = AllowList::parse(
        "[[allow]]\nid = \"* body.pg\"\nwhy = \"kept\"\n[[allow]]\nid = \"* body.channel_key\"\nwhy = \"later\"\n",
        "allow.toml",
    )
    .unwrap();
    let r = report(&up, &our, &allow);
    assert_eq!(
        (r.allowed, r.differences.len(), r.stale.len(), r.failed()),
        (16, 0, 0, false)
    );
}

#[test]
fn a_bad_allow_list_is_refused_with_file_and_place() {
    let err = |text: &str| {
        AllowList::parse(text, "spec/upstream/allow.toml")
            .unwrap_err()
            .to_string()
    };
    assert_eq!(
        err("[[allow]]\nid = \"GET /x status 404\"\n"),
        "spec/upstream/allow.toml:1:1: missing field `why`"
    );
    assert_eq!(
        err("[[allow]]\nid = \"GET /x status 404\"\nwhy = \"  \"\n"),
        "spec/upstream/allow.toml: [[allow]] entry 1 (GET /x status 404): `why` is empty; say why we differ"
    );
    assert_eq!(
        err("[[allow]]\nid = \"a\"\nwhy = \"b\"\n[[allow]]\nid = \"a\"\nwhy = \"c\"\n"),
        "spec/upstream/allow.toml: [[allow]] entries 1 and 2 have the same id \"a\""
    );
    assert!(
        err("[[allow]]\nid = \"a\"\nwhy = \"b\"\nreason = \"c\"\n")
            .starts_with("spec/upstream/allow.toml:4:1: unknown field `reason`")
    );
    assert!(err("[[allow]]\nid = \"a\nwhy = 1\n").starts_with("spec/upstream/allow.toml:2:"));
    // a file of comments only is an empty list
    assert!(
        AllowList::parse("# nothing yet\n", "a.toml")
            .unwrap()
            .entries
            .is_empty()
    );
}

#[test]
fn unreadable_documents_are_refused_with_file_and_place() {
    let json = Doc::parse(
        "{\n  \"swagger\": \"2.0\",\n  \"paths\": {,\n}",
        "spec/upstream/openapi.json",
        true,
    );
    assert!(
        json.err()
            .unwrap()
            .to_string()
            .starts_with("spec/upstream/openapi.json:3:13: not valid JSON: "),
    );
    let yaml = Doc::parse("openapi: 3.0.3\npaths: [\n", "spec/iamport.yaml", false);
    assert!(
        yaml.err()
            .unwrap()
            .to_string()
            .starts_with("spec/iamport.yaml:")
    );

    let not_swagger = Doc::parse("openapi: 3.0.3\npaths: {}\n", "up.yaml", false).unwrap();
    assert_eq!(
        super::upstream::read(&not_swagger).unwrap_err().to_string(),
        "up.yaml: /swagger: expected \"2.0\" (upstream's document is Swagger 2.0), found nothing"
    );
    let not_ours = Doc::parse("swagger: '2.0'\npaths: {}\n", "ours.yaml", false).unwrap();
    assert_eq!(
        super::ours::read(&not_ours).unwrap_err().to_string(),
        "ours.yaml: /openapi: expected an OpenAPI 3 version, found nothing"
    );
    let bad_op = Doc::parse(
        "swagger: '2.0'\npaths:\n  /x/y:\n    get: 3\n",
        "up.yaml",
        false,
    )
    .unwrap();
    assert_eq!(
        super::upstream::read(&bad_op).unwrap_err().to_string(),
        "up.yaml: /paths/~1x~1y/get: an operation that is not a mapping"
    );
    let dangling = Doc::parse(
        "openapi: 3.0.3\npaths:\n  /x:\n    get:\n      parameters:\n        - $ref: '#/components/parameters/Gone'\n      responses: {}\n",
        "ours.yaml",
        false,
    )
    .unwrap();
    assert_eq!(
        super::ours::read(&dangling).unwrap_err().to_string(),
        "ours.yaml: /paths/~1x/get/parameters/0: $ref \"#/components/parameters/Gone\" points at nothing in this file"
    );
    // and a document that is not a mapping at all
    assert_eq!(
        Doc::parse("[1, 2]", "x.json", true)
            .err()
            .unwrap()
            .to_string(),
        "x.json: the document is not a mapping (an OpenAPI or Swagger object)"
    );
}

#[test]
fn a_field_of_another_type_is_one_line_with_the_count_of_what_is_below_it() {
    // upstream writes `type: string` beside `schema: {$ref}` (the escrow operations): the object
    let params = "        - {name: sender, in: formData, type: string, required: true, schema: {$ref: '#/definitions/Sender'}}\n";
    let up = upstream(
        &format!(
            "  /escrows/logis/{{imp_uid}}:\n{}",
            up_op("post", "escrow_logis_save", params)
        ),
        "  Sender:\n    properties:\n      name: {type: string}\n      tel: {type: string}\n",
    );
    let our = ours(
        &format!(
            "  /escrows/logis/{{imp_uid}}:\n{}",
            our_op(
                "post",
                "escrow_logis_save",
                Some(("application/json", "Escrow"))
            )
        ),
        &format!(
            "{ENVELOPE}    Escrow:\n      type: object\n      required: [sender]\n      properties:\n        \
             sender: {{type: string}}\n"
        ),
    );
    let r = report(&up, &our, &AllowList::default());
    assert_eq!(r.differences.len(), 1);
    let d = &r.differences[0].difference;
    assert_eq!(
        (d.upstream.as_deref(), d.ours.as_deref(), d.note.as_deref()),
        (
            Some("object (2 fields below)"),
            Some("string"),
            Some("upstream: a parameter with type: string beside a schema, read as the schema")
        )
    );
}
