//! What a bucket stores per object: metadata and a reference to the bytes, never the bytes.
//!
//! The bytes live in a content-addressed blob store; an object names them by the hashes of
//! its parts. Keeping only this small record in the replicated structure is what makes every
//! conditional operation (create-only, compare-and-swap by ETag, copy or rename if not
//! exists) a single atomic apply on the log, whatever the object's size.

use std::collections::BTreeMap;
use std::fmt;

use serde::{Deserialize, Serialize};

use crate::error::{CoreError, InvalidReason};
use crate::types::{LogIndex, Timestamp};

/// One part of an object's bytes in the blob store: its content hash and its length.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct BlobPart {
    /// The part's content hash (the blob store's address for it).
    pub hash: [u8; 32],
    /// The part's length in bytes.
    pub len: u64,
}

/// The bytes of an object: its parts in order (one for a simple put, several for a
/// multipart upload, none for an empty object).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct BlobRef {
    /// The parts, in the order their bytes are concatenated.
    pub parts: Vec<BlobPart>,
}

impl BlobRef {
    /// A reference to one blob of `len` bytes.
    pub fn single(hash: [u8; 32], len: u64) -> Self {
        BlobRef { parts: vec![BlobPart { hash, len }] }
    }

    /// The object's size: the sum of its parts' lengths, or `None` if it overflows a `u64`.
    pub fn size(&self) -> Option<u64> {
        self.parts.iter().try_fold(0u64, |total, part| total.checked_add(part.len))
    }

    /// The size, or the refusal of an `operation` whose parts add up to more than `u64::MAX`.
    pub(crate) fn checked_size(&self, operation: &'static str) -> Result<u64, CoreError> {
        self.size().ok_or_else(|| CoreError::invalid(operation, InvalidReason::ObjectSizeOverflow))
    }
}

/// A strong entity tag: 32 lowercase hex characters, different for every write.
///
/// Made from the log index of the write (unique per entry, the same on every replica) and
/// the first 8 bytes of the data's first part hash, so it is deterministic, changes on every
/// write (even one of identical bytes, and for a copy's destination) and still says a little
/// about the content. Clients compare ETags as opaque strings; any string can be presented
/// in a condition (one that no object has simply never matches).
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct ETag(String);

impl ETag {
    /// The ETag `tag`, as a client presents it (without HTTP's surrounding quotes).
    pub fn new(tag: impl Into<String>) -> Self {
        ETag(tag.into())
    }

    /// The ETag of a write applied at `index` with `data`.
    pub fn derive(index: LogIndex, data: &BlobRef) -> Self {
        let content = data.parts.first().map_or([0u8; 8], |part| {
            let mut prefix = [0u8; 8];
            prefix.copy_from_slice(&part.hash[..8]);
            prefix
        });
        ETag(format!("{:016x}{:016x}", index.0, u64::from_be_bytes(content)))
    }

    /// The tag's text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for ETag {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// Everything a bucket knows about one object.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ObjectMeta {
    /// The strong ETag of the write that made this version.
    pub etag: ETag,
    /// The log index of the write that made this version: increases on every write of the
    /// key, also across a delete and re-create, so "update if the version is v" is safe
    /// against ABA.
    pub version: u64,
    /// The object's size in bytes (the sum of its parts' lengths).
    pub size: u64,
    /// The leader-stamped time of the write that made this version.
    pub last_modified: Timestamp,
    /// The MIME type given at the write, if any.
    pub content_type: Option<String>,
    /// User attributes (S3's user metadata), in name order.
    pub attributes: BTreeMap<String, String>,
    /// When the object expires (reads treat it as absent from then on), if it has a TTL.
    pub expires_at: Option<Timestamp>,
    /// Where its bytes are.
    pub data: BlobRef,
}

impl ObjectMeta {
    /// Whether the object has expired at `now` (its expiry is at or before `now`).
    pub fn is_expired(&self, now: Timestamp) -> bool {
        self.expires_at.is_some_and(|at| at <= now)
    }
}
