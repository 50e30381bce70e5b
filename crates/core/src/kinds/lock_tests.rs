use std::collections::BTreeSet;
use std::time::Duration;

use super::*;
use crate::testing::{call, internal, inv};

const A: OwnerId = OwnerId(1);
const B: OwnerId = OwnerId(2);
const C: OwnerId = OwnerId(3);

fn ms(millis: u64) -> Option<Duration> {
    Some(Duration::from_millis(millis))
}

fn acquire(
    l: &mut Lock,
    now: u64,
    session: u64,
    seq: u64,
    owner: OwnerId,
    lease: Option<Duration>,
) -> Applied<LockOutput> {
    l.apply(LockCommand::Acquire { owner, lease }, &call(seq, now, session, seq))
}

fn try_acquire(
    l: &mut Lock,
    now: u64,
    session: u64,
    seq: u64,
    owner: OwnerId,
    timeout: Option<Duration>,
) -> Applied<LockOutput> {
    l.apply(LockCommand::TryAcquire { owner, lease: None, timeout }, &call(seq, now, session, seq))
}

fn release(l: &mut Lock, now: u64, owner: OwnerId) -> Applied<LockOutput> {
    l.apply(LockCommand::Release { owner }, &internal(0, now))
}

fn holder(l: &mut Lock) -> Applied<LockOutput> {
    l.apply(LockCommand::Holder, &internal(0, 0))
}

fn is_locked(l: &mut Lock) -> Applied<LockOutput> {
    l.apply(LockCommand::IsLocked, &internal(0, 0))
}

#[test]
fn free_lock_is_granted_with_strictly_increasing_fences() {
    let mut l = Lock::default();
    assert_eq!(is_locked(&mut l), Applied::ok(LockOutput::Bool(false)));
    assert_eq!(holder(&mut l), Applied::ok(LockOutput::Holder(None)));
    assert_eq!(acquire(&mut l, 0, 1, 1, A, None), Applied::ok(LockOutput::Fence(Fence(1))));
    assert_eq!(is_locked(&mut l), Applied::ok(LockOutput::Bool(true)));
    assert_eq!(holder(&mut l), Applied::ok(LockOutput::Holder(Some((A, Fence(1))))));
    assert_eq!(release(&mut l, 0, A), Applied::ok(LockOutput::Bool(true)));
    assert_eq!(is_locked(&mut l), Applied::ok(LockOutput::Bool(false)));
    assert_eq!(holder(&mut l), Applied::ok(LockOutput::Holder(None)));
    // No session is needed to take a free lock: the owner is the handle's id.
    let sessionless = l.apply(LockCommand::TryAcquire { owner: B, lease: None, timeout: None }, &internal(3, 0));
    assert_eq!(sessionless, Applied::ok(LockOutput::MaybeFence(Some(Fence(2)))));
    assert_eq!(holder(&mut l), Applied::ok(LockOutput::Holder(Some((B, Fence(2))))));
    assert_eq!(l.next_deadline(), None);
}

#[test]
fn acquire_by_the_holder_is_idempotent_and_restarts_the_lease() {
    let mut l = Lock::default();
    assert_eq!(acquire(&mut l, 0, 1, 1, A, ms(100)), Applied::ok(LockOutput::Fence(Fence(1))));
    assert_eq!(l.next_deadline(), Some(Timestamp(100)));
    assert_eq!(acquire(&mut l, 50, 1, 2, A, ms(100)), Applied::ok(LockOutput::Fence(Fence(1))));
    assert_eq!(l.next_deadline(), Some(Timestamp(150)));
    let retried = l.apply(LockCommand::TryAcquire { owner: A, lease: ms(30), timeout: None }, &call(3, 60, 1, 3));
    assert_eq!(retried, Applied::ok(LockOutput::MaybeFence(Some(Fence(1)))));
    assert_eq!(l.next_deadline(), Some(Timestamp(90)));
    // The latest acquire's lease wins, including none at all.
    assert_eq!(acquire(&mut l, 70, 1, 4, A, None), Applied::ok(LockOutput::Fence(Fence(1))));
    assert_eq!(l.next_deadline(), None);
    // Not reentrant: one release frees it.
    assert_eq!(release(&mut l, 80, A), Applied::ok(LockOutput::Bool(true)));
    assert_eq!(is_locked(&mut l), Applied::ok(LockOutput::Bool(false)));
}

#[test]
fn release_by_a_non_holder_answers_false() {
    let mut l = Lock::default();
    assert_eq!(release(&mut l, 0, A), Applied::ok(LockOutput::Bool(false)));
    acquire(&mut l, 0, 1, 1, A, None);
    assert_eq!(release(&mut l, 0, B), Applied::ok(LockOutput::Bool(false)));
    assert_eq!(holder(&mut l), Applied::ok(LockOutput::Holder(Some((A, Fence(1))))));
}

