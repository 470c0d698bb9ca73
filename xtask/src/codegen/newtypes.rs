//! typify turns a constrained string (`minLength`, `maxLength`, `pattern`) into a newtype whose
//! `FromStr` enforces the constraints, but the derived `JsonSchema` / `ToSchema` of that newtype say
//! only "a string": the documents would be looser than the types. This pass replaces those derives
//! with impls that state exactly what the newtype's `FromStr` checks, and inlines the newtype where
//! it is used (it is not a component of the spec).

use proc_macro2::TokenStream;
use quote::{format_ident, quote};
use syn::visit_mut::VisitMut;

/// What a newtype's `FromStr` enforces.
#[derive(Default)]
struct Constraints {
    min: Option<u64>,
    max: Option<u64>,
    pattern: Option<String>,
}

/// Patches the `types` module of `file`; `utoipa` also handles the `ToSchema` derive.
pub fn patch(file: &mut syn::File, utoipa: bool) {
    for item in &mut file.items {
        if let syn::Item::Mod(m) = item
            && m.ident == "types"
            && let Some((_, items)) = &mut m.content
        {
            patch_items(items, utoipa);
        }
    }
}

pub fn patch_items(items: &mut Vec<syn::Item>, utoipa: bool) {
    let mut found: Vec<(String, Constraints)> = vec![];
    for item in items.iter() {
        let syn::Item::Impl(imp) = item else { continue };
        let Some((_, path, _)) = &imp.trait_ else {
            continue;
        };
        if path.segments.last().is_none_or(|s| s.ident != "FromStr") {
            continue;
        }
        let syn::Type::Path(ty) = &*imp.self_ty else {
            continue;
        };
        let Some(name) = ty.path.get_ident().map(ToString::to_string) else {
            continue;
        };
        if !is_string_newtype(items, &name) {
            continue;
        }
        found.push((name, constraints(imp)));
    }
    if found.is_empty() {
        return;
    }
    let names: Vec<&str> = found.iter().map(|(n, _)| n.as_str()).collect();
    for item in items.iter_mut() {
        match item {
            syn::Item::Struct(s) if names.contains(&s.ident.to_string().as_str()) => {
                drop_derives(&mut s.attrs, utoipa);
            }
            syn::Item::Struct(s) if utoipa => inline_fields(s, &names),
            _ => {}
        }
    }
    for (name, c) in &found {
        items.push(syn::parse2(schemars_impl(name, c)).expect("the impl parses"));
        if utoipa {
            let doc = doc_of(items, name);
            for item in utoipa_impls(name, c, doc.as_deref()) {
                items.push(syn::parse2(item).expect("the impl parses"));
            }
        }
    }
}

/// The doc comment of the item `name` (typify copies the property's description there).
fn doc_of(items: &[syn::Item], name: &str) -> Option<String> {
    let s = items.iter().find_map(|item| match item {
        syn::Item::Struct(s) if s.ident == name => Some(s),
        _ => None,
    })?;
    let lines: Vec<String> = s
        .attrs
        .iter()
        .filter_map(|a| match &a.meta {
            syn::Meta::NameValue(nv) if nv.path.is_ident("doc") => match &nv.value {
                syn::Expr::Lit(syn::ExprLit {
                    lit: syn::Lit::Str(text),
                    ..
                }) => Some(text.value().trim().to_owned()),
                _ => None,
            },
            _ => None,
        })
        .collect();
    (!lines.is_empty()).then(|| lines.join("\n"))
}

fn is_string_newtype(items: &[syn::Item], name: &str) -> bool {
    items.iter().any(|item| {
        matches!(item, syn::Item::Struct(s) if s.ident == name
            && matches!(&s.fields, syn::Fields::Unnamed(f) if f.unnamed.len() == 1
                && quote::ToTokens::to_token_stream(&f.unnamed[0].ty).to_string().ends_with("String")))
    })
}

