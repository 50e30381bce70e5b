//! Classic hand-made histories with known verdicts. Each is small enough to verify by eye;
//! together they pin down real-time order, the meaning of `Fail` and `Unknown`, and each
//! model's contract.
#![allow(clippy::unwrap_used, reason = "test helpers; clippy exempts only #[test] functions")]

use coterie_check::check_keyed;
use coterie_check::models::{
    CasRegister, Counter, CounterInput, CounterOutput, FencedMutex, MutexInput, MutexOutput, RegisterInput,
    RegisterOutput,
};
use coterie_check::{Budget, History, KeyedHistory, OpId, Operation, Outcome, Verdict, check};

type Reg = History<RegisterInput<i64>, RegisterOutput<i64>>;

fn write(h: &mut Reg, p: u64, t0: u64, t1: u64, v: i64) -> OpId {
    h.ok(p, t0, t1, RegisterInput::Write(v), RegisterOutput::Written).unwrap()
}

fn read(h: &mut Reg, p: u64, t0: u64, t1: u64, v: i64) -> OpId {
    h.ok(p, t0, t1, RegisterInput::Read, RegisterOutput::Value(v)).unwrap()
}

fn reg(h: &Reg) -> Verdict {
    check(&CasRegister::new(0i64), h, Budget::default())
}

#[test]
fn a_stale_read_after_a_completed_write_is_not_linearizable() {
    let mut h = Reg::new();
    write(&mut h, 0, 0, 1, 1);
    let r = read(&mut h, 1, 2, 3, 0);
    match reg(&h) {
        Verdict::NotLinearizable(c) => {
            assert_eq!(c.furthest, vec![OpId(0)]);
            assert_eq!(c.stuck, vec![r]);
        }
        v => panic!("expected not linearizable, got {v:?}"),
    }
}

#[test]
fn a_read_concurrent_with_a_write_may_see_either_value() {
    for seen in [0, 1] {
        let mut h = Reg::new();
        write(&mut h, 0, 0, 10, 1);
        read(&mut h, 1, 2, 3, seen);
        assert!(reg(&h).is_linearizable(), "saw {seen}");
    }
}

#[test]
fn two_concurrent_writes_and_reads_that_see_either_order_are_linearizable() {
    // P0 |-----------| w1
    // P1 |-----------| w2
    // P2  |--| r  |--| r     reads 2 then 1 (order w2, w1) or 1 then 2 (order w1, w2)
    let mut h = Reg::new();
    write(&mut h, 0, 0, 10, 1);
    write(&mut h, 1, 0, 10, 2);
    read(&mut h, 2, 1, 2, 2);
    read(&mut h, 2, 3, 4, 1);
    assert!(reg(&h).is_linearizable());
    let mut h = Reg::new();
    write(&mut h, 0, 0, 10, 1);
    write(&mut h, 1, 0, 10, 2);
    read(&mut h, 2, 1, 2, 1);
    read(&mut h, 2, 3, 4, 2);
    assert!(reg(&h).is_linearizable());
}

#[test]
fn reads_that_disagree_on_the_order_of_completed_writes_are_not_linearizable() {
    // Both writes complete before both reads: one order for everybody.
    let mut h = Reg::new();
    write(&mut h, 0, 0, 1, 1);
    write(&mut h, 1, 0, 1, 2);
    read(&mut h, 2, 2, 3, 2);
    read(&mut h, 3, 4, 5, 1);
    assert!(reg(&h).is_not_linearizable());
}

#[test]
fn equal_times_overlap() {
    // The write completes at 5 and the read is invoked at 5: they overlap, so the read may
    // precede the write.
    let mut h = Reg::new();
    write(&mut h, 0, 0, 5, 1);
    read(&mut h, 1, 5, 6, 0);
    assert!(reg(&h).is_linearizable());
    let mut h = Reg::new();
    write(&mut h, 0, 0, 5, 1);
    read(&mut h, 1, 6, 7, 0);
    assert!(reg(&h).is_not_linearizable());
}

#[test]
fn an_unknown_write_whose_effect_is_read_later_is_linearizable() {
    let mut h = Reg::new();
    let w = h.unknown(0, 0, RegisterInput::Write(7));
    // Read long after the client gave up: the write may have landed late.
    read(&mut h, 1, 100, 101, 0);
    read(&mut h, 1, 200, 201, 7);
    match reg(&h) {
        Verdict::Linearizable { linearization, .. } => {
            assert_eq!(linearization, vec![OpId(1), w, OpId(2)]);
        }
        v => panic!("expected linearizable, got {v:?}"),
    }
}

