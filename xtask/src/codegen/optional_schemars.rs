//! The client's JSON Schemas (schemars) behind the crate's `schemars` feature: a user who does not
//! need them does not compile schemars (and chrono and num-traits with it), about a tenth of a cold
//! build (BENCHMARKS.md, "Compile time"). The workspace's contract tests turn the feature on.
//!
//! One pass over the finished client file: `derive(schemars::JsonSchema)` and `#[schemars(…)]`
//! become `cfg_attr(feature = "schemars", …)`; an `impl schemars::JsonSchema`, a function that
//! names schemars and the `__contract` module become `#[cfg(feature = "schemars")]`.

use quote::ToTokens;
use syn::visit_mut::VisitMut;

pub fn patch(file: &mut syn::File) {
    Gate.visit_file_mut(file);
}

struct Gate;

fn mentions_schemars(tokens: &impl ToTokens) -> bool {
    tokens.to_token_stream().to_string().contains("schemars")
}

fn gate_item_attrs(attrs: &mut Vec<syn::Attribute>) {
    attrs.push(syn::parse_quote!(#[cfg(feature = "schemars")]));
}

/// `#[schemars(…)]` and a derive of `schemars::JsonSchema`, behind the feature.
fn gate_attrs(attrs: &mut Vec<syn::Attribute>) {
    let mut out = Vec::with_capacity(attrs.len());
    for attr in attrs.drain(..) {
        if attr.path().is_ident("schemars") {
            let syn::Meta::List(list) = &attr.meta else {
                out.push(attr);
                continue;
            };
            let inner = &list.tokens;
            out.push(syn::parse_quote!(#[cfg_attr(feature = "schemars", schemars(#inner))]));
            continue;
        }
        if attr.path().is_ident("derive") {
            let Ok(paths) = attr.parse_args_with(
                syn::punctuated::Punctuated::<syn::Path, syn::Token![,]>::parse_terminated,
            ) else {
                out.push(attr);
                continue;
            };
            let (gated, kept): (Vec<_>, Vec<_>) = paths.into_iter().partition(mentions_schemars);
            if gated.is_empty() {
                out.push(attr);
                continue;
            }
            if !kept.is_empty() {
                out.push(syn::parse_quote!(#[derive(#(#kept),*)]));
            }
            out.push(syn::parse_quote!(#[cfg_attr(feature = "schemars", derive(#(#gated),*))]));
            continue;
        }
        out.push(attr);
    }
    *attrs = out;
}

impl VisitMut for Gate {
    fn visit_item_mut(&mut self, item: &mut syn::Item) {
        match item {
            syn::Item::Impl(imp)
                if imp
                    .trait_
                    .as_ref()
                    .is_some_and(|(_, path, _)| mentions_schemars(path)) =>
            {
                gate_item_attrs(&mut imp.attrs);
                return;
            }
            syn::Item::Fn(f) if mentions_schemars(&f.sig) => {
                gate_item_attrs(&mut f.attrs);
                return;
            }
            syn::Item::Mod(m) if m.ident == "__contract" => {
                gate_item_attrs(&mut m.attrs);
                return;
            }
            _ => {}
        }
        syn::visit_mut::visit_item_mut(self, item);
        // attributes of structs, enums and their fields and variants
        match item {
            syn::Item::Struct(s) => gate_attrs(&mut s.attrs),
            syn::Item::Enum(e) => gate_attrs(&mut e.attrs),
            _ => {}
        }
    }

    fn visit_field_mut(&mut self, field: &mut syn::Field) {
        gate_attrs(&mut field.attrs);
        syn::visit_mut::visit_field_mut(self, field);
    }

    fn visit_variant_mut(&mut self, variant: &mut syn::Variant) {
        gate_attrs(&mut variant.attrs);
        syn::visit_mut::visit_variant_mut(self, variant);
    }
}

#[cfg(test)]
mod tests {
    use quote::quote;

    #[test]
    fn everything_that_names_schemars_is_behind_the_feature_and_nothing_else() {
        let mut file: syn::File = syn::parse_quote! {
            #[derive(Clone, schemars::JsonSchema, PartialEq)]
            pub struct A {
                #[schemars(skip)]
                #[serde(default)]
                pub a: Option<String>,
            }
            #[derive(Clone)]
            pub enum E {
                #[schemars(skip)]
                Unknown(String),
            }
            impl schemars::JsonSchema for B {}
            impl Clone for C {}
            fn transform(schema: &mut schemars::Schema) {}
            fn other() {}
            pub mod __contract {}
        };
        super::patch(&mut file);
        let text = quote!(#file).to_string().replace(' ', "");
        for expected in [
            r#"#[derive(Clone,PartialEq)]#[cfg_attr(feature="schemars",derive(schemars::JsonSchema))]pubstructA"#,
            r#"#[cfg_attr(feature="schemars",schemars(skip))]#[serde(default)]puba"#,
            r#"#[cfg_attr(feature="schemars",schemars(skip))]Unknown"#,
            r#"#[cfg(feature="schemars")]implschemars::JsonSchemaforB"#,
            r#"#[cfg(feature="schemars")]fntransform"#,
            r#"#[cfg(feature="schemars")]pubmod__contract"#,
            r#"implCloneforC"#,
            r#"#[derive(Clone)]pubenumE"#,
        ] {
            assert!(text.contains(expected), "{expected} not in {text}");
        }
        assert!(!text.contains(r#"#[cfg(feature="schemars")]implCloneforC"#));
        assert!(!text.contains(r#"#[cfg(feature="schemars")]fnother"#));
    }
}
