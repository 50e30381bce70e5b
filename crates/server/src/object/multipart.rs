//! Multipart uploads with numbered parts, for every face (the gRPC `ObjectService`, the S3
//! gateway): create an upload, store part N, complete it from the ordered list of its parts,
//! or abort it.
//!
//! **Where an upload lives: in the group's log, not in a member's memory.** An upload of key
//! `K` to bucket `B` is kept in a second `Bucket` structure of the same group, `B#uploads`
//! (S3 bucket names cannot contain `#`, and the gRPC API refuses bucket names that do, so no
//! client can address it):
//!
//! * its **marker**, object `<upload-id>`, empty, created create-only, with `K`, the content
//!   type and the user attributes the object will have;
//! * each **part**, object `<upload-id>/<part-number>`, written through
//!   [`ObjectStore::put`]: its bytes go to a majority of the members as blobs, then one
//!   metadata commit. A part's record references its blobs, so the collector keeps them while
//!   the upload exists.
//!
//! So an upload survives the death of the member it was created on, a restart, and a change
//! of leader, and any member serves its next call: a write goes to the group's leader like
//! every object write (another member answers `Redirect`), the id names the upload on every
//! member. An id that names nothing (never created, completed, aborted) is
//! [`MultipartError::NoSuchUpload`] wherever it is sent.
//!
//! **Completing** checks the listed parts ([`assemble`]: ascending numbers, each uploaded,
//! with the ETag given; the total within [`ObjectLimits::max_object_bytes`](super::ObjectLimits::max_object_bytes)) and commits one
//! put of the parts' blobs in order through [`ObjectStore::put_stored`], which first
//! refreshes them on a majority: an abort racing the completion cannot get them collected.
//! The object appears whole or not at all, and the put's condition (create-only, ETag or
//! version match, fence) is decided by that commit. Then the upload's records are removed.
//! The bytes are never copied. An upload that is never completed nor aborted keeps its parts
//! until it is aborted.
//!
//! **Retries.** With an invocation, creating an upload derives its id from the invocation,
//! so a resent create answers the same id; a resent part is answered from the group's record.
//! A complete resent after its first attempt committed finds the upload gone and answers
//! `NoSuchUpload`: read the object to learn whether it was written.

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use coterie_core::kinds::bucket::{
    BlobRef, BucketCommand, BucketOutput, DeleteCondition, MAX_LIST_KEYS, ObjectMeta, PutCondition, PutOptions,
    ReadConditions,
};
use coterie_core::{CoreError, EngineError};
use futures_util::Stream;
use thiserror::Error;

use super::store::GroupRef;
use super::store::{Caller, ObjectError, ObjectKey, ObjectStore};

/// The attribute of a marker naming the upload's key.
const KEY: &str = "key";
/// The prefix of a marker's attributes that are the object's user attributes.
const META: &str = "meta:";

