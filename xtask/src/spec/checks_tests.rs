//! The refusals of `checks.rs` and `limits/`, each on a small spec, with the exact located message.

use std::path::Path;

/// A small spec: one secured-free operation `GET /items/{id}`; `{op}` is spliced into the
/// operation, `{paths}` after it, `{components}` under `components`.
fn spec(op: &str, paths: &str, components: &str) -> String {
    format!(
        "openapi: 3.0.3
info: {{title: t, version: 1.0.0}}
paths:
  /items/{{id}}:
    get:
      operationId: getItem
      parameters:
        - {{name: id, in: path, required: true, schema: {{type: string}}}}
{op}      responses:
        '200':
          description: ok
{paths}components:
  schemas:
    S: {{type: string}}
{components}"
    )
}

fn errors(text: &str) -> Vec<String> {
    match super::super::parse(Path::new("t.yaml"), text) {
        Ok(_) => vec![],
        Err(e) => e.0.iter().map(ToString::to_string).collect(),
    }
}

#[track_caller]
fn refused(text: &str, expected: &[&str]) {
    assert_eq!(errors(text), expected, "in:\n{text}");
}

#[test]
fn the_small_spec_passes() {
    refused(&spec("", "", ""), &[]);
}
#[test]
fn cookie_parameters_are_refused() {
    let op = "        - {name: sid, in: cookie, schema: {type: string}}\n";
    refused(
        &spec(op, "", ""),
        &[
            "t.yaml:9:27: paths./items/{id}.get.parameters[1].in: cookie parameter `sid`: the generators support path, query and header parameters only",
        ],
    );
}

#[test]
fn parameter_styles_other_than_simple_and_form_are_refused() {
    let op = "        - {name: q, in: query, style: deepObject, schema: {type: string}}\n";
    refused(
        &spec(op, "", ""),
        &[
            "t.yaml:9:39: paths./items/{id}.get.parameters[1].style: query parameter `q` has style `deepObject`; the generators support `form` only",
        ],
    );
    let path = spec("", "", "").replace(
        "in: path, required: true,",
        "in: path, required: true, style: label,",
    );
    refused(
        &path,
        &[
            "t.yaml:8:55: paths./items/{id}.get.parameters[0].style: path parameter `id` has style `label`; the generators support `simple` only",
        ],
    );
}

#[test]
fn parameters_with_content_are_refused() {
    let op = "        - name: q\n          in: query\n          content:\n            application/json:\n              schema: {type: string}\n";
    refused(
        &spec(op, "", ""),
        &[
            "t.yaml:12:13: paths./items/{id}.get.parameters[1].content: parameter `q`: `content` is not supported, describe the value with `schema`",
        ],
    );
}

#[test]
fn header_parameters_named_like_the_token_headers_are_refused() {
    let op = "        - {name: authorization, in: header, schema: {type: string}}\n        - {name: X-Token, in: header, schema: {type: string}}\n";
    let schemes = "  securitySchemes:\n    key: {type: apiKey, in: header, name: x-token}\n";
    refused(
        &spec(op, "", schemes),
        &[
            "t.yaml:9:18: paths./items/{id}.get.parameters[1].name: header parameter `authorization`: this header carries the access token or is set by the client itself",
            "t.yaml:10:18: paths./items/{id}.get.parameters[2].name: header parameter `X-Token`: this header carries the access token or is set by the client itself",
        ],
    );
}

#[test]
fn parameters_whose_rust_names_clash_are_refused() {
    let op = "        - {name: 'ids[]', in: query, schema: {type: array, items: {type: string}}}\n        - {name: ids, in: query, schema: {type: string}}\n        - {name: Headers, in: query, schema: {type: string}}\n";
    refused(
        &spec(op, "", ""),
        &[
            "t.yaml:10:18: paths./items/{id}.get.parameters[2].name: parameters `ids` and `ids[]` both become the Rust name `ids`",
            "t.yaml:11:18: paths./items/{id}.get.parameters[3].name: parameter `Headers` becomes the Rust name `headers`, which the generated code uses for itself; rename it",
        ],
    );
}

