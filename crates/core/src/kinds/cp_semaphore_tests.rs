use std::collections::{BTreeSet, VecDeque};
use std::time::Duration;

use proptest::prelude::*;

use super::*;
use crate::machine::Reply;
use crate::testing::{call, internal, inv, session_read};

use CpSemaphoreCommand as C;
use CpSemaphoreOutput as O;

fn sem_with(permits: u64) -> CpSemaphore {
    let mut s = CpSemaphore::default();
    assert_eq!(s.apply(C::Init { permits }, &internal(1, 0)), Applied::ok(O::Unit));
    s
}

fn acquire(s: &mut CpSemaphore, index: u64, session: u64, seq: u64, permits: u64) -> Applied<O> {
    s.apply(C::Acquire { permits }, &call(index, 0, session, seq))
}

fn try_acquire(
    s: &mut CpSemaphore,
    index: u64,
    now: u64,
    session: u64,
    seq: u64,
    permits: u64,
    ms: Option<u64>,
) -> Applied<O> {
    s.apply(C::TryAcquire { permits, timeout: ms.map(Duration::from_millis) }, &call(index, now, session, seq))
}

fn release(s: &mut CpSemaphore, index: u64, session: u64, seq: u64, permits: u64) -> Applied<O> {
    s.apply(C::Release { permits }, &call(index, 0, session, seq))
}

fn available(s: &mut CpSemaphore) -> Applied<O> {
    s.apply(C::AvailablePermits, &internal(99, 0))
}

#[test]
fn init_sets_the_permits_once() {
    let mut s = CpSemaphore::default();
    assert!(!s.initialized());
    assert_eq!(available(&mut s), Applied::ok(O::Permits(0)));
    assert_eq!(
        s.apply(C::Init { permits: u64::MAX }, &internal(1, 0)),
        Applied::err(CoreError::invalid("init", InvalidReason::TooManyPermits { max: i64::MAX.unsigned_abs() }))
    );
    assert!(!s.initialized());
    assert_eq!(s.apply(C::Init { permits: 5 }, &internal(2, 0)), Applied::ok(O::Unit));
    assert!(s.initialized());
    assert_eq!(available(&mut s), Applied::ok(O::Permits(5)));
    assert_eq!(s.apply(C::Init { permits: 7 }, &internal(3, 0)), Applied::err(CoreError::AlreadyInitialized));
    assert_eq!(available(&mut s), Applied::ok(O::Permits(5)));
    // Zero permits is a valid initial value.
    let mut zero = CpSemaphore::default();
    assert_eq!(zero.apply(C::Init { permits: 0 }, &internal(1, 0)), Applied::ok(O::Unit));
    assert!(zero.initialized());
}

#[test]
fn acquire_and_release_move_permits_between_the_pool_and_the_session() {
    let mut s = sem_with(5);
    assert_eq!(acquire(&mut s, 2, 1, 1, 2), Applied::ok(O::Unit));
    assert_eq!(try_acquire(&mut s, 3, 0, 1, 2, 1, None), Applied::ok(O::Bool(true)));
    assert_eq!(s.held_by(SessionId(1)), 3);
    assert_eq!(available(&mut s), Applied::ok(O::Permits(2)));
    assert_eq!(release(&mut s, 4, 1, 3, 1), Applied::ok(O::Unit));
    assert_eq!(s.held_by(SessionId(1)), 2);
    assert_eq!(release(&mut s, 5, 1, 4, 3), Applied::err(CoreError::PermitsNotHeld { requested: 3, held: 2 }));
    assert_eq!(release(&mut s, 6, 2, 1, 1), Applied::err(CoreError::PermitsNotHeld { requested: 1, held: 0 }));
    assert_eq!(release(&mut s, 7, 1, 5, 2), Applied::ok(O::Unit));
    assert_eq!(s.held_by(SessionId(1)), 0);
    assert!(s.held.is_empty());
    assert_eq!(available(&mut s), Applied::ok(O::Permits(5)));
}

