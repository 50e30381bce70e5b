use std::collections::BTreeSet;
use std::num::NonZeroU32;
use std::time::Duration;

use super::*;
use crate::machine::Reply;
use crate::testing::{call, internal, inv, session_read};

const A: OwnerId = OwnerId(1);
const B: OwnerId = OwnerId(2);

fn lock(l: &mut FencedLock, index: u64, session: u64, seq: u64, owner: OwnerId) -> Applied<FencedLockOutput> {
    l.apply(FencedLockCommand::Lock { owner }, &call(index, 0, session, seq))
}

#[test]
fn lock_is_fenced_by_the_granting_index_and_reentrant() {
    let mut l = FencedLock::default();
    assert_eq!(lock(&mut l, 5, 1, 1, A), Applied::ok(FencedLockOutput::Fence(Fence(5))));
    assert_eq!(lock(&mut l, 6, 1, 2, A), Applied::ok(FencedLockOutput::Fence(Fence(5))));
    assert_eq!(l.apply(FencedLockCommand::LockCount, &internal(7, 0)), Applied::ok(FencedLockOutput::Count(2)));
    assert_eq!(
        l.apply(FencedLockCommand::IsLockedByMe { owner: A }, &session_read(7, 0, 1)),
        Applied::ok(FencedLockOutput::Bool(true))
    );
    assert_eq!(
        l.apply(FencedLockCommand::IsLockedByMe { owner: B }, &session_read(7, 0, 1)),
        Applied::ok(FencedLockOutput::Bool(false))
    );
    assert_eq!(
        l.apply(FencedLockCommand::Fence { owner: A }, &session_read(7, 0, 1)),
        Applied::ok(FencedLockOutput::Fence(Fence(5)))
    );
    assert_eq!(l.apply(FencedLockCommand::Unlock { owner: A }, &call(8, 0, 1, 3)), Applied::ok(FencedLockOutput::Unit));
    assert_eq!(l.apply(FencedLockCommand::IsLocked, &internal(9, 0)), Applied::ok(FencedLockOutput::Bool(true)));
    assert_eq!(
        l.apply(FencedLockCommand::Unlock { owner: A }, &call(10, 0, 1, 4)),
        Applied::ok(FencedLockOutput::Unit)
    );
    assert_eq!(l.apply(FencedLockCommand::IsLocked, &internal(11, 0)), Applied::ok(FencedLockOutput::Bool(false)));
    assert_eq!(l.apply(FencedLockCommand::LockCount, &internal(11, 0)), Applied::ok(FencedLockOutput::Count(0)));
}

#[test]
fn acquire_limit_is_an_error_not_a_hang() {
    let mut l = FencedLock::new(FencedLockConfig { acquire_limit: NonZeroU32::new(1) });
    lock(&mut l, 1, 1, 1, A);
    assert_eq!(lock(&mut l, 2, 1, 2, A), Applied::err(CoreError::AcquireLimitReached { limit: 1 }));
    let try_again = l.apply(FencedLockCommand::TryLock { owner: A, timeout: None }, &call(3, 0, 1, 3));
    assert_eq!(try_again, Applied::err(CoreError::AcquireLimitReached { limit: 1 }));
    assert_eq!(l.apply(FencedLockCommand::LockCount, &internal(4, 0)), Applied::ok(FencedLockOutput::Count(1)));
}

#[test]
fn waiters_are_granted_in_fifo_order_with_increasing_fences() {
    let mut l = FencedLock::default();
    lock(&mut l, 1, 1, 1, A);
    assert_eq!(lock(&mut l, 2, 2, 1, A).response, Reply::Parked);
    assert_eq!(lock(&mut l, 3, 3, 1, A).response, Reply::Parked);
    // Another owner in the holder's own session waits too.
    assert_eq!(lock(&mut l, 4, 1, 2, B).response, Reply::Parked);

    let unlocked = l.apply(FencedLockCommand::Unlock { owner: A }, &call(10, 0, 1, 3));
    assert_eq!(
        unlocked,
        Applied::ok(FencedLockOutput::Unit)
            .with_effects(vec![Effect::wake(inv(2, 1), FencedLockOutput::Fence(Fence(10)))])
    );
    let unlocked = l.apply(FencedLockCommand::Unlock { owner: A }, &call(11, 0, 2, 2));
    assert_eq!(unlocked.effects, vec![Effect::wake(inv(3, 1), FencedLockOutput::Fence(Fence(11)))]);
    let unlocked = l.apply(FencedLockCommand::Unlock { owner: A }, &call(12, 0, 3, 2));
    assert_eq!(unlocked.effects, vec![Effect::wake(inv(1, 2), FencedLockOutput::Fence(Fence(12)))]);
    assert_eq!(l.waiting(), 0);
}