#[test]
fn a_parameter_named_body_beside_a_request_body_is_refused() {
    let op = "        - {name: body, in: query, schema: {type: string}}\n      requestBody:\n        content:\n          application/json:\n            schema: {type: string}\n";
    refused(
        &spec(op, "", ""),
        &[
            "t.yaml:9:18: paths./items/{id}.get.parameters[1].name: parameter `body` clashes with the request body; rename it",
        ],
    );
}

#[test]
fn object_parameters_and_arrays_outside_the_query_are_refused() {
    let op = "        - {name: f, in: query, schema: {type: object, properties: {a: {type: string}}}}\n        - {name: H, in: header, schema: {type: array, items: {type: string}}}\n        - {name: l, in: query, explode: false, schema: {type: array, items: {type: string}}}\n";
    refused(
        &spec(op, "", ""),
        &[
            "t.yaml:9:40: paths./items/{id}.get.parameters[1].schema: query parameter `f` is an object; the generators take single values and (in the query) arrays of them",
            "t.yaml:10:41: paths./items/{id}.get.parameters[2].schema: header parameter `H` is an array; arrays are supported in the query only",
            "t.yaml:11:41: paths./items/{id}.get.parameters[3].explode: query parameter `l`: the generators send and read arrays exploded (`l=a&l=b`) only",
        ],
    );
}

#[test]
fn request_body_media_types_are_limited() {
    let op = "      requestBody:\n        content:\n          text/plain:\n            schema: {type: string}\n";
    refused(
        &spec(op, "", ""),
        &[
            "t.yaml:12:13: paths./items/{id}.get.requestBody.content.text/plain: request body media type `text/plain`: the generators support application/json and application/x-www-form-urlencoded only",
        ],
    );
    let op = "      requestBody:\n        content:\n          application/x-www-form-urlencoded:\n            schema: {type: object}\n            encoding:\n              a: {contentType: text/plain}\n";
    refused(
        &spec(op, "", ""),
        &[
            "t.yaml:14:15: paths./items/{id}.get.requestBody.content.application/x-www-form-urlencoded.encoding: `encoding` is not supported (progenitor stops on it)",
        ],
    );
    let op = "      requestBody:\n        content:\n          application/json:\n            schema: {$ref: '#/components/schemas/S'}\n          application/x-www-form-urlencoded:\n            schema: {type: object}\n";
    refused(
        &spec(op, "", ""),
        &[
            "t.yaml:14:21: paths./items/{id}.get.requestBody.content.application/x-www-form-urlencoded.schema: the schema differs from `application/json`'s: the client sends the first media type and the server accepts all, so they must have one schema",
        ],
    );
    let op = "      requestBody:\n        content:\n          application/json: {}\n";
    refused(
        &spec(op, "", ""),
        &[
            "t.yaml:11:29: paths./items/{id}.get.requestBody.content.application/json: a request body media type needs a `schema`",
        ],
    );
    let op = "      requestBody:\n        content:\n          application/x-www-form-urlencoded:\n            schema: {type: string}\n";
    refused(
        &spec(op, "", ""),
        &[
            "t.yaml:12:21: paths./items/{id}.get.requestBody.content.application/x-www-form-urlencoded.schema: a form body is a set of fields: its schema must be an object, not string",
        ],
    );
}

#[test]
fn status_ranges_and_default_responses_are_refused() {
    let text = spec("", "", "").replace(
            "          description: ok\n",
            "          description: ok\n        4XX:\n          description: any failure\n        default:\n          description: anything\n",
        );
    refused(
        &text,
        &[
            "t.yaml:13:11: paths./items/{id}.get.responses.4XX: status ranges like `4XX` are not supported: list each status",
            "t.yaml:15:11: paths./items/{id}.get.responses.default: `default` responses are not supported: list each status",
        ],
    );
}

