use std::collections::BTreeMap;
use std::time::Duration;

use super::*;
use crate::machine::Reply;
use crate::testing::internal;

/// A bucket and a log position: every write gets the next index, at the current time.
pub(super) struct Log {
    pub(super) bucket: Bucket,
    pub(super) index: u64,
    pub(super) now: u64,
}

impl Log {
    pub(super) fn new() -> Self {
        Log { bucket: Bucket::default(), index: 0, now: 1_000 }
    }

    /// Applies `command` at the next index. Reads are also checked against `read`, and to
    /// change nothing.
    pub(super) fn apply(&mut self, command: BucketCommand) -> Result<BucketOutput, CoreError> {
        self.index += 1;
        let ctx = internal(self.index, self.now);
        let before = self.bucket.clone();
        let read = self.bucket.read(&command, &ctx);
        let applied = self.bucket.apply(command, &ctx);
        assert!(applied.effects.is_empty());
        let Reply::Ready(result) = applied.response else { panic!("a bucket never parks") };
        if let Some(read) = read {
            assert_eq!(read, result, "read and apply disagree");
            assert_eq!(self.bucket, before, "a read changed the state");
        }
        result
    }

    pub(super) fn put_with(
        &mut self,
        key: &str,
        data: BlobRef,
        condition: PutCondition,
    ) -> Result<ObjectMeta, CoreError> {
        written(self.apply(put_cmd(key, data, condition)))
    }

    pub(super) fn put(&mut self, key: &str, condition: PutCondition) -> Result<ObjectMeta, CoreError> {
        self.put_with(key, blob(7, 10), condition)
    }

    pub(super) fn head(&mut self, key: &str, conditions: ReadConditions) -> Result<ObjectMeta, CoreError> {
        match self.apply(BucketCommand::Head { key: key.into(), conditions })? {
            BucketOutput::Object { meta, range: None } => Ok(meta),
            other => panic!("{other:?}"),
        }
    }

    pub(super) fn get(&mut self, key: &str) -> Result<ObjectMeta, CoreError> {
        self.head(key, ReadConditions::default())
    }

    pub(super) fn delete(&mut self, key: &str, condition: DeleteCondition) -> Result<bool, CoreError> {
        match self.apply(BucketCommand::Delete { key: key.into(), condition, if_fence_at_least: None })? {
            BucketOutput::Deleted { existed } => Ok(existed),
            other => panic!("{other:?}"),
        }
    }
}

pub(super) fn written(result: Result<BucketOutput, CoreError>) -> Result<ObjectMeta, CoreError> {
    match result? {
        BucketOutput::Written(meta) => Ok(meta),
        other => panic!("{other:?}"),
    }
}

pub(super) fn blob(n: u8, len: u64) -> BlobRef {
    BlobRef::single([n; 32], len)
}

pub(super) fn put_cmd(key: &str, data: BlobRef, condition: PutCondition) -> BucketCommand {
    BucketCommand::Put {
        key: key.into(),
        data,
        content_type: None,
        attributes: BTreeMap::new(),
        ttl: None,
        condition,
        if_fence_at_least: None,
        commit_by: None,
    }
}

fn fenced_put(key: &str, fence: u64, condition: PutCondition) -> BucketCommand {
    match put_cmd(key, blob(1, 1), condition) {
        BucketCommand::Put { key, data, content_type, attributes, ttl, condition, .. } => BucketCommand::Put {
            key,
            data,
            content_type,
            attributes,
            ttl,
            condition,
            if_fence_at_least: Some(fence),
            commit_by: None,
        },
        other => other,
    }
}

fn failed(key: &str, reason: PreconditionReason) -> CoreError {
    CoreError::PreconditionFailed { key: key.into(), reason }
}

fn mismatch(key: &str, current: &ETag) -> CoreError {
    failed(key, PreconditionReason::EtagMismatch { current: current.as_str().into() })
}

