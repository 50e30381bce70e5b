use std::collections::BTreeMap;

use super::*;
use crate::codec;

pub(super) fn view(members: &[(u64, Liveness)]) -> BTreeMap<u64, Liveness> {
    members.iter().copied().collect()
}

pub(super) fn up(ids: &[u64]) -> BTreeMap<u64, Liveness> {
    ids.iter().map(|id| (*id, Liveness::Up)).collect()
}

pub(super) fn apply(table: &PartitionTable, members: &BTreeMap<u64, Liveness>) -> Transition {
    table.with_members(members).unwrap()
}

/// Finishes every move, in partition order, until none runs; returns the table and every
/// effect on the way.
pub(super) fn settle(mut table: PartitionTable) -> (PartitionTable, Vec<PlacementEffect>) {
    let mut effects = Vec::new();
    while let Some((partition, _, _, epoch)) = table.in_flight().first().copied() {
        match table.move_done(partition, epoch) {
            MoveDone::Finished(t) => {
                effects.extend(t.effects);
                table = t.table;
            }
            MoveDone::Ignored(why) => panic!("{why:?}"),
        }
    }
    (table, effects)
}

fn cluster(ids: &[u64]) -> PartitionTable {
    let t = apply(&PartitionTable::new(PlacementConfig::default()).unwrap(), &up(ids));
    assert!(t.table.is_settled());
    t.table
}

fn p(n: u32) -> PartitionId {
    PartitionId(n)
}

#[test]
fn a_new_table_has_no_owners_and_says_why() {
    let table = PartitionTable::new(PlacementConfig::default()).unwrap();
    assert_eq!((table.ring_epoch(), table.version()), (0, 0));
    assert_eq!(table.partitions(), 271);
    assert_eq!(table.state(p(0)), Ok(PartitionState::Unassigned));
    assert_eq!(table.owner(p(5)), Err(PlacementError::Unassigned { partition: p(5) }));
    assert_eq!(table.owner(p(271)), Err(PlacementError::UnknownPartition { partition: p(271), partitions: 271 }));
    assert!(table.owner_of(Layout::Whole, "q", b"").is_err());
    // No member up: still nothing to assign, but the view is recorded.
    let t = apply(&table, &view(&[(1, Liveness::Leaving)]));
    assert!(t.changed);
    assert_eq!(t.effects, vec![]);
    assert_eq!(t.table.state(p(0)), Ok(PartitionState::Unassigned));
}

#[test]
fn bad_settings_are_refused_with_typed_errors() {
    for config in [
        PlacementConfig { partitions: 0, ..PlacementConfig::default() },
        PlacementConfig { vnodes: 0, ..PlacementConfig::default() },
        PlacementConfig { factor: 0, ..PlacementConfig::default() },
        PlacementConfig { max_in_flight: 0, ..PlacementConfig::default() },
        PlacementConfig { partitions: MAX_PARTITIONS + 1, ..PlacementConfig::default() },
    ] {
        let err = PartitionTable::new(config).unwrap_err();
        assert!(matches!(err, PlacementError::Config(_)), "{err}");
    }
    let err = PartitionTable::new(PlacementConfig { partitions: 0, ..PlacementConfig::default() }).unwrap_err();
    assert_eq!(
        err.to_string(),
        "invalid configuration: PlacementConfig::partitions is 0; it must be from 1 to 65536 (the default is 271)"
    );
    let table = PartitionTable::new(PlacementConfig::default()).unwrap();
    assert_eq!(table.with_members(&up(&[0, 1])), Err(PlacementError::ZeroMemberId));
}

