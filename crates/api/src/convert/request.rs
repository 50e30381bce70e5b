//! Core commands to proto requests: the reverse of [`IntoCommand`](super::IntoCommand), for
//! clients.
//!
//! [`to_request`] is exact: whatever it accepts, the server's forward conversion turns back
//! into the same group, caller and command (the tests check this for every operation across
//! its argument ranges). Where the wire cannot say what the command says, it refuses
//! instead of sending something else: a structure name containing `@` (the server would
//! read a group suffix), a command the API has no rpc for, an invocation without its
//! session.

use std::time::Duration;

use coterie_core::kinds::atomic_long::AtomicLongCommand as Al;
use coterie_core::kinds::atomic_reference::AtomicReferenceCommand as Ar;
use coterie_core::kinds::count_down_latch::CountDownLatchCommand as Cdl;
use coterie_core::kinds::cp_semaphore::CpSemaphoreCommand as Sem;
use coterie_core::kinds::fenced_lock::FencedLockCommand as Fl;
use coterie_core::{GroupCommand, InvocationId, SessionId, StructureCommand};

use super::rpc::RpcRequest as R;
use super::{ConvertError, RpcRequest, owner_to_bytes, resolve_group, resolve_target};
use crate::pb;

/// A duration as `timeout_ms`, rounded up to whole milliseconds (so a timeout is never
/// shortened) and saturating at `u64::MAX`.
pub fn timeout_ms(duration: Duration) -> u64 {
    let rounded = duration.as_millis() + u128::from(!duration.subsec_nanos().is_multiple_of(1_000_000));
    u64::try_from(rounded).unwrap_or(u64::MAX)
}

fn no_rpc(operation: &'static str, what: &str) -> ConvertError {
    ConvertError::invalid(
        operation,
        format!("{what} has no rpc in the public gRPC API (coterie.v1); use an embedded server or an admin tool"),
    )
}

/// The request of the rpc that asks `group` to run `command`, made by `session` with
/// invocation id `invocation`.
///
/// Structure commands ([`GroupCommand::Invoke`] of an AtomicLong, AtomicReference,
/// FencedLock, CP Semaphore or CountDownLatch) carry the caller in their `Call` header: an
/// invocation needs its session and a `seq` of at least 1, since 0 means "none" on the wire.
/// Session commands (OpenSession, Heartbeat, CloseSession, Cancel) name their session in the
/// command itself, so `session` and `invocation` must be `None` for them. Other commands
/// (Tick, Create, Destroy, the other kinds) have no rpc and are refused, as are names the
/// server would read differently (containing `@`) and invalid group names.
pub fn to_request(
    group: &str,
    command: &GroupCommand,
    session: Option<SessionId>,
    invocation: Option<InvocationId>,
) -> Result<RpcRequest, ConvertError> {
    let (name, command) = match command {
        GroupCommand::Invoke { name, command } => (name, command),
        other => return session_request(group, other, session, invocation),
    };
    let mut rpc = structure_request(command)?;
    let operation = rpc.operation();
    if name.contains('@') {
        return Err(ConvertError::name(format!(
            "{name:?} contains '@', which the gRPC API reads as a group suffix; choose a name without '@'"
        )));
    }
    let (group, name) = resolve_target(group, name)?;
    let seq = match (session, invocation) {
        (_, None) => 0,
        (Some(session), Some(invocation)) if invocation.session == session && invocation.seq > 0 => invocation.seq,
        (Some(_), Some(InvocationId { seq: 0, .. })) => {
            return Err(ConvertError::invalid(
                operation,
                "invocation seq 0 cannot be sent; sequence numbers start at 1",
            ));
        }
        (Some(session), Some(invocation)) => {
            return Err(ConvertError::invalid(
                operation,
                format!("{invocation} does not belong to the caller's {session}; use the caller's session"),
            ));
        }
        (None, Some(invocation)) => {
            return Err(ConvertError::invalid(
                operation,
                format!("{invocation} was given without its session; pass the session too"),
            ));
        }
    };
    let session_id = session.map_or(0, |s| s.0);
    if session_id == 0 && session.is_some() {
        return Err(ConvertError::invalid(operation, "session 0 cannot be sent; sessions are numbered from 1"));
    }
    rpc.set_call(pb::Call { group, name, session_id, seq, stale_read: false, keep_parked: false });
    Ok(rpc)
}