fn copy(from: &str, to: &str, if_not_exists: bool) -> BucketCommand {
    BucketCommand::Copy {
        from: from.into(),
        to: to.into(),
        source_if_match: None,
        if_not_exists,
        if_fence_at_least: None,
    }
}

fn rename(from: &str, to: &str, if_not_exists: bool) -> BucketCommand {
    BucketCommand::Rename {
        from: from.into(),
        to: to.into(),
        source_if_match: None,
        if_not_exists,
        if_fence_at_least: None,
    }
}

fn set_ttl(key: &str, ttl_ms: Option<u64>, if_match: Option<ETag>) -> BucketCommand {
    BucketCommand::SetTtl { key: key.into(), ttl: ttl_ms.map(Duration::from_millis), if_match, if_fence_at_least: None }
}

#[test]
fn a_put_stores_metadata_with_an_etag_and_version_from_the_log_index() {
    let mut log = Log::new();
    let mut attributes = BTreeMap::new();
    attributes.insert("owner".to_owned(), "node-1".to_owned());
    let data = BlobRef { parts: vec![BlobPart { hash: [0xab; 32], len: 5 }, BlobPart { hash: [1; 32], len: 7 }] };
    let command = BucketCommand::Put {
        key: "a/b".into(),
        data: data.clone(),
        content_type: Some("application/json".into()),
        attributes: attributes.clone(),
        ttl: None,
        condition: PutCondition::Overwrite,
        if_fence_at_least: None,
        commit_by: None,
    };
    let meta = written(log.apply(command)).unwrap();
    let expected = ObjectMeta {
        etag: ETag::new("0000000000000001abababababababab"),
        version: 1,
        size: 12,
        last_modified: Timestamp(1_000),
        content_type: Some("application/json".into()),
        attributes,
        expires_at: None,
        data,
    };
    assert_eq!(meta, expected);
    assert_eq!(log.get("a/b"), Ok(expected));
    assert_eq!(log.bucket.len(), 1);
}

#[test]
fn every_write_changes_the_etag_and_raises_the_version_even_for_identical_bytes() {
    let mut log = Log::new();
    let first = log.put("k", PutCondition::Overwrite).unwrap();
    let second = log.put("k", PutCondition::Overwrite).unwrap();
    assert_ne!(first.etag, second.etag);
    assert!(second.version > first.version);
    assert_eq!(first.data, second.data);
    let empty = log.put_with("e", BlobRef::default(), PutCondition::Overwrite).unwrap();
    assert_eq!((empty.etag.as_str(), empty.size), ("00000000000000030000000000000000", 0));
}

#[test]
fn create_only_refuses_an_existing_key_and_races_are_decided_by_log_order() {
    let mut log = Log::new();
    let winner = log.put_with("lock", blob(1, 1), PutCondition::CreateOnly).unwrap();
    let loser = log.put_with("lock", blob(2, 1), PutCondition::CreateOnly);
    assert_eq!(loser, Err(CoreError::AlreadyExists { key: "lock".into() }));
    assert_eq!(log.get("lock"), Ok(winner));
}

#[test]
fn if_match_and_if_version_update_only_the_named_version() {
    let mut log = Log::new();
    assert_eq!(log.put("k", PutCondition::IfMatch(ETag::new("x"))), Err(failed("k", PreconditionReason::Absent)));
    assert_eq!(log.put("k", PutCondition::IfVersion(1)), Err(failed("k", PreconditionReason::Absent)));
    let v1 = log.put("k", PutCondition::CreateOnly).unwrap();
    let v2 = log.put("k", PutCondition::IfMatch(v1.etag.clone())).unwrap();
    assert_eq!(log.put("k", PutCondition::IfMatch(v1.etag.clone())), Err(mismatch("k", &v2.etag)));
    let stale = log.put("k", PutCondition::IfVersion(v1.version));
    assert_eq!(
        stale,
        Err(failed("k", PreconditionReason::VersionMismatch { expected: v1.version, current: v2.version }))
    );
    let v3 = log.put("k", PutCondition::IfVersion(v2.version)).unwrap();
    assert_eq!(log.get("k"), Ok(v3));
}

