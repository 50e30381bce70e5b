//! The client: one per application, cheap to clone, shared by all handles.
//!
//! Every call goes through one retry loop. It sends to the endpoint believed to lead the
//! call's group, follows "not leader" hints, rotates past unreachable endpoints with capped
//! exponential backoff, and gives up at the call's deadline. Mutations carry a
//! `(session, seq)` invocation id that stays the same on every retry, so a retry after a
//! lost response is answered from the group's dedup window instead of being applied twice.
//!
//! Sessions open lazily, one per group, on the first call that needs one, and are kept
//! alive by a background heartbeat. If the group reports a session expired, the client
//! forgets it and opens a new one for the next call; anything the old session held is gone,
//! which is exactly what the cluster did for everyone else.

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, Weak};
use std::time::Duration;

use coterie_core::{
    CoreError, GroupCommand, GroupOutput, InvocationId, OwnerId, SessionId, StructureCommand, StructureOutput,
};
use tokio::task::JoinHandle;
use tokio::time::Instant;

use crate::error::ClientError;
use crate::handles::{AtomicLong, AtomicReference, CountDownLatch, FencedLock, Semaphore};
use crate::transport::{Call, Transport, TransportError};
use crate::value::Value;

/// Timeouts and intervals of a client.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ClientConfig {
    /// How long a non-blocking call may take, retries included.
    pub call_timeout: Duration,
    /// How long one attempt of a non-blocking call may take before the client tries another
    /// endpoint (with the same invocation id, so it is still applied once). A leader cut
    /// off from its quorum accepts calls it can never commit; this bounds the time lost
    /// to it.
    pub attempt_timeout: Duration,
    /// The TTL of the client's sessions: locks and permits are released this long after the
    /// client stops heartbeating.
    pub session_ttl: Duration,
    /// How often sessions are kept alive; well under `session_ttl`.
    pub heartbeat_interval: Duration,
    /// The first retry backoff; it doubles up to `retry_max`.
    pub retry_initial: Duration,
    /// The largest retry backoff.
    pub retry_max: Duration,
}

impl Default for ClientConfig {
    fn default() -> Self {
        ClientConfig {
            call_timeout: Duration::from_secs(5),
            attempt_timeout: Duration::from_secs(2),
            session_ttl: Duration::from_secs(60),
            heartbeat_interval: Duration::from_secs(5),
            retry_initial: Duration::from_millis(10),
            // Elections take one election timeout (150-300 ms by default): a client pausing
            // longer than ~100 ms between tries adds its pause to every failover. Measured
            // with `coterie bench failover`: a 500 ms cap made failover ~650 ms, the sum of
            // the doubling pauses.
            retry_max: Duration::from_millis(100),
        }
    }
}

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
    next_seq: u64,
    heartbeat: JoinHandle<()>,
}

struct Shared<T> {
    transport: T,
    config: ClientConfig,
    leaders: Mutex<BTreeMap<String, usize>>,
    sessions: tokio::sync::Mutex<BTreeMap<String, OpenSession>>,
    next_owner: AtomicU64,
    closed: AtomicBool,
}

/// A connection to a Coterie cluster. Clone it freely: clones share sessions and state.
pub struct Client<T: Transport> {
    shared: Arc<Shared<T>>,
    /// How long a non-blocking call of this handle may take, retries included.
    call_timeout: Duration,
    /// Whether plain reads of this handle are stale reads.
    stale_reads: bool,
}

impl<T: Transport> Clone for Client<T> {
    fn clone(&self) -> Self {
        Client { shared: Arc::clone(&self.shared), call_timeout: self.call_timeout, stale_reads: self.stale_reads }
    }
}

