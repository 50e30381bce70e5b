//! A CP node: one member's Raft instance of the `default` group, and the calls it serves.
//!
//! # Forming the cluster
//!
//! Every member starts with the same full member set and calls `initialize` with it. That
//! is safe (openraft's `Raft::initialize` documents it; the engine only accepts it on a
//! pristine node, writing the membership as entry 0 and campaigning): members initialized
//! with identical membership may each write their own entry 0, and the elected leader's
//! replaces the others' while still uncommitted, so the outcome is the same membership.
//! A member that already has state (a restart, or a peer's vote request or entries arrived
//! first) answers `NotAllowed`, which is the goal reached, and is ignored. No manual init
//! step exists.
//!
//! Safe is not the same as quiet: a member that initializes after another one already won
//! term 1 holds a term-1 vote for itself that outranks the leader's (leader ids order by
//! term, then node id), so it rejects the leader and forces a second election. To avoid
//! that churn, members initialize in id order: the lowest id at once, the member of rank
//! `r` only after `r` times two maximum election timeouts, and only if it has not heard a
//! vote request or entries by then. If the lowest member is down, the next one forms the
//! group a moment later.
//!
//! A member added at runtime starts with [`CpNode::start_joining`] instead, which never
//! initializes: the group already exists, and a member that initialized on its own would
//! found a second group under the same name. It waits to be contacted by the leader, which
//! adds it as a learner and then makes it a voter (see `host::members`).
//!
//! # Calls
//!
//! [`CpNode::call`] stamps the request with this node's clock, proposes it, and answers
//! when it is applied. Only the leader proposes; other members answer
//! [`CpError::NotLeader`] with the leader's address. A member that knows no leader (the
//! group was just created, or an election runs) first waits, bounded by the call's deadline
//! and [`LEADER_WAIT_ELECTIONS`] election timeouts, for one to be known: a caller that
//! cannot follow redirects (a stock gRPC client behind a forwarding member) would otherwise
//! be refused the first call to every new group. A call that parks is completed
//! through the node's [`Waiters`]; if its deadline passes first the node proposes
//! `Cancel` for it, so the structure forgets the waiter. So it does when the call's future
//! is dropped before it answers (a gRPC client that disconnects drops its handler): the
//! structure must not later grant a lock or permits to a caller that is gone, so a drop
//! guard spawns the `Cancel` (see `CancelOnDrop`).
//!
//! # Ticks
//!
//! While it leads, each node proposes `Tick` stamped with its clock every `tick_interval`,
//! so session expiry, timed waits and leases fire at the same log position on every
//! replica.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use coterie_core::{
    ApplyCtx, CoreError, Group, GroupCommand, GroupOutput, InvalidReason, InvocationId, LogIndex, StateMachine,
    Timestamp,
};
use coterie_storage::LogStore;
use openraft::async_runtime::WatchReceiver;
use openraft::errors::{ClientWriteError, ForwardReason, InitializeError, LinearizableReadError, RaftError};
use openraft::metrics::RaftMetrics;
use openraft::{BasicNode, ReadPolicy, ServerState};
use tokio::sync::oneshot;
use tokio::task::JoinHandle;
use tokio::time::Instant;

use super::clock::Clock;
use super::config::CpConfig;
use super::error::CpError;
use super::log_store::{CpLogStore, share};
use super::network::{CpNetworkFactory, Transport};
use super::raft::CpRaft;
use super::state_machine::{CpStateMachine, SharedState};
use super::types::{CpResponse, CpTypes};
use crate::request::{JournalRecord, Request};
use crate::waiters::{Registration, Waiters, WakeResult};

/// How many (maximum) election timeouts a call waits on a member that knows no leader
/// before it answers [`CpError::NotLeader`] naming nobody: enough for a split vote and a
/// second round, short enough that a member cut off from the others answers promptly.
pub const LEADER_WAIT_ELECTIONS: u32 = 3;

/// One member of the `default` CP group.
pub struct CpNode {
    id: u64,
    raft: CpRaft,
    state: SharedState,
    waiters: Waiters,
    clock: Arc<dyn Clock>,
    transport: Transport,
    members: BTreeMap<u64, BasicNode>,
    config: CpConfig,
    ticker: Mutex<Option<JoinHandle<()>>>,
}

