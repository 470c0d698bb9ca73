//! The crate's single error type.
//!
//! Every failure keeps what the server said: the HTTP status, the envelope's `code` and `message`,
//! or the raw body when the answer was not the API's JSON envelope (a proxy's HTML page). Transport
//! errors keep the `reqwest::Error` as their `source()`. `Display` is one line, fit for a log; the
//! fields keep everything.

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use reqwest::StatusCode;
use serde::{Deserialize, Serialize};

use crate::transport::Rejection;

/// Bodies and messages longer than this are cut in `Display`.
const DISPLAY_MAX_CHARS: usize = 300;

/// Bodies kept in an error are cut to this many bytes (with a note of the full length).
pub(crate) const KEPT_BODY_MAX_BYTES: usize = 4096;

/// What a kept body becomes when it cannot be shown at all.
const WITHHELD: &str = "<withheld: the token call's answer carries the access token>";

/// Everything that can go wrong when talking to the iamport API.
///
/// `operation` fields name the spec's operationId (`getToken`, `queryCashAmount`), so a failure to
/// get an access token is told apart from a failure of the call it was for.
///
/// The error is `Clone` (transport errors sit behind an `Arc`) because callers waiting on the same
/// token refresh all receive its failure.
#[derive(Clone, Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The API answered with its error envelope: any non-2xx status, and also HTTP 200 whose `code`
    /// is not 0 (older servers answer bad credentials this way).
    #[error("iamport {operation} failed: HTTP {status}, code {code}: {}", OneLine(.message))]
    Api {
        operation: &'static str,
        status: StatusCode,
        code: i64,
        message: String,
        /// The answer's `Retry-After`, as a delay (see [`Error::retry_after`]).
        retry_after: Option<Duration>,
    },

    /// A success envelope (`code` 0) without the `response` payload it should carry.
    #[error(
        "iamport {operation} answered HTTP {status} with code 0 but no `response` payload (message: {})",
        OneLine(.message.as_deref().unwrap_or("none"))
    )]
    EmptyResponse {
        operation: &'static str,
        status: StatusCode,
        message: Option<String>,
    },

    /// An answer that is not the API's envelope, e.g. a proxy's HTML `502 Bad Gateway` page. The body
    /// is kept decoded with the charset of its `content-type`, cut to its first 4 KiB, with known
    /// secret fields and values redacted.
    #[error(
        "iamport {operation} got an unexpected HTTP {status} ({}): {}",
        .content_type.as_deref().unwrap_or("no content-type"),
        OneLine(.body)
    )]
    UnexpectedResponse {
        operation: &'static str,
        status: StatusCode,
        content_type: Option<String>,
        body: String,
        /// The answer's `Retry-After`, as a delay (see [`Error::retry_after`]).
        retry_after: Option<Duration>,
    },

    /// A declared answer whose JSON does not decode into the spec's type.
    ///
    /// `status` is `None` only for responses that did not go through [`crate::IamportClient`].
    #[error(
        "iamport {operation} answered HTTP {} with a body that does not decode: {}",
        DisplayStatus(*.status),
        OneLine(.body)
    )]
    InvalidPayload {
        operation: &'static str,
        status: Option<StatusCode>,
        content_type: Option<String>,
        /// The body, as UTF-8 (lossy; JSON is UTF-8 by definition), cut and redacted as in
        /// [`Error::UnexpectedResponse`]. Never kept for the token call's success answers (it
        /// carries the token).
        body: String,
        #[source]
        source: Arc<serde_json::Error>,
        /// The answer's `Retry-After`, as a delay (see [`Error::retry_after`]).
        retry_after: Option<Duration>,
    },

    /// The server answered with a redirect (3xx). PortOne's API does not redirect, and following
    /// one would send the request (the API secret, the access token) to wherever it points, so the
    /// client never follows it. `followed` is set when a custom `http_client` followed it anyway:
    /// then `location` is where the answer came from, and that answer is refused.
    #[error(
        "iamport {operation} answered HTTP {status} redirecting to {}{}; redirects are not followed{}",
        OneLine(.location.as_deref().unwrap_or("(no Location)")),
        if *.downgrade { " (a downgrade from https to http)" } else { "" },
        if *.followed { " (the http_client followed it: configure it with reqwest::redirect::Policy::none(); its answer is refused)" } else { "" }
    )]
    #[non_exhaustive]
    Redirect {
        operation: &'static str,
        status: StatusCode,
        location: Option<String>,
        /// The request went over https and the redirect points to plain http.
        downgrade: bool,
        followed: bool,
    },

    /// The answer's body is longer than the client's limit
    /// ([`crate::IamportClientBuilder::max_response_bytes`]); it was not read past the limit.
    /// `body` is its start (at most 4 KiB, redacted).
    #[error(
        "iamport {operation} answered HTTP {status} ({}) with a body over the {limit}-byte limit: {}",
        .content_type.as_deref().unwrap_or("no content-type"),
        OneLine(.body)
    )]
    #[non_exhaustive]
    ResponseTooLarge {
        operation: &'static str,
        status: StatusCode,
        content_type: Option<String>,
        limit: u64,
        body: String,
        /// The answer's `Retry-After`, as a delay (see [`Error::retry_after`]).
        retry_after: Option<Duration>,
    },

    /// The request or the response did not complete within the configured timeout.
    #[error("request to {} timed out", UrlOf(.0))]
    Timeout(#[source] Arc<reqwest::Error>),

    /// No connection could be made (DNS, TCP, TLS).
    #[error("could not connect to {}", UrlOf(.0))]
    Connect(#[source] Arc<reqwest::Error>),

    /// Any other transport failure (connection reset, a broken body, a redirect loop, ...).
    #[error("transport error talking to {}", UrlOf(.0))]
    Transport(#[source] Arc<reqwest::Error>),

    /// An input was refused before anything was sent (it breaks the spec's constraints). The value
    /// itself is not kept: it may be a secret.
    #[error("invalid {parameter}: {}", OneLine(.reason))]
    InvalidInput {
        parameter: &'static str,
        reason: String,
    },

    /// The request could not be built (for example an access token that is not a valid header value).
    #[error("could not build the request: {0}")]
    InvalidRequest(String),

    /// A page of a paged listing ([`crate::Pages`]) named as its next page one that does not come
    /// after it: paging stopped there rather than loop.
    #[error(
        "page {page} of a paged listing names page {next} as the next one; paging stopped (the next page must come after it)"
    )]
    InvalidPage { page: i64, next: i64 },

    /// The client configuration was rejected by [`crate::IamportClientBuilder::build`].
    #[error("invalid iamport client configuration: {reason}")]
    Config {
        reason: String,
        #[source]
        source: Option<Arc<reqwest::Error>>,
    },
}