#[test]
fn an_unknown_write_may_never_take_effect() {
    let mut h = Reg::new();
    h.unknown(0, 0, RegisterInput::Write(7));
    read(&mut h, 1, 100, 101, 0);
    assert!(reg(&h).is_linearizable());
}

#[test]
fn an_unknown_write_cannot_take_effect_before_its_invoke() {
    let mut h = Reg::new();
    read(&mut h, 1, 0, 1, 7);
    h.unknown(0, 2, RegisterInput::Write(7));
    assert!(reg(&h).is_not_linearizable());
}

#[test]
fn an_unknown_write_takes_effect_at_most_once() {
    let mut h = Reg::new();
    h.unknown(0, 0, RegisterInput::Write(7));
    read(&mut h, 1, 1, 2, 7);
    write(&mut h, 1, 3, 4, 8);
    read(&mut h, 1, 5, 6, 7);
    assert!(reg(&h).is_not_linearizable());
}

#[test]
fn a_fail_write_whose_effect_is_read_is_not_linearizable() {
    let mut h = Reg::new();
    h.fail(0, 0, 1, RegisterInput::Write(7)).unwrap();
    read(&mut h, 1, 2, 3, 7);
    assert!(reg(&h).is_not_linearizable());
}

#[test]
fn a_fail_write_is_dropped() {
    let mut h = Reg::new();
    h.fail(0, 0, 1, RegisterInput::Write(7)).unwrap();
    read(&mut h, 1, 2, 3, 0);
    assert!(reg(&h).is_linearizable());
}

#[test]
fn compare_and_set_outcomes_must_be_consistent() {
    let cas = |e, n| RegisterInput::CompareAndSet { expect: e, new: n };
    // Two CAS(0 -> x) both succeeding: impossible.
    let mut h = Reg::new();
    h.ok(0, 0, 5, cas(0, 1), RegisterOutput::Swapped(true)).unwrap();
    h.ok(1, 0, 5, cas(0, 2), RegisterOutput::Swapped(true)).unwrap();
    assert!(reg(&h).is_not_linearizable());
    // One succeeds, the other fails and a compare-and-exchange sees the winner.
    let mut h = Reg::new();
    h.ok(0, 0, 5, cas(0, 1), RegisterOutput::Swapped(false)).unwrap();
    h.ok(1, 0, 5, cas(0, 2), RegisterOutput::Swapped(true)).unwrap();
    let cax = RegisterInput::CompareAndExchange { expect: 9, new: 3 };
    h.ok(2, 6, 7, cax, RegisterOutput::Value(2)).unwrap();
    assert!(reg(&h).is_linearizable());
}

#[test]
fn a_map_entry_put_if_absent_has_one_winner() {
    type Entry = Option<Vec<u8>>;
    let mut h: History<RegisterInput<Entry>, RegisterOutput<Entry>> = History::new();
    let put = |v: &[u8]| RegisterInput::CompareAndExchange { expect: None, new: Some(v.to_vec()) };
    h.ok(0, 0, 5, put(b"a"), RegisterOutput::Value(None)).unwrap();
    h.ok(1, 0, 5, put(b"b"), RegisterOutput::Value(None)).unwrap();
    let m = CasRegister::new(None);
    assert!(check(&m, &h, Budget::default()).is_not_linearizable());
    let mut h: History<RegisterInput<Entry>, RegisterOutput<Entry>> = History::new();
    h.ok(0, 0, 5, put(b"a"), RegisterOutput::Value(None)).unwrap();
    h.ok(1, 0, 5, put(b"b"), RegisterOutput::Value(Some(b"a".to_vec()))).unwrap();
    h.ok(2, 6, 7, RegisterInput::Write(None), RegisterOutput::Written).unwrap();
    h.ok(2, 8, 9, RegisterInput::Read, RegisterOutput::Value(None)).unwrap();
    assert!(check(&m, &h, Budget::default()).is_linearizable());
}

