//! The public `ObjectService`: buckets of objects on the node's CP groups.
//!
//! Each rpc converts its request with `coterie_api::convert::object` (the same `Call` header
//! rules as every structure call), finds the named group's local replica, and hands the
//! command to [`ObjectStore`]: a put stores its parts on a majority of the group's members and
//! then commits one metadata apply, a get reads the metadata and streams the bytes, the others
//! are one metadata command. Errors become statuses in [`object_status`]: an engine error the
//! one way every rpc maps it (`status::from_engine`), and the blob side's own failures as
//! `unavailable`, `out_of_range` or `invalid_argument`.

use std::pin::Pin;
use std::sync::Arc;
use std::time::Duration;

use coterie_api::convert::{ConvertError, Routed, object};
use coterie_api::pb::object_service_server::ObjectService;
use coterie_api::{pb, status};
use coterie_core::kinds::bucket::{BucketCommand, BucketOutput, ByteSpan};
use coterie_core::{CoreError, EngineError, GroupCommand, StructureCommand, Target};
use coterie_storage::blob::BlobError;
use futures_util::{Stream, StreamExt};
use tonic::{Request, Response, Status, Streaming};

use super::Inner;
use super::api::call_timeout;
use crate::cp::CpNode;
use crate::object::{
    BlobsError, Caller, CompletedPart, GroupRef, MultipartError, ObjectError, ObjectKey, ObjectReader, ObjectStore,
    PutOptions, UploadKey,
};

/// The most bytes one `GetObjectResponse` carries (below every gRPC library's default limit of
/// 4 MiB per message).
const GET_CHUNK_BYTES: usize = 1 << 20;

/// The `ObjectService` of a node.
#[derive(Clone)]
pub(super) struct ObjectServer {
    inner: Arc<Inner>,
    store: ObjectStore,
}

impl ObjectServer {
    pub(super) fn new(inner: Arc<Inner>) -> Self {
        let store = ObjectStore::new(inner.blobs.clone(), inner.config.object_limits);
        ObjectServer { inner, store }
    }

    fn timeout<T>(&self, request: &Request<T>) -> Duration {
        let config = &self.inner.config;
        call_timeout(request.metadata(), config.default_call_timeout, config.max_call_timeout)
    }

    /// The group replica, bucket name, bucket command and caller of a routed request.
    async fn open(&self, routed: Routed) -> Result<(Arc<CpNode>, String, BucketCommand, Caller), Status> {
        let Target::Cp { group } = &routed.target else {
            return Err(status::from_core(&CoreError::invalid_request("object", "buckets live in CP groups")));
        };
        let node = self.inner.group(group).await.map_err(|err| status::from_engine(&EngineError::from(err)))?;
        let GroupCommand::Invoke { name, command: StructureCommand::Bucket(command) } = routed.command else {
            return Err(status::internal("an object request converted to a command that is not a bucket's"));
        };
        let caller = Caller { session: routed.caller.session, invocation: routed.caller.invocation };
        Ok((node, name, command, caller))
    }

    /// Runs a metadata-only command and answers the bucket's output.
    async fn metadata(&self, routed: Result<Routed, ConvertError>, timeout: Duration) -> Result<BucketOutput, Status> {
        let (node, bucket, command, caller) = self.open(routed?).await?;
        self.store
            .metadata(&GroupRef::local(&node), &bucket, command, caller, timeout)
            .await
            .map_err(|err| object_status(&err))
    }
}

impl ObjectServer {
    /// A copy or a rename: one bucket command, answered with the destination's metadata.
    async fn transfer(
        &self,
        request: Request<pb::TransferObjectRequest>,
        rename: bool,
    ) -> Result<Response<pb::TransferObjectResponse>, Status> {
        let timeout = self.timeout(&request);
        let request = request.into_inner();
        let to = request.to.clone();
        let operation = if rename { "rename_object" } else { "copy_object" };
        let output = self.metadata(object::transfer(request, rename), timeout).await?;
        let meta = object::written(output, &to, operation).map_err(convert_status)?;
        Ok(Response::new(pb::TransferObjectResponse { meta: Some(meta) }))
    }
}

/// The status for an object operation's failure.
fn object_status(err: &ObjectError) -> Status {
    match err {
        ObjectError::Engine(engine) => status::from_engine(engine),
        ObjectError::Blobs(BlobsError::Store(BlobError::OutOfRange { .. })) => Status::out_of_range(err.to_string()),
        ObjectError::Blobs(_) => status::unavailable(err.to_string(), None),
        ObjectError::TooLarge { .. } | ObjectError::Body(_) => {
            status::from_core(&CoreError::invalid_request("put_object", err.to_string()))
        }
        ObjectError::Unexpected(_) => status::internal(err.to_string()),
    }
}

