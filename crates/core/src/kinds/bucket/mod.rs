//! Bucket: an object store's metadata (issue 13, DESIGN.md §5).
//!
//! A bucket maps UTF-8 keys (1..=1024 bytes, no NUL) to [`ObjectMeta`]: ETag, version,
//! size, last-modified time, content type, user attributes, optional expiry and a
//! [`BlobRef`] naming the bytes in a content-addressed blob store. The bytes never pass
//! through this structure: the server writes them to the blob store first, then commits the
//! metadata that references them. So every conditional operation — create-only put, ETag or
//! version compare-and-swap, conditional delete, copy or rename if not exists, a fenced
//! write — is one atomic apply on the log, linearizable with every other.
//!
//! **ETags and versions.** Both derive from the write's log index, unique per entry and the
//! same on every replica: the ETag is the index and the start of the data's first part hash
//! in 32 hex characters ([`ETag::derive`]), so it is strong, deterministic and different on
//! every write, even one of identical bytes or a copy's destination; the version *is* the
//! index, so it increases on every write of a key, also across a delete and re-create, and
//! "update if the version is v" cannot be fooled by ABA. A TTL change ([`BucketCommand::SetTtl`])
//! is a write too: it changes both, so a renewal is visible to anyone holding the old ETag.
//!
//! **Fences.** The bucket remembers, per key, the highest fence a successful write of that
//! key has carried, and keeps it after the key is deleted (a stale holder must not recreate
//! what a newer one removed). A write carrying `if_fence_at_least: Some(f)` is refused with
//! [`CoreError::StaleFence`] if `f` is below the remembered fence; if it succeeds, the
//! remembered fence becomes `f` (it never decreases, since lower ones are refused). A write
//! refused for another reason (a failed condition) leaves the fence as it was: a refused
//! command changes nothing. Writes without a fence are not checked and do not change it, so
//! fencing protects a key only if every writer that matters fences. A rename is checked and
//! recorded on both keys. The fence is the lock's, typically a FencedLock's token, or the
//! version of a lock object held in this bucket (it increases across holders). The fence
//! table keeps one number per key ever written with a fence; it is not pruned, because
//! forgetting a key's fence would let a stale holder in again.
//!
//! **Time.** `ttl` sets `expires_at = ctx.now + ttl` from the leader-stamped time. An object
//! whose expiry is at or before a command's `now` is absent for that command — reads,
//! listings and conditions alike — even before a [`StateMachine::tick`] removes it, so a
//! create-only put on an expired lock succeeds (stealing an expired lock takes one call, and
//! no client clock). `next_deadline` is the earliest expiry.
//!
//! **Reads.** Head, get and list answer through [`StateMachine::read`] without changing
//! anything. Absent objects answer [`CoreError::ObjectNotFound`] whatever the conditions
//! (as S3 does); conditions follow RFC 7232 §6 order (If-Match, else If-Unmodified-Since;
//! then If-None-Match, else If-Modified-Since); the range is checked last.
//!
//! **Blob collection.** [`Bucket::referenced_blobs`] lists every blob hash the bucket still
//! references, expired-but-not-ticked objects included, for the server's collector.

mod command;
mod list;
mod meta;
mod options;
mod read;

use std::collections::{BTreeMap, BTreeSet};
use std::time::Duration;

use serde::{Deserialize, Serialize};

pub use command::{
    BucketCommand, BucketOutput, ByteRange, ByteSpan, DeleteCondition, EtagMatch, ListPage, MAX_ATTRIBUTE_BYTES,
    MAX_CONTENT_TYPE_BYTES, MAX_KEY_BYTES, MAX_LIST_KEYS, MAX_PARTS, PutCondition, ReadConditions,
};
pub use meta::{BlobPart, BlobRef, ETag, ObjectMeta};
pub use options::PutOptions;

use self::command::{check_key, check_metadata, check_parts, check_ttl};
use self::list::ListArgs;
use crate::ctx::ApplyCtx;
use crate::error::{CoreError, InvalidReason, PreconditionReason};
use crate::machine::{Applied, Effect, StateMachine, answered};
use crate::types::Timestamp;

/// A Bucket's replicated state.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Bucket {
    /// The objects, by key (expired ones stay until a tick or a write removes them).
    objects: BTreeMap<String, ObjectMeta>,
    /// The highest fence each key has seen, kept across deletes.
    fences: BTreeMap<String, u64>,
    /// Every object's expiry, in time order, for `tick` and `next_deadline`.
    expiries: BTreeSet<(Timestamp, String)>,
}

