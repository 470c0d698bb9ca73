//! The operations of the spec as every generator sees them: what the spec says (where each parameter
//! goes, what is required, which statuses exist, who must present a token) joined with the Rust types
//! progenitor chose for them (read off the builder-style client it generates).
//!
//! Reading the types off progenitor's own output keeps the client facade, the mocks and the server on
//! one naming and one set of constraints, without re-implementing typify's naming rules.

use std::collections::BTreeMap;

use anyhow::{Context, anyhow, bail};
use heck::ToSnakeCase;
use openapiv3::{
    OpenAPI, Operation, Parameter, ReferenceOr, RequestBody, Response, SecurityScheme,
    StatusCode as SpecStatus,
};
use proc_macro2::{Ident, TokenStream};

/// Where a parameter goes.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Place {
    Path,
    Query,
    Header,
}

pub struct Param {
    /// The name on the wire (`imp_uid[]`, `Tier`).
    pub api_name: String,
    /// progenitor's Rust name (`imp_uid`, `type_`): its builder setter.
    pub ident: Ident,
    pub place: Place,
    pub required: bool,
    /// The Rust type of one value (for an array parameter: `Vec<T>`).
    pub ty: syn::Type,
    /// `Some(T)` when the parameter is an array of `T` (sent as repeated `name=value` pairs).
    pub item: Option<syn::Type>,
    pub description: Option<String>,
    pub schema: Option<openapiv3::Schema>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum BodyMedia {
    Json,
    Form,
}

impl BodyMedia {
    pub fn mime(self) -> &'static str {
        match self {
            BodyMedia::Json => "application/json",
            BodyMedia::Form => "application/x-www-form-urlencoded",
        }
    }
}

pub struct Body {
    pub ty: syn::Type,
    pub required: bool,
    /// Every media type the spec accepts, in the spec's order; the client sends the first.
    pub media: Vec<BodyMedia>,
    pub description: Option<String>,
}

/// What a response carries.
#[derive(Clone)]
pub enum Content {
    None,
    Json(syn::Type),
    /// A non-JSON media type (e.g. `text/csv`): the raw text.
    Text(String),
}

pub struct Resp {
    pub status: u16,
    pub description: String,
    pub content: Content,
    /// The spec's example of the body (`example`, or the first of `examples`).
    pub example: Option<serde_json::Value>,
    /// The operations this answer leads to (OpenAPI `links`), by name.
    pub links: Vec<RespLink>,
}

/// A link of a response: the operation it leads to and where that operation's parameters come from
/// (runtime expressions such as `$response.body#/response/imp_uid`, or constants).
pub struct RespLink {
    pub name: String,
    pub operation_id: String,
    pub parameters: Vec<(String, String)>,
    pub description: Option<String>,
}

pub struct Op<'a> {
    pub id: String,
    /// snake_case operationId: the method name everywhere.
    pub fn_name: Ident,
    /// progenitor's builder struct for this operation.
    pub builder: Ident,
    pub method: String,
    pub path: String,
    pub operation: &'a Operation,
    pub params: Vec<Param>,
    pub body: Option<Body>,
    pub responses: Vec<Resp>,
    /// The success type progenitor decodes (`()` when no success status has a body).
    pub success: syn::Type,
    /// The error type progenitor decodes.
    pub error: syn::Type,
    /// The effective security: the names of the schemes of each alternative, empty = no token.
    pub security: Vec<Vec<String>>,
    /// Where the token may come from, in the order the security requirements list the schemes.
    pub token_sources: Vec<TokenSource>,
}

impl Op<'_> {
    /// Whether a token must be sent: every alternative of the effective security names a scheme.
    pub fn secured(&self) -> bool {
        !self.security.is_empty() && self.security.iter().all(|alt| !alt.is_empty())
    }

    /// The operation's doc: method, path and operationId, then the spec's summary and description.
    pub fn doc(&self) -> String {
        let o = self.operation;
        let mut doc = format!(
            "`{} {}` (`{}`)",
            self.method.to_uppercase(),
            self.path,
            self.id
        );
        if let Some(summary) = &o.summary {
            doc.push_str(": ");
            doc.push_str(summary.trim());
        }
        if let Some(description) = &o.description {
            doc.push_str("\n\n");
            doc.push_str(description.trim());
        }
        doc
    }

    pub fn where_(&self) -> String {
        format!(
            "operation `{}` ({} {})",
            self.id,
            self.method.to_uppercase(),
            self.path
        )
    }
}

