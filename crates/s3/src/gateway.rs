//! The `s3s::S3` implementation: each S3 operation as one object-store call on the bucket's
//! CP group, reached through the node's router ([`GroupRef::routed`]): a gateway on any CP
//! member serves every operation, its metadata calls forwarded to the group's leader by the
//! same path as every other face's (`coterie_server::engine::serve`), its bytes stored on a
//! majority from this member.
//!
//! Conditions go to the bucket as they are, so the apply that writes also decides: a put
//! with `If-None-Match: *` is a create-only put, `If-Match` an ETag compare-and-swap, a copy
//! with the copy-if-not-exists header a copy that refuses an existing destination. Reads
//! (Get, Head, List) use the linearizable read path.

use std::sync::Arc;
use std::time::Duration;

use coterie_core::kinds::bucket::{
    BucketCommand, BucketOutput, DeleteCondition, ObjectMeta, PutCondition, ReadConditions,
};
use coterie_core::{EngineError, GroupOutput, Target};
use coterie_server::cp::CpNode;
use coterie_server::object::{Caller, GroupRef, ObjectKey, ObjectStore, PutOptions};
use coterie_server::{CallOptions, Engine, Node, Request};
use futures_util::StreamExt;
use futures_util::future::BoxFuture;
use s3s::dto::{self, ETagCondition};
use s3s::{S3, S3ErrorCode, S3Request, S3Response, S3Result};

use crate::convert::{self, check_bucket};
use crate::error::{engine_error, s3, s3_error};
use crate::multipart;

/// How the gateway runs.
#[derive(Clone, Debug)]
pub struct GatewayConfig {
    /// The CP group whose `Bucket` structures are the S3 buckets (`default`).
    pub group: String,
    /// How long one operation may take (the body's upload included).
    pub timeout: Duration,
    /// The request header that makes a CopyObject copy-if-not-exists when its value is
    /// `true` (what `object_store`'s `S3CopyIfNotExists::Header(name, "true")` sends).
    pub copy_if_not_exists_header: String,
}

impl Default for GatewayConfig {
    fn default() -> Self {
        GatewayConfig {
            group: "default".to_owned(),
            timeout: Duration::from_secs(600),
            copy_if_not_exists_header: "x-coterie-copy-if-not-exists".to_owned(),
        }
    }
}

/// The S3 face of one node.
#[derive(Clone)]
pub struct Gateway {
    node: Arc<Node>,
    pub(crate) store: ObjectStore,
    pub(crate) config: Arc<GatewayConfig>,
}

impl Gateway {
    /// A gateway over `node`, within the node's object limits (part size, largest object,
    /// upload window: the ones its blob collector counts on).
    pub fn new(node: Arc<Node>, config: GatewayConfig) -> Self {
        let store = ObjectStore::new(node.blobs().clone(), node.object_limits());
        Gateway { node, store, config: Arc::new(config) }
    }

    /// The node's replica of the gateway's group.
    pub(crate) async fn replica(&self) -> S3Result<Arc<CpNode>> {
        self.node.group(&self.config.group).await.map_err(|err| engine_error(&EngineError::from(err)))
    }

    /// The gateway's group through the node's router, which forwards to the group's leader.
    pub(crate) fn router(&self) -> Routed<'_> {
        Routed { node: &self.node, target: Target::cp(self.config.group.clone()) }
    }

    /// Runs a metadata command (or a read) on `bucket`.
    pub(crate) async fn metadata(&self, bucket: &str, command: BucketCommand) -> S3Result<BucketOutput> {
        let (replica, router) = (self.replica().await?, self.router());
        let group = GroupRef::routed(&replica, &router);
        let caller = Caller::default();
        self.store.metadata(&group, bucket, command, caller, self.config.timeout).await.map_err(|err| s3_error(&err))
    }
}

/// A CP group as the node's router serves it: [`Node::call`], the one handler path, which
/// forwards to the group's leader what this member's replica cannot serve.
pub(crate) struct Routed<'a> {
    node: &'a Node,
    target: Target,
}

