use std::collections::BTreeSet;
use std::time::Duration;

use super::*;
use crate::testing::{call, internal, inv};

fn ms(millis: u64) -> Option<Duration> {
    Some(Duration::from_millis(millis))
}

fn arrive(
    b: &mut Barrier,
    now: u64,
    session: u64,
    seq: u64,
    expected: u64,
    timeout: Option<Duration>,
) -> Applied<BarrierOutput> {
    b.apply(BarrierCommand::Arrive { expected, timeout }, &call(seq, now, session, seq))
}

fn waiting(b: &mut Barrier) -> Applied<BarrierOutput> {
    b.apply(BarrierCommand::Waiting, &internal(0, 0))
}

fn round(b: &mut Barrier) -> Applied<BarrierOutput> {
    b.apply(BarrierCommand::Round, &internal(0, 0))
}

fn released(round: u64) -> BarrierOutput {
    BarrierOutput::Released { round }
}

#[test]
fn the_last_party_releases_everyone_and_the_barrier_is_reused() {
    let mut b = Barrier::default();
    assert_eq!(round(&mut b), Applied::ok(BarrierOutput::Round(0)));
    assert_eq!(arrive(&mut b, 0, 1, 1, 3, None), Applied::parked());
    assert_eq!(waiting(&mut b), Applied::ok(BarrierOutput::Count(1)));
    assert_eq!(arrive(&mut b, 0, 2, 2, 3, ms(1_000)), Applied::parked());
    assert_eq!(waiting(&mut b), Applied::ok(BarrierOutput::Count(2)));
    assert_eq!(
        arrive(&mut b, 0, 3, 3, 3, None),
        Applied::ok(released(0))
            .with_effects(vec![Effect::wake(inv(1, 1), released(0)), Effect::wake(inv(2, 2), released(0))])
    );
    assert_eq!(round(&mut b), Applied::ok(BarrierOutput::Round(1)));
    assert_eq!(waiting(&mut b), Applied::ok(BarrierOutput::Count(0)));
    assert_eq!(b.next_deadline(), None);

    // The next round may use another party count.
    assert_eq!(arrive(&mut b, 0, 1, 4, 2, None), Applied::parked());
    assert_eq!(
        arrive(&mut b, 0, 2, 5, 2, None),
        Applied::ok(released(1)).with_effects(vec![Effect::wake(inv(1, 4), released(1))])
    );
    assert_eq!(b.round(), 2);
    assert_eq!(b.waiting(), 0);
}

#[test]
fn a_single_party_passes_at_once_without_an_invocation() {
    let mut b = Barrier::default();
    let alone = b.apply(BarrierCommand::Arrive { expected: 1, timeout: None }, &internal(1, 0));
    assert_eq!(alone, Applied::ok(released(0)));
    assert_eq!(arrive(&mut b, 0, 1, 2, 1, Some(Duration::ZERO)), Applied::ok(released(1)));
    assert_eq!(round(&mut b), Applied::ok(BarrierOutput::Round(2)));
}

#[test]
fn zero_expected_parties_is_an_invalid_argument() {
    let mut b = Barrier::default();
    assert_eq!(
        arrive(&mut b, 0, 1, 1, 0, None),
        Applied::err(CoreError::invalid("arrive", InvalidReason::ZeroParties))
    );
    assert_eq!(waiting(&mut b), Applied::ok(BarrierOutput::Count(0)));
}

#[test]
fn an_arrival_with_another_party_count_is_refused() {
    let mut b = Barrier::default();
    arrive(&mut b, 0, 1, 1, 3, None);
    assert_eq!(
        arrive(&mut b, 0, 2, 2, 2, None),
        Applied::err(CoreError::BarrierMismatch { round: 0, expected: 3, got: 2 })
    );
    assert_eq!(
        arrive(&mut b, 0, 2, 3, 4, None),
        Applied::err(CoreError::BarrierMismatch { round: 0, expected: 3, got: 4 })
    );
    assert_eq!(waiting(&mut b), Applied::ok(BarrierOutput::Count(1)));
}

#[test]
fn a_zero_timeout_times_out_at_once_and_is_not_counted() {
    let mut b = Barrier::default();
    assert_eq!(arrive(&mut b, 0, 1, 1, 3, Some(Duration::ZERO)), Applied::ok(BarrierOutput::TimedOut));
    assert_eq!(waiting(&mut b), Applied::ok(BarrierOutput::Count(0)));
    // It did not fix the party count either.
    assert_eq!(arrive(&mut b, 0, 2, 2, 2, None), Applied::parked());
    assert_eq!(
        arrive(&mut b, 0, 3, 3, 2, Some(Duration::ZERO)),
        Applied::ok(released(0)).with_effects(vec![Effect::wake(inv(2, 2), released(0))])
    );
}

#[test]
fn an_expired_arrival_is_withdrawn_by_tick() {
    let mut b = Barrier::default();
    assert_eq!(arrive(&mut b, 0, 1, 1, 3, ms(100)), Applied::parked());
    assert_eq!(arrive(&mut b, 10, 2, 2, 3, None), Applied::parked());
    assert_eq!(b.next_deadline(), Some(Timestamp(100)));
    assert_eq!(b.tick(&internal(0, 99)), vec![]);
    assert_eq!(b.tick(&internal(0, 100)), vec![Effect::wake(inv(1, 1), BarrierOutput::TimedOut)]);
    assert_eq!(waiting(&mut b), Applied::ok(BarrierOutput::Count(1)));
    assert_eq!(b.next_deadline(), None);
    // The withdrawn arrival no longer counts: two more are needed.
    assert_eq!(arrive(&mut b, 110, 3, 3, 3, None), Applied::parked());
    assert_eq!(
        arrive(&mut b, 120, 4, 4, 3, None),
        Applied::ok(released(0))
            .with_effects(vec![Effect::wake(inv(2, 2), released(0)), Effect::wake(inv(3, 3), released(0))])
    );
}

