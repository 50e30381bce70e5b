//! Pure conversions between the proto messages and the core's commands and outputs.
//!
//! Services stay thin: a handler turns its request into a [`Routed`] command with
//! [`IntoCommand`], hands it to the engine, and turns the group's [`GroupOutput`] into the
//! rpc's response with [`FromOutput`]. Keeping that mapping here, free of I/O and of tonic's
//! types, means every rpc's mapping is checked by plain unit tests, and the server, the
//! simulator and any other host share one definition of what each rpc means.
//!
//! Clients go the other way: [`to_request`] turns a core command into the [`RpcRequest`]
//! of its rpc, and [`RpcResponse::into_output`] ([`IntoOutput`]) turns the answer back into
//! the group's output, exactly inverting the forward conversions.
//!
//! Every rpc is declared once, in [`table`] ([`for_each_rpc!`](crate::for_each_rpc)): the
//! conversions both ways, [`RpcRequest`] and [`RpcResponse`], and the server's and the
//! client's per-rpc code are generated from that one list, with the field rules of
//! [`fields`]. The `Call` header, common to every structure rpc, is read here into the
//! request's [`Routed`] target, caller and consistency.
//!
//! Bad input (a missing name, a malformed group, an owner id that does not fit) is a
//! [`ConvertError`], never a panic. Checks that need the group's state or configuration
//! (name length, value size, whether a session is required) are left to the core, so that
//! they have one source of truth.

pub mod fields;
pub mod object;
mod request;
mod response;
mod rpc;
mod session;
pub mod table;
pub mod text;

pub use request::{timeout_ms, to_request};
pub use response::IntoOutput;
pub use rpc::{RpcMode, RpcRequest, RpcResponse};

use std::time::Duration;

use coterie_core::{
    ApplyCtx, ClientId, GroupCommand, GroupOutput, InvocationId, LogIndex, OwnerId, SessionId, Timestamp,
};
use coterie_core::{Consistency, CoreError, NameProblem, StructureCommand, Target};
use thiserror::Error;

use crate::pb;

/// The group a call goes to when neither `Call.group` nor a `name@group` suffix names one.
pub const DEFAULT_GROUP: &str = "default";

/// The group reserved for cluster metadata; structures cannot live in it.
pub const METADATA_GROUP: &str = "metadata";

/// The longest group name, in bytes.
pub const MAX_GROUP_NAME_BYTES: usize = 64;

/// The most bytes an owner id (`bytes owner` in FencedLock requests) may have.
pub const MAX_OWNER_BYTES: usize = 16;

/// A request or response that cannot be converted.
#[derive(Clone, Debug, PartialEq, Eq, Error)]
pub enum ConvertError {
    /// A request field is missing, malformed or out of range.
    #[error("invalid argument to {operation}: {reason}")]
    InvalidArgument {
        /// The operation the request was for (`try_lock`, ...), as the core names it.
        operation: &'static str,
        /// What was wrong and what is accepted instead.
        reason: String,
    },
    /// The structure or group name cannot be used.
    #[error("invalid structure name: {reason}")]
    InvalidName {
        /// What was wrong with it.
        reason: String,
    },
    /// The group answered with an output that is not the shape this rpc's response is made
    /// from. This is a server bug, not a client mistake.
    #[error("{operation} was answered with an output of the wrong shape: {output}")]
    UnexpectedOutput {
        /// The operation whose response was being built.
        operation: &'static str,
        /// The output, for the log.
        output: String,
    },
}

impl ConvertError {
    fn invalid(operation: &'static str, reason: impl Into<String>) -> Self {
        ConvertError::InvalidArgument { operation, reason: reason.into() }
    }

    fn name(reason: impl Into<String>) -> Self {
        ConvertError::InvalidName { reason: reason.into() }
    }

    fn unexpected(operation: &'static str, output: &GroupOutput) -> Self {
        ConvertError::UnexpectedOutput { operation, output: format!("{output:?}") }
    }

