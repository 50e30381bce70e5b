//! A bucket's commands, their conditions and outputs, and the limits on their arguments.

use std::collections::BTreeMap;
use std::time::Duration;

use serde::{Deserialize, Serialize};

use super::meta::{BlobRef, ETag, ObjectMeta};
use crate::error::{CoreError, InvalidReason};

/// The longest object key, in bytes (S3's limit).
pub const MAX_KEY_BYTES: usize = 1024;
/// The longest content type, in bytes.
pub const MAX_CONTENT_TYPE_BYTES: usize = 256;
/// The largest total of user attribute names plus values, in bytes (S3's user-metadata limit).
pub const MAX_ATTRIBUTE_BYTES: usize = 2048;
/// The most parts an object's [`BlobRef`] may have (S3's multipart limit), so one command's
/// log entry stays bounded.
pub const MAX_PARTS: usize = 10_000;
/// The largest (and default) `max_keys` of a listing (S3's).
pub const MAX_LIST_KEYS: u32 = 1000;

/// When a put may replace what is under its key.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum PutCondition {
    /// Always (create or replace).
    Overwrite,
    /// Only if the key has no live object; otherwise [`CoreError::AlreadyExists`].
    CreateOnly,
    /// Only if the live object's ETag is this one; otherwise [`CoreError::PreconditionFailed`].
    IfMatch(ETag),
    /// Only if the live object's version is this one; otherwise [`CoreError::PreconditionFailed`].
    IfVersion(u64),
}

/// When a delete may remove what is under its key.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum DeleteCondition {
    /// Always; deleting an absent key succeeds (answering that it did not exist), as in S3.
    Any,
    /// Only if the live object's ETag is this one; otherwise [`CoreError::PreconditionFailed`].
    IfMatch(ETag),
    /// Only if the live object's version is this one; otherwise [`CoreError::PreconditionFailed`].
    IfVersion(u64),
}

/// An HTTP entity-tag condition: `*` or a list of ETags.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum EtagMatch {
    /// `*`: any existing object matches.
    Any,
    /// Matches an object whose ETag is one of these.
    OneOf(Vec<ETag>),
}

impl EtagMatch {
    /// Whether an object with ETag `etag` matches.
    pub fn matches(&self, etag: &ETag) -> bool {
        match self {
            EtagMatch::Any => true,
            EtagMatch::OneOf(tags) => tags.contains(etag),
        }
    }
}

/// The conditions of a read (RFC 7232, as S3 evaluates them; see the module docs for the
/// order).
///
/// Times compare at the millisecond, with `last_modified`. HTTP dates have whole seconds and
/// a `Last-Modified` header truncates to the second, so a gateway should pass an HTTP date as
/// the last millisecond of its second (`date_ms + 999`): a client that echoes the
/// `Last-Modified` it was sent then gets 304 / no 412 for an unchanged object.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReadConditions {
    /// If-Match: fail with [`CoreError::PreconditionFailed`] unless the ETag matches.
    pub if_match: Option<EtagMatch>,
    /// If-None-Match: answer [`CoreError::NotModified`] if the ETag matches.
    pub if_none_match: Option<EtagMatch>,
    /// If-Modified-Since: answer [`CoreError::NotModified`] unless modified after this time.
    pub if_modified_since: Option<crate::types::Timestamp>,
    /// If-Unmodified-Since: fail with [`CoreError::PreconditionFailed`] if modified after this time.
    pub if_unmodified_since: Option<crate::types::Timestamp>,
}

/// The bytes of an object a get asks for.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum ByteRange {
    /// Bytes `start..end` (end exclusive; an end past the object is clamped to its size).
    Bounded {
        /// The first byte.
        start: u64,
        /// The end, exclusive.
        end: u64,
    },
    /// Bytes from `start` to the end.
    From {
        /// The first byte.
        start: u64,
    },
    /// The last `len` bytes (the whole object if it is shorter).
    Suffix {
        /// How many bytes from the end.
        len: u64,
    },
}

/// A range resolved against an object's size: bytes `start..end`, never empty.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ByteSpan {
    /// The first byte.
    pub start: u64,
    /// The end, exclusive.
    pub end: u64,
}

