use std::time::Duration;

use coterie_core::OwnerId;

use super::{DEFAULT_LIST, DEFAULT_TAKE, ShardedKind as K, ShardedOp as O, ShardedParseError, parse};
use crate::sharded_sync::{DEFAULT_ARRIVE, SyncOp as S};

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
}

#[test]
fn whole_map_and_set_operations_parse_a_cursor_and_a_limit() {
    assert_eq!(ok(K::Map, "size", &[]), O::MapSize);
    assert_eq!(ok(K::Map, "clear", &[]), O::MapClear);
    assert_eq!(ok(K::Map, "keys", &[]), O::MapKeys(None, DEFAULT_LIST));
    assert_eq!(ok(K::Map, "entries", &["--limit", "5"]), O::MapEntries(None, 5));
    assert_eq!(
        ok(K::Set, "members", &["--after", "0x0100000007", "--limit", "2"]),
        O::SetMembers(Some(vec![1, 0, 0, 0, 7]), 2)
    );
    assert_eq!((ok(K::Set, "size", &[]), ok(K::Set, "clear", &[])), (O::SetSize, O::SetClear));
    assert!(err(K::Map, "keys", &["--after", "abc"]).contains("the cursor a `next:` line printed"));
    assert!(err(K::Map, "keys", &["--after", "0x123"]).contains("the cursor a `next:` line printed"));
    assert!(err(K::Map, "keys", &["--limit", "0"]).contains("--limit must be from 1 to 100000"));
    assert!(err(K::Map, "keys", &["--limit"]).contains("needs a value"));
    assert!(err(K::Set, "members", &["--sort", "x"]).contains("unknown option \"--sort\""));
    assert!(err(K::Map, "size", &["x"]).contains("takes 0 argument(s), got 1"));
}

#[test]
fn locks_and_semaphores_take_a_lease_a_timeout_and_an_owner() {
    let owner = Some(OwnerId(0xab));
    assert_eq!(ok(K::Lock, "acquire", &[]), O::Sync(S::LockAcquire { lease: None, owner: None }));
    assert_eq!(
        ok(K::Lock, "acquire", &["--lease", "30000", "--owner", "00ab"]),
        O::Sync(S::LockAcquire { lease: Some(Duration::from_secs(30)), owner })
    );
    assert_eq!(
        ok(K::Lock, "try-acquire", &["--timeout", "250"]),
        O::Sync(S::LockTryAcquire { lease: None, timeout: Duration::from_millis(250), owner: None })
    );
    assert_eq!(ok(K::Lock, "release", &["--owner", "0xab"]), O::Sync(S::LockRelease { owner }));
    assert_eq!(ok(K::Lock, "holder", &[]), O::Sync(S::LockHolder));
    assert!(err(K::Lock, "release", &[]).contains("--owner HEX is required"));
    assert!(err(K::Lock, "acquire", &["--lease", "0"]).contains("--lease must be from 1 to 3600000"));
    assert!(err(K::Lock, "acquire", &["--timeout", "5"]).contains("unknown option \"--timeout\""));
    assert!(err(K::Lock, "acquire", &["--owner", "xyz"]).contains("--owner must be the owner id"));
    let long = "1".repeat(33);
    assert!(err(K::Lock, "acquire", &["--owner", &long]).contains("up to 32 hex digits"));
    assert!(err(K::Lock, "is-locked", &["now"]).contains("takes no arguments"));

    assert_eq!(ok(K::Semaphore, "create", &[]), O::Sync(S::SemaphoreCreate));
    assert_eq!(
        ok(K::Semaphore, "try-acquire", &["--lease", "1000"]),
        O::Sync(S::SemaphoreTryAcquire { lease: Some(Duration::from_secs(1)), timeout: Duration::ZERO, owner: None })
    );
    assert_eq!(ok(K::Semaphore, "held", &["--owner", "ab"]), O::Sync(S::SemaphoreHeld { owner }));
    assert!(err(K::Semaphore, "held", &[]).contains("--owner HEX is required"));
}

#[test]
fn barriers_arrive_with_a_party_count_and_a_bounded_wait() {
    assert_eq!(ok(K::Barrier, "arrive", &["3"]), O::Sync(S::BarrierArrive { expected: 3, timeout: DEFAULT_ARRIVE }));
    assert_eq!(
        ok(K::Barrier, "arrive", &["2", "--timeout", "500"]),
        O::Sync(S::BarrierArrive { expected: 2, timeout: Duration::from_millis(500) })
    );
    assert_eq!(ok(K::Barrier, "waiting", &[]), O::Sync(S::BarrierWaiting));
    assert_eq!(ok(K::Barrier, "round", &[]), O::Sync(S::BarrierRound));
    assert!(err(K::Barrier, "arrive", &["0"]).contains("EXPECTED must be a party count of 1 or more"));
    assert!(err(K::Barrier, "arrive", &[]).contains("takes 1 argument (EXPECTED), got 0"));
    assert!(err(K::Barrier, "arrive", &["3", "--timeout", "3600001"]).contains("--timeout must be from 0"));
    assert!(err(K::Barrier, "leave", &[]).contains("barrier has no operation \"leave\""));
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
    for kind in [K::Counter, K::Map, K::Set, K::Queue, K::Lock, K::Semaphore, K::Barrier] {
        for usage in kind.usage() {
            let mut words = usage.split(' ');
            let op = words.next().unwrap_or_default();
            let list: Vec<&str> = words
                .filter(|word| !word.starts_with('[') && !word.ends_with(']'))
                .map(|word| match word {
                    "N" | "EXPECTED" => "3",
                    "HEX" => "ab",
                    flag if flag.starts_with("--") => flag,
                    _ => "value",
                })
                .collect();
            let parsed = parse(kind, op, &args(&list));
            assert!(parsed.is_ok(), "{kind} {usage}: {parsed:?}");
        }
    }
}
