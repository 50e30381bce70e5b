//! Streamed puts and gets: an object's bytes as a stream, never whole in memory.
//!
//! `PutObject` is a client-streaming rpc (a header, then chunks) and `GetObject` a
//! server-streaming one, so neither side needs an object in one buffer. [`Bucket::put`] and
//! [`Bucket::get`] take and give slices for small objects; these take and give streams.
//!
//! The put's final message sets `last` and is sent only after the body ended: the server
//! commits nothing without it (a cancelled rpc looks like a clean end to a gRPC server).
//!
//! A streamed put cannot be resent from its start once its body has been handed to the
//! transport: the body is gone. Yet a put's first attempt often meets a member that is not
//! the leader, which answers right after the header, by when the transport has taken some
//! chunks. So each put keeps what it has sent of its body, up to [`REPLAY_BYTES`]: a failed
//! attempt is resent (to the next member, same invocation id, so applied once) while the
//! kept bytes are all it sent; after that, a failure ends the put. An attempt that failed
//! is cut off from the body: if the transport still polls it, it waits forever and is
//! dropped with its rpc, so two attempts never share a chunk.

use std::pin::Pin;
use std::sync::{Arc, Mutex, PoisonError};
use std::task::{Context, Poll};
use std::time::Duration;

use coterie_api::pb;
use coterie_api::pb::object_service_client::ObjectServiceClient;
use futures_util::stream::BoxStream;
use futures_util::{Stream, StreamExt};
use tokio::time::Instant;

use super::types::{self, GetOptions, ObjectInfo};
use super::{Bucket, PUT_CHUNK_BYTES, PutOptions, get_request, missing_meta};
use crate::error::ClientError;

/// How many bytes of its body a streamed put keeps to resend after a failed attempt.
pub const REPLAY_BYTES: usize = 8 << 20;

/// An object being read: its metadata and range, then its bytes as they arrive.
pub struct ObjectStream {
    /// The object's metadata.
    pub info: ObjectInfo,
    /// The bytes served, `[start, end)` of the object.
    pub range: std::ops::Range<u64>,
    /// The bytes, in order; an error ends it (the stream is not resumed). Polling it after
    /// its end answers the end again.
    pub data: BoxStream<'static, Result<Vec<u8>, ClientError>>,
}

impl std::fmt::Debug for ObjectStream {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ObjectStream").field("info", &self.info).field("range", &self.range).finish_non_exhaustive()
    }
}

/// A put's body, shared by its attempts.
struct Replay {
    /// The chunks not yet taken (each at most [`PUT_CHUNK_BYTES`]).
    body: BoxStream<'static, Vec<u8>>,
    /// The attempt allowed to take chunks; earlier ones are cut off.
    attempt: u64,
    /// Every chunk taken so far, while they total at most [`REPLAY_BYTES`]; `None` after.
    kept: Option<Vec<Vec<u8>>>,
    kept_bytes: usize,
}

/// One attempt's view of the body: the kept chunks again, then new ones.
struct AttemptBody {
    replay: Arc<Mutex<Replay>>,
    attempt: u64,
    next: usize,
}

impl Stream for AttemptBody {
    type Item = Vec<u8>;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Vec<u8>>> {
        let replay = Arc::clone(&self.replay);
        let mut replay = replay.lock().unwrap_or_else(PoisonError::into_inner);
        if replay.attempt != self.attempt {
            // A later attempt owns the body; this one's rpc already failed.
            return Poll::Pending;
        }
        if let Some(chunk) = replay.kept.as_ref().and_then(|kept| kept.get(self.next)) {
            let chunk = chunk.clone();
            self.next += 1;
            return Poll::Ready(Some(chunk));
        }
        let polled = replay.body.poll_next_unpin(cx);
        if let Poll::Ready(Some(chunk)) = &polled {
            let fits = replay.kept_bytes.saturating_add(chunk.len()) <= REPLAY_BYTES;
            match (&mut replay.kept, fits) {
                (Some(kept), true) => {
                    kept.push(chunk.clone());
                    self.next += 1;
                }
                (kept, _) => *kept = None,
            }
            replay.kept_bytes = replay.kept_bytes.saturating_add(chunk.len());
        }
        polled
    }
}

