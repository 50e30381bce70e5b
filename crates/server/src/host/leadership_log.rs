//! Logs what an operator asks first about a CP group: who leads it, since which term, and
//! when this member stopped knowing a leader.
//!
//! Why it is shaped this way: openraft publishes every change of a replica's metrics (its
//! state, term, leader, indexes) on a watch channel, many times a second under load. A log
//! line per change would bury the few that matter, so [`leadership_change`] (pure: two
//! snapshots in, at most one line out) keeps only a new leader, a lost one, and this member
//! becoming or ceasing to be the leader; [`watch`] feeds it from the channel until the
//! replica stops (its sender is dropped).

use openraft::ServerState;
use openraft::async_runtime::WatchReceiver;

use crate::cp::CpRaft;

/// What a replica's metrics say about its group's leadership.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Leadership {
    /// The replica's Raft state.
    pub state: ServerState,
    /// The leader it knows, if any.
    pub leader: Option<u64>,
    /// Its current term.
    pub term: u64,
}

/// How loud a leadership change is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Loudness {
    /// Expected in a healthy cluster (an election settled).
    Info,
    /// Worth a look (no leader known: the group cannot commit until one is elected).
    Warn,
}

/// The line to log when member `me`'s view of group `group` went from `before` to `after`,
/// or `None` when nothing an operator cares about changed (indexes, a vote in progress, the
/// same leader seen again).
pub fn leadership_change(group: &str, me: u64, before: &Leadership, after: &Leadership) -> Option<(Loudness, String)> {
    let term = after.term;
    match (before.leader, after.leader) {
        (previous, Some(leader)) if previous != Some(leader) => Some(if leader == me {
            (Loudness::Info, format!("group {group}: this member ({me}) became the leader at term {term}"))
        } else {
            (Loudness::Info, format!("group {group}: member {leader} is the leader at term {term}"))
        }),
        (Some(previous), None) => Some((
            Loudness::Warn,
            format!(
                "group {group}: no leader known at term {term} (member {previous} led before); the group cannot \
                 commit until an election settles"
            ),
        )),
        _ if before.state == ServerState::Leader && after.state != ServerState::Leader => Some((
            Loudness::Info,
            format!("group {group}: this member ({me}) stepped down at term {term} (now {:?})", after.state),
        )),
        _ => None,
    }
}

/// Logs member `me`'s leadership changes of group `group` until the replica stops.
pub async fn watch(group: String, me: u64, raft: CpRaft) {
    let mut metrics = raft.metrics();
    // Only the channel is kept: holding the Raft handle would keep the replica alive.
    drop(raft);
    let snapshot = |m: &openraft::RaftMetrics<crate::cp::CpTypes>| Leadership {
        state: m.state,
        leader: m.current_leader,
        term: m.current_term,
    };
    let mut before = snapshot(&metrics.borrow_watched());
    while metrics.changed().await.is_ok() {
        let after = snapshot(&metrics.borrow_watched());
        if let Some((loudness, line)) = leadership_change(&group, me, &before, &after) {
            match loudness {
                Loudness::Info => tracing::info!(target: "coterie::raft", "{line}"),
                Loudness::Warn => tracing::warn!(target: "coterie::raft", "{line}"),
            }
        }
        before = after;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn view(state: ServerState, leader: Option<u64>, term: u64) -> Leadership {
        Leadership { state, leader, term }
    }

    #[test]
    fn a_new_leader_is_logged_once_and_nothing_else_is() {
        let follower = view(ServerState::Follower, None, 0);
        let led = view(ServerState::Follower, Some(2), 1);
        assert_eq!(
            leadership_change("default", 1, &follower, &led),
            Some((Loudness::Info, "group default: member 2 is the leader at term 1".to_owned()))
        );
        assert_eq!(leadership_change("default", 1, &led, &led), None, "the same leader again");
        let candidate = view(ServerState::Candidate, None, 0);
        assert_eq!(leadership_change("default", 1, &follower, &candidate), None, "a vote in progress");
        let me = view(ServerState::Leader, Some(1), 3);
        assert_eq!(
            leadership_change("metadata", 1, &led, &me),
            Some((Loudness::Info, "group metadata: this member (1) became the leader at term 3".to_owned()))
        );
    }

    #[test]
    fn a_lost_leader_warns_and_a_step_down_is_told() {
        let led = view(ServerState::Follower, Some(2), 4);
        let lost = view(ServerState::Candidate, None, 5);
        let (loudness, line) = leadership_change("default", 1, &led, &lost).unwrap();
        assert_eq!(loudness, Loudness::Warn);
        assert!(line.contains("no leader known at term 5 (member 2 led before)"), "{line}");
        // A leader that learns of a higher term's leader: the new leader is the news.
        let leading = view(ServerState::Leader, Some(1), 4);
        let follows = view(ServerState::Follower, Some(3), 6);
        assert_eq!(
            leadership_change("default", 1, &leading, &follows).map(|(_, line)| line),
            Some("group default: member 3 is the leader at term 6".to_owned())
        );
        // A leader removed from the group's voters keeps knowing itself as leader a moment.
        let learner = view(ServerState::Learner, Some(1), 4);
        assert_eq!(
            leadership_change("default", 1, &leading, &learner).map(|(_, line)| line),
            Some("group default: this member (1) stepped down at term 4 (now Learner)".to_owned())
        );
    }
}
