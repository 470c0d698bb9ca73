//! [`IamportClient`]: one method per operation, returning the payload, with the token handled.

use std::fmt;
use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use tracing::debug;

use crate::RawClient;
use crate::auth::{AccessToken, RequestAuth, Secret};
use crate::clock::{Clock, SystemClock};
use crate::error::Error;
use crate::runtime::TokenPlacement;
use crate::token::TokenCache;
use crate::transport::{DEFAULT_MAX_RESPONSE_BYTES, RetryPolicy, TransportConfig};

/// Client for the PortOne V1 (iamport) REST API.
///
/// Cheap to clone (an `Arc` inside); clones share one token cache. See the [crate docs](crate).
#[derive(Clone)]
pub struct IamportClient {
    inner: Arc<Inner>,
}

struct Inner {
    base_url: String,
    http: reqwest::Client,
    imp_key: String,
    imp_secret: Secret,
    tokens: TokenCache,
    transport: Arc<TransportConfig>,
}

impl IamportClient {
    /// The production API.
    pub const DEFAULT_BASE_URL: &'static str = "https://api.iamport.kr";
    /// The production API at fixed IP addresses, for servers behind a firewall that only lets
    /// listed addresses out; see [`IamportClientBuilder::static_base_url`].
    pub const STATIC_BASE_URL: &'static str = "https://static-api.iamport.kr";
    /// Whole-request timeout (connect, send, read the full body) of the default HTTP client.
    pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(30);
    /// Connect timeout of the default HTTP client.
    pub const DEFAULT_CONNECT_TIMEOUT: Duration = Duration::from_secs(10);
    /// The longest response body read (16 MiB); see
    /// [`IamportClientBuilder::max_response_bytes`].
    pub const DEFAULT_MAX_RESPONSE_BYTES: u64 = DEFAULT_MAX_RESPONSE_BYTES;

    /// A client for the production API with the default timeouts.
    ///
    /// Fails only if the HTTP client cannot be built (no TLS backend) or a credential is empty.
    pub fn new(imp_key: impl Into<String>, imp_secret: impl Into<String>) -> Result<Self, Error> {
        Self::builder(imp_key, imp_secret).build()
    }

    /// A builder to change the base URL, timeouts, HTTP client or clock.
    pub fn builder(
        imp_key: impl Into<String>,
        imp_secret: impl Into<String>,
    ) -> IamportClientBuilder {
        IamportClientBuilder {
            imp_key: imp_key.into(),
            imp_secret: Secret::new(imp_secret),
            base_url: Self::DEFAULT_BASE_URL.to_owned(),
            timeout: None,
            connect_timeout: None,
            http: None,
            clock: Arc::new(SystemClock),
            transport: TransportConfig::default(),
            tier: None,
        }
    }

    /// The base URL requests go to (without a trailing `/`).
    pub fn base_url(&self) -> &str {
        &self.inner.base_url
    }

    /// The cached access token, fetched with `getToken` when there is none or it expires within
    /// 30 seconds. Concurrent callers share one fetch, and its error.
    pub async fn access_token(&self) -> Result<AccessToken, Error> {
        self.inner.tokens.get(|| self.fetch_token()).await
    }

    /// Forgets `token` if it is still the cached one, so the next call fetches a new one. For users
    /// of [`authorized_raw`](Self::authorized_raw) who got a 401; returns whether it was dropped.
    pub fn invalidate_token(&self, token: &AccessToken) -> bool {
        self.inner.tokens.invalidate(token)
    }

    /// The generated client, without a token: for `getToken`, or to get the raw envelope.
    pub fn raw(&self) -> RawClient {
        self.raw_with(RequestAuth::none())
    }

    /// The generated client, sending the current access token (fetched if needed).
    ///
    /// It does not refresh the token on a 401 by itself; see
    /// [`invalidate_token`](Self::invalidate_token).
    pub async fn authorized_raw(&self) -> Result<RawClient, Error> {
        let token = self.access_token().await?;
        Ok(self.raw_with(RequestAuth::bearer(token.expose_secret())))
    }