/// The status for a multipart operation's failure: the object store's own failures as
/// [`object_status`] maps them, the upload's (unknown upload, bad part list, limits) as
/// `invalid_argument` naming `operation` and what was wrong.
fn multipart_status(err: &MultipartError, operation: &'static str) -> Status {
    match (err, err.core(operation)) {
        (MultipartError::Object(object), None) => object_status(object),
        (_, Some(core)) => status::from_core(&core),
        (_, None) => status::internal(err.to_string()),
    }
}

fn convert_status(err: ConvertError) -> Status {
    Status::from(err)
}

type GetStream = Pin<Box<dyn Stream<Item = Result<pb::GetObjectResponse, Status>> + Send>>;

/// The messages of a get: the metadata and range first, then the bytes in chunks of at most
/// [`GET_CHUNK_BYTES`].
fn get_stream(first: pb::GetObjectResponse, reader: ObjectReader) -> GetStream {
    let state = (Some(first), reader, Vec::<u8>::new(), false);
    Box::pin(futures_util::stream::unfold(state, |(first, mut reader, mut pending, done)| async move {
        if let Some(first) = first {
            return Some((Ok(first), (None, reader, pending, done)));
        }
        loop {
            if !pending.is_empty() {
                let rest = pending.split_off(pending.len().min(GET_CHUNK_BYTES));
                let chunk = pb::GetObjectResponse { data: pending, ..Default::default() };
                return Some((Ok(chunk), (None, reader, rest, done)));
            }
            if done {
                return None;
            }
            match reader.next_chunk().await {
                Some(Ok(bytes)) => pending = bytes,
                Some(Err(err)) => return Some((Err(object_status(&err)), (None, reader, Vec::new(), true))),
                None => return None,
            }
        }
    }))
}

/// A message of a streamed body (a put's, a part's): its bytes, and whether it is the last.
trait BodyMessage: Send + 'static {
    fn body(self) -> (Vec<u8>, bool);
}

impl BodyMessage for pb::PutObjectRequest {
    fn body(self) -> (Vec<u8>, bool) {
        (self.data, self.last)
    }
}

impl BodyMessage for pb::UploadPartRequest {
    fn body(self) -> (Vec<u8>, bool) {
        (self.data, self.last)
    }
}

/// Where a put's body stream is.
enum BodyState {
    /// Reading data messages.
    Open,
    /// The `last` message was read; only the stream's end may follow.
    Last,
    /// Ended, or failed (reported once).
    Done,
}

/// The bytes of a put's messages (the first one's `data` and `last` given apart, as the
/// header was taken from it), ending cleanly only after a message with `last` set.
///
/// tonic reports a request stream the client cancelled (an HTTP/2 reset) as its clean end,
/// so a put cancelled halfway, a dropped upload or a timed-out attempt, would otherwise
/// commit the bytes read so far as the whole object. Ending without `last` is an error
/// instead, which fails the put before its metadata commit.
fn finished_body<M: BodyMessage>(
    first: Vec<u8>,
    first_last: bool,
    messages: Streaming<M>,
) -> impl Stream<Item = Result<Vec<u8>, String>> + Unpin {
    let state = if first_last { BodyState::Last } else { BodyState::Open };
    let head = futures_util::stream::iter([Ok(first)]);
    let rest = futures_util::stream::unfold((messages, state), |(mut messages, state)| async move {
        let last_read = match state {
            BodyState::Done => return None,
            BodyState::Open => false,
            BodyState::Last => true,
        };
        let (item, state) = match messages.next().await {
            Some(Ok(message)) if !last_read => {
                let (data, last) = message.body();
                (Ok(data), if last { BodyState::Last } else { BodyState::Open })
            }
            Some(Ok(_)) => (
                Err("a message followed the put's last one (`last` is set on the final message only)".to_owned()),
                BodyState::Done,
            ),
            Some(Err(status)) => (Err(status.message().to_owned()), BodyState::Done),
            None if last_read => return None,
            None => (
                Err("the put's stream ended before a message with `last` set: the client cancelled it, or never \
                     finished it; nothing was written"
                    .to_owned()),
                BodyState::Done,
            ),
        };
        Some((item, (messages, state)))
    });
    Box::pin(head.chain(rest))
}