impl Engine for Routed<'_> {
    fn call(&self, request: Request, options: CallOptions) -> BoxFuture<'_, Result<GroupOutput, EngineError>> {
        Box::pin(self.node.call(&self.target, request, options))
    }
}

/// The put condition of S3's `If-None-Match` / `If-Match` pair.
pub(crate) fn put_condition(
    if_none_match: Option<&ETagCondition>,
    if_match: Option<&ETagCondition>,
) -> S3Result<PutCondition> {
    match (if_none_match, if_match) {
        (None, None) => Ok(PutCondition::Overwrite),
        (Some(ETagCondition::Any), None) => Ok(PutCondition::CreateOnly),
        (None, Some(ETagCondition::ETag(tag))) => Ok(PutCondition::IfMatch(convert::etag(tag))),
        (Some(ETagCondition::ETag(_)), None) => Err(s3(
            S3ErrorCode::NotImplemented,
            "If-None-Match on a write takes only '*' (create-only); use If-Match: \"<etag>\" for compare-and-swap",
        )),
        (None, Some(ETagCondition::Any)) => Err(s3(
            S3ErrorCode::NotImplemented,
            "If-Match: * on a write is not supported; use If-Match: \"<etag>\" with the ETag you read",
        )),
        (Some(_), Some(_)) => Err(s3(
            S3ErrorCode::InvalidArgument,
            "a write takes If-None-Match or If-Match, not both; send one condition",
        )),
    }
}

fn read_conditions(
    if_match: Option<&ETagCondition>,
    if_none_match: Option<&ETagCondition>,
    if_modified_since: Option<&dto::Timestamp>,
    if_unmodified_since: Option<&dto::Timestamp>,
) -> ReadConditions {
    ReadConditions {
        if_match: if_match.map(convert::etag_match),
        if_none_match: if_none_match.map(convert::etag_match),
        if_modified_since: if_modified_since.map(convert::http_date),
        if_unmodified_since: if_unmodified_since.map(convert::http_date),
    }
}

fn object(
    output: BucketOutput,
    operation: &str,
) -> S3Result<(ObjectMeta, Option<coterie_core::kinds::bucket::ByteSpan>)> {
    match output {
        BucketOutput::Object { meta, range } => Ok((meta, range)),
        other => {
            Err(s3(S3ErrorCode::InternalError, format!("{operation} was answered {other:?}; this is a gateway bug")))
        }
    }
}

pub(crate) fn written(output: BucketOutput, operation: &str) -> S3Result<ObjectMeta> {
    match output {
        BucketOutput::Written(meta) => Ok(meta),
        other => {
            Err(s3(S3ErrorCode::InternalError, format!("{operation} was answered {other:?}; this is a gateway bug")))
        }
    }
}

/// The bytes of a get: a task reads the parts and sends them on a channel, so the body is a
/// `Send + Sync` stream as `s3s` needs, and a large object is never held whole.
struct Body(tokio::sync::mpsc::Receiver<Result<bytes::Bytes, coterie_server::object::ObjectError>>);

impl futures_util::Stream for Body {
    type Item = Result<bytes::Bytes, coterie_server::object::ObjectError>;

    fn poll_next(
        mut self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<Option<Self::Item>> {
        self.0.poll_recv(cx)
    }
}

fn body(mut reader: coterie_server::object::ObjectReader) -> dto::StreamingBlob {
    let (sender, receiver) = tokio::sync::mpsc::channel(2);
    tokio::spawn(async move {
        while let Some(chunk) = reader.next_chunk().await {
            let failed = chunk.is_err();
            if sender.send(chunk.map(bytes::Bytes::from)).await.is_err() || failed {
                break;
            }
        }
    });
    dto::StreamingBlob::wrap(Body(receiver))
}

#[async_trait::async_trait]
impl S3 for Gateway {
    async fn create_bucket(
        &self,
        req: S3Request<dto::CreateBucketInput>,
    ) -> S3Result<S3Response<dto::CreateBucketOutput>> {
        // A bucket exists once used: creating one only checks its name.
        check_bucket(&req.input.bucket)?;
        Ok(S3Response::new(dto::CreateBucketOutput::default()))
    }