/// Why a multipart operation failed.
#[derive(Debug, Error)]
pub enum MultipartError {
    /// The upload id names no upload of the bucket.
    #[error(
        "no multipart upload {upload_id:?} in this bucket (never created, or already completed or aborted); \
         start a new upload"
    )]
    NoSuchUpload {
        /// The id given.
        upload_id: String,
    },
    /// The upload was created for another key.
    #[error("upload {upload_id:?} is an upload of key {created_for:?}, not {key:?}; use the key it was created for")]
    WrongKey {
        /// The id given.
        upload_id: String,
        /// The key given.
        key: String,
        /// The key the upload was created for.
        created_for: String,
    },
    /// A part number outside `1..=max_upload_parts`.
    #[error(
        "part number {number} is outside 1..={max}; number parts from 1 (at most `max_upload_parts` = {max}, \
         set on every member)"
    )]
    PartNumber {
        /// The number given.
        number: u64,
        /// [`ObjectLimits::max_upload_parts`](super::ObjectLimits::max_upload_parts).
        max: u32,
    },
    /// A part larger than one object may be.
    #[error(
        "part {number} is larger than this cluster's limit of {limit} bytes (`max_object_bytes`); send smaller \
         parts, or raise the limit on every member"
    )]
    PartTooLarge {
        /// The part's number.
        number: u32,
        /// [`ObjectLimits::max_object_bytes`](super::ObjectLimits::max_object_bytes).
        limit: u64,
    },
    /// The listed parts are not in ascending order, or one is listed twice.
    #[error("part {number} is listed after part {previous}; list the parts in ascending order, each once")]
    PartOrder {
        /// The part out of order.
        number: u32,
        /// The part listed before it.
        previous: u32,
    },
    /// A listed part was never uploaded.
    #[error("part {number} of upload {upload_id:?} was not uploaded; upload it, or leave it out of the list")]
    MissingPart {
        /// The upload.
        upload_id: String,
        /// The missing part.
        number: u32,
    },
    /// A listed part's ETag is not the stored part's.
    #[error("part {number}'s ETag is {stored}, not {listed}; list the ETag its upload answered")]
    PartEtag {
        /// The part.
        number: u32,
        /// The ETag the stored part has.
        stored: String,
        /// The ETag listed.
        listed: String,
    },
    /// The listed parts add up to more than one object may have.
    #[error(
        "the listed parts total {total} bytes, more than this cluster's limit of {limit} bytes for one object \
         (`max_object_bytes`); write less, or raise the limit on every member"
    )]
    TooLarge {
        /// The parts' total size.
        total: u64,
        /// [`ObjectLimits::max_object_bytes`](super::ObjectLimits::max_object_bytes).
        limit: u64,
    },
    /// The object store failed (a refused condition, a redirect, too few members).
    #[error(transparent)]
    Object(#[from] ObjectError),
}

impl MultipartError {
    /// The core error a face reports for this failure: the object store's own for
    /// [`MultipartError::Object`] (`None`: not a core error), an invalid request naming
    /// `operation` otherwise.
    pub fn core(&self, operation: &'static str) -> Option<CoreError> {
        match self {
            MultipartError::Object(ObjectError::Engine(EngineError::Core(core))) => Some(core.clone()),
            MultipartError::Object(_) => None,
            other => Some(CoreError::invalid_request(operation, other.to_string())),
        }
    }
}

/// Which upload a call is about.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct UploadKey<'a> {
    /// The bucket the object will be written to.
    pub bucket: &'a str,
    /// The object's key.
    pub key: &'a str,
    /// The upload's id, as its creation answered.
    pub upload_id: &'a str,
}

/// One entry of a completion's part list.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CompletedPart {
    /// The part's number, as uploaded.
    pub number: u32,
    /// The ETag its upload answered; `None` takes the stored part whatever its ETag.
    pub etag: Option<String>,
}

/// A stored part, as [`assemble`] checks it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StoredPart {
    /// Its ETag.
    pub etag: String,
    /// Its bytes.
    pub data: BlobRef,
}

/// The bytes of the object the parts `listed` make, from the `stored` parts by number:
/// refused unless the numbers ascend, each was stored with the ETag listed, and the total is
/// at most `max_object_bytes`. An empty list makes an empty object.
pub fn assemble(
    upload_id: &str,
    listed: &[CompletedPart],
    stored: &BTreeMap<u32, StoredPart>,
    max_object_bytes: u64,
) -> Result<BlobRef, MultipartError> {
    let (mut data, mut previous, mut total) = (BlobRef::default(), None, 0u64);
    for part in listed {
        if let Some(previous) = previous
            && part.number <= previous
        {
            return Err(MultipartError::PartOrder { number: part.number, previous });
        }
        previous = Some(part.number);
        let Some(found) = stored.get(&part.number) else {
            return Err(MultipartError::MissingPart { upload_id: upload_id.to_owned(), number: part.number });
        };
        if let Some(listed) = &part.etag
            && *listed != found.etag
        {
            return Err(MultipartError::PartEtag {
                number: part.number,
                stored: found.etag.clone(),
                listed: listed.clone(),
            });
        }
        total = found.data.parts.iter().fold(total, |total, blob| total.saturating_add(blob.len));
        if total > max_object_bytes {
            return Err(MultipartError::TooLarge { total, limit: max_object_bytes });
        }
        data.parts.extend(found.data.parts.iter().cloned());
    }
    Ok(data)
}

