//! Forwarding a call one hop, to the member that serves it: a sharded call to the owner of
//! its partition, a CP call to its group's leader (`host/cp_forward.rs`).
//!
//! A member that receives a call another member serves hands it to that member over
//! `PartitionService.Forward`, a member-to-member rpc gated by the cluster secret like
//! Raft's, rather than re-sending it through the public API: the call is already converted
//! and checked, and the receiver needs exactly what the entry member has: the target, the
//! request (its command, and the caller's identity and sequence, so a retry through any
//! member is deduplicated by the serving replica), how long it may still run, and how it is
//! to be served (stale read, kept parked, consistency). The receiver serves a forwarded call
//! from its own replica or answers a redirect; it never forwards it again, so a call makes
//! at most one hop from the entry member, and two members whose views disagree for a moment
//! cannot bounce it between them. (The name `PartitionService` is the sharded engine's,
//! which came first; one rpc serves both engines, so there is one forwarding path.)
//!
//! Both payloads are encoded with the core's codec; the answer carries the receiver's
//! [`EngineError`] as a [`ForwardAnswer`], so the caller sees the same error whichever
//! member it called.

use std::time::Duration;

use coterie_api::pb::ForwardRequest;
use coterie_api::pb::partition_service_client::PartitionServiceClient;
use coterie_core::placement::PartitionId;
use coterie_core::{Consistency, CoreError, EngineError, GroupOutput, InvocationId, Target, codec};
use futures_util::future::BoxFuture;
use serde::{Deserialize, Serialize};
use tonic::metadata::{Ascii, MetadataValue};
use tonic::transport::Channel;

use crate::engine::{CallOptions, Engine};
use crate::request::Request;

/// The gRPC header carrying the cluster secret (the same as Raft's).
const SECRET_HEADER: &str = "x-coterie-cluster-secret";

/// The largest forwarded call or answer (a Group caps values well below this).
pub const MAX_FORWARD_BYTES: usize = 16 << 20;

/// What the receiving member is told to serve.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ForwardedCall {
    /// The call's target: a CP group, or a sharded structure's number of shards.
    pub target: Target,
    /// For a sharded call, the partition the entry member located it in (the owner checks it).
    pub partition: Option<u32>,
    /// The call, with the caller's identity and sequence.
    pub request: Request,
    /// How long the receiver may run it.
    pub timeout: Duration,
    /// Whether it is a stale read.
    pub stale_read: bool,
    /// Whether a parked call stays parked when `timeout` passes ([`CallOptions::keep_parked`]).
    pub keep_parked: bool,
    /// How many replicas must take part ([`CallOptions::consistency`]).
    pub consistency: Consistency,
}

impl ForwardedCall {
    /// How the receiver serves the call: as the entry member was asked to, and answering a
    /// redirect rather than forwarding it again.
    pub fn options(&self) -> CallOptions {
        CallOptions {
            timeout: self.timeout,
            stale_read: self.stale_read,
            keep_parked: self.keep_parked,
            consistency: self.consistency,
            redirect: true,
        }
    }
}

/// The owner's answer: its output, or its [`EngineError`] in a form that travels.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum ForwardAnswer {
    /// The call's output.
    Output(GroupOutput),
    /// [`EngineError::Redirect`].
    Redirect {
        /// The member named.
        member: Option<u64>,
        /// Its address.
        address: Option<String>,
    },
    /// [`EngineError::OutcomeUnknown`].
    OutcomeUnknown {
        /// The member named.
        member: Option<u64>,
        /// Its address.
        address: Option<String>,
    },
    /// [`EngineError::Timeout`].
    Timeout {
        /// How long it ran.
        waited: Duration,
    },
    /// [`EngineError::StillParked`].
    StillParked {
        /// The parked call.
        invocation: InvocationId,
    },
    /// [`EngineError::QuorumNotMet`].
    QuorumNotMet {
        /// Acknowledgements needed.
        needed: u32,
        /// Acknowledgements received.
        got: u32,
    },
    /// [`EngineError::Core`].
    Core(CoreError),
    /// [`EngineError::Stopped`].
    Stopped {
        /// What is wrong.
        reason: String,
    },
    /// [`EngineError::PartitionLost`].
    PartitionLost {
        /// The partition.
        partition: u32,
        /// The member that must return.
        last_owner: u64,
    },
}

