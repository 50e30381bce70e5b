//! openraft's state machine over a [`Group`].
//!
//! Every replica applies the committed log to its own `Group`: a record's request with
//! `ApplyCtx { index: log index, now: the leader's stamp, session, invocation }`, so all
//! replicas reach the same state and compute the same replies and wakes. The reply goes to
//! the proposer (if it is waiting on this node); wakes go to this node's [`Waiters`].
//!
//! Snapshots are `(last applied log id, membership, Group::snapshot())`, kept in the
//! group's [`LogStore`](coterie_storage::LogStore) so a restarted node starts from its last
//! snapshot and openraft re-applies the committed log that follows it.

use std::io;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use coterie_core::{ApplyCtx, Group, GroupConfig, LogIndex, Reply, StateMachine};
use coterie_storage::SnapshotMeta as StoredMeta;
use futures_util::{Stream, StreamExt};
use openraft::alias::{SnapshotMetaOf, SnapshotOf};
use openraft::storage::{EntryResponder, RaftStateMachine};
use openraft::{EntryPayload, OptionalSend, RaftSnapshotBuilder};

use super::log_store::{SharedStore, blocking};
use super::types::{
    CpLogId, CpMembership, CpResponse, CpTypes, decode, encode, from_storage_id, storage_io, to_storage_id,
};
use crate::request::JournalRecord;
use crate::waiters::Waiters;

/// What a replica has applied: the group, the last applied log id and the membership.
#[derive(Clone, Debug)]
pub struct AppliedState {
    /// The replicated group.
    pub group: Group,
    /// The last log entry applied to `group`.
    pub last_applied: Option<CpLogId>,
    /// The membership as of `last_applied`.
    pub membership: CpMembership,
}

/// The applied state, shared between the state machine and the node that reads it.
pub type SharedState = Arc<Mutex<AppliedState>>;

fn lock(state: &SharedState) -> MutexGuard<'_, AppliedState> {
    // Applying is a pure function of the log: a panic inside it is a bug that would repeat on
    // every replica, and openraft stops the node on the storage error it causes anyway.
    state.lock().unwrap_or_else(PoisonError::into_inner)
}

/// openraft's [`RaftStateMachine`] over a [`Group`]. Cheap to clone: clones share the state.
#[derive(Clone)]
pub struct CpStateMachine {
    state: SharedState,
    store: SharedStore,
    waiters: Waiters,
}

impl CpStateMachine {
    /// The state machine of the group kept in `store`: restored from its snapshot when there
    /// is one, otherwise an empty group with `config`.
    pub async fn open(store: SharedStore, waiters: Waiters, config: GroupConfig) -> io::Result<Self> {
        let snapshot = blocking(&store, |store| store.load_snapshot().map_err(storage_io)).await?;
        let state = match snapshot {
            Some((meta, data)) => restore(&meta, &data)?,
            None => AppliedState { group: Group::new(config), last_applied: None, membership: CpMembership::default() },
        };
        Ok(CpStateMachine { state: Arc::new(Mutex::new(state)), store, waiters })
    }

    /// The state shared with readers.
    pub fn state(&self) -> SharedState {
        Arc::clone(&self.state)
    }

    /// Applies one normal entry and returns the proposer's response. Wakes are delivered to
    /// this node's waiters after the state lock is released.
    fn apply_record(&self, log_id: CpLogId, record: JournalRecord) -> CpResponse {
        let JournalRecord { now, request } = record;
        let ctx =
            ApplyCtx { index: LogIndex(log_id.index), now, session: request.session, invocation: request.invocation };
        let applied = {
            let mut state = lock(&self.state);
            let applied = state.group.apply(request.command, &ctx);
            state.last_applied = Some(log_id);
            applied
        };
        for effect in applied.effects {
            let coterie_core::Effect::Wake { invocation, result } = effect;
            self.waiters.complete(invocation, result);
        }
        match applied.response {
            Reply::Ready(result) => CpResponse::Ready(result),
            Reply::Parked => CpResponse::Parked,
        }
    }
}

/// Rebuilds the applied state from a stored snapshot.
fn restore(meta: &StoredMeta, data: &[u8]) -> io::Result<AppliedState> {
    let group = Group::restore(data).map_err(|err| io::Error::new(io::ErrorKind::InvalidData, err))?;
    let membership: CpMembership = decode(&meta.membership, "snapshot membership")?;
    Ok(AppliedState { group, last_applied: meta.last_included.as_ref().map(from_storage_id), membership })
}

