//! An object store on a CP group: bytes as blobs on a majority of the group's members, then
//! one atomic metadata apply through the group's log (DESIGN.md §5).
//!
//! A put reads the body in parts of [`ObjectLimits::part_bytes`], stores each part with
//! [`Blobs::replicate`] (a majority of every voter configuration, before the deadline), then
//! proposes one `Bucket` put naming the parts. Its condition (create-only, ETag or version
//! match, fence) is checked by that apply, so two racing conditional puts are decided by log
//! order and exactly one wins; the loser's parts are referenced by nothing and collected
//! later. Nothing is readable until the commit, and everything is once it is: a reader never
//! sees part of an object.
//!
//! A caller reaches the group through a [`GroupRef`]: its local replica only (the gRPC
//! `ObjectService`, whose clients follow redirects) or the node's router too (the S3 gateway).
//! Through the replica alone, only the group's leader takes a put (another member answers
//! `Redirect` before reading the body), so a large body is not uploaded to a member that
//! would then be refused. Through the router, any member takes it: the bytes go to a
//! majority of the group's voters from whichever member read them, and the one metadata
//! apply is forwarded to the leader (`host/cp_forward.rs`), so a gateway on a follower
//! serves every operation and a stock S3 client need not find the leader. A retry of
//! a put with the same invocation stores the same parts again (idempotent: they are named by
//! their content) and is answered from the group's record of the call, never applied twice.
//!
//! A get reads the metadata through the linearizable read path (conditions and range are
//! resolved by the same apply code as everywhere), then the parts overlapping the range, from
//! this member's blob store or, where it lacks one, from a peer ([`Blobs::read`]).

use std::collections::BTreeSet;
use std::sync::Arc;
use std::time::Duration;

use coterie_core::kinds::bucket::{BlobPart, BlobRef, BucketCommand, BucketOutput, ByteSpan, ObjectMeta, PutOptions};
use coterie_core::{
    CoreError, EngineError, GroupCommand, GroupOutput, InvocationId, SessionId, StructureCommand, StructureOutput,
    Timestamp,
};
use coterie_storage::blob::BlobHash;
use futures_util::{Stream, StreamExt};
use thiserror::Error;
use tokio::time::Instant;

use super::blobs::{Blobs, BlobsError};
use crate::cp::CpNode;
use crate::engine::{CallOptions, Engine};
use crate::request::Request;

/// A CP group as an object call reaches it from this member.
#[derive(Clone, Copy)]
pub struct GroupRef<'a> {
    /// This member's replica: the group's voter configurations (where the bytes go), and the
    /// clock a put's commit deadline is stamped by.
    pub replica: &'a CpNode,
    /// Where the metadata calls go: `None`, the replica itself (a member that does not lead
    /// the group answers a redirect, before it reads a body); `Some`, the node's router for
    /// the group, which forwards them to the leader.
    pub router: Option<&'a dyn Engine>,
}

impl<'a> GroupRef<'a> {
    /// The group through `replica` alone: only its leader takes calls.
    pub fn local(replica: &'a CpNode) -> Self {
        GroupRef { replica, router: None }
    }

    /// The group through `router` (which forwards to the leader), bytes placed by `replica`.
    pub fn routed(replica: &'a CpNode, router: &'a dyn Engine) -> Self {
        GroupRef { replica, router: Some(router) }
    }

    /// Applies `request` (a write through the log, a read without an invocation by the
    /// linearizable read path) within `timeout`.
    async fn call(&self, request: Request, timeout: Duration, read: bool) -> Result<GroupOutput, EngineError> {
        match self.router {
            Some(router) => router.call(request, CallOptions::new(timeout)).await,
            None if read && request.invocation.is_none() => {
                self.replica.read(request, timeout).await.map_err(EngineError::from)
            }
            None => self.replica.call(request, timeout).await.map_err(EngineError::from),
        }
    }
}

