//! How changes of the real spec are classified: drift's part (`drift_alone`) and the verdict.

use std::collections::BTreeSet;

use drift::ChangeClass;
use serde_json::Value;

use super::compare::normalize;
use super::diff;
use super::gate::{Finding, gate};

/// A frozen spec (xtask/testdata), so these tests do not change with the live one.
const SPEC: &str = include_str!("../../testdata/iamport.yaml");

fn yaml(text: &str) -> Value {
    yaml_serde::from_str(text).unwrap()
}

/// The real spec with `from` replaced by `to` (once; it must be there).
fn variant(from: &str, to: &str) -> String {
    assert!(SPEC.contains(from), "not in the spec: {from:?}");
    SPEC.replacen(from, to, 1)
}

/// The real spec without the text from `start` up to (not including) `end`.
fn without(start: &str, end: &str) -> String {
    let a = SPEC.find(start).expect(start);
    let b = a + SPEC[a..].find(end).expect(end);
    format!("{}{}", &SPEC[..a], &SPEC[b..])
}

fn findings(new: &str) -> Vec<Finding> {
    diff(&yaml(SPEC), &yaml(new)).unwrap()
}

/// What drift alone says: (class, message) per change.
/// What drift alone says (class, message) when given what `diff` gives it: the normalized
/// documents (see `raw_drift` for the documents as written).
fn drift_alone(new: &str) -> Vec<(ChangeClass, String)> {
    let (mut old, mut new) = (yaml(SPEC), yaml(new));
    normalize(&mut old);
    normalize(&mut new);
    drift_on(&old, &new)
}

fn raw_drift(old: &str, new: &str) -> Vec<(ChangeClass, String)> {
    drift_on(&yaml(old), &yaml(new))
}

fn drift_on(old: &Value, new: &Value) -> Vec<(ChangeClass, String)> {
    drift::compare(old, new)
        .unwrap()
        .iter()
        .flat_map(|c| c.changes.iter().map(|i| (i.class, i.message.clone())))
        .collect()
}

fn lines(fs: &[Finding]) -> String {
    fs.iter().map(|f| format!("{f}\n")).collect()
}

/// The one finding that contains `needle`; asserts its verdict.
#[track_caller]
fn expect(fs: &[Finding], needle: &str, breaking: bool) -> Finding {
    let hits: Vec<&Finding> = fs
        .iter()
        .filter(|f| f.to_string().contains(needle))
        .collect();
    assert_eq!(hits.len(), 1, "{needle:?} in:\n{}", lines(fs));
    assert_eq!(hits[0].breaking, breaking, "{}", hits[0]);
    hits[0].clone()
}

#[track_caller]
fn all_compatible(fs: &[Finding]) {
    assert!(!fs.is_empty());
    assert!(fs.iter().all(|f| !f.breaking), "{}", lines(fs));
}

#[test]
fn the_same_spec_has_no_changes() {
    assert_eq!(findings(SPEC), vec![]);
    assert_eq!(gate(&[], "1.0.0", "1.0.0"), Ok(None));
}

#[test]
fn removed_operation_is_breaking_drift() {
    let new = without("  /users/getToken:\n", "  /payments/");
    assert_eq!(
        drift_alone(&new),
        vec![(
            ChangeClass::BackwardIncompatible,
            "The operation getToken was removed".into()
        )]
    );
    let f = expect(&findings(&new), "The operation getToken was removed", true);
    assert_eq!(f.pointer, "#/paths/~1users~1getToken/post");
    assert_eq!(findings(&new).len(), 1);
}

#[test]
fn removed_response_status_is_breaking_although_drift_calls_it_forward_only() {
    let new = without("        '404':\n", "        '500':\n");
    assert_eq!(
        drift_alone(&new),
        vec![(
            ChangeClass::ForwardIncompatible,
            "operation no longer responds with status 404".into()
        )]
    );
    let fs = findings(&new);
    expect(
        &fs,
        "no longer responds with status 404 (the generated client or mocks lose",
        true,
    );
    assert_eq!(fs.len(), 1, "{}", lines(&fs));
}

const AMOUNT_VAT: &str = "        amount_vat:\n          type: integer\n          format: int64\n          description: 현금영수증 발급가능 총액 중 부가세 (VAT)\n";

