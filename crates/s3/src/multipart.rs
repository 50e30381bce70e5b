//! Multipart uploads over S3: CreateMultipartUpload, UploadPart, CompleteMultipartUpload
//! and AbortMultipartUpload, each one call of the object store's multipart uploads
//! ([`coterie_server::object::multipart`]), which keeps an upload in the group's log (so it
//! survives a gateway's restart and a change of leader, and an upload created through gRPC
//! can be completed here). This module maps S3's inputs and error codes onto them. Not
//! served: ListParts, ListMultipartUploads, UploadPartCopy; parts are not held to S3's 5 MiB
//! minimum.

use coterie_server::object::multipart::MultipartError;
use coterie_server::object::{CompletedPart, GroupRef, ObjectKey, PutOptions, UploadKey};
use futures_util::StreamExt;
use s3s::S3ErrorCode;
use s3s::S3Result;
use s3s::dto;

use crate::convert::{self, check_bucket};
use crate::error::{s3, s3_error};
use crate::gateway::{Gateway, put_condition};

/// The S3 error for a failed multipart operation.
fn multipart_error(err: &MultipartError) -> s3s::S3Error {
    let code = match err {
        MultipartError::Object(err) => return s3_error(err),
        MultipartError::NoSuchUpload { .. } | MultipartError::WrongKey { .. } => S3ErrorCode::NoSuchUpload,
        MultipartError::PartNumber { .. } => S3ErrorCode::InvalidArgument,
        MultipartError::PartTooLarge { .. } | MultipartError::TooLarge { .. } => S3ErrorCode::EntityTooLarge,
        MultipartError::PartOrder { .. } => S3ErrorCode::InvalidPartOrder,
        MultipartError::MissingPart { .. } | MultipartError::PartEtag { .. } => S3ErrorCode::InvalidPart,
    };
    s3(code, err.to_string())
}

/// CreateMultipartUpload: records the upload.
pub async fn create(
    gateway: &Gateway,
    input: dto::CreateMultipartUploadInput,
) -> S3Result<dto::CreateMultipartUploadOutput> {
    check_bucket(&input.bucket)?;
    let options = PutOptions {
        content_type: input.content_type,
        attributes: convert::attributes(input.metadata),
        ..PutOptions::default()
    };
    let (replica, router) = (gateway.replica().await?, gateway.router());
    let group = GroupRef::routed(&replica, &router);
    let object = ObjectKey { bucket: &input.bucket, key: &input.key };
    let upload_id = gateway
        .store
        .create_upload(&group, object, options, Default::default(), gateway.config.timeout)
        .await
        .map_err(|err| multipart_error(&err))?;
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
    let Ok(number) = u64::try_from(input.part_number) else {
        drain(input.body).await;
        let max = gateway.store.limits().max_upload_parts;
        return Err(multipart_error(&MultipartError::PartNumber { number: 0, max }));
    };
    let (replica, router) = (gateway.replica().await?, gateway.router());
    let group = GroupRef::routed(&replica, &router);
    let upload = UploadKey { bucket: &input.bucket, key: &input.key, upload_id: &input.upload_id };
    let (store, timeout) = (&gateway.store, gateway.config.timeout);
    let caller = Default::default();
    let mut body = input.body;
    let stored = match body.as_mut() {
        Some(body) => {
            let chunks = body.by_ref().map(|chunk| chunk.map(|bytes| bytes.to_vec()).map_err(|err| err.to_string()));
            store.upload_part(&group, upload, number, chunks, caller, timeout).await
        }
        None => {
            let empty = futures_util::stream::empty::<Result<Vec<u8>, String>>();
            store.upload_part(&group, upload, number, empty, caller, timeout).await
        }
    };
    if stored.is_err() {
        // Refused before its body was read (an unknown upload, a redirect), or partway.
        drain(body).await;
    }
    let meta = stored.map_err(|err| multipart_error(&err))?;
    Ok(dto::UploadPartOutput { e_tag: Some(convert::http_etag(&meta)), ..Default::default() })
}

/// CompleteMultipartUpload: one put of the listed parts' blobs, under the request's
/// condition.
pub async fn complete(
    gateway: &Gateway,
    input: dto::CompleteMultipartUploadInput,
) -> S3Result<dto::CompleteMultipartUploadOutput> {
    check_bucket(&input.bucket)?;
    let condition = put_condition(input.if_none_match.as_ref(), input.if_match.as_ref())?;
    let listed = input.multipart_upload.and_then(|upload| upload.parts).unwrap_or_default();
    if listed.is_empty() {
        return Err(s3(S3ErrorCode::MalformedXML, "the request lists no part; list every part to assemble, in order"));
    }
    let mut parts = Vec::with_capacity(listed.len());
    for part in &listed {
        let number = part.part_number.unwrap_or(0);
        let Ok(number) = u32::try_from(number) else {
            let max = gateway.store.limits().max_upload_parts;
            return Err(multipart_error(&MultipartError::PartNumber { number: 0, max }));
        };
        parts.push(CompletedPart { number, etag: part.e_tag.as_ref().map(|tag| tag.value().to_owned()) });
    }
    let (replica, router) = (gateway.replica().await?, gateway.router());
    let group = GroupRef::routed(&replica, &router);
    let upload = UploadKey { bucket: &input.bucket, key: &input.key, upload_id: &input.upload_id };
    let options = PutOptions { condition, ..PutOptions::default() };
    let meta = gateway
        .store
        .complete_upload(&group, upload, &parts, options, Default::default(), gateway.config.timeout)
        .await
        .map_err(|err| multipart_error(&err))?;
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
    let (replica, router) = (gateway.replica().await?, gateway.router());
    let group = GroupRef::routed(&replica, &router);
    let upload = UploadKey { bucket: &input.bucket, key: &input.key, upload_id: &input.upload_id };
    gateway
        .store
        .abort_upload(&group, upload, Default::default(), gateway.config.timeout)
        .await
        .map_err(|err| multipart_error(&err))?;
    Ok(dto::AbortMultipartUploadOutput::default())
}
