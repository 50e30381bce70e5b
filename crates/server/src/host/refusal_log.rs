//! Logs refused and failed calls without flooding the log: a client retrying a bad call in
//! a loop, or a thousand callers timing out while a member is down, must not write a line
//! each.
//!
//! [`RateLimited`] is pure (it is handed the time): per kind of answer, at most one line per
//! interval, and the line says how many like it were left out since the last one.

use std::collections::HashMap;
use std::hash::Hash;
use std::time::{Duration, Instant};

/// Admits at most one event per key and interval (see the module docs).
#[derive(Debug)]
pub struct RateLimited<K> {
    every: Duration,
    /// Per key: when its last line was admitted, and how many were left out since.
    last: HashMap<K, (Instant, u64)>,
}

impl<K: Eq + Hash> RateLimited<K> {
    /// A limiter admitting one event per key every `every`.
    pub fn new(every: Duration) -> Self {
        RateLimited { every, last: HashMap::new() }
    }

    /// Whether an event of `key` at `now` is to be logged: `Some(n)` with the number of
    /// events of `key` left out since the last one logged, or `None` to leave it out.
    pub fn admit(&mut self, key: K, now: Instant) -> Option<u64> {
        match self.last.get_mut(&key) {
            Some((at, skipped)) if now.saturating_duration_since(*at) < self.every => {
                *skipped += 1;
                None
            }
            Some((at, skipped)) => {
                *at = now;
                Some(std::mem::take(skipped))
            }
            None => {
                self.last.insert(key, (now, 0));
                Some(0)
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_line_per_key_and_interval_counting_what_was_left_out() {
        let mut limiter = RateLimited::new(Duration::from_secs(10));
        let t0 = Instant::now();
        assert_eq!(limiter.admit("timeout", t0), Some(0));
        assert_eq!(limiter.admit("timeout", t0 + Duration::from_secs(1)), None);
        assert_eq!(limiter.admit("timeout", t0 + Duration::from_secs(9)), None);
        assert_eq!(limiter.admit("invalid", t0 + Duration::from_secs(9)), Some(0), "another key has its own interval");
        assert_eq!(limiter.admit("timeout", t0 + Duration::from_secs(10)), Some(2), "two left out since the last line");
        assert_eq!(limiter.admit("timeout", t0 + Duration::from_secs(25)), Some(0));
    }
}