#[test]
fn keys_are_checked_independently() {
    let mut k: KeyedHistory<&str, RegisterInput<i64>, RegisterOutput<i64>> = KeyedHistory::new();
    let op =
        |p, t0, t1, input, out| Operation { process: p, invoke: t0, complete: t1, input, outcome: Outcome::Ok(out) };
    k.push("a", op(0, 0, 1, RegisterInput::Write(1), RegisterOutput::Written)).unwrap();
    k.push("b", op(0, 2, 3, RegisterInput::Read, RegisterOutput::Value(0))).unwrap();
    k.push("a", op(1, 2, 3, RegisterInput::Read, RegisterOutput::Value(1))).unwrap();
    k.push("c", op(1, 4, 5, RegisterInput::Read, RegisterOutput::Value(1))).unwrap();
    let verdicts = check_keyed(&CasRegister::new(0i64), &k, Budget::default());
    assert!(verdicts["a"].is_linearizable());
    assert!(verdicts["b"].is_linearizable());
    assert!(verdicts["c"].is_not_linearizable());
}

#[test]
fn a_history_completing_before_its_invoke_is_refused() {
    let mut h = Reg::new();
    assert!(h.ok(0, 5, 4, RegisterInput::Read, RegisterOutput::Value(0)).is_err());
}

type Ctr = History<CounterInput, CounterOutput>;

#[test]
fn counter_adds_must_each_be_counted_once() {
    let add = |h: &mut Ctr, p, t0, t1, d, v| {
        h.ok(p, t0, t1, CounterInput::Add(d), CounterOutput::Value(v)).unwrap();
    };
    let mut h = Ctr::new();
    add(&mut h, 0, 0, 5, 1, 2);
    add(&mut h, 1, 0, 5, 1, 1);
    h.ok(2, 6, 7, CounterInput::Get, CounterOutput::Value(2)).unwrap();
    assert!(check(&Counter::default(), &h, Budget::default()).is_linearizable());
    // Both adds claim to have produced 1: one was lost.
    let mut h = Ctr::new();
    add(&mut h, 0, 0, 5, 1, 1);
    add(&mut h, 1, 0, 5, 1, 1);
    assert!(check(&Counter::default(), &h, Budget::default()).is_not_linearizable());
    // An unknown add that is later seen.
    let mut h = Ctr::new();
    h.unknown(0, 0, CounterInput::Add(5));
    h.ok(1, 10, 11, CounterInput::Get, CounterOutput::Value(5)).unwrap();
    assert!(check(&Counter::default(), &h, Budget::default()).is_linearizable());
}

type Mtx = History<MutexInput, MutexOutput>;

fn lock(h: &mut Mtx, owner: u64, t0: u64, t1: u64, fence: u64) {
    h.ok(owner, t0, t1, MutexInput::Lock { owner }, MutexOutput::Fence(fence)).unwrap();
}

fn unlock(h: &mut Mtx, owner: u64, t0: u64, t1: u64) {
    h.ok(owner, t0, t1, MutexInput::Unlock { owner }, MutexOutput::Unlocked(true)).unwrap();
}

fn mtx(h: &Mtx) -> Verdict {
    check(&FencedMutex::default(), h, Budget::default())
}

#[test]
fn two_overlapping_lock_holders_are_not_linearizable() {
    let mut h = Mtx::new();
    lock(&mut h, 1, 0, 1, 1);
    lock(&mut h, 2, 2, 3, 2);
    assert!(mtx(&h).is_not_linearizable(), "2 acquired while 1 held it");
    let mut h = Mtx::new();
    lock(&mut h, 1, 0, 1, 1);
    lock(&mut h, 2, 2, 3, 2);
    unlock(&mut h, 1, 4, 5);
    unlock(&mut h, 2, 6, 7);
    assert!(mtx(&h).is_not_linearizable());
    // Handed over while the unlock was in flight: fine.
    let mut h = Mtx::new();
    lock(&mut h, 1, 0, 1, 1);
    unlock(&mut h, 1, 2, 5);
    lock(&mut h, 2, 3, 4, 2);
    assert!(mtx(&h).is_linearizable());
}

#[test]
fn fences_going_backwards_are_not_linearizable() {
    let mut h = Mtx::new();
    lock(&mut h, 1, 0, 1, 5);
    unlock(&mut h, 1, 2, 3);
    lock(&mut h, 2, 4, 5, 4);
    assert!(mtx(&h).is_not_linearizable());
    let mut h = Mtx::new();
    lock(&mut h, 1, 0, 1, 5);
    unlock(&mut h, 1, 2, 3);
    lock(&mut h, 2, 4, 5, 5);
    assert!(mtx(&h).is_not_linearizable(), "a fence reused");
    let mut h = Mtx::new();
    lock(&mut h, 1, 0, 1, 5);
    unlock(&mut h, 1, 2, 3);
    lock(&mut h, 2, 4, 5, 40);
    assert!(mtx(&h).is_linearizable(), "fences need not be consecutive");
}

