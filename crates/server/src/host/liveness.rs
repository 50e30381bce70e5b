//! Gossip suggests, the log decides: the metadata leader commits members Down and back Up
//! from its failure detector's view.
//!
//! Why it is shaped this way:
//!
//! - SWIM's verdicts (`crate::gossip`) are suggestions: two members may disagree for a
//!   while, and a stalled process is not a dead one. Ownership must not follow a guess
//!   (pitfall P10 of `research/sharded.md`), so no member acts on its own view. Only the
//!   metadata group's leader turns its view into commands ([`liveness_commands`]), and
//!   only what the member table commits ([`MemberState::Down`]) changes the partition
//!   table (`shard/table.rs` places nothing on a Down member and reports what only it held
//!   as Lost, naming it, until it is back).
//! - The leader of the moment is the one that decides, with its own view: a leader cut off
//!   from a majority cannot commit, so a minority's view never reaches the table.
//! - Down never changes a quorum: a Down CP member stays a voter of every CP group
//!   ([`MemberTable::cp_voters`]). Only an admin removal takes a member out.
//! - With one copy (part 1) a false Down is safe: a Lost partition is never given to
//!   another member, so the member that really holds it is still its only server, and
//!   it serves it again as soon as gossip sees it alive and the leader commits that.
//! - Only an Up member is marked Down, and only a Down one back Up: a Joining or Leaving
//!   member belongs to the admin flow changing it. A member gossip has never heard of, or
//!   whose gossip identity names another API address than the table's, is left alone (a
//!   process claiming a member's id from elsewhere decides nothing).
//! - A member that left gossip gracefully (Left) without being removed is as unreachable
//!   as a crashed one: it is marked Down too.

use coterie_core::{MemberCommand, MemberState, MemberTable};

use super::Inner;
use super::members::update;
use crate::gossip::{GossipView, MemberState as Gossip};

/// The commands that bring `table` in line with `view`, as member `me` (the metadata
/// leader, never marked Down by itself) sees it: [`MemberCommand::MarkDown`] for an Up
/// member gossip reports gone, [`MemberCommand::MarkAlive`] for a Down member gossip
/// reports up, in member id order.
pub fn liveness_commands(table: &MemberTable, view: &GossipView, me: u64) -> Vec<MemberCommand> {
    table
        .iter()
        .filter(|(id, _)| *id != me)
        .filter_map(|(id, record)| {
            let seen = view.get(&id).filter(|info| info.id.api_addr == record.address)?;
            match (record.state, seen.state) {
                (MemberState::Up, Gossip::Down | Gossip::Left) => Some(MemberCommand::MarkDown { id }),
                (MemberState::Down, Gossip::Up) => Some(MemberCommand::MarkAlive { id }),
                _ => None,
            }
        })
        .collect()
}

impl Inner {
    /// On the metadata leader, once its replica has caught up: commits what
    /// [`liveness_commands`] finds for the applied table and this member's gossip view.
    /// A failed commit is left to the next look.
    pub(super) async fn commit_liveness(&self) {
        let Some(view) = self.gossip_view.get() else { return };
        let Some(node) = self.metadata() else { return };
        if !node.raft().is_leader() || !node.caught_up() {
            return;
        }
        let Some(table) = self.table() else { return };
        let commands = liveness_commands(&table, &view.borrow(), self.config.id);
        for command in commands {
            // `update` re-reads the table linearizably and applies the command to it, so a
            // change made meanwhile (say, an admin removal) is not undone.
            let result = update(&node, &command, super::members::STEP_TIMEOUT).await;
            let (id, change, down) = match command {
                MemberCommand::MarkDown { id } => (id, "Down (gossip reports it gone)", true),
                MemberCommand::MarkAlive { id } => (id, "Up again (gossip reports it alive)", false),
                _ => continue,
            };
            match result {
                Ok(_) if down => tracing::warn!(target: "coterie::members", "member {id} committed {change}"),
                Ok(_) => tracing::info!(target: "coterie::members", "member {id} committed {change}"),
                Err(err) => tracing::info!(
                    target: "coterie::members",
                    "member {id} not yet committed {change}: {err}; tried again at the next look"
                ),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use super::*;
    use crate::gossip::{GossipId, MemberInfo};

    fn table(states: &[(u64, MemberState)]) -> MemberTable {
        let mut table = MemberTable::new();
        let members: BTreeMap<u64, String> = states.iter().map(|(id, _)| (*id, address(*id))).collect();
        table.apply(&MemberCommand::Seed { members }).unwrap();
        for (id, state) in states {
            let steps: &[MemberCommand] = match state {
                MemberState::Up => &[],
                MemberState::Down => &[MemberCommand::MarkDown { id: *id }],
                MemberState::Leaving => &[MemberCommand::Leave { id: *id }],
                other => panic!("not used here: {other}"),
            };
            for step in steps {
                table.apply(step).unwrap();
            }
        }
        table
    }

    fn address(id: u64) -> String {
        format!("127.0.0.1:71{id:02}")
    }

    fn view(states: &[(u64, Gossip, &str)]) -> GossipView {
        states
            .iter()
            .map(|(id, state, api)| {
                let gossip_addr = format!("127.0.0.1:72{id:02}").parse().unwrap();
                let id_ = GossipId { member: *id, gossip_addr, api_addr: (*api).to_owned(), generation: 1 };
                (*id, MemberInfo { id: id_, state: *state })
            })
            .collect()
    }

    #[test]
    fn gone_up_members_are_marked_down_and_returning_down_members_alive() {
        let table = table(&[(1, MemberState::Up), (2, MemberState::Up), (3, MemberState::Down), (4, MemberState::Up)]);
        let (a2, a3, a4) = (address(2), address(3), address(4));
        let seen = view(&[(2, Gossip::Down, &a2), (3, Gossip::Up, &a3), (4, Gossip::Left, &a4)]);
        assert_eq!(
            liveness_commands(&table, &seen, 1),
            vec![
                MemberCommand::MarkDown { id: 2 },
                MemberCommand::MarkAlive { id: 3 },
                MemberCommand::MarkDown { id: 4 }
            ]
        );
    }

    #[test]
    fn doubts_unknowns_impostors_admin_flows_and_the_leader_itself_change_nothing() {
        let table =
            table(&[(1, MemberState::Up), (2, MemberState::Up), (3, MemberState::Leaving), (4, MemberState::Down)]);
        let (a1, a2, a3, a4) = (address(1), address(2), address(3), address(4));
        // Suspect is still alive; a Leaving member is the admin flow's; a Down member that
        // gossip still doubts (suspect) or has gone is not back; the leader never marks
        // itself; a member gossip does not know (5 is not in the table, 6 not in the view).
        let doubts = view(&[
            (1, Gossip::Down, &a1),
            (2, Gossip::Suspect, &a2),
            (3, Gossip::Down, &a3),
            (4, Gossip::Suspect, &a4),
            (5, Gossip::Down, "127.0.0.1:7105"),
        ]);
        assert_eq!(liveness_commands(&table, &doubts, 1), Vec::new());
        // A gossip identity with another API address than the table's decides nothing.
        let impostor = view(&[(2, Gossip::Down, "10.9.9.9:7102"), (4, Gossip::Up, "10.9.9.9:7104")]);
        assert_eq!(liveness_commands(&table, &impostor, 1), Vec::new());
    }
}
