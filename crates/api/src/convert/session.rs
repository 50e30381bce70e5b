//! SessionService requests and responses. These are group commands, not structure
//! commands: the session a heartbeat, close or cancel is about travels in the command
//! itself, so the caller of these requests is always anonymous.

use std::time::Duration;

use coterie_core::{ClientId, Consistency, GroupCommand, GroupOutput, InvocationId, SessionId, Target};

use super::{Caller, ConvertError, FromOutput, IntoCommand, Routed, resolve_group};
use crate::pb;

fn routed(group: &str, command: GroupCommand) -> Result<Routed, ConvertError> {
    Ok(Routed {
        target: Target::Cp { group: resolve_group(group)? },
        caller: Caller::default(),
        command,
        consistency: Consistency::Default,
        stale_read: false,
        keep_parked: false,
    })
}

fn session(session_id: u64, operation: &'static str) -> Result<SessionId, ConvertError> {
    match session_id {
        0 => Err(ConvertError::invalid(operation, "session_id is required (sessions are numbered from 1)")),
        id => Ok(SessionId(id)),
    }
}

impl IntoCommand for pb::OpenSessionRequest {
    const OPERATION: &'static str = "open_session";

    fn into_command(self) -> Result<Routed, ConvertError> {
        // Required: without them a lost answer would open a second session (an old client
        // that does not send them is told so, rather than served without dedup).
        let client = ClientId::from_bytes(&self.client_id).ok_or_else(|| {
            ConvertError::invalid(
                Self::OPERATION,
                format!(
                    "client_id must be 16 bytes, not all zero, drawn at random once per client (got {} bytes)",
                    self.client_id.len()
                ),
            )
        })?;
        if self.open_seq == 0 {
            return Err(ConvertError::invalid(
                Self::OPERATION,
                "open_seq is required: number the client's opens from 1, the same on every resend of one",
            ));
        }
        // A zero or over-long TTL is refused by the group, which knows its limit.
        let ttl = Duration::from_millis(self.ttl_ms);
        routed(&self.group, GroupCommand::OpenSession { ttl, client, seq: self.open_seq })
    }
}

impl IntoCommand for pb::HeartbeatRequest {
    const OPERATION: &'static str = "heartbeat";

    fn into_command(self) -> Result<Routed, ConvertError> {
        let session = session(self.session_id, Self::OPERATION)?;
        routed(&self.group, GroupCommand::Heartbeat { session })
    }
}

impl IntoCommand for pb::CloseSessionRequest {
    const OPERATION: &'static str = "close_session";

    fn into_command(self) -> Result<Routed, ConvertError> {
        let session = session(self.session_id, Self::OPERATION)?;
        routed(&self.group, GroupCommand::CloseSession { session })
    }
}

impl IntoCommand for pb::CancelRequest {
    const OPERATION: &'static str = "cancel";

    fn into_command(self) -> Result<Routed, ConvertError> {
        if self.seq == 0 {
            return Err(ConvertError::invalid(Self::OPERATION, "seq is required: it names the call to cancel"));
        }
        let client = ClientId::from_bytes(&self.client_id).ok_or_else(|| {
            ConvertError::invalid(
                Self::OPERATION,
                format!(
                    "client_id is required: the 16 bytes (not all zero) of the client that made the call to cancel \
                     (got {} bytes)",
                    self.client_id.len()
                ),
            )
        })?;
        routed(&self.group, GroupCommand::Cancel { invocation: InvocationId { client, seq: self.seq } })
    }
}

impl FromOutput for pb::OpenSessionResponse {
    const OPERATION: &'static str = "open_session";

    fn from_output(output: GroupOutput) -> Result<Self, ConvertError> {
        match output {
            GroupOutput::Session(session) => Ok(Self { session_id: session.0 }),
            other => Err(ConvertError::unexpected(Self::OPERATION, &other)),
        }
    }
}

impl FromOutput for pb::HeartbeatResponse {
    const OPERATION: &'static str = "heartbeat";

    fn from_output(output: GroupOutput) -> Result<Self, ConvertError> {
        match output {
            GroupOutput::Unit => Ok(Self {}),
            other => Err(ConvertError::unexpected(Self::OPERATION, &other)),
        }
    }
}

impl FromOutput for pb::CloseSessionResponse {
    const OPERATION: &'static str = "close_session";

    fn from_output(output: GroupOutput) -> Result<Self, ConvertError> {
        match output {
            GroupOutput::Unit => Ok(Self {}),
            other => Err(ConvertError::unexpected(Self::OPERATION, &other)),
        }
    }
}

impl FromOutput for pb::CancelResponse {
    const OPERATION: &'static str = "cancel";

    fn from_output(output: GroupOutput) -> Result<Self, ConvertError> {
        match output {
            GroupOutput::Bool(cancelled) => Ok(Self { cancelled }),
            other => Err(ConvertError::unexpected(Self::OPERATION, &other)),
        }
    }
}
