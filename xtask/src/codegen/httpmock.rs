//! The mock crate's generated code: progenitor's typed `httpmock` extension over the client's types,
//! with two matchers fixed where progenitor's do not match what its own client sends:
//! - an array query parameter (`ids[]=a&ids[]=b`) is matched pair by pair (progenitor calls
//!   `to_string` on the `Vec`, which does not compile);
//! - a form body (`application/x-www-form-urlencoded`) is matched field by field (progenitor matches
//!   it as JSON, which never matches);
//! - a non-JSON answer (`text/csv`) is served as text with its media type (progenitor serves JSON).

use progenitor_impl::Generator;
use quote::quote;

use super::ops::{BodyMedia, Content, Op};
use super::{Output, client, format_rust, guard_panics};
use crate::spec::Spec;

pub const PATH: &str = "crates/iamport-httpmock/src/generated_httpmock.rs";

/// `operations`: the spec's operations as the client generator read them.
pub fn generate(
    spec: &Spec,
    path: &str,
    client_crate: &str,
    operations: &[Op],
) -> anyhow::Result<Output> {
    let api = super::for_progenitor(&spec.openapi);
    let tokens = guard_panics("progenitor (httpmock)", || {
        Generator::new(&client::settings()).httpmock(&api, client_crate)
    })?;
    let mut file: syn::File = syn::parse2(tokens)?;
    patch(&mut file, operations);
    Ok(Output::rust(
        path,
        spec,
        "progenitor's httpmock generator",
        format_rust(quote!(#file))?,
    ))
}

fn patch(file: &mut syn::File, operations: &[Op]) {
    for item in &mut file.items {
        let syn::Item::Mod(m) = item else { continue };
        if m.ident != "operations" {
            continue;
        }
        for item in m.content.iter_mut().flat_map(|(_, items)| items) {
            let syn::Item::Impl(imp) = item else { continue };
            let syn::Type::Path(p) = &*imp.self_ty else {
                continue;
            };
            let Some(name) = p.path.get_ident().map(ToString::to_string) else {
                continue;
            };
            if let Some(op) = operations
                .iter()
                .find(|op| format!("{}When", op.builder) == name)
            {
                for item in &mut imp.items {
                    let syn::ImplItem::Fn(f) = item else { continue };
                    patch_matcher(f, op);
                }
            }
            if let Some(op) = operations
                .iter()
                .find(|op| format!("{}Then", op.builder) == name)
            {
                for item in &mut imp.items {
                    let syn::ImplItem::Fn(f) = item else { continue };
                    patch_answer(f, op);
                }
            }
        }
    }
}

fn patch_matcher(f: &mut syn::ImplItemFn, op: &Op) {
    let optional = f.sig.generics.where_clause.is_some();
    if let Some(param) = op
        .params
        .iter()
        .find(|p| p.item.is_some() && p.ident == f.sig.ident)
    {
        let name = &param.api_name;
        let pairs = quote! {
            values.iter().fold(self.0, |when, value| when.query_param(#name, value.to_string()))
        };
        f.block = if optional {
            syn::parse_quote!({
                match value.into() {
                    Some(values) => Self(#pairs),
                    None => Self(self.0.query_param_missing(#name)),
                }
            })
        } else {
            syn::parse_quote!({
                let values = value;
                Self(#pairs)
            })
        };
    }
    let form = op
        .body
        .as_ref()
        .is_some_and(|b| b.media.first() == Some(&BodyMedia::Form));
    if form && f.sig.ident == "body" {
        f.block = syn::parse_quote!({
            let encoded = ::serde_urlencoded::to_string(value).unwrap_or_default();
            let pairs: Vec<(String, String)> =
                ::serde_urlencoded::from_str(&encoded).unwrap_or_default();
            Self(pairs.into_iter().fold(self.0, |when, (key, value)| {
                when.form_urlencoded_tuple(key, value)
            }))
        });
    }
}

/// A `Then` method serving a non-JSON answer takes the text and sends it with its media type.
fn patch_answer(f: &mut syn::ImplItemFn, op: &Op) {
    let block = quote::ToTokens::to_token_stream(&f.block).to_string();
    let Some(response) = op.responses.iter().find(|r| {
        block.contains(&format!("status ({}u16)", r.status))
            || block.contains(&format!("status({}u16)", r.status))
    }) else {
        return;
    };
    let Content::Text(media) = &response.content else {
        return;
    };
    let status = proc_macro2::Literal::u16_suffixed(response.status);
    let name = &f.sig.ident;
    *f = syn::parse_quote! {
        pub fn #name(self, value: &str) -> Self {
            Self(self.0.status(#status).header("content-type", #media).body(value))
        }
    };
}
