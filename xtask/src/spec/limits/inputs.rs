//! The limits on an operation's inputs: parameters and the request body.

#[allow(unused_imports)]
use super::*;

impl<'a> Limits<'a> {
    pub(super) fn parameters(
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
    pub(super) fn token_headers(&self) -> BTreeSet<String> {
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

    pub(super) fn request_body(&self, body: &'a Value, at: &DocPath, p: &mut Problems) {
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
}
