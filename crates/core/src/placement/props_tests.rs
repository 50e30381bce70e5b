//! Properties of placement: determinism, balance, minimal movement, bounded moves, and
//! no silent recreation of a lost partition.

use std::collections::{BTreeMap, BTreeSet};

use proptest::prelude::*;

use super::table_tests::{settle, up};
use super::*;
use crate::codec;

fn member_sets() -> impl Strategy<Value = BTreeSet<u64>> {
    proptest::collection::btree_set(1u64..=u64::MAX, 3..=10)
}

fn settled(members: &BTreeSet<u64>) -> PartitionTable {
    let ids: Vec<u64> = members.iter().copied().collect();
    let t = PartitionTable::new(PlacementConfig::default()).unwrap().with_members(&up(&ids)).unwrap();
    assert!(t.table.is_settled());
    t.table
}

fn owners(table: &PartitionTable) -> Vec<Option<u64>> {
    table.iter().map(|(_, entry)| entry.state.holder()).collect()
}

/// One step of a random history.
#[derive(Clone, Debug)]
enum Op {
    /// The member is (or comes back) Up.
    Up(u64),
    /// The member starts leaving.
    Leave(u64),
    /// The member goes Down.
    Down(u64),
    /// The member disappears from the view.
    Remove(u64),
    /// The n-th running move (mod their count) finishes.
    Finish(usize),
    /// A completion for partition n with epoch e arrives (mostly stale).
    Stray(u32, u64),
}

