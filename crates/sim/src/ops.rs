//! The operations simulated clients issue, as engine commands.
//!
//! Five objects are exercised, each under a few keys:
//!
//! * an AtomicLong used as a compare-and-set register (`get` through the linearizable read
//!   path, `set`, `compare_and_set`), checked against [`CasRegister`](coterie_check::models::CasRegister);
//! * an AtomicReference, the same register over byte values where null is a value of its
//!   own, checked against `CasRegister<Option<Vec<u8>>>`;
//! * an AtomicLong used as a counter (`increment_and_get`, `get`), checked against
//!   [`Counter`](coterie_check::models::Counter);
//! * a FencedLock: `lock()`, which parks in the group until the lock is free, `try_lock`
//!   with a wait timeout (parks, and the group answers "not acquired" when it passes) or
//!   without, and `unlock`; each model owner is one session of one client, checked against
//!   [`FencedMutex`](coterie_check::models::FencedMutex);
//! * a CP semaphore of [`SimParams::permits`] permits: `acquire` (parks until its permits are
//!   free), `try_acquire` with or without a wait timeout, `release` and `available_permits`,
//!   owned by sessions the same way, checked against
//!   [`Semaphore`](coterie_check::models::Semaphore) in its first-come-first-served form.
//!
//! Values are drawn from a small domain so that compare-and-sets often succeed and a stale
//! or duplicated effect is visible to later operations. How outcomes are recorded is in
//! [`crate::record`].

use std::time::Duration;

use coterie_check::models::{CounterInput, MutexInput, RegisterInput, SemaphoreInput};
use coterie_core::kinds::atomic_long::AtomicLongCommand;
use coterie_core::kinds::atomic_reference::AtomicReferenceCommand;
use coterie_core::kinds::cp_semaphore::CpSemaphoreCommand;
use coterie_core::kinds::fenced_lock::FencedLockCommand;
use coterie_core::{GroupCommand, OwnerId, StructureCommand};

use crate::params::SimParams;
use crate::rng::SimRng;

/// The register keys.
pub const REGISTER_KEYS: [&str; 2] = ["r0", "r1"];
/// The AtomicReference keys.
pub const REFERENCE_KEYS: [&str; 1] = ["a0"];
/// The counter keys.
pub const COUNTER_KEYS: [&str; 1] = ["c0"];
/// The lock keys.
pub const LOCK_KEYS: [&str; 1] = ["l0"];
/// The semaphore keys.
pub const SEMAPHORE_KEYS: [&str; 1] = ["s0"];

/// The owner id every client uses within its own session (the model's owner is the session).
const OWNER: OwnerId = OwnerId(1);

/// An AtomicReference value: null or a short byte string.
pub type Bytes = Option<Vec<u8>>;

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
    /// An operation on an AtomicReference.
    Reference {
        /// The AtomicReference's name.
        key: String,
        /// What is asked.
        input: RegisterInput<Bytes>,
    },
    /// An operation on a counter.
    Counter {
        /// The AtomicLong's name.
        key: String,
        /// What is asked.
        input: CounterInput,
    },
    /// An operation on a lock (the input's owner is the client's session).
    Lock {
        /// The FencedLock's name.
        key: String,
        /// What is asked.
        input: MutexInput,
        /// For a `TryLock`: how long it may wait in the group (`None`: not at all).
        wait: Option<Duration>,
    },
    /// An operation on a semaphore (the input's owner is the client's session).
    Semaphore {
        /// The CP semaphore's name.
        key: String,
        /// What is asked.
        input: SemaphoreInput,
        /// For a `TryAcquire`: how long it may wait in the group (`None`: not at all).
        wait: Option<Duration>,
    },
}

/// What a client believes it holds in its current session, to draw sensible operations:
/// a holder mostly releases, others mostly acquire.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Holdings {
    /// Holds of the lock (reentrant depth) it was told it acquired.
    pub lock: u32,
    /// Semaphore permits it was told it acquired.
    pub permits: u64,
}

