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

use coterie_core::{GroupCommand, InvocationId, SessionId};

use super::rpc::RpcRequest as R;
use super::rpc::{create_request, structure_request};
use super::{ConvertError, RpcRequest, no_rpc, resolve_group, resolve_target};
use crate::pb;

/// A duration as `timeout_ms`, rounded up to whole milliseconds (so a timeout is never
/// shortened) and saturating at `u64::MAX`.
pub fn timeout_ms(duration: Duration) -> u64 {
    let rounded = duration.as_millis() + u128::from(!duration.subsec_nanos().is_multiple_of(1_000_000));
    u64::try_from(rounded).unwrap_or(u64::MAX)
}

/// The request of the rpc that asks `group` to run `command`, made by `session` with
/// invocation id `invocation`.
///
/// Structure commands ([`GroupCommand::Invoke`] of an AtomicLong, AtomicReference,
/// FencedLock, CP Semaphore or CountDownLatch) carry the caller in their `Call` header: the
/// session, if any, and the invocation's client id and `seq` (at least 1, since 0 means
/// "none" on the wire).
/// Session commands (OpenSession, Heartbeat, CloseSession, Cancel) name their session in the
/// command itself, so `session` and `invocation` must be `None` for them. Create has an rpc
/// for the kinds whose configuration the API carries (a Queue's capacity, a sharded
/// Semaphore's permits), sent like a structure command. Other commands (Tick, Destroy,
/// Create of other kinds, commands without an rpc) are refused, as are names the server
/// would read differently (containing `@`) and invalid group names.
pub fn to_request(
    group: &str,
    command: &GroupCommand,
    session: Option<SessionId>,
    invocation: Option<InvocationId>,
) -> Result<RpcRequest, ConvertError> {
    let (name, mut rpc) = match command {
        GroupCommand::Invoke { name, command } => (name, structure_request(command)?),
        GroupCommand::Create { name, spec } => (name, create_request(spec)?),
        other => return session_request(group, other, session, invocation),
    };
    let operation = rpc.operation();
    if name.contains('@') {
        return Err(ConvertError::name(format!(
            "{name:?} contains '@', which the gRPC API reads as a group suffix; choose a name without '@'"
        )));
    }
    let (group, name) = resolve_target(group, name)?;
    let seq = match invocation {
        None => 0,
        Some(InvocationId { seq: 0, .. }) => {
            return Err(ConvertError::invalid(
                operation,
                "invocation seq 0 cannot be sent; sequence numbers start at 1",
            ));
        }
        Some(invocation) => invocation.seq,
    };
    let session_id = session.map_or(0, |s| s.0);
    if session_id == 0 && session.is_some() {
        return Err(ConvertError::invalid(operation, "session 0 cannot be sent; sessions are numbered from 1"));
    }
    rpc.set_call(pb::Call {
        target: Some(pb::call::Target::Group(group)),
        name,
        session_id,
        seq,
        client_id: invocation.map(|i| i.client.to_bytes().to_vec()).unwrap_or_default(),
        ..pb::Call::default()
    });
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
                seq: invocation.seq,
                client_id: invocation.client.to_bytes().to_vec(),
            }),
        ),
        GroupCommand::Tick => return Err(no_rpc("tick", "Tick (the group clock)")),
        GroupCommand::Create { .. } => return Err(no_rpc("create", "Create (explicit structure configuration)")),
        GroupCommand::Destroy { .. } => return Err(no_rpc("destroy", "Destroy")),
        GroupCommand::Invoke { .. } => return Err(no_rpc("invoke", "this structure command")),
        GroupCommand::Entity(_) => return Err(no_rpc("entity", "a user entity call")),
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