    /// The core error a request-side failure corresponds to, so that clients see the same
    /// typed error whether the API layer or the core refused the input. `None` for
    /// [`ConvertError::UnexpectedOutput`], which is the server's fault.
    pub fn to_core(&self) -> Option<CoreError> {
        match self {
            ConvertError::InvalidArgument { operation, reason } => {
                Some(CoreError::invalid_request(operation, reason.clone()))
            }
            ConvertError::InvalidName { reason } => {
                Some(CoreError::invalid_name(NameProblem::Request { detail: reason.clone() }))
            }
            ConvertError::UnexpectedOutput { .. } => None,
        }
    }
}

/// Who made a call: its session, and for calls that may park or must apply once, its
/// invocation id. The host combines it with the entry's log index and time into an
/// [`ApplyCtx`].
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Caller {
    /// The caller's session, if the call carried one.
    pub session: Option<SessionId>,
    /// The call's invocation id, if it carried a session and a sequence number.
    pub invocation: Option<InvocationId>,
}

impl Caller {
    /// The apply context for this call at log position `index` and leader time `now`.
    pub fn ctx(&self, index: LogIndex, now: Timestamp) -> ApplyCtx {
        ApplyCtx { index, now, session: self.session, invocation: self.invocation }
    }
}

/// A request turned into what the router needs: where it goes, who makes it, the command,
/// and what it asks of the replicas.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Routed {
    /// The engine and replica set that must serve the command: a CP group (`"default"`
    /// unless the call named one) or a sharded structure.
    pub target: Target,
    /// Who made the call.
    pub caller: Caller,
    /// The command for that target.
    pub command: GroupCommand,
    /// How many replicas must take part before the call is answered.
    pub consistency: Consistency,
    /// Whether the caller asked for a stale read: answered from the receiving member's
    /// applied state, without a leadership check. Only ever set on read-only commands.
    pub stale_read: bool,
    /// Whether a call that parks stays parked when its deadline passes or its caller
    /// disconnects (answered `still_waiting`), instead of being cancelled. Only ever set on
    /// calls with an invocation id (see `Call.keep_parked`).
    pub keep_parked: bool,
}

/// A proto request that becomes one group command.
pub trait IntoCommand {
    /// The rpc's name in snake case (`increment_and_get`), as the core names the operation.
    const OPERATION: &'static str;

    /// The command this request asks for, or why it cannot be accepted.
    fn into_command(self) -> Result<Routed, ConvertError>;
}

/// A proto response built from the group's successful output for its rpc.
pub trait FromOutput: Sized {
    /// The rpc's name in snake case, as for [`IntoCommand::OPERATION`].
    const OPERATION: &'static str;

    /// The response for `output`, or [`ConvertError::UnexpectedOutput`] when the output is
    /// not the shape this rpc answers with.
    fn from_output(output: GroupOutput) -> Result<Self, ConvertError>;
}

/// Resolves the group and the bare structure name of a call from `Call.group` and an
/// optional `name@group` suffix.
///
/// The name must be non-empty and carry at most one `@group` suffix; the group, however it
/// is given, must be 1 to [`MAX_GROUP_NAME_BYTES`] characters from `[a-z0-9_-]`, must not be
/// [`METADATA_GROUP`], and the field and the suffix must agree when both are given.
pub fn resolve_target(group: &str, name: &str) -> Result<(String, String), ConvertError> {
    let (bare, suffix) = match name.split_once('@') {
        Some((bare, suffix)) => (bare, Some(suffix)),
        None => (name, None),
    };
    if bare.is_empty() {
        return Err(ConvertError::name("the name is empty"));
    }
    if let Some(suffix) = suffix {
        if suffix.contains('@') {
            return Err(ConvertError::name(format!("{name:?} has more than one '@'; write name@group at most once")));
        }
        if suffix.is_empty() {
            return Err(ConvertError::name(format!("{name:?} ends in '@' without a group name")));
        }
    }
    let group = match (group, suffix) {
        ("", None) => DEFAULT_GROUP,
        ("", Some(suffix)) => suffix,
        (group, None) => group,
        (group, Some(suffix)) if group == suffix => group,
        (group, Some(suffix)) => {
            return Err(ConvertError::name(format!(
                "{name:?} names group {suffix:?} but the call's group is {group:?}; give the group once"
            )));
        }
    };
    check_group(group)?;
    Ok((group.to_owned(), bare.to_owned()))
}

