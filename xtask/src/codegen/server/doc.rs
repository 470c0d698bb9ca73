//! The server's own OpenAPI document: `#[utoipa::path]` on every handler and the `ApiDoc` over them.

use anyhow::{anyhow, bail};
use heck::ToPascalCase;
use openapiv3::{OpenAPI, ReferenceOr, SchemaKind, SecurityScheme, Type};
use proc_macro2::{Ident, Literal, TokenStream};
use quote::{format_ident, quote};

use crate::codegen::ops::{Content, Op, Place};

pub fn utoipa_path(api: &OpenAPI, op: &Op) -> anyhow::Result<TokenStream> {
    let _ = api;
    let o = op.operation;
    let method = format_ident!("{}", op.method);
    let path = &op.path;
    let id = &op.id;
    let tag = o.tags.first().map(|t| quote! { tag = #t, });
    let summary = o.summary.as_ref().map(|s| {
        let s = s.trim();
        quote! { summary = #s, }
    });
    let description = o.description.as_ref().map(|d| {
        let d = d.trim();
        quote! { description = #d, }
    });
    let params = op.params.iter().map(|p| {
        let name = &p.api_name;
        let place = match p.place {
            Place::Path => quote!(Path),
            Place::Query => quote!(Query),
            Place::Header => quote!(Header),
        };
        // utoipa reads "required" off the type: `Option<_>` is optional (and not nullable: the
        // spec's optional parameters are left out, not sent as null).
        let schema = p.schema.as_ref();
        let is_enum = matches!(
            schema.map(|s| &s.schema_kind),
            Some(SchemaKind::Type(Type::String(st))) if !st.enumeration.is_empty()
        );
        let ty = match schema.map(|s| &s.schema_kind) {
            _ if is_enum => {
                let ty = &p.ty;
                let ty = if p.required {
                    quote!(#ty)
                } else {
                    quote!(Option<#ty>)
                };
                quote!(inline(#ty))
            }
            Some(SchemaKind::Type(Type::Array(a))) => {
                let item = a
                    .items
                    .as_ref()
                    .and_then(|i| match i {
                        ReferenceOr::Item(s) => Some(primitive(Some(s))),
                        ReferenceOr::Reference { .. } => None,
                    })
                    .unwrap_or_else(|| quote!(String));
                quote!(Vec<#item>)
            }
            _ => primitive(schema),
        };
        let (ty, nullable) = if p.required {
            (ty, None)
        } else if is_enum {
            (ty, Some(quote! { nullable = false, }))
        } else {
            (quote!(Option<#ty>), Some(quote! { nullable = false, }))
        };
        let description = p
            .description
            .as_deref()
            .map(str::trim)
            .map(|d| quote! { description = #d, });
        let constraints = constraints(schema);
        quote! { (#name = #ty, #place, #description #nullable #(#constraints)*) }
    });
    let request_body = op.body.as_ref().map(|b| {
        let ty = &b.ty;
        let description = b
            .description
            .as_deref()
            .map(|d| quote! { description = #d, });
        let contents = b.media.iter().map(|m| {
            let mime = m.mime();
            quote! { (#ty = #mime) }
        });
        quote! { request_body(content(#(#contents),*), #description), }
    });
    let responses = op.responses.iter().map(|r| {
        let description = r.description.trim();
        let body = match &r.content {
            Content::Json(ty) => Some(quote! { , body = #ty, content_type = "application/json" }),
            Content::Text(media) => Some(quote! { , body = String, content_type = #media }),
            Content::None => None,
        };
        let code = Literal::u16_unsuffixed(r.status);
        let links = (!r.links.is_empty()).then(|| {
            let links = r.links.iter().map(|l| {
                let name = &l.name;
                let operation_id = &l.operation_id;
                let description = l.description.as_deref().map(|d| quote! { , description = #d });
                let parameters = l.parameters.iter().map(|(k, v)| quote! { (#k = #v) });
                quote! { (#name = (operation_id = #operation_id, parameters(#(#parameters),*) #description)) }
            });
            quote! { , links(#(#links),*) }
        });
        quote! { (status = #code, description = #description #body #links) }
    });
    let security = match o.security.as_ref() {
        Some(requirements) => {
            let alternatives = requirements.iter().map(|req| {
                let names = req.keys();
                quote! { (#(#names = []),*) }
            });
            quote! { security(#(#alternatives),*), }
        }
        None => quote! {},
    };
    Ok(quote! {
        #[utoipa::path(
            #method,
            path = #path,
            operation_id = #id,
            #tag
            #summary
            #description
            params(#(#params),*),
            #request_body
            responses(#(#responses),*),
            #security
        )]
    })
}

/// The primitive utoipa documents a parameter as (its constraints follow as attributes).
fn primitive(schema: Option<&openapiv3::Schema>) -> TokenStream {
    match schema.map(|s| &s.schema_kind) {
        Some(SchemaKind::Type(Type::Integer(i)))
            if i.format
                == openapiv3::VariantOrUnknownOrEmpty::Item(openapiv3::IntegerFormat::Int32) =>
        {
            quote!(i32)
        }
        Some(SchemaKind::Type(Type::Integer(_))) => quote!(i64),
        Some(SchemaKind::Type(Type::Number(_))) => quote!(f64),
        Some(SchemaKind::Type(Type::Boolean(_))) => quote!(bool),
        _ => quote!(String),
    }
}

fn constraints(schema: Option<&openapiv3::Schema>) -> Vec<TokenStream> {
    let mut out = vec![];
    match schema.map(|s| &s.schema_kind) {
        Some(SchemaKind::Type(Type::String(s))) => {
            if let Some(n) = s.min_length {
                let n = Literal::usize_unsuffixed(n);
                out.push(quote! { min_length = #n, });
            }
            if let Some(n) = s.max_length {
                let n = Literal::usize_unsuffixed(n);
                out.push(quote! { max_length = #n, });
            }
            if let Some(p) = &s.pattern {
                out.push(quote! { pattern = #p, });
            }
            if let openapiv3::VariantOrUnknownOrEmpty::Item(format) = &s.format {
                let known = match format {
                    openapiv3::StringFormat::Date => Some(quote!(Date)),
                    openapiv3::StringFormat::DateTime => Some(quote!(DateTime)),
                    openapiv3::StringFormat::Byte => Some(quote!(Byte)),
                    openapiv3::StringFormat::Binary => Some(quote!(Binary)),
                    openapiv3::StringFormat::Password => Some(quote!(Password)),
                };
                if let Some(known) = known {
                    out.push(quote! { format = #known, });
                }
            }
        }
        Some(SchemaKind::Type(Type::Integer(i))) => {
            if let Some(n) = i.minimum {
                let n = n as f64;
                out.push(quote! { minimum = #n, });
            }
            if let Some(n) = i.maximum {
                let n = n as f64;
                out.push(quote! { maximum = #n, });
            }
        }
        _ => {}
    }
    out
}

/// `ApiDoc`: the spec's info, servers, tags and security schemes, and every generated handler.
pub fn api_doc(api: &OpenAPI, ops: &[Op], handlers: &[Ident]) -> anyhow::Result<TokenStream> {
    // utoipa's parameter syntax has no `default`: the modifier sets them after the fact.
    let parameter_defaults = ops.iter().flat_map(|op| {
        op.params.iter().filter_map(move |p| {
            let default = crate::codegen::defaults::parameter_default(p.schema.as_ref())?;
            let json: TokenStream = default.to_string().parse().ok()?;
            let path = &op.path;
            let method = &op.method;
            let name = &p.api_name;
            Some(quote! {
                crate::envelope::document_parameter_default(openapi, #path, #method, #name, ::serde_json::json!(#json));
            })
        })
    });
    // typify reads an `anyOf` as an untagged enum (the first alternative that decodes), which
    // utoipa can only document as `oneOf`: the modifier says `anyOf` again.
    let any_of: Vec<String> = api
        .components
        .iter()
        .flat_map(|c| &c.schemas)
        .filter(|(_, s)| {
            matches!(s, openapiv3::ReferenceOr::Item(s)
                if matches!(s.schema_kind, openapiv3::SchemaKind::AnyOf { .. }))
        })
        .map(|(name, _)| name.to_pascal_case())
        .collect();
    // utoipa marks every body required (`Option<T>` would also make it nullable): the modifier
    // says which are optional.
    let optional_bodies = ops.iter().filter_map(|op| {
        let body = op.body.as_ref()?;
        let (path, method) = (&op.path, &op.method);
        (!body.required).then(|| quote! { (#path, #method) })
    });
    let title = &api.info.title;
    let version = &api.info.version;
    let description = api
        .info
        .description
        .as_deref()
        .map(str::trim)
        .map(|d| quote! { description = #d, });
    let license = api.info.license.as_ref().map(|l| {
        let name = &l.name;
        quote! { license(name = #name), }
    });
    let servers = api.servers.iter().map(|s| {
        let url = &s.url;
        let description = s
            .description
            .as_deref()
            .map(|d| quote! { , description = #d });
        quote! { (url = #url #description) }
    });
    let tags = api.tags.iter().map(|t| {
        let name = &t.name;
        let description = t
            .description
            .as_deref()
            .map(|d| quote! { , description = #d });
        quote! { (name = #name #description) }
    });
    let schemas = api
        .components
        .iter()
        .flat_map(|c| c.schemas.keys())
        .map(|name| format_ident!("{}", name.to_pascal_case()));

    let mut scheme_items = vec![];
    for (name, scheme) in api.components.iter().flat_map(|c| &c.security_schemes) {
        let scheme = scheme
            .as_item()
            .ok_or_else(|| anyhow!("security scheme `{name}` by reference"))?;
        let item = match scheme {
            SecurityScheme::HTTP {
                scheme,
                description,
                ..
            } if scheme.eq_ignore_ascii_case("bearer") => {
                let description = description
                    .as_deref()
                    .map(|d| quote! { .description(Some(#d)) });
                quote! {
                    SecurityScheme::Http(
                        HttpBuilder::new().scheme(HttpAuthScheme::Bearer) #description .build()
                    )
                }
            }
            SecurityScheme::APIKey {
                location: openapiv3::APIKeyLocation::Header,
                name: header,
                description,
                ..
            } => {
                let value = match description {
                    Some(d) => quote! { ApiKeyValue::with_description(#header, #d) },
                    None => quote! { ApiKeyValue::new(#header) },
                };
                quote! { SecurityScheme::ApiKey(ApiKey::Header(#value)) }
            }
            _ => {
                bail!("security scheme `{name}`: only http bearer and apiKey headers are supported")
            }
        };
        scheme_items.push(quote! { components.add_security_scheme(#name, #item); });
    }

    let global_security = api.security.as_ref().map(|requirements| {
        let alternatives = requirements.iter().map(|req| {
            let names = req.keys();
            quote! { (#(#names = []),*) }
        });
        quote! { security(#(#alternatives),*), }
    });
    Ok(quote! {
        /// The server's own OpenAPI document, built by utoipa from the generated annotations.
        #[derive(utoipa::OpenApi)]
        #[openapi(
            info(title = #title, version = #version, #description #license),
            servers(#(#servers),*),
            tags(#(#tags),*),
            paths(#(#handlers),*),
            components(schemas(#(types::#schemas),*)),
            #global_security
            modifiers(&SecuritySchemes),
        )]
        pub struct ApiDoc;

        /// The spec's security schemes (utoipa's derive has no syntax for them).
        struct SecuritySchemes;

        impl utoipa::Modify for SecuritySchemes {
            fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
                use utoipa::openapi::security::{ApiKey, ApiKeyValue, HttpAuthScheme, HttpBuilder, SecurityScheme};
                #(#parameter_defaults)*
                crate::envelope::document_annotation_members(openapi);
                crate::envelope::document_any_of(openapi, &[#(#any_of),*]);
                crate::envelope::document_optional_bodies(openapi, &[#(#optional_bodies),*]);
                let components = openapi.components.get_or_insert_with(Default::default);
                #(#scheme_items)*
            }
        }
    })
}
