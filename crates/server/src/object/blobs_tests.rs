//! [`Blobs`] over in-process stores: copies reach a majority or the write fails saying how
//! many it reached, reads repair a missing or damaged local copy from a peer, and a
//! maintenance pass fetches what is referenced and collects what is not.

use std::collections::BTreeSet;
use std::sync::Arc;
use std::time::Duration;

use coterie_storage::blob::{BlobHash, BlobStore, MemoryBlobStore};
use tokio::time::Instant;

use super::{Blobs, BlobsError, LocalBlobWire, Maintained};

struct Members {
    wire: LocalBlobWire,
    stores: Vec<MemoryBlobStore>,
}

impl Members {
    fn new(n: u64) -> Self {
        let wire = LocalBlobWire::new();
        let stores: Vec<_> = (1..=n).map(|_| MemoryBlobStore::new()).collect();
        for (id, store) in (1..=n).zip(&stores) {
            wire.add(id, Arc::new(store.clone()));
        }
        Members { wire, stores }
    }

    fn blobs(&self, id: u64) -> Blobs {
        let store = self.stores[usize::try_from(id - 1).unwrap()].clone();
        Blobs::new(id, Arc::new(store), Arc::new(self.wire.clone()))
    }

    fn holders(&self, hash: &BlobHash) -> Vec<u64> {
        (1..).zip(&self.stores).filter(|(_, store)| store.contains(hash).unwrap()).map(|(id, _)| id).collect()
    }
}

fn voters(ids: &[u64]) -> Vec<BTreeSet<u64>> {
    vec![ids.iter().copied().collect()]
}

fn soon() -> Instant {
    Instant::now() + Duration::from_secs(5)
}

/// Lets the copies that go on in the background finish (they are ready futures in process).
async fn settle() {
    for _ in 0..100 {
        tokio::task::yield_now().await;
    }
}

#[tokio::test]
async fn a_blob_reaches_every_reachable_voter_and_is_durable_with_two_of_three() {
    let members = Members::new(3);
    members.wire.set_reachable(3, false);
    let hash = members.blobs(1).replicate(Arc::from(&b"object bytes"[..]), voters(&[1, 2, 3]), soon()).await.unwrap();
    assert_eq!(hash, BlobHash::of(b"object bytes"));
    settle().await;
    assert_eq!(members.holders(&hash), vec![1, 2]);
}

#[tokio::test]
async fn with_two_of_three_unreachable_the_write_fails_saying_how_far_it_got() {
    let members = Members::new(3);
    members.wire.set_reachable(2, false);
    members.wire.set_reachable(3, false);
    let err = members.blobs(1).replicate(Arc::from(&b"x"[..]), voters(&[1, 2, 3]), soon()).await.unwrap_err();
    let BlobsError::NotDurable { needed, got, failures } = &err else { panic!("{err:?}") };
    assert_eq!((*needed, *got), (2, 1));
    assert!(failures.contains("member 2: member 2 is unreachable"), "{failures}");
    assert!(err.to_string().contains("nothing was written"), "{err}");
}

#[tokio::test]
async fn a_member_that_missed_the_write_reads_from_a_peer_and_keeps_a_copy() {
    let members = Members::new(3);
    members.wire.set_reachable(3, false);
    let hash = members.blobs(1).replicate(Arc::from(&b"0123456789"[..]), voters(&[1, 2, 3]), soon()).await.unwrap();
    members.wire.set_reachable(3, true);
    let all: BTreeSet<u64> = [1, 2, 3].into();
    let third = members.blobs(3);
    assert_eq!(third.read(hash, Some(2..5), &all, Duration::from_secs(1)).await.unwrap(), b"234");
    assert!(members.stores[2].contains(&hash).unwrap(), "read repair kept a copy");
    assert_eq!(third.read(hash, None, &all, Duration::from_secs(1)).await.unwrap(), b"0123456789");
}

#[tokio::test]
async fn a_damaged_local_copy_is_replaced_by_a_peers_intact_one() {
    let members = Members::new(3);
    let hash = members.blobs(1).replicate(Arc::from(&b"intact"[..]), voters(&[1, 2, 3]), soon()).await.unwrap();
    settle().await;
    members.stores[0].corrupt(&hash, b"broken");
    members.stores[1].corrupt(&hash, b"broken");
    let all: BTreeSet<u64> = [1, 2, 3].into();
    // Member 2's copy is damaged too: it is skipped, member 3's is used.
    assert_eq!(members.blobs(1).read(hash, None, &all, Duration::from_secs(1)).await.unwrap(), b"intact");
    assert_eq!(members.stores[0].get(&hash).unwrap(), b"intact");
}

