//! The checker against a brute-force enumeration from the definition of linearizability
//! (every subset of the unknown operations, every permutation consistent with real time), on
//! generated register, counter and mutex histories with `Unknown` and `Fail` operations.

mod common;

use std::cell::Cell;

use common::{RawHistory, RawOp, brute_force, build, build_with, raw_history};
use coterie_check::models::{CasRegister, Counter, CounterInput, CounterOutput, FencedMutex, MutexInput, MutexOutput};
use coterie_check::{Budget, History, Model, Verdict, check};
use proptest::test_runner::{Config, TestCaseError, TestRunner};

#[test]
fn the_checker_agrees_with_brute_force_on_generated_register_histories() {
    agree(&CasRegister::new(0i64), 3000, build);
}

/// Counter histories from a real execution of adds (deltas -1..=1) and gets; the perturbation
/// moves an observed value or reports an add as failed.
fn build_counter(raw: &RawHistory) -> History<CounterInput, CounterOutput> {
    let exec = |r: &RawOp, state: &i64| {
        if r.kind.is_multiple_of(2) {
            (CounterInput::Get, *state, CounterOutput::Value(*state))
        } else {
            let next = state + r.value - 1;
            (CounterInput::Add(r.value - 1), next, CounterOutput::Value(next))
        }
    };
    let perturb = |out: &CounterOutput, amount: i64| match (out, amount) {
        (CounterOutput::Value(v), 0) => Some(CounterOutput::Value(v + 1)),
        (CounterOutput::Value(v), _) => Some(CounterOutput::Value(v - 1)),
    };
    build_with(raw, 0i64, exec, perturb)
}

/// Mutex histories from a real execution of a fenced reentrant mutex (owner = process; fences
/// grow by 1 to 3), where a lock that would block is issued as a try-lock instead; the
/// perturbation moves a fence, flips an unlock's or a try-lock's answer, or reports an
/// operation as failed.
fn build_mutex(raw: &RawHistory) -> History<MutexInput, MutexOutput> {
    // (holder: (owner, depth, fence), last fence)
    type S = (Option<(u64, u32, u64)>, u64);
    let exec = |r: &RawOp, s: &S| -> (MutexInput, S, MutexOutput) {
        let owner = r.process;
        let (holder, last) = *s;
        let fresh = last + 1 + r.value as u64;
        match (r.kind % 3, holder) {
            (2, Some((o, d, f))) if o == owner => {
                let next = if d > 1 { Some((o, d - 1, f)) } else { None };
                (MutexInput::Unlock { owner }, (next, last), MutexOutput::Unlocked(true))
            }
            (2, _) => (MutexInput::Unlock { owner }, *s, MutexOutput::Unlocked(false)),
            (k, Some((o, d, f))) if o == owner => {
                let out = if k == 0 { MutexOutput::Fence(f) } else { MutexOutput::TryLocked(Some(f)) };
                let input = if k == 0 { MutexInput::Lock { owner } } else { MutexInput::TryLock { owner } };
                (input, (Some((o, d + 1, f)), last), out)
            }
            (_, Some(_)) => (MutexInput::TryLock { owner }, *s, MutexOutput::TryLocked(None)),
            (0, None) => (MutexInput::Lock { owner }, (Some((owner, 1, fresh)), fresh), MutexOutput::Fence(fresh)),
            (_, None) => {
                (MutexInput::TryLock { owner }, (Some((owner, 1, fresh)), fresh), MutexOutput::TryLocked(Some(fresh)))
            }
        }
    };
    let perturb = |out: &MutexOutput, amount: i64| match (out, amount) {
        (MutexOutput::Fence(f), 0) => Some(MutexOutput::Fence(f.saturating_sub(1))),
        (MutexOutput::Fence(f), _) => Some(MutexOutput::Fence(f + 1)),
        (MutexOutput::TryLocked(Some(_)), 0) => Some(MutexOutput::TryLocked(None)),
        (MutexOutput::TryLocked(Some(f)), _) => Some(MutexOutput::TryLocked(Some(f.saturating_sub(1)))),
        (MutexOutput::TryLocked(None), _) => Some(MutexOutput::TryLocked(Some(9))),
        (MutexOutput::Unlocked(b), 0) => Some(MutexOutput::Unlocked(!b)),
        (MutexOutput::Unlocked(_), _) => None,
    };
    build_with(raw, (None, 0), exec, perturb)
}

/// Runs `cases` generated histories through both checkers and requires agreement, with at
/// least a fifth of each verdict.
fn agree<M: Model>(model: &M, cases: u32, build: impl Fn(&RawHistory) -> History<M::Input, M::Output>) {
    let mut runner = TestRunner::new(Config { cases, failure_persistence: None, ..Config::default() });
    let (yes, no) = (Cell::new(0u32), Cell::new(0u32));
    let result = runner.run(&raw_history(7), |raw| {
        let h = build(&raw);
        let mine = check(model, &h, Budget::default());
        if let Verdict::Exhausted { steps } = mine {
            return Err(TestCaseError::fail(format!("exhausted after {steps} steps")));
        }
        let brute = brute_force(model, &h);
        if mine.is_linearizable() != brute {
            return Err(TestCaseError::fail(format!(
                "coterie-check says {mine:?}, brute force says {brute} on {h:#?}"
            )));
        }
        if brute {
            yes.set(yes.get() + 1)
        } else {
            no.set(no.get() + 1)
        }
        Ok(())
    });
    if let Err(e) = result {
        panic!("{e}");
    }
    let (yes, no) = (yes.get(), no.get());
    assert!(yes >= cases / 5 && no >= cases / 5, "linearizable {yes}, not {no}");
}

#[test]
fn the_checker_agrees_with_brute_force_on_generated_counter_histories() {
    agree(&Counter::default(), 2000, build_counter);
}

#[test]
fn the_checker_agrees_with_brute_force_on_generated_mutex_histories() {
    agree(&FencedMutex::default(), 3000, build_mutex);
}
