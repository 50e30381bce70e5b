//! Any member answers any CP call: the entry member forwards a call it cannot serve to the
//! group's leader and relays the answer (issue 16 item 1).
//!
//! Why: a stock gRPC client (grpcio, grpcurl, a load balancer in front of the members) does
//! not follow `UNAVAILABLE: not the leader`, and a plain member hosts no CP replica at all.
//! So the router wraps a CP group's local replica (or, on a plain or removed member, its
//! refusal) in a [`CpEntry`]: it asks the local replica first, and when that answers
//! [`EngineError::Redirect`] naming another member, it sends the call there over the
//! member-to-member `PartitionService.Forward` rpc (`crate::shard::forward`, the same path
//! as a sharded call to its partition's owner), with what is left of the caller's deadline,
//! the caller's session and invocation (identity and sequence), and the call's options.
//!
//! Why it cannot loop and stays exactly once:
//!
//! - The receiver serves a forwarded call from its own replica only and answers a redirect
//!   if it does not lead the group ([`ForwardedCall::options`] asks it to), so every hop
//!   starts at the entry member and ends at the receiver.
//! - The entry member sends at most [`MAX_HOPS`] hops, each to a member it has not tried, so
//!   one leader change while the call travels is followed once (the receiver named its new
//!   leader), and a third opinion is relayed to the caller as the retryable redirect it is.
//! - A redirect means the call was not applied; resending it is safe. Anything else (an
//!   output, `OutcomeUnknown` from an unreachable or deposed receiver, a timeout) is relayed
//!   as it is: a retry by the caller carries the same invocation and the group answers it
//!   from its record instead of applying it twice.
//! - No leader known ([`EngineError::Redirect`] naming nobody) is relayed: the caller gets
//!   the existing retryable error.
//!
//! A client that follows redirects itself (the Rust client) sends
//! [`coterie_api::NO_FORWARD_HEADER`], which sets [`CallOptions::redirect`]: it is then
//! answered with the redirect, learns the leader and goes direct from then on, instead of
//! paying two hops for every call.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Instant;

use coterie_core::{EngineError, GroupOutput, Target};
use futures_util::future::BoxFuture;

use super::raft_client::Peers;
use crate::cp::CpNode;
use crate::engine::{CallOptions, Engine};
use crate::request::Request;
use crate::shard::Forwarder;

#[cfg(doc)]
use crate::shard::ForwardedCall;

/// How many members one call is forwarded to at most: the member the entry member was told
/// leads the group, and the one that member names if leadership moved meanwhile.
pub(super) const MAX_HOPS: usize = 2;

/// What the entry member does with an answer.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(super) enum Next {
    /// Give it to the caller.
    Relay,
    /// Send the call to `member` (at `address`, if the answer named one).
    Forward {
        /// The member to send it to.
        member: u64,
        /// Its address, as the answer named it.
        address: Option<String>,
    },
}

/// The entry member's decision for `answer`, given its own id `me`, the members it already
/// forwarded the call to (`tried`) and whether the caller lets it forward at all. Pure, so
/// the no-loop rules are tested without a cluster.
pub(super) fn next_hop(answer: &Result<GroupOutput, EngineError>, me: u64, tried: &[u64], forwarding: bool) -> Next {
    match answer {
        Err(EngineError::Redirect { member: Some(member), address })
            if forwarding && *member != me && !tried.contains(member) && tried.len() < MAX_HOPS =>
        {
            Next::Forward { member: *member, address: address.clone() }
        }
        _ => Next::Relay,
    }
}

/// A CP group as the router hands it to a face: the local replica, forwarding to the leader
/// what the replica redirects.
pub(super) struct CpEntry {
    /// The group's name, as the leader's router resolves it again.
    pub(super) group: String,
    /// This member's replica, or why it has none (a plain or removed member: a redirect to
    /// a CP member, when one is known).
    pub(super) local: Result<Arc<CpNode>, EngineError>,
    /// This member's id.
    pub(super) me: u64,
    /// The channels to the other members (shared with Raft).
    pub(super) peers: Peers,
    /// Counts the hops this member made ([`super::Node::forwarded_calls`]).
    pub(super) forwarded: Arc<AtomicU64>,
}