#[test]
fn permit_counts_must_be_positive_and_fit_an_i64() {
    let mut s = sem_with(5);
    assert_eq!(acquire(&mut s, 2, 1, 1, 0), Applied::err(CoreError::invalid("acquire", InvalidReason::ZeroPermits)));
    assert_eq!(
        try_acquire(&mut s, 3, 0, 1, 2, 0, Some(10)),
        Applied::err(CoreError::invalid("try_acquire", InvalidReason::ZeroPermits))
    );
    assert_eq!(release(&mut s, 4, 1, 3, 0), Applied::err(CoreError::invalid("release", InvalidReason::ZeroPermits)));
    let too_many = InvalidReason::TooManyPermits { max: i64::MAX.unsigned_abs() };
    assert_eq!(too_many.to_string(), format!("permits must be at most {}", i64::MAX));
    assert_eq!(acquire(&mut s, 5, 1, 4, u64::MAX), Applied::err(CoreError::invalid("acquire", too_many.clone())));
    assert_eq!(
        s.apply(C::IncreasePermits { permits: u64::MAX }, &internal(6, 0)),
        Applied::err(CoreError::invalid("increase_permits", too_many.clone()))
    );
    assert_eq!(
        s.apply(C::ReducePermits { permits: u64::MAX }, &internal(7, 0)),
        Applied::err(CoreError::invalid("reduce_permits", too_many))
    );
    assert_eq!(s.waiting(), 0);
    assert_eq!(available(&mut s), Applied::ok(O::Permits(5)));
}

#[test]
fn permit_calls_need_a_session_and_parking_needs_an_invocation() {
    let mut s = sem_with(1);
    for (command, operation) in [
        (C::Acquire { permits: 1 }, "acquire"),
        (C::TryAcquire { permits: 1, timeout: None }, "try_acquire"),
        (C::Release { permits: 1 }, "release"),
        (C::DrainPermits, "drain_permits"),
    ] {
        assert_eq!(
            s.apply(command, &internal(2, 0)),
            Applied::err(CoreError::SessionRequired { operation: operation.into() })
        );
    }
    // Granted at once: a session is enough.
    assert_eq!(s.apply(C::Acquire { permits: 1 }, &session_read(3, 0, 1)), Applied::ok(O::Unit));
    assert_eq!(
        s.apply(C::Acquire { permits: 1 }, &session_read(4, 0, 2)),
        Applied::err(CoreError::InvocationRequired { operation: "acquire".into() })
    );
    assert_eq!(
        s.apply(C::TryAcquire { permits: 1, timeout: Some(Duration::from_secs(1)) }, &session_read(5, 0, 2)),
        Applied::err(CoreError::InvocationRequired { operation: "try_acquire".into() })
    );
    // A try without a timeout never parks, so it needs no invocation.
    assert_eq!(
        s.apply(C::TryAcquire { permits: 1, timeout: None }, &session_read(6, 0, 2)),
        Applied::ok(O::Bool(false))
    );
    assert_eq!(s.waiting(), 0);
}

#[test]
fn waiters_are_granted_in_fifo_order_and_a_large_head_blocks_the_rest() {
    let mut s = sem_with(2);
    assert_eq!(acquire(&mut s, 2, 1, 1, 2), Applied::ok(O::Unit));
    assert_eq!(acquire(&mut s, 3, 2, 1, 3), Applied::parked());
    assert_eq!(acquire(&mut s, 4, 3, 1, 1), Applied::parked());
    // One permit back is not enough for the head, and the smaller request behind waits.
    assert_eq!(release(&mut s, 5, 1, 2, 1), Applied::ok(O::Unit));
    assert_eq!(s.waiting(), 2);
    // A new caller does not overtake the queue even though a permit is free.
    assert_eq!(acquire(&mut s, 6, 4, 1, 1), Applied::parked());
    assert_eq!(try_acquire(&mut s, 7, 0, 4, 2, 1, None), Applied::ok(O::Bool(false)));
    assert_eq!(
        s.apply(C::IncreasePermits { permits: 3 }, &internal(8, 0)),
        Applied::ok(O::Unit).with_effects(vec![Effect::wake(inv(2, 1), O::Unit), Effect::wake(inv(3, 1), O::Unit)])
    );
    assert_eq!(s.held_by(SessionId(2)), 3);
    assert_eq!(s.held_by(SessionId(3)), 1);
    assert_eq!(release(&mut s, 9, 1, 3, 1), Applied::ok(O::Unit).with_effects(vec![Effect::wake(inv(4, 1), O::Unit)]));
    assert_eq!(s.waiting(), 0);
    assert_eq!(available(&mut s), Applied::ok(O::Permits(0)));
}

