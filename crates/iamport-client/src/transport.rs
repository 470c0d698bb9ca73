//! How every request of the generated client is sent (its `exec` hook): no redirect is followed,
//! the response body is read up to a limit, and an opt-in [`RetryPolicy`] repeats what is safe to
//! repeat. Generic: no operation or schema is named here.
//!
//! A response that is refused (a redirect, a body over the limit) is recorded for the crate's
//! [`Error`](crate::Error) and handed on with a body that fails to read, so the generated client
//! (and a user of the raw client) cannot take it for an answer.

use std::collections::hash_map::RandomState;
use std::hash::{BuildHasher, Hasher};
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::{Duration, SystemTime};

use reqwest::header::{CONTENT_LENGTH, HeaderMap, LOCATION, RETRY_AFTER};
use reqwest::{Method, StatusCode};

/// Default for [`IamportClientBuilder::max_response_bytes`](crate::IamportClientBuilder::max_response_bytes):
/// 16 MiB, far above any answer of the API.
pub(crate) const DEFAULT_MAX_RESPONSE_BYTES: u64 = 16 * 1024 * 1024;

/// What the client does with every request, shared by the clients it builds.
#[derive(Clone, Debug)]
pub(crate) struct TransportConfig {
    pub(crate) max_response_bytes: u64,
    pub(crate) retry: Option<RetryPolicy>,
    /// The `Tier` header sent on every request with a token unless the request sets its own
    /// ([`IamportClientBuilder::tier`](crate::IamportClientBuilder::tier)).
    pub(crate) tier: Option<reqwest::header::HeaderValue>,
}

impl Default for TransportConfig {
    fn default() -> Self {
        TransportConfig {
            max_response_bytes: DEFAULT_MAX_RESPONSE_BYTES,
            retry: None,
            tier: None,
        }
    }
}

/// Why a response was not handed on as an answer.
#[derive(Clone, Debug)]
pub(crate) enum Rejection {
    /// A 3xx answer: the client does not follow redirects.
    Redirect {
        status: StatusCode,
        location: Option<String>,
        /// The request went out over https and the redirect points to plain http.
        downgrade: bool,
    },
    /// The HTTP client followed a redirect by itself (a user's `http_client`): the answer came
    /// from `url`, not from where the request was sent.
    Followed { status: StatusCode, url: String },
    /// The body is longer than the limit; `prefix` is its start.
    TooLarge {
        status: StatusCode,
        content_type: Option<String>,
        limit: u64,
        prefix: Vec<u8>,
        retry_after: Option<Duration>,
    },
}

/// An opt-in retry policy ([`IamportClientBuilder::retry`](crate::IamportClientBuilder::retry)):
/// exponential backoff with jitter, honouring `Retry-After`, bounded in attempts and in total time.
///
/// What is retried:
/// - a request that failed to connect (DNS, TCP, TLS: nothing was sent), whatever its method;
/// - for idempotent HTTP methods only (`GET`, `HEAD`, `OPTIONS`, `TRACE`, `PUT`, `DELETE`):
///   HTTP 408, 429, 502, 503, 504 and transport failures after the request was sent (timeouts,
///   resets).
///
/// A `POST` (a payment, a cancel, `getToken`) is never repeated once it may have reached the
/// server: the API does not make any `POST` idempotent (no idempotency key), so repeating it could
/// pay or cancel twice.
///
/// The wait before retry `n` is a random duration between half and all of
/// `initial_backoff * 2^(n-1)` (capped at `max_backoff`), or the answer's `Retry-After` if that is
/// longer. No retry starts once `max_elapsed` would be exceeded by its wait: the last answer (or
/// error) is returned instead, with its [`retry_after`](crate::Error::retry_after).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RetryPolicy {
    max_attempts: u32,
    initial_backoff: Duration,
    max_backoff: Duration,
    max_elapsed: Duration,
}

impl Default for RetryPolicy {
    /// 3 attempts, 200 ms initial backoff, 5 s maximum backoff, 30 s in all.
    fn default() -> Self {
        RetryPolicy {
            max_attempts: 3,
            initial_backoff: Duration::from_millis(200),
            max_backoff: Duration::from_secs(5),
            max_elapsed: Duration::from_secs(30),
        }
    }
}

impl RetryPolicy {
    /// The default policy (see [`Default`]).
    pub fn new() -> Self {
        Self::default()
    }

    /// Attempts in all, the first one included (at least 1; 1 means no retry).
    pub fn max_attempts(mut self, attempts: u32) -> Self {
        self.max_attempts = attempts.max(1);
        self
    }

