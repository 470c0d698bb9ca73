//! The sandbox's clock: the clock it was given, moved by an offset that tests (through the control
//! API or [`Control`](crate::Control)) can change, so token expiry, virtual-account due dates,
//! schedules and webhook retries happen without waiting.

use std::sync::Arc;
use std::sync::atomic::{AtomicI64, Ordering};
use std::time::{Duration, Instant};

use crate::tokens::Clock;

/// The given clock plus an offset in seconds. Cheap to clone; clones share the offset.
#[derive(Clone)]
pub struct SandboxClock {
    inner: Arc<dyn Clock>,
    offset: Arc<AtomicI64>,
    /// An instant and the sandbox time it was taken at, for clients that count in [`Instant`]s.
    anchor: (Instant, i64),
}

impl SandboxClock {
    pub fn new(inner: impl Clock) -> Self {
        let now = inner.now();
        Self {
            inner: Arc::new(inner),
            offset: Arc::new(AtomicI64::new(0)),
            anchor: (Instant::now(), now),
        }
    }

    /// Moves the clock by `secs` seconds (back, if negative); refused (the clock unmoved) when the
    /// result would leave [`EARLIEST`]..=[`LATEST`].
    pub fn advance(&self, secs: i64) -> Result<i64, OutOfRange> {
        self.set(self.now().checked_add(secs).ok_or(OutOfRange)?)
    }

    /// Sets the clock to `unix_secs`; refused (the clock unmoved) outside [`EARLIEST`]..=[`LATEST`].
    pub fn set(&self, unix_secs: i64) -> Result<i64, OutOfRange> {
        if !(EARLIEST..=LATEST).contains(&unix_secs) {
            return Err(OutOfRange);
        }
        let raw = self.inner.now();
        self.offset.store(unix_secs - raw, Ordering::SeqCst);
        Ok(unix_secs)
    }

    /// The sandbox's "now" as an [`Instant`], for the `IamportClient`'s token cache: the time
    /// elapsed since the clock was made, plus every move since. A move back before that moment
    /// stays at it.
    pub fn instant(&self) -> Instant {
        let (at, then) = self.anchor;
        let since = self.now() - then;
        let real = Instant::now().saturating_duration_since(at);
        let moved = since - real.as_secs() as i64;
        if moved >= 0 {
            Instant::now() + Duration::from_secs(moved as u64)
        } else {
            Instant::now()
                .checked_sub(Duration::from_secs(moved.unsigned_abs()))
                .unwrap_or(at)
                .max(at)
        }
    }
}

impl Clock for SandboxClock {
    fn now(&self) -> i64 {
        self.inner
            .now()
            .saturating_add(self.offset.load(Ordering::SeqCst))
    }
}

/// The earliest time the clock can be set to: 1970-01-01.
pub const EARLIEST: i64 = 0;
/// The latest: 9999-12-31 23:59:59 UTC, so that every time the sandbox derives (a token's expiry, a
/// due date, a retry) stays far from overflowing.
pub const LATEST: i64 = 253_402_300_799;

/// A clock move that would leave [`EARLIEST`]..=[`LATEST`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
#[error(
    "the sandbox's clock stays between {EARLIEST} (1970-01-01) and {LATEST} (9999-12-31) in UNIX seconds"
)]
pub struct OutOfRange;

impl std::fmt::Debug for SandboxClock {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SandboxClock")
            .field("now", &self.now())
            .finish()
    }
}

/// The sandbox's clock as an [`iamport_client::Clock`], so a client made by
/// [`Sandbox::start`](crate::Sandbox::start) sees its tokens expire when the sandbox's clock moves.
#[derive(Clone, Debug)]
pub(crate) struct ClientClock(pub SandboxClock);

impl iamport_client::Clock for ClientClock {
    fn now(&self) -> Instant {
        self.0.instant()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ManualClock;

    #[test]
    fn moves_and_sets() {
        let clock = SandboxClock::new(ManualClock::new(1_000));
        assert_eq!(clock.now(), 1_000);
        assert_eq!(clock.advance(60), Ok(1_060));
        assert_eq!(clock.now(), 1_060);
        assert_eq!(clock.set(5_000), Ok(5_000));
        assert_eq!(clock.now(), 5_000);
        let before = clock.instant();
        clock.advance(3_600).unwrap();
        assert!(clock.instant() >= before + Duration::from_secs(3_600));
        assert_eq!(clock.set(i64::MAX), Err(OutOfRange));
        assert_eq!(clock.advance(i64::MAX), Err(OutOfRange));
        assert_eq!(clock.advance(-10_000), Err(OutOfRange));
        assert_eq!(clock.now(), 8_600, "a refused move leaves the clock");
    }
}