    async fn head_bucket(&self, req: S3Request<dto::HeadBucketInput>) -> S3Result<S3Response<dto::HeadBucketOutput>> {
        check_bucket(&req.input.bucket)?;
        Ok(S3Response::new(dto::HeadBucketOutput::default()))
    }

    async fn put_object(&self, req: S3Request<dto::PutObjectInput>) -> S3Result<S3Response<dto::PutObjectOutput>> {
        let input = req.input;
        check_bucket(&input.bucket)?;
        let condition = put_condition(input.if_none_match.as_ref(), input.if_match.as_ref())?;
        let options = PutOptions {
            condition,
            content_type: input.content_type,
            attributes: convert::attributes(input.metadata),
            ..PutOptions::default()
        };
        let (replica, router) = (self.replica().await?, self.router());
        let group = GroupRef::routed(&replica, &router);
        let object = ObjectKey { bucket: &input.bucket, key: &input.key };
        let meta = match input.body {
            Some(body) => {
                let body = body.map(|chunk| chunk.map(|bytes| bytes.to_vec()).map_err(|err| err.to_string()));
                self.store.put(&group, object, Box::pin(body), options, Caller::default(), self.config.timeout).await
            }
            None => {
                let empty = futures_util::stream::empty::<Result<Vec<u8>, String>>();
                self.store.put(&group, object, empty, options, Caller::default(), self.config.timeout).await
            }
        }
        .map_err(|err| s3_error(&err))?;
        let output = dto::PutObjectOutput {
            e_tag: Some(convert::http_etag(&meta)),
            size: Some(convert::size(meta.size)),
            ..Default::default()
        };
        Ok(S3Response::new(output))
    }

    async fn get_object(&self, req: S3Request<dto::GetObjectInput>) -> S3Result<S3Response<dto::GetObjectOutput>> {
        let input = req.input;
        check_bucket(&input.bucket)?;
        if input.part_number.is_some() {
            return Err(s3(S3ErrorCode::NotImplemented, "GetObject by partNumber is not supported; use a Range"));
        }
        let conditions = read_conditions(
            input.if_match.as_ref(),
            input.if_none_match.as_ref(),
            input.if_modified_since.as_ref(),
            input.if_unmodified_since.as_ref(),
        );
        let range = input.range.as_ref().map(convert::range).transpose()?;
        let command = BucketCommand::Get { key: input.key, conditions, range };
        let (meta, span) = object(self.metadata(&input.bucket, command).await?, "GetObject")?;
        let replica = self.replica().await?;
        let reader = self.store.reader(&replica, &meta, span, self.config.timeout);
        let length = span.map_or(meta.size, |span| span.end - span.start);
        let output = dto::GetObjectOutput {
            body: Some(body(reader)),
            content_length: Some(convert::size(length)),
            content_range: span.map(|span| convert::content_range(span, meta.size)),
            content_type: meta.content_type.clone(),
            e_tag: Some(convert::http_etag(&meta)),
            last_modified: Some(convert::timestamp(meta.last_modified)),
            metadata: convert::metadata(&meta),
            accept_ranges: Some("bytes".to_owned()),
            ..Default::default()
        };
        Ok(S3Response::new(output))
    }

    async fn head_object(&self, req: S3Request<dto::HeadObjectInput>) -> S3Result<S3Response<dto::HeadObjectOutput>> {
        let input = req.input;
        check_bucket(&input.bucket)?;
        let conditions = read_conditions(
            input.if_match.as_ref(),
            input.if_none_match.as_ref(),
            input.if_modified_since.as_ref(),
            input.if_unmodified_since.as_ref(),
        );
        let command = BucketCommand::Head { key: input.key, conditions };
        let (meta, _) = object(self.metadata(&input.bucket, command).await?, "HeadObject")?;
        let output = dto::HeadObjectOutput {
            content_length: Some(convert::size(meta.size)),
            content_type: meta.content_type.clone(),
            e_tag: Some(convert::http_etag(&meta)),
            last_modified: Some(convert::timestamp(meta.last_modified)),
            metadata: convert::metadata(&meta),
            accept_ranges: Some("bytes".to_owned()),
            ..Default::default()
        };
        Ok(S3Response::new(output))
    }