    /// The backoff before the first retry (before jitter).
    pub fn initial_backoff(mut self, backoff: Duration) -> Self {
        self.initial_backoff = backoff;
        self
    }

    /// The longest backoff between two attempts (before jitter; `Retry-After` may ask for more).
    pub fn max_backoff(mut self, backoff: Duration) -> Self {
        self.max_backoff = backoff;
        self
    }

    /// No retry starts whose wait would end later than this after the first attempt began.
    pub fn max_elapsed(mut self, elapsed: Duration) -> Self {
        self.max_elapsed = elapsed;
        self
    }

    /// The jittered exponential backoff before retry `retry` (1-based).
    fn backoff(&self, retry: u32) -> Duration {
        let factor = 2u32.saturating_pow(retry.saturating_sub(1));
        let full = self
            .initial_backoff
            .saturating_mul(factor)
            .min(self.max_backoff);
        // Equal jitter: between half and all of the backoff.
        let half = full / 2;
        half + jitter(full - half)
    }
}

/// A random duration in `[0, max]`, without a random-number crate: std's hasher keys are random.
fn jitter(max: Duration) -> Duration {
    let nanos = u64::try_from(max.as_nanos()).unwrap_or(u64::MAX);
    if nanos == 0 {
        return Duration::ZERO;
    }
    let mut hasher = RandomState::new().build_hasher();
    hasher.write_u64(nanos);
    Duration::from_nanos(hasher.finish() % (nanos + 1))
}

/// Whether HTTP says a request with this method may be repeated (RFC 9110 §9.2.2).
pub(crate) fn is_idempotent(method: &Method) -> bool {
    matches!(
        *method,
        Method::GET | Method::HEAD | Method::OPTIONS | Method::TRACE | Method::PUT | Method::DELETE
    )
}

/// Statuses worth another attempt of an idempotent request.
pub(crate) fn is_retryable_status(status: StatusCode) -> bool {
    matches!(
        status,
        StatusCode::REQUEST_TIMEOUT
            | StatusCode::TOO_MANY_REQUESTS
            | StatusCode::BAD_GATEWAY
            | StatusCode::SERVICE_UNAVAILABLE
            | StatusCode::GATEWAY_TIMEOUT
    )
}

/// A `Retry-After` longer than this is taken as this (a broken or hostile server).
const MAX_RETRY_AFTER: Duration = Duration::from_secs(24 * 60 * 60);

/// `Retry-After` (delay-seconds or an HTTP date), as a delay from now.
pub(crate) fn retry_after(headers: &HeaderMap) -> Option<Duration> {
    let value = headers.get(RETRY_AFTER)?.to_str().ok()?.trim();
    let delay = if let Ok(seconds) = value.parse::<u64>() {
        Duration::from_secs(seconds)
    } else {
        let at = parse_http_date(value)?;
        at.duration_since(SystemTime::now())
            .unwrap_or(Duration::ZERO)
    };
    Some(delay.min(MAX_RETRY_AFTER))
}

/// An IMF-fixdate (`Sun, 06 Nov 1994 08:49:37 GMT`), the only HTTP date format senders may use.
fn parse_http_date(value: &str) -> Option<SystemTime> {
    let rest = value.split_once(", ")?.1;
    let mut parts = rest.split(' ');
    let day: u64 = parts.next()?.parse().ok()?;
    let month = match parts.next()? {
        "Jan" => 1,
        "Feb" => 2,
        "Mar" => 3,
        "Apr" => 4,
        "May" => 5,
        "Jun" => 6,
        "Jul" => 7,
        "Aug" => 8,
        "Sep" => 9,
        "Oct" => 10,
        "Nov" => 11,
        "Dec" => 12,
        _ => return None,
    };
    let year: u64 = parts.next()?.parse().ok()?;
    let mut time = parts.next()?.split(':');
    let hour: u64 = time.next()?.parse().ok()?;
    let minute: u64 = time.next()?.parse().ok()?;
    let second: u64 = time.next()?.parse().ok()?;
    if parts.next()? != "GMT"
        || parts.next().is_some()
        || !(1970..=9999).contains(&year)
        || !(1..=31).contains(&day)
        || hour > 23
        || minute > 59
        || second > 60
    {
        return None;
    }
    // Days from 1970-01-01 to the civil date (Howard Hinnant's algorithm).
    let (y, m) = if month <= 2 {
        (year - 1, month + 9)
    } else {
        (year, month - 3)
    };
    let era = y / 400;
    let yoe = y - era * 400;
    let doy = (153 * m + 2) / 5 + day - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    let days = (era * 146_097 + doe).checked_sub(719_468)?;
    let secs = days * 86_400 + hour * 3600 + minute * 60 + second;
    SystemTime::UNIX_EPOCH.checked_add(Duration::from_secs(secs))
}