/// How objects are cut into parts and how large they may be.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ObjectLimits {
    /// The size of each part but the last (8 MiB by default): the unit stored on the members
    /// and sent between them in one message.
    pub part_bytes: usize,
    /// The largest object a put accepts (5 GiB by default, S3's single-put limit).
    pub max_object_bytes: u64,
    /// How long a put may take from its first byte to its metadata commit (1 hour by
    /// default); a later commit is refused (`upload_expired`). The blob collector keeps an
    /// unreferenced blob for twice this ([`ObjectLimits::collect_after`]), so no put that
    /// commits names a collected blob. Set it alike on every member.
    pub upload_window: Duration,
    /// The highest part number of a multipart upload (10 000 by default, S3's). The parts of
    /// one upload together are held to [`ObjectLimits::max_object_bytes`], each part too.
    pub max_upload_parts: u32,
}

impl Default for ObjectLimits {
    fn default() -> Self {
        ObjectLimits {
            part_bytes: 8 << 20,
            max_object_bytes: 5 << 30,
            upload_window: Duration::from_secs(3600),
            max_upload_parts: 10_000,
        }
    }
}

impl ObjectLimits {
    /// How long an unreferenced blob is kept after it was last stored or refreshed before the
    /// collector may delete it: twice [`ObjectLimits::upload_window`]. The second window
    /// covers a commit proposed in time that is still being replicated, and the members'
    /// clocks running at slightly different rates.
    pub fn collect_after(&self) -> Duration {
        self.upload_window.saturating_mul(2)
    }

    /// The `commit_by` of a put whose upload starts at `now` on the node that proposes it.
    fn commit_by(&self, now: Timestamp) -> Timestamp {
        let window = u64::try_from(self.upload_window.as_millis()).unwrap_or(u64::MAX);
        Timestamp(now.0.saturating_add(window))
    }
}

/// Why an object operation failed.
#[derive(Debug, Error)]
pub enum ObjectError {
    /// The group refused or could not serve the metadata operation (a failed condition, a
    /// redirect to the leader, a timeout).
    #[error(transparent)]
    Engine(#[from] EngineError),
    /// The bytes could not be stored on, or read from, enough members.
    #[error(transparent)]
    Blobs(#[from] BlobsError),
    /// The body is larger than [`ObjectLimits::max_object_bytes`].
    #[error(
        "the object is larger than this cluster's limit of {limit} bytes; split it, or raise the limit \
         (`max_object_bytes`) on every member"
    )]
    TooLarge {
        /// The limit.
        limit: u64,
    },
    /// The body could not be read from the caller.
    #[error("the object's body could not be read: {0}")]
    Body(String),
    /// The group answered with an output of another shape (a server bug).
    #[error("the bucket answered {0}, which is not an answer to this operation")]
    Unexpected(String),
}

/// Who makes a call: the session and invocation the group records it under.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Caller {
    /// The caller's session, if it uses one (object calls need none).
    pub session: Option<SessionId>,
    /// The call's identity, so a retry is answered instead of applied twice.
    pub invocation: Option<InvocationId>,
}

/// Which object a put writes: its bucket and key.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ObjectKey<'a> {
    /// The bucket (a structure of this name in the replica's group).
    pub bucket: &'a str,
    /// The object's key.
    pub key: &'a str,
}

/// The object store over one CP group's replica on this member.
#[derive(Clone)]
pub struct ObjectStore {
    blobs: Blobs,
    limits: ObjectLimits,
}

fn bucket_call(bucket: &str, command: BucketCommand, caller: Caller) -> Request {
    let command = GroupCommand::Invoke { name: bucket.to_owned(), command: StructureCommand::Bucket(command) };
    match caller.invocation {
        Some(invocation) => Request::invoked(command, caller.session, invocation),
        None => Request { command, session: caller.session, invocation: None },
    }
}

fn bucket_output(output: GroupOutput) -> Result<BucketOutput, ObjectError> {
    match output {
        GroupOutput::Structure(StructureOutput::Bucket(output)) => Ok(output),
        other => Err(ObjectError::Unexpected(format!("{other:?}"))),
    }
}

/// The voter configurations of `node`'s group (two during a membership change).
fn configs(node: &CpNode) -> Vec<BTreeSet<u64>> {
    node.membership().0
}

fn peers(node: &CpNode) -> BTreeSet<u64> {
    configs(node).into_iter().flatten().collect()
}

