//! The mock crate's generated code: progenitor's typed `httpmock` extension over the client's types.

use progenitor_impl::Generator;

use super::{Output, client, format_rust, guard_panics};
use crate::spec::Spec;

pub const PATH: &str = "crates/iamport-httpmock/src/generated_httpmock.rs";

pub fn generate(spec: &Spec) -> anyhow::Result<Output> {
    let tokens = guard_panics("progenitor (httpmock)", || {
        Generator::new(&client::settings()).httpmock(&spec.openapi, "iamport_client")
    })?;
    Ok(Output::rust(
        PATH,
        spec,
        "progenitor's httpmock generator",
        format_rust(tokens)?,
    ))
}
