//! # coterie-server
//!
//! A Coterie node. Today it hosts one group on one machine, durably: every command is
//! journaled before it is applied and the group is rebuilt from its snapshot and journal on
//! restart ([`JournaledGroup`]). That is the same write-ahead discipline the Raft engine
//! follows on each replica, so the CP engine will reuse the record format and the replay
//! path; what it adds is agreement on the order of records among the members.
//!
//! The [`cp`] module is that engine: a group replicated by Raft (openraft) over the same
//! storage, with leader-stamped time, parked calls completed by the node that holds them,
//! and in-process and gRPC transports. [`embedded`] runs such a cluster inside an
//! application and hands out the Rust client's handles over it; [`host`] runs one member as
//! a server process: many CP groups, Raft between members over gRPC, and the public gRPC API.

pub mod cp;
pub mod embedded;
pub mod engine;
mod error;
pub mod host;
mod journal;

pub use engine::{CallOptions, Engine};
pub use error::NodeError;
pub use host::{HostError, Node, NodeConfig};
pub use journal::{JournalConfig, JournalRecord, JournaledGroup, Request};