fn key(rng: &mut SimRng, keys: &[&str]) -> String {
    rng.pick(keys).copied().unwrap_or("k").to_owned()
}

fn bytes(rng: &mut SimRng) -> Bytes {
    match rng.range(0, 4) {
        0 => None,
        n => Some(vec![b'a' + u8::try_from(n).unwrap_or(0)]),
    }
}

impl Op {
    /// A random operation by the session whose model owner is `owner`, which holds `held`.
    pub fn random(rng: &mut SimRng, params: &SimParams, owner: u64, held: Holdings) -> Op {
        let value = |rng: &mut SimRng| i64::try_from(rng.range(0, 4)).unwrap_or(0);
        let wait = |rng: &mut SimRng| rng.chance(500_000).then_some(params.lock_wait);
        let roll = rng.range(0, 100);
        if roll < 15 {
            let key = key(rng, &LOCK_KEYS);
            // An unlock by a session that holds nothing checks that it really holds nothing.
            let input = if (held.lock > 0 && rng.chance(600_000)) || rng.chance(250_000) {
                MutexInput::Unlock { owner }
            } else if rng.chance(450_000) {
                MutexInput::Lock { owner }
            } else {
                MutexInput::TryLock { owner }
            };
            let wait = if matches!(input, MutexInput::TryLock { .. }) { wait(rng) } else { None };
            return Op::Lock { key, input, wait };
        }
        if roll < 30 {
            let key = key(rng, &SEMAPHORE_KEYS);
            let permits = rng.range(1, params.permits.min(2) + 1);
            let input = if (held.permits > 0 && rng.chance(600_000)) || rng.chance(200_000) {
                SemaphoreInput::Release { owner, permits: if held.permits > 0 { held.permits.min(permits) } else { 1 } }
            } else if rng.chance(250_000) {
                SemaphoreInput::Available
            } else if rng.chance(450_000) {
                SemaphoreInput::Acquire { owner, permits }
            } else {
                SemaphoreInput::TryAcquire { owner, permits }
            };
            let wait = if matches!(input, SemaphoreInput::TryAcquire { .. }) { wait(rng) } else { None };
            return Op::Semaphore { key, input, wait };
        }
        if roll < 45 {
            let key = key(rng, &REFERENCE_KEYS);
            let input = match rng.range(0, 3) {
                0 => RegisterInput::Read,
                1 => RegisterInput::Write(bytes(rng)),
                _ => RegisterInput::CompareAndSet { expect: bytes(rng), new: bytes(rng) },
            };
            return Op::Reference { key, input };
        }
        if roll < 65 {
            let key = key(rng, &COUNTER_KEYS);
            let input = if rng.chance(700_000) { CounterInput::Add(1) } else { CounterInput::Get };
            return Op::Counter { key, input };
        }
        let key = key(rng, &REGISTER_KEYS);
        let input = match rng.range(0, 3) {
            0 => RegisterInput::Read,
            1 => RegisterInput::Write(value(rng)),
            _ => RegisterInput::CompareAndSet { expect: value(rng), new: value(rng) },
        };
        Op::Register { key, input }
    }

    /// Whether the operation only reads (it goes through `CpNode::read`).
    pub fn is_read(&self) -> bool {
        matches!(
            self,
            Op::Register { input: RegisterInput::Read, .. }
                | Op::Reference { input: RegisterInput::Read, .. }
                | Op::Counter { input: CounterInput::Get, .. }
                | Op::Semaphore { input: SemaphoreInput::Available, .. }
        )
    }

    /// Whether the operation may park in the group (a blocking acquire, or a try with a
    /// wait): it is sent so that it keeps its place when an attempt times out.
    pub fn may_park(&self) -> bool {
        match self {
            Op::Lock { input: MutexInput::Lock { .. }, .. }
            | Op::Semaphore { input: SemaphoreInput::Acquire { .. }, .. } => true,
            Op::Lock { wait, .. } | Op::Semaphore { wait, .. } => wait.is_some(),
            Op::Register { .. } | Op::Reference { .. } | Op::Counter { .. } => false,
        }
    }

