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
    match result {
        Ok(value) => Ok((value.status(), value.into_inner())),
        Err(e) => Err(Error::from_raw(operation, e, raw.inner.take_response_meta()).await),
    }
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
            message: message.unwrap_or_default(),
        });
    }
    response.ok_or(Error::EmptyResponse {
        operation,
        status,
        message,
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
