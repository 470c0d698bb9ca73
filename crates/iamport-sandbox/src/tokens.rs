//! Access tokens with the real API's semantics.
//!
//! A token lives 30 minutes. Asking again before expiry returns the same token with the same expiry;
//! asking within its last minute extends it by 5 minutes; after expiry a new token is issued and the
//! old one answers 401.

use std::collections::HashMap;
use std::collections::hash_map::RandomState;
use std::hash::BuildHasher;
use std::sync::Mutex;
use std::sync::atomic::{AtomicI64, AtomicU64, Ordering};
use std::time::{SystemTime, UNIX_EPOCH};

pub const LIFETIME_SECS: i64 = 30 * 60;
pub const EXTEND_WITHIN_SECS: i64 = 60;
pub const EXTENSION_SECS: i64 = 5 * 60;

/// The server's clock in UNIX seconds; injectable so tests move time instead of sleeping.
pub trait Clock: Send + Sync + 'static {
    fn now(&self) -> i64;
}

#[derive(Debug, Default)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> i64 {
        SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| d.as_secs() as i64)
    }
}

/// A clock that only moves when told to.
#[derive(Debug)]
pub struct ManualClock(AtomicI64);

impl ManualClock {
    pub fn new(now: i64) -> Self {
        Self(AtomicI64::new(now))
    }
    pub fn advance(&self, secs: i64) {
        self.0.fetch_add(secs, Ordering::SeqCst);
    }
}

impl Clock for ManualClock {
    fn now(&self) -> i64 {
        self.0.load(Ordering::SeqCst)
    }
}

impl<C: Clock> Clock for std::sync::Arc<C> {
    fn now(&self) -> i64 {
        (**self).now()
    }
}

/// A token as getToken reports it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Issued {
    pub access_token: String,
    pub now: i64,
    pub expired_at: i64,
}

#[derive(Default)]
struct State {
    /// token → (imp_key, expired_at)
    by_token: HashMap<String, (String, i64)>,
    /// imp_key → its current token
    by_key: HashMap<String, String>,
}

pub struct TokenStore {
    clock: Box<dyn Clock>,
    state: Mutex<State>,
    hasher: RandomState,
    counter: AtomicU64,
}

impl TokenStore {
    pub fn new(clock: impl Clock) -> Self {
        Self {
            clock: Box::new(clock),
            state: Mutex::default(),
            hasher: RandomState::new(),
            counter: AtomicU64::new(0),
        }
    }

    /// Issues (or reissues) the token of `imp_key`; the caller has checked the secret.
    pub fn issue(&self, imp_key: &str) -> Issued {
        let now = self.clock.now();
        let mut state = self
            .state
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        let current = state.by_key.get(imp_key).cloned();
        if let Some(token) = current {
            if let Some((_, expired_at)) = state.by_token.get_mut(&token)
                && now < *expired_at
            {
                if *expired_at - now <= EXTEND_WITHIN_SECS {
                    *expired_at += EXTENSION_SECS;
                }
                return Issued {
                    access_token: token,
                    now,
                    expired_at: *expired_at,
                };
            }
            state.by_token.remove(&token);
        }
        let token = self.new_token();
        let expired_at = now + LIFETIME_SECS;
        state
            .by_token
            .insert(token.clone(), (imp_key.to_owned(), expired_at));
        state.by_key.insert(imp_key.to_owned(), token.clone());
        Issued {
            access_token: token,
            now,
            expired_at,
        }
    }

    /// Whether `token` was issued here and has not expired.
    pub fn is_valid(&self, token: &str) -> bool {
        let now = self.clock.now();
        let state = self
            .state
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        state
            .by_token
            .get(token)
            .is_some_and(|(_, expired_at)| now < *expired_at)
    }

    /// 40 hex characters, like PortOne's tokens; unguessable enough for a sandbox.
    fn new_token(&self) -> String {
        let n = self.counter.fetch_add(1, Ordering::Relaxed);
        let a = self.hasher.hash_one((n, 'a'));
        let b = self.hasher.hash_one((n, 'b'));
        let c = self.hasher.hash_one((n, 'c'));
        format!("{a:016x}{b:016x}{c:08x}", c = c as u32)
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use super::*;

    fn store() -> (Arc<ManualClock>, TokenStore) {
        let clock = Arc::new(ManualClock::new(1_700_000_000));
        (clock.clone(), TokenStore::new(clock))
    }

    #[test]
    fn a_token_lives_thirty_minutes_and_is_reissued_unchanged() {
        let (clock, tokens) = store();
        let first = tokens.issue("key");
        assert_eq!(first.access_token.len(), 40);
        assert_eq!(first.expired_at - first.now, 30 * 60);
        clock.advance(10 * 60);
        let again = tokens.issue("key");
        assert_eq!(again.access_token, first.access_token);
        assert_eq!(
            again.expired_at, first.expired_at,
            "same expiry before the last minute"
        );
        assert!(tokens.is_valid(&first.access_token));
    }

    #[test]
    fn asking_in_the_last_minute_extends_by_five_minutes() {
        let (clock, tokens) = store();
        let first = tokens.issue("key");
        clock.advance(30 * 60 - 30);
        let extended = tokens.issue("key");
        assert_eq!(extended.access_token, first.access_token);
        assert_eq!(extended.expired_at, first.expired_at + 5 * 60);
        clock.advance(60);
        assert!(
            tokens.is_valid(&first.access_token),
            "valid past its original expiry"
        );
    }

    #[test]
    fn after_expiry_the_token_is_refused_and_a_new_one_issued() {
        let (clock, tokens) = store();
        let first = tokens.issue("key");
        clock.advance(30 * 60);
        assert!(
            !tokens.is_valid(&first.access_token),
            "expired at expired_at exactly"
        );
        let second = tokens.issue("key");
        assert_ne!(second.access_token, first.access_token);
        assert!(!tokens.is_valid(&first.access_token));
        assert!(tokens.is_valid(&second.access_token));
    }

    #[test]
    fn keys_have_their_own_tokens_and_unknown_tokens_are_refused() {
        let (_, tokens) = store();
        let a = tokens.issue("a");
        let b = tokens.issue("b");
        assert_ne!(a.access_token, b.access_token);
        assert!(!tokens.is_valid("not-a-token"));
        assert!(!tokens.is_valid(""));
    }
}