#[test]
fn a_reentrant_acquire_keeps_its_fence() {
    let mut h = Mtx::new();
    lock(&mut h, 1, 0, 1, 3);
    lock(&mut h, 1, 2, 3, 3);
    unlock(&mut h, 1, 4, 5);
    unlock(&mut h, 1, 6, 7);
    lock(&mut h, 2, 8, 9, 4);
    assert!(mtx(&h).is_linearizable());
    let mut h = Mtx::new();
    lock(&mut h, 1, 0, 1, 3);
    lock(&mut h, 1, 2, 3, 4);
    assert!(mtx(&h).is_not_linearizable());
    // Still held after one unlock of two acquisitions.
    let mut h = Mtx::new();
    lock(&mut h, 1, 0, 1, 3);
    lock(&mut h, 1, 2, 3, 3);
    unlock(&mut h, 1, 4, 5);
    lock(&mut h, 2, 6, 7, 4);
    assert!(mtx(&h).is_not_linearizable());
}

#[test]
fn an_unknown_acquisition_may_hold_the_mutex_forever() {
    // Owner 1's lock timed out; owner 2 is then blocked out unless 1's lock never happened.
    let mut h = Mtx::new();
    h.unknown(1, 0, MutexInput::Lock { owner: 1 });
    lock(&mut h, 2, 10, 11, 1);
    assert!(mtx(&h).is_linearizable(), "the unknown lock never took effect");
    // But if owner 1 is seen holding it (a try-lock by 2 fails), 2 can never get it.
    let mut h = Mtx::new();
    h.unknown(1, 0, MutexInput::Lock { owner: 1 });
    h.ok(2, 10, 11, MutexInput::TryLock { owner: 2 }, MutexOutput::TryLocked(None)).unwrap();
    lock(&mut h, 2, 12, 13, 1);
    assert!(mtx(&h).is_not_linearizable());
    // An unknown acquisition consumed a fence: the next one must be larger than it.
    let mut h = Mtx::new();
    h.unknown(1, 0, MutexInput::Lock { owner: 1 });
    lock(&mut h, 1, 2, 3, 1);
    unlock(&mut h, 1, 4, 5);
    unlock(&mut h, 1, 6, 7);
    lock(&mut h, 2, 8, 9, 1);
    assert!(mtx(&h).is_not_linearizable()); // ... even when nobody observed it: an unlock by 1 that released shows the lock happened.
    let mut h = Mtx::new();
    h.unknown(1, 0, MutexInput::Lock { owner: 1 });
    unlock(&mut h, 1, 2, 3);
    lock(&mut h, 2, 4, 5, 1);
    assert!(mtx(&h).is_not_linearizable());
    let mut h = Mtx::new();
    h.unknown(1, 0, MutexInput::Lock { owner: 1 });
    unlock(&mut h, 1, 2, 3);
    lock(&mut h, 2, 4, 5, 2);
    assert!(mtx(&h).is_linearizable());
}

#[test]
fn an_exhausted_budget_is_reported_not_guessed() {
    let mut h = Reg::new();
    for p in 0..6 {
        write(&mut h, p, 0, 100, p as i64 + 1);
    }
    read(&mut h, 9, 101, 102, 42);
    let v = check(&CasRegister::new(0i64), &h, Budget { max_steps: 10 });
    assert_eq!(v, Verdict::Exhausted { steps: 10 });
    assert!(check(&CasRegister::new(0i64), &h, Budget::default()).is_not_linearizable());
}

/// Many timed-out increments with equal inputs are interchangeable: the search tries them in
/// invoke order only, so deciding how many took effect costs about one configuration per
/// count, not one per subset (2^40 here).
#[test]
fn many_unknown_increments_are_decided_within_a_small_budget() {
    let budget = Budget { max_steps: 20_000 };
    let history = |seen: i64| {
        let mut h = History::new();
        for p in 0..40 {
            h.unknown(p, p, CounterInput::Add(1));
        }
        h.ok(99, 100, 101, CounterInput::Get, CounterOutput::Value(seen)).unwrap();
        h
    };
    assert!(check(&Counter::default(), &history(20), budget).is_linearizable());
    assert!(check(&Counter::default(), &history(40), budget).is_linearizable());
    assert!(check(&Counter::default(), &history(41), budget).is_not_linearizable());
}
