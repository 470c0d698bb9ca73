//! The rules of the exact reading (tests/lib.rs), one test each, through the functions the contract
//! tests use: [`canonical`], [`component_differences`], [`contract_view`], [`differences`].

use iamport_contract_tests::{
    RustContract, canonical, component_differences, component_differences_for, contract_view,
    differences,
};
use serde_json::{Map, Value, json};

fn no_refs(_: &str) -> Option<Value> {
    None
}

fn canon(schema: Value) -> Value {
    canonical(&schema, &no_refs).unwrap_or_else(|e| panic!("{schema}: {e}"))
}

fn with(base: &Value, key: &str, value: Value) -> Value {
    let mut s = base.clone();
    s[key] = value;
    s
}

// ---- every keyword is compared, documentation only, or refused ----

#[test]
fn a_keyword_the_tests_do_not_read_is_an_error_naming_it_and_where_it_is() {
    let schema = json!({
        "type": "object",
        "properties": {"a": {"type": "string", "x-rust-type": "u8"}},
    });
    let err = canonical(&schema, &no_refs).unwrap_err();
    assert!(err.contains("`x-rust-type`"), "{err}");
    assert!(err.contains("#/properties/a"), "{err}");
    for keyword in [
        "discriminator",
        "patternProperties",
        "prefixItems",
        "contains",
        "if",
        "dependentRequired",
        "unevaluatedProperties",
        "$id",
        "xml",
        "contentMediaType",
    ] {
        let err = canonical(&json!({"type": "object", keyword: {}}), &no_refs).expect_err(keyword);
        assert!(err.contains(&format!("`{keyword}`")), "{keyword}: {err}");
    }
    // the pointer follows references: it names the place in the document
    let doc = json!({"components": {"schemas": {"X": {"type": "object", "discriminator": {"propertyName": "kind"}}}}});
    let resolve = |r: &str| r.strip_prefix('#').and_then(|p| doc.pointer(p)).cloned();
    let err = canonical(&json!({"$ref": "#/components/schemas/X"}), &resolve).unwrap_err();
    assert!(err.contains("#/components/schemas/X"), "{err}");
}

#[test]
fn keywords_that_constrain_values_are_compared_and_documentation_is_not() {
    let base = json!({"type": ["object", "array", "integer", "string"]});
    for (key, value) in [
        ("default", json!(5)),
        ("uniqueItems", json!(true)),
        ("readOnly", json!(true)),
        ("writeOnly", json!(true)),
        ("not", json!({"type": "string"})),
        ("exclusiveMinimum", json!(1)),
        ("exclusiveMaximum", json!(9)),
        ("minProperties", json!(1)),
        ("maxProperties", json!(3)),
        ("const", json!("a")),
        ("multipleOf", json!(2)),
        ("format", json!("date")),
        ("pattern", json!("^a")),
    ] {
        assert_ne!(
            canon(base.clone()),
            canon(with(&base, key, value.clone())),
            "`{key}: {value}` was dropped"
        );
    }
    for (key, value) in [
        ("description", json!("d")),
        ("title", json!("t")),
        ("example", json!(1)),
        ("examples", json!([1])),
        ("externalDocs", json!({"url": "https://example.com"})),
        ("deprecated", json!(true)),
        ("$comment", json!("c")),
    ] {
        assert_eq!(
            canon(base.clone()),
            canon(with(&base, key, value.clone())),
            "`{key}` documents only"
        );
    }
}

#[test]
fn spellings_of_the_same_constraint_agree() {
    // OpenAPI 3.0's boolean exclusive bounds against JSON Schema 2020-12's numbers
    assert_eq!(
        canon(json!({"type": "integer", "minimum": 1, "exclusiveMinimum": true})),
        canon(json!({"type": "integer", "exclusiveMinimum": 1}))
    );
    assert_ne!(
        canon(json!({"type": "integer", "exclusiveMinimum": 1})),
        canon(json!({"type": "integer", "minimum": 1}))
    );
    assert_eq!(
        canon(json!({"type": "number", "maximum": 2.5, "exclusiveMaximum": false})),
        canon(json!({"type": "number", "maximum": 2.5}))
    );
    // const is a one-value enum; an enum gives its values' types
    assert_eq!(
        canon(json!({"const": "a"})),
        canon(json!({"type": "string", "enum": ["a"]}))
    );
    // defaults that say nothing
    assert_eq!(
        canon(json!({"type": "array", "items": {}, "uniqueItems": false})),
        canon(json!({"type": "array"}))
    );
}