/// The structure holding `bucket`'s uploads.
fn uploads(bucket: &str) -> String {
    format!("{bucket}{}uploads", coterie_api::convert::object::UPLOADS_MARK)
}

fn part_key(upload_id: &str, number: u32) -> String {
    format!("{upload_id}/{number:05}")
}

/// A new upload id. With an invocation, derived from it (a resent create answers the same
/// id); else the time, this process's count and its id, which makes collisions rare, and
/// the create-only marker refuses one.
fn new_upload_id(caller: Caller) -> String {
    if let Some(invocation) = caller.invocation {
        return format!("{:032x}-{:x}", invocation.client.get(), invocation.seq);
    }
    static COUNT: AtomicU64 = AtomicU64::new(0);
    let nanos = SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |d| d.as_nanos());
    let count = COUNT.fetch_add(1, Ordering::Relaxed);
    format!("{nanos:x}-{count:x}-{:x}", std::process::id())
}

/// A read's caller: the session only (a read with an invocation would go through the log).
fn reader(caller: Caller) -> Caller {
    Caller { session: caller.session, invocation: None }
}

impl ObjectStore {
    /// Starts an upload of `object` whose object will have `options`' content type and
    /// attributes (its condition, TTL and fence are the completion's); answers the upload id.
    pub async fn create_upload(
        &self,
        group: &GroupRef<'_>,
        object: ObjectKey<'_>,
        options: PutOptions,
        caller: Caller,
        timeout: Duration,
    ) -> Result<String, MultipartError> {
        let mut attributes: BTreeMap<String, String> =
            options.attributes.into_iter().map(|(name, value)| (format!("{META}{name}"), value)).collect();
        attributes.insert(KEY.to_owned(), object.key.to_owned());
        let upload_id = new_upload_id(caller);
        let command = BucketCommand::Put {
            key: upload_id.clone(),
            data: BlobRef::default(),
            content_type: options.content_type,
            attributes,
            ttl: None,
            condition: PutCondition::CreateOnly,
            if_fence_at_least: None,
            commit_by: None,
        };
        match self.metadata(group, &uploads(object.bucket), command, caller, timeout).await? {
            BucketOutput::Written(_) => Ok(upload_id),
            other => Err(ObjectError::Unexpected(format!("{other:?}")).into()),
        }
    }

    /// The marker of `upload`, checked to be an upload of its key.
    async fn marker(
        &self,
        group: &GroupRef<'_>,
        upload: UploadKey<'_>,
        caller: Caller,
        timeout: Duration,
    ) -> Result<ObjectMeta, MultipartError> {
        let missing = || MultipartError::NoSuchUpload { upload_id: upload.upload_id.to_owned() };
        if upload.upload_id.is_empty() || upload.upload_id.contains('/') {
            return Err(missing());
        }
        let command = BucketCommand::Head { key: upload.upload_id.to_owned(), conditions: ReadConditions::default() };
        let meta = match self.metadata(group, &uploads(upload.bucket), command, reader(caller), timeout).await {
            Ok(BucketOutput::Object { meta, .. }) => meta,
            Ok(other) => return Err(ObjectError::Unexpected(format!("{other:?}")).into()),
            Err(ObjectError::Engine(EngineError::Core(CoreError::ObjectNotFound { .. }))) => return Err(missing()),
            Err(err) => return Err(err.into()),
        };
        match meta.attributes.get(KEY) {
            Some(key) if key == upload.key => Ok(meta),
            created_for => Err(MultipartError::WrongKey {
                upload_id: upload.upload_id.to_owned(),
                key: upload.key.to_owned(),
                created_for: created_for.cloned().unwrap_or_default(),
            }),
        }
    }

