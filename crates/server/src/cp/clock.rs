//! Where the leader's time comes from.
//!
//! State machines never read a clock: the leader stamps its time on every record it
//! proposes (and on the periodic ticks), and every replica applies that stamp. Injecting the
//! clock lets tests drive time by hand and makes session expiry and lease timeouts
//! deterministic under test.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use coterie_core::Timestamp;

/// A source of the time the leader stamps on records.
pub trait Clock: Send + Sync + 'static {
    /// The current time.
    fn now(&self) -> Timestamp;
}

/// The machine's wall clock (milliseconds since the UNIX epoch).
#[derive(Clone, Copy, Debug, Default)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> Timestamp {
        let millis = SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |d| d.as_millis());
        Timestamp(u64::try_from(millis).unwrap_or(u64::MAX))
    }
}

/// A clock that moves only when told to; clones share the same time. For tests.
#[derive(Clone, Debug, Default)]
pub struct ManualClock {
    millis: Arc<AtomicU64>,
}

impl ManualClock {
    /// A clock standing at `start`.
    pub fn new(start: Timestamp) -> Self {
        ManualClock { millis: Arc::new(AtomicU64::new(start.0)) }
    }

    /// Moves the clock forward by `by`.
    pub fn advance(&self, by: Duration) {
        let millis = u64::try_from(by.as_millis()).unwrap_or(u64::MAX);
        let _ = self.millis.fetch_update(Ordering::SeqCst, Ordering::SeqCst, |now| Some(now.saturating_add(millis)));
    }

    /// Sets the clock to `to` (which may be earlier: groups never let their time go back).
    pub fn set(&self, to: Timestamp) {
        self.millis.store(to.0, Ordering::SeqCst);
    }
}

impl Clock for ManualClock {
    fn now(&self) -> Timestamp {
        Timestamp(self.millis.load(Ordering::SeqCst))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn manual_clock_moves_only_when_told_and_clones_share_it() {
        let clock = ManualClock::new(Timestamp(1_000));
        let other = clock.clone();
        assert_eq!(clock.now(), Timestamp(1_000));
        other.advance(Duration::from_millis(250));
        assert_eq!(clock.now(), Timestamp(1_250));
        clock.set(Timestamp(5));
        assert_eq!(other.now(), Timestamp(5));
        assert!(SystemClock.now() > Timestamp(1_600_000_000_000));
    }
}