/// `data` in messages of at most [`PUT_CHUNK_BYTES`].
fn chunks(data: Vec<u8>) -> impl Iterator<Item = Vec<u8>> {
    let mut rest = data;
    std::iter::from_fn(move || {
        if rest.is_empty() {
            return None;
        }
        let tail = rest.split_off(rest.len().min(PUT_CHUNK_BYTES));
        Some(std::mem::replace(&mut rest, tail))
    })
}

impl Bucket {
    /// Writes the bytes of `body`, in order, as object `key`, if `options`' condition holds;
    /// answers its new metadata. The object is committed when `body` ends, never before, and
    /// nothing is committed if the returned future is dropped before `body` ends (the rpc is
    /// reset; the server commits only after the body's end).
    ///
    /// The whole upload may take `timeout`, retries included (a body fed by a slow producer
    /// needs longer than the client's call timeout). Failures are as for [`Bucket::put`];
    /// after more than [`REPLAY_BYTES`] were sent, a failed attempt is not resent, and the put
    /// ends with [`ClientError::Unavailable`] (or [`ClientError::Indeterminate`] if the body
    /// had ended) instead. While it runs, the put holds its sequence number, so this client's
    /// other writes to the group run at most a few hundred calls ahead of it.
    pub async fn put_stream<S>(
        &self,
        key: &str,
        body: S,
        options: PutOptions,
        timeout: Duration,
    ) -> Result<ObjectInfo, ClientError>
    where
        S: Stream<Item = Vec<u8>> + Send + 'static,
    {
        // Fused: an attempt resent after the body ended polls it again.
        let body = body.fuse().flat_map(|data| futures_util::stream::iter(chunks(data))).fuse().boxed();
        let replay = Arc::new(Mutex::new(Replay { body, attempt: 0, kept: Some(Vec::new()), kept_bytes: 0 }));
        let resendable = || replay.lock().unwrap_or_else(PoisonError::into_inner).kept.is_some();
        let deadline = Instant::now() + timeout;
        let (seq, _pending) = self.client.series(&self.target.group).next(true, Some(deadline)).await?;
        let call = self.call(Some(seq));
        let header = pb::PutObjectHeader {
            call,
            key: key.to_owned(),
            content_type: options.content_type.clone(),
            attributes: options.attributes.clone().into_iter().collect(),
            ttl_ms: options.ttl.map(|ttl| u64::try_from(ttl.as_millis()).unwrap_or(u64::MAX).max(1)),
            condition: types::put_condition(&options.condition),
            if_fence_at_least: options.if_fence_at_least,
        };
        let meta = self
            .client
            .object_call_resending(&self.target.group, "put_object", true, deadline, resendable, |channel, left| {
                let attempt = {
                    let mut shared = replay.lock().unwrap_or_else(PoisonError::into_inner);
                    shared.attempt += 1;
                    shared.attempt
                };
                let first = pb::PutObjectRequest { header: Some(header.clone()), ..Default::default() };
                let rest = AttemptBody { replay: Arc::clone(&replay), attempt, next: 0 }
                    .map(|data| pb::PutObjectRequest { data, ..Default::default() });
                // Sent only once the body ended: a put cut off earlier commits nothing.
                let last = pb::PutObjectRequest { last: true, ..Default::default() };
                let messages =
                    futures_util::stream::iter([first]).chain(rest).chain(futures_util::stream::iter([last]));
                let mut request = tonic::Request::new(messages);
                request.set_timeout(left);
                let mut client = ObjectServiceClient::new(channel);
                async move { client.put_object(request).await.map(|answer| answer.into_inner().meta) }
            })
            .await?;
        meta.map(ObjectInfo::from).ok_or_else(|| missing_meta("put_object"))
    }