/// What progenitor generated for one operation's builder: its setters and their value types.
struct Builder {
    name: Ident,
    setters: Vec<(Ident, syn::Type)>,
    success: syn::Type,
    error: syn::Type,
}

/// Reads the builder-style client progenitor generated: `Client::<op>() -> builder::<Op>` (in spec
/// order, named by progenitor: `move` becomes `move_`) and each builder's setters
/// `fn <name><V>(self, value: V) where V: TryInto<T>`.
fn builders(client: &syn::File) -> anyhow::Result<Vec<(Ident, Builder)>> {
    let mut entry: Vec<(Ident, Ident)> = vec![];
    let mut structs: BTreeMap<String, Builder> = BTreeMap::new();
    for item in &client.items {
        match item {
            syn::Item::Impl(imp) if imp.trait_.is_none() && is_path(&imp.self_ty, "Client") => {
                for f in fn_items(&imp.items) {
                    if let syn::ReturnType::Type(_, ty) = &f.sig.output
                        && let syn::Type::Path(p) = &**ty
                        && p.path.segments.len() == 2
                        && p.path.segments[0].ident == "builder"
                    {
                        entry.push((f.sig.ident.clone(), p.path.segments[1].ident.clone()));
                    }
                }
            }
            syn::Item::Mod(m) if m.ident == "builder" => {
                for item in m.content.iter().flat_map(|(_, items)| items) {
                    let syn::Item::Impl(imp) = item else { continue };
                    let syn::Type::Path(p) = &*imp.self_ty else {
                        continue;
                    };
                    let Some(name) = p.path.segments.last().map(|s| s.ident.clone()) else {
                        continue;
                    };
                    let mut setters = vec![];
                    let mut answer = None;
                    for f in fn_items(&imp.items) {
                        if f.sig.ident == "send" {
                            answer = Some(send_types(&f.sig)?);
                        } else if let Some(ty) = try_into_bound(&f.sig) {
                            setters.push((f.sig.ident.clone(), ty));
                        }
                    }
                    if let Some((success, error)) = answer {
                        structs.insert(
                            name.to_string(),
                            Builder {
                                name,
                                setters,
                                success,
                                error,
                            },
                        );
                    }
                }
            }
            _ => {}
        }
    }
    let mut out = vec![];
    for (method, builder) in entry {
        let b = structs
            .remove(&builder.to_string())
            .ok_or_else(|| anyhow!("progenitor generated no builder `{builder}` for `{method}`"))?;
        out.push((method, b));
    }
    Ok(out)
}

fn fn_items(items: &[syn::ImplItem]) -> impl Iterator<Item = &syn::ImplItemFn> {
    items.iter().filter_map(|i| match i {
        syn::ImplItem::Fn(f) => Some(f),
        _ => None,
    })
}

fn is_path(ty: &syn::Type, name: &str) -> bool {
    matches!(ty, syn::Type::Path(p) if p.path.is_ident(name))
}

/// `T` of a setter's `where V: std::convert::TryInto<T>` bound.
fn try_into_bound(sig: &syn::Signature) -> Option<syn::Type> {
    let clause = sig.generics.where_clause.as_ref()?;
    for pred in &clause.predicates {
        let syn::WherePredicate::Type(pt) = pred else {
            continue;
        };
        if !is_path(&pt.bounded_ty, "V") {
            continue;
        }
        for bound in &pt.bounds {
            let syn::TypeParamBound::Trait(t) = bound else {
                continue;
            };
            let last = t.path.segments.last()?;
            if last.ident == "TryInto"
                && let syn::PathArguments::AngleBracketed(args) = &last.arguments
                && let Some(syn::GenericArgument::Type(ty)) = args.args.first()
            {
                return Some(ty.clone());
            }
        }
    }
    None
}

