//! Seed 003's recipes, each written against the state machine: on Coterie every step that
//! S3 needs a racy fallback for is one atomic command.
//!
//! Object bytes live in a blob store, not in the bucket; [`Blobs`] stands in for it here.

use std::collections::BTreeMap;
use std::time::Duration;

use super::tests::{Log, written};
use super::*;

/// A stand-in content-addressed blob store.
#[derive(Default)]
struct Blobs(BTreeMap<[u8; 32], Vec<u8>>);

impl Blobs {
    fn put(&mut self, bytes: &[u8]) -> BlobRef {
        let mut hash = [0u8; 32];
        for (lane, chunk) in hash.chunks_mut(8).enumerate() {
            let mut h: u64 = 0xcbf2_9ce4_8422_2325 ^ lane as u64;
            for b in bytes {
                h = (h ^ u64::from(*b)).wrapping_mul(0x0100_0000_01b3);
            }
            chunk.copy_from_slice(&h.to_be_bytes());
        }
        self.0.insert(hash, bytes.to_vec());
        BlobRef::single(hash, bytes.len() as u64)
    }

    fn get(&self, data: &BlobRef) -> Vec<u8> {
        data.parts.iter().flat_map(|part| self.0[&part.hash].clone()).collect()
    }
}

fn put(key: &str, data: BlobRef, ttl_ms: Option<u64>, condition: PutCondition, fence: Option<u64>) -> BucketCommand {
    BucketCommand::Put {
        key: key.into(),
        data,
        content_type: None,
        attributes: BTreeMap::new(),
        ttl: ttl_ms.map(Duration::from_millis),
        condition,
        if_fence_at_least: fence,
        commit_by: None,
    }
}

fn release(key: &str, etag: &ETag) -> BucketCommand {
    BucketCommand::Delete {
        key: key.into(),
        condition: DeleteCondition::IfMatch(etag.clone()),
        if_fence_at_least: None,
    }
}

fn renew(key: &str, ttl_ms: u64, etag: &ETag) -> BucketCommand {
    BucketCommand::SetTtl {
        key: key.into(),
        ttl: Some(Duration::from_millis(ttl_ms)),
        if_match: Some(etag.clone()),
        if_fence_at_least: None,
    }
}

fn is_precondition_failed(result: &Result<BucketOutput, CoreError>) -> bool {
    matches!(result, Err(CoreError::PreconditionFailed { .. }))
}

#[test]
fn create_only_lock_and_release() {
    let (mut log, mut blobs) = (Log::new(), Blobs::default());
    let mine =
        written(log.apply(put("locks/job", blobs.put(b"node-1"), None, PutCondition::CreateOnly, None))).unwrap();
    let other = log.apply(put("locks/job", blobs.put(b"node-2"), None, PutCondition::CreateOnly, None));
    assert_eq!(other, Err(CoreError::AlreadyExists { key: "locks/job".into() }));
    // Releasing by ETag removes only the lock this holder took.
    assert_eq!(log.apply(release("locks/job", &mine.etag)), Ok(BucketOutput::Deleted { existed: true }));
    let theirs =
        written(log.apply(put("locks/job", blobs.put(b"node-2"), None, PutCondition::CreateOnly, None))).unwrap();
    assert_eq!(blobs.get(&theirs.data), b"node-2");
    assert!(
        is_precondition_failed(&log.apply(release("locks/job", &mine.etag))),
        "a late release cannot free another's lock"
    );
}