#[test]
fn versions_keep_increasing_across_delete_and_recreate() {
    let mut log = Log::new();
    let first = log.put("k", PutCondition::CreateOnly).unwrap();
    assert_eq!(log.delete("k", DeleteCondition::Any), Ok(true));
    let again = log.put("k", PutCondition::CreateOnly).unwrap();
    assert!(again.version > first.version);
    let aba = log.put("k", PutCondition::IfVersion(first.version));
    assert_eq!(aba, Err(failed("k", PreconditionReason::VersionMismatch { expected: 1, current: again.version })));
    assert_eq!(log.put("k", PutCondition::IfMatch(first.etag)), Err(mismatch("k", &again.etag)));
}

#[test]
fn deletes_are_unconditional_or_conditional_on_etag_or_version() {
    let mut log = Log::new();
    assert_eq!(log.delete("k", DeleteCondition::Any), Ok(false));
    assert_eq!(log.delete("k", DeleteCondition::IfVersion(1)), Err(failed("k", PreconditionReason::Absent)));
    let meta = log.put("k", PutCondition::Overwrite).unwrap();
    assert_eq!(log.delete("k", DeleteCondition::IfMatch(ETag::new("other"))), Err(mismatch("k", &meta.etag)));
    let wrong = DeleteCondition::IfVersion(meta.version + 1);
    let expected = PreconditionReason::VersionMismatch { expected: meta.version + 1, current: meta.version };
    assert_eq!(log.delete("k", wrong), Err(failed("k", expected)));
    assert_eq!(log.get("k"), Ok(meta.clone()));
    assert_eq!(log.delete("k", DeleteCondition::IfMatch(meta.etag.clone())), Ok(true));
    assert_eq!(log.get("k"), Err(CoreError::ObjectNotFound { key: "k".into() }));
    let meta = log.put("k", PutCondition::Overwrite).unwrap();
    assert_eq!(log.delete("k", DeleteCondition::IfVersion(meta.version)), Ok(true));
    assert!(log.bucket.is_empty());
}

#[test]
fn a_copy_gets_its_own_etag_and_version_and_no_ttl() {
    let mut log = Log::new();
    let command = match put_cmd("src", blob(3, 30), PutCondition::Overwrite) {
        BucketCommand::Put { key, data, condition, .. } => BucketCommand::Put {
            key,
            data,
            content_type: Some("text/plain".into()),
            attributes: BTreeMap::from([("a".to_owned(), "b".to_owned())]),
            ttl: Some(Duration::from_secs(60)),
            condition,
            if_fence_at_least: None,
            commit_by: None,
        },
        other => other,
    };
    let source = written(log.apply(command)).unwrap();
    let copied = written(log.apply(copy("src", "dst", true))).unwrap();
    assert_eq!(copied.etag, ETag::new("00000000000000020303030303030303"));
    assert_eq!((copied.version, copied.expires_at), (2, None));
    assert_eq!(
        (&copied.data, &copied.attributes, &copied.content_type),
        (&source.data, &source.attributes, &source.content_type)
    );
    assert_eq!(log.get("src"), Ok(source.clone()));
    // If-Match on the source still holds after the copy; the destination's old ETag is not the copy's.
    assert!(log.put("src", PutCondition::IfMatch(source.etag.clone())).is_ok());
    assert_eq!(log.put("dst", PutCondition::IfMatch(source.etag)), Err(mismatch("dst", &copied.etag)));
}

