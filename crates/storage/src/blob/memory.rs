//! Blobs in memory, for tests, `coterie dev` and embedding without a data directory.

use std::collections::BTreeMap;
use std::ops::Range;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::SystemTime;

use super::{BlobError, BlobHash, BlobInfo, BlobStore, check_range};

/// Each blob's bytes and when it was stored.
type Blobs = BTreeMap<BlobHash, (Arc<[u8]>, SystemTime)>;

/// A [`BlobStore`] in a `BTreeMap`; clones share the same blobs.
#[derive(Clone, Debug, Default)]
pub struct MemoryBlobStore {
    blobs: Arc<Mutex<Blobs>>,
}

impl MemoryBlobStore {
    /// An empty store.
    pub fn new() -> Self {
        Self::default()
    }

    fn blobs(&self) -> MutexGuard<'_, Blobs> {
        // A panic while holding the lock cannot leave the map half-updated: every update is one
        // insert or remove.
        self.blobs.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Replaces the stored bytes of `hash` without changing its name: for tests of what readers
    /// do with a damaged copy.
    #[doc(hidden)]
    pub fn corrupt(&self, hash: &BlobHash, bytes: &[u8]) {
        if let Some(entry) = self.blobs().get_mut(hash) {
            entry.0 = Arc::from(bytes);
        }
    }
}

impl BlobStore for MemoryBlobStore {
    fn put(&self, bytes: &[u8]) -> Result<BlobHash, BlobError> {
        let hash = BlobHash::of(bytes);
        let now = SystemTime::now();
        self.blobs().entry(hash).and_modify(|entry| entry.1 = now).or_insert_with(|| (Arc::from(bytes), now));
        Ok(hash)
    }

    fn replace(&self, expected: BlobHash, bytes: &[u8]) -> Result<(), BlobError> {
        let actual = BlobHash::of(bytes);
        if actual != expected {
            return Err(BlobError::Corrupt { expected, actual });
        }
        self.blobs().insert(actual, (Arc::from(bytes), SystemTime::now()));
        Ok(())
    }

    fn info(&self, hash: &BlobHash) -> Result<Option<BlobInfo>, BlobError> {
        Ok(self.blobs().get(hash).map(|(bytes, stored_at)| BlobInfo {
            hash: *hash,
            len: bytes.len() as u64,
            stored_at: *stored_at,
        }))
    }

    fn read(&self, hash: &BlobHash, range: Range<u64>) -> Result<Vec<u8>, BlobError> {
        let bytes =
            self.blobs().get(hash).map(|(bytes, _)| Arc::clone(bytes)).ok_or(BlobError::NotFound { hash: *hash })?;
        check_range(hash, &range, bytes.len() as u64)?;
        let (Ok(start), Ok(end)) = (usize::try_from(range.start), usize::try_from(range.end)) else {
            return Err(BlobError::OutOfRange {
                hash: *hash,
                start: range.start,
                end: range.end,
                len: bytes.len() as u64,
            });
        };
        Ok(bytes.get(start..end).map(<[u8]>::to_vec).unwrap_or_default())
    }

    fn touch(&self, hash: &BlobHash) -> Result<bool, BlobError> {
        Ok(self.blobs().get_mut(hash).map(|entry| entry.1 = SystemTime::now()).is_some())
    }

    fn delete(&self, hash: &BlobHash) -> Result<bool, BlobError> {
        Ok(self.blobs().remove(hash).is_some())
    }

    fn list(&self) -> Result<Vec<BlobInfo>, BlobError> {
        Ok(self
            .blobs()
            .iter()
            .map(|(hash, (bytes, stored_at))| BlobInfo { hash: *hash, len: bytes.len() as u64, stored_at: *stored_at })
            .collect())
    }
}