#[test]
fn informational_statuses_and_redirects_with_a_body_are_refused() {
    let text = spec("", "", "").replace(
            "          description: ok\n",
            "          description: ok\n        '101':\n          description: upgrade\n        '302':\n          description: elsewhere\n          content:\n            application/json:\n              schema: {type: string}\n",
        );
    refused(
        &text,
        &[
            "t.yaml:13:11: paths./items/{id}.get.responses.101: informational status 101 is not supported",
            "t.yaml:17:13: paths./items/{id}.get.responses.302.content: a 302 answer with a body is not supported (the client does not read bodies of redirects)",
        ],
    );
}

#[test]
fn success_answers_of_different_kinds_are_refused() {
    let text = spec("", "", "").replace(
            "          description: ok\n",
            "          description: ok\n          content:\n            application/json:\n              schema: {type: string}\n        '204':\n          description: nothing\n        '400':\n          description: bad\n          content:\n            text/plain:\n              schema: {type: string}\n        '404':\n          description: none\n          content:\n            application/json:\n              schema: {type: string}\n",
        );
    refused(
        &text,
        &[
            "t.yaml:16:11: paths./items/{id}.get.responses.204: 204 answers no body but 200 answers JSON: progenitor needs one kind of success answer per operation",
            "t.yaml:23:11: paths./items/{id}.get.responses.404: 404 answers JSON but 400 answers a non-JSON body: progenitor needs one kind of error answer per operation",
        ],
    );
}

#[test]
fn a_success_answer_with_two_schemas_is_refused() {
    let text = spec("", "", "").replace(
            "          description: ok\n",
            "          description: ok\n          content:\n            application/json:\n              schema: {type: string}\n            text/csv:\n              schema: {type: integer}\n",
        );
    refused(
        &text,
        &[
            "t.yaml:16:23: paths./items/{id}.get.responses.200.content.text/csv.schema: progenitor allows one success schema per operation: this is an inline schema ({\"type\":\"integer\"}) but paths./items/{id}.get.responses.200.content.application/json.schema is an inline schema ({\"type\":\"string\"})",
        ],
    );
}

#[test]
fn response_media_types_need_a_schema_and_no_encoding() {
    let text = spec("", "", "").replace(
            "          description: ok\n",
            "          description: ok\n          content:\n            application/json:\n              encoding: {}\n",
        );
    refused(
        &text,
        &[
            "t.yaml:14:15: paths./items/{id}.get.responses.200.content.application/json: `application/json` needs a `schema` (for text, `schema: {type: string}`)",
            "t.yaml:14:25: paths./items/{id}.get.responses.200.content.application/json.encoding: `encoding` has no meaning in a response (progenitor stops on it)",
        ],
    );
}

#[test]
fn defaults_and_enum_values_of_the_wrong_type_are_refused() {
    let components = "    Count: {type: integer, default: '3'}\n    Mode: {type: string, enum: [on, 2, null]}\n    Sort: {type: string, enum: [asc, desc], default: up}\n    Null: {type: object, nullable: true, enum: [null], example: 7}\n";
    refused(
        &spec("", "", components),
        &[
            "t.yaml:15:37: components.schemas.Count.default: the default is the string \"3\" but the schema's type is an integer",
            "t.yaml:16:37: components.schemas.Mode.enum[1]: the enum value is the number 2 but the schema's type is a string",
            "t.yaml:16:40: components.schemas.Mode.enum[2]: the enum value is null but the schema's type is a string (null needs `nullable: true`)",
            "t.yaml:17:54: components.schemas.Sort.default: the default is the string \"up\", which is not one of the enum values",
        ],
    );
}

#[test]
fn unsupported_security_schemes_are_refused() {
    let schemes = "  securitySchemes:\n    basic: {type: http, scheme: basic}\n    query: {type: apiKey, in: query, name: key}\n    oauth: {type: oauth2, flows: {}}\n";
    refused(
        &spec("", "", schemes),
        &[
            "t.yaml:16:33: components.securitySchemes.basic.scheme: the generators support http bearer and apiKey in header only; found http `basic`",
            "t.yaml:18:19: components.securitySchemes.oauth.type: the generators support http bearer and apiKey in header only; found `oauth2`",
            "t.yaml:17:31: components.securitySchemes.query.in: the generators support http bearer and apiKey in header only; found apiKey in query",
        ],
    );
}