#[test]
fn copy_if_not_exists_missing_sources_and_source_conditions_refuse_without_change() {
    let mut log = Log::new();
    assert_eq!(written(log.apply(copy("nope", "dst", false))), Err(CoreError::ObjectNotFound { key: "nope".into() }));
    let source = log.put("src", PutCondition::Overwrite).unwrap();
    let existing = log.put("dst", PutCondition::Overwrite).unwrap();
    let before = log.bucket.clone();
    assert_eq!(written(log.apply(copy("src", "dst", true))), Err(CoreError::AlreadyExists { key: "dst".into() }));
    let guarded = BucketCommand::Copy {
        from: "src".into(),
        to: "new".into(),
        source_if_match: Some(existing.etag.clone()),
        if_not_exists: false,
        if_fence_at_least: None,
    };
    assert_eq!(written(log.apply(guarded)), Err(mismatch("src", &source.etag)));
    assert_eq!(log.bucket, before);
    let replaced = written(log.apply(copy("src", "dst", false))).unwrap();
    assert_eq!(replaced.data, source.data);
    assert_ne!(replaced.etag, existing.etag);
    let onto_itself = written(log.apply(copy("src", "src", false))).unwrap();
    assert!(onto_itself.version > source.version);
}

#[test]
fn a_rename_moves_the_object_in_one_step_or_not_at_all() {
    let mut log = Log::new();
    log.now = 5_000;
    let command = match put_cmd("old", blob(4, 8), PutCondition::Overwrite) {
        BucketCommand::Put { key, data, content_type, attributes, condition, .. } => BucketCommand::Put {
            key,
            data,
            content_type,
            attributes,
            ttl: Some(Duration::from_millis(500)),
            condition,
            if_fence_at_least: None,
            commit_by: None,
        },
        other => other,
    };
    let source = written(log.apply(command)).unwrap();
    let taken = log.put("taken", PutCondition::Overwrite).unwrap();
    let before = log.bucket.clone();
    assert_eq!(written(log.apply(rename("old", "taken", true))), Err(CoreError::AlreadyExists { key: "taken".into() }));
    assert_eq!(written(log.apply(rename("gone", "new", false))), Err(CoreError::ObjectNotFound { key: "gone".into() }));
    assert_eq!(log.bucket, before, "a refused rename leaves both keys as they were");

    let moved = written(log.apply(rename("old", "new", true))).unwrap();
    assert_eq!((moved.version, moved.expires_at, &moved.data), (5, Some(Timestamp(5_500)), &source.data));
    assert_ne!(moved.etag, source.etag);
    assert_eq!(log.get("old"), Err(CoreError::ObjectNotFound { key: "old".into() }));
    assert_eq!(log.get("new"), Ok(moved.clone()));
    assert_eq!(log.bucket.next_deadline(), Some(Timestamp(5_500)));
    assert_eq!(log.put("new", PutCondition::IfMatch(source.etag)), Err(mismatch("new", &moved.etag)));

    let over = written(log.apply(rename("new", "taken", false))).unwrap();
    assert_eq!(over.data, moved.data);
    assert_ne!(over.etag, taken.etag);
    assert_eq!(log.bucket.len(), 1);
}

#[test]
fn set_ttl_renews_by_etag_and_is_a_write() {
    let mut log = Log::new();
    assert_eq!(written(log.apply(set_ttl("k", Some(10), None))), Err(CoreError::ObjectNotFound { key: "k".into() }));
    let absent = set_ttl("k", Some(10), Some(ETag::new("e")));
    assert_eq!(written(log.apply(absent)), Err(failed("k", PreconditionReason::Absent)));
    let meta = log.put("k", PutCondition::CreateOnly).unwrap();
    log.now = 1_200;
    let renewed = written(log.apply(set_ttl("k", Some(100), Some(meta.etag.clone())))).unwrap();
    assert_eq!((renewed.expires_at, renewed.last_modified), (Some(Timestamp(1_300)), Timestamp(1_200)));
    assert!(renewed.version > meta.version && renewed.etag != meta.etag && renewed.data == meta.data);
    assert_eq!(written(log.apply(set_ttl("k", Some(100), Some(meta.etag)))), Err(mismatch("k", &renewed.etag)));
    let cleared = written(log.apply(set_ttl("k", None, None))).unwrap();
    assert_eq!(cleared.expires_at, None);
    assert_eq!(log.bucket.next_deadline(), None);
    let zero = written(log.apply(set_ttl("k", Some(0), None)));
    assert_eq!(zero, Err(CoreError::invalid("set_ttl", InvalidReason::ZeroTtl)));
}