/// Operations on a [`Bucket`](super::Bucket). Writes answer [`BucketOutput::Written`] with
/// the new metadata of the key written (or [`BucketOutput::Deleted`]); reads answer
/// [`BucketOutput::Object`] or [`BucketOutput::Listing`].
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum BucketCommand {
    /// Store `data` (already in the blob store) under `key`, if `condition` holds.
    Put {
        /// The key.
        key: String,
        /// Where the bytes are.
        data: BlobRef,
        /// The MIME type, at most [`MAX_CONTENT_TYPE_BYTES`].
        content_type: Option<String>,
        /// User attributes, at most [`MAX_ATTRIBUTE_BYTES`] of names plus values.
        attributes: BTreeMap<String, String>,
        /// Expire the object this long after the write's time (positive), if given.
        ttl: Option<Duration>,
        /// When the put may replace what is there.
        condition: PutCondition,
        /// Refuse with [`CoreError::StaleFence`] if the key has seen a higher fence.
        if_fence_at_least: Option<u64>,
        /// Refuse with [`CoreError::UploadExpired`] if the put applies later than this, by
        /// the group's clock. The member that stored `data` sets it to the upload's start plus
        /// its upload window: the blob collector keeps an unreferenced blob for twice that
        /// window, so a put that commits in time never names a collected blob. `None` for a
        /// put that names no bytes.
        commit_by: Option<crate::types::Timestamp>,
    },
    /// Remove the object under `key`, if `condition` holds. Answers [`BucketOutput::Deleted`].
    Delete {
        /// The key.
        key: String,
        /// When the delete may remove what is there.
        condition: DeleteCondition,
        /// Refuse with [`CoreError::StaleFence`] if the key has seen a higher fence.
        if_fence_at_least: Option<u64>,
    },
    /// Copy the object under `from` to `to` (new ETag and version, same bytes and
    /// attributes, no TTL). Answers the destination's metadata.
    Copy {
        /// The source key; [`CoreError::ObjectNotFound`] if it has no live object.
        from: String,
        /// The destination key.
        to: String,
        /// Only if the source's ETag is this one.
        source_if_match: Option<ETag>,
        /// Only if `to` has no live object; otherwise [`CoreError::AlreadyExists`].
        if_not_exists: bool,
        /// Refuse with [`CoreError::StaleFence`] if `to` has seen a higher fence.
        if_fence_at_least: Option<u64>,
    },
    /// Move the object under `from` to `to` in one step (new ETag and version, same bytes,
    /// attributes and expiry). Answers the destination's metadata.
    Rename {
        /// The source key; [`CoreError::ObjectNotFound`] if it has no live object.
        from: String,
        /// The destination key.
        to: String,
        /// Only if the source's ETag is this one.
        source_if_match: Option<ETag>,
        /// Only if `to` has no live object; otherwise [`CoreError::AlreadyExists`].
        if_not_exists: bool,
        /// Refuse with [`CoreError::StaleFence`] if `from` or `to` has seen a higher fence.
        if_fence_at_least: Option<u64>,
    },
    /// Set (or with `None` clear) the expiry of the object under `key` to `ttl` after the
    /// write's time: renewing a TTL lock in one call. It is a write: the object gets a new
    /// ETag, version and last-modified time, answered in its metadata.
    SetTtl {
        /// The key; [`CoreError::ObjectNotFound`] if it has no live object and no `if_match`.
        key: String,
        /// The new TTL (positive), or `None` to keep the object until deleted.
        ttl: Option<Duration>,
        /// Only if the object's ETag is this one (the lock holder's); an absent object then
        /// fails with [`CoreError::PreconditionFailed`].
        if_match: Option<ETag>,
        /// Refuse with [`CoreError::StaleFence`] if the key has seen a higher fence.
        if_fence_at_least: Option<u64>,
    },
    /// The metadata of the object under `key`, if `conditions` allow. A read.
    Head {
        /// The key.
        key: String,
        /// The read's conditions.
        conditions: ReadConditions,
    },
    /// The metadata of the object under `key` and the byte span to serve, if `conditions`
    /// allow. A read (the bytes are fetched from the blob store by the caller).
    Get {
        /// The key.
        key: String,
        /// The read's conditions.
        conditions: ReadConditions,
        /// The bytes wanted (`None`: all of them).
        range: Option<ByteRange>,
    },
    /// One page of a listing (S3 ListObjectsV2 semantics). A read.
    List {
        /// Only keys starting with this.
        prefix: String,
        /// Roll keys up to the first occurrence of this after the prefix into common prefixes
        /// (`None` or empty: no roll-up).
        delimiter: Option<String>,
        /// Only items after this one (an entry's key or a common prefix, as in
        /// [`ListPage::next_start_after`]).
        start_after: Option<String>,
        /// At most this many items (entries plus common prefixes), 1..=[`MAX_LIST_KEYS`];
        /// `None` means [`MAX_LIST_KEYS`].
        max_keys: Option<u32>,
    },
}