/// The group of a session-level request: `""` is [`DEFAULT_GROUP`], anything else must be a
/// valid group name.
pub fn resolve_group(group: &str) -> Result<String, ConvertError> {
    let group = if group.is_empty() { DEFAULT_GROUP } else { group };
    check_group(group)?;
    Ok(group.to_owned())
}

fn check_group(group: &str) -> Result<(), ConvertError> {
    if group.len() > MAX_GROUP_NAME_BYTES {
        return Err(ConvertError::name(format!(
            "group name of {} bytes is longer than the limit of {MAX_GROUP_NAME_BYTES} bytes",
            group.len()
        )));
    }
    if !group.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-' || b == b'_') {
        return Err(ConvertError::name(format!(
            "group name {group:?} may use only lowercase letters, digits, '-' and '_'"
        )));
    }
    if group == METADATA_GROUP {
        return Err(ConvertError::name("the metadata group is reserved; put structures in another group"));
    }
    Ok(())
}

/// The caller described by a request's `session_id`, `client_id` and `seq` (0 and empty =
/// absent). A seq names a call of its client, so it needs the client's id; the session is
/// independent of both.
pub fn caller(session_id: u64, client_id: &[u8], seq: u64, operation: &'static str) -> Result<Caller, ConvertError> {
    let session = (session_id != 0).then_some(SessionId(session_id));
    if seq == 0 {
        return Ok(Caller { session, invocation: None });
    }
    let client = ClientId::from_bytes(client_id).ok_or_else(|| {
        ConvertError::invalid(
            operation,
            format!(
                "seq {seq} was given without a valid client_id (16 bytes, not all zero, drawn at random once per \
                 client; got {} bytes); set client_id, or leave seq at 0",
                client_id.len()
            ),
        )
    })?;
    Ok(Caller { session, invocation: Some(InvocationId { client, seq }) })
}

/// The default number of shards of a sharded structure (seed 000).
pub const DEFAULT_SHARDS: u32 = 100;

/// A checked `Call` header: where a structure call goes, who makes it, and what it asks.
struct Header {
    target: Target,
    name: String,
    caller: Caller,
    consistency: Consistency,
    stale_read: bool,
    keep_parked: bool,
}

impl Header {
    /// Checks a request's header; done before its arguments, so a call to nowhere is
    /// reported as such whatever else is wrong with it.
    fn check(call: Option<pb::Call>, operation: &'static str) -> Result<Header, ConvertError> {
        let call = call.ok_or_else(|| ConvertError::name("the request has no call header, so no structure name"))?;
        let (target, name) = match &call.target {
            None => {
                let (group, name) = resolve_target("", &call.name)?;
                (Target::Cp { group }, name)
            }
            Some(pb::call::Target::Group(group)) => {
                let (group, name) = resolve_target(group, &call.name)?;
                (Target::Cp { group }, name)
            }
            Some(pb::call::Target::Sharded(sharded)) => {
                if call.name.is_empty() {
                    return Err(ConvertError::name("the name is empty"));
                }
                if call.name.contains('@') {
                    return Err(ConvertError::name(format!(
                        "{:?} has an '@group' suffix, which only addresses CP groups; a sharded structure's name has no '@'",
                        call.name
                    )));
                }
                let shards = if sharded.shards == 0 { DEFAULT_SHARDS } else { sharded.shards };
                (Target::Sharded { shards }, call.name.clone())
            }
        };
        let caller = caller(call.session_id, &call.client_id, call.seq, operation)?;
        let consistency = consistency(call.consistency, call.at_least, operation)?;
        if call.stale_read && caller.invocation.is_some() {
            return Err(ConvertError::invalid(
                operation,
                "a stale read cannot carry a seq (it is never deduplicated): leave seq at 0",
            ));
        }
        if call.keep_parked && caller.invocation.is_none() {
            return Err(ConvertError::invalid(
                operation,
                "keep_parked needs a client_id and a seq: a parked call is found again by them",
            ));
        }
        Ok(Header { target, name, caller, consistency, stale_read: call.stale_read, keep_parked: call.keep_parked })
    }