#[test]
fn a_round_whose_arrivals_all_timed_out_forgets_its_party_count() {
    let mut b = Barrier::default();
    arrive(&mut b, 0, 1, 1, 3, ms(50));
    arrive(&mut b, 0, 2, 2, 3, ms(60));
    assert_eq!(
        b.tick(&internal(0, 60)),
        vec![Effect::wake(inv(1, 1), BarrierOutput::TimedOut), Effect::wake(inv(2, 2), BarrierOutput::TimedOut)]
    );
    assert_eq!(round(&mut b), Applied::ok(BarrierOutput::Round(0)));
    assert_eq!(arrive(&mut b, 70, 3, 3, 2, None), Applied::parked());
}

#[test]
fn cancel_withdraws_only_the_named_arrival() {
    let mut b = Barrier::default();
    arrive(&mut b, 0, 1, 1, 3, None);
    arrive(&mut b, 0, 2, 2, 3, None);
    assert_eq!(
        b.cancel(inv(1, 1), &internal(0, 0)),
        vec![Effect::Wake { invocation: inv(1, 1), result: Err(CoreError::Cancelled { invocation: inv(1, 1) }) }]
    );
    assert_eq!(b.cancel(inv(1, 1), &internal(0, 0)), vec![]);
    assert_eq!(waiting(&mut b), Applied::ok(BarrierOutput::Count(1)));
    // One arrival remains, so the round keeps its party count.
    assert_eq!(
        arrive(&mut b, 0, 3, 3, 2, None),
        Applied::err(CoreError::BarrierMismatch { round: 0, expected: 3, got: 2 })
    );
    assert_eq!(
        b.cancel(inv(2, 2), &internal(0, 0)),
        vec![Effect::Wake { invocation: inv(2, 2), result: Err(CoreError::Cancelled { invocation: inv(2, 2) }) }]
    );
    assert_eq!(arrive(&mut b, 0, 3, 4, 2, None), Applied::parked());
}

#[test]
fn ending_sessions_withdraws_their_arrivals() {
    let mut b = Barrier::default();
    arrive(&mut b, 0, 1, 1, 5, None);
    arrive(&mut b, 0, 2, 2, 5, None);
    arrive(&mut b, 0, 1, 3, 5, ms(100));
    arrive(&mut b, 0, 3, 4, 5, None);
    assert_eq!(
        b.release_sessions(&BTreeSet::from([SessionId(1)]), &internal(0, 0)),
        vec![
            Effect::Wake { invocation: inv(1, 1), result: Err(CoreError::SessionExpired { session: SessionId(1) }) },
            Effect::Wake { invocation: inv(1, 3), result: Err(CoreError::SessionExpired { session: SessionId(1) }) },
        ]
    );
    assert_eq!(waiting(&mut b), Applied::ok(BarrierOutput::Count(2)));
    assert_eq!(b.next_deadline(), None);
    assert_eq!(
        arrive(&mut b, 0, 4, 5, 2, None),
        Applied::err(CoreError::BarrierMismatch { round: 0, expected: 5, got: 2 })
    );
    assert_eq!(
        b.release_sessions(&BTreeSet::from([SessionId(2), SessionId(3)]), &internal(0, 0)),
        vec![
            Effect::Wake { invocation: inv(2, 2), result: Err(CoreError::SessionExpired { session: SessionId(2) }) },
            Effect::Wake { invocation: inv(3, 4), result: Err(CoreError::SessionExpired { session: SessionId(3) }) },
        ]
    );
    assert_eq!(arrive(&mut b, 0, 4, 6, 2, None), Applied::parked());
}

#[test]
fn parking_needs_an_invocation() {
    let mut b = Barrier::default();
    let sessionless = b.apply(BarrierCommand::Arrive { expected: 2, timeout: None }, &internal(1, 0));
    assert_eq!(sessionless, Applied::err(CoreError::InvocationRequired { operation: "arrive".into() }));
    assert_eq!(waiting(&mut b), Applied::ok(BarrierOutput::Count(0)));
    // The refused arrival did not fix the party count.
    assert_eq!(arrive(&mut b, 0, 1, 2, 3, None), Applied::parked());
}

#[test]
fn round_overflow_is_an_error_and_releases_nobody() {
    let mut b = Barrier { round: u64::MAX, ..Barrier::default() };
    assert_eq!(arrive(&mut b, 0, 1, 1, 2, None), Applied::parked());
    assert_eq!(arrive(&mut b, 0, 2, 2, 2, None), Applied::err(CoreError::overflow("arrive")));
    assert_eq!(waiting(&mut b), Applied::ok(BarrierOutput::Count(1)));
    assert_eq!(round(&mut b), Applied::ok(BarrierOutput::Round(u64::MAX)));
}

#[test]
fn snapshot_round_trips() {
    let mut b = Barrier::default();
    arrive(&mut b, 0, 1, 1, 1, None);
    arrive(&mut b, 0, 1, 2, 3, ms(100));
    arrive(&mut b, 0, 2, 3, 3, None);
    let restored = Barrier::restore(&b.snapshot().unwrap()).unwrap();
    assert_eq!(restored, b);
}
