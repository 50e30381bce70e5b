//! A reentrant mutex with fencing tokens.
//!
//! The contract a lock service promises, and nothing more: never two holders at once; every
//! fresh acquisition returns a fence strictly greater than every fence returned before (not
//! necessarily the next integer: a service may use a log index); a reentrant acquisition by the
//! holder returns the fence it already holds; `unlock` by the holder releases one level, and
//! `unlock` by anyone else is refused and changes nothing. `lock` blocks, so a `lock` that
//! returned was linearized at an instant the mutex was free (or held by the same owner).
//!
//! When an acquisition's outcome is unknown, its fence is unknown too: the state then records
//! only the least it can be (the most permissive choice, which admits every continuation any
//! actual fence would), and a later reentrant acquisition that observes the fence pins it.
//!
//! # Session expiry
//!
//! An owner is a session, and a session can expire: the service then releases its hold (and
//! the next waiter may be granted the lock in the same step). A history models that with an
//! [`MutexInput::Expire`] operation per session that may expire, recorded with an `Unknown`
//! outcome when the session opens, so the checker may linearize it at any point after that,
//! or never. An expiry takes effect only while its owner holds the mutex (an expiry of an
//! owner holding nothing changes nothing the mutex can show, so leaving it out loses no
//! linearization), and from then on the owner is gone: no later operation of it can take
//! effect, because the service refuses every call of an expired session. So a hand-over
//! between two holders is explained by an expiry only if the first holder does nothing
//! afterwards that shows it still held the lock (a successful unlock, a reentrant acquire).

use std::collections::BTreeSet;

use crate::model::Model;

/// Who holds (or asks for) the mutex: a client session.
pub type Owner = u64;

/// An operation on the mutex.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum MutexInput {
    /// Acquire (blocking), or re-acquire if already held by `owner`; returns the fence.
    Lock {
        /// Who acquires.
        owner: Owner,
    },
    /// Acquire if free or already held by `owner`; otherwise return at once without it.
    TryLock {
        /// Who acquires.
        owner: Owner,
    },
    /// Release one level of `owner`'s hold.
    Unlock {
        /// Who releases.
        owner: Owner,
    },
    /// `owner`'s session expires: its hold is released, and it never acts again. Recorded
    /// with an `Unknown` outcome (see the module docs).
    Expire {
        /// The session that expires.
        owner: Owner,
    },
}

impl MutexInput {
    /// The owner that issues the operation (or whose session expires).
    pub fn owner(&self) -> Owner {
        match self {
            MutexInput::Lock { owner }
            | MutexInput::TryLock { owner }
            | MutexInput::Unlock { owner }
            | MutexInput::Expire { owner } => *owner,
        }
    }
}

/// What a mutex operation returns.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum MutexOutput {
    /// `Lock` acquired, with this fence.
    Fence(u64),
    /// `TryLock`'s answer: the fence if acquired, `None` if held by another owner.
    TryLocked(Option<u64>),
    /// `Unlock`'s answer: whether `owner` held the mutex (and so released a level).
    Unlocked(bool),
}

/// What is known of the holder's fence.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum HeldFence {
    /// Observed by a client.
    Known(u64),
    /// Acquired with an unknown outcome: at least this much, not observed yet.
    AtLeast(u64),
}

/// The current holder.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Holder {
    /// Who holds it.
    pub owner: Owner,
    /// How many acquisitions it holds (at least 1).
    pub depth: u32,
    /// Its fence.
    pub fence: HeldFence,
}

/// The mutex's state.
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash)]
pub struct MutexState {
    /// The holder, if any.
    pub holder: Option<Holder>,
    /// Every fresh fence from now on must be greater than this.
    pub floor: u64,
    /// Owners whose session expired (while holding the mutex): none of their operations can
    /// take effect any more.
    pub expired: BTreeSet<Owner>,
}

/// A fenced reentrant mutex, initially free, whose first fence must exceed `floor`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct FencedMutex {
    /// Fences must be greater than this (0: any positive fence).
    pub floor: u64,
}

/// The fence an acquisition observed, for either acquiring input; `Err(())` for an output of
/// the wrong kind.
type Observed = Result<Option<u64>, ()>;

impl FencedMutex {
    /// An acquisition (by `Lock`, or a successful `TryLock`) by `owner` in `state`, that
    /// observed `fence` (`None`: unknown).
    fn acquire(state: &MutexState, owner: Owner, fence: Option<u64>) -> Option<MutexState> {
        match state.holder {
            None => {
                let (held, floor) = match fence {
                    Some(f) if f > state.floor => (HeldFence::Known(f), f),
                    Some(_) => return None,
                    None => {
                        let least = state.floor.checked_add(1)?;
                        (HeldFence::AtLeast(least), least)
                    }
                };
                Some(MutexState { holder: Some(Holder { owner, depth: 1, fence: held }), floor, ..state.clone() })
            }
            Some(h) if h.owner == owner => {
                let depth = h.depth.checked_add(1)?;
                let (held, floor) = match (h.fence, fence) {
                    (HeldFence::Known(g), Some(f)) if f != g => return None,
                    (HeldFence::AtLeast(a), Some(f)) if f < a => return None,
                    (HeldFence::AtLeast(_), Some(f)) => (HeldFence::Known(f), state.floor.max(f)),
                    (held, _) => (held, state.floor),
                };
                Some(MutexState { holder: Some(Holder { owner, depth, fence: held }), floor, ..state.clone() })
            }
            Some(_) => None,
        }
    }

