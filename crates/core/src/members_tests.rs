use std::collections::BTreeMap;

use super::*;

fn seeded() -> MemberTable {
    let mut table = MemberTable::new();
    let members: BTreeMap<u64, String> = [(1, "127.0.0.1:7101"), (2, "127.0.0.1:7102"), (3, "127.0.0.1:7103")]
        .into_iter()
        .map(|(id, a)| (id, a.to_owned()))
        .collect();
    assert_eq!(table.apply(&MemberCommand::Seed { members }), Ok(TableChange::Changed));
    table
}

fn record(address: &str, cp: bool, state: MemberState) -> MemberRecord {
    MemberRecord { address: address.to_owned(), cp, state }
}

fn entries(table: &MemberTable) -> Vec<(u64, MemberRecord)> {
    table.iter().map(|(id, r)| (id, r.clone())).collect()
}

#[test]
fn seeding_makes_every_member_an_up_cp_member_once() {
    let mut table = seeded();
    assert_eq!(
        entries(&table),
        vec![
            (1, record("127.0.0.1:7101", true, MemberState::Up)),
            (2, record("127.0.0.1:7102", true, MemberState::Up)),
            (3, record("127.0.0.1:7103", true, MemberState::Up)),
        ]
    );
    let before = table.clone();
    // A second seed, even with other members, changes nothing.
    let other: BTreeMap<u64, String> = [(9, "10.0.0.9:1".to_owned())].into_iter().collect();
    assert_eq!(table.apply(&MemberCommand::Seed { members: other }), Ok(TableChange::Unchanged));
    assert_eq!(table, before);
}

#[test]
fn bad_seeds_are_refused_and_leave_the_table_empty() {
    let mut table = MemberTable::new();
    assert_eq!(table.apply(&MemberCommand::Seed { members: BTreeMap::new() }), Err(MemberError::EmptySeed));
    let zero: BTreeMap<u64, String> = [(0, "h:1".to_owned())].into_iter().collect();
    assert_eq!(table.apply(&MemberCommand::Seed { members: zero }), Err(MemberError::ZeroId));
    let same: BTreeMap<u64, String> = [(1, "h:1".to_owned()), (2, "h:1".to_owned())].into_iter().collect();
    assert_eq!(
        table.apply(&MemberCommand::Seed { members: same }),
        Err(MemberError::AddressTaken { id: 2, address: "h:1".to_owned(), other: 1 })
    );
    let bad: BTreeMap<u64, String> = [(1, "no-port".to_owned())].into_iter().collect();
    assert_eq!(
        table.apply(&MemberCommand::Seed { members: bad }),
        Err(MemberError::BadAddress { id: 1, address: "no-port".to_owned() })
    );
    assert!(table.is_empty());
}

#[test]
fn a_member_joins_then_comes_up_and_repeats_change_nothing() {
    let mut table = seeded();
    let add = MemberCommand::Add { id: 4, address: "127.0.0.1:7104".to_owned(), cp: true };
    assert_eq!(table.apply(&add), Ok(TableChange::Changed));
    assert_eq!(table.get(4), Some(&record("127.0.0.1:7104", true, MemberState::Joining)));
    assert_eq!(table.cp_voters().keys().copied().collect::<Vec<_>>(), vec![1, 2, 3, 4]);
    assert_eq!(table.apply(&add), Ok(TableChange::Unchanged));
    assert_eq!(table.apply(&MemberCommand::MarkUp { id: 4 }), Ok(TableChange::Changed));
    assert_eq!(table.get(4), Some(&record("127.0.0.1:7104", true, MemberState::Up)));
    assert_eq!(table.apply(&MemberCommand::MarkUp { id: 4 }), Ok(TableChange::Unchanged));
    // Adding it again once up still changes nothing (a joiner restarted with --join).
    assert_eq!(table.apply(&add), Ok(TableChange::Unchanged));
    assert_eq!(table.get(4).map(|r| r.state), Some(MemberState::Up));
}

#[test]
fn a_plain_member_is_listed_but_is_no_cp_voter() {
    let mut table = seeded();
    let add = MemberCommand::Add { id: 5, address: "127.0.0.1:7105".to_owned(), cp: false };
    assert_eq!(table.apply(&add), Ok(TableChange::Changed));
    assert_eq!(table.get(5), Some(&record("127.0.0.1:7105", false, MemberState::Joining)));
    assert_eq!(table.cp_voters().keys().copied().collect::<Vec<_>>(), vec![1, 2, 3]);
    assert_eq!(table.addresses().keys().copied().collect::<Vec<_>>(), vec![1, 2, 3, 5]);
}

