//! A set: `add` and `remove` answer whether they changed it, `contains` reads membership.
//!
//! An add or remove whose outcome is unknown may have changed the set (once) or not at all.

use std::collections::BTreeSet;
use std::fmt::Debug;
use std::hash::Hash;
use std::marker::PhantomData;

use crate::model::Model;

/// An operation on a set.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum SetInput<V> {
    /// Add the element; answers whether it was new.
    Add(V),
    /// Remove the element; answers whether it was there.
    Remove(V),
    /// Whether the element is there.
    Contains(V),
}

/// What a set operation returns: whether it changed the set (add, remove) or whether the
/// element is there (contains).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SetOutput(pub bool);

/// A set of elements of type `V`, initially empty.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Set<V> {
    elements: PhantomData<fn() -> V>,
}

impl<V> Set<V> {
    /// The model of an empty set.
    pub fn new() -> Self {
        Set { elements: PhantomData }
    }
}

impl<V: Clone + Ord + Hash + Debug> Model for Set<V> {
    type State = BTreeSet<V>;
    type Input = SetInput<V>;
    type Output = SetOutput;

    fn init(&self) -> BTreeSet<V> {
        BTreeSet::new()
    }

    fn step(&self, state: &BTreeSet<V>, input: &SetInput<V>, output: Option<&SetOutput>) -> Option<BTreeSet<V>> {
        let mut next = state.clone();
        let result = match input {
            SetInput::Add(element) => next.insert(element.clone()),
            SetInput::Remove(element) => next.remove(element),
            SetInput::Contains(element) => next.contains(element),
        };
        match output {
            Some(SetOutput(seen)) if *seen != result => None,
            _ => Some(next),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn add_and_remove_answer_whether_they_changed_the_set() {
        let m = Set::<u8>::new();
        let s1 = m.step(&m.init(), &SetInput::Add(1), Some(&SetOutput(true))).unwrap();
        assert_eq!(m.step(&s1, &SetInput::Add(1), Some(&SetOutput(true))), None, "added twice");
        assert_eq!(m.step(&s1, &SetInput::Add(1), Some(&SetOutput(false))), Some(s1.clone()));
        assert_eq!(m.step(&s1, &SetInput::Contains(1), Some(&SetOutput(true))), Some(s1.clone()));
        let s2 = m.step(&s1, &SetInput::Remove(1), Some(&SetOutput(true))).unwrap();
        assert_eq!(m.step(&s2, &SetInput::Contains(1), Some(&SetOutput(true))), None);
        assert_eq!(m.step(&s2, &SetInput::Remove(1), None), Some(BTreeSet::new()), "an unknown remove may do nothing");
    }
}
