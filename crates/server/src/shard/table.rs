//! The partition table as the metadata group keeps it: pure steps of the driver in
//! `host/sharded.rs`.
//!
//! The table ([`PartitionTable`], pure, in the core) lives in the metadata CP group in an
//! AtomicReference register named [`PARTITIONS`], beside the member table's register, and
//! is changed the same way: the metadata leader reads both registers linearizably,
//! computes the next table from the *committed* member table with
//! [`PartitionTable::with_members`] ([`next_table`]), and stores it by compare-and-set on
//! the bytes it read. A lost answer or a lost race is simply recomputed on the next look,
//! and no member ever places a partition on a guess of its own (pitfall P10): every member
//! reads the table from its applied metadata state.
//!
//! Who is on the ring ([`member_view`]): the CP members of the member table. A plain member
//! hosts no metadata replica, so it cannot read the committed table from its own state;
//! until it can fetch the table from a CP member, it owns no partition (and refuses
//! sharded calls with a redirect, as it does CP calls). A member that is Joining is not on
//! the ring until it is Up; a Leaving one is [`Liveness::Leaving`] (off the ring but alive:
//! it serves what it holds until each partition has moved off it, `host/handoff.rs`); a
//! Removed one, and one the metadata group committed Down
//! from the failure detector's suggestion (`host/liveness.rs`), are [`Liveness::Down`], so
//! their partitions become Lost naming them, never recreated empty, and are Owned by them
//! again when they come back.

use std::collections::BTreeMap;

use coterie_core::placement::{Liveness, PartitionTable, PlacementConfig, PlacementError};
use coterie_core::{CoreError, MemberState, MemberTable, codec};

/// The register of the metadata group that holds the partition table.
pub const PARTITIONS: &str = "partitions";

/// The member view the partition table is computed over: the member table's CP members,
/// Joining ones left out (see the module docs).
pub fn member_view(members: &MemberTable) -> BTreeMap<u64, Liveness> {
    members
        .iter()
        .filter(|(_, record)| record.cp)
        .filter_map(|(id, record)| {
            let liveness = match record.state {
                MemberState::Joining => return None,
                MemberState::Up => Liveness::Up,
                MemberState::Leaving => Liveness::Leaving,
                MemberState::Removed | MemberState::Down => Liveness::Down,
            };
            Some((id, liveness))
        })
        .collect()
}

/// The table to commit after `current` (`None`: no table was committed yet, so a new one of
/// `config`) for the committed `members`; `None` if the committed table is already right
/// (or the member table is still empty: nothing is placed before the cluster has members).
pub fn next_table(
    current: Option<&PartitionTable>,
    members: &MemberTable,
    config: PlacementConfig,
) -> Result<Option<PartitionTable>, PlacementError> {
    if members.is_empty() {
        return Ok(None);
    }
    let view = member_view(members);
    let fresh;
    let (base, new) = match current {
        Some(table) => (table, false),
        None => {
            fresh = PartitionTable::new(config)?;
            (&fresh, true)
        }
    };
    let transition = base.with_members(&view)?;
    Ok((transition.changed || new).then_some(transition.table))
}

/// The table stored in the register's `value` (`None`: no table committed yet).
pub fn decode(value: Option<&[u8]>) -> Result<Option<PartitionTable>, CoreError> {
    value.map(|bytes| codec::decode(bytes, "partition table")).transpose()
}

/// The register value of `table`.
pub fn encode(table: &PartitionTable) -> Result<Vec<u8>, CoreError> {
    codec::encode(table)
}

#[cfg(test)]
mod tests {
    use coterie_core::MemberCommand;
    use coterie_core::placement::{PartitionId, PartitionState};

    use super::*;

    fn config() -> PlacementConfig {
        PlacementConfig { partitions: 8, ..PlacementConfig::default() }
    }

