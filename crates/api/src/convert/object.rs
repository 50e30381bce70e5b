//! Conversions of the object service's messages (`ObjectService`) to and from the core's
//! `Bucket` commands and outputs.
//!
//! Written by hand rather than in the rpc table: the object rpcs carry nested conditions,
//! ranges, attribute maps and streams of bytes, which the table's one-field converters do
//! not describe, and two of them stream. The `Call` header is read by the same code as every
//! structure call's ([`Header`]); a bucket lives in a CP group, so a sharded target is
//! refused. Checks that need the bucket's state or limits (key length, attribute sizes) are
//! the core's, as for every structure.

use std::collections::BTreeMap;
use std::time::Duration;

use coterie_core::kinds::bucket::{
    BlobRef, BucketCommand, BucketOutput, ByteRange, DeleteCondition, ETag, EtagMatch, ListPage, ObjectMeta,
    PutCondition, ReadConditions,
};
use coterie_core::{GroupOutput, StructureCommand, StructureOutput, Target, Timestamp};

use super::{ConvertError, Header, Routed};
use crate::pb;

fn ms(value: Option<u64>) -> Option<Duration> {
    value.filter(|ms| *ms > 0).map(Duration::from_millis)
}

fn routed(call: Option<pb::Call>, command: BucketCommand, operation: &'static str) -> Result<Routed, ConvertError> {
    let header = Header::check(call, operation)?;
    if !matches!(header.target, Target::Cp { .. }) {
        return Err(ConvertError::invalid(
            operation,
            "a bucket lives in a CP group: address it with Call.group or a name@group suffix, not a sharded target",
        ));
    }
    if header.name.contains(UPLOADS_MARK) {
        return Err(ConvertError::name(format!(
            "bucket name {:?} contains '{UPLOADS_MARK}', which is reserved for the server's multipart-upload records; \
             choose a name without it",
            header.name
        )));
    }
    header.invoke(StructureCommand::Bucket(command), operation)
}

/// The character that marks the server's own bucket structures (a bucket's multipart
/// uploads are kept in `<bucket>#uploads`), so no user bucket name may contain it.
pub const UPLOADS_MARK: char = '#';

fn etags(condition: pb::EtagCondition) -> EtagMatch {
    if condition.any { EtagMatch::Any } else { EtagMatch::OneOf(condition.etags.into_iter().map(ETag::new).collect()) }
}

fn read_conditions(conditions: Option<pb::ObjectReadConditions>) -> ReadConditions {
    let conditions = conditions.unwrap_or_default();
    ReadConditions {
        if_match: conditions.if_match.map(etags),
        if_none_match: conditions.if_none_match.map(etags),
        if_modified_since: conditions.if_modified_since_ms.map(Timestamp),
        if_unmodified_since: conditions.if_unmodified_since_ms.map(Timestamp),
    }
}

fn byte_range(range: Option<pb::ObjectByteRange>) -> Option<ByteRange> {
    match range?.range? {
        pb::object_byte_range::Range::Bounded(b) => Some(ByteRange::Bounded { start: b.start, end: b.end }),
        pb::object_byte_range::Range::From(start) => Some(ByteRange::From { start }),
        pb::object_byte_range::Range::Suffix(len) => Some(ByteRange::Suffix { len }),
    }
}

/// A put's header as routed: the command is a [`BucketCommand::Put`] whose `data` is empty,
/// for the server to fill with the parts it stored.
pub fn put_header(header: Option<pb::PutObjectHeader>) -> Result<Routed, ConvertError> {
    const OPERATION: &str = "put_object";
    let header = header.ok_or_else(|| {
        ConvertError::invalid(OPERATION, "the first message of a put must carry the header (bucket, key, conditions)")
    })?;
    let condition = match header.condition {
        None | Some(pb::put_object_header::Condition::CreateOnly(false)) => PutCondition::Overwrite,
        Some(pb::put_object_header::Condition::CreateOnly(true)) => PutCondition::CreateOnly,
        Some(pb::put_object_header::Condition::IfMatch(etag)) => PutCondition::IfMatch(ETag::new(etag)),
        Some(pb::put_object_header::Condition::IfVersion(version)) => PutCondition::IfVersion(version),
    };
    let command = BucketCommand::Put {
        key: header.key,
        data: BlobRef::default(),
        content_type: header.content_type,
        attributes: header.attributes.into_iter().collect::<BTreeMap<_, _>>(),
        ttl: ms(header.ttl_ms),
        condition,
        if_fence_at_least: header.if_fence_at_least,
        commit_by: None,
    };
    routed(header.call, command, OPERATION)
}