#[tokio::test]
async fn a_blob_no_member_has_is_unavailable_and_a_bad_range_is_out_of_range() {
    let members = Members::new(2);
    let all: BTreeSet<u64> = [1, 2].into();
    let missing = BlobHash::of(b"never written");
    let err = members.blobs(1).read(missing, None, &all, Duration::from_secs(1)).await.unwrap_err();
    assert!(matches!(err, BlobsError::Unavailable { .. }), "{err:?}");
    assert!(err.to_string().contains("member 2: does not store it"), "{err}");
    let hash = members.blobs(1).replicate(Arc::from(&b"abc"[..]), voters(&[1, 2]), soon()).await.unwrap();
    let err = members.blobs(1).read(hash, Some(1..9), &all, Duration::from_secs(1)).await.unwrap_err();
    assert!(err.to_string().contains("bytes 1..9 are not inside"), "{err}");
}

#[tokio::test]
async fn maintenance_fetches_referenced_blobs_and_collects_unreferenced_ones() {
    let members = Members::new(2);
    members.wire.set_reachable(2, false);
    let kept = members.blobs(1).replicate(Arc::from(&b"kept"[..]), voters(&[1]), soon()).await.unwrap();
    let dropped = members.blobs(1).replicate(Arc::from(&b"dropped"[..]), voters(&[1]), soon()).await.unwrap();
    members.wire.set_reachable(2, true);
    let all: BTreeSet<u64> = [1, 2].into();
    let referenced: BTreeSet<_> = [kept].into();
    // Member 2 has neither: it fetches the referenced one only.
    let second = members.blobs(2).maintain(referenced.clone(), &all, Duration::ZERO, Duration::from_secs(1)).await;
    assert_eq!(second.unwrap(), Maintained { fetched: 1, unavailable: 0, deleted: 0 });
    assert_eq!(members.holders(&kept), vec![1, 2]);
    // A long grace keeps the unreferenced one; none collects it.
    let first = members.blobs(1);
    let kept_all = first.maintain(referenced.clone(), &all, Duration::from_secs(3_600), Duration::from_secs(1)).await;
    assert_eq!(kept_all.unwrap(), Maintained::default());
    let collected = first.maintain(referenced, &all, Duration::ZERO, Duration::from_secs(1)).await;
    assert_eq!(collected.unwrap(), Maintained { fetched: 0, unavailable: 0, deleted: 1 });
    assert_eq!(members.holders(&dropped), Vec::<u64>::new());
    assert_eq!(members.holders(&kept), vec![1, 2]);
}

#[tokio::test]
async fn touching_refreshes_a_majority_and_fails_when_too_few_members_still_store_the_blobs() {
    let members = Members::new(3);
    let one = members.blobs(1).replicate(Arc::from(&b"part one"[..]), voters(&[1, 2, 3]), soon()).await.unwrap();
    let two = members.blobs(1).replicate(Arc::from(&b"part two"[..]), voters(&[1, 2, 3]), soon()).await.unwrap();
    settle().await;
    let before = members.stores[1].info(&one).unwrap().unwrap().stored_at;
    members.blobs(1).touch(vec![one, two], voters(&[1, 2, 3]), soon()).await.unwrap();
    settle().await;
    let after = members.stores[1].info(&one).unwrap().unwrap().stored_at;
    assert!(after >= before, "a peer's copy is refreshed: {after:?} < {before:?}");
    // Two members lose part two: a member counts only if it stores every blob, so one of
    // three is not a majority, and the caller learns it before committing anything.
    members.stores[1].delete(&two).unwrap();
    members.stores[2].delete(&two).unwrap();
    let refused = members.blobs(1).touch(vec![one, two], voters(&[1, 2, 3]), soon()).await.unwrap_err();
    assert!(matches!(refused, BlobsError::NotDurable { needed: 2, got: 1, .. }), "{refused:?}");
    assert!(refused.to_string().contains("lacks 1 of the 2 blobs"), "{refused}");
}
