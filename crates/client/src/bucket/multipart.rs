//! Multipart uploads with numbered parts: create an upload, store its parts (in any order,
//! concurrently), then complete it from the ordered list of parts, or abort it.
//!
//! For an object assembled from pieces made apart (by several tasks or processes, or over
//! a long time): each part is its own call, retried on its own, and nothing is visible until
//! the completion writes the whole object in one atomic commit, under the condition it
//! carries. The upload is kept in the bucket's group (its log), not on one member: the id
//! names it on every member, and it survives the death of the member it was created on. An
//! object written in one go from a stream needs none of this ([`Bucket::put_stream`]).
//!
//! Refusals arrive as [`ClientError::Refused`]: an unknown upload (never created, completed
//! or aborted), a part number out of range, a part list out of order, naming a part never
//! uploaded or with another ETag, or parts over the object limit are
//! [`CoreError::InvalidArgument`](coterie_core::CoreError::InvalidArgument) with a message
//! naming what was wrong; a completion's failed condition is the same error as a put's.

use coterie_api::pb;

use super::types::{self, ObjectInfo};
use super::{Bucket, PUT_CHUNK_BYTES, PutOptions, missing_meta};
use crate::error::ClientError;

/// A part as stored by [`Bucket::upload_part`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct UploadedPart {
    /// Its number.
    pub number: u32,
    /// Its ETag, to list in the completion.
    pub etag: String,
    /// Its size in bytes.
    pub size: u64,
}

/// One entry of a completion's part list ([`Bucket::complete_upload`]).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CompletedPart {
    /// The part's number.
    pub number: u32,
    /// The ETag its upload answered; `None` takes whatever part of that number is stored.
    pub etag: Option<String>,
}

impl From<&UploadedPart> for CompletedPart {
    fn from(part: &UploadedPart) -> Self {
        CompletedPart { number: part.number, etag: Some(part.etag.clone()) }
    }
}

fn ttl_ms(options: &PutOptions) -> Option<u64> {
    options.ttl.map(|ttl| u64::try_from(ttl.as_millis()).unwrap_or(u64::MAX).max(1))
}

impl Bucket {
    /// Starts a multipart upload of `key`, whose object will have `options`' content type
    /// and attributes (its condition, TTL and fence are given to
    /// [`Bucket::complete_upload`]); answers the upload's id.
    pub async fn create_upload(&self, key: &str, options: &PutOptions) -> Result<String, ClientError> {
        self.write("create_multipart_upload", |mut client, call, left| {
            let mut request = tonic::Request::new(pb::CreateMultipartUploadRequest {
                call,
                key: key.to_owned(),
                content_type: options.content_type.clone(),
                attributes: options.attributes.clone().into_iter().collect(),
            });
            request.set_timeout(left);
            async move { client.create_multipart_upload(request).await.map(|answer| answer.into_inner().upload_id) }
        })
        .await
    }

    /// Stores `data` as part `number` (from 1) of upload `upload_id` of `key`, replacing a
    /// part of that number stored before.
    pub async fn upload_part(
        &self,
        key: &str,
        upload_id: &str,
        number: u32,
        data: &[u8],
    ) -> Result<UploadedPart, ClientError> {
        let answer = self
            .write("upload_part", |mut client, call, left| {
                let header = pb::UploadPartHeader {
                    call,
                    key: key.to_owned(),
                    upload_id: upload_id.to_owned(),
                    part_number: u64::from(number),
                };
                let mut messages = vec![pb::UploadPartRequest { header: Some(header), ..Default::default() }];
                messages.extend(
                    data.chunks(PUT_CHUNK_BYTES)
                        .map(|chunk| pb::UploadPartRequest { data: chunk.to_vec(), ..Default::default() }),
                );
                // The part is complete: without `last`, the server stores nothing.
                if let Some(final_message) = messages.last_mut() {
                    final_message.last = true;
                }
                let mut request = tonic::Request::new(futures_util::stream::iter(messages));
                request.set_timeout(left);
                async move { client.upload_part(request).await.map(tonic::Response::into_inner) }
            })
            .await?;
        Ok(UploadedPart { number, etag: answer.etag, size: answer.size })
    }

    /// Writes the `parts` of upload `upload_id` (ascending numbers, each once), in that order,
    /// as object `key`, if `options`' condition holds (create-only, If-Match, version, fence,
    /// as for [`Bucket::put`]; its TTL applies, its content type and attributes are the
    /// ones given at the upload's creation); answers the object's metadata. The upload is
    /// gone afterwards.
    pub async fn complete_upload(
        &self,
        key: &str,
        upload_id: &str,
        parts: &[CompletedPart],
        options: &PutOptions,
    ) -> Result<ObjectInfo, ClientError> {
        use pb::complete_multipart_upload_request::Condition as C;
        use pb::put_object_header::Condition as P;
        let condition = types::put_condition(&options.condition).map(|condition| match condition {
            P::CreateOnly(only) => C::CreateOnly(only),
            P::IfMatch(etag) => C::IfMatch(etag),
            P::IfVersion(version) => C::IfVersion(version),
        });
        let parts: Vec<pb::CompletedPart> = parts
            .iter()
            .map(|part| pb::CompletedPart {
                part_number: u64::from(part.number),
                etag: part.etag.clone().unwrap_or_default(),
            })
            .collect();
        let meta = self
            .write("complete_multipart_upload", |mut client, call, left| {
                let mut request = tonic::Request::new(pb::CompleteMultipartUploadRequest {
                    call,
                    key: key.to_owned(),
                    upload_id: upload_id.to_owned(),
                    parts: parts.clone(),
                    condition: condition.clone(),
                    if_fence_at_least: options.if_fence_at_least,
                    ttl_ms: ttl_ms(options),
                });
                request.set_timeout(left);
                async move { client.complete_multipart_upload(request).await.map(|answer| answer.into_inner().meta) }
            })
            .await?;
        meta.map(ObjectInfo::from).ok_or_else(|| missing_meta("complete_multipart_upload"))
    }

    /// Abandons upload `upload_id` of `key`: nothing is written, and a later completion is
    /// refused.
    pub async fn abort_upload(&self, key: &str, upload_id: &str) -> Result<(), ClientError> {
        self.write("abort_multipart_upload", |mut client, call, left| {
            let mut request = tonic::Request::new(pb::AbortMultipartUploadRequest {
                call,
                key: key.to_owned(),
                upload_id: upload_id.to_owned(),
            });
            request.set_timeout(left);
            async move { client.abort_multipart_upload(request).await.map(drop) }
        })
        .await
    }
}
