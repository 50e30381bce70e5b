//! Joining a running cluster: ask a member to add this node as a CP member, following
//! redirects to the metadata group's leader, until the answer says this node is up.
//!
//! The node serves Raft before it asks, because the leader's answer only comes once every
//! CP group has brought this node up to date and made it a voter. Before asking, the node
//! writes a `joined` file into its data directory: from then on it must never initialize a
//! group (it would form a second group of that name beside the running one), restarts
//! included.

use std::sync::PoisonError;
use std::time::Duration;

use coterie_api::pb::{self, admin_service_client::AdminServiceClient};
use coterie_api::status::ApiError;
use tokio::time::Instant;
use tonic::transport::{Channel, Endpoint};

use super::members::Listed;
use super::raft_client::CLUSTER_SECRET_HEADER;
use super::{HostError, Inner, NodeConfig};

/// The file in the data directory that marks a node that joined at runtime.
const JOINED_FILE: &str = "joined";

/// How long to wait before asking again when no member could answer.
const RETRY_AFTER: Duration = Duration::from_millis(200);

/// How long connecting to a member may take.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(2);

/// Whether the node joined at runtime: it is joining now, or its data directory says it
/// joined before. A node joining now records it there first.
pub(super) fn joined(config: &NodeConfig) -> Result<bool, HostError> {
    let Some(dir) = &config.data_dir else { return Ok(!config.join.is_empty()) };
    let marker = dir.join(JOINED_FILE);
    if !config.join.is_empty() {
        std::fs::write(&marker, b"this member joined a running cluster; it never initializes a CP group\n").map_err(
            |err| HostError::Join {
                seed: config.join.join(","),
                reason: format!("cannot write {}: {err}; check the data directory is writable", marker.display()),
            },
        )?;
        return Ok(true);
    }
    Ok(marker.exists())
}

/// Asks the cluster, through the first of `seeds` that answers (each in turn, from the
/// start again while time is left), to add this node as a CP member, and waits until it
/// is (bounded by [`NodeConfig::join_timeout`]). Any running member is a good seed: a
/// member that does not lead the metadata group names its leader, which is asked next.
pub(super) async fn join(inner: &Inner, seeds: &[String]) -> Result<(), HostError> {
    let config = &inner.config;
    let deadline = Instant::now() + config.join_timeout;
    let address = config.members.get(&config.id).cloned().unwrap_or_default();
    let fail = |reason: String| HostError::Join { seed: seeds.join(","), reason };
    let Some(first) = seeds.first() else {
        return Err(fail("no member to join through was given; name at least one running member".to_owned()));
    };
    let mut next_seed = seeds.iter().cycle().skip(1);
    let mut target = first.clone();
    let mut last = String::from("no member answered");
    loop {
        let remaining = deadline.saturating_duration_since(Instant::now());
        if remaining.is_zero() {
            return Err(fail(format!(
                "not added within {:?} (last answer: {last}); check the address and that a majority of the CP members runs",
                config.join_timeout
            )));
        }
        let request = pb::AddMemberRequest { id: config.id, address: address.clone(), plain: config.plain };
        match ask(inner, &target, request, remaining).await {
            Ok(response) => {
                for member in &response.members {
                    if member.id != config.id {
                        inner.peers.learn(member.id, &member.address);
                    }
                }
                // The member that answered leads the metadata group.
                let leader = response.members.iter().find(|m| m.address == target).map(|m| (m.id, target.clone()));
                *inner.listed.lock().unwrap_or_else(PoisonError::into_inner) =
                    Listed { members: response.members, leader };
                return Ok(());
            }
            Err(ApiError::NotLeader { leader_address: Some(leader), .. }) if leader != target => {
                target = leader;
                continue;
            }
            Err(ApiError::Core(err)) => {
                return Err(fail(format!("the cluster refused to add member {}: {err}", config.id)));
            }
            Err(err) => last = format!("{target}: {err}"),
        }
        target = next_seed.next().unwrap_or(first).clone();
        tokio::time::sleep(RETRY_AFTER.min(deadline.saturating_duration_since(Instant::now()))).await;
    }
}

/// A plain member lists the members again (from the metadata leader it knows, or any CP
/// member it knows), so its view and its redirects follow changes. A failure keeps the old
/// list; the next round tries again.
pub(super) async fn refresh(inner: &Inner) {
    let known = inner.listed.lock().unwrap_or_else(PoisonError::into_inner).clone();
    let mut targets: Vec<String> = known.leader.iter().map(|(_, address)| address.clone()).collect();
    targets.extend(known.members.iter().filter(|m| m.cp_member).map(|m| m.address.clone()));
    for target in targets {
        let Ok(mut client) = client(&target, CONNECT_TIMEOUT).await else { continue };
        let request = with_secret(inner, pb::ListMembersRequest {}, CONNECT_TIMEOUT);
        if let Ok(response) = client.list_members(request).await.map(tonic::Response::into_inner)
            && !response.members.is_empty()
        {
            let leader = response.leader_id.zip(response.leader_address);
            *inner.listed.lock().unwrap_or_else(PoisonError::into_inner) = Listed { members: response.members, leader };
            return;
        }
    }
}

/// The members as the member at `address` lists them, if it answers.
pub(super) async fn list_members(inner: &Inner, address: &str) -> Option<Vec<pb::Member>> {
    let mut client = client(address, CONNECT_TIMEOUT).await.ok()?;
    let request = with_secret(inner, pb::ListMembersRequest {}, CONNECT_TIMEOUT);
    let members = client.list_members(request).await.ok()?.into_inner().members;
    (!members.is_empty()).then_some(members)
}

async fn client(target: &str, timeout: Duration) -> Result<AdminServiceClient<Channel>, ApiError> {
    let unavailable = |message: String| ApiError::Unavailable { message, retry_after: None };
    let endpoint = Endpoint::from_shared(format!("http://{target}"))
        .map_err(|err| unavailable(format!("{target:?} is not host:port: {err}")))?
        .connect_timeout(CONNECT_TIMEOUT.min(timeout));
    let channel = endpoint.connect().await.map_err(|err| unavailable(format!("cannot connect to {target}: {err}")))?;
    Ok(AdminServiceClient::new(channel))
}

fn with_secret<T>(inner: &Inner, message: T, timeout: Duration) -> tonic::Request<T> {
    inner.with_secret(message, timeout)
}

impl Inner {
    /// `message` as a request to another member, bounded by `timeout`, carrying the cluster
    /// secret if there is one.
    pub(super) fn with_secret<T>(&self, message: T, timeout: Duration) -> tonic::Request<T> {
        let mut request = tonic::Request::new(message);
        request.set_timeout(timeout);
        if let Some(secret) = self.peers.secret() {
            request.metadata_mut().insert(CLUSTER_SECRET_HEADER, secret.clone());
        }
        request
    }
}

async fn ask(
    inner: &Inner,
    target: &str,
    request: pb::AddMemberRequest,
    timeout: Duration,
) -> Result<pb::AddMemberResponse, ApiError> {
    let mut client = client(target, timeout).await?;
    client
        .add_member(with_secret(inner, request, timeout))
        .await
        .map(tonic::Response::into_inner)
        .map_err(ApiError::from)
}