/// A get: the metadata read whose answer says which bytes to stream.
pub fn get(request: pb::GetObjectRequest) -> Result<Routed, ConvertError> {
    let command = BucketCommand::Get {
        key: request.key,
        conditions: read_conditions(request.conditions),
        range: byte_range(request.range),
    };
    routed(request.call, command, "get_object")
}

/// A head.
pub fn head(request: pb::HeadObjectRequest) -> Result<Routed, ConvertError> {
    let command = BucketCommand::Head { key: request.key, conditions: read_conditions(request.conditions) };
    routed(request.call, command, "head_object")
}

/// A delete.
pub fn delete(request: pb::DeleteObjectRequest) -> Result<Routed, ConvertError> {
    let condition = match request.condition {
        None => DeleteCondition::Any,
        Some(pb::delete_object_request::Condition::IfMatch(etag)) => DeleteCondition::IfMatch(ETag::new(etag)),
        Some(pb::delete_object_request::Condition::IfVersion(version)) => DeleteCondition::IfVersion(version),
    };
    let command = BucketCommand::Delete { key: request.key, condition, if_fence_at_least: request.if_fence_at_least };
    routed(request.call, command, "delete_object")
}

/// A listing page.
pub fn list(request: pb::ListObjectsRequest) -> Result<Routed, ConvertError> {
    let command = BucketCommand::List {
        prefix: request.prefix,
        delimiter: request.delimiter,
        start_after: request.start_after,
        max_keys: request.max_keys,
    };
    routed(request.call, command, "list_objects")
}

/// A copy (`rename: false`) or a rename.
pub fn transfer(request: pb::TransferObjectRequest, rename: bool) -> Result<Routed, ConvertError> {
    let (from, to, source_if_match) = (request.from, request.to, request.source_if_match.map(ETag::new));
    let (if_not_exists, if_fence_at_least) = (request.if_not_exists, request.if_fence_at_least);
    let (command, operation) = if rename {
        (BucketCommand::Rename { from, to, source_if_match, if_not_exists, if_fence_at_least }, "rename_object")
    } else {
        (BucketCommand::Copy { from, to, source_if_match, if_not_exists, if_fence_at_least }, "copy_object")
    };
    routed(request.call, command, operation)
}

/// A TTL change.
pub fn set_ttl(request: pb::SetObjectTtlRequest) -> Result<Routed, ConvertError> {
    let command = BucketCommand::SetTtl {
        key: request.key,
        ttl: ms(request.ttl_ms),
        if_match: request.if_match.map(ETag::new),
        if_fence_at_least: request.if_fence_at_least,
    };
    routed(request.call, command, "set_object_ttl")
}

/// A multipart upload's creation: a [`BucketCommand::Put`] of the key carrying the object's
/// content type and attributes, for the server to record in the upload.
pub fn create_upload(request: pb::CreateMultipartUploadRequest) -> Result<Routed, ConvertError> {
    let command = BucketCommand::Put {
        key: request.key,
        data: BlobRef::default(),
        content_type: request.content_type,
        attributes: request.attributes.into_iter().collect(),
        ttl: None,
        condition: PutCondition::Overwrite,
        if_fence_at_least: None,
        commit_by: None,
    };
    routed(request.call, command, "create_multipart_upload")
}

/// A call about an existing upload, as routed: a [`BucketCommand::Head`] of the key (the
/// server takes the bucket, key and caller from it), and the upload's id.
fn upload_call(
    call: Option<pb::Call>,
    key: String,
    upload_id: String,
    operation: &'static str,
) -> Result<(Routed, String), ConvertError> {
    if upload_id.is_empty() {
        return Err(ConvertError::invalid(
            operation,
            "the upload_id is empty; pass the id CreateMultipartUpload answered",
        ));
    }
    let command = BucketCommand::Head { key, conditions: ReadConditions::default() };
    Ok((routed(call, command, operation)?, upload_id))
}

