//! A FIFO queue, optionally bounded: `offer` appends (refused when full), `poll` removes the
//! head (nothing when empty), `peek` reads it.
//!
//! Checked against it, a history shows that every acknowledged offer is polled at most once,
//! in order, and that nothing is polled that was never offered. An offer whose outcome is
//! unknown may have appended its item (once) or not at all, so a later poll of that item is
//! accepted, and so is the item never appearing.

use std::collections::VecDeque;
use std::fmt::Debug;
use std::hash::Hash;

use crate::model::Model;

/// An operation on a queue.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum QueueInput<V> {
    /// Append the item; answers whether it was taken (false when the queue is full).
    Offer(V),
    /// Remove and return the head, if any.
    Poll,
    /// Return the head without removing it.
    Peek,
}

/// What a queue operation returns.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum QueueOutput<V> {
    /// Whether an offer was taken.
    Offered(bool),
    /// The head polled or peeked, or `None` for an empty queue.
    Item(Option<V>),
}

/// A FIFO queue of at most `capacity` items (`None`: unbounded), initially empty.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Queue {
    /// The most items it holds; an offer beyond it is refused.
    pub capacity: Option<usize>,
}

impl<V: Clone + Eq + Hash + Debug> Model for QueueOf<V> {
    type State = VecDeque<V>;
    type Input = QueueInput<V>;
    type Output = QueueOutput<V>;

    fn init(&self) -> VecDeque<V> {
        VecDeque::new()
    }

    fn step(&self, state: &VecDeque<V>, input: &QueueInput<V>, output: Option<&QueueOutput<V>>) -> Option<VecDeque<V>> {
        let mut next = state.clone();
        let result = match input {
            QueueInput::Offer(item) => {
                let room = self.queue.capacity.is_none_or(|capacity| next.len() < capacity);
                if room {
                    next.push_back(item.clone());
                }
                QueueOutput::Offered(room)
            }
            QueueInput::Poll => QueueOutput::Item(next.pop_front()),
            QueueInput::Peek => QueueOutput::Item(next.front().cloned()),
        };
        match output {
            Some(seen) if *seen != result => None,
            _ => Some(next),
        }
    }
}

/// [`Queue`] for items of type `V` (the model is generic over the items it holds).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct QueueOf<V> {
    /// The queue's bound.
    pub queue: Queue,
    items: std::marker::PhantomData<fn() -> V>,
}

impl Queue {
    /// The model of this queue holding items of type `V`.
    pub fn of<V>(self) -> QueueOf<V> {
        QueueOf { queue: self, items: std::marker::PhantomData }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn offers_append_polls_take_the_head_and_a_full_queue_refuses() {
        let m = Queue { capacity: Some(1) }.of::<u8>();
        let s0 = m.init();
        let s1 = m.step(&s0, &QueueInput::Offer(7), Some(&QueueOutput::Offered(true))).unwrap();
        assert_eq!(m.step(&s1, &QueueInput::Offer(8), Some(&QueueOutput::Offered(true))), None, "full");
        let s2 = m.step(&s1, &QueueInput::Offer(8), Some(&QueueOutput::Offered(false))).unwrap();
        assert_eq!(s2, s1, "a refused offer changes nothing");
        assert_eq!(m.step(&s2, &QueueInput::Peek, Some(&QueueOutput::Item(Some(7)))), Some(s2.clone()));
        let s3 = m.step(&s2, &QueueInput::Poll, Some(&QueueOutput::Item(Some(7)))).unwrap();
        assert_eq!(m.step(&s3, &QueueInput::Poll, Some(&QueueOutput::Item(Some(7)))), None, "polled twice");
        assert_eq!(m.step(&s3, &QueueInput::Poll, Some(&QueueOutput::Item(None))), Some(VecDeque::new()));
    }
}