    fn raw_with(&self, auth: RequestAuth) -> RawClient {
        // Cheap: `reqwest::Client` is an `Arc`.
        RawClient::new_with_client(
            &self.inner.base_url,
            self.inner.http.clone(),
            auth.with_config(&self.inner.transport),
        )
    }

    /// The key and secret, for the generated token call.
    pub(crate) fn credentials(&self) -> (String, String) {
        (
            self.inner.imp_key.clone(),
            self.inner.imp_secret.expose().to_owned(),
        )
    }

    /// A generated client for the token call (the generated `fetch_token`): the bodies of its
    /// success answers carry the token and are never kept in an error.
    pub(crate) fn raw_for_call(&self) -> RawClient {
        self.raw_with(RequestAuth::for_token_call(&self.inner.imp_secret))
    }

    /// Runs a generated call: without a token when `token` is `None`; otherwise with the token in
    /// that place (see [`authorized`](Self::authorized)).
    pub(crate) async fn call<T, F, Fut>(
        &self,
        operation: &'static str,
        token: Option<TokenPlacement>,
        call: F,
    ) -> Result<T, Error>
    where
        F: Fn(RawClient) -> Fut,
        Fut: Future<Output = Result<T, Error>>,
    {
        match token {
            Some(TokenPlacement::Bearer) => self.authorized(operation, None, call).await,
            Some(TokenPlacement::Header(header)) => {
                self.authorized(operation, Some(header), call).await
            }
            None => {
                call(self.raw_with(RequestAuth::for_call(None, None, &self.inner.imp_secret))).await
            }
        }
    }

    /// Runs `call` with the cached token; on a 401, drops that token, fetches a new one and runs
    /// `call` once more. Whatever the second attempt returns is final: there is no loop.
    async fn authorized<T, F, Fut>(
        &self,
        operation: &'static str,
        header: Option<&'static str>,
        call: F,
    ) -> Result<T, Error>
    where
        F: Fn(RawClient) -> Fut,
        Fut: Future<Output = Result<T, Error>>,
    {
        let secret = &self.inner.imp_secret;
        let token = self.access_token().await?;
        match call(self.raw_with(RequestAuth::for_call(Some(&token), header, secret))).await {
            Err(error) if error.is_unauthorized() => {
                let dropped = self.invalidate_token(&token);
                debug!(
                    operation,
                    dropped_cached_token = dropped,
                    "iamport answered 401; refreshing the access token and retrying once"
                );
                let token = self.access_token().await?;
                call(self.raw_with(RequestAuth::for_call(Some(&token), header, secret))).await
            }
            other => other,
        }
    }
}

impl fmt::Debug for IamportClient {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("IamportClient")
            .field("base_url", &self.inner.base_url)
            .field("imp_key", &self.inner.imp_key)
            .field("imp_secret", &self.inner.imp_secret)
            .field("token_cached", &self.inner.tokens.has_token())
            .field(
                "max_response_bytes",
                &self.inner.transport.max_response_bytes,
            )
            .field("retry", &self.inner.transport.retry)
            .field("tier", &self.inner.transport.tier)
            .field("clock", self.inner.tokens.clock())
            .finish_non_exhaustive()
    }
}

/// Builder of [`IamportClient`], from [`IamportClient::builder`].
pub struct IamportClientBuilder {
    imp_key: String,
    imp_secret: Secret,
    base_url: String,
    timeout: Option<Duration>,
    connect_timeout: Option<Duration>,
    http: Option<reqwest::Client>,
    clock: Arc<dyn Clock>,
    transport: TransportConfig,
    tier: Option<String>,
}