#[test]
fn secured_operations_need_a_token_issuer() {
    let schemes = "  securitySchemes:\n    bearer: {type: http, scheme: bearer}\n";
    let op = "      security:\n        - bearer: []\n";
    refused(
        &spec(op, "", schemes),
        &[
            "t.yaml:10:9: paths./items/{id}.get.security: this operation needs an access token, but no operation is marked `x-token-issuer: true` (the client fetches its token with that operation)",
        ],
    );
}

/// A token issuer at `/token`; `{body}` and `{payload}` are the properties of its body and of
/// its envelope's `response`.
fn issuer(body: &str, payload: &str, marked_twice: bool) -> String {
    let paths = format!(
        "  /token:
    post:
      operationId: getToken
      x-token-issuer: true
      requestBody:
        content:
          application/json:
            schema: {{type: object, properties: {{{body}}}}}
      responses:
        '200':
          description: ok
          content:
            application/json:
              schema: {{$ref: '#/components/schemas/Envelope'}}
"
    );
    let components = format!(
        "    Envelope:
      type: object
      properties:
        code: {{type: integer, format: int64}}
        message: {{type: string}}
        response: {{type: object, properties: {{{payload}}}}}
  securitySchemes:
    bearer: {{type: http, scheme: bearer}}
"
    );
    let op = "      security:\n        - bearer: []\n";
    let text = spec(op, &paths, &components);
    if marked_twice {
        text.replace(
            "      operationId: getItem\n",
            "      operationId: getItem\n      x-token-issuer: true\n",
        )
    } else {
        text
    }
}

#[test]
fn the_token_issuer_takes_key_and_secret_and_answers_the_token() {
    let body = "imp_key: {type: string}, imp_secret: {type: string}";
    let payload = "access_token: {type: string}, now: {type: integer}, expired_at: {type: integer}";
    refused(&issuer(body, payload, false), &[]);
    refused(
        &issuer("imp_key: {type: string}", payload, false),
        &[
            "t.yaml:21:21: paths./token.post.requestBody.content.application/json.schema: the token issuer's body needs a string property `imp_secret`",
        ],
    );
    refused(
        &issuer(
            body,
            "access_token: {type: string}, now: {type: integer}",
            false,
        ),
        &[
            "t.yaml:27:23: paths./token.post.responses.200.content.application/json.schema: the token issuer's `response` needs an integer property `expired_at`",
        ],
    );
    refused(
        &issuer(body, payload, true),
        &[
            "t.yaml:7:23: paths./items/{id}.get.x-token-issuer: the token issuer must take a request body with `imp_key` and `imp_secret`",
            "t.yaml:13:9: paths./items/{id}.get.responses: the token issuer must answer a success status with a JSON envelope (`code`, `message`, `response`)",
            "t.yaml:18:23: paths./token.post.x-token-issuer: only one operation may be the token issuer; paths./items/{id}.get is marked too",
        ],
    );
}

#[test]
fn templates_that_differ_only_in_parameter_names_are_refused() {
    let paths = "  /items/{kind}:\n    delete:\n      operationId: dropItem\n      parameters:\n        - {name: kind, in: path, required: true, schema: {type: string}}\n      responses:\n        '204':\n          description: gone\n";
    refused(
        &spec("", paths, ""),
        &[
            "t.yaml:13:5: paths./items/{kind}: the same route as `/items/{id}`: templates that differ only in parameter names are identical (OpenAPI), and axum's router panics on them",
        ],
    );
    // Different names under one prefix are fine for axum's router when the routes differ after.
    let fine = paths
        .replace("/items/{kind}:", "/items/{kind}/parts:")
        .replace("/items/{id}:", "/items/{id}/tags:");
    refused(
        &spec("", &fine, "").replace("/items/{id}:", "/items/{id}/tags:"),
        &[],
    );
}

