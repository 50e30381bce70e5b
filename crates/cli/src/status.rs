//! `coterie status`: what each member says about the cluster.
//!
//! Every endpoint is asked separately (with a short timeout) rather than trusting one: a
//! member that is cut off, lagging or disagreeing about the leader is exactly what an
//! operator runs `status` to find, and one member's view cannot show it.

use std::time::Duration;

use anyhow::Context;
use clap::Args;
use coterie_api::pb::cluster_service_client::ClusterServiceClient;
use coterie_api::pb::{
    ClusterStatusRequest, ClusterStatusResponse, GroupStatus, Member, MemberState, PartitionsStatus, RaftRole,
};

use crate::Outcome;
use crate::status_verdict::verdicts;

/// Arguments of `coterie status`.
#[derive(Debug, Args)]
pub(crate) struct StatusArgs {
    /// How long to wait for each member's answer, in milliseconds.
    #[arg(long, value_name = "MS", default_value_t = 2_000)]
    pub(crate) timeout_ms: u64,
}

/// The URI tonic connects to for `endpoint` (`host:port`, or a full `http://` URI).
pub(crate) fn uri(endpoint: &str) -> String {
    if endpoint.contains("://") { endpoint.to_owned() } else { format!("http://{endpoint}") }
}

/// One member's status, bounded by `timeout`.
pub(crate) async fn ask(endpoint: &str, timeout: Duration) -> anyhow::Result<ClusterStatusResponse> {
    let channel = tonic::transport::Endpoint::from_shared(uri(endpoint))
        .with_context(|| format!("{endpoint:?} is not an address (HOST:PORT)"))?
        .connect_timeout(timeout)
        .timeout(timeout)
        .connect()
        .await
        .with_context(|| format!("cannot connect to {endpoint}"))?;
    let answer = ClusterServiceClient::new(channel)
        .status(ClusterStatusRequest {})
        .await
        .with_context(|| format!("{endpoint} did not answer the status request"))?;
    Ok(answer.into_inner())
}

fn role(group: &GroupStatus) -> &'static str {
    match RaftRole::try_from(group.role).unwrap_or(RaftRole::Unspecified) {
        RaftRole::Leader => "leader",
        RaftRole::Follower => "follower",
        RaftRole::Candidate => "candidate",
        RaftRole::Learner => "learner",
        RaftRole::Unspecified => "unknown",
    }
}

/// The lines describing one member's answer.
pub(crate) fn describe(endpoint: &str, status: &ClusterStatusResponse) -> Vec<String> {
    let mut lines = vec![format!("member {} at {endpoint}: {} members known", status.member_id, status.members.len())];
    for group in &status.groups {
        let leader = match (group.leader_id, &group.leader_address) {
            (Some(id), Some(address)) => format!("leader {id} ({address})"),
            (Some(id), None) => format!("leader {id}"),
            _ => "no leader known".to_owned(),
        };
        let voters: Vec<String> = group.voters.iter().map(u64::to_string).collect();
        lines.push(format!(
            "  group {:<12} {:<9} term {:<4} {leader}; commit {} applied {}; voters [{}]; {} sessions, {} structures",
            group.name,
            role(group),
            group.term,
            group.commit_index,
            group.applied_index,
            voters.join(","),
            group.sessions,
            group.structures
        ));
    }
    if let Some(partitions) = &status.partitions {
        lines.push(describe_partitions(partitions));
    }
    lines
}

/// The line summarizing a member's applied partition table.
fn describe_partitions(status: &PartitionsStatus) -> String {
    let served: Vec<String> =
        status.served.iter().map(|served| format!("member {} {}", served.member, served.partitions)).collect();
    let lost = match status.lost.as_slice() {
        [] => "none lost".to_owned(),
        lost => {
            let mut by_member: std::collections::BTreeMap<u64, usize> = std::collections::BTreeMap::new();
            for partition in lost {
                *by_member.entry(partition.last_owner).or_default() += 1;
            }
            let waiting: Vec<String> =
                by_member.iter().map(|(member, count)| format!("{count} waiting for member {member}")).collect();
            format!("{} lost ({})", lost.len(), waiting.join(", "))
        }
    };
    format!(
        "  partitions {} at ring epoch {} (version {}); served by {}; {} moving; {lost}; {} open here",
        status.partitions,
        status.ring_epoch,
        status.version,
        if served.is_empty() { "nobody".to_owned() } else { served.join(", ") },
        status.moving,
        status.open_here
    )
}

