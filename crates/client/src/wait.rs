//! Waiting for the cluster to have its members: [`Client::wait_for`], what an application
//! (or `coterie wait-for`) calls after starting members in any order, before it relies on
//! them.
//!
//! "Up" is the cluster's committed member table, as the member that answers
//! `ClusterService.Status` has applied it, never a member's own guess: a member counts once
//! the metadata group committed it Up (a joining member only after it caught up with every
//! CP group). Gossip's view of who is alive is a suggestion and is not counted.

use std::time::Duration;

use coterie_api::pb;
use tokio::time::Instant;

use crate::client::Client;
use crate::error::ClientError;
use crate::grpc::GrpcTransport;

/// Between two looks at the member table.
const POLL: Duration = Duration::from_millis(100);

/// A member the committed table lists as Up.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct UpMember {
    /// Its id.
    pub id: u64,
    /// The `host:port` members and clients reach it at.
    pub address: String,
    /// Whether it takes part in the CP groups.
    pub cp_member: bool,
}

/// The Up members of a status answer, in id order.
fn up_members(status: &pb::ClusterStatusResponse) -> Vec<UpMember> {
    let mut up: Vec<UpMember> = status
        .members
        .iter()
        .filter(|member| member.state == pb::MemberState::Up as i32)
        .map(|member| UpMember { id: member.id, address: member.address.clone(), cp_member: member.cp_member })
        .collect();
    up.sort_by_key(|member| member.id);
    up
}

impl Client<GrpcTransport> {
    /// Waits until at least `n` members are Up in the cluster's committed member table (see
    /// the module docs), asking the members this client knows in turn; answers them.
    ///
    /// Fails with [`ClientError::MembersNotUp`] after `timeout`, saying how many members were
    /// Up at the last answer (or that no member answered).
    pub async fn wait_for(&self, n: usize, timeout: Duration) -> Result<Vec<UpMember>, ClientError> {
        let started = Instant::now();
        let deadline = started + timeout;
        let (mut last, mut up_count) = ("no member answered ClusterService.Status".to_owned(), 0);
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            if let Some(status) = self.shared.transport.cluster_status(left.min(Duration::from_secs(2))).await {
                let up = up_members(&status);
                if up.len() >= n {
                    return Ok(up);
                }
                up_count = up.len();
                let ids: Vec<String> = up.iter().map(|member| member.id.to_string()).collect();
                last = format!(
                    "member {} lists {} of the {n} members Up ({})",
                    status.member_id,
                    up.len(),
                    if ids.is_empty() { "none".to_owned() } else { ids.join(", ") }
                );
            }
            if Instant::now() + POLL >= deadline {
                let waited_ms = started.elapsed().as_millis();
                return Err(ClientError::MembersNotUp { wanted: n, up: up_count, waited_ms, last });
            }
            tokio::time::sleep(POLL).await;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn member(id: u64, state: pb::MemberState) -> pb::Member {
        pb::Member { id, address: format!("127.0.0.1:{}", 7100 + id), state: state as i32, cp_member: id < 3 }
    }

    #[test]
    fn only_members_committed_up_count_in_id_order() {
        let status = pb::ClusterStatusResponse {
            member_id: 1,
            members: vec![
                member(3, pb::MemberState::Up),
                member(1, pb::MemberState::Up),
                member(2, pb::MemberState::Joining),
                member(4, pb::MemberState::Removed),
                member(5, pb::MemberState::Leaving),
            ],
            ..Default::default()
        };
        let up = up_members(&status);
        assert_eq!(up.iter().map(|m| m.id).collect::<Vec<_>>(), vec![1, 3]);
        assert_eq!(up[0], UpMember { id: 1, address: "127.0.0.1:7101".into(), cp_member: true });
    }
}