    async fn delete_object(
        &self,
        req: S3Request<dto::DeleteObjectInput>,
    ) -> S3Result<S3Response<dto::DeleteObjectOutput>> {
        let input = req.input;
        check_bucket(&input.bucket)?;
        let condition = match input.if_match {
            None => DeleteCondition::Any,
            Some(ETagCondition::ETag(tag)) => DeleteCondition::IfMatch(convert::etag(&tag)),
            Some(ETagCondition::Any) => {
                return Err(s3(
                    S3ErrorCode::NotImplemented,
                    "If-Match: * on a delete is not supported; use If-Match: \"<etag>\" with the ETag you read",
                ));
            }
        };
        let command = BucketCommand::Delete { key: input.key, condition, if_fence_at_least: None };
        match self.metadata(&input.bucket, command).await? {
            BucketOutput::Deleted { .. } => Ok(S3Response::new(dto::DeleteObjectOutput::default())),
            other => Err(s3(
                S3ErrorCode::InternalError,
                format!("DeleteObject was answered {other:?}; this is a gateway bug"),
            )),
        }
    }

    async fn copy_object(&self, req: S3Request<dto::CopyObjectInput>) -> S3Result<S3Response<dto::CopyObjectOutput>> {
        let header = match req.headers.get(self.config.copy_if_not_exists_header.as_str()) {
            None => false,
            Some(value) if value.as_bytes().eq_ignore_ascii_case(b"true") => true,
            Some(_) => {
                return Err(s3(
                    S3ErrorCode::InvalidArgument,
                    format!("header {} takes the value \"true\"", self.config.copy_if_not_exists_header),
                ));
            }
        };
        // AWS's own form of copy-if-not-exists: `If-None-Match: *` on the destination (s3s
        // 0.14 does not parse it for CopyObject, so it is read from the request).
        let if_none_match = match req.headers.get("if-none-match") {
            None => false,
            Some(value) if value.as_bytes() == b"*" => true,
            Some(_) => {
                return Err(s3(
                    S3ErrorCode::NotImplemented,
                    "If-None-Match on CopyObject takes only '*' (copy only if the destination does not exist)",
                ));
            }
        };
        if req.headers.contains_key("if-match") {
            return Err(s3(
                S3ErrorCode::NotImplemented,
                "If-Match on CopyObject's destination is not supported; use x-amz-copy-source-if-match for the source, \
                 or If-None-Match: * for a destination that must not exist",
            ));
        }
        let if_not_exists = header || if_none_match;
        let input = req.input;
        check_bucket(&input.bucket)?;
        let dto::CopySource::Bucket { bucket: from_bucket, key: from, .. } = &input.copy_source else {
            return Err(s3(S3ErrorCode::NotImplemented, "copy from an access point is not supported; name bucket/key"));
        };
        if **from_bucket != *input.bucket {
            return Err(s3(
                S3ErrorCode::NotImplemented,
                format!(
                    "CopyObject copies within one bucket only ({from_bucket} to {}); get and put to copy across buckets",
                    input.bucket
                ),
            ));
        }
        if input.metadata_directive.as_ref().is_some_and(|d| d.as_str() == dto::MetadataDirective::REPLACE) {
            return Err(s3(
                S3ErrorCode::NotImplemented,
                "CopyObject keeps the source's metadata; x-amz-metadata-directive: REPLACE is not supported",
            ));
        }
        if input.copy_source_if_none_match.is_some()
            || input.copy_source_if_modified_since.is_some()
            || input.copy_source_if_unmodified_since.is_some()
        {
            return Err(s3(
                S3ErrorCode::NotImplemented,
                "CopyObject takes x-amz-copy-source-if-match only; drop the other x-amz-copy-source-if-* headers, \
                 or check the source with HeadObject first",
            ));
        }
        let source_if_match = match &input.copy_source_if_match {
            None => None,
            Some(ETagCondition::ETag(tag)) => Some(convert::etag(tag)),
            Some(ETagCondition::Any) => None,
        };
        let command = BucketCommand::Copy {
            from: from.to_string(),
            to: input.key,
            source_if_match,
            if_not_exists,
            if_fence_at_least: None,
        };
        let meta = written(self.metadata(&input.bucket, command).await?, "CopyObject")?;
        let result = dto::CopyObjectResult {
            e_tag: Some(convert::http_etag(&meta)),
            last_modified: Some(convert::timestamp(meta.last_modified)),
            ..Default::default()
        };
        Ok(S3Response::new(dto::CopyObjectOutput { copy_object_result: Some(result), ..Default::default() }))
    }