impl CpNode {
    /// Starts member `id` of a group whose members are `members`, on `storage`, reachable
    /// over `transport`, stamping time from `clock`. The group forms by itself once a
    /// majority of members has started (see the module docs).
    pub async fn start(
        id: u64,
        members: BTreeMap<u64, BasicNode>,
        storage: impl LogStore + 'static,
        transport: Transport,
        clock: Arc<dyn Clock>,
        config: CpConfig,
    ) -> Result<CpNode, CpError> {
        CpNode::start_with(id, members, true, storage, transport, clock, config).await
    }

    /// Like [`CpNode::start`], staggered only if `staggered`: members that all initialize
    /// the group are staggered so that they do not split the first election; the one member
    /// that initializes a group the others join ([`CpNode::start_joining`]) starts at once.
    pub async fn start_with(
        id: u64,
        members: BTreeMap<u64, BasicNode>,
        staggered: bool,
        storage: impl LogStore + 'static,
        transport: Transport,
        clock: Arc<dyn Clock>,
        config: CpConfig,
    ) -> Result<CpNode, CpError> {
        if !members.contains_key(&id) {
            return Err(CpError::NotAMember { id, members: members.keys().copied().collect() });
        }
        CpNode::start_as(id, Some((members, staggered)), storage, transport, clock, config).await
    }

    /// Starts member `id` of a group it is being added to at runtime (or was added to
    /// before a restart): it never initializes the group, and waits for the group's leader
    /// to contact it (as a learner first). A member that initialized a group on its own
    /// would form a second group under the same name beside the running one.
    pub async fn start_joining(
        id: u64,
        storage: impl LogStore + 'static,
        transport: Transport,
        clock: Arc<dyn Clock>,
        config: CpConfig,
    ) -> Result<CpNode, CpError> {
        CpNode::start_as(id, None, storage, transport, clock, config).await
    }

    /// Starts member `id`; with `members`, it initializes the group with them (staggered if
    /// the flag says so, see the module docs), without it waits to be contacted.
    async fn start_as(
        id: u64,
        initial: Option<(BTreeMap<u64, BasicNode>, bool)>,
        storage: impl LogStore + 'static,
        transport: Transport,
        clock: Arc<dyn Clock>,
        config: CpConfig,
    ) -> Result<CpNode, CpError> {
        let config = config.validate()?;
        let raft_config = config.raft_config()?;
        let store = share(storage);
        let waiters = Waiters::default();
        let state_machine = CpStateMachine::open(store.clone(), waiters.clone(), config.group.clone())
            .await
            .map_err(|err| CpError::Stopped { reason: format!("cannot load the snapshot: {err}") })?;
        let state = state_machine.state();
        let network = CpNetworkFactory::new(transport.clone(), id);
        let raft = CpRaft::new(id, raft_config, network, CpLogStore::new(store), state_machine)
            .await
            .map_err(|err| CpError::Stopped { reason: err.to_string() })?;
        transport.register(id, raft.clone());

        if let Some((members, staggered)) = &initial {
            // Members initialize in id order, one election timeout pair apart, unless they
            // hear from a candidate or leader first: see the module docs.
            let rank = if *staggered { members.keys().position(|member| *member == id).unwrap_or(0) } else { 0 };
            let stagger =
                config.election_timeout.1.saturating_mul(2).saturating_mul(u32::try_from(rank).unwrap_or(u32::MAX));
            if !stagger.is_zero() {
                let heard = |m: &RaftMetrics<CpTypes>| m.last_log_index.is_some() || m.current_term > 0;
                let _ = raft.wait(Some(stagger)).metrics(heard, "hear from another member before initializing").await;
            }
            match raft.initialize(members.clone()).await {
                Ok(()) | Err(RaftError::APIError(InitializeError::NotAllowed(_))) => {}
                Err(err) => {
                    transport.unregister(id);
                    let _ = raft.shutdown().await;
                    return Err(CpError::Stopped { reason: format!("cannot initialize the group: {err}") });
                }
            }
        }
        let members = initial.map(|(members, _)| members).unwrap_or_default();

        let ticker =
            tokio::spawn(tick_loop(raft.clone(), Arc::clone(&state), Arc::clone(&clock), config.tick_interval));
        Ok(CpNode { id, raft, state, waiters, clock, transport, members, config, ticker: Mutex::new(Some(ticker)) })
    }

