//! The checker against a brute-force enumeration from the definition of linearizability
//! (every subset of the unknown operations, every permutation consistent with real time), on
//! generated register, counter and mutex histories with `Unknown` and `Fail` operations.

use crate::common;

use common::{RawHistory, RawOp, agree_with, brute_force, build, build_with};
use coterie_check::models::{CasRegister, Counter, CounterInput, CounterOutput, FencedMutex, MutexInput, MutexOutput};
use coterie_check::{History, Model};

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

/// Requires the checker to agree with the brute-force enumeration on `cases` generated
/// histories of up to 7 operations.
fn agree<M: Model>(model: &M, cases: u32, build: impl Fn(&RawHistory) -> History<M::Input, M::Output>) {
    agree_with(model, cases, 7, build, "brute force", |h| brute_force(model, h));
}

#[test]
fn the_checker_agrees_with_brute_force_on_generated_counter_histories() {
    agree(&Counter::default(), 2000, build_counter);
}

#[test]
fn the_checker_agrees_with_brute_force_on_generated_mutex_histories() {
    agree(&FencedMutex::default(), 3000, build_mutex);
}
