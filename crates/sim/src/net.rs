//! The simulated network between CP nodes, behind the engine's [`RaftWire`].
//!
//! Each node's Raft runs over [`Transport::Remote`](coterie_server::cp::Transport::Remote)
//! with a [`SimWire`], so every message goes through the engine's real payload codec (a
//! version byte, then postcard of openraft's messages) exactly as between processes, and the
//! receiving side decodes it and calls the target's `Raft` as `RaftService` does. Between the
//! two, [`Net`] decides each leg (request, then response) with the run's seeded generator:
//!
//! * a target that is down refuses at once (a reset connection: the sender backs off);
//! * a cut link (a partition, which may be one-way) or a random loss drops the message
//!   silently, so the sender waits out its own timeout, as over a real network;
//! * otherwise the message is delayed by a random time of at least 1 ms (tokio's timer
//!   resolution), so messages overtake each other and no exchange takes zero virtual time (a
//!   retry loop between two nodes would otherwise spin without time ever advancing);
//! * a paused node's messages, both ways, are held until it resumes, then delivered late;
//! * a message in flight when its sender crashed, or when its link was cut, is dropped.
//!
//! Every decision is recorded in the run's [`Trace`] with its virtual time and a hash of the
//! payload.
//!
//! Written over `RaftWire` rather than with `turmoil`: turmoil simulates hosts that talk over
//! (simulated) TCP/UDP sockets, and a CP node's Raft traffic does not use sockets at all in
//! this seam; `RaftWire` is the narrowest point where the real encoding is still exercised,
//! and owning the fault model keeps every random choice on the run's one seeded stream.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Display;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::Duration;

use coterie_server::cp::remote::{SnapshotRpc, VoteRpc, decode_payload, encode_payload};
use coterie_server::cp::{CpRaft, CpTypes, RaftRegistry, RaftRpc, RaftWire};
use futures_util::future::BoxFuture;
use openraft::raft::AppendEntriesRequest;
use openraft::storage::Snapshot;
use serde::Serialize;
use tokio::sync::watch;
use tokio::time::Instant;

use crate::rng::SimRng;
use crate::trace::{Trace, hash_bytes};

/// Counts of what the network did with node-to-node messages (each leg counts once).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct NetStats {
    /// Legs delivered.
    pub delivered: u64,
    /// Legs dropped (loss, partition, crash in flight).
    pub dropped: u64,
    /// Legs refused because the target was down.
    pub refused: u64,
}

/// One node as the network knows it.
struct Endpoint {
    registry: RaftRegistry,
    up: bool,
    /// Raised at every crash: messages sent by an earlier incarnation are never delivered.
    incarnation: u64,
}

struct NetState {
    rng: SimRng,
    trace: Trace,
    nodes: BTreeMap<u64, Endpoint>,
    /// Directed links `(from, to)` that drop everything.
    blocked: BTreeSet<(u64, u64)>,
    loss_ppm: u64,
    delay_ms: (u64, u64),
    stats: NetStats,
}

/// What happens to one leg of a message.
enum Leg {
    /// Dropped silently: the sender waits out its timeout.
    Lost,
    /// Refused: the target is down.
    Refused,
    /// Arrives after this delay.
    After(Duration),
}

/// The simulated network and the run's trace. Shared by every node's wire and the clients.
pub struct Net {
    start: Instant,
    state: Mutex<NetState>,
    paused: watch::Sender<BTreeSet<u64>>,
}

impl Net {
    /// A network with no node yet, drawing from `rng`, whose trace starts at `start` (and is
    /// printed as it goes with `live`).
    pub fn new(rng: SimRng, start: Instant, keep_lines: bool, live: bool) -> Arc<Net> {
        let state = NetState {
            rng,
            trace: if live { Trace::new(keep_lines).live() } else { Trace::new(keep_lines) },
            nodes: BTreeMap::new(),
            blocked: BTreeSet::new(),
            loss_ppm: 0,
            delay_ms: (1, 2),
            stats: NetStats::default(),
        };
        Arc::new(Net { start, state: Mutex::new(state), paused: watch::channel(BTreeSet::new()).0 })
    }

    fn lock(&self) -> MutexGuard<'_, NetState> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Virtual time since the start of the run.
    pub fn elapsed(&self) -> Duration {
        Instant::now().saturating_duration_since(self.start)
    }

    /// Records `event` in the trace at the current virtual time.
    pub fn record(&self, event: &str) {
        let at = self.elapsed();
        self.lock().trace.record(at, event);
    }