impl<T: Transport> Client<T> {
    /// A client over `transport`. Nothing is sent until the first call.
    pub fn new(transport: T, config: ClientConfig) -> Self {
        let shared = Shared {
            transport,
            config,
            leaders: Mutex::new(BTreeMap::new()),
            sessions: tokio::sync::Mutex::new(BTreeMap::new()),
            next_owner: AtomicU64::new(1),
            closed: AtomicBool::new(false),
        };
        let call_timeout = shared.config.call_timeout;
        Client { shared: Arc::new(shared), call_timeout, stale_reads: false }
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
        Client { shared: Arc::clone(&self.shared), call_timeout: timeout, stale_reads: self.stale_reads }
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
        Client { shared: Arc::clone(&self.shared), call_timeout: self.call_timeout, stale_reads: true }
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
            let call = Call {
                group,
                command: GroupCommand::CloseSession { session: session.id },
                session: None,
                invocation: None,
                stale_read: false,
            };
            match self.send(call, Some(Instant::now() + self.shared.config.call_timeout)).await {
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
        if self.shared.closed.load(Ordering::SeqCst) {
            return Err(ClientError::Closed);
        }
        let invoke = GroupCommand::Invoke { name: target.name.clone(), command };
        let timeout = self.call_timeout;
        let deadline = match mode {
            Mode::Blocking { wait: None } => None,
            Mode::Blocking { wait: Some(wait) } => Some(Instant::now() + wait + timeout),
            Mode::Read | Mode::SessionRead | Mode::Mutation => Some(Instant::now() + timeout),
        };
        let output = if mode == Mode::Read {
            let call = Call {
                group: target.group.clone(),
                command: invoke,
                session: None,
                invocation: None,
                stale_read: self.stale_reads,
            };
            self.send(call, deadline).await?
        } else {
            let attempt = match mode {
                Mode::Blocking { .. } => None,
                Mode::Read | Mode::SessionRead | Mode::Mutation => Some(self.shared.config.attempt_timeout),
            };
            self.send_in_session(&target.group, invoke, mode != Mode::SessionRead, deadline, attempt).await?
        };
        match output {
            GroupOutput::Structure(output) => Ok(output),
            other => Err(ClientError::UnexpectedOutput(format!("{other:?}"))),
        }
    }

    /// Sends `command` in the group's session, opening one if needed. If the session turns
    /// out to have expired, it is replaced once: the group refused the call without
    /// applying it, so sending it again in a new session is safe.
    async fn send_in_session(
        &self,
        group: &str,
        command: GroupCommand,
        with_invocation: bool,
        deadline: Option<Instant>,
        attempt: Option<Duration>,
    ) -> Result<GroupOutput, ClientError> {
        let mut replaced = false;
        loop {
            let (session, seq) = self.session(group, deadline).await?;
            let invocation = with_invocation.then_some(InvocationId { session, seq });
            let call = Call {
                group: group.to_owned(),
                command: command.clone(),
                session: Some(session),
                invocation,
                stale_read: false,
            };
            match self.send_bounded(call, deadline, attempt).await {
                Err(ClientError::Refused(CoreError::SessionExpired { session: expired }))
                    if expired == session && !replaced =>
                {
                    self.forget_session(group, session).await;
                    replaced = true;
                }
                other => return other,
            }
        }
    }

    /// The group's session and the next sequence number in it.
    async fn session(&self, group: &str, deadline: Option<Instant>) -> Result<(SessionId, u64), ClientError> {
        let mut sessions = self.shared.sessions.lock().await;
        if let Some(open) = sessions.get_mut(group) {
            open.next_seq += 1;
            return Ok((open.id, open.next_seq));
        }
        let ttl = self.shared.config.session_ttl;
        let call = Call {
            group: group.to_owned(),
            command: GroupCommand::OpenSession { ttl },
            session: None,
            invocation: None,
            stale_read: false,
        };
        let id = match self.send(call, deadline).await? {
            GroupOutput::Session(id) => id,
            other => return Err(ClientError::UnexpectedOutput(format!("{other:?}"))),
        };
        let heartbeat = spawn_heartbeat(Arc::downgrade(&self.shared), group.to_owned(), id);
        sessions.insert(group.to_owned(), OpenSession { id, next_seq: 1, heartbeat });
        Ok((id, 1))
    }

    async fn forget_session(&self, group: &str, session: SessionId) {
        let mut sessions = self.shared.sessions.lock().await;
        if sessions.get(group).is_some_and(|open| open.id == session)
            && let Some(open) = sessions.remove(group)
        {
            open.heartbeat.abort();
        }
    }

    /// Delivers `call` to its group's leader, retrying until `deadline` (`None`: forever);
    /// each attempt is bounded by the configured attempt timeout.
    async fn send(&self, call: Call, deadline: Option<Instant>) -> Result<GroupOutput, ClientError> {
        let attempt = Some(self.shared.config.attempt_timeout);
        self.send_bounded(call, deadline, attempt).await
    }

    /// Like [`Client::send`], with each attempt bounded by `attempt` (`None`: only by the
    /// deadline — for parked calls, whose wait is part of the answer).
    async fn send_bounded(
        &self,
        call: Call,
        deadline: Option<Instant>,
        attempt: Option<Duration>,
    ) -> Result<GroupOutput, ClientError> {
        let shared = &self.shared;
        let endpoints = shared.transport.endpoints().max(1);
        let started = Instant::now();
        let mut endpoint = self.leader_guess(&call.group).unwrap_or(0) % endpoints;
        let mut backoff = shared.config.retry_initial;
        let mut hops_without_pause = 0;
        loop {
            let remaining = match deadline {
                Some(deadline) => match deadline.checked_duration_since(Instant::now()) {
                    Some(left) if !left.is_zero() => Some(left),
                    _ => {
                        return Err(ClientError::Unavailable {
                            waited_ms: started.elapsed().as_millis(),
                            last: "the call's deadline passed".to_owned(),
                        });
                    }
                },
                None => None,
            };
            let bound = match (remaining, attempt) {
                (Some(left), Some(attempt)) => Some(left.min(attempt)),
                (left, attempt) => left.or(attempt),
            };
            let failure = match shared.transport.call(endpoint, call.clone(), bound).await {
                Ok(output) => {
                    self.remember_leader(&call.group, endpoint);
                    return Ok(output);
                }
                Err(TransportError::Refused(err)) => return Err(ClientError::Refused(err)),
                Err(TransportError::NotLeader { leader: Some(leader) }) if hops_without_pause < endpoints => {
                    // Follow the hint at once; pause only if hints keep going round.
                    endpoint = leader % endpoints;
                    hops_without_pause += 1;
                    continue;
                }
                Err(TransportError::NotLeader { .. }) => "no endpoint knew the leader".to_owned(),
                Err(TransportError::Unavailable { reason }) => reason,
            };
            hops_without_pause = 0;
            endpoint = (endpoint + 1) % endpoints;
            let pause = remaining.map_or(backoff, |left| backoff.min(left));
            tokio::time::sleep(pause).await;
            backoff = (backoff * 2).min(shared.config.retry_max);
            if deadline.is_some_and(|d| Instant::now() >= d) {
                return Err(ClientError::Unavailable { waited_ms: started.elapsed().as_millis(), last: failure });
            }
        }
    }

    fn leader_guess(&self, group: &str) -> Option<usize> {
        self.shared.leaders.lock().ok().and_then(|leaders| leaders.get(group).copied())
    }

    fn remember_leader(&self, group: &str, endpoint: usize) {
        if let Ok(mut leaders) = self.shared.leaders.lock() {
            leaders.insert(group.to_owned(), endpoint);
        }
    }
}

/// Keeps `session` alive until the client is dropped or the group says it expired.
fn spawn_heartbeat<T: Transport>(shared: Weak<Shared<T>>, group: String, session: SessionId) -> JoinHandle<()> {
    let interval = shared.upgrade().map_or(Duration::from_secs(5), |s| s.config.heartbeat_interval);
    tokio::spawn(async move {
        let mut ticker = tokio::time::interval(interval);
        ticker.tick().await;
        loop {
            ticker.tick().await;
            let Some(shared) = shared.upgrade() else { return };
            let call_timeout = shared.config.call_timeout;
            let client = Client { shared, call_timeout, stale_reads: false };
            let call = Call {
                group: group.clone(),
                command: GroupCommand::Heartbeat { session },
                session: None,
                invocation: None,
                stale_read: false,
            };
            if let Err(ClientError::Refused(CoreError::SessionExpired { .. })) =
                client.send(call, Some(Instant::now() + interval)).await
            {
                client.forget_session(&group, session).await;
                return;
            }
        }
    })
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
