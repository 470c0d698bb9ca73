//! The client crate's generated code: progenitor's positional client and the spec's types.

use progenitor_impl::{GenerationSettings, Generator, HooksMode, InterfaceStyle, TagStyle};
use quote::quote;

use super::{Output, format_rust, guard_panics};
use crate::spec::Spec;

pub const PATH: &str = "crates/iamport-client/src/generated_client.rs";

/// Settings shared with the mock generator, which must see the same type names.
pub fn settings() -> GenerationSettings {
    let mut settings = GenerationSettings::new();
    settings
        .with_interface(InterfaceStyle::Positional)
        .with_tag(TagStyle::Merged)
        // The hand-written layer puts the access token in the generated client and adds it in a
        // `ClientHooks::pre` hook; `Expected` makes a missing hook a compile error, not a silent no-auth.
        .with_inner_type(quote!(crate::RequestAuth))
        .with_hooks(HooksMode::Expected)
        .with_derive("PartialEq")
        .with_derive("schemars::JsonSchema");
    settings
}

pub fn generate(spec: &Spec) -> anyhow::Result<Output> {
    let tokens = guard_panics("progenitor (client)", || {
        Generator::new(&settings()).generate_tokens(&spec.openapi)
    })?;
    Ok(Output::rust(
        PATH,
        spec,
        "progenitor's client generator",
        format_rust(tokens)?,
    ))
}
