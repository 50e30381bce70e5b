//! A group made durable by a write-ahead journal.
//!
//! Commands are appended to the [`LogStore`] first, in one durable commit per batch, and
//! applied only after the commit returns: a crash can lose an unanswered command, never an
//! answered one, and a client that retries the lost one is answered from the group's dedup
//! window after replay instead of being applied twice. The clock is the caller's: each
//! batch carries the `now` it was submitted at, journaled with every record, so replay
//! applies the same times and reaches the same state.
//!
//! Snapshots bound the journal: [`JournaledGroup::compact`] stores the group's snapshot and
//! purges the records it covers, and opening restores that snapshot and replays only what
//! follows it.

use coterie_core::{
    Applied, ApplyCtx, CoreError, EntityRegistry, Group, GroupConfig, GroupOutput, LogIndex, StateMachine, Timestamp,
    codec,
};
use coterie_storage::{Entry, LogId, LogStore, SnapshotMeta};

use crate::error::NodeError;
use crate::request::{JournalRecord, Request};

/// How a journaled group is kept.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct JournalConfig {
    /// The group's configuration, used when no snapshot exists yet (a snapshot carries
    /// the configuration the group was created with).
    pub group: GroupConfig,
    /// Compact automatically after this many records since the last snapshot (0: never).
    pub snapshot_every: u64,
}

impl Default for JournalConfig {
    fn default() -> Self {
        JournalConfig { group: GroupConfig::default(), snapshot_every: 10_000 }
    }
}

/// A [`Group`] whose every command is journaled in a [`LogStore`] before it is applied.
pub struct JournaledGroup<S: LogStore> {
    store: S,
    group: Group,
    config: JournalConfig,
    /// Index of the last record applied to `group`.
    applied: u64,
    /// Index of the last record in the journal (the next batch starts after it).
    last: u64,
    /// Index of the last record covered by the stored snapshot.
    snapshot_at: u64,
    /// The term and node new records are stamped with ([`JournaledGroup::stamp_with`]).
    stamp: (u64, u64),
}

impl<S: LogStore> JournaledGroup<S> {
    /// Opens the group kept in `store`: restores its snapshot, if any, and replays the
    /// journal records that follow it. Without a snapshot the group is new, and
    /// `config.group` must pass [`GroupConfig::validate`] ([`NodeError::InvalidConfig`]).
    pub fn open(store: S, config: JournalConfig) -> Result<Self, NodeError> {
        JournaledGroup::open_with(store, config, EntityRegistry::default())
    }

    /// [`JournaledGroup::open`] for a group that applies commands to the user entities of
    /// `entities`: given before the replay, so replayed entity commands are applied as they
    /// were first.
    pub fn open_with(store: S, config: JournalConfig, entities: EntityRegistry) -> Result<Self, NodeError> {
        let (mut group, snapshot_at) = match store.load_snapshot()? {
            Some((meta, data)) => {
                let group = Group::restore(&data).map_err(NodeError::CorruptSnapshot)?;
                (group, meta.last_included.map_or(0, |id| id.index))
            }
            None => (Group::new(config.group.clone().validate()?), 0),
        };
        group.set_entity_types(entities);
        let journal_last = store.log_state()?.last.map_or(0, |id| id.index);
        let last = journal_last.max(snapshot_at);
        let mut journaled =
            JournaledGroup { store, group, config, applied: snapshot_at, last, snapshot_at, stamp: (0, 0) };
        let records = journaled.store.read_range(snapshot_at.saturating_add(1), u64::MAX)?;
        for entry in records {
            let record: JournalRecord = codec::decode(&entry.payload, "journal record")
                .map_err(|err| NodeError::CorruptJournal { index: entry.log_id.index, reason: err.to_string() })?;
            journaled.apply_record(entry.log_id.index, record);
        }
        Ok(journaled)
    }

    /// Stamps the records journaled from now on with `term` and `node` in their log ids
    /// (0 and 0 until this is called). The sharded engine stamps a partition's records with
    /// the epoch the owner serves it at, so the partition log is ordered by (epoch, index)
    /// and a later replica can tell records of an old owner from the current one's. The
    /// index alone still orders records: replay reads them by index.
    pub fn stamp_with(&mut self, term: u64, node: u64) {
        self.stamp = (term, node);
    }