#[test]
fn removed_response_property_is_breaking_supplement() {
    let new = variant(AMOUNT_VAT, "").replacen(", amount_vat]", "]", 1);
    // drift: the same Unhandled note as for an added property (see the next test).
    let drift = drift_alone(&new);
    assert!(
        drift.contains(&(ChangeClass::Unhandled, "object properties changed".into())),
        "{drift:?}"
    );
    let fs = findings(&new);
    let f = expect(&fs, "property `amount_vat` removed", true);
    assert_eq!(
        f.pointer,
        "#/components/schemas/NaverCashAmountAnnotation/properties/amount_vat"
    );
    assert!(
        f.context
            .contains("response of GET /payments/{imp_uid}/naver/cash-amount"),
        "{f}"
    );
    assert!(
        !lines(&fs).contains("drift cannot classify"),
        "superseded:\n{}",
        lines(&fs)
    );
}

#[test]
fn added_response_property_is_compatible_supplement() {
    let new = variant(
        AMOUNT_VAT,
        &format!(
            "{AMOUNT_VAT}        amount_tax_free:\n          type: integer\n          format: int64\n"
        ),
    );
    assert_eq!(
        drift_alone(&new),
        vec![(ChangeClass::Unhandled, "object properties changed".into())]
    );
    let fs = findings(&new);
    expect(&fs, "new response property `amount_tax_free`", false);
    all_compatible(&fs);
}

#[test]
fn property_type_change_is_breaking_drift() {
    let from = "        now:\n          type: integer\n          format: int64\n";
    let new = variant(from, "        now:\n          type: string\n");
    assert_eq!(
        drift_alone(&new),
        vec![(ChangeClass::Incompatible, "schema types changed".into())]
    );
    let f = expect(&findings(&new), "schema types changed", true);
    assert_eq!(
        f.pointer,
        "#/components/schemas/AuthAnnotation/properties/now"
    );

    // A format change (i64 -> i32 in the client) is Unhandled in drift, explained here.
    let new = variant(
        from,
        "        now:\n          type: integer\n          format: int32\n",
    );
    assert_eq!(
        drift_alone(&new),
        vec![(ChangeClass::Unhandled, "integer schema changed".into())]
    );
    let fs = findings(&new);
    expect(&fs, "format \"int64\" -> \"int32\"", true);
    assert_eq!(fs.len(), 1, "{}", lines(&fs));
}

const TOKEN_REQUEST: &str = "      required: [imp_key, imp_secret]\n      properties:\n";

#[test]
fn new_required_request_property_is_breaking_supplement() {
    let new = variant(
        TOKEN_REQUEST,
        "      required: [imp_key, imp_secret, otp]\n      properties:\n        otp:\n          type: string\n",
    );
    let drift = drift_alone(&new);
    assert!(
        drift.iter().all(|(c, _)| *c == ChangeClass::Unhandled),
        "{drift:?}"
    );
    let fs = findings(&new);
    let f = expect(&fs, "new required request property `otp`", true);
    assert_eq!(
        f.pointer,
        "#/components/schemas/GetTokenRequest/properties/otp"
    );
    assert_eq!(
        f.context,
        BTreeSet::from(["request of POST /users/getToken".to_owned()])
    );
    assert_eq!(fs.len(), 1, "{}", lines(&fs));

    // An existing property turned required.
    let old = variant("required: [imp_key, imp_secret]", "required: [imp_key]");
    let fs = diff(&yaml(&old), &yaml(SPEC)).unwrap();
    expect(&fs, "request property `imp_secret` is now required", true);
    let fs = diff(&yaml(SPEC), &yaml(&old)).unwrap();
    expect(&fs, "request property `imp_secret` is now optional", false);
}

#[test]
fn new_optional_request_property_is_compatible_supplement() {
    let new = variant(
        TOKEN_REQUEST,
        &format!("{TOKEN_REQUEST}        otp:\n          type: string\n"),
    );
    let fs = findings(&new);
    expect(&fs, "new optional request property `otp`", false);
    all_compatible(&fs);
}

#[test]
fn narrowed_max_length_is_breaking_and_widened_is_compatible_supplement() {
    let narrowed = variant("maxLength: 32", "maxLength: 16");
    let widened = variant("maxLength: 32", "maxLength: 64");
    // drift cannot tell the two apart.
    let unhandled = vec![(ChangeClass::Unhandled, "string schema changed".to_owned())];
    assert_eq!(drift_alone(&narrowed), unhandled);
    assert_eq!(drift_alone(&widened), unhandled);

    let fs = findings(&narrowed);
    let f = expect(&fs, "maxLength 32 -> 16: narrowed", true);
    assert_eq!(
        f.pointer,
        "#/paths/~1payments~1{imp_uid}~1naver~1cash-amount/get/parameters/0/schema/maxLength"
    );
    assert_eq!(fs.len(), 1, "{}", lines(&fs));

    let fs = findings(&widened);
    expect(&fs, "maxLength 32 -> 64: widened", false);
    all_compatible(&fs);
}