impl From<Result<GroupOutput, EngineError>> for ForwardAnswer {
    fn from(result: Result<GroupOutput, EngineError>) -> Self {
        match result {
            Ok(output) => ForwardAnswer::Output(output),
            Err(EngineError::Redirect { member, address }) => ForwardAnswer::Redirect { member, address },
            Err(EngineError::OutcomeUnknown { member, address }) => ForwardAnswer::OutcomeUnknown { member, address },
            Err(EngineError::Timeout { waited }) => ForwardAnswer::Timeout { waited },
            Err(EngineError::StillParked { invocation }) => ForwardAnswer::StillParked { invocation },
            Err(EngineError::QuorumNotMet { needed, got }) => ForwardAnswer::QuorumNotMet { needed, got },
            Err(EngineError::Core(core)) => ForwardAnswer::Core(core),
            Err(EngineError::Stopped { reason }) => ForwardAnswer::Stopped { reason },
            Err(EngineError::PartitionLost { partition, last_owner }) => {
                ForwardAnswer::PartitionLost { partition, last_owner }
            }
        }
    }
}

impl From<ForwardAnswer> for Result<GroupOutput, EngineError> {
    fn from(answer: ForwardAnswer) -> Self {
        match answer {
            ForwardAnswer::Output(output) => Ok(output),
            ForwardAnswer::Redirect { member, address } => Err(EngineError::Redirect { member, address }),
            ForwardAnswer::OutcomeUnknown { member, address } => Err(EngineError::OutcomeUnknown { member, address }),
            ForwardAnswer::Timeout { waited } => Err(EngineError::Timeout { waited }),
            ForwardAnswer::StillParked { invocation } => Err(EngineError::StillParked { invocation }),
            ForwardAnswer::QuorumNotMet { needed, got } => Err(EngineError::QuorumNotMet { needed, got }),
            ForwardAnswer::Core(core) => Err(EngineError::Core(core)),
            ForwardAnswer::Stopped { reason } => Err(EngineError::Stopped { reason }),
            ForwardAnswer::PartitionLost { partition, last_owner } => {
                Err(EngineError::PartitionLost { partition, last_owner })
            }
        }
    }
}

/// How much of a call's time the owner gets: the rest covers the hop back, so that the
/// owner's own answer (a timeout included) reaches the entry member before the caller's
/// deadline.
pub fn owner_timeout(timeout: Duration) -> Duration {
    timeout.saturating_sub((timeout / 10).min(Duration::from_millis(100)))
}

/// The engine that forwards a call to the member serving it: the owner of a sharded call's
/// partition, or a CP group's leader.
pub struct Forwarder {
    /// The call's target.
    pub target: Target,
    /// For a sharded call, its partition.
    pub partition: Option<PartitionId>,
    /// The receiving member's id.
    pub owner: u64,
    /// Its address, for the answer if it cannot be reached.
    pub address: Option<String>,
    /// The channel to the owner (lazily connected, shared with Raft).
    pub channel: Result<Channel, String>,
    /// The cluster secret, sent with the call.
    pub secret: Option<MetadataValue<Ascii>>,
}

impl Engine for Forwarder {
    fn call(&self, request: Request, options: CallOptions) -> BoxFuture<'_, Result<GroupOutput, EngineError>> {
        Box::pin(async move {
            if self.partition.is_some() {
                // The owner has one copy: a level it cannot meet is refused here, before the hop.
                options.consistency.check_majority(1, "call").map_err(EngineError::Core)?;
            }
            // A change may have reached the owner before the link failed: a retry with the
            // same invocation is answered, never applied twice. A read changes nothing, so it
            // is refused as what it is: the owner cannot be reached.
            let changes = request.invocation.is_some() || !request.command.is_read();
            let owner = match &self.address {
                Some(address) => format!("member {} at {address}", self.owner),
                None => format!("member {}", self.owner),
            };
            let unreachable = |why: String| match changes {
                true => EngineError::OutcomeUnknown { member: Some(self.owner), address: self.address.clone() },
                false => EngineError::Stopped {
                    reason: format!("{owner}, which serves the call, cannot be reached ({why}); nothing was applied"),
                },
            };
            let channel = self.channel.clone().map_err(unreachable)?;
            let call = ForwardedCall {
                target: self.target.clone(),
                partition: self.partition.map(|partition| partition.0),
                request,
                timeout: owner_timeout(options.timeout),
                stale_read: options.stale_read,
                keep_parked: options.keep_parked,
                consistency: options.consistency,
            };
            let mut message = tonic::Request::new(ForwardRequest { call: codec::encode(&call)? });
            message.set_timeout(options.timeout.max(Duration::from_millis(1)));
            if let Some(secret) = &self.secret {
                message.metadata_mut().insert(SECRET_HEADER, secret.clone());
            }
            let mut client = PartitionServiceClient::new(channel)
                .max_decoding_message_size(MAX_FORWARD_BYTES)
                .max_encoding_message_size(MAX_FORWARD_BYTES);
            match client.forward(message).await {
                Ok(response) => {
                    let answer: ForwardAnswer = codec::decode(&response.into_inner().answer, "forwarded answer")?;
                    answer.into()
                }
                Err(status) if status.code() == tonic::Code::DeadlineExceeded => {
                    Err(EngineError::Timeout { waited: options.timeout })
                }
                Err(status) => Err(unreachable(status.message().to_owned())),
            }
        })
    }
}

