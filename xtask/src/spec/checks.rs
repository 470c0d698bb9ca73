//! The checks a spec must pass before any generator sees it.
//!
//! They cover the OpenAPI 3.0 rules the generators depend on and the cases where progenitor would panic
//! or silently misread the document. Each problem is reported at the path of the node that causes it.

use std::collections::{BTreeMap, BTreeSet};

use openapi_support::{METHODS, resolve_ref};
use serde_json::{Map, Value};

use super::DocPath;

pub(super) type Problems = Vec<(DocPath, String)>;

const NON_NEGATIVE_INTEGERS: [&str; 6] = [
    "maxLength",
    "minLength",
    "maxItems",
    "minItems",
    "maxProperties",
    "minProperties",
];
const NUMBERS: [&str; 3] = ["minimum", "maximum", "multipleOf"];
const BOOLEANS: [&str; 7] = [
    "nullable",
    "exclusiveMinimum",
    "exclusiveMaximum",
    "uniqueItems",
    "readOnly",
    "writeOnly",
    "deprecated",
];
const STRINGS: [&str; 4] = ["format", "pattern", "title", "description"];
const TYPES: [&str; 6] = ["string", "number", "integer", "boolean", "array", "object"];
/// JSON Schema keywords that OpenAPI 3.1 allows and 3.0 does not: progenitor would ignore them.
const ONLY_3_1: [&str; 8] = [
    "const",
    "examples",
    "$schema",
    "$defs",
    "prefixItems",
    "if",
    "dependentRequired",
    "unevaluatedProperties",
];

pub fn check(doc: &Value) -> Problems {
    let whole = doc;
    let mut p = Problems::new();
    let root = DocPath::default();
    let Some(doc) = doc.as_object() else {
        p.push((
            root,
            format!("expected a mapping at the top, found {}", describe(doc)),
        ));
        return p;
    };
    let ctx = Ctx { doc, whole };

    match doc.get("openapi") {
        Some(Value::String(v)) if v.trim().starts_with("3.0.") => {}
        Some(v) => p.push((
            root.key("openapi"),
            format!(
                "progenitor reads OpenAPI 3.0.x only (write `openapi: 3.0.3`); found {}",
                describe(v)
            ),
        )),
        None => p.push((root.clone(), "missing `openapi: 3.0.3`".into())),
    }
    check_info(doc.get("info"), &root.key("info"), &mut p);

    if let Some(schemas) = ctx.components("schemas") {
        let at = root.key("components").key("schemas");
        for (name, schema) in schemas {
            ctx.schema(schema, &at.key(name), &mut p);
        }
    }
    let schemes = ctx.components("securitySchemes");
    if let Some(schemes) = schemes {
        let at = root.key("components").key("securitySchemes");
        for (name, scheme) in schemes {
            let ty = scheme.get("type").and_then(Value::as_str);
            if !matches!(ty, Some("apiKey" | "http" | "oauth2" | "openIdConnect")) {
                p.push((
                    at.key(name).key("type"),
                    "expected one of apiKey, http, oauth2, openIdConnect".into(),
                ));
            }
        }
    }

    let mut operation_ids: BTreeMap<String, DocPath> = BTreeMap::new();
    match doc.get("paths") {
        Some(Value::Object(paths)) => {
            for (template, item) in paths {
                let at = root.key("paths").key(template);
                let Some(item) = item.as_object() else {
                    p.push((
                        at,
                        format!("expected a path item mapping, found {}", describe(item)),
                    ));
                    continue;
                };
                if !template.starts_with('/') {
                    p.push((at.clone(), "a path must start with `/`".into()));
                }
                if item.contains_key("$ref") {
                    p.push((
                        at.key("$ref"),
                        "path items by reference are not supported".into(),
                    ));
                }
                for method in METHODS {
                    if let Some(op) = item.get(method) {
                        ctx.operation(
                            template,
                            item,
                            op,
                            &at.key(method),
                            &mut operation_ids,
                            schemes,
                            &mut p,
                        );
                    }
                }
            }
        }
        Some(v) => p.push((
            root.key("paths"),
            format!("expected a mapping, found {}", describe(v)),
        )),
        None => p.push((root, "missing `paths`".into())),
    }
    super::limits::check(doc, &mut p);
    super::links::check(doc, whole, &mut p);
    // A shared component can be reached from several operations: report it once.
    let mut seen = BTreeSet::new();
    p.retain(|(path, message)| seen.insert((path.to_string(), message.clone())));
    p
}

