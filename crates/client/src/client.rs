//! The client: one per application, cheap to clone, shared by all handles.
//!
//! Every call goes through one retry loop (`retry.rs`). It sends to the endpoint believed
//! to lead the call's group, follows "not leader" hints, rotates past unreachable endpoints
//! with capped exponential backoff, and gives up at the call's deadline. Every attempt is
//! bounded, and an attempt that goes unanswered for a while is checked against the other
//! members, so a paused or cut-off leader costs about as long as a killed one. Mutations
//! carry an invocation id — this client's random [`ClientId`] and its next sequence number
//! for the group (`sequence.rs`) — that stays the same on every retry, so a retry after a
//! lost response is answered from the group's record of the client's calls instead of being
//! applied twice. The group is sure to keep that record only for a while, so a call is not
//! resent more than [`RESEND_LIMIT`] after its first send (or after the group last said it is
//! still parked), whatever its timeout: it then ends [`ClientError::Indeterminate`]. Blocking calls keep their place in the structure's queue across attempts
//! and leader changes (`Call::keep_parked`), and are cancelled by the client when it gives
//! up on them.
//!
//! Sessions open lazily, one per group, on the first call that needs one (a FencedLock's or
//! a CP Semaphore's: locks and permits belong to sessions; other calls need none), and are kept
//! alive by a background heartbeat. Opening one is idempotent: the open carries this
//! client's random [`ClientId`] and a fresh open number, and a resend after a lost answer
//! keeps both, so the group answers the session it already opened instead of opening a
//! second one. Resends of one open stop [`RESEND_LIMIT`] after its first send (the group's
//! contract, `coterie_core::dedup`); the client then opens anew under a new number. If the group reports a session expired, the client
//! forgets it and opens a new one; anything the old session held is gone, which is exactly
//! what the cluster did for everyone else. A call refused for an expired session was not
//! applied (the group answers a resend of an applied call from its record, whatever became
//! of the session), so the client sends it again, under the same invocation id, in the new
//! session. What is never hidden by that replacement is a lock held in the expired session:
//! it is reported lost ([`ClientError::LockOwnershipLost`]).

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, PoisonError, Weak};
use std::time::Duration;

use coterie_core::dedup::RESEND_LIMIT;
use coterie_core::{
    ClientId, Consistency, CoreError, GroupCommand, GroupOutput, InvocationId, OwnerId, SessionId, StructureCommand,
    StructureOutput,
};
use tokio::task::JoinHandle;
use tokio::time::Instant;

use crate::config::{ClientConfig, MIN_HEARTBEAT};
use crate::error::ClientError;
use crate::handles::{AtomicLong, AtomicReference, CountDownLatch, FencedLock, Semaphore};
use crate::retry::Progress;
use crate::route::Routes;
use crate::sequence::Series;
use crate::transport::{Call, Transport};
use crate::value::Value;

/// Where a structure lives: `name` in group `default`, or `name@group`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Target {
    pub(crate) group: String,
    pub(crate) name: String,
}

impl Target {
    pub(crate) fn parse(full: &str) -> Result<Target, ClientError> {
        let invalid = |reason| ClientError::InvalidName { name: full.to_owned(), reason };
        let (name, group) = match full.rsplit_once('@') {
            Some((name, group)) => (name, group),
            None => (full, "default"),
        };
        if name.is_empty() {
            return Err(invalid("the structure name is empty"));
        }
        if group.is_empty() {
            return Err(invalid("the group after '@' is empty"));
        }
        Ok(Target { group: group.to_owned(), name: name.to_owned() })
    }
}

/// How a call relates to the caller's session.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Mode {
    /// A read that does not depend on the caller.
    Read,
    /// A read that depends on the caller's session (is-locked-by-me, ...).
    SessionRead,
    /// A change, applied exactly once, answered within the call timeout.
    Mutation,
    /// A change that may wait in the group up to `wait` (`None`: until granted).
    Blocking {
        /// The longest the group may park the call.
        wait: Option<Duration>,
    },
}

struct OpenSession {
    id: SessionId,
    heartbeat: JoinHandle<()>,
}

