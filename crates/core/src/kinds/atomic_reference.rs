//! AtomicReference: a nullable byte-string register (Hazelcast CP `IAtomicReference`).
//!
//! The value is opaque bytes, so every comparison (`compare_and_set`, `contains`) is byte
//! equality of the serialized form, never the client language's `equals`: two replicas, or
//! two clients in different languages, must agree on whether a swap happened. Null is a
//! value of its own (`None`), distinct from the empty byte string, so "unset" and "set to
//! nothing" stay distinguishable, and `contains(null)` is simply "is it null".

use serde::{Deserialize, Serialize};

use crate::ctx::ApplyCtx;
use crate::error::CoreError;
use crate::machine::{Applied, StateMachine, answered};

/// Operations on an AtomicReference. `None` stands for null.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum AtomicReferenceCommand {
    /// The current value. Answers [`AtomicReferenceOutput::Value`].
    Get,
    /// Replace the value. Answers [`AtomicReferenceOutput::Unit`].
    Set(Option<Vec<u8>>),
    /// Replace the value, answering the previous one as [`AtomicReferenceOutput::Value`].
    GetAndSet(Option<Vec<u8>>),
    /// Set to `update` if the value equals `expected` byte for byte (null matches only
    /// null); answers whether it did.
    CompareAndSet {
        /// The value the caller believes is current.
        expected: Option<Vec<u8>>,
        /// The value to store.
        update: Option<Vec<u8>>,
    },
    /// Set the value only if it is null; answers whether it did.
    SetIfAbsent(Vec<u8>),
    /// Whether the value is null.
    IsNull,
    /// Set the value to null. Answers [`AtomicReferenceOutput::Unit`].
    Clear,
    /// Whether the value equals the argument byte for byte (`Contains(None)`: whether it is
    /// null).
    Contains(Option<Vec<u8>>),
}

impl AtomicReferenceCommand {
    /// Total bytes of user data carried (keys + values), checked against the group's size limit.
    pub fn payload_len(&self) -> usize {
        let len = |value: &Option<Vec<u8>>| value.as_ref().map_or(0, Vec::len);
        match self {
            AtomicReferenceCommand::Get | AtomicReferenceCommand::IsNull | AtomicReferenceCommand::Clear => 0,
            AtomicReferenceCommand::Set(value)
            | AtomicReferenceCommand::GetAndSet(value)
            | AtomicReferenceCommand::Contains(value) => len(value),
            AtomicReferenceCommand::CompareAndSet { expected, update } => len(expected).saturating_add(len(update)),
            AtomicReferenceCommand::SetIfAbsent(value) => value.len(),
        }
    }
}

/// Results of [`AtomicReferenceCommand`]s.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum AtomicReferenceOutput {
    /// A value (current or previous, as the command says); `None` is null.
    Value(Option<Vec<u8>>),
    /// A yes/no answer.
    Bool(bool),
    /// Done, nothing to report.
    Unit,
}

/// An AtomicReference's replicated state.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct AtomicReference {
    value: Option<Vec<u8>>,
}

impl AtomicReference {
    /// The current value; `None` is null.
    pub fn value(&self) -> Option<&[u8]> {
        self.value.as_deref()
    }
}

impl StateMachine for AtomicReference {
    type Command = AtomicReferenceCommand;
    type Output = AtomicReferenceOutput;

    fn read(
        &self,
        command: &AtomicReferenceCommand,
        _ctx: &ApplyCtx,
    ) -> Option<Result<AtomicReferenceOutput, CoreError>> {
        use AtomicReferenceCommand as C;
        use AtomicReferenceOutput as O;
        match command {
            C::Get => Some(Ok(O::Value(self.value.clone()))),
            C::IsNull => Some(Ok(O::Bool(self.value.is_none()))),
            C::Contains(value) => Some(Ok(O::Bool(&self.value == value))),
            C::Set(_) | C::GetAndSet(_) | C::CompareAndSet { .. } | C::SetIfAbsent(_) | C::Clear => None,
        }
    }

