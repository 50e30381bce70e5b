//! Partition moves with one copy (issue 11 item 7): the old owner hands a partition's state
//! to its new owner, and the metadata group commits the switch.
//!
//! The partition table plans moves (`coterie_core::placement`): a member that joins is
//! given the partitions the ring now wants on it, a member that leaves gives its own away,
//! at most `max_in_flight` at a time, each marked `Moving { from, to, epoch }` by the
//! metadata leader. This module carries a planned move out:
//!
//! 1. **Seal** (on `from`, once it applied the Moving table): the replica stops taking calls
//!    (they wait in `host/sharded_entry.rs` and are routed again once the move is decided),
//!    serves the ones already queued, cancels its parked calls in its journal, and
//!    snapshots itself. From here on `from` acknowledges no write of the partition.
//! 2. **Install** (`from` → `to`, `PartitionService.Handoff`): `to` checks that its own
//!    applied table shows the same move, replaces any older copy it has with the snapshot,
//!    durably, and answers.
//! 3. **Finish** (`from` → the metadata leader): the leader commits
//!    [`PartitionTable::move_done`] by compare-and-set; a completion for a move since
//!    cancelled is refused and changes nothing.
//! 4. **Afterwards** (every look of the driver): the new owner serves the partition once it
//!    applied the finished table; the old owner closes its copy (its log stays in the data
//!    file until a later install replaces it); a replica sealed for a move that was
//!    cancelled serves again.
//!
//! Why no acknowledged write is lost: `from` acknowledges nothing after the seal, the
//! snapshot is taken after the seal, and `to` serves only after the switch is committed,
//! which happens only after `to` holds the snapshot durably. A failed step is simply
//! retried on the driver's next look (a second seal is a no-op, a second install replaces
//! the first); a member that dies mid-move makes the move cancelled (target gone: `from`
//! serves again) or the partition lost (source gone: it waits for `from`'s return, never
//! recreated empty).
//!
//! What it does not do yet: a partition moves as one message of at most
//! [`MAX_HANDOFF_BYTES`] (a larger one is refused, and stays where it is); calls parked on a
//! moving partition (a blocking take, a lock wait) are answered `cancelled` and must be
//! made again; the old owner's copy is closed but not deleted from its data file.

use std::sync::Arc;
use std::time::Duration;

use coterie_api::pb::HandoffRequest;
use coterie_api::pb::partition_service_client::PartitionServiceClient;
use coterie_core::kinds::atomic_reference::{AtomicReferenceCommand, AtomicReferenceOutput};
use coterie_core::placement::{MoveDone, PartitionId, PartitionState, PartitionTable};
use coterie_core::{CoreError, EngineError, GroupOutput, StructureOutput, codec};
use serde::{Deserialize, Serialize};
use tokio::time::Instant;

use super::Inner;
use super::raft_client::CLUSTER_SECRET_HEADER;
use super::sharded::{read_register, register};
use crate::shard::{self, ForwardAnswer, Handoff, PARTITIONS};

/// The largest partition state (and handoff message) that can move.
pub const MAX_HANDOFF_BYTES: usize = 256 << 20;

/// How long the calls queued on a partition may take to finish once it is sealed.
const SEAL_TIMEOUT: Duration = Duration::from_secs(10);

/// How long one handoff message may take.
const HANDOFF_TIMEOUT: Duration = Duration::from_secs(30);

/// How long the new owner waits for its table to show the move it is sent.
const TABLE_WAIT: Duration = Duration::from_secs(5);

/// How long a leaving member may take to answer a probe before its removal stops waiting
/// for its handoffs, and how often it is probed meanwhile.
const PROBE_TIMEOUT: Duration = Duration::from_secs(1);
const PROBE_EVERY: Duration = Duration::from_millis(500);

/// How many compare-and-set attempts the metadata leader makes to finish one move.
const CAS_ATTEMPTS: usize = 8;

/// One step of a move, member to member (see the module docs).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub(super) enum HandoffMessage {
    /// To the new owner: the sealed state of `partition`, moving from `from` at `epoch`.
    Install {
        /// The partition.
        partition: u32,
        /// Its old owner, the sender.
        from: u64,
        /// The move's epoch.
        epoch: u64,
        /// The index of the last record the snapshot covers.
        index: u64,
        /// The group's snapshot.
        snapshot: Vec<u8>,
    },
    /// Whether the receiver runs (a removal waits for a leaving member's handoffs only
    /// while it does).
    Probe,
    /// To the metadata leader: the new owner holds the partition; commit the switch.
    FinishMove {
        /// The partition.
        partition: u32,
        /// The move's epoch.
        epoch: u64,
    },
}

/// How many partitions of `table` are on member `id` (owned, or moving to or from it);
/// its lost partitions aside.
pub(super) fn partitions_on(table: &PartitionTable, id: u64) -> usize {
    table
        .iter()
        .filter(|(_, entry)| {
            entry.state.holder() == Some(id) || matches!(entry.state, PartitionState::Moving { to, .. } if to == id)
        })
        .count()
}

