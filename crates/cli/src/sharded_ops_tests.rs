use std::time::Duration;

use super::{DEFAULT_TAKE, ShardedKind as K, ShardedOp as O, ShardedParseError, parse};

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
fn counters_count_by_one_unless_told() {
    assert_eq!(ok(K::Counter, "increment", &[]), O::CounterAdd(1));
    assert_eq!(ok(K::Counter, "increment", &["100"]), O::CounterAdd(100));
    assert_eq!(ok(K::Counter, "decrement", &["10"]), O::CounterAdd(-10));
    assert_eq!(ok(K::Counter, "decrement", &[]), O::CounterAdd(-1));
    assert_eq!(ok(K::Counter, "get", &[]), O::CounterGet);
    let message = err(K::Counter, "increment", &["ten"]);
    assert!(message.contains("\"ten\" is not a 64-bit signed integer"), "{message}");
    assert!(message.contains("usage: counter NAME increment [N=1]"), "{message}");
    assert!(err(K::Counter, "decrement", &["-9223372036854775808"]).contains("cannot be subtracted"));
    assert!(err(K::Counter, "get", &["x"]).contains("takes 0 argument(s), got 1"));
}

#[test]
fn maps_take_keys_and_values_and_null_only_in_compare_and_set() {
    assert_eq!(ok(K::Map, "put", &["alice", "a@x"]), O::MapPut(b"alice".to_vec(), b"a@x".to_vec()));
    assert_eq!(ok(K::Map, "get", &["alice"]), O::MapGet(b"alice".to_vec()));
    assert_eq!(ok(K::Map, "delete", &["alice"]), O::MapDelete(b"alice".to_vec()));
    assert_eq!(
        ok(K::Map, "compare-and-set", &["k", "--null", "v"]),
        O::MapCompareAndSet(b"k".to_vec(), None, Some(b"v".to_vec()))
    );
    assert!(err(K::Map, "put", &["k", "--null"]).contains("does not accept --null"));
    assert!(err(K::Map, "put", &["k"]).contains("takes 2 argument(s), got 1"));
    let message = err(K::Map, "size", &[]);
    assert!(message.contains("does not serve whole-structure operations yet"), "{message}");
    assert!(err(K::Set, "members", &[]).contains("does not serve whole-structure operations yet"));
}

#[test]
fn queues_take_a_bounded_wait_and_drain_at_least_one() {
    assert_eq!(ok(K::Queue, "enqueue", &["task-1"]), O::QueueEnqueue(b"task-1".to_vec()));
    assert_eq!(ok(K::Queue, "take", &[]), O::QueueTake(DEFAULT_TAKE));
    assert_eq!(ok(K::Queue, "take", &["5"]), O::QueueTake(Duration::from_secs(5)));
    assert!(err(K::Queue, "take", &["0"]).contains("from 1 to 3600 seconds"));
    assert!(err(K::Queue, "take", &["3601"]).contains("from 1 to 3600 seconds"));
    assert_eq!(ok(K::Queue, "drain", &["10"]), O::QueueDrain(10));
    assert!(err(K::Queue, "drain", &["0"]).contains("N must be from 1"));
    assert!(matches!(parse(K::Queue, "pop", &[]), Err(ShardedParseError::UnknownOp { .. })));
    assert!(err(K::Set, "explode", &[]).contains("set has no operation \"explode\"; it supports: add ITEM"));
}

#[test]
fn every_listed_usage_parses() {
    // The usage lines are what `--help` and errors show: each must be accepted as written.
    for kind in [K::Counter, K::Map, K::Set, K::Queue] {
        for usage in kind.usage() {
            let mut words = usage.split(' ');
            let op = words.next().unwrap_or_default();
            let list: Vec<&str> = words
                .filter(|word| !word.starts_with('['))
                .map(|word| match word {
                    "N" => "3",
                    _ => "value",
                })
                .collect();
            let parsed = parse(kind, op, &args(&list));
            assert!(parsed.is_ok(), "{kind} {usage}: {parsed:?}");
        }
    }
}
