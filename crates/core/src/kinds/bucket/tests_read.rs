//! Conditional reads (each RFC 7232 precedence case) and byte ranges.

use super::tests::{Log, blob};
use super::*;

/// A log holding `k` (10 bytes) written at time 1000, read at time 2000.
fn one_object() -> (Log, ObjectMeta) {
    let mut log = Log::new();
    let meta = log.put("k", PutCondition::Overwrite).unwrap();
    log.now = 2_000;
    (log, meta)
}

fn tags(meta: &ObjectMeta) -> EtagMatch {
    EtagMatch::OneOf(vec![ETag::new("other"), meta.etag.clone()])
}

fn other() -> EtagMatch {
    EtagMatch::OneOf(vec![ETag::new("other")])
}

fn not_modified(meta: &ObjectMeta) -> CoreError {
    CoreError::NotModified { key: "k".into(), etag: meta.etag.as_str().into(), last_modified: meta.last_modified }
}

fn failed(reason: PreconditionReason) -> CoreError {
    CoreError::PreconditionFailed { key: "k".into(), reason }
}

#[test]
fn if_match_passes_on_a_match_or_star_and_fails_otherwise() {
    let (mut log, meta) = one_object();
    let ok = |if_match| ReadConditions { if_match: Some(if_match), ..ReadConditions::default() };
    assert_eq!(log.head("k", ok(tags(&meta))), Ok(meta.clone()));
    assert_eq!(log.head("k", ok(EtagMatch::Any)), Ok(meta.clone()));
    let mismatch = failed(PreconditionReason::EtagMismatch { current: meta.etag.as_str().into() });
    assert_eq!(log.head("k", ok(other())), Err(mismatch));
    assert!(log.head("k", ok(EtagMatch::OneOf(Vec::new()))).is_err());
}

#[test]
fn if_match_beats_if_unmodified_since() {
    let (mut log, meta) = one_object();
    let since = Some(Timestamp(999));
    let alone = ReadConditions { if_unmodified_since: since, ..ReadConditions::default() };
    let expected = PreconditionReason::ModifiedSince { since: Timestamp(999), last_modified: Timestamp(1_000) };
    assert_eq!(log.head("k", alone.clone()), Err(failed(expected)));
    let with_match = ReadConditions { if_match: Some(tags(&meta)), ..alone };
    assert_eq!(log.head("k", with_match), Ok(meta.clone()), "a matching If-Match skips If-Unmodified-Since");
    let at = ReadConditions { if_unmodified_since: Some(Timestamp(1_000)), ..ReadConditions::default() };
    assert_eq!(log.head("k", at), Ok(meta));
}

#[test]
fn if_none_match_answers_not_modified_on_a_match_or_star() {
    let (mut log, meta) = one_object();
    let none = |tags| ReadConditions { if_none_match: Some(tags), ..ReadConditions::default() };
    assert_eq!(log.head("k", none(tags(&meta))), Err(not_modified(&meta)));
    assert_eq!(log.head("k", none(EtagMatch::Any)), Err(not_modified(&meta)));
    assert_eq!(log.head("k", none(other())), Ok(meta));
}

#[test]
fn if_none_match_beats_if_modified_since() {
    let (mut log, meta) = one_object();
    let unmodified_since = Some(Timestamp(1_000));
    let alone = ReadConditions { if_modified_since: unmodified_since, ..ReadConditions::default() };
    assert_eq!(log.head("k", alone.clone()), Err(not_modified(&meta)));
    let changed = ReadConditions { if_none_match: Some(other()), ..alone };
    assert_eq!(log.head("k", changed), Ok(meta.clone()), "a failing If-None-Match skips If-Modified-Since");
    let older = ReadConditions { if_modified_since: Some(Timestamp(999)), ..ReadConditions::default() };
    assert_eq!(log.head("k", older), Ok(meta));
}