    /// This node's id.
    pub fn id(&self) -> u64 {
        self.id
    }

    /// The time this node stamps on what it proposes (its clock).
    pub fn now(&self) -> Timestamp {
        self.clock.now()
    }

    /// Proposes `request` and answers once it is applied, or once its parked call is woken.
    ///
    /// Fails with [`CpError::NotLeader`] on a member that does not lead, and with
    /// [`CpError::Timeout`] or [`CpError::OutcomeUnknown`] when the outcome is not known:
    /// retry those with the same invocation id, which the group answers from its retry
    /// window instead of applying twice. A parked call that times out is cancelled, and so is
    /// one whose future is dropped before it answers ([`Abandon::Cancel`]; see
    /// [`CpNode::call_with`] for the other choice). The proposal itself is bounded by
    /// [`CpConfig::propose_timeout`] as well.
    ///
    /// Two concurrent calls with the same invocation id on one node are not supported (the
    /// second replaces the first's registration).
    pub async fn call(&self, request: Request, timeout: Duration) -> Result<GroupOutput, CpError> {
        self.call_with(request, timeout, Abandon::Cancel).await
    }

    /// Like [`CpNode::call`], with `abandon` saying what happens to a parked call when its
    /// `timeout` passes or its future is dropped before it is woken: cancelled
    /// ([`Abandon::Cancel`]), or left parked in its place ([`Abandon::KeepParked`]), answered
    /// [`CpError::StillParked`] on timeout, for a caller that bounds each attempt and sends
    /// the same invocation again (here or to another member) to go on waiting.
    pub async fn call_with(
        &self,
        request: Request,
        timeout: Duration,
        abandon: Abandon,
    ) -> Result<GroupOutput, CpError> {
        let started = Instant::now();
        let deadline = started + timeout;
        // Registered before proposing: the wake may be applied before the proposal answers.
        let registration = request.invocation.map(|invocation| Registration::new(&self.waiters, invocation));
        // Armed until the call answers: if the caller drops this future first, the parked
        // call (if it parked) is cancelled.
        let guard = request.invocation.filter(|_| abandon == Abandon::Cancel).map(|invocation| CancelOnDrop {
            raft: Some(self.raft.clone()),
            clock: Arc::clone(&self.clock),
            invocation,
            timeout: self.config.cancel_timeout,
        });
        let answer = self.call_registered(request, registration, started, deadline, timeout, abandon).await;
        if let Some(guard) = guard {
            guard.disarm();
        }
        answer
    }

    async fn call_registered(
        &self,
        request: Request,
        registration: Option<(Registration, oneshot::Receiver<WakeResult>)>,
        started: Instant,
        deadline: Instant,
        timeout: Duration,
        abandon: Abandon,
    ) -> Result<GroupOutput, CpError> {
        let mut waited_for_lease = false;
        let mut waited_for_leader = false;
        let response = loop {
            let record = JournalRecord { now: self.clock.now(), request: request.clone() };
            let propose_deadline = deadline.min(Instant::now() + self.config.propose_timeout);
            match tokio::time::timeout_at(propose_deadline, self.raft.client_write(record)).await {
                Err(_) => return Err(CpError::Timeout { timeout: propose_deadline.duration_since(started) }),
                Ok(Err(RaftError::APIError(ClientWriteError::ForwardToLeader(forward))))
                    if forward.reason == ForwardReason::LeaseExpired && !waited_for_lease =>
                {
                    // This node leads but no quorum has acknowledged it lately: it was just
                    // elected, or it is cut off. Nothing was appended. Wait once, at most an
                    // election timeout, for an acknowledgement or a change of role; a leader
                    // still unacknowledged after that answers NotLeader so the caller moves on.
                    waited_for_lease = true;
                    self.await_lease(deadline.min(Instant::now() + self.config.election_timeout.1)).await;
                }
                Ok(Err(RaftError::APIError(ClientWriteError::ForwardToLeader(forward))))
                    if forward.leader_id.is_none() && !waited_for_leader =>
                {
                    // No leader known: nothing was appended. Wait once for an election to name one.
                    waited_for_leader = true;
                    self.await_leader(deadline).await;
                }
                Ok(Err(err)) => return Err(self.write_error(err)),
                Ok(Ok(response)) => break response.data,
            }
        };
        match (response, registration) {
            (CpResponse::Ready(result), _) => Ok(result?),
            (CpResponse::Parked, Some((guard, rx))) => self.await_wake(guard, rx, deadline, timeout, abandon).await,
            (CpResponse::Parked, None) => Err(CpError::Raft {
                reason: "a call without an invocation id was parked, so it could never be woken".to_owned(),
            }),
        }
    }

