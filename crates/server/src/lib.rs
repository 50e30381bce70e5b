//! # coterie-server
//!
//! A Coterie node: the engine that replicates groups, and the three ways to run it.
//!
//! - [`cp`], the CP engine: a [`Group`](coterie_core::Group) replicated by Raft (openraft)
//!   on the node's [`LogStore`](coterie_storage::LogStore), with leader-stamped time,
//!   parked calls completed by the node that holds them, and two transports (in process,
//!   and gRPC between processes). [`CpNode`](cp::CpNode) is one member of one group.
//! - [`host`], a member as a server process ([`Node`]): many CP groups, started lazily by
//!   name and capped in number, whose logs share one redb file (or stay in memory without a
//!   data directory); Raft between the members over gRPC; and the public gRPC API on the
//!   same port.
//! - Embedded mode, a whole CP cluster inside one application whose clients are the Rust
//!   client's handles over an in-process transport, is the `coterie-embedded` crate: it is
//!   where the engines and the client meet, so this crate depends on no client.
//! - The single-node journal ([`JournaledGroup`]): one group on one machine, durable
//!   without Raft. Every command is journaled before it is applied, and the group is rebuilt
//!   from its snapshot and journal on restart. Its [`JournalRecord`] (a [`Request`] plus the
//!   time it was stamped with, in [`request`](crate::Request)) is also the CP engine's Raft
//!   payload, so a journaled group and a Raft replica apply the same records the same way.
//! - [`gossip`]: SWIM membership over UDP (foca), a sans-IO core and a tokio driver; a
//!   node running it exposes who gossip thinks is alive, as a suggestion the metadata
//!   group may commit.
//! - [`shard`], the sharded engine (part 1): partitions of one copy each, placed by the
//!   committed partition table, journaled on their owner, reachable from any member.
//! - [`waiters`]: the callers parked on this node, completed when an applied entry wakes
//!   them, shared by every engine.

pub mod cp;
pub mod engine;
mod error;
pub mod gossip;
pub mod host;
mod journal;
pub mod object;
mod request;
pub mod shard;
pub mod waiters;

pub use engine::{CallOptions, Engine, Router, serve};
pub use error::NodeError;
pub use host::{HostError, Node, NodeConfig, NodeGossipConfig};
pub use journal::{JournalConfig, JournaledGroup};
pub use request::{JournalRecord, Request};
