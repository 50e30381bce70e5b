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

fn sem(permits: u32) -> Semaphore {
    Semaphore::new(SemaphoreConfig { permits })
}

fn acquire(
    s: &mut Semaphore,
    now: u64,
    session: u64,
    seq: u64,
    owner: OwnerId,
    lease: Option<Duration>,
) -> Applied<SemaphoreOutput> {
    s.apply(SemaphoreCommand::Acquire { owner, lease }, &call(seq, now, session, seq))
}

fn try_acquire(
    s: &mut Semaphore,
    now: u64,
    session: u64,
    seq: u64,
    owner: OwnerId,
    timeout: Option<Duration>,
) -> Applied<SemaphoreOutput> {
    s.apply(SemaphoreCommand::TryAcquire { owner, lease: None, timeout }, &call(seq, now, session, seq))
}

fn release(s: &mut Semaphore, now: u64, owner: OwnerId) -> Applied<SemaphoreOutput> {
    s.apply(SemaphoreCommand::Release { owner }, &internal(0, now))
}

fn available(s: &mut Semaphore) -> Applied<SemaphoreOutput> {
    s.apply(SemaphoreCommand::Available, &internal(0, 0))
}

fn held_by(s: &mut Semaphore, owner: OwnerId) -> Applied<SemaphoreOutput> {
    s.apply(SemaphoreCommand::HeldBy { owner }, &internal(0, 0))
}

#[test]
fn default_config_has_one_permit() {
    let mut s = Semaphore::default();
    assert_eq!(s.config(), &SemaphoreConfig { permits: 1 });
    assert_eq!(available(&mut s), Applied::ok(SemaphoreOutput::Count(1)));
}

#[test]
fn each_acquire_takes_one_permit_and_an_owner_may_hold_several() {
    let mut s = sem(3);
    assert_eq!(acquire(&mut s, 0, 1, 1, A, None), Applied::ok(SemaphoreOutput::Unit));
    assert_eq!(try_acquire(&mut s, 0, 1, 2, A, None), Applied::ok(SemaphoreOutput::Bool(true)));
    assert_eq!(available(&mut s), Applied::ok(SemaphoreOutput::Count(1)));
    assert_eq!(held_by(&mut s, A), Applied::ok(SemaphoreOutput::Count(2)));
    assert_eq!(held_by(&mut s, B), Applied::ok(SemaphoreOutput::Count(0)));
    // No session is needed while a permit is free.
    let sessionless = s.apply(SemaphoreCommand::Acquire { owner: B, lease: None }, &internal(3, 0));
    assert_eq!(sessionless, Applied::ok(SemaphoreOutput::Unit));
    assert_eq!(available(&mut s), Applied::ok(SemaphoreOutput::Count(0)));
    assert_eq!(release(&mut s, 0, A), Applied::ok(SemaphoreOutput::Bool(true)));
    assert_eq!(held_by(&mut s, A), Applied::ok(SemaphoreOutput::Count(1)));
    assert_eq!(available(&mut s), Applied::ok(SemaphoreOutput::Count(1)));
    assert_eq!(s.next_deadline(), None);
}

#[test]
fn release_without_a_permit_answers_false() {
    let mut s = sem(2);
    assert_eq!(release(&mut s, 0, A), Applied::ok(SemaphoreOutput::Bool(false)));
    acquire(&mut s, 0, 1, 1, A, None);
    assert_eq!(release(&mut s, 0, B), Applied::ok(SemaphoreOutput::Bool(false)));
    assert_eq!(available(&mut s), Applied::ok(SemaphoreOutput::Count(1)));
}

#[test]
fn release_returns_the_owners_oldest_permit() {
    let mut s = sem(3);
    acquire(&mut s, 0, 1, 1, A, ms(100));
    acquire(&mut s, 0, 2, 2, B, ms(300));
    acquire(&mut s, 10, 1, 3, A, ms(200));
    assert_eq!(s.next_deadline(), Some(Timestamp(100)));
    assert_eq!(release(&mut s, 20, A), Applied::ok(SemaphoreOutput::Bool(true)));
    // The lease that ends at 100 was A's oldest grant; the one ending at 210 remains.
    assert_eq!(s.next_deadline(), Some(Timestamp(210)));
    assert_eq!(held_by(&mut s, A), Applied::ok(SemaphoreOutput::Count(1)));
}