    /// Stores `body` as part `number` of `upload` (replacing an earlier part of that number);
    /// answers the part's metadata, whose ETag a completion lists.
    #[allow(clippy::too_many_arguments, reason = "a put's arguments and the part's number")]
    pub async fn upload_part<S, E>(
        &self,
        group: &GroupRef<'_>,
        upload: UploadKey<'_>,
        number: u64,
        body: S,
        caller: Caller,
        timeout: Duration,
    ) -> Result<ObjectMeta, MultipartError>
    where
        S: Stream<Item = Result<Vec<u8>, E>> + Unpin,
        E: std::fmt::Display,
    {
        let max = self.limits().max_upload_parts;
        let number = u32::try_from(number)
            .ok()
            .filter(|number| (1..=max).contains(number))
            .ok_or(MultipartError::PartNumber { number, max })?;
        self.marker(group, upload, caller, timeout).await?;
        let (bucket, key) = (uploads(upload.bucket), part_key(upload.upload_id, number));
        let object = ObjectKey { bucket: &bucket, key: &key };
        match self.put(group, object, body, PutOptions::default(), caller, timeout).await {
            Ok(meta) => Ok(meta),
            Err(ObjectError::TooLarge { limit }) => Err(MultipartError::PartTooLarge { number, limit }),
            Err(err) => Err(err.into()),
        }
    }

    /// Every stored part of `upload`, by number.
    async fn stored_parts(
        &self,
        group: &GroupRef<'_>,
        upload: UploadKey<'_>,
        caller: Caller,
        timeout: Duration,
    ) -> Result<BTreeMap<u32, StoredPart>, MultipartError> {
        let (prefix, structure) = (format!("{}/", upload.upload_id), uploads(upload.bucket));
        let (mut parts, mut after) = (BTreeMap::new(), None);
        loop {
            let command = BucketCommand::List {
                prefix: prefix.clone(),
                delimiter: None,
                start_after: after,
                max_keys: Some(MAX_LIST_KEYS),
            };
            let page = match self.metadata(group, &structure, command, reader(caller), timeout).await? {
                BucketOutput::Listing(page) => page,
                other => return Err(ObjectError::Unexpected(format!("{other:?}")).into()),
            };
            for (key, meta) in page.entries {
                if let Some(number) = key.strip_prefix(&prefix).and_then(|n| n.parse::<u32>().ok()) {
                    parts.insert(number, StoredPart { etag: meta.etag.as_str().to_owned(), data: meta.data });
                }
            }
            match page.next_start_after {
                Some(next) if page.is_truncated => after = Some(next),
                _ => return Ok(parts),
            }
        }
    }

    /// Removes an upload's records (after completing or aborting it). A record left by a
    /// failure here is harmless: a retried abort removes it.
    async fn forget(
        &self,
        group: &GroupRef<'_>,
        upload: UploadKey<'_>,
        parts: impl Iterator<Item = u32>,
        timeout: Duration,
    ) -> Result<(), MultipartError> {
        let structure = uploads(upload.bucket);
        let delete =
            |key: String| BucketCommand::Delete { key, condition: DeleteCondition::Any, if_fence_at_least: None };
        // The marker first: from then on the upload is gone, whatever happens to the parts.
        let keys = std::iter::once(upload.upload_id.to_owned()).chain(parts.map(|n| part_key(upload.upload_id, n)));
        for key in keys {
            self.metadata(group, &structure, delete(key), Caller::default(), timeout).await?;
        }
        Ok(())
    }

    /// Writes the parts `listed` of `upload`, in that order, as its object, if `options`'
    /// condition holds when the metadata commits (`options`' content type and attributes are
    /// replaced by the ones given at the upload's creation); then removes the upload. Answers
    /// the object's metadata.
    pub async fn complete_upload(
        &self,
        group: &GroupRef<'_>,
        upload: UploadKey<'_>,
        listed: &[CompletedPart],
        options: PutOptions,
        caller: Caller,
        timeout: Duration,
    ) -> Result<ObjectMeta, MultipartError> {
        let marker = self.marker(group, upload, caller, timeout).await?;
        let stored = self.stored_parts(group, upload, caller, timeout).await?;
        let data = assemble(upload.upload_id, listed, &stored, self.limits().max_object_bytes)?;
        let attributes = marker
            .attributes
            .iter()
            .filter_map(|(name, value)| name.strip_prefix(META).map(|name| (name.to_owned(), value.clone())))
            .collect();
        let options = PutOptions { content_type: marker.content_type.clone(), attributes, ..options };
        let object = ObjectKey { bucket: upload.bucket, key: upload.key };
        let meta = self.put_stored(group, object, data, options, caller, timeout).await?;
        self.forget(group, upload, stored.keys().copied(), timeout).await?;
        Ok(meta)
    }