    /// Answers `request` linearizably. A read-only structure command (one the core's
    /// [`StateMachine::read`] answers) takes the ReadIndex
    /// path: the leader confirms with a quorum that it still leads, waits until it has
    /// applied everything committed before that, and answers from its state, without a log
    /// entry. A leader restarted from disk does not serve these until it wins a new election
    /// (see the `log_store` module docs). Anything else goes through [`CpNode::call`].
    pub async fn read(&self, request: Request, timeout: Duration) -> Result<GroupOutput, CpError> {
        if !request.command.is_read() {
            return self.call(request, timeout).await;
        }
        let deadline = Instant::now() + timeout;
        let mut answer = tokio::time::timeout(timeout, self.raft.ensure_linearizable(ReadPolicy::ReadIndex)).await;
        if let Ok(Err(RaftError::APIError(LinearizableReadError::ForwardToLeader(forward)))) = &answer
            && forward.leader_id.is_none()
        {
            // As for a write: wait once for an election to name a leader.
            self.await_leader(deadline).await;
            let left = deadline.saturating_duration_since(Instant::now());
            answer = tokio::time::timeout(left, self.raft.ensure_linearizable(ReadPolicy::ReadIndex)).await;
        }
        match answer {
            Err(_) => Err(CpError::Timeout { timeout }),
            Ok(Err(RaftError::APIError(LinearizableReadError::ForwardToLeader(forward)))) => {
                Err(CpError::NotLeader { leader: self.address(forward.leader_id) })
            }
            Ok(Err(RaftError::APIError(other))) => Err(CpError::Raft { reason: other.to_string() }),
            Ok(Err(RaftError::Fatal(fatal))) => Err(CpError::Stopped { reason: fatal.to_string() }),
            Ok(Ok(_)) => match self.read_locally(&request) {
                Some(result) => Ok(result?),
                None => self.call(request, timeout).await,
            },
        }
    }

    /// Answers the read-only `request` from this replica's state as applied so far, without
    /// asking a quorum whether this node leads: any member answers, also while no quorum is
    /// reachable, but the answer may miss the most recent writes (a lagging follower's, or a
    /// deposed leader's, state). A member that just restarted answers from its last
    /// snapshot until a leader tells it how far the log is committed (the committed index
    /// is not persisted), so its answers can even be older than those it gave before the
    /// restart. Callers opt in; [`CpNode::read`] is the linearizable path.
    /// A command that is not read-only is refused: it must go through the log.
    pub fn read_stale(&self, request: &Request) -> Result<GroupOutput, CpError> {
        match self.read_locally(request) {
            Some(result) => Ok(result?),
            None => Err(CpError::Core(CoreError::invalid("stale_read", InvalidReason::NotReadOnly))),
        }
    }

    /// `request` answered from this replica's state as applied so far, if it is a read.
    fn read_locally(&self, request: &Request) -> Option<Result<GroupOutput, CoreError>> {
        let state = self.state.lock().unwrap_or_else(PoisonError::into_inner);
        let index = LogIndex(state.last_applied.as_ref().map_or(0, |id| id.index));
        let ctx = ApplyCtx { index, now: self.clock.now(), session: request.session, invocation: None };
        state.group.read(&request.command, &ctx)
    }

    /// Waits until a quorum acknowledges this leader again or it stops leading, or until
    /// `deadline`.
    async fn await_lease(&self, deadline: Instant) {
        let before = self.raft.metrics().borrow_watched().last_quorum_acked;
        let remaining = deadline.saturating_duration_since(Instant::now());
        let _ = self
            .raft
            .wait(Some(remaining))
            .metrics(|m| m.state != ServerState::Leader || m.last_quorum_acked != before, "a quorum acknowledges")
            .await;
    }