#[test]
fn try_acquire_without_a_timeout_answers_at_once_and_with_one_expires_by_tick() {
    let mut s = sem_with(1);
    acquire(&mut s, 2, 1, 1, 1);
    assert_eq!(try_acquire(&mut s, 3, 100, 2, 1, 1, None), Applied::ok(O::Bool(false)));
    assert_eq!(try_acquire(&mut s, 4, 100, 2, 2, 1, Some(0)), Applied::ok(O::Bool(false)));
    assert_eq!(try_acquire(&mut s, 5, 100, 2, 3, 1, Some(50)), Applied::parked());
    assert_eq!(s.next_deadline(), Some(Timestamp(150)));
    assert_eq!(s.tick(&internal(6, 149)), vec![]);
    assert_eq!(s.tick(&internal(7, 150)), vec![Effect::wake(inv(2, 3), O::Bool(false))]);
    assert_eq!(s.next_deadline(), None);
    assert_eq!(s.held_by(SessionId(2)), 0);
    assert_eq!(s.held_by(SessionId(1)), 1);
}

#[test]
fn an_expired_head_lets_the_waiters_behind_it_through() {
    let mut s = sem_with(2);
    acquire(&mut s, 2, 1, 1, 1);
    assert_eq!(try_acquire(&mut s, 3, 0, 2, 1, 2, Some(10)), Applied::parked());
    assert_eq!(acquire(&mut s, 4, 3, 1, 1), Applied::parked());
    assert_eq!(try_acquire(&mut s, 5, 0, 4, 1, 1, Some(100)), Applied::parked());
    assert_eq!(
        s.tick(&internal(6, 10)),
        vec![Effect::wake(inv(2, 1), O::Bool(false)), Effect::wake(inv(3, 1), O::Unit)]
    );
    assert_eq!(s.waiting(), 1);
    assert_eq!(
        release(&mut s, 7, 1, 2, 1),
        Applied::ok(O::Unit).with_effects(vec![Effect::wake(inv(4, 1), O::Bool(true))])
    );
    // Granted before its deadline: the later tick has nothing to do.
    assert_eq!(s.next_deadline(), None);
    assert_eq!(s.tick(&internal(8, 1_000)), vec![]);
}

#[test]
fn cancel_answers_the_waiter_and_serves_those_it_was_blocking() {
    let mut s = sem_with(1);
    assert_eq!(acquire(&mut s, 2, 1, 1, 3), Applied::parked());
    assert_eq!(acquire(&mut s, 3, 2, 1, 1), Applied::parked());
    assert_eq!(
        s.cancel(inv(1, 1), &internal(4, 0)),
        vec![
            Effect::Wake { invocation: inv(1, 1), result: Err(CoreError::Cancelled { invocation: inv(1, 1) }) },
            Effect::wake(inv(2, 1), O::Unit),
        ]
    );
    assert_eq!(s.cancel(inv(1, 1), &internal(5, 0)), vec![]);
    assert_eq!(s.held_by(SessionId(1)), 0);
    assert_eq!(s.held_by(SessionId(2)), 1);
}

#[test]
fn released_sessions_lose_their_waiters_and_give_back_their_permits() {
    let mut s = sem_with(3);
    acquire(&mut s, 2, 1, 1, 2);
    acquire(&mut s, 3, 2, 1, 1);
    assert_eq!(acquire(&mut s, 4, 3, 1, 3), Applied::parked());
    assert_eq!(acquire(&mut s, 5, 1, 2, 1), Applied::parked());
    assert_eq!(try_acquire(&mut s, 6, 0, 4, 1, 1, Some(100)), Applied::parked());
    let effects = s.release_sessions(&BTreeSet::from([SessionId(1), SessionId(2)]), &internal(7, 0));
    assert_eq!(
        effects,
        vec![
            Effect::Wake { invocation: inv(1, 2), result: Err(CoreError::SessionExpired { session: SessionId(1) }) },
            Effect::wake(inv(3, 1), O::Unit),
        ]
    );
    assert_eq!(s.held_by(SessionId(1)), 0);
    assert_eq!(s.held_by(SessionId(2)), 0);
    assert_eq!(s.held_by(SessionId(3)), 3);
    assert_eq!(s.waiting(), 1);
    assert_eq!(
        s.release_sessions(&BTreeSet::from([SessionId(3)]), &internal(8, 0)),
        vec![Effect::wake(inv(4, 1), O::Bool(true))]
    );
    assert_eq!(available(&mut s), Applied::ok(O::Permits(2)));
}