fn check_info(info: Option<&Value>, at: &DocPath, p: &mut Problems) {
    let Some(info) = info.and_then(Value::as_object) else {
        p.push((
            at.clone(),
            "missing `info` with `title` and `version`".into(),
        ));
        return;
    };
    if !matches!(info.get("title"), Some(Value::String(_))) {
        p.push((
            at.key("title"),
            "expected the API's title as a string".into(),
        ));
    }
    match info.get("version") {
        Some(Value::String(v)) if is_semver(v) => {}
        Some(v) => p.push((
            at.key("version"),
            format!(
                "the crates' version follows info.version, so it must be MAJOR.MINOR.PATCH (quoted); found {}",
                describe(v)
            ),
        )),
        None => p.push((at.key("version"), "missing".into())),
    }
}

fn is_semver(v: &str) -> bool {
    let core = v.split(['-', '+']).next().unwrap_or_default();
    let parts: Vec<&str> = core.split('.').collect();
    parts.len() == 3
        && parts
            .iter()
            .all(|n| !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit()))
}

struct Ctx<'a> {
    doc: &'a Map<String, Value>,
    whole: &'a Value,
}

impl<'a> Ctx<'a> {
    fn components(&self, kind: &str) -> Option<&'a Map<String, Value>> {
        self.doc.get("components")?.get(kind)?.as_object()
    }

    /// Follows a local `#/components/...` reference.
    fn resolve(&self, reference: &str) -> Option<&'a Value> {
        resolve_ref(self.whole, reference)
    }

    #[allow(clippy::too_many_arguments)]
    fn operation(
        &self,
        template: &str,
        item: &Map<String, Value>,
        op: &Value,
        at: &DocPath,
        ids: &mut BTreeMap<String, DocPath>,
        schemes: Option<&Map<String, Value>>,
        p: &mut Problems,
    ) {
        let Some(op) = op.as_object() else {
            p.push((
                at.clone(),
                format!("expected an operation mapping, found {}", describe(op)),
            ));
            return;
        };
        match op.get("operationId") {
            None => p.push((
                at.clone(),
                "missing operationId (every operation needs one: the generated method is named after it)".into(),
            )),
            Some(Value::String(id)) => {
                let valid = id.chars().next().is_some_and(|c| c.is_ascii_alphabetic())
                    && id.chars().all(|c| c.is_ascii_alphanumeric() || c == '_');
                if !valid {
                    p.push((
                        at.key("operationId"),
                        format!("`{id}` is not usable as a method name (letters, digits and `_`, starting with a letter)"),
                    ));
                } else if let Some(first) = ids.get(id) {
                    p.push((
                        at.key("operationId"),
                        format!("duplicate operationId `{id}`, already used at {first}"),
                    ));
                } else {
                    ids.insert(id.clone(), at.key("operationId"));
                }
            }
            Some(v) => p.push((at.key("operationId"), format!("expected a string, found {}", describe(v)))),
        }

        // Parameters: the path item's, then the operation's.
        let mut declared_in_path = BTreeSet::new();
        let path_level = at.0[..at.0.len() - 1].to_vec();
        for (list, list_at) in [
            (
                item.get("parameters"),
                DocPath(path_level).key("parameters"),
            ),
            (op.get("parameters"), at.key("parameters")),
        ] {
            let Some(list) = list else { continue };
            let Some(list) = list.as_array() else {
                p.push((
                    list_at,
                    format!("expected a list, found {}", describe(list)),
                ));
                continue;
            };
            for (i, param) in list.iter().enumerate() {
                if let Some(name) = self.parameter(param, &list_at.index(i), p) {
                    declared_in_path.insert(name);
                }
            }
        }
        for var in template_variables(template) {
            if !declared_in_path.contains(var) {
                p.push((
                    at.clone(),
                    format!("the path has `{{{var}}}` but no `in: path` parameter named `{var}`"),
                ));
            }
        }
        for name in &declared_in_path {
            if !template_variables(template).any(|v| v == name) {
                p.push((
                    at.clone(),
                    format!("path parameter `{name}` does not appear in `{template}`"),
                ));
            }
        }

        if let Some(body) = op.get("requestBody") {
            self.content(
                body.get("content"),
                &at.key("requestBody").key("content"),
                p,
            );
        }

        match op.get("responses").and_then(Value::as_object) {
            Some(responses) if !responses.is_empty() => {
                self.responses(responses, &at.key("responses"), p)
            }
            _ => p.push((at.key("responses"), "expected at least one response".into())),
        }

        if let (Some(Value::Array(reqs)), Some(schemes)) = (op.get("security"), schemes) {
            for (i, req) in reqs.iter().enumerate() {
                for name in req.as_object().into_iter().flat_map(|m| m.keys()) {
                    if !schemes.contains_key(name) {
                        p.push((
                            at.key("security").index(i).key(name),
                            format!("no security scheme `{name}` in components.securitySchemes"),
                        ));
                    }
                }
            }
        }
    }

    /// Checks one parameter; returns its name when it is a path parameter.
    fn parameter(&self, param: &Value, at: &DocPath, p: &mut Problems) -> Option<String> {
        let (param, at) = match param.get("$ref").and_then(Value::as_str) {
            Some(r) => match self.resolve(r) {
                Some(target) => (target, at.clone()),
                None => {
                    p.push((at.key("$ref"), format!("unresolved reference `{r}`")));
                    return None;
                }
            },
            None => (param, at.clone()),
        };
        let Some(name) = param.get("name").and_then(Value::as_str) else {
            p.push((
                at.key("name"),
                "expected the parameter's name as a string".into(),
            ));
            return None;
        };
        let place = param.get("in").and_then(Value::as_str);
        if !matches!(place, Some("path" | "query" | "header" | "cookie")) {
            p.push((
                at.key("in"),
                "expected one of path, query, header, cookie".into(),
            ));
        }
        match param.get("schema") {
            Some(schema) => self.schema(schema, &at.key("schema"), p),
            None if param.get("content").is_some() => p.push((
                at.key("content"),
                format!("parameter `{name}`: `content` is not supported, describe the value with `schema`"),
            )),
            None => p.push((at.clone(), format!("parameter `{name}` has no schema"))),
        }
        if place == Some("path") {
            if param.get("required") != Some(&Value::Bool(true)) {
                p.push((
                    at.key("required"),
                    format!("path parameter `{name}` must say `required: true`"),
                ));
            }
            return Some(name.to_owned());
        }
        None
    }

    fn content(
        &self,
        content: Option<&Value>,
        at: &DocPath,
        p: &mut Problems,
    ) -> Vec<(DocPath, String)> {
        let mut schemas = vec![];
        let Some(content) = content else {
            return schemas;
        };
        let Some(content) = content.as_object() else {
            p.push((
                at.clone(),
                format!(
                    "expected a mapping of media types, found {}",
                    describe(content)
                ),
            ));
            return schemas;
        };
        for (media, body) in content {
            if let Some(schema) = body.get("schema") {
                let schema_at = at.key(media).key("schema");
                self.schema(schema, &schema_at, p);
                schemas.push((schema_at, canonical(schema)));
            }
        }
        schemas
    }

    /// progenitor accepts one success schema and one error schema per operation; a second different one
    /// makes it panic, so it is refused here, at the response that brings it.
    fn responses(&self, responses: &Map<String, Value>, at: &DocPath, p: &mut Problems) {
        let mut success: Option<(DocPath, String)> = None;
        let mut error: Option<(DocPath, String)> = None;
        for (status, response) in responses {
            let status_at = at.key(status);
            let is_status = status == "default"
                || (status.len() == 3
                    && (status.bytes().all(|b| b.is_ascii_digit()) || status.ends_with("XX"))
                    && matches!(status.as_bytes()[0], b'1'..=b'5'));
            if !is_status {
                p.push((
                    status_at.clone(),
                    format!("`{status}` is not an HTTP status, a range like 4XX, or default"),
                ));
                continue;
            }
            let response = match response.get("$ref").and_then(Value::as_str) {
                Some(r) => match self.resolve(r) {
                    Some(target) => target,
                    None => {
                        p.push((status_at.key("$ref"), format!("unresolved reference `{r}`")));
                        continue;
                    }
                },
                None => response,
            };
            if !matches!(response.get("description"), Some(Value::String(_))) {
                p.push((
                    status_at.key("description"),
                    "every response needs a description".into(),
                ));
            }
            let slot = if status.starts_with('2') {
                &mut success
            } else {
                &mut error
            };
            for (schema_at, repr) in
                self.content(response.get("content"), &status_at.key("content"), p)
            {
                match slot {
                    None => *slot = Some((schema_at, repr)),
                    Some((first_at, first)) if *first != repr => p.push((
                        schema_at,
                        format!(
                            "progenitor allows one {} schema per operation: this is {} but {first_at} is {}",
                            if status.starts_with('2') { "success" } else { "error" },
                            short(&repr),
                            short(first)
                        ),
                    )),
                    Some(_) => {}
                }
            }
        }
    }

    fn schema(&self, schema: &Value, at: &DocPath, p: &mut Problems) {
        let Some(s) = schema.as_object() else {
            p.push((
                at.clone(),
                format!("expected a schema mapping, found {}", describe(schema)),
            ));
            return;
        };
        super::limits::schema(s, at, &|r| self.resolve(r), p);
        if let Some(r) = s.get("$ref") {
            match r.as_str() {
                Some(r) if self.resolve(r).is_some() => super::limits::schema_ref(r, at, p),
                Some(r) => p.push((at.key("$ref"), format!("unresolved reference `{r}`"))),
                None => p.push((
                    at.key("$ref"),
                    format!("expected a string, found {}", describe(r)),
                )),
            }
            if s.contains_key("nullable") {
                p.push((
                    at.key("nullable"),
                    "`nullable` beside `$ref` is ignored in OpenAPI 3.0: write `nullable: true` with `allOf: [{$ref: ...}]`"
                        .into(),
                ));
            }
            return;
        }
        match s.get("type") {
            None => {}
            Some(Value::String(t)) if TYPES.contains(&t.as_str()) => {}
            Some(Value::String(t)) if t == "null" => p.push((
                at.key("type"),
                "OpenAPI 3.0 has no `type: null` (3.1 has): use `nullable: true`".into(),
            )),
            Some(Value::Array(_)) => p.push((
                at.key("type"),
                "OpenAPI 3.0 takes one type, not a list (3.1 does): use `nullable: true` for null"
                    .into(),
            )),
            Some(v) => p.push((
                at.key("type"),
                format!(
                    "expected one of {}, found {}",
                    TYPES.join(", "),
                    describe(v)
                ),
            )),
        }
        if s.get("nullable") == Some(&Value::Bool(true)) && !s.contains_key("type") {
            p.push((
                at.key("nullable"),
                "`nullable` has no effect without a `type` beside it (OpenAPI 3.0.3): for a nullable reference \
                 write `type: object`, `nullable: true` and `allOf: [{$ref: ...}]`"
                    .into(),
            ));
        }
        for key in NON_NEGATIVE_INTEGERS {
            if let Some(v) = s.get(key)
                && v.as_u64().is_none()
            {
                p.push((
                    at.key(key),
                    format!("expected a non-negative integer, found {}", describe(v)),
                ));
            }
        }
        for key in NUMBERS {
            if let Some(v) = s.get(key)
                && !v.is_number()
            {
                p.push((
                    at.key(key),
                    format!("expected a number, found {}", describe(v)),
                ));
            }
        }
        for key in BOOLEANS {
            if let Some(v) = s.get(key)
                && !v.is_boolean()
            {
                p.push((
                    at.key(key),
                    format!("expected true or false, found {}", describe(v)),
                ));
            }
        }
        for key in STRINGS {
            if let Some(v) = s.get(key)
                && !v.is_string()
            {
                p.push((
                    at.key(key),
                    format!("expected a string, found {}", describe(v)),
                ));
            }
        }
        for key in ONLY_3_1 {
            if s.contains_key(key) {
                p.push((
                    at.key(key),
                    format!("`{key}` is an OpenAPI 3.1 keyword; this spec is 3.0"),
                ));
            }
        }
        for (low, high) in [
            ("minLength", "maxLength"),
            ("minItems", "maxItems"),
            ("minimum", "maximum"),
        ] {
            if let (Some(lo), Some(hi)) = (
                s.get(low).and_then(Value::as_f64),
                s.get(high).and_then(Value::as_f64),
            ) && lo > hi
            {
                p.push((at.key(low), format!("{low} {lo} is above {high} {hi}")));
            }
        }
        if let Some(e) = s.get("enum")
            && e.as_array().is_none_or(|a| a.is_empty())
        {
            p.push((
                at.key("enum"),
                format!("expected a non-empty list, found {}", describe(e)),
            ));
        }

        let properties = s.get("properties");
        match properties {
            None => {}
            Some(Value::Object(props)) => {
                for (name, prop) in props {
                    self.schema(prop, &at.key("properties").key(name), p);
                }
            }
            Some(v) => p.push((
                at.key("properties"),
                format!("expected a mapping, found {}", describe(v)),
            )),
        }
        match s.get("required") {
            None => {}
            Some(Value::Array(names)) => {
                for (i, name) in names.iter().enumerate() {
                    match name.as_str() {
                        Some(n) if properties.is_none_or(|props| props.get(n).is_some()) => {}
                        Some(n) => p.push((
                            at.key("required").index(i),
                            format!("`{n}` is required but is not among the properties"),
                        )),
                        None => p.push((
                            at.key("required").index(i),
                            format!("expected a property name, found {}", describe(name)),
                        )),
                    }
                }
            }
            Some(v) => p.push((
                at.key("required"),
                format!("expected a list of property names, found {}", describe(v)),
            )),
        }
        if s.get("type").and_then(Value::as_str) == Some("array") && !s.contains_key("items") {
            p.push((at.clone(), "`type: array` needs `items`".into()));
        }
        if let Some(items) = s.get("items") {
            self.schema(items, &at.key("items"), p);
        }
        if let Some(not) = s.get("not") {
            self.schema(not, &at.key("not"), p);
        }
        match s.get("additionalProperties") {
            None | Some(Value::Bool(_)) => {}
            Some(extra) => self.schema(extra, &at.key("additionalProperties"), p),
        }
        for key in ["allOf", "anyOf", "oneOf"] {
            match s.get(key) {
                None => {}
                Some(Value::Array(list)) if !list.is_empty() => {
                    for (i, sub) in list.iter().enumerate() {
                        self.schema(sub, &at.key(key).index(i), p);
                    }
                }
                Some(v) => p.push((
                    at.key(key),
                    format!(
                        "expected a non-empty list of schemas, found {}",
                        describe(v)
                    ),
                )),
            }
        }
    }
}