/// The session rpc for a group-level command.
fn session_request(
    group: &str,
    command: &GroupCommand,
    session: Option<SessionId>,
    invocation: Option<InvocationId>,
) -> Result<RpcRequest, ConvertError> {
    let (operation, rpc) = match *command {
        GroupCommand::OpenSession { ttl, client, seq } => (
            "open_session",
            R::OpenSession(pb::OpenSessionRequest {
                group: String::new(),
                ttl_ms: timeout_ms(ttl),
                client_id: client.to_bytes().to_vec(),
                open_seq: seq,
            }),
        ),
        GroupCommand::Heartbeat { session } => {
            ("heartbeat", R::Heartbeat(pb::HeartbeatRequest { group: String::new(), session_id: session.0 }))
        }
        GroupCommand::CloseSession { session } => {
            ("close_session", R::CloseSession(pb::CloseSessionRequest { group: String::new(), session_id: session.0 }))
        }
        GroupCommand::Cancel { invocation } => (
            "cancel",
            R::Cancel(pb::CancelRequest {
                group: String::new(),
                session_id: invocation.session.0,
                seq: invocation.seq,
            }),
        ),
        GroupCommand::Tick => return Err(no_rpc("tick", "Tick (the group clock)")),
        GroupCommand::Create { .. } => return Err(no_rpc("create", "Create (explicit structure configuration)")),
        GroupCommand::Destroy { .. } => return Err(no_rpc("destroy", "Destroy")),
        GroupCommand::Invoke { .. } => return Err(no_rpc("invoke", "this structure command")),
    };
    if session.is_some() || invocation.is_some() {
        return Err(ConvertError::invalid(
            operation,
            "session rpcs name their session in the command; send them without a caller session or invocation",
        ));
    }
    let group = resolve_group(group)?;
    let rpc = match rpc {
        R::OpenSession(r) => R::OpenSession(pb::OpenSessionRequest { group, ..r }),
        R::Heartbeat(r) => R::Heartbeat(pb::HeartbeatRequest { group, ..r }),
        R::CloseSession(r) => R::CloseSession(pb::CloseSessionRequest { group, ..r }),
        R::Cancel(r) => R::Cancel(pb::CancelRequest { group, ..r }),
        other => other,
    };
    Ok(rpc)
}

