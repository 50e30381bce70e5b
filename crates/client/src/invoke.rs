//! Any structure operation by its command, for tools: what `coterie call` sends.
//!
//! The typed handles are the API for applications; a tool that knows an operation only by
//! name (from the rpc list, [`RpcRequest::vocabulary`]) sends its core command here. Only
//! operations that complete within one call and need nothing the caller's session holds are
//! taken: a lock, a permit or a parked wait belongs to a session that must outlive the call,
//! which the typed handles keep and a one-shot tool does not.

use coterie_api::convert::{RpcMode, RpcRequest, to_request};
use coterie_core::{CoreError, GroupCommand, StructureCommand, StructureOutput};

use crate::client::{Client, Mode, Target};
use crate::error::ClientError;
use crate::transport::Transport;

impl<T: Transport> Client<T> {
    /// Runs `command` on the structure `name` (`name@group` for another CP group): a read
    /// linearizably (or stale, with [`Client::with_stale_reads`]), a change exactly once in
    /// this client's session. An operation that takes, releases or asks about what a session
    /// holds (locks, permits), or that may park, is refused with
    /// [`ClientError::Refused`]: use its typed handle, which keeps the session.
    pub async fn invoke(&self, name: &str, command: StructureCommand) -> Result<StructureOutput, ClientError> {
        let target = Target::parse(name)?;
        let mode = mode_of(&target.name, &command)?;
        self.execute(&target, command, mode).await
    }
}

/// The way the client must send `command`, from the rpc list's mode for it.
fn mode_of(name: &str, command: &StructureCommand) -> Result<Mode, ClientError> {
    let invoke = GroupCommand::Invoke { name: name.to_owned(), command: command.clone() };
    let rpc = to_request("default", &invoke, None, None).map_err(|err| match err.to_core() {
        Some(core) => ClientError::Refused(core),
        None => ClientError::UnexpectedOutput(err.to_string()),
    })?;
    match rpc.mode() {
        RpcMode::Read => Ok(Mode::Read),
        RpcMode::Mutation => Ok(Mode::Mutation),
        RpcMode::Session | RpcMode::Blocking => Err(ClientError::Refused(CoreError::invalid_request(
            rpc.operation(),
            "it takes, releases or asks about what a session holds (locks, permits), or may wait, so it needs a \
             session that outlives one call: use the structure's typed handle (client.fenced_lock(..), \
             client.semaphore(..), client.count_down_latch(..)), which keeps the session",
        ))),
    }
}

/// Every structure operation of the API, for tools: (kind, operation, request fields, mode).
pub fn operations() -> Vec<(&'static str, &'static str, &'static [&'static str], RpcMode)> {
    RpcRequest::vocabulary()
}
