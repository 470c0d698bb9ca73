//! The client crate's generated code: progenitor's builder-style client and types (patched so that
//! compatible spec changes stay compatible for Rust users), the `IamportClient` methods, and the list
//! of component types the contract tests compare with the spec.

use heck::ToPascalCase;
use progenitor_impl::{GenerationSettings, Generator, HooksMode, InterfaceStyle, TagStyle};
use quote::{format_ident, quote};

use super::{
    Output, defaults, facade, format_rust, guard_panics, newtypes, ops, optional_schemars,
    types_patch,
};
use crate::spec::Spec;

pub const PATH: &str = "crates/iamport-client/src/generated_client.rs";

/// Settings shared with the mock generator, which must see the same type names.
pub fn settings() -> GenerationSettings {
    let mut settings = GenerationSettings::new();
    settings
        // Builder style gives every type a `builder()`: values are built without struct literals.
        .with_interface(InterfaceStyle::Builder)
        .with_tag(TagStyle::Merged)
        // The hand-written layer puts the access token in the generated client and adds it in a
        // `ClientHooks::pre` hook; `Expected` makes a missing hook a compile error, not a silent no-auth.
        .with_inner_type(quote!(crate::RequestAuth))
        .with_hooks(HooksMode::Expected)
        .with_derive("PartialEq")
        .with_derive("schemars::JsonSchema");
    settings
}

/// The client's file, and the operations read off progenitor's client (the mocks use them too, so
/// progenitor's client generator runs once per spec).
pub fn generate<'a>(spec: &'a Spec, path: &str) -> anyhow::Result<(Output, Vec<ops::Op<'a>>)> {
    let api = super::for_progenitor(&spec.openapi);
    let tokens = guard_panics("progenitor (client)", || {
        Generator::new(&settings()).generate_tokens(&api)
    })?;
    let operations = ops::operations(&spec.openapi, &tokens)?;
    let mut file: syn::File = syn::parse2(tokens)?;
    types_patch::patch(&mut file);
    newtypes::patch(&mut file, false);
    for item in &mut file.items {
        if let syn::Item::Mod(m) = item
            && m.ident == "types"
            && let Some((_, items)) = &mut m.content
        {
            defaults::patch_items(&spec.openapi, items, false);
        }
    }
    drop_api_version_header(&mut file);
    let structs = facade::structs(&file);
    let methods = facade::generate(&operations, &structs)?;
    let schemas = component_types(spec);
    let mut code: syn::File = syn::parse2(quote! {
        #file
        #methods
        #schemas
    })?;
    optional_schemars::patch(&mut code);
    let output = Output::rust(
        path,
        spec,
        "progenitor's client generator and xtask's IamportClient methods",
        format_rust(quote!(#code))?,
    );
    Ok((output, operations))
}

/// `__contract::component_schemas()`: each component schema of the spec with the schemars schema of
/// its client type, so the contract tests need no list of names.
fn component_types(spec: &Spec) -> proc_macro2::TokenStream {
    let types: Vec<(&String, proc_macro2::Ident)> = spec
        .openapi
        .components
        .iter()
        .flat_map(|c| c.schemas.keys())
        .map(|name| (name, format_ident!("{}", name.to_pascal_case())))
        .collect();
    let entries = types
        .iter()
        .map(|(name, ty)| quote! { (#name, schemars::schema_for!(types::#ty)) });
    let written = types.iter().map(|(name, ty)| {
        quote! {
            (#name, schemars::generate::SchemaSettings::default()
                .for_serialize()
                .into_generator()
                .into_root_schema_for::<types::#ty>())
        }
    });
    quote! {
        /// For the workspace's contract tests: each component schema of the spec and the schema of
        /// the client type generated for it.
        #[doc(hidden)]
        pub mod __contract {
            use super::types;
            /// What each type reads (deserializes).
            pub fn component_schemas() -> Vec<(&'static str, schemars::Schema)> {
                vec![#(#entries),*]
            }
            /// What each type writes (serializes).
            pub fn component_schemas_written() -> Vec<(&'static str, schemars::Schema)> {
                vec![#(#written),*]
            }
        }
    }
}

/// progenitor adds `api-version: <info.version>` to every request. PortOne's API has no such header
/// (it would only tell the server our spec's version), and building it is part of the per-call cost
/// measured against plain reqwest, so the statement is dropped from every generated `send`.
fn drop_api_version_header(file: &mut syn::File) {
    use syn::visit_mut::VisitMut;
    struct Drop;
    impl VisitMut for Drop {
        fn visit_block_mut(&mut self, block: &mut syn::Block) {
            block.stmts.retain(|stmt| {
                let text = quote::ToTokens::to_token_stream(stmt).to_string();
                !(text.starts_with("header_map . append") && text.contains("\"api-version\""))
            });
            for stmt in &mut block.stmts {
                // What is left may append nothing: an empty map (which does not allocate).
                if let syn::Stmt::Local(local) = stmt
                    && quote::ToTokens::to_token_stream(&local.pat).to_string() == "mut header_map"
                {
                    *stmt = syn::parse_quote! {
                        #[allow(unused_mut)]
                        let mut header_map = ::reqwest::header::HeaderMap::new();
                    };
                }
            }
            syn::visit_mut::visit_block_mut(self, block);
        }
    }
    Drop.visit_file_mut(file);
}