#[test]
fn waiters_are_granted_in_fifo_order_with_leases_starting_at_the_grant() {
    let mut l = Lock::default();
    acquire(&mut l, 0, 1, 1, A, None);
    assert_eq!(acquire(&mut l, 0, 2, 2, B, ms(100)), Applied::parked());
    assert_eq!(try_acquire(&mut l, 0, 3, 3, C, ms(1_000)), Applied::parked());
    assert_eq!(l.waiting(), 2);
    assert_eq!(l.next_deadline(), Some(Timestamp(1_000)));

    assert_eq!(
        release(&mut l, 10, A),
        Applied::ok(LockOutput::Bool(true)).with_effects(vec![Effect::wake(inv(2, 2), LockOutput::Fence(Fence(2)))])
    );
    assert_eq!(holder(&mut l), Applied::ok(LockOutput::Holder(Some((B, Fence(2))))));
    assert_eq!(l.next_deadline(), Some(Timestamp(110)));

    assert_eq!(
        release(&mut l, 20, B),
        Applied::ok(LockOutput::Bool(true))
            .with_effects(vec![Effect::wake(inv(3, 3), LockOutput::MaybeFence(Some(Fence(3))))])
    );
    assert_eq!(l.waiting(), 0);
    assert_eq!(l.next_deadline(), None);
    assert_eq!(l.tick(&internal(0, 5_000)), vec![]);
    assert_eq!(holder(&mut l), Applied::ok(LockOutput::Holder(Some((C, Fence(3))))));
}

#[test]
fn try_acquire_without_timeout_answers_at_once_and_with_timeout_expires_by_tick() {
    let mut l = Lock::default();
    acquire(&mut l, 0, 1, 1, A, None);
    assert_eq!(try_acquire(&mut l, 100, 2, 1, B, None), Applied::ok(LockOutput::MaybeFence(None)));
    assert_eq!(try_acquire(&mut l, 100, 2, 2, B, Some(Duration::ZERO)), Applied::ok(LockOutput::MaybeFence(None)));
    assert_eq!(try_acquire(&mut l, 100, 2, 3, B, ms(50)), Applied::parked());
    assert_eq!(l.next_deadline(), Some(Timestamp(150)));
    assert_eq!(l.tick(&internal(0, 149)), vec![]);
    assert_eq!(l.tick(&internal(0, 150)), vec![Effect::wake(inv(2, 3), LockOutput::MaybeFence(None))]);
    assert_eq!(l.next_deadline(), None);
    assert_eq!(holder(&mut l), Applied::ok(LockOutput::Holder(Some((A, Fence(1))))));
}

#[test]
fn an_expired_lease_frees_the_lock_in_tick_and_grants_the_next_waiter() {
    let mut l = Lock::default();
    acquire(&mut l, 0, 1, 1, A, ms(100));
    assert_eq!(acquire(&mut l, 10, 2, 2, B, ms(50)), Applied::parked());
    assert_eq!(l.next_deadline(), Some(Timestamp(100)));
    assert_eq!(l.tick(&internal(0, 99)), vec![]);
    assert_eq!(l.tick(&internal(0, 100)), vec![Effect::wake(inv(2, 2), LockOutput::Fence(Fence(2)))]);
    assert_eq!(holder(&mut l), Applied::ok(LockOutput::Holder(Some((B, Fence(2))))));
    assert_eq!(l.next_deadline(), Some(Timestamp(150)));
    // The expired holder can no longer release.
    assert_eq!(release(&mut l, 120, A), Applied::ok(LockOutput::Bool(false)));
    assert_eq!(l.tick(&internal(0, 150)), vec![]);
    assert_eq!(is_locked(&mut l), Applied::ok(LockOutput::Bool(false)));
    assert_eq!(l.next_deadline(), None);
    // The next holder still gets a larger fence.
    assert_eq!(acquire(&mut l, 200, 1, 3, A, None), Applied::ok(LockOutput::Fence(Fence(3))));
}

#[test]
fn tick_times_out_waiters_before_handing_over_an_expired_lease() {
    let mut l = Lock::default();
    acquire(&mut l, 0, 1, 1, A, ms(100));
    assert_eq!(try_acquire(&mut l, 0, 2, 2, B, ms(100)), Applied::parked());
    assert_eq!(acquire(&mut l, 0, 3, 3, C, None), Applied::parked());
    assert_eq!(
        l.tick(&internal(0, 100)),
        vec![
            Effect::wake(inv(2, 2), LockOutput::MaybeFence(None)),
            Effect::wake(inv(3, 3), LockOutput::Fence(Fence(2))),
        ]
    );
    assert_eq!(holder(&mut l), Applied::ok(LockOutput::Holder(Some((C, Fence(2))))));
}

#[test]
fn next_deadline_is_the_earlier_of_lease_and_waiter_deadlines() {
    let mut l = Lock::default();
    acquire(&mut l, 0, 1, 1, A, ms(500));
    try_acquire(&mut l, 0, 2, 2, B, ms(200));
    assert_eq!(l.next_deadline(), Some(Timestamp(200)));
    l.tick(&internal(0, 200));
    assert_eq!(l.next_deadline(), Some(Timestamp(500)));
}

