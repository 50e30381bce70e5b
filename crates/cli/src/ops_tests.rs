//! Tests of `ops::parse`: every supported operation, and every way to get it wrong.

use std::collections::BTreeSet;

use coterie_core::kinds::atomic_long::AtomicLongCommand as Al;
use coterie_core::kinds::atomic_reference::AtomicReferenceCommand as Ar;
use coterie_core::kinds::count_down_latch::CountDownLatchCommand as Cdl;
use coterie_core::kinds::counter::CounterCommand as Ctr;
use coterie_core::kinds::map::MapCommand as M;
use coterie_core::kinds::queue::QueueCommand as Q;
use coterie_core::kinds::set::SetCommand as S;
use coterie_core::{Kind, StructureCommand as SC};

use super::*;

fn b(text: &str) -> Vec<u8> {
    text.as_bytes().to_vec()
}

fn args(args: &[&str]) -> Vec<String> {
    args.iter().map(|arg| (*arg).to_owned()).collect()
}

fn ok(kind: Kind, op: &str, list: &[&str]) -> SC {
    parse(kind, op, &args(list)).unwrap_or_else(|err| panic!("{kind} {op} {list:?}: {err}"))
}

fn err(kind: Kind, op: &str, list: &[&str]) -> String {
    match parse(kind, op, &args(list)) {
        Ok(command) => panic!("{kind} {op} {list:?} parsed to {command:?}"),
        Err(err) => err.to_string(),
    }
}

/// Every supported operation with arguments, and the exact command it must parse to.
fn cases() -> Vec<(Kind, &'static str, Vec<&'static str>, SC)> {
    use Kind::*;
    let page = |after: Option<&str>, limit| (after.map(b), limit);
    vec![
        (AtomicLong, "get", vec![], SC::AtomicLong(Al::Get)),
        (AtomicLong, "set", vec!["-7"], SC::AtomicLong(Al::Set(-7))),
        (AtomicLong, "get-and-set", vec!["8"], SC::AtomicLong(Al::GetAndSet(8))),
        (AtomicLong, "add-and-get", vec!["9223372036854775807"], SC::AtomicLong(Al::AddAndGet(i64::MAX))),
        (AtomicLong, "get-and-add", vec!["-9223372036854775808"], SC::AtomicLong(Al::GetAndAdd(i64::MIN))),
        (AtomicLong, "increment-and-get", vec![], SC::AtomicLong(Al::IncrementAndGet)),
        (AtomicLong, "decrement-and-get", vec![], SC::AtomicLong(Al::DecrementAndGet)),
        (AtomicLong, "get-and-increment", vec![], SC::AtomicLong(Al::GetAndIncrement)),
        (AtomicLong, "get-and-decrement", vec![], SC::AtomicLong(Al::GetAndDecrement)),
        (AtomicLong, "compare-and-set", vec!["1", "2"], SC::AtomicLong(Al::CompareAndSet { expected: 1, update: 2 })),
        (AtomicReference, "get", vec![], SC::AtomicReference(Ar::Get)),
        (AtomicReference, "set", vec!["v"], SC::AtomicReference(Ar::Set(Some(b("v"))))),
        (AtomicReference, "get-and-set", vec!["--null"], SC::AtomicReference(Ar::GetAndSet(None))),
        (
            AtomicReference,
            "compare-and-set",
            vec!["--null", "new"],
            SC::AtomicReference(Ar::CompareAndSet { expected: None, update: Some(b("new")) }),
        ),
        (AtomicReference, "set-if-absent", vec![""], SC::AtomicReference(Ar::SetIfAbsent(Vec::new()))),
        (AtomicReference, "is-null", vec![], SC::AtomicReference(Ar::IsNull)),
        (AtomicReference, "clear", vec![], SC::AtomicReference(Ar::Clear)),
        (AtomicReference, "contains", vec!["héllo"], SC::AtomicReference(Ar::Contains(Some(b("héllo"))))),
        (Counter, "increment", vec![], SC::Counter(Ctr::Increment(1))),
        (Counter, "decrement", vec!["-3"], SC::Counter(Ctr::Decrement(-3))),
        (Counter, "get", vec![], SC::Counter(Ctr::Get)),
        (Map, "put", vec!["k", "v"], SC::Map(M::Put { key: b("k"), value: b("v") })),
        (Map, "get", vec!["k"], SC::Map(M::Get { key: b("k") })),
        (Map, "contains", vec!["k"], SC::Map(M::Contains { key: b("k") })),
        (Map, "delete", vec!["k"], SC::Map(M::Delete { key: b("k") })),
        (Map, "put-if-absent", vec!["k", "v"], SC::Map(M::PutIfAbsent { key: b("k"), value: b("v") })),
        (Map, "replace", vec!["k", "v"], SC::Map(M::Replace { key: b("k"), value: b("v") })),
        (
            Map,
            "compare-and-set",
            vec!["k", "old", "--null"],
            SC::Map(M::CompareAndSet { key: b("k"), expected: Some(b("old")), update: None }),
        ),
        (Map, "size", vec![], SC::Map(M::Size)),
        (Map, "keys", vec![], SC::Map(M::Keys { after: None, limit: DEFAULT_LIMIT })),
        (Map, "entries", vec!["--limit", "5", "--after", "k"], {
            let (after, limit) = page(Some("k"), 5);
            SC::Map(M::Entries { after, limit })
        }),
        (Map, "clear", vec![], SC::Map(M::Clear)),
        (Set, "add", vec!["x"], SC::Set(S::Add(b("x")))),
        (Set, "remove", vec!["x"], SC::Set(S::Remove(b("x")))),
        (Set, "contains", vec!["x"], SC::Set(S::Contains(b("x")))),
        (Set, "size", vec![], SC::Set(S::Size)),
        (Set, "members", vec!["--after=x", "--limit=2"], SC::Set(S::Members { after: Some(b("x")), limit: 2 })),
        (Set, "clear", vec![], SC::Set(S::Clear)),
        (Queue, "enqueue", vec!["job"], SC::Queue(Q::Enqueue(b("job")))),
        (Queue, "peek", vec![], SC::Queue(Q::Peek)),
        (Queue, "dequeue", vec![], SC::Queue(Q::Dequeue)),
        (Queue, "size", vec![], SC::Queue(Q::Size)),
        (Queue, "drain", vec!["10"], SC::Queue(Q::Drain { max: 10 })),
        (Queue, "clear", vec![], SC::Queue(Q::Clear)),
        (CountDownLatch, "get-count", vec![], SC::CountDownLatch(Cdl::GetCount)),
        (CountDownLatch, "get-round", vec![], SC::CountDownLatch(Cdl::GetRound)),
        (CountDownLatch, "try-set-count", vec!["3"], SC::CountDownLatch(Cdl::TrySetCount { count: 3 })),
        (CountDownLatch, "set-count", vec!["4"], SC::CountDownLatch(Cdl::SetCount { count: 4 })),
    ]
}

