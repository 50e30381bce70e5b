//! The seam between the faces and the engines.
//!
//! Every face (the gRPC API, the embedded transport, later the S3 gateway) turns its request
//! into a [`Target`], a [`Request`] and [`CallOptions`] and hands them to [`serve`], the one
//! handler path: the face's [`Router`] picks the [`Engine`] that serves the target (a CP
//! group today; a partition of the sharded engine next), and the engine serves the call.
//! Engines answer with the engine-neutral [`EngineError`], which
//! `coterie_api::status::from_engine` maps to wire codes in one place. A face knows nothing
//! of Raft, and the next engine plugs in by implementing [`Engine`] and being routed to.

use std::sync::Arc;
use std::time::Duration;

use coterie_core::{Consistency, CoreError, EngineError, GroupOutput, InvalidReason, Target};
use futures_util::future::BoxFuture;

use crate::cp::{Abandon, CpError, CpNode};
use crate::request::Request;

/// How a call is to be served, beside the request itself.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct CallOptions {
    /// How long the call may run here (a parked call included).
    pub timeout: Duration,
    /// Answer a read from this member's applied state, without confirming leadership.
    pub stale_read: bool,
    /// A call that parks stays parked in its place when `timeout` passes or the caller goes
    /// away ([`EngineError::StillParked`]), instead of being cancelled.
    pub keep_parked: bool,
    /// How many replicas must take part before the call is answered. An engine that cannot
    /// give what is asked refuses the call ([`EngineError::Core`]); it never answers with
    /// less.
    pub consistency: Consistency,
    /// Answer a call this member does not serve with [`EngineError::Redirect`] instead of
    /// forwarding it to the member that does: what a client that follows redirects itself
    /// asks for (it then learns the leader and goes direct), and how a forwarded call is
    /// served, so that it never makes a second hop.
    pub redirect: bool,
}

impl CallOptions {
    /// A plain call bounded by `timeout`: linearizable, cancelled if it parks and times out,
    /// forwarded to the member that serves it if that is not this one.
    pub fn new(timeout: Duration) -> Self {
        CallOptions {
            timeout,
            stale_read: false,
            keep_parked: false,
            consistency: Consistency::Default,
            redirect: false,
        }
    }
}

/// A replication engine's replica of one target, as the faces see it.
pub trait Engine: Send + Sync {
    /// Serves `request` as `options` ask: reads, writes and blocking calls alike.
    fn call(&self, request: Request, options: CallOptions) -> BoxFuture<'_, Result<GroupOutput, EngineError>>;
}

/// Picks the engine that serves a target on this member.
pub trait Router: Send + Sync {
    /// The engine serving `target` here for `request`, or why there is none (a bad or
    /// unknown group, a kind of target this member does not serve, a member shutting
    /// down, a lost partition). A CP target needs only the target; a sharded one also the
    /// request, whose structure name (and key, for per-key kinds) picks the partition.
    fn route<'a>(
        &'a self,
        target: &'a Target,
        request: &'a Request,
    ) -> BoxFuture<'a, Result<Arc<dyn Engine>, EngineError>>;
}

/// The one handler path of every face: routes `request` to the engine serving `target` and
/// has it served as `options` ask.
pub async fn serve(
    router: &dyn Router,
    target: &Target,
    request: Request,
    options: CallOptions,
) -> Result<GroupOutput, EngineError> {
    let engine = router.route(target, &request).await?;
    engine.call(request, options).await
}

/// The refusal of a sharded target (of `shards` shards) by a member that runs only the CP engine.
pub fn no_sharded_engine(shards: u32) -> EngineError {
    EngineError::Core(CoreError::invalid("route", InvalidReason::ShardedUnsupported { shards }))
}

/// The CP engine's dispatch, the one every face goes through: a stale read from this
/// replica's applied state, a call without an invocation id through [`CpNode::read`] (reads
/// by ReadIndex, session bookkeeping through the log), anything else through
/// [`CpNode::call_with`], keeping a parked call in place when `keep_parked`.
impl Engine for CpNode {
    fn call(&self, request: Request, options: CallOptions) -> BoxFuture<'_, Result<GroupOutput, EngineError>> {
        Box::pin(async move {
            // A replica serves or redirects; forwarding is its router's (`host/cp_forward.rs`).
            let CallOptions { timeout, stale_read, keep_parked, consistency, redirect: _ } = options;
            if !matches!(consistency, Consistency::Default | Consistency::Eventual | Consistency::Quorum) {
                // Met by any commit; only the other levels need the voter count.
                let voters = self.metrics().membership_config.membership().voter_ids().count();
                consistency.check_majority(voters.max(1), "call").map_err(EngineError::Core)?;
            }
            let answer = if stale_read {
                self.read_stale(&request)
            } else if request.invocation.is_none() {
                self.read(request, timeout).await
            } else {
                let abandon = if keep_parked { Abandon::KeepParked } else { Abandon::Cancel };
                self.call_with(request, timeout, abandon).await
            };
            answer.map_err(EngineError::from)
        })
    }
}

impl From<CpError> for EngineError {
    fn from(err: CpError) -> Self {
        let split = |leader: Option<(u64, String)>| match leader {
            Some((id, address)) => (Some(id), (!address.is_empty()).then_some(address)),
            None => (None, None),
        };
        match err {
            CpError::NotLeader { leader } => {
                let (member, address) = split(leader);
                EngineError::Redirect { member, address }
            }
            CpError::OutcomeUnknown { leader } => {
                let (member, address) = split(leader);
                EngineError::OutcomeUnknown { member, address }
            }
            CpError::Timeout { timeout } => EngineError::Timeout { waited: timeout },
            CpError::StillParked { invocation, .. } => EngineError::StillParked { invocation },
            CpError::Core(core) => EngineError::Core(core),
            other @ (CpError::Storage(_)
            | CpError::Config { .. }
            | CpError::InvalidConfig(_)
            | CpError::NotAMember { .. }
            | CpError::Stopped { .. }
            | CpError::Raft { .. }) => EngineError::Stopped { reason: other.to_string() },
        }
    }
}

#[cfg(test)]
mod tests {
    use coterie_core::{CoreError, InvocationId};

    use super::*;

    #[test]
    fn cp_errors_become_the_engine_error_of_the_same_meaning() {
        let redirect = EngineError::from(CpError::NotLeader { leader: Some((2, "127.0.0.1:7102".into())) });
        assert_eq!(redirect, EngineError::Redirect { member: Some(2), address: Some("127.0.0.1:7102".into()) });
        let unknown = EngineError::from(CpError::OutcomeUnknown { leader: Some((3, String::new())) });
        assert_eq!(unknown, EngineError::OutcomeUnknown { member: Some(3), address: None });
        let waited = Duration::from_secs(1);
        assert_eq!(EngineError::from(CpError::Timeout { timeout: waited }), EngineError::Timeout { waited });
        let invocation = InvocationId { client: coterie_core::ClientId::MIN, seq: 2 };
        assert_eq!(
            EngineError::from(CpError::StillParked { invocation, waited }),
            EngineError::StillParked { invocation }
        );
        let core = CoreError::AlreadyInitialized;
        assert_eq!(EngineError::from(CpError::Core(core.clone())), EngineError::Core(core));
        let stopped = EngineError::from(CpError::Stopped { reason: "bye".into() });
        assert!(matches!(&stopped, EngineError::Stopped { reason } if reason.contains("bye")), "{stopped:?}");
    }
}
