//! The node's background blob pass: every [`MAINTENANCE_EVERY`], each blob that an object of
//! a bucket in one of this member's applied groups references, and that this member's store
//! lacks, is fetched from a peer. So a member that was down during a put, or that lost its
//! blob directory, comes to hold every object's bytes again, and an object keeps a copy on
//! every voter, not only on the majority its put reached.
//!
//! Not done here yet: collecting unreferenced blobs (the pass plans no deletion). A safe
//! collector must know that no entry still to be applied references a blob, which an applied
//! state alone cannot tell (a put's metadata may commit after its bytes were stored, even long
//! after, if its leader lost its quorum meanwhile); it needs upload intents recorded in the
//! bucket first. Until then the bytes of overwritten and deleted objects stay on disk.

use std::collections::BTreeSet;
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::Duration;

use coterie_core::Structure;
use coterie_storage::blob::BlobHash;

use super::Inner;

/// How often the pass runs.
pub const MAINTENANCE_EVERY: Duration = Duration::from_secs(10);

/// How long one fetch from a peer may take.
const FETCH_TIMEOUT: Duration = Duration::from_secs(30);

/// Every blob the buckets of this member's running groups reference, and every voter of
/// those groups (whom to fetch from).
fn referenced(inner: &Inner) -> (BTreeSet<BlobHash>, BTreeSet<u64>) {
    let (mut blobs, mut peers) = (BTreeSet::new(), BTreeSet::new());
    for (_, node) in inner.running() {
        peers.extend(node.membership().0.into_iter().flatten());
        node.with_group(|group| {
            for name in group.names() {
                if let Some(Structure::Bucket(bucket)) = group.structure(name) {
                    blobs.extend(bucket.referenced_blobs().into_iter().map(BlobHash));
                }
            }
        });
    }
    (blobs, peers)
}

/// One pass: fetches what is missing; returns how many blobs were fetched.
pub(super) async fn pass(inner: &Inner) -> usize {
    let (blobs, peers) = referenced(inner);
    if blobs.is_empty() {
        return 0;
    }
    // The longest grace: nothing is collected (see the module docs).
    match inner.blobs.repair(blobs, &peers, FETCH_TIMEOUT).await {
        Ok(done) => done.fetched,
        Err(_) => 0,
    }
}

/// Runs [`pass`] every [`MAINTENANCE_EVERY`] until the node stops.
pub(super) async fn run(inner: Arc<Inner>) {
    loop {
        tokio::time::sleep(MAINTENANCE_EVERY).await;
        if inner.stopping.load(Ordering::SeqCst) {
            return;
        }
        pass(&inner).await;
    }
}
