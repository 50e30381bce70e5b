use std::time::Duration;

use super::{ClusterKind as K, ClusterOp as O, ClusterParseError, parse};

fn args(list: &[&str]) -> Vec<String> {
    list.iter().map(|arg| (*arg).to_owned()).collect()
}

fn ok(kind: K, op: &str, list: &[&str]) -> O {
    match parse(kind, op, &args(list)) {
        Ok(parsed) => parsed,
        Err(err) => panic!("{kind} {op} {list:?} should parse: {err}"),
    }
}

fn err(kind: K, op: &str, list: &[&str]) -> String {
    match parse(kind, op, &args(list)) {
        Ok(parsed) => panic!("{kind} {op} {list:?} should fail, parsed {parsed:?}"),
        Err(err) => err.to_string(),
    }
}

#[test]
fn atomic_long_short_and_long_names() {
    assert_eq!(ok(K::AtomicLong, "increment", &[]), O::LongAddAndGet(1));
    assert_eq!(ok(K::AtomicLong, "increment-and-get", &[]), O::LongAddAndGet(1));
    assert_eq!(ok(K::AtomicLong, "decrement", &[]), O::LongAddAndGet(-1));
    assert_eq!(ok(K::AtomicLong, "add", &["-5"]), O::LongAddAndGet(-5));
    assert_eq!(ok(K::AtomicLong, "get-and-increment", &[]), O::LongGetAndAdd(1));
    assert_eq!(ok(K::AtomicLong, "get-and-decrement", &[]), O::LongGetAndAdd(-1));
    assert_eq!(ok(K::AtomicLong, "set", &["9223372036854775807"]), O::LongSet(i64::MAX));
    assert_eq!(ok(K::AtomicLong, "compare-and-set", &["1", "2"]), O::LongCompareAndSet(1, 2));
    assert_eq!(ok(K::AtomicLong, "get", &[]), O::LongGet);
}

#[test]
fn numbers_are_checked_with_the_usage_in_the_message() {
    let message = err(K::AtomicLong, "add", &["ten"]);
    assert!(message.contains("\"ten\" is not a 64-bit signed integer"), "{message}");
    assert!(message.contains("usage: atomic-long NAME add N"), "{message}");
    let message = err(K::AtomicLong, "set", &["9223372036854775808"]);
    assert!(message.contains("not a 64-bit signed integer"), "{message}");
    let message = err(K::Semaphore, "init", &["-1"]);
    assert!(message.contains("not a non-negative 64-bit integer"), "{message}");
    let message = err(K::AtomicLong, "compare-and-set", &["1"]);
    assert!(message.contains("takes 2 argument(s), got 1"), "{message}");
    let message = err(K::AtomicLong, "get", &["extra"]);
    assert!(message.contains("takes 0 argument(s), got 1"), "{message}");
}

#[test]
fn unknown_operations_list_what_the_kind_supports() {
    let message = err(K::Latch, "explode", &[]);
    assert!(message.contains("latch has no operation \"explode\""), "{message}");
    assert!(message.contains("count-down"), "{message}");
    assert!(matches!(parse(K::AtomicRef, "incr", &[]), Err(ClusterParseError::UnknownOp { .. })));
}

#[test]
fn references_take_null_where_a_value_may_be_null() {
    assert_eq!(ok(K::AtomicRef, "set", &["--null"]), O::RefSet(None));
    assert_eq!(ok(K::AtomicRef, "set", &["v1"]), O::RefSet(Some(b"v1".to_vec())));
    assert_eq!(ok(K::AtomicRef, "compare-and-set", &["--null", "v2"]), O::RefCompareAndSet(None, Some(b"v2".to_vec())));
    assert_eq!(ok(K::AtomicRef, "contains", &["--null"]), O::RefContains(None));
    let message = err(K::AtomicRef, "set-if-absent", &["--null"]);
    assert!(message.contains("does not accept --null"), "{message}");
}

#[test]
fn holding_operations_are_refused_with_the_reason() {
    for (kind, op) in [(K::FencedLock, "lock"), (K::FencedLock, "unlock"), (K::Semaphore, "acquire")] {
        let message = err(kind, op, &[]);
        assert!(message.contains("cannot hold a lock or permits"), "{message}");
    }
}

#[test]
fn latch_await_takes_a_bounded_wait() {
    assert_eq!(ok(K::Latch, "await", &[]), O::LatchAwait(super::DEFAULT_AWAIT));
    assert_eq!(ok(K::Latch, "await", &["5"]), O::LatchAwait(Duration::from_secs(5)));
    assert!(err(K::Latch, "await", &["0"]).contains("from 1 to 3600 seconds"));
    assert!(err(K::Latch, "await", &["3601"]).contains("from 1 to 3600 seconds"));
    assert_eq!(ok(K::Latch, "count", &[]), O::LatchCount);
    assert_eq!(ok(K::Latch, "try-set-count", &["3"]), O::LatchTrySetCount(3));
    assert_eq!(ok(K::Semaphore, "available", &[]), O::SemAvailable);
}

#[test]
fn every_listed_usage_parses() {
    // The usage lines are what `--help` and errors show: each must be accepted as written.
    for kind in [K::AtomicLong, K::AtomicRef, K::FencedLock, K::Semaphore, K::Latch] {
        for usage in kind.usage() {
            let mut words = usage.split(' ');
            let op = words.next().unwrap_or_default();
            let list: Vec<&str> = words
                .filter(|word| !word.starts_with('['))
                .map(|word| match word {
                    "N" | "EXPECTED" | "UPDATE" => "3",
                    _ => "value",
                })
                .collect();
            let parsed = parse(kind, op, &args(&list));
            assert!(parsed.is_ok(), "{kind} {usage}: {parsed:?}");
        }
    }
}

#[test]
fn operations_a_one_shot_command_cannot_do_truthfully_are_refused_with_the_reason() {
    // A one-shot command never holds the lock, so it has no fence; drained permits would
    // come back when its session closes (newcomer review F6).
    for op in ["fence", "get-fence"] {
        let refused = err(K::FencedLock, op, &[]);
        assert!(refused.contains("never holds the lock, so it has no fence"), "{refused}");
    }
    for op in ["drain", "drain-permits"] {
        let refused = err(K::Semaphore, op, &[]);
        assert!(refused.contains("come back when it exits; use `reduce N`"), "{refused}");
    }
    assert!(!K::FencedLock.usage().contains(&"fence"));
    assert!(!K::Semaphore.usage().contains(&"drain"));
}
