//! Buckets of objects with conditional writes (seed 003), over the gRPC `ObjectService`.
//!
//! `client.bucket("photos")?` names the bucket `photos` in CP group `default`
//! (`photos@media` for group `media`). Every operation is one atomic apply on the group's
//! log, so the seed's patterns take one call each: a lock is a create-only put
//! ([`PutOptions::create_only`]), a compare-and-swap is a put [`PutOptions::if_match`] the
//! ETag read, a TTL lock is renewed with [`Bucket::set_ttl`], a backup is a copy
//! [`CopyOptions::if_not_exists`], and a rename never leaves both keys or neither.
//!
//! Writes carry this client's identity and the next sequence number of the group's series,
//! the same on every resend (`retry.rs`), so a put whose answer was lost and that is sent
//! again is answered from the group's record, not applied twice.
//!
//! Objects made of parts uploaded apart are multipart uploads (`multipart.rs`).

mod multipart;
mod retry;
mod stream;
mod types;

use std::time::Duration;

use coterie_api::pb;
use coterie_api::pb::object_service_client::ObjectServiceClient;
use coterie_core::kinds::bucket::DeleteCondition;
use futures_util::StreamExt;
use tokio::time::Instant;

pub use coterie_core::kinds::bucket::{ByteRange, EtagMatch, PutCondition, PutOptions, ReadConditions};
pub use multipart::{CompletedPart, UploadedPart};
pub use stream::{ObjectStream, REPLAY_BYTES};
pub use types::{CopyOptions, GetOptions, ListOptions, ListPage, Object, ObjectInfo};

use crate::client::{Client, Target};
use crate::error::ClientError;
use crate::grpc::GrpcTransport;

/// The bytes of one `PutObjectRequest` message (below every gRPC library's 4 MiB default).
const PUT_CHUNK_BYTES: usize = 1 << 20;

/// A bucket of objects. Cheap to clone; creating one sends nothing.
#[derive(Clone)]
pub struct Bucket {
    client: Client<GrpcTransport>,
    target: Target,
}

impl std::fmt::Debug for Bucket {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Bucket({}@{})", self.target.name, self.target.group)
    }
}

impl Client<GrpcTransport> {
    /// The bucket `name` (`name@group` for a bucket in another CP group).
    pub fn bucket(&self, name: &str) -> Result<Bucket, ClientError> {
        Ok(Bucket { client: self.clone(), target: Target::parse(name)? })
    }
}

/// The `GetObject` request for `key` as `options` ask, bounded by `left`.
fn get_request(
    call: Option<pb::Call>,
    key: &str,
    options: &GetOptions,
    left: Duration,
) -> tonic::Request<pb::GetObjectRequest> {
    let mut request = tonic::Request::new(pb::GetObjectRequest {
        call,
        key: key.to_owned(),
        conditions: Some(types::read_conditions(&options.conditions)),
        range: options.range.map(types::byte_range),
    });
    request.set_timeout(left);
    request
}

fn missing_meta(operation: &str) -> ClientError {
    ClientError::UnexpectedOutput(format!("the answer to {operation} carried no object metadata"))
}

impl Bucket {
    /// The bucket's name, without its group.
    pub fn name(&self) -> &str {
        &self.target.name
    }

    /// The CP group the bucket lives in.
    pub fn group(&self) -> &str {
        &self.target.group
    }

    fn deadline(&self) -> Instant {
        Instant::now() + self.client.call_timeout
    }

    /// The `Call` header of a read (no seq) or of write `seq`.
    fn call(&self, seq: Option<u64>) -> Option<pb::Call> {
        let (seq, client_id) = match seq {
            Some(seq) => (seq, self.client.shared.client_id.to_bytes().to_vec()),
            None => (0, Vec::new()),
        };
        Some(pb::Call {
            target: Some(pb::call::Target::Group(self.target.group.clone())),
            name: self.target.name.clone(),
            seq,
            client_id,
            ..Default::default()
        })
    }

