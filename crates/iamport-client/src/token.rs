//! The access-token cache.
//!
//! - Fast path: a `std` read lock, never held across an `.await`.
//! - Refresh: one caller at a time behind an async gate; whoever waited behind a fetch takes its
//!   outcome (the token, or the same error) instead of fetching again, so N concurrent callers
//!   cause one `getToken`, even when it fails.
//! - Expiry: `local monotonic instant before the request + (expired_at - now)`, both from the
//!   server's clock, so local clock skew does not matter; refreshed [`REFRESH_MARGIN`] early.

use std::future::Future;
use std::sync::{Arc, PoisonError, RwLock, RwLockReadGuard, RwLockWriteGuard};
use std::time::{Duration, Instant};

use tracing::{debug, warn};

use crate::auth::AccessToken;
use crate::clock::Clock;
use crate::error::Error;
use crate::runtime::TokenGrant;

/// How long before expiry a token is refreshed. Under 60 s: the server returns the same token
/// (extending it by 5 minutes) only when asked within its last minute; earlier, it just returns
/// the same token with the same expiry.
pub(crate) const REFRESH_MARGIN: Duration = Duration::from_secs(30);

/// A server-announced lifetime beyond this is not trusted (and cannot overflow an `Instant`).
const MAX_LIFETIME: Duration = Duration::from_secs(24 * 60 * 60);

/// A token is reused for at least this long, whatever its announced lifetime: a server that
/// issues tokens already expired (`expired_at <= now`) then costs one `getToken` per 10 seconds,
/// not one per call. A token the server really refuses is dropped by the 401 path.
pub(crate) const MIN_REUSE: Duration = Duration::from_secs(10);

pub(crate) struct TokenCache {
    clock: Arc<dyn Clock>,
    state: RwLock<State>,
    refresh_gate: tokio::sync::Mutex<()>,
}

#[derive(Default)]
struct State {
    current: Option<Cached>,
    /// Completed fetches (success or failure); also the next token's `fetch_id`.
    fetches: u64,
    /// The error of the last fetch, handed to the callers that waited for it.
    last_failure: Option<Error>,
    /// Whether a grant with an absurd lifetime was already reported (at `warn`, once).
    reported_bad_lifetime: bool,
}

struct Cached {
    token: AccessToken,
    refresh_at: Instant,
}

impl TokenCache {
    pub(crate) fn new(clock: Arc<dyn Clock>) -> Self {
        TokenCache {
            clock,
            state: RwLock::default(),
            refresh_gate: tokio::sync::Mutex::new(()),
        }
    }

    pub(crate) fn clock(&self) -> &Arc<dyn Clock> {
        &self.clock
    }

    /// Whether a token is cached (fresh or not); for `Debug`.
    pub(crate) fn has_token(&self) -> bool {
        self.read().current.is_some()
    }

    /// The cached token, or the result of `fetch` (shared with concurrent callers).
    pub(crate) async fn get<F, Fut>(&self, fetch: F) -> Result<AccessToken, Error>
    where
        F: FnOnce() -> Fut,
        Fut: Future<Output = Result<TokenGrant, Error>>,
    {
        let seen = match self.fresh() {
            Ok(token) => return Ok(token),
            Err(fetches) => fetches,
        };

        let _gate = self.refresh_gate.lock().await;
        // Double-check: a fetch may have completed while we waited for the gate.
        let reason = {
            let state = self.read();
            if let Some(token) = state.fresh_token(self.clock.now()) {
                return Ok(token);
            }
            // A fetch completed while this call waited: take its outcome, whatever it is.
            if state.fetches != seen {
                if let Some(error) = &state.last_failure {
                    debug!(error = %error, "iamport access token fetch failed while this call waited for it");
                    return Err(error.clone());
                }
                if let Some(cached) = &state.current {
                    return Ok(cached.token.clone());
                }
            }
            if state.current.is_some() {
                "due for refresh"
            } else {
                "none cached"
            }
        };

        debug!(reason, "fetching iamport access token");
        // Taken before the request: network latency then shortens the token's life, never extends it.
        let started = self.clock.now();
        let result = fetch().await;

        let mut state = self.write();
        let fetch_id = state.fetches;
        state.fetches += 1;
        match result {
            Ok(auth) => {
                let announced = auth.expired_at.saturating_sub(auth.now);
                let lifetime = u64::try_from(announced)
                    .map_or(Duration::ZERO, Duration::from_secs)
                    .min(MAX_LIFETIME);
                let absurd =
                    announced <= 0 || Duration::from_secs(announced.unsigned_abs()) > MAX_LIFETIME;
                if absurd && !state.reported_bad_lifetime {
                    state.reported_bad_lifetime = true;
                    warn!(
                        server_now = auth.now,
                        server_expired_at = auth.expired_at,
                        reuse_secs = MIN_REUSE.as_secs(),
                        max_lifetime_secs = MAX_LIFETIME.as_secs(),
                        "iamport issued an access token with an absurd lifetime (expired when issued, or over a day); it is reused for at least the floor and at most a day (reported once)"
                    );
                }
                // A token shorter-lived than twice the margin is still used for half its life, and
                // any token for at least `MIN_REUSE`.
                let refresh_at =
                    started + (lifetime - REFRESH_MARGIN.min(lifetime / 2)).max(MIN_REUSE);
                let token = AccessToken::new(auth.access_token, fetch_id);
                debug!(
                    expires_in_secs = lifetime.as_secs(),
                    server_now = auth.now,
                    server_expired_at = auth.expired_at,
                    "fetched iamport access token"
                );
                state.current = Some(Cached {
                    token: token.clone(),
                    refresh_at,
                });
                state.last_failure = None;
                Ok(token)
            }
            Err(error) => {
                debug!(error = %error, "fetching iamport access token failed");
                state.last_failure = Some(error.clone());
                Err(error)
            }
        }
    }

    /// Drops `token` if it is still the cached one (a 401 proved it bad); a newer token that a
    /// concurrent caller already fetched is kept. Returns whether it was dropped.
    pub(crate) fn invalidate(&self, token: &AccessToken) -> bool {
        let mut state = self.write();
        let is_current = state
            .current
            .as_ref()
            .is_some_and(|c| c.token.fetch_id == token.fetch_id);
        if is_current {
            state.current = None;
        }
        is_current
    }

    /// The fresh cached token, or the number of completed fetches seen.
    fn fresh(&self) -> Result<AccessToken, u64> {
        let state = self.read();
        state.fresh_token(self.clock.now()).ok_or(state.fetches)
    }

    // The locks guard plain data and no code panics while holding them, so poisoning is ignored.
    fn read(&self) -> RwLockReadGuard<'_, State> {
        self.state.read().unwrap_or_else(PoisonError::into_inner)
    }

    fn write(&self) -> RwLockWriteGuard<'_, State> {
        self.state.write().unwrap_or_else(PoisonError::into_inner)
    }
}

impl State {
    fn fresh_token(&self, now: Instant) -> Option<AccessToken> {
        let cached = self.current.as_ref()?;
        (now < cached.refresh_at).then(|| cached.token.clone())
    }
}
