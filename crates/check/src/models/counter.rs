//! A counter: `add` returns the new value (as AtomicLong's addAndGet), `get` reads it.
//!
//! Arithmetic wraps, as a 64-bit atomic's does.

use crate::model::Model;

/// An operation on a counter.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum CounterInput {
    /// Add the delta (possibly negative) and return the new value.
    Add(i64),
    /// Read the value.
    Get,
}

/// What a counter operation returns.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CounterOutput {
    /// The counter's value after the operation.
    Value(i64),
}

/// A counter, initially `initial`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Counter {
    /// The value before any operation.
    pub initial: i64,
}

impl Model for Counter {
    type State = i64;
    type Input = CounterInput;
    type Output = CounterOutput;

    fn init(&self) -> i64 {
        self.initial
    }

    fn step(&self, state: &i64, input: &CounterInput, output: Option<&CounterOutput>) -> Option<i64> {
        let next = match input {
            CounterInput::Add(d) => state.wrapping_add(*d),
            CounterInput::Get => *state,
        };
        match output {
            Some(CounterOutput::Value(v)) if *v != next => None,
            _ => Some(next),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn add_returns_the_new_value() {
        let m = Counter::default();
        assert_eq!(m.step(&1, &CounterInput::Add(2), Some(&CounterOutput::Value(3))), Some(3));
        assert_eq!(m.step(&1, &CounterInput::Add(2), Some(&CounterOutput::Value(2))), None);
        assert_eq!(m.step(&1, &CounterInput::Add(2), None), Some(3));
        assert_eq!(m.step(&5, &CounterInput::Get, Some(&CounterOutput::Value(5))), Some(5));
        assert_eq!(m.step(&5, &CounterInput::Get, Some(&CounterOutput::Value(4))), None);
    }
}