/// The spec without the imp_uid pattern, whether or not it has one now.
fn without_pattern(text: &str) -> String {
    text.lines()
        .filter(|l| !l.starts_with("            pattern: "))
        .map(|l| format!("{l}\n"))
        .collect()
}

#[test]
fn an_added_pattern_is_a_narrowed_input() {
    let old = without_pattern(SPEC);
    let new = old.replacen(
        "            maxLength: 32\n",
        "            maxLength: 32\n            pattern: '[^.]'\n",
        1,
    );
    assert_ne!(old, new);
    assert_eq!(
        raw_drift(&old, &new),
        vec![(ChangeClass::Unhandled, "string schema changed".into())]
    );
    let fs = diff(&yaml(&old), &yaml(&new)).unwrap();
    expect(&fs, "pattern none -> \"[^.]\": narrowed", true);
    assert_eq!(fs.len(), 1, "{}", lines(&fs));
}

/// The nullable wrappers (`response` of the envelopes, ErrorResponse's null-only `response`)
/// without or with a `type: object` beside `nullable` (which OpenAPI 3.0.3 asks for).
fn untyped(text: &str) -> String {
    text.replace(
        "          type: object\n          nullable: true\n",
        "          nullable: true\n",
    )
}
fn typed(text: &str) -> String {
    untyped(text).replace(
        "        response:\n          nullable: true\n",
        "        response:\n          type: object\n          nullable: true\n",
    )
}

#[test]
fn a_type_beside_a_single_all_of_is_representation_only() {
    let (old, new) = (untyped(SPEC), typed(SPEC));
    assert_eq!(
        new.matches("type: object\n          nullable: true")
            .count(),
        3
    );
    // openapiv3 reads `type` + `allOf` as an "any" schema, which drift compares as a whole.
    let drift = raw_drift(&old, &new);
    assert!(
        drift.contains(&(
            ChangeClass::Incompatible,
            "schema kind changed from regular type to any".into()
        )),
        "{drift:?}"
    );
    assert!(
        drift.contains(&(ChangeClass::Unhandled, "schema kind 'any' changed".into())),
        "{drift:?}"
    );
    assert_eq!(diff(&yaml(&old), &yaml(&new)).unwrap(), vec![]);
    assert_eq!(diff(&yaml(&new), &yaml(&old)).unwrap(), vec![]);

    // ... and so does not look inside: in the typed style, drift alone misses a removed
    // payload property. The normalization lets it (and the walk) see it again.
    let removed = typed(&variant(AMOUNT_VAT, "").replacen(", amount_vat]", "]", 1));
    assert_eq!(raw_drift(&new, &removed), vec![]);
    let fs = diff(&yaml(&new), &yaml(&removed)).unwrap();
    expect(&fs, "property `amount_vat` removed", true);

    // A type that differs from the member's is kept (and is drift's to judge).
    let other = new.replacen(
        "        response:\n          type: object\n",
        "        response:\n          type: string\n",
        1,
    );
    assert!(
        diff(&yaml(&new), &yaml(&other))
            .unwrap()
            .iter()
            .any(|f| f.breaking)
    );
}

#[test]
fn classifications_hold_in_both_wrapper_styles() {
    let from = "        now:\n          type: integer\n          format: int64\n";
    let cases: [(String, &str, bool); 4] = [
        (
            variant(AMOUNT_VAT, "").replacen(", amount_vat]", "]", 1),
            "property `amount_vat` removed",
            true,
        ),
        (
            variant(
                AMOUNT_VAT,
                &format!("{AMOUNT_VAT}        amount_tax_free:\n          type: integer\n"),
            ),
            "new response property `amount_tax_free`",
            false,
        ),
        (
            variant(from, "        now:\n          type: string\n"),
            "schema types changed",
            true,
        ),
        (
            variant(
                "        access_token:\n          type: string\n",
                "        access_token:\n          type: string\n          nullable: true\n",
            ),
            "may now be null",
            true,
        ),
    ];
    for style in [untyped, typed] {
        for (new, needle, breaking) in &cases {
            let fs = diff(&yaml(&style(SPEC)), &yaml(&style(new))).unwrap();
            expect(&fs, needle, *breaking);
            assert_eq!(
                fs.iter().filter(|f| f.breaking).count(),
                usize::from(*breaking),
                "{}",
                lines(&fs)
            );
        }
    }
}

