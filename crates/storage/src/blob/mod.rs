//! Content-addressed blob storage: where an object's bytes live, apart from the Raft log.
//!
//! The object store (DESIGN.md §5) splits an object in two. Its *metadata* (key, ETag,
//! version, conditions, the list of parts) is a structure applied through a CP group's log, so
//! every conditional operation is one atomic apply. Its *bytes* are blobs named by their
//! SHA-256 ([`BlobHash`]), written to a majority of the group's members before the metadata
//! commit references them (Garage splits blocks and tables the same way). Keeping bytes out of
//! the log keeps entries small, so a 64 MiB object does not stall every other structure of the
//! group behind one huge append, and a snapshot does not carry every object's bytes.
//!
//! Why content addressing: a blob's name is its content, so writing one twice is harmless
//! (idempotent retries, copies and renames share the blob), a copy received from a peer is
//! checked by hashing it ([`BlobStore::put_expecting`]), and a corrupt blob is detected when
//! read whole ([`BlobStore::get`]).
//!
//! Two backends hold the same contract, checked by [`conformance`]:
//! [`FileBlobStore`] (one file per blob under a directory, written atomically and fsynced) and
//! [`MemoryBlobStore`] (tests, `dev`, embedding). The trait is synchronous, like
//! [`LogStore`](crate::LogStore): callers run it on a blocking thread.
//!
//! Collection of unreferenced blobs is the caller's: [`BlobStore::list`] reports when each
//! blob was stored, and the collector deletes those no metadata references and that are older
//! than a grace period (a blob written for a put whose metadata commit is still in flight is
//! referenced by nothing yet).

pub mod conformance;
mod file;
mod hash;
mod memory;

use std::ops::Range;
use std::time::SystemTime;

use thiserror::Error;

pub use file::FileBlobStore;
pub use hash::{BlobHash, ParseBlobHashError};
pub use memory::MemoryBlobStore;

/// What [`BlobStore::list`] reports about one stored blob.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct BlobInfo {
    /// The blob's name.
    pub hash: BlobHash,
    /// Its length in bytes.
    pub len: u64,
    /// When this store wrote it (the file's modification time on disk).
    pub stored_at: SystemTime,
}

/// An error from a [`BlobStore`].
#[derive(Debug, Error)]
pub enum BlobError {
    /// The store has no blob of this hash.
    #[error("blob {hash} is not stored on this member; read it from another member that holds it")]
    NotFound {
        /// The blob asked for.
        hash: BlobHash,
    },
    /// Bytes that were supposed to have one hash have another.
    #[error(
        "blob {expected} is corrupt: its bytes hash to {actual}; the copy was damaged in transit or on \
         disk: fetch it again from another member"
    )]
    Corrupt {
        /// The hash the bytes should have.
        expected: BlobHash,
        /// The hash they have.
        actual: BlobHash,
    },
    /// A range reaches past the blob's end or is reversed.
    #[error("bytes {start}..{end} are not inside blob {hash} of {len} bytes; ask for a range within the blob")]
    OutOfRange {
        /// The blob.
        hash: BlobHash,
        /// The range's first byte.
        start: u64,
        /// One past its last byte.
        end: u64,
        /// The blob's length.
        len: u64,
    },
    /// The file system refused an operation.
    #[error(
        "blob storage failed to {operation} {path}: {source}; check that the disk has free space and that \
         the data directory is readable and writable by this process"
    )]
    Io {
        /// What the store was doing, phrased to follow "failed to".
        operation: &'static str,
        /// The file or directory.
        path: String,
        /// The operating system's error.
        #[source]
        source: std::io::Error,
    },
}

/// A store of immutable blobs named by the SHA-256 of their bytes.
///
/// Every method is safe to call concurrently from several threads. A successful
/// [`put`](BlobStore::put) is durable: the blob survives a crash of the process or the machine.
pub trait BlobStore: Send + Sync {
    /// Stores `bytes` durably and returns their hash. Storing a blob that is already there
    /// succeeds and refreshes its [`BlobInfo::stored_at`]: a put is about to reference the
    /// blob, so a collector must not take it for an old unreferenced one.
    fn put(&self, bytes: &[u8]) -> Result<BlobHash, BlobError>;

    /// Stores `bytes`, which a peer says hash to `expected`: refused with
    /// [`BlobError::Corrupt`] (and nothing stored) if they do not.
    fn put_expecting(&self, expected: BlobHash, bytes: &[u8]) -> Result<(), BlobError> {
        let actual = BlobHash::of(bytes);
        if actual != expected {
            return Err(BlobError::Corrupt { expected, actual });
        }
        self.put(bytes).map(|_| ())
    }

    /// Stores `bytes`, which must hash to `expected`, replacing any copy stored under that
    /// name: repairs a damaged copy ([`put`](BlobStore::put) keeps what is there). Refused with
    /// [`BlobError::Corrupt`], and nothing changed, if the bytes do not hash to `expected`.
    fn replace(&self, expected: BlobHash, bytes: &[u8]) -> Result<(), BlobError>;

    /// What the store knows of blob `hash`, or `None` if it is not stored here.
    fn info(&self, hash: &BlobHash) -> Result<Option<BlobInfo>, BlobError>;

    /// The length of blob `hash`, or `None` if it is not stored here.
    fn len(&self, hash: &BlobHash) -> Result<Option<u64>, BlobError> {
        Ok(self.info(hash)?.map(|info| info.len))
    }

    /// Whether blob `hash` is stored here.
    fn contains(&self, hash: &BlobHash) -> Result<bool, BlobError> {
        Ok(self.len(hash)?.is_some())
    }

    /// The whole blob, checked against its hash ([`BlobError::Corrupt`] if the stored bytes
    /// were damaged).
    fn get(&self, hash: &BlobHash) -> Result<Vec<u8>, BlobError> {
        let len = self.len(hash)?.ok_or(BlobError::NotFound { hash: *hash })?;
        let bytes = self.read(hash, 0..len)?;
        let actual = BlobHash::of(&bytes);
        if actual != *hash {
            return Err(BlobError::Corrupt { expected: *hash, actual });
        }
        Ok(bytes)
    }

    /// The bytes of `range` within blob `hash`, unchecked (a range cannot be checked against
    /// the hash of the whole): for byte-range reads of large objects.
    fn read(&self, hash: &BlobHash, range: Range<u64>) -> Result<Vec<u8>, BlobError>;

    /// Refreshes the [`BlobInfo::stored_at`] of blob `hash`, durably, without its bytes: a
    /// commit is about to reference a blob stored earlier (the parts of a multipart upload),
    /// so a collector must not take it for an old unreferenced one. Whether it is stored here.
    fn touch(&self, hash: &BlobHash) -> Result<bool, BlobError>;

    /// Removes blob `hash`; whether it was there.
    fn delete(&self, hash: &BlobHash) -> Result<bool, BlobError>;

    /// Every stored blob, in hash order.
    fn list(&self) -> Result<Vec<BlobInfo>, BlobError>;
}

/// Checks `range` against a blob of `len` bytes.
fn check_range(hash: &BlobHash, range: &Range<u64>, len: u64) -> Result<(), BlobError> {
    if range.start > range.end || range.end > len {
        return Err(BlobError::OutOfRange { hash: *hash, start: range.start, end: range.end, len });
    }
    Ok(())
}
