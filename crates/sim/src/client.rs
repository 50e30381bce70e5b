//! A simulated client: a session, a target node, and operations with timeouts and retries.
//!
//! Each operation keeps its invocation id across retries, so the group's record of calls
//! answers a retry of an applied write instead of applying it again (and a retry of a parked
//! call waits on it), and follows `NotLeader` hints. How one attempt travels is in
//! [`crate::link`]; heartbeats and expiry in [`crate::session`].
//!
//! Outcomes are classified conservatively, since the checker trusts them:
//!
//! * `Ok` only with the node's answer in hand;
//! * `Fail` only when no attempt can have been applied: each was refused before proposing
//!   (`NotLeader`), or never left the client (its node was down, or the request was lost);
//!   or the group answered `SessionExpired` (a call refused so is not recorded, so every
//!   attempt of it was refused or will be: sessions do not come back); or the call parked
//!   and the group confirmed that the client's `Cancel` removed it;
//! * `Unknown` otherwise: a timeout, a lost answer, a `Stopped` or `OutcomeUnknown` node, any
//!   other structure error (which says the group saw it) — anything that may have been
//!   applied. A parked call the client gave up on is `Unknown` unless its cancel was
//!   confirmed, or a resend after the cancel got its recorded answer (granted or cancelled).

use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use coterie_check::models::{MutexInput, SemaphoreInput};
use coterie_core::kinds::cp_semaphore::CpSemaphoreOutput;
use coterie_core::kinds::fenced_lock::FencedLockOutput;
use coterie_core::{ClientId, GroupCommand, GroupOutput, InvocationId, SessionId, StructureOutput};
use coterie_server::Request;
use tokio::sync::watch;
use tokio::time::Instant;

use crate::cluster::Cluster;
use crate::link::{Attempt, Path, attempt};
use crate::net::Net;
use crate::observe::Recorder;
use crate::ops::{Holdings, Op};
use crate::params::{Bugs, SimParams};
use crate::record::{Ended, Histories};
use crate::rng::SimRng;
use crate::session::Heartbeats;

/// The TTL of sessions that must outlive any run (no expiry is recorded for them).
const LASTING_TTL: Duration = Duration::from_secs(3_600);

/// What a client needs from its run.
#[derive(Clone)]
pub struct ClientCtx {
    /// The cluster.
    pub cluster: Arc<Cluster>,
    /// The network (for its loss rate and the trace).
    pub net: Arc<Net>,
    /// The run's parameters.
    pub params: SimParams,
    /// The planted bugs switched on.
    pub bugs: Bugs,
    /// Where operations are recorded.
    pub histories: Arc<Mutex<Histories>>,
    /// The virtual time histories count from.
    pub start: Instant,
    /// Where acknowledged writes are recorded, for the invariant checkers.
    pub recorder: Recorder,
}

/// One simulated client.
pub struct SimClient {
    ctx: ClientCtx,
    id: u64,
    rng: SimRng,
    session: Option<SessionId>,
    /// Sessions asked for so far (the open sequence number of the last one).
    opens: u64,
    /// The session TTL, and whether sessions may expire during the run.
    ttl: Duration,
    expiring: bool,
    heartbeats: Option<Heartbeats>,
    held: Holdings,
    seq: u64,
    target: u64,
    /// Bumped after every unknown outcome: as in Jepsen, a process whose operation is in
    /// doubt is replaced by a fresh one.
    generation: u64,
    /// The op timeout, changed for the liveness probe.
    op_timeout: Duration,
}

impl SimClient {
    /// Client `id` (from 1), drawing from `rng`.
    pub fn new(ctx: ClientCtx, id: u64, mut rng: SimRng) -> Self {
        let target = rng.range(1, ctx.cluster.size() + 1);
        let op_timeout = ctx.params.op_timeout;
        let (ttl, expiring) = ctx.params.session_ttl.map_or((LASTING_TTL, false), |ttl| (ttl, true));
        SimClient {
            ctx,
            id,
            rng,
            session: None,
            opens: 0,
            ttl,
            expiring,
            heartbeats: None,
            held: Holdings::default(),
            seq: 0,
            target,
            generation: 0,
            op_timeout,
        }
    }

    /// Uses `timeout` for whole operations from now on.
    pub fn with_op_timeout(mut self, timeout: Duration) -> Self {
        self.op_timeout = timeout;
        self
    }

    /// Opens sessions that outlive the run, whatever the seed says (for the liveness probe).
    pub fn with_lasting_sessions(mut self) -> Self {
        (self.ttl, self.expiring) = (LASTING_TTL, false);
        self
    }

    fn now_us(&self) -> u64 {
        u64::try_from(Instant::now().saturating_duration_since(self.ctx.start).as_micros()).unwrap_or(u64::MAX)
    }

    fn process(&self) -> u64 {
        self.id * 1_000_000 + self.generation
    }

    /// The model owner of the current session: one per session of each client.
    fn owner(&self) -> u64 {
        self.id * 1_000 + self.opens
    }