#[cfg(test)]
mod tests {
    use coterie_core::{ClientId, InvalidReason};

    use super::*;

    #[test]
    fn every_engine_error_travels_back_as_itself() {
        let invocation = InvocationId { client: ClientId::MIN, seq: 9 };
        let cases: Vec<Result<GroupOutput, EngineError>> = vec![
            Ok(GroupOutput::Bool(true)),
            Err(EngineError::Redirect { member: Some(2), address: Some("127.0.0.1:7102".into()) }),
            Err(EngineError::OutcomeUnknown { member: None, address: None }),
            Err(EngineError::Timeout { waited: Duration::from_millis(1500) }),
            Err(EngineError::StillParked { invocation }),
            Err(EngineError::QuorumNotMet { needed: 2, got: 1 }),
            Err(EngineError::Core(CoreError::invalid("put", InvalidReason::ConsistencyZero))),
            Err(EngineError::Stopped { reason: "stopping".into() }),
            Err(EngineError::PartitionLost { partition: 17, last_owner: 3 }),
        ];
        for case in cases {
            let bytes = codec::encode(&ForwardAnswer::from(case.clone())).unwrap();
            let back: ForwardAnswer = codec::decode(&bytes, "forwarded answer").unwrap();
            assert_eq!(Result::<GroupOutput, EngineError>::from(back), case);
        }
    }

    #[test]
    fn a_forwarded_call_carries_its_target_and_options_and_is_served_without_forwarding_again() {
        let invocation = InvocationId { client: ClientId::MIN, seq: 4 };
        let command = coterie_core::GroupCommand::Invoke {
            name: "hits".into(),
            command: coterie_core::StructureCommand::AtomicLong(
                coterie_core::kinds::atomic_long::AtomicLongCommand::IncrementAndGet,
            ),
        };
        let call = ForwardedCall {
            target: Target::cp("orders"),
            partition: None,
            request: Request::invoked(command, None, invocation),
            timeout: Duration::from_millis(900),
            stale_read: false,
            keep_parked: true,
            consistency: Consistency::AtLeast(2),
        };
        let back: ForwardedCall = codec::decode(&codec::encode(&call).unwrap(), "forwarded call").unwrap();
        assert_eq!(back, call);
        let options = back.options();
        assert!(options.redirect, "the receiver answers a redirect instead of forwarding again");
        assert!(options.keep_parked);
        assert_eq!(options.consistency, Consistency::AtLeast(2));
        assert_eq!(options.timeout, Duration::from_millis(900));
    }

    /// A read sent to an owner that cannot be reached changed nothing, so it is refused as
    /// unreachable, never as "may or may not have been applied" (what a read forwarded to a
    /// member just killed answered before); a change keeps the retry-with-the-same-id answer.
    #[tokio::test]
    async fn an_unreachable_owner_fails_a_read_as_unreachable_and_a_change_as_outcome_unknown() {
        let forwarder = Forwarder {
            target: Target::Sharded { shards: 4 },
            partition: Some(PartitionId(7)),
            owner: 3,
            address: Some("127.0.0.1:7103".into()),
            channel: Err("connection refused".into()),
            secret: None,
        };
        let counter = |command| coterie_core::GroupCommand::Invoke {
            name: "views".into(),
            command: coterie_core::StructureCommand::Counter(command),
        };
        let options = CallOptions::new(Duration::from_secs(1));
        let read = Request::internal(counter(coterie_core::kinds::counter::CounterCommand::Get));
        match forwarder.call(read, options).await {
            Err(EngineError::Stopped { reason }) => {
                assert!(reason.contains("member 3 at 127.0.0.1:7103"), "{reason}");
                assert!(reason.contains("nothing was applied"), "{reason}");
            }
            other => panic!("a read answered {other:?}"),
        }
        let invocation = InvocationId { client: ClientId::MIN, seq: 1 };
        let change =
            Request::invoked(counter(coterie_core::kinds::counter::CounterCommand::Increment(1)), None, invocation);
        assert_eq!(
            forwarder.call(change, options).await,
            Err(EngineError::OutcomeUnknown { member: Some(3), address: Some("127.0.0.1:7103".into()) })
        );
    }

    #[test]
    fn the_owner_gets_the_call_time_less_a_margin_for_the_hop_back() {
        assert_eq!(owner_timeout(Duration::from_secs(5)), Duration::from_millis(4900));
        assert_eq!(owner_timeout(Duration::from_millis(500)), Duration::from_millis(450));
        assert_eq!(owner_timeout(Duration::ZERO), Duration::ZERO);
    }
}
