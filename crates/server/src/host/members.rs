//! The committed member table and the drivers that make every CP group follow it.
//!
//! Why it is shaped this way:
//!
//! - The table ([`MemberTable`], pure, in the core) lives in the `metadata` CP group, in an
//!   AtomicReference register named [`MEMBERS`] holding its encoding. A change is
//!   read-modify-compare-and-set: read the register linearizably, apply the command to the
//!   decoded table, and store the result only if the register still holds what was read
//!   (retried when another change won). That needs no new structure kind or log format, and
//!   the sharded engine can keep its partition table in a register beside it the same way.
//! - Raft membership follows the table, not the other way round: every node runs
//!   [`reconcile_loop`], which, for every group this node *leads*, compares the group's
//!   membership with the table's CP members and makes the next change
//!   ([`next_step`](crate::cp::membership::next_step)). So a group led by another member, a
//!   group started after the change, a leader change mid-way, and a restart all converge
//!   without the admin call having to reach every group's leader.
//! - An admin change on the metadata leader commits the table first (Joining or Leaving),
//!   then waits until every group of the cluster (`host/groups.rs` lists them) shows the
//!   change in its committed membership (metadata first: it is started first and listed first), then commits the
//!   final state (Up or Removed). A caller that loses the answer sends the same command
//!   again; every step is idempotent.
//! - A statically configured cluster seeds the table from its configured members: the
//!   metadata leader sends `Seed`, which changes nothing on a table that has members. A
//!   member that joined at runtime never seeds (its configuration names only itself).

use std::collections::BTreeSet;
use std::sync::{Arc, PoisonError};
use std::time::Duration;

use coterie_api::convert::METADATA_GROUP;
use coterie_api::pb;
use coterie_core::kinds::atomic_reference::{AtomicReferenceCommand, AtomicReferenceOutput};
use coterie_core::{
    CoreError, EngineError, GroupCommand, GroupOutput, MemberCommand, MemberState, MemberTable, StructureCommand,
    StructureOutput, TableChange, codec,
};
use tokio::time::Instant;

use super::Inner;
use super::admin::wire_members;
use crate::cp::CpNode;
use crate::cp::membership::next_step;
use crate::request::Request;

/// The register of the metadata group that holds the member table.
pub const MEMBERS: &str = "members";

/// How often a node looks whether the groups it leads follow the table.
pub(super) const RECONCILE_EVERY: Duration = Duration::from_millis(200);

/// How long one membership change may take before the next look retries it.
pub(super) const STEP_TIMEOUT: Duration = Duration::from_secs(10);

/// How far (in log entries) behind the leader a learner may be and still be promoted.
const READY_SLACK: u64 = 100;

/// How long the metadata leader waits for another member to take over before it removes
/// itself.
const HAND_OVER_WAIT: Duration = Duration::from_secs(5);

/// How many compare-and-set attempts a table change makes before giving up.
const CAS_ATTEMPTS: usize = 16;

/// Between two looks at the groups' memberships while an admin change waits.
const WAIT_POLL: Duration = Duration::from_millis(20);

fn invoke(command: AtomicReferenceCommand) -> Request {
    Request::internal(GroupCommand::Invoke {
        name: MEMBERS.to_owned(),
        command: StructureCommand::AtomicReference(command),
    })
}

fn register_value(output: GroupOutput) -> Result<Option<Vec<u8>>, EngineError> {
    match output {
        GroupOutput::Structure(StructureOutput::AtomicReference(AtomicReferenceOutput::Value(value))) => Ok(value),
        other => Err(EngineError::Stopped { reason: format!("the member table register answered {other:?}") }),
    }
}

fn decode(value: Option<&[u8]>) -> Result<MemberTable, EngineError> {
    match value {
        None => Ok(MemberTable::new()),
        Some(bytes) => codec::decode(bytes, "member table").map_err(EngineError::Core),
    }
}

/// The member table as `node` (a replica of the metadata group) has applied it so far:
/// possibly behind the leader's, never ahead.
pub(super) fn applied_table(node: &CpNode) -> Option<MemberTable> {
    let value = register_value(node.read_stale(&invoke(AtomicReferenceCommand::Get)).ok()?).ok()?;
    decode(value.as_deref()).ok()
}

