//! The verdict `coterie status` gives each CP group: who leads it, how many of its voters
//! answer, and whether it has a quorum.
//!
//! Pure, from the members' own answers: a group has a quorum when a member answers as its
//! leader (the one at the highest term, if two do: the other is stale) and a majority of the
//! group's voters answer at all. That is what a write needs right now; a group whose leader
//! does not answer, or whose voters mostly do not, cannot commit, and `status` then exits
//! non-zero so that scripts and probes see it.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;

use coterie_api::pb::{ClusterStatusResponse, GroupStatus, RaftRole};

/// One group's verdict.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct GroupVerdict {
    /// The group's name.
    pub(crate) group: String,
    /// The member answering as its leader (at the highest term seen), and that term.
    pub(crate) leader: Option<(u64, u64)>,
    /// The group's voters, as the member answering at the highest term lists them.
    pub(crate) voters: BTreeSet<u64>,
    /// The voters that answered.
    pub(crate) answering: BTreeSet<u64>,
    /// Answering members whose applied index is behind the leader's commit index, with how
    /// far behind.
    pub(crate) lagging: BTreeMap<u64, u64>,
}

impl GroupVerdict {
    /// Whether the group can commit now: a leader answers and a majority of voters do.
    pub(crate) fn has_quorum(&self) -> bool {
        let majority = self.voters.len() / 2 + 1;
        self.leader.is_some() && !self.voters.is_empty() && self.answering.len() >= majority
    }
}

impl fmt::Display for GroupVerdict {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let leader = match self.leader {
            Some((id, term)) => format!("leader {id} (term {term})"),
            None => "no leader answers".to_owned(),
        };
        let verdict = if self.has_quorum() { "quorum ok" } else { "QUORUM LOST" };
        write!(
            f,
            "  group {:<12} {verdict}: {leader}; {} of {} voters answer",
            self.group,
            self.answering.len(),
            self.voters.len()
        )?;
        let silent: Vec<String> = self.voters.difference(&self.answering).map(u64::to_string).collect();
        if !silent.is_empty() {
            write!(f, " (silent: {})", silent.join(","))?;
        }
        if !self.lagging.is_empty() {
            let lag: Vec<String> = self.lagging.iter().map(|(id, by)| format!("{id} by {by}")).collect();
            write!(f, "; behind the leader: {}", lag.join(", "))?;
        }
        Ok(())
    }
}

