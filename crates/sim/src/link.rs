//! One attempt of a client request over the client's link to one member, and what its answer
//! says about whether it was applied.
//!
//! A client talks to one node at a time, in process (`CpNode::call` / `CpNode::read`), over
//! a link that loses requests and answers with the network's current loss rate (partitions
//! cut only links between members: clients reach every member that is up). A request to a
//! paused member waits for it to resume, within the attempt's timeout.
//!
//! A call that may park is sent with [`Abandon::KeepParked`]: when the attempt's timeout
//! passes while it waits in the group, the node answers `StillParked` and the call keeps its
//! place, and the client sends the same invocation again (to this member or, after a
//! crash or a leader change, another), which the group's record of calls answers by waiting
//! on the parked call instead of enqueueing a second one.

use std::time::Duration;

use coterie_core::{CoreError, GroupOutput};
use coterie_server::Request;
use coterie_server::cp::{Abandon, CpError};

use crate::client::ClientCtx;
use crate::rng::SimRng;

/// How one attempt ended.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Attempt {
    /// Applied, with this answer.
    Done(GroupOutput),
    /// Certainly not applied; maybe a hint of who leads.
    NotApplied(Option<u64>),
    /// May have been applied.
    Maybe,
    /// Applied as a refusal: the caller does not hold what it released.
    Refused,
    /// Refused because the caller's session expired: not applied.
    Expired,
    /// The call had parked and was cancelled: not applied.
    Cancelled,
    /// The call is parked in the group and keeps its place.
    StillParked,
}

/// What an attempt sends.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Path {
    /// A linearizable read (`CpNode::read`).
    Read,
    /// A read answered by the asked member from its own state (the planted stale read).
    StaleRead,
    /// A call that cannot park (`CpNode::call`).
    Call,
    /// A call that may park, kept parked when the attempt times out.
    Park,
}

/// Whether the link loses this message.
pub fn lost(ctx: &ClientCtx, rng: &mut SimRng) -> bool {
    let loss = ctx.net.loss_ppm();
    loss > 0 && rng.chance(loss)
}

/// One attempt of `request` at member `asked`.
pub async fn attempt(ctx: &ClientCtx, rng: &mut SimRng, asked: u64, request: &Request, path: Path) -> Attempt {
    let Some(node) = ctx.cluster.node(asked) else { return Attempt::NotApplied(None) };
    let timeout = ctx.params.attempt_timeout;
    if lost(ctx, rng) {
        tokio::time::sleep(timeout).await;
        return Attempt::NotApplied(None);
    }
    // A paused node takes the request only once it resumes; if the attempt times out first,
    // the client cannot tell that it never arrived.
    let held = tokio::time::timeout(timeout, ctx.net.unpaused(asked, asked)).await;
    if held.is_err() {
        return Attempt::Maybe;
    }
    let answer = if path == Path::StaleRead {
        Ok(node.read_stale(request))
    } else {
        let call = async {
            match path {
                Path::Read | Path::StaleRead => node.read(request.clone(), timeout).await,
                Path::Call => node.call(request.clone(), timeout).await,
                Path::Park => node.call_with(request.clone(), timeout, Abandon::KeepParked).await,
            }
        };
        tokio::time::timeout(timeout + Duration::from_millis(50), call).await
    };
    let Ok(answer) = answer else { return Attempt::Maybe };
    if lost(ctx, rng) {
        return Attempt::Maybe;
    }
    classify(answer)
}

/// What an answer says (see the client's module docs for why each is safe).
pub fn classify(answer: Result<GroupOutput, CpError>) -> Attempt {
    match answer {
        Ok(output) => Attempt::Done(output),
        Err(CpError::NotLeader { leader }) => Attempt::NotApplied(leader.map(|(id, _)| id)),
        Err(CpError::StillParked { .. }) => Attempt::StillParked,
        Err(CpError::Core(CoreError::NotOwner { .. } | CoreError::PermitsNotHeld { .. })) => Attempt::Refused,
        Err(CpError::Core(CoreError::SessionExpired { .. })) => Attempt::Expired,
        Err(CpError::Core(CoreError::Cancelled { .. })) => Attempt::Cancelled,
        Err(_) => Attempt::Maybe,
    }
}

#[cfg(test)]
mod tests {
    use coterie_core::{ClientId, InvocationId, SessionId};

    use super::*;

    #[test]
    fn only_answers_that_prove_it_count_as_not_applied() {
        let invocation = InvocationId { client: ClientId::MIN, seq: 1 };
        let parked = CpError::StillParked { invocation, waited: Duration::from_millis(5) };
        assert_eq!(classify(Err(parked)), Attempt::StillParked);
        let expired = CpError::Core(CoreError::SessionExpired { session: SessionId(3) });
        assert_eq!(classify(Err(expired)), Attempt::Expired);
        assert_eq!(classify(Err(CpError::Core(CoreError::Cancelled { invocation }))), Attempt::Cancelled);
        let held = CpError::Core(CoreError::PermitsNotHeld { requested: 2, held: 1 });
        assert_eq!(classify(Err(held)), Attempt::Refused);
        assert_eq!(classify(Err(CpError::Timeout { timeout: Duration::from_millis(5) })), Attempt::Maybe);
        assert_eq!(classify(Err(CpError::OutcomeUnknown { leader: None })), Attempt::Maybe);
        assert_eq!(classify(Err(CpError::Stopped { reason: "crash".into() })), Attempt::Maybe);
        assert_eq!(classify(Err(CpError::NotLeader { leader: Some((2, "a".into())) })), Attempt::NotApplied(Some(2)));
    }
}