    /// Runs a write: draws its sequence number, then retries it under that number.
    async fn write<R, F, Fut>(&self, operation: &'static str, send: F) -> Result<R, ClientError>
    where
        F: Fn(ObjectServiceClient<tonic::transport::Channel>, Option<pb::Call>, Duration) -> Fut,
        Fut: Future<Output = Result<R, tonic::Status>>,
    {
        let deadline = self.deadline();
        let (seq, _pending) = self.client.series(&self.target.group).next(true, Some(deadline)).await?;
        let call = self.call(Some(seq));
        self.client
            .object_call(&self.target.group, operation, true, deadline, |channel, left| {
                send(ObjectServiceClient::new(channel), call.clone(), left)
            })
            .await
    }

    /// Runs a read (no sequence number: reads need no dedup).
    async fn read<R, F, Fut>(&self, operation: &'static str, send: F) -> Result<R, ClientError>
    where
        F: Fn(ObjectServiceClient<tonic::transport::Channel>, Option<pb::Call>, Duration) -> Fut,
        Fut: Future<Output = Result<R, tonic::Status>>,
    {
        let call = self.call(None);
        self.client
            .object_call(&self.target.group, operation, false, self.deadline(), |channel, left| {
                send(ObjectServiceClient::new(channel), call.clone(), left)
            })
            .await
    }

    /// Writes `data` as object `key`, if `options`' condition holds; answers its new metadata.
    /// A failed condition is [`ClientError::Refused`] with
    /// [`CoreError::AlreadyExists`](coterie_core::CoreError::AlreadyExists) (create-only),
    /// [`CoreError::PreconditionFailed`](coterie_core::CoreError::PreconditionFailed) or
    /// [`CoreError::StaleFence`](coterie_core::CoreError::StaleFence).
    pub async fn put(&self, key: &str, data: &[u8], options: PutOptions) -> Result<ObjectInfo, ClientError> {
        let meta = self
            .write("put_object", |mut client, call, left| {
                let header = pb::PutObjectHeader {
                    call,
                    key: key.to_owned(),
                    content_type: options.content_type.clone(),
                    attributes: options.attributes.clone().into_iter().collect(),
                    ttl_ms: options.ttl.map(|ttl| u64::try_from(ttl.as_millis()).unwrap_or(u64::MAX).max(1)),
                    condition: types::put_condition(&options.condition),
                    if_fence_at_least: options.if_fence_at_least,
                };
                let mut messages = vec![pb::PutObjectRequest { header: Some(header), ..Default::default() }];
                messages.extend(
                    data.chunks(PUT_CHUNK_BYTES)
                        .map(|chunk| pb::PutObjectRequest { data: chunk.to_vec(), ..Default::default() }),
                );
                // The body is complete: without `last`, the server commits nothing.
                if let Some(final_message) = messages.last_mut() {
                    final_message.last = true;
                }
                let mut request = tonic::Request::new(futures_util::stream::iter(messages));
                request.set_timeout(left);
                async move { client.put_object(request).await.map(|answer| answer.into_inner().meta) }
            })
            .await?;
        meta.map(ObjectInfo::from).ok_or_else(|| missing_meta("put_object"))
    }

    /// Reads object `key` (or the range `options` asks for), if `options`' conditions allow.
    /// A cached copy that is still current is [`ClientError::Refused`] with
    /// [`CoreError::NotModified`](coterie_core::CoreError::NotModified); an absent object is
    /// [`CoreError::ObjectNotFound`](coterie_core::CoreError::ObjectNotFound).
    pub async fn get(&self, key: &str, options: GetOptions) -> Result<Object, ClientError> {
        self.read("get_object", |mut client, call, left| {
            let request = get_request(call, key, &options, left);
            async move {
                let mut stream = client.get_object(request).await?.into_inner();
                let Some(first) = stream.next().await.transpose()? else {
                    return Err(tonic::Status::internal("the get answered no message"));
                };
                let mut data = first.data;
                while let Some(message) = stream.next().await {
                    data.extend(message?.data);
                }
                let Some(meta) = first.meta else { return Err(tonic::Status::internal("the get carried no metadata")) };
                if data.len() as u64 != first.range_end.saturating_sub(first.range_start) {
                    return Err(tonic::Status::unavailable(format!(
                        "the get ended after {} of the {} bytes it announced",
                        data.len(),
                        first.range_end.saturating_sub(first.range_start)
                    )));
                }
                Ok(Object { info: ObjectInfo::from(meta), range: first.range_start..first.range_end, data })
            }
        })
        .await
    }

    /// Object `key`'s metadata, if `conditions` allow (as for [`Bucket::get`]).
    pub async fn head(&self, key: &str, conditions: ReadConditions) -> Result<ObjectInfo, ClientError> {
        let meta = self
            .read("head_object", |mut client, call, left| {
                let mut request = tonic::Request::new(pb::HeadObjectRequest {
                    call,
                    key: key.to_owned(),
                    conditions: Some(types::read_conditions(&conditions)),
                });
                request.set_timeout(left);
                async move { client.head_object(request).await.map(|answer| answer.into_inner().meta) }
            })
            .await?;
        meta.map(ObjectInfo::from).ok_or_else(|| missing_meta("head_object"))
    }

    /// Deletes object `key`, if `condition` holds (and no higher fence was seen); answers
    /// whether it existed.
    pub async fn delete(
        &self,
        key: &str,
        condition: DeleteCondition,
        if_fence_at_least: Option<u64>,
    ) -> Result<bool, ClientError> {
        use pb::delete_object_request::Condition as C;
        let condition = match &condition {
            DeleteCondition::Any => None,
            DeleteCondition::IfMatch(etag) => Some(C::IfMatch(etag.as_str().to_owned())),
            DeleteCondition::IfVersion(version) => Some(C::IfVersion(*version)),
        };
        self.write("delete_object", |mut client, call, left| {
            let mut request = tonic::Request::new(pb::DeleteObjectRequest {
                call,
                key: key.to_owned(),
                condition: condition.clone(),
                if_fence_at_least,
            });
            request.set_timeout(left);
            async move { client.delete_object(request).await.map(|answer| answer.into_inner().existed) }
        })
        .await
    }

    /// One page of the bucket's keys.
    pub async fn list(&self, options: ListOptions) -> Result<ListPage, ClientError> {
        let page = self
            .read("list_objects", |mut client, call, left| {
                let mut request = tonic::Request::new(pb::ListObjectsRequest {
                    call,
                    prefix: options.prefix.clone(),
                    delimiter: options.delimiter.clone(),
                    start_after: options.start_after.clone(),
                    max_keys: options.max_keys,
                });
                request.set_timeout(left);
                async move { client.list_objects(request).await.map(tonic::Response::into_inner) }
            })
            .await?;
        Ok(ListPage {
            objects: page.objects.into_iter().map(ObjectInfo::from).collect(),
            common_prefixes: page.common_prefixes,
            next_start_after: page.next_start_after,
        })
    }

    /// Copies object `from` to `to` in one step; answers the copy's metadata.
    pub async fn copy(&self, from: &str, to: &str, options: CopyOptions) -> Result<ObjectInfo, ClientError> {
        self.transfer(from, to, options, false).await
    }

    /// Moves object `from` to `to` in one step (never both, never neither); answers the
    /// moved object's metadata.
    pub async fn rename(&self, from: &str, to: &str, options: CopyOptions) -> Result<ObjectInfo, ClientError> {
        self.transfer(from, to, options, true).await
    }

    async fn transfer(
        &self,
        from: &str,
        to: &str,
        options: CopyOptions,
        rename: bool,
    ) -> Result<ObjectInfo, ClientError> {
        let operation = if rename { "rename_object" } else { "copy_object" };
        let meta = self
            .write(operation, |mut client, call, left| {
                let mut request = tonic::Request::new(pb::TransferObjectRequest {
                    call,
                    from: from.to_owned(),
                    to: to.to_owned(),
                    source_if_match: options.source_if_match.clone(),
                    if_not_exists: options.if_not_exists,
                    if_fence_at_least: options.if_fence_at_least,
                });
                request.set_timeout(left);
                async move {
                    let answer =
                        if rename { client.rename_object(request).await } else { client.copy_object(request).await };
                    answer.map(|answer| answer.into_inner().meta)
                }
            })
            .await?;
        meta.map(ObjectInfo::from).ok_or_else(|| missing_meta(operation))
    }

    /// Sets (or with `None` clears) object `key`'s time to live, only if its ETag is
    /// `if_match` when given: renewing a TTL lock in one call. A write: the object gets a new
    /// ETag, answered in its metadata.
    pub async fn set_ttl(
        &self,
        key: &str,
        ttl: Option<Duration>,
        if_match: Option<&str>,
    ) -> Result<ObjectInfo, ClientError> {
        let meta = self
            .write("set_object_ttl", |mut client, call, left| {
                let mut request = tonic::Request::new(pb::SetObjectTtlRequest {
                    call,
                    key: key.to_owned(),
                    ttl_ms: ttl.map(|ttl| u64::try_from(ttl.as_millis()).unwrap_or(u64::MAX).max(1)),
                    if_match: if_match.map(str::to_owned),
                    if_fence_at_least: None,
                });
                request.set_timeout(left);
                async move { client.set_object_ttl(request).await.map(|answer| answer.into_inner().meta) }
            })
            .await?;
        meta.map(ObjectInfo::from).ok_or_else(|| missing_meta("set_object_ttl"))
    }
}
