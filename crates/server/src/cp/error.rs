//! Errors of the CP engine, as its callers (the client layer, the CLI) see them.
//!
//! Each variant says what happened and what to do next, and keeps apart the cases a client
//! must treat differently: "ask that node instead" ([`CpError::NotLeader`]), "it may or may
//! not have happened, retry with the same invocation id" ([`CpError::Timeout`],
//! [`CpError::OutcomeUnknown`]), and "the structure answered with an error"
//! ([`CpError::Core`]).

use std::time::Duration;

use coterie_core::{ConfigError, CoreError};
use coterie_storage::StorageError;
use thiserror::Error;

/// Why a CP call or node operation failed.
#[derive(Debug, Error)]
pub enum CpError {
    /// This node is not the group's leader; send the call to `leader` instead.
    #[error(
        "this node is not the leader of the CP group; {}",
        match leader {
            Some((id, addr)) => format!("send the call to node {id} at {addr:?}"),
            None => "no leader is known yet (an election may be running): retry shortly".to_owned(),
        }
    )]
    NotLeader {
        /// The leader's id and address, when this node knows them.
        leader: Option<(u64, String)>,
    },
    /// The leader changed after the call was proposed but before it was committed.
    #[error(
        "leadership changed while the call was being replicated, so it may or may not have been applied; retry it with the same invocation id (retries are answered, not applied twice){}",
        match leader {
            Some((id, addr)) => format!(", at node {id} ({addr:?})"),
            None => String::new(),
        }
    )]
    OutcomeUnknown {
        /// The new leader's id and address, when known.
        leader: Option<(u64, String)>,
    },
    /// The call did not complete within its timeout.
    #[error(
        "the call did not complete within {timeout:?}; it may still be applied: retry with the same invocation id to learn its outcome, or use a longer timeout (a quorum of CP members may be unreachable)"
    )]
    Timeout {
        /// The caller's timeout.
        timeout: Duration,
    },
    /// A call that asked to keep its place ([`Abandon::KeepParked`](super::Abandon)) is still
    /// parked when its timeout passed; it stays parked.
    #[error(
        "{invocation} is still waiting after {waited:?} and keeps its place; send the same invocation again to go on waiting, or cancel it"
    )]
    StillParked {
        /// The parked call.
        invocation: coterie_core::InvocationId,
        /// How long this attempt waited.
        waited: Duration,
    },
    /// The structure or group answered with an error; the call was applied (or refused) once.
    #[error(transparent)]
    Core(#[from] CoreError),
    /// The node's storage failed.
    #[error("the CP node's storage failed: {0}")]
    Storage(#[from] StorageError),
    /// A setting of the [`CpConfig`](super::CpConfig) cannot be used.
    #[error(transparent)]
    InvalidConfig(#[from] ConfigError),
    /// The Raft configuration was refused.
    #[error("invalid CP configuration: {reason}; fix the named setting")]
    Config {
        /// What openraft refused.
        reason: String,
    },
    /// The member set given at start does not contain this node.
    #[error(
        "node {id} is not in the CP member set {members:?}; start it with a member set that includes it, or start it as a plain member"
    )]
    NotAMember {
        /// This node's id.
        id: u64,
        /// The member ids that were given.
        members: Vec<u64>,
    },
    /// The Raft node has stopped (shut down, or a fatal storage error).
    #[error("the CP node has stopped ({reason}); restart the node, and send calls to another member meanwhile")]
    Stopped {
        /// Why it stopped.
        reason: String,
    },
    /// Raft refused the call for a reason the caller cannot fix by retrying elsewhere.
    #[error("the CP group refused the call: {reason}; this is a bug if it persists, please report it")]
    Raft {
        /// openraft's message.
        reason: String,
    },
}