#[test]
fn first_members_create_every_partition_empty_at_its_desired_owner() {
    let table = PartitionTable::new(PlacementConfig::default()).unwrap();
    let t = apply(&table, &up(&[3, 1, 2]));
    assert_eq!((t.table.ring_epoch(), t.table.version()), (1, 1));
    let ring = Ring::new([1, 2, 3], DEFAULT_VNODES);
    let expected: Vec<PlacementEffect> = (0..271)
        .map(|n| PlacementEffect::Create { partition: p(n), owner: ring.primary(p(n), 271).unwrap() })
        .collect();
    assert_eq!(t.effects, expected);
    for n in 0..271 {
        let owner = ring.primary(p(n), 271).unwrap();
        assert_eq!(t.table.owner(p(n)), Ok(owner));
        assert_eq!(t.table.replicas(p(n)), Ok(&[owner][..]));
    }
    assert!(t.table.is_settled());
    assert_eq!(t.table.up_members(), vec![1, 2, 3]);
    // The same view again changes nothing, not even the epoch.
    let again = apply(&t.table, &up(&[1, 2, 3]));
    assert!(!again.changed);
    assert_eq!(again.effects, vec![]);
    assert_eq!(again.table, t.table);
}

#[test]
fn a_join_moves_only_to_the_new_member_at_most_max_in_flight_at_a_time() {
    let before = cluster(&[1, 2, 3]);
    let t = apply(&before, &up(&[1, 2, 3, 4]));
    assert_eq!(t.table.ring_epoch(), 2);
    let ring = Ring::new([1, 2, 3, 4], DEFAULT_VNODES);
    let planned: Vec<(PartitionId, u64)> =
        (0..271).map(p).filter(|&n| ring.primary(n, 271) == Some(4)).map(|n| (n, before.owner(n).unwrap())).collect();
    assert!(planned.len() > 8, "{}", planned.len());
    let started: Vec<PlacementEffect> = planned[..8]
        .iter()
        .map(|&(partition, from)| PlacementEffect::StartMove { partition, from, to: 4, epoch: 2 })
        .collect();
    assert_eq!(t.effects, started);
    assert_eq!(t.table.in_flight().len(), 8);
    let pending: Vec<(PartitionId, u64, u64)> = planned[8..].iter().map(|&(n, from)| (n, from, 4)).collect();
    assert_eq!(t.table.pending(), pending);
    // During the move the old owner serves.
    let (first, from) = planned[0];
    assert_eq!(t.table.owner(first), Ok(from));
    assert_eq!(t.table.state(first), Ok(PartitionState::Moving { from, to: 4, epoch: 2 }));

    // One completion switches the owner and starts the next queued move.
    let MoveDone::Finished(done) = t.table.move_done(first, 2) else { panic!() };
    let (ninth, ninth_from) = planned[8];
    assert_eq!(
        done.effects,
        vec![
            PlacementEffect::MoveFinished { partition: first, from, to: 4 },
            PlacementEffect::StartMove { partition: ninth, from: ninth_from, to: 4, epoch: 2 },
        ]
    );
    assert_eq!(done.table.owner(first), Ok(4));
    assert_eq!((done.table.ring_epoch(), done.table.version()), (2, t.table.version() + 1));
    assert_eq!(done.table.in_flight().len(), 8);

    let (settled, effects) = settle(done.table);
    assert!(settled.is_settled());
    assert_eq!(settled.owned_count(4), planned.len());
    let finished = effects.iter().filter(|e| matches!(e, PlacementEffect::MoveFinished { .. })).count();
    assert_eq!(finished, planned.len() - 1);
    for n in (0..271).map(p) {
        let expected = if ring.primary(n, 271) == Some(4) { 4 } else { before.owner(n).unwrap() };
        assert_eq!(settled.owner(n), Ok(expected));
    }
}

