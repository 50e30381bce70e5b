//! The sequential specification a history is checked against.
//!
//! A model answers one question for the checker: "in this state, can this input take effect
//! with this output, and if so, what is the state afterwards?" Asking with the observed output
//! (rather than computing it) lets a model accept several outputs where the real object may
//! choose (a fence only has to be larger than the previous one), and `None` for the output is
//! how an `Unknown` operation asks "could this have taken effect here, with any output?".

use std::fmt::Debug;
use std::hash::Hash;

/// A sequential specification of one object.
///
/// States must be cloneable, comparable and hashable: the checker memoizes the (set of
/// linearized operations, state) pairs it has already explored.
pub trait Model {
    /// The object's state.
    type State: Clone + Eq + Hash + Debug;
    /// An operation's input. Equality lets the checker treat `Unknown` operations with equal
    /// inputs as interchangeable (it tries them in invoke order only).
    type Input: Clone + Eq + Debug;
    /// An operation's output.
    type Output: Clone + Eq + Debug;

    /// The state before any operation.
    fn init(&self) -> Self::State;

    /// The state after `input` takes effect in `state` returning `output`, or `None` if that
    /// is impossible. `output` is `None` for an operation whose outcome is unknown: then the
    /// step is allowed if the input can take effect in `state` with some output.
    ///
    /// When several successor states are possible for an unknown output, the model must return
    /// one that admits every continuation any of them admits (see the fenced mutex).
    fn step(&self, state: &Self::State, input: &Self::Input, output: Option<&Self::Output>) -> Option<Self::State>;
}