impl IamportClientBuilder {
    /// Where to send requests (default [`IamportClient::DEFAULT_BASE_URL`]); `http` or `https`,
    /// optionally with a path prefix (e.g. behind a proxy).
    pub fn base_url(mut self, base_url: impl Into<String>) -> Self {
        self.base_url = base_url.into();
        self
    }

    /// Send requests to [`IamportClient::STATIC_BASE_URL`], the API at fixed IP addresses (for
    /// an outbound firewall that only lets listed addresses out). Same as
    /// `.base_url(IamportClient::STATIC_BASE_URL)`.
    pub fn static_base_url(self) -> Self {
        self.base_url(IamportClient::STATIC_BASE_URL)
    }

    /// Call as this sub-merchant: send `Tier: <tier_code>` on every request (`getToken` aside, which
    /// needs none) unless the call sets its own with its `.tier(..)` setter. The code is 1 to 16
    /// characters of `A-Z a-z 0-9 _ -`; another value is refused by [`build`](Self::build).
    pub fn tier(mut self, tier_code: impl Into<String>) -> Self {
        self.tier = Some(tier_code.into());
        self
    }

    /// Whole-request timeout (default [`IamportClient::DEFAULT_TIMEOUT`]).
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.timeout = Some(timeout);
        self
    }

    /// Connect timeout (default [`IamportClient::DEFAULT_CONNECT_TIMEOUT`]).
    pub fn connect_timeout(mut self, timeout: Duration) -> Self {
        self.connect_timeout = Some(timeout);
        self
    }

    /// Use this HTTP client (proxies, TLS roots, pools). It keeps its own timeouts, so setting
    /// [`timeout`](Self::timeout) or [`connect_timeout`](Self::connect_timeout) as well is
    /// rejected by [`build`](Self::build).
    ///
    /// Build it with `.redirect(reqwest::redirect::Policy::none())`: the client cannot change the
    /// redirect policy of a client it is given. If it follows a redirect anyway, the answer is
    /// refused ([`Error::Redirect`] with `followed: true`), but the request (with the secret or
    /// the token) has then already gone to wherever the redirect pointed.
    pub fn http_client(mut self, http: reqwest::Client) -> Self {
        self.http = Some(http);
        self
    }

    /// The monotonic clock token expiry is measured with (default [`SystemClock`]).
    pub fn clock(mut self, clock: impl Clock + 'static) -> Self {
        self.clock = Arc::new(clock);
        self
    }

    /// The longest response body read, in bytes (default
    /// [`IamportClient::DEFAULT_MAX_RESPONSE_BYTES`]). A longer answer is not read past the limit
    /// (nor at all when its `Content-Length` says so) and fails with [`Error::ResponseTooLarge`].
    pub fn max_response_bytes(mut self, limit: u64) -> Self {
        self.transport.max_response_bytes = limit;
        self
    }

    /// Retry what is safe to retry, with this policy (default: no retry). See [`RetryPolicy`] for
    /// what qualifies: never a `POST` that may have reached the server.
    pub fn retry(mut self, policy: RetryPolicy) -> Self {
        self.transport.retry = Some(policy);
        self
    }

    /// Checks the configuration and builds the client. No request is sent.
    pub fn build(mut self) -> Result<IamportClient, Error> {
        let config = |reason: String| Error::Config {
            reason,
            source: None,
        };
        if self.imp_key.is_empty() || self.imp_secret.expose().is_empty() {
            return Err(config("imp_key and imp_secret must not be empty".into()));
        }
        let base_url = normalize_base_url(&self.base_url).map_err(config)?;
        if let Some(tier) = &self.tier {
            self.transport.tier = Some(tier_header(tier).map_err(config)?);
        }
        let http = match self.http {
            Some(_) if self.timeout.is_some() || self.connect_timeout.is_some() => {
                return Err(config(
                    "timeouts cannot be applied to a custom http_client; configure them on it"
                        .into(),
                ));
            }
            Some(http) => http,
            None => reqwest::Client::builder()
                // PortOne's API does not redirect; following one would send the secret or the
                // token elsewhere (see `Error::Redirect`).
                .redirect(reqwest::redirect::Policy::none())
                // An https base URL is never left for plain http.
                .https_only(base_url.starts_with("https:"))
                .timeout(self.timeout.unwrap_or(IamportClient::DEFAULT_TIMEOUT))
                .connect_timeout(
                    self.connect_timeout
                        .unwrap_or(IamportClient::DEFAULT_CONNECT_TIMEOUT),
                )
                .user_agent(concat!("iamport-client/", env!("CARGO_PKG_VERSION")))
                .build()
                .map_err(|e| Error::Config {
                    reason: "could not build the HTTP client".into(),
                    source: Some(Arc::new(e)),
                })?,
        };
        Ok(IamportClient {
            inner: Arc::new(Inner {
                base_url,
                http,
                imp_key: self.imp_key,
                imp_secret: self.imp_secret,
                tokens: TokenCache::new(self.clock),
                transport: Arc::new(self.transport),
            }),
        })
    }
}

