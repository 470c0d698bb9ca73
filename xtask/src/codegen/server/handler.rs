//! The axum handler of one operation: token check, input decoding (every rejection in the error
//! envelope), the call to the trait with the request context, and the answer.

use openapiv3::OpenAPI;
use proc_macro2::TokenStream;
use quote::quote;

use super::doc::utoipa_path;
use crate::codegen::ops::{BodyMedia, Op, Place, TokenSource};

pub fn handler(api: &OpenAPI, op: &Op) -> anyhow::Result<TokenStream> {
    let name = &op.fn_name;
    let input = &op.builder;
    let annotation = utoipa_path(api, op)?;
    let has_path = op.params.iter().any(|p| p.place == Place::Path);
    let has_query = op.params.iter().any(|p| p.place == Place::Query);

    let mut lookups = op.token_sources.iter().map(|s| match s {
        TokenSource::Bearer => quote! { crate::envelope::authorization_token(&headers) },
        TokenSource::Header(h) => quote! { crate::envelope::header_token(&headers, #h) },
    });
    let token = match lookups.next() {
        Some(first) => quote! { let token = #first #(.or_else(|| #lookups))*; },
        None => quote! { let token: Option<&str> = None; },
    };
    let auth = op.secured().then(|| {
        quote! {
            let authorized = match token {
                Some(token) => api.authorize(token).await,
                None => false,
            };
            if !authorized {
                return crate::envelope::unauthorized();
            }
        }
    });

    let extract_path = has_path.then(|| {
        quote! {
            let path = match path {
                Ok(axum::extract::Path(path)) => path,
                Err(rejection) => return crate::envelope::bad_request(format!("경로가 올바르지 않습니다 (invalid path): {}", rejection.body_text())),
            };
        }
    });
    let extract_query = has_query.then(|| {
        quote! {
            let query = match query {
                Ok(axum::extract::Query(query)) => query,
                Err(rejection) => return crate::envelope::bad_request(format!("쿼리가 올바르지 않습니다 (invalid query): {}", rejection.body_text())),
            };
        }
    });
    let decodes = op.params.iter().map(|p| {
        let field = &p.ident;
        let name = &p.api_name;
        let ty = &p.ty;
        let source = match p.place {
            Place::Path => quote!(path),
            Place::Query => quote!(query),
            Place::Header => quote!(headers),
        };
        let call = match (p.place, &p.item, p.required) {
            (Place::Header, _, true) => {
                quote! { crate::envelope::header_parameter(&#source, #name) }
            }
            (Place::Header, _, false) => {
                quote! { crate::envelope::optional_header_parameter(&#source, #name) }
            }
            (_, Some(_), true) => quote! { crate::envelope::array_parameter(&#source, #name) },
            (_, Some(_), false) => {
                quote! { crate::envelope::optional_array_parameter(&#source, #name) }
            }
            (_, None, true) => quote! { crate::envelope::parameter(&#source, #name) },
            (_, None, false) => quote! { crate::envelope::optional_parameter(&#source, #name) },
        };
        let ty = if p.required {
            quote!(#ty)
        } else {
            quote!(Option<#ty>)
        };
        let bounds = bounds(p.schema.as_ref()).map(|(min, max)| {
            let value = if p.required {
                quote!(Some(&#field))
            } else {
                quote!(#field.as_ref())
            };
            quote! {
                if let Err(rejection) = crate::envelope::check_bounds(#name, #value, #min, #max) {
                    return rejection.into_response();
                }
            }
        });
        quote! {
            let #field: #ty = match #call {
                Ok(value) => value,
                Err(rejection) => return rejection.into_response(),
            };
            #bounds
        }
    });
    let extract_body = op.body.as_ref().map(|b| {
        let ty = &b.ty;
        let media = b.media.iter().map(|m| match m {
            BodyMedia::Json => quote!(crate::envelope::BodyMedia::Json),
            BodyMedia::Form => quote!(crate::envelope::BodyMedia::Form),
        });
        let decode = if b.required {
            quote! { crate::envelope::body::<#ty>(&headers, body, &[#(#media),*]).await }
        } else {
            quote! { crate::envelope::optional_body::<#ty>(&headers, body, &[#(#media),*]).await }
        };
        quote! {
            let body = match #decode {
                Ok(body) => body,
                Err(rejection) => return rejection.into_response(),
            };
        }
    });

    let path_arg = has_path.then(|| {
        quote! { path: Result<axum::extract::Path<Vec<(String, String)>>, axum::extract::rejection::PathRejection>, }
    });
    let query_arg = has_query.then(|| {
        quote! { query: Result<axum::extract::Query<Vec<(String, String)>>, axum::extract::rejection::QueryRejection>, }
    });
    let body_arg = op.body.as_ref().map(|_| quote! { body: axum::body::Body, });
    let fields = op
        .params
        .iter()
        .map(|p| p.ident.clone())
        .chain(op.body.as_ref().map(|_| quote::format_ident!("body")));

    Ok(quote! {
        #annotation
        async fn #name<A: IamportApi>(
            axum::extract::State(api): axum::extract::State<Arc<A>>,
            headers: axum::http::HeaderMap,
            #path_arg
            #query_arg
            #body_arg
        ) -> Response {
            #token
            #auth
            let token = token.map(str::to_owned);
            #extract_path
            #extract_query
            #(#decodes)*
            #extract_body
            let context = RequestContext::new(token, headers);
            let input = inputs::#input { #(#fields),* };
            api.#name(context, input).await.into_response()
        }
    })
}

/// A number parameter's `minimum`/`maximum`, as `Option<f64>` literals, when it has either (the
/// decoded types enforce only what their Rust type says).
fn bounds(schema: Option<&openapiv3::Schema>) -> Option<(TokenStream, TokenStream)> {
    use openapiv3::{SchemaKind, Type};
    let (min, max) = match &schema?.schema_kind {
        SchemaKind::Type(Type::Integer(i)) => {
            (i.minimum.map(|v| v as f64), i.maximum.map(|v| v as f64))
        }
        SchemaKind::Type(Type::Number(n)) => (n.minimum, n.maximum),
        _ => return None,
    };
    if min.is_none() && max.is_none() {
        return None;
    }
    let lit = |v: Option<f64>| match v {
        Some(v) => quote!(Some(#v)),
        None => quote!(None),
    };
    Some((lit(min), lit(max)))
}
