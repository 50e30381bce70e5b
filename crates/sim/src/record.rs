//! How the clients' operations are recorded for the checker, and what each ending claims.
//!
//! * [`Ended::Ok`] with the node's answer in hand: `Ok` with the model output it stands for
//!   (an answer of a shape the operation cannot have is an anomaly, recorded `Unknown`).
//! * [`Ended::Refused`]: the structure applied the call as a refusal (an unlock by a caller
//!   that does not hold the lock, a release of permits the session does not hold):
//!   `Unlocked(false)` / `Released(false)`.
//! * [`Ended::Fail`], [`Ended::Expired`], [`Ended::Cancelled`]: certainly not applied —
//!   refused before proposing or never sent, refused because the caller's session had
//!   expired (a call refused so is not recorded, and a resend in the same session is refused
//!   again), or a parked call the group confirmed it removed. Recorded `Fail`.
//! * [`Ended::Unknown`]: anything that may have been applied.
//!
//! A session that may expire during the run (one opened with a short TTL) is recorded as an
//! [`MutexInput::Expire`] / [`SemaphoreInput::Expire`] operation with an `Unknown` outcome on
//! every lock and semaphore key, invoked when the session was asked for: the group may expire
//! it at any point after that, or never (see the models).

use coterie_check::models::{
    CounterInput, CounterOutput, MutexInput, MutexOutput, RegisterInput, RegisterOutput, SemaphoreInput,
    SemaphoreOutput,
};
use coterie_check::{History, KeyedHistory, Operation, Outcome};
use coterie_core::kinds::atomic_long::AtomicLongOutput;
use coterie_core::kinds::atomic_reference::AtomicReferenceOutput;
use coterie_core::kinds::cp_semaphore::CpSemaphoreOutput;
use coterie_core::kinds::fenced_lock::FencedLockOutput;
use coterie_core::{GroupOutput, StructureOutput};

use crate::ops::{Bytes, LOCK_KEYS, Op, SEMAPHORE_KEYS};

/// How one operation ended, with the engine's output when it succeeded.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Ended {
    /// It took effect and answered this.
    Ok(GroupOutput),
    /// The structure refused it as applied: the caller does not hold what it released.
    Refused,
    /// It certainly did not take effect.
    Fail,
    /// The group refused it because the caller's session had expired: not applied.
    Expired,
    /// It parked, and the group removed it from its queue when the caller gave up: not
    /// applied.
    Cancelled,
    /// It may have taken effect.
    Unknown,
}

/// What the run's operations did, beyond their histories: evidence that the new paths ran.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Coverage {
    /// Calls that were answered after parking for at least one whole attempt.
    pub woken_after_parking: u64,
    /// Retries of a parked call (`StillParked` answered, the same call sent again).
    pub parked_retries: u64,
    /// Parked calls the client gave up on and the group confirmed cancelled.
    pub cancelled: u64,
    /// Calls refused because their session had expired.
    pub expired_calls: u64,
    /// Sessions opened (each client opens a new one when its session expired).
    pub sessions: u64,
}

/// Everything the clients recorded, per object kind and key.
#[derive(Clone, Debug, Default)]
pub struct Histories {
    /// The registers' histories.
    pub registers: KeyedHistory<String, RegisterInput<i64>, RegisterOutput<i64>>,
    /// The AtomicReferences' histories.
    pub references: KeyedHistory<String, RegisterInput<Bytes>, RegisterOutput<Bytes>>,
    /// The counters' histories.
    pub counters: KeyedHistory<String, CounterInput, CounterOutput>,
    /// The locks' histories.
    pub locks: KeyedHistory<String, MutexInput, MutexOutput>,
    /// The semaphores' histories.
    pub semaphores: KeyedHistory<String, SemaphoreInput, SemaphoreOutput>,
    /// Answers of a shape the operation cannot have (recorded as unknown, and a failure).
    pub anomalies: Vec<String>,
    /// What the new paths did.
    pub coverage: Coverage,
}

fn long(output: &GroupOutput) -> Option<&AtomicLongOutput> {
    match output {
        GroupOutput::Structure(StructureOutput::AtomicLong(out)) => Some(out),
        _ => None,
    }
}

fn register_output(input: &RegisterInput<i64>, output: &GroupOutput) -> Option<RegisterOutput<i64>> {
    match (input, long(output)?) {
        (RegisterInput::Read | RegisterInput::CompareAndExchange { .. }, AtomicLongOutput::Value(v)) => {
            Some(RegisterOutput::Value(*v))
        }
        (RegisterInput::Write(_), AtomicLongOutput::Unit) => Some(RegisterOutput::Written),
        (RegisterInput::CompareAndSet { .. }, AtomicLongOutput::Bool(b)) => Some(RegisterOutput::Swapped(*b)),
        _ => None,
    }
}

