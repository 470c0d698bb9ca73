//! The spec's `default`s in the types' documents. typify applies a property's default when decoding
//! (`#[serde(default)]`) and gives a defaulted enum `impl Default`, but neither schemars nor utoipa
//! writes the value into the schema. This pass attaches it, from the spec, to the component types:
//! `#[schemars(extend("default" = …))]` for the client and the server, and `#[schema(default = …)]`
//! for utoipa on the server.

use heck::ToPascalCase;
use openapiv3::{OpenAPI, ReferenceOr, Schema, SchemaKind, Type};
use quote::quote;

/// The transform that moves a `$ref` with siblings (a defaulted field of a named type: schemars
/// writes `{"$ref": …, "default": …}`) into `allOf`, which reads the same in OpenAPI 3.0 and 3.1.
const REF_WITH_SIBLINGS: &str = "__ref_with_siblings_to_all_of";

/// Patches the items of a `types` module; `utoipa` adds the utoipa attributes too.
pub fn patch_items(api: &OpenAPI, items: &mut Vec<syn::Item>, utoipa: bool) {
    let Some(components) = &api.components else {
        return;
    };
    let mut wrap_refs = false;
    for (name, schema) in &components.schemas {
        let ReferenceOr::Item(schema) = schema else {
            continue;
        };
        let rust_name = name.to_pascal_case();
        for item in items.iter_mut() {
            match item {
                syn::Item::Enum(e) if e.ident == rust_name => {
                    if let Some(default) = &schema.schema_data.default {
                        add(&mut e.attrs, default, utoipa);
                    }
                }
                syn::Item::Struct(s) if s.ident == rust_name => {
                    let SchemaKind::Type(Type::Object(object)) = &schema.schema_kind else {
                        continue;
                    };
                    for field in s.fields.iter_mut() {
                        let wire = wire_name(field);
                        let default = object.properties.get(&wire).and_then(|p| match p {
                            ReferenceOr::Item(p) => p.schema_data.default.clone(),
                            ReferenceOr::Reference { .. } => None,
                        });
                        if let Some(default) = default {
                            add(&mut field.attrs, &default, utoipa);
                            let transform = quote::format_ident!("{}", REF_WITH_SIBLINGS);
                            field
                                .attrs
                                .push(syn::parse_quote!(#[schemars(transform = #transform)]));
                            wrap_refs = true;
                        }
                    }
                }
                _ => {}
            }
        }
    }
    if wrap_refs {
        let name = quote::format_ident!("{}", REF_WITH_SIBLINGS);
        items.push(syn::parse_quote! {
            /// A `$ref` with sibling keywords becomes `allOf: [{$ref}]` beside them, which OpenAPI 3.0
            /// and 3.1 read alike (3.0 ignores siblings of a bare `$ref`).
            fn #name(schema: &mut schemars::Schema) {
                if let Some(object) = schema.as_object_mut()
                    && object.len() > 1
                    && let Some(reference) = object.remove("$ref")
                {
                    object.insert(
                        "allOf".to_owned(),
                        serde_json::json!([{ "$ref": reference }]),
                    );
                }
            }
        });
    }
}

/// The default of a parameter's schema, for the server document's parameters.
pub fn parameter_default(schema: Option<&Schema>) -> Option<serde_json::Value> {
    schema.and_then(|s| s.schema_data.default.clone())
}

pub fn wire_name(field: &syn::Field) -> String {
    for attr in &field.attrs {
        if !attr.path().is_ident("serde") {
            continue;
        }
        let text = quote!(#attr).to_string();
        if let Some(rest) = text.split("rename = \"").nth(1)
            && let Some(name) = rest.split('"').next()
        {
            return name.to_owned();
        }
    }
    field
        .ident
        .as_ref()
        .map(|i| i.to_string().trim_start_matches("r#").to_owned())
        .unwrap_or_default()
}

fn add(attrs: &mut Vec<syn::Attribute>, default: &serde_json::Value, utoipa: bool) {
    let json: proc_macro2::TokenStream =
        default.to_string().parse().unwrap_or_else(|_| quote!(null));
    attrs.push(syn::parse_quote!(#[schemars(extend("default" = #json))]));
    if utoipa {
        attrs.push(syn::parse_quote!(#[schema(default = json!(#json))]));
    }
}
