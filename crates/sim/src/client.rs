//! A simulated client: a session, a target node, and operations with timeouts and retries.
//!
//! A client talks to one node at a time, in process (`CpNode::call` / `CpNode::read`), over
//! a link that loses requests and answers with the network's current loss rate (partitions
//! cut only links between members: clients reach every member that is up). A request to a
//! paused member waits for it to resume, within the attempt's timeout. Each
//! operation keeps its invocation id across retries, so the group's retry window answers a
//! retry of an applied write instead of applying it again, and follows `NotLeader` hints.
//!
//! Outcomes are classified conservatively, since the checker trusts them:
//!
//! * `Ok` only with the node's answer in hand;
//! * `Fail` only when no attempt can have been applied: each was refused before proposing
//!   (`NotLeader`), or never left the client (its node was down, or the request was lost);
//! * `Unknown` otherwise: a timeout, a lost answer, a `Stopped` or `OutcomeUnknown` node, any
//!   structure error (which says the group saw it) — anything that may have been applied.

use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use coterie_core::{ClientId, CoreError, GroupCommand, GroupOutput, InvocationId, SessionId};
use coterie_server::Request;
use coterie_server::cp::CpError;
use tokio::sync::watch;
use tokio::time::Instant;

use crate::cluster::Cluster;
use crate::net::Net;
use crate::observe::Recorder;
use crate::ops::{Ended, Histories, Op};
use crate::params::{Bugs, SimParams};
use crate::rng::SimRng;

/// Sessions outlive any run: expiry is not what this simulation tests yet.
const SESSION_TTL: Duration = Duration::from_secs(3_600);