#[test]
fn one_of_is_any_of_only_when_no_value_can_match_two_members() {
    let overlapping = [
        json!({"type": "string"}),
        json!({"type": "string", "maxLength": 3}),
    ];
    assert_ne!(
        canon(json!({"oneOf": overlapping})),
        canon(json!({"anyOf": overlapping}))
    );
    let by_type = [json!({"type": "string"}), json!({"type": "integer"})];
    assert_eq!(
        canon(json!({"oneOf": by_type})),
        canon(json!({"anyOf": by_type}))
    );
    let tagged = |kind: &str, extra: &str| {
        json!({
            "type": "object",
            "required": ["kind"],
            "properties": {"kind": {"type": "string", "enum": [kind]}, extra: {"type": "string"}},
        })
    };
    let by_tag = [tagged("card", "number"), tagged("bank", "account")];
    assert_eq!(
        canon(json!({"oneOf": by_tag})),
        canon(json!({"anyOf": by_tag}))
    );
}

#[test]
fn what_cannot_be_read_exactly_is_an_error() {
    // 3.0 ignores siblings of $ref, 3.1 applies them
    let target = json!({"type": "string"});
    let resolve = |_: &str| Some(target.clone());
    let err = canonical(
        &json!({"$ref": "#/components/schemas/X", "maxLength": 3}),
        &resolve,
    )
    .unwrap_err();
    assert!(err.contains("`maxLength` beside `$ref`"), "{err}");
    // allOf members that disagree cannot be merged into one schema
    let err = canonical(
        &json!({"allOf": [{"type": "string", "pattern": "^a"}, {"pattern": "b$"}]}),
        &no_refs,
    )
    .unwrap_err();
    assert!(err.contains("`pattern`"), "{err}");
    // OpenAPI 3.0.3: nullable without a type has no effect
    let err = canonical(&json!({"nullable": true, "enum": [null]}), &no_refs).unwrap_err();
    assert!(err.contains("nullable"), "{err}");
}

#[test]
fn a_rust_enum_with_documented_variants_is_the_spec_enum() {
    // schemars writes an enum whose variants have doc comments as a oneOf of consts
    let schemars = json!({"oneOf": [
        {"type": "string", "const": "card", "description": "a card"},
        {"type": "string", "const": "bank", "description": "a bank"},
    ]});
    let spec = json!({"type": "string", "enum": ["bank", "card"]});
    assert_eq!(canon(schemars.clone()), canon(spec));
    // and its Option, against the spec's nullable enum (null listed, as 3.0.3 asks)
    let target = schemars;
    let resolve = |_: &str| Some(target.clone());
    assert_eq!(
        canonical(
            &json!({"anyOf": [{"$ref": "#/$defs/E"}, {"type": "null"}]}),
            &resolve
        )
        .unwrap(),
        canon(json!({"type": "string", "nullable": true, "enum": ["bank", "card", null]}))
    );
    // a oneOf of values that overlap is not their union
    assert_ne!(
        canon(json!({"oneOf": [{"enum": ["a", "b"]}, {"enum": ["b"]}]})),
        canon(json!({"enum": ["a", "b"]}))
    );
}

#[test]
fn a_map_is_a_map_with_or_without_property_names_of_type_string() {
    let map = json!({"type": "object", "additionalProperties": {"type": "integer"}});
    assert_eq!(
        canon(map.clone()),
        canon(with(&map, "propertyNames", json!({"type": "string"})))
    );
    assert_ne!(
        canon(map.clone()),
        canon(with(
            &map,
            "propertyNames",
            json!({"type": "string", "pattern": "^[a-z]+$"})
        ))
    );
}