    /// The trace so far.
    pub fn trace(&self) -> Trace {
        self.lock().trace.clone()
    }

    /// The counts so far.
    pub fn stats(&self) -> NetStats {
        self.lock().stats
    }

    /// Node `id` is (again) up, its Rafts found in `registry`.
    pub fn up(&self, id: u64, registry: RaftRegistry) {
        let mut state = self.lock();
        let node = state.nodes.entry(id).or_insert(Endpoint { registry: registry.clone(), up: true, incarnation: 0 });
        node.registry = registry;
        node.up = true;
        state.trace.record(self.elapsed(), &format!("node {id} up"));
    }

    /// Node `id` crashed: it sends and receives nothing, and what it had in flight is lost.
    pub fn crash(&self, id: u64) {
        let mut state = self.lock();
        if let Some(node) = state.nodes.get_mut(&id) {
            node.up = false;
            node.incarnation += 1;
        }
        state.trace.record(self.elapsed(), &format!("node {id} crashed"));
    }

    /// Whether node `id` is up.
    pub fn is_up(&self, id: u64) -> bool {
        self.lock().nodes.get(&id).is_some_and(|n| n.up)
    }

    /// Cuts exactly the directed links in `blocked` (replacing any cut before).
    pub fn cut(&self, blocked: BTreeSet<(u64, u64)>) {
        let mut state = self.lock();
        let text = format!("cut {blocked:?}");
        state.blocked = blocked;
        state.trace.record(self.elapsed(), &text);
    }

    /// Sets the loss probability (per million) and the one-way delay range in milliseconds
    /// (raised to at least 1 ms).
    pub fn set_loss(&self, loss_ppm: u64, delay_ms: (u64, u64)) {
        let delay_ms = (delay_ms.0.max(1), delay_ms.1.max(delay_ms.0.max(1) + 1));
        let mut state = self.lock();
        state.loss_ppm = loss_ppm;
        state.delay_ms = delay_ms;
        state.trace.record(self.elapsed(), &format!("loss {loss_ppm}ppm delay {delay_ms:?}ms"));
    }

    /// The current loss probability, per million (clients' links use it too).
    pub fn loss_ppm(&self) -> u64 {
        self.lock().loss_ppm
    }

    /// Holds every message from and to `id` until [`Net::resume`].
    pub fn pause(&self, id: u64) {
        self.record(&format!("node {id} paused"));
        self.paused.send_modify(|p| {
            p.insert(id);
        });
    }

    /// Releases node `id`'s held messages.
    pub fn resume(&self, id: u64) {
        self.record(&format!("node {id} resumed"));
        self.paused.send_modify(|p| {
            p.remove(&id);
        });
    }

    /// The nodes paused now.
    pub fn paused(&self) -> BTreeSet<u64> {
        self.paused.borrow().clone()
    }

    /// Waits until neither `a` nor `b` is paused.
    pub async fn unpaused(&self, a: u64, b: u64) {
        let mut rx = self.paused.subscribe();
        let _ = rx.wait_for(|p| !p.contains(&a) && !p.contains(&b)).await;
    }

    fn incarnation(&self, id: u64) -> u64 {
        self.lock().nodes.get(&id).map_or(0, |n| n.incarnation)
    }

    /// Decides one leg from `from` to `to` and records it.
    fn leg(&self, from: u64, to: u64, what: &str) -> Leg {
        let mut state = self.lock();
        let up = state.nodes.get(&to).is_some_and(|n| n.up);
        let loss = state.loss_ppm;
        let leg = if !up {
            state.stats.refused += 1;
            Leg::Refused
        } else if state.blocked.contains(&(from, to)) || state.rng.chance(loss) {
            state.stats.dropped += 1;
            Leg::Lost
        } else {
            let (lo, hi) = state.delay_ms;
            Leg::After(Duration::from_millis(state.rng.range(lo, hi)))
        };
        let decision = match &leg {
            Leg::Lost => "lost".to_owned(),
            Leg::Refused => "refused".to_owned(),
            Leg::After(d) => format!("after {}ms", d.as_millis()),
        };
        state.trace.record(self.elapsed(), &format!("{what} {from}->{to} {decision}"));
        leg
    }