/// How one attempt ended.
enum Attempt {
    Done(GroupOutput),
    /// Certainly not applied; maybe a hint of who leads.
    NotApplied(Option<u64>),
    /// May have been applied.
    Maybe,
    /// Applied, and refused by the lock: the caller does not hold it.
    NotOwner,
}

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
        let target = rng.range(1, ctx.params.nodes + 1);
        let op_timeout = ctx.params.op_timeout;
        SimClient { ctx, id, rng, session: None, seq: 0, target, generation: 0, op_timeout }
    }

    /// Uses `timeout` for whole operations from now on.
    pub fn with_op_timeout(mut self, timeout: Duration) -> Self {
        self.op_timeout = timeout;
        self
    }

    fn now_us(&self) -> u64 {
        u64::try_from(Instant::now().saturating_duration_since(self.ctx.start).as_micros()).unwrap_or(u64::MAX)
    }

    fn process(&self) -> u64 {
        self.id * 1_000_000 + self.generation
    }

    fn next_target(&mut self, hint: Option<u64>) {
        self.target = match hint {
            Some(id) if id != self.target => id,
            _ => self.rng.range(1, self.ctx.params.nodes + 1),
        };
    }

    fn lost(&mut self) -> bool {
        let loss = self.ctx.net.loss_ppm();
        loss > 0 && self.rng.chance(loss)
    }

    /// One attempt of `request` at the current target.
    async fn attempt(&mut self, request: &Request, read: bool) -> Attempt {
        let stale = read && self.ctx.bugs.stale_reads;
        // The planted stale read asks any member, as a client reading from followers would.
        let asked = if stale { self.rng.range(1, self.ctx.params.nodes + 1) } else { self.target };
        let Some(node) = self.ctx.cluster.node(asked) else { return Attempt::NotApplied(None) };
        let timeout = self.ctx.params.attempt_timeout;
        if self.lost() {
            tokio::time::sleep(timeout).await;
            return Attempt::NotApplied(None);
        }
        // A paused node takes the request only once it resumes; if the attempt times out first,
        // the client cannot tell that it never arrived.
        let held = tokio::time::timeout(timeout, self.ctx.net.unpaused(asked, asked)).await;
        if held.is_err() {
            return Attempt::Maybe;
        }
        let answer = if stale {
            Ok(node.read_stale(request))
        } else {
            let call = async {
                if read { node.read(request.clone(), timeout).await } else { node.call(request.clone(), timeout).await }
            };
            tokio::time::timeout(timeout + Duration::from_millis(50), call).await
        };
        let Ok(answer) = answer else { return Attempt::Maybe };
        if self.lost() {
            return Attempt::Maybe;
        }
        match answer {
            Ok(output) => Attempt::Done(output),
            Err(CpError::NotLeader { leader }) => Attempt::NotApplied(leader.map(|(id, _)| id)),
            Err(CpError::Core(CoreError::NotOwner { .. })) => Attempt::NotOwner,
            Err(_) => Attempt::Maybe,
        }
    }

    /// Sends `request` until it answers or `timeout` passes; `fresh` gives each retry a new
    /// invocation (for the planted bug).
    async fn send(&mut self, mut request: Request, read: bool, timeout: Duration, fresh: bool) -> Ended {
        let deadline = Instant::now() + timeout;
        let mut maybe = false;
        loop {
            if Instant::now() >= deadline {
                return if maybe && !self.ctx.bugs.unknown_as_fail { Ended::Unknown } else { Ended::Fail };
            }
            match self.attempt(&request, read).await {
                Attempt::Done(output) => return Ended::Ok(output),
                Attempt::NotOwner => return Ended::NotOwner,
                Attempt::NotApplied(hint) => self.next_target(hint),
                Attempt::Maybe => {
                    maybe = true;
                    self.next_target(None);
                }
            }
            if fresh && let Some(invocation) = request.invocation.as_mut() {
                self.seq += 1;
                invocation.seq = self.seq;
            }
            tokio::time::sleep(Duration::from_millis(self.rng.range(2, 30))).await;
        }
    }

    /// Opens this client's session, retrying the same open until it answers or `until`.
    pub async fn open_session(&mut self, until: Instant) -> bool {
        let Some(client) = ClientId::new(u128::from(self.id)) else { return false };
        let open = Request::internal(GroupCommand::OpenSession { ttl: SESSION_TTL, client, seq: 1 });
        while Instant::now() < until {
            let left = until.saturating_duration_since(Instant::now());
            if let Ended::Ok(GroupOutput::Session(session)) = self.send(open.clone(), false, left, false).await {
                self.ctx.net.record(&format!("client {} session {}", self.id, session.0));
                self.session = Some(session);
                return true;
            }
        }
        false
    }

    /// Runs `op` to its end and records it.
    pub async fn run(&mut self, op: &Op) -> Ended {
        let invoke = self.now_us();
        let read = op.is_read();
        let request = match (self.session, ClientId::new(u128::from(self.id))) {
            (Some(session), Some(client)) if !read => {
                self.seq += 1;
                Request::invoked(op.command(), Some(session), InvocationId { client, seq: self.seq })
            }
            _ => Request::internal(op.command()),
        };
        self.ctx.net.record(&format!("client {} invoke {op:?}", self.id));
        let fresh = self.ctx.bugs.fresh_seq_on_retry;
        let invocation = request.invocation;
        let ended = self.send(request, read, self.op_timeout, fresh).await;
        let complete = self.now_us();
        // The answered attempt carried the last sequence number drawn (a planted fresh one).
        if let (Ended::Ok(_), Some(invocation)) = (&ended, invocation) {
            let acked = InvocationId { seq: self.seq, ..invocation };
            let description = format!("client {} {op:?} ({acked})", self.id);
            self.ctx.recorder.lock().unwrap_or_else(PoisonError::into_inner).ack(&acked, complete, description);
        }
        self.ctx.net.record(&format!("client {} end {ended:?}", self.id));
        let process = self.process();
        self.ctx.histories.lock().unwrap_or_else(PoisonError::into_inner).record(process, invoke, complete, op, &ended);
        if ended == Ended::Unknown {
            self.generation += 1;
        }
        ended
    }

    /// The workload: open a session, then random operations with think time until `stop`.
    pub async fn workload(mut self, stop: watch::Receiver<bool>, until: Instant) {
        if !self.open_session(until).await {
            return;
        }
        while !*stop.borrow() {
            let op = Op::random(&mut self.rng, self.id);
            self.run(&op).await;
            tokio::time::sleep(Duration::from_millis(self.rng.range(0, 40))).await;
        }
    }
}