#[test]
fn conflicting_or_malformed_adds_are_refused_without_change() {
    let mut table = seeded();
    let before = table.clone();
    let cases = [
        (MemberCommand::Add { id: 0, address: "h:1".to_owned(), cp: true }, MemberError::ZeroId),
        (
            MemberCommand::Add { id: 4, address: "h".to_owned(), cp: true },
            MemberError::BadAddress { id: 4, address: "h".to_owned() },
        ),
        (
            MemberCommand::Add { id: 4, address: "h:0".to_owned(), cp: true },
            MemberError::BadAddress { id: 4, address: "h:0".to_owned() },
        ),
        (
            MemberCommand::Add { id: 2, address: "127.0.0.1:9999".to_owned(), cp: true },
            MemberError::Conflict { id: 2, address: "127.0.0.1:7102".to_owned(), role: "CP member" },
        ),
        (
            MemberCommand::Add { id: 2, address: "127.0.0.1:7102".to_owned(), cp: false },
            MemberError::Conflict { id: 2, address: "127.0.0.1:7102".to_owned(), role: "CP member" },
        ),
        (
            MemberCommand::Add { id: 4, address: "127.0.0.1:7101".to_owned(), cp: true },
            MemberError::AddressTaken { id: 4, address: "127.0.0.1:7101".to_owned(), other: 1 },
        ),
        (MemberCommand::MarkUp { id: 9 }, MemberError::Unknown { id: 9 }),
        (MemberCommand::Leave { id: 9 }, MemberError::Unknown { id: 9 }),
        (
            MemberCommand::MarkRemoved { id: 1 },
            MemberError::WrongState { id: 1, state: MemberState::Up, wanted: MemberState::Removed },
        ),
    ];
    for (command, error) in cases {
        assert_eq!(table.apply(&command), Err(error.clone()), "{command:?}");
        assert_eq!(table, before, "{command:?} left the table as it was");
        assert!(!error.to_string().is_empty());
    }
}

#[test]
fn a_member_leaves_then_is_removed_and_its_id_is_never_reused() {
    let mut table = seeded();
    assert_eq!(table.apply(&MemberCommand::Leave { id: 2 }), Ok(TableChange::Changed));
    assert_eq!(table.get(2), Some(&record("127.0.0.1:7102", true, MemberState::Leaving)));
    assert_eq!(table.cp_voters().keys().copied().collect::<Vec<_>>(), vec![1, 3]);
    assert_eq!(table.apply(&MemberCommand::Leave { id: 2 }), Ok(TableChange::Unchanged));
    assert_eq!(
        table.apply(&MemberCommand::MarkUp { id: 2 }),
        Err(MemberError::WrongState { id: 2, state: MemberState::Leaving, wanted: MemberState::Up })
    );
    assert_eq!(table.apply(&MemberCommand::MarkRemoved { id: 2 }), Ok(TableChange::Changed));
    assert_eq!(table.get(2), Some(&record("127.0.0.1:7102", true, MemberState::Removed)));
    assert_eq!(table.apply(&MemberCommand::MarkRemoved { id: 2 }), Ok(TableChange::Unchanged));
    assert_eq!(table.apply(&MemberCommand::Leave { id: 2 }), Ok(TableChange::Unchanged));
    assert_eq!(
        table.apply(&MemberCommand::Add { id: 2, address: "127.0.0.1:7102".to_owned(), cp: true }),
        Err(MemberError::Removed { id: 2 })
    );
    // The address of a removed member is free again, under a new id.
    assert_eq!(
        table.apply(&MemberCommand::Add { id: 7, address: "127.0.0.1:7102".to_owned(), cp: true }),
        Ok(TableChange::Changed)
    );
    assert_eq!(table.addresses().keys().copied().collect::<Vec<_>>(), vec![1, 3, 7]);
}

#[test]
fn the_last_cp_member_cannot_leave() {
    let mut table = seeded();
    assert_eq!(table.apply(&MemberCommand::Leave { id: 1 }), Ok(TableChange::Changed));
    assert_eq!(table.apply(&MemberCommand::Leave { id: 2 }), Ok(TableChange::Changed));
    let before = table.clone();
    assert_eq!(table.apply(&MemberCommand::Leave { id: 3 }), Err(MemberError::LastCpMember { id: 3 }));
    assert_eq!(table, before);
}