#[test]
fn drain_takes_every_positive_permit_for_the_caller() {
    let mut s = sem_with(4);
    acquire(&mut s, 2, 1, 1, 1);
    assert_eq!(s.apply(C::DrainPermits, &call(3, 0, 2, 1)), Applied::ok(O::Permits(3)));
    assert_eq!(s.held_by(SessionId(2)), 3);
    assert_eq!(available(&mut s), Applied::ok(O::Permits(0)));
    assert_eq!(s.apply(C::DrainPermits, &session_read(4, 0, 3)), Applied::ok(O::Permits(0)));
    assert!(!s.held.contains_key(&SessionId(3)));
    s.apply(C::ReducePermits { permits: 2 }, &internal(5, 0));
    assert_eq!(s.apply(C::DrainPermits, &call(6, 0, 3, 1)), Applied::ok(O::Permits(0)));
    assert_eq!(available(&mut s), Applied::ok(O::Permits(-2)));
    // Drained permits are held like acquired ones.
    assert_eq!(release(&mut s, 7, 2, 2, 3), Applied::ok(O::Unit));
    assert_eq!(available(&mut s), Applied::ok(O::Permits(1)));
}

#[test]
fn reduce_may_go_negative_and_increase_serves_waiters() {
    let mut s = CpSemaphore::default();
    assert_eq!(s.apply(C::ReducePermits { permits: 0 }, &internal(1, 0)), Applied::ok(O::Unit));
    assert!(s.initialized());
    assert_eq!(s.apply(C::Init { permits: 3 }, &internal(2, 0)), Applied::err(CoreError::AlreadyInitialized));
    assert_eq!(s.apply(C::ReducePermits { permits: 2 }, &internal(3, 0)), Applied::ok(O::Unit));
    assert_eq!(available(&mut s), Applied::ok(O::Permits(-2)));
    assert_eq!(acquire(&mut s, 4, 1, 1, 1), Applied::parked());
    assert_eq!(s.apply(C::IncreasePermits { permits: 2 }, &internal(5, 0)), Applied::ok(O::Unit));
    assert_eq!(s.waiting(), 1);
    assert_eq!(
        s.apply(C::IncreasePermits { permits: 1 }, &internal(6, 0)),
        Applied::ok(O::Unit).with_effects(vec![Effect::wake(inv(1, 1), O::Unit)])
    );
    assert_eq!(available(&mut s), Applied::ok(O::Permits(0)));

    let mut fresh = CpSemaphore::default();
    assert_eq!(fresh.apply(C::IncreasePermits { permits: 0 }, &internal(1, 0)), Applied::ok(O::Unit));
    assert!(fresh.initialized());
    assert_eq!(fresh.apply(C::Init { permits: 1 }, &internal(2, 0)), Applied::err(CoreError::AlreadyInitialized));
}

#[test]
fn acquires_before_init_wait_for_it() {
    let mut s = CpSemaphore::default();
    assert_eq!(acquire(&mut s, 1, 1, 1, 2), Applied::parked());
    assert_eq!(try_acquire(&mut s, 2, 0, 2, 1, 1, Some(1_000)), Applied::parked());
    assert_eq!(
        s.apply(C::Init { permits: 3 }, &internal(3, 0)),
        Applied::ok(O::Unit)
            .with_effects(vec![Effect::wake(inv(1, 1), O::Unit), Effect::wake(inv(2, 1), O::Bool(true))])
    );
    assert_eq!(available(&mut s), Applied::ok(O::Permits(0)));
}

#[test]
fn arithmetic_beyond_64_bits_is_refused_and_changes_nothing() {
    let max = u64::try_from(i64::MAX).unwrap();
    let mut s = sem_with(max);
    assert_eq!(
        s.apply(C::IncreasePermits { permits: 1 }, &internal(2, 0)),
        Applied::err(CoreError::overflow("increase_permits"))
    );
    // Held permits count toward the total too, so a session's permits can always go back.
    assert_eq!(s.apply(C::DrainPermits, &call(3, 0, 1, 1)), Applied::ok(O::Permits(i64::MAX)));
    assert_eq!(
        s.apply(C::IncreasePermits { permits: 1 }, &internal(4, 0)),
        Applied::err(CoreError::overflow("increase_permits"))
    );
    assert_eq!(available(&mut s), Applied::ok(O::Permits(0)));
    assert_eq!(s.release_sessions(&BTreeSet::from([SessionId(1)]), &internal(5, 0)), vec![]);
    assert_eq!(available(&mut s), Applied::ok(O::Permits(i64::MAX)));

    let mut low = CpSemaphore::default();
    assert_eq!(low.apply(C::ReducePermits { permits: max }, &internal(1, 0)), Applied::ok(O::Unit));
    assert_eq!(
        low.apply(C::ReducePermits { permits: 2 }, &internal(2, 0)),
        Applied::err(CoreError::overflow("reduce_permits"))
    );
    assert_eq!(available(&mut low), Applied::ok(O::Permits(-i64::MAX)));
}

