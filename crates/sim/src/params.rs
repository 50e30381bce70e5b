//! Everything one seed decides, drawn up front as plain data.
//!
//! A run is a pure function of its [`SimParams`] (and the [`Bugs`] switched on), so the
//! parameters are computed once from the seed, printed with a failure, and nothing later draws
//! a setting from the clock or the OS. Timings are chosen so that openraft's own randomness
//! cannot reach the run (see [`SimParams::from_seed`]).

use std::time::Duration;

use crate::rng::SimRng;

/// Which kinds of faults a run injects during its safety phase.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct FaultMix {
    /// Partitions: symmetric splits, one isolated node, and one-way (asymmetric) cuts.
    pub partitions: bool,
    /// Crashes with restart from the node's storage.
    pub crashes: bool,
    /// Pauses: every message from and to the node is held until it resumes.
    pub pauses: bool,
    /// Random message loss and delay (and so reordering) between nodes and clients.
    pub loss: bool,
}

/// The parameters of one simulated run.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SimParams {
    /// The seed everything was drawn from.
    pub seed: u64,
    /// Cluster size: 3 or 5.
    pub nodes: u64,
    /// Raft heartbeat interval, 3 to 9 ms.
    pub heartbeat: Duration,
    /// Each node's election timeout (node `i + 1` is at index `i`).
    pub election: Vec<Duration>,
    /// Each node's clock offset from virtual time, in milliseconds (clock skew).
    pub skew_ms: Vec<i64>,
    /// Build a snapshot after this many entries (small, so snapshots and their install happen).
    pub snapshot_every: u64,
    /// Log entries kept behind a snapshot.
    pub keep_after_snapshot: u64,
    /// How long a proposal may wait to commit.
    pub propose_timeout: Duration,
    /// Concurrent clients.
    pub clients: u64,
    /// One attempt of a client call.
    pub attempt_timeout: Duration,
    /// A whole client operation, retries included.
    pub op_timeout: Duration,
    /// The safety phase's length (faults and workload).
    pub safety: Duration,
    /// How long the healed cluster has to serve a read and a write.
    pub liveness_bound: Duration,
    /// The faults of the safety phase.
    pub faults: FaultMix,
    /// The highest message-loss probability the fault schedule sets, per million.
    pub max_loss_ppm: u64,
    /// The longest one-way message delay the fault schedule sets.
    pub max_delay: Duration,
    /// The clients' session TTL when sessions may expire during the run (in about two seeds
    /// of five): short, kept alive by heartbeats every third of it, which the network can
    /// lose. `None`: sessions outlive the run, and no expiry is recorded.
    pub session_ttl: Option<Duration>,
    /// How long a try-lock or try-acquire that waits may wait in the group.
    pub lock_wait: Duration,
    /// The semaphore's permits.
    pub permits: u64,
    /// Whether the safety phase also changes the group's membership (in about one seed of
    /// four): a spare member (id `nodes + 1`) is started waiting to join, and voters are
    /// added and removed through the node's admin path while the faults go on.
    pub membership: bool,
}

fn ms(n: u64) -> Duration {
    Duration::from_millis(n)
}