/// What a write of one key needs to know about the write.
struct Write<'a> {
    key: &'a str,
    fence: Option<u64>,
    ctx: &'a ApplyCtx,
}

impl Bucket {
    /// Number of stored objects, expired ones not yet removed by a tick included.
    pub fn len(&self) -> usize {
        self.objects.len()
    }

    /// Whether the bucket stores no object.
    pub fn is_empty(&self) -> bool {
        self.objects.is_empty()
    }

    /// The highest fence `key` has seen, if any write of it carried one.
    pub fn fence(&self, key: &str) -> Option<u64> {
        self.fences.get(key).copied()
    }

    /// Every blob hash an object of this bucket references, expired objects not yet removed
    /// included, for the server's blob collector.
    ///
    /// A blob absent from this set (and from every other bucket's, and from every snapshot
    /// and log entry still to be applied) is garbage. The collector must also spare blobs of
    /// uploads whose metadata commit is still in flight, for example by collecting only blobs
    /// older than an upload's timeout.
    pub fn referenced_blobs(&self) -> BTreeSet<[u8; 32]> {
        self.objects.values().flat_map(|meta| meta.data.parts.iter().map(|part| part.hash)).collect()
    }

    /// The object under `key` if it is live at `now`.
    fn live(&self, key: &str, now: Timestamp) -> Option<&ObjectMeta> {
        self.objects.get(key).filter(|meta| !meta.is_expired(now))
    }

    fn live_or_not_found(&self, key: &str, now: Timestamp) -> Result<&ObjectMeta, CoreError> {
        self.live(key, now).ok_or_else(|| CoreError::ObjectNotFound { key: key.to_owned() })
    }

    /// Refuses a write of `key` whose fence is below the key's highest.
    fn check_fence(&self, key: &str, fence: Option<u64>) -> Result<(), CoreError> {
        match (fence, self.fence(key)) {
            (Some(presented), Some(highest)) if presented < highest => {
                Err(CoreError::StaleFence { key: key.to_owned(), presented, highest })
            }
            _ => Ok(()),
        }
    }

    fn record_fence(&mut self, key: &str, fence: Option<u64>) {
        if let Some(fence) = fence {
            self.fences.insert(key.to_owned(), fence);
        }
    }

    /// Checks an ETag and version condition against the live object under `key`.
    fn check_match(
        &self,
        key: &str,
        now: Timestamp,
        etag: Option<&ETag>,
        version: Option<u64>,
    ) -> Result<(), CoreError> {
        let failed = |reason| Err(CoreError::PreconditionFailed { key: key.to_owned(), reason });
        let Some(meta) = self.live(key, now) else { return failed(PreconditionReason::Absent) };
        match (etag, version) {
            (Some(etag), _) if *etag != meta.etag => {
                failed(PreconditionReason::EtagMismatch { current: meta.etag.as_str().to_owned() })
            }
            (_, Some(expected)) if expected != meta.version => {
                failed(PreconditionReason::VersionMismatch { expected, current: meta.version })
            }
            _ => Ok(()),
        }
    }

    fn remove(&mut self, key: &str) -> Option<ObjectMeta> {
        let meta = self.objects.remove(key)?;
        if let Some(at) = meta.expires_at {
            self.expiries.remove(&(at, key.to_owned()));
        }
        Some(meta)
    }

    fn insert(&mut self, key: &str, meta: ObjectMeta) -> ObjectMeta {
        self.remove(key);
        if let Some(at) = meta.expires_at {
            self.expiries.insert((at, key.to_owned()));
        }
        self.objects.insert(key.to_owned(), meta.clone());
        meta
    }

    /// Stores a new version of `write.key` with `data` and metadata, recording the fence.
    fn store(&mut self, write: &Write<'_>, mut meta: ObjectMeta, ttl: Expiry) -> ObjectMeta {
        let ctx = write.ctx;
        meta.etag = ETag::derive(ctx.index, &meta.data);
        meta.version = ctx.index.0;
        meta.last_modified = ctx.now;
        meta.expires_at = match ttl {
            Expiry::After(ttl) => Some(ctx.now.saturating_add(ttl)),
            Expiry::Never => None,
            Expiry::Keep => meta.expires_at,
        };
        self.record_fence(write.key, write.fence);
        self.insert(write.key, meta)
    }