#[test]
fn every_supported_op_parses_to_its_exact_command() {
    for (kind, op, list, expected) in cases() {
        assert_eq!(ok(kind, op, &list), expected, "{kind} {op} {list:?}");
    }
}

#[test]
fn the_cases_cover_every_listed_op_and_nothing_else() {
    let listed: BTreeSet<(Kind, &str)> =
        Kind::ALL.into_iter().flat_map(|kind| ops(kind).iter().map(move |spec| (kind, spec.name))).collect();
    let tested: BTreeSet<(Kind, &str)> = cases().into_iter().map(|(kind, op, _, _)| (kind, op)).collect();
    assert_eq!(listed, tested);
}

#[test]
fn optional_and_page_arguments_have_defaults() {
    assert_eq!(ok(Kind::Counter, "decrement", &[]), SC::Counter(Ctr::Decrement(1)));
    assert_eq!(ok(Kind::Counter, "increment", &["5"]), SC::Counter(Ctr::Increment(5)));
    assert_eq!(ok(Kind::Set, "members", &[]), SC::Set(S::Members { after: None, limit: DEFAULT_LIMIT }));
    assert_eq!(
        ok(Kind::Map, "keys", &["--after", "--null"]),
        SC::Map(M::Keys { after: Some(b("--null")), limit: 100 })
    );
}

#[test]
fn session_only_kinds_are_refused_with_the_reason() {
    for kind in [Kind::FencedLock, Kind::CpSemaphore, Kind::Lock, Kind::Semaphore, Kind::Barrier] {
        assert!(ops(kind).is_empty());
        let message = err(kind, "lock", &[]);
        assert!(message.starts_with(&format!("{kind} needs a live client session")), "{message}");
        assert!(message.contains("cannot hold a lock"), "{message}");
        assert!(message.contains("its session would die with it"), "{message}");
        assert!(message.contains("`coterie serve` (the CP subsystem)"), "{message}");
    }
}

