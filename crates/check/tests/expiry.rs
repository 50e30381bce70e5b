//! Session expiry in the lock and semaphore models: an expiry recorded as an `Unknown`
//! operation at session open explains a hand-over between two holders only when nothing the
//! first holder did afterwards shows that it still held; without an expiry that can explain
//! it, two holders are a violation as before.

#![allow(clippy::unwrap_used, reason = "test helpers; clippy exempts only #[test] functions")]

use coterie_check::models::{
    FencedMutex, MutexInput as M, MutexOutput as MO, Semaphore, SemaphoreInput as S, SemaphoreOutput as SO,
};
use coterie_check::{Budget, History, check};

type Mtx = History<M, MO>;

/// Owner 1 locks at [0, 1]; owner 2 locks at [10, 11] while owner 1 never unlocked.
fn hand_over() -> Mtx {
    let mut h = Mtx::new();
    h.ok(1, 0, 1, M::Lock { owner: 1 }, MO::Fence(3)).unwrap();
    h.ok(2, 10, 11, M::Lock { owner: 2 }, MO::Fence(9)).unwrap();
    h
}

#[test]
fn an_expiry_explains_a_hand_over() {
    let mut h = Mtx::new();
    // Session 1's expiry may happen any time after it opened (at 0).
    h.unknown(1, 0, M::Expire { owner: 1 });
    for op in hand_over().ops() {
        h.push(op.clone()).unwrap();
    }
    // Owner 1 then learns it holds nothing any more (its unlock is refused, or it is gone).
    assert!(check(&FencedMutex::default(), &h, Budget::default()).is_linearizable());
}

#[test]
fn two_holders_with_no_expiry_recorded_are_a_violation() {
    assert!(check(&FencedMutex::default(), &hand_over(), Budget::default()).is_not_linearizable());
}

#[test]
fn an_expiry_cannot_explain_a_holder_that_still_acts_on_the_lock() {
    for later in [
        // A successful unlock after the hand-over: owner 1 still held the lock.
        (M::Unlock { owner: 1 }, MO::Unlocked(true)),
        // A reentrant acquisition with its old fence: likewise.
        (M::Lock { owner: 1 }, MO::Fence(3)),
        // Even a refused unlock: an expired session's calls are refused as expired, never
        // answered by the lock, so owner 1 was alive then and had not lost the lock.
        (M::Unlock { owner: 1 }, MO::Unlocked(false)),
    ] {
        let mut h = Mtx::new();
        h.unknown(1, 0, M::Expire { owner: 1 });
        for op in hand_over().ops() {
            h.push(op.clone()).unwrap();
        }
        h.ok(1, 20, 21, later.0.clone(), later.1).unwrap();
        let verdict = check(&FencedMutex::default(), &h, Budget::default());
        assert!(verdict.is_not_linearizable(), "{later:?} after the hand-over: {verdict:?}");
    }
}

#[test]
fn an_expiry_of_another_session_explains_nothing() {
    let mut h = Mtx::new();
    h.unknown(3, 0, M::Expire { owner: 3 });
    for op in hand_over().ops() {
        h.push(op.clone()).unwrap();
    }
    assert!(check(&FencedMutex::default(), &h, Budget::default()).is_not_linearizable());
}

#[test]
fn an_expiry_returns_permits_once_and_only_its_owners() {
    type Sem = History<S, SO>;
    let model = Semaphore { permits: 2, fifo: true };
    let over = |expire: Option<u64>| {
        let mut h = Sem::new();
        if let Some(owner) = expire {
            h.unknown(owner, 0, S::Expire { owner });
        }
        h.ok(1, 0, 1, S::Acquire { owner: 1, permits: 2 }, SO::Acquired).unwrap();
        h.ok(2, 10, 11, S::Acquire { owner: 2, permits: 1 }, SO::Acquired).unwrap();
        h.ok(3, 20, 21, S::Acquire { owner: 3, permits: 1 }, SO::Acquired).unwrap();
        h
    };
    // Owner 1's expiry frees both of its permits for owners 2 and 3.
    assert!(check(&model, &over(Some(1)), Budget::default()).is_linearizable());
    // Without it, or with the expiry of an owner holding nothing, four permits of two.
    assert!(check(&model, &over(None), Budget::default()).is_not_linearizable());
    assert!(check(&model, &over(Some(4)), Budget::default()).is_not_linearizable());
    // After its expiry owner 1 cannot release what it held.
    let mut h = over(Some(1));
    h.ok(1, 30, 31, S::Release { owner: 1, permits: 2 }, SO::Released(true)).unwrap();
    assert!(check(&model, &h, Budget::default()).is_not_linearizable());
}