    #[allow(clippy::too_many_arguments, reason = "the fields of BucketCommand::Put, passed on as they are")]
    fn put(
        &mut self,
        write: &Write<'_>,
        data: BlobRef,
        content_type: Option<String>,
        attributes: BTreeMap<String, String>,
        ttl: Option<Duration>,
        condition: &PutCondition,
        commit_by: Option<Timestamp>,
    ) -> Result<ObjectMeta, CoreError> {
        let (key, now) = (write.key, write.ctx.now);
        check_key("put", key)?;
        if let Some(commit_by) = commit_by
            && now > commit_by
        {
            return Err(CoreError::UploadExpired { key: key.to_owned(), commit_by });
        }
        check_metadata("put", content_type.as_deref(), &attributes)?;
        check_ttl("put", ttl)?;
        check_parts("put", &data)?;
        let size = data.checked_size("put")?;
        self.check_fence(key, write.fence)?;
        match condition {
            PutCondition::Overwrite => {}
            PutCondition::CreateOnly if self.live(key, now).is_some() => {
                return Err(CoreError::AlreadyExists { key: key.to_owned() });
            }
            PutCondition::CreateOnly => {}
            PutCondition::IfMatch(etag) => self.check_match(key, now, Some(etag), None)?,
            PutCondition::IfVersion(version) => self.check_match(key, now, None, Some(*version))?,
        }
        let meta = ObjectMeta {
            etag: ETag::new(String::new()),
            version: 0,
            size,
            last_modified: now,
            content_type,
            attributes,
            expires_at: None,
            data,
        };
        Ok(self.store(write, meta, ttl.map_or(Expiry::Never, Expiry::After)))
    }

    fn delete(&mut self, write: &Write<'_>, condition: &DeleteCondition) -> Result<bool, CoreError> {
        let (key, now) = (write.key, write.ctx.now);
        check_key("delete", key)?;
        self.check_fence(key, write.fence)?;
        match condition {
            DeleteCondition::Any => {}
            DeleteCondition::IfMatch(etag) => self.check_match(key, now, Some(etag), None)?,
            DeleteCondition::IfVersion(version) => self.check_match(key, now, None, Some(*version))?,
        }
        let existed = self.live(key, now).is_some();
        self.remove(key);
        self.record_fence(key, write.fence);
        Ok(existed)
    }

    /// Copies or renames `from` to `to.key`.
    fn transfer(
        &mut self,
        how: Transfer,
        from: &str,
        to: &Write<'_>,
        source_if_match: Option<&ETag>,
        if_not_exists: bool,
    ) -> Result<ObjectMeta, CoreError> {
        let rename = how == Transfer::Rename;
        let operation = if rename { "rename" } else { "copy" };
        let now = to.ctx.now;
        check_key(operation, from)?;
        check_key(operation, to.key)?;
        if rename {
            self.check_fence(from, to.fence)?;
        }
        self.check_fence(to.key, to.fence)?;
        let source = self.live_or_not_found(from, now)?;
        if let Some(etag) = source_if_match {
            self.check_match(from, now, Some(etag), None)?;
        }
        if if_not_exists && self.live(to.key, now).is_some() {
            return Err(CoreError::AlreadyExists { key: to.key.to_owned() });
        }
        let source = source.clone();
        let expiry = if rename {
            self.remove(from);
            self.record_fence(from, to.fence);
            Expiry::Keep
        } else {
            Expiry::Never
        };
        Ok(self.store(to, source, expiry))
    }

    fn set_ttl(
        &mut self,
        write: &Write<'_>,
        ttl: Option<Duration>,
        if_match: Option<&ETag>,
    ) -> Result<ObjectMeta, CoreError> {
        let (key, now) = (write.key, write.ctx.now);
        check_key("set_ttl", key)?;
        check_ttl("set_ttl", ttl)?;
        self.check_fence(key, write.fence)?;
        if let Some(etag) = if_match {
            self.check_match(key, now, Some(etag), None)?;
        }
        let meta = self.live_or_not_found(key, now)?.clone();
        Ok(self.store(write, meta, ttl.map_or(Expiry::Never, Expiry::After)))
    }

    fn get(
        &self,
        operation: &'static str,
        key: &str,
        conditions: &ReadConditions,
        range: Option<ByteRange>,
        now: Timestamp,
    ) -> Result<BucketOutput, CoreError> {
        check_key(operation, key)?;
        let meta = self.live_or_not_found(key, now)?;
        read::check_conditions(key, meta, conditions)?;
        let range = range.map(|range| read::resolve_range(key, meta.size, range)).transpose()?;
        Ok(BucketOutput::Object { meta: meta.clone(), range })
    }