#[test]
fn waiters_are_granted_in_fifo_order() {
    let mut s = sem(1);
    acquire(&mut s, 0, 1, 1, A, None);
    assert_eq!(acquire(&mut s, 0, 2, 2, B, None), Applied::parked());
    assert_eq!(try_acquire(&mut s, 0, 3, 3, C, ms(1_000)), Applied::parked());
    assert_eq!(s.waiting(), 2);
    assert_eq!(
        release(&mut s, 10, A),
        Applied::ok(SemaphoreOutput::Bool(true)).with_effects(vec![Effect::wake(inv(2, 2), SemaphoreOutput::Unit)])
    );
    assert_eq!(held_by(&mut s, B), Applied::ok(SemaphoreOutput::Count(1)));
    assert_eq!(try_acquire(&mut s, 20, 1, 4, A, None), Applied::ok(SemaphoreOutput::Bool(false)));
    assert_eq!(
        release(&mut s, 30, B),
        Applied::ok(SemaphoreOutput::Bool(true))
            .with_effects(vec![Effect::wake(inv(3, 3), SemaphoreOutput::Bool(true))])
    );
    assert_eq!(s.waiting(), 0);
    assert_eq!(s.next_deadline(), None);
    assert_eq!(held_by(&mut s, C), Applied::ok(SemaphoreOutput::Count(1)));
}

#[test]
fn a_free_permit_is_not_taken_past_a_queued_waiter() {
    // Normally unreachable (a queued waiter implies no free permit), so build it by hand.
    let mut s = sem(2);
    acquire(&mut s, 0, 1, 1, A, None);
    s.waiters.push(Waiter::new(inv(2, 2), &call(0, 0, 2, 2), None, SemWait { owner: B, lease: None, is_try: false }));
    assert_eq!(try_acquire(&mut s, 0, 3, 3, C, None), Applied::ok(SemaphoreOutput::Bool(false)));
    assert_eq!(acquire(&mut s, 0, 3, 4, C, None), Applied::parked());
    // Removing a waiter hands the free permit to the next one.
    assert_eq!(
        s.cancel(inv(2, 2), &internal(0, 0)),
        vec![
            Effect::Wake { invocation: inv(2, 2), result: Err(CoreError::Cancelled { invocation: inv(2, 2) }) },
            Effect::wake(inv(3, 4), SemaphoreOutput::Unit),
        ]
    );
    assert_eq!(held_by(&mut s, C), Applied::ok(SemaphoreOutput::Count(1)));
}

#[test]
fn try_acquire_without_timeout_answers_at_once_and_with_timeout_expires_by_tick() {
    let mut s = sem(1);
    acquire(&mut s, 0, 1, 1, A, None);
    assert_eq!(try_acquire(&mut s, 100, 2, 1, B, None), Applied::ok(SemaphoreOutput::Bool(false)));
    assert_eq!(try_acquire(&mut s, 100, 2, 2, B, Some(Duration::ZERO)), Applied::ok(SemaphoreOutput::Bool(false)));
    assert_eq!(try_acquire(&mut s, 100, 2, 3, B, ms(50)), Applied::parked());
    assert_eq!(s.next_deadline(), Some(Timestamp(150)));
    assert_eq!(s.tick(&internal(0, 149)), vec![]);
    assert_eq!(s.tick(&internal(0, 150)), vec![Effect::wake(inv(2, 3), SemaphoreOutput::Bool(false))]);
    assert_eq!(s.next_deadline(), None);
    assert_eq!(held_by(&mut s, A), Applied::ok(SemaphoreOutput::Count(1)));
}

#[test]
fn tick_times_out_waiters_then_expires_leases_then_grants_in_order() {
    let mut s = sem(2);
    acquire(&mut s, 0, 1, 1, A, ms(100));
    acquire(&mut s, 0, 2, 2, B, ms(200));
    assert_eq!(try_acquire(&mut s, 0, 3, 3, C, ms(100)), Applied::parked());
    assert_eq!(acquire(&mut s, 10, 4, 4, C, ms(50)), Applied::parked());
    assert_eq!(s.next_deadline(), Some(Timestamp(100)));
    assert_eq!(s.tick(&internal(0, 99)), vec![]);
    assert_eq!(
        s.tick(&internal(0, 100)),
        vec![Effect::wake(inv(3, 3), SemaphoreOutput::Bool(false)), Effect::wake(inv(4, 4), SemaphoreOutput::Unit)]
    );
    assert_eq!(held_by(&mut s, A), Applied::ok(SemaphoreOutput::Count(0)));
    assert_eq!(held_by(&mut s, C), Applied::ok(SemaphoreOutput::Count(1)));
    // C's lease started at the grant (100), so it ends at 150, before B's at 200.
    assert_eq!(s.next_deadline(), Some(Timestamp(150)));
    assert_eq!(s.tick(&internal(0, 200)), vec![]);
    assert_eq!(available(&mut s), Applied::ok(SemaphoreOutput::Count(2)));
    assert_eq!(s.next_deadline(), None);
    // An expired owner's release finds nothing.
    assert_eq!(release(&mut s, 210, A), Applied::ok(SemaphoreOutput::Bool(false)));
}

