//! One response enum per operation: a variant per declared status, `Unimplemented`, the answer's
//! status, `IntoResponse`, `example()` (the spec's example, what the trait's default answers) and
//! `example_for(status)` (the example of any declared status, for `Prefer: code=NNN`).

use heck::{ToPascalCase, ToShoutySnakeCase};
use proc_macro2::{Ident, Literal, TokenStream};
use quote::{format_ident, quote};

use crate::codegen::ops::{Content, Op};

pub fn enum_ident(op: &Op) -> Ident {
    format_ident!("{}Response", op.id.to_pascal_case())
}

pub fn response_enum(op: &Op) -> anyhow::Result<TokenStream> {
    let name = enum_ident(op);
    let doc = format!(
        "The answers `{}` may give: one variant per status the spec declares.",
        op.id
    );
    let mut variants = vec![];
    let mut arms = vec![];
    let mut status_arms = vec![];
    for r in &op.responses {
        let variant = variant_ident(r.status);
        let status = status_const(r.status);
        let vdoc = format!("{}: {}", r.status, r.description.trim());
        match &r.content {
            Content::Json(ty) => {
                variants.push(quote! { #[doc = #vdoc] #variant(#ty) });
                arms.push(
                    quote! { Self::#variant(body) => (#status, axum::Json(body)).into_response() },
                );
                status_arms.push(quote! { Self::#variant(_) => #status });
            }
            Content::Text(media) => {
                variants.push(quote! { #[doc = #vdoc] #variant(String) });
                arms.push(quote! {
                    Self::#variant(body) => (#status, [(axum::http::header::CONTENT_TYPE, #media)], body).into_response()
                });
                status_arms.push(quote! { Self::#variant(_) => #status });
            }
            Content::None => {
                variants.push(quote! { #[doc = #vdoc] #variant });
                arms.push(quote! { Self::#variant => #status.into_response() });
                status_arms.push(quote! { Self::#variant => #status });
            }
        }
    }
    let example = example(op)?;
    Ok(quote! {
        #[doc = #doc]
        #[derive(Clone, Debug, PartialEq)]
        pub enum #name {
            #(#variants,)*
            /// Not a status of the spec: the operation has no implementation and the spec gives no
            /// example to answer with. Sent as 501 in the error envelope.
            Unimplemented,
        }

        impl #name {
            /// The HTTP status this answer is sent with.
            pub fn status(&self) -> StatusCode {
                match self {
                    #(#status_arms,)*
                    Self::Unimplemented => StatusCode::NOT_IMPLEMENTED,
                }
            }

            #example
        }

        impl IntoResponse for #name {
            fn into_response(self) -> Response {
                match self {
                    #(#arms,)*
                    Self::Unimplemented => crate::envelope::not_implemented(),
                }
            }
        }
    })
}

/// `example()`: the first success status with an example in the spec, decoded into its type (when
/// there is none, or it does not decode, `Unimplemented`); `example_for(status)`: the example of the
/// given declared status, if the spec has one.
fn example(op: &Op) -> anyhow::Result<TokenStream> {
    let mut first_success = None;
    let mut arms = vec![];
    for r in &op.responses {
        let variant = variant_ident(r.status);
        let value = match (&r.content, &r.example) {
            (Content::None, _) => Some(quote! { Some(Self::#variant) }),
            (Content::Text(_), Some(value)) => {
                let text = value
                    .as_str()
                    .map(str::to_owned)
                    .unwrap_or_else(|| value.to_string());
                Some(quote! { Some(Self::#variant(#text.to_owned())) })
            }
            (Content::Json(_), Some(value)) => {
                let json = serde_json::to_string(value)?;
                Some(quote! { serde_json::from_str(#json).ok().map(Self::#variant) })
            }
            _ => None,
        };
        if let Some(value) = value {
            let code = Literal::u16_unsuffixed(r.status);
            arms.push(quote! { #code => #value });
            if first_success.is_none() && (200..300).contains(&r.status) {
                first_success = Some(code);
            }
        }
    }
    let body = match first_success {
        Some(code) => quote! { Self::example_for(#code).unwrap_or(Self::Unimplemented) },
        None => quote! { Self::Unimplemented },
    };
    let doc = format!(
        "The spec's example answer of `{}`, or `Unimplemented` when it has none.",
        op.id
    );
    let doc_for = format!(
        "The spec's example answer of `{}` for `status`, if the spec declares that status with an example.",
        op.id
    );
    Ok(quote! {
        #[doc = #doc]
        pub fn example() -> Self {
            #body
        }

        #[doc = #doc_for]
        pub fn example_for(status: u16) -> Option<Self> {
            match status {
                #(#arms,)*
                _ => None,
            }
        }
    })
}

fn reason(code: u16) -> Option<String> {
    let reason = http::StatusCode::from_u16(code).ok()?.canonical_reason()?;
    Some(reason.replace('\'', "").replace('-', " "))
}

/// `200` → `Ok`, `400` → `BadRequest`, … (the canonical reason phrase in PascalCase).
pub fn variant_ident(code: u16) -> Ident {
    let name = reason(code).map_or_else(|| format!("Status{code}"), |r| r.to_pascal_case());
    format_ident!("{}", name)
}

/// `400` → `StatusCode::BAD_REQUEST`; a code without a name is built from its number.
fn status_const(code: u16) -> TokenStream {
    match reason(code) {
        Some(r) => {
            let name = format_ident!("{}", r.to_shouty_snake_case());
            quote! { StatusCode::#name }
        }
        None => {
            let code = Literal::u16_unsuffixed(code);
            quote! { StatusCode::from_u16(#code).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR) }
        }
    }
}