// ---- optional is not nullable ----

#[test]
fn null_comes_from_nullable_or_a_null_member_only() {
    // an anyOf [X, null] beside `type: string` does not make the schema nullable
    assert_eq!(
        canon(json!({"type": "string", "anyOf": [{"minLength": 1}, {"type": "null"}]}))["type"],
        json!(["string"])
    );
    // OpenAPI 3.0.3: `nullable` does not add null to an enum that does not list it
    assert_eq!(
        canon(json!({"type": "string", "nullable": true, "enum": ["a", "b"]})),
        canon(json!({"type": "string", "enum": ["a", "b"]}))
    );
    assert_eq!(
        canon(json!({"type": "string", "nullable": true, "enum": ["a", null]})),
        canon(json!({"type": ["string", "null"], "enum": ["a", null]}))
    );
    // an optional property stays non-nullable
    let spec = canon(json!({"type": "object", "properties": {"a": {"type": "string"}}}));
    assert_eq!(spec["properties"]["a"]["type"], json!(["string"]));
}

fn one(name: &str, schema: Value) -> Map<String, Value> {
    Map::from_iter([(name.to_owned(), canon(schema))])
}

#[test]
fn an_option_field_for_an_optional_non_nullable_property_is_accepted_leniency() {
    let spec = json!({"type": "object", "properties": {"a": {"type": "string", "format": "date"}}});
    // schemars and utoipa write `Option<NaiveDate>` as not required and nullable
    let rust = json!({"type": "object", "properties": {"a": {"type": ["string", "null"], "format": "date"}}});
    assert_eq!(
        component_differences(one("X", spec.clone()), one("X", rust), "client"),
        Vec::<String>::new()
    );
    // the same, nested: array items, a property of a property
    let nested = |a: Value| {
        json!({"type": "object", "properties": {"list": {"type": "array", "items": {
            "type": "object", "required": ["inner"], "properties": {"inner": {"type": "object", "properties": {"a": a}}}}}}})
    };
    assert_eq!(
        component_differences(
            one("X", nested(json!({"type": "integer"}))),
            one("X", nested(json!({"type": ["integer", "null"]}))),
            "client"
        ),
        Vec::<String>::new()
    );
    // a nullable reference spelled by utoipa
    let inner = json!({"type": "object", "properties": {"b": {"type": "integer"}}});
    let resolve = |_: &str| Some(inner.clone());
    let spec = canonical(
        &json!({"type": "object", "properties": {"r": {"$ref": "#/components/schemas/I"}}}),
        &resolve,
    )
    .unwrap();
    let rust = canonical(
        &json!({"type": "object", "properties": {"r": {"oneOf": [{"$ref": "#/components/schemas/I"}, {"type": "null"}]}}}),
        &resolve,
    )
    .unwrap();
    assert_eq!(
        component_differences(
            Map::from_iter([("X".to_owned(), spec)]),
            Map::from_iter([("X".to_owned(), rust)]),
            "server"
        ),
        Vec::<String>::new()
    );
}

#[test]
fn an_option_field_for_a_required_nullable_property_is_accepted_leniency() {
    let spec = json!({"type": "object", "required": ["a"], "properties": {"a": {"type": "string", "nullable": true}}});
    let rust = json!({"type": "object", "properties": {"a": {"type": ["string", "null"]}}});
    assert_eq!(
        component_differences(one("X", spec), one("X", rust), "client"),
        Vec::<String>::new()
    );
}