#[test]
fn unlock_by_a_non_owner_is_a_clear_error() {
    let mut l = FencedLock::default();
    let free = l.apply(FencedLockCommand::Unlock { owner: A }, &call(1, 0, 1, 1));
    assert!(matches!(free.response, Reply::Ready(Err(CoreError::NotOwner { .. }))));
    lock(&mut l, 2, 1, 2, A);
    let other_session = l.apply(FencedLockCommand::Unlock { owner: A }, &call(3, 0, 2, 1));
    let Reply::Ready(Err(err)) = other_session.response else { panic!("expected an error") };
    assert!(err.to_string().contains("held by session 1"), "{err}");
    let other_owner = l.apply(FencedLockCommand::Unlock { owner: B }, &call(4, 0, 1, 3));
    assert!(matches!(other_owner.response, Reply::Ready(Err(CoreError::NotOwner { .. }))));
    let fence = l.apply(FencedLockCommand::Fence { owner: B }, &session_read(5, 0, 1));
    assert!(matches!(fence.response, Reply::Ready(Err(CoreError::NotOwner { .. }))));
}

#[test]
fn try_lock_without_timeout_answers_at_once_and_with_timeout_expires_by_tick() {
    let mut l = FencedLock::default();
    lock(&mut l, 1, 1, 1, A);
    let now = l.apply(FencedLockCommand::TryLock { owner: A, timeout: Some(Duration::ZERO) }, &call(2, 100, 2, 1));
    assert_eq!(now, Applied::ok(FencedLockOutput::MaybeFence(None)));
    let timed =
        l.apply(FencedLockCommand::TryLock { owner: A, timeout: Some(Duration::from_millis(50)) }, &call(3, 100, 2, 2));
    assert_eq!(timed, Applied::parked());
    assert_eq!(l.next_deadline(), Some(Timestamp(150)));
    assert_eq!(l.tick(&internal(4, 149)), vec![]);
    assert_eq!(l.tick(&internal(5, 150)), vec![Effect::wake(inv(2, 2), FencedLockOutput::MaybeFence(None))]);
    assert_eq!(l.next_deadline(), None);
    // The holder kept the lock.
    assert_eq!(l.apply(FencedLockCommand::IsLocked, &internal(6, 150)), Applied::ok(FencedLockOutput::Bool(true)));
}

#[test]
fn timed_try_lock_granted_before_its_deadline_gets_a_fence() {
    let mut l = FencedLock::default();
    lock(&mut l, 1, 1, 1, A);
    l.apply(FencedLockCommand::TryLock { owner: B, timeout: Some(Duration::from_secs(1)) }, &call(2, 0, 2, 1));
    let unlocked = l.apply(FencedLockCommand::Unlock { owner: A }, &call(3, 10, 1, 2));
    assert_eq!(unlocked.effects, vec![Effect::wake(inv(2, 1), FencedLockOutput::MaybeFence(Some(Fence(3))))]);
    assert_eq!(l.tick(&internal(4, 5_000)), vec![]);
}

#[test]
fn blocking_calls_need_a_session_and_an_invocation() {
    let mut l = FencedLock::default();
    let no_session = l.apply(FencedLockCommand::Lock { owner: A }, &internal(1, 0));
    assert_eq!(no_session, Applied::err(CoreError::SessionRequired { operation: "lock".into() }));
    lock(&mut l, 2, 1, 1, A);
    let no_invocation = l.apply(FencedLockCommand::Lock { owner: A }, &session_read(3, 0, 2));
    assert_eq!(no_invocation, Applied::err(CoreError::InvocationRequired { operation: "lock".into() }));
}

#[test]
fn cancel_removes_only_the_named_waiter() {
    let mut l = FencedLock::default();
    lock(&mut l, 1, 1, 1, A);
    lock(&mut l, 2, 2, 1, A);
    lock(&mut l, 3, 3, 1, A);
    assert_eq!(
        l.cancel(inv(2, 1), &internal(4, 0)),
        vec![Effect::Wake { invocation: inv(2, 1), result: Err(CoreError::Cancelled { invocation: inv(2, 1) }) }]
    );
    assert_eq!(l.cancel(inv(2, 1), &internal(5, 0)), vec![]);
    let unlocked = l.apply(FencedLockCommand::Unlock { owner: A }, &call(6, 0, 1, 2));
    assert_eq!(unlocked.effects, vec![Effect::wake(inv(3, 1), FencedLockOutput::Fence(Fence(6)))]);
}

#[test]
fn expiring_holder_and_next_waiter_together_grants_once_with_a_larger_fence() {
    let mut l = FencedLock::default();
    lock(&mut l, 1, 1, 1, A);
    lock(&mut l, 2, 2, 1, A);
    lock(&mut l, 3, 3, 1, A);
    let effects = l.release_sessions(&BTreeSet::from([SessionId(1), SessionId(2)]), &internal(9, 0));
    assert_eq!(
        effects,
        vec![
            Effect::Wake { invocation: inv(2, 1), result: Err(CoreError::SessionExpired { session: SessionId(2) }) },
            Effect::wake(inv(3, 1), FencedLockOutput::Fence(Fence(9))),
        ]
    );
    // The expired holder's later unlock is rejected.
    let stale = l.apply(FencedLockCommand::Unlock { owner: A }, &call(10, 0, 1, 2));
    assert!(matches!(stale.response, Reply::Ready(Err(CoreError::NotOwner { .. }))));
}

#[test]
fn snapshot_round_trips() {
    let mut l = FencedLock::new(FencedLockConfig { acquire_limit: NonZeroU32::new(3) });
    lock(&mut l, 1, 1, 1, A);
    lock(&mut l, 2, 2, 1, B);
    let restored = FencedLock::restore(&l.snapshot().unwrap()).unwrap();
    assert_eq!(restored, l);
}
