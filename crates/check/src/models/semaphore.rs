//! A semaphore whose permits belong to their holders (the CP semaphore): `acquire` takes
//! permits when enough are available (a blocking acquire that completed took them), a try
//! answers whether it did, `release` gives back permits the owner holds (a release of more
//! than it holds is refused and changes nothing), and `available` reads the pool.
//!
//! Checked against it, a history shows that permits are never handed out beyond the pool:
//! at every point of the linearization, what the owners hold plus what is available is what
//! the pool was given.
//!
//! Two things a real semaphore does that a plain pool does not:
//!
//! * **Fairness.** A strictly first-come-first-served semaphore (Coterie's CP semaphore) does
//!   not let a try overtake a parked acquire, so a try can fail while enough permits are free
//!   (a parked request at the head waits for more than are free). [`Semaphore::fifo`] accepts
//!   such a failed try in any state; a successful try, and a completed acquire, still need
//!   their permits free at their linearization point.
//! * **Session expiry.** Owners are sessions; an expired session's permits go back to the
//!   pool. [`SemaphoreInput::Expire`], recorded with an `Unknown` outcome when the session
//!   opens, takes effect only while its owner holds permits (otherwise it changes nothing
//!   visible), and from then on no operation of that owner can take effect.

use std::collections::{BTreeMap, BTreeSet};

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
    /// `owner`'s session expires: every permit it holds goes back to the pool, and it never
    /// acts again. Recorded with an `Unknown` outcome (see the module docs).
    Expire {
        /// The session that expires.
        owner: u64,
    },
}

impl SemaphoreInput {
    /// The owner that issues the operation, if it has one.
    pub fn owner(&self) -> Option<u64> {
        match self {
            SemaphoreInput::Acquire { owner, .. }
            | SemaphoreInput::TryAcquire { owner, .. }
            | SemaphoreInput::Release { owner, .. }
            | SemaphoreInput::Expire { owner } => Some(*owner),
            SemaphoreInput::Available => None,
        }
    }
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
    /// Owners whose session expired (while holding permits): none of their operations can
    /// take effect any more.
    pub expired: BTreeSet<u64>,
}

/// A semaphore given `permits` at the start.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Semaphore {
    /// The pool's permits.
    pub permits: u64,
    /// Strictly first come, first served: a try may fail while its permits are free (see the
    /// module docs).
    pub fifo: bool,
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
        SemaphoreState { available: self.permits, held: BTreeMap::new(), expired: BTreeSet::new() }
    }

    fn step(
        &self,
        state: &SemaphoreState,
        input: &SemaphoreInput,
        output: Option<&SemaphoreOutput>,
    ) -> Option<SemaphoreState> {
        if input.owner().is_some_and(|owner| state.expired.contains(&owner)) {
            return None;
        }
        let (next, result) = match *input {
            // A completed acquire took effect at a point where enough permits were free.
            SemaphoreInput::Acquire { owner, permits } => {
                (Semaphore::take(state, owner, permits)?, SemaphoreOutput::Acquired)
            }
            SemaphoreInput::TryAcquire { owner, permits } => match Semaphore::take(state, owner, permits) {
                // Behind a parked acquire, a fair semaphore refuses a try it could serve.
                Some(_) if self.fifo && output == Some(&SemaphoreOutput::Tried(false)) => {
                    (state.clone(), SemaphoreOutput::Tried(false))
                }
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
            SemaphoreInput::Expire { owner } => {
                // Only an owner that holds permits can lose them (see the module docs).
                let held = state.held.get(&owner).copied().filter(|held| *held > 0)?;
                let mut next = state.clone();
                next.held.remove(&owner);
                next.available = next.available.checked_add(held)?;
                next.expired.insert(owner);
                // An expiry has no output; any observed one is impossible.
                return output.is_none().then_some(next);
            }
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
        let m = Semaphore { permits: 2, fifo: false };
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

    #[test]
    fn a_fair_semaphore_may_refuse_a_try_it_could_serve_and_an_expiry_returns_the_permits() {
        let strict = Semaphore { permits: 2, fifo: false };
        let fair = Semaphore { permits: 2, fifo: true };
        let try_one = SemaphoreInput::TryAcquire { owner: 1, permits: 1 };
        let refused = Some(&SemaphoreOutput::Tried(false));
        assert_eq!(strict.step(&strict.init(), &try_one, refused), None);
        assert_eq!(fair.step(&fair.init(), &try_one, refused), Some(fair.init()));
        let s1 = fair.step(&fair.init(), &try_one, Some(&SemaphoreOutput::Tried(true))).unwrap();
        assert_eq!(s1.available, 1);
        let expire = SemaphoreInput::Expire { owner: 1 };
        assert_eq!(fair.step(&fair.init(), &expire, None), None, "nothing held, nothing to lose");
        let s2 = fair.step(&s1, &expire, None).unwrap();
        assert_eq!((s2.available, s2.held.len()), (2, 0));
        assert_eq!(fair.step(&s2, &try_one, refused), None, "an expired owner never acts again");
        let other = SemaphoreInput::Acquire { owner: 2, permits: 2 };
        assert!(fair.step(&s2, &other, Some(&SemaphoreOutput::Acquired)).is_some());
    }
}