    fn observed_lock(output: Option<&MutexOutput>) -> Observed {
        match output {
            None => Ok(None),
            Some(MutexOutput::Fence(f)) => Ok(Some(*f)),
            Some(_) => Err(()),
        }
    }
}

impl Model for FencedMutex {
    type State = MutexState;
    type Input = MutexInput;
    type Output = MutexOutput;

    fn init(&self) -> MutexState {
        MutexState { holder: None, floor: self.floor, expired: BTreeSet::new() }
    }

    fn step(&self, state: &MutexState, input: &MutexInput, output: Option<&MutexOutput>) -> Option<MutexState> {
        if state.expired.contains(&input.owner()) {
            return None;
        }
        match input {
            MutexInput::Lock { owner } => {
                let fence = Self::observed_lock(output).ok()?;
                Self::acquire(state, *owner, fence)
            }
            MutexInput::TryLock { owner } => {
                let held_by_other = state.holder.is_some_and(|h| h.owner != *owner);
                match (output, held_by_other) {
                    (Some(MutexOutput::TryLocked(None)), true) | (None, true) => Some(state.clone()),
                    (Some(MutexOutput::TryLocked(Some(f))), false) => Self::acquire(state, *owner, Some(*f)),
                    (None, false) => Self::acquire(state, *owner, None),
                    _ => None,
                }
            }
            MutexInput::Unlock { owner } => {
                let holds = state.holder.is_some_and(|h| h.owner == *owner);
                match output {
                    Some(MutexOutput::Unlocked(b)) if *b != holds => return None,
                    Some(MutexOutput::Unlocked(_)) | None => {}
                    Some(_) => return None,
                }
                let holder = match state.holder {
                    Some(h) if h.owner == *owner && h.depth > 1 => Some(Holder { depth: h.depth - 1, ..h }),
                    Some(h) if h.owner == *owner => None,
                    other => other,
                };
                Some(MutexState { holder, ..state.clone() })
            }
            MutexInput::Expire { owner } => {
                // Only an owner that holds the mutex can lose it (see the module docs).
                state.holder.filter(|h| h.owner == *owner)?;
                let mut next = state.clone();
                next.holder = None;
                next.expired.insert(*owner);
                Some(next)
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lock(m: &FencedMutex, s: &MutexState, owner: Owner, f: Option<u64>) -> Option<MutexState> {
        let out = f.map(MutexOutput::Fence);
        m.step(s, &MutexInput::Lock { owner }, out.as_ref())
    }

    #[test]
    fn fences_strictly_increase_and_reentry_keeps_the_fence() {
        let m = FencedMutex::default();
        let s0 = m.init();
        let s1 = lock(&m, &s0, 1, Some(5)).unwrap();
        assert_eq!(lock(&m, &s1, 2, Some(6)), None, "two holders");
        assert_eq!(lock(&m, &s1, 1, Some(6)), None, "reentry changed the fence");
        let s2 = lock(&m, &s1, 1, Some(5)).unwrap();
        let unlock = MutexInput::Unlock { owner: 1 };
        let s3 = m.step(&s2, &unlock, Some(&MutexOutput::Unlocked(true))).unwrap();
        assert!(s3.holder.is_some(), "one level still held");
        let s4 = m.step(&s3, &unlock, Some(&MutexOutput::Unlocked(true))).unwrap();
        assert_eq!(s4.holder, None);
        assert_eq!(lock(&m, &s4, 2, Some(5)), None, "fence did not increase");
        assert!(lock(&m, &s4, 2, Some(9)).is_some());
    }

    #[test]
    fn an_unknown_acquisition_raises_the_floor() {
        let m = FencedMutex::default();
        let s1 = lock(&m, &m.init(), 1, None).unwrap();
        assert_eq!(lock(&m, &s1, 1, Some(0)), None);
        let s2 = lock(&m, &s1, 1, Some(3)).unwrap();
        assert_eq!(s2.floor, 3);
        assert_eq!(s2.holder.map(|h| h.fence), Some(HeldFence::Known(3)));
    }

    #[test]
    fn unlock_by_a_non_holder_is_refused() {
        let m = FencedMutex::default();
        let s1 = lock(&m, &m.init(), 1, Some(1)).unwrap();
        let unlock = MutexInput::Unlock { owner: 2 };
        assert_eq!(m.step(&s1, &unlock, Some(&MutexOutput::Unlocked(true))), None);
        assert_eq!(m.step(&s1, &unlock, Some(&MutexOutput::Unlocked(false))), Some(s1.clone()));
    }

    #[test]
    fn an_expiry_releases_only_a_holder_and_its_owner_never_acts_again() {
        let m = FencedMutex::default();
        let expire = MutexInput::Expire { owner: 1 };
        assert_eq!(m.step(&m.init(), &expire, None), None, "an owner holding nothing has nothing to lose");
        let s1 = lock(&m, &m.init(), 1, Some(1)).unwrap();
        let s2 = m.step(&s1, &expire, None).unwrap();
        assert_eq!(s2.holder, None);
        assert_eq!(m.step(&s2, &expire, None), None, "a session expires once");
        assert!(lock(&m, &s2, 2, Some(2)).is_some(), "the next owner may take it");
        assert_eq!(lock(&m, &s2, 1, Some(2)), None, "an expired owner cannot acquire");
        let unlock = MutexInput::Unlock { owner: 1 };
        assert_eq!(m.step(&s2, &unlock, Some(&MutexOutput::Unlocked(false))), None, "nor call at all");
    }
}