#[test]
fn a_zero_lease_is_an_invalid_argument() {
    let mut s = sem(1);
    let reason = InvalidReason::ZeroPermitLease;
    assert_eq!(reason.to_string(), "a lease must be positive; omit it to hold the permit until released");
    assert_eq!(
        acquire(&mut s, 0, 1, 1, A, Some(Duration::ZERO)),
        Applied::err(CoreError::invalid("acquire", reason.clone()))
    );
    let tried = s.apply(
        SemaphoreCommand::TryAcquire { owner: A, lease: Some(Duration::ZERO), timeout: None },
        &call(2, 0, 1, 2),
    );
    assert_eq!(tried, Applied::err(CoreError::invalid("try_acquire", reason)));
    assert_eq!(available(&mut s), Applied::ok(SemaphoreOutput::Count(1)));
}

#[test]
fn parking_needs_an_invocation() {
    let mut s = sem(1);
    acquire(&mut s, 0, 1, 1, A, None);
    let blocking = s.apply(SemaphoreCommand::Acquire { owner: B, lease: None }, &internal(2, 0));
    assert_eq!(blocking, Applied::err(CoreError::InvocationRequired { operation: "acquire".into() }));
    let timed = s.apply(SemaphoreCommand::TryAcquire { owner: B, lease: None, timeout: ms(10) }, &internal(3, 0));
    assert_eq!(timed, Applied::err(CoreError::InvocationRequired { operation: "try_acquire".into() }));
    assert_eq!(s.waiting(), 0);
}

#[test]
fn cancel_removes_only_the_named_waiter() {
    let mut s = sem(1);
    acquire(&mut s, 0, 1, 1, A, None);
    acquire(&mut s, 0, 2, 2, B, None);
    acquire(&mut s, 0, 3, 3, C, None);
    assert_eq!(
        s.cancel(inv(2, 2), &internal(0, 0)),
        vec![Effect::Wake { invocation: inv(2, 2), result: Err(CoreError::Cancelled { invocation: inv(2, 2) }) }]
    );
    assert_eq!(s.cancel(inv(2, 2), &internal(0, 0)), vec![]);
    assert_eq!(release(&mut s, 0, A).effects, vec![Effect::wake(inv(3, 3), SemaphoreOutput::Unit)]);
}

#[test]
fn ending_a_session_answers_its_waiters_but_keeps_permits() {
    let mut s = sem(1);
    acquire(&mut s, 0, 1, 1, A, None);
    acquire(&mut s, 0, 2, 2, B, None);
    try_acquire(&mut s, 0, 1, 3, C, ms(100));
    acquire(&mut s, 0, 3, 4, C, None);
    let effects = s.release_sessions(&BTreeSet::from([SessionId(1), SessionId(2)]), &internal(0, 0));
    assert_eq!(
        effects,
        vec![
            Effect::Wake { invocation: inv(2, 2), result: Err(CoreError::SessionExpired { session: SessionId(2) }) },
            Effect::Wake { invocation: inv(1, 3), result: Err(CoreError::SessionExpired { session: SessionId(1) }) },
        ]
    );
    assert_eq!(held_by(&mut s, A), Applied::ok(SemaphoreOutput::Count(1)));
    assert_eq!(s.next_deadline(), None);
    assert_eq!(release(&mut s, 0, A).effects, vec![Effect::wake(inv(3, 4), SemaphoreOutput::Unit)]);
}

#[test]
fn zero_permits_never_grants() {
    let mut s = sem(0);
    assert_eq!(available(&mut s), Applied::ok(SemaphoreOutput::Count(0)));
    assert_eq!(try_acquire(&mut s, 0, 1, 1, A, None), Applied::ok(SemaphoreOutput::Bool(false)));
    assert_eq!(acquire(&mut s, 0, 1, 2, A, None), Applied::parked());
}

#[test]
fn snapshot_round_trips() {
    let mut s = sem(2);
    acquire(&mut s, 0, 1, 1, A, ms(100));
    acquire(&mut s, 0, 2, 2, B, None);
    acquire(&mut s, 0, 3, 3, C, ms(50));
    try_acquire(&mut s, 0, 4, 4, C, ms(70));
    let restored = Semaphore::restore(&s.snapshot().unwrap()).unwrap();
    assert_eq!(restored, s);
}