#[test]
fn stale_completions_are_ignored_and_say_why() {
    let t = apply(&cluster(&[1, 2, 3]), &up(&[1, 2, 3, 4]));
    let (moving, from, _, _) = t.table.in_flight()[0];
    assert_eq!(
        t.table.move_done(moving, 1),
        MoveDone::Ignored(StaleMove::WrongEpoch { partition: moving, running: 2, reported: 1 })
    );
    assert_eq!(t.table.move_done(p(271), 2), MoveDone::Ignored(StaleMove::UnknownPartition { partition: p(271) }));
    let MoveDone::Finished(done) = t.table.move_done(moving, 2) else { panic!() };
    // The same completion again: the move is over.
    assert_eq!(
        done.table.move_done(moving, 2),
        MoveDone::Ignored(StaleMove::NotMoving { partition: moving, state: PartitionState::Owned { owner: 4 } })
    );
    // A move cancelled by a later view: member 4 goes down before the move finished.
    let (other, other_from, _, _) = t.table.in_flight()[1];
    let down = apply(&t.table, &view(&[(1, Liveness::Up), (2, Liveness::Up), (3, Liveness::Up), (4, Liveness::Down)]));
    assert!(down.effects.contains(&PlacementEffect::CancelMove {
        partition: other,
        from: other_from,
        to: 4,
        epoch: 2
    }));
    assert_eq!(down.table.state(other), Ok(PartitionState::Owned { owner: other_from }));
    assert_eq!(
        down.table.move_done(other, 2),
        MoveDone::Ignored(StaleMove::NotMoving {
            partition: other,
            state: PartitionState::Owned { owner: other_from }
        })
    );
    assert_eq!(down.table.state(moving), Ok(PartitionState::Owned { owner: from }));
    assert!(down.table.is_settled());
}

#[test]
fn a_graceful_leave_moves_everything_off_the_member_before_it_may_go() {
    let before = cluster(&[1, 2, 3]);
    assert!(!before.may_leave(2));
    let leaving = view(&[(1, Liveness::Up), (2, Liveness::Leaving), (3, Liveness::Up)]);
    let t = apply(&before, &leaving);
    let on_two = before.owned_count(2);
    assert!(on_two > 8);
    assert!(t.effects.iter().all(|e| matches!(e, PlacementEffect::StartMove { from: 2, .. })));
    assert_eq!(t.effects.len(), 8);
    assert_eq!(t.table.lost(), vec![]);
    assert!(!t.table.may_leave(2));
    // Member 2 still serves what has not moved yet.
    assert_eq!(t.table.owned_count(2), on_two);
    let (settled, _) = settle(t.table);
    assert_eq!(settled.owned_count(2), 0);
    assert!(settled.may_leave(2));
    assert!(!settled.may_leave(1));
    let ring = Ring::new([1, 3], DEFAULT_VNODES);
    for n in (0..271).map(p) {
        assert_eq!(settled.owner(n).ok(), ring.primary(n, 271));
        if before.owner(n) != Ok(2) {
            assert_eq!(settled.owner(n), before.owner(n), "{n} moved between members that stay");
        }
    }
    // Then removed (absent from the view): nothing is lost, nothing moves.
    let gone = apply(&settled, &up(&[1, 3]));
    assert_eq!(gone.effects, vec![]);
    assert_eq!(gone.table.ring_epoch(), settled.ring_epoch() + 1);
}

#[test]
fn a_member_down_with_sole_copies_makes_them_lost_until_it_returns() {
    let before = cluster(&[1, 2, 3]);
    let mine: Vec<PartitionId> = (0..271).map(p).filter(|&n| before.owner(n) == Ok(3)).collect();
    let down = view(&[(1, Liveness::Up), (2, Liveness::Up), (3, Liveness::Down)]);
    let t = apply(&before, &down);
    let lost: Vec<PlacementEffect> =
        mine.iter().map(|&partition| PlacementEffect::Lost { partition, last_owner: 3 }).collect();
    assert_eq!(t.effects, lost, "lost, and nothing created or moved in their place");
    assert_eq!(t.table.lost(), mine.iter().map(|&n| (n, 3)).collect::<Vec<_>>());
    let err = t.table.owner(mine[0]).unwrap_err();
    assert_eq!(err, PlacementError::Lost { partition: mine[0], last_owner: 3 });
    assert!(err.to_string().contains("restart member 3"), "{err}");
    // The ring wants them elsewhere, but nobody else ever takes them.
    assert!(t.table.replicas(mine[0]).unwrap()[0] != 3);
    assert_eq!(t.table.pending(), vec![]);
    assert!(!t.table.may_leave(3));
    // Partitions of the live members stay where they are.
    for n in (0..271).map(p).filter(|n| !mine.contains(n)) {
        assert_eq!(t.table.owner(n), before.owner(n));
    }

    // Member 3 returns with its journal: every lost partition is its again.
    let back = apply(&t.table, &up(&[1, 2, 3]));
    let recovered: Vec<PlacementEffect> =
        mine.iter().map(|&partition| PlacementEffect::Recovered { partition, owner: 3 }).collect();
    assert_eq!(back.effects, recovered);
    assert_eq!(back.table.ring_epoch(), 3);
    assert!(back.table.is_settled());
    for n in (0..271).map(p) {
        assert_eq!(back.table.owner(n), before.owner(n));
    }
}