fn refused(reason: String) -> EngineError {
    EngineError::Core(CoreError::invalid_request("handoff", reason))
}

impl Inner {
    /// Passes a read barrier of the metadata group once after start, so this member's
    /// applied partition table is at least as new as any it acted on before a restart
    /// (see `host/sharded_entry.rs`); until then it serves no sharded call.
    pub(super) async fn catch_up_sharded(&self) {
        use std::sync::atomic::Ordering;
        if self.sharded_fresh.load(Ordering::SeqCst) {
            return;
        }
        let Some(node) = self.metadata() else { return };
        if super::blob_maintenance::barrier(self, coterie_api::convert::METADATA_GROUP, &node).await.is_ok() {
            self.sharded_fresh.store(true, Ordering::SeqCst);
        }
    }

    /// One look of the move driver: starts the handoff of every partition the applied table
    /// moves away from this member (one task per partition), closes the copies of
    /// partitions moved away, and unseals replicas whose move was cancelled.
    pub(super) fn drive_moves(&self) {
        use std::sync::atomic::Ordering;
        let Some(table) = self.partition_table() else { return };
        let Some(inner) = self.this.upgrade() else { return };
        if !self.sharded_fresh.load(Ordering::SeqCst) {
            return;
        }
        let me = self.config.id;
        let mut moves = self.moves.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        for (partition, entry) in table.iter() {
            match entry.state {
                PartitionState::Moving { from, to, epoch } if from == me => {
                    if moves.insert(partition) {
                        let inner = Arc::clone(&inner);
                        tokio::spawn(async move {
                            // A failure is retried on the next look.
                            let _ = inner.hand_partition_over(partition, to, epoch).await;
                            inner.moves.lock().unwrap_or_else(std::sync::PoisonError::into_inner).remove(&partition);
                        });
                    }
                }
                PartitionState::Owned { owner } if owner == me => {
                    if !moves.contains(&partition)
                        && let Some(replica) = self.shards.open_replica(partition)
                        && replica.is_sealed()
                    {
                        replica.unseal();
                    }
                }
                // Another member serves it, or will once its move finishes: a copy here
                // (left by a finished move away) is closed. A lost partition's copy is kept.
                PartitionState::Owned { .. } | PartitionState::Moving { .. } | PartitionState::Unassigned => {
                    let incoming = matches!(entry.state, PartitionState::Moving { to, .. } if to == me);
                    if !incoming && !moves.contains(&partition) && self.shards.open_replica(partition).is_some() {
                        self.shards.evict(partition);
                    }
                }
                PartitionState::Lost { .. } => {}
            }
        }
    }

    /// Whether member `id` answers a handoff probe within [`PROBE_TIMEOUT`].
    pub(super) async fn answers_handoffs(&self, id: u64) -> bool {
        let probe = tokio::time::timeout(PROBE_TIMEOUT, self.send_handoff(id, &HandoffMessage::Probe)).await;
        matches!(probe, Ok(Ok(_)))
    }

