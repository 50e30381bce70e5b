//! Map: byte-string keys to byte-string values (seed 000 `d.map`, Hazelcast `IMap` basics).
//!
//! Mutations answer what they replaced, as `IMap` does, so a caller learns the outcome of
//! its own write without a second read that other writers could overtake. `None` always
//! means "no entry"; an empty value is a real value (`Some(vec![])`), so absence and
//! emptiness never blur. `CompareAndSet` takes optional sides for the same reason: one
//! operation covers insert-if-absent (`expected: None`), conditional update and
//! delete-if-unchanged (`update: None`).
//!
//! Entries are kept in ascending byte order of their keys, and listings are paged by key
//! rather than by offset: a page request names the last key the caller has seen. Writes
//! between two pages therefore never make the listing skip or repeat an entry that was
//! present throughout, and each page costs a range lookup, not a scan from the start.

use std::collections::BTreeMap;
use std::ops::Bound;

use serde::{Deserialize, Serialize};

use crate::ctx::ApplyCtx;
use crate::error::{CoreError, InvalidReason};
use crate::machine::{Applied, StateMachine, answered};

/// The largest `limit` a page request (map keys or entries, set members) accepts.
pub const MAX_PAGE_LIMIT: u32 = 10_000;

/// Checks a page request's `limit` (1..=[`MAX_PAGE_LIMIT`]) for `operation`.
pub(crate) fn check_page_limit(operation: &'static str, limit: u32) -> Result<usize, CoreError> {
    if limit == 0 || limit > MAX_PAGE_LIMIT {
        return Err(CoreError::invalid(operation, InvalidReason::PageLimit { limit, max: MAX_PAGE_LIMIT }));
    }
    usize::try_from(limit)
        .map_err(|_| CoreError::invalid(operation, InvalidReason::PageLimit { limit, max: MAX_PAGE_LIMIT }))
}

/// The range bound that starts a page strictly after `after` (from the beginning if `None`).
pub(crate) fn page_start(after: Option<Vec<u8>>) -> (Bound<Vec<u8>>, Bound<Vec<u8>>) {
    (after.map_or(Bound::Unbounded, Bound::Excluded), Bound::Unbounded)
}

/// Takes up to `limit` items from `items` (already positioned at the page start), and the
/// cursor for the next page: the last item's key when the page is full and more follow.
pub(crate) fn collect_page<T>(
    mut items: impl Iterator<Item = T>,
    limit: usize,
    key: impl Fn(&T) -> Vec<u8>,
) -> (Vec<T>, Option<Vec<u8>>) {
    let page: Vec<T> = items.by_ref().take(limit).collect();
    let next = if page.len() == limit && items.next().is_some() { page.last().map(key) } else { None };
    (page, next)
}

/// A collection size as the `u64` the outputs carry.
pub(crate) fn count(len: usize) -> u64 {
    u64::try_from(len).unwrap_or(u64::MAX)
}

/// Operations on a Map.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum MapCommand {
    /// Store `value` under `key`. Answers [`MapOutput::Value`] with the previous value.
    Put {
        /// The key.
        key: Vec<u8>,
        /// The value to store.
        value: Vec<u8>,
    },
    /// The value under `key`. Answers [`MapOutput::Value`], `None` when absent.
    Get {
        /// The key.
        key: Vec<u8>,
    },
    /// Whether `key` has an entry. Answers [`MapOutput::Bool`].
    Contains {
        /// The key.
        key: Vec<u8>,
    },
    /// Remove the entry under `key`. Answers [`MapOutput::Bool`]: whether it existed.
    Delete {
        /// The key.
        key: Vec<u8>,
    },
    /// Store `value` only if `key` has no entry. Answers [`MapOutput::Value`] with the
    /// existing value (nothing stored), or `None` when it inserted.
    PutIfAbsent {
        /// The key.
        key: Vec<u8>,
        /// The value to store if the key is absent.
        value: Vec<u8>,
    },
    /// Store `value` only if `key` already has an entry. Answers [`MapOutput::Value`] with
    /// the previous value, or `None` when the key was absent and nothing was stored.
    Replace {
        /// The key.
        key: Vec<u8>,
        /// The new value.
        value: Vec<u8>,
    },
    /// Set the entry under `key` to `update` if it is currently `expected`; answers
    /// [`MapOutput::Bool`]: whether it did. `None` on either side means "no entry": expected
    /// `None` requires the key to be absent, update `None` deletes it.
    CompareAndSet {
        /// The key.
        key: Vec<u8>,
        /// The value the caller believes is current (`None`: absent).
        expected: Option<Vec<u8>>,
        /// The value to store (`None`: delete the entry).
        update: Option<Vec<u8>>,
    },
    /// The number of entries. Answers [`MapOutput::Count`].
    Size,
    /// One page of keys in ascending byte order. Answers [`MapOutput::Keys`].
    Keys {
        /// Start strictly after this key (`None`: from the first key).
        after: Option<Vec<u8>>,
        /// At most this many keys, 1..=[`MAX_PAGE_LIMIT`].
        limit: u32,
    },
    /// One page of entries in ascending key order. Answers [`MapOutput::Entries`].
    Entries {
        /// Start strictly after this key (`None`: from the first key).
        after: Option<Vec<u8>>,
        /// At most this many entries, 1..=[`MAX_PAGE_LIMIT`].
        limit: u32,
    },
    /// Remove every entry. Answers [`MapOutput::Count`] with how many were removed.
    Clear,
}