impl SimParams {
    /// The parameters of seed `seed`.
    ///
    /// The heartbeat is at most 9 ms so that openraft's internal tick period
    /// (`heartbeat * 13 / 64` ms) is 1 ms: its random first tick wait, drawn from `[1 ms, 2 ms)`
    /// with `rand::rng()`, then always fires at the same millisecond of tokio's (millisecond)
    /// timer wheel. Each node's election timeout range is `(t, t + 1 ms)`, from which openraft
    /// can only draw `t`. The same seed always gives the same parameters.
    pub fn from_seed(seed: u64) -> Self {
        let mut rng = SimRng::new(seed).fork(0x5041_5241_4d53);
        let nodes = if rng.chance(500_000) { 3 } else { 5 };
        let hb = rng.range(3, 10);
        let election = (0..nodes).map(|_| ms(rng.range(hb * 8, hb * 30))).collect();
        let skew_ms = (0..nodes).map(|_| i64::try_from(rng.range(0, 1_000)).unwrap_or(0) - 500).collect();
        let mut faults = FaultMix {
            partitions: rng.chance(700_000),
            crashes: rng.chance(600_000),
            pauses: rng.chance(400_000),
            loss: rng.chance(600_000),
        };
        if faults == (FaultMix { partitions: false, crashes: false, pauses: false, loss: false }) {
            faults.partitions = true;
        }
        SimParams {
            seed,
            nodes,
            heartbeat: ms(hb),
            election,
            skew_ms,
            snapshot_every: rng.range(20, 400),
            keep_after_snapshot: rng.range(0, 50),
            propose_timeout: ms(rng.range(300, 1_500)),
            clients: rng.range(2, 6),
            attempt_timeout: ms(rng.range(200, 1_000)),
            op_timeout: ms(rng.range(1_000, 4_000)),
            safety: ms(rng.range(3_000, 8_000)),
            liveness_bound: Duration::from_secs(15),
            faults,
            max_loss_ppm: rng.range(10_000, 300_000),
            max_delay: ms(rng.range(1, 60)),
            session_ttl: rng.chance(400_000).then(|| ms(rng.range(300, 1_500))),
            lock_wait: ms(rng.range(50, 800)),
            permits: rng.range(2, 4),
            membership: rng.chance(250_000),
        }
    }
}

/// Planted bugs: test-only switches that break a guarantee on purpose, to show that the
/// checker catches the breakage. They live in the simulation's client and storage, never in
/// the engine, so no production build can reach them.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Bugs {
    /// Answer reads with [`CpNode::read_stale`](coterie_server::cp::CpNode::read_stale) on a
    /// random member (a read served by a follower, a deposed leader or a restarted member).
    pub stale_reads: bool,
    /// Give every retried attempt a fresh sequence number, so the group's retry window cannot
    /// recognise it (the dedup table is skipped on retry).
    pub fresh_seq_on_retry: bool,
    /// Record an operation whose outcome is unknown (a timeout, a lost answer) as failed: a
    /// client that reports "not done" for a write that may have happened.
    pub unknown_as_fail: bool,
    /// A disk that loses the last few log entries it acknowledged when its node crashes
    /// (acknowledged before durable).
    pub lossy_disk: bool,
    /// Resend a parked call that answered `StillParked` under a fresh sequence number, as a
    /// client that treats each wait as a new request would: the group cannot know it for
    /// the same call, so it enqueues a second waiter, and the first one, which the client no
    /// longer waits for, is granted the lock or permits in its session.
    pub parked_retry_fresh_seq: bool,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_seed_always_gives_the_same_parameters_within_their_ranges() {
        for seed in 0..200 {
            let p = SimParams::from_seed(seed);
            assert_eq!(p, SimParams::from_seed(seed));
            assert!(p.nodes == 3 || p.nodes == 5);
            assert!(p.heartbeat <= ms(9) && p.heartbeat >= ms(3));
            assert!(p.election.iter().all(|e| *e > p.heartbeat * 2));
            assert_eq!(p.election.len() as u64, p.nodes);
            assert!(p.faults.partitions || p.faults.crashes || p.faults.pauses || p.faults.loss);
            assert!(p.session_ttl.is_none_or(|t| t >= ms(300) && t < ms(1_500)));
            assert!(p.permits >= 2 && p.permits <= 3);
        }
        let expiring = (0..200).filter(|s| SimParams::from_seed(*s).session_ttl.is_some()).count();
        assert!((50..110).contains(&expiring), "{expiring} of 200 seeds have expiring sessions");
        assert_ne!(SimParams::from_seed(1), SimParams::from_seed(2));
    }
}
