//! Names and keys to partitions: xxh3 with one fixed seed.
//!
//! These functions decide where data lives, so their results must never change between
//! releases: a changed hash would send every request of an upgraded node to the wrong
//! partition. `hash_tests::pinned_values` pins concrete results so an accidental change
//! (another seed, another byte layout, another hash crate version) breaks the build.
//!
//! Inputs are framed unambiguously: a one-byte domain tag (whole structure, shard, key,
//! ring point) and length-prefixed names, so that no two different inputs
//! of different domains hash the same bytes. `std`'s `DefaultHasher` is never used: its
//! algorithm is unspecified and may change with any Rust release.

use xxhash_rust::xxh3::xxh3_64_with_seed;

use super::{PartitionId, PlacementError};
use crate::kind::Kind;

/// The seed of every placement hash ("coterie" in ASCII, then a version byte 1). Changing
/// it moves every structure: never change it in a running cluster's release line.
pub const PLACEMENT_SEED: u64 = 0x636f_7465_7269_6501;

const TAG_NAME: u8 = 0;
const TAG_SHARD: u8 = 1;
const TAG_KEY: u8 = 2;
pub(super) const TAG_VNODE: u8 = 3;

/// xxh3-64 of `parts` concatenated, with [`PLACEMENT_SEED`].
pub(super) fn hash_parts(parts: &[&[u8]]) -> u64 {
    let mut bytes = Vec::with_capacity(parts.iter().map(|part| part.len()).sum());
    for part in parts {
        bytes.extend_from_slice(part);
    }
    xxh3_64_with_seed(&bytes, PLACEMENT_SEED)
}

/// `hash % n` as a `u32`; `n` must not be 0 (callers check).
fn reduce(hash: u64, n: u32) -> u32 {
    // The remainder is below `n`, so it fits a u32.
    u32::try_from(hash % u64::from(n.max(1))).unwrap_or(0)
}

fn name_len(name: &str) -> [u8; 8] {
    u64::try_from(name.len()).unwrap_or(u64::MAX).to_le_bytes()
}

fn check(partitions: u32) -> Result<(), PlacementError> {
    if partitions == 0 {
        return Err(PlacementError::Config(crate::config::ConfigError::new(
            "PlacementConfig::partitions",
            partitions,
            "it must be at least 1",
        )));
    }
    Ok(())
}

/// The partition of a whole-structure kind's structure `name` (a Queue, a Lock, a
/// Semaphore, a Barrier: one state for the whole structure), among `partitions`.
pub fn partition_of_name(name: &str, partitions: u32) -> Result<PartitionId, PlacementError> {
    check(partitions)?;
    Ok(PartitionId(reduce(hash_parts(&[&[TAG_NAME], &name_len(name), name.as_bytes()]), partitions)))
}

/// Which of a structure's `shards` (numbered from 0) `key` belongs to. The same key lands
/// in the same shard whatever the structure; [`partition_of_shard`] then mixes in the name.
pub fn shard_of_key(key: &[u8], shards: u32) -> Result<u32, PlacementError> {
    if shards == 0 {
        return Err(PlacementError::ZeroShards);
    }
    Ok(reduce(hash_parts(&[&[TAG_KEY], key]), shards))
}

/// The partition of shard `shard` of structure `name`, among `partitions`.
pub fn partition_of_shard(name: &str, shard: u32, partitions: u32) -> Result<PartitionId, PlacementError> {
    check(partitions)?;
    Ok(PartitionId(reduce(
        hash_parts(&[&[TAG_SHARD], &name_len(name), name.as_bytes(), &shard.to_le_bytes()]),
        partitions,
    )))
}

/// The partition of `key` in per-key structure `name` of `shards` shards: key → shard →
/// partition.
pub fn partition_of_key(name: &str, key: &[u8], shards: u32, partitions: u32) -> Result<PartitionId, PlacementError> {
    let shard = shard_of_key(key, shards)?;
    partition_of_shard(name, shard, partitions)
}

/// The framed shard hash, for tests of the framing.
#[cfg(test)]
pub(super) fn hash_parts_for_tests(name: &str, shard: u32) -> u64 {
    hash_parts(&[&[TAG_SHARD], &name_len(name), name.as_bytes(), &shard.to_le_bytes()])
}

/// How a kind's state is spread over partitions.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Layout {
    /// One state for the whole structure, in [`partition_of_name`]'s partition.
    Whole,
    /// One state per key; a key lives in one of the structure's `shards`, each shard in a
    /// partition ([`partition_of_key`]). Map and Set.
    PerKey {
        /// How many shards the structure has.
        shards: u32,
    },
    /// One state per shard, the structure's name choosing the shard as seed 000 routes a
    /// structure's entity: `shard_of_key(name)`, then [`partition_of_shard`]. Counter.
    PerShard {
        /// How many shards the structure has.
        shards: u32,
    },
}

impl Layout {
    /// The layout of a sharded structure of `kind` with `shards` shards.
    pub fn of(kind: Kind, shards: u32) -> Layout {
        match kind {
            Kind::Map | Kind::Set => Layout::PerKey { shards },
            Kind::Counter => Layout::PerShard { shards },
            _ => Layout::Whole,
        }
    }

    /// The partition that serves structure `name` (and, for [`Layout::PerKey`], `key`;
    /// other layouts ignore it) among `partitions`.
    pub fn partition(self, name: &str, key: &[u8], partitions: u32) -> Result<PartitionId, PlacementError> {
        match self {
            Layout::Whole => partition_of_name(name, partitions),
            Layout::PerKey { shards } => partition_of_key(name, key, shards, partitions),
            Layout::PerShard { shards } => partition_of_key(name, name.as_bytes(), shards, partitions),
        }
    }
}