#[test]
fn an_untagged_enum_for_a_one_of_is_accepted_leniency_in_both_spellings_of_its_option() {
    let doc = json!({"components": {"schemas": {
        "Book": {"type": "object", "required": ["pages"], "properties": {"pages": {"type": "integer"}}},
        "Gadget": {"type": "object", "required": ["volts"], "properties": {"volts": {"type": "number"}}},
        // the spec's oneOf; schemars writes the untagged enum as anyOf, utoipa as oneOf
        "Details": {"oneOf": [{"$ref": "#/components/schemas/Book"}, {"$ref": "#/components/schemas/Gadget"}]},
        "DetailsAnyOf": {"anyOf": [{"$ref": "#/components/schemas/Book"}, {"$ref": "#/components/schemas/Gadget"}]},
        // an optional, not nullable property of that type
        "Spec": {"type": "object", "properties": {"details": {"$ref": "#/components/schemas/Details"}}},
        // `Option<Details>` by schemars and by utoipa
        "Schemars": {"type": "object", "properties": {"details": {"anyOf": [{"$ref": "#/components/schemas/DetailsAnyOf"}, {"type": "null"}]}}},
        "Utoipa": {"type": "object", "properties": {"details": {"oneOf": [{"$ref": "#/components/schemas/Details"}, {"type": "null"}]}}},
    }}});
    let resolve = |r: &str| r.strip_prefix('#').and_then(|p| doc.pointer(p)).cloned();
    let schema = |name: &str| {
        canonical(
            &json!({"$ref": format!("#/components/schemas/{name}")}),
            &resolve,
        )
        .unwrap()
    };
    let named = |s: Value| Map::from_iter([("X".to_owned(), s)]);
    for side in ["Schemars", "Utoipa"] {
        assert_eq!(
            component_differences(named(schema("Spec")), named(schema(side)), side),
            Vec::<String>::new(),
            "{side}"
        );
    }
    // the members are still compared
    let mut other = schema("Schemars");
    let members = other["properties"]["details"]["anyOf"]
        .as_array_mut()
        .expect("Option<untagged enum> is one anyOf list");
    assert_eq!(members.len(), 3, "{members:?}");
    let book = members
        .iter_mut()
        .find(|m| m["required"] == json!(["pages"]))
        .unwrap();
    book["required"] = json!(["pages", "title"]);
    assert_eq!(
        component_differences(named(schema("Spec")), named(other), "client").len(),
        1
    );
}