#[test]
fn preconditions_are_checked_before_not_modified_and_absence_before_both() {
    let (mut log, meta) = one_object();
    let both =
        ReadConditions { if_match: Some(other()), if_none_match: Some(tags(&meta)), ..ReadConditions::default() };
    let mismatch = failed(PreconditionReason::EtagMismatch { current: meta.etag.as_str().into() });
    assert_eq!(log.head("k", both.clone()), Err(mismatch));
    let all = ReadConditions {
        if_match: Some(tags(&meta)),
        if_none_match: Some(tags(&meta)),
        if_modified_since: Some(Timestamp(0)),
        if_unmodified_since: Some(Timestamp(0)),
    };
    assert_eq!(log.head("k", all), Err(not_modified(&meta)));
    assert_eq!(log.head("absent", both), Err(CoreError::ObjectNotFound { key: "absent".into() }));
}

fn get(log: &mut Log, key: &str, range: ByteRange) -> Result<ByteSpan, CoreError> {
    match log.apply(BucketCommand::Get {
        key: key.into(),
        conditions: ReadConditions::default(),
        range: Some(range),
    })? {
        BucketOutput::Object { range: Some(span), .. } => Ok(span),
        other => panic!("{other:?}"),
    }
}

#[test]
fn ranges_resolve_against_the_size_or_are_refused() {
    let (mut log, _) = one_object();
    let span = |start, end| Ok(ByteSpan { start, end });
    let unsatisfiable = Err(CoreError::RangeNotSatisfiable { key: "k".into(), size: 10 });
    assert_eq!(get(&mut log, "k", ByteRange::Bounded { start: 2, end: 5 }), span(2, 5));
    assert_eq!(get(&mut log, "k", ByteRange::Bounded { start: 8, end: 100 }), span(8, 10));
    assert_eq!(get(&mut log, "k", ByteRange::Bounded { start: 10, end: 11 }), unsatisfiable.clone());
    let reversed = Err(CoreError::invalid("get", InvalidReason::RangeReversed { start: 5, end: 5 }));
    assert_eq!(get(&mut log, "k", ByteRange::Bounded { start: 5, end: 5 }), reversed);
    assert_eq!(get(&mut log, "k", ByteRange::From { start: 9 }), span(9, 10));
    assert_eq!(get(&mut log, "k", ByteRange::From { start: 10 }), unsatisfiable.clone());
    assert_eq!(get(&mut log, "k", ByteRange::Suffix { len: 3 }), span(7, 10));
    assert_eq!(get(&mut log, "k", ByteRange::Suffix { len: 30 }), span(0, 10));
    assert_eq!(get(&mut log, "k", ByteRange::Suffix { len: 0 }), unsatisfiable);
    log.put_with("empty", BlobRef::default(), PutCondition::Overwrite).unwrap();
    let empty = Err(CoreError::RangeNotSatisfiable { key: "empty".into(), size: 0 });
    assert_eq!(get(&mut log, "empty", ByteRange::Suffix { len: 1 }), empty.clone());
    assert_eq!(get(&mut log, "empty", ByteRange::From { start: 0 }), empty);
    let whole = log.apply(BucketCommand::Get { key: "k".into(), conditions: ReadConditions::default(), range: None });
    assert!(matches!(whole, Ok(BucketOutput::Object { range: None, .. })));
}

#[test]
fn conditions_are_evaluated_before_the_range() {
    let (mut log, meta) = one_object();
    let command = BucketCommand::Get {
        key: "k".into(),
        conditions: ReadConditions { if_none_match: Some(EtagMatch::Any), ..ReadConditions::default() },
        range: Some(ByteRange::From { start: 50 }),
    };
    assert_eq!(log.apply(command), Err(not_modified(&meta)));
    log.put_with("big", blob(1, 1 << 40), PutCondition::Overwrite).unwrap();
    assert_eq!(get(&mut log, "big", ByteRange::Suffix { len: 1 }), Ok(ByteSpan { start: (1 << 40) - 1, end: 1 << 40 }));
}