    fn seeded(ids: &[u64]) -> MemberTable {
        let mut table = MemberTable::new();
        let members = ids.iter().map(|id| (*id, format!("127.0.0.1:{}", 7100 + id))).collect();
        table.apply(&MemberCommand::Seed { members }).unwrap();
        table
    }

    #[test]
    fn the_view_is_the_cp_members_with_their_liveness() {
        let mut members = seeded(&[1, 2, 3]);
        members.apply(&MemberCommand::Add { id: 4, address: "127.0.0.1:7104".into(), cp: false }).unwrap();
        members.apply(&MemberCommand::MarkUp { id: 4 }).unwrap();
        members.apply(&MemberCommand::Add { id: 5, address: "127.0.0.1:7105".into(), cp: true }).unwrap();
        members.apply(&MemberCommand::Leave { id: 3 }).unwrap();
        let view = member_view(&members);
        let expected: BTreeMap<u64, Liveness> = [(1, Liveness::Up), (2, Liveness::Up), (3, Liveness::Leaving)].into();
        assert_eq!(view, expected);
        members.apply(&MemberCommand::MarkRemoved { id: 3 }).unwrap();
        assert_eq!(member_view(&members).get(&3), Some(&Liveness::Down));
    }

    #[test]
    fn a_member_committed_down_loses_what_only_it_held_until_it_is_alive_again() {
        let mut members = seeded(&[1, 2, 3]);
        let table = next_table(None, &members, config()).unwrap().unwrap();
        members.apply(&MemberCommand::MarkDown { id: 2 }).unwrap();
        assert_eq!(member_view(&members).get(&2), Some(&Liveness::Down));
        let down = next_table(Some(&table), &members, config()).unwrap().unwrap();
        for ((partition, before), (_, after)) in table.iter().zip(down.iter()) {
            let expected = match before.state {
                PartitionState::Owned { owner: 2 } => PartitionState::Lost { last_owner: 2 },
                other => other,
            };
            assert_eq!(after.state, expected, "{partition}");
        }
        members.apply(&MemberCommand::MarkAlive { id: 2 }).unwrap();
        let back = next_table(Some(&down), &members, config()).unwrap().unwrap();
        for ((partition, before), (_, after)) in table.iter().zip(back.iter()) {
            assert_eq!(after.state, before.state, "{partition}");
        }
    }

    #[test]
    fn the_first_table_places_every_partition_and_a_second_look_changes_nothing() {
        let members = seeded(&[1, 2, 3]);
        assert_eq!(next_table(None, &MemberTable::new(), config()), Ok(None));
        let table = next_table(None, &members, config()).unwrap().unwrap();
        assert_eq!(table.ring_epoch(), 1);
        assert_eq!(table.up_members(), vec![1, 2, 3]);
        for (partition, entry) in table.iter() {
            assert_eq!(entry.state, PartitionState::Owned { owner: entry.replicas[0] }, "{partition}");
        }
        assert_eq!(next_table(Some(&table), &members, config()), Ok(None));
        let bytes = encode(&table).unwrap();
        assert_eq!(decode(Some(&bytes)), Ok(Some(table.clone())));
        assert_eq!(decode(None), Ok(None));
    }

    #[test]
    fn a_removed_member_leaves_its_partitions_lost_naming_it() {
        let mut members = seeded(&[1, 2, 3]);
        let table = next_table(None, &members, config()).unwrap().unwrap();
        let owned: Vec<PartitionId> =
            table.iter().filter(|(_, entry)| entry.state.holder() == Some(3)).map(|(partition, _)| partition).collect();
        members.apply(&MemberCommand::Leave { id: 3 }).unwrap();
        members.apply(&MemberCommand::MarkRemoved { id: 3 }).unwrap();
        let next = next_table(Some(&table), &members, config()).unwrap().unwrap();
        assert_eq!(next.ring_epoch(), 2);
        let lost: Vec<PartitionId> = next
            .lost()
            .into_iter()
            .map(|(partition, member)| {
                assert_eq!(member, 3);
                partition
            })
            .collect();
        assert_eq!(lost, owned);
    }
}
