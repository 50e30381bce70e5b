//! How the client reaches the cluster, abstracted.
//!
//! The client's logic — leader following, retries with the same invocation id, sessions,
//! typed handles — does not depend on the wire. A transport only delivers one [`Call`] to
//! one endpoint and reports what happened in the terms the retry loop needs: answered,
//! not the leader (with a hint), unreachable, or refused by the structure. The gRPC
//! transport implements this; tests use an in-process one.

use std::future::Future;
use std::time::Duration;

use coterie_core::{Consistency, CoreError, EngineError, GroupCommand, GroupOutput, InvocationId, SessionId, Target};

use crate::route::RouteTable;

/// One command for one target, with the caller's identity.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Call {
    /// Where the command goes, and the client's routing key: the CP group (`default` unless
    /// a name says `name@group`), or a sharded structure. The client remembers which member
    /// served each target last and sends the next call for it there first.
    pub target: Target,
    /// The command.
    pub command: GroupCommand,
    /// The caller's session, for calls that depend on it.
    pub session: Option<SessionId>,
    /// The call's invocation id: the same on every retry, so the group applies it once.
    pub invocation: Option<InvocationId>,
    /// Answer this read from the receiving member's applied state, without a leadership
    /// check (any member answers; it may miss the latest writes). Only for read-only
    /// commands without an invocation id.
    pub stale_read: bool,
    /// If the call parks and the attempt's timeout passes (or the attempt is dropped), leave
    /// it parked in its place and answer [`TransportError::StillParked`], instead of
    /// cancelling it: the client sends the same invocation again to go on waiting. Only for
    /// calls with an invocation id.
    pub keep_parked: bool,
    /// How many replicas must take part before the call is answered. A CP group serves every
    /// level a majority of its voters meets and refuses the others.
    pub consistency: Consistency,
    /// Ask the receiving member to answer "not the leader" (naming the member that serves the
    /// call) instead of forwarding the call there: the client routes it itself. Set for CP
    /// calls (the client follows leaders) and for sharded calls the client sends to the
    /// partition's owner from its partition table (`route.rs`); a sharded call sent without
    /// a table is forwarded by whichever member receives it.
    pub redirect: bool,
}

impl Call {
    /// A group-level command made outside any session (open, heartbeat, close a session,
    /// cancel a parked call): no invocation id, linearizable, never parked.
    pub fn group_command(group: &str, command: GroupCommand) -> Self {
        Call {
            target: Target::cp(group),
            command,
            session: None,
            invocation: None,
            stale_read: false,
            keep_parked: false,
            consistency: Consistency::Default,
            redirect: true,
        }
    }
}

/// Why a call did not produce an answer from its group.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum TransportError {
    /// The endpoint is not the group's leader; `leader` is the endpoint index it named.
    NotLeader {
        /// The leader's endpoint index, if the endpoint knew it.
        leader: Option<usize>,
    },
    /// The endpoint could not be reached or did not answer in time. The call may or may
    /// not have been applied; retrying with the same invocation id is safe.
    Unavailable {
        /// What went wrong, for the final error message.
        reason: String,
    },
    /// The call was certainly not delivered (the connection to the endpoint was refused, or
    /// the endpoint is stopped): nothing can have been applied.
    Unreachable {
        /// What went wrong, for the final error message.
        reason: String,
    },
    /// The group answered with an error; retrying would give the same answer.
    Refused(CoreError),
    /// A [`Call::keep_parked`] call is parked at this endpoint's group and this attempt's
    /// time is up: it keeps its place; send the same invocation again to go on waiting.
    StillParked,
    /// The call reached a leader but may or may not have been applied (leadership changed
    /// while it was replicated, or too few replicas acknowledged it): retrying with the same
    /// invocation id is safe, at `leader` when it is one of the endpoints.
    OutcomeUnknown {
        /// The new leader's endpoint index, when known.
        leader: Option<usize>,
        /// What happened, for the final error message.
        reason: String,
    },
}

impl TransportError {
    /// What an engine's error means to the retry loop: the one mapping for transports that
    /// reach engines without a wire in between (the embedded transport). `endpoint_of`
    /// turns a member id and address into the endpoint index, when the client has one.
    pub fn from_engine(err: EngineError, endpoint_of: impl Fn(Option<u64>, Option<&str>) -> Option<usize>) -> Self {
        match err {
            EngineError::Redirect { member, address } => {
                TransportError::NotLeader { leader: endpoint_of(member, address.as_deref()) }
            }
            EngineError::OutcomeUnknown { ref member, ref address } => TransportError::OutcomeUnknown {
                leader: endpoint_of(*member, address.as_deref()),
                reason: err.to_string(),
            },
            err @ EngineError::QuorumNotMet { .. } => {
                TransportError::OutcomeUnknown { leader: None, reason: err.to_string() }
            }
            EngineError::StillParked { .. } => TransportError::StillParked,
            EngineError::Core(core) => TransportError::Refused(core),
            err @ (EngineError::Timeout { .. } | EngineError::Stopped { .. } | EngineError::PartitionLost { .. }) => {
                TransportError::Unavailable { reason: err.to_string() }
            }
        }
    }
}

/// Delivers calls to the members of a cluster.
///
/// Endpoints are addressed by index. A transport may learn members as it goes (from the
/// hints in "not the leader" answers, or from [`Transport::refresh`]): it then appends them,
/// so an index, once handed out, names the same member for the transport's life.
pub trait Transport: Send + Sync + 'static {
    /// How many endpoints there are now; they are addressed by index `0..endpoints()`.
    fn endpoints(&self) -> usize;

    /// Asks the cluster which members it has and adds the ones this transport does not know
    /// yet. Bounded by `timeout`; a transport with a fixed set of endpoints does nothing. The
    /// retry loop calls it when a whole round of endpoints failed to serve a call.
    fn refresh(&self, timeout: Duration) -> impl Future<Output = ()> + Send {
        let _ = timeout;
        std::future::ready(())
    }

    /// The cluster's partition table as some member has applied it, each partition's owner
    /// as an endpoint index (learning owners this transport does not know yet), for the
    /// client to send sharded calls straight to their owner. Bounded by `timeout`; `None`
    /// when no member answered with one, or when this transport does not route sharded calls
    /// itself (the default: the members forward them).
    fn partition_table(&self, timeout: Duration) -> impl Future<Output = Option<RouteTable>> + Send {
        let _ = timeout;
        std::future::ready(None)
    }

    /// Sends `call` to endpoint `endpoint` and waits up to `timeout` for the answer
    /// (`None`: as long as the call is parked, for blocking calls without a timeout).
    fn call(
        &self,
        endpoint: usize,
        call: Call,
        timeout: Option<Duration>,
    ) -> impl Future<Output = Result<GroupOutput, TransportError>> + Send;
}
