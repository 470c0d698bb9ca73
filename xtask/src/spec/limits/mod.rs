//! What the generators support, checked before any of them runs.
//!
//! `checks.rs` makes sure the document is sound OpenAPI 3.0; this module refuses what is sound but
//! beyond the generators: what progenitor answers with an error, a `todo!` or a panic, what our own
//! generators (`xtask/src/codegen/{ops,facade}.rs`, `server/*.rs`) refuse, what axum's router panics
//! on at startup, and what would generate Rust that does not compile. Each refusal names the node that
//! causes it; the generators' own `bail!`s stay as internal-error guards.

use std::collections::{BTreeMap, BTreeSet};

use heck::{ToPascalCase, ToSnakeCase};
use serde_json::{Map, Value};

use super::DocPath;
use openapi_support::METHODS;

use super::checks::{Problems, describe};

mod answers;
mod inputs;
mod schemas;

use schemas::{article, canonical, component_ref};
pub use schemas::{schema, schema_ref};

/// Body media types the generators read (the client sends the first, the server accepts all).
const BODY_MEDIA: [&str; 2] = ["application/json", "application/x-www-form-urlencoded"];

/// Header parameters that OpenAPI ignores (they are set by the client itself).
const IGNORED_HEADERS: [&str; 3] = ["accept", "content-type", "authorization"];

/// Rust names of parameters that the generated code uses for itself: progenitor's builders (`body`,
/// `client`, `send`), the `IamportClient` request values (`request`, `raw`) and the server's
/// handlers (`api`, `headers`, `path`, `query`, `token`, `context`).
const RESERVED_PARAMETERS: [&str; 11] = [
    "body", "client", "send", "request", "raw", "api", "headers", "path", "query", "token",
    "context",
];

/// Method names an operation cannot take: the hand-written `IamportClient` methods
/// (crates/iamport-client/src/client.rs), the server trait's `authorize`, and the generated server's
/// own functions.
const RESERVED_METHODS: [&str; 17] = [
    "new",
    "builder",
    "base_url",
    "access_token",
    "invalidate_token",
    "raw",
    "authorized_raw",
    "raw_with",
    "credentials",
    "raw_for_call",
    "call",
    "authorized",
    "fetch_token",
    "authorize",
    "router",
    "openapi_json",
    "null_schema",
];

/// The route the generated server adds for its own document.
const SERVER_ROUTE: &str = "/openapi.json";

/// The extension that marks the operation issuing access tokens (see codegen/facade.rs).
const TOKEN_ISSUER: &str = "x-token-issuer";

/// Extensions that change the shape of progenitor's methods, which the generators do not follow.
const PROGENITOR_EXTENSIONS: [&str; 2] = ["x-dropshot-pagination", "x-dropshot-websocket"];

/// The Rust name progenitor gives a name (its `sanitize` with snake case, keywords aside).
pub fn rust_name(name: &str) -> String {
    let cleaned: String = name
        .replace('\'', "")
        .chars()
        .map(|c| {
            if c.is_alphanumeric() || c == '_' {
                c
            } else {
                '-'
            }
        })
        .collect();
    cleaned.to_snake_case()
}

pub fn check(doc: &Map<String, Value>, p: &mut Problems) {
    let limits = Limits { doc };
    let root = DocPath::default();
    limits.security_schemes(p);
    limits.components(p);
    if let Some(Value::Array(reqs)) = doc.get("security") {
        limits.requirement_names(reqs, &root.key("security"), p);
    }
    let Some(paths) = doc.get("paths").and_then(Value::as_object) else {
        return;
    };

    let mut routes: BTreeMap<String, String> = BTreeMap::new();
    let mut ids: BTreeMap<String, (String, DocPath)> = BTreeMap::new();
    let mut issuers: Vec<DocPath> = vec![];
    let mut first_secured: Option<DocPath> = None;
    for (template, item) in paths {
        let item_at = root.key("paths").key(template);
        let Some(item) = item.as_object() else {
            continue;
        };
        template_limits(template, &item_at, &mut routes, p);
        for method in METHODS {
            let Some(op) = item.get(method).and_then(Value::as_object) else {
                continue;
            };
            let at = item_at.key(method);
            limits.operation(item, op, &at, &mut ids, p);
            if op.get(TOKEN_ISSUER) == Some(&Value::Bool(true)) {
                issuers.push(at.clone());
                limits.token_issuer(op, &at, p);
            } else if let Some(v) = op.get(TOKEN_ISSUER)
                && v != &Value::Bool(false)
            {
                p.push((
                    at.key(TOKEN_ISSUER),
                    format!("expected true or false, found {}", describe(v)),
                ));
            }
            if first_secured.is_none() && limits.secured(op) {
                first_secured = Some(if op.contains_key("security") {
                    at.key("security")
                } else {
                    at.clone()
                });
            }
        }
    }
    match (issuers.as_slice(), first_secured) {
        ([], Some(secured)) => p.push((
            secured,
            format!(
                "this operation needs an access token, but no operation is marked `{TOKEN_ISSUER}: true` \
                 (the client fetches its token with that operation)"
            ),
        )),
        ([first, second, ..], _) => p.push((
            second.key(TOKEN_ISSUER),
            format!("only one operation may be the token issuer; {first} is marked too"),
        )),
        _ => {}
    }
}