impl Error {
    /// The HTTP status, when the server answered.
    pub fn status(&self) -> Option<StatusCode> {
        match self {
            Error::Api { status, .. }
            | Error::EmptyResponse { status, .. }
            | Error::UnexpectedResponse { status, .. }
            | Error::Redirect { status, .. }
            | Error::ResponseTooLarge { status, .. } => Some(*status),
            Error::InvalidPayload { status, .. } => *status,
            Error::Timeout(e) | Error::Connect(e) | Error::Transport(e) => e.status(),
            Error::InvalidInput { .. }
            | Error::InvalidRequest(_)
            | Error::InvalidPage { .. }
            | Error::Config { .. } => None,
        }
    }

    /// The envelope's `code`, when the server answered with an envelope.
    pub fn code(&self) -> Option<i64> {
        match self {
            Error::Api { code, .. } => Some(*code),
            Error::EmptyResponse { .. } => Some(0),
            _ => None,
        }
    }

    /// The envelope's `message`, when the server sent one.
    pub fn message(&self) -> Option<&str> {
        match self {
            Error::Api { message, .. } => Some(message),
            Error::EmptyResponse { message, .. } => message.as_deref(),
            _ => None,
        }
    }

    /// The spec's operationId of the call that failed, when a call was made.
    pub fn operation(&self) -> Option<&'static str> {
        match self {
            Error::Api { operation, .. }
            | Error::EmptyResponse { operation, .. }
            | Error::UnexpectedResponse { operation, .. }
            | Error::InvalidPayload { operation, .. }
            | Error::Redirect { operation, .. }
            | Error::ResponseTooLarge { operation, .. } => Some(operation),
            _ => None,
        }
    }

    /// How long the server asked to wait before trying again (its `Retry-After`, in seconds or as
    /// an HTTP date, at most a day), when it said so. Typically on HTTP 429 and 503.
    pub fn retry_after(&self) -> Option<Duration> {
        match self {
            Error::Api { retry_after, .. }
            | Error::UnexpectedResponse { retry_after, .. }
            | Error::InvalidPayload { retry_after, .. }
            | Error::ResponseTooLarge { retry_after, .. } => *retry_after,
            _ => None,
        }
    }

    fn set_retry_after(&mut self, value: Option<Duration>) {
        if let Error::Api { retry_after, .. }
        | Error::UnexpectedResponse { retry_after, .. }
        | Error::InvalidPayload { retry_after, .. }
        | Error::ResponseTooLarge { retry_after, .. } = self
        {
            *retry_after = value;
        }
    }

    /// HTTP 401: a rejected access token, or (from `getToken`) a wrong key or secret.
    pub fn is_unauthorized(&self) -> bool {
        self.status() == Some(StatusCode::UNAUTHORIZED)
    }

    /// A transient failure that may succeed if retried: timeouts, connection and transport errors,
    /// and HTTP 408, 429, 502, 503, 504 (wait [`retry_after`](Self::retry_after) first when the
    /// server said so). The client retries on its own only with a
    /// [`RetryPolicy`](crate::RetryPolicy), and once after a 401 with a fresh token; only retry
    /// operations that are safe to repeat.
    pub fn is_retryable(&self) -> bool {
        match self {
            Error::Timeout(_) | Error::Connect(_) | Error::Transport(_) => true,
            Error::Redirect { .. } => false,
            _ => self
                .status()
                .is_some_and(crate::transport::is_retryable_status),
        }
    }

    /// Sorts a `reqwest` failure into timeout, connect or other transport error.
    pub(crate) fn from_reqwest(e: reqwest::Error) -> Self {
        // A connect timeout is both `is_timeout` and `is_connect`; it is reported as a timeout.
        if e.is_timeout() {
            Error::Timeout(Arc::new(e))
        } else if e.is_connect() {
            Error::Connect(Arc::new(e))
        } else {
            Error::Transport(Arc::new(e))
        }
    }

    /// Converts an error of the generated client, reading the body of unexpected answers.
    ///
    /// `meta` is what the `post` hook saw of the response: progenitor's `InvalidResponsePayload`
    /// carries the body but not the status, so without it a 500 whose body is not JSON would lose
    /// its status.
    pub(crate) async fn from_raw<E: Serialize>(
        operation: &'static str,
        err: progenitor_client::Error<E>,
        meta: Option<ResponseMeta>,
    ) -> Self {
        use progenitor_client::Error as Raw;
        let retry_after = meta.as_ref().and_then(|m| m.retry_after);
        let mut error = match err {
            Raw::ErrorResponse(rv) => {
                let status = rv.status();
                // The spec's error schema, whatever its name: read as the envelope it is.
                let body = serde_json::to_vec(&*rv).unwrap_or_default();
                Self::from_envelope(operation, status, &body).unwrap_or(Error::Api {
                    operation,
                    status,
                    code: 0,
                    message: String::new(),
                    retry_after: None,
                })
            }
            Raw::InvalidResponsePayload(bytes, source) => {
                let (status, content_type) = match meta {
                    Some(m) => (Some(m.status), m.content_type),
                    None => (None, None),
                };
                // An envelope that only misses the generated type (e.g. `message: null` on a 400)
                // still says what went wrong: keep its code and message.
                if let Some(status) = status
                    && let Some(api) = Self::from_envelope(operation, status, &bytes)
                {
                    api
                } else {
                    Error::InvalidPayload {
                        operation,
                        status,
                        content_type,
                        body: String::from_utf8_lossy(&bytes).into_owned(),
                        source: Arc::new(source),
                        retry_after: None,
                    }
                }
            }
            Raw::UnexpectedResponse(response) => {
                let status = response.status();
                let content_type = content_type(response.headers());
                match response.text().await {
                    Ok(body) => Self::from_envelope(operation, status, body.as_bytes()).unwrap_or(
                        Error::UnexpectedResponse {
                            operation,
                            status,
                            content_type,
                            body,
                            retry_after: None,
                        },
                    ),
                    Err(e) => Self::from_reqwest(e),
                }
            }
            Raw::CommunicationError(e) | Raw::ResponseBodyError(e) | Raw::InvalidUpgrade(e) => {
                Self::from_reqwest(e)
            }
            Raw::InvalidRequest(reason) | Raw::Custom(reason) => Error::InvalidRequest(reason),
        };
        error.set_retry_after(retry_after);
        error
    }

    /// The error for an answer the transport refused (see [`crate::transport`]).
    pub(crate) fn from_rejection(operation: &'static str, rejection: Rejection) -> Self {
        match rejection {
            Rejection::Redirect {
                status,
                location,
                downgrade,
            } => Error::Redirect {
                operation,
                status,
                location,
                downgrade,
                followed: false,
            },
            Rejection::Followed { status, url } => Error::Redirect {
                operation,
                status,
                downgrade: false,
                location: Some(url),
                followed: true,
            },
            Rejection::TooLarge {
                status,
                content_type,
                limit,
                prefix,
                retry_after,
            } => Error::ResponseTooLarge {
                operation,
                status,
                content_type,
                limit,
                body: String::from_utf8_lossy(&prefix).into_owned(),
                retry_after,
            },
        }
    }

    /// Makes the error safe to show: `secrets` (the API secret, the token sent) and the values of
    /// fields named like a secret (`access_token`, `imp_secret`, `password`, ...) are redacted from
    /// everything the server sent; kept bodies are cut to [`KEPT_BODY_MAX_BYTES`]; and the body of
    /// a success answer of the token call is not kept at all.
    pub(crate) fn sanitized<'a>(
        mut self,
        secrets: impl Iterator<Item = &'a str> + Clone,
        token_call: bool,
    ) -> Self {
        let clean = |text: &mut String| *text = redact(text, secrets.clone());
        match &mut self {
            Error::Api { message, .. } => clean(message),
            Error::EmptyResponse {
                message: Some(message),
                ..
            } => clean(message),
            Error::UnexpectedResponse { status, body, .. }
            | Error::ResponseTooLarge { status, body, .. } => {
                if token_call && status.is_success() {
                    *body = WITHHELD.to_owned();
                } else {
                    clean(body);
                    *body = cut(body);
                }
            }
            Error::InvalidPayload {
                status,
                body,
                source,
                ..
            } => {
                let withhold = token_call && status.is_none_or(|s| s.is_success());
                if withhold {
                    *body = WITHHELD.to_owned();
                } else {
                    clean(body);
                    *body = cut(body);
                }
                // serde's message quotes the value it refused: the token call's not at all, and
                // any other's with the secrets redacted.
                let said = source.to_string();
                let safe = if withhold {
                    format!(
                        "{:?} error at line {} column {} (details withheld: the answer carries the access token)",
                        source.classify(),
                        source.line(),
                        source.column()
                    )
                } else {
                    redact(&said, secrets.clone())
                };
                if safe != said {
                    *source = Arc::new(<serde_json::Error as serde::de::Error>::custom(safe));
                }
            }
            Error::Redirect {
                location: Some(location),
                ..
            } => {
                clean(location);
                *location = cut(location);
            }
            _ => {}
        }
        self
    }

    /// `Error::Api` when `body` is an envelope that reports a failure (non-zero `code`, or any
    /// `code` with a non-2xx status); `None` otherwise.
    pub(crate) fn from_envelope(
        operation: &'static str,
        status: StatusCode,
        body: &[u8],
    ) -> Option<Self> {
        #[derive(Deserialize)]
        struct Envelope {
            code: i64,
            #[serde(default)]
            message: Option<String>,
        }
        let envelope: Envelope = serde_json::from_slice(body).ok()?;
        (envelope.code != 0 || !status.is_success()).then(|| Error::Api {
            operation,
            status,
            code: envelope.code,
            message: envelope.message.unwrap_or_default(),
            retry_after: None,
        })
    }
}