fn reference_output(input: &RegisterInput<Bytes>, output: &GroupOutput) -> Option<RegisterOutput<Bytes>> {
    let GroupOutput::Structure(StructureOutput::AtomicReference(out)) = output else { return None };
    match (input, out) {
        (RegisterInput::Read, AtomicReferenceOutput::Value(v)) => Some(RegisterOutput::Value(v.clone())),
        (RegisterInput::Write(_), AtomicReferenceOutput::Unit) => Some(RegisterOutput::Written),
        (RegisterInput::CompareAndSet { .. }, AtomicReferenceOutput::Bool(b)) => Some(RegisterOutput::Swapped(*b)),
        _ => None,
    }
}

fn counter_output(output: &GroupOutput) -> Option<CounterOutput> {
    match long(output)? {
        AtomicLongOutput::Value(v) => Some(CounterOutput::Value(*v)),
        _ => None,
    }
}

fn mutex_output(input: &MutexInput, output: &GroupOutput) -> Option<MutexOutput> {
    let GroupOutput::Structure(StructureOutput::FencedLock(out)) = output else { return None };
    match (input, out) {
        (MutexInput::Lock { .. }, FencedLockOutput::Fence(f)) => Some(MutexOutput::Fence(f.0)),
        (MutexInput::TryLock { .. }, FencedLockOutput::MaybeFence(f)) => Some(MutexOutput::TryLocked(f.map(|f| f.0))),
        (MutexInput::Unlock { .. }, FencedLockOutput::Unit) => Some(MutexOutput::Unlocked(true)),
        _ => None,
    }
}

fn semaphore_output(input: &SemaphoreInput, output: &GroupOutput) -> Option<SemaphoreOutput> {
    let GroupOutput::Structure(StructureOutput::CpSemaphore(out)) = output else { return None };
    match (input, out) {
        (SemaphoreInput::Acquire { .. }, CpSemaphoreOutput::Unit) => Some(SemaphoreOutput::Acquired),
        (SemaphoreInput::TryAcquire { .. }, CpSemaphoreOutput::Bool(b)) => Some(SemaphoreOutput::Tried(*b)),
        (SemaphoreInput::Release { .. }, CpSemaphoreOutput::Unit) => Some(SemaphoreOutput::Released(true)),
        (SemaphoreInput::Available, CpSemaphoreOutput::Permits(n)) => {
            u64::try_from(*n).ok().map(SemaphoreOutput::Available)
        }
        _ => None,
    }
}

fn outcome<O>(
    ended: &Ended,
    refused: Option<O>,
    convert: impl FnOnce(&GroupOutput) -> Option<O>,
    anomalies: &mut Vec<String>,
) -> Outcome<O> {
    match ended {
        Ended::Ok(out) => match convert(out) {
            Some(o) => Outcome::Ok(o),
            None => {
                anomalies.push(format!("unexpected answer {out:?}"));
                Outcome::Unknown
            }
        },
        Ended::Refused => match refused {
            Some(o) => Outcome::Ok(o),
            None => {
                anomalies.push("a refusal of an operation that releases nothing".to_owned());
                Outcome::Unknown
            }
        },
        Ended::Fail | Ended::Expired | Ended::Cancelled => Outcome::Fail,
        Ended::Unknown => Outcome::Unknown,
    }
}

fn push<I, O>(history: &mut KeyedHistory<String, I, O>, key: &str, op: Operation<I, O>, anomalies: &mut Vec<String>) {
    if let Err(err) = history.push(key.to_owned(), op) {
        anomalies.push(format!("malformed record on {key}: {err}"));
    }
}

impl Histories {
    /// Records `op`, issued by `process`, invoked and completed at these times (virtual
    /// microseconds), ended as `ended`.
    pub fn record(&mut self, process: u64, invoke: u64, complete: u64, op: &Op, ended: &Ended) {
        let anomalies = &mut self.anomalies;
        macro_rules! put {
            ($history:expr, $key:expr, $input:expr, $outcome:expr) => {{
                let op = Operation { process, invoke, complete, input: $input.clone(), outcome: $outcome };
                push(&mut $history, $key, op, anomalies);
            }};
        }
        match op {
            Op::Register { key, input } => {
                let outcome = outcome(ended, None, |out| register_output(input, out), anomalies);
                put!(self.registers, key, input, outcome);
            }
            Op::Reference { key, input } => {
                let outcome = outcome(ended, None, |out| reference_output(input, out), anomalies);
                put!(self.references, key, input, outcome);
            }
            Op::Counter { key, input } => {
                let outcome = outcome(ended, None, counter_output, anomalies);
                put!(self.counters, key, input, outcome);
            }
            Op::Lock { key, input, .. } => {
                let refused = matches!(input, MutexInput::Unlock { .. }).then_some(MutexOutput::Unlocked(false));
                let outcome = outcome(ended, refused, |out| mutex_output(input, out), anomalies);
                put!(self.locks, key, input, outcome);
            }
            Op::Semaphore { key, input, .. } => {
                let refused =
                    matches!(input, SemaphoreInput::Release { .. }).then_some(SemaphoreOutput::Released(false));
                let outcome = outcome(ended, refused, |out| semaphore_output(input, out), anomalies);
                put!(self.semaphores, key, input, outcome);
            }
        }
        if *ended == Ended::Expired {
            self.coverage.expired_calls += 1;
        }
        if *ended == Ended::Cancelled {
            self.coverage.cancelled += 1;
        }
    }

