use std::collections::BTreeMap;

use super::*;

/// Primary counts per member over `partitions` partitions.
pub(super) fn primaries(ring: &Ring, partitions: u32) -> BTreeMap<u64, u32> {
    let mut counts: BTreeMap<u64, u32> = ring.members().iter().map(|m| (*m, 0)).collect();
    for p in 0..partitions {
        if let Some(owner) = ring.primary(PartitionId(p), partitions) {
            *counts.entry(owner).or_default() += 1;
        }
    }
    counts
}

/// A deterministic stream of member ids (splitmix64), standing in for random ids.
fn ids(seed: u64, n: usize) -> Vec<u64> {
    let mut state = seed;
    (0..n)
        .map(|_| {
            state = state.wrapping_add(0x9e37_79b9_7f4a_7c15);
            let mut z = state;
            z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
            z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
            (z ^ (z >> 31)).max(1)
        })
        .collect()
}

/// The figures quoted in the module docs: max/mean and min/mean of primary counts over
/// 271 partitions, 3..=10 members, 2000 member-id sets per size.
#[test]
#[ignore = "measurement: cargo test -p coterie-core measure_balance -- --ignored --nocapture"]
fn measure_balance() {
    for vnodes in [32u32, 64, 128, 256] {
        let (mut worst, mut sum, mut sets, mut worst_min) = (0f64, 0f64, 0u32, f64::MAX);
        for members in 3..=10usize {
            for seed in 0..2000u64 {
                let ring = Ring::new(ids(seed * 1000 + members as u64, members), vnodes);
                let counts = primaries(&ring, DEFAULT_PARTITIONS);
                let mean = f64::from(DEFAULT_PARTITIONS) / members as f64;
                let max = f64::from(*counts.values().max().unwrap());
                let min = f64::from(*counts.values().min().unwrap());
                worst = worst.max(max / mean);
                worst_min = worst_min.min(min / mean);
                sum += max / mean;
                sets += 1;
            }
        }
        println!(
            "vnodes {vnodes}: worst max/mean {worst:.3}, mean max/mean {:.3}, worst min/mean {worst_min:.3}",
            sum / f64::from(sets)
        );
    }
    // Part 2's concern: all `factor` = 3 replicas (appearances in preference lists), and how
    // many distinct members receive a leaving member's partitions.
    for vnodes in [64u32, 128, 256] {
        let (mut worst, mut sum, mut sets) = (0f64, 0f64, 0u32);
        let (mut receivers_min, mut receivers_sum, mut leaves) = (usize::MAX, 0usize, 0usize);
        for members in 3..=10usize {
            for seed in 0..500u64 {
                let ids = ids(seed * 1000 + members as u64, members);
                let ring = Ring::new(ids.clone(), vnodes);
                let mut counts: BTreeMap<u64, u32> = BTreeMap::new();
                for p in 0..DEFAULT_PARTITIONS {
                    for m in ring.preference_list(PartitionId(p), DEFAULT_PARTITIONS, 3) {
                        *counts.entry(m).or_default() += 1;
                    }
                }
                let mean = f64::from(3 * DEFAULT_PARTITIONS) / members as f64;
                let max = f64::from(*counts.values().max().unwrap());
                worst = worst.max(max / mean);
                sum += max / mean;
                sets += 1;
                let gone = ids[0];
                let after = Ring::new(ids[1..].to_vec(), vnodes);
                let receivers: std::collections::BTreeSet<u64> = (0..DEFAULT_PARTITIONS)
                    .filter(|p| ring.primary(PartitionId(*p), DEFAULT_PARTITIONS) == Some(gone))
                    .filter_map(|p| after.primary(PartitionId(p), DEFAULT_PARTITIONS))
                    .collect();
                if members == 10 {
                    receivers_min = receivers_min.min(receivers.len());
                    receivers_sum += receivers.len();
                    leaves += 1;
                }
            }
        }
        println!(
            "vnodes {vnodes}, factor 3: worst max/mean {worst:.3}, mean max/mean {:.3}; a leaver of 10 hands to {:.2} members on average, {receivers_min} at least",
            sum / f64::from(sets),
            receivers_sum as f64 / leaves as f64
        );
    }
    for members in 3..=10u64 {
        let counts = primaries(&Ring::new(1..=members, DEFAULT_VNODES), DEFAULT_PARTITIONS);
        println!("ids 1..={members}: {:?}", counts.values().collect::<Vec<_>>());
    }
}

#[test]
fn preference_lists_are_distinct_members_primary_first_and_capped() {
    let ring = Ring::new([7, 3, 5], DEFAULT_VNODES);
    assert_eq!(ring.members(), &[3, 5, 7]);
    for p in 0..DEFAULT_PARTITIONS {
        let list = ring.preference_list(PartitionId(p), DEFAULT_PARTITIONS, 2);
        assert_eq!(list.len(), 2);
        assert_ne!(list[0], list[1]);
        assert_eq!(ring.primary(PartitionId(p), DEFAULT_PARTITIONS), Some(list[0]));
        // Asking for more members than there are gives all of them, once each.
        let mut all = ring.preference_list(PartitionId(p), DEFAULT_PARTITIONS, 5);
        assert_eq!(all[..2], list[..]);
        all.sort_unstable();
        assert_eq!(all, vec![3, 5, 7]);
    }
}

#[test]
fn an_empty_ring_names_nobody() {
    for ring in [Ring::new([], DEFAULT_VNODES), Ring::new([1, 2], 0)] {
        assert!(ring.is_empty());
        assert_eq!(ring.preference_list(PartitionId(0), DEFAULT_PARTITIONS, 3), Vec::<u64>::new());
        assert_eq!(ring.primary(PartitionId(270), DEFAULT_PARTITIONS), None);
        // Out-of-range partitions and a partition count of 0 do not panic either.
        assert_eq!(ring.primary(PartitionId(u32::MAX), 0), None);
    }
    let one = Ring::new([9], 1);
    assert_eq!(one.preference_list(PartitionId(u32::MAX), 0, 3), vec![9]);
    assert_eq!(one.preference_list(PartitionId(0), DEFAULT_PARTITIONS, 0), Vec::<u64>::new());
}

#[test]
fn the_ring_ignores_member_order_and_duplicates() {
    let a = Ring::new([1, 2, 3, 4], 64);
    let b = Ring::new([4, 2, 2, 3, 1, 4], 64);
    assert_eq!(a, b);
}

/// Pinned: the owners of a few partitions on the default ring of members 1..=3. A change
/// here moves data in running clusters; it must never happen by accident.
#[test]
fn pinned_owners_on_the_default_ring() {
    let ring = Ring::new(1..=3, DEFAULT_VNODES);
    let owners: Vec<u64> =
        [0u32, 1, 2, 100, 270].iter().map(|p| ring.primary(PartitionId(*p), DEFAULT_PARTITIONS).unwrap()).collect();
    assert_eq!(owners, vec![2, 1, 2, 1, 1]);
    let counts = primaries(&ring, DEFAULT_PARTITIONS);
    assert_eq!(counts.values().copied().collect::<Vec<_>>(), vec![90, 96, 85]);
}