/// What the `post` hook saw of a response before the generated code consumed it.
#[derive(Clone, Debug)]
pub(crate) struct ResponseMeta {
    pub(crate) status: StatusCode,
    pub(crate) content_type: Option<String>,
    pub(crate) retry_after: Option<Duration>,
}

impl ResponseMeta {
    pub(crate) fn of(response: &reqwest::Response) -> Self {
        ResponseMeta {
            status: response.status(),
            content_type: content_type(response.headers()),
            retry_after: crate::transport::retry_after(response.headers()),
        }
    }
}

/// `text` cut to [`KEPT_BODY_MAX_BYTES`] (at a character boundary), noting the full length.
fn cut(text: &str) -> String {
    if text.len() <= KEPT_BODY_MAX_BYTES {
        return text.to_owned();
    }
    let mut end = KEPT_BODY_MAX_BYTES;
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    format!("{}… [cut: {} bytes in all]", &text[..end], text.len())
}

const REDACTED: &str = "<redacted>";

/// Whether a field of this name holds a secret.
fn is_secret_name(name: &str) -> bool {
    let name = name.to_ascii_lowercase();
    ["token", "secret", "password", "passwd", "api_key", "apikey"]
        .iter()
        .any(|word| name.contains(word))
}

/// `text` with every occurrence of `secrets`, and the value of every field whose name says it is a
/// secret (JSON `"access_token": "…"`, form `imp_secret=…`, HTML-escaped JSON), replaced by
/// `<redacted>`.
pub(crate) fn redact<'a>(text: &str, secrets: impl Iterator<Item = &'a str>) -> String {
    let mut text = text.to_owned();
    for secret in secrets.filter(|s| !s.is_empty()) {
        if text.contains(secret) {
            text = text.replace(secret, REDACTED);
        }
    }
    redact_fields(&text)
}