#[tonic::async_trait]
impl ObjectService for ObjectServer {
    async fn put_object(
        &self,
        request: Request<Streaming<pb::PutObjectRequest>>,
    ) -> Result<Response<pb::PutObjectResponse>, Status> {
        let timeout = self.timeout(&request);
        let mut messages = request.into_inner();
        let first = messages.next().await.ok_or_else(|| {
            convert_status(ConvertError::InvalidArgument {
                operation: "put_object",
                reason: "the put carried no message; send the header first".to_owned(),
            })
        })??;
        let routed = object::put_header(first.header).map_err(convert_status)?;
        let (node, bucket, command, caller) = self.open(routed).await?;
        let BucketCommand::Put { key, content_type, attributes, ttl, condition, if_fence_at_least, .. } = command
        else {
            return Err(status::internal("a put header converted to another bucket command"));
        };
        let options = PutOptions { condition, content_type, attributes, ttl, if_fence_at_least };
        let body = finished_body(first.data, first.last, messages);
        let meta = self
            .store
            .put(&GroupRef::local(&node), ObjectKey { bucket: &bucket, key: &key }, body, options, caller, timeout)
            .await
            .map_err(|err| object_status(&err))?;
        Ok(Response::new(pb::PutObjectResponse { meta: Some(object::meta(&key, &meta)) }))
    }

    type GetObjectStream = GetStream;

    async fn get_object(&self, request: Request<pb::GetObjectRequest>) -> Result<Response<GetStream>, Status> {
        let timeout = self.timeout(&request);
        let request = request.into_inner();
        let key = request.key.clone();
        let (node, bucket, command, caller) = self.open(object::get(request).map_err(convert_status)?).await?;
        let output = self
            .store
            .metadata(&GroupRef::local(&node), &bucket, command, caller, timeout)
            .await
            .map_err(|err| object_status(&err))?;
        let BucketOutput::Object { meta, range } = output else {
            return Err(status::internal(format!("a get was answered {output:?}")));
        };
        let span = range.unwrap_or(ByteSpan { start: 0, end: meta.size });
        let first = pb::GetObjectResponse {
            meta: Some(object::meta(&key, &meta)),
            range_start: span.start,
            range_end: span.end,
            data: Vec::new(),
        };
        let reader = self.store.reader(&node, &meta, range, timeout);
        Ok(Response::new(get_stream(first, reader)))
    }

    async fn head_object(
        &self,
        request: Request<pb::HeadObjectRequest>,
    ) -> Result<Response<pb::HeadObjectResponse>, Status> {
        let timeout = self.timeout(&request);
        let request = request.into_inner();
        let key = request.key.clone();
        match self.metadata(object::head(request), timeout).await? {
            BucketOutput::Object { meta, .. } => {
                Ok(Response::new(pb::HeadObjectResponse { meta: Some(object::meta(&key, &meta)) }))
            }
            other => Err(status::internal(format!("a head was answered {other:?}"))),
        }
    }

    async fn delete_object(
        &self,
        request: Request<pb::DeleteObjectRequest>,
    ) -> Result<Response<pb::DeleteObjectResponse>, Status> {
        let timeout = self.timeout(&request);
        match self.metadata(object::delete(request.into_inner()), timeout).await? {
            BucketOutput::Deleted { existed } => Ok(Response::new(pb::DeleteObjectResponse { existed })),
            other => Err(status::internal(format!("a delete was answered {other:?}"))),
        }
    }

    async fn list_objects(
        &self,
        request: Request<pb::ListObjectsRequest>,
    ) -> Result<Response<pb::ListObjectsResponse>, Status> {
        let timeout = self.timeout(&request);
        let output = self.metadata(object::list(request.into_inner()), timeout).await?;
        Ok(Response::new(object::listing(output).map_err(convert_status)?))
    }

    async fn copy_object(
        &self,
        request: Request<pb::TransferObjectRequest>,
    ) -> Result<Response<pb::TransferObjectResponse>, Status> {
        self.transfer(request, false).await
    }

    async fn rename_object(
        &self,
        request: Request<pb::TransferObjectRequest>,
    ) -> Result<Response<pb::TransferObjectResponse>, Status> {
        self.transfer(request, true).await
    }

    async fn set_object_ttl(
        &self,
        request: Request<pb::SetObjectTtlRequest>,
    ) -> Result<Response<pb::SetObjectTtlResponse>, Status> {
        let timeout = self.timeout(&request);
        let request = request.into_inner();
        let key = request.key.clone();
        let output = self.metadata(object::set_ttl(request), timeout).await?;
        let meta = object::written(output, &key, "set_object_ttl").map_err(convert_status)?;
        Ok(Response::new(pb::SetObjectTtlResponse { meta: Some(meta) }))
    }

