//! The vnode ring: members' virtual nodes at xxh3 points, partitions at xxh3 positions,
//! preference lists clockwise.

use std::collections::BTreeSet;

use super::hash::{TAG_VNODE, hash_parts};
use super::{MAX_VNODES, PartitionId};

/// A consistent-hash ring over a set of member ids: each member has `vnodes` points at
/// `xxh3(member id, vnode index)`; partition `p` of `P` sits at `p × 2⁶⁴ / P` and its
/// preference list is the first distinct members clockwise from there.
///
/// Built from a set, so the order members are given in never matters; points that collide
/// are ordered by member id, so every node builds the same ring.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Ring {
    /// `(point, member)`, sorted.
    pub(super) points: Vec<(u64, u64)>,
    /// The distinct members, sorted.
    members: Vec<u64>,
    vnodes: u32,
}

impl Ring {
    /// The ring of `members` (duplicates ignored) with `vnodes` points each (at most
    /// [`MAX_VNODES`]: a larger count is taken as that). With no members, or `vnodes = 0`,
    /// the ring is empty and every preference list is empty.
    pub fn new(members: impl IntoIterator<Item = u64>, vnodes: u32) -> Ring {
        let vnodes = vnodes.min(MAX_VNODES);
        let members: BTreeSet<u64> = members.into_iter().collect();
        let mut points = Vec::with_capacity(members.len().saturating_mul(vnodes as usize));
        for &member in &members {
            for vnode in 0..vnodes {
                points.push((vnode_point(member, vnode), member));
            }
        }
        points.sort_unstable();
        let members = if vnodes == 0 { Vec::new() } else { members.into_iter().collect() };
        Ring { points, members, vnodes }
    }

    /// The members on the ring, ascending.
    pub fn members(&self) -> &[u64] {
        &self.members
    }

    /// Whether the ring has no members.
    pub fn is_empty(&self) -> bool {
        self.points.is_empty()
    }

    /// Virtual nodes per member.
    pub fn vnodes(&self) -> u32 {
        self.vnodes
    }

    /// The first `factor` distinct members clockwise from `partition`'s position among
    /// `partitions`, primary first; fewer if the ring has fewer members, none if it is empty.
    pub fn preference_list(&self, partition: PartitionId, partitions: u32, factor: usize) -> Vec<u64> {
        self.preference_list_at(partition_position(partition, partitions), factor)
    }

    /// The primary (first member clockwise) of `partition` among `partitions`, if the ring
    /// has members.
    pub fn primary(&self, partition: PartitionId, partitions: u32) -> Option<u64> {
        self.preference_list(partition, partitions, 1).first().copied()
    }

    fn preference_list_at(&self, position: u64, factor: usize) -> Vec<u64> {
        let wanted = factor.min(self.members.len());
        let mut list = Vec::with_capacity(wanted);
        if wanted == 0 {
            return list;
        }
        let start = self.points.partition_point(|&(point, _)| point < position);
        let (after, before) = (self.points.get(start..).unwrap_or(&[]), self.points.get(..start).unwrap_or(&[]));
        for &(_, member) in after.iter().chain(before) {
            if !list.contains(&member) {
                list.push(member);
                if list.len() == wanted {
                    break;
                }
            }
        }
        list
    }
}

/// Where member `member`'s virtual node `vnode` sits on the ring.
fn vnode_point(member: u64, vnode: u32) -> u64 {
    hash_parts(&[&[TAG_VNODE], &member.to_le_bytes(), &vnode.to_le_bytes()])
}

/// Where `partition` sits on the ring of a cluster of `partitions`: evenly spaced,
/// `partition × 2⁶⁴ / partitions`. Even spacing balances better than hashed positions
/// (measured: see the module docs) and depends on nothing that can change.
pub(super) fn partition_position(partition: PartitionId, partitions: u32) -> u64 {
    let position = (u128::from(partition.0) << 64) / u128::from(partitions.max(1));
    u64::try_from(position).unwrap_or(u64::MAX)
}
