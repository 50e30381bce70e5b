//! Election safety: at most one leader per leader id, over every observation of a run.
//!
//! Two things are checked:
//!
//! * With [`LeaderIds::Term`] (standard Raft), every observation of a term, by any observer
//!   acting as leader or following, names the same leader.
//! * With either kind of id, a leader id has one *reign*: every observation of a node acting
//!   as leader of `(term, node)` comes from one incarnation of it. A node that restarts comes
//!   back as a follower, and leads again only after winning a new election, in a new leader
//!   id; leading the old id again means it reused a vote it had lost (a disk that forgot it)
//!   or restored leadership without an election, and two reigns of one id can write two
//!   different entries under the same log id.
//!
//! With [`LeaderIds::TermAndNode`] (openraft's advanced ids) two nodes may lead one term in
//! two ids, so the first rule does not apply; followers' observations are then consistent by
//! construction (the id names the leader) and only the second rule can fail.

use std::collections::BTreeMap;

use super::{LeaderIds, LeaderObservation, NodeId, Property, Violation};

/// Checks election safety over `observations` (see the module docs).
pub fn check_election_safety(observations: &[LeaderObservation], ids: LeaderIds) -> Result<(), Violation> {
    if ids == LeaderIds::Term {
        let mut by_term: BTreeMap<u64, &LeaderObservation> = BTreeMap::new();
        for obs in observations {
            let first = *by_term.entry(obs.term).or_insert(obs);
            if first.leader != obs.leader {
                return Err(Violation::new(
                    Property::ElectionSafety,
                    format!(
                        "two leaders in term {}: node {} saw node {} lead it at {}, node {} saw node {} lead it at {}",
                        obs.term, first.observer, first.leader, first.at, obs.observer, obs.leader, obs.at
                    ),
                ));
            }
        }
    }
    let mut reigns: BTreeMap<(u64, NodeId), &LeaderObservation> = BTreeMap::new();
    for obs in observations.iter().filter(|o| o.acting) {
        let first = *reigns.entry((obs.term, obs.observer)).or_insert(obs);
        if first.incarnation != obs.incarnation {
            return Err(Violation::new(
                Property::ElectionSafety,
                format!(
                    "leader id T{}-N{} reigned twice: node {} led it in incarnation {} at {} and again in incarnation {} at {}",
                    obs.term, obs.observer, obs.observer, first.incarnation, first.at, obs.incarnation, obs.at
                ),
            ));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn obs(at: u64, observer: NodeId, incarnation: u64, term: u64, leader: NodeId) -> LeaderObservation {
        LeaderObservation { at, observer, incarnation, term, leader, acting: observer == leader }
    }

    #[test]
    fn one_leader_per_term_passes() {
        let run = [obs(1, 1, 1, 1, 1), obs(2, 2, 1, 1, 1), obs(3, 3, 1, 2, 3), obs(4, 1, 2, 2, 3)];
        assert_eq!(check_election_safety(&run, LeaderIds::Term), Ok(()));
        assert_eq!(check_election_safety(&run, LeaderIds::TermAndNode), Ok(()));
    }

    #[test]
    fn two_leaders_in_one_term_fail_in_standard_mode_only() {
        let run = [obs(1, 1, 1, 4, 1), obs(5, 2, 1, 4, 2)];
        let err = check_election_safety(&run, LeaderIds::Term).unwrap_err();
        assert_eq!(err.property, Property::ElectionSafety);
        assert!(err.detail.contains("two leaders in term 4"), "{err}");
        assert!(err.detail.contains("node 1") && err.detail.contains("node 2"), "{err}");
        assert_eq!(check_election_safety(&run, LeaderIds::TermAndNode), Ok(()));
    }

    #[test]
    fn one_leader_id_in_two_incarnations_fails() {
        let run = [obs(1, 2, 1, 3, 2), obs(2, 1, 1, 3, 2), obs(9, 2, 2, 3, 2)];
        let err = check_election_safety(&run, LeaderIds::TermAndNode).unwrap_err();
        assert!(err.detail.contains("T3-N2 reigned twice"), "{err}");
        assert!(err.detail.contains("incarnation 1") && err.detail.contains("incarnation 2"), "{err}");
        // A restarted node that only follows its old leader id is fine.
        let follower = [obs(1, 2, 1, 3, 2), LeaderObservation { acting: false, ..obs(9, 2, 2, 3, 2) }];
        assert_eq!(check_election_safety(&follower, LeaderIds::TermAndNode), Ok(()));
    }
}
