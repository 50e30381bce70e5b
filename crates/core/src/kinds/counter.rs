//! Counter: a 64-bit signed counter that is only ever moved by deltas (seed 000 `d.counter`).
//!
//! It is the smallest useful shared number: no set, no compare-and-set, just "add this and
//! tell me where we are now". Every mutation answers the new value so that a caller never
//! needs a second round trip (which could interleave with other writers) to learn it.
//!
//! Arithmetic is checked: a delta that would take the value past `i64::MAX` or `i64::MIN`
//! is refused with [`CoreError::Overflow`] and leaves the value unchanged, because a
//! counter that wraps silently reports nonsense (a page-view count turning negative).
//! Deltas may be negative: `Increment(-3)` subtracts three and `Decrement(-3)` adds three.
//! That keeps a single "apply this delta" call usable whichever way the caller's number
//! points, and the overflow check covers both directions.

use serde::{Deserialize, Serialize};

use crate::ctx::ApplyCtx;
use crate::error::CoreError;
use crate::machine::{Applied, StateMachine, answered};

/// Operations on a Counter.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum CounterCommand {
    /// Add the delta (negative deltas subtract), answering the new value.
    Increment(i64),
    /// Subtract the delta (negative deltas add), answering the new value.
    Decrement(i64),
    /// The current value.
    Get,
}

/// Results of [`CounterCommand`]s.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum CounterOutput {
    /// The counter's value after the command.
    Value(i64),
}

/// A Counter's replicated state. Starts at 0.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Counter {
    value: i64,
}

impl Counter {
    /// The current value.
    pub fn value(&self) -> i64 {
        self.value
    }

    /// Stores `new` if the checked arithmetic produced one, answering it; otherwise refuses.
    fn store(&mut self, new: Option<i64>, operation: &'static str) -> Applied<CounterOutput> {
        match new {
            Some(new) => {
                self.value = new;
                Applied::ok(CounterOutput::Value(new))
            }
            None => Applied::err(CoreError::overflow(operation)),
        }
    }
}

impl StateMachine for Counter {
    type Command = CounterCommand;
    type Output = CounterOutput;

    fn read(&self, command: &CounterCommand, _ctx: &ApplyCtx) -> Option<Result<CounterOutput, CoreError>> {
        match command {
            CounterCommand::Get => Some(Ok(CounterOutput::Value(self.value))),
            CounterCommand::Increment(_) | CounterCommand::Decrement(_) => None,
        }
    }

    fn apply(&mut self, command: CounterCommand, ctx: &ApplyCtx) -> Applied<CounterOutput> {
        match command {
            CounterCommand::Increment(delta) => self.store(self.value.checked_add(delta), "increment"),
            CounterCommand::Decrement(delta) => self.store(self.value.checked_sub(delta), "decrement"),
            read @ CounterCommand::Get => answered(self.read(&read, ctx)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::{call, internal};

    fn run(c: &mut Counter, command: CounterCommand) -> Applied<CounterOutput> {
        c.apply(command, &call(1, 0, 1, 1))
    }

    #[test]
    fn every_operation_answers_the_new_value() {
        use CounterCommand::{Decrement, Get, Increment};
        let mut c = Counter::default();
        let script = [
            (Get, 0),
            (Increment(5), 5),
            (Increment(1), 6),
            (Decrement(2), 4),
            (Increment(0), 4),
            (Decrement(0), 4),
            (Get, 4),
            (Decrement(10), -6),
        ];
        for (command, expected) in script {
            assert_eq!(run(&mut c, command.clone()), Applied::ok(CounterOutput::Value(expected)), "{command:?}");
        }
        assert_eq!(c.value(), -6);
    }

    #[test]
    fn negative_deltas_move_the_other_way() {
        let mut c = Counter::default();
        assert_eq!(run(&mut c, CounterCommand::Increment(-3)), Applied::ok(CounterOutput::Value(-3)));
        assert_eq!(run(&mut c, CounterCommand::Decrement(-10)), Applied::ok(CounterOutput::Value(7)));
    }

    #[test]
    fn reads_need_no_session() {
        let mut c = Counter::default();
        run(&mut c, CounterCommand::Increment(9));
        assert_eq!(c.apply(CounterCommand::Get, &internal(2, 0)), Applied::ok(CounterOutput::Value(9)));
        assert_eq!(c.apply(CounterCommand::Increment(1), &internal(3, 0)), Applied::ok(CounterOutput::Value(10)));
    }

    #[test]
    fn overflow_is_refused_in_both_directions_and_leaves_the_value() {
        let mut c = Counter::default();
        run(&mut c, CounterCommand::Increment(i64::MAX));
        assert_eq!(run(&mut c, CounterCommand::Increment(1)), Applied::err(CoreError::overflow("increment")));
        assert_eq!(run(&mut c, CounterCommand::Decrement(-1)), Applied::err(CoreError::overflow("decrement")));
        assert_eq!(c.value(), i64::MAX);

        let mut c = Counter::default();
        run(&mut c, CounterCommand::Decrement(i64::MAX));
        assert_eq!(run(&mut c, CounterCommand::Decrement(1)), Applied::ok(CounterOutput::Value(i64::MIN)));
        assert_eq!(run(&mut c, CounterCommand::Decrement(1)), Applied::err(CoreError::overflow("decrement")));
        assert_eq!(run(&mut c, CounterCommand::Increment(-1)), Applied::err(CoreError::overflow("increment")));
        assert_eq!(c.value(), i64::MIN);

        // Subtracting i64::MIN from 0 does not fit either; from -1 it does.
        let mut c = Counter::default();
        assert_eq!(run(&mut c, CounterCommand::Decrement(i64::MIN)), Applied::err(CoreError::overflow("decrement")));
        run(&mut c, CounterCommand::Increment(-1));
        assert_eq!(run(&mut c, CounterCommand::Decrement(i64::MIN)), Applied::ok(CounterOutput::Value(i64::MAX)));
    }

    #[test]
    fn snapshot_round_trips() {
        let mut c = Counter::default();
        run(&mut c, CounterCommand::Increment(-42));
        let restored = Counter::restore(&c.snapshot().unwrap()).unwrap();
        assert_eq!(restored, c);
        assert_eq!(restored.value(), -42);
    }
}