/// `(T, E)` of `send(self) -> Result<ResponseValue<T>, Error<E>>`.
fn send_types(sig: &syn::Signature) -> anyhow::Result<(syn::Type, syn::Type)> {
    let syn::ReturnType::Type(_, ret) = &sig.output else {
        bail!("progenitor's send() returns nothing");
    };
    let [ok, err] = generic_args(ret)
        .and_then(|a| <[syn::Type; 2]>::try_from(a).ok())
        .ok_or_else(|| anyhow!("unexpected return type of progenitor's send()"))?;
    let inner = |t: &syn::Type| generic_args(t).and_then(|a| a.into_iter().next());
    Ok((inner(&ok).unwrap_or(ok), inner(&err).unwrap_or(err)))
}

pub fn generic_args(ty: &syn::Type) -> Option<Vec<syn::Type>> {
    let syn::Type::Path(p) = ty else { return None };
    let syn::PathArguments::AngleBracketed(args) = &p.path.segments.last()?.arguments else {
        return None;
    };
    Some(
        args.args
            .iter()
            .filter_map(|a| match a {
                syn::GenericArgument::Type(t) => Some(t.clone()),
                _ => None,
            })
            .collect(),
    )
}

/// `T` when `ty` is `Vec<T>` (any path to it).
pub fn vec_item(ty: &syn::Type) -> Option<syn::Type> {
    let syn::Type::Path(p) = ty else { return None };
    (p.path.segments.last()?.ident == "Vec")
        .then(|| generic_args(ty).and_then(|a| a.into_iter().next()))
        .flatten()
}

/// The operations in spec order, each joined with the types of progenitor's builder-style client.
pub fn operations<'a>(api: &'a OpenAPI, client: &TokenStream) -> anyhow::Result<Vec<Op<'a>>> {
    let file: syn::File =
        syn::parse2(client.clone()).context("progenitor's client did not parse")?;
    let mut builders = builders(&file)?.into_iter();
    let mut ops = vec![];
    for (path, item) in &api.paths.paths {
        let item = item
            .as_item()
            .ok_or_else(|| anyhow!("{path}: path items by reference are not supported"))?;
        for (method, operation) in item.iter() {
            let id = operation
                .operation_id
                .clone()
                .ok_or_else(|| anyhow!("{path} {method}: missing operationId"))?;
            let (fn_name, builder) = builders
                .next()
                .ok_or_else(|| anyhow!("progenitor generated no method for operation `{id}`"))?;
            let plain = fn_name.to_string();
            if plain.trim_end_matches('_') != id.to_snake_case() {
                bail!("progenitor's method `{plain}` does not match operation `{id}`");
            }
            let mut op = Op {
                fn_name,
                builder: builder.name.clone(),
                id,
                method: method.to_owned(),
                path: path.clone(),
                operation,
                params: vec![],
                body: None,
                responses: vec![],
                success: builder.success.clone(),
                error: builder.error.clone(),
                security: vec![],
                token_sources: vec![],
            };
            fill(api, &mut op, &item.parameters, &builder)?;
            ops.push(op);
        }
    }
    Ok(ops)
}