#[test]
fn lock_with_ttl_and_stealing_an_expired_lock() {
    let (mut log, mut blobs) = (Log::new(), Blobs::default());
    let lock = |blobs: &mut Blobs, owner: &[u8]| {
        put("locks/ttl", blobs.put(owner), Some(60_000), PutCondition::CreateOnly, None)
    };
    let first = written(log.apply(lock(&mut blobs, b"node-1"))).unwrap();
    log.now += 59_999;
    assert_eq!(log.apply(lock(&mut blobs, b"node-2")), Err(CoreError::AlreadyExists { key: "locks/ttl".into() }));
    // Expired by the replicated clock: stealing is one create-only put, no client clock, no tick needed.
    log.now += 1;
    let stolen = written(log.apply(lock(&mut blobs, b"node-2"))).unwrap();
    assert_eq!(blobs.get(&stolen.data), b"node-2");
    assert!(is_precondition_failed(&log.apply(release("locks/ttl", &first.etag))), "the old holder cannot release it");
    assert!(matches!(
        log.apply(BucketCommand::Head { key: "locks/ttl".into(), conditions: ReadConditions::default() }),
        Ok(BucketOutput::Object { meta, .. }) if meta.etag == stolen.etag
    ));
}

#[test]
fn renewable_lock_whose_version_fences_the_holders_writes() {
    let (mut log, mut blobs) = (Log::new(), Blobs::default());
    let acquire = |blobs: &mut Blobs, owner: &[u8]| {
        put("locks/r", blobs.put(owner), Some(30_000), PutCondition::CreateOnly, None)
    };
    let mut held = written(log.apply(acquire(&mut blobs, b"node-1"))).unwrap();
    let fence = held.version;
    log.apply(put("data", blobs.put(b"v1"), None, PutCondition::Overwrite, Some(fence))).unwrap();
    // Renew every 10 s for 100 s: one call each, by ETag; the lock never lapses.
    for _ in 0..10 {
        log.now += 10_000;
        held = written(log.apply(renew("locks/r", 30_000, &held.etag))).unwrap();
        assert_eq!(log.apply(acquire(&mut blobs, b"node-2")), Err(CoreError::AlreadyExists { key: "locks/r".into() }));
    }
    // node-1 stalls past its TTL; node-2 takes over with a higher fence.
    log.now += 30_000;
    let taken = written(log.apply(acquire(&mut blobs, b"node-2"))).unwrap();
    assert!(taken.version > fence);
    log.apply(put("data", blobs.put(b"v2"), None, PutCondition::Overwrite, Some(taken.version))).unwrap();
    // The stalled holder wakes up: its renewal and its fenced write are both refused.
    assert!(is_precondition_failed(&log.apply(renew("locks/r", 30_000, &held.etag))));
    let stale = log.apply(put("data", blobs.put(b"stale"), None, PutCondition::Overwrite, Some(fence)));
    assert_eq!(stale, Err(CoreError::StaleFence { key: "data".into(), presented: fence, highest: taken.version }));
}

/// One client of the CAS counter: reads, then writes `value + 1` if the ETag still matches.
enum Step {
    Read,
    Write { etag: Option<ETag>, value: u64 },
}

#[test]
fn cas_counter_with_etag_retries_counts_exactly() {
    const CLIENTS: usize = 8;
    const INCREMENTS: u64 = 50;
    let (mut log, mut blobs) = (Log::new(), Blobs::default());
    let mut steps: Vec<Step> = (0..CLIENTS).map(|_| Step::Read).collect();
    let mut done = [0u64; CLIENTS];
    let (mut retries, mut seed) = (0u64, 0x2545_f491_4f6c_dd1du64);
    while done.iter().any(|d| *d < INCREMENTS) {
        seed = seed.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1_442_695_040_888_963_407);
        let client = (seed >> 33) as usize % CLIENTS;
        if done[client] == INCREMENTS {
            continue;
        }
        steps[client] = match &steps[client] {
            Step::Read => {
                let get =
                    BucketCommand::Get { key: "counter".into(), conditions: ReadConditions::default(), range: None };
                match log.apply(get) {
                    Ok(BucketOutput::Object { meta, .. }) => {
                        let value = String::from_utf8(blobs.get(&meta.data)).unwrap().parse().unwrap();
                        Step::Write { etag: Some(meta.etag), value }
                    }
                    Err(CoreError::ObjectNotFound { .. }) => Step::Write { etag: None, value: 0 },
                    other => panic!("{other:?}"),
                }
            }
            Step::Write { etag, value } => {
                let condition = etag.clone().map_or(PutCondition::CreateOnly, PutCondition::IfMatch);
                let next = blobs.put((value + 1).to_string().as_bytes());
                match log.apply(put("counter", next, None, condition, None)) {
                    Ok(_) => done[client] += 1,
                    Err(CoreError::PreconditionFailed { .. } | CoreError::AlreadyExists { .. }) => retries += 1,
                    Err(other) => panic!("{other:?}"),
                }
                Step::Read
            }
        };
    }
    let get = BucketCommand::Get { key: "counter".into(), conditions: ReadConditions::default(), range: None };
    let Ok(BucketOutput::Object { meta, .. }) = log.apply(get) else { panic!("the counter exists") };
    assert_eq!(blobs.get(&meta.data), b"400");
    assert!(retries > 0, "the interleaving made clients retry");
}

