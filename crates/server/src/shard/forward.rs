//! Forwarding a sharded call one hop, to the member that owns its partition.
//!
//! A member that receives a call for a partition another member owns hands it to the owner
//! over `PartitionService.Forward`, a member-to-member rpc gated by the cluster secret like
//! Raft's, rather than re-sending it through the public API: the call is already converted
//! and checked, and the owner needs exactly what the entry member has: the request (its
//! command, and the caller's identity and sequence, so a retry through any member is
//! deduplicated by the owner's replica), how long it may still run, and whether it is a
//! stale read. The owner serves a forwarded call from its own replica or answers a
//! redirect; it never forwards it again, so a call makes at most one hop and two members
//! whose tables disagree for a moment cannot bounce it between them.
//!
//! Both payloads are encoded with the core's codec; the answer carries the owner's
//! [`EngineError`] as a [`ForwardAnswer`], so the caller sees the same error whichever
//! member it called.

use std::time::Duration;

use coterie_api::pb::ForwardRequest;
use coterie_api::pb::partition_service_client::PartitionServiceClient;
use coterie_core::placement::PartitionId;
use coterie_core::{CoreError, EngineError, GroupOutput, InvocationId, codec};
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

/// What the owner is told to serve.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ForwardedCall {
    /// The partition the entry member located the call in (the owner checks it).
    pub partition: u32,
    /// The structure's number of shards, from the call's target.
    pub shards: u32,
    /// The call, with the caller's identity and sequence.
    pub request: Request,
    /// How long the owner may run it.
    pub timeout: Duration,
    /// Whether it is a stale read.
    pub stale_read: bool,
    /// Whether a parked call keeps its place when its time is up (`CallOptions::keep_parked`).
    pub keep_parked: bool,
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

/// The engine a call for a partition owned by another member is routed to: it forwards the
/// call to that member.
pub struct Forwarder {
    /// The partition.
    pub partition: PartitionId,
    /// The structure's number of shards.
    pub shards: u32,
    /// The owner's id.
    pub owner: u64,
    /// The owner's address, for the answer if it cannot be reached.
    pub address: Option<String>,
    /// The channel to the owner (lazily connected, shared with Raft).
    pub channel: Result<Channel, String>,
    /// The cluster secret, sent with the call.
    pub secret: Option<MetadataValue<Ascii>>,
}

impl Engine for Forwarder {
    fn call(&self, request: Request, options: CallOptions) -> BoxFuture<'_, Result<GroupOutput, EngineError>> {
        Box::pin(async move {
            // The owner has one copy: a level it cannot meet is refused here, before the hop.
            options.consistency.check_majority(1, "call").map_err(EngineError::Core)?;
            // The call may have reached the owner before the link failed: a retry with the
            // same invocation is answered, never applied twice.
            let unreachable =
                |_: String| EngineError::OutcomeUnknown { member: Some(self.owner), address: self.address.clone() };
            let channel = self.channel.clone().map_err(unreachable)?;
            let call = ForwardedCall {
                partition: self.partition.0,
                shards: self.shards,
                request,
                timeout: owner_timeout(options.timeout),
                stale_read: options.stale_read,
                keep_parked: options.keep_parked,
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
    fn the_owner_gets_the_call_time_less_a_margin_for_the_hop_back() {
        assert_eq!(owner_timeout(Duration::from_secs(5)), Duration::from_millis(4900));
        assert_eq!(owner_timeout(Duration::from_millis(500)), Duration::from_millis(450));
        assert_eq!(owner_timeout(Duration::ZERO), Duration::ZERO);
    }
}