/// Runs `coterie status` against `endpoints`. Fails when no member answers, and answers
/// [`Outcome::NotMet`] (exit status 4) when a group has no quorum.
///
/// After each endpoint's view come the members of the committed member table (as the
/// answering member that knows the most members has applied it), each with its role and
/// state and whether it answers a status request now (asked with the same timeout).
pub(crate) async fn run(endpoints: &[String], args: &StatusArgs) -> anyhow::Result<Outcome> {
    let timeout = Duration::from_millis(args.timeout_ms.max(1));
    let answers = ask_all(endpoints, timeout).await;
    let mut lines = Vec::new();
    let mut best: Option<ClusterStatusResponse> = None;
    let mut answering = std::collections::BTreeSet::new();
    let mut received = Vec::new();
    for (endpoint, answer) in endpoints.iter().zip(answers) {
        match answer {
            Ok(status) => {
                lines.extend(describe(endpoint, &status));
                answering.insert(endpoint.clone());
                if best.as_ref().is_none_or(|best| status.members.len() > best.members.len()) {
                    best = Some(status.clone());
                }
                received.push(status);
            }
            Err(err) => lines.push(format!("{endpoint}: unreachable: {err:#}")),
        }
    }
    let Some(best) = best else {
        crate::print_lines(&lines)?;
        anyhow::bail!("no member answered; is the cluster running (coterie dev / coterie serve) at {endpoints:?}?");
    };
    let others: Vec<String> =
        best.members.iter().map(|m| m.address.clone()).filter(|address| !answering.contains(address)).collect();
    let probes = ask_all(&others, timeout).await;
    for (address, probe) in others.iter().zip(probes) {
        if let Ok(status) = probe {
            answering.insert(address.clone());
            received.push(status);
        }
    }
    lines.push(format!("members (the committed table as member {} has applied it):", best.member_id));
    lines.extend(member_lines(&best.members, Some(&answering)));
    let verdicts = verdicts(&received);
    lines.push("groups (from every member that answered):".to_owned());
    lines.extend(verdicts.iter().map(ToString::to_string));
    crate::print_lines(&lines)?;
    let lost: Vec<&str> = verdicts.iter().filter(|v| !v.has_quorum()).map(|v| v.group.as_str()).collect();
    if lost.is_empty() {
        Ok(Outcome::Done)
    } else {
        Ok(Outcome::NotMet(format!(
            "no quorum in group(s) {}: start the members that do not answer, or check the network between them",
            lost.join(", ")
        )))
    }
}

/// One line per member: id, address, role, state, and, given who `answering`, whether it
/// answered.
pub(crate) fn member_lines(members: &[Member], answering: Option<&std::collections::BTreeSet<String>>) -> Vec<String> {
    members
        .iter()
        .map(|member| {
            let role = if member.cp_member { "cp" } else { "plain" };
            let state = match MemberState::try_from(member.state).unwrap_or(MemberState::Unspecified) {
                MemberState::Joining => "joining",
                MemberState::Up => "up",
                MemberState::Suspect => "suspect",
                MemberState::Leaving => "leaving",
                MemberState::Down => "down",
                MemberState::Removed => "removed",
                MemberState::Unspecified => "unknown",
            };
            let line = format!("  member {:<4} {:<22} {role:<5} {state:<8}", member.id, member.address);
            match answering {
                Some(answering) if answering.contains(&member.address) => format!("{line} answers"),
                Some(_) => format!("{line} does not answer"),
                None => line.trim_end().to_owned(),
            }
        })
        .collect()
}

/// Asks every endpoint at once, answers in endpoint order.
async fn ask_all(endpoints: &[String], timeout: Duration) -> Vec<anyhow::Result<ClusterStatusResponse>> {
    let tasks: Vec<_> = endpoints
        .iter()
        .map(|endpoint| {
            let endpoint = endpoint.clone();
            tokio::spawn(async move { ask(&endpoint, timeout).await })
        })
        .collect();
    let mut answers = Vec::with_capacity(tasks.len());
    for task in tasks {
        answers.push(task.await.unwrap_or_else(|err| Err(anyhow::anyhow!("the status task failed: {err}"))));
    }
    answers
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeSet;

    use coterie_api::pb::{Member, MemberState};

    use super::{describe_partitions, member_lines};

    #[test]
    fn members_are_listed_with_role_state_and_whether_they_answer() {
        let member = |id, cp, state: MemberState| Member {
            id,
            address: format!("127.0.0.1:710{id}"),
            state: state.into(),
            cp_member: cp,
        };
        let members = [member(1, true, MemberState::Up), member(4, false, MemberState::Joining)];
        let answering: BTreeSet<String> = ["127.0.0.1:7101".to_owned()].into_iter().collect();
        assert_eq!(
            member_lines(&members, Some(&answering)),
            vec![
                "  member 1    127.0.0.1:7101         cp    up       answers",
                "  member 4    127.0.0.1:7104         plain joining  does not answer",
            ]
        );
        assert_eq!(member_lines(&members[..1], None), vec!["  member 1    127.0.0.1:7101         cp    up"]);
    }

    #[test]
    fn the_partition_table_is_summarized_in_one_line() {
        use coterie_api::pb::{LostPartition, MemberPartitions, PartitionsStatus};

        let status = PartitionsStatus {
            partitions: 271,
            ring_epoch: 3,
            version: 4,
            served: vec![
                MemberPartitions { member: 1, partitions: 130 },
                MemberPartitions { member: 2, partitions: 51 },
            ],
            moving: 2,
            lost: vec![LostPartition { partition: 5, last_owner: 3 }, LostPartition { partition: 9, last_owner: 3 }],
            open_here: 130,
            owners: Vec::new(),
        };
        assert_eq!(
            describe_partitions(&status),
            "  partitions 271 at ring epoch 3 (version 4); served by member 1 130, member 2 51; 2 moving; 2 lost (2 \
             waiting for member 3); 130 open here"
        );
        let empty = PartitionsStatus { partitions: 271, ..PartitionsStatus::default() };
        assert_eq!(
            describe_partitions(&empty),
            "  partitions 271 at ring epoch 0 (version 0); served by nobody; 0 moving; none lost; 0 open here"
        );
    }
}