#[test]
fn segments_axum_refuses_are_refused() {
    let text = spec("", "", "").replace("/items/{id}:", "/items/{id}.json:");
    refused(
        &text,
        &[
            "t.yaml:5:5: paths./items/{id}.json: `{id}.json`: nothing may follow a parameter in its segment (axum's router refuses it)",
        ],
    );
    let text = spec("", "", "")
        .replace("/items/{id}:", "/openapi.json:")
        .replace(
            "        - {name: id, in: path, required: true, schema: {type: string}}\n",
            "        - {name: id, in: query, schema: {type: string}}\n",
        );
    refused(
        &text,
        &[
            "t.yaml:5:5: paths./openapi.json: the generated server serves its own document at `/openapi.json`",
        ],
    );
}

#[test]
fn operation_ids_with_one_rust_name_are_refused() {
    let paths = "  /tokens:\n    get:\n      operationId: get_item\n      responses:\n        '204':\n          description: none\n  /new:\n    get:\n      operationId: New\n      responses:\n        '204':\n          description: none\n";
    refused(
        &spec("", paths, ""),
        &[
            "t.yaml:20:20: paths./new.get.operationId: `New` becomes the method `new`, which the client or the server already has",
            "t.yaml:14:20: paths./tokens.get.operationId: `get_item` and `getItem` (paths./items/{id}.get.operationId) both become the Rust name `get_item`",
        ],
    );
}

#[test]
fn progenitor_extensions_are_refused() {
    refused(
        &spec("      x-dropshot-websocket: {}\n", "", ""),
        &[
            "t.yaml:9:29: paths./items/{id}.get.x-dropshot-websocket: `x-dropshot-websocket` is not supported by the generators",
        ],
    );
}
#[test]
fn references_the_generators_do_not_follow_are_refused() {
    let op = "        - $ref: '#/components/x-parameters/P'\n";
    let components = "    T: {type: object, properties: {a: {$ref: '#/components/schemas/T/properties/b'}, b: {type: string}}}\n  x-parameters:\n    P: {name: p, in: query, schema: {type: string}}\n  parameters:\n    P: {$ref: '#/components/parameters/Q'}\n    Q: {name: q, in: query, schema: {type: string}}\n";
    refused(
        &spec(op, "", components),
        &[
            "t.yaml:16:46: components.schemas.T.properties.a.$ref: `#/components/schemas/T/properties/b`: the generators follow references of the form `#/components/schemas/NAME` only",
            "t.yaml:20:15: components.parameters.P.$ref: a component of `parameters` that is itself a reference is not supported: write it out",
            "t.yaml:9:17: paths./items/{id}.get.parameters[1].$ref: `#/components/x-parameters/P`: the generators follow references of the form `#/components/parameters/NAME` only",
        ],
    );
}

#[test]
fn schema_names_must_make_distinct_rust_types() {
    let components =
        "    item-list: {type: string}\n    ItemList: {type: string}\n    9lives: {type: string}\n";
    refused(
        &spec("", "", components),
        &[
            "t.yaml:17:13: components.schemas.9lives: the schema name `9lives` does not make a Rust type name (letters, digits, `_`, `-`, `.`, starting with a letter)",
            "t.yaml:15:16: components.schemas.item-list: the schema names `item-list` and `ItemList` both become the Rust type `ItemList`",
        ],
    );
}

#[test]
fn integer_defaults_must_fit_their_format() {
    refused(
        &spec(
            "",
            "",
            "    Small: {type: integer, format: int32, default: 3000000000}\n",
        ),
        &[
            "t.yaml:15:52: components.schemas.Small.default: the default 3000000000 does not fit the format int32",
        ],
    );
}

#[test]
fn the_token_issuers_code_is_a_plain_int64() {
    let body = "imp_key: {type: string}, imp_secret: {type: string}";
    let payload = "access_token: {type: string}, now: {type: integer}, expired_at: {type: integer}";
    let text = issuer(body, payload, false).replace(
        "code: {type: integer, format: int64}",
        "code: {type: integer, format: int64, minimum: 1}",
    );
    refused(
        &text,
        &[
            "t.yaml:27:23: paths./token.post.responses.200.content.application/json.schema: the token issuer must answer with the envelope: `code` (integer, int64, without bounds), `message` and `response`",
        ],
    );
}
#[test]
fn not_schemas_are_refused() {
    refused(
        &spec("", "", "    NotEmpty: {type: string, not: {enum: ['']}}\n"),
        &[
            "t.yaml:15:35: components.schemas.NotEmpty.not: `not` is not supported (typify reads only a few of its forms)",
        ],
    );
}

