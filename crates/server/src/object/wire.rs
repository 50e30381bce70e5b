//! How a member sends blobs to the others and reads theirs: [`BlobWire`], over gRPC in a
//! node (`host/blob_client.rs`), in process in tests.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use coterie_storage::blob::{BlobHash, BlobStore};
use futures_util::future::BoxFuture;

/// Blob traffic between members. Errors are text: a failed call only means "this member did
/// not take (or give) the blob now", and the caller tries others.
pub trait BlobWire: Send + Sync {
    /// Asks `member` to store `data`, which hashes to `hash`, durably; within `timeout`.
    fn put(
        &self,
        member: u64,
        hash: BlobHash,
        data: Arc<[u8]>,
        timeout: Duration,
    ) -> BoxFuture<'static, Result<(), String>>;

    /// Asks `member` to refresh the stored time of each of `hashes` (see
    /// [`BlobStore::touch`]): whether it stores each, in order; within `timeout`.
    fn touch(
        &self,
        member: u64,
        hashes: Vec<BlobHash>,
        timeout: Duration,
    ) -> BoxFuture<'static, Result<Vec<bool>, String>>;

    /// Asks `member` for blob `hash`: `None` when it does not store it; within `timeout`.
    fn get(
        &self,
        member: u64,
        hash: BlobHash,
        timeout: Duration,
    ) -> BoxFuture<'static, Result<Option<Vec<u8>>, String>>;
}

/// Each member's store, and whether it is reachable.
type LocalMembers = BTreeMap<u64, (Arc<dyn BlobStore>, bool)>;

/// A [`BlobWire`] between stores in one process, for tests: each member is a store, and a
/// member can be made unreachable.
#[derive(Clone, Default)]
pub struct LocalBlobWire {
    members: Arc<Mutex<LocalMembers>>,
}

impl LocalBlobWire {
    /// A wire with no members yet.
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds member `id` with its store, reachable.
    pub fn add(&self, id: u64, store: Arc<dyn BlobStore>) {
        self.members.lock().unwrap_or_else(PoisonError::into_inner).insert(id, (store, true));
    }

    /// Makes member `id` reachable or not.
    pub fn set_reachable(&self, id: u64, reachable: bool) {
        if let Some(entry) = self.members.lock().unwrap_or_else(PoisonError::into_inner).get_mut(&id) {
            entry.1 = reachable;
        }
    }

    fn store(&self, id: u64) -> Result<Arc<dyn BlobStore>, String> {
        match self.members.lock().unwrap_or_else(PoisonError::into_inner).get(&id) {
            Some((store, true)) => Ok(Arc::clone(store)),
            Some((_, false)) => Err(format!("member {id} is unreachable")),
            None => Err(format!("member {id} is unknown")),
        }
    }
}

impl BlobWire for LocalBlobWire {
    fn put(&self, member: u64, hash: BlobHash, data: Arc<[u8]>, _: Duration) -> BoxFuture<'static, Result<(), String>> {
        let store = self.store(member);
        Box::pin(async move { store?.put_expecting(hash, &data).map_err(|err| err.to_string()) })
    }

    fn touch(&self, member: u64, hashes: Vec<BlobHash>, _: Duration) -> BoxFuture<'static, Result<Vec<bool>, String>> {
        let store = self.store(member);
        Box::pin(async move {
            let store = store?;
            hashes.iter().map(|hash| store.touch(hash).map_err(|err| err.to_string())).collect()
        })
    }

    fn get(&self, member: u64, hash: BlobHash, _: Duration) -> BoxFuture<'static, Result<Option<Vec<u8>>, String>> {
        let store = self.store(member);
        Box::pin(async move {
            let store = store?;
            match store.get(&hash) {
                Ok(bytes) => Ok(Some(bytes)),
                Err(coterie_storage::blob::BlobError::NotFound { .. }) => Ok(None),
                Err(err) => Err(err.to_string()),
            }
        })
    }
}
