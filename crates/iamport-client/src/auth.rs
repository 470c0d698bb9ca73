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
use crate::transport::{self, Rejection, TransportConfig};

/// The sub-merchant header (`Tier: <code>`); header names are case-insensitive.
const TIER: reqwest::header::HeaderName = reqwest::header::HeaderName::from_static("tier");

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
///
/// Whatever client it is on, requests never follow a redirect and response bodies are read up to
/// [`IamportClient::DEFAULT_MAX_RESPONSE_BYTES`](crate::IamportClient::DEFAULT_MAX_RESPONSE_BYTES)
/// (or the limit the [`crate::IamportClient`] was built with): a refused answer reaches the raw
/// client as a response whose body fails to read, with the reason.
#[derive(Clone, Default)]
pub struct RequestAuth {
    token: Option<Secret>,
    /// Where the token goes: `Authorization: Bearer` unless the operation's security says a header.
    header: Option<&'static str>,
    /// Set only on the throwaway clients [`crate::IamportClient`] builds for one call: the hooks
    /// leave here what they saw of the response (its status, which the generated code drops for
    /// undecodable bodies; see [`crate::Error::InvalidPayload`]) and why it was refused.
    response: Option<Arc<Mutex<Record>>>,
    config: Arc<TransportConfig>,
    /// Values that must not show in an error (the API secret, the token sent).
    scrub: Arc<[Secret]>,
    /// The token call: the body of its success answer carries the token and is never kept.
    token_call: bool,
}

/// What the hooks saw of one call's response.
#[derive(Default)]
pub(crate) struct Record {
    pub(crate) meta: Option<ResponseMeta>,
    pub(crate) rejection: Option<Rejection>,
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
            ..RequestAuth::default()
        }
    }

    /// With this transport configuration.
    pub(crate) fn with_config(mut self, config: &Arc<TransportConfig>) -> Self {
        self.config = Arc::clone(config);
        self
    }

    /// For one call; `header` is the API-key header the operation wants the token in (`None`:
    /// `Authorization: Bearer`). `scrub`: values its errors must not show.
    pub(crate) fn for_call(
        token: Option<&AccessToken>,
        header: Option<&'static str>,
        scrub: &Secret,
    ) -> Self {
        let token = token.map(|t| t.value.clone());
        let scrub = std::iter::once(scrub.clone())
            .chain(token.clone())
            .collect();
        RequestAuth {
            token,
            header,
            response: Some(Arc::default()),
            scrub,
            ..RequestAuth::default()
        }
    }

    /// For the token call (see [`Self::for_call`]): its success bodies are never kept.
    pub(crate) fn for_token_call(scrub: &Secret) -> Self {
        RequestAuth {
            token_call: true,
            ..Self::for_call(None, None, scrub)
        }
    }

    /// What the hooks recorded of the last response (only on [`Self::for_call`] clients).
    pub(crate) fn take_record(&self) -> Record {
        match &self.response {
            Some(slot) => std::mem::take(&mut *slot.lock().unwrap_or_else(PoisonError::into_inner)),
            None => Record::default(),
        }
    }

    /// The values errors of this call must not show.
    pub(crate) fn scrubbed(&self) -> impl Iterator<Item = &str> + Clone {
        self.scrub.iter().map(Secret::expose)
    }

    /// Whether this is the token call.
    pub(crate) fn is_token_call(&self) -> bool {
        self.token_call
    }

    fn record(&self, edit: impl FnOnce(&mut Record)) {
        if let Some(slot) = &self.response {
            edit(&mut slot.lock().unwrap_or_else(PoisonError::into_inner));
        }
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
            // The client's default sub-merchant (`Tier`), on the calls that carry a token (every
            // operation but `getToken`), unless the call set its own.
            if let Some(tier) = &self.inner.config.tier {
                request
                    .headers_mut()
                    .entry(TIER)
                    .or_insert_with(|| tier.clone());
            }
        }
        Ok(())
    }

    async fn post<E>(
        &self,
        result: &reqwest::Result<reqwest::Response>,
        _info: &OperationInfo,
    ) -> Result<(), progenitor_client::Error<E>> {
        if let Ok(response) = result {
            self.inner
                .record(|record| record.meta = Some(ResponseMeta::of(response)));
        }
        Ok(())
    }

    async fn exec(
        &self,
        request: reqwest::Request,
        _info: &OperationInfo,
    ) -> reqwest::Result<reqwest::Response> {
        transport::exec(&self.client, &self.inner.config, request, |rejection| {
            self.inner
                .record(|record| record.rejection = Some(rejection));
        })
        .await
    }
}
