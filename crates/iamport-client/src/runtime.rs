//! What the generated `IamportClient` methods call: input conversion, the generated client's result
//! turned into the crate's [`Error`], and the envelope's payload. Generic: no operation or schema is
//! named here.

use std::fmt::Display;

use progenitor_client::ResponseValue;
use reqwest::StatusCode;
use serde::Serialize;

use crate::RawClient;
use crate::error::Error;

/// An input converted to its generated type; a value the spec's constraints refuse is
/// [`Error::InvalidInput`], and nothing is sent.
pub(crate) fn convert<T, V>(parameter: &'static str, value: V) -> Result<T, Error>
where
    V: TryInto<T>,
    V::Error: Display,
{
    value.try_into().map_err(|e| Error::InvalidInput {
        parameter,
        reason: e.to_string(),
    })
}

/// The status and body of a generated call's success, or the [`Error`] it came to. `raw` is the
/// client the call was made with (for what its `post` hook saw of the response).
pub(crate) async fn answer<T, E: Serialize>(
    operation: &'static str,
    result: Result<ResponseValue<T>, progenitor_client::Error<E>>,
    raw: &RawClient,
) -> Result<(StatusCode, T), Error> {
    let record = raw.inner.take_record();
    let error = match (record.rejection, result) {
        // A refused answer (a redirect, a body over the limit) is never taken as the API's.
        (Some(rejection), _) => Error::from_rejection(operation, rejection),
        (None, Ok(value)) => return Ok((value.status(), value.into_inner())),
        (None, Err(e)) => Error::from_raw(operation, e, record.meta).await,
    };
    Err(error.sanitized(raw.inner.scrubbed(), raw.inner.is_token_call()))
}

/// The payload of a success envelope: `code` 0 and a `response`; anything else is an [`Error`].
pub(crate) fn envelope<P>(
    operation: &'static str,
    status: StatusCode,
    code: i64,
    message: Option<String>,
    response: Option<P>,
) -> Result<P, Error> {
    if code != 0 {
        return Err(Error::Api {
            operation,
            status,
            code,
            message: crate::error::redact(&message.unwrap_or_default(), std::iter::empty()),
            retry_after: None,
        });
    }
    response.ok_or_else(|| Error::EmptyResponse {
        operation,
        status,
        message: message.map(|m| crate::error::redact(&m, std::iter::empty())),
    })
}

/// The body of a non-JSON answer (e.g. `text/csv`), read whole as UTF-8 (lossy).
// Used by the generated code when the spec has such an answer.
#[allow(dead_code)]
pub(crate) async fn text(
    operation: &'static str,
    stream: progenitor_client::ByteStream,
) -> Result<String, Error> {
    let _ = operation;
    let mut stream = stream.into_inner();
    let mut bytes = Vec::new();
    while let Some(chunk) =
        std::future::poll_fn(|cx| futures_core::Stream::poll_next(stream.as_mut(), cx)).await
    {
        bytes.extend_from_slice(&chunk.map_err(Error::from_reqwest)?);
    }
    Ok(String::from_utf8_lossy(&bytes).into_owned())
}

/// Where an operation wants the access token (from its security in the spec).
// Which variants the generated code uses depends on the spec.
#[allow(dead_code)]
pub(crate) enum TokenPlacement {
    /// `Authorization: Bearer <token>`.
    Bearer,
    /// An API-key header (lower case), carrying the raw token.
    Header(&'static str),
}

/// What the token operation gives: the token and the server's clock at issue and at expiry.
pub(crate) struct TokenGrant {
    pub(crate) access_token: String,
    pub(crate) now: i64,
    pub(crate) expired_at: i64,
}
