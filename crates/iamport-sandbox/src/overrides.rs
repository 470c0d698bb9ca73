//! Answers a fixture file fixes in advance: a request whose method and path match an override gets
//! its status and body, whatever the store holds. For a case the sandbox's rules do not produce
//! (a PG outage on one payment, an answer PortOne gave once), without a mock server.
//!
//! ```yaml
//! overrides:
//!   - method: GET
//!     path: /payments/imp_000000000001   # `*` matches one path segment: /payments/*/balance
//!     status: 500
//!     body: {code: -1, message: "PG사 응답이 지연되고 있습니다.", response: null}
//! ```

use axum::extract::{Request, State};
use axum::http::{Method, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use serde_json::Value;

use crate::Sandbox;

/// One fixed answer.
#[derive(Clone, Debug, PartialEq, Deserialize)]
#[serde(try_from = "OverrideEntry")]
pub struct Override {
    pub method: Method,
    /// Path segments; `*` matches any one.
    pub path: Vec<String>,
    pub status: StatusCode,
    pub body: Value,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct OverrideEntry {
    method: String,
    path: String,
    status: u16,
    body: Value,
}

impl TryFrom<OverrideEntry> for Override {
    type Error = String;

    fn try_from(e: OverrideEntry) -> Result<Self, String> {
        let method = match e.method.to_ascii_uppercase().as_str() {
            m @ ("GET" | "POST" | "PUT" | "DELETE" | "PATCH") => {
                Method::from_bytes(m.as_bytes()).map_err(|err| err.to_string())?
            }
            other => {
                return Err(format!(
                    "method `{other}`: expected GET, POST, PUT, DELETE or PATCH"
                ));
            }
        };
        if !e.path.starts_with('/') || e.path.contains('?') {
            return Err(format!(
                "path `{}` must start with `/` and have no query",
                e.path
            ));
        }
        let status = StatusCode::from_u16(e.status)
            .ok()
            .filter(|s| (200..600).contains(&s.as_u16()))
            .ok_or_else(|| format!("status {} is not an HTTP status from 200 to 599", e.status))?;
        Ok(Self {
            method,
            path: segments(&e.path),
            status,
            body: e.body,
        })
    }
}

fn segments(path: &str) -> Vec<String> {
    path.trim_end_matches('/')
        .split('/')
        .skip(1)
        .map(str::to_owned)
        .collect()
}

impl Override {
    fn matches(&self, method: &Method, path: &str) -> bool {
        let wanted = segments(path);
        self.method == method
            && wanted.len() == self.path.len()
            && self
                .path
                .iter()
                .zip(&wanted)
                .all(|(pattern, seg)| pattern == "*" || pattern == seg)
    }
}

/// Answers a request an override matches; passes the others on.
pub(crate) async fn answer_overrides(
    State(sandbox): State<Sandbox>,
    request: Request,
    next: Next,
) -> Response {
    let found = sandbox
        .inner
        .overrides
        .iter()
        .find(|o| o.matches(request.method(), request.uri().path()));
    match found {
        Some(o) => (
            o.status,
            [(header::CONTENT_TYPE, "application/json")],
            o.body.to_string(),
        )
            .into_response(),
        None => next.run(request).await,
    }
}