    /// The routed command creating the header's structure with `spec` (the first use of a
    /// name fixes its configuration; a different one later is the group's `config_conflict`).
    fn create(self, spec: coterie_core::StructureSpec) -> Result<Routed, ConvertError> {
        if self.stale_read {
            return Err(ConvertError::invalid(
                "create",
                "create is a write, not a stale read; send it without stale_read",
            ));
        }
        Ok(Routed {
            target: self.target,
            caller: self.caller,
            command: GroupCommand::Create { name: self.name, spec },
            consistency: self.consistency,
            stale_read: false,
            keep_parked: self.keep_parked,
        })
    }

    /// The routed command applying `command` to the header's structure.
    fn invoke(self, command: StructureCommand, operation: &'static str) -> Result<Routed, ConvertError> {
        let command = GroupCommand::Invoke { name: self.name, command };
        if self.stale_read && !command.is_read() {
            return Err(ConvertError::invalid(
                operation,
                "only read-only operations can be stale reads; send it without stale_read",
            ));
        }
        Ok(Routed {
            target: self.target,
            caller: self.caller,
            command,
            consistency: self.consistency,
            stale_read: self.stale_read,
            keep_parked: self.keep_parked,
        })
    }
}

/// The consistency a header asks for: `Call.consistency`, with `Call.at_least` for
/// `AT_LEAST` (1 or more) and 0 for every other level.
pub fn consistency(level: i32, at_least: u32, operation: &'static str) -> Result<Consistency, ConvertError> {
    use pb::ConsistencyLevel as L;
    let level = L::try_from(level).map_err(|_| {
        ConvertError::invalid(operation, format!("consistency level {level} is not one this server knows"))
    })?;
    let consistency = match level {
        L::Default => Consistency::Default,
        L::Eventual => Consistency::Eventual,
        L::Quorum => Consistency::Quorum,
        L::Strong => Consistency::Strong,
        L::AtLeast if at_least == 0 => {
            return Err(ConvertError::invalid(operation, "consistency AT_LEAST needs at_least of 1 or more"));
        }
        L::AtLeast => return Ok(Consistency::AtLeast(at_least)),
    };
    if at_least != 0 {
        return Err(ConvertError::invalid(
            operation,
            format!(
                "at_least is {at_least} but the consistency level is {consistency}; at_least goes with AT_LEAST only"
            ),
        ));
    }
    Ok(consistency)
}

/// The `(Call.consistency, Call.at_least)` pair that says `consistency`.
pub fn consistency_to_wire(consistency: Consistency) -> (i32, u32) {
    use pb::ConsistencyLevel as L;
    let (level, at_least) = match consistency {
        Consistency::Default => (L::Default, 0),
        Consistency::Eventual => (L::Eventual, 0),
        Consistency::Quorum => (L::Quorum, 0),
        Consistency::Strong => (L::Strong, 0),
        Consistency::AtLeast(n) => (L::AtLeast, n),
    };
    (level as i32, at_least)
}

/// Reads an owner id: at most [`MAX_OWNER_BYTES`] bytes, big-endian; empty is owner 0.
pub fn owner_from_bytes(bytes: &[u8], operation: &'static str) -> Result<OwnerId, ConvertError> {
    if bytes.len() > MAX_OWNER_BYTES {
        return Err(ConvertError::invalid(
            operation,
            format!("owner is {} bytes; at most {MAX_OWNER_BYTES} (a UUID or a thread id) are accepted", bytes.len()),
        ));
    }
    Ok(OwnerId(bytes.iter().fold(0u128, |acc, &b| (acc << 8) | u128::from(b))))
}

/// Writes an owner id as the 16 big-endian bytes [`owner_from_bytes`] reads.
pub fn owner_to_bytes(owner: OwnerId) -> Vec<u8> {
    owner.0.to_be_bytes().to_vec()
}

/// A proto timeout (`optional uint64 timeout_ms`) as the core's optional duration.
pub fn timeout(timeout_ms: Option<u64>) -> Option<Duration> {
    timeout_ms.map(Duration::from_millis)
}

/// The refusal of a command the public gRPC API has no rpc for.
fn no_rpc(operation: &'static str, what: &str) -> ConvertError {
    ConvertError::invalid(
        operation,
        format!("{what} has no rpc in the public gRPC API (coterie.v1); use an embedded server or an admin tool"),
    )
}

#[cfg(test)]
mod tests;
