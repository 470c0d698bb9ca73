//! The mock crate's generated code: progenitor's typed `httpmock` extension over the client's types.

use progenitor_impl::Generator;

use super::{Output, client, format_rust, guard_panics};
use crate::spec::Spec;

pub const PATH: &str = "crates/iamport-httpmock/src/generated_httpmock.rs";

pub fn generate(spec: &Spec, path: &str, client_crate: &str) -> anyhow::Result<Output> {
    let api = super::for_progenitor(&spec.openapi);
    let tokens = guard_panics("progenitor (httpmock)", || {
        Generator::new(&client::settings()).httpmock(&api, client_crate)
    })?;
    Ok(Output::rust(
        path,
        spec,
        "progenitor's httpmock generator",
        format_rust(tokens)?,
    ))
}