    fn list(
        &self,
        prefix: &str,
        delimiter: Option<&str>,
        start_after: Option<&str>,
        max_keys: Option<u32>,
        now: Timestamp,
    ) -> Result<BucketOutput, CoreError> {
        let limit = max_keys.unwrap_or(MAX_LIST_KEYS);
        if limit == 0 || limit > MAX_LIST_KEYS {
            return Err(CoreError::invalid("list", InvalidReason::PageLimit { limit, max: MAX_LIST_KEYS }));
        }
        let max_keys = usize::try_from(limit)
            .map_err(|_| CoreError::invalid("list", InvalidReason::PageLimit { limit, max: MAX_LIST_KEYS }))?;
        let delimiter = delimiter.filter(|d| !d.is_empty());
        let args = ListArgs { prefix, delimiter, start_after, max_keys };
        Ok(BucketOutput::Listing(list::list(&self.objects, now, &args)))
    }
}

/// Whether a transfer keeps its source.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Transfer {
    /// The source stays.
    Copy,
    /// The source goes, in the same step.
    Rename,
}

/// What a stored version's expiry becomes.
enum Expiry {
    /// `ttl` after the write's time.
    After(Duration),
    /// None.
    Never,
    /// The source's (a rename keeps it).
    Keep,
}

impl StateMachine for Bucket {
    type Command = BucketCommand;
    type Output = BucketOutput;

    fn read(&self, command: &BucketCommand, ctx: &ApplyCtx) -> Option<Result<BucketOutput, CoreError>> {
        use BucketCommand as C;
        match command {
            C::Head { key, conditions } => Some(self.get("head", key, conditions, None, ctx.now)),
            C::Get { key, conditions, range } => Some(self.get("get", key, conditions, *range, ctx.now)),
            C::List { prefix, delimiter, start_after, max_keys } => {
                Some(self.list(prefix, delimiter.as_deref(), start_after.as_deref(), *max_keys, ctx.now))
            }
            C::Put { .. } | C::Delete { .. } | C::Copy { .. } | C::Rename { .. } | C::SetTtl { .. } => None,
        }
    }

    fn apply(&mut self, command: BucketCommand, ctx: &ApplyCtx) -> Applied<BucketOutput> {
        use BucketCommand as C;
        let result = match command {
            C::Put { key, data, content_type, attributes, ttl, condition, if_fence_at_least, commit_by } => {
                let write = Write { key: &key, fence: if_fence_at_least, ctx };
                self.put(&write, data, content_type, attributes, ttl, &condition, commit_by).map(BucketOutput::Written)
            }
            C::Delete { key, condition, if_fence_at_least } => {
                let write = Write { key: &key, fence: if_fence_at_least, ctx };
                self.delete(&write, &condition).map(|existed| BucketOutput::Deleted { existed })
            }
            C::Copy { from, to, source_if_match, if_not_exists, if_fence_at_least } => {
                let write = Write { key: &to, fence: if_fence_at_least, ctx };
                self.transfer(Transfer::Copy, &from, &write, source_if_match.as_ref(), if_not_exists)
                    .map(BucketOutput::Written)
            }
            C::Rename { from, to, source_if_match, if_not_exists, if_fence_at_least } => {
                let write = Write { key: &to, fence: if_fence_at_least, ctx };
                self.transfer(Transfer::Rename, &from, &write, source_if_match.as_ref(), if_not_exists)
                    .map(BucketOutput::Written)
            }
            C::SetTtl { key, ttl, if_match, if_fence_at_least } => {
                let write = Write { key: &key, fence: if_fence_at_least, ctx };
                self.set_ttl(&write, ttl, if_match.as_ref()).map(BucketOutput::Written)
            }
            read @ (C::Head { .. } | C::Get { .. } | C::List { .. }) => return answered(self.read(&read, ctx)),
        };
        Applied::ready(result)
    }

    fn tick(&mut self, ctx: &ApplyCtx) -> Vec<Effect<BucketOutput>> {
        while self.expiries.first().is_some_and(|(at, _)| *at <= ctx.now) {
            let Some((at, key)) = self.expiries.pop_first() else { break };
            if self.objects.get(&key).is_some_and(|meta| meta.expires_at == Some(at)) {
                self.objects.remove(&key);
            }
        }
        Vec::new()
    }

    fn next_deadline(&self) -> Option<Timestamp> {
        self.expiries.first().map(|(at, _)| *at)
    }
}

#[cfg(test)]
#[path = "tests.rs"]
mod tests;

#[cfg(test)]
#[path = "tests_read.rs"]
mod tests_read;

#[cfg(test)]
#[path = "tests_list.rs"]
mod tests_list;

#[cfg(test)]
#[path = "tests_recipes.rs"]
mod tests_recipes;