/// Reads typify's checks: `"longer than N characters"`, `"shorter than N characters"` and the
/// pattern given to `regress::Regex::new`.
fn constraints(imp: &syn::ItemImpl) -> Constraints {
    struct Literals(Vec<String>);
    impl<'ast> syn::visit::Visit<'ast> for Literals {
        fn visit_lit_str(&mut self, s: &'ast syn::LitStr) {
            self.0.push(s.value());
        }
    }
    let mut literals = Literals(vec![]);
    syn::visit::visit_item_impl(&mut literals, imp);
    let mut c = Constraints::default();
    for text in &literals.0 {
        let number = |prefix: &str| {
            text.strip_prefix(prefix)?
                .strip_suffix(" characters")?
                .parse::<u64>()
                .ok()
        };
        if let Some(n) = number("longer than ") {
            c.max = Some(n);
        } else if let Some(n) = number("shorter than ") {
            c.min = Some(n);
        } else if !text.starts_with("doesn't match pattern") && c.pattern.is_none() {
            // The first other literal is the regex (typify compiles it before checking).
            c.pattern = Some(text.clone());
        }
    }
    c
}

fn drop_derives(attrs: &mut [syn::Attribute], utoipa: bool) {
    for attr in attrs.iter_mut() {
        if !attr.path().is_ident("derive") {
            continue;
        }
        let Ok(list) = attr.parse_args_with(
            syn::punctuated::Punctuated::<syn::Path, syn::Token![,]>::parse_terminated,
        ) else {
            continue;
        };
        let kept: Vec<&syn::Path> = list
            .iter()
            .filter(|p| {
                let text = quote!(#p).to_string().replace(' ', "");
                !(text == "schemars::JsonSchema" || (utoipa && text == "utoipa::ToSchema"))
            })
            .collect();
        *attr = syn::parse_quote!(#[derive(#(#kept),*)]);
    }
}

/// `#[schema(inline)]` on the fields whose type mentions one of the newtypes.
fn inline_fields(s: &mut syn::ItemStruct, names: &[&str]) {
    struct Mentions<'a>(&'a [&'a str], bool);
    impl VisitMut for Mentions<'_> {
        fn visit_ident_mut(&mut self, i: &mut proc_macro2::Ident) {
            if self.0.contains(&i.to_string().as_str()) {
                self.1 = true;
            }
        }
    }
    if !super::derives(&s.attrs, "ToSchema") {
        return;
    }
    for field in s.fields.iter_mut() {
        let mut m = Mentions(names, false);
        let mut ty = field.ty.clone();
        m.visit_type_mut(&mut ty);
        if m.1 {
            // utoipa wraps an inline schema with a description into `allOf: [it, {type: object,
            // description}]`, which no value matches: the newtype's own schema carries the text.
            field.attrs.retain(|a| !a.path().is_ident("doc"));
            field.attrs.push(syn::parse_quote!(#[schema(inline)]));
        }
    }
}

fn json(c: &Constraints) -> TokenStream {
    let mut entries = vec![quote!("type": "string")];
    if let Some(n) = c.min {
        entries.push(quote!("minLength": #n));
    }
    if let Some(n) = c.max {
        entries.push(quote!("maxLength": #n));
    }
    if let Some(p) = &c.pattern {
        entries.push(quote!("pattern": #p));
    }
    quote!({ #(#entries),* })
}

fn schemars_impl(name: &str, c: &Constraints) -> TokenStream {
    let ident = format_ident!("{}", name);
    let schema = json(c);
    quote! {
        /// What `FromStr` checks, inline (not a component of the spec).
        impl schemars::JsonSchema for #ident {
            fn inline_schema() -> bool {
                true
            }
            fn schema_name() -> ::std::borrow::Cow<'static, str> {
                #name.into()
            }
            fn json_schema(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
                schemars::json_schema!(#schema)
            }
        }
    }
}

fn utoipa_impls(name: &str, c: &Constraints, doc: Option<&str>) -> Vec<TokenStream> {
    let ident = format_ident!("{}", name);
    let description = doc.map(|d| quote!(.description(Some(#d))));
    let min = c.min.map(|n| {
        let n = n as usize;
        quote!(.min_length(Some(#n)))
    });
    let max = c.max.map(|n| {
        let n = n as usize;
        quote!(.max_length(Some(#n)))
    });
    let pattern = c.pattern.as_ref().map(|p| quote!(.pattern(Some(#p))));
    vec![
        quote! {
            impl utoipa::PartialSchema for #ident {
                fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
                    utoipa::openapi::ObjectBuilder::new()
                        .schema_type(utoipa::openapi::schema::Type::String)
                        #min #max #pattern
                        #description
                        .into()
                }
            }
        },
        quote! {
            impl utoipa::ToSchema for #ident {}
        },
    ]
}