/// The stored form of a snapshot's metadata.
fn stored_meta(meta: &SnapshotMetaOf<CpTypes>) -> io::Result<StoredMeta> {
    let snapshot_id = match &meta.last_log_id {
        Some(id) => format!("{}-{}-{}", id.leader_id.term, id.leader_id.node_id, id.index),
        None => "empty".to_owned(),
    };
    Ok(StoredMeta {
        last_included: meta.last_log_id.as_ref().map(to_storage_id),
        membership: encode(&meta.last_membership)?,
        snapshot_id,
    })
}

impl RaftStateMachine<CpTypes> for CpStateMachine {
    type SnapshotData = Vec<u8>;
    type SnapshotBuilder = CpStateMachine;

    async fn applied_state(&mut self) -> Result<(Option<CpLogId>, CpMembership), io::Error> {
        let state = lock(&self.state);
        Ok((state.last_applied, state.membership.clone()))
    }

    async fn apply<Strm>(&mut self, mut entries: Strm) -> Result<(), io::Error>
    where
        Strm: Stream<Item = Result<EntryResponder<CpTypes>, io::Error>> + Unpin + OptionalSend,
    {
        while let Some(item) = entries.next().await {
            let (entry, responder) = item?;
            let log_id = entry.log_id;
            let response = match entry.payload {
                EntryPayload::Blank => {
                    lock(&self.state).last_applied = Some(log_id);
                    CpResponse::Ready(Ok(coterie_core::GroupOutput::Unit))
                }
                EntryPayload::Membership(membership) => {
                    let mut state = lock(&self.state);
                    state.membership = CpMembership::new(Some(log_id), membership);
                    state.last_applied = Some(log_id);
                    CpResponse::Ready(Ok(coterie_core::GroupOutput::Unit))
                }
                EntryPayload::Normal(record) => self.apply_record(log_id, record),
            };
            if let Some(responder) = responder {
                responder.send(response);
            }
        }
        Ok(())
    }

    async fn get_snapshot_builder(&mut self) -> Self::SnapshotBuilder {
        self.clone()
    }

    async fn install_snapshot(&mut self, meta: &SnapshotMetaOf<CpTypes>, snapshot: Vec<u8>) -> Result<(), io::Error> {
        let stored = stored_meta(meta)?;
        let restored = restore(&stored, &snapshot)?;
        blocking(&self.store, move |store| store.save_snapshot(&stored, &snapshot).map_err(storage_io)).await?;
        // Wakes inside the entries the snapshot covers are not replayed here: a caller parked
        // on this node across them times out and learns its outcome by retrying.
        *lock(&self.state) = restored;
        Ok(())
    }

    async fn get_current_snapshot(&mut self) -> Result<Option<SnapshotOf<CpTypes, Vec<u8>>>, io::Error> {
        let Some((meta, data)) = blocking(&self.store, |store| store.load_snapshot().map_err(storage_io)).await? else {
            return Ok(None);
        };
        let last_membership: CpMembership = decode(&meta.membership, "snapshot membership")?;
        let meta = SnapshotMetaOf::<CpTypes> {
            last_log_id: meta.last_included.as_ref().map(from_storage_id),
            last_membership,
        };
        Ok(Some(SnapshotOf::<CpTypes, Vec<u8>> { meta, snapshot: data }))
    }
}

impl RaftSnapshotBuilder<CpTypes> for CpStateMachine {
    type SnapshotData = Vec<u8>;

    async fn build_snapshot(&mut self) -> Result<SnapshotOf<CpTypes, Vec<u8>>, io::Error> {
        let (meta, data) = {
            let state = lock(&self.state);
            let data = state.group.snapshot().map_err(|err| io::Error::new(io::ErrorKind::InvalidData, err))?;
            let meta = SnapshotMetaOf::<CpTypes> {
                last_log_id: state.last_applied,
                last_membership: state.membership.clone(),
            };
            (meta, data)
        };
        let stored = stored_meta(&meta)?;
        let bytes = data.clone();
        blocking(&self.store, move |store| store.save_snapshot(&stored, &bytes).map_err(storage_io)).await?;
        Ok(SnapshotOf::<CpTypes, Vec<u8>> { meta, snapshot: data })
    }
}
