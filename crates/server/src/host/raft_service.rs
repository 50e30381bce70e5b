//! The server side of Raft over gRPC: `RaftService` routes each message by its `group` to
//! the local Raft of that group, starting the group if this is the first it hears of it
//! (see [`crate::cp::remote`] for the payload encoding).

use std::sync::Arc;
use std::time::Duration;

use coterie_api::pb::{RaftRequest, RaftResponse, raft_service_server::RaftService};
use coterie_api::status;
use coterie_core::CoreError;
use openraft::raft::AppendEntriesRequest;
use openraft::storage::Snapshot;
use serde::Serialize;
use tonic::{Request, Response, Status};

use super::Inner;
use crate::cp::CpRaft;
use crate::cp::remote::{SnapshotRpc, VoteRpc, decode_payload, encode_payload};
use crate::cp::types::CpTypes;

/// How long a message for a group that is starting here waits for its Raft to be ready.
/// Short: the sender treats a failure as "unreachable" and simply retries later.
const GROUP_START_WAIT: Duration = Duration::from_secs(2);

/// The `RaftService` of a node.
#[derive(Clone)]
pub(super) struct RaftServer {
    inner: Arc<Inner>,
}

impl RaftServer {
    pub(super) fn new(inner: Arc<Inner>) -> Self {
        RaftServer { inner }
    }

    /// The local Raft of `group`, started if needed.
    async fn raft(&self, group: &str) -> Result<CpRaft, Status> {
        if let Some(raft) = self.inner.registry.get(group) {
            return Ok(raft);
        }
        if group.is_empty() {
            return Err(invalid("the Raft message names no group"));
        }
        let group = super::hosted_group(group).map_err(Status::from)?;
        self.inner.start_in_background(&group);
        self.inner
            .registry
            .wait_for(&group, GROUP_START_WAIT)
            .await
            .ok_or_else(|| status::unavailable(format!("CP group {group:?} is not running on this member yet"), None))
    }

    /// Decodes the request of `request`, with the Raft of its group.
    async fn open<T: serde::de::DeserializeOwned>(
        &self,
        request: Request<RaftRequest>,
        what: &str,
    ) -> Result<(CpRaft, T), Status> {
        let request = request.into_inner();
        let message = decode_payload(&request.payload, what).map_err(|reason| invalid(&reason))?;
        Ok((self.raft(&request.group).await?, message))
    }
}

fn invalid(reason: &str) -> Status {
    status::from_core(&CoreError::invalid_request("raft", reason.to_owned()))
}

/// The response carrying `result`, the remote Raft's error as text.
fn answer<T: Serialize, E: std::fmt::Display>(result: Result<T, E>) -> Result<Response<RaftResponse>, Status> {
    let result = result.map_err(|err| err.to_string());
    let payload = encode_payload(&result).map_err(status::internal)?;
    Ok(Response::new(RaftResponse { payload }))
}

#[tonic::async_trait]
impl RaftService for RaftServer {
    async fn append_entries(&self, request: Request<RaftRequest>) -> Result<Response<RaftResponse>, Status> {
        let (raft, rpc): (_, AppendEntriesRequest<CpTypes>) = self.open(request, "AppendEntries").await?;
        answer(raft.append_entries(rpc).await)
    }

    async fn vote(&self, request: Request<RaftRequest>) -> Result<Response<RaftResponse>, Status> {
        let (raft, rpc): (_, VoteRpc) = self.open(request, "Vote").await?;
        match rpc {
            VoteRpc::Vote(rpc) => answer(raft.vote(rpc).await),
            VoteRpc::PreVote(rpc) => answer(raft.pre_vote(rpc).await),
            VoteRpc::TransferLeader(rpc) => answer(raft.handle_transfer_leader(rpc).await),
        }
    }

    async fn full_snapshot(&self, request: Request<RaftRequest>) -> Result<Response<RaftResponse>, Status> {
        let (raft, (vote, meta, snapshot)): (_, SnapshotRpc) = self.open(request, "FullSnapshot").await?;
        answer(raft.install_full_snapshot(vote, Snapshot { meta, snapshot }).await)
    }
}