#[test]
fn snapshot_round_trips() {
    let mut s = sem_with(2);
    acquire(&mut s, 2, 1, 1, 2);
    try_acquire(&mut s, 3, 0, 2, 1, 1, Some(100));
    let restored = CpSemaphore::restore(&s.snapshot().unwrap()).unwrap();
    assert_eq!(restored, s);
    assert_eq!(restored.next_deadline(), Some(Timestamp(100)));
}

// ---- Property tests -------------------------------------------------------------------

/// One step of a random history. Sessions are 1..=3.
#[derive(Clone, Debug)]
enum Step {
    Init(u64),
    Acquire {
        session: u64,
        permits: u64,
    },
    TryAcquire {
        session: u64,
        permits: u64,
        timeout_ms: Option<u64>,
    },
    Release {
        session: u64,
        permits: u64,
    },
    Increase(u64),
    Reduce(u64),
    Drain {
        session: u64,
    },
    Available,
    Tick {
        advance_ms: u64,
    },
    /// Cancels the parked call at this position (modulo the queue length), or an unknown one.
    Cancel {
        pick: usize,
    },
    ReleaseSessions(Vec<u64>),
}

fn step() -> impl Strategy<Value = Step> {
    let session = 1u64..=3;
    let permits = 1u64..=3;
    prop_oneof![
        1 => (0u64..=5).prop_map(Step::Init),
        4 => (session.clone(), permits.clone()).prop_map(|(session, permits)| Step::Acquire { session, permits }),
        3 => (session.clone(), permits.clone(), proptest::option::of(0u64..80))
            .prop_map(|(session, permits, timeout_ms)| Step::TryAcquire { session, permits, timeout_ms }),
        4 => (session.clone(), permits).prop_map(|(session, permits)| Step::Release { session, permits }),
        2 => (0u64..=3).prop_map(Step::Increase),
        1 => (0u64..=3).prop_map(Step::Reduce),
        1 => session.prop_map(|session| Step::Drain { session }),
        1 => Just(Step::Available),
        3 => (0u64..60).prop_map(|advance_ms| Step::Tick { advance_ms }),
        2 => (0usize..8).prop_map(|pick| Step::Cancel { pick }),
        1 => proptest::sample::subsequence(vec![1u64, 2, 3], 1..=2).prop_map(Step::ReleaseSessions),
    ]
}

/// What one step produced: an apply's result, or a hook's effects.
#[derive(Clone, Debug, PartialEq, Eq)]
enum Record {
    Applied(Applied<O>),
    Effects(Vec<Effect<O>>),
}

impl Record {
    fn effects(&self) -> &[Effect<O>] {
        match self {
            Record::Applied(applied) => &applied.effects,
            Record::Effects(effects) => effects,
        }
    }
}

/// Drives a semaphore through steps, choosing indexes, times and invocation ids.
#[derive(Clone, Debug, Default)]
struct Driver {
    sem: CpSemaphore,
    index: u64,
    now: u64,
    seqs: [u64; 4],
}

impl Driver {
    /// Applies `step`, answering what it produced and, for apply steps, the invocation.
    fn run(&mut self, step: &Step) -> (Record, Option<InvocationId>) {
        self.index += 1;
        let index = self.index;
        let mut invoked = |command: C, session: u64| {
            let slot = usize::try_from(session).unwrap();
            self.seqs[slot] += 1;
            let ctx = call(index, self.now, session, self.seqs[slot]);
            (Record::Applied(self.sem.apply(command, &ctx)), ctx.invocation)
        };
        match *step {
            Step::Acquire { session, permits } => invoked(C::Acquire { permits }, session),
            Step::TryAcquire { session, permits, timeout_ms } => {
                invoked(C::TryAcquire { permits, timeout: timeout_ms.map(Duration::from_millis) }, session)
            }
            Step::Release { session, permits } => invoked(C::Release { permits }, session),
            Step::Drain { session } => invoked(C::DrainPermits, session),
            Step::Init(permits) => {
                (Record::Applied(self.sem.apply(C::Init { permits }, &internal(index, self.now))), None)
            }
            Step::Increase(permits) => {
                (Record::Applied(self.sem.apply(C::IncreasePermits { permits }, &internal(index, self.now))), None)
            }
            Step::Reduce(permits) => {
                (Record::Applied(self.sem.apply(C::ReducePermits { permits }, &internal(index, self.now))), None)
            }
            Step::Available => (Record::Applied(self.sem.apply(C::AvailablePermits, &internal(index, self.now))), None),
            Step::Tick { advance_ms } => {
                self.now += advance_ms;
                (Record::Effects(self.sem.tick(&internal(index, self.now))), None)
            }
            Step::Cancel { pick } => {
                let parked: Vec<_> = self.sem.waiters.iter().map(|w| w.invocation).collect();
                let target = if parked.is_empty() { inv(9, 9) } else { parked[pick % parked.len()] };
                (Record::Effects(self.sem.cancel(target, &internal(index, self.now))), None)
            }
            Step::ReleaseSessions(ref sessions) => {
                let sessions = sessions.iter().map(|&s| SessionId(s)).collect();
                (Record::Effects(self.sem.release_sessions(&sessions, &internal(index, self.now))), None)
            }
        }
    }
}

