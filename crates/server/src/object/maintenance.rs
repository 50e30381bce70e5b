//! What a member does to its blob store in the background: fetch the blobs its applied
//! buckets reference but it lacks (a member that was down during a put, or lost its disk),
//! and delete the blobs nothing references any more.
//!
//! Pure: [`plan`] compares the referenced set with the store's listing. A blob is deleted only
//! when no applied bucket references it *and* it was stored at least the grace period ago,
//! because a put stores its bytes before the metadata commit that references them (and a
//! lagging replica applies that commit later still): the grace must outlast the longest put.
//! A put of bytes already stored refreshes their stored time (`BlobStore::put`), so a blob
//! about to be referenced again is never old.

use std::collections::BTreeSet;
use std::time::{Duration, SystemTime};

use coterie_storage::blob::{BlobHash, BlobInfo};

/// What one maintenance pass does.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Plan {
    /// Referenced blobs missing here: fetch from a peer.
    pub fetch: Vec<BlobHash>,
    /// Unreferenced blobs stored at least the grace period ago: delete.
    pub delete: Vec<BlobHash>,
}

/// The pass for a store listing `stored`, when the applied buckets reference `referenced`, at
/// `now`, keeping unreferenced blobs for `grace`.
pub fn plan(referenced: &BTreeSet<BlobHash>, stored: &[BlobInfo], now: SystemTime, grace: Duration) -> Plan {
    let have: BTreeSet<BlobHash> = stored.iter().map(|info| info.hash).collect();
    let fetch = referenced.difference(&have).copied().collect();
    let delete = stored
        .iter()
        .filter(|info| !referenced.contains(&info.hash))
        // A stored time in the future (a clock stepped back) counts as new: keep it.
        .filter(|info| now.duration_since(info.stored_at).is_ok_and(|age| age >= grace))
        .map(|info| info.hash)
        .collect();
    Plan { fetch, delete }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn info(byte: u8, age_secs: u64, now: SystemTime) -> BlobInfo {
        BlobInfo { hash: BlobHash([byte; 32]), len: 1, stored_at: now - Duration::from_secs(age_secs) }
    }

    #[test]
    fn missing_referenced_blobs_are_fetched_and_only_old_unreferenced_ones_deleted() {
        let now = SystemTime::UNIX_EPOCH + Duration::from_secs(1_000_000);
        let grace = Duration::from_secs(3_600);
        let referenced: BTreeSet<_> = [BlobHash([1; 32]), BlobHash([2; 32])].into();
        let stored = vec![
            info(1, 10_000, now), // referenced: kept however old
            info(3, 10_000, now), // unreferenced and old: deleted
            info(4, 60, now),     // unreferenced but young (a put in flight): kept
            info(5, 3_599, now),  // just under the grace: kept
            BlobInfo { stored_at: now + Duration::from_secs(5), ..info(6, 0, now) }, // future: kept
        ];
        let plan = plan(&referenced, &stored, now, grace);
        assert_eq!(plan.fetch, vec![BlobHash([2; 32])]);
        assert_eq!(plan.delete, vec![BlobHash([3; 32])]);
    }

    #[test]
    fn nothing_to_do_when_the_store_matches_the_references() {
        let now = SystemTime::UNIX_EPOCH + Duration::from_secs(1_000_000);
        let referenced: BTreeSet<_> = [BlobHash([1; 32])].into();
        assert_eq!(plan(&referenced, &[info(1, 5, now)], now, Duration::from_secs(1)), Plan::default());
    }
}