    /// Waits until this node knows a leader, at most until `deadline` and
    /// [`LEADER_WAIT_ELECTIONS`] election timeouts.
    async fn await_leader(&self, deadline: Instant) {
        let bound = self.config.election_timeout.1 * LEADER_WAIT_ELECTIONS;
        let remaining = deadline.min(Instant::now() + bound).saturating_duration_since(Instant::now());
        let _ = self.raft.wait(Some(remaining)).metrics(|m| m.current_leader.is_some(), "a leader is known").await;
    }

    async fn await_wake(
        &self,
        guard: Registration,
        mut rx: oneshot::Receiver<WakeResult>,
        deadline: Instant,
        timeout: Duration,
        abandon: Abandon,
    ) -> Result<GroupOutput, CpError> {
        let invocation = guard.invocation();
        match tokio::time::timeout_at(deadline, &mut rx).await {
            Ok(Ok(result)) => return Ok(result?),
            Ok(Err(_)) => {
                return Err(CpError::Stopped {
                    reason: format!(
                        "the wait for {invocation} was dropped (node stopping, or the same invocation called again)"
                    ),
                });
            }
            Err(_) => {}
        }
        if abandon == Abandon::KeepParked {
            // The call stays parked in its place; the caller asks again for it.
            return Err(CpError::StillParked { invocation, waited: timeout });
        }
        // Give up: cancel the parked call. Entries before the cancel are applied before its
        // answer arrives, so a wake that raced the deadline is in `rx` by then.
        let cancel =
            JournalRecord { now: self.clock.now(), request: Request::internal(GroupCommand::Cancel { invocation }) };
        let _ = tokio::time::timeout(self.config.cancel_timeout, self.raft.client_write(cancel)).await;
        match rx.try_recv() {
            Ok(Ok(output)) => Ok(output),
            Ok(Err(CoreError::Cancelled { .. })) | Err(_) => Err(CpError::Timeout { timeout }),
            Ok(Err(err)) => Err(CpError::Core(err)),
        }
    }

    fn address(&self, id: Option<u64>) -> Option<(u64, String)> {
        let id = id?;
        // The committed membership knows members added at runtime; the initial set is the
        // fallback while a restarted member has not applied its membership yet.
        let known = self.raft.metrics().borrow_watched().membership_config.membership().get_node(&id).cloned();
        let addr = known.or_else(|| self.members.get(&id).cloned()).map(|node| node.addr).unwrap_or_default();
        Some((id, addr))
    }

    fn write_error(&self, err: RaftError<CpTypes, ClientWriteError<CpTypes>>) -> CpError {
        match err {
            RaftError::APIError(ClientWriteError::ForwardToLeader(forward)) => {
                CpError::NotLeader { leader: self.address(forward.leader_id) }
            }
            RaftError::APIError(ClientWriteError::LogEntryDiscarded(forward)) => {
                CpError::OutcomeUnknown { leader: self.address(forward.leader_id) }
            }
            RaftError::APIError(other) => CpError::Raft { reason: other.to_string() },
            RaftError::Fatal(fatal) => CpError::Stopped { reason: fatal.to_string() },
        }
    }

    /// The leader this node knows of, with its address.
    pub fn leader(&self) -> Option<(u64, String)> {
        let leader = self.raft.metrics().borrow_watched().current_leader;
        self.address(leader)
    }

    /// This node's Raft metrics (role, term, log and apply progress).
    pub fn metrics(&self) -> RaftMetrics<CpTypes> {
        self.raft.metrics().borrow_watched().clone()
    }

    /// The underlying openraft handle, for waiting on metrics and for tests.
    pub fn raft(&self) -> &CpRaft {
        &self.raft
    }

    /// A copy of the group as this replica has applied it so far.
    pub fn group(&self) -> Group {
        self.state.lock().unwrap_or_else(PoisonError::into_inner).group.clone()
    }

    /// Runs `read` on the group as this replica has applied it so far, without copying it
    /// (the group may be large); the replica applies nothing meanwhile, so keep `read` short.
    pub fn with_group<R>(&self, read: impl FnOnce(&Group) -> R) -> R {
        read(&self.state.lock().unwrap_or_else(PoisonError::into_inner).group)
    }