#[test]
fn the_table_round_trips_through_the_codec() {
    let mut table = seeded();
    table.apply(&MemberCommand::Add { id: 4, address: "h:4".to_owned(), cp: false }).unwrap();
    let bytes = crate::codec::encode(&table).unwrap();
    let back: MemberTable = crate::codec::decode(&bytes, "member table").unwrap();
    assert_eq!(back, table);
}

#[test]
fn an_up_member_goes_down_and_comes_back_and_stays_a_cp_voter_meanwhile() {
    let mut table = seeded();
    assert_eq!(table.apply(&MemberCommand::MarkDown { id: 2 }), Ok(TableChange::Changed));
    assert_eq!(table.get(2), Some(&record("127.0.0.1:7102", true, MemberState::Down)));
    // A failure detector's verdict never changes a quorum.
    assert_eq!(table.cp_voters().keys().copied().collect::<Vec<_>>(), vec![1, 2, 3]);
    assert_eq!(table.addresses().keys().copied().collect::<Vec<_>>(), vec![1, 2, 3]);
    assert_eq!(table.apply(&MemberCommand::MarkDown { id: 2 }), Ok(TableChange::Unchanged));
    // Down is not Joining: the admin flow's MarkUp does not bring it back.
    assert_eq!(
        table.apply(&MemberCommand::MarkUp { id: 2 }),
        Err(MemberError::WrongState { id: 2, state: MemberState::Down, wanted: MemberState::Up })
    );
    assert_eq!(table.apply(&MemberCommand::MarkAlive { id: 2 }), Ok(TableChange::Changed));
    assert_eq!(table.get(2), Some(&record("127.0.0.1:7102", true, MemberState::Up)));
    assert_eq!(table.apply(&MemberCommand::MarkAlive { id: 2 }), Ok(TableChange::Unchanged));
    assert_eq!(table.apply(&MemberCommand::MarkAlive { id: 9 }), Err(MemberError::Unknown { id: 9 }));
}

#[test]
fn only_up_members_are_marked_down_and_a_down_member_may_be_removed() {
    let mut table = seeded();
    table.apply(&MemberCommand::Add { id: 4, address: "h:4".to_owned(), cp: true }).unwrap();
    // A joining (or leaving) member belongs to the admin flow that is changing it.
    assert_eq!(
        table.apply(&MemberCommand::MarkDown { id: 4 }),
        Err(MemberError::WrongState { id: 4, state: MemberState::Joining, wanted: MemberState::Down })
    );
    assert_eq!(
        table.apply(&MemberCommand::MarkAlive { id: 4 }),
        Err(MemberError::WrongState { id: 4, state: MemberState::Joining, wanted: MemberState::Up })
    );
    // A member that died for good is taken out as any other.
    table.apply(&MemberCommand::MarkDown { id: 3 }).unwrap();
    assert_eq!(table.apply(&MemberCommand::Leave { id: 3 }), Ok(TableChange::Changed));
    assert_eq!(table.get(3).map(|r| r.state), Some(MemberState::Leaving));
    assert_eq!(
        table.apply(&MemberCommand::MarkDown { id: 3 }),
        Err(MemberError::WrongState { id: 3, state: MemberState::Leaving, wanted: MemberState::Down })
    );
}

#[test]
fn a_table_with_a_down_member_round_trips_and_older_encodings_still_decode() {
    // The bytes of a seeded three-member table as the build before `Down` wrote them
    // (format version 3, three entries, each: id, address, cp, state Up = variant 1): the
    // variant was appended, so they decode to the same table, and encode the same.
    let before = seeded();
    let mut old = vec![3u8, 3];
    for id in 1..=3u8 {
        old.extend([id, 14]);
        old.extend(format!("127.0.0.1:710{id}").bytes());
        old.extend([1, 1]);
    }
    assert_eq!(crate::codec::encode(&before).unwrap(), old);
    let mut table: MemberTable = crate::codec::decode(&old, "member table").unwrap();
    assert_eq!(table, before);
    table.apply(&MemberCommand::MarkDown { id: 1 }).unwrap();
    let bytes = crate::codec::encode(&table).unwrap();
    let back: MemberTable = crate::codec::decode(&bytes, "member table").unwrap();
    assert_eq!(back, table);
}
