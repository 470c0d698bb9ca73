//! Credentials, access tokens and the hooks that put the token on the generated client's requests.
//!
//! Secrets live in [`Secret`], whose `Debug` prints `<redacted>`; nothing here implements `Display`
//! for a secret, so neither `{:?}`, `{}` nor a tracing field can leak one by accident.

use std::fmt;
use std::sync::{Arc, Mutex, PoisonError};

use progenitor_client::{ClientHooks, OperationInfo};
use reqwest::header::{AUTHORIZATION, HeaderValue};

use crate::RawClient;
use crate::error::ResponseMeta;

/// A secret string (API secret, access token) that never shows in `Debug`.
#[derive(Clone)]
pub(crate) struct Secret(Arc<str>);

impl Secret {
    pub(crate) fn new(value: impl Into<String>) -> Self {
        Secret(value.into().into())
    }

    pub(crate) fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("<redacted>")
    }
}

/// An iamport access token, as returned by [`crate::IamportClient::access_token`].
///
/// Cheap to clone. Its `Debug` is redacted and it has no `Display`: use
/// [`expose_secret`](Self::expose_secret) where the raw value is really needed.
#[derive(Clone)]
pub struct AccessToken {
    value: Secret,
    /// Which fetch produced this token. The server hands out the same string again until it
    /// expires, so invalidation after a 401 compares fetches, not strings.
    pub(crate) fetch_id: u64,
}

impl AccessToken {
    pub(crate) fn new(value: String, fetch_id: u64) -> Self {
        AccessToken {
            value: Secret::new(value),
            fetch_id,
        }
    }

    /// The token itself, e.g. to send it with another HTTP client.
    pub fn expose_secret(&self) -> &str {
        self.value.expose()
    }
}

impl fmt::Debug for AccessToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("AccessToken(<redacted>)")
    }
}

/// The generated client's per-client state (its `inner`): the bearer token its requests carry.
///
/// Build a [`RawClient`] with `RawClient::new_with_client(url, http, RequestAuth::bearer(token))`
/// to call the API with a token you manage yourself, or get one from
/// [`crate::IamportClient::authorized_raw`].
#[derive(Clone, Default)]
pub struct RequestAuth {
    token: Option<Secret>,
    /// Where the token goes: `Authorization: Bearer` unless the operation's security says a header.
    header: Option<&'static str>,
    /// Set only on the throwaway clients [`crate::IamportClient`] builds for one call: the `post`
    /// hook leaves the response's status here, which the generated code drops for undecodable
    /// bodies (see [`crate::Error::InvalidPayload`]).
    response: Option<Arc<Mutex<Option<ResponseMeta>>>>,
}

impl RequestAuth {
    /// No `Authorization` header (`getToken` needs none).
    pub fn none() -> Self {
        RequestAuth::default()
    }

    /// Sends `Authorization: Bearer <token>` on every request.
    pub fn bearer(token: impl Into<String>) -> Self {
        RequestAuth {
            token: Some(Secret::new(token)),
            header: None,
            response: None,
        }
    }

    /// For one call; `header` is the API-key header the operation wants the token in (`None`:
    /// `Authorization: Bearer`).
    pub(crate) fn for_call(token: Option<&AccessToken>, header: Option<&'static str>) -> Self {
        RequestAuth {
            token: token.map(|t| t.value.clone()),
            header,
            response: Some(Arc::default()),
        }
    }

    /// What the `post` hook recorded of the last response (only on [`Self::for_call`] clients).
    pub(crate) fn take_response_meta(&self) -> Option<ResponseMeta> {
        let slot = self.response.as_ref()?;
        slot.lock().unwrap_or_else(PoisonError::into_inner).take()
    }
}

impl fmt::Debug for RequestAuth {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RequestAuth")
            .field("bearer", &self.token)
            .finish_non_exhaustive()
    }
}

impl ClientHooks<RequestAuth> for RawClient {
    async fn pre<E>(
        &self,
        request: &mut reqwest::Request,
        _info: &OperationInfo,
    ) -> Result<(), progenitor_client::Error<E>> {
        if let Some(token) = &self.inner.token {
            let (name, value) = match self.inner.header {
                Some(header) => (
                    reqwest::header::HeaderName::from_static(header),
                    token.expose().to_owned(),
                ),
                None => (AUTHORIZATION, format!("Bearer {}", token.expose())),
            };
            let mut value = HeaderValue::try_from(value).map_err(
                // The value is not echoed: it is the token.
                |_| {
                    progenitor_client::Error::InvalidRequest(
                        "the access token is not a valid HTTP header value".into(),
                    )
                },
            )?;
            // Keeps the token out of HTTP/2 header compression tables and out of `HeaderMap`'s Debug.
            value.set_sensitive(true);
            request.headers_mut().insert(name, value);
        }
        Ok(())
    }

    async fn post<E>(
        &self,
        result: &reqwest::Result<reqwest::Response>,
        _info: &OperationInfo,
    ) -> Result<(), progenitor_client::Error<E>> {
        if let (Some(slot), Ok(response)) = (&self.inner.response, result) {
            *slot.lock().unwrap_or_else(PoisonError::into_inner) = Some(ResponseMeta::of(response));
        }
        Ok(())
    }
}