/// The path template: what progenitor's template parser and axum's router accept, and no two
/// templates that are the same route.
fn template_limits(
    template: &str,
    at: &DocPath,
    routes: &mut BTreeMap<String, String>,
    p: &mut Problems,
) {
    if template == SERVER_ROUTE {
        p.push((
            at.clone(),
            format!("the generated server serves its own document at `{SERVER_ROUTE}`"),
        ));
    }
    let mut shape = String::new();
    for segment in template.split('/') {
        if !shape.is_empty() || !segment.is_empty() {
            shape.push('/');
        }
        let opens = segment.matches('{').count();
        let closes = segment.matches('}').count();
        if opens != closes || segment.find('}') < segment.find('{') {
            p.push((
                at.clone(),
                format!("unbalanced braces in the segment `{segment}`"),
            ));
            return;
        }
        if opens > 1 {
            p.push((
                at.clone(),
                format!("`{segment}`: one parameter per path segment (axum's router refuses more)"),
            ));
            return;
        }
        if segment.starts_with(':') {
            p.push((
                at.clone(),
                format!("`{segment}`: a segment starting with `:` is refused by axum's router; write `{{name}}`"),
            ));
            return;
        }
        match segment.split_once('{') {
            None => shape.push_str(segment),
            Some((prefix, rest)) => {
                let (name, suffix) = rest.split_once('}').unwrap_or((rest, ""));
                if name.is_empty() || name.starts_with('*') {
                    p.push((
                        at.clone(),
                        format!("`{segment}`: expected a parameter name between the braces"),
                    ));
                    return;
                }
                if !suffix.is_empty() {
                    p.push((
                        at.clone(),
                        format!(
                            "`{segment}`: nothing may follow a parameter in its segment (axum's router refuses it)"
                        ),
                    ));
                    return;
                }
                shape.push_str(prefix);
                shape.push_str("{}");
            }
        }
    }
    match routes.get(&shape) {
        Some(first) => p.push((
            at.clone(),
            format!(
                "the same route as `{first}`: templates that differ only in parameter names are identical \
                 (OpenAPI), and axum's router panics on them"
            ),
        )),
        None => {
            routes.insert(shape, template.to_owned());
        }
    }
}

struct Limits<'a> {
    doc: &'a Map<String, Value>,
}

/// What a response or a request body carries, as progenitor classifies it.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Kind {
    None,
    Json,
    Raw,
}

impl Kind {
    fn name(self) -> &'static str {
        match self {
            Kind::None => "no body",
            Kind::Json => "JSON",
            Kind::Raw => "a non-JSON body",
        }
    }
}

fn is_json(media: &str) -> bool {
    essence(media) == "application/json"
}

fn essence(media: &str) -> &str {
    media.split(';').next().unwrap_or_default().trim()
}

impl<'a> Limits<'a> {
    /// Follows a local reference; gives the target and where it is.
    fn resolve(&self, reference: &str) -> Option<(&'a Value, DocPath)> {
        let rest = reference.strip_prefix("#/")?;
        let mut at = DocPath::default();
        let mut node: Option<&'a Value> = None;
        for part in rest.split('/') {
            let part = part.replace("~1", "/").replace("~0", "~");
            node = Some(match node {
                None => self.doc.get(&part)?,
                Some(n) => n.get(&part)?,
            });
            at = at.key(part);
        }
        node.map(|n| (n, at))
    }