/// The `exec` hook: sends `request` (again, as the policy allows), refuses redirects and bodies
/// over the limit, and hands on the answer with its body read. `reject` records a refusal.
pub(crate) async fn exec(
    http: &reqwest::Client,
    config: &TransportConfig,
    request: reqwest::Request,
    reject: impl Fn(Rejection),
) -> reqwest::Result<reqwest::Response> {
    let idempotent = is_idempotent(request.method());
    let started = tokio::time::Instant::now();
    let mut request = request;
    let mut attempt: u32 = 1;
    loop {
        let policy = config
            .retry
            .as_ref()
            .filter(|policy| attempt < policy.max_attempts);
        // A streaming body cannot be cloned: such a request is sent once.
        let spare = policy.and_then(|_| request.try_clone());
        let outcome = attempt_once(http, config, request, &reject).await;
        let (Some(policy), Some(spare)) = (policy, spare) else {
            return outcome.map(Attempt::into_response);
        };
        let (wait, retry) = match &outcome {
            Err(e) => (None, e.is_connect() || (idempotent && !e.is_builder())),
            Ok(Attempt::Answer(response)) => (
                retry_after(response.headers()),
                idempotent && is_retryable_status(response.status()),
            ),
            Ok(Attempt::Refused(_)) => (None, false),
        };
        if !retry {
            return outcome.map(Attempt::into_response);
        }
        let delay = policy.backoff(attempt).max(wait.unwrap_or(Duration::ZERO));
        if started.elapsed().saturating_add(delay) > policy.max_elapsed {
            return outcome.map(Attempt::into_response);
        }
        tracing::debug!(
            attempt,
            delay_ms = u64::try_from(delay.as_millis()).unwrap_or(u64::MAX),
            "retrying an iamport request"
        );
        tokio::time::sleep(delay).await;
        attempt += 1;
        request = spare;
    }
}

enum Attempt {
    /// The answer, its body read (within the limit).
    Answer(reqwest::Response),
    /// A refused answer, with a body that fails to read.
    Refused(reqwest::Response),
}

impl Attempt {
    fn into_response(self) -> reqwest::Response {
        match self {
            Attempt::Answer(response) | Attempt::Refused(response) => response,
        }
    }
}

async fn attempt_once(
    http: &reqwest::Client,
    config: &TransportConfig,
    request: reqwest::Request,
    reject: &impl Fn(Rejection),
) -> reqwest::Result<Attempt> {
    let sent_to = request.url().clone();
    let mut response = http.execute(request).await?;
    let status = response.status();

    if status.is_redirection() {
        let location = response
            .headers()
            .get(LOCATION)
            .map(|v| String::from_utf8_lossy(v.as_bytes()).into_owned());
        let downgrade = location
            .as_deref()
            .is_some_and(|location| is_downgrade(&sent_to, location));
        let reason = format!(
            "HTTP {status} redirect to {}: the iamport client does not follow redirects",
            location.as_deref().unwrap_or("(no Location)")
        );
        reject(Rejection::Redirect {
            status,
            location,
            downgrade,
        });
        return Ok(Attempt::Refused(refused(response, reason)));
    }
    if response.url() != &sent_to {
        let url = response.url().to_string();
        let reason = format!(
            "the HTTP client followed a redirect to {url}: its answer is refused (configure the http_client with reqwest::redirect::Policy::none())"
        );
        reject(Rejection::Followed {
            status,
            url: url.clone(),
        });
        return Ok(Attempt::Refused(refused(response, reason)));
    }

    let limit = config.max_response_bytes;
    let declared = response
        .headers()
        .get(CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok()?.parse::<u64>().ok());
    let mut body = Vec::new();
    let mut over = declared.is_some_and(|length| length > limit);
    if !over {
        if let Some(length) = declared {
            body.reserve(usize::try_from(length).unwrap_or(0));
        }
        while let Some(chunk) = response.chunk().await? {
            if (body.len() as u64).saturating_add(chunk.len() as u64) > limit {
                body.extend_from_slice(&chunk[..PREFIX_BYTES.min(chunk.len())]);
                over = true;
                break;
            }
            body.extend_from_slice(&chunk);
        }
    }
    if over {
        if body.is_empty() {
            // Declared too long: keep only the start, for the error.
            while body.len() < PREFIX_BYTES {
                match response.chunk().await {
                    Ok(Some(chunk)) => body.extend_from_slice(&chunk),
                    _ => break,
                }
            }
        }
        body.truncate(PREFIX_BYTES);
        let reason = format!("the response body is longer than the {limit}-byte limit");
        reject(Rejection::TooLarge {
            status,
            content_type: content_type(response.headers()),
            limit,
            prefix: body,
            retry_after: retry_after(response.headers()),
        });
        return Ok(Attempt::Refused(refused(response, reason)));
    }
    Ok(Attempt::Answer(rebuild(
        &response,
        reqwest::Body::from(body),
        false,
    )))
}