    /// Waits until this member's applied partition table has no partition on member `id`,
    /// or moving to or from it (its lost partitions aside: those wait for it to return, or
    /// for an administrator to accept the loss). What a removal waits for before it takes
    /// the member out, so a graceful leave hands every partition over first. A member that
    /// does not answer cannot hand anything over: the removal goes on without waiting, and
    /// the partitions only it held are then lost, naming it (never recreated empty).
    pub(super) async fn await_partitions_moved_off(&self, id: u64, deadline: Instant) -> Result<(), EngineError> {
        let mut next_probe = Instant::now();
        loop {
            let held = self.partition_table().map_or(0, |table| partitions_on(&table, id));
            if held == 0 {
                return Ok(());
            }
            if Instant::now() >= next_probe {
                if !self.answers_handoffs(id).await {
                    return Ok(());
                }
                next_probe = Instant::now() + PROBE_EVERY;
            }
            if Instant::now() >= deadline {
                return Err(EngineError::Stopped {
                    reason: format!(
                        "member {id} still holds {held} partitions that are moving to the other members; its removal \
                         waits for them: retry it with a longer timeout (it is Leaving meanwhile)"
                    ),
                });
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }

    /// Hands `partition` to member `to` (the move of `epoch`): seal, install, finish.
    async fn hand_partition_over(&self, partition: PartitionId, to: u64, epoch: u64) -> Result<(), EngineError> {
        let table = self.partition_table().ok_or_else(super::sharded_entry::no_table)?;
        let replica = self.shards.replica(partition, table.ring_epoch(), self.config.id).await?;
        let Handoff { index, snapshot } = replica.seal(SEAL_TIMEOUT).await?;
        let install = HandoffMessage::Install { partition: partition.0, from: self.config.id, epoch, index, snapshot };
        self.send_handoff(to, &install).await?;
        let finish = HandoffMessage::FinishMove { partition: partition.0, epoch };
        // The metadata leader commits the switch; a redirect names the leader to ask.
        let mut leader = self.metadata().and_then(|node| node.leader()).map(|(id, _)| id);
        for _ in 0..3 {
            let Some(member) = leader else { break };
            let answer = if member == self.config.id {
                self.finish_move(partition, epoch).await
            } else {
                self.send_handoff(member, &finish).await
            };
            match answer {
                Err(EngineError::Redirect { member: next, .. }) => leader = next,
                answer => return answer.map(|_| ()),
            }
        }
        Err(EngineError::Stopped { reason: format!("no metadata leader to finish the move of {partition}") })
    }

    /// Sends one handoff step to `member`.
    async fn send_handoff(&self, member: u64, message: &HandoffMessage) -> Result<GroupOutput, EngineError> {
        let unreachable = |reason: String| EngineError::Stopped { reason: format!("member {member}: {reason}") };
        let channel = self.peers.channel(member).map_err(unreachable)?;
        let mut request = tonic::Request::new(HandoffRequest { message: codec::encode(message)? });
        request.set_timeout(HANDOFF_TIMEOUT);
        if let Some(secret) = self.peers.secret() {
            request.metadata_mut().insert(CLUSTER_SECRET_HEADER, secret.clone());
        }
        let mut client = PartitionServiceClient::new(channel)
            .max_decoding_message_size(MAX_HANDOFF_BYTES)
            .max_encoding_message_size(MAX_HANDOFF_BYTES);
        let response = client.handoff(request).await.map_err(|status| unreachable(status.message().to_owned()))?;
        let answer: ForwardAnswer = codec::decode(&response.into_inner().answer, "handoff answer")?;
        answer.into()
    }

    /// Serves one handoff step another member sent.
    pub(super) async fn serve_handoff(&self, message: HandoffMessage) -> Result<GroupOutput, EngineError> {
        match message {
            HandoffMessage::Install { partition, from, epoch, index, snapshot } => {
                let partition = PartitionId(partition);
                self.await_incoming(partition, from, epoch).await?;
                self.shards.install(partition, from, epoch, self.config.id, Handoff { index, snapshot }).await?;
                Ok(GroupOutput::Bool(true))
            }
            HandoffMessage::FinishMove { partition, epoch } => self.finish_move(PartitionId(partition), epoch).await,
            // A stopped node may still answer on a connection opened before it stopped.
            HandoffMessage::Probe if self.stopping.load(std::sync::atomic::Ordering::SeqCst) => {
                Err(EngineError::Stopped { reason: "the member is stopping".to_owned() })
            }
            HandoffMessage::Probe => Ok(GroupOutput::Bool(true)),
        }
    }

    /// Waits (bounded) until this member's applied table shows `partition` moving from
    /// `from` to it at `epoch`; refuses a handoff of any other move.
    async fn await_incoming(&self, partition: PartitionId, from: u64, epoch: u64) -> Result<(), EngineError> {
        let deadline = Instant::now() + TABLE_WAIT;
        let expected = PartitionState::Moving { from, to: self.config.id, epoch };
        loop {
            let state = self.partition_table().and_then(|table| table.state(partition).ok());
            if state == Some(expected) {
                return Ok(());
            }
            if Instant::now() >= deadline {
                return Err(refused(format!(
                    "member {} was sent {partition} from member {from} (move epoch {epoch}), but its partition table \
                     shows {state:?}: the move was cancelled or has not reached this member",
                    self.config.id
                )));
            }
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    }

    /// On the metadata leader: commits the end of `partition`'s move of `epoch`.
    async fn finish_move(&self, partition: PartitionId, epoch: u64) -> Result<GroupOutput, EngineError> {
        let node = self.metadata().ok_or(EngineError::Redirect { member: None, address: None })?;
        if !node.raft().is_leader() {
            let leader = node.leader();
            return Err(EngineError::Redirect {
                member: leader.as_ref().map(|(id, _)| *id),
                address: leader.map(|(_, address)| address),
            });
        }
        for _ in 0..CAS_ATTEMPTS {
            let current = read_register(&node, PARTITIONS).await?;
            let table = shard::table::decode(current.as_deref())?.ok_or_else(super::sharded_entry::no_table)?;
            let next = match table.move_done(partition, epoch) {
                MoveDone::Finished(transition) => transition.table,
                MoveDone::Ignored(stale) => return Err(refused(format!("the move is not running: {stale:?}"))),
            };
            let update = Some(shard::table::encode(&next)?);
            let cas = AtomicReferenceCommand::CompareAndSet { expected: current, update };
            match node.call(register(PARTITIONS, cas), HANDOFF_TIMEOUT).await? {
                GroupOutput::Structure(StructureOutput::AtomicReference(AtomicReferenceOutput::Bool(true))) => {
                    return Ok(GroupOutput::Bool(true));
                }
                // Another change of the table won the race: read again.
                _ => continue,
            }
        }
        Err(EngineError::Stopped { reason: format!("the move of {partition} could not be committed; retry") })
    }
}