#[test]
fn fences_refuse_stale_writers_and_survive_deletes() {
    let mut log = Log::new();
    assert!(log.apply(fenced_put("k", 5, PutCondition::Overwrite)).is_ok());
    assert_eq!(log.bucket.fence("k"), Some(5));
    let stale = log.apply(fenced_put("k", 4, PutCondition::Overwrite));
    assert_eq!(stale, Err(CoreError::StaleFence { key: "k".into(), presented: 4, highest: 5 }));
    assert!(log.apply(fenced_put("k", 5, PutCondition::Overwrite)).is_ok(), "the same holder writes again");
    assert!(log.put("k", PutCondition::Overwrite).is_ok(), "writes without a fence are not checked");
    assert_eq!(log.bucket.fence("k"), Some(5));
    let delete = BucketCommand::Delete { key: "k".into(), condition: DeleteCondition::Any, if_fence_at_least: Some(6) };
    assert_eq!(log.apply(delete), Ok(BucketOutput::Deleted { existed: true }));
    let recreate = log.apply(fenced_put("k", 5, PutCondition::CreateOnly));
    assert_eq!(recreate, Err(CoreError::StaleFence { key: "k".into(), presented: 5, highest: 6 }));
    log.put("k", PutCondition::Overwrite).unwrap();
    // A write refused by its condition records nothing.
    let refused = log.apply(fenced_put("k", 9, PutCondition::CreateOnly));
    assert_eq!(refused, Err(CoreError::AlreadyExists { key: "k".into() }));
    assert_eq!(log.bucket.fence("k"), Some(6));
    // A rename is checked and recorded on both keys; a copy on its destination.
    let fenced = |from: &str, to: &str, fence| BucketCommand::Rename {
        from: from.into(),
        to: to.into(),
        source_if_match: None,
        if_not_exists: false,
        if_fence_at_least: Some(fence),
    };
    assert_eq!(
        log.apply(fenced("k", "m", 3)),
        Err(CoreError::StaleFence { key: "k".into(), presented: 3, highest: 6 })
    );
    assert!(log.apply(fenced("k", "m", 7)).is_ok());
    assert_eq!((log.bucket.fence("k"), log.bucket.fence("m")), (Some(7), Some(7)));
    let copy = BucketCommand::Copy {
        from: "m".into(),
        to: "c".into(),
        source_if_match: None,
        if_not_exists: false,
        if_fence_at_least: Some(2),
    };
    assert!(log.apply(copy).is_ok());
    assert_eq!((log.bucket.fence("m"), log.bucket.fence("c")), (Some(7), Some(2)));
}

#[test]
fn expired_objects_are_absent_at_now_before_the_tick_and_removed_by_it() {
    let mut log = Log::new();
    let command = match put_cmd("lock", blob(1, 1), PutCondition::CreateOnly) {
        BucketCommand::Put { key, data, content_type, attributes, condition, .. } => BucketCommand::Put {
            key,
            data,
            content_type,
            attributes,
            ttl: Some(Duration::from_millis(100)),
            condition,
            if_fence_at_least: None,
            commit_by: None,
        },
        other => other,
    };
    let held = written(log.apply(command.clone())).unwrap();
    assert_eq!((held.expires_at, log.bucket.next_deadline()), (Some(Timestamp(1_100)), Some(Timestamp(1_100))));
    log.now = 1_099;
    assert_eq!(log.get("lock"), Ok(held.clone()));
    log.now = 1_100;
    assert_eq!(log.get("lock"), Err(CoreError::ObjectNotFound { key: "lock".into() }));
    assert_eq!(
        log.delete("lock", DeleteCondition::IfMatch(held.etag.clone())),
        Err(failed("lock", PreconditionReason::Absent))
    );
    // Stealing the expired lock: a create-only put succeeds, and its expiry replaces the old one.
    let stolen = written(log.apply(command)).unwrap();
    assert_eq!(stolen.expires_at, Some(Timestamp(1_200)));
    assert_eq!(log.bucket.next_deadline(), Some(Timestamp(1_200)));
    log.bucket.tick(&internal(99, 1_150));
    assert_eq!(log.bucket.len(), 1);
    log.bucket.tick(&internal(100, 1_200));
    assert!(log.bucket.is_empty());
    assert_eq!(log.bucket.next_deadline(), None);
    assert_eq!(log.delete("lock", DeleteCondition::Any), Ok(false));
}