pub(crate) struct Shared<T> {
    pub(crate) transport: T,
    pub(crate) config: ClientConfig,
    pub(crate) leaders: Mutex<BTreeMap<coterie_core::Target, usize>>,
    /// The partition table sharded calls are routed by (`route.rs`).
    pub(crate) routes: Routes,
    sessions: tokio::sync::Mutex<BTreeMap<String, OpenSession>>,
    /// This client instance's identity, drawn at random in [`Client::new`].
    pub(crate) client_id: ClientId,
    /// The last open sequence number used per group.
    open_seqs: Mutex<BTreeMap<String, u64>>,
    /// The sequence numbers of this client's calls, per group.
    series: Mutex<BTreeMap<String, Arc<Series>>>,
    next_owner: AtomicU64,
    pub(crate) closed: AtomicBool,
}

/// A connection to a Coterie cluster. Clone it freely: clones share sessions and state.
pub struct Client<T: Transport> {
    pub(crate) shared: Arc<Shared<T>>,
    /// How long a non-blocking call of this handle may take, retries included.
    pub(crate) call_timeout: Duration,
    /// Whether plain reads of this handle are stale reads.
    pub(crate) stale_reads: bool,
    /// The consistency level the calls of this handle ask for.
    pub(crate) consistency: Consistency,
}

impl<T: Transport> Clone for Client<T> {
    fn clone(&self) -> Self {
        Client { shared: Arc::clone(&self.shared), ..*self }
    }
}

impl<T: Transport> Client<T> {
    /// A client over `transport`. Nothing is sent until the first call.
    ///
    /// `config` is taken as it is: call [`ClientConfig::validate`] first to have a bad
    /// setting refused. Unvalidated settings never make the client panic (a zero
    /// `heartbeat_interval` heartbeats every millisecond), and tests use them on purpose, for
    /// instance a heartbeat longer than the session TTL to play a client that went silent.
    pub fn new(transport: T, config: ClientConfig) -> Self {
        let shared = Shared {
            transport,
            config,
            leaders: Mutex::new(BTreeMap::new()),
            routes: Routes::default(),
            sessions: tokio::sync::Mutex::new(BTreeMap::new()),
            client_id: crate::identity::draw(),
            open_seqs: Mutex::new(BTreeMap::new()),
            series: Mutex::new(BTreeMap::new()),
            next_owner: AtomicU64::new(1),
            closed: AtomicBool::new(false),
        };
        let call_timeout = shared.config.call_timeout;
        Client { shared: Arc::new(shared), call_timeout, stale_reads: false, consistency: Consistency::Default }
    }

    /// This client instance's identity: drawn at random when it was created, shared by its
    /// clones, sent with every session open so the group can answer a resent one.
    pub fn client_id(&self) -> ClientId {
        self.shared.client_id
    }

    /// This client with another call timeout: how long each non-blocking call of the
    /// structures it hands out may take, retries and leader changes included (blocking
    /// calls wait their own timeout plus this). It shares the original's sessions, so locks
    /// and permits taken through either belong to the same session.
    ///
    /// ```ignore
    /// let patient = client.with_call_timeout(Duration::from_secs(30));
    /// patient.atomic_long("seq")?.increment_and_get().await?;
    /// ```
    pub fn with_call_timeout(&self, timeout: Duration) -> Client<T> {
        Client { shared: Arc::clone(&self.shared), call_timeout: timeout, ..*self }
    }

    /// This client with stale reads: the plain reads of the structures it hands out (`get`,
    /// `is_locked`, `available_permits`, `get_count`, ...) are answered by whichever member
    /// receives them, from its applied state, without confirming with a quorum that the
    /// leader still leads. They cost no quorum round trip and keep answering while no
    /// quorum is reachable, but may miss the most recent writes (many of them on a member
    /// that just restarted and is still catching up, which can answer older values than it
    /// did before the restart). Reads are linearizable unless you ask for this. Writes, and
    /// reads about the caller's own session (`is_locked_by_me`), are unaffected. Shares the
    /// original's sessions.
    pub fn with_stale_reads(&self) -> Client<T> {
        Client { shared: Arc::clone(&self.shared), stale_reads: true, ..*self }
    }

    /// This client asking for `consistency` on every structure call (seed 004's levels; see
    /// [`Consistency`]). A CP group commits on a majority of its voters and is linearizable:
    /// it serves `Default`, `Eventual`, `Quorum` and `AtLeast(n)` up to a majority, and
    /// refuses the rest ([`ClientError::Refused`] with an `InvalidArgument` that says so)
    /// instead of answering with less than was asked. Shares the original's sessions.
    pub fn with_consistency(&self, consistency: Consistency) -> Client<T> {
        Client { shared: Arc::clone(&self.shared), consistency, ..*self }
    }

    /// The AtomicLong `name` (`name@group` for another CP group).
    pub fn atomic_long(&self, name: &str) -> Result<AtomicLong<T>, ClientError> {
        Ok(AtomicLong::new(self.clone(), Target::parse(name)?))
    }

