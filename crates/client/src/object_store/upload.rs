//! Multipart uploads as one streamed put.
//!
//! A bucket has no multipart protocol of its own, and needs none: a put streams its body
//! (`Bucket::put_stream`), and commits only when the body ends. So an upload opens one
//! streamed put at once, in a task, and each `put_part` queues its bytes for that stream in
//! call order (the order the trait defines, however the part futures are then awaited);
//! a part's future completes when the transport has taken its bytes, which is the
//! backpressure that keeps a large object from being buffered whole. `complete` ends the
//! body and answers the put's result; `abort` (or dropping the upload) cancels the task,
//! which resets the rpc before the body's end, so nothing is committed.
//!
//! The body ends only on an explicit finish message, never because the queue closed: a
//! dropped upload must not look like a completed one to a task that is still running. And
//! the server commits only after the put's message marked `last`, which follows the body's
//! end: a reset rpc, which a gRPC server sees as a clean end of its stream, commits nothing.

use ::object_store::path::Path;
use ::object_store::{MultipartUpload, PutPayload, PutResult, UploadPart};
use futures_util::StreamExt;
use tokio::sync::{mpsc, oneshot};
use tokio::task::JoinHandle;

use super::convert::{self, Message, STORE};
use crate::bucket::ObjectInfo;
use crate::error::ClientError;

/// What an upload sends its put.
enum Feed {
    /// A part's bytes, and who to tell once they were taken.
    Part(PutPayload, oneshot::Sender<()>),
    /// The body's end: commit.
    Finish,
}

fn generic(text: impl Into<String>) -> ::object_store::Error {
    ::object_store::Error::Generic { store: STORE, source: Box::new(Message(text.into())) }
}

/// An upload in progress ([`ObjectStore::put_multipart_opts`](::object_store::ObjectStore)).
#[derive(Debug)]
pub struct BucketUpload {
    location: Path,
    queue: Option<mpsc::UnboundedSender<Feed>>,
    put: Option<JoinHandle<Result<ObjectInfo, ClientError>>>,
}

impl std::fmt::Debug for Feed {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Feed::Part(data, _) => write!(f, "Part({} bytes)", data.content_length()),
            Feed::Finish => f.write_str("Finish"),
        }
    }
}

impl BucketUpload {
    /// Starts the streamed put of `location`: `start` runs it over the body it is given.
    pub(super) fn start<F, Fut>(location: Path, start: F) -> Result<Self, ::object_store::Error>
    where
        F: FnOnce(futures_util::stream::BoxStream<'static, Vec<u8>>) -> Fut,
        Fut: Future<Output = Result<ObjectInfo, ClientError>> + Send + 'static,
    {
        let runtime = tokio::runtime::Handle::try_current()
            .map_err(|err| generic(format!("a multipart upload runs its put on a Tokio runtime: {err}")))?;
        let (queue, parts) = mpsc::unbounded_channel();
        let body = futures_util::stream::unfold(
            (parts, None),
            |(mut parts, taken): (_, Option<oneshot::Sender<()>>)| async move {
                if let Some(taken) = taken {
                    // The previous part was taken whole: the stream is asked for more.
                    let _ = taken.send(());
                }
                match parts.recv().await {
                    Some(Feed::Part(data, taken)) => {
                        let mut bytes = Vec::with_capacity(data.content_length());
                        for chunk in &data {
                            bytes.extend_from_slice(chunk);
                        }
                        Some((bytes, (parts, Some(taken))))
                    }
                    Some(Feed::Finish) => None,
                    // The upload was dropped or aborted: never end the body, the task is cancelled.
                    None => futures_util::future::pending().await,
                }
            },
        )
        .boxed();
        let put = runtime.spawn(start(body));
        Ok(BucketUpload { location, queue: Some(queue), put: Some(put) })
    }

    fn finished(&self) -> ::object_store::Error {
        generic(format!("the upload of {} was already completed or aborted", self.location))
    }
}

#[async_trait::async_trait]
impl MultipartUpload for BucketUpload {
    fn put_part(&mut self, data: PutPayload) -> UploadPart {
        let (taken, sent) = oneshot::channel();
        let queued = match &self.queue {
            Some(queue) => queue.send(Feed::Part(data, taken)).map_err(|_| self.finished()),
            None => Err(self.finished()),
        };
        let location = self.location.to_string();
        Box::pin(async move {
            queued?;
            sent.await.map_err(|_| {
                generic(format!(
                    "the put of {location} ended before this part was sent; complete() or abort() answers why"
                ))
            })
        })
    }

    async fn complete(&mut self) -> ::object_store::Result<PutResult> {
        let (Some(queue), Some(put)) = (self.queue.take(), self.put.take()) else { return Err(self.finished()) };
        // A send fails only if the put already ended, with the error awaited below.
        let _ = queue.send(Feed::Finish);
        let info = put.await.map_err(|err| generic(format!("the put task of {} failed: {err}", self.location)))?;
        let info = info.map_err(|err| convert::error(self.location.as_ref(), err))?;
        Ok(PutResult {
            e_tag: Some(info.etag),
            version: Some(info.version.to_string()),
            extensions: Default::default(),
        })
    }

    async fn abort(&mut self) -> ::object_store::Result<()> {
        let Some(put) = self.put.take() else { return Err(self.finished()) };
        put.abort();
        // Wait until the task is gone (cancelled, or failed on its own); then close the queue.
        let _ = put.await;
        self.queue = None;
        Ok(())
    }
}

impl Drop for BucketUpload {
    fn drop(&mut self) {
        if let Some(put) = self.put.take() {
            put.abort();
        }
    }
}