    async fn list_objects_v2(
        &self,
        req: S3Request<dto::ListObjectsV2Input>,
    ) -> S3Result<S3Response<dto::ListObjectsV2Output>> {
        let input = req.input;
        check_bucket(&input.bucket)?;
        let max_keys = input.max_keys.unwrap_or(1000).clamp(0, 1000);
        // The continuation token is the last item of the previous page (opaque to clients);
        // it takes precedence over start-after, as in S3.
        let after = input.continuation_token.clone().or_else(|| input.start_after.clone());
        let mut output = dto::ListObjectsV2Output {
            name: Some(input.bucket.clone()),
            prefix: input.prefix.clone(),
            delimiter: input.delimiter.clone(),
            max_keys: Some(max_keys),
            continuation_token: input.continuation_token.clone(),
            start_after: input.start_after.clone(),
            is_truncated: Some(false),
            key_count: Some(0),
            ..Default::default()
        };
        if max_keys == 0 {
            return Ok(S3Response::new(output));
        }
        let command = BucketCommand::List {
            prefix: input.prefix.unwrap_or_default(),
            delimiter: input.delimiter,
            start_after: after,
            max_keys: u32::try_from(max_keys).ok(),
        };
        let BucketOutput::Listing(page) = self.metadata(&input.bucket, command).await? else {
            return Err(s3(
                S3ErrorCode::InternalError,
                "ListObjectsV2 was not answered a listing; this is a gateway bug",
            ));
        };
        let count = page.entries.len() + page.common_prefixes.len();
        let contents = page.entries.iter().map(|(key, meta)| dto::Object {
            key: Some(key.clone()),
            e_tag: Some(convert::http_etag(meta)),
            last_modified: Some(convert::timestamp(meta.last_modified)),
            size: Some(convert::size(meta.size)),
            ..Default::default()
        });
        let prefixes = page.common_prefixes.iter().map(|prefix| dto::CommonPrefix { prefix: Some(prefix.clone()) });
        output.contents = Some(contents.collect());
        output.common_prefixes = Some(prefixes.collect());
        output.key_count = Some(i32::try_from(count).unwrap_or(i32::MAX));
        output.is_truncated = Some(page.is_truncated);
        output.next_continuation_token = page.next_start_after.filter(|_| page.is_truncated);
        Ok(S3Response::new(output))
    }

    async fn create_multipart_upload(
        &self,
        req: S3Request<dto::CreateMultipartUploadInput>,
    ) -> S3Result<S3Response<dto::CreateMultipartUploadOutput>> {
        multipart::create(self, req.input).await.map(S3Response::new)
    }

    async fn upload_part(&self, req: S3Request<dto::UploadPartInput>) -> S3Result<S3Response<dto::UploadPartOutput>> {
        multipart::upload_part(self, req.input).await.map(S3Response::new)
    }

    async fn complete_multipart_upload(
        &self,
        req: S3Request<dto::CompleteMultipartUploadInput>,
    ) -> S3Result<S3Response<dto::CompleteMultipartUploadOutput>> {
        multipart::complete(self, req.input).await.map(S3Response::new)
    }

    async fn abort_multipart_upload(
        &self,
        req: S3Request<dto::AbortMultipartUploadInput>,
    ) -> S3Result<S3Response<dto::AbortMultipartUploadOutput>> {
        multipart::abort(self, req.input).await.map(S3Response::new)
    }
}
