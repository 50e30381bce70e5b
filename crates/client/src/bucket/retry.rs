//! The retry loop of object calls, the object-service twin of `retry.rs`.
//!
//! Object rpcs carry bytes (a put streams its body, a get streams the object back), so they
//! do not fit the [`Transport`](crate::Transport) contract of one command in, one group
//! output out. They follow the same rules, though: start at the member believed to lead the
//! bucket's group, follow `not_leader` hints at once, rotate past members that are down with
//! capped exponential backoff, keep the same invocation id on every resend of a write (the
//! group answers a resend of an applied put from its record, never applying it twice), and
//! end at the call's deadline: [`ClientError::Indeterminate`] for a write some attempt may
//! have delivered, [`ClientError::Unavailable`] otherwise. Each attempt may take the whole
//! remaining time (a large put's attempt is its upload), so there is no failover probe.

use std::future::Future;
use std::time::Duration;

use coterie_core::Target;
use tokio::time::Instant;
use tonic::Status;
use tonic::transport::Channel;

use crate::client::Client;
use crate::error::ClientError;
use crate::grpc::GrpcTransport;
use crate::transport::{Transport, TransportError};

impl Client<GrpcTransport> {
    /// Runs `send` against the leader of `group` until it answers, or `deadline` passes.
    /// `send` gets an endpoint's channel and the attempt's time; `write` says whether a lost
    /// answer leaves the outcome unknown.
    pub(crate) async fn object_call<R, F, Fut>(
        &self,
        group: &str,
        operation: &'static str,
        write: bool,
        deadline: Instant,
        send: F,
    ) -> Result<R, ClientError>
    where
        F: FnMut(Channel, Duration) -> Fut,
        Fut: Future<Output = Result<R, Status>>,
    {
        self.object_call_resending(group, operation, write, deadline, || true, send).await
    }

    /// [`Client::object_call`] for a call that can be sent again only while `resendable`
    /// says so (a streamed put, once more of its body was sent than it keeps): after a failed
    /// attempt that is no longer resendable, the call ends with that failure at once.
    pub(crate) async fn object_call_resending<R, F, Fut>(
        &self,
        group: &str,
        operation: &'static str,
        write: bool,
        deadline: Instant,
        resendable: impl Fn() -> bool,
        mut send: F,
    ) -> Result<R, ClientError>
    where
        F: FnMut(Channel, Duration) -> Fut,
        Fut: Future<Output = Result<R, Status>>,
    {
        let shared = &self.shared;
        let target = Target::cp(group);
        let started = Instant::now();
        let mut endpoint = self.leader_guess(&target).unwrap_or(0);
        let mut backoff = shared.config.retry_initial;
        let (mut hops, mut failed_in_round, mut maybe_applied) = (0usize, 0usize, false);
        loop {
            let endpoints = shared.transport.endpoints().max(1);
            endpoint %= endpoints;
            let left = deadline.saturating_duration_since(Instant::now());
            let give_up = |last: String, maybe_applied: bool| {
                let waited_ms = started.elapsed().as_millis();
                if maybe_applied && write {
                    ClientError::Indeterminate { waited_ms, last }
                } else {
                    ClientError::Unavailable { waited_ms, last }
                }
            };
            if left.is_zero() {
                return Err(give_up("the call's deadline passed".to_owned(), maybe_applied));
            }
            let Some((channel, address)) = shared.transport.channel(endpoint) else {
                return Err(give_up(format!("there is no endpoint #{endpoint}"), maybe_applied));
            };
            let answer = tokio::time::timeout(left, send(channel, left)).await;
            let failure = match answer {
                Err(_) => {
                    maybe_applied = true;
                    format!("{address} did not answer {operation} within {left:?}")
                }
                Ok(Ok(result)) => {
                    self.remember_leader(&target, endpoint);
                    return Ok(result);
                }
                Ok(Err(status)) => match shared.transport.classify(&status, operation, &address) {
                    TransportError::Refused(err) => return Err(ClientError::Refused(err)),
                    TransportError::NotLeader { leader: Some(leader) } if hops < endpoints => {
                        if !resendable() {
                            return Err(give_up(format!("{address} is not the leader"), maybe_applied));
                        }
                        endpoint = leader;
                        hops += 1;
                        continue;
                    }
                    TransportError::NotLeader { .. } => "no endpoint knew the leader".to_owned(),
                    TransportError::OutcomeUnknown { leader: Some(leader), reason } if hops < endpoints => {
                        maybe_applied = true;
                        if !resendable() {
                            return Err(give_up(reason, maybe_applied));
                        }
                        endpoint = leader;
                        hops += 1;
                        continue;
                    }
                    TransportError::Unavailable { reason } | TransportError::OutcomeUnknown { reason, .. } => {
                        maybe_applied = true;
                        reason
                    }
                    TransportError::StillParked => {
                        maybe_applied = true;
                        format!("{address} answered {operation} with still_waiting, which object calls never park for")
                    }
                    TransportError::Unreachable { reason } => reason,
                },
            };
            if !resendable() {
                return Err(give_up(failure, maybe_applied));
            }
            hops = 0;
            failed_in_round += 1;
            if failed_in_round >= endpoints {
                failed_in_round = 0;
                shared.transport.refresh(left.min(shared.config.attempt_timeout)).await;
            }
            endpoint = (endpoint + 1) % shared.transport.endpoints().max(1);
            tokio::time::sleep(backoff.min(deadline.saturating_duration_since(Instant::now()))).await;
            backoff = backoff.saturating_mul(2).min(shared.config.retry_max);
            if Instant::now() >= deadline {
                return Err(give_up(failure, maybe_applied));
            }
        }
    }
}
