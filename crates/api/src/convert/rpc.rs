//! Every client-facing rpc as one value: [`RpcRequest`] and [`RpcResponse`] hold the prost
//! message of each structure and session rpc.
//!
//! The forward conversions ([`IntoCommand`], [`FromOutput`]) are per message type, which is
//! what a service handler needs. A client goes the other way and starts from a core
//! [`GroupCommand`], so it needs one type that can hold the request of whichever rpc the
//! command maps to, and one that holds its answer. The table below is the single list of
//! those rpcs; the enums and their dispatch are generated from it, so a variant cannot be
//! missing from one match and present in another.

use coterie_core::GroupOutput;

use super::response::IntoOutput;
use super::{ConvertError, FromOutput, IntoCommand, Routed};
use crate::pb;

/// Generates [`RpcRequest`] and [`RpcResponse`] from the list of rpcs: structure rpcs (whose
/// requests carry a `Call` header) and session rpcs (which name their group themselves).
macro_rules! rpcs {
    (
        structures { $($s:ident($sreq:ty, $sresp:ty),)* }
        sessions { $($g:ident($greq:ty, $gresp:ty),)* }
    ) => {
        /// The request of one client-facing rpc, named `<Service><Method>`
        /// (`AtomicLongIncrementAndGet` is `AtomicLongService.IncrementAndGet`).
        #[derive(Clone, Debug, PartialEq)]
        pub enum RpcRequest {
            $(
                #[doc = concat!("`", stringify!($sreq), "`.")]
                $s($sreq),
            )*
            $(
                #[doc = concat!("`", stringify!($greq), "`.")]
                $g($greq),
            )*
        }

        /// The response of one client-facing rpc; each variant answers the [`RpcRequest`]
        /// variant of the same name.
        #[derive(Clone, Debug, PartialEq)]
        pub enum RpcResponse {
            $(
                #[doc = concat!("`", stringify!($sresp), "`.")]
                $s($sresp),
            )*
            $(
                #[doc = concat!("`", stringify!($gresp), "`.")]
                $g($gresp),
            )*
        }

        impl RpcRequest {
            /// The rpc's operation name in snake case, as the core names it (`increment_and_get`).
            pub fn operation(&self) -> &'static str {
                match self {
                    $(RpcRequest::$s(_) => <$sreq as IntoCommand>::OPERATION,)*
                    $(RpcRequest::$g(_) => <$greq as IntoCommand>::OPERATION,)*
                }
            }

            /// The command the server turns this request into (the forward conversion).
            pub fn into_command(self) -> Result<Routed, ConvertError> {
                match self {
                    $(RpcRequest::$s(request) => request.into_command(),)*
                    $(RpcRequest::$g(request) => request.into_command(),)*
                }
            }

            /// The response a server builds for this request from the group's `output` (the
            /// forward conversion), or [`ConvertError::UnexpectedOutput`] for an output of
            /// another shape.
            pub fn respond(&self, output: GroupOutput) -> Result<RpcResponse, ConvertError> {
                match self {
                    $(RpcRequest::$s(_) => <$sresp as FromOutput>::from_output(output).map(RpcResponse::$s),)*
                    $(RpcRequest::$g(_) => <$gresp as FromOutput>::from_output(output).map(RpcResponse::$g),)*
                }
            }

            /// Asks for a stale read (see `Call.stale_read`): the receiving member answers
            /// from its applied state without a leadership check. Refused for session rpcs and
            /// for calls with a sequence number; the server refuses it for writes.
            pub fn into_stale_read(self) -> Result<RpcRequest, ConvertError> {
                self.with_flag(
                    |call| call.seq == 0,
                    |call| call.stale_read = true,
                    "only structure reads without a sequence number can be stale reads",
                )
            }

            /// Asks that the call stay parked when an attempt ends (see `Call.keep_parked`):
            /// answered `still_waiting` instead of cancelled, so it keeps its place. Refused for
            /// session rpcs and for calls without a sequence number.
            pub fn into_keep_parked(self) -> Result<RpcRequest, ConvertError> {
                self.with_flag(
                    |call| call.seq != 0,
                    |call| call.keep_parked = true,
                    "only structure calls with a sequence number can keep their place when parked",
                )
            }

            /// Sets a header flag with `set` if the request has a header that `allowed`
            /// accepts; refuses it with `refusal` otherwise (session requests have none).
            fn with_flag(
                mut self,
                allowed: impl Fn(&pb::Call) -> bool,
                set: impl Fn(&mut pb::Call),
                refusal: &'static str,
            ) -> Result<RpcRequest, ConvertError> {
                let operation = self.operation();
                let call = match &mut self {
                    $(RpcRequest::$s(request) => request.call.as_mut(),)*
                    $(RpcRequest::$g(_) => None,)*
                };
                match call {
                    Some(call) if allowed(call) => set(call),
                    _ => return Err(ConvertError::invalid(operation, refusal)),
                }
                Ok(self)
            }

            /// Puts `call` in a structure request's header; session requests have none.
            pub(super) fn set_call(&mut self, call: pb::Call) {
                match self {
                    $(RpcRequest::$s(request) => request.call = Some(call),)*
                    $(RpcRequest::$g(_) => {})*
                }
            }
        }

        impl RpcResponse {
            /// The group output this response was built from (the reverse of
            /// [`RpcRequest::respond`]).
            pub fn into_output(self) -> GroupOutput {
                match self {
                    $(RpcResponse::$s(response) => response.into_output(),)*
                    $(RpcResponse::$g(response) => response.into_output(),)*
                }
            }
        }
    };
}

