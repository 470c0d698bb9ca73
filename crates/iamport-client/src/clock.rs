//! The monotonic clock the token cache reads, injectable so tests can move time without sleeping.

use std::fmt::Debug;
use std::sync::Arc;
use std::time::Instant;

/// A source of monotonic time for token expiry.
///
/// Token expiry is computed as `clock.now() + (expired_at - now)` from the server's own two
/// timestamps, so the wall clock (and its skew against the server) never matters; only this
/// monotonic clock does.
pub trait Clock: Send + Sync + Debug {
    /// The current instant.
    fn now(&self) -> Instant;
}

/// [`Instant::now`]: the default clock.
#[derive(Clone, Copy, Debug, Default)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> Instant {
        Instant::now()
    }
}

/// Lets a test keep a handle on the clock it gives the client (`builder.clock(clock.clone())`).
impl<C: Clock + ?Sized> Clock for Arc<C> {
    fn now(&self) -> Instant {
        (**self).now()
    }
}