#[test]
fn renamed_operation_id_is_breaking_supplement() {
    let new = variant("operationId: getToken", "operationId: issueToken");
    assert_eq!(
        drift_alone(&new),
        vec![],
        "drift pairs operations by path and method only"
    );
    let fs = findings(&new);
    let f = expect(
        &fs,
        "operationId renamed from getToken to issueToken: the client method get_token becomes issue_token",
        true,
    );
    assert_eq!(f.pointer, "#/paths/~1users~1getToken/post/operationId");
    assert_eq!(fs.len(), 1);
}

#[test]
fn description_edits_are_compatible_drift() {
    let new = variant(
        "description: 현금영수증 발급가능 총액 중 부가세 (VAT)",
        "description: VAT",
    );
    assert_eq!(
        drift_alone(&new),
        vec![(ChangeClass::Trivial, "schema metadata changed".into())]
    );
    all_compatible(&findings(&new));

    // drift does not look at an operation's description at all.
    let new = variant("Returns how much", "Tells how much");
    assert_eq!(findings(&new), vec![]);
}

#[test]
fn a_response_field_turned_nullable_is_breaking_supplement() {
    let new = variant(
        "        access_token:\n          type: string\n",
        "        access_token:\n          type: string\n          nullable: true\n",
    );
    assert_eq!(
        drift_alone(&new),
        vec![],
        "drift ignores nullable-only changes"
    );
    let fs = findings(&new);
    let f = expect(&fs, "may now be null", true);
    assert_eq!(
        f.pointer,
        "#/components/schemas/AuthAnnotation/properties/access_token/nullable"
    );
}

#[test]
fn a_media_type_change_is_breaking_instead_of_a_drift_panic() {
    let new = variant(
        "          application/json:\n            schema:\n              $ref: '#/components/schemas/GetTokenRequest'",
        "          application/x-www-form-urlencoded:\n            schema:\n              $ref: '#/components/schemas/GetTokenRequest'",
    );
    let panicked = std::panic::catch_unwind(|| drift::compare(&yaml(SPEC), &yaml(&new))).is_err();
    assert!(panicked, "drift 0.2 asserts that media types do not change");
    let fs = findings(&new);
    expect(
        &fs,
        "the request body no longer has media type application/json",
        true,
    );
    expect(
        &fs,
        "the request body gained media type application/x-www-form-urlencoded",
        true,
    );
}

#[test]
fn security_requirements_supplement() {
    let dropped = variant("        - impTokenHeader: []\n", "");
    assert_eq!(drift_alone(&dropped), vec![]);
    expect(
        &findings(&dropped),
        "no longer enough: impTokenHeader",
        true,
    );

    let added = variant(
        "        - impTokenHeader: []\n",
        "        - impTokenHeader: []\n        - {}\n",
    );
    let fs = findings(&added);
    expect(&fs, "every old way of authenticating still works", false);
    all_compatible(&fs);
}

#[test]
fn an_added_operation_is_compatible_drift() {
    let new = variant(
        "  /payments/{imp_uid}/naver/cash-amount:\n",
        "  /users/ping:\n    get:\n      operationId: ping\n      responses:\n        '200':\n          description: ok\n  /payments/{imp_uid}/naver/cash-amount:\n",
    );
    let fs = findings(&new);
    expect(&fs, "The operation ping was added", false);
    all_compatible(&fs);
}

#[test]
fn a_new_optional_parameter_is_a_new_setter() {
    let new = variant(
        "          example: imp_448280090638\n",
        "          example: imp_448280090638\n        - name: verbose\n          in: query\n          schema:\n            type: boolean\n",
    );
    assert_eq!(
        drift_alone(&new),
        vec![(
            ChangeClass::ForwardIncompatible,
            "A new, optional parameter 'verbose' was added".into()
        )]
    );
    expect(
        &findings(&new),
        "a new setter on the client's request; calls compile as before",
        false,
    );
    all_compatible(&findings(&new));
}

#[test]
fn unhandled_stays_breaking_with_a_note() {
    let new = variant(
        TOKEN_REQUEST,
        &format!("      additionalProperties: false\n{TOKEN_REQUEST}"),
    );
    assert_eq!(
        drift_alone(&new),
        vec![(
            ChangeClass::Unhandled,
            "object additionalProperties changed".into()
        )]
    );
    expect(
        &findings(&new),
        "object additionalProperties changed (drift cannot classify this change; treated as breaking)",
        true,
    );
}

#[test]
fn an_added_response_status_is_breaking_as_drift_says() {
    let new = variant(
        "        '404':\n",
        "        '429':\n          description: too many requests\n        '404':\n",
    );
    expect(
        &findings(&new),
        "operation added a new response code 429",
        true,
    );
}
