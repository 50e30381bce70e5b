//! A semaphore whose permits belong to their holders (the CP semaphore): `acquire` takes
//! permits when enough are available (a blocking acquire that completed took them), a try
//! answers whether it did, `release` gives back permits the owner holds (a release of more
//! than it holds is refused and changes nothing), and `available` reads the pool.
//!
//! Checked against it, a history shows that permits are never handed out beyond the pool:
//! at every point of the linearization, what the owners hold plus what is available is what
//! the pool was given.

use std::collections::BTreeMap;

use crate::model::Model;

/// An operation on a semaphore, by owner (a session in Coterie).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SemaphoreInput {
    /// Take `permits` for `owner`, waiting until they are available; it completes only once
    /// taken.
    Acquire {
        /// Who takes them.
        owner: u64,
        /// How many.
        permits: u64,
    },
    /// Take `permits` for `owner` if available now; answers whether it did.
    TryAcquire {
        /// Who takes them.
        owner: u64,
        /// How many.
        permits: u64,
    },
    /// Give back `permits` that `owner` holds.
    Release {
        /// Who gives them back.
        owner: u64,
        /// How many.
        permits: u64,
    },
    /// The permits available now.
    Available,
}

/// What a semaphore operation returns.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SemaphoreOutput {
    /// An acquire took its permits.
    Acquired,
    /// Whether a try took its permits.
    Tried(bool),
    /// Whether a release gave its permits back (false: the owner held fewer; nothing changed).
    Released(bool),
    /// The permits available.
    Available(u64),
}

/// A semaphore's state: the permits available and what each owner holds.
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash)]
pub struct SemaphoreState {
    /// Permits not held by anyone.
    pub available: u64,
    /// Permits held, by owner (owners holding none are absent).
    pub held: BTreeMap<u64, u64>,
}

/// A semaphore given `permits` at the start.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Semaphore {
    /// The pool's permits.
    pub permits: u64,
}

impl Semaphore {
    fn take(state: &SemaphoreState, owner: u64, permits: u64) -> Option<SemaphoreState> {
        let available = state.available.checked_sub(permits)?;
        let mut next = state.clone();
        next.available = available;
        *next.held.entry(owner).or_insert(0) += permits;
        Some(next)
    }
}

impl Model for Semaphore {
    type State = SemaphoreState;
    type Input = SemaphoreInput;
    type Output = SemaphoreOutput;

    fn init(&self) -> SemaphoreState {
        SemaphoreState { available: self.permits, held: BTreeMap::new() }
    }

    fn step(
        &self,
        state: &SemaphoreState,
        input: &SemaphoreInput,
        output: Option<&SemaphoreOutput>,
    ) -> Option<SemaphoreState> {
        let (next, result) = match *input {
            // A completed acquire took effect at a point where enough permits were free.
            SemaphoreInput::Acquire { owner, permits } => {
                (Semaphore::take(state, owner, permits)?, SemaphoreOutput::Acquired)
            }
            SemaphoreInput::TryAcquire { owner, permits } => match Semaphore::take(state, owner, permits) {
                Some(next) => (next, SemaphoreOutput::Tried(true)),
                None => (state.clone(), SemaphoreOutput::Tried(false)),
            },
            SemaphoreInput::Release { owner, permits } => {
                let held = state.held.get(&owner).copied().unwrap_or(0);
                match held.checked_sub(permits) {
                    Some(left) => {
                        let mut next = state.clone();
                        next.available += permits;
                        if left == 0 {
                            next.held.remove(&owner);
                        } else {
                            next.held.insert(owner, left);
                        }
                        (next, SemaphoreOutput::Released(true))
                    }
                    None => (state.clone(), SemaphoreOutput::Released(false)),
                }
            }
            SemaphoreInput::Available => (state.clone(), SemaphoreOutput::Available(state.available)),
        };
        match output {
            Some(seen) if *seen != result => None,
            _ => Some(next),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn permits_are_taken_only_while_available_and_released_only_by_holders() {
        let m = Semaphore { permits: 2 };
        let s0 = m.init();
        let s1 =
            m.step(&s0, &SemaphoreInput::Acquire { owner: 1, permits: 2 }, Some(&SemaphoreOutput::Acquired)).unwrap();
        assert_eq!(
            m.step(&s1, &SemaphoreInput::Acquire { owner: 2, permits: 1 }, Some(&SemaphoreOutput::Acquired)),
            None
        );
        let try_none = SemaphoreInput::TryAcquire { owner: 2, permits: 1 };
        assert_eq!(m.step(&s1, &try_none, Some(&SemaphoreOutput::Tried(false))), Some(s1.clone()));
        let foreign = SemaphoreInput::Release { owner: 2, permits: 1 };
        assert_eq!(m.step(&s1, &foreign, Some(&SemaphoreOutput::Released(false))), Some(s1.clone()));
        let back =
            m.step(&s1, &SemaphoreInput::Release { owner: 1, permits: 2 }, Some(&SemaphoreOutput::Released(true)));
        assert_eq!(back, Some(s0));
    }
}