#[test]
fn a_source_down_mid_move_loses_the_partition_and_cancels_the_move() {
    let t = apply(&cluster(&[1, 2]), &up(&[1, 2, 3]));
    let (partition, from, to, epoch) = t.table.in_flight()[0];
    assert_eq!(to, 3);
    let mut members = up(&[1, 2, 3]);
    members.insert(from, Liveness::Down);
    let down = apply(&t.table, &members);
    assert_eq!(
        down.effects.iter().filter(|e| e.partition() == partition).copied().collect::<Vec<_>>(),
        vec![
            PlacementEffect::CancelMove { partition, from, to, epoch },
            PlacementEffect::Lost { partition, last_owner: from }
        ]
    );
    assert_eq!(down.table.owner(partition), Err(PlacementError::Lost { partition, last_owner: from }));
    assert!(down.effects.iter().all(|e| !matches!(e, PlacementEffect::Create { .. })));
}

#[test]
fn losing_every_member_loses_every_partition_and_leaving_alone_keeps_them() {
    let before = cluster(&[1, 2]);
    let none = apply(&before, &BTreeMap::new());
    assert_eq!(none.table.lost().len(), 271);
    assert!(none.effects.iter().all(|e| matches!(e, PlacementEffect::Lost { .. })));
    // Every member leaving at once: nobody to move to, so the partitions stay put.
    let leaving = apply(&before, &view(&[(1, Liveness::Leaving), (2, Liveness::Leaving)]));
    assert_eq!(leaving.effects, vec![]);
    assert!(!leaving.table.may_leave(1) && !leaving.table.may_leave(2));
    assert_eq!(leaving.table.owner(p(0)), before.owner(p(0)));
    assert_eq!(leaving.table.replicas(p(0)), Ok(&[][..]));
}

#[test]
fn a_small_table_pinned_in_full() {
    let config = PlacementConfig { partitions: 6, vnodes: 16, factor: 2, max_in_flight: 1 };
    let t = apply(&PartitionTable::new(config).unwrap(), &up(&[10, 20, 30]));
    let rows: Vec<(Vec<u64>, PartitionState)> = t.table.iter().map(|(_, e)| (e.replicas.clone(), e.state)).collect();
    use PartitionState::Owned;
    assert_eq!(
        rows,
        vec![
            (vec![30, 20], Owned { owner: 30 }),
            (vec![20, 30], Owned { owner: 20 }),
            (vec![10, 20], Owned { owner: 10 }),
            (vec![20, 30], Owned { owner: 20 }),
            (vec![10, 20], Owned { owner: 10 }),
            (vec![20, 30], Owned { owner: 20 }),
        ]
    );
    // Member 20 goes down: with one copy per partition (part 1), its partitions are lost
    // even though a second replica is listed; a join of 40 then moves one at a time.
    let down = apply(&t.table, &view(&[(10, Liveness::Up), (20, Liveness::Down), (30, Liveness::Up)]));
    assert_eq!(down.table.lost(), vec![(p(1), 20), (p(3), 20), (p(5), 20)]);
    let joined =
        apply(&down.table, &view(&[(10, Liveness::Up), (20, Liveness::Down), (30, Liveness::Up), (40, Liveness::Up)]));
    assert!(joined.table.in_flight().len() <= 1);
}

