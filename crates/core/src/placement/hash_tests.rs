use super::*;
use crate::kind::Kind;

/// Pinned: concrete results of every placement hash. If this test fails, the hash changed
/// (seed, framing, crate version) and every running cluster would misroute: restore it.
#[test]
fn pinned_values() {
    assert_eq!(PLACEMENT_SEED, 0x636f_7465_7269_6501);
    assert_eq!(partition_of_name("deploy-lock", DEFAULT_PARTITIONS).unwrap(), PartitionId(98));
    assert_eq!(partition_of_name("work-queue", DEFAULT_PARTITIONS).unwrap(), PartitionId(20));
    assert_eq!(partition_of_name("", DEFAULT_PARTITIONS).unwrap(), PartitionId(118));
    assert_eq!(shard_of_key(b"alice", DEFAULT_SHARDS).unwrap(), 97);
    assert_eq!(shard_of_key(b"", DEFAULT_SHARDS).unwrap(), 76);
    assert_eq!(partition_of_shard("users", 0, DEFAULT_PARTITIONS).unwrap(), PartitionId(55));
    assert_eq!(partition_of_shard("users", 99, DEFAULT_PARTITIONS).unwrap(), PartitionId(76));
    assert_eq!(partition_of_key("users", b"alice", DEFAULT_SHARDS, DEFAULT_PARTITIONS).unwrap(), PartitionId(229));
    assert_eq!(
        Layout::of(Kind::Counter, DEFAULT_SHARDS).partition("page-views", b"", DEFAULT_PARTITIONS).unwrap(),
        PartitionId(257)
    );
}

#[test]
fn zero_partitions_and_zero_shards_are_refused() {
    assert!(matches!(partition_of_name("x", 0), Err(PlacementError::Config(_))));
    assert!(matches!(partition_of_shard("x", 0, 0), Err(PlacementError::Config(_))));
    assert_eq!(shard_of_key(b"k", 0), Err(PlacementError::ZeroShards));
    assert_eq!(partition_of_key("x", b"k", 0, DEFAULT_PARTITIONS), Err(PlacementError::ZeroShards));
    let err = Layout::PerKey { shards: 0 }.partition("m", b"k", DEFAULT_PARTITIONS).unwrap_err();
    assert!(err.to_string().contains("0 shards"), "{err}");
}

#[test]
fn results_stay_in_range() {
    for (i, partitions) in [1u32, 2, 7, DEFAULT_PARTITIONS, u32::MAX].into_iter().enumerate() {
        let name = format!("structure-{i}");
        assert!(partition_of_name(&name, partitions).unwrap().0 < partitions);
        for shard in [0, 1, u32::MAX] {
            assert!(partition_of_shard(&name, shard, partitions).unwrap().0 < partitions);
        }
        for shards in [1u32, 3, u32::MAX] {
            assert!(shard_of_key(name.as_bytes(), shards).unwrap() < shards);
        }
    }
    assert_eq!(partition_of_name("anything", 1).unwrap(), PartitionId(0));
    assert_eq!(shard_of_key(b"anything", 1).unwrap(), 0);
}

#[test]
fn layouts_follow_the_kind() {
    assert_eq!(Layout::of(Kind::Map, 10), Layout::PerKey { shards: 10 });
    assert_eq!(Layout::of(Kind::Set, 10), Layout::PerKey { shards: 10 });
    assert_eq!(Layout::of(Kind::Counter, 10), Layout::PerShard { shards: 10 });
    for kind in [Kind::Queue, Kind::Lock, Kind::Semaphore, Kind::Barrier] {
        assert_eq!(Layout::of(kind, 10), Layout::Whole);
    }
    // A whole structure ignores the key; a per-key one does not.
    let whole = Layout::Whole;
    assert_eq!(whole.partition("q", b"a", 271), whole.partition("q", b"b", 271));
    assert_eq!(whole.partition("q", b"", 271), partition_of_name("q", 271));
    let per_key = Layout::PerKey { shards: 100 };
    assert_eq!(per_key.partition("m", b"alice", 271), partition_of_key("m", b"alice", 100, 271));
    // A counter lives in the shard its name picks.
    let counter = Layout::PerShard { shards: 50 };
    let shard = shard_of_key(b"page-views", 50).unwrap();
    assert_eq!(counter.partition("page-views", b"ignored", 271), partition_of_shard("page-views", shard, 271));
}

#[test]
fn framing_separates_names_from_shards() {
    // Name "ab" shard s and name "a" + bytes are framed by length: no accidental equality
    // across a spread of inputs (a smoke check, not a proof).
    let mut seen = std::collections::BTreeSet::new();
    for name in ["a", "ab", "abc", "b", "ba"] {
        for shard in 0..4u32 {
            assert!(seen.insert(super::hash::hash_parts_for_tests(name, shard)), "{name} {shard}");
        }
    }
}

#[test]
fn keys_spread_over_shards_and_shards_over_partitions() {
    let mut shard_counts = vec![0u32; DEFAULT_SHARDS as usize];
    for i in 0..10_000u32 {
        shard_counts[shard_of_key(&i.to_le_bytes(), DEFAULT_SHARDS).unwrap() as usize] += 1;
    }
    // 100 per shard expected; a fair hash stays well inside 50..150.
    assert!(shard_counts.iter().all(|c| (50..150).contains(c)), "{shard_counts:?}");
    let used: std::collections::BTreeSet<_> =
        (0..DEFAULT_SHARDS).map(|s| partition_of_shard("users", s, DEFAULT_PARTITIONS).unwrap()).collect();
    // 100 shards over 271 partitions: most land on distinct partitions (expected ≈ 83).
    assert!(used.len() > 70, "{}", used.len());
}