    /// Records that the session of model owner `owner`, asked for at `invoke`, may expire
    /// at any point from then on (an `Unknown` expiry on every lock and semaphore key).
    pub fn may_expire(&mut self, process: u64, invoke: u64, owner: u64) {
        for key in LOCK_KEYS {
            let op = Operation {
                process,
                invoke,
                complete: invoke,
                input: MutexInput::Expire { owner },
                outcome: Outcome::Unknown,
            };
            push(&mut self.locks, key, op, &mut self.anomalies);
        }
        for key in SEMAPHORE_KEYS {
            let input = SemaphoreInput::Expire { owner };
            let op = Operation { process, invoke, complete: invoke, input, outcome: Outcome::Unknown };
            push(&mut self.semaphores, key, op, &mut self.anomalies);
        }
    }
}

/// Counts of `Ok`, `Fail` and `Unknown` operations in `history`.
pub fn counts<I, O>(history: &History<I, O>) -> (usize, usize, usize) {
    history.ops().iter().fold((0, 0, 0), |(ok, fail, unknown), op| match op.outcome {
        Outcome::Ok(_) => (ok + 1, fail, unknown),
        Outcome::Fail => (ok, fail + 1, unknown),
        Outcome::Unknown => (ok, fail, unknown + 1),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn outputs_are_mapped_by_shape_and_a_wrong_shape_is_an_anomaly() {
        let mut h = Histories::default();
        let cas = Op::Register { key: "r0".into(), input: RegisterInput::CompareAndSet { expect: 1, new: 2 } };
        let swapped = GroupOutput::Structure(StructureOutput::AtomicLong(AtomicLongOutput::Bool(true)));
        h.record(1, 0, 5, &cas, &Ended::Ok(swapped.clone()));
        let inc = Op::Counter { key: "c0".into(), input: CounterInput::Add(1) };
        h.record(1, 6, 9, &inc, &Ended::Ok(swapped));
        h.record(2, 6, 9, &inc, &Ended::Unknown);
        let r0 = h.registers.key(&"r0".to_owned()).unwrap();
        assert_eq!(r0.ops()[0].outcome, Outcome::Ok(RegisterOutput::Swapped(true)));
        assert_eq!(counts(h.counters.key(&"c0".to_owned()).unwrap()), (0, 0, 2));
        assert_eq!(h.anomalies.len(), 1);
    }

    #[test]
    fn refusals_expiries_and_cancels_are_recorded_for_what_they_say() {
        let mut h = Histories::default();
        let release =
            Op::Semaphore { key: "s0".into(), input: SemaphoreInput::Release { owner: 3, permits: 1 }, wait: None };
        h.record(1, 0, 1, &release, &Ended::Refused);
        let lock = Op::Lock { key: "l0".into(), input: MutexInput::Lock { owner: 3 }, wait: None };
        h.record(1, 2, 3, &lock, &Ended::Cancelled);
        h.record(1, 4, 5, &lock, &Ended::Expired);
        h.may_expire(1, 0, 3);
        let s0 = h.semaphores.key(&"s0".to_owned()).unwrap();
        assert_eq!(s0.ops()[0].outcome, Outcome::Ok(SemaphoreOutput::Released(false)));
        assert_eq!(s0.ops()[1].input, SemaphoreInput::Expire { owner: 3 });
        let l0 = h.locks.key(&"l0".to_owned()).unwrap();
        assert_eq!(counts(l0), (0, 2, 1));
        assert_eq!((h.coverage.cancelled, h.coverage.expired_calls), (1, 1));
        // A refusal of an operation that releases nothing cannot be: an anomaly.
        h.record(1, 6, 7, &lock, &Ended::Refused);
        assert_eq!(h.anomalies.len(), 1);
    }
}