rpcs! {
    structures {
        AtomicLongGet(pb::AtomicLongGetRequest, pb::AtomicLongGetResponse),
        AtomicLongSet(pb::AtomicLongSetRequest, pb::AtomicLongSetResponse),
        AtomicLongGetAndSet(pb::AtomicLongGetAndSetRequest, pb::AtomicLongGetAndSetResponse),
        AtomicLongAddAndGet(pb::AtomicLongAddAndGetRequest, pb::AtomicLongAddAndGetResponse),
        AtomicLongGetAndAdd(pb::AtomicLongGetAndAddRequest, pb::AtomicLongGetAndAddResponse),
        AtomicLongIncrementAndGet(pb::AtomicLongIncrementAndGetRequest, pb::AtomicLongIncrementAndGetResponse),
        AtomicLongDecrementAndGet(pb::AtomicLongDecrementAndGetRequest, pb::AtomicLongDecrementAndGetResponse),
        AtomicLongGetAndIncrement(pb::AtomicLongGetAndIncrementRequest, pb::AtomicLongGetAndIncrementResponse),
        AtomicLongGetAndDecrement(pb::AtomicLongGetAndDecrementRequest, pb::AtomicLongGetAndDecrementResponse),
        AtomicLongCompareAndSet(pb::AtomicLongCompareAndSetRequest, pb::AtomicLongCompareAndSetResponse),
        AtomicReferenceGet(pb::AtomicReferenceGetRequest, pb::AtomicReferenceGetResponse),
        AtomicReferenceSet(pb::AtomicReferenceSetRequest, pb::AtomicReferenceSetResponse),
        AtomicReferenceGetAndSet(pb::AtomicReferenceGetAndSetRequest, pb::AtomicReferenceGetAndSetResponse),
        AtomicReferenceCompareAndSet(
            pb::AtomicReferenceCompareAndSetRequest,
            pb::AtomicReferenceCompareAndSetResponse
        ),
        AtomicReferenceSetIfAbsent(pb::AtomicReferenceSetIfAbsentRequest, pb::AtomicReferenceSetIfAbsentResponse),
        AtomicReferenceIsNull(pb::AtomicReferenceIsNullRequest, pb::AtomicReferenceIsNullResponse),
        AtomicReferenceClear(pb::AtomicReferenceClearRequest, pb::AtomicReferenceClearResponse),
        AtomicReferenceContains(pb::AtomicReferenceContainsRequest, pb::AtomicReferenceContainsResponse),
        FencedLockLock(pb::FencedLockLockRequest, pb::FencedLockLockResponse),
        FencedLockTryLock(pb::FencedLockTryLockRequest, pb::FencedLockTryLockResponse),
        FencedLockUnlock(pb::FencedLockUnlockRequest, pb::FencedLockUnlockResponse),
        FencedLockIsLocked(pb::FencedLockIsLockedRequest, pb::FencedLockIsLockedResponse),
        FencedLockIsLockedByMe(pb::FencedLockIsLockedByMeRequest, pb::FencedLockIsLockedByMeResponse),
        FencedLockGetLockCount(pb::FencedLockGetLockCountRequest, pb::FencedLockGetLockCountResponse),
        FencedLockGetFence(pb::FencedLockGetFenceRequest, pb::FencedLockGetFenceResponse),
        SemaphoreInit(pb::SemaphoreInitRequest, pb::SemaphoreInitResponse),
        SemaphoreAcquire(pb::SemaphoreAcquireRequest, pb::SemaphoreAcquireResponse),
        SemaphoreTryAcquire(pb::SemaphoreTryAcquireRequest, pb::SemaphoreTryAcquireResponse),
        SemaphoreRelease(pb::SemaphoreReleaseRequest, pb::SemaphoreReleaseResponse),
        SemaphoreAvailablePermits(pb::SemaphoreAvailablePermitsRequest, pb::SemaphoreAvailablePermitsResponse),
        SemaphoreDrainPermits(pb::SemaphoreDrainPermitsRequest, pb::SemaphoreDrainPermitsResponse),
        SemaphoreReducePermits(pb::SemaphoreReducePermitsRequest, pb::SemaphoreReducePermitsResponse),
        SemaphoreIncreasePermits(pb::SemaphoreIncreasePermitsRequest, pb::SemaphoreIncreasePermitsResponse),
        CountDownLatchTrySetCount(pb::CountDownLatchTrySetCountRequest, pb::CountDownLatchTrySetCountResponse),
        CountDownLatchSetCount(pb::CountDownLatchSetCountRequest, pb::CountDownLatchSetCountResponse),
        CountDownLatchCountDown(pb::CountDownLatchCountDownRequest, pb::CountDownLatchCountDownResponse),
        CountDownLatchGetCount(pb::CountDownLatchGetCountRequest, pb::CountDownLatchGetCountResponse),
        CountDownLatchGetRound(pb::CountDownLatchGetRoundRequest, pb::CountDownLatchGetRoundResponse),
        CountDownLatchAwait(pb::CountDownLatchAwaitRequest, pb::CountDownLatchAwaitResponse),
    }
    sessions {
        OpenSession(pb::OpenSessionRequest, pb::OpenSessionResponse),
        Heartbeat(pb::HeartbeatRequest, pb::HeartbeatResponse),
        CloseSession(pb::CloseSessionRequest, pb::CloseSessionResponse),
        Cancel(pb::CancelRequest, pb::CancelResponse),
    }
}