fn is_grant(result: &Result<O, CoreError>) -> bool {
    matches!(result, Ok(O::Unit | O::Bool(true)))
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn permits_are_conserved_and_waiters_are_granted_in_parking_order(steps in proptest::collection::vec(step(), 1..80)) {
        let mut driver = Driver::default();
        // The total the commands configured: initial permits + increases - reductions.
        let mut total: i64 = 0;
        // Parked calls not yet answered, in parking order.
        let mut parked: VecDeque<InvocationId> = VecDeque::new();
        for step in &steps {
            let queue_was_empty = driver.sem.waiting() == 0;
            let (record, invocation) = driver.run(step);
            if let Record::Applied(applied) = &record {
                match (step, &applied.response) {
                    (Step::Init(p), Reply::Ready(Ok(_))) => total = i64::try_from(*p).unwrap(),
                    (Step::Increase(p), Reply::Ready(Ok(_))) => total += i64::try_from(*p).unwrap(),
                    (Step::Reduce(p), Reply::Ready(Ok(_))) => total -= i64::try_from(*p).unwrap(),
                    (Step::Acquire { .. } | Step::TryAcquire { .. }, Reply::Ready(result)) if is_grant(result) => {
                        // No barging: granted at once only when nobody was waiting.
                        prop_assert!(queue_was_empty, "{step:?} overtook parked calls");
                    }
                    (_, Reply::Parked) => parked.push_back(invocation.unwrap()),
                    _ => {}
                }
            }
            for effect in record.effects() {
                let Effect::Wake { invocation, result } = effect;
                if is_grant(result) {
                    prop_assert_eq!(parked.front(), Some(invocation), "grant out of parking order");
                }
                let position = parked.iter().position(|p| p == invocation);
                prop_assert!(position.is_some(), "{invocation} woken but not parked");
                parked.remove(position.unwrap());
            }
            let sem = &driver.sem;
            prop_assert_eq!(sem.waiters.iter().map(|w| w.invocation).collect::<VecDeque<_>>(), parked.clone());
            let held: i64 = sem.held.values().map(|&h| i64::try_from(h).unwrap()).sum();
            prop_assert_eq!(sem.available + held, total, "permits not conserved after {:?}", step);
            prop_assert!(sem.held.values().all(|&h| h > 0));
            // Grants are eager: a parked head never fits in the available permits.
            if let Some(front) = sem.waiters.front() {
                prop_assert!(i64::try_from(front.request.permits).unwrap() > sem.available);
            }
        }
    }

    #[test]
    fn snapshot_restore_continue_equals_continuing(
        steps in proptest::collection::vec(step(), 1..80),
        split in any::<proptest::sample::Index>(),
    ) {
        let split = split.index(steps.len() + 1);
        let mut straight = Driver::default();
        let expected: Vec<_> = steps.iter().map(|s| straight.run(s)).collect();

        let mut resumed = Driver::default();
        let mut got: Vec<_> = steps[..split].iter().map(|s| resumed.run(s)).collect();
        let restored = CpSemaphore::restore(&resumed.sem.snapshot().unwrap()).unwrap();
        prop_assert_eq!(&restored, &resumed.sem);
        resumed.sem = restored;
        got.extend(steps[split..].iter().map(|s| resumed.run(s)));

        prop_assert_eq!(got, expected);
        prop_assert_eq!(resumed.sem, straight.sem);
    }
}