impl MapCommand {
    /// Total bytes of user data carried (keys + values), checked against the group's size limit.
    pub fn payload_len(&self) -> usize {
        let len = |bytes: &Option<Vec<u8>>| bytes.as_ref().map_or(0, Vec::len);
        match self {
            MapCommand::Put { key, value }
            | MapCommand::PutIfAbsent { key, value }
            | MapCommand::Replace { key, value } => key.len().saturating_add(value.len()),
            MapCommand::Get { key } | MapCommand::Contains { key } | MapCommand::Delete { key } => key.len(),
            MapCommand::CompareAndSet { key, expected, update } => {
                key.len().saturating_add(len(expected)).saturating_add(len(update))
            }
            MapCommand::Keys { after, .. } | MapCommand::Entries { after, .. } => len(after),
            MapCommand::Size | MapCommand::Clear => 0,
        }
    }
}

/// Results of [`MapCommand`]s.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum MapOutput {
    /// A value (current, previous or existing, as the command says); `None`: no entry.
    Value(Option<Vec<u8>>),
    /// A yes/no answer.
    Bool(bool),
    /// A number of entries.
    Count(u64),
    /// A page of keys.
    Keys {
        /// The keys, in ascending byte order.
        keys: Vec<Vec<u8>>,
        /// Pass as `after` to get the next page; `None` when the listing is complete.
        next: Option<Vec<u8>>,
    },
    /// A page of entries.
    Entries {
        /// The entries as `(key, value)`, in ascending key order.
        entries: Vec<(Vec<u8>, Vec<u8>)>,
        /// Pass as `after` to get the next page; `None` when the listing is complete.
        next: Option<Vec<u8>>,
    },
}

/// A Map's replicated state.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Map {
    entries: BTreeMap<Vec<u8>, Vec<u8>>,
}

impl Map {
    /// Number of entries.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// Whether the map has no entries.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    fn compare_and_set(&mut self, key: Vec<u8>, expected: Option<Vec<u8>>, update: Option<Vec<u8>>) -> bool {
        if self.entries.get(&key) != expected.as_ref() {
            return false;
        }
        match update {
            Some(value) => {
                self.entries.insert(key, value);
            }
            None => {
                self.entries.remove(&key);
            }
        }
        true
    }

    fn keys(&self, after: Option<Vec<u8>>, limit: u32) -> Result<MapOutput, CoreError> {
        let limit = check_page_limit("keys", limit)?;
        let range = self.entries.range(page_start(after)).map(|(k, _)| k.clone());
        let (keys, next) = collect_page(range, limit, Clone::clone);
        Ok(MapOutput::Keys { keys, next })
    }

    fn entries(&self, after: Option<Vec<u8>>, limit: u32) -> Result<MapOutput, CoreError> {
        let limit = check_page_limit("entries", limit)?;
        let range = self.entries.range(page_start(after)).map(|(k, v)| (k.clone(), v.clone()));
        let (entries, next) = collect_page(range, limit, |(k, _)| k.clone());
        Ok(MapOutput::Entries { entries, next })
    }
}

impl StateMachine for Map {
    type Command = MapCommand;
    type Output = MapOutput;

    fn read(&self, command: &MapCommand, _ctx: &ApplyCtx) -> Option<Result<MapOutput, CoreError>> {
        use MapCommand as C;
        match command {
            C::Get { key } => Some(Ok(MapOutput::Value(self.entries.get(key).cloned()))),
            C::Contains { key } => Some(Ok(MapOutput::Bool(self.entries.contains_key(key)))),
            C::Size => Some(Ok(MapOutput::Count(count(self.entries.len())))),
            C::Keys { after, limit } => Some(self.keys(after.clone(), *limit)),
            C::Entries { after, limit } => Some(self.entries(after.clone(), *limit)),
            C::Put { .. }
            | C::Delete { .. }
            | C::PutIfAbsent { .. }
            | C::Replace { .. }
            | C::CompareAndSet { .. }
            | C::Clear => None,
        }
    }

    fn apply(&mut self, command: MapCommand, ctx: &ApplyCtx) -> Applied<MapOutput> {
        use MapCommand as C;
        let output = match command {
            C::Put { key, value } => MapOutput::Value(self.entries.insert(key, value)),
            C::Delete { key } => MapOutput::Bool(self.entries.remove(&key).is_some()),
            C::PutIfAbsent { key, value } => match self.entries.get(&key) {
                Some(existing) => MapOutput::Value(Some(existing.clone())),
                None => {
                    self.entries.insert(key, value);
                    MapOutput::Value(None)
                }
            },
            C::Replace { key, value } => {
                MapOutput::Value(self.entries.get_mut(&key).map(|slot| std::mem::replace(slot, value)))
            }
            C::CompareAndSet { key, expected, update } => MapOutput::Bool(self.compare_and_set(key, expected, update)),
            read @ (C::Get { .. } | C::Contains { .. } | C::Size | C::Keys { .. } | C::Entries { .. }) => {
                return answered(self.read(&read, ctx));
            }
            C::Clear => {
                let removed = count(self.entries.len());
                self.entries.clear();
                MapOutput::Count(removed)
            }
        };
        Applied::ok(output)
    }
}

#[cfg(test)]
#[path = "map_tests.rs"]
mod tests;
