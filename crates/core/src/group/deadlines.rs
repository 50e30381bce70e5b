//! Which structures have a deadline, in time order, so a tick visits only the structures
//! whose timed waits or leases are due instead of every structure in the group.
//!
//! It is derived from the structures (their `next_deadline`) and rebuilt on restore, so it
//! is never part of a snapshot.

use std::collections::{BTreeMap, BTreeSet};

use crate::types::Timestamp;

/// Structure names ordered by their next deadline.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct DeadlineIndex {
    by_name: BTreeMap<String, Timestamp>,
    by_time: BTreeSet<(Timestamp, String)>,
}

impl DeadlineIndex {
    /// Records `name`'s next deadline (or that it has none).
    pub fn set(&mut self, name: &str, deadline: Option<Timestamp>) {
        if let Some(old) = self.by_name.remove(name) {
            self.by_time.remove(&(old, name.to_owned()));
        }
        if let Some(deadline) = deadline {
            self.by_name.insert(name.to_owned(), deadline);
            self.by_time.insert((deadline, name.to_owned()));
        }
    }

    /// Names whose deadline is at or before `now`, earliest first.
    pub fn due(&self, now: Timestamp) -> Vec<String> {
        self.by_time.iter().take_while(|(t, _)| *t <= now).map(|(_, name)| name.clone()).collect()
    }

    /// The earliest deadline in the group, for the driver's tick scheduling.
    pub fn earliest(&self) -> Option<Timestamp> {
        self.by_time.first().map(|(t, _)| *t)
    }
}
