//! The operations simulated clients issue, as engine commands and as checker inputs.
//!
//! Two objects are exercised, each under a few keys:
//!
//! * an AtomicLong used as a compare-and-set register (`get` through the linearizable read
//!   path, `set`, `compare_and_set`), checked against [`CasRegister`](coterie_check::models::CasRegister);
//! * an AtomicLong used as a counter (`increment_and_get`, `get`), checked against
//!   [`Counter`](coterie_check::models::Counter);
//! * a FencedLock (`try_lock` without waiting, `unlock`), each client one owner in its own
//!   session, checked against [`FencedMutex`](coterie_check::models::FencedMutex): never two
//!   holders, fences strictly increasing, a reentrant acquire keeps its fence. An unlock the
//!   lock refuses (`NotOwner`) was applied as a refusal: it is recorded as `Unlocked(false)`.
//!
//! Values are drawn from a small domain so that compare-and-sets often succeed and a stale
//! or duplicated effect is visible to later operations.

use coterie_check::models::{CounterInput, CounterOutput, MutexInput, MutexOutput, RegisterInput, RegisterOutput};
use coterie_check::{History, KeyedHistory, Operation, Outcome};
use coterie_core::kinds::atomic_long::{AtomicLongCommand, AtomicLongOutput};
use coterie_core::kinds::fenced_lock::{FencedLockCommand, FencedLockOutput};
use coterie_core::{GroupCommand, GroupOutput, OwnerId, StructureCommand, StructureOutput};

use crate::rng::SimRng;

/// The register keys.
pub const REGISTER_KEYS: [&str; 2] = ["r0", "r1"];
/// The counter keys.
pub const COUNTER_KEYS: [&str; 1] = ["c0"];
/// The lock keys.
pub const LOCK_KEYS: [&str; 1] = ["l0"];

/// The owner id every client uses within its own session (the model's owner is the client).
const OWNER: OwnerId = OwnerId(1);

/// One client operation.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Op {
    /// An operation on a register.
    Register {
        /// The AtomicLong's name.
        key: String,
        /// What is asked.
        input: RegisterInput<i64>,
    },
    /// An operation on a counter.
    Counter {
        /// The AtomicLong's name.
        key: String,
        /// What is asked.
        input: CounterInput,
    },
    /// An operation on a lock (the input's owner is the client).
    Lock {
        /// The FencedLock's name.
        key: String,
        /// What is asked.
        input: MutexInput,
    },
}

impl Op {
    /// A random operation by client `client`.
    pub fn random(rng: &mut SimRng, client: u64) -> Op {
        let value = |rng: &mut SimRng| i64::try_from(rng.range(0, 4)).unwrap_or(0);
        if rng.chance(200_000) {
            let key = rng.pick(&LOCK_KEYS).copied().unwrap_or("l0").to_owned();
            let input = if rng.chance(500_000) {
                MutexInput::TryLock { owner: client }
            } else {
                MutexInput::Unlock { owner: client }
            };
            return Op::Lock { key, input };
        }
        if rng.chance(350_000) {
            let key = rng.pick(&COUNTER_KEYS).copied().unwrap_or("c0").to_owned();
            let input = if rng.chance(700_000) { CounterInput::Add(1) } else { CounterInput::Get };
            return Op::Counter { key, input };
        }
        let key = rng.pick(&REGISTER_KEYS).copied().unwrap_or("r0").to_owned();
        let input = match rng.range(0, 3) {
            0 => RegisterInput::Read,
            1 => RegisterInput::Write(value(rng)),
            _ => RegisterInput::CompareAndSet { expect: value(rng), new: value(rng) },
        };
        Op::Register { key, input }
    }

    /// Whether the operation only reads (it goes through `CpNode::read`).
    pub fn is_read(&self) -> bool {
        matches!(self, Op::Register { input: RegisterInput::Read, .. } | Op::Counter { input: CounterInput::Get, .. })
    }

    /// The group command that performs it.
    pub fn command(&self) -> GroupCommand {
        let (key, command) = match self {
            Op::Register { key, input } => (key, StructureCommand::AtomicLong(register_command(input))),
            Op::Counter { key, input } => (key, StructureCommand::AtomicLong(counter_command(input))),
            Op::Lock { key, input } => (key, StructureCommand::FencedLock(lock_command(input))),
        };
        GroupCommand::Invoke { name: key.clone(), command }
    }
}

