//! The crate's single error type.
//!
//! Every failure keeps what the server said: the HTTP status, the envelope's `code` and `message`,
//! or the raw body when the answer was not the API's JSON envelope (a proxy's HTML page). Transport
//! errors keep the `reqwest::Error` as their `source()`. `Display` is one line, fit for a log; the
//! fields keep everything.

use std::fmt;
use std::sync::Arc;

use reqwest::StatusCode;
use serde::{Deserialize, Serialize};

/// Bodies and messages longer than this are cut in `Display` (never in the fields).
const DISPLAY_MAX_CHARS: usize = 300;

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
    /// is kept whole (decoded with the charset of its `content-type`).
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
        /// The body, as UTF-8 (lossy; JSON is UTF-8 by definition).
        body: String,
        #[source]
        source: Arc<serde_json::Error>,
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
            | Error::UnexpectedResponse { status, .. } => Some(*status),
            Error::InvalidPayload { status, .. } => *status,
            Error::Timeout(e) | Error::Connect(e) | Error::Transport(e) => e.status(),
            Error::InvalidInput { .. } | Error::InvalidRequest(_) | Error::Config { .. } => None,
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
            | Error::InvalidPayload { operation, .. } => Some(operation),
            _ => None,
        }
    }

    /// HTTP 401: a rejected access token, or (from `getToken`) a wrong key or secret.
    pub fn is_unauthorized(&self) -> bool {
        self.status() == Some(StatusCode::UNAUTHORIZED)
    }

    /// A transient failure that may succeed if retried: timeouts, connection and transport errors,
    /// and HTTP 408, 429, 502, 503, 504. The client never retries on its own (except once after a
    /// 401, with a fresh token); only retry operations that are safe to repeat.
    pub fn is_retryable(&self) -> bool {
        match self {
            Error::Timeout(_) | Error::Connect(_) | Error::Transport(_) => true,
            _ => self.status().is_some_and(|s| {
                matches!(
                    s,
                    StatusCode::REQUEST_TIMEOUT
                        | StatusCode::TOO_MANY_REQUESTS
                        | StatusCode::BAD_GATEWAY
                        | StatusCode::SERVICE_UNAVAILABLE
                        | StatusCode::GATEWAY_TIMEOUT
                )
            }),
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
        match err {
            Raw::ErrorResponse(rv) => {
                let status = rv.status();
                // The spec's error schema, whatever its name: read as the envelope it is.
                let body = serde_json::to_vec(&*rv).unwrap_or_default();
                Self::from_envelope(operation, status, &body).unwrap_or(Error::Api {
                    operation,
                    status,
                    code: 0,
                    message: String::new(),
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
                    return api;
                }
                Error::InvalidPayload {
                    operation,
                    status,
                    content_type,
                    body: String::from_utf8_lossy(&bytes).into_owned(),
                    source: Arc::new(source),
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
                        },
                    ),
                    Err(e) => Self::from_reqwest(e),
                }
            }
            Raw::CommunicationError(e) | Raw::ResponseBodyError(e) | Raw::InvalidUpgrade(e) => {
                Self::from_reqwest(e)
            }
            Raw::InvalidRequest(reason) | Raw::Custom(reason) => Error::InvalidRequest(reason),
        }
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
        })
    }
}

/// What the `post` hook saw of a response before the generated code consumed it.
#[derive(Clone, Debug)]
pub(crate) struct ResponseMeta {
    pub(crate) status: StatusCode,
    pub(crate) content_type: Option<String>,
}

impl ResponseMeta {
    pub(crate) fn of(response: &reqwest::Response) -> Self {
        ResponseMeta {
            status: response.status(),
            content_type: content_type(response.headers()),
        }
    }
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
