//! The `IamportClient` methods: one per operation, named after the operationId, returning the payload.
//!
//! Each method takes the required inputs (path and required query/header parameters, a required body)
//! and returns a request value with a setter per optional input; awaiting it (or `.send()`) sends the
//! call. So a parameter that the spec adds as optional is one more setter, never a broken call.
//!
//! The call goes through the hand-written runtime (`crate::IamportClient::call`): the token on secured
//! operations, one retry after a 401, and the error model. A success answer that is the API's envelope
//! (`code`, `message`, `response`) gives `response`; any other success body is returned whole.

use std::collections::BTreeMap;

use anyhow::{anyhow, bail};
use proc_macro2::{Ident, TokenStream};
use quote::{format_ident, quote};
use syn::visit_mut::VisitMut;

use super::ops::Op;

/// Field name → Rust type (as seen from outside the `types` module) of each struct with named
/// fields in the `types` module.
pub type Structs = BTreeMap<String, BTreeMap<String, syn::Type>>;

pub fn structs(file: &syn::File) -> Structs {
    let items: Vec<&syn::Item> = file
        .items
        .iter()
        .filter_map(|item| match item {
            syn::Item::Mod(m) if m.ident == "types" => m.content.as_ref(),
            _ => None,
        })
        .flat_map(|(_, items)| items)
        .collect();
    let names: Vec<String> = items
        .iter()
        .filter_map(|item| match item {
            syn::Item::Struct(s) => Some(s.ident.to_string()),
            syn::Item::Enum(e) => Some(e.ident.to_string()),
            syn::Item::Type(t) => Some(t.ident.to_string()),
            _ => None,
        })
        .collect();
    let mut out = Structs::new();
    for item in items {
        if let syn::Item::Struct(s) = item
            && let syn::Fields::Named(fields) = &s.fields
        {
            out.insert(
                s.ident.to_string(),
                fields
                    .named
                    .iter()
                    .filter_map(|f| {
                        let mut ty = f.ty.clone();
                        Qualify(&names).visit_type_mut(&mut ty);
                        Some((f.ident.as_ref()?.to_string(), ty))
                    })
                    .collect(),
            );
        }
    }
    out
}

/// Rewrites `X` to `types::X` for the types of the `types` module.
struct Qualify<'a>(&'a [String]);

impl VisitMut for Qualify<'_> {
    fn visit_type_path_mut(&mut self, p: &mut syn::TypePath) {
        if p.qself.is_none()
            && p.path.leading_colon.is_none()
            && p.path.segments.len() == 1
            && self.0.contains(&p.path.segments[0].ident.to_string())
        {
            p.path.segments.insert(0, syn::parse_quote!(types));
        }
        syn::visit_mut::visit_type_path_mut(self, p);
    }
}

/// `Some(T)` for `Option<T>`.
fn option_inner(ty: &syn::Type) -> Option<syn::Type> {
    let syn::Type::Path(p) = ty else { return None };
    (p.path.segments.last()?.ident == "Option")
        .then(|| super::ops::generic_args(ty)?.into_iter().next())
        .flatten()
}

/// The last segment of `types::X`.
fn type_name(ty: &syn::Type) -> Option<String> {
    let syn::Type::Path(p) = ty else { return None };
    Some(p.path.segments.last()?.ident.to_string())
}

/// How the payload is taken out of a success answer.
enum Payload {
    /// The envelope: `response` (of type `payload`), its `message` optional or not.
    Envelope {
        payload: syn::Type,
        response_optional: bool,
        message_optional: bool,
    },
    Whole(syn::Type),
}

