//! Multipart uploads, kept in the group's log rather than in the gateway's memory.
//!
//! An upload of key `K` to bucket `B` lives in a second `Bucket` structure, `B#uploads` (a
//! name no S3 client can address: `#` is not allowed in bucket names):
//!
//! * its **marker**, object `<upload-id>`, empty, created create-only by
//!   CreateMultipartUpload, with `K`, the content type and the user metadata as attributes;
//! * each **part**, object `<upload-id>/<part-number>`, written by UploadPart through
//!   [`ObjectStore::put`](coterie_server::object::ObjectStore::put): its bytes go to a
//!   majority of the members as blobs (`Blobs::replicate`), then one metadata commit.
//!
//! So an upload survives a gateway's restart and a change of leader. CompleteMultipartUpload
//! checks the listed parts (ascending numbers, each present with the ETag given) and commits
//! one `Bucket` put in `B` whose `BlobRef` is the parts' blobs in order — the object appears
//! whole or not at all, with `If-None-Match: *` / `If-Match` decided by that commit — then
//! removes the upload's records. The bytes are never copied. Not served: ListParts,
//! ListMultipartUploads, UploadPartCopy; parts are not held to S3's 5 MiB minimum.

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{SystemTime, UNIX_EPOCH};

use coterie_core::kinds::bucket::{
    BlobRef, BucketCommand, BucketOutput, DeleteCondition, MAX_LIST_KEYS, ObjectMeta, PutCondition, ReadConditions,
};
use coterie_server::object::{Caller, GroupRef, ObjectKey, PutOptions};
use futures_util::StreamExt;
use s3s::S3ErrorCode;
use s3s::S3Result;
use s3s::dto;

use crate::convert::{self, check_bucket};
use crate::error::{s3, s3_error};
use crate::gateway::{Gateway, put_condition, written};

/// The attribute of a marker naming the upload's key.
const KEY: &str = "key";
/// The prefix of a marker's attributes that are the object's user metadata.
const META: &str = "meta:";
/// The highest part number S3 allows.
const MAX_PART_NUMBER: i32 = 10_000;

/// The structure holding `bucket`'s uploads.
fn uploads(bucket: &str) -> String {
    format!("{bucket}#uploads")
}

fn part_key(upload_id: &str, part_number: i32) -> String {
    format!("{upload_id}/{part_number:05}")
}

/// A new upload id: the time, this process's count, and randomness from the address of a
/// fresh allocation are enough to make collisions rare; the create-only marker makes them
/// impossible (a collision is refused, and the client retries).
fn new_upload_id() -> String {
    static COUNT: AtomicU64 = AtomicU64::new(0);
    let nanos = SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |d| d.as_nanos());
    let count = COUNT.fetch_add(1, Ordering::Relaxed);
    format!("{nanos:x}-{count:x}-{:x}", std::process::id())
}

fn no_such_upload(upload_id: &str) -> s3s::S3Error {
    s3(
        S3ErrorCode::NoSuchUpload,
        format!("upload {upload_id:?} does not exist (never created, completed or aborted); start a new one"),
    )
}

/// The marker of `upload_id`, checked to be an upload of `key`.
async fn marker(gateway: &Gateway, bucket: &str, key: &str, upload_id: &str) -> S3Result<ObjectMeta> {
    if upload_id.is_empty() || upload_id.contains('/') {
        return Err(no_such_upload(upload_id));
    }
    let command = BucketCommand::Head { key: upload_id.to_owned(), conditions: ReadConditions::default() };
    let meta = match gateway.metadata(&uploads(bucket), command).await {
        Ok(BucketOutput::Object { meta, .. }) => meta,
        Ok(_) => return Err(no_such_upload(upload_id)),
        Err(err) if *err.code() == S3ErrorCode::NoSuchKey => return Err(no_such_upload(upload_id)),
        Err(err) => return Err(err),
    };
    if meta.attributes.get(KEY).map(String::as_str) != Some(key) {
        return Err(s3(
            S3ErrorCode::NoSuchUpload,
            format!("upload {upload_id:?} is not an upload of key {key:?}; use the key it was created for"),
        ));
    }
    Ok(meta)
}