    /// The node itself, or the component of `kind` its `$ref` names (the generators follow
    /// `#/components/<kind>/<name>` only, one level).
    fn item(
        &self,
        node: &'a Value,
        at: &DocPath,
        kind: &str,
        p: &mut Problems,
    ) -> Option<(&'a Value, DocPath)> {
        let Some(r) = node.get("$ref").and_then(Value::as_str) else {
            return Some((node, at.clone()));
        };
        let target = self.resolve(r)?; // checks.rs reports unresolved references
        if !component_ref(r, kind) {
            p.push((
                at.key("$ref"),
                format!("`{r}`: the generators follow references of the form `#/components/{kind}/NAME` only"),
            ));
            return None;
        }
        if target.0.get("$ref").is_some() {
            // Reported at the component (see `components`).
            return None;
        }
        Some(target)
    }

    /// A schema with its references followed (and a lone `allOf` member), bounded.
    fn schema(&self, schema: &'a Value) -> Option<&'a Value> {
        let mut s = schema;
        for _ in 0..16 {
            if let Some(r) = s.get("$ref").and_then(Value::as_str) {
                s = self.resolve(r)?.0;
                continue;
            }
            if s.get("type").is_none()
                && s.get("properties").is_none()
                && let Some(Value::Array(all)) = s.get("allOf")
                && all.len() == 1
            {
                s = &all[0];
                continue;
            }
            return Some(s);
        }
        None
    }

    /// The JSON type a schema describes, when it says.
    fn type_of(&self, schema: &'a Value) -> Option<&'a str> {
        let s = self.schema(schema)?;
        match s.get("type").and_then(Value::as_str) {
            Some(t) => Some(t),
            None if s.get("properties").is_some() => Some("object"),
            None => None,
        }
    }

    /// The properties of an object schema, through references and `allOf`; `None` when a reference
    /// does not resolve (checks.rs reports it).
    fn properties(&self, schema: &'a Value) -> Option<BTreeMap<String, &'a Value>> {
        let mut out = BTreeMap::new();
        let mut stack = vec![schema];
        let mut seen = 0;
        while let Some(s) = stack.pop() {
            seen += 1;
            if seen > 64 {
                return None;
            }
            let s = self.schema(s)?;
            if let Some(Value::Object(props)) = s.get("properties") {
                for (name, prop) in props {
                    out.entry(name.clone()).or_insert(prop);
                }
            }
            if let Some(Value::Array(all)) = s.get("allOf") {
                stack.extend(all.iter());
            }
        }
        Some(out)
    }

    /// The effective security of an operation: the names of each alternative.
    fn security(&self, op: &'a Map<String, Value>) -> Vec<Vec<&'a str>> {
        let reqs = op.get("security").or_else(|| self.doc.get("security"));
        reqs.and_then(Value::as_array)
            .into_iter()
            .flatten()
            .map(|req| {
                req.as_object()
                    .into_iter()
                    .flat_map(|m| m.keys().map(String::as_str))
                    .collect()
            })
            .collect()
    }

    fn secured(&self, op: &'a Map<String, Value>) -> bool {
        let alternatives = self.security(op);
        !alternatives.is_empty() && alternatives.iter().all(|alt| !alt.is_empty())
    }

    /// Components the operations refer to must be the thing itself (the generators follow one
    /// reference); schema names must make distinct Rust type names.
    fn components(&self, p: &mut Problems) {
        let Some(components) = self.doc.get("components").and_then(Value::as_object) else {
            return;
        };
        let at = DocPath::default().key("components");
        for kind in ["parameters", "requestBodies", "responses"] {
            for (name, c) in components
                .get(kind)
                .and_then(Value::as_object)
                .into_iter()
                .flatten()
            {
                if c.get("$ref").is_some() {
                    p.push((
                        at.key(kind).key(name).key("$ref"),
                        format!("a component of `{kind}` that is itself a reference is not supported: write it out"),
                    ));
                }
            }
        }
        let mut types: BTreeMap<String, &str> = BTreeMap::new();
        for name in components
            .get("schemas")
            .and_then(Value::as_object)
            .into_iter()
            .flat_map(|m| m.keys())
        {
            let at = at.key("schemas").key(name);
            let usable = name.chars().next().is_some_and(|c| c.is_ascii_alphabetic())
                && name
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.'));
            let ty = name.to_pascal_case();
            if !usable || ty == "Self" {
                p.push((
                    at,
                    format!("the schema name `{name}` does not make a Rust type name (letters, digits, `_`, `-`, `.`, starting with a letter)"),
                ));
            } else if let Some(first) = types.get(&ty) {
                p.push((
                    at,
                    format!(
                        "the schema names `{name}` and `{first}` both become the Rust type `{ty}`"
                    ),
                ));
            } else {
                types.insert(ty, name);
            }
        }
    }

    /// Every scheme must be one the client can send and the server can check.
    fn security_schemes(&self, p: &mut Problems) {
        let Some(schemes) = self
            .doc
            .get("components")
            .and_then(|c| c.get("securitySchemes"))
            .and_then(Value::as_object)
        else {
            return;
        };
        let at = DocPath::default().key("components").key("securitySchemes");
        for (name, scheme) in schemes {
            let at = at.key(name);
            if scheme.get("$ref").is_some() {
                p.push((
                    at.key("$ref"),
                    "security schemes by reference are not supported".into(),
                ));
                continue;
            }
            let supported = "the generators support http bearer and apiKey in header only";
            match scheme.get("type").and_then(Value::as_str) {
                Some("http") => {
                    let s = scheme.get("scheme").and_then(Value::as_str);
                    if !s.is_some_and(|s| s.eq_ignore_ascii_case("bearer")) {
                        p.push((
                            at.key("scheme"),
                            format!(
                                "{supported}; found http {}",
                                s.map_or("without a scheme".to_owned(), |s| format!("`{s}`"))
                            ),
                        ));
                    }
                }
                Some("apiKey") => {
                    let place = scheme.get("in").and_then(Value::as_str);
                    if place != Some("header") {
                        p.push((
                            at.key("in"),
                            format!(
                                "{supported}; found apiKey in {}",
                                place.unwrap_or("(nothing)")
                            ),
                        ));
                    }
                    if scheme.get("name").and_then(Value::as_str).is_none() {
                        p.push((at.key("name"), "expected the header's name".into()));
                    }
                }
                Some(other) => p.push((at.key("type"), format!("{supported}; found `{other}`"))),
                None => {} // checks.rs reports it
            }
        }
    }

    /// Names in a security requirement list must be schemes of the components.
    fn requirement_names(&self, reqs: &[Value], at: &DocPath, p: &mut Problems) {
        let schemes = self
            .doc
            .get("components")
            .and_then(|c| c.get("securitySchemes"))
            .and_then(Value::as_object);
        for (i, req) in reqs.iter().enumerate() {
            for name in req.as_object().into_iter().flat_map(|m| m.keys()) {
                if !schemes.is_some_and(|s| s.contains_key(name)) {
                    p.push((
                        at.index(i).key(name),
                        format!("no security scheme `{name}` in components.securitySchemes"),
                    ));
                }
            }
        }
    }

    fn operation(
        &self,
        item: &'a Map<String, Value>,
        op: &'a Map<String, Value>,
        at: &DocPath,
        ids: &mut BTreeMap<String, (String, DocPath)>,
        p: &mut Problems,
    ) {
        for ext in PROGENITOR_EXTENSIONS {
            if op.contains_key(ext) {
                p.push((
                    at.key(ext),
                    format!("`{ext}` is not supported by the generators"),
                ));
            }
        }
        if let Some(id) = op.get("operationId").and_then(Value::as_str) {
            let name = rust_name(id);
            let id_at = at.key("operationId");
            if RESERVED_METHODS.contains(&name.as_str()) {
                p.push((
                    id_at.clone(),
                    format!("`{id}` becomes the method `{name}`, which the client or the server already has"),
                ));
            } else if id.to_pascal_case() == "Into" {
                p.push((
                    id_at.clone(),
                    format!("`{id}` would name its server answer `IntoResponse`, axum's trait"),
                ));
            }
            match ids.get(&name) {
                Some((first, first_at)) if first != id => p.push((
                    id_at,
                    format!("`{id}` and `{first}` ({first_at}) both become the Rust name `{name}`"),
                )),
                Some(_) => {} // an exact duplicate: checks.rs reports it
                None => {
                    ids.insert(name, (id.to_owned(), id_at));
                }
            }
        }

        let has_body = op.get("requestBody").is_some();
        self.parameters(item, op, at, has_body, p);
        if let Some(body) = op.get("requestBody") {
            self.request_body(body, &at.key("requestBody"), p);
        }
        if let Some(responses) = op.get("responses").and_then(Value::as_object) {
            self.responses(responses, &at.key("responses"), p);
        }
        if let Some(Value::Array(reqs)) = op.get("security") {
            self.requirement_names(reqs, &at.key("security"), p);
        }
    }
}
