//! Changes to typify's types for the client, so that what PortOne calls a compatible change is one
//! for the client's users too:
//! - every struct with named fields is `#[non_exhaustive]`: a field added to the spec cannot break a
//!   struct literal outside the crate (there are none; values are built with `Type::builder()`);
//! - every string enum gets an `Unknown(String)` variant that takes any value the spec does not list
//!   yet (PortOne adds values: one new value must not make a whole answer fail to decode), and is
//!   `#[non_exhaustive]`, so a value added to the spec is not a breaking change either.

use syn::visit_mut::VisitMut;

/// Applies both changes to the items of progenitor's `types` module (not its `builder` submodule).
pub fn patch(file: &mut syn::File) {
    for item in &mut file.items {
        if let syn::Item::Mod(m) = item
            && m.ident == "types"
            && let Some((_, items)) = &mut m.content
        {
            patch_types(items);
        }
    }
}

fn patch_types(items: &mut [syn::Item]) {
    let open: Vec<String> = items
        .iter()
        .filter_map(|item| match item {
            syn::Item::Enum(e) if is_string_enum(e) => Some(e.ident.to_string()),
            _ => None,
        })
        .collect();
    for item in items.iter_mut() {
        match item {
            syn::Item::Struct(s) if matches!(s.fields, syn::Fields::Named(_)) => {
                s.attrs.push(syn::parse_quote!(#[non_exhaustive]));
            }
            syn::Item::Enum(e) if open.contains(&e.ident.to_string()) => open_enum(e),
            syn::Item::Impl(imp) => {
                if let syn::Type::Path(p) = &*imp.self_ty
                    && let Some(name) = p.path.get_ident()
                    && open.contains(&name.to_string())
                {
                    open_impl(imp);
                }
            }
            _ => {}
        }
    }
}

/// typify's string enums: unit variants only, each renamed to its value.
fn is_string_enum(e: &syn::ItemEnum) -> bool {
    !e.variants.is_empty()
        && e.variants.iter().all(|v| {
            matches!(v.fields, syn::Fields::Unit)
                && v.attrs.iter().any(|a| {
                    a.path().is_ident("serde") && a.to_token_stream_string().contains("rename")
                })
        })
}

trait AttrText {
    fn to_token_stream_string(&self) -> String;
}

impl AttrText for syn::Attribute {
    fn to_token_stream_string(&self) -> String {
        quote::ToTokens::to_token_stream(self).to_string()
    }
}

fn open_enum(e: &mut syn::ItemEnum) {
    // `Copy` cannot hold the unknown value.
    for attr in &mut e.attrs {
        if attr.path().is_ident("derive")
            && let Ok(list) = attr.parse_args_with(
                syn::punctuated::Punctuated::<syn::Path, syn::Token![,]>::parse_terminated,
            )
        {
            let kept: Vec<&syn::Path> = list.iter().filter(|p| !p.is_ident("Copy")).collect();
            *attr = syn::parse_quote!(#[derive(#(#kept),*)]);
        }
    }
    e.attrs.push(syn::parse_quote!(#[non_exhaustive]));
    e.variants.push(syn::parse_quote! {
        /// A value the spec does not list (yet): PortOne may add values, and a new one must not
        /// make the whole answer fail to decode. It is kept as sent.
        #[serde(untagged)]
        #[schemars(skip)]
        Unknown(::std::string::String)
    });
}

/// typify's `Display` matches every variant and its `FromStr` refuses other values: both learn
/// the unknown variant.
fn open_impl(imp: &mut syn::ItemImpl) {
    struct Arms;
    impl VisitMut for Arms {
        fn visit_expr_match_mut(&mut self, m: &mut syn::ExprMatch) {
            let on_self = matches!(&*m.expr, syn::Expr::Unary(u) if matches!(&*u.expr, syn::Expr::Path(p) if p.path.is_ident("self")));
            if on_self {
                m.arms.push(syn::parse_quote! {
                    Self::Unknown(ref value) => f.write_str(value),
                });
            } else if let Some(last) = m.arms.last_mut()
                && matches!(last.pat, syn::Pat::Wild(_))
            {
                *last = syn::parse_quote! {
                    _ => Ok(Self::Unknown(value.to_string())),
                };
            }
            syn::visit_mut::visit_expr_match_mut(self, m);
        }
    }
    let Some((_, trait_path, _)) = &imp.trait_ else {
        return;
    };
    let name = trait_path
        .segments
        .last()
        .map(|s| s.ident.to_string())
        .unwrap_or_default();
    if name == "Display" || name == "FromStr" {
        Arms.visit_item_impl_mut(imp);
    }
}
