//! Deterministic simulation of Coterie's CP engine (issue 10).
//!
//! Real [`CpNode`](coterie_server::cp::CpNode)s — openraft underneath, the core's `Group`
//! state machine, the engine's Raft payload codec — run on a tokio current-thread runtime
//! with paused time, over a simulated network and simulated disks, while simulated clients
//! record histories that [`coterie_check`] checks for linearizability. One `u64` seed decides
//! everything ([`SimParams::from_seed`]): cluster size, timeouts, clock skew, the fault mix
//! and schedule, and the workload.
//!
//! * [`params`]: what a seed decides, and the planted bugs ([`Bugs`]).
//! * [`net`]: the faulty network behind the engine's `RaftWire`.
//! * [`store`]: disks that survive crashes, fencing the crashed incarnation.
//! * [`cluster`]: starting, crashing and restarting members; skewed clocks.
//! * [`client`], [`link`] and [`session`]: the clients, one attempt of a call (kept parked in
//!   the group when it waits), and session heartbeats and expiry.
//! * [`ops`] and [`record`]: the workload, and how outcomes are recorded for the checker.
//! * [`nemesis`]: the fault schedule of the safety phase, and the heal; [`membership`]: voters
//!   added and removed during it, in seeds that ask for it.
//! * [`observe`]: leadership, applied states, acknowledged writes and logs, sampled for the
//!   Raft invariant checkers of [`coterie_check::invariants`].
//! * [`run`]: the phases and the check; [`report`]: the result and how to reproduce it.
//! * [`trace`]: the hash of every event, to check that a seed replays identically.
//!
//! Why a simulation: the CP engine's claims (linearizable structures, no acknowledged write
//! lost) must hold under partitions, crashes and lost messages, and the interleavings that
//! break such claims are rare in tests on real time. Virtual time makes a run of seconds of
//! faults take milliseconds, and a seed makes a failure reproducible.

pub mod client;
pub mod cluster;
pub mod link;
pub mod membership;
pub mod nemesis;
pub mod net;
pub mod observe;
pub mod ops;
pub mod params;
pub mod record;
pub mod report;
pub mod rng;
pub mod run;
pub mod session;
pub mod store;
pub mod trace;

pub use params::{Bugs, FaultMix, SimParams};
pub use record::Coverage;
pub use report::{Checked, KeyReport, Liveness, SimReport, Status, reproduce_command};
pub use run::{SEEDED_RUNTIME, SimOptions, run};

/// Why a run could not be carried out (as opposed to what it found, in [`SimReport`]).
#[derive(Debug, thiserror::Error)]
pub enum SimError {
    /// The runtime could not be built.
    #[error("cannot build the simulation runtime: {0}")]
    Runtime(String),
    /// A member could not be started.
    #[error("member {id} could not start: {reason}")]
    Start {
        /// The member.
        id: u64,
        /// Why.
        reason: String,
    },
    /// The structures could not be set up before the workload.
    #[error("cannot set up the structures: {0}")]
    Setup(String),
    /// A task of the simulation panicked or was cancelled.
    #[error("a simulation task failed: {0}")]
    Task(String),
}