#[test]
fn f64_for_a_number_without_format_is_accepted_and_no_other_format() {
    let spec = json!({"type": "object", "required": ["n", "i"], "properties": {
        "n": {"type": "number"}, "i": {"type": "integer"}}});
    let rust = json!({"type": "object", "required": ["n", "i"], "properties": {
        "n": {"type": "number", "format": "double"}, "i": {"type": "integer", "format": "int64"}}});
    assert_eq!(
        component_differences(one("X", spec), one("X", rust), "server"),
        vec![r#"/components/schemas/X/properties/i/format: spec has nothing, server has "int64""#]
    );
}

#[test]
fn what_the_rust_side_does_not_forgive() {
    let rust_option = json!({"type": "object", "properties": {"a": {"type": ["string", "null"]}}});
    // required and not nullable: an Option may send null or nothing
    let spec =
        json!({"type": "object", "required": ["a"], "properties": {"a": {"type": "string"}}});
    let diffs = component_differences(one("X", spec), one("X", rust_option), "client");
    assert_eq!(diffs.len(), 2, "{diffs:?}");
    // nullable, read as `T`
    let spec = json!({"type": "object", "properties": {"a": {"type": "string", "nullable": true}}});
    let rust = json!({"type": "object", "properties": {"a": {"type": "string"}}});
    let diffs = component_differences(one("X", spec), one("X", rust.clone()), "client");
    assert_eq!(
        diffs,
        vec![
            r#"/components/schemas/X/properties/a/type: spec says ["null","string"], client says ["string"]"#
        ]
    );
    // a default the spec gives and Rust does not know
    let spec = json!({"type": "object", "properties": {"a": {"type": "string", "default": "x"}}});
    let diffs = component_differences(one("X", spec), one("X", rust), "client");
    assert_eq!(
        diffs,
        vec![r#"/components/schemas/X/properties/a/default: spec has "x", client has nothing"#]
    );
    // a serde default of an optional property without one in the spec: how Rust accepts absence
    let spec = json!({"type": "object", "properties": {"n": {"type": "integer"}}});
    let rust = json!({"type": "object", "properties": {"n": {"type": "integer", "default": 0}}});
    assert_eq!(
        component_differences(one("X", spec), one("X", rust), "client"),
        Vec::<String>::new()
    );
}

// ---- what Rust writes: the serde attributes, through schemars' serialize contract ----

fn schemars_of<T: schemars::JsonSchema>(contract: RustContract) -> Value {
    let settings = schemars::generate::SchemaSettings::default();
    let settings = match contract {
        RustContract::Reads => settings,
        RustContract::Writes => settings.for_serialize(),
    };
    let root = serde_json::to_value(settings.into_generator().into_root_schema_for::<T>()).unwrap();
    let resolve = |r: &str| r.strip_prefix('#').and_then(|p| root.pointer(p)).cloned();
    canonical(&root, &resolve).unwrap()
}

fn compare<T: schemars::JsonSchema>(spec: Value, contract: RustContract) -> Vec<String> {
    component_differences_for(
        one("X", spec),
        Map::from_iter([("X".to_owned(), schemars_of::<T>(contract))]),
        "client",
        contract,
    )
}

#[test]
fn what_rust_writes_is_compared_with_its_serde_attributes() {
    #[allow(dead_code)]
    #[derive(schemars::JsonSchema, serde::Serialize, serde::Deserialize)]
    struct Skipped {
        #[serde(skip_serializing_if = "Option::is_none")]
        a: Option<String>,
    }
    #[allow(dead_code)]
    #[derive(schemars::JsonSchema, serde::Serialize, serde::Deserialize)]
    struct Plain {
        a: Option<String>,
    }
    #[allow(dead_code)]
    #[derive(schemars::JsonSchema, serde::Serialize, serde::Deserialize)]
    struct Defaulted {
        #[serde(default)]
        a: String,
    }
    let optional = json!({"type": "object", "properties": {"a": {"type": "string"}}});
    let required_nullable = json!({"type": "object", "required": ["a"], "properties": {"a": {"type": "string", "nullable": true}}});
    for contract in [RustContract::Reads, RustContract::Writes] {
        // skipped when None: never null on the wire, and read leniently
        assert_eq!(
            compare::<Skipped>(optional.clone(), contract),
            Vec::<String>::new()
        );
        // always written: allowed for an optional property
        assert_eq!(
            compare::<Defaulted>(optional.clone(), contract),
            Vec::<String>::new()
        );
        // written as null when None, present always: what a required nullable property asks
        assert_eq!(
            compare::<Plain>(required_nullable.clone(), contract),
            Vec::<String>::new()
        );
    }
    // an Option written as null for a property the spec does not make nullable
    assert_eq!(
        compare::<Plain>(optional.clone(), RustContract::Reads),
        Vec::<String>::new()
    );
    assert_eq!(
        compare::<Plain>(optional, RustContract::Writes),
        vec![
            r#"/components/schemas/X/properties/a/type: spec says ["string"], client says ["null","string"]"#
        ]
    );
    // left out when None, for a property the spec requires
    assert_eq!(
        compare::<Skipped>(required_nullable, RustContract::Writes),
        vec![r#"/components/schemas/X/required: spec has ["a"], client has nothing"#]
    );
}

// ---- contract view: effective security, every field read ----

fn doc(global: Option<Value>, op_security: Option<Value>) -> Value {
    let mut op = json!({"operationId": "op", "responses": {"204": {"description": "none"}}});
    if let Some(s) = op_security {
        op["security"] = s;
    }
    let mut d = json!({
        "openapi": "3.0.3",
        "info": {"title": "t", "version": "1"},
        "paths": {"/x": {"get": op}},
        "components": {"securitySchemes": {"bearerAuth": {"type": "http", "scheme": "bearer"}}},
    });
    if let Some(g) = global {
        d["security"] = g;
    }
    d
}

#[test]
fn the_contract_view_compares_the_effective_security_of_each_operation() {
    let bearer = json!([{"bearerAuth": []}]);
    let view = |d: Value| contract_view(&d).unwrap();
    let global = view(doc(Some(bearer.clone()), None));
    let on_the_operation = view(doc(None, Some(bearer.clone())));
    assert_eq!(
        global["paths"]["/x"]["get"]["security"],
        json!([{"bearerAuth": []}])
    );
    assert_eq!(
        differences(&global, &on_the_operation, ("a", "b")),
        Vec::<String>::new()
    );
    // an operation's empty list lifts the global requirement
    let lifted = view(doc(Some(bearer.clone()), Some(json!([]))));
    let none = view(doc(None, None));
    assert_eq!(
        differences(&lifted, &none, ("a", "b")),
        Vec::<String>::new()
    );
    assert_ne!(
        differences(&lifted, &global, ("a", "b")),
        Vec::<String>::new()
    );
    // security optional ([{}]) is not no security
    let optional = view(doc(Some(json!([{}, {"bearerAuth": []}])), None));
    assert_ne!(
        differences(&optional, &global, ("a", "b")),
        Vec::<String>::new()
    );
}

#[test]
fn the_contract_view_reads_every_field_of_an_operation() {
    let mut d = doc(None, None);
    d["paths"]["/x"]["get"]["callbacks"] = json!({});
    let err = contract_view(&d).unwrap_err();
    assert!(
        err.contains("`callbacks`") && err.contains("#/paths/~1x/get"),
        "{err}"
    );

    // a document without components is read
    let bare = json!({"openapi": "3.1.0", "info": {"title": "t", "version": "1"}, "paths": {}});
    assert!(contract_view(&bare).is_ok());

    let with_param = |p: Value| {
        let mut d = doc(None, None);
        d["paths"]["/x"]["get"]["parameters"] = json!([p]);
        contract_view(&d).unwrap()
    };
    let ids = json!({"name": "ids", "in": "query", "schema": {"type": "array", "items": {"type": "string"}}});
    // the defaults of style and explode, written or not, are the same
    assert_eq!(
        with_param(ids.clone()),
        with_param(with(
            &with(&ids, "style", json!("form")),
            "explode",
            json!(true)
        ))
    );
    assert_ne!(
        with_param(ids.clone()),
        with_param(with(&ids, "explode", json!(false)))
    );
    // header names are case-insensitive
    let header = json!({"name": "X-Request-Id", "in": "header", "required": true, "schema": {"type": "string"}});
    assert_eq!(
        with_param(header.clone()),
        with_param(with(&header, "name", json!("x-request-id")))
    );
    // response headers are compared
    let mut with_header = doc(None, None);
    with_header["paths"]["/x"]["get"]["responses"]["204"]["headers"] =
        json!({"X-Rate-Limit": {"schema": {"type": "integer"}}});
    assert_ne!(
        contract_view(&with_header).unwrap(),
        contract_view(&doc(None, None)).unwrap()
    );
}

#[test]
fn a_nullable_reference_to_alternatives_is_one_more_alternative() {
    // The spec's 3.0 spelling (`type: object, nullable: true, allOf: [$ref X]`, X an anyOf of two
    // objects) and schemars' `Option<X>` for an untagged enum (`anyOf: [A, B, null]`) say the same.
    let card =
        json!({"type": "object", "required": ["card"], "properties": {"card": {"type": "string"}}});
    let group = json!({"type": "object", "required": ["group"], "properties": {"group": {"type": "string"}}});
    let alternatives = json!({"anyOf": [card, group]});
    let resolve = |_: &str| Some(alternatives.clone());
    let spec = canonical(
        &json!({"type": "object", "nullable": true, "allOf": [{"$ref": "#/components/schemas/X"}]}),
        &resolve,
    )
    .unwrap();
    let rust = canon(json!({"anyOf": [card, group, {"type": "null"}]}));
    assert_eq!(spec, rust);
    // without `nullable`, null is not one of them
    let not_null = canonical(
        &json!({"type": "object", "allOf": [{"$ref": "#/components/schemas/X"}]}),
        &resolve,
    )
    .unwrap();
    assert_ne!(not_null, rust);
}