impl fmt::Debug for IamportClientBuilder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("IamportClientBuilder")
            .field("imp_key", &self.imp_key)
            .field("imp_secret", &self.imp_secret)
            .field("base_url", &self.base_url)
            .field("timeout", &self.timeout)
            .field("connect_timeout", &self.connect_timeout)
            .field("http", &self.http)
            .field("clock", &self.clock)
            .field("transport", &self.transport)
            .field("tier", &self.tier)
            .finish()
    }
}

/// The generated code appends `/users/getToken` etc. to the base URL, so it must not end in `/`.
fn normalize_base_url(base_url: &str) -> Result<String, String> {
    let url = reqwest::Url::parse(base_url)
        .map_err(|e| format!("base_url {base_url:?} is not a URL: {e}"))?;
    if !matches!(url.scheme(), "http" | "https") {
        return Err(format!("base_url {base_url:?} must be http or https"));
    }
    if url.query().is_some() || url.fragment().is_some() {
        return Err(format!(
            "base_url {base_url:?} must not have a query or fragment"
        ));
    }
    Ok(url.as_str().trim_end_matches('/').to_owned())
}

/// A sub-merchant code as the `Tier` header: the spec's `^[0-9A-Za-z_-]+$`, 1 to 16 characters.
fn tier_header(tier: &str) -> Result<reqwest::header::HeaderValue, String> {
    let valid = (1..=16).contains(&tier.len())
        && tier
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-');
    if !valid {
        return Err(format!(
            "tier {tier:?} must be 1 to 16 characters of A-Z, a-z, 0-9, _ and -"
        ));
    }
    reqwest::header::HeaderValue::from_str(tier).map_err(|e| format!("tier {tier:?}: {e}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base_url_is_checked_and_normalized() {
        assert_eq!(
            normalize_base_url("https://api.iamport.kr").unwrap(),
            "https://api.iamport.kr"
        );
        assert_eq!(
            normalize_base_url("https://api.iamport.kr/").unwrap(),
            "https://api.iamport.kr"
        );
        assert_eq!(
            normalize_base_url("http://proxy:8080/iamport/").unwrap(),
            "http://proxy:8080/iamport"
        );
        assert!(normalize_base_url("api.iamport.kr").is_err());
        assert!(normalize_base_url("ftp://api.iamport.kr").is_err());
        assert!(normalize_base_url("https://api.iamport.kr/?x=1").is_err());
    }

    #[test]
    fn tier_codes_are_checked() {
        assert_eq!(tier_header("AB1").unwrap(), "AB1");
        assert_eq!(tier_header("a_b-C9").unwrap(), "a_b-C9");
        for bad in ["", "A B", "tier:x", "12345678901234567", "티어", "a\nb"] {
            assert!(tier_header(bad).is_err(), "{bad:?}");
        }
    }
}