    /// The group command that performs it.
    pub fn command(&self) -> GroupCommand {
        let (key, command) = match self {
            Op::Register { key, input } => (key, StructureCommand::AtomicLong(register_command(input))),
            Op::Reference { key, input } => (key, StructureCommand::AtomicReference(reference_command(input))),
            Op::Counter { key, input } => (key, StructureCommand::AtomicLong(counter_command(input))),
            Op::Lock { key, input, wait } => (key, StructureCommand::FencedLock(lock_command(input, *wait))),
            Op::Semaphore { key, input, wait } => (key, StructureCommand::CpSemaphore(semaphore_command(input, *wait))),
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

fn reference_command(input: &RegisterInput<Bytes>) -> AtomicReferenceCommand {
    match input {
        RegisterInput::Read => AtomicReferenceCommand::Get,
        RegisterInput::Write(v) => AtomicReferenceCommand::Set(v.clone()),
        // The workload draws no compare-and-exchange for references (no such command).
        RegisterInput::CompareAndSet { expect, new } | RegisterInput::CompareAndExchange { expect, new } => {
            AtomicReferenceCommand::CompareAndSet { expected: expect.clone(), update: new.clone() }
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

fn lock_command(input: &MutexInput, wait: Option<Duration>) -> FencedLockCommand {
    match input {
        MutexInput::Lock { .. } => FencedLockCommand::Lock { owner: OWNER },
        MutexInput::TryLock { .. } => FencedLockCommand::TryLock { owner: OWNER, timeout: wait },
        MutexInput::Unlock { .. } => FencedLockCommand::Unlock { owner: OWNER },
        // Never sent: an expiry is the group's doing. Asking whether the lock is held
        // changes nothing.
        MutexInput::Expire { .. } => FencedLockCommand::IsLocked,
    }
}

fn semaphore_command(input: &SemaphoreInput, wait: Option<Duration>) -> CpSemaphoreCommand {
    match *input {
        SemaphoreInput::Acquire { permits, .. } => CpSemaphoreCommand::Acquire { permits },
        SemaphoreInput::TryAcquire { permits, .. } => CpSemaphoreCommand::TryAcquire { permits, timeout: wait },
        SemaphoreInput::Release { permits, .. } => CpSemaphoreCommand::Release { permits },
        // `Expire` is never sent (see `lock_command`).
        SemaphoreInput::Available | SemaphoreInput::Expire { .. } => CpSemaphoreCommand::AvailablePermits,
    }
}

/// The command that gives the semaphore `key` its permits, once, before the workload.
pub fn semaphore_init(key: &str, permits: u64) -> GroupCommand {
    GroupCommand::Invoke {
        name: key.to_owned(),
        command: StructureCommand::CpSemaphore(CpSemaphoreCommand::Init { permits }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_take_the_read_path_and_only_waiting_acquires_park() {
        let params = SimParams::from_seed(3);
        let mut rng = SimRng::new(1);
        let mut seen = [false; 5];
        for i in 0..2_000 {
            let held = Holdings { lock: u32::from(i % 2 == 0), permits: i % 3 };
            let op = Op::random(&mut rng, &params, 7, held);
            assert_eq!(op.is_read(), op.command().is_read(), "{op:?}");
            let index = match &op {
                Op::Register { .. } => 0,
                Op::Reference { .. } => 1,
                Op::Counter { .. } => 2,
                Op::Lock { .. } => 3,
                Op::Semaphore { .. } => 4,
            };
            seen[index] = true;
            if op.may_park() {
                assert!(matches!(op, Op::Lock { .. } | Op::Semaphore { .. }), "{op:?}");
            }
        }
        assert_eq!(seen, [true; 5]);
    }
}
