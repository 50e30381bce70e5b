//! What the bucket handle takes and gives: options of each operation and the objects'
//! metadata as the client sees it.

use std::collections::BTreeMap;
use std::ops::Range;
use std::time::{Duration, SystemTime};

use coterie_api::pb;
use coterie_core::kinds::bucket::{ByteRange, ETag, EtagMatch, PutCondition, ReadConditions};

/// What a bucket knows about one object.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ObjectInfo {
    /// The object's key.
    pub key: String,
    /// Its strong ETag: different after every write, compared as an opaque string.
    pub etag: String,
    /// Increases on every write of the key, also across a delete and re-create.
    pub version: u64,
    /// Its size in bytes.
    pub size: u64,
    /// When it was written (the group leader's clock).
    pub last_modified: SystemTime,
    /// Its MIME type, if one was given.
    pub content_type: Option<String>,
    /// Its user attributes.
    pub attributes: BTreeMap<String, String>,
    /// When it expires, if it has a TTL.
    pub expires_at: Option<SystemTime>,
    /// How many parts its bytes are stored in.
    pub parts: u32,
}

fn time(ms: u64) -> SystemTime {
    SystemTime::UNIX_EPOCH + Duration::from_millis(ms)
}

impl From<pb::ObjectMeta> for ObjectInfo {
    fn from(meta: pb::ObjectMeta) -> Self {
        ObjectInfo {
            key: meta.key,
            etag: meta.etag,
            version: meta.version,
            size: meta.size,
            last_modified: time(meta.last_modified_ms),
            content_type: meta.content_type,
            attributes: meta.attributes.into_iter().collect(),
            expires_at: meta.expires_at_ms.map(time),
            parts: meta.parts,
        }
    }
}

/// An object read back: its metadata, the byte range served and those bytes.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Object {
    /// The object's metadata.
    pub info: ObjectInfo,
    /// The bytes served, `[start, end)` of the object.
    pub range: Range<u64>,
    /// The bytes.
    pub data: Vec<u8>,
}

/// How a get or head reads.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct GetOptions {
    /// The read's conditions (If-Match, If-None-Match, If-(Un)Modified-Since).
    pub conditions: ReadConditions,
    /// The bytes wanted (`None`: all).
    pub range: Option<ByteRange>,
}

impl GetOptions {
    /// Answer [`CoreError::NotModified`](coterie_core::CoreError::NotModified) if the object
    /// still has ETag `etag` (an HTTP-style cache revalidation).
    pub fn if_none_match(etag: &str) -> Self {
        let conditions =
            ReadConditions { if_none_match: Some(EtagMatch::OneOf(vec![ETag::new(etag)])), ..Default::default() };
        GetOptions { conditions, range: None }
    }

    /// Bytes `range` of the object.
    pub fn range(range: Range<u64>) -> Self {
        GetOptions { range: Some(ByteRange::Bounded { start: range.start, end: range.end }), ..GetOptions::default() }
    }
}

/// Which keys a listing returns.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ListOptions {
    /// Only keys starting with this.
    pub prefix: String,
    /// Roll keys up to this after the prefix into common prefixes (`/` for directories).
    pub delimiter: Option<String>,
    /// Only items after this one (a previous page's `next_start_after`).
    pub start_after: Option<String>,
    /// At most this many items, 1 to 1000 (default 1000).
    pub max_keys: Option<u32>,
}

/// One page of a listing.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ListPage {
    /// The objects, in key order.
    pub objects: Vec<ObjectInfo>,
    /// The common prefixes, in order.
    pub common_prefixes: Vec<String>,
    /// Pass as `start_after` for the next page; set exactly when more follow.
    pub next_start_after: Option<String>,
}

/// How a copy or rename writes its destination.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct CopyOptions {
    /// Only if the source's ETag is this one.
    pub source_if_match: Option<String>,
    /// Only if the destination has no live object.
    pub if_not_exists: bool,
    /// Refuse the write if the destination (or a rename's source) has seen a higher fence.
    pub if_fence_at_least: Option<u64>,
}

impl CopyOptions {
    /// Only if the destination does not exist.
    pub fn if_not_exists() -> Self {
        CopyOptions { if_not_exists: true, ..CopyOptions::default() }
    }
}

pub(super) fn etag_condition(matching: &EtagMatch) -> pb::EtagCondition {
    match matching {
        EtagMatch::Any => pb::EtagCondition { any: true, etags: Vec::new() },
        EtagMatch::OneOf(tags) => {
            pb::EtagCondition { any: false, etags: tags.iter().map(|tag| tag.as_str().to_owned()).collect() }
        }
    }
}

pub(super) fn read_conditions(conditions: &ReadConditions) -> pb::ObjectReadConditions {
    pb::ObjectReadConditions {
        if_match: conditions.if_match.as_ref().map(etag_condition),
        if_none_match: conditions.if_none_match.as_ref().map(etag_condition),
        if_modified_since_ms: conditions.if_modified_since.map(|t| t.as_millis()),
        if_unmodified_since_ms: conditions.if_unmodified_since.map(|t| t.as_millis()),
    }
}

pub(super) fn byte_range(range: ByteRange) -> pb::ObjectByteRange {
    use pb::object_byte_range::Range as R;
    let range = match range {
        ByteRange::Bounded { start, end } => R::Bounded(pb::ObjectBoundedRange { start, end }),
        ByteRange::From { start } => R::From(start),
        ByteRange::Suffix { len } => R::Suffix(len),
    };
    pb::ObjectByteRange { range: Some(range) }
}

pub(super) fn put_condition(condition: &PutCondition) -> Option<pb::put_object_header::Condition> {
    use pb::put_object_header::Condition as C;
    match condition {
        PutCondition::Overwrite => None,
        PutCondition::CreateOnly => Some(C::CreateOnly(true)),
        PutCondition::IfMatch(etag) => Some(C::IfMatch(etag.as_str().to_owned())),
        PutCondition::IfVersion(version) => Some(C::IfVersion(*version)),
    }
}