    fn apply(&mut self, command: AtomicReferenceCommand, ctx: &ApplyCtx) -> Applied<AtomicReferenceOutput> {
        use AtomicReferenceCommand as C;
        use AtomicReferenceOutput as O;
        match command {
            read @ (C::Get | C::IsNull | C::Contains(_)) => answered(self.read(&read, ctx)),
            C::Set(value) => {
                self.value = value;
                Applied::ok(O::Unit)
            }
            C::GetAndSet(value) => Applied::ok(O::Value(std::mem::replace(&mut self.value, value))),
            C::CompareAndSet { expected, update } => {
                let swapped = self.value == expected;
                if swapped {
                    self.value = update;
                }
                Applied::ok(O::Bool(swapped))
            }
            C::SetIfAbsent(value) => {
                let absent = self.value.is_none();
                if absent {
                    self.value = Some(value);
                }
                Applied::ok(O::Bool(absent))
            }
            C::Clear => {
                self.value = None;
                Applied::ok(O::Unit)
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::call;

    fn run(r: &mut AtomicReference, command: AtomicReferenceCommand) -> Applied<AtomicReferenceOutput> {
        r.apply(command, &call(1, 0, 1, 1))
    }

    fn b(s: &str) -> Option<Vec<u8>> {
        Some(s.as_bytes().to_vec())
    }

    #[test]
    fn every_operation_answers_as_documented() {
        use AtomicReferenceCommand as C;
        use AtomicReferenceOutput::{Bool, Unit, Value};
        let mut r = AtomicReference::default();
        let script = [
            (C::Get, Value(None)),
            (C::IsNull, Bool(true)),
            (C::Contains(None), Bool(true)),
            (C::Contains(b("")), Bool(false)),
            (C::Set(b("a")), Unit),
            (C::Get, Value(b("a"))),
            (C::IsNull, Bool(false)),
            (C::Contains(b("a")), Bool(true)),
            (C::Contains(b("b")), Bool(false)),
            (C::Contains(None), Bool(false)),
            (C::GetAndSet(b("b")), Value(b("a"))),
            (C::CompareAndSet { expected: b("a"), update: b("c") }, Bool(false)),
            (C::CompareAndSet { expected: None, update: b("c") }, Bool(false)),
            (C::CompareAndSet { expected: b("b"), update: b("c") }, Bool(true)),
            (C::Get, Value(b("c"))),
            (C::SetIfAbsent(b"d".to_vec()), Bool(false)),
            (C::Get, Value(b("c"))),
            (C::CompareAndSet { expected: b("c"), update: None }, Bool(true)),
            (C::IsNull, Bool(true)),
            (C::CompareAndSet { expected: None, update: b("e") }, Bool(true)),
            (C::Clear, Unit),
            (C::Get, Value(None)),
            (C::SetIfAbsent(b"f".to_vec()), Bool(true)),
            (C::Get, Value(b("f"))),
            (C::GetAndSet(None), Value(b("f"))),
            (C::GetAndSet(None), Value(None)),
            (C::Set(b("")), Unit),
            (C::IsNull, Bool(false)),
            (C::Contains(b("")), Bool(true)),
            (C::Set(None), Unit),
            (C::IsNull, Bool(true)),
        ];
        for (command, expected) in script {
            assert_eq!(run(&mut r, command.clone()), Applied::ok(expected), "{command:?}");
        }
        assert_eq!(r.value(), None);
    }

    #[test]
    fn empty_bytes_are_not_null() {
        let mut r = AtomicReference::default();
        run(&mut r, AtomicReferenceCommand::SetIfAbsent(Vec::new()));
        assert_eq!(r.value(), Some(&[][..]));
        assert_eq!(
            run(&mut r, AtomicReferenceCommand::CompareAndSet { expected: None, update: b("x") }),
            Applied::ok(AtomicReferenceOutput::Bool(false))
        );
        assert_eq!(
            run(&mut r, AtomicReferenceCommand::SetIfAbsent(b"x".to_vec())),
            Applied::ok(AtomicReferenceOutput::Bool(false))
        );
    }

    #[test]
    fn payload_len_counts_every_value_carried() {
        use AtomicReferenceCommand as C;
        assert_eq!(C::Get.payload_len(), 0);
        assert_eq!(C::IsNull.payload_len(), 0);
        assert_eq!(C::Clear.payload_len(), 0);
        assert_eq!(C::Set(None).payload_len(), 0);
        assert_eq!(C::Set(b("abc")).payload_len(), 3);
        assert_eq!(C::GetAndSet(b("ab")).payload_len(), 2);
        assert_eq!(C::Contains(b("abcd")).payload_len(), 4);
        assert_eq!(C::SetIfAbsent(b"abcde".to_vec()).payload_len(), 5);
        assert_eq!(C::CompareAndSet { expected: b("ab"), update: b("cde") }.payload_len(), 5);
        assert_eq!(C::CompareAndSet { expected: None, update: b("cde") }.payload_len(), 3);
    }

    #[test]
    fn snapshot_round_trips() {
        let mut r = AtomicReference::default();
        assert_eq!(AtomicReference::restore(&r.snapshot().unwrap()).unwrap(), r);
        run(&mut r, AtomicReferenceCommand::Set(Some(vec![0, 1, 255])));
        let restored = AtomicReference::restore(&r.snapshot().unwrap()).unwrap();
        assert_eq!(restored, r);
        assert_eq!(restored.value(), Some(&[0, 1, 255][..]));
    }
}