/// Whether a redirect from `sent_to` to `location` leaves https for plain http.
fn is_downgrade(sent_to: &reqwest::Url, location: &str) -> bool {
    sent_to.scheme() == "https"
        && sent_to
            .join(location)
            .is_ok_and(|target| target.scheme() == "http")
}

/// How much of a refused body is kept for the error.
pub(crate) const PREFIX_BYTES: usize = 4096;

fn content_type(headers: &HeaderMap) -> Option<String> {
    let value = headers.get(reqwest::header::CONTENT_TYPE)?;
    Some(String::from_utf8_lossy(value.as_bytes()).into_owned())
}

/// `response` with its status and headers, whose body fails with `reason` when read.
fn refused(response: reqwest::Response, reason: String) -> reqwest::Response {
    rebuild(
        &response,
        reqwest::Body::wrap(FailingBody(Some(reason))),
        true,
    )
}

fn rebuild(
    response: &reqwest::Response,
    body: reqwest::Body,
    drop_length: bool,
) -> reqwest::Response {
    let mut rebuilt = http::Response::new(body);
    *rebuilt.status_mut() = response.status();
    *rebuilt.version_mut() = response.version();
    *rebuilt.headers_mut() = response.headers().clone();
    if drop_length {
        rebuilt.headers_mut().remove(CONTENT_LENGTH);
    }
    reqwest::Response::from(rebuilt)
}

/// A body whose first read fails with its message.
struct FailingBody(Option<String>);

impl http_body::Body for FailingBody {
    type Data = &'static [u8];
    type Error = std::io::Error;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        _cx: &mut Context<'_>,
    ) -> Poll<Option<Result<http_body::Frame<Self::Data>, Self::Error>>> {
        Poll::Ready(self.0.take().map(|m| Err(std::io::Error::other(m))))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn http_dates_and_seconds_are_read() {
        let at = parse_http_date("Sun, 06 Nov 1994 08:49:37 GMT").unwrap();
        assert_eq!(
            at.duration_since(SystemTime::UNIX_EPOCH).unwrap().as_secs(),
            784_111_777
        );
        assert!(parse_http_date("Sunday, 06-Nov-94 08:49:37 GMT").is_none());
        assert!(parse_http_date("garbage").is_none());
        let mut headers = HeaderMap::new();
        headers.insert(RETRY_AFTER, "7".parse().unwrap());
        assert_eq!(retry_after(&headers), Some(Duration::from_secs(7)));
        headers.insert(
            RETRY_AFTER,
            "Sun, 06 Nov 1994 08:49:37 GMT".parse().unwrap(),
        );
        assert_eq!(retry_after(&headers), Some(Duration::ZERO));
        headers.insert(RETRY_AFTER, "99999999999".parse().unwrap());
        assert_eq!(retry_after(&headers), Some(MAX_RETRY_AFTER));
        headers.insert(RETRY_AFTER, "soon".parse().unwrap());
        assert_eq!(retry_after(&headers), None);
    }

    #[test]
    fn a_redirect_from_https_to_http_is_a_downgrade() {
        let https: reqwest::Url = "https://api.iamport.kr/users/getToken".parse().unwrap();
        assert!(is_downgrade(&https, "http://api.iamport.kr/users/getToken"));
        assert!(is_downgrade(&https, "HTTP://evil.example/"));
        assert!(!is_downgrade(&https, "https://evil.example/"));
        assert!(!is_downgrade(&https, "/elsewhere"));
        let http: reqwest::Url = "http://127.0.0.1:8080/x".parse().unwrap();
        assert!(!is_downgrade(&http, "http://127.0.0.1:9090/"));
    }

    #[test]
    fn backoff_grows_within_its_bounds() {
        let policy = RetryPolicy::new()
            .initial_backoff(Duration::from_millis(100))
            .max_backoff(Duration::from_millis(350));
        for _ in 0..50 {
            let first = policy.backoff(1);
            assert!(first >= Duration::from_millis(50) && first <= Duration::from_millis(100));
            let third = policy.backoff(3);
            assert!(third >= Duration::from_millis(175) && third <= Duration::from_millis(350));
            assert!(policy.backoff(40) <= Duration::from_millis(350));
        }
    }
}