    /// Journals `requests` in one durable commit, then applies them in order at time `now`,
    /// returning each request's result. If the commit fails, none of them is applied.
    pub fn submit(&mut self, requests: Vec<Request>, now: Timestamp) -> Result<Vec<Applied<GroupOutput>>, NodeError> {
        let records: Vec<JournalRecord> = requests.into_iter().map(|request| JournalRecord { now, request }).collect();
        let entries = records
            .iter()
            .zip(self.last.saturating_add(1)..)
            .map(|(record, index)| {
                let payload = codec::encode(record).map_err(NodeError::Encode)?;
                Ok(Entry { log_id: LogId::new(self.stamp.0, self.stamp.1, index), payload })
            })
            .collect::<Result<Vec<_>, NodeError>>()?;
        self.store.append(&entries)?;
        let first = self.last.saturating_add(1);
        self.last = self.last.saturating_add(records.len() as u64);
        let results = (first..).zip(records).map(|(index, record)| self.apply_record(index, record)).collect();
        self.compact_if_due()?;
        Ok(results)
    }

    /// Journals and applies one request; see [`JournaledGroup::submit`].
    pub fn submit_one(&mut self, request: Request, now: Timestamp) -> Result<Applied<GroupOutput>, NodeError> {
        let index = self.last.saturating_add(1);
        let record = JournalRecord { now, request };
        let payload = codec::encode(&record).map_err(NodeError::Encode)?;
        self.store.append(&[Entry { log_id: LogId::new(self.stamp.0, self.stamp.1, index), payload }])?;
        self.last = index;
        let result = self.apply_record(index, record);
        self.compact_if_due()?;
        Ok(result)
    }

    fn compact_if_due(&mut self) -> Result<(), NodeError> {
        let every = self.config.snapshot_every;
        if every > 0 && self.applied - self.snapshot_at >= every {
            self.compact()?;
        }
        Ok(())
    }

    /// Answers `request` from the current state without journaling it, if it is a read
    /// (see [`StateMachine::read`]); `None` means it must be submitted. A single node's state
    /// is always current, so the answer is as fresh as a journaled read would be.
    pub fn read(&self, request: &Request, now: Timestamp) -> Option<Result<GroupOutput, CoreError>> {
        let ctx = ApplyCtx { index: LogIndex(self.applied), now, session: request.session, invocation: None };
        self.group.read(&request.command, &ctx)
    }

    /// Stores a snapshot of the group and purges the journal records it covers.
    pub fn compact(&mut self) -> Result<(), NodeError> {
        if self.applied == self.snapshot_at {
            return Ok(());
        }
        let data = self.group.snapshot().map_err(NodeError::Encode)?;
        let last = LogId::new(self.stamp.0, self.stamp.1, self.applied);
        let meta = SnapshotMeta {
            last_included: Some(last.clone()),
            membership: Vec::new(),
            snapshot_id: format!("local-{}", self.applied),
        };
        self.store.save_snapshot(&meta, &data)?;
        self.store.purge_up_to(last)?;
        self.snapshot_at = self.applied;
        Ok(())
    }

    /// A snapshot of the group's state as it is now (what a partition handoff carries).
    pub fn snapshot(&self) -> Result<Vec<u8>, NodeError> {
        self.group.snapshot().map_err(NodeError::Encode)
    }

    /// The group's current state.
    pub fn group(&self) -> &Group {
        &self.group
    }

    /// Index of the last applied record.
    pub fn applied_index(&self) -> u64 {
        self.applied
    }

    /// Closes the group, handing back its store.
    pub fn into_store(self) -> S {
        self.store
    }

    fn apply_record(&mut self, index: u64, record: JournalRecord) -> Applied<GroupOutput> {
        let JournalRecord { now, request } = record;
        let ctx = ApplyCtx { index: LogIndex(index), now, session: request.session, invocation: request.invocation };
        self.applied = index;
        self.group.apply(request.command, &ctx)
    }
}

#[cfg(test)]
#[path = "journal_tests.rs"]
mod tests;
