//! The node's background blob pass: every [`MAINTENANCE_EVERY`], each blob that an object of
//! a bucket in one of this member's groups references, and that this member's store lacks, is
//! fetched from a peer; and each blob nothing references, and that was neither stored nor
//! refreshed for [`ObjectLimits::collect_after`](crate::object::ObjectLimits::collect_after),
//! is deleted. So a member that was down during a put, or lost its blob directory, comes to
//! hold every object's bytes again, and the bytes of overwritten, deleted and expired objects
//! (and of puts that lost their race) are collected.
//!
//! Why a deletion is safe: a put stores its bytes (or refreshes bytes already stored) before
//! its commit, and a commit later than `upload_window` after the put began is refused by the
//! bucket (`upload_expired`, stamped by the same clock that began it). The pass first brings
//! every group of this member past a read barrier (`cp/node_barrier.rs`): it applies
//! everything the group's leader had committed when it last confirmed its leadership with a
//! quorum, so every entry of an earlier leadership that can still commit is in the state it
//! reads the references from. An entry it cannot see yet is one the current leader proposed
//! less than a window after the put began, so its bytes were stored or refreshed less than
//! two windows ago and are kept. The pass deletes nothing unless the metadata group and every
//! group it lists passed the barrier on this member: a group that is not running here, or
//! whose leader cannot be reached, might reference any blob. A deletion re-checks the age
//! under the store's write gate, so a put that refreshes a blob between the listing and the
//! deletion keeps it. What is assumed: a leader's proposal is replicated within a window of
//! being proposed, and the members' clocks run at nearly the same rate (their offsets do not
//! matter: each age is measured on one member's clock).

use std::collections::BTreeSet;
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::Duration;

use coterie_api::convert::METADATA_GROUP;
use coterie_core::Structure;
use coterie_storage::blob::BlobHash;

use super::Inner;
use crate::cp::CpNode;
use crate::object::Maintained;

/// How often the pass runs.
pub const MAINTENANCE_EVERY: Duration = Duration::from_secs(10);

/// How long one fetch from a peer may take.
const FETCH_TIMEOUT: Duration = Duration::from_secs(30);

/// How long one group's read barrier may take.
const BARRIER_TIMEOUT: Duration = Duration::from_secs(5);

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

/// Brings `node`, this member's replica of `group`, past the group's read barrier: asks the
/// leader (itself, or over the wire) for its read index and waits until it applied that far.
pub(super) async fn barrier(inner: &Inner, group: &str, node: &CpNode) -> Result<(), String> {
    let index = match node.leader() {
        Some((leader, _)) if leader == node.id() => {
            node.read_index(BARRIER_TIMEOUT).await.map_err(|err| err.to_string())?
        }
        Some((leader, _)) => inner.peers.read_index(leader, group, BARRIER_TIMEOUT).await?,
        None => return Err(format!("group {group:?} has no leader")),
    };
    node.wait_applied(index, BARRIER_TIMEOUT).await.map_err(|err| err.to_string())
}

/// Whether every group that might reference a blob stored here passed its barrier: the
/// metadata group first (its applied state lists the others), then every listed group, each
/// of which must be running here.
async fn every_group_settled(inner: &Inner) -> bool {
    let running = inner.running();
    let Some((_, metadata)) = running.iter().find(|(name, _)| name == METADATA_GROUP) else { return false };
    if barrier(inner, METADATA_GROUP, metadata).await.is_err() {
        return false;
    }
    let registered = inner.registered_groups();
    for group in &registered {
        let Some((_, node)) = running.iter().find(|(name, _)| name == group) else { return false };
        if barrier(inner, group, node).await.is_err() {
            return false;
        }
    }
    // A group started but not (yet) listed: settle it too, or collect nothing.
    for (name, node) in &running {
        if name != METADATA_GROUP && !registered.contains(name) && barrier(inner, name, node).await.is_err() {
            return false;
        }
    }
    true
}

/// One pass: fetches what is missing and, when every group settled, collects what nothing
/// references. Answers what it did; `deleted` stays 0 when the pass could not collect.
pub(super) async fn pass(inner: &Inner) -> Maintained {
    if inner.running().is_empty() {
        return Maintained::default();
    }
    let collect = every_group_settled(inner).await;
    let (blobs, peers) = referenced(inner);
    let grace = if collect { inner.config.object_limits.collect_after() } else { Duration::MAX };
    inner.blobs.maintain(blobs, &peers, grace, FETCH_TIMEOUT).await.unwrap_or_default()
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