/// Applies `command` to the committed table through `node` (the metadata leader) and
/// answers the table after it; a refused command leaves the table as it was.
pub(super) async fn update(
    node: &CpNode,
    command: &MemberCommand,
    timeout: Duration,
) -> Result<MemberTable, EngineError> {
    for _ in 0..CAS_ATTEMPTS {
        let current = register_value(node.read(invoke(AtomicReferenceCommand::Get), timeout).await?)?;
        let mut table = decode(current.as_deref())?;
        let change = table
            .apply(command)
            .map_err(|err| EngineError::Core(CoreError::invalid_request("member", err.to_string())))?;
        if change == TableChange::Unchanged {
            return Ok(table);
        }
        let update = codec::encode(&table).map_err(EngineError::Core)?;
        let cas = AtomicReferenceCommand::CompareAndSet { expected: current, update: Some(update) };
        match node.call(invoke(cas), timeout).await? {
            GroupOutput::Structure(StructureOutput::AtomicReference(AtomicReferenceOutput::Bool(true))) => {
                return Ok(table);
            }
            // Another change won the race: read again.
            _ => continue,
        }
    }
    Err(EngineError::Timeout { waited: timeout })
}

/// What a plain member knows of the members: no metadata replica of its own, so the
/// table as a CP member last listed it, and the metadata leader that member named.
#[derive(Clone, Debug, Default)]
pub(super) struct Listed {
    /// Every member, as listed.
    pub(super) members: Vec<pb::Member>,
    /// The metadata leader (id, address), when one was named.
    pub(super) leader: Option<(u64, String)>,
}

/// How often a plain member lists the members again.
const LIST_EVERY: u32 = 10;

impl Inner {
    /// The members as the wire lists them: the committed table as this node has applied
    /// it, or, on a plain member, as a CP member last listed it.
    pub(super) fn listed_members(&self) -> Vec<pb::Member> {
        match self.table() {
            Some(table) => wire_members(&table),
            None => self.listed.lock().unwrap_or_else(PoisonError::into_inner).members.clone(),
        }
    }

    /// A CP member a plain member sends callers to: the metadata leader it last heard of,
    /// or else any CP member that is up.
    pub(super) fn cp_member(&self) -> Option<(u64, String)> {
        let listed = self.listed.lock().unwrap_or_else(PoisonError::into_inner);
        listed.leader.clone().or_else(|| {
            listed
                .members
                .iter()
                .find(|m| m.cp_member && m.state() == pb::MemberState::Up)
                .map(|m| (m.id, m.address.clone()))
        })
    }

    /// Whether this member was removed from the cluster. Its own metadata replica says so,
    /// or says it is leaving and another member's committed table says it is removed: once
    /// the metadata group no longer counts it, its own replica may never hear the end.
    async fn was_removed(&self) -> bool {
        let Some(table) = self.table() else { return false };
        match table.get(self.config.id).map(|record| record.state) {
            Some(MemberState::Removed) => true,
            Some(MemberState::Leaving) => {
                let others = table.addresses().into_iter().filter(|(id, _)| *id != self.config.id);
                for (_, address) in others {
                    let Some(listed) = super::join::list_members(self, &address).await else { continue };
                    let state = listed.iter().find(|m| m.id == self.config.id).map(pb::Member::state);
                    return state == Some(pb::MemberState::Removed);
                }
                false
            }
            _ => false,
        }
    }

    /// The committed table says this member was removed: stop every replica (the groups no
    /// longer count it), refuse CP calls from now on with a redirect to a member of the
    /// table (kept as a plain member keeps its list), and tell the process.
    pub(super) async fn stop_serving_as_removed(&self) {
        if let Some(table) = self.table() {
            *self.listed.lock().unwrap_or_else(PoisonError::into_inner) =
                Listed { members: wire_members(&table), leader: None };
        }
        self.retired.store(true, std::sync::atomic::Ordering::SeqCst);
        let running = self.running();
        for (_, node) in running {
            let _ = tokio::time::timeout(STEP_TIMEOUT, node.shutdown()).await;
        }
        self.groups.lock().unwrap_or_else(PoisonError::into_inner).clear();
        self.removed.send_replace(true);
    }

    /// This node's replica of the metadata group, if it runs.
    pub(super) fn metadata(&self) -> Option<Arc<CpNode>> {
        self.running().into_iter().find(|(name, _)| name == METADATA_GROUP).map(|(_, node)| node)
    }

    /// The member table as this node has applied it, if it has one.
    pub(super) fn table(&self) -> Option<MemberTable> {
        let node = self.metadata()?;
        applied_table(&node).filter(|table| !table.is_empty())
    }

    /// This node's metadata replica if it leads the group; a redirect to the leader it
    /// knows of otherwise.
    pub(super) async fn metadata_leader(&self) -> Result<Arc<CpNode>, EngineError> {
        let node = self.group(METADATA_GROUP).await.map_err(EngineError::from)?;
        if node.raft().is_leader() {
            return Ok(node);
        }
        let (member, address) = match node.leader() {
            Some((id, address)) => (Some(id), (!address.is_empty()).then_some(address)),
            None => (None, None),
        };
        Err(EngineError::Redirect { member, address })
    }