    async fn create_multipart_upload(
        &self,
        request: Request<pb::CreateMultipartUploadRequest>,
    ) -> Result<Response<pb::CreateMultipartUploadResponse>, Status> {
        const OPERATION: &str = "create_multipart_upload";
        let timeout = self.timeout(&request);
        let (node, bucket, command, caller) =
            self.open(object::create_upload(request.into_inner()).map_err(convert_status)?).await?;
        let BucketCommand::Put { key, content_type, attributes, .. } = command else {
            return Err(status::internal("an upload's creation converted to another bucket command"));
        };
        let options = PutOptions { content_type, attributes, ..PutOptions::default() };
        let upload_id = self
            .store
            .create_upload(&GroupRef::local(&node), ObjectKey { bucket: &bucket, key: &key }, options, caller, timeout)
            .await
            .map_err(|err| multipart_status(&err, OPERATION))?;
        Ok(Response::new(pb::CreateMultipartUploadResponse { upload_id }))
    }

    async fn upload_part(
        &self,
        request: Request<Streaming<pb::UploadPartRequest>>,
    ) -> Result<Response<pb::UploadPartResponse>, Status> {
        const OPERATION: &str = "upload_part";
        let timeout = self.timeout(&request);
        let mut messages = request.into_inner();
        let first = messages.next().await.ok_or_else(|| {
            convert_status(ConvertError::InvalidArgument {
                operation: OPERATION,
                reason: "the part carried no message; send the header first".to_owned(),
            })
        })??;
        let (routed, upload_id, number) = object::upload_part_header(first.header).map_err(convert_status)?;
        let (node, bucket, command, caller) = self.open(routed).await?;
        let key = upload_key(command)?;
        let upload = UploadKey { bucket: &bucket, key: &key, upload_id: &upload_id };
        let body = finished_body(first.data, first.last, messages);
        let meta = self
            .store
            .upload_part(&GroupRef::local(&node), upload, number, body, caller, timeout)
            .await
            .map_err(|err| multipart_status(&err, OPERATION))?;
        Ok(Response::new(pb::UploadPartResponse { etag: meta.etag.as_str().to_owned(), size: meta.size }))
    }

    async fn complete_multipart_upload(
        &self,
        request: Request<pb::CompleteMultipartUploadRequest>,
    ) -> Result<Response<pb::CompleteMultipartUploadResponse>, Status> {
        const OPERATION: &str = "complete_multipart_upload";
        let timeout = self.timeout(&request);
        let (routed, upload_id, listed) = object::complete_upload(request.into_inner()).map_err(convert_status)?;
        let (node, bucket, command, caller) = self.open(routed).await?;
        let BucketCommand::Put { key, ttl, condition, if_fence_at_least, .. } = command else {
            return Err(status::internal("an upload's completion converted to another bucket command"));
        };
        let max = self.store.limits().max_upload_parts;
        let parts = listed
            .into_iter()
            .map(|(number, etag)| match u32::try_from(number) {
                Ok(number) => Ok(CompletedPart { number, etag }),
                Err(_) => Err(MultipartError::PartNumber { number, max }),
            })
            .collect::<Result<Vec<_>, _>>()
            .map_err(|err| multipart_status(&err, OPERATION))?;
        let options = PutOptions { condition, ttl, if_fence_at_least, ..PutOptions::default() };
        let upload = UploadKey { bucket: &bucket, key: &key, upload_id: &upload_id };
        let meta = self
            .store
            .complete_upload(&GroupRef::local(&node), upload, &parts, options, caller, timeout)
            .await
            .map_err(|err| multipart_status(&err, OPERATION))?;
        Ok(Response::new(pb::CompleteMultipartUploadResponse { meta: Some(object::meta(&key, &meta)) }))
    }

    async fn abort_multipart_upload(
        &self,
        request: Request<pb::AbortMultipartUploadRequest>,
    ) -> Result<Response<pb::AbortMultipartUploadResponse>, Status> {
        const OPERATION: &str = "abort_multipart_upload";
        let timeout = self.timeout(&request);
        let (routed, upload_id) = object::abort_upload(request.into_inner()).map_err(convert_status)?;
        let (node, bucket, command, caller) = self.open(routed).await?;
        let key = upload_key(command)?;
        let upload = UploadKey { bucket: &bucket, key: &key, upload_id: &upload_id };
        self.store
            .abort_upload(&GroupRef::local(&node), upload, caller, timeout)
            .await
            .map_err(|err| multipart_status(&err, OPERATION))?;
        Ok(Response::new(pb::AbortMultipartUploadResponse {}))
    }
}

/// The key of a call about an upload (routed as a head of the key).
fn upload_key(command: BucketCommand) -> Result<String, Status> {
    match command {
        BucketCommand::Head { key, .. } => Ok(key),
        _ => Err(status::internal("an upload call converted to another bucket command")),
    }
}