    fn histories(&self) -> std::sync::MutexGuard<'_, Histories> {
        self.ctx.histories.lock().unwrap_or_else(PoisonError::into_inner)
    }

    fn next_target(&mut self, hint: Option<u64>) {
        self.target = match hint {
            Some(id) if id != self.target => id,
            _ => self.rng.range(1, self.ctx.cluster.size() + 1),
        };
    }

    async fn attempt(&mut self, request: &Request, path: Path) -> Attempt {
        // The planted stale read asks any member, as a client reading from followers would.
        let (asked, path) = if path == Path::Read && self.ctx.bugs.stale_reads {
            (self.rng.range(1, self.ctx.cluster.size() + 1), Path::StaleRead)
        } else {
            (self.target, path)
        };
        attempt(&self.ctx, &mut self.rng, asked, request, path).await
    }

    fn reseq(&mut self, request: &mut Request) {
        if let Some(invocation) = request.invocation.as_mut() {
            self.seq += 1;
            invocation.seq = self.seq;
        }
    }

    /// Sends `request` until it answers or `timeout` passes; `fresh` gives each retry a new
    /// invocation (for the planted bug). A call sent on [`Path::Park`] that is still parked,
    /// or in doubt, when the time is up is cancelled ([`SimClient::give_up`]).
    async fn send(&mut self, mut request: Request, path: Path, timeout: Duration, fresh: bool) -> Ended {
        let deadline = Instant::now() + timeout;
        let mut maybe = false;
        // Whether the current invocation was seen parked (so the group has a record of it).
        let mut parked = false;
        let mut waited = false;
        loop {
            if Instant::now() >= deadline {
                if path == Path::Park && maybe {
                    return self.give_up(request, parked).await;
                }
                return if maybe && !self.ctx.bugs.unknown_as_fail { Ended::Unknown } else { Ended::Fail };
            }
            match self.attempt(&request, path).await {
                Attempt::Done(output) => {
                    if waited {
                        self.histories().coverage.woken_after_parking += 1;
                    }
                    return Ended::Ok(output);
                }
                Attempt::Refused => return Ended::Refused,
                Attempt::Expired => return Ended::Expired,
                Attempt::Cancelled => return Ended::Cancelled,
                Attempt::NotApplied(hint) => self.next_target(hint),
                Attempt::Maybe => {
                    maybe = true;
                    self.next_target(None);
                }
                Attempt::StillParked => {
                    (maybe, parked, waited) = (true, true, true);
                    self.histories().coverage.parked_retries += 1;
                    if self.ctx.bugs.parked_retry_fresh_seq {
                        // The planted bug: the next wait is sent as a new call.
                        self.reseq(&mut request);
                        parked = false;
                    }
                    // Go on waiting at once, at the same member.
                    continue;
                }
            }
            if fresh {
                self.reseq(&mut request);
                parked = false;
            }
            tokio::time::sleep(Duration::from_millis(self.rng.range(2, 30))).await;
        }
    }

    /// Gives up on a call that may be parked: proposes `Cancel` for it until the group
    /// answers. "Removed" means it never took effect. Otherwise, if the call was seen parked,
    /// the group holds its record, so a resend is answered from it (granted, or ended) and
    /// cannot enqueue it again; a call never seen parked stays in doubt.
    async fn give_up(&mut self, request: Request, parked: bool) -> Ended {
        let Some(invocation) = request.invocation else { return Ended::Unknown };
        let cancel = Request::internal(GroupCommand::Cancel { invocation });
        let deadline = Instant::now() + self.ctx.params.attempt_timeout * 3;
        while Instant::now() < deadline {
            match self.attempt(&cancel, Path::Call).await {
                Attempt::Done(GroupOutput::Bool(true)) => {
                    self.ctx.net.record(&format!("client {} cancelled {invocation}", self.id));
                    return Ended::Cancelled;
                }
                Attempt::Done(_) if parked => return self.learn(&request, deadline).await,
                Attempt::Done(_) => return Ended::Unknown,
                Attempt::NotApplied(hint) => self.next_target(hint),
                _ => self.next_target(None),
            }
            tokio::time::sleep(Duration::from_millis(self.rng.range(2, 30))).await;
        }
        Ended::Unknown
    }

    /// Resends a call the group has a record of, after a cancel that found nothing parked,
    /// to learn how it ended.
    async fn learn(&mut self, request: &Request, deadline: Instant) -> Ended {
        while Instant::now() < deadline {
            match self.attempt(request, Path::Park).await {
                Attempt::Done(output) => return Ended::Ok(output),
                Attempt::Refused => return Ended::Refused,
                Attempt::Expired => return Ended::Expired,
                Attempt::Cancelled => return Ended::Cancelled,
                Attempt::NotApplied(hint) => self.next_target(hint),
                Attempt::Maybe | Attempt::StillParked => self.next_target(None),
            }
            tokio::time::sleep(Duration::from_millis(self.rng.range(2, 30))).await;
        }
        Ended::Unknown
    }

    /// Opens a new session, retrying the same open until it answers or `until`. In seeds
    /// whose sessions may expire, records the expiry and starts the heartbeats.
    pub async fn open_session(&mut self, until: Instant) -> bool {
        let Some(client) = ClientId::new(u128::from(self.id)) else { return false };
        self.heartbeats = None;
        self.session = None;
        self.held = Holdings::default();
        self.opens += 1;
        let invoke = self.now_us();
        let open = Request::internal(GroupCommand::OpenSession { ttl: self.ttl, client, seq: self.opens });
        while Instant::now() < until {
            let left = until.saturating_duration_since(Instant::now());
            if let Ended::Ok(GroupOutput::Session(session)) = self.send(open.clone(), Path::Call, left, false).await {
                self.ctx.net.record(&format!("client {} session {}", self.id, session.0));
                self.session = Some(session);
                let (process, owner) = (self.process(), self.owner());
                let mut histories = self.histories();
                histories.coverage.sessions += 1;
                if self.expiring {
                    histories.may_expire(process, invoke, owner);
                }
                drop(histories);
                if self.expiring {
                    let rng = self.rng.fork(self.opens);
                    let beats = Heartbeats::start(self.ctx.clone(), self.id, session, self.ttl / 3, rng);
                    self.heartbeats = Some(beats);
                }
                return true;
            }
        }
        false
    }

    /// Runs `op` to its end and records it.
    pub async fn run(&mut self, op: &Op) -> Ended {
        let invoke = self.now_us();
        let path = if op.is_read() {
            Path::Read
        } else if op.may_park() {
            Path::Park
        } else {
            Path::Call
        };
        let request = match (self.session, ClientId::new(u128::from(self.id))) {
            (Some(session), Some(client)) if path != Path::Read => {
                self.seq += 1;
                Request::invoked(op.command(), Some(session), InvocationId { client, seq: self.seq })
            }
            _ => Request::internal(op.command()),
        };
        self.ctx.net.record(&format!("client {} invoke {op:?}", self.id));
        let fresh = self.ctx.bugs.fresh_seq_on_retry;
        let invocation = request.invocation;
        let ended = self.send(request, path, self.op_timeout, fresh).await;
        let complete = self.now_us();
        // The answered attempt carried the last sequence number drawn (a planted fresh one).
        if let (Ended::Ok(_), Some(invocation)) = (&ended, invocation) {
            let acked = InvocationId { seq: self.seq, ..invocation };
            let description = format!("client {} {op:?} ({acked})", self.id);
            self.ctx.recorder.lock().unwrap_or_else(PoisonError::into_inner).ack(&acked, complete, description);
        }
        self.ctx.net.record(&format!("client {} end {ended:?}", self.id));
        let process = self.process();
        self.histories().record(process, invoke, complete, op, &ended);
        match ended {
            Ended::Unknown => self.generation += 1,
            Ended::Expired => self.session = None,
            _ => {}
        }
        self.held = held_after(self.held, op, &ended);
        ended
    }

    /// Whether the current session is known to be gone (or was never opened).
    fn needs_session(&self) -> bool {
        self.session.is_none() || self.heartbeats.as_ref().is_some_and(Heartbeats::expired)
    }

    /// The workload: random operations in a session (a new one whenever the last expired),
    /// with think time, until `stop`.
    pub async fn workload(mut self, stop: watch::Receiver<bool>, until: Instant) {
        while !*stop.borrow() {
            if self.needs_session() && !self.open_session(until).await {
                return;
            }
            let owner = self.owner();
            let op = Op::random(&mut self.rng, &self.ctx.params, owner, self.held);
            self.run(&op).await;
            tokio::time::sleep(Duration::from_millis(self.rng.range(0, 40))).await;
        }
        self.heartbeats = None;
    }
}

