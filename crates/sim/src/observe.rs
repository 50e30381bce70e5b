//! What the invariant checkers of [`coterie_check::invariants`] need, recorded during a run.
//!
//! * **Leadership**, sampled from every running member's Raft metrics each millisecond of
//!   virtual time (openraft's own tick): a member acting as leader, or the leader its
//!   committed vote names, with its term and the member's incarnation. Only changes are kept.
//!   A reign shorter than a millisecond can be missed; nothing is ever invented.
//! * **Applied states**, sampled every [`STATE_EVERY`] when a member's applied index moved:
//!   the group it applied, encoded (its serde form, deterministic: every map in it is ordered) and hashed.
//! * **Acknowledged writes**, recorded by the clients ([`Observations::ack`]): the
//!   invocation id of every write the group answered, which the log entries carry.
//! * **Logs**, at the end, from each member's disk: what it holds plus what it purged into
//!   snapshots it had the entries for (see [`Disk::entries`](crate::store::Disk::entries)).
//!
//! Sampling does not send messages or touch the nodes' state, so it changes no run's
//! outcome, only (deterministically) the order tasks are polled in.

use std::hash::{DefaultHasher, Hash, Hasher};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use coterie_check::invariants::{
    AckedWrite, AppliedState, EntryId, LeaderIds, LeaderObservation, LogEntry, NodeLog, RunSnapshot, check_all,
};
use coterie_core::InvocationId;
use coterie_server::cp::types::CpPayload;
use coterie_storage::Entry;
use openraft::async_runtime::WatchReceiver;
use openraft::{EntryPayload, ServerState};
use tokio::sync::watch;
use tokio::time::Instant;

use crate::cluster::Cluster;

/// How often applied states are sampled.
pub const STATE_EVERY: Duration = Duration::from_millis(20);

/// Everything sampled so far.
#[derive(Debug, Default)]
pub struct Observations {
    leaders: Vec<LeaderObservation>,
    applied: Vec<AppliedState>,
    acked: Vec<AckedWrite>,
}

/// The identity a log entry and an acknowledgement share: the invocation, as one number.
pub fn write_id(invocation: &InvocationId) -> u64 {
    // Client ids are small in the simulation; the seq fits in 32 bits for any run.
    (u64::try_from(invocation.client.get()).unwrap_or(u64::MAX) << 32) | (invocation.seq & 0xffff_ffff)
}

fn hash(bytes: &[u8]) -> u64 {
    let mut hasher = DefaultHasher::new();
    bytes.hash(&mut hasher);
    hasher.finish()
}

fn micros(start: Instant) -> u64 {
    u64::try_from(Instant::now().saturating_duration_since(start).as_micros()).unwrap_or(u64::MAX)
}

impl Observations {
    /// Records that `invocation` was acknowledged at `at` (virtual microseconds).
    pub fn ack(&mut self, invocation: &InvocationId, at: u64, description: String) {
        self.acked.push(AckedWrite { write: write_id(invocation), acked_at: at, description });
    }

    fn leader(&mut self, obs: LeaderObservation) {
        let same = |o: &&LeaderObservation| o.observer == obs.observer;
        let last = self.leaders.iter().rev().find(same);
        if last.is_none_or(|l| LeaderObservation { at: obs.at, ..*l } != obs) {
            self.leaders.push(obs);
        }
    }
}

/// The shared recorder.
pub type Recorder = Arc<Mutex<Observations>>;

fn lock(recorder: &Recorder) -> std::sync::MutexGuard<'_, Observations> {
    recorder.lock().unwrap_or_else(PoisonError::into_inner)
}