/// CreateMultipartUpload: records the upload's marker.
pub async fn create(
    gateway: &Gateway,
    input: dto::CreateMultipartUploadInput,
) -> S3Result<dto::CreateMultipartUploadOutput> {
    check_bucket(&input.bucket)?;
    let mut attributes: BTreeMap<String, String> =
        convert::attributes(input.metadata).into_iter().map(|(name, value)| (format!("{META}{name}"), value)).collect();
    attributes.insert(KEY.to_owned(), input.key.clone());
    let upload_id = new_upload_id();
    let command = BucketCommand::Put {
        key: upload_id.clone(),
        data: BlobRef::default(),
        content_type: input.content_type,
        attributes,
        ttl: None,
        condition: PutCondition::CreateOnly,
        if_fence_at_least: None,
        commit_by: None,
    };
    written(gateway.metadata(&uploads(&input.bucket), command).await?, "CreateMultipartUpload")?;
    Ok(dto::CreateMultipartUploadOutput {
        bucket: Some(input.bucket),
        key: Some(input.key),
        upload_id: Some(upload_id),
        ..Default::default()
    })
}

/// The most of a refused part's body read and dropped before answering.
const DRAIN_LIMIT: usize = 16 << 20;

/// Reads and drops (up to [`DRAIN_LIMIT`]) the body of a request refused before its bytes
/// were read, so the refusal leaves the connection at the next request's first byte for a
/// client that sent the body anyway. A client that reused the connection after a refused
/// UploadPart was seen to have its next request fail signature checking (in 1 of 4 CI runs),
/// as if the part's unread bytes had been read as the start of that request.
async fn drain(body: Option<s3s::dto::StreamingBlob>) {
    let Some(mut body) = body else { return };
    let mut read = 0usize;
    while let Some(Ok(chunk)) = body.next().await {
        read = read.saturating_add(chunk.len());
        if read > DRAIN_LIMIT {
            return;
        }
    }
}

/// UploadPart: stores the part's bytes on a majority, then records the part.
pub async fn upload_part(gateway: &Gateway, input: dto::UploadPartInput) -> S3Result<dto::UploadPartOutput> {
    check_bucket(&input.bucket)?;
    if !(1..=MAX_PART_NUMBER).contains(&input.part_number) {
        return Err(s3(
            S3ErrorCode::InvalidArgument,
            format!("part number {} is outside 1..=10000; number parts from 1", input.part_number),
        ));
    }
    if let Err(err) = marker(gateway, &input.bucket, &input.key, &input.upload_id).await {
        drain(input.body).await;
        return Err(err);
    }
    let options = PutOptions::default();
    let key = part_key(&input.upload_id, input.part_number);
    let (replica, router) = (gateway.replica().await?, gateway.router());
    let group = GroupRef::routed(&replica, &router);
    let (store, timeout, bucket) = (&gateway.store, gateway.config.timeout, uploads(&input.bucket));
    let meta = match input.body {
        Some(body) => {
            let body = body.map(|chunk| chunk.map(|bytes| bytes.to_vec()).map_err(|err| err.to_string()));
            store
                .put(
                    &group,
                    ObjectKey { bucket: &bucket, key: &key },
                    Box::pin(body),
                    options,
                    Caller::default(),
                    timeout,
                )
                .await
        }
        None => {
            let empty = futures_util::stream::empty::<Result<Vec<u8>, String>>();
            store
                .put(&group, ObjectKey { bucket: &bucket, key: &key }, empty, options, Caller::default(), timeout)
                .await
        }
    }
    .map_err(|err| s3_error(&err))?;
    Ok(dto::UploadPartOutput { e_tag: Some(convert::http_etag(&meta)), ..Default::default() })
}

/// Every recorded part of `upload_id`, by part number.
async fn recorded_parts(gateway: &Gateway, bucket: &str, upload_id: &str) -> S3Result<BTreeMap<i32, ObjectMeta>> {
    let prefix = format!("{upload_id}/");
    let (mut parts, mut after) = (BTreeMap::new(), None);
    loop {
        let command = BucketCommand::List {
            prefix: prefix.clone(),
            delimiter: None,
            start_after: after,
            max_keys: Some(MAX_LIST_KEYS),
        };
        let BucketOutput::Listing(page) = gateway.metadata(&uploads(bucket), command).await? else {
            return Err(s3(S3ErrorCode::InternalError, "an upload's parts were not answered a listing; a gateway bug"));
        };
        for (key, meta) in page.entries {
            if let Some(number) = key.strip_prefix(&prefix).and_then(|n| n.parse::<i32>().ok()) {
                parts.insert(number, meta);
            }
        }
        match page.next_start_after {
            Some(next) if page.is_truncated => after = Some(next),
            _ => return Ok(parts),
        }
    }
}