#[test]
fn session_ops_of_supported_kinds_are_refused_with_the_reason() {
    for (kind, op, alternative) in [
        (Kind::CountDownLatch, "count-down", "once per session"),
        (Kind::CountDownLatch, "await", "get-count"),
        (Kind::Queue, "take", "dequeue"),
    ] {
        let message = err(kind, op, &[]);
        assert!(message.starts_with(&format!("{kind} {op} needs a live client session")), "{message}");
        assert!(message.contains(alternative), "{message}");
        assert!(message.contains("`coterie serve`"), "{message}");
    }
}

#[test]
fn an_unknown_op_lists_what_the_kind_supports() {
    assert_eq!(
        err(Kind::Counter, "reset", &[]),
        "counter has no operation \"reset\"; it supports: increment [N=1], decrement [N=1], get"
    );
    let message = err(Kind::Queue, "push", &["x"]);
    assert!(message.contains("enqueue ITEM, peek, dequeue, size, drain N, clear"), "{message}");
}

#[test]
fn missing_and_extra_arguments_show_the_usage() {
    assert_eq!(
        err(Kind::Map, "put", &["k"]),
        "map put takes KEY VALUE, but got 1 argument; usage: coterie local map NAME put KEY VALUE"
    );
    assert_eq!(
        err(Kind::AtomicLong, "get", &["1", "2"]),
        "atomic-long get takes no arguments, but got 2 arguments; usage: coterie local atomic-long NAME get"
    );
    assert!(err(Kind::AtomicLong, "compare-and-set", &["1"]).contains("takes EXPECTED UPDATE, but got 1 argument"));
    assert!(err(Kind::Counter, "increment", &["1", "2"]).contains("takes [N=1], but got 2 arguments"));
    assert!(err(Kind::Queue, "drain", &[]).contains("takes N, but got 0 arguments"));
    assert!(err(Kind::Set, "add", &["a", "b"]).contains("takes ITEM, but got 2"));
}

#[test]
fn bad_numbers_say_what_was_expected() {
    assert_eq!(
        err(Kind::AtomicLong, "set", &["ten"]),
        "atomic-long set: N must be a 64-bit signed integer, got \"ten\" (invalid digit found in string); \
         usage: coterie local atomic-long NAME set N"
    );
    assert!(err(Kind::AtomicLong, "add-and-get", &["9223372036854775808"]).contains("too large"));
    assert!(err(Kind::AtomicLong, "compare-and-set", &["1", "x"]).contains("UPDATE must be a 64-bit signed integer"));
    assert!(err(Kind::Counter, "increment", &["1.5"]).contains("N must be a 64-bit signed integer"));
    assert!(err(Kind::CountDownLatch, "try-set-count", &["-1"]).contains("N must be a non-negative 64-bit integer"));
    assert!(err(Kind::Queue, "drain", &["5000000000"]).contains("N must be an integer from 0 to 4294967295"));
    assert!(err(Kind::Map, "keys", &["--limit", "many"]).contains("the limit must be an integer"));
}

#[test]
fn bad_page_options_are_refused() {
    assert!(err(Kind::Map, "keys", &["k"]).contains("map keys: unexpected argument \"k\""));
    assert!(err(Kind::Map, "entries", &["--from", "k"]).contains("unexpected argument \"--from\""));
    assert!(err(Kind::Set, "members", &["--after"]).contains("--after needs a value"));
    assert!(err(Kind::Set, "members", &["--limit", "1", "--limit=2"]).contains("--limit was given twice"));
    let message = err(Kind::Map, "keys", &["--after", "a", "--after", "b"]);
    assert!(message.ends_with("usage: coterie local map NAME keys [--after KEY] [--limit N]"), "{message}");
}

#[test]
fn null_is_refused_where_a_value_cannot_be_null() {
    for (kind, op, list) in [
        (Kind::AtomicReference, "set-if-absent", vec!["--null"]),
        (Kind::Map, "put", vec!["k", "--null"]),
        (Kind::Map, "compare-and-set", vec!["--null", "a", "b"]),
        (Kind::Set, "add", vec!["--null"]),
        (Kind::Queue, "enqueue", vec!["--null"]),
    ] {
        let message = err(kind, op, &list);
        assert!(message.contains("--null stands for null, which this operation does not accept"), "{message}");
    }
}

#[test]
fn buckets_are_refused_as_not_served_rather_than_as_needing_a_session() {
    assert!(ops(Kind::Bucket).is_empty());
    for op in ["put", "get", "ls"] {
        let message = err(Kind::Bucket, op, &[]);
        assert!(message.starts_with("bucket is not served by `coterie local`"), "{message}");
        assert!(message.contains("blob store"), "{message}");
    }
}