fn fill(
    api: &OpenAPI,
    op: &mut Op<'_>,
    path_level: &[ReferenceOr<Parameter>],
    builder: &Builder,
) -> anyhow::Result<()> {
    let where_ = op.where_();
    // The operation's parameters override the path item's of the same name (and place).
    let mut declared: Vec<&Parameter> = vec![];
    for p in path_level.iter().chain(&op.operation.parameters) {
        let p = resolve_parameter(api, p)?;
        let data = p.parameter_data_ref();
        declared.retain(|q| q.parameter_data_ref().name != data.name);
        declared.push(p);
    }
    let template_names: Vec<&str> = op
        .path
        .split('{')
        .skip(1)
        .filter_map(|s| s.split('}').next())
        .collect();
    let mut params = vec![];
    for p in declared {
        let (place, data) = match p {
            Parameter::Path { parameter_data, .. } => (Place::Path, parameter_data),
            Parameter::Query { parameter_data, .. } => (Place::Query, parameter_data),
            Parameter::Header { parameter_data, .. } => (Place::Header, parameter_data),
            Parameter::Cookie { parameter_data, .. } => {
                bail!(
                    "{where_}: cookie parameter `{}` is not supported",
                    parameter_data.name
                )
            }
        };
        let schema = match &data.format {
            openapiv3::ParameterSchemaOrContent::Schema(s) => resolve_schema(api, s).cloned(),
            openapiv3::ParameterSchemaOrContent::Content(_) => None,
        };
        params.push((place, data, schema));
    }
    // progenitor's order: path (template order), query (by name), header (by name), body.
    params.sort_by(|a, b| {
        a.0.cmp(&b.0).then_with(|| match a.0 {
            Place::Path => {
                let pos = |n: &str| template_names.iter().position(|t| *t == n);
                pos(&a.1.name).cmp(&pos(&b.1.name))
            }
            _ => a.1.name.cmp(&b.1.name),
        })
    });
    let mut setters = builder.setters.iter().filter(|(name, _)| name != "body");
    for (place, data, schema) in params {
        let (ident, ty) = setters.next().cloned().ok_or_else(|| {
            anyhow!(
                "{where_}: progenitor's builder has no setter for `{}`",
                data.name
            )
        })?;
        // progenitor treats a query parameter whose own schema is nullable as optional.
        let nullable = schema.as_ref().is_some_and(|s| s.schema_data.nullable);
        op.params.push(Param {
            api_name: data.name.clone(),
            ident,
            place,
            required: data.required && !(nullable && place == Place::Query),
            item: vec_item(&ty),
            ty,
            description: data.description.clone(),
            schema,
        });
    }

    if let Some(body) = &op.operation.request_body {
        let body = resolve_body(api, body)?;
        let ty = builder
            .setters
            .iter()
            .find(|(name, _)| name == "body")
            .map(|(_, ty)| ty.clone())
            .ok_or_else(|| anyhow!("{where_}: progenitor's builder has no body setter"))?;
        let mut media = vec![];
        for name in body.content.keys() {
            match media_of(name) {
                Some(m) => media.push(m),
                None => bail!("{where_}: request body media type `{name}` is not supported"),
            }
        }
        op.body = Some(Body {
            ty,
            required: body.required,
            media,
            description: body.description.clone(),
        });
    }

    for (status, response) in &op.operation.responses.responses {
        let SpecStatus::Code(code) = status else {
            bail!("{where_}: status ranges like {status} are not supported");
        };
        let response = resolve_response(api, response)?;
        let media: Vec<&String> = response.content.keys().collect();
        let content = response_content(&media, *code, &op.success, &op.error);
        let example = response.content.values().find_map(|m| {
            m.example.clone().or_else(|| {
                m.examples
                    .values()
                    .find_map(|e| e.as_item().and_then(|e| e.value.clone()))
            })
        });
        let links = response
            .links
            .iter()
            .map(|(name, link)| resp_link(&where_, *code, name, link))
            .collect::<anyhow::Result<Vec<_>>>()?;
        op.responses.push(Resp {
            status: *code,
            description: response.description.clone(),
            content,
            example,
            links,
        });
    }
    if op.operation.responses.default.is_some() {
        bail!("{where_}: `default` responses are not supported");
    }

    let requirements = op.operation.security.as_ref().or(api.security.as_ref());
    op.security = requirements
        .into_iter()
        .flatten()
        .map(|req| req.keys().cloned().collect())
        .collect();
    for scheme in op.security.iter().flatten() {
        let source = token_source(api, scheme).map_err(|e| anyhow!("{where_}: {e}"))?;
        if !op.token_sources.contains(&source) {
            op.token_sources.push(source);
        }
    }
    Ok(())
}

pub fn media_of(name: &str) -> Option<BodyMedia> {
    let essence = name.split(';').next().unwrap_or_default().trim();
    match essence {
        "application/json" => Some(BodyMedia::Json),
        "application/x-www-form-urlencoded" => Some(BodyMedia::Form),
        _ => None,
    }
}

fn response_content(
    content: &[&String],
    code: u16,
    success: &syn::Type,
    error: &syn::Type,
) -> Content {
    if content.is_empty() {
        return Content::None;
    }
    let json = content
        .iter()
        .any(|k| *k == "application/json" || k.starts_with("application/json;"));
    if json {
        Content::Json(if (200..300).contains(&code) {
            success.clone()
        } else {
            error.clone()
        })
    } else {
        Content::Text(content[0].clone())
    }
}

fn local_name(reference: &str, kind: &str) -> Option<String> {
    reference
        .strip_prefix(&format!("#/components/{kind}/"))
        .map(str::to_owned)
}