#[test]
fn json_document_update_retries_on_a_concurrent_change() {
    let (mut log, mut blobs) = (Log::new(), Blobs::default());
    let read = |log: &mut Log, blobs: &Blobs| match log.apply(BucketCommand::Get {
        key: "config.json".into(),
        conditions: ReadConditions::default(),
        range: None,
    }) {
        Ok(BucketOutput::Object { meta, .. }) => Some((String::from_utf8(blobs.get(&meta.data)).unwrap(), meta.etag)),
        _ => None,
    };
    assert_eq!(read(&mut log, &blobs), None);
    log.apply(put("config.json", blobs.put(br#"{"requests":0}"#), None, PutCondition::CreateOnly, None)).unwrap();
    let (doc_a, etag_a) = read(&mut log, &blobs).unwrap();
    let (doc_b, etag_b) = read(&mut log, &blobs).unwrap();
    assert_eq!(doc_a, doc_b);
    let bump = |doc: &str| {
        let n: u64 = doc.trim_start_matches(r#"{"requests":"#).trim_end_matches('}').parse().unwrap();
        format!(r#"{{"requests":{}}}"#, n + 1)
    };
    assert!(
        log.apply(put("config.json", blobs.put(bump(&doc_a).as_bytes()), None, PutCondition::IfMatch(etag_a), None))
            .is_ok()
    );
    let lost =
        log.apply(put("config.json", blobs.put(bump(&doc_b).as_bytes()), None, PutCondition::IfMatch(etag_b), None));
    assert!(is_precondition_failed(&lost));
    let (doc_b, etag_b) = read(&mut log, &blobs).unwrap();
    assert!(
        log.apply(put("config.json", blobs.put(bump(&doc_b).as_bytes()), None, PutCondition::IfMatch(etag_b), None))
            .is_ok()
    );
    assert_eq!(read(&mut log, &blobs).unwrap().0, r#"{"requests":2}"#);
}

#[test]
fn http_style_cache_with_if_none_match() {
    let (mut log, mut blobs) = (Log::new(), Blobs::default());
    log.apply(put("data.json", blobs.put(b"[1]"), None, PutCondition::Overwrite, None)).unwrap();
    let fetch = |log: &mut Log, cached: Option<&ETag>| {
        let conditions = ReadConditions {
            if_none_match: cached.map(|etag| EtagMatch::OneOf(vec![etag.clone()])),
            ..ReadConditions::default()
        };
        log.apply(BucketCommand::Get { key: "data.json".into(), conditions, range: None })
    };
    let Ok(BucketOutput::Object { meta: first, .. }) = fetch(&mut log, None) else { panic!("first fetch") };
    assert!(
        matches!(fetch(&mut log, Some(&first.etag)), Err(CoreError::NotModified { etag, .. }) if etag == first.etag.as_str())
    );
    log.apply(put("data.json", blobs.put(b"[1,2]"), None, PutCondition::Overwrite, None)).unwrap();
    let Ok(BucketOutput::Object { meta: fresh, .. }) = fetch(&mut log, Some(&first.etag)) else {
        panic!("stale cache")
    };
    assert_eq!(blobs.get(&fresh.data), b"[1,2]");
    assert!(matches!(fetch(&mut log, Some(&fresh.etag)), Err(CoreError::NotModified { .. })));
}

#[test]
fn atomic_backup_by_copy_if_not_exists() {
    let (mut log, mut blobs) = (Log::new(), Blobs::default());
    log.apply(put("db", blobs.put(b"state-1"), None, PutCondition::Overwrite, None)).unwrap();
    let backup = |to: &str, if_not_exists| BucketCommand::Copy {
        from: "db".into(),
        to: to.into(),
        source_if_match: None,
        if_not_exists,
        if_fence_at_least: None,
    };
    let first = written(log.apply(backup("db.backup", true))).unwrap();
    log.apply(put("db", blobs.put(b"state-2"), None, PutCondition::Overwrite, None)).unwrap();
    assert_eq!(log.apply(backup("db.backup", true)), Err(CoreError::AlreadyExists { key: "db.backup".into() }));
    let versioned = format!("db.backup.{}", log.now / 1000);
    let second = written(log.apply(backup(&versioned, false))).unwrap();
    assert_eq!((blobs.get(&first.data), blobs.get(&second.data)), (b"state-1".to_vec(), b"state-2".to_vec()));
}

#[test]
fn safe_rename_if_not_exists() {
    let (mut log, mut blobs) = (Log::new(), Blobs::default());
    log.apply(put("report.tmp", blobs.put(b"draft"), None, PutCondition::Overwrite, None)).unwrap();
    let mv = |from: &str, to: &str| BucketCommand::Rename {
        from: from.into(),
        to: to.into(),
        source_if_match: None,
        if_not_exists: true,
        if_fence_at_least: None,
    };
    let done = written(log.apply(mv("report.tmp", "report"))).unwrap();
    assert_eq!(blobs.get(&done.data), b"draft");
    log.apply(put("other.tmp", blobs.put(b"other"), None, PutCondition::Overwrite, None)).unwrap();
    assert_eq!(log.apply(mv("other.tmp", "report")), Err(CoreError::AlreadyExists { key: "report".into() }));
    assert_eq!(log.bucket.len(), 2, "destination_exists: both objects are still there");
    assert_eq!(log.apply(mv("report.tmp", "x")), Err(CoreError::ObjectNotFound { key: "report.tmp".into() }));
}

#[test]
fn leader_election_with_a_create_only_key_and_a_heartbeat() {
    let (mut log, mut blobs) = (Log::new(), Blobs::default());
    let campaign =
        |blobs: &mut Blobs, node: &[u8]| put("leader", blobs.put(node), Some(30_000), PutCondition::CreateOnly, None);
    let mut term = written(log.apply(campaign(&mut blobs, b"node-1"))).unwrap();
    for _ in 0..5 {
        log.now += 10_000;
        assert!(matches!(log.apply(campaign(&mut blobs, b"node-2")), Err(CoreError::AlreadyExists { .. })));
        term = written(log.apply(renew("leader", 30_000, &term.etag))).unwrap();
    }
    // node-1 stops heartbeating; once its TTL passes, node-2's retry wins.
    log.now += 29_999;
    assert!(matches!(log.apply(campaign(&mut blobs, b"node-2")), Err(CoreError::AlreadyExists { .. })));
    log.now += 1;
    let new_term = written(log.apply(campaign(&mut blobs, b"node-2"))).unwrap();
    assert_eq!(blobs.get(&new_term.data), b"node-2");
    assert!(new_term.version > term.version, "the new term's version fences the old leader");
    assert!(is_precondition_failed(&log.apply(renew("leader", 30_000, &term.etag))), "the old leader learns it lost");
}