    /// At arrival: whether a leg sent by incarnation `sent_by` of `from` may be delivered to
    /// `to` (neither crashed, the link not cut meanwhile). Counts and records the answer.
    fn arrive(&self, from: u64, sent_by: u64, to: u64, what: &str) -> Option<RaftRegistry> {
        let mut state = self.lock();
        let sender_alive = state.nodes.get(&from).is_some_and(|n| n.up && n.incarnation == sent_by);
        let target = state.nodes.get(&to).filter(|n| n.up).map(|n| n.registry.clone());
        let open = !state.blocked.contains(&(from, to));
        let delivered = target.filter(|_| sender_alive && open);
        if delivered.is_some() {
            state.stats.delivered += 1;
        } else {
            state.stats.dropped += 1;
        }
        let verdict = if delivered.is_some() { "delivered" } else { "dropped at arrival" };
        state.trace.record(self.elapsed(), &format!("{what} {from}->{to} {verdict}"));
        delivered
    }
}

/// Node `from`'s side of the simulated network.
#[derive(Clone)]
pub struct SimWire {
    from: u64,
    net: Arc<Net>,
}

impl SimWire {
    /// The wire node `from` sends on.
    pub fn new(from: u64, net: Arc<Net>) -> Self {
        SimWire { from, net }
    }
}

impl std::fmt::Debug for SimWire {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SimWire").field("from", &self.from).finish_non_exhaustive()
    }
}

/// Never answers: a dropped message, which the sender's own timeout ends.
async fn silence() -> Result<Vec<u8>, String> {
    std::future::pending::<Result<Vec<u8>, String>>().await
}

impl RaftWire for SimWire {
    fn send(
        &self,
        group: &str,
        target: u64,
        rpc: RaftRpc,
        payload: Vec<u8>,
        _ttl: Duration,
    ) -> BoxFuture<'static, Result<Vec<u8>, String>> {
        let (net, from, group) = (Arc::clone(&self.net), self.from, group.to_owned());
        let sent_by = net.incarnation(from);
        Box::pin(async move {
            let what = format!("{rpc:?} #{:016x}", hash_bytes(&payload));
            match net.leg(from, target, &what) {
                Leg::Lost => return silence().await,
                Leg::Refused => return Err(format!("member {target} is down")),
                Leg::After(delay) => tokio::time::sleep(delay).await,
            }
            net.unpaused(from, target).await;
            let Some(registry) = net.arrive(from, sent_by, target, &what) else { return silence().await };
            let Some(raft) = registry.get(&group) else {
                return Err(format!("group {group:?} is not running on member {target}"));
            };
            let answer = deliver(raft, rpc, &payload).await?;
            let what = format!("{rpc:?} answer #{:016x}", hash_bytes(&answer));
            let target_by = net.incarnation(target);
            match net.leg(target, from, &what) {
                Leg::Lost | Leg::Refused => return silence().await,
                Leg::After(delay) => tokio::time::sleep(delay).await,
            }
            net.unpaused(from, target).await;
            // The answer reaches only the incarnation that asked.
            match net.arrive(target, target_by, from, &what) {
                Some(_) if net.incarnation(from) == sent_by => Ok(answer),
                _ => silence().await,
            }
        })
    }

    fn learn(&self, _id: u64, _address: &str) {}
}

/// The encoded answer of `result` (the remote Raft's error as text), as `RaftService` sends.
fn answer<T: Serialize, E: Display>(result: Result<T, E>) -> Result<Vec<u8>, String> {
    encode_payload(&result.map_err(|err| err.to_string()))
}

/// Decodes `payload` as `rpc` and hands it to `raft`, as the host's `RaftService` does.
async fn deliver(raft: CpRaft, rpc: RaftRpc, payload: &[u8]) -> Result<Vec<u8>, String> {
    match rpc {
        RaftRpc::AppendEntries => {
            let request: AppendEntriesRequest<CpTypes> = decode_payload(payload, "AppendEntries")?;
            answer(raft.append_entries(request).await)
        }
        RaftRpc::Vote => match decode_payload(payload, "Vote")? {
            VoteRpc::Vote(request) => answer(raft.vote(request).await),
            VoteRpc::PreVote(request) => answer(raft.pre_vote(request).await),
            VoteRpc::TransferLeader(request) => answer(raft.handle_transfer_leader(request).await),
        },
        RaftRpc::FullSnapshot => {
            let (vote, meta, snapshot): SnapshotRpc = decode_payload(payload, "FullSnapshot")?;
            answer(raft.install_full_snapshot(vote, Snapshot { meta, snapshot }).await)
        }
    }
}