#[test]
fn arguments_over_the_limits_are_refused_naming_the_limit() {
    let mut log = Log::new();
    let invalid = |reason| Err(CoreError::invalid("put", reason));
    assert_eq!(log.put("", PutCondition::Overwrite), invalid(InvalidReason::ObjectKeyEmpty));
    let long = "x".repeat(MAX_KEY_BYTES + 1);
    assert_eq!(
        log.put(&long, PutCondition::Overwrite),
        invalid(InvalidReason::ObjectKeyTooLong { length: 1025, limit: 1024 })
    );
    assert!(log.put(&long[1..], PutCondition::Overwrite).is_ok());
    assert_eq!(log.put("a\0b", PutCondition::Overwrite), invalid(InvalidReason::ObjectKeyNul { position: 1 }));
    let with = |content_type: Option<String>, attributes: BTreeMap<String, String>, ttl| BucketCommand::Put {
        key: "k".into(),
        data: blob(1, 1),
        content_type,
        attributes,
        ttl,
        condition: PutCondition::Overwrite,
        if_fence_at_least: None,
        commit_by: None,
    };
    let long_type = Some("t".repeat(MAX_CONTENT_TYPE_BYTES + 1));
    let refused = log.apply(with(long_type, BTreeMap::new(), None));
    assert_eq!(refused, Err(CoreError::invalid("put", InvalidReason::ContentTypeTooLong { length: 257, limit: 256 })));
    let full = BTreeMap::from([("n".to_owned(), "v".repeat(MAX_ATTRIBUTE_BYTES - 1))]);
    assert!(log.apply(with(Some("t".repeat(256)), full, None)).is_ok());
    let over = BTreeMap::from([("n".to_owned(), "v".repeat(MAX_ATTRIBUTE_BYTES)), ("x".to_owned(), String::new())]);
    let refused = log.apply(with(None, over, None));
    assert_eq!(refused, Err(CoreError::invalid("put", InvalidReason::AttributesTooLarge { size: 2050, limit: 2048 })));
    let sub_ms = log.apply(with(None, BTreeMap::new(), Some(Duration::from_micros(999))));
    assert_eq!(sub_ms, Err(CoreError::invalid("put", InvalidReason::ZeroTtl)));
    let huge = BlobRef { parts: vec![BlobPart { hash: [0; 32], len: u64::MAX }, BlobPart { hash: [0; 32], len: 1 }] };
    assert_eq!(log.put_with("k", huge, PutCondition::Overwrite), invalid(InvalidReason::ObjectSizeOverflow));
    let many = BlobRef { parts: vec![BlobPart { hash: [0; 32], len: 1 }; MAX_PARTS + 1] };
    assert_eq!(
        log.put_with("k", many, PutCondition::Overwrite),
        invalid(InvalidReason::TooManyParts { parts: 10_001, limit: 10_000 })
    );
    let most = BlobRef { parts: vec![BlobPart { hash: [0; 32], len: 1 }; MAX_PARTS] };
    assert_eq!(log.put_with("k", most, PutCondition::Overwrite).map(|m| m.size), Ok(10_000));
    let far = log.apply(with(None, BTreeMap::new(), Some(Duration::MAX)));
    assert_eq!(written(far).map(|m| m.expires_at), Ok(Some(Timestamp(u64::MAX))));
    for (command, operation) in [
        (copy("", "b", false), "copy"),
        (rename("a", "", false), "rename"),
        (BucketCommand::Head { key: String::new(), conditions: ReadConditions::default() }, "head"),
        (
            BucketCommand::Delete { key: String::new(), condition: DeleteCondition::Any, if_fence_at_least: None },
            "delete",
        ),
    ] {
        assert_eq!(log.apply(command), Err(CoreError::invalid(operation, InvalidReason::ObjectKeyEmpty)));
    }
}