/// Removes an upload's records (after completing or aborting it). A record left by a
/// failure here is harmless: nothing lists it to S3 clients, and a retried abort removes it.
async fn forget(gateway: &Gateway, bucket: &str, upload_id: &str, parts: impl Iterator<Item = i32>) -> S3Result<()> {
    let structure = uploads(bucket);
    let delete = |key: String| BucketCommand::Delete { key, condition: DeleteCondition::Any, if_fence_at_least: None };
    gateway.metadata(&structure, delete(upload_id.to_owned())).await?;
    for number in parts {
        gateway.metadata(&structure, delete(part_key(upload_id, number))).await?;
    }
    Ok(())
}

/// CompleteMultipartUpload: one put of the listed parts' blobs, under the request's
/// condition.
pub async fn complete(
    gateway: &Gateway,
    input: dto::CompleteMultipartUploadInput,
) -> S3Result<dto::CompleteMultipartUploadOutput> {
    check_bucket(&input.bucket)?;
    let condition = put_condition(input.if_none_match.as_ref(), input.if_match.as_ref())?;
    let marker = marker(gateway, &input.bucket, &input.key, &input.upload_id).await?;
    let recorded = recorded_parts(gateway, &input.bucket, &input.upload_id).await?;
    let listed = input.multipart_upload.and_then(|upload| upload.parts).unwrap_or_default();
    if listed.is_empty() {
        return Err(s3(S3ErrorCode::MalformedXML, "the request lists no part; list every part to assemble, in order"));
    }
    let (mut data, mut previous) = (BlobRef::default(), 0);
    for part in &listed {
        let number = part.part_number.unwrap_or(0);
        if number <= previous {
            return Err(s3(
                S3ErrorCode::InvalidPartOrder,
                format!("part {number} is listed after part {previous}; list parts in ascending order, each once"),
            ));
        }
        previous = number;
        let Some(meta) = recorded.get(&number) else {
            return Err(s3(S3ErrorCode::InvalidPart, format!("part {number} was not uploaded; upload it first")));
        };
        if let Some(tag) = &part.e_tag
            && tag.value() != meta.etag.as_str()
        {
            return Err(s3(
                S3ErrorCode::InvalidPart,
                format!(
                    "part {number}'s ETag is {}, not {}; list the ETag UploadPart answered",
                    meta.etag.as_str(),
                    tag.value()
                ),
            ));
        }
        data.parts.extend(meta.data.parts.iter().cloned());
    }
    let attributes = marker
        .attributes
        .iter()
        .filter_map(|(name, value)| name.strip_prefix(META).map(|name| (name.to_owned(), value.clone())))
        .collect();
    let options =
        PutOptions { condition, content_type: marker.content_type.clone(), attributes, ..PutOptions::default() };
    let meta = gateway.put_stored(&input.bucket, &input.key, data, options).await?;
    forget(gateway, &input.bucket, &input.upload_id, recorded.keys().copied()).await?;
    Ok(dto::CompleteMultipartUploadOutput {
        bucket: Some(input.bucket),
        key: Some(input.key),
        e_tag: Some(convert::http_etag(&meta)),
        ..Default::default()
    })
}

/// AbortMultipartUpload: removes the upload's records (its blobs, referenced by nothing, are
/// left to the collector).
pub async fn abort(
    gateway: &Gateway,
    input: dto::AbortMultipartUploadInput,
) -> S3Result<dto::AbortMultipartUploadOutput> {
    check_bucket(&input.bucket)?;
    marker(gateway, &input.bucket, &input.key, &input.upload_id).await?;
    let recorded = recorded_parts(gateway, &input.bucket, &input.upload_id).await?;
    forget(gateway, &input.bucket, &input.upload_id, recorded.keys().copied()).await?;
    Ok(dto::AbortMultipartUploadOutput::default())
}