fn template_variables(template: &str) -> impl Iterator<Item = &str> {
    template
        .split('{')
        .skip(1)
        .filter_map(|rest| rest.split_once('}').map(|(var, _)| var))
}

/// What a schema is, for comparing two of them: its reference, or its JSON.
fn canonical(schema: &Value) -> String {
    match schema.get("$ref").and_then(Value::as_str) {
        Some(r) => r.to_owned(),
        None => schema.to_string(),
    }
}

fn short(repr: &str) -> String {
    match repr.rsplit_once('/') {
        Some((_, name)) if repr.starts_with("#/") => format!("`{name}`"),
        _ if repr.chars().count() > 60 => {
            format!(
                "an inline schema ({}…)",
                repr.chars().take(57).collect::<String>()
            )
        }
        _ => format!("an inline schema ({repr})"),
    }
}

/// A value as a human would name it in an error: `the string "16"`, `a list`, …
pub fn describe(v: &Value) -> String {
    match v {
        Value::Null => "null".into(),
        Value::Bool(b) => format!("the boolean {b}"),
        Value::Number(n) => format!("the number {n}"),
        Value::String(s) => format!("the string {s:?}"),
        Value::Array(_) => "a list".into(),
        Value::Object(_) => "a mapping".into(),
    }
}

/// The refusals of `limits.rs`, each on a small spec: the exact located message.
#[cfg(test)]
#[path = "checks_tests.rs"]
mod tests;