#[test]
fn referenced_blobs_lists_every_part_of_every_stored_object() {
    let mut log = Log::new();
    let parts = BlobRef { parts: vec![BlobPart { hash: [1; 32], len: 1 }, BlobPart { hash: [2; 32], len: 2 }] };
    log.put_with("a", parts, PutCondition::Overwrite).unwrap();
    log.put_with("b", blob(2, 2), PutCondition::Overwrite).unwrap();
    log.put_with("c", blob(3, 3), PutCondition::Overwrite).unwrap();
    log.delete("c", DeleteCondition::Any).unwrap();
    assert_eq!(log.bucket.referenced_blobs(), BTreeSet::from([[1; 32], [2; 32]]));
}

#[test]
fn snapshots_restore_the_same_bucket_and_payload_counts_user_bytes() {
    let mut log = Log::new();
    log.apply(fenced_put("a", 3, PutCondition::Overwrite)).unwrap();
    log.apply(set_ttl("a", Some(50), None)).unwrap();
    log.put("b", PutCondition::Overwrite).unwrap();
    let restored = Bucket::restore(&log.bucket.snapshot().unwrap()).unwrap();
    assert_eq!(restored, log.bucket);
    assert_eq!(restored.next_deadline(), Some(Timestamp(1_050)));

    let put = BucketCommand::Put {
        key: "key".into(),
        data: blob(1, u64::MAX),
        content_type: Some("ab".into()),
        attributes: BTreeMap::from([("n".to_owned(), "vv".to_owned())]),
        ttl: None,
        condition: PutCondition::Overwrite,
        if_fence_at_least: None,
        commit_by: None,
    };
    assert_eq!(put.payload_len(), 3 + 2 + 3);
    assert_eq!(copy("ab", "cde", false).payload_len(), 5);
    let delete = BucketCommand::Delete {
        key: "k".into(),
        condition: DeleteCondition::IfMatch(ETag::new("abc")),
        if_fence_at_least: None,
    };
    assert_eq!(delete.payload_len(), 4);
    let conditions = ReadConditions {
        if_match: Some(EtagMatch::OneOf(vec![ETag::new("ab"), ETag::new("c")])),
        if_none_match: Some(EtagMatch::Any),
        ..ReadConditions::default()
    };
    assert_eq!(BucketCommand::Head { key: "k".into(), conditions }.payload_len(), 4);
    let list = BucketCommand::List {
        prefix: "p/".into(),
        delimiter: Some("/".into()),
        start_after: Some("p/x".into()),
        max_keys: None,
    };
    assert_eq!(list.payload_len(), 6);
}

#[test]
fn a_put_applied_after_its_upload_window_is_refused_and_writes_nothing() {
    let mut log = Log::new();
    log.put("k", PutCondition::Overwrite).unwrap();
    let before = log.bucket.clone();
    let late = |commit_by| match put_cmd("k", blob(9, 5), PutCondition::Overwrite) {
        BucketCommand::Put { key, data, content_type, attributes, ttl, condition, if_fence_at_least, .. } => {
            BucketCommand::Put { key, data, content_type, attributes, ttl, condition, if_fence_at_least, commit_by }
        }
        other => other,
    };
    // One millisecond past the window: refused, and the blob it names is referenced by nothing.
    let expired = log.apply(late(Some(Timestamp(log.now - 1))));
    assert_eq!(expired, Err(CoreError::UploadExpired { key: "k".into(), commit_by: Timestamp(log.now - 1) }));
    assert_eq!(log.bucket.objects, before.objects);
    assert!(!log.bucket.referenced_blobs().contains(&[9; 32]));
    // At the window's last millisecond: written.
    let meta = written(log.apply(late(Some(Timestamp(log.now))))).unwrap();
    assert_eq!(meta.data, blob(9, 5));
}
