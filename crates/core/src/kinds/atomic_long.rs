//! AtomicLong: a 64-bit signed register with atomic arithmetic (seed 001).
//!
//! Arithmetic is checked: an add that would overflow is refused with
//! [`CoreError::Overflow`] and leaves the value unchanged, instead of wrapping silently
//! as Java's `AtomicLong` does. A sequence generator that wraps hands out duplicates.

use serde::{Deserialize, Serialize};

use crate::ctx::ApplyCtx;
use crate::error::CoreError;
use crate::machine::{Applied, StateMachine, answered};

/// Operations on an AtomicLong.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum AtomicLongCommand {
    /// The current value.
    Get,
    /// Replace the value.
    Set(i64),
    /// Replace the value, answering the previous one.
    GetAndSet(i64),
    /// Add, answering the new value.
    AddAndGet(i64),
    /// Add, answering the previous value.
    GetAndAdd(i64),
    /// Add one, answering the new value.
    IncrementAndGet,
    /// Subtract one, answering the new value.
    DecrementAndGet,
    /// Add one, answering the previous value.
    GetAndIncrement,
    /// Subtract one, answering the previous value.
    GetAndDecrement,
    /// Set to `update` if the value is `expected`; answers whether it did.
    CompareAndSet {
        /// The value the caller believes is current.
        expected: i64,
        /// The value to store.
        update: i64,
    },
    /// Set to `update` if the value is `expected`; answers the value found (the witness),
    /// which equals `expected` exactly when it swapped. A compare-and-set loop built on it
    /// needs no separate read after a miss: the witness is the next `expected`.
    CompareAndExchange {
        /// The value the caller believes is current.
        expected: i64,
        /// The value to store.
        update: i64,
    },
}

/// Results of [`AtomicLongCommand`]s.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum AtomicLongOutput {
    /// A value (new or previous, as the command says).
    Value(i64),
    /// Whether a compare-and-set succeeded.
    Bool(bool),
    /// Done, nothing to report.
    Unit,
}

/// An AtomicLong's replicated state.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct AtomicLong {
    value: i64,
}

impl AtomicLong {
    /// The current value.
    pub fn value(&self) -> i64 {
        self.value
    }

    fn add(&mut self, delta: i64, operation: &'static str, answer_new: bool) -> Applied<AtomicLongOutput> {
        match self.value.checked_add(delta) {
            Some(new) => {
                let old = std::mem::replace(&mut self.value, new);
                Applied::ok(AtomicLongOutput::Value(if answer_new { new } else { old }))
            }
            None => Applied::err(CoreError::overflow(operation)),
        }
    }
}

impl StateMachine for AtomicLong {
    type Command = AtomicLongCommand;
    type Output = AtomicLongOutput;

    fn read(&self, command: &AtomicLongCommand, _ctx: &ApplyCtx) -> Option<Result<AtomicLongOutput, CoreError>> {
        use AtomicLongCommand as C;
        match command {
            C::Get => Some(Ok(AtomicLongOutput::Value(self.value))),
            C::Set(_)
            | C::GetAndSet(_)
            | C::AddAndGet(_)
            | C::GetAndAdd(_)
            | C::IncrementAndGet
            | C::DecrementAndGet
            | C::GetAndIncrement
            | C::GetAndDecrement
            | C::CompareAndSet { .. }
            | C::CompareAndExchange { .. } => None,
        }
    }

    fn apply(&mut self, command: AtomicLongCommand, ctx: &ApplyCtx) -> Applied<AtomicLongOutput> {
        use AtomicLongCommand as C;
        match command {
            read @ C::Get => answered(self.read(&read, ctx)),
            C::Set(value) => {
                self.value = value;
                Applied::ok(AtomicLongOutput::Unit)
            }
            C::GetAndSet(value) => Applied::ok(AtomicLongOutput::Value(std::mem::replace(&mut self.value, value))),
            C::AddAndGet(delta) => self.add(delta, "add_and_get", true),
            C::GetAndAdd(delta) => self.add(delta, "get_and_add", false),
            C::IncrementAndGet => self.add(1, "increment_and_get", true),
            C::DecrementAndGet => self.add(-1, "decrement_and_get", true),
            C::GetAndIncrement => self.add(1, "get_and_increment", false),
            C::GetAndDecrement => self.add(-1, "get_and_decrement", false),
            C::CompareAndSet { expected, update } => {
                let swapped = self.value == expected;
                if swapped {
                    self.value = update;
                }
                Applied::ok(AtomicLongOutput::Bool(swapped))
            }
            C::CompareAndExchange { expected, update } => {
                let witness = self.value;
                if witness == expected {
                    self.value = update;
                }
                Applied::ok(AtomicLongOutput::Value(witness))
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::call;

    fn run(l: &mut AtomicLong, command: AtomicLongCommand) -> Applied<AtomicLongOutput> {
        l.apply(command, &call(1, 0, 1, 1))
    }

    #[test]
    fn every_operation_answers_as_documented() {
        use AtomicLongCommand as C;
        use AtomicLongOutput::{Bool, Unit, Value};
        let mut l = AtomicLong::default();
        let script = [
            (C::Get, Value(0)),
            (C::Set(10), Unit),
            (C::GetAndSet(20), Value(10)),
            (C::AddAndGet(5), Value(25)),
            (C::GetAndAdd(5), Value(25)),
            (C::IncrementAndGet, Value(31)),
            (C::DecrementAndGet, Value(30)),
            (C::GetAndIncrement, Value(30)),
            (C::GetAndDecrement, Value(31)),
            (C::CompareAndSet { expected: 29, update: 1 }, Bool(false)),
            (C::CompareAndSet { expected: 30, update: 1 }, Bool(true)),
            (C::Get, Value(1)),
            (C::CompareAndExchange { expected: 5, update: 9 }, Value(1)),
            (C::Get, Value(1)),
            (C::CompareAndExchange { expected: 1, update: 9 }, Value(1)),
            (C::Get, Value(9)),
        ];
        for (command, expected) in script {
            assert_eq!(run(&mut l, command.clone()), Applied::ok(expected), "{command:?}");
        }
    }

    #[test]
    fn overflow_is_refused_and_leaves_the_value() {
        let mut l = AtomicLong::default();
        run(&mut l, AtomicLongCommand::Set(i64::MAX));
        assert_eq!(
            run(&mut l, AtomicLongCommand::IncrementAndGet),
            Applied::err(CoreError::overflow("increment_and_get"))
        );
        assert_eq!(run(&mut l, AtomicLongCommand::Set(i64::MIN)), Applied::ok(AtomicLongOutput::Unit));
        assert_eq!(
            run(&mut l, AtomicLongCommand::GetAndDecrement),
            Applied::err(CoreError::overflow("get_and_decrement"))
        );
        assert_eq!(l.value(), i64::MIN);
    }
}