fn register_command(input: &RegisterInput<i64>) -> AtomicLongCommand {
    match input {
        RegisterInput::Read => AtomicLongCommand::Get,
        RegisterInput::Write(v) => AtomicLongCommand::Set(*v),
        RegisterInput::CompareAndSet { expect, new } => {
            AtomicLongCommand::CompareAndSet { expected: *expect, update: *new }
        }
        RegisterInput::CompareAndExchange { expect, new } => {
            AtomicLongCommand::CompareAndExchange { expected: *expect, update: *new }
        }
    }
}

fn counter_command(input: &CounterInput) -> AtomicLongCommand {
    match input {
        CounterInput::Add(1) => AtomicLongCommand::IncrementAndGet,
        CounterInput::Add(d) => AtomicLongCommand::AddAndGet(*d),
        CounterInput::Get => AtomicLongCommand::Get,
    }
}

fn lock_command(input: &MutexInput) -> FencedLockCommand {
    match input {
        MutexInput::Lock { .. } => FencedLockCommand::Lock { owner: OWNER },
        MutexInput::TryLock { .. } => FencedLockCommand::TryLock { owner: OWNER, timeout: None },
        MutexInput::Unlock { .. } => FencedLockCommand::Unlock { owner: OWNER },
    }
}

/// The AtomicLong output inside a group output.
fn long(output: &GroupOutput) -> Option<&AtomicLongOutput> {
    match output {
        GroupOutput::Structure(StructureOutput::AtomicLong(out)) => Some(out),
        _ => None,
    }
}

/// The mutex output `output` stands for, if it has the shape `input` answers.
fn mutex_output(input: &MutexInput, output: &GroupOutput) -> Option<MutexOutput> {
    let GroupOutput::Structure(StructureOutput::FencedLock(out)) = output else {
        // A refused unlock: see `Ended::NotOwner`.
        return None;
    };
    match (input, out) {
        (MutexInput::Lock { .. }, FencedLockOutput::Fence(f)) => Some(MutexOutput::Fence(f.0)),
        (MutexInput::TryLock { .. }, FencedLockOutput::MaybeFence(f)) => Some(MutexOutput::TryLocked(f.map(|f| f.0))),
        (MutexInput::Unlock { .. }, FencedLockOutput::Unit) => Some(MutexOutput::Unlocked(true)),
        _ => None,
    }
}

/// The register output `output` stands for, if it has the shape `input` answers.
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

/// Everything the clients recorded, per object kind and key.
#[derive(Clone, Debug, Default)]
pub struct Histories {
    /// The registers' histories.
    pub registers: KeyedHistory<String, RegisterInput<i64>, RegisterOutput<i64>>,
    /// The counters' histories.
    pub counters: KeyedHistory<String, CounterInput, CounterOutput>,
    /// The locks' histories.
    pub locks: KeyedHistory<String, MutexInput, MutexOutput>,
    /// Answers of a shape the operation cannot have (recorded as unknown, and a failure).
    pub anomalies: Vec<String>,
}

/// How one operation ended, with the engine's output when it succeeded.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Ended {
    /// It took effect and answered this.
    Ok(GroupOutput),
    /// A lock refused an unlock by a caller that does not hold it (applied, as a refusal).
    NotOwner,
    /// It certainly did not take effect.
    Fail,
    /// It may have taken effect.
    Unknown,
}

fn outcome<O>(
    ended: &Ended,
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
        Ended::Fail => Outcome::Fail,
        Ended::Unknown | Ended::NotOwner => Outcome::Unknown,
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
        match op {
            Op::Register { key, input } => {
                let outcome = outcome(ended, |out| register_output(input, out), anomalies);
                let op = Operation { process, invoke, complete, input: input.clone(), outcome };
                push(&mut self.registers, key, op, anomalies);
            }
            Op::Counter { key, input } => {
                let outcome = outcome(
                    ended,
                    |out| match long(out)? {
                        AtomicLongOutput::Value(v) => Some(CounterOutput::Value(*v)),
                        _ => None,
                    },
                    anomalies,
                );
                let op = Operation { process, invoke, complete, input: input.clone(), outcome };
                push(&mut self.counters, key, op, anomalies);
            }
            Op::Lock { key, input } => {
                let outcome = match (ended, input) {
                    (Ended::NotOwner, MutexInput::Unlock { .. }) => Outcome::Ok(MutexOutput::Unlocked(false)),
                    _ => outcome(ended, |out| mutex_output(input, out), anomalies),
                };
                let op = Operation { process, invoke, complete, input: input.clone(), outcome };
                push(&mut self.locks, key, op, anomalies);
            }
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
        assert!(cas.command().is_read() == cas.is_read());
        let read = Op::Register { key: "r0".into(), input: RegisterInput::Read };
        assert!(read.is_read() && read.command().is_read());
    }
}
