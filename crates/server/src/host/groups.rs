//! The committed list of the cluster's CP groups, and who initializes each one.
//!
//! Why it is shaped this way:
//!
//! - A Raft group must be initialized by exactly one of its members: two members that both
//!   initialize a group of one name, unaware of each other, start two groups (the second one
//!   a member that joined later, say, and asked for a group the others already run). So a
//!   new group is first *claimed* in the `metadata` group: an AtomicReference register named
//!   `group:<name>` is set, if it is still null, to the id of the member that asks, and the
//!   register's value says who won. Only the winner initializes the group, with the
//!   committed CP members; every other member starts its replica waiting for the winner's
//!   leader. Claims are idempotent: a member whose answer was lost claims again and learns it
//!   won.
//! - Any CP member may claim, including members that joined at runtime: once every member
//!   the cluster was started with has been removed, the others still create groups.
//! - The registers are the list of the cluster's groups ([`Inner::registered_groups`]): an
//!   admin change waits for every listed group, not only for those running on the member
//!   that makes it, and every CP member opens its replica of every listed group
//!   ([`Inner::open_registered`]), so a restarted member serves them without waiting to be
//!   asked.
//! - A member that is not the metadata leader forwards its claim to the leader with
//!   `AdminService.ClaimGroup`, carrying the cluster secret.
//! - Not covered: a member whose data directory was wiped, and which had won a group's claim,
//!   would initialize that group again on its empty log. Its initial entry is the same
//!   membership entry the group started with only if the CP members did not change since;
//!   its elections fail against the longer logs of the others either way. Start such a member
//!   under a new id instead (as for any Raft system, a wiped member is a new member).

use std::collections::BTreeSet;
use std::sync::{Arc, PoisonError};
use std::time::Duration;

use coterie_api::pb;
use coterie_api::pb::admin_service_client::AdminServiceClient;
use coterie_core::kinds::atomic_reference::{AtomicReferenceCommand, AtomicReferenceOutput};
use coterie_core::{EngineError, GroupCommand, GroupOutput, StructureCommand, StructureOutput};
use tokio::time::Instant;
use tonic::transport::Endpoint;

use super::{HostError, Inner};
use crate::cp::CpNode;
use crate::request::Request;

/// The prefix of the metadata group's registers that list the CP groups.
pub const GROUP_PREFIX: &str = "group:";

/// How long a member keeps trying to claim a group before the call that needed the group
/// fails (a metadata group without a leader for that long is a cluster without a quorum).
const CLAIM_TIMEOUT: Duration = Duration::from_secs(10);

/// Between two claim attempts.
const CLAIM_RETRY: Duration = Duration::from_millis(50);

fn register(group: &str, command: AtomicReferenceCommand) -> Request {
    Request::internal(GroupCommand::Invoke {
        name: format!("{GROUP_PREFIX}{group}"),
        command: StructureCommand::AtomicReference(command),
    })
}

/// The member a claim register names.
fn owner_of(output: GroupOutput) -> Option<u64> {
    match output {
        GroupOutput::Structure(StructureOutput::AtomicReference(AtomicReferenceOutput::Value(Some(bytes)))) => {
            Some(u64::from_be_bytes(bytes.as_slice().try_into().ok()?))
        }
        _ => None,
    }
}

/// Claims `group` for `member` through `node`, the metadata leader: sets the register if it
/// is null, then reads it linearizably. Both steps are idempotent.
pub(super) async fn claim_on_leader(
    node: &CpNode,
    group: &str,
    member: u64,
    timeout: Duration,
) -> Result<u64, EngineError> {
    let claim = AtomicReferenceCommand::SetIfAbsent(member.to_be_bytes().to_vec());
    node.call(register(group, claim), timeout).await.map_err(EngineError::from)?;
    let value = node.read(register(group, AtomicReferenceCommand::Get), timeout).await.map_err(EngineError::from)?;
    owner_of(value).ok_or_else(|| EngineError::Stopped {
        reason: format!("the claim register of group {group:?} does not hold a member id"),
    })
}

impl Inner {
    /// The member that initializes `group`: this node if its claim is the first, another
    /// member otherwise. Bounded by [`CLAIM_TIMEOUT`].
    pub(super) async fn claim_group(&self, group: &str) -> Result<u64, HostError> {
        let deadline = Instant::now() + CLAIM_TIMEOUT;
        let mut last = String::from("no attempt finished");
        while Instant::now() < deadline {
            let left = deadline.saturating_duration_since(Instant::now());
            match self.claim_once(group, left).await {
                Ok(owner) => return Ok(owner),
                Err(err) => last = err,
            }
            tokio::time::sleep(CLAIM_RETRY).await;
        }
        Err(HostError::Claim { group: group.to_owned(), reason: last })
    }

    async fn claim_once(&self, group: &str, timeout: Duration) -> Result<u64, String> {
        // Started eagerly with the node, so it is not started here (which would recurse).
        let metadata = self.metadata().ok_or("the metadata group is not running on this member yet")?;
        if metadata.raft().is_leader() {
            return claim_on_leader(&metadata, group, self.config.id, timeout).await.map_err(|err| err.to_string());
        }
        let Some((leader, address)) = metadata.leader().filter(|(_, address)| !address.is_empty()) else {
            return Err("the metadata group has no leader yet".to_owned());
        };
        let endpoint = Endpoint::from_shared(format!("http://{address}"))
            .map_err(|err| format!("member {leader}'s address {address:?}: {err}"))?
            .connect_timeout(timeout);
        let channel = endpoint.connect().await.map_err(|err| format!("cannot reach member {leader}: {err}"))?;
        let request = pb::ClaimGroupRequest { group: group.to_owned(), member: self.config.id };
        let response = AdminServiceClient::new(channel)
            .claim_group(self.with_secret(request, timeout))
            .await
            .map_err(|status| format!("member {leader} answered {}: {}", status.code(), status.message()))?;
        Ok(response.into_inner().owner)
    }

    /// Claims `group` for `member` on this node, if it leads the metadata group (the
    /// `AdminService.ClaimGroup` handler); a redirect to the leader otherwise.
    pub(super) async fn claim_here(&self, group: &str, member: u64, timeout: Duration) -> Result<u64, EngineError> {
        let node = self.metadata_leader().await?;
        claim_on_leader(&node, group, member, timeout).await
    }

    /// Starts this node's replica of every registered group it does not run yet, if the
    /// committed table counts it among the CP members: after a restart, or after joining, a
    /// member serves every group without waiting for a call or a leader to name it.
    pub(super) fn open_registered(self: &Arc<Self>) {
        let Some(table) = self.table() else { return };
        if !table.cp_voters().contains_key(&self.config.id) {
            return;
        }
        let known: BTreeSet<String> =
            self.groups.lock().unwrap_or_else(PoisonError::into_inner).keys().cloned().collect();
        for group in self.registered_groups() {
            if !known.contains(&group) {
                self.start_in_background(&group);
            }
        }
    }

    /// The CP groups the cluster has created, as this node has applied the metadata group.
    pub(super) fn registered_groups(&self) -> Vec<String> {
        let Some(node) = self.metadata() else { return Vec::new() };
        node.with_group(|group| {
            group.names().filter_map(|name| name.strip_prefix(GROUP_PREFIX)).map(str::to_owned).collect()
        })
    }
}