/// An upload part's header: the routed upload, its id and the part's number.
pub fn upload_part_header(header: Option<pb::UploadPartHeader>) -> Result<(Routed, String, u64), ConvertError> {
    const OPERATION: &str = "upload_part";
    let header = header.ok_or_else(|| {
        ConvertError::invalid(
            OPERATION,
            "the first message of a part must carry the header (bucket, key, upload, part)",
        )
    })?;
    let (routed, upload_id) = upload_call(header.call, header.key, header.upload_id, OPERATION)?;
    Ok((routed, upload_id, header.part_number))
}

/// A completion's part list: each part's number and, if given, its ETag.
pub type ListedParts = Vec<(u64, Option<String>)>;

/// A completion: the routed [`BucketCommand::Put`] carrying the object's condition, TTL and
/// fence; the upload's id; and the listed parts (number, ETag if given).
pub fn complete_upload(
    request: pb::CompleteMultipartUploadRequest,
) -> Result<(Routed, String, ListedParts), ConvertError> {
    use pb::complete_multipart_upload_request::Condition as C;
    const OPERATION: &str = "complete_multipart_upload";
    if request.upload_id.is_empty() {
        return Err(ConvertError::invalid(
            OPERATION,
            "the upload_id is empty; pass the id CreateMultipartUpload answered",
        ));
    }
    let condition = match request.condition {
        None | Some(C::CreateOnly(false)) => PutCondition::Overwrite,
        Some(C::CreateOnly(true)) => PutCondition::CreateOnly,
        Some(C::IfMatch(etag)) => PutCondition::IfMatch(ETag::new(etag)),
        Some(C::IfVersion(version)) => PutCondition::IfVersion(version),
    };
    let command = BucketCommand::Put {
        key: request.key,
        data: BlobRef::default(),
        content_type: None,
        attributes: BTreeMap::new(),
        ttl: ms(request.ttl_ms),
        condition,
        if_fence_at_least: request.if_fence_at_least,
        commit_by: None,
    };
    let parts = request
        .parts
        .into_iter()
        .map(|part| (part.part_number, Some(part.etag).filter(|etag| !etag.is_empty())))
        .collect();
    Ok((routed(request.call, command, OPERATION)?, request.upload_id, parts))
}

/// An abort: the routed upload and its id.
pub fn abort_upload(request: pb::AbortMultipartUploadRequest) -> Result<(Routed, String), ConvertError> {
    upload_call(request.call, request.key, request.upload_id, "abort_multipart_upload")
}

/// The wire form of object `key`'s metadata.
pub fn meta(key: &str, meta: &ObjectMeta) -> pb::ObjectMeta {
    pb::ObjectMeta {
        key: key.to_owned(),
        etag: meta.etag.as_str().to_owned(),
        version: meta.version,
        size: meta.size,
        last_modified_ms: meta.last_modified.as_millis(),
        content_type: meta.content_type.clone(),
        attributes: meta.attributes.clone().into_iter().collect(),
        expires_at_ms: meta.expires_at.map(Timestamp::as_millis),
        parts: u32::try_from(meta.data.parts.len()).unwrap_or(u32::MAX),
    }
}

/// The bucket's answer inside a group output, or [`ConvertError::UnexpectedOutput`].
pub fn bucket_output(output: GroupOutput, operation: &'static str) -> Result<BucketOutput, ConvertError> {
    match output {
        GroupOutput::Structure(StructureOutput::Bucket(output)) => Ok(output),
        other => Err(ConvertError::unexpected(operation, &other)),
    }
}

/// The written metadata a put, copy, rename or TTL change answers.
pub fn written(output: BucketOutput, key: &str, operation: &'static str) -> Result<pb::ObjectMeta, ConvertError> {
    match output {
        BucketOutput::Written(written) => Ok(meta(key, &written)),
        other => Err(ConvertError::UnexpectedOutput { operation, output: format!("{other:?}") }),
    }
}

/// The listing page a list answers.
pub fn listing(output: BucketOutput) -> Result<pb::ListObjectsResponse, ConvertError> {
    match output {
        BucketOutput::Listing(ListPage { entries, common_prefixes, next_start_after, is_truncated }) => {
            Ok(pb::ListObjectsResponse {
                objects: entries.iter().map(|(key, m)| meta(key, m)).collect(),
                common_prefixes,
                next_start_after,
                is_truncated,
            })
        }
        other => Err(ConvertError::UnexpectedOutput { operation: "list_objects", output: format!("{other:?}") }),
    }
}