    /// Abandons `upload`: removes its records (its blobs, referenced by nothing, are left to
    /// the collector). A later completion is [`MultipartError::NoSuchUpload`].
    pub async fn abort_upload(
        &self,
        group: &GroupRef<'_>,
        upload: UploadKey<'_>,
        caller: Caller,
        timeout: Duration,
    ) -> Result<(), MultipartError> {
        self.marker(group, upload, caller, timeout).await?;
        let stored = self.stored_parts(group, upload, caller, timeout).await?;
        self.forget(group, upload, stored.keys().copied(), timeout).await
    }
}

#[cfg(test)]
mod tests {
    use coterie_core::kinds::bucket::BlobPart;

    use super::*;

    fn stored(parts: &[(u32, &str, u64)]) -> BTreeMap<u32, StoredPart> {
        parts
            .iter()
            .map(|(number, etag, len)| {
                let hash = [u8::try_from(*number).unwrap_or(0); 32];
                (
                    *number,
                    StoredPart {
                        etag: (*etag).to_owned(),
                        data: BlobRef { parts: vec![BlobPart { hash, len: *len }] },
                    },
                )
            })
            .collect()
    }

    fn listed(parts: &[(u32, Option<&str>)]) -> Vec<CompletedPart> {
        parts.iter().map(|(number, etag)| CompletedPart { number: *number, etag: etag.map(str::to_owned) }).collect()
    }

    #[test]
    fn listed_parts_make_the_object_in_their_order() {
        let stored = stored(&[(1, "a", 5), (2, "b", 7), (4, "d", 1)]);
        let data =
            assemble("u", &listed(&[(1, Some("a")), (2, None), (4, Some("d"))]), &stored, 100).unwrap_or_default();
        let lens: Vec<u64> = data.parts.iter().map(|part| part.len).collect();
        assert_eq!(lens, [5, 7, 1]);
        assert_eq!(data.parts[2].hash, [4; 32]);
        // A subset is fine (S3 allows gaps); no part makes an empty object.
        assert_eq!(assemble("u", &listed(&[(2, None)]), &stored, 100).map(|d| d.parts.len()).ok(), Some(1));
        assert_eq!(assemble("u", &[], &stored, 100).map(|d| d.parts.len()).ok(), Some(0));
    }

    #[test]
    fn a_part_list_out_of_order_missing_or_mismatched_is_refused() {
        let stored = stored(&[(1, "a", 5), (2, "b", 7)]);
        let order = assemble("u", &listed(&[(2, None), (1, None)]), &stored, 100);
        assert!(matches!(order, Err(MultipartError::PartOrder { number: 1, previous: 2 })), "{order:?}");
        let twice = assemble("u", &listed(&[(1, None), (1, None)]), &stored, 100);
        assert!(matches!(twice, Err(MultipartError::PartOrder { number: 1, previous: 1 })), "{twice:?}");
        let missing = assemble("u", &listed(&[(1, None), (3, None)]), &stored, 100);
        assert!(matches!(missing, Err(MultipartError::MissingPart { number: 3, .. })), "{missing:?}");
        let etag = assemble("u", &listed(&[(1, Some("x"))]), &stored, 100);
        assert!(matches!(&etag, Err(MultipartError::PartEtag { number: 1, stored, .. }) if stored == "a"), "{etag:?}");
    }

    #[test]
    fn parts_over_the_object_limit_are_refused_naming_it() {
        let stored = stored(&[(1, "a", 60), (2, "b", 60)]);
        let over = assemble("u", &listed(&[(1, None), (2, None)]), &stored, 100);
        assert!(matches!(over, Err(MultipartError::TooLarge { total: 120, limit: 100 })), "{over:?}");
        let message = over.map(drop).unwrap_err().to_string();
        assert!(message.contains("max_object_bytes"), "{message}");
        assert!(assemble("u", &listed(&[(1, None), (2, None)]), &stored, 120).is_ok());
    }
}
