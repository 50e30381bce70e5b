//! The CP engine: structures replicated by Raft (openraft), linearizable and available while
//! a majority of CP members is.
//!
//! Why it is shaped this way:
//!
//! - The log payload is the single-node journal's [`JournalRecord`](crate::JournalRecord),
//!   so a Raft replica and a journaled group apply the same records the same way; the
//!   leader stamps its clock on each, and replicas never read their own ([`clock`]).
//! - Storage is the node's [`LogStore`](coterie_storage::LogStore) behind openraft's traits
//!   ([`log_store`]), one durable commit per openraft append, so concurrent proposals share
//!   an fsync.
//! - The state machine is the core's pure [`Group`](coterie_core::Group)
//!   ([`state_machine`]); blocked calls are parked inside it and completed through the
//!   registering node's [`waiters`](crate::waiters).
//! - Transports are an enum ([`network`]) so the in-process router used by tests and the
//!   transport between processes ([`remote`], over the host's [`RaftWire`]) share one
//!   implementation of openraft's network traits. The engine knows nothing of gRPC: the
//!   node's `RaftService` client is the host's.
//! - [`CpNode`] ties these together: starting, forming the cluster without a manual init
//!   step, calls with timeouts and leader hints, and leader ticks.

pub mod clock;
pub mod config;
pub mod error;
pub mod log_store;
pub mod membership;
pub mod network;
pub mod node;
pub mod raft;
pub mod remote;
pub mod state_machine;
pub mod types;

pub use crate::waiters::Waiters;
pub use clock::{Clock, ManualClock, SystemClock};
pub use config::CpConfig;
pub use error::CpError;
pub use network::{Router, Transport};
pub use node::{Abandon, CpNode};
pub use raft::CpRaft;
pub use remote::{RaftRegistry, RaftRpc, RaftWire, RemoteTransport};
pub use types::{CpResponse, CpTypes};