    /// Seeds the table from the configured members if this node may (it did not join at
    /// runtime) and the table is still empty.
    async fn seed(&self, node: &CpNode, timeout: Duration) -> Result<MemberTable, EngineError> {
        if self.joined {
            // A joined member only checks the table has members (seeding it with none fails).
            return update(node, &MemberCommand::Seed { members: Default::default() }, timeout).await.map_err(|_| {
                EngineError::Stopped {
                    reason: "the member table is not seeded yet; ask a member started with --members".to_owned(),
                }
            });
        }
        update(node, &MemberCommand::Seed { members: self.config.members.clone() }, timeout).await
    }

    /// Adds member `id` (see the `AdminService.AddMember` docs in the proto).
    pub(super) async fn add_member(
        &self,
        id: u64,
        address: String,
        cp: bool,
        timeout: Duration,
    ) -> Result<MemberTable, EngineError> {
        let deadline = Instant::now() + timeout;
        let node = self.metadata_leader().await?;
        self.seed(&node, timeout).await?;
        let table = update(&node, &MemberCommand::Add { id, address: address.clone(), cp }, timeout).await?;
        let role = if cp { "a CP member" } else { "a plain member" };
        tracing::info!(target: "coterie::members", "member {id} at {address} is joining as {role}");
        self.peers.learn(id, &address);
        self.reconcile.notify_one();
        if cp {
            self.await_groups(deadline, |configs, _| configs.len() == 1 && configs[0].contains(&id)).await?;
        }
        if table.get(id).is_some_and(|record| record.state == coterie_core::MemberState::Joining) {
            let table = update(&node, &MemberCommand::MarkUp { id }, remaining(deadline)).await?;
            tracing::info!(target: "coterie::members", "member {id} is Up");
            return Ok(table);
        }
        Ok(table)
    }

    /// Removes member `id` (see the `AdminService.RemoveMember` docs in the proto).
    pub(super) async fn remove_member(&self, id: u64, timeout: Duration) -> Result<MemberTable, EngineError> {
        let deadline = Instant::now() + timeout;
        let node = self.metadata_leader().await?;
        self.seed(&node, timeout).await?;
        if id == self.config.id {
            return Err(self.hand_over(&node, id, deadline).await);
        }
        let table = update(&node, &MemberCommand::Leave { id }, timeout).await?;
        tracing::info!(target: "coterie::members", "member {id} is leaving: its partitions move to the others first");
        self.reconcile.notify_one();
        // A leaving member's partitions move to the others first (`host/handoff.rs`).
        self.await_partitions_moved_off(id, deadline).await?;
        if table.get(id).is_some_and(|record| record.cp) {
            self.await_groups(deadline, |configs, nodes| configs.len() == 1 && !nodes.contains_key(&id)).await?;
        }
        // This node may have been the one removed, and no longer lead: the redirect tells
        // the caller where to send the same request again.
        let node = self.metadata_leader().await?;
        let table = update(&node, &MemberCommand::MarkRemoved { id }, remaining(deadline)).await?;
        tracing::info!(target: "coterie::members", "member {id} is removed");
        Ok(table)
    }

    /// This node, the metadata leader, is to be removed: it hands the leadership to
    /// another CP member first and answers the redirect to it, so the caller sends the
    /// removal there. (A leader that removed itself would stop hearing about the groups it
    /// no longer belongs to, and could not tell when the change is done.)
    async fn hand_over(&self, node: &CpNode, id: u64, deadline: Instant) -> EngineError {
        let (configs, nodes) = node.membership();
        let others: Vec<u64> = configs
            .last()
            .map(|voters| voters.iter().copied().filter(|voter| *voter != id).collect())
            .unwrap_or_default();
        // A voter that keeps up with the log can take over at once; any other one at all.
        let ready = node.caught_up_members(READY_SLACK);
        let Some(to) = others.iter().copied().find(|voter| ready.contains(voter)).or_else(|| others.first().copied())
        else {
            return EngineError::Core(CoreError::invalid_request(
                "member",
                coterie_core::MemberError::LastCpMember { id }.to_string(),
            ));
        };
        let _ = node.raft().trigger().transfer_leader(to).await;
        let handed = deadline.min(Instant::now() + HAND_OVER_WAIT);
        while node.raft().is_leader() && Instant::now() < handed {
            tokio::time::sleep(WAIT_POLL).await;
        }
        if node.raft().is_leader() {
            return EngineError::Stopped {
                reason: format!(
                    "member {id} leads the metadata group and could not hand the leadership to member {to} within \
                     {HAND_OVER_WAIT:?}; send the removal again"
                ),
            };
        }
        EngineError::Redirect { member: Some(to), address: nodes.get(&to).cloned() }
    }

