//! The limits on an operation's answers, and on the token issuer's contract.

#[allow(unused_imports)]
use super::*;

impl<'a> Limits<'a> {
    pub(super) fn responses(
        &self,
        responses: &'a Map<String, Value>,
        at: &DocPath,
        p: &mut Problems,
    ) {
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
    pub(super) fn token_issuer(&self, op: &'a Map<String, Value>, at: &DocPath, p: &mut Problems) {
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