fn redact_fields(text: &str) -> String {
    const QUOTES: [&str; 5] = ["&quot;", "&#34;", "\\\"", "\"", "'"];
    let bytes = text.as_bytes();
    let is_word = |b: u8| b.is_ascii_alphanumeric() || b == b'_' || b == b'-';
    let mut out = String::with_capacity(text.len());
    let mut copied = 0;
    let mut i = 0;
    while i < bytes.len() {
        if !is_word(bytes[i]) {
            i += 1;
            continue;
        }
        let start = i;
        while i < bytes.len() && is_word(bytes[i]) {
            i += 1;
        }
        if !is_secret_name(&text[start..i]) {
            continue;
        }
        // After the name: an optional closing quote, blanks, `:` or `=`, blanks.
        let mut j = i;
        if let Some(q) = QUOTES.iter().find(|q| text[j..].starts_with(**q)) {
            j += q.len();
        }
        while j < bytes.len() && bytes[j].is_ascii_whitespace() {
            j += 1;
        }
        if j >= bytes.len() || !matches!(bytes[j], b':' | b'=') {
            continue;
        }
        j += 1;
        while j < bytes.len() && bytes[j].is_ascii_whitespace() {
            j += 1;
        }
        let (value_start, value_end) =
            if let Some(q) = QUOTES.iter().find(|q| text[j..].starts_with(**q)) {
                let from = j + q.len();
                // Unterminated: to the end.
                let to = text[from..].find(*q).map_or(text.len(), |k| from + k);
                (from, to)
            } else {
                let to = text[j..]
                    .find(|c: char| {
                        c.is_whitespace() || matches!(c, '&' | ',' | '}' | ']' | '<' | ';' | '"')
                    })
                    .map_or(text.len(), |k| j + k);
                (j, to)
            };
        if value_end > value_start {
            out.push_str(&text[copied..value_start]);
            out.push_str(REDACTED);
            copied = value_end;
        }
        i = value_end.max(i);
    }
    out.push_str(&text[copied..]);
    out
}