    /// The AtomicReference `name`, holding values of type `V`.
    pub fn atomic_reference<V: Value>(&self, name: &str) -> Result<AtomicReference<T, V>, ClientError> {
        Ok(AtomicReference::new(self.clone(), Target::parse(name)?))
    }

    /// The FencedLock `name`. Each handle is one owner: clone the handle to share the
    /// ownership with another task, call this again for a competing owner.
    pub fn fenced_lock(&self, name: &str) -> Result<FencedLock<T>, ClientError> {
        let owner = OwnerId(u128::from(self.shared.next_owner.fetch_add(1, Ordering::Relaxed)));
        Ok(FencedLock::new(self.clone(), Target::parse(name)?, owner))
    }

    /// The CP Semaphore `name`.
    pub fn semaphore(&self, name: &str) -> Result<Semaphore<T>, ClientError> {
        Ok(Semaphore::new(self.clone(), Target::parse(name)?))
    }

    /// The CountDownLatch `name`.
    pub fn count_down_latch(&self, name: &str) -> Result<CountDownLatch<T>, ClientError> {
        Ok(CountDownLatch::new(self.clone(), Target::parse(name)?))
    }

    /// Closes the client's sessions, releasing its locks and permits at once instead of
    /// after the session TTL. Later calls fail with [`ClientError::Closed`].
    pub async fn close(&self) -> Result<(), ClientError> {
        self.shared.closed.store(true, Ordering::SeqCst);
        let sessions = std::mem::take(&mut *self.shared.sessions.lock().await);
        let mut first_error = None;
        for (group, session) in sessions {
            session.heartbeat.abort();
            let call = Call::group_command(&group, GroupCommand::CloseSession { session: session.id });
            match self.send(call, Instant::now().checked_add(self.shared.config.call_timeout)).await {
                Ok(_) | Err(ClientError::Refused(CoreError::SessionExpired { .. })) => {}
                Err(err) => first_error = first_error.or(Some(err)),
            }
        }
        first_error.map_or(Ok(()), Err)
    }

    /// Runs one structure command with the identity and deadline `mode` calls for.
    pub(crate) async fn execute(
        &self,
        target: &Target,
        command: StructureCommand,
        mode: Mode,
    ) -> Result<StructureOutput, ClientError> {
        self.execute_pinned(target, command, mode, None).await.map(|(output, _)| output)
    }

    /// Like [`Client::execute`], answering also the session the call was made in (`None`
    /// for reads made without one). With `pin`, the call is made in that session or not at
    /// all: if it is no longer the group's open session (it expired), the call fails with
    /// [`CoreError::SessionExpired`] for it instead of moving to a new session. Handles
    /// whose state belongs to a session (a held lock) pin it.
    pub(crate) async fn execute_pinned(
        &self,
        target: &Target,
        command: StructureCommand,
        mode: Mode,
        pin: Option<SessionId>,
    ) -> Result<(StructureOutput, Option<SessionId>), ClientError> {
        if self.shared.closed.load(Ordering::SeqCst) {
            return Err(ClientError::Closed);
        }
        let command_kind = command.kind();
        let invoke = GroupCommand::Invoke { name: target.name.clone(), command };
        let timeout = self.call_timeout;
        let deadline = match mode {
            Mode::Blocking { wait: None } => None,
            Mode::Blocking { wait: Some(wait) } => Instant::now().checked_add(wait.saturating_add(timeout)),
            Mode::Read | Mode::SessionRead | Mode::Mutation => Instant::now().checked_add(timeout),
        };
        let (output, session) = if mode == Mode::Read && pin.is_none() {
            let call = Call {
                target: coterie_core::Target::cp(target.group.clone()),
                command: invoke,
                session: None,
                invocation: None,
                stale_read: self.stale_reads,
                keep_parked: false,
                consistency: self.consistency,
                redirect: true,
            };
            (self.send(call, deadline).await?, None)
        } else {
            let in_session = pin.is_some() || mode == Mode::SessionRead || command_kind.owned_by_sessions();
            self.send_as_caller(&target.group, invoke, mode, deadline, pin, in_session).await?
        };
        match output {
            GroupOutput::Structure(output) => Ok((output, session)),
            other => Err(ClientError::UnexpectedOutput(format!("{other:?}"))),
        }
    }