#[test]
fn parameter_flags_must_be_booleans() {
    let op =
        "        - {name: q, in: query, explode: 'yes', required: 1, schema: {type: string}}\n";
    refused(
        &spec(op, "", ""),
        &[
            "t.yaml:9:58: paths./items/{id}.get.parameters[1].required: expected true or false, found the number 1",
            "t.yaml:9:41: paths./items/{id}.get.parameters[1].explode: expected true or false, found the string \"yes\"",
        ],
    );
}

#[test]
fn the_token_issuers_envelope_is_not_nullable() {
    let body = "imp_key: {type: string}, imp_secret: {type: string}";
    let payload = "access_token: {type: string}, now: {type: integer}, expired_at: {type: integer}";
    let text = issuer(body, payload, false).replace(
        "    Envelope:\n      type: object\n",
        "    Envelope:\n      type: object\n      nullable: true\n",
    );
    refused(
        &text,
        &[
            "t.yaml:27:23: paths./token.post.responses.200.content.application/json.schema: the token issuer's envelope must not be nullable",
        ],
    );
}
#[test]
fn patterns_must_compile_and_untyped_enums_be_of_one_kind() {
    let components = "    R: {type: string, pattern: '(['}\n    Mixed: {enum: [1, a, null]}\n";
    refused(
        &spec("", "", components),
        &[
            "t.yaml:16:19: components.schemas.Mixed.enum: an enum without a `type` must list values of one kind (strings, numbers or booleans); found number, string",
            "t.yaml:15:32: components.schemas.R.pattern: not a regular expression (ECMAScript, as typify and the generated types read it): Unbalanced bracket",
        ],
    );
}
#[test]
fn defaults_must_fit_bounds_and_referenced_types() {
    let components = "    Low: {type: integer, minimum: 5, default: 1}\n    Holder: {type: object, properties: {k: {allOf: [{$ref: '#/components/schemas/S'}], default: 3}}}\n";
    refused(
        &spec("", "", components),
        &[
            "t.yaml:16:97: components.schemas.Holder.properties.k.default: the default is the number 3 but the schema's type is a string",
            "t.yaml:15:47: components.schemas.Low.default: the default 1 is outside the schema's minimum/maximum",
        ],
    );
}

#[test]
fn links_must_name_an_operation_and_its_parameters() {
    let good = "          links:\n            Self:\n              operationId: getItem\n              parameters: {id: $request.path.id, path.id: x}\n";
    let text = spec("", "", "").replace(
        "          description: ok\n",
        &format!("          description: ok\n{good}"),
    );
    refused(&text, &[]);
    let bad = "          links:\n            Gone:\n              operationId: nothing\n            Wrong:\n              operationId: getItem\n              parameters: {item_id: $request.path.id, query.id: x}\n";
    let text = spec("", "", "").replace(
        "          description: ok\n",
        &format!("          description: ok\n{bad}"),
    );
    let found = errors(&text);
    assert_eq!(found.len(), 3, "{found:#?}");
    assert!(
        found[0].contains("links.Gone.operationId: no operation has the operationId `nothing`"),
        "{found:#?}"
    );
    assert!(
        found
            .iter()
            .any(|e| e
                .contains("links.Wrong.parameters.item_id: `getItem` has no parameter `item_id`")),
        "{found:#?}"
    );
    assert!(
        found.iter().any(|e| e
            .contains("links.Wrong.parameters.query.id: `getItem` has no parameter `query.id`")),
        "{found:#?}"
    );
    assert!(
        found.iter().all(|e| e.starts_with("t.yaml:")),
        "located: {found:#?}"
    );
}
