//! Proto responses back to the group outputs they were built from: the reverse of
//! [`FromOutput`](super::FromOutput), for clients.
//!
//! Every response message is built from exactly one output shape, so a client that sent an
//! rpc and got its response knows what the group answered. The structure responses'
//! implementations are generated from the rpc table (see `rpc.rs`); the session responses'
//! are here.

use coterie_core::{GroupOutput, SessionId};

use super::ConvertError;
use crate::pb;

/// A proto response turned back into the group output it answers.
pub trait IntoOutput {
    /// The group output this response was built from by [`FromOutput`](super::FromOutput),
    /// or why it cannot be one (a field out of the range the output allows).
    fn into_output(self) -> Result<GroupOutput, ConvertError>;
}

impl IntoOutput for pb::OpenSessionResponse {
    fn into_output(self) -> Result<GroupOutput, ConvertError> {
        Ok(GroupOutput::Session(SessionId(self.session_id)))
    }
}

impl IntoOutput for pb::HeartbeatResponse {
    fn into_output(self) -> Result<GroupOutput, ConvertError> {
        Ok(GroupOutput::Unit)
    }
}

impl IntoOutput for pb::CloseSessionResponse {
    fn into_output(self) -> Result<GroupOutput, ConvertError> {
        Ok(GroupOutput::Unit)
    }
}

impl IntoOutput for pb::CancelResponse {
    fn into_output(self) -> Result<GroupOutput, ConvertError> {
        Ok(GroupOutput::Bool(self.cancelled))
    }
}