fn ops() -> impl Strategy<Value = Vec<Op>> {
    let member = 1u64..=6;
    let op = prop_oneof![
        3 => member.clone().prop_map(Op::Up),
        1 => member.clone().prop_map(Op::Leave),
        1 => member.clone().prop_map(Op::Down),
        1 => member.prop_map(Op::Remove),
        6 => any::<usize>().prop_map(Op::Finish),
        1 => (0u32..40, 0u64..8).prop_map(|(p, e)| Op::Stray(p, e)),
    ];
    proptest::collection::vec(op, 1..60)
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(128))]

    /// The ring and the table depend on the member set only, never on the order members
    /// were given in: every node computes the same bytes.
    #[test]
    fn same_members_same_table_whatever_the_order(members in member_sets(), seed in any::<u64>()) {
        let ids: Vec<u64> = members.iter().copied().collect();
        let mut shuffled = ids.clone();
        // A deterministic shuffle driven by the seed.
        let mut state = seed | 1;
        for i in (1..shuffled.len()).rev() {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            shuffled.swap(i, (state % (i as u64 + 1)) as usize);
        }
        prop_assert_eq!(Ring::new(ids.clone(), DEFAULT_VNODES), Ring::new(shuffled.clone(), DEFAULT_VNODES));
        let mut a = BTreeMap::new();
        for id in &ids { a.insert(*id, Liveness::Up); }
        let mut b = BTreeMap::new();
        for id in &shuffled { b.insert(*id, Liveness::Up); }
        let empty = PartitionTable::new(PlacementConfig::default()).unwrap();
        let ta = empty.with_members(&a).unwrap();
        let tb = empty.with_members(&b).unwrap();
        prop_assert_eq!(codec::encode(&ta.table).unwrap(), codec::encode(&tb.table).unwrap());
        prop_assert_eq!(ta.effects, tb.effects);
    }

    /// Every member owns between BALANCE_MIN and BALANCE_MAX times the mean.
    #[test]
    fn every_member_owns_within_the_balance_bound(members in member_sets()) {
        let table = settled(&members);
        let mean = f64::from(table.partitions()) / members.len() as f64;
        for member in &members {
            let owned = table.owned_count(*member) as f64;
            prop_assert!(owned <= BALANCE_MAX * mean, "member {} owns {} (mean {:.1})", member, owned, mean);
            prop_assert!(owned >= BALANCE_MIN * mean, "member {} owns {} (mean {:.1})", member, owned, mean);
        }
    }

    /// A join moves partitions only to the new member, and only those the ring now gives
    /// it; no partition moves between two old members.
    #[test]
    fn a_join_moves_only_to_the_joining_member(members in member_sets(), new in 1u64..=u64::MAX) {
        prop_assume!(!members.contains(&new));
        let before = settled(&members);
        let mut ids: Vec<u64> = members.iter().copied().collect();
        ids.push(new);
        let t = before.with_members(&up(&ids)).unwrap();
        for effect in &t.effects {
            prop_assert!(matches!(effect, PlacementEffect::StartMove { to, .. } if *to == new), "{:?}", effect);
        }
        for (_, from, to) in t.table.pending() {
            prop_assert_eq!(to, new);
            prop_assert!(members.contains(&from));
        }
        let (after, _) = settle(t.table);
        for ((old, now), n) in owners(&before).into_iter().zip(owners(&after)).zip(0u32..) {
            prop_assert!(old == now || now == Some(new), "partition {} moved {:?} -> {:?}", n, old, now);
        }
        prop_assert_eq!(after.owned_count(new), (0..after.partitions())
            .filter(|p| after.ring().primary(PartitionId(*p), after.partitions()) == Some(new)).count());
    }

    /// A graceful leave moves only the leaver's partitions, and then it may go; a Down
    /// member's partitions (and only those) become Lost, naming it.
    #[test]
    fn a_leave_or_a_down_touches_only_that_members_partitions(members in member_sets(), pick in any::<usize>()) {
        let before = settled(&members);
        let gone = *members.iter().nth(pick % members.len()).unwrap();
        let mut view: BTreeMap<u64, Liveness> = members.iter().map(|m| (*m, Liveness::Up)).collect();

        view.insert(gone, Liveness::Leaving);
        let leaving = before.with_members(&view).unwrap();
        for effect in &leaving.effects {
            prop_assert!(matches!(effect, PlacementEffect::StartMove { from, .. } if *from == gone), "{:?}", effect);
        }
        prop_assert!(!leaving.table.may_leave(gone) || before.owned_count(gone) == 0);
        let (after, _) = settle(leaving.table);
        prop_assert!(after.may_leave(gone));
        for (old, now) in owners(&before).into_iter().zip(owners(&after)) {
            prop_assert!(old == now || old == Some(gone));
            prop_assert!(now != Some(gone));
        }

        view.insert(gone, Liveness::Down);
        let down = before.with_members(&view).unwrap();
        for ((_, entry), old) in down.table.iter().zip(owners(&before)) {
            if old == Some(gone) {
                prop_assert_eq!(entry.state, PartitionState::Lost { last_owner: gone });
            } else {
                prop_assert_eq!(entry.state.holder(), old);
            }
        }
        for effect in &down.effects {
            prop_assert!(matches!(effect, PlacementEffect::Lost { last_owner, .. } if *last_owner == gone), "{:?}", effect);
        }
    }

    /// Over any history of views and completions: never more than max_in_flight moves run;
    /// every holder is alive; a lost partition only ever goes back to its last owner; a
    /// partition is created empty only if nobody ever held it; moves go to desired owners.
    #[test]
    fn any_history_keeps_the_invariants(
        history in ops(),
        max_in_flight in 1u32..=4,
        partitions in 1u32..=40,
        vnodes in 1u32..=32,
    ) {
        let config = PlacementConfig { partitions, vnodes, factor: 1, max_in_flight };
        let mut table = PartitionTable::new(config).unwrap();
        let mut view: BTreeMap<u64, Liveness> = BTreeMap::new();
        let mut ever_held = vec![false; partitions as usize];
        for op in history {
            let before = table.clone();
            let effects = match op {
                Op::Up(m) | Op::Leave(m) | Op::Down(m) | Op::Remove(m) => {
                    match op {
                        Op::Up(_) => { view.insert(m, Liveness::Up); }
                        Op::Leave(_) => { view.insert(m, Liveness::Leaving); }
                        Op::Down(_) => { view.insert(m, Liveness::Down); }
                        _ => { view.remove(&m); }
                    }
                    let t = table.with_members(&view).unwrap();
                    prop_assert_eq!(t.table.ring_epoch(), before.ring_epoch() + u64::from(t.changed));
                    prop_assert_eq!(t.table.version(), before.version() + u64::from(t.changed));
                    table = t.table;
                    t.effects
                }
                Op::Finish(n) => {
                    let running = table.in_flight();
                    if running.is_empty() { continue; }
                    let (p, _, to, epoch) = running[n % running.len()];
                    match table.move_done(p, epoch) {
                        MoveDone::Finished(t) => {
                            table = t.table;
                            prop_assert_eq!(table.owner(p), Ok(to));
                            prop_assert_eq!(table.version(), before.version() + 1);
                            t.effects
                        }
                        MoveDone::Ignored(why) => return Err(TestCaseError::fail(format!("{why:?}"))),
                    }
                }
                Op::Stray(p, epoch) => match table.move_done(PartitionId(p), epoch) {
                    MoveDone::Finished(t) => { table = t.table; t.effects }
                    MoveDone::Ignored(_) => Vec::new(),
                },
            };
            let alive = |m: u64| matches!(view.get(&m), Some(Liveness::Up | Liveness::Leaving));
            prop_assert!(table.in_flight().len() <= max_in_flight as usize);
            for effect in &effects {
                if let PlacementEffect::Create { partition, .. } = effect {
                    prop_assert!(!ever_held[partition.0 as usize], "{} recreated empty", partition);
                }
            }
            for ((partition, entry), old) in table.iter().zip(before.iter().map(|(_, e)| e.state)) {
                match entry.state {
                    PartitionState::Owned { owner } => prop_assert!(alive(owner)),
                    PartitionState::Moving { from, to, .. } => {
                        prop_assert!(alive(from));
                        prop_assert_eq!(entry.desired_owner(), Some(to));
                    }
                    PartitionState::Lost { last_owner } => prop_assert!(!alive(last_owner)),
                    PartitionState::Unassigned => prop_assert!(!ever_held[partition.0 as usize]),
                }
                if let PartitionState::Lost { last_owner } = old {
                    // Still lost, or back with (and served by) the member that held it.
                    let back = entry.state.holder() == Some(last_owner);
                    prop_assert!(
                        back || entry.state == PartitionState::Lost { last_owner },
                        "{} lost on {} became {:?}", partition, last_owner, entry.state
                    );
                }
                if entry.state.holder().is_some() {
                    ever_held[partition.0 as usize] = true;
                }
            }
            // Encoded and decoded, the table is the same.
            let back: PartitionTable = codec::decode(&codec::encode(&table).unwrap(), "partition table").unwrap();
            prop_assert_eq!(&back, &table);
        }
        // With no more view changes, finishing every move settles the table.
        let (end, _) = settle(table);
        prop_assert!(end.is_settled());
    }
}