impl CpEntry {
    /// Sends `request` to `member`, for at most `options.timeout`.
    async fn forward(
        &self,
        member: u64,
        address: Option<String>,
        request: Request,
        options: CallOptions,
    ) -> Result<GroupOutput, EngineError> {
        if let Some(address) = &address {
            self.peers.learn(member, address);
        }
        self.forwarded.fetch_add(1, Ordering::Relaxed);
        let forwarder = Forwarder {
            target: Target::Cp { group: self.group.clone() },
            partition: None,
            owner: member,
            address: address.or_else(|| self.peers.address(member)),
            channel: self.peers.channel(member),
            secret: self.peers.secret().cloned(),
        };
        forwarder.call(request, options).await
    }
}

impl Engine for CpEntry {
    fn call(&self, request: Request, options: CallOptions) -> BoxFuture<'_, Result<GroupOutput, EngineError>> {
        Box::pin(async move {
            let deadline = Instant::now() + options.timeout;
            let forwarding = !options.redirect;
            let mut answer = match &self.local {
                // Kept only if the replica redirects it; a call it serves is not cloned for nothing.
                Ok(node) if !forwarding => return Engine::call(node.as_ref(), request, options).await,
                Ok(node) => Engine::call(node.as_ref(), request.clone(), options).await,
                Err(refusal) => Err(refusal.clone()),
            };
            let mut tried = Vec::with_capacity(MAX_HOPS);
            while let Next::Forward { member, address } = next_hop(&answer, self.me, &tried, forwarding) {
                let left = deadline.saturating_duration_since(Instant::now());
                if left.is_zero() {
                    break;
                }
                tried.push(member);
                answer = self.forward(member, address, request.clone(), CallOptions { timeout: left, ..options }).await;
            }
            answer
        })
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;

    fn redirect(member: Option<u64>) -> Result<GroupOutput, EngineError> {
        Err(EngineError::Redirect { member, address: member.map(|id| format!("127.0.0.1:{}", 7100 + id)) })
    }

    #[test]
    fn a_redirect_to_another_member_is_forwarded_there() {
        assert_eq!(
            next_hop(&redirect(Some(2)), 1, &[], true),
            Next::Forward { member: 2, address: Some("127.0.0.1:7102".into()) }
        );
    }

    #[test]
    fn a_member_already_tried_is_not_tried_again_so_two_members_cannot_bounce_a_call() {
        // Member 2 said 3 leads, and 3 says 2 does: the caller gets the redirect.
        assert_eq!(next_hop(&redirect(Some(2)), 1, &[2, 3], true), Next::Relay);
        assert_eq!(next_hop(&redirect(Some(2)), 1, &[2], true), Next::Relay);
    }

    #[test]
    fn a_leader_change_is_followed_once_and_no_more() {
        assert_eq!(
            next_hop(&redirect(Some(3)), 1, &[2], true),
            Next::Forward { member: 3, address: Some("127.0.0.1:7103".into()) }
        );
        assert_eq!(next_hop(&redirect(Some(4)), 1, &[2, 3], true), Next::Relay);
    }

    #[test]
    fn no_leader_a_redirect_to_itself_or_a_caller_that_follows_redirects_gets_the_redirect() {
        assert_eq!(next_hop(&redirect(None), 1, &[], true), Next::Relay);
        assert_eq!(next_hop(&redirect(Some(1)), 1, &[], true), Next::Relay);
        assert_eq!(next_hop(&redirect(Some(2)), 1, &[], false), Next::Relay);
    }

    #[test]
    fn answers_that_are_not_redirects_are_relayed_as_they_are() {
        let unknown = Err(EngineError::OutcomeUnknown { member: Some(2), address: None });
        let timeout = Err(EngineError::Timeout { waited: Duration::from_secs(1) });
        for answer in [Ok(GroupOutput::Bool(true)), unknown, timeout] {
            assert_eq!(next_hop(&answer, 1, &[], true), Next::Relay, "{answer:?}");
        }
    }
}
