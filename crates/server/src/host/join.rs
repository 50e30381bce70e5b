//! Joining a running cluster: ask a member to add this node as a CP member, following
//! redirects to the metadata group's leader, until the answer says this node is up.
//!
//! The node serves Raft before it asks, because the leader's answer only comes once every
//! CP group has brought this node up to date and made it a voter. Before asking, the node
//! writes a `joined` file into its data directory: from then on it must never initialize a
//! group (it would form a second group of that name beside the running one), restarts
//! included.

use std::time::Duration;

use coterie_api::pb::{self, admin_service_client::AdminServiceClient};
use coterie_api::status::ApiError;
use tokio::time::Instant;
use tonic::transport::Endpoint;

use super::{HostError, Inner, NodeConfig};
use crate::cp::grpc::CLUSTER_SECRET_HEADER;

/// The file in the data directory that marks a node that joined at runtime.
const JOINED_FILE: &str = "joined";

/// How long to wait before asking again when no member could answer.
const RETRY_AFTER: Duration = Duration::from_millis(200);

/// How long connecting to a member may take.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(2);

/// Whether the node joined at runtime: it is joining now, or its data directory says it
/// joined before. A node joining now records it there first.
pub(super) fn joined(config: &NodeConfig) -> Result<bool, HostError> {
    let Some(dir) = &config.data_dir else { return Ok(config.join.is_some()) };
    let marker = dir.join(JOINED_FILE);
    if config.join.is_some() {
        std::fs::write(&marker, b"this member joined a running cluster; it never initializes a CP group\n").map_err(
            |err| HostError::Join {
                seed: config.join.clone().unwrap_or_default(),
                reason: format!("cannot write {}: {err}; check the data directory is writable", marker.display()),
            },
        )?;
        return Ok(true);
    }
    Ok(marker.exists())
}

/// Asks the cluster, through `seed`, to add this node as a CP member, and waits until it
/// is (bounded by [`NodeConfig::join_timeout`]).
pub(super) async fn join(inner: &Inner, seed: &str) -> Result<(), HostError> {
    let config = &inner.config;
    let deadline = Instant::now() + config.join_timeout;
    let address = config.members.get(&config.id).cloned().unwrap_or_default();
    let fail = |reason: String| HostError::Join { seed: seed.to_owned(), reason };
    let mut target = seed.to_owned();
    let mut last = String::from("no member answered");
    loop {
        let remaining = deadline.saturating_duration_since(Instant::now());
        if remaining.is_zero() {
            return Err(fail(format!(
                "not added within {:?} (last answer: {last}); check the address and that a majority of the CP members runs",
                config.join_timeout
            )));
        }
        let request = pb::AddMemberRequest { id: config.id, address: address.clone(), plain: false };
        match ask(inner, &target, request, remaining).await {
            Ok(response) => {
                for member in response.members {
                    if member.id != config.id {
                        inner.peers.learn(member.id, &member.address);
                    }
                }
                return Ok(());
            }
            Err(ApiError::NotLeader { leader_address: Some(leader), .. }) if leader != target => {
                target = leader;
                continue;
            }
            Err(ApiError::Core(err)) => {
                return Err(fail(format!("the cluster refused to add member {}: {err}", config.id)));
            }
            Err(err) => last = err.to_string(),
        }
        target = seed.to_owned();
        tokio::time::sleep(RETRY_AFTER.min(deadline.saturating_duration_since(Instant::now()))).await;
    }
}

async fn ask(
    inner: &Inner,
    target: &str,
    request: pb::AddMemberRequest,
    timeout: Duration,
) -> Result<pb::AddMemberResponse, ApiError> {
    let endpoint = Endpoint::from_shared(format!("http://{target}"))
        .map_err(|err| ApiError::Unavailable {
            message: format!("{target:?} is not host:port: {err}"),
            retry_after: None,
        })?
        .connect_timeout(CONNECT_TIMEOUT.min(timeout));
    let channel = endpoint.connect().await.map_err(|err| ApiError::Unavailable {
        message: format!("cannot connect to {target}: {err}"),
        retry_after: None,
    })?;
    let mut client = AdminServiceClient::new(channel);
    let mut request = tonic::Request::new(request);
    request.set_timeout(timeout);
    if let Some(secret) = inner.peers.secret() {
        request.metadata_mut().insert(CLUSTER_SECRET_HEADER, secret.clone());
    }
    client.add_member(request).await.map(tonic::Response::into_inner).map_err(ApiError::from)
}