/// The request (without its `Call` header) of the rpc for a structure command.
fn structure_request(command: &StructureCommand) -> Result<RpcRequest, ConvertError> {
    let owner = |owner| owner_to_bytes(owner);
    let timeout = |timeout: Option<Duration>| timeout.map(timeout_ms);
    Ok(match command {
        StructureCommand::AtomicLong(command) => match *command {
            Al::Get => R::AtomicLongGet(pb::AtomicLongGetRequest { call: None }),
            Al::Set(value) => R::AtomicLongSet(pb::AtomicLongSetRequest { call: None, value }),
            Al::GetAndSet(value) => R::AtomicLongGetAndSet(pb::AtomicLongGetAndSetRequest { call: None, value }),
            Al::AddAndGet(delta) => R::AtomicLongAddAndGet(pb::AtomicLongAddAndGetRequest { call: None, delta }),
            Al::GetAndAdd(delta) => R::AtomicLongGetAndAdd(pb::AtomicLongGetAndAddRequest { call: None, delta }),
            Al::IncrementAndGet => R::AtomicLongIncrementAndGet(pb::AtomicLongIncrementAndGetRequest { call: None }),
            Al::DecrementAndGet => R::AtomicLongDecrementAndGet(pb::AtomicLongDecrementAndGetRequest { call: None }),
            Al::GetAndIncrement => R::AtomicLongGetAndIncrement(pb::AtomicLongGetAndIncrementRequest { call: None }),
            Al::GetAndDecrement => R::AtomicLongGetAndDecrement(pb::AtomicLongGetAndDecrementRequest { call: None }),
            Al::CompareAndSet { expected, update } => {
                R::AtomicLongCompareAndSet(pb::AtomicLongCompareAndSetRequest { call: None, expected, update })
            }
        },
        StructureCommand::AtomicReference(command) => match command {
            Ar::Get => R::AtomicReferenceGet(pb::AtomicReferenceGetRequest { call: None }),
            Ar::Set(value) => R::AtomicReferenceSet(pb::AtomicReferenceSetRequest { call: None, value: value.clone() }),
            Ar::GetAndSet(value) => {
                R::AtomicReferenceGetAndSet(pb::AtomicReferenceGetAndSetRequest { call: None, value: value.clone() })
            }
            Ar::CompareAndSet { expected, update } => {
                R::AtomicReferenceCompareAndSet(pb::AtomicReferenceCompareAndSetRequest {
                    call: None,
                    expected: expected.clone(),
                    update: update.clone(),
                })
            }
            Ar::SetIfAbsent(value) => R::AtomicReferenceSetIfAbsent(pb::AtomicReferenceSetIfAbsentRequest {
                call: None,
                value: Some(value.clone()),
            }),
            Ar::IsNull => R::AtomicReferenceIsNull(pb::AtomicReferenceIsNullRequest { call: None }),
            Ar::Clear => R::AtomicReferenceClear(pb::AtomicReferenceClearRequest { call: None }),
            Ar::Contains(value) => {
                R::AtomicReferenceContains(pb::AtomicReferenceContainsRequest { call: None, value: value.clone() })
            }
        },
        StructureCommand::FencedLock(command) => match *command {
            Fl::Lock { owner: o } => R::FencedLockLock(pb::FencedLockLockRequest { call: None, owner: owner(o) }),
            Fl::TryLock { owner: o, timeout: t } => R::FencedLockTryLock(pb::FencedLockTryLockRequest {
                call: None,
                owner: owner(o),
                timeout_ms: timeout(t),
            }),
            Fl::Unlock { owner: o } => R::FencedLockUnlock(pb::FencedLockUnlockRequest { call: None, owner: owner(o) }),
            Fl::IsLocked => R::FencedLockIsLocked(pb::FencedLockIsLockedRequest { call: None }),
            Fl::IsLockedByMe { owner: o } => {
                R::FencedLockIsLockedByMe(pb::FencedLockIsLockedByMeRequest { call: None, owner: owner(o) })
            }
            Fl::LockCount => R::FencedLockGetLockCount(pb::FencedLockGetLockCountRequest { call: None }),
            Fl::Fence { owner: o } => {
                R::FencedLockGetFence(pb::FencedLockGetFenceRequest { call: None, owner: owner(o) })
            }
        },
        StructureCommand::CpSemaphore(command) => match *command {
            Sem::Init { permits } => R::SemaphoreInit(pb::SemaphoreInitRequest { call: None, permits }),
            Sem::Acquire { permits } => {
                R::SemaphoreAcquire(pb::SemaphoreAcquireRequest { call: None, permits: Some(permits) })
            }
            Sem::TryAcquire { permits, timeout: t } => R::SemaphoreTryAcquire(pb::SemaphoreTryAcquireRequest {
                call: None,
                permits: Some(permits),
                timeout_ms: timeout(t),
            }),
            Sem::Release { permits } => {
                R::SemaphoreRelease(pb::SemaphoreReleaseRequest { call: None, permits: Some(permits) })
            }
            Sem::AvailablePermits => R::SemaphoreAvailablePermits(pb::SemaphoreAvailablePermitsRequest { call: None }),
            Sem::DrainPermits => R::SemaphoreDrainPermits(pb::SemaphoreDrainPermitsRequest { call: None }),
            Sem::ReducePermits { permits } => {
                R::SemaphoreReducePermits(pb::SemaphoreReducePermitsRequest { call: None, permits })
            }
            Sem::IncreasePermits { permits } => {
                R::SemaphoreIncreasePermits(pb::SemaphoreIncreasePermitsRequest { call: None, permits })
            }
        },
        StructureCommand::CountDownLatch(command) => match *command {
            Cdl::TrySetCount { count } => {
                R::CountDownLatchTrySetCount(pb::CountDownLatchTrySetCountRequest { call: None, count })
            }
            Cdl::SetCount { count } => {
                R::CountDownLatchSetCount(pb::CountDownLatchSetCountRequest { call: None, count })
            }
            Cdl::CountDown { expected_round } => {
                R::CountDownLatchCountDown(pb::CountDownLatchCountDownRequest { call: None, expected_round })
            }
            Cdl::GetCount => R::CountDownLatchGetCount(pb::CountDownLatchGetCountRequest { call: None }),
            Cdl::GetRound => R::CountDownLatchGetRound(pb::CountDownLatchGetRoundRequest { call: None }),
            Cdl::Await { timeout: t } => {
                R::CountDownLatchAwait(pb::CountDownLatchAwaitRequest { call: None, timeout_ms: timeout(t) })
            }
        },
        other => {
            return Err(no_rpc("invoke", &format!("a {} command", other.kind().name())));
        }
    })
}