#[test]
fn the_table_round_trips_through_the_codec_and_refuses_malformed_bytes() {
    let t = apply(&cluster(&[1, 2, 3]), &up(&[1, 2, 3, 4]));
    let bytes = codec::encode(&t.table).unwrap();
    let back: PartitionTable = codec::decode(&bytes, "partition table").unwrap();
    assert_eq!(back, t.table);

    let small = PartitionTable::new(PlacementConfig { partitions: 2, ..PlacementConfig::default() }).unwrap();
    let mut broken = small.clone();
    broken.entries.pop();
    let err = codec::decode::<PartitionTable>(&codec::encode(&broken).unwrap(), "partition table").unwrap_err();
    assert!(err.to_string().contains("partition table"), "{err}");
    assert_eq!(
        broken.clone().checked(),
        Err(PlacementError::Malformed { reason: "1 entries for 2 partitions".to_owned() })
    );
    let mut zero = small.clone();
    zero.config.partitions = 0;
    zero.entries.clear();
    assert!(codec::decode::<PartitionTable>(&codec::encode(&zero).unwrap(), "partition table").is_err());
    assert!(matches!(zero.checked(), Err(PlacementError::Config(_))));
    let mut self_move = small.clone();
    self_move.entries[0].state = PartitionState::Moving { from: 1, to: 1, epoch: 0 };
    assert!(codec::decode::<PartitionTable>(&codec::encode(&self_move).unwrap(), "partition table").is_err());
    assert_eq!(
        self_move.checked(),
        Err(PlacementError::Malformed { reason: "partition 0 moves from member 1 to itself".to_owned() })
    );
    let mut too_many = small.clone();
    too_many.entries[1].replicas = vec![1, 2];
    assert!(matches!(too_many.checked(), Err(PlacementError::Malformed { .. })));
    let mut zero_member = small;
    zero_member.members.insert(0, Liveness::Up);
    assert_eq!(zero_member.checked(), Err(PlacementError::ZeroMemberId));
    // Arbitrary bytes never panic.
    for len in 0..64usize {
        let junk: Vec<u8> = (0..len).map(|i| (i * 37 % 251) as u8).collect();
        let _ = codec::decode::<PartitionTable>(&junk, "partition table");
    }
}

#[test]
fn only_an_explicit_acceptance_recreates_a_lost_partition_empty() {
    let before = cluster(&[1, 2]);
    let down = apply(&before, &view(&[(1, Liveness::Up), (2, Liveness::Down)]));
    let (lost, _) = down.table.lost()[0];
    let owned = (0..271).map(p).find(|n| before.owner(*n) == Ok(1)).unwrap();
    assert_eq!(down.table.accept_loss(owned), Err(PlacementError::NotLost { partition: owned, state: "owned" }));
    assert_eq!(
        down.table.accept_loss(p(999)),
        Err(PlacementError::UnknownPartition { partition: p(999), partitions: 271 })
    );
    let accepted = down.table.accept_loss(lost).unwrap();
    assert_eq!(accepted.effects, vec![PlacementEffect::Create { partition: lost, owner: 1 }]);
    assert_eq!(accepted.table.owner(lost), Ok(1));
    assert_eq!(accepted.table.ring_epoch(), down.table.ring_epoch());
    assert_eq!(accepted.table.version(), down.table.version() + 1);
    // When member 2 returns, the accepted partition stays with 1's new copy; the others
    // come back to 2.
    let back = apply(&accepted.table, &up(&[1, 2]));
    assert!(!back.effects.contains(&PlacementEffect::Recovered { partition: lost, owner: 2 }));
    assert_eq!(back.table.lost(), vec![]);
    // Nobody up: nothing to recreate it on.
    let all_down = apply(&before, &view(&[(1, Liveness::Down), (2, Liveness::Down)]));
    assert_eq!(all_down.table.accept_loss(p(0)), Err(PlacementError::NoMemberUp { partition: p(0) }));
}

#[test]
fn oversized_views_and_rings_are_refused_or_bounded() {
    let table = PartitionTable::new(PlacementConfig::default()).unwrap();
    let huge: BTreeMap<u64, Liveness> = (1..=(MAX_MEMBERS as u64 + 1)).map(|id| (id, Liveness::Down)).collect();
    assert_eq!(table.with_members(&huge), Err(PlacementError::TooManyMembers { count: MAX_MEMBERS + 1 }));
    assert_eq!(Ring::new([1], u32::MAX).vnodes(), MAX_VNODES);
}
