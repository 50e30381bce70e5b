//! A compare-and-set register: AtomicLong's and AtomicReference's value, or a map entry.
//!
//! Generic over the value: `CasRegister<i64>` for an atomic long, `CasRegister<Option<Vec<u8>>>`
//! for an atomic reference or a map entry, where `None` is "absent" (so put-if-absent is
//! `CompareAndSet { expect: None, new: Some(v) }` and remove is `Write(None)`).

use std::fmt::Debug;
use std::hash::Hash;

use crate::model::Model;

/// An operation on a register.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum RegisterInput<V> {
    /// Read the value.
    Read,
    /// Set the value.
    Write(V),
    /// Set the value to `new` iff it is `expect`; reports whether it did.
    CompareAndSet {
        /// The value required for the swap.
        expect: V,
        /// The value set on success.
        new: V,
    },
    /// Set the value to `new` iff it is `expect`; returns the value found (the witness).
    CompareAndExchange {
        /// The value required for the swap.
        expect: V,
        /// The value set on success.
        new: V,
    },
}

/// What a register operation returns.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum RegisterOutput<V> {
    /// The value read, or the witness of a compare-and-exchange.
    Value(V),
    /// A write's acknowledgement.
    Written,
    /// Whether a compare-and-set swapped.
    Swapped(bool),
}

/// A register holding one value, initially `initial`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CasRegister<V> {
    /// The value before any operation.
    pub initial: V,
}

impl<V> CasRegister<V> {
    /// A register initially holding `initial`.
    pub fn new(initial: V) -> Self {
        Self { initial }
    }
}

impl<V: Clone + Eq + Hash + Debug> Model for CasRegister<V> {
    type State = V;
    type Input = RegisterInput<V>;
    type Output = RegisterOutput<V>;

    fn init(&self) -> V {
        self.initial.clone()
    }

    fn step(&self, state: &V, input: &Self::Input, output: Option<&Self::Output>) -> Option<V> {
        let (next, expected) = match input {
            RegisterInput::Read => (state.clone(), RegisterOutput::Value(state.clone())),
            RegisterInput::Write(v) => (v.clone(), RegisterOutput::Written),
            RegisterInput::CompareAndSet { expect, new } => {
                if state == expect {
                    (new.clone(), RegisterOutput::Swapped(true))
                } else {
                    (state.clone(), RegisterOutput::Swapped(false))
                }
            }
            RegisterInput::CompareAndExchange { expect, new } => {
                let next = if state == expect { new.clone() } else { state.clone() };
                (next, RegisterOutput::Value(state.clone()))
            }
        };
        match output {
            Some(out) if *out != expected => None,
            _ => Some(next),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn read_returns_the_state() {
        let m = CasRegister::new(3i64);
        assert_eq!(m.step(&3, &RegisterInput::Read, Some(&RegisterOutput::Value(3))), Some(3));
        assert_eq!(m.step(&3, &RegisterInput::Read, Some(&RegisterOutput::Value(4))), None);
    }

    #[test]
    fn compare_and_set_swaps_only_on_a_match() {
        let m = CasRegister::new(0i64);
        let cas = RegisterInput::CompareAndSet { expect: 1, new: 2 };
        assert_eq!(m.step(&1, &cas, Some(&RegisterOutput::Swapped(true))), Some(2));
        assert_eq!(m.step(&1, &cas, Some(&RegisterOutput::Swapped(false))), None);
        assert_eq!(m.step(&0, &cas, Some(&RegisterOutput::Swapped(false))), Some(0));
        assert_eq!(m.step(&0, &cas, Some(&RegisterOutput::Swapped(true))), None);
        assert_eq!(m.step(&1, &cas, None), Some(2));
    }

    #[test]
    fn compare_and_exchange_returns_the_witness() {
        let m = CasRegister::new(None::<Vec<u8>>);
        let put_if_absent = RegisterInput::CompareAndExchange { expect: None, new: Some(b"a".to_vec()) };
        assert_eq!(m.step(&None, &put_if_absent, Some(&RegisterOutput::Value(None))), Some(Some(b"a".to_vec())));
        let present = Some(b"b".to_vec());
        assert_eq!(
            m.step(&present, &put_if_absent, Some(&RegisterOutput::Value(present.clone()))),
            Some(present.clone())
        );
        assert_eq!(m.step(&present, &put_if_absent, Some(&RegisterOutput::Value(None))), None);
    }
}
