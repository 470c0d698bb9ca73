//! The contract tests' typed calls, one per operation (`tests/generated_cases.rs`): the generated
//! client asks with the spec's examples of the operation's inputs, and the generated mock answers a
//! declared status with a given body. `tests/agreement.rs` drives them for every (operation,
//! status) that has no hand-written case of its own; the server answers those from the spec's
//! examples (`Prefer: code=NNN`).

use heck::ToSnakeCase;
use openapiv3::OpenAPI;
use proc_macro2::TokenStream;
use quote::{format_ident, quote};

use super::Output;
use super::ops::{Content, Op, resolve_body, resolve_parameter, resolve_schema};
use crate::spec::Spec;

pub const PATH: &str = "tests/generated_cases.rs";

pub fn generate(spec: &Spec, operations: &[Op]) -> anyhow::Result<Output> {
    let api = &spec.openapi;
    let mut calls = vec![];
    let mut mocks = vec![];
    for op in operations {
        calls.push(call_arm(api, op)?);
        mocks.extend(mock_arms(op));
    }
    let code = quote! {
        use iamport_client::{RawClient, types};
        use iamport_httpmock::MockServerExt;

        use super::{Outcome, example, outcome, typed};

        /// Calls `operation_id` through the generated client with the spec's examples of its
        /// inputs (the required ones, and any optional one the spec gives an example of).
        /// `None` for an operation the spec does not have.
        pub async fn call_with_examples(
            client: &RawClient,
            operation_id: &str,
        ) -> Option<Result<Outcome, String>> {
            Some(match operation_id {
                #(#calls,)*
                _ => return None,
            })
        }

        /// Registers the generated mock of `operation_id` answering `status` with `body`.
        /// `None` for a pair the spec does not declare with a JSON body.
        pub fn mock_answer<'a>(
            server: &'a httpmock::MockServer,
            operation_id: &str,
            status: u16,
            body: &serde_json::Value,
        ) -> Option<Result<httpmock::Mock<'a>, String>> {
            Some(match (operation_id, status) {
                #(#mocks,)*
                _ => return None,
            })
        }
    };
    Ok(Output::rust(
        PATH,
        spec,
        "xtask's contract-case generator",
        super::format_rust(code)?,
    ))
}

fn call_arm(api: &OpenAPI, op: &Op) -> anyhow::Result<TokenStream> {
    let id = &op.id;
    let fn_name = &op.fn_name;
    let mut setters = vec![];
    for p in &op.params {
        let spec_param = op
            .operation
            .parameters
            .iter()
            .filter_map(|p| resolve_parameter(api, p).ok())
            .find(|sp| sp.parameter_data_ref().name == p.api_name);
        let Some(sp) = spec_param else { continue };
        let data = sp.parameter_data_ref();
        let schema = match &data.format {
            openapiv3::ParameterSchemaOrContent::Schema(s) => resolve_schema(api, s),
            openapiv3::ParameterSchemaOrContent::Content(_) => None,
        };
        let given = data
            .example
            .clone()
            .or_else(|| schema.and_then(|s| s.schema_data.example.clone()));
        let value = match given {
            Some(value) => value,
            None if p.required => {
                // The contract case fails by name rather than call with made-up values.
                let why = format!(
                    "{id}: the spec gives no example of the required parameter `{}`",
                    p.api_name
                );
                return Ok(quote! { #id => Err(#why.to_owned()) });
            }
            None => continue,
        };
        let json = serde_json::to_string(&value)?;
        let ident = &p.ident;
        let ty = &p.ty;
        let what = format!("{id}: the example of `{}`", p.api_name);
        setters.push(quote! { .#ident(example::<#ty>(#json, #what)?) });
    }
    if let Some(body) = &op.body {
        let example = op
            .operation
            .request_body
            .as_ref()
            .and_then(|b| resolve_body(api, b).ok())
            .and_then(|b| b.content.values().find_map(|m| m.example.clone()));
        if body.required || example.is_some() {
            let value = example.unwrap_or_else(|| serde_json::json!({}));
            let json = serde_json::to_string(&value)?;
            let ty = &body.ty;
            let what = format!("{id}: the example of the request body");
            setters.push(quote! { .body(example::<#ty>(#json, #what)?) });
        }
    }
    Ok(quote! {
        #id => (async {
            Ok(outcome(client.#fn_name() #(#setters)* .send().await))
        })
        .await
    })
}

fn mock_arms(op: &Op) -> Vec<TokenStream> {
    let id = &op.id;
    let fn_name = &op.fn_name;
    op.responses
        .iter()
        .filter_map(|r| {
            let Content::Json(ty) = &r.content else {
                return None;
            };
            let status = r.status;
            let method = format_ident!("{}", then_method(status)?);
            Some(quote! {
                (#id, #status) => typed::<#ty>(body).map(|b| {
                    server.#fn_name(move |_, then| {
                        then.#method(&b);
                    })
                })
            })
        })
        .collect()
}

/// progenitor's name for the mock's answer of `status`: the reason phrase in snake_case.
fn then_method(status: u16) -> Option<String> {
    let reason = http::StatusCode::from_u16(status)
        .ok()?
        .canonical_reason()?;
    Some(reason.replace('\'', "").replace('-', " ").to_snake_case())
}