/// What a session believes it holds after `op` ended as `ended`.
fn held_after(held: Holdings, op: &Op, ended: &Ended) -> Holdings {
    use FencedLockOutput as L;
    let answer = match ended {
        Ended::Ok(GroupOutput::Structure(out)) => Some(out),
        _ => None,
    };
    let mut next = held;
    match (op, answer) {
        (Op::Lock { input: MutexInput::Lock { .. } | MutexInput::TryLock { .. }, .. }, Some(out)) => {
            if matches!(out, StructureOutput::FencedLock(L::Fence(_) | L::MaybeFence(Some(_)))) {
                next.lock += 1;
            }
        }
        (Op::Lock { input: MutexInput::Unlock { .. }, .. }, Some(_)) => next.lock = next.lock.saturating_sub(1),
        (Op::Lock { input: MutexInput::Unlock { .. }, .. }, None) if *ended == Ended::Refused => next.lock = 0,
        (Op::Semaphore { input: SemaphoreInput::Acquire { permits, .. }, .. }, Some(_))
        | (
            Op::Semaphore { input: SemaphoreInput::TryAcquire { permits, .. }, .. },
            Some(StructureOutput::CpSemaphore(CpSemaphoreOutput::Bool(true))),
        ) => next.permits += permits,
        (Op::Semaphore { input: SemaphoreInput::Release { permits, .. }, .. }, Some(_)) => {
            next.permits = next.permits.saturating_sub(*permits);
        }
        (Op::Semaphore { input: SemaphoreInput::Release { .. }, .. }, None) if *ended == Ended::Refused => {
            next.permits = 0;
        }
        _ => {}
    }
    next
}
