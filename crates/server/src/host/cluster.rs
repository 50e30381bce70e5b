//! `ClusterService.Status`: what this member knows of the members (the committed member
//! table, as applied here) and of each CP group it runs, read from local Raft metrics and
//! the locally applied state (no Raft round trip, so
//! it answers even without a quorum, which is when an operator needs it most), and a summary
//! of the committed partition table as applied here, with who serves each partition (what
//! the Rust client routes sharded calls by).

use std::collections::BTreeMap;
use std::sync::Arc;

use coterie_api::pb::{self, cluster_service_server::ClusterService};
use coterie_core::placement::PartitionTable;
use openraft::ServerState;
use tonic::{Request, Response, Status};

use super::Inner;
use crate::cp::CpNode;

/// The `ClusterService` of a node.
#[derive(Clone)]
pub(super) struct ClusterServer {
    inner: Arc<Inner>,
}

impl ClusterServer {
    pub(super) fn new(inner: Arc<Inner>) -> Self {
        ClusterServer { inner }
    }
}

fn role(state: ServerState) -> pb::RaftRole {
    match state {
        ServerState::Leader => pb::RaftRole::Leader,
        ServerState::Follower => pb::RaftRole::Follower,
        ServerState::Candidate => pb::RaftRole::Candidate,
        ServerState::Learner => pb::RaftRole::Learner,
        ServerState::Shutdown => pb::RaftRole::Unspecified,
    }
}

fn group_status(name: String, node: &CpNode) -> pb::GroupStatus {
    let metrics = node.metrics();
    let (applied, sessions, structures) = node.applied_counts();
    let leader = node.leader();
    let voters = metrics.membership_config.membership().voter_ids().collect();
    pb::GroupStatus {
        name,
        leader_id: leader.as_ref().map(|(id, _)| *id),
        leader_address: leader.map(|(_, address)| address),
        term: metrics.current_term,
        role: role(metrics.state).into(),
        commit_index: metrics.local_committed.map_or(0, |id| id.index),
        applied_index: applied.unwrap_or(0),
        voters,
        sessions: u64::try_from(sessions).unwrap_or(u64::MAX),
        structures: u64::try_from(structures).unwrap_or(u64::MAX),
    }
}

/// The summary of the committed partition table `table`, with `open_here` replicas open on
/// this member, and the member serving each partition (0: none).
fn partitions_status(table: &PartitionTable, open_here: usize) -> pb::PartitionsStatus {
    let count = |n: usize| u32::try_from(n).unwrap_or(u32::MAX);
    let mut served: BTreeMap<u64, usize> = BTreeMap::new();
    for (_, entry) in table.iter() {
        if let Some(holder) = entry.state.holder() {
            *served.entry(holder).or_default() += 1;
        }
    }
    pb::PartitionsStatus {
        partitions: table.partitions(),
        ring_epoch: table.ring_epoch(),
        version: table.version(),
        served: served
            .into_iter()
            .map(|(member, partitions)| pb::MemberPartitions { member, partitions: count(partitions) })
            .collect(),
        moving: count(table.in_flight().len()),
        lost: table
            .lost()
            .into_iter()
            .map(|(partition, last_owner)| pb::LostPartition { partition: partition.0, last_owner })
            .collect(),
        open_here: count(open_here),
        owners: table.iter().map(|(_, entry)| entry.state.holder().unwrap_or(0)).collect(),
    }
}

#[tonic::async_trait]
impl ClusterService for ClusterServer {
    async fn status(
        &self,
        _request: Request<pb::ClusterStatusRequest>,
    ) -> Result<Response<pb::ClusterStatusResponse>, Status> {
        let me = self.inner.config.id;
        // The committed table as this member has applied it; before it has one (a cluster
        // forming), the configured members, in no known state but this one.
        let listed = self.inner.listed_members();
        let members = match listed.is_empty() {
            false => listed,
            true => self
                .inner
                .config
                .members
                .iter()
                .map(|(id, address)| pb::Member {
                    id: *id,
                    address: address.clone(),
                    state: if *id == me { pb::MemberState::Up } else { pb::MemberState::Unspecified }.into(),
                    cp_member: !self.inner.config.plain,
                })
                .collect(),
        };
        let groups = self.inner.running().into_iter().map(|(name, node)| group_status(name, &node)).collect();
        let open_here = self.inner.shards.open_partitions().len();
        let partitions = self.inner.partition_table().map(|table| partitions_status(&table, open_here));
        Ok(Response::new(pb::ClusterStatusResponse { member_id: me, members, groups, partitions }))
    }
}
