//! Recorded client histories and exactly what each recorded outcome claims.
//!
//! A client records every operation it issues: which process (client) issued it, the logical
//! time it was invoked, the input, and how it ended. The checker reads these records as
//! *claims about the real execution*, and a wrong reading makes the checker either miss bugs or
//! report phantom ones, so the semantics are fixed here:
//!
//! * **Times** are logical `u64`s from one clock shared by all processes of the history (in a
//!   simulation, the simulator's step counter). Operation `a` *precedes* operation `b` in real
//!   time iff `a` has a completion bound and `a.complete < b.invoke`, strictly. Equal times
//!   mean the two operations overlapped.
//! * [`Outcome::Ok`]`(output)`: the operation took effect exactly once, at some instant in
//!   `[invoke, complete]`, and returned `output`.
//! * [`Outcome::Fail`]: the operation *certainly* did not take effect (the server said so
//!   before doing anything, or the request never left the client). The checker drops it. A
//!   `Fail` operation whose effect is later observed makes the history non-linearizable.
//! * [`Outcome::Unknown`]: a timeout, a lost connection, a crash: the operation may have taken
//!   effect once, at any instant after `invoke` — including long after the client gave up, and
//!   including never. Its recorded `complete` time is therefore **ignored**: it has no
//!   completion bound, it is concurrent with everything invoked after it, and its output is
//!   unconstrained. It is never assumed absent: the checker considers both possibilities.
//!
//! A process that sees `Unknown` should not issue further operations under the same process
//! id (as in Jepsen), but the checker does not rely on it: processes only label operations.

use std::collections::BTreeMap;

/// A logical time, from one clock shared by every process of a history.
pub type Time = u64;

/// The id of a process (a client) that issued operations.
pub type ProcessId = u64;

/// The index of an operation in its [`History`], in the order it was recorded.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct OpId(pub usize);

/// How an operation ended, as the client saw it. See the module docs for the exact claims.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Outcome<O> {
    /// It took effect once, within its interval, and returned this output.
    Ok(O),
    /// It certainly did not take effect.
    Fail,
    /// It may have taken effect once at any time after its invoke, or never.
    Unknown,
}

/// One recorded operation.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Operation<I, O> {
    /// The process (client) that issued it.
    pub process: ProcessId,
    /// When it was invoked.
    pub invoke: Time,
    /// When the client saw it end. Ignored for [`Outcome::Unknown`] (no completion bound).
    pub complete: Time,
    /// What was asked.
    pub input: I,
    /// How it ended.
    pub outcome: Outcome<O>,
}

/// A recorded history that is malformed.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum HistoryError {
    /// An operation completed before it was invoked.
    #[error("operation of process {process} completes at {complete}, before its invoke at {invoke}")]
    CompletesBeforeInvoke {
        /// The process that issued it.
        process: ProcessId,
        /// Its invoke time.
        invoke: Time,
        /// Its completion time.
        complete: Time,
    },
}

/// The operations on one object (one key), in the order they were recorded.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct History<I, O> {
    ops: Vec<Operation<I, O>>,
}

impl<I, O> Default for History<I, O> {
    fn default() -> Self {
        Self { ops: Vec::new() }
    }
}

impl<I, O> History<I, O> {
    /// An empty history.
    pub fn new() -> Self {
        Self::default()
    }

    /// Records an operation; fails if it completes before it is invoked (for `Unknown`, the
    /// completion time is not checked since it is ignored).
    pub fn push(&mut self, op: Operation<I, O>) -> Result<OpId, HistoryError> {
        if !matches!(op.outcome, Outcome::Unknown) && op.complete < op.invoke {
            return Err(HistoryError::CompletesBeforeInvoke {
                process: op.process,
                invoke: op.invoke,
                complete: op.complete,
            });
        }
        self.ops.push(op);
        Ok(OpId(self.ops.len() - 1))
    }

    /// Records an operation that returned `output`.
    pub fn ok(
        &mut self,
        process: ProcessId,
        invoke: Time,
        complete: Time,
        input: I,
        output: O,
    ) -> Result<OpId, HistoryError> {
        self.push(Operation { process, invoke, complete, input, outcome: Outcome::Ok(output) })
    }

    /// Records an operation that certainly did not take effect.
    pub fn fail(&mut self, process: ProcessId, invoke: Time, complete: Time, input: I) -> Result<OpId, HistoryError> {
        self.push(Operation { process, invoke, complete, input, outcome: Outcome::Fail })
    }

    /// Records an operation whose effect is unknown (it has no completion bound).
    pub fn unknown(&mut self, process: ProcessId, invoke: Time, input: I) -> OpId {
        self.ops.push(Operation { process, invoke, complete: invoke, input, outcome: Outcome::Unknown });
        OpId(self.ops.len() - 1)
    }

    /// The recorded operations, indexed by [`OpId`].
    pub fn ops(&self) -> &[Operation<I, O>] {
        &self.ops
    }

    /// The operation with this id, if any.
    pub fn get(&self, id: OpId) -> Option<&Operation<I, O>> {
        self.ops.get(id.0)
    }

    /// The number of recorded operations.
    pub fn len(&self) -> usize {
        self.ops.len()
    }

    /// Whether nothing was recorded.
    pub fn is_empty(&self) -> bool {
        self.ops.is_empty()
    }
}

/// Histories of several independent objects, one per key: linearizability is local
/// (Herlihy & Wing), so each key is checked on its own.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct KeyedHistory<K: Ord, I, O> {
    keys: BTreeMap<K, History<I, O>>,
}

impl<K: Ord, I, O> Default for KeyedHistory<K, I, O> {
    fn default() -> Self {
        Self { keys: BTreeMap::new() }
    }
}

impl<K: Ord, I, O> KeyedHistory<K, I, O> {
    /// An empty keyed history.
    pub fn new() -> Self {
        Self::default()
    }

    /// Records an operation on `key`.
    pub fn push(&mut self, key: K, op: Operation<I, O>) -> Result<OpId, HistoryError> {
        self.keys.entry(key).or_default().push(op)
    }

    /// The history of `key`, if anything was recorded on it.
    pub fn key(&self, key: &K) -> Option<&History<I, O>> {
        self.keys.get(key)
    }

    /// Every key with its history, in key order.
    pub fn iter(&self) -> impl Iterator<Item = (&K, &History<I, O>)> {
        self.keys.iter()
    }
}
