//! # coterie-core
//!
//! The semantic core of Coterie: one deterministic state machine per structure kind, and
//! the machinery they share (parked waiters, time via ticks, client sessions, dedup of
//! retried calls by session and, engine-neutral, by client identity in [`dedup`]).
//!
//! Both replication engines — Raft for the CP subsystem and primary–backup for sharded
//! structures — apply exactly this code, so a structure behaves the same whichever engine
//! hosts it. Nothing here does I/O, reads a clock, draws randomness or depends on tokio:
//! time arrives in [`ApplyCtx::now`], identities in [`ApplyCtx::invocation`], and the
//! results leave as [`Applied`] values. That purity is what lets a replica rebuild its
//! state by replaying a log, and what lets tests and simulations drive the whole system
//! deterministically.

pub mod codec;
pub mod config;
pub mod ctx;
pub mod dedup;
pub mod engine_error;
pub mod entity;
pub mod error;
pub mod group;
pub mod kind;
pub mod kinds;
pub mod machine;
pub mod members;
pub mod placement;
pub mod refusal;
pub mod route;
pub mod structure;
pub mod types;
pub mod waiters;

#[cfg(test)]
pub(crate) mod testing;

pub use config::ConfigError;
pub use ctx::ApplyCtx;
pub use dedup::{Decision, DedupLimits, DedupTable};
pub use engine_error::EngineError;
pub use entity::{Entity, EntityCall, EntityCtx, EntityRegistry};
pub use error::{CoreError, EntityPayload};
pub use group::{Group, GroupCommand, GroupConfig, GroupOutput};
pub use kind::Kind;
pub use machine::{Applied, Effect, Reply, StateMachine};
pub use members::{MemberCommand, MemberError, MemberRecord, MemberState, MemberTable, TableChange};
pub use refusal::{InvalidReason, NameProblem, NotOwnerReason, PreconditionReason};
pub use route::{Consistency, Target};
pub use structure::{Structure, StructureCommand, StructureOutput, StructureSpec};
pub use types::{ClientId, Fence, InvocationId, LogIndex, OwnerId, SessionId, Timestamp};
pub use waiters::{WaitQueue, Waiter};