impl ObjectStore {
    /// An object store keeping bytes in `blobs`, within `limits`.
    pub fn new(blobs: Blobs, limits: ObjectLimits) -> Self {
        ObjectStore { blobs, limits }
    }

    /// The limits this store holds objects to.
    pub fn limits(&self) -> ObjectLimits {
        self.limits
    }

    /// Refuses with `Redirect` unless the group is reached through the router (which forwards
    /// to the leader) or this member's replica leads it.
    fn require_leader(group: &GroupRef<'_>) -> Result<(), ObjectError> {
        let node = group.replica;
        if group.router.is_some() {
            return Ok(());
        }
        match node.leader() {
            Some((id, _)) if id == node.id() => Ok(()),
            leader => Err(EngineError::Redirect {
                member: leader.as_ref().map(|(id, _)| *id),
                address: leader.map(|(_, address)| address).filter(|a| !a.is_empty()),
            }
            .into()),
        }
    }

    async fn store_part(&self, node: &CpNode, part: Vec<u8>, deadline: Instant) -> Result<BlobPart, ObjectError> {
        let len = part.len() as u64;
        let hash = self.blobs.replicate(Arc::from(part), configs(node), deadline).await?;
        Ok(BlobPart { hash: hash.0, len })
    }

    /// Writes `body` as `object` in `group`, if `options`' condition holds when the
    /// metadata commits; answers the new metadata.
    pub async fn put<S, E>(
        &self,
        group: &GroupRef<'_>,
        object: ObjectKey<'_>,
        body: S,
        options: PutOptions,
        caller: Caller,
        timeout: Duration,
    ) -> Result<ObjectMeta, ObjectError>
    where
        S: Stream<Item = Result<Vec<u8>, E>> + Unpin,
        E: std::fmt::Display,
    {
        Self::require_leader(group)?;
        let node = group.replica;
        let deadline = Instant::now() + timeout;
        // Stamped before the first part is stored, by the clock that stamps the commit.
        let commit_by = self.limits.commit_by(node.now());
        let mut body = body;
        let (mut parts, mut buffer, mut total) = (Vec::new(), Vec::new(), 0u64);
        while let Some(chunk) = body.next().await {
            let mut chunk = chunk.map_err(|err| ObjectError::Body(err.to_string()))?;
            total = total.saturating_add(chunk.len() as u64);
            if total > self.limits.max_object_bytes {
                return Err(ObjectError::TooLarge { limit: self.limits.max_object_bytes });
            }
            while !chunk.is_empty() {
                let room = self.limits.part_bytes.saturating_sub(buffer.len()).max(1);
                let rest = chunk.split_off(room.min(chunk.len()));
                buffer.extend_from_slice(&chunk);
                chunk = rest;
                if buffer.len() >= self.limits.part_bytes {
                    parts.push(self.store_part(node, std::mem::take(&mut buffer), deadline).await?);
                }
            }
        }
        // The last part; an empty object has none.
        if !buffer.is_empty() {
            parts.push(self.store_part(node, buffer, deadline).await?);
        }
        self.commit(group, object, BlobRef { parts }, options, caller, commit_by, deadline).await
    }

    /// Writes as `object` the bytes of blobs stored earlier (`data`: the parts of a multipart
    /// upload, referenced by its part records until now), if `options`' condition holds when
    /// the metadata commits. The blobs are refreshed on a majority first
    /// ([`Blobs::touch`]), so the collector cannot take them while the commit is on its way,
    /// even if the records that referenced them are removed meanwhile (an abort racing this
    /// completion); refused if too few members still store them all.
    pub async fn put_stored(
        &self,
        group: &GroupRef<'_>,
        object: ObjectKey<'_>,
        data: BlobRef,
        options: PutOptions,
        caller: Caller,
        timeout: Duration,
    ) -> Result<ObjectMeta, ObjectError> {
        Self::require_leader(group)?;
        let deadline = Instant::now() + timeout;
        let commit_by = self.limits.commit_by(group.replica.now());
        let hashes = data.parts.iter().map(|part| BlobHash(part.hash)).collect();
        self.blobs.touch(hashes, configs(group.replica), deadline).await?;
        self.commit(group, object, data, options, caller, commit_by, deadline).await
    }