    /// Index of the last log entry this replica applied.
    pub fn applied_index(&self) -> Option<u64> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner).last_applied.map(|id| id.index)
    }

    /// The last applied index, the number of open sessions and the number of structures,
    /// read together without copying the group (a status page asks for these often; the
    /// group may be large).
    pub fn applied_counts(&self) -> (Option<u64>, usize, usize) {
        let state = self.state.lock().unwrap_or_else(PoisonError::into_inner);
        (state.last_applied.map(|id| id.index), state.group.session_count(), state.group.names().count())
    }

    /// The last applied index and the group as of it, read together.
    pub fn applied(&self) -> (Option<u64>, Group) {
        let state = self.state.lock().unwrap_or_else(PoisonError::into_inner);
        (state.last_applied.map(|id| id.index), state.group.clone())
    }

    /// Calls parked on behalf of this node's callers.
    pub fn waiters(&self) -> &Waiters {
        &self.waiters
    }

    /// Stops ticking, leaves the transport and stops the Raft node. Parked calls waiting on
    /// this node end with [`CpError::Stopped`] or a timeout.
    pub async fn shutdown(&self) -> Result<(), CpError> {
        let ticker = self.ticker.lock().unwrap_or_else(PoisonError::into_inner).take();
        if let Some(ticker) = ticker {
            ticker.abort();
            let _ = ticker.await;
        }
        self.transport.unregister(self.id);
        // Callers parked on this node learn at once that it stopped.
        self.waiters.clear();
        self.raft.shutdown().await.map_err(|err| CpError::Stopped { reason: err.to_string() })
    }
}

/// What happens to a parked call whose caller stops waiting for it on this node (its
/// timeout passed, or its future was dropped).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Abandon {
    /// Cancel it: the structure forgets the waiter, so it never grants to a caller that is
    /// gone. For callers that make one attempt per call.
    Cancel,
    /// Leave it parked in its place: the caller bounds each attempt and sends the same
    /// invocation again (to this member or, after a leader change, to another) to go on
    /// waiting, and cancels it itself when it gives up. A timeout answers
    /// [`CpError::StillParked`].
    KeepParked,
}

/// Cancels a parked call when the future waiting for it is dropped before it answered.
struct CancelOnDrop {
    raft: Option<CpRaft>,
    clock: Arc<dyn Clock>,
    invocation: InvocationId,
    timeout: Duration,
}

impl CancelOnDrop {
    /// The call answered: nothing to cancel.
    fn disarm(mut self) {
        self.raft = None;
    }
}

impl Drop for CancelOnDrop {
    fn drop(&mut self) {
        let Some(raft) = self.raft.take() else { return };
        // Without a runtime (the process is exiting) there is nobody left to grant to.
        let Ok(runtime) = tokio::runtime::Handle::try_current() else { return };
        let invocation = self.invocation;
        let cancel =
            JournalRecord { now: self.clock.now(), request: Request::internal(GroupCommand::Cancel { invocation }) };
        let timeout = self.timeout;
        runtime.spawn(async move {
            let _ = tokio::time::timeout(timeout, raft.client_write(cancel)).await;
        });
    }
}

/// Proposes a `Tick` stamped with `clock` every `interval` while `raft` leads. A failed
/// tick is simply retried at the next interval.
///
/// A group with no session and no pending deadline has nothing a tick could do, so the
/// leader skips ticks then instead of writing (and fsyncing) ten empty entries a second.
/// Judging that from the leader's applied state is safe: an entry that opens a session or
/// sets a deadline is applied by the leader before it answers, and the next interval ticks.
/// A leader elected after a restart judges from a state machine that may still be
/// replaying its log; that can only delay ticks until the replay is done (a tick decides
/// nothing when proposed: expiry is computed when it is applied, after every entry before
/// it), never make one fire early.
async fn tick_loop(raft: CpRaft, state: SharedState, clock: Arc<dyn Clock>, interval: Duration) {
    let mut ticks = tokio::time::interval(interval);
    ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        ticks.tick().await;
        if !raft.is_leader() {
            continue;
        }
        let idle = !state.lock().unwrap_or_else(PoisonError::into_inner).group.needs_ticks();
        if idle {
            continue;
        }
        let tick = JournalRecord { now: clock.now(), request: Request::internal(GroupCommand::Tick) };
        let _ = tokio::time::timeout(interval.saturating_mul(10), raft.client_write(tick)).await;
    }
}

#[path = "node_membership.rs"]
mod membership;

#[path = "node_barrier.rs"]
mod barrier;

#[cfg(test)]
#[path = "node_tests.rs"]
mod tests;