fn content_type(headers: &reqwest::header::HeaderMap) -> Option<String> {
    let value = headers.get(reqwest::header::CONTENT_TYPE)?;
    Some(String::from_utf8_lossy(value.as_bytes()).into_owned())
}

/// Shows text on one line: whitespace runs (newlines included) become one space, control
/// characters are dropped, and anything past [`DISPLAY_MAX_CHARS`] is cut with a note.
struct OneLine<'a>(&'a str);

impl fmt::Display for OneLine<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let text = self.0.trim();
        let mut written = 0;
        let mut pending_space = false;
        for c in text.chars() {
            if c.is_whitespace() {
                pending_space = true;
                continue;
            }
            if c.is_control() {
                continue;
            }
            if written + usize::from(pending_space) >= DISPLAY_MAX_CHARS {
                return write!(f, "… ({} bytes in all)", self.0.len());
            }
            if pending_space {
                f.write_str(" ")?;
                pending_space = false;
                written += 1;
            }
            write!(f, "{c}")?;
            written += 1;
        }
        Ok(())
    }
}

struct DisplayStatus(Option<StatusCode>);

impl fmt::Display for DisplayStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.0 {
            Some(status) => write!(f, "{status}"),
            None => f.write_str("(status unknown)"),
        }
    }
}