/// Samples `cluster` every millisecond until `stop` is set.
pub async fn sample(cluster: Arc<Cluster>, recorder: Recorder, start: Instant, stop: watch::Receiver<bool>) {
    let mut last_applied: Vec<Option<u64>> = vec![None; cluster.ids().len()];
    let mut next_state = Instant::now();
    while !*stop.borrow() {
        let at = micros(start);
        let states = Instant::now() >= next_state;
        if states {
            next_state = Instant::now() + STATE_EVERY;
        }
        for (slot, id) in cluster.ids().into_iter().enumerate() {
            let Some(node) = cluster.node(id) else { continue };
            let incarnation = cluster.incarnation(id);
            // Read in place: cloning the metrics (replication maps and all) each millisecond
            // was most of the sampling's cost.
            let (acting, term, current, applied) = {
                let watch = node.raft().metrics();
                let m = watch.borrow_watched();
                let applied = m
                    .last_applied
                    .as_ref()
                    .map(|id| coterie_storage::LogId::new(id.leader_id.term, id.leader_id.node_id, id.index));
                (m.state == ServerState::Leader, m.current_term, m.current_leader, applied)
            };
            if let (Some(applied), Some(disk)) = (applied, cluster.disk(id)) {
                disk.note_applied(applied);
            }
            let leader = if acting { Some(id) } else { current };
            if let Some(leader) = leader {
                let obs = LeaderObservation { at, observer: id, incarnation, term, leader, acting };
                lock(&recorder).leader(obs);
            }
            if states {
                let (index, group) = node.applied();
                if let (Some(index), Some(last)) = (index, last_applied.get_mut(slot))
                    && *last != Some(index)
                    && let Ok(bytes) = coterie_core::codec::encode(&group)
                {
                    *last = Some(index);
                    lock(&recorder).applied.push(AppliedState { at, node: id, index, state: hash(&bytes) });
                }
            }
        }
        tokio::time::sleep(Duration::from_millis(1)).await;
    }
}

fn entry(entry: &Entry) -> LogEntry {
    let id = EntryId { index: entry.log_id.index, term: entry.log_id.term, leader: entry.log_id.node };
    let write = match coterie_core::codec::decode::<CpPayload>(&entry.payload, "raft log entry") {
        Ok(EntryPayload::Normal(record)) => record.request.invocation.as_ref().map(write_id),
        _ => None,
    };
    LogEntry { id, payload: hash(&entry.payload), write }
}

/// Every member's log as its disk holds it now, with the commit and apply progress its
/// metrics report (a down member: its snapshot's).
pub fn logs(cluster: &Cluster) -> Vec<NodeLog> {
    cluster
        .ids()
        .into_iter()
        .filter_map(|id| {
            let disk = cluster.disk(id)?;
            let (entries, snapshot) = disk.entries();
            let metrics = cluster.node(id).map(|node| node.metrics());
            let committed = metrics.as_ref().and_then(|m| m.local_committed.as_ref().map(|c| c.index));
            let applied = metrics.as_ref().and_then(|m| m.last_applied.map(|c| c.index));
            // Whatever a snapshot covers was committed and applied.
            let committed = committed.max(snapshot);
            Some(NodeLog { node: id, entries: entries.iter().map(entry).collect(), committed, applied })
        })
        .collect()
}

/// How much the invariant checkers had to look at in a run.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Sampled {
    /// Leadership observations (changes only).
    pub leaders: usize,
    /// Leader ids seen acting.
    pub reigns: usize,
    /// Applied-state samples.
    pub states: usize,
    /// Acknowledged writes.
    pub acked: usize,
    /// Log entries, over every member.
    pub entries: usize,
}

/// Runs the four checkers over what `recorder` sampled and the members' logs now: each
/// violation as a line, how much was sampled, and the snapshot itself.
pub fn check(cluster: &Cluster, recorder: &Recorder) -> (Vec<String>, Sampled, RunSnapshot) {
    let observations = std::mem::take(&mut *lock(recorder));
    let mut reigns: Vec<(u64, u64)> =
        observations.leaders.iter().filter(|o| o.acting).map(|o| (o.term, o.leader)).collect();
    reigns.sort_unstable();
    reigns.dedup();
    let run = RunSnapshot {
        leader_ids: LeaderIds::TermAndNode,
        leaders: observations.leaders,
        logs: logs(cluster),
        applied: observations.applied,
        acked: observations.acked,
    };
    let sampled = Sampled {
        leaders: run.leaders.len(),
        reigns: reigns.len(),
        states: run.applied.len(),
        acked: run.acked.len(),
        entries: run.logs.iter().map(|log| log.entries.len()).sum(),
    };
    (check_all(&run).iter().map(ToString::to_string).collect(), sampled, run)
}