pub fn resolve_parameter<'a>(
    api: &'a OpenAPI,
    p: &'a ReferenceOr<Parameter>,
) -> anyhow::Result<&'a Parameter> {
    match p {
        ReferenceOr::Item(p) => Ok(p),
        ReferenceOr::Reference { reference } => local_name(reference, "parameters")
            .and_then(|n| api.components.as_ref()?.parameters.get(&n))
            .and_then(ReferenceOr::as_item)
            .ok_or_else(|| anyhow!("unresolved parameter reference {reference}")),
    }
}

pub fn resolve_body<'a>(
    api: &'a OpenAPI,
    b: &'a ReferenceOr<RequestBody>,
) -> anyhow::Result<&'a RequestBody> {
    match b {
        ReferenceOr::Item(b) => Ok(b),
        ReferenceOr::Reference { reference } => local_name(reference, "requestBodies")
            .and_then(|n| api.components.as_ref()?.request_bodies.get(&n))
            .and_then(ReferenceOr::as_item)
            .ok_or_else(|| anyhow!("unresolved request body reference {reference}")),
    }
}

/// A response's link, as the generators can carry it: by `operationId`, with parameters.
fn resp_link(
    where_: &str,
    status: u16,
    name: &str,
    link: &ReferenceOr<openapiv3::Link>,
) -> anyhow::Result<RespLink> {
    let at = format!("{where_}: response {status}, link `{name}`");
    let ReferenceOr::Item(link) = link else {
        bail!("{at}: a `$ref` to a link is not supported; write the link in place");
    };
    let openapiv3::LinkOperation::OperationId(operation_id) = &link.operation else {
        bail!("{at}: `operationRef` is not supported; name the operation with `operationId`");
    };
    if link.request_body.is_some() || link.server.is_some() {
        bail!("{at}: `requestBody` and `server` in a link are not supported");
    }
    Ok(RespLink {
        name: name.to_owned(),
        operation_id: operation_id.clone(),
        parameters: link
            .parameters
            .iter()
            .map(|(k, v)| match v {
                serde_json::Value::String(v) => Ok((k.clone(), v.clone())),
                other => Err(anyhow!(
                    "{at}: parameter `{k}` is {other}; only strings (runtime expressions such as \
                     `$response.body#/id`, or text) are supported"
                )),
            })
            .collect::<anyhow::Result<_>>()?,
        description: link.description.clone(),
    })
}

pub fn resolve_response<'a>(
    api: &'a OpenAPI,
    r: &'a ReferenceOr<Response>,
) -> anyhow::Result<&'a Response> {
    match r {
        ReferenceOr::Item(r) => Ok(r),
        ReferenceOr::Reference { reference } => local_name(reference, "responses")
            .and_then(|n| api.components.as_ref()?.responses.get(&n))
            .and_then(ReferenceOr::as_item)
            .ok_or_else(|| anyhow!("unresolved response reference {reference}")),
    }
}

pub fn resolve_schema<'a>(
    api: &'a OpenAPI,
    s: &'a ReferenceOr<openapiv3::Schema>,
) -> Option<&'a openapiv3::Schema> {
    match s {
        ReferenceOr::Item(s) => Some(s),
        ReferenceOr::Reference { reference } => local_name(reference, "schemas")
            .and_then(|n| api.components.as_ref()?.schemas.get(&n))
            .and_then(|s| resolve_schema(api, s)),
    }
}

/// Where a security scheme puts the token.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum TokenSource {
    /// `Authorization: Bearer <t>`; the raw `Authorization: <t>` is accepted too (PortOne's older form).
    Bearer,
    /// An API-key header (lower case).
    Header(String),
}

pub fn token_source(api: &OpenAPI, name: &str) -> anyhow::Result<TokenSource> {
    let scheme = api
        .components
        .as_ref()
        .and_then(|c| c.security_schemes.get(name))
        .and_then(ReferenceOr::as_item)
        .ok_or_else(|| anyhow!("unknown security scheme `{name}`"))?;
    match scheme {
        SecurityScheme::HTTP { scheme, .. } if scheme.eq_ignore_ascii_case("bearer") => {
            Ok(TokenSource::Bearer)
        }
        SecurityScheme::APIKey {
            location: openapiv3::APIKeyLocation::Header,
            name,
            ..
        } => Ok(TokenSource::Header(name.to_ascii_lowercase())),
        _ => bail!("security scheme `{name}` is neither http bearer nor an apiKey header"),
    }
}