impl BucketCommand {
    /// Bytes of user data carried (keys, content type, attributes, ETags presented, listing
    /// arguments), checked against the group's size limit. Object bytes are not carried.
    pub fn payload_len(&self) -> usize {
        let opt = |s: &Option<String>| s.as_ref().map_or(0, String::len);
        let tag = |etag: Option<&ETag>| etag.map_or(0, |etag| etag.as_str().len());
        let tags = |tags: &Option<EtagMatch>| match tags {
            Some(EtagMatch::OneOf(tags)) => tags.iter().fold(0usize, |n, etag| n.saturating_add(etag.as_str().len())),
            Some(EtagMatch::Any) | None => 0,
        };
        match self {
            BucketCommand::Put { key, content_type, attributes, condition, .. } => {
                let etag = match condition {
                    PutCondition::IfMatch(etag) => Some(etag),
                    PutCondition::Overwrite | PutCondition::CreateOnly | PutCondition::IfVersion(_) => None,
                };
                key.len()
                    .saturating_add(opt(content_type))
                    .saturating_add(attributes_len(attributes))
                    .saturating_add(tag(etag))
            }
            BucketCommand::Delete { key, condition, .. } => {
                let etag = match condition {
                    DeleteCondition::IfMatch(etag) => Some(etag),
                    DeleteCondition::Any | DeleteCondition::IfVersion(_) => None,
                };
                key.len().saturating_add(tag(etag))
            }
            BucketCommand::SetTtl { key, if_match, .. } => key.len().saturating_add(tag(if_match.as_ref())),
            BucketCommand::Head { key, conditions } | BucketCommand::Get { key, conditions, .. } => {
                key.len().saturating_add(tags(&conditions.if_match)).saturating_add(tags(&conditions.if_none_match))
            }
            BucketCommand::Copy { from, to, source_if_match, .. }
            | BucketCommand::Rename { from, to, source_if_match, .. } => {
                from.len().saturating_add(to.len()).saturating_add(tag(source_if_match.as_ref()))
            }
            BucketCommand::List { prefix, delimiter, start_after, .. } => {
                prefix.len().saturating_add(opt(delimiter)).saturating_add(opt(start_after))
            }
        }
    }
}

/// One page of a listing.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ListPage {
    /// The objects listed, in key order.
    pub entries: Vec<(String, ObjectMeta)>,
    /// The common prefixes (each ending with the delimiter), in order.
    pub common_prefixes: Vec<String>,
    /// Pass as `start_after` for the next page; `Some` exactly when `is_truncated`.
    pub next_start_after: Option<String>,
    /// Whether more items follow this page.
    pub is_truncated: bool,
}

/// Results of [`BucketCommand`]s.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum BucketOutput {
    /// A put, copy, rename or TTL change: the written key's new metadata.
    Written(ObjectMeta),
    /// A delete: whether a live object was removed.
    Deleted {
        /// Whether the key had a live object.
        existed: bool,
    },
    /// A head or get: the object's metadata and, for a get with a range, the bytes to serve.
    Object {
        /// The object's metadata.
        meta: ObjectMeta,
        /// The resolved range (`None`: the whole object).
        range: Option<ByteSpan>,
    },
    /// A listing page.
    Listing(ListPage),
}

fn len64(n: usize) -> u64 {
    u64::try_from(n).unwrap_or(u64::MAX)
}

fn attributes_len(attributes: &BTreeMap<String, String>) -> usize {
    attributes.iter().fold(0usize, |total, (k, v)| total.saturating_add(k.len()).saturating_add(v.len()))
}

/// Checks an object key for `operation`: 1..=[`MAX_KEY_BYTES`] bytes, no NUL.
pub(crate) fn check_key(operation: &'static str, key: &str) -> Result<(), CoreError> {
    if key.is_empty() {
        return Err(CoreError::invalid(operation, InvalidReason::ObjectKeyEmpty));
    }
    if key.len() > MAX_KEY_BYTES {
        let reason = InvalidReason::ObjectKeyTooLong { length: len64(key.len()), limit: len64(MAX_KEY_BYTES) };
        return Err(CoreError::invalid(operation, reason));
    }
    if let Some(position) = key.bytes().position(|b| b == 0) {
        return Err(CoreError::invalid(operation, InvalidReason::ObjectKeyNul { position: len64(position) }));
    }
    Ok(())
}

/// Checks a put's content type and attributes against their limits.
pub(crate) fn check_metadata(
    operation: &'static str,
    content_type: Option<&str>,
    attributes: &BTreeMap<String, String>,
) -> Result<(), CoreError> {
    if let Some(content_type) = content_type
        && content_type.len() > MAX_CONTENT_TYPE_BYTES
    {
        let reason = InvalidReason::ContentTypeTooLong {
            length: len64(content_type.len()),
            limit: len64(MAX_CONTENT_TYPE_BYTES),
        };
        return Err(CoreError::invalid(operation, reason));
    }
    let size = attributes_len(attributes);
    if size > MAX_ATTRIBUTE_BYTES {
        let reason = InvalidReason::AttributesTooLarge { size: len64(size), limit: len64(MAX_ATTRIBUTE_BYTES) };
        return Err(CoreError::invalid(operation, reason));
    }
    Ok(())
}

/// Checks the number of parts of `data` for `operation`.
pub(crate) fn check_parts(operation: &'static str, data: &BlobRef) -> Result<(), CoreError> {
    if data.parts.len() > MAX_PARTS {
        let reason = InvalidReason::TooManyParts { parts: len64(data.parts.len()), limit: len64(MAX_PARTS) };
        return Err(CoreError::invalid(operation, reason));
    }
    Ok(())
}

/// Checks a TTL for `operation`: at least a millisecond (time counts in milliseconds) if given.
pub(crate) fn check_ttl(operation: &'static str, ttl: Option<Duration>) -> Result<(), CoreError> {
    match ttl {
        Some(ttl) if ttl.as_millis() == 0 => Err(CoreError::invalid(operation, InvalidReason::ZeroTtl)),
        _ => Ok(()),
    }
}
