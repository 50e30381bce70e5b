//! A sharded call's way to its partition's owner, through partition moves.
//!
//! Every sharded call, from a face on this member or forwarded by another, is served by a
//! [`ShardedEntry`]: it locates the call's partition in the applied partition table and
//!
//! - **serves** it from this member's replica if the table says this member owns it;
//! - **forwards** it one hop to the owner if another member owns it (a call that was itself
//!   forwarded is answered with a redirect instead, so a call never makes two hops from
//!   the member that forwarded it; so is a call whose client asked for redirects,
//!   [`CallOptions::redirect`]: the Rust client routes calls from its cached partition
//!   table and, when that is stale, follows the redirect and refreshes the table);
//! - **waits** while the partition is *moving*, and routes the call again once the move is
//!   decided (finished: the new owner serves it; cancelled: the old one does).
//!
//! Why waiting is safe and enough (partition moves, `host/handoff.rs`): no member serves a
//! partition its applied table shows moving. The old owner seals its replica when it
//! applies the move (the calls already queued finish first; later ones are answered with a
//! redirect, nothing applied), hands the sealed state over, and only then is the move
//! committed; the new owner serves only once it applied that commit. So at every moment at
//! most one member serves a partition, and the state the new owner starts from holds every
//! write the old one acknowledged. A call that meets a sealed replica or a redirect was not
//! applied; routing it again with the same invocation keeps retries exactly once, since the
//! dedup records travel with the state. Each wait is bounded by the call's own time.
//!
//! A member that restarted does not serve or forward sharded calls until its metadata
//! replica passed a read barrier (`fresh`): before that its applied table may predate a
//! move away from it, and serving from it would accept writes the new owner never sees.

use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::Duration;

use coterie_core::placement::{PartitionId, PartitionState, PartitionTable, PlacementError};
use coterie_core::{EngineError, GroupOutput, Target};
use futures_util::future::BoxFuture;
use tokio::time::Instant;

use super::{HostError, Inner};
use crate::engine::{CallOptions, Engine};
use crate::request::Request;
use crate::shard::locate::{forwarded_partition, locate};
use crate::shard::{Forwarder, partition_of};

/// Between two looks at the applied table while a call waits for a move.
const WAIT_POLL: Duration = Duration::from_millis(5);

/// How many times a call is routed again after an owner's redirect.
const MAX_REROUTES: usize = 8;

/// The engine serving one sharded call (see the module docs).
pub(super) struct ShardedEntry {
    pub(super) inner: Arc<Inner>,
    pub(super) shards: u32,
    /// For a call another member forwarded: the partition it located the call in (it must
    /// be this member's answer too). `None` for a call from a face on this member.
    pub(super) forwarded: Option<Option<u32>>,
    /// For one part of a whole-structure call gathered on this member (`host/scatter.rs`):
    /// the partition it asks.
    pub(super) partition: Option<PartitionId>,
}

/// Where a call goes next.
enum Step {
    /// This member owns the partition, at ring epoch `epoch`.
    Local { partition: PartitionId, epoch: u64 },
    /// Member `owner` does, by the table of version `version`.
    Remote { partition: PartitionId, owner: u64, version: u64 },
    /// No member serves it now (a move runs, or this member has not caught up): wait.
    Wait(EngineError),
}

fn owner_error(err: PlacementError) -> EngineError {
    match err {
        PlacementError::Lost { partition, last_owner } => {
            EngineError::PartitionLost { partition: partition.0, last_owner }
        }
        other => EngineError::Stopped { reason: other.to_string() },
    }
}

pub(super) fn no_table() -> EngineError {
    EngineError::Stopped {
        reason: "this member has no committed partition table yet (the metadata group places the partitions once it \
                 has a leader); retry shortly"
            .to_owned(),
    }
}