    /// Proposes the put of `data` as `object`, to commit by `commit_by`.
    #[allow(clippy::too_many_arguments, reason = "the parts of one put, passed on as they are")]
    async fn commit(
        &self,
        group: &GroupRef<'_>,
        object: ObjectKey<'_>,
        data: BlobRef,
        options: PutOptions,
        caller: Caller,
        commit_by: Timestamp,
        deadline: Instant,
    ) -> Result<ObjectMeta, ObjectError> {
        let command = BucketCommand::Put {
            key: object.key.to_owned(),
            data,
            content_type: options.content_type,
            attributes: options.attributes,
            ttl: options.ttl,
            condition: options.condition,
            if_fence_at_least: options.if_fence_at_least,
            commit_by: Some(commit_by),
        };
        let left = deadline.saturating_duration_since(Instant::now());
        let output = group.call(bucket_call(object.bucket, command, caller), left, false).await?;
        match bucket_output(output)? {
            BucketOutput::Written(meta) => Ok(meta),
            other => Err(ObjectError::Unexpected(format!("{other:?}"))),
        }
    }

    /// Applies a metadata-only command (delete, copy, rename, TTL) or a read (head, get,
    /// list) to bucket `bucket`: writes through the log, reads through the linearizable read
    /// path when the caller gives no invocation.
    pub async fn metadata(
        &self,
        group: &GroupRef<'_>,
        bucket: &str,
        command: BucketCommand,
        caller: Caller,
        timeout: Duration,
    ) -> Result<BucketOutput, ObjectError> {
        if let BucketCommand::Put { data, .. } = &command
            && !data.parts.is_empty()
        {
            // Bytes are named only by `put` and `put_stored`, which keep them from the
            // collector until the commit.
            return Err(EngineError::Core(CoreError::invalid_request(
                "put",
                "a put that names stored bytes goes through ObjectStore::put or ObjectStore::put_stored",
            ))
            .into());
        }
        let is_read =
            matches!(command, BucketCommand::Head { .. } | BucketCommand::Get { .. } | BucketCommand::List { .. });
        let request = bucket_call(bucket, command, caller);
        bucket_output(group.call(request, timeout, is_read).await?)
    }

    /// The bytes `span` (`None`: all) of the object `meta` describes, part by part, in order.
    pub fn reader(&self, node: &CpNode, meta: &ObjectMeta, span: Option<ByteSpan>, timeout: Duration) -> ObjectReader {
        let size = meta.size;
        let span = span.unwrap_or(ByteSpan { start: 0, end: size });
        let mut pieces = Vec::new();
        let mut offset = 0u64;
        for part in &meta.data.parts {
            let (start, end) = (offset, offset.saturating_add(part.len));
            offset = end;
            let (from, to) = (span.start.max(start), span.end.min(end));
            if from < to {
                let range = (from - start)..(to - start);
                let whole = range.start == 0 && range.end == part.len;
                pieces.push((BlobHash(part.hash), (!whole).then_some(range)));
            }
        }
        pieces.reverse();
        ObjectReader { blobs: self.blobs.clone(), pieces, peers: peers(node), timeout }
    }
}

/// Reads an object's bytes piece by piece (one part, or the part of it a range wants, at a
/// time), so a large object is never held in memory whole.
pub struct ObjectReader {
    blobs: Blobs,
    /// What is left to read, last first.
    pieces: Vec<(BlobHash, Option<std::ops::Range<u64>>)>,
    peers: BTreeSet<u64>,
    timeout: Duration,
}

impl ObjectReader {
    /// The next piece of bytes, or `None` when all were read.
    pub async fn next_chunk(&mut self) -> Option<Result<Vec<u8>, ObjectError>> {
        let (hash, range) = self.pieces.pop()?;
        Some(self.blobs.read(hash, range, &self.peers, self.timeout).await.map_err(ObjectError::from))
    }

    /// Every remaining byte, concatenated (for small objects and tests).
    pub async fn read_all(mut self) -> Result<Vec<u8>, ObjectError> {
        let mut out = Vec::new();
        while let Some(chunk) = self.next_chunk().await {
            out.extend(chunk?);
        }
        Ok(out)
    }
}
