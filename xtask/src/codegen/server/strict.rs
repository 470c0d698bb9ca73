//! The server reads what the spec says, not more: typify decodes an optional property as
//! `Option<T>`, which also takes an explicit `null`. For a property the spec makes optional but not
//! nullable, the field is decoded with `crate::envelope::present`, which refuses `null` (the field
//! still defaults to `None` when absent). Component schemas and the inline objects inside them
//! (typify names those `{Parent}{Property}`, and `{Parent}{Property}Item` for array items) alike.

use heck::ToPascalCase;
use openapiv3::{ObjectType, OpenAPI, ReferenceOr, Schema, SchemaKind, Type};

use crate::codegen::defaults::wire_name;

pub fn patch_items(api: &OpenAPI, items: &mut [syn::Item]) {
    let Some(components) = &api.components else {
        return;
    };
    for (name, schema) in &components.schemas {
        if let ReferenceOr::Item(schema) = schema {
            walk(&name.to_pascal_case(), schema, items, 0);
        }
    }
}

fn walk(rust_name: &str, schema: &Schema, items: &mut [syn::Item], depth: usize) {
    if depth > 8 {
        return;
    }
    match &schema.schema_kind {
        SchemaKind::Type(Type::Object(object)) => {
            patch_struct(rust_name, object, items);
            for (prop, p) in &object.properties {
                if let ReferenceOr::Item(p) = p {
                    let child = format!("{rust_name}{}", prop.to_pascal_case());
                    walk(&child, p, items, depth + 1);
                }
            }
        }
        SchemaKind::Type(Type::Array(array)) => {
            if let Some(ReferenceOr::Item(item)) = &array.items {
                walk(&format!("{rust_name}Item"), item, items, depth + 1);
            }
        }
        _ => {}
    }
}

fn patch_struct(rust_name: &str, object: &ObjectType, items: &mut [syn::Item]) {
    let Some(s) = items.iter_mut().find_map(|item| match item {
        syn::Item::Struct(s) if s.ident == rust_name => Some(s),
        _ => None,
    }) else {
        return;
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
        let done = field.attrs.iter().any(|a| {
            quote::quote!(#a)
                .to_string()
                .contains("envelope :: present")
        });
        if nullable || !is_option || done {
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