    /// Sends `command` as this client's next call to `group` (under one invocation id for
    /// all its attempts, unless it is a session read), in the group's session (or in `pin`)
    /// when `in_session`, opening one if needed. Answers the output and the session used.
    ///
    /// If the session turns out to have expired, the group applied nothing (it answers a
    /// resend of an applied call from its record first), so the call is sent once more, with
    /// the same invocation id, in a new session — unless it was pinned to the expired one.
    async fn send_as_caller(
        &self,
        group: &str,
        command: GroupCommand,
        mode: Mode,
        deadline: Option<Instant>,
        pin: Option<SessionId>,
        in_session: bool,
    ) -> Result<(GroupOutput, Option<SessionId>), ClientError> {
        let blocking = matches!(mode, Mode::Blocking { .. });
        let with_invocation = mode != Mode::SessionRead && mode != Mode::Read;
        let attempt = if blocking { self.shared.config.wait_poll } else { self.shared.config.attempt_timeout };
        // Mutations are tracked until they end, so that the client never runs so far ahead of
        // a slow one that the group forgets its answer (see `sequence.rs`).
        let (invocation, _pending) = if with_invocation {
            let (seq, pending) = self.series(group).next(!blocking, deadline).await?;
            (Some(InvocationId { client: self.shared.client_id, seq }), pending)
        } else {
            (None, None)
        };
        let mut replaced = false;
        loop {
            let session = match (in_session, pin) {
                (false, _) => None,
                (true, Some(pinned)) => Some(self.pinned_session(group, pinned).await?),
                (true, None) => Some(self.session(group, deadline).await?),
            };
            let call = Call {
                target: coterie_core::Target::cp(group),
                command: command.clone(),
                session,
                invocation,
                stale_read: false,
                keep_parked: blocking && invocation.is_some(),
                consistency: self.consistency,
                redirect: true,
            };
            // A blocking call that this client stops waiting for (its deadline passed, or the
            // caller dropped the future) is cancelled, so it is not granted to nobody later.
            let cancel = invocation.filter(|_| blocking).map(|invocation| CancelOnDrop::new(self, group, invocation));
            let mut progress = Progress::default();
            let result = self.send_bounded(call, deadline, attempt, &mut progress).await;
            match cancel {
                // No answer before the deadline: dropping the guard cancels the call.
                Some(cancel)
                    if matches!(result, Err(ClientError::Unavailable { .. } | ClientError::Indeterminate { .. })) =>
                {
                    drop(cancel)
                }
                Some(cancel) => cancel.disarm(),
                None => {}
            }
            match (result, session) {
                (Err(ClientError::Refused(CoreError::SessionExpired { session: expired })), Some(session))
                    if expired == session =>
                {
                    self.forget_session(group, session).await;
                    if pin.is_some() || replaced {
                        return Err(ClientError::Refused(CoreError::SessionExpired { session }));
                    }
                    replaced = true;
                }
                (other, session) => return other.map(|output| (output, session)),
            }
        }
    }

    /// This client's series of sequence numbers for `group`.
    pub(crate) fn series(&self, group: &str) -> Arc<Series> {
        let mut series = self.shared.series.lock().unwrap_or_else(PoisonError::into_inner);
        Arc::clone(series.entry(group.to_owned()).or_default())
    }

    /// `pinned`, if it is still the group's open session; [`CoreError::SessionExpired`] for
    /// it otherwise.
    async fn pinned_session(&self, group: &str, pinned: SessionId) -> Result<SessionId, ClientError> {
        let sessions = self.shared.sessions.lock().await;
        match sessions.get(group) {
            Some(open) if open.id == pinned => Ok(pinned),
            _ => Err(ClientError::Refused(CoreError::SessionExpired { session: pinned })),
        }
    }

    /// The group's session, opening it if there is none.
    async fn session(&self, group: &str, deadline: Option<Instant>) -> Result<SessionId, ClientError> {
        let mut sessions = self.shared.sessions.lock().await;
        if let Some(open) = sessions.get(group) {
            return Ok(open.id);
        }
        let id = self.open_session(group, deadline).await?;
        let heartbeat = spawn_heartbeat(Arc::downgrade(&self.shared), group.to_owned(), id);
        sessions.insert(group.to_owned(), OpenSession { id, heartbeat });
        Ok(id)
    }