impl ShardedEntry {
    fn step(&self, request: &Request) -> Result<Step, EngineError> {
        let inner = &self.inner;
        // Refused at once: a stopping member's groups are gone, so waiting for its table
        // (below) would hold the caller for its whole timeout.
        if inner.stopping.load(Ordering::SeqCst) {
            return Err(HostError::Stopping.into());
        }
        if inner.config.plain {
            return Err(HostError::PlainMember { id: inner.config.id, cp_member: inner.cp_member() }.into());
        }
        let Some(table) = inner.partition_table() else {
            // A call this engine does not serve is refused as such, table or not.
            // A member that just started has not applied one yet: wait for it.
            locate(request, self.shards, 1)?;
            return Ok(Step::Wait(no_table()));
        };
        let partition = match (self.partition, self.forwarded) {
            (Some(partition), _) => partition,
            // It must be this member's answer too (a part of a whole-structure call names
            // one of the structure's partitions).
            (None, Some(located)) => forwarded_partition(request, self.shards, table.partitions(), located)?,
            (None, None) => partition_of(request, self.shards, table.partitions())?,
        };
        if !inner.sharded_fresh.load(Ordering::SeqCst) {
            return Ok(Step::Wait(EngineError::Stopped {
                reason: format!(
                    "member {} restarted and has not yet caught up with the committed partition table; retry shortly",
                    inner.config.id
                ),
            }));
        }
        Self::locate(&table, partition, inner.config.id)
    }

    fn locate(table: &PartitionTable, partition: PartitionId, me: u64) -> Result<Step, EngineError> {
        match table.state(partition).map_err(owner_error)? {
            PartitionState::Moving { from, to, .. } => Ok(Step::Wait(EngineError::Stopped {
                reason: format!(
                    "{partition} is moving from member {from} to member {to} and the move did not finish within the \
                     call's time; nothing was applied: retry"
                ),
            })),
            _ => {
                let owner = table.owner(partition).map_err(owner_error)?;
                if owner == me {
                    Ok(Step::Local { partition, epoch: table.ring_epoch() })
                } else {
                    Ok(Step::Remote { partition, owner, version: table.version() })
                }
            }
        }
    }

    fn forwarder(&self, partition: PartitionId, owner: u64) -> Forwarder {
        let peers = &self.inner.peers;
        Forwarder {
            target: Target::Sharded { shards: self.shards },
            partition: Some(partition),
            owner,
            address: peers.address(owner),
            channel: peers.channel(owner),
            secret: peers.secret().cloned(),
        }
    }

    /// Waits until the applied table's version differs from `version`, or `deadline`.
    async fn table_changed(&self, version: u64, deadline: Instant) {
        while Instant::now() < deadline {
            if self.inner.partition_table().is_some_and(|table| table.version() != version) {
                return;
            }
            tokio::time::sleep(WAIT_POLL.min(deadline.saturating_duration_since(Instant::now()))).await;
        }
    }
}

fn remaining(options: CallOptions, deadline: Instant) -> CallOptions {
    CallOptions { timeout: deadline.saturating_duration_since(Instant::now()), ..options }
}

impl Engine for ShardedEntry {
    fn call(&self, request: Request, options: CallOptions) -> BoxFuture<'_, Result<GroupOutput, EngineError>> {
        Box::pin(async move {
            let deadline = Instant::now() + options.timeout;
            let mut reroutes = 0;
            loop {
                let step = self.step(&request)?;
                match step {
                    Step::Wait(why) => {
                        if Instant::now() >= deadline {
                            return Err(why);
                        }
                        tokio::time::sleep(WAIT_POLL.min(deadline.saturating_duration_since(Instant::now()))).await;
                    }
                    Step::Local { partition, epoch } => {
                        let replica = self.inner.shards.replica(partition, epoch, self.inner.config.id).await?;
                        match replica.call(request.clone(), remaining(options, deadline)).await {
                            // Sealed for a handoff: nothing applied; routed again once decided.
                            Err(EngineError::Redirect { member: None, .. }) if Instant::now() < deadline => {
                                tokio::time::sleep(WAIT_POLL).await;
                            }
                            answer => return answer,
                        }
                    }
                    // A forwarded call, or a client's single-partition call when the client
                    // routes itself (not a part of a gathered call: the gathering member
                    // forwards those).
                    Step::Remote { owner, .. }
                        if self.forwarded.is_some() || (options.redirect && self.partition.is_none()) =>
                    {
                        return Err(EngineError::Redirect {
                            member: Some(owner),
                            address: self.inner.peers.address(owner),
                        });
                    }
                    Step::Remote { partition, owner, version } => {
                        self.inner.sharded_forwarded.fetch_add(1, Ordering::Relaxed);
                        let forwarder = self.forwarder(partition, owner);
                        match forwarder.call(request.clone(), remaining(options, deadline)).await {
                            // The owner's table is newer than this member's: route again
                            // once this member applied it too.
                            Err(EngineError::Redirect { .. })
                                if reroutes < MAX_REROUTES && Instant::now() < deadline =>
                            {
                                reroutes += 1;
                                self.table_changed(version, deadline).await;
                            }
                            answer => return answer,
                        }
                    }
                }
            }
        })
    }
}