    /// Waits until every group of the cluster (every group registered in the metadata group,
    /// started here if it is not running yet, and every group running here) has a committed
    /// membership for which `done` holds, or `deadline` passes.
    async fn await_groups(
        &self,
        deadline: Instant,
        done: impl Fn(&[BTreeSet<u64>], &std::collections::BTreeMap<u64, String>) -> bool,
    ) -> Result<(), EngineError> {
        for group in self.registered_groups() {
            // A group this node cannot start now is not waited for; the reconciler of its
            // leader still brings it in line.
            let _ = self.group(&group).await;
        }
        loop {
            let pending: Vec<String> = self
                .running()
                .into_iter()
                .filter(|(_, node)| {
                    let (configs, nodes) = node.committed_membership();
                    !done(&configs, &nodes)
                })
                .map(|(name, _)| name)
                .collect();
            if pending.is_empty() {
                return Ok(());
            }
            if Instant::now() >= deadline {
                return Err(EngineError::Stopped {
                    reason: format!(
                        "the membership change is committed in the member table but groups {pending:?} have not \
                         followed it yet; it goes on in the background, send the same request again to wait for it"
                    ),
                });
            }
            tokio::time::sleep(WAIT_POLL).await;
        }
    }

    /// One look at every group this node leads: seed the table if it is empty and this node
    /// leads the metadata group, learn the table's addresses, and make the next membership
    /// change of every led group that does not have the table's CP members as voters.
    async fn reconcile_once(&self) {
        if let Some(metadata) = self.metadata()
            && metadata.raft().is_leader()
            && !self.joined
            && applied_table(&metadata).is_none_or(|table| table.is_empty())
        {
            let _ = self.seed(&metadata, STEP_TIMEOUT).await;
        }
        // A replica that has not applied all it knows committed may hold an older table
        // (one that still lists a member since taken out): wait for it to catch up rather
        // than undo a change.
        if self.metadata().is_none_or(|metadata| !metadata.caught_up()) {
            return;
        }
        let Some(table) = self.table() else { return };
        for (id, address) in table.addresses() {
            self.peers.learn(id, &address);
        }
        let mut desired = table.cp_voters();
        // A leaving member that still answers stays a voter until its partitions have moved
        // off it: it must go on applying the partition table to hand them over
        // (`host/handoff.rs`). One that does not answer cannot; its partitions become lost.
        if let Some(partitions) = self.partition_table() {
            for (id, record) in table.iter() {
                if record.cp
                    && record.state == MemberState::Leaving
                    && super::handoff::partitions_on(&partitions, id) > 0
                    && self.answers_handoffs(id).await
                {
                    desired.insert(id, record.address.clone());
                }
            }
        }
        for (_, node) in self.running() {
            // A few steps per look: learner, voters, leftover learners.
            for _ in 0..4 {
                if !node.raft().is_leader() {
                    break;
                }
                let (configs, nodes) = node.membership();
                let ready = node.caught_up_members(READY_SLACK);
                let Some(step) = next_step(&desired, &configs, &nodes, &ready) else { break };
                if node.change_membership(&step, STEP_TIMEOUT).await.is_err() {
                    break;
                }
            }
        }
    }
}

fn remaining(deadline: Instant) -> Duration {
    deadline.saturating_duration_since(Instant::now()).max(Duration::from_millis(1))
}

/// Runs [`Inner::reconcile_once`] every [`RECONCILE_EVERY`], and at once when an admin
/// change asks, until the node stops.
pub(super) async fn reconcile_loop(inner: Arc<Inner>) {
    let mut round = 0u32;
    loop {
        if inner.stopping.load(std::sync::atomic::Ordering::SeqCst) {
            return;
        }
        if inner.config.plain {
            // Nothing to reconcile: keep the member list and the leader hint fresh.
            if round.is_multiple_of(LIST_EVERY) {
                super::join::refresh(&inner).await;
            }
            round = round.wrapping_add(1);
        } else {
            inner.reconcile_once().await;
            if inner.was_removed().await {
                inner.stop_serving_as_removed().await;
                return;
            }
            inner.open_registered();
        }
        let _ = tokio::time::timeout(RECONCILE_EVERY, inner.reconcile.notified()).await;
    }
}
