//! The server reads what the spec says, not more: typify decodes an optional property as
//! `Option<T>`, which also takes an explicit `null`. For a property the spec makes optional but not
//! nullable, the field is decoded with `crate::envelope::present`, which refuses `null` (the field
//! still defaults to `None` when absent).

use heck::ToPascalCase;
use openapiv3::{OpenAPI, ReferenceOr, SchemaKind, Type};

use crate::codegen::defaults::wire_name;

pub fn patch_items(api: &OpenAPI, items: &mut [syn::Item]) {
    let Some(components) = &api.components else {
        return;
    };
    for (name, schema) in &components.schemas {
        let ReferenceOr::Item(schema) = schema else {
            continue;
        };
        let SchemaKind::Type(Type::Object(object)) = &schema.schema_kind else {
            continue;
        };
        let rust_name = name.to_pascal_case();
        let Some(s) = items.iter_mut().find_map(|item| match item {
            syn::Item::Struct(s) if s.ident == rust_name => Some(s),
            _ => None,
        }) else {
            continue;
        };
        for field in s.fields.iter_mut() {
            let wire = wire_name(field);
            if object.required.contains(&wire) {
                continue;
            }
            let nullable = match object.properties.get(&wire) {
                Some(ReferenceOr::Item(p)) => p.schema_data.nullable,
                Some(ReferenceOr::Reference { .. }) => false,
                None => continue,
            };
            let is_option = matches!(&field.ty, syn::Type::Path(p)
                if p.path.segments.last().is_some_and(|s| s.ident == "Option"));
            if nullable || !is_option {
                continue;
            }
            // `default`: serde defaults an `Option` field only while it decodes it itself
            let has_default = field.attrs.iter().any(|a| {
                a.path().is_ident("serde") && quote::quote!(#a).to_string().contains("default")
            });
            let default = (!has_default).then(|| quote::quote!(default,));
            field.attrs.push(syn::parse_quote!(
                #[serde(#default deserialize_with = "crate::envelope::present")]
            ));
        }
    }
}