    /// Reads object `key` as [`Bucket::get`] does, but answers once the metadata arrived,
    /// with the bytes as a stream (retried like any read until then, not after). A stream
    /// that ends short of the range it announced ends with [`ClientError::Unavailable`].
    pub async fn get_stream(&self, key: &str, options: GetOptions) -> Result<ObjectStream, ClientError> {
        let (first, rest) = self
            .read("get_object", |mut client, call, left| {
                let request = get_request(call, key, &options, left);
                async move {
                    let mut stream = client.get_object(request).await?.into_inner();
                    let Some(first) = stream.next().await.transpose()? else {
                        return Err(tonic::Status::internal("the get answered no message"));
                    };
                    Ok((first, stream))
                }
            })
            .await?;
        let meta = first.meta.ok_or_else(|| missing_meta("get_object"))?;
        let range = first.range_start..first.range_end;
        let announced = range.end.saturating_sub(range.start);
        let head = futures_util::stream::iter([first.data]);
        let tail = rest.map(|message| message.map(|message| message.data));
        let state = (head.map(Ok).chain(tail).boxed(), 0u64, false);
        let data = futures_util::stream::unfold(state, move |(mut messages, got, done)| async move {
            if done {
                return None;
            }
            loop {
                match messages.next().await {
                    Some(Ok(data)) if data.is_empty() => {}
                    Some(Ok(data)) => {
                        let got = got.saturating_add(data.len() as u64);
                        return Some((Ok(data), (messages, got, false)));
                    }
                    Some(Err(status)) => {
                        let err = ClientError::Unavailable { waited_ms: 0, last: status.message().to_owned() };
                        return Some((Err(err), (messages, got, true)));
                    }
                    None if got == announced => return None,
                    None => {
                        let last = format!("the get ended after {got} of the {announced} bytes it announced");
                        return Some((Err(ClientError::Unavailable { waited_ms: 0, last }), (messages, got, true)));
                    }
                }
            }
        })
        // Fused: a consumer may poll again after the end (object_store's `collect_bytes` does).
        .fuse()
        .boxed();
        Ok(ObjectStream { info: ObjectInfo::from(meta), range, data })
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, reason = "test code: a failure should panic")]

    use std::task::Waker;

    use super::*;

    fn replay(chunks: Vec<Vec<u8>>) -> Arc<Mutex<Replay>> {
        let body = futures_util::stream::iter(chunks).boxed();
        Arc::new(Mutex::new(Replay { body, attempt: 0, kept: Some(Vec::new()), kept_bytes: 0 }))
    }

    fn attempt(replay: &Arc<Mutex<Replay>>) -> AttemptBody {
        let mut shared = replay.lock().unwrap();
        shared.attempt += 1;
        AttemptBody { replay: Arc::clone(replay), attempt: shared.attempt, next: 0 }
    }

    fn poll(body: &mut AttemptBody) -> Poll<Option<Vec<u8>>> {
        body.poll_next_unpin(&mut Context::from_waker(Waker::noop()))
    }

    #[test]
    fn a_resent_attempt_replays_what_the_failed_one_took_and_cuts_it_off() {
        let shared = replay(vec![vec![1], vec![2], vec![3]]);
        let mut first = attempt(&shared);
        assert_eq!(poll(&mut first), Poll::Ready(Some(vec![1])));
        assert_eq!(poll(&mut first), Poll::Ready(Some(vec![2])));
        let mut second = attempt(&shared);
        // The failed attempt never takes another chunk, nor ends its body.
        assert_eq!(poll(&mut first), Poll::Pending);
        let sent: Vec<_> = std::iter::from_fn(|| match poll(&mut second) {
            Poll::Ready(chunk) => chunk,
            Poll::Pending => None,
        })
        .collect();
        assert_eq!(sent, vec![vec![1], vec![2], vec![3]]);
        assert!(shared.lock().unwrap().kept.is_some(), "3 bytes fit the replay");
    }

    #[test]
    fn a_put_that_sent_more_than_it_keeps_is_not_resendable() {
        let shared = replay(vec![vec![0; REPLAY_BYTES], vec![1]]);
        let mut first = attempt(&shared);
        assert!(matches!(poll(&mut first), Poll::Ready(Some(chunk)) if chunk.len() == REPLAY_BYTES));
        assert!(shared.lock().unwrap().kept.is_some());
        assert_eq!(poll(&mut first), Poll::Ready(Some(vec![1])));
        assert!(shared.lock().unwrap().kept.is_none(), "over the replay bound nothing is kept");
        assert_eq!(poll(&mut first), Poll::Ready(None));
    }

    #[test]
    fn bodies_split_into_messages_of_at_most_a_chunk() {
        let sizes: Vec<_> = chunks(vec![0; 2 * PUT_CHUNK_BYTES + 1]).map(|chunk| chunk.len()).collect();
        assert_eq!(sizes, vec![PUT_CHUNK_BYTES, PUT_CHUNK_BYTES, 1]);
        assert_eq!(chunks(Vec::new()).count(), 0);
    }
}
