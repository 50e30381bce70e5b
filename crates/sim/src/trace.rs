//! The run's trace: every network decision and client event, with its virtual time, folded
//! into one hash.
//!
//! Two runs of the same seed are the same run exactly when their traces are equal, which is
//! how determinism is checked (`tests/determinism.rs`). The hash is FNV-1a, written here so
//! that it never changes with a dependency; the lines themselves are kept only when asked for
//! (to find where two runs diverge), because a run records tens of thousands of events.

use std::time::Duration;

const FNV_OFFSET: u64 = 0xcbf2_9ce4_8422_2325;
const FNV_PRIME: u64 = 0x0000_0100_0000_01b3;

/// FNV-1a of `bytes`, continuing from `hash`.
pub fn fnv1a(mut hash: u64, bytes: &[u8]) -> u64 {
    for byte in bytes {
        hash ^= u64::from(*byte);
        hash = hash.wrapping_mul(FNV_PRIME);
    }
    hash
}

/// FNV-1a of `bytes` from the standard offset.
pub fn hash_bytes(bytes: &[u8]) -> u64 {
    fnv1a(FNV_OFFSET, bytes)
}

/// A running trace of a simulation.
#[derive(Clone, Debug)]
pub struct Trace {
    hash: u64,
    events: u64,
    lines: Option<Vec<String>>,
    live: bool,
}

impl Trace {
    /// An empty trace; `keep_lines` keeps every event's text as well as the hash.
    pub fn new(keep_lines: bool) -> Self {
        Trace { hash: FNV_OFFSET, events: 0, lines: keep_lines.then(Vec::new), live: false }
    }

    /// Also prints every event to stderr as it is recorded (to watch a run that hangs).
    pub fn live(mut self) -> Self {
        self.live = true;
        self
    }

    /// Records `event` at virtual time `at` (since the start of the run).
    pub fn record(&mut self, at: Duration, event: &str) {
        let line = format!("{:>10}us {event}", at.as_micros());
        self.hash = fnv1a(self.hash, line.as_bytes());
        self.hash = fnv1a(self.hash, b"\n");
        self.events += 1;
        if self.live {
            eprintln!("{line}");
        }
        if let Some(lines) = &mut self.lines {
            lines.push(line);
        }
    }

    /// The hash of every event so far.
    pub fn hash(&self) -> u64 {
        self.hash
    }

    /// How many events were recorded.
    pub fn events(&self) -> u64 {
        self.events
    }

    /// The recorded lines, if they were kept.
    pub fn lines(&self) -> Option<&[String]> {
        self.lines.as_deref()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn equal_events_give_equal_hashes_and_any_difference_shows() {
        let mut a = Trace::new(true);
        let mut b = Trace::new(false);
        for t in [&mut a, &mut b] {
            t.record(Duration::from_millis(1), "x");
            t.record(Duration::from_millis(2), "y");
        }
        assert_eq!(a.hash(), b.hash());
        assert_eq!(a.events(), 2);
        assert_eq!(a.lines().map(<[String]>::len), Some(2));
        b.record(Duration::from_millis(2), "z");
        assert_ne!(a.hash(), b.hash());
        // FNV-1a's published value for "a".
        assert_eq!(hash_bytes(b"a"), 0xaf63_dc4c_8601_ec8c);
    }
}
