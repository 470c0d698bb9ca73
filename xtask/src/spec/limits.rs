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

    fn parameters(
        &self,
        item: &'a Map<String, Value>,
        op: &'a Map<String, Value>,
        at: &DocPath,
        has_body: bool,
        p: &mut Problems,
    ) {
        let path_level = DocPath(at.0[..at.0.len() - 1].to_vec());
        // The effective parameters: the path item's, overridden by the operation's of the same name.
        let mut effective: Vec<(String, &'a Value, DocPath)> = vec![];
        for (list, list_at) in [
            (item.get("parameters"), path_level.key("parameters")),
            (op.get("parameters"), at.key("parameters")),
        ] {
            for (i, param) in list
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
                .enumerate()
            {
                let Some((param, param_at)) = self.item(param, &list_at.index(i), "parameters", p)
                else {
                    continue;
                };
                let Some(name) = param.get("name").and_then(Value::as_str) else {
                    continue;
                };
                effective.retain(|(n, _, _)| n != name);
                effective.push((name.to_owned(), param, param_at));
            }
        }
        let header_schemes = self.token_headers();
        let mut rust_names: BTreeMap<String, String> = BTreeMap::new();
        for (name, param, at) in &effective {
            let place = param.get("in").and_then(Value::as_str).unwrap_or_default();
            let rust = rust_name(name);
            if RESERVED_PARAMETERS.contains(&rust.as_str()) {
                let why = if rust == "body" && has_body {
                    "clashes with the request body".to_owned()
                } else {
                    format!(
                        "becomes the Rust name `{rust}`, which the generated code uses for itself"
                    )
                };
                p.push((
                    at.key("name"),
                    format!("parameter `{name}` {why}; rename it"),
                ));
            } else if let Some(first) = rust_names.get(&rust) {
                p.push((
                    at.key("name"),
                    format!("parameters `{name}` and `{first}` both become the Rust name `{rust}`"),
                ));
            } else {
                rust_names.insert(rust, name.clone());
            }
            for key in [
                "required",
                "deprecated",
                "allowEmptyValue",
                "explode",
                "allowReserved",
            ] {
                if let Some(v) = param.get(key)
                    && !v.is_boolean()
                {
                    p.push((
                        at.key(key),
                        format!("expected true or false, found {}", describe(v)),
                    ));
                }
            }
            if let Some(v) = param.get("style")
                && !v.is_string()
            {
                p.push((
                    at.key("style"),
                    format!("expected a string, found {}", describe(v)),
                ));
            }
            let style = param.get("style").and_then(Value::as_str);
            let (allowed, wanted) = match place {
                "cookie" => {
                    p.push((
                        at.key("in"),
                        format!("cookie parameter `{name}`: the generators support path, query and header parameters only"),
                    ));
                    continue;
                }
                "path" => (style.is_none_or(|s| s == "simple"), "simple"),
                "query" => (style.is_none_or(|s| s == "form"), "form"),
                "header" => (style.is_none_or(|s| s == "simple"), "simple"),
                _ => continue,
            };
            if !allowed {
                p.push((
                    at.key("style"),
                    format!(
                        "{place} parameter `{name}` has style `{}`; the generators support `{wanted}` only",
                        style.unwrap_or_default()
                    ),
                ));
            }
            if place == "header"
                && (IGNORED_HEADERS.contains(&name.to_ascii_lowercase().as_str())
                    || header_schemes.contains(&name.to_ascii_lowercase()))
            {
                p.push((
                    at.key("name"),
                    format!(
                        "header parameter `{name}`: this header carries the access token or is set by the client itself"
                    ),
                ));
            }
            let Some(schema) = param.get("schema") else {
                continue; // checks.rs reports it
            };
            match self.type_of(schema) {
                Some("object") => p.push((
                    at.key("schema"),
                    format!("{place} parameter `{name}` is an object; the generators take single values and (in the query) arrays of them"),
                )),
                Some("array") if place != "query" => p.push((
                    at.key("schema"),
                    format!("{place} parameter `{name}` is an array; arrays are supported in the query only"),
                )),
                Some("array") => {
                    let item_type = self
                        .schema(schema)
                        .and_then(|s| s.get("items"))
                        .and_then(|i| self.type_of(i));
                    if matches!(item_type, Some("array" | "object")) {
                        p.push((
                            at.key("schema"),
                            format!("query parameter `{name}` is an array of {}s; arrays of single values only", item_type.unwrap_or_default()),
                        ));
                    }
                    if param.get("explode") == Some(&Value::Bool(false)) {
                        p.push((
                            at.key("explode"),
                            format!("query parameter `{name}`: the generators send and read arrays exploded (`{name}=a&{name}=b`) only"),
                        ));
                    }
                }
                _ => {}
            }
        }
    }

    /// Lower-case names of the apiKey headers of the components' security schemes.
    fn token_headers(&self) -> BTreeSet<String> {
        self.doc
            .get("components")
            .and_then(|c| c.get("securitySchemes"))
            .and_then(Value::as_object)
            .into_iter()
            .flat_map(|m| m.values())
            .filter(|s| s.get("type").and_then(Value::as_str) == Some("apiKey"))
            .filter_map(|s| s.get("name").and_then(Value::as_str))
            .map(str::to_ascii_lowercase)
            .collect()
    }

    fn request_body(&self, body: &'a Value, at: &DocPath, p: &mut Problems) {
        let Some((body, at)) = self.item(body, at, "requestBodies", p) else {
            return;
        };
        if let Some(v) = body.get("required")
            && !v.is_boolean()
        {
            p.push((
                at.key("required"),
                format!("expected true or false, found {}", describe(v)),
            ));
        }
        let content_at = at.key("content");
        let Some(content) = body.get("content").and_then(Value::as_object) else {
            p.push((
                at.clone(),
                "a request body needs `content` with a media type".into(),
            ));
            return;
        };
        if content.is_empty() {
            p.push((content_at, "a request body needs a media type".into()));
            return;
        }
        let mut first: Option<(&str, &'a Value)> = None;
        for (media, m) in content {
            let media_at = content_at.key(media);
            if !BODY_MEDIA.contains(&essence(media)) {
                p.push((
                    media_at,
                    format!(
                        "request body media type `{media}`: the generators support {} only",
                        BODY_MEDIA.join(" and ")
                    ),
                ));
                continue;
            }
            if m.get("encoding").is_some() {
                p.push((
                    media_at.key("encoding"),
                    "`encoding` is not supported (progenitor stops on it)".into(),
                ));
            }
            let Some(schema) = m.get("schema") else {
                p.push((
                    media_at,
                    "a request body media type needs a `schema`".into(),
                ));
                continue;
            };
            if essence(media) == "application/x-www-form-urlencoded"
                && self.type_of(schema).is_some_and(|t| t != "object")
            {
                p.push((
                    media_at.key("schema"),
                    format!(
                        "a form body is a set of fields: its schema must be an object, not {}",
                        self.type_of(schema).unwrap_or_default()
                    ),
                ));
            }
            match first {
                None => first = Some((media, schema)),
                Some((first_media, first_schema)) => {
                    if canonical(first_schema) != canonical(schema) {
                        p.push((
                            media_at.key("schema"),
                            format!(
                                "the schema differs from `{first_media}`'s: the client sends the first media type and the server accepts all, so they must have one schema"
                            ),
                        ));
                    }
                }
            }
        }
    }

    fn responses(&self, responses: &'a Map<String, Value>, at: &DocPath, p: &mut Problems) {
        let mut success: Option<(Kind, String)> = None;
        let mut error: Option<(Kind, String)> = None;
        for (status, response) in responses {
            let status_at = at.key(status);
            if status == "default" {
                p.push((
                    status_at,
                    "`default` responses are not supported: list each status".into(),
                ));
                continue;
            }
            if status.ends_with("XX") || status.ends_with("xx") {
                p.push((
                    status_at,
                    format!("status ranges like `{status}` are not supported: list each status"),
                ));
                continue;
            }
            let Ok(code) = status.parse::<u16>() else {
                continue; // checks.rs reports it
            };
            let Some((response, response_at)) = self.item(response, &status_at, "responses", p)
            else {
                continue;
            };
            let content = response.get("content").and_then(Value::as_object);
            let mut kind = Kind::None;
            for (media, m) in content.into_iter().flatten() {
                let media_at = response_at.key("content").key(media);
                if m.get("schema").is_none() {
                    p.push((
                        media_at.clone(),
                        format!(
                            "`{media}` needs a `schema` (for text, `schema: {{type: string}}`)"
                        ),
                    ));
                }
                if m.get("encoding").is_some() {
                    p.push((
                        media_at.key("encoding"),
                        "`encoding` has no meaning in a response (progenitor stops on it)".into(),
                    ));
                }
                kind = match (kind, is_json(media)) {
                    (_, true) | (Kind::Json, _) => Kind::Json,
                    _ => Kind::Raw,
                };
            }
            let slot = match code {
                100..=199 => {
                    p.push((
                        status_at,
                        format!("informational status {code} is not supported"),
                    ));
                    continue;
                }
                300..=399 if kind != Kind::None => {
                    p.push((
                        response_at.key("content"),
                        format!("a {code} answer with a body is not supported (the client does not read bodies of redirects)"),
                    ));
                    continue;
                }
                200..=299 => &mut success,
                400..=599 => &mut error,
                _ => continue,
            };
            match slot {
                None => *slot = Some((kind, status.clone())),
                Some((first, first_status)) if *first != kind => p.push((
                    response_at.clone(),
                    format!(
                        "{status} answers {} but {first_status} answers {}: progenitor needs one kind of {} answer per operation",
                        kind.name(),
                        first.name(),
                        if (200..300).contains(&code) { "success" } else { "error" }
                    ),
                )),
                Some(_) => {}
            }
        }
    }

    /// The token issuer's contract with the client (codegen/facade.rs): a body with string
    /// `imp_key` and `imp_secret`, and a success envelope (`code`, `message`, `response`) whose
    /// `response` has `access_token`, `now` and `expired_at`.
    fn token_issuer(&self, op: &'a Map<String, Value>, at: &DocPath, p: &mut Problems) {
        // Reference problems are reported by `operation`.
        let mut ignored = Problems::new();
        let body = op
            .get("requestBody")
            .and_then(|b| self.item(b, &at.key("requestBody"), "requestBodies", &mut ignored));
        match body {
            None => p.push((
                at.key(TOKEN_ISSUER),
                "the token issuer must take a request body with `imp_key` and `imp_secret`".into(),
            )),
            Some((body, body_at)) => {
                let first = body
                    .get("content")
                    .and_then(Value::as_object)
                    .and_then(|c| c.iter().next());
                if let Some((media, m)) = first
                    && let Some(schema) = m.get("schema")
                {
                    let props = self.properties(schema).unwrap_or_default();
                    for field in ["imp_key", "imp_secret"] {
                        if self.properties(schema).is_some()
                            && !props.get(field).is_some_and(|s| {
                                self.schema(s).is_none() || self.type_of(s) == Some("string")
                            })
                        {
                            p.push((
                                body_at.key("content").key(media).key("schema"),
                                format!(
                                    "the token issuer's body needs a string property `{field}`"
                                ),
                            ));
                        }
                    }
                }
            }
        }

        let responses = op.get("responses").and_then(Value::as_object);
        let success = responses.into_iter().flatten().find_map(|(status, r)| {
            let code = status.parse::<u16>().ok()?;
            (200..300).contains(&code).then_some(())?;
            let (r, r_at) = self.item(
                r,
                &at.key("responses").key(status),
                "responses",
                &mut ignored,
            )?;
            let (media, m) = r
                .get("content")
                .and_then(Value::as_object)?
                .iter()
                .find(|(media, _)| is_json(media))?;
            Some((
                m.get("schema")?,
                r_at.key("content").key(media).key("schema"),
            ))
        });
        let Some((schema, schema_at)) = success else {
            p.push((
                at.key("responses"),
                "the token issuer must answer a success status with a JSON envelope (`code`, `message`, `response`)".into(),
            ));
            return;
        };
        let Some(envelope) = self.properties(schema) else {
            return;
        };
        if self
            .schema(schema)
            .is_some_and(|s| s.get("nullable") == Some(&Value::Bool(true)))
        {
            p.push((
                schema_at,
                "the token issuer's envelope must not be nullable".into(),
            ));
            return;
        }
        let code_is_i64 = envelope.get("code").is_some_and(|c| {
            self.schema(c).is_none()
                || self.type_of(c) == Some("integer")
                    && self.schema(c).is_some_and(|c| {
                        c.get("format").is_none_or(|f| f == "int64")
                            && !["minimum", "maximum", "multipleOf"]
                                .iter()
                                .any(|k| c.get(*k).is_some())
                    })
        });
        if !code_is_i64 || !envelope.contains_key("message") || !envelope.contains_key("response") {
            p.push((
                schema_at,
                "the token issuer must answer with the envelope: `code` (integer, int64, without bounds), `message` and `response`".into(),
            ));
            return;
        }
        let Some(payload) = self.properties(envelope["response"]) else {
            return;
        };
        for (field, ty) in [
            ("access_token", "string"),
            ("now", "integer"),
            ("expired_at", "integer"),
        ] {
            if !payload
                .get(field)
                .is_some_and(|s| self.schema(s).is_none() || self.type_of(s) == Some(ty))
            {
                p.push((
                    schema_at.clone(),
                    format!(
                        "the token issuer's `response` needs {} property `{field}`",
                        article(ty)
                    ),
                ));
            }
        }
    }
}

/// What a schema is, for comparing two of them: its reference, or its JSON.
fn canonical(schema: &Value) -> String {
    match schema.get("$ref").and_then(Value::as_str) {
        Some(r) => r.to_owned(),
        None => schema.to_string(),
    }
}

/// A schema reference (that resolves) must name a component schema: typify follows
/// `#/components/schemas/NAME` only.
pub fn schema_ref(r: &str, at: &DocPath, p: &mut Problems) {
    if !component_ref(r, "schemas") {
        p.push((
            at.key("$ref"),
            format!("`{r}`: the generators follow references of the form `#/components/schemas/NAME` only"),
        ));
    }
}

/// What one schema needs beyond OpenAPI: a `pattern` that compiles, an untyped `enum` of one
/// kind of value, no `not`; `default` and `enum` values are of the schema's `type`
/// (typify refuses the spec otherwise), an integer default fits its format, and a `default` is one
/// of the `enum` values. `example`s are free.
pub fn schema<'d>(
    s: &'d Map<String, Value>,
    at: &DocPath,
    resolve: &dyn Fn(&str) -> Option<&'d Value>,
    p: &mut Problems,
) {
    if let Some(Value::String(pattern)) = s.get("pattern")
        && let Err(e) = regress::Regex::new(pattern)
    {
        p.push((
            at.key("pattern"),
            format!("not a regular expression (ECMAScript, as typify and the generated types read it): {e}"),
        ));
    }
    if s.get("type").is_none()
        && let Some(Value::Array(values)) = s.get("enum")
    {
        let kinds: BTreeSet<&str> = values
            .iter()
            .filter(|v| !v.is_null())
            .map(|v| match v {
                Value::Bool(_) => "boolean",
                Value::Number(_) => "number",
                Value::String(_) => "string",
                Value::Array(_) => "list",
                _ => "mapping",
            })
            .collect();
        if kinds.len() > 1 || kinds.contains("list") || kinds.contains("mapping") {
            p.push((
                at.key("enum"),
                format!(
                    "an enum without a `type` must list values of one kind (strings, numbers or booleans); found {}",
                    kinds.into_iter().collect::<Vec<_>>().join(", ")
                ),
            ));
        }
    }
    if s.contains_key("not") {
        p.push((
            at.key("not"),
            "`not` is not supported (typify reads only a few of its forms)".into(),
        ));
    }
    // Without a `type`, a lone `allOf` member (or what it references) says it: typify checks the
    // default against that.
    let mut typed = s;
    for _ in 0..16 {
        if typed.contains_key("type") {
            break;
        }
        let next = match typed.get("allOf") {
            Some(Value::Array(all)) if all.len() == 1 => &all[0],
            _ => match typed.get("$ref").and_then(Value::as_str) {
                Some(r) if !std::ptr::eq(typed, s) => match resolve(r) {
                    Some(target) => target,
                    None => return,
                },
                _ => return,
            },
        };
        match next.as_object() {
            Some(n) => typed = n,
            None => return,
        }
        if let Some(r) = typed.get("$ref").and_then(Value::as_str)
            && let Some(Value::Object(target)) = resolve(r)
        {
            typed = target;
        }
    }
    let Some(ty) = typed.get("type").and_then(Value::as_str) else {
        return;
    };
    let range = match s.get("format").and_then(Value::as_str) {
        Some("int32") => Some((i32::MIN as f64, i32::MAX as f64)),
        Some("int64") => Some((i64::MIN as f64, i64::MAX as f64)),
        _ => None,
    };
    if ty == "integer"
        && let (Some((lo, hi)), Some(d)) = (range, s.get("default").and_then(Value::as_f64))
        && (d < lo || d > hi)
    {
        p.push((
            at.key("default"),
            format!(
                "the default {d} does not fit the format {}",
                s.get("format").and_then(Value::as_str).unwrap_or_default()
            ),
        ));
    }
    let nullable = s.get("nullable") == Some(&Value::Bool(true))
        || typed.get("nullable") == Some(&Value::Bool(true));
    // Numbers within the schema's bounds (typify refuses a default outside them).
    let bound = |key: &str| s.get(key).and_then(Value::as_f64);
    if let Some(d) = s.get("default").and_then(Value::as_f64)
        && matches!(ty, "integer" | "number")
    {
        let exclusive = |key: &str| s.get(key) == Some(&Value::Bool(true));
        let below =
            bound("minimum").is_some_and(|m| d < m || (d == m && exclusive("exclusiveMinimum")));
        let above =
            bound("maximum").is_some_and(|m| d > m || (d == m && exclusive("exclusiveMaximum")));
        if below || above {
            p.push((
                at.key("default"),
                format!("the default {d} is outside the schema's minimum/maximum"),
            ));
        }
    }
    let fits = |v: &Value| match v {
        Value::Null => nullable,
        Value::Bool(_) => ty == "boolean",
        Value::Number(n) => ty == "number" || (ty == "integer" && (n.is_i64() || n.is_u64())),
        Value::String(_) => ty == "string",
        Value::Array(_) => ty == "array",
        Value::Object(_) => ty == "object",
    };
    let nullable_note = |v: &Value| {
        if v.is_null() {
            " (null needs `nullable: true`)"
        } else {
            ""
        }
    };
    if let Some(d) = s.get("default")
        && !fits(d)
    {
        p.push((
            at.key("default"),
            format!(
                "the default is {} but the schema's type is {}{}",
                describe(d),
                article(ty),
                nullable_note(d)
            ),
        ));
    }
    if let Some(Value::Array(values)) = s.get("enum") {
        for (i, v) in values.iter().enumerate() {
            if !fits(v) {
                p.push((
                    at.key("enum").index(i),
                    format!(
                        "the enum value is {} but the schema's type is {}{}",
                        describe(v),
                        article(ty),
                        nullable_note(v)
                    ),
                ));
            }
        }
        if let Some(d) = s.get("default")
            && fits(d)
            && !values.contains(d)
        {
            p.push((
                at.key("default"),
                format!(
                    "the default is {}, which is not one of the enum values",
                    describe(d)
                ),
            ));
        }
    }
}

/// `a string`, `an integer`, …
fn article(ty: &str) -> String {
    if ty.starts_with(['a', 'e', 'i', 'o', 'u']) {
        format!("an {ty}")
    } else {
        format!("a {ty}")
    }
}

/// `#/components/<kind>/<name>`, the name without further `/`.
fn component_ref(reference: &str, kind: &str) -> bool {
    reference
        .strip_prefix("#/components/")
        .and_then(|r| r.strip_prefix(kind))
        .and_then(|r| r.strip_prefix('/'))
        .is_some_and(|name| !name.is_empty() && !name.contains('/'))
}