    /// Opens a session in `group`. One open is sent under one open number, resent with it
    /// (so the group answers the same session) until its answer arrives or [`RESEND_LIMIT`]
    /// has passed since its first send; then, if `deadline` allows, the client opens anew
    /// under a new number. An open applied whose answer never came is left unused: it holds
    /// nothing, and expires after its TTL.
    async fn open_session(&self, group: &str, deadline: Option<Instant>) -> Result<SessionId, ClientError> {
        loop {
            let seq = {
                let mut seqs = self.shared.open_seqs.lock().unwrap_or_else(PoisonError::into_inner);
                let seq = seqs.entry(group.to_owned()).or_insert(0);
                *seq += 1;
                *seq
            };
            let resend_until = Instant::now().checked_add(RESEND_LIMIT);
            let bound = match (deadline, resend_until) {
                (Some(deadline), Some(until)) => Some(deadline.min(until)),
                (deadline, until) => deadline.or(until),
            };
            let ttl = self.shared.config.session_ttl;
            let open = GroupCommand::OpenSession { ttl, client: self.shared.client_id, seq };
            match self.send(Call::group_command(group, open), bound).await {
                Ok(GroupOutput::Session(id)) => return Ok(id),
                Ok(other) => return Err(ClientError::UnexpectedOutput(format!("{other:?}"))),
                // The resend limit passed, not the caller's deadline: open anew.
                Err(ClientError::Unavailable { .. }) if deadline.is_none_or(|d| Instant::now() < d) => {}
                Err(err) => return Err(err),
            }
        }
    }

    async fn forget_session(&self, group: &str, session: SessionId) {
        let mut sessions = self.shared.sessions.lock().await;
        if sessions.get(group).is_some_and(|open| open.id == session)
            && let Some(open) = sessions.remove(group)
        {
            open.heartbeat.abort();
        }
    }
}

/// Keeps `session` alive until the client is dropped or the group says it expired.
fn spawn_heartbeat<T: Transport>(shared: Weak<Shared<T>>, group: String, session: SessionId) -> JoinHandle<()> {
    let interval = shared.upgrade().map_or(Duration::from_secs(5), |s| s.config.heartbeat_interval).max(MIN_HEARTBEAT);
    tokio::spawn(async move {
        let mut ticker = tokio::time::interval(interval);
        ticker.tick().await;
        loop {
            ticker.tick().await;
            let Some(shared) = shared.upgrade() else { return };
            let call_timeout = shared.config.call_timeout;
            let client = Client { shared, call_timeout, stale_reads: false, consistency: Consistency::Default };
            let call = Call::group_command(&group, GroupCommand::Heartbeat { session });
            if let Err(ClientError::Refused(CoreError::SessionExpired { .. })) =
                client.send(call, Instant::now().checked_add(interval)).await
            {
                client.forget_session(&group, session).await;
                return;
            }
        }
    })
}

/// Cancels a blocking call in the background when the client stops waiting for it before
/// it was answered: its deadline passed, or the caller dropped the future.
struct CancelOnDrop<T: Transport> {
    client: Option<Client<T>>,
    group: String,
    invocation: InvocationId,
}

impl<T: Transport> CancelOnDrop<T> {
    fn new(client: &Client<T>, group: &str, invocation: InvocationId) -> Self {
        CancelOnDrop { client: Some(client.clone()), group: group.to_owned(), invocation }
    }

    /// The call was answered: nothing to cancel.
    fn disarm(mut self) {
        self.client = None;
    }
}

impl<T: Transport> Drop for CancelOnDrop<T> {
    fn drop(&mut self) {
        let Some(client) = self.client.take() else { return };
        // Without a runtime (the process is exiting) the session's expiry cleans up.
        let Ok(runtime) = tokio::runtime::Handle::try_current() else { return };
        let call = Call::group_command(&self.group, GroupCommand::Cancel { invocation: self.invocation });
        runtime.spawn(async move {
            let deadline = Instant::now().checked_add(client.shared.config.call_timeout);
            // Best effort: if no member can be reached, the session's expiry cancels it.
            let _ = client.send(call, deadline).await;
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_parse_with_an_optional_group() {
        assert_eq!(Target::parse("seq"), Ok(Target { group: "default".into(), name: "seq".into() }));
        assert_eq!(Target::parse("seq@orders"), Ok(Target { group: "orders".into(), name: "seq".into() }));
        assert_eq!(Target::parse("a@b@c"), Ok(Target { group: "c".into(), name: "a@b".into() }));
        assert!(matches!(Target::parse(""), Err(ClientError::InvalidName { .. })));
        assert!(matches!(Target::parse("seq@"), Err(ClientError::InvalidName { .. })));
        assert!(matches!(Target::parse("@g"), Err(ClientError::InvalidName { .. })));
    }
}