/// The URL a transport error is about; the cause itself is the error's `source()`.
struct UrlOf<'a>(&'a reqwest::Error);

impl fmt::Display for UrlOf<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.0.url() {
            Some(url) => write!(f, "{url}"),
            None => f.write_str("the iamport API"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_line_collapses_whitespace_and_truncates() {
        assert_eq!(
            OneLine("  <html>\r\n <body>\tBad\u{7}  Gateway</body>\n").to_string(),
            "<html> <body> Bad Gateway</body>"
        );
        let long = "x".repeat(DISPLAY_MAX_CHARS + 50);
        let shown = OneLine(&long).to_string();
        assert!(shown.starts_with(&"x".repeat(DISPLAY_MAX_CHARS)));
        assert!(shown.ends_with(&format!("… ({} bytes in all)", long.len())));
        assert_eq!(
            OneLine(&"y".repeat(DISPLAY_MAX_CHARS)).to_string().len(),
            DISPLAY_MAX_CHARS
        );
    }

    #[test]
    fn secrets_and_secret_named_fields_are_redacted() {
        let none = std::iter::empty;
        assert_eq!(
            redact_fields(r#"{"access_token": "abc", "now": 1, "imp_secret":"s3"}"#),
            r#"{"access_token": "<redacted>", "now": 1, "imp_secret":"<redacted>"}"#
        );
        assert_eq!(
            redact_fields("imp_key=k&imp_secret=s3&x=1"),
            "imp_key=k&imp_secret=<redacted>&x=1"
        );
        assert_eq!(
            redact_fields("{&quot;imp_secret&quot;:&quot;s3&quot;}"),
            "{&quot;imp_secret&quot;:&quot;<redacted>&quot;}"
        );
        assert_eq!(
            redact_fields(r#"{\"access_token\":\"abc\"}"#),
            r#"{\"access_token\":\"<redacted>\"}"#
        );
        assert_eq!(redact_fields("token: abc def"), "token: <redacted> def");
        assert_eq!(
            redact_fields(r#"{"token":"unterminated"#),
            r#"{"token":"<redacted>"#
        );
        assert_eq!(
            redact_fields("no secrets here: 토큰"),
            "no secrets here: 토큰"
        );
        assert_eq!(
            redact("say s3cr3t twice s3cr3t", ["s3cr3t"].into_iter()),
            "say <redacted> twice <redacted>"
        );
        assert_eq!(redact("", none()), "");
    }

    #[test]
    fn kept_bodies_are_cut_at_a_character_boundary() {
        let body = "가".repeat(KEPT_BODY_MAX_BYTES);
        let kept = cut(&body);
        assert!(kept.len() < KEPT_BODY_MAX_BYTES + 40, "{}", kept.len());
        assert!(kept.ends_with(&format!("… [cut: {} bytes in all]", body.len())));
        assert_eq!(cut("short"), "short");
    }

    #[test]
    fn envelope_fallback_only_reports_failures() {
        let ok = StatusCode::OK;
        assert!(Error::from_envelope("op", ok, br#"{"code":0,"response":{}}"#).is_none());
        assert!(Error::from_envelope("op", ok, b"<html>").is_none());
        let e = Error::from_envelope(
            "op",
            StatusCode::BAD_REQUEST,
            br#"{"code":-1,"message":null}"#,
        )
        .unwrap();
        assert_eq!(
            (e.status(), e.code(), e.message()),
            (Some(StatusCode::BAD_REQUEST), Some(-1), Some(""))
        );
        let e = Error::from_envelope("op", ok, br#"{"code":1,"message":"bad key"}"#).unwrap();
        assert_eq!((e.code(), e.message()), (Some(1), Some("bad key")));
    }
}
