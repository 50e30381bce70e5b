//! The one error every engine answers with.
//!
//! The faces (gRPC, embedded, later the S3 gateway) do not know which engine served a call,
//! so engines speak one error language: "go to that member instead", "it may or may not
//! have happened, retry with the same invocation id", "it did not finish in time", "it is
//! still waiting in its place", "too few replicas acknowledged", "the structure refused",
//! "this engine is stopped". `coterie-api`'s `status` module maps it to wire codes, in
//! exactly one place, and back; a client sorts it into what its retry loop does next.
//! It lives in the core because both sides of the wire need it and the core depends on
//! nothing that does I/O.

use std::time::Duration;

use thiserror::Error;

use crate::error::CoreError;
use crate::types::InvocationId;

/// Renders a member hint for messages: "member 2 at 127.0.0.1:7102", or what is known.
fn hint(member: &Option<u64>, address: &Option<String>) -> String {
    match (member, address) {
        (Some(id), Some(address)) => format!("member {id} at {address}"),
        (Some(id), None) => format!("member {id}"),
        (None, Some(address)) => format!("the member at {address}"),
        (None, None) => "no member is known yet (an election may be running)".to_owned(),
    }
}

/// Why an engine did not answer a call with a result.
#[derive(Clone, Debug, PartialEq, Eq, Error)]
pub enum EngineError {
    /// This member cannot serve the call: it is not the group's leader (or, for the sharded
    /// engine, the partition's owner). Nothing was applied; send it to the member named.
    #[error("this member cannot serve the call; send it to {}", hint(member, address))]
    Redirect {
        /// The member that can, when known.
        member: Option<u64>,
        /// Its address, when known.
        address: Option<String>,
    },
    /// The call may or may not have been applied (leadership changed while it was being
    /// replicated, or the member serving it could not be reached once it was sent). Retry it
    /// with the same invocation id, at the member named when known: a retry is answered,
    /// never applied twice.
    #[error(
        "the call may or may not have been applied (leadership changed while it was replicated, or the member serving it stopped answering); retry it with the same invocation id, at {}",
        hint(member, address)
    )]
    OutcomeUnknown {
        /// The new leader, when known.
        member: Option<u64>,
        /// Its address, when known.
        address: Option<String>,
    },
    /// The call did not complete within its time; it may still be applied. Retry it with
    /// the same invocation id to learn its outcome, or give it more time.
    #[error(
        "the call did not complete within {waited:?}; it may still be applied: retry with the same invocation id to learn its outcome, or use a longer timeout (a quorum may be unreachable)"
    )]
    Timeout {
        /// How long it ran.
        waited: Duration,
    },
    /// A call that asked to keep its place is still parked when this attempt's time ended;
    /// it stays parked. Send the same invocation again to go on waiting, or cancel it.
    #[error(
        "{invocation} is still waiting and keeps its place; send the same invocation again to go on waiting, or cancel it"
    )]
    StillParked {
        /// The parked call.
        invocation: InvocationId,
    },
    /// Fewer replicas acknowledged the write than its consistency level needs before its
    /// deadline. The write may still have been applied on some of them.
    #[error(
        "only {got} of the {needed} acknowledgements the consistency level needs arrived in time; the write may still have been applied: read before repeating it, or use a weaker level"
    )]
    QuorumNotMet {
        /// Acknowledgements the level needs.
        needed: u32,
        /// Acknowledgements that arrived.
        got: u32,
    },
    /// The structure or group answered with an error: the call was refused (or applied
    /// once, with this result). Retrying gives the same answer.
    #[error(transparent)]
    Core(#[from] CoreError),
    /// The engine cannot serve calls (stopping, stopped after a storage failure, or
    /// failing to start); another member may.
    #[error("this member cannot serve calls now ({reason}); send them to another member")]
    Stopped {
        /// What is wrong.
        reason: String,
    },
    /// The sharded partition that serves the call has its only copy on a member that is
    /// down (pitfall P11): no member serves it, and it is never recreated empty, until that
    /// member returns with its data. Nothing was applied.
    #[error(
        "partition {partition} is lost: its only copy is on member {last_owner}, which is down; restart member {last_owner} with its data directory to bring it back (it is never recreated empty)"
    )]
    PartitionLost {
        /// The partition.
        partition: u32,
        /// The member that holds its only copy and must return.
        last_owner: u64,
    },
}

impl EngineError {
    /// Whether the call may have been applied although no result came back: a retry must
    /// carry the same invocation id, and a caller who cannot retry must treat the outcome as
    /// unknown.
    pub fn may_have_applied(&self) -> bool {
        matches!(
            self,
            EngineError::OutcomeUnknown { .. }
                | EngineError::Timeout { .. }
                | EngineError::StillParked { .. }
                | EngineError::QuorumNotMet { .. }
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn messages_say_what_to_do_and_which_outcomes_are_unknown() {
        let redirect = EngineError::Redirect { member: Some(2), address: Some("10.0.0.2:7101".into()) };
        assert_eq!(redirect.to_string(), "this member cannot serve the call; send it to member 2 at 10.0.0.2:7101");
        assert!(!redirect.may_have_applied());
        let unknown = EngineError::OutcomeUnknown { member: None, address: None };
        assert!(unknown.to_string().contains("no member is known yet"), "{unknown}");
        assert!(unknown.may_have_applied());
        let parked = EngineError::StillParked { invocation: crate::testing::inv(3, 4) };
        assert!(
            parked.to_string().starts_with("invocation 00000000000000000000000000000003/4 is still waiting"),
            "{parked}"
        );
        assert!(EngineError::QuorumNotMet { needed: 2, got: 1 }.may_have_applied());
        assert!(EngineError::Timeout { waited: Duration::from_secs(1) }.may_have_applied());
        assert!(!EngineError::Core(CoreError::AlreadyInitialized).may_have_applied());
        assert!(!EngineError::Stopped { reason: "x".into() }.may_have_applied());
    }
}