#[test]
fn a_zero_lease_is_an_invalid_argument() {
    let mut l = Lock::default();
    let reason = InvalidReason::ZeroLockLease;
    assert_eq!(reason.to_string(), "a lease must be positive; omit it to hold the lock until released");
    assert_eq!(
        acquire(&mut l, 0, 1, 1, A, Some(Duration::ZERO)),
        Applied::err(CoreError::invalid("acquire", reason.clone()))
    );
    let tried =
        l.apply(LockCommand::TryAcquire { owner: A, lease: Some(Duration::ZERO), timeout: None }, &call(2, 0, 1, 2));
    assert_eq!(tried, Applied::err(CoreError::invalid("try_acquire", reason)));
    assert_eq!(is_locked(&mut l), Applied::ok(LockOutput::Bool(false)));
}

#[test]
fn parking_needs_an_invocation() {
    let mut l = Lock::default();
    acquire(&mut l, 0, 1, 1, A, None);
    let blocking = l.apply(LockCommand::Acquire { owner: B, lease: None }, &internal(2, 0));
    assert_eq!(blocking, Applied::err(CoreError::InvocationRequired { operation: "acquire".into() }));
    let timed = l.apply(LockCommand::TryAcquire { owner: B, lease: None, timeout: ms(10) }, &internal(3, 0));
    assert_eq!(timed, Applied::err(CoreError::InvocationRequired { operation: "try_acquire".into() }));
    assert_eq!(l.waiting(), 0);
}

#[test]
fn cancel_removes_only_the_named_waiter() {
    let mut l = Lock::default();
    acquire(&mut l, 0, 1, 1, A, None);
    acquire(&mut l, 0, 2, 2, B, None);
    acquire(&mut l, 0, 3, 3, C, None);
    assert_eq!(
        l.cancel(inv(2, 2), &internal(0, 0)),
        vec![Effect::Wake { invocation: inv(2, 2), result: Err(CoreError::Cancelled { invocation: inv(2, 2) }) }]
    );
    assert_eq!(l.cancel(inv(2, 2), &internal(0, 0)), vec![]);
    assert_eq!(release(&mut l, 0, A).effects, vec![Effect::wake(inv(3, 3), LockOutput::Fence(Fence(2)))]);
}

#[test]
fn ending_a_session_answers_its_waiters_but_keeps_holdings() {
    let mut l = Lock::default();
    acquire(&mut l, 0, 1, 1, A, None);
    acquire(&mut l, 0, 2, 2, B, None);
    try_acquire(&mut l, 0, 1, 3, C, ms(100));
    acquire(&mut l, 0, 3, 4, C, None);
    let effects = l.release_sessions(&BTreeSet::from([SessionId(1), SessionId(2)]), &internal(0, 0));
    assert_eq!(
        effects,
        vec![
            Effect::Wake { invocation: inv(2, 2), result: Err(CoreError::SessionExpired { session: SessionId(2) }) },
            Effect::Wake { invocation: inv(1, 3), result: Err(CoreError::SessionExpired { session: SessionId(1) }) },
        ]
    );
    assert_eq!(holder(&mut l), Applied::ok(LockOutput::Holder(Some((A, Fence(1))))));
    assert_eq!(l.next_deadline(), None);
    assert_eq!(release(&mut l, 0, A).effects, vec![Effect::wake(inv(3, 4), LockOutput::Fence(Fence(2)))]);
}

#[test]
fn fence_overflow_is_an_error_not_a_wrap() {
    let mut l = Lock { last_fence: u64::MAX - 1, ..Lock::default() };
    assert_eq!(acquire(&mut l, 0, 1, 1, A, None), Applied::ok(LockOutput::Fence(Fence(u64::MAX))));
    acquire(&mut l, 0, 2, 2, B, None);
    try_acquire(&mut l, 0, 3, 3, C, ms(10));
    assert_eq!(
        release(&mut l, 0, A),
        Applied::ok(LockOutput::Bool(true)).with_effects(vec![
            Effect::Wake { invocation: inv(2, 2), result: Err(CoreError::overflow("acquire")) },
            Effect::Wake { invocation: inv(3, 3), result: Err(CoreError::overflow("try_acquire")) },
        ])
    );
    assert_eq!(is_locked(&mut l), Applied::ok(LockOutput::Bool(false)));
    assert_eq!(acquire(&mut l, 0, 1, 4, A, None), Applied::err(CoreError::overflow("acquire")));
}

#[test]
fn snapshot_round_trips() {
    let mut l = Lock::default();
    acquire(&mut l, 0, 1, 1, A, ms(100));
    acquire(&mut l, 0, 2, 2, B, ms(50));
    try_acquire(&mut l, 0, 3, 3, C, ms(70));
    let restored = Lock::restore(&l.snapshot().unwrap()).unwrap();
    assert_eq!(restored, l);
}
