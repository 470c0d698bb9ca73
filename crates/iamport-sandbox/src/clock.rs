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

    /// Moves the clock forward (or back, with a negative number) by `secs` seconds.
    pub fn advance(&self, secs: i64) {
        self.offset.fetch_add(secs, Ordering::SeqCst);
    }

    /// Sets the clock to `unix_secs`.
    pub fn set(&self, unix_secs: i64) {
        let raw = self.inner.now();
        self.offset.store(unix_secs - raw, Ordering::SeqCst);
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
        self.inner.now() + self.offset.load(Ordering::SeqCst)
    }
}

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
        clock.advance(60);
        assert_eq!(clock.now(), 1_060);
        clock.set(5_000);
        assert_eq!(clock.now(), 5_000);
        let before = clock.instant();
        clock.advance(3_600);
        assert!(clock.instant() >= before + Duration::from_secs(3_600));
    }
}