fn payload_of(op: &Op, structs: &Structs) -> Payload {
    let ty = &op.success;
    let fields = type_name(ty).and_then(|n| structs.get(&n));
    if let Some(fields) = fields
        && let (Some(code), Some(response)) = (fields.get("code"), fields.get("response"))
        && quote!(#code).to_string() == "i64"
    {
        let message_optional = fields
            .get("message")
            .map(option_inner)
            .is_some_and(|o| o.is_some());
        let (payload, response_optional) = match option_inner(response) {
            Some(inner) => (inner, true),
            None => (response.clone(), false),
        };
        if fields.contains_key("message") {
            return Payload::Envelope {
                payload,
                response_optional,
                message_optional,
            };
        }
    }
    Payload::Whole(ty.clone())
}

pub fn generate(ops: &[Op], structs: &Structs) -> anyhow::Result<TokenStream> {
    let mut methods = vec![];
    let mut requests = vec![];
    for op in ops {
        let (m, r) = operation(op, structs)?;
        methods.push(m);
        requests.push(r);
    }
    let fetch_token = token_issuer(ops, structs)?;
    Ok(quote! {
        /// The API's operations, one method each (generated from the spec by `cargo xtask codegen`).
        impl crate::IamportClient {
            #(#methods)*
            #fetch_token
        }

        /// The requests the [`IamportClient`](crate::IamportClient) methods return: set optional
        /// inputs, then `.await` (or `.send().await`) to send.
        pub mod requests {
            #[allow(unused_imports)]
            use super::types;
            #(#requests)*
        }
    })
}

fn operation(op: &Op, structs: &Structs) -> anyhow::Result<(TokenStream, TokenStream)> {
    let name = &op.fn_name;
    let request = &op.builder;
    let id = &op.id;
    let placement = token_placement(op)?;

    struct Input {
        field: Ident,
        api_name: String,
        ty: syn::Type,
        required: bool,
        /// the raw builder's setter
        setter: Ident,
    }
    let mut inputs: Vec<Input> = op
        .params
        .iter()
        .map(|p| Input {
            field: p.ident.clone(),
            api_name: p.api_name.clone(),
            ty: p.ty.clone(),
            required: p.required,
            setter: p.ident.clone(),
        })
        .collect();
    if let Some(body) = &op.body {
        if inputs.iter().any(|i| i.field == "body") {
            bail!(
                "{}: a parameter named `body` clashes with the request body",
                op.where_()
            );
        }
        inputs.push(Input {
            field: format_ident!("body"),
            api_name: "body".into(),
            ty: body.ty.clone(),
            required: body.required,
            setter: format_ident!("body"),
        });
    }

    let generics: Vec<Ident> = (0..inputs.iter().filter(|i| i.required).count())
        .map(|i| format_ident!("P{i}"))
        .collect();
    let mut args = vec![];
    let mut bounds = vec![];
    let mut inits = vec![];
    let mut fields = vec![];
    let mut setters = vec![];
    let mut unpack = vec![];
    let mut clones = vec![];
    let mut applies = vec![];
    let mut required_index = 0;
    for input in &inputs {
        let field = &input.field;
        let api_name = &input.api_name;
        let ty = &input.ty;
        let setter = &input.setter;
        if input.required {
            let g = &generics[required_index];
            required_index += 1;
            args.push(quote! { #field: #g });
            bounds
                .push(quote! { #g: ::std::convert::TryInto<#ty>, #g::Error: ::std::fmt::Display });
            inits.push(quote! { #field: crate::runtime::convert(#api_name, #field) });
            fields.push(quote! { #field: ::std::result::Result<#ty, crate::Error> });
            applies.push(quote! { let request = request.#setter(#field); });
        } else {
            inits.push(quote! { #field: Ok(None) });
            fields.push(quote! { #field: ::std::result::Result<Option<#ty>, crate::Error> });
            let doc = format!("Sets the optional `{api_name}`.");
            setters.push(quote! {
                #[doc = #doc]
                pub fn #field<V>(mut self, value: V) -> Self
                where
                    V: ::std::convert::TryInto<#ty>,
                    V::Error: ::std::fmt::Display,
                {
                    self.#field = crate::runtime::convert(#api_name, value).map(Some);
                    self
                }
            });
            applies.push(quote! {
                let request = match #field { Some(value) => request.#setter(value), None => request };
            });
        }
        unpack.push(quote! { let #field = #field?; });
        clones.push(quote! { let #field = #field.clone(); });
    }
    let field_names: Vec<&Ident> = inputs.iter().map(|i| &i.field).collect();

    let (output, take) = match payload_of(op, structs) {
        Payload::Envelope {
            payload,
            response_optional,
            message_optional,
        } => {
            let (message, response) = envelope_fields(message_optional, response_optional);
            (
                quote!(#payload),
                quote! { crate::runtime::envelope(#id, status, value.code, #message, #response) },
            )
        }
        Payload::Whole(ty) if type_name(&ty).as_deref() == Some("ByteStream") => (
            quote!(String),
            quote! { let _ = status; crate::runtime::text(#id, value).await },
        ),
        Payload::Whole(ty) => (quote!(#ty), quote! { let _ = status; Ok(value) }),
    };

    let doc = method_doc(
        op,
        &inputs
            .iter()
            .filter(|i| !i.required)
            .map(|i| i.field.to_string())
            .collect::<Vec<_>>(),
    );
    let method = quote! {
        #[doc = #doc]
        pub fn #name<#(#generics),*>(&self, #(#args),*) -> requests::#request<'_>
        where #(#bounds,)*
        {
            requests::#request { client: self, #(#inits,)* }
        }
    };
    let request_doc = format!(
        "The `{id}` request of [`IamportClient::{name}`](crate::IamportClient::{name}): `.await` it to send."
    );
    let request_code = quote! {
        #[doc = #request_doc]
        #[must_use = "a request does nothing until it is awaited or sent"]
        pub struct #request<'a> {
            pub(crate) client: &'a crate::IamportClient,
            #(pub(crate) #fields,)*
        }

        impl<'a> #request<'a> {
            #(#setters)*

            /// Sends the request: the payload, or the [`Error`](crate::Error) that says what went wrong.
            pub async fn send(self) -> ::std::result::Result<#output, crate::Error> {
                let Self { client, #(#field_names),* } = self;
                #(#unpack)*
                client
                    .call(#id, #placement, move |raw| {
                        #(#clones)*
                        async move {
                            let request = raw.#name();
                            #(#applies)*
                            let result = request.send().await;
                            let (status, value) = crate::runtime::answer(#id, result, &raw).await?;
                            #take
                        }
                    })
                    .await
            }
        }

        impl<'a> ::std::future::IntoFuture for #request<'a> {
            type Output = ::std::result::Result<#output, crate::Error>;
            type IntoFuture = ::std::pin::Pin<Box<dyn ::std::future::Future<Output = Self::Output> + Send + 'a>>;
            fn into_future(self) -> Self::IntoFuture {
                Box::pin(self.send())
            }
        }
    };
    Ok((method, request_code))
}

/// Where the token goes: the first scheme of the first alternative of the effective security.
fn token_placement(op: &Op) -> anyhow::Result<TokenStream> {
    if !op.secured() {
        return Ok(quote!(None));
    }
    let source = op
        .token_sources
        .first()
        .ok_or_else(|| anyhow!("{}: secured, but no security scheme", op.where_()))?;
    Ok(match source {
        super::ops::TokenSource::Bearer => quote!(Some(crate::runtime::TokenPlacement::Bearer)),
        super::ops::TokenSource::Header(h) => {
            quote!(Some(crate::runtime::TokenPlacement::Header(#h)))
        }
    })
}

/// `value.message` and `value.response` of a decoded envelope as `Option`s, whichever way the spec
/// made them required.
fn envelope_fields(message_optional: bool, response_optional: bool) -> (TokenStream, TokenStream) {
    let message = if message_optional {
        quote!(value.message)
    } else {
        quote!(Some(value.message))
    };
    let response = if response_optional {
        quote!(value.response)
    } else {
        quote!(Some(value.response))
    };
    (message, response)
}

fn method_doc(op: &Op, optional: &[String]) -> String {
    let mut doc = op.doc();
    if !optional.is_empty() {
        doc.push_str("\n\nOptional inputs are set on the returned request: ");
        let list: Vec<String> = optional.iter().map(|n| format!("`.{n}(…)`")).collect();
        doc.push_str(&list.join(", "));
        doc.push('.');
    }
    doc.push_str(if op.secured() {
        "\n\nSends the access token (fetched and refreshed by the client)."
    } else {
        "\n\nNeeds no access token."
    });
    doc
}

/// `fetch_token`: the operation marked `x-token-issuer: true` called with the client's key and
/// secret, its payload read as `access_token`, `now`, `expired_at`.
fn token_issuer(ops: &[Op], structs: &Structs) -> anyhow::Result<TokenStream> {
    let issuers: Vec<&Op> = ops
        .iter()
        .filter(|op| {
            op.operation.extensions.get(TOKEN_ISSUER) == Some(&serde_json::Value::Bool(true))
        })
        .collect();
    let op = match issuers.as_slice() {
        [] => {
            if let Some(secured) = ops.iter().find(|op| op.secured()) {
                bail!(
                    "{}: it needs an access token, but no operation is marked `{TOKEN_ISSUER}: true`",
                    secured.where_()
                );
            }
            return Ok(quote! {
                pub(crate) async fn fetch_token(&self) -> ::std::result::Result<crate::TokenGrant, crate::Error> {
                    Err(crate::Error::Config { reason: "the spec has no token operation".into(), source: None })
                }
            });
        }
        [op] => *op,
        [a, b, ..] => bail!(
            "{} and {} are both marked `{TOKEN_ISSUER}: true`",
            a.where_(),
            b.where_()
        ),
    };
    let where_ = op.where_();
    let body = op.body.as_ref().ok_or_else(|| {
        anyhow!("{where_}: the token issuer must take a body with imp_key and imp_secret")
    })?;
    let body_fields = type_name(&body.ty).and_then(|n| structs.get(&n));
    for field in ["imp_key", "imp_secret"] {
        if !body_fields.is_some_and(|f| f.contains_key(field)) {
            bail!("{where_}: the token issuer's body has no `{field}`");
        }
    }
    let Payload::Envelope {
        payload,
        response_optional,
        message_optional,
    } = payload_of(op, structs)
    else {
        bail!("{where_}: the token issuer must answer with the envelope");
    };
    let (message, response) = envelope_fields(message_optional, response_optional);
    let payload_fields = type_name(&payload).and_then(|n| structs.get(&n));
    for field in ["access_token", "now", "expired_at"] {
        if !payload_fields.is_some_and(|f| f.contains_key(field)) {
            bail!("{where_}: the token issuer's payload has no `{field}`");
        }
    }
    let name = &op.fn_name;
    let id = &op.id;
    let body_ty = &body.ty;
    Ok(quote! {
        /// The token operation of the spec, with this client's key and secret (straight to the
        /// generated client: the token cache calls this, so it must not go through the cache).
        pub(crate) async fn fetch_token(&self) -> ::std::result::Result<crate::TokenGrant, crate::Error> {
            let (imp_key, imp_secret) = self.credentials();
            let body: #body_ty = crate::runtime::convert(
                "body",
                #body_ty::builder().imp_key(imp_key).imp_secret(imp_secret),
            )?;
            let raw = self.raw_for_call();
            let result = raw.#name().body(body).send().await;
            let (status, value) = crate::runtime::answer(#id, result, &raw).await?;
            let payload = crate::runtime::envelope(#id, status, value.code, #message, #response)?;
            Ok(crate::TokenGrant {
                access_token: payload.access_token,
                now: payload.now,
                expired_at: payload.expired_at,
            })
        }
    })
}

/// The extension that marks the operation issuing access tokens.
pub const TOKEN_ISSUER: &str = "x-token-issuer";