/// The verdict of every group any member reported, in name order, from every answer
/// received (each member's own view of the groups it hosts).
pub(crate) fn verdicts<'a>(answers: impl IntoIterator<Item = &'a ClusterStatusResponse>) -> Vec<GroupVerdict> {
    let mut by_group: BTreeMap<&str, Vec<(u64, &GroupStatus)>> = BTreeMap::new();
    for answer in answers {
        for group in &answer.groups {
            by_group.entry(group.name.as_str()).or_default().push((answer.member_id, group));
        }
    }
    by_group
        .into_iter()
        .map(|(name, views)| {
            let is_leader = |group: &GroupStatus| RaftRole::try_from(group.role) == Ok(RaftRole::Leader);
            let leader = views
                .iter()
                .filter(|(_, group)| is_leader(group))
                .max_by_key(|(_, group)| group.term)
                .map(|(id, group)| (*id, group.term, group.commit_index));
            let newest = views.iter().max_by_key(|(id, group)| (group.term, leader.is_some_and(|l| l.0 == *id)));
            let voters: BTreeSet<u64> =
                newest.map(|(_, group)| group.voters.iter().copied().collect()).unwrap_or_default();
            let answering: BTreeSet<u64> = views.iter().map(|(id, _)| *id).filter(|id| voters.contains(id)).collect();
            let lagging = match leader {
                Some((_, _, commit)) => views
                    .iter()
                    .filter(|(_, group)| group.applied_index < commit)
                    .map(|(id, group)| (*id, commit - group.applied_index))
                    .collect(),
                None => BTreeMap::new(),
            };
            GroupVerdict {
                group: name.to_owned(),
                leader: leader.map(|(id, term, _)| (id, term)),
                voters,
                answering,
                lagging,
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn group(name: &str, role: RaftRole, term: u64, commit: u64, applied: u64, voters: &[u64]) -> GroupStatus {
        GroupStatus {
            name: name.to_owned(),
            role: role as i32,
            term,
            commit_index: commit,
            applied_index: applied,
            voters: voters.to_vec(),
            ..GroupStatus::default()
        }
    }

    fn answer(member: u64, groups: Vec<GroupStatus>) -> ClusterStatusResponse {
        ClusterStatusResponse { member_id: member, groups, ..ClusterStatusResponse::default() }
    }

    #[test]
    fn a_led_group_with_a_majority_answering_has_a_quorum() {
        let answers = [
            answer(1, vec![group("default", RaftRole::Leader, 3, 40, 40, &[1, 2, 3])]),
            answer(2, vec![group("default", RaftRole::Follower, 3, 40, 37, &[1, 2, 3])]),
        ];
        let verdicts = verdicts(&answers);
        assert_eq!(
            verdicts,
            vec![GroupVerdict {
                group: "default".to_owned(),
                leader: Some((1, 3)),
                voters: [1, 2, 3].into(),
                answering: [1, 2].into(),
                lagging: [(2, 3)].into(),
            }]
        );
        assert!(verdicts[0].has_quorum());
        assert_eq!(
            verdicts[0].to_string(),
            "  group default      quorum ok: leader 1 (term 3); 2 of 3 voters answer (silent: 3); behind the leader: 2 by 3"
        );
    }

    #[test]
    fn no_leader_or_too_few_voters_is_a_lost_quorum_and_a_stale_leader_does_not_count() {
        // Only one of three answers, though it thinks it leads.
        let alone = [answer(1, vec![group("default", RaftRole::Leader, 2, 9, 9, &[1, 2, 3])])];
        let verdict = &verdicts(&alone)[0];
        assert!(!verdict.has_quorum());
        assert!(verdict.to_string().contains("QUORUM LOST: leader 1 (term 2); 1 of 3 voters answer"), "{verdict}");
        // Two answer, neither leads (an election is under way or failing).
        let leaderless = [
            answer(2, vec![group("metadata", RaftRole::Candidate, 5, 9, 9, &[1, 2, 3])]),
            answer(3, vec![group("metadata", RaftRole::Follower, 5, 9, 9, &[1, 2, 3])]),
        ];
        let verdict = &verdicts(&leaderless)[0];
        assert_eq!(verdict.leader, None);
        assert!(!verdict.has_quorum());
        assert!(verdict.to_string().contains("QUORUM LOST: no leader answers"), "{verdict}");
        // An old leader at a lower term beside the new one: the newer term's leader counts.
        let two = [
            answer(1, vec![group("default", RaftRole::Leader, 2, 9, 9, &[1, 2, 3])]),
            answer(2, vec![group("default", RaftRole::Leader, 4, 12, 12, &[1, 2, 3])]),
            answer(3, vec![group("default", RaftRole::Follower, 4, 12, 12, &[1, 2, 3])]),
        ];
        let verdict = &verdicts(&two)[0];
        assert_eq!(verdict.leader, Some((2, 4)));
        assert!(verdict.has_quorum());
        // A member that is not a voter (a learner catching up) does not count toward it.
        let learner = [
            answer(1, vec![group("default", RaftRole::Leader, 2, 9, 9, &[1, 2, 3])]),
            answer(4, vec![group("default", RaftRole::Learner, 2, 9, 1, &[1, 2, 3])]),
        ];
        let verdict = &verdicts(&learner)[0];
        assert_eq!(verdict.answering, [1].into());
        assert!(!verdict.has_quorum());
    }
}
