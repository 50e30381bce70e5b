//! Hand-made queue and set histories with known verdicts: an acknowledged item is taken at
//! most once and in order, nothing appears that was never given, and an unknown outcome may
//! or may not have taken effect while a failed one did not.
#![allow(clippy::unwrap_used, reason = "test helpers; clippy exempts only #[test] functions")]

use coterie_check::models::{Queue, QueueInput as Q, QueueOutput as QO, Set, SetInput as S, SetOutput};
use coterie_check::{Budget, History, Verdict, check};

type QueueHistory = History<Q<u8>, QO<u8>>;
type SetHistory = History<S<u8>, SetOutput>;

fn queue(h: &QueueHistory) -> Verdict {
    check(&Queue::default().of::<u8>(), h, Budget::default())
}

fn set(h: &SetHistory) -> Verdict {
    check(&Set::<u8>::new(), h, Budget::default())
}

fn offer(h: &mut QueueHistory, p: u64, t0: u64, t1: u64, item: u8) {
    h.ok(p, t0, t1, Q::Offer(item), QO::Offered(true)).unwrap();
}

fn poll(h: &mut QueueHistory, p: u64, t0: u64, t1: u64, item: Option<u8>) {
    h.ok(p, t0, t1, Q::Poll, QO::Item(item)).unwrap();
}

#[test]
fn an_item_is_polled_at_most_once_and_never_one_that_was_not_offered() {
    let mut twice = QueueHistory::new();
    offer(&mut twice, 0, 0, 1, 7);
    poll(&mut twice, 1, 2, 3, Some(7));
    poll(&mut twice, 2, 2, 3, Some(7));
    assert!(queue(&twice).is_not_linearizable());

    let mut invented = QueueHistory::new();
    offer(&mut invented, 0, 0, 1, 7);
    poll(&mut invented, 1, 2, 3, Some(8));
    assert!(queue(&invented).is_not_linearizable());
}

#[test]
fn completed_offers_are_polled_in_order_and_concurrent_ones_in_either() {
    let mut ordered = QueueHistory::new();
    offer(&mut ordered, 0, 0, 1, 1);
    offer(&mut ordered, 0, 2, 3, 2);
    poll(&mut ordered, 1, 4, 5, Some(2));
    assert!(queue(&ordered).is_not_linearizable(), "2 was offered after 1 completed, so 1 is the head");

    let mut concurrent = QueueHistory::new();
    offer(&mut concurrent, 0, 0, 5, 1);
    offer(&mut concurrent, 1, 0, 5, 2);
    poll(&mut concurrent, 2, 6, 7, Some(2));
    poll(&mut concurrent, 2, 8, 9, Some(1));
    poll(&mut concurrent, 2, 10, 11, None);
    assert!(queue(&concurrent).is_linearizable());
}

#[test]
fn an_unknown_offer_may_have_taken_effect_and_a_failed_one_did_not() {
    let mut unknown = QueueHistory::new();
    unknown.unknown(0, 0, Q::Offer(9));
    poll(&mut unknown, 1, 5, 6, Some(9));
    assert!(queue(&unknown).is_linearizable());
    // Or never: the queue stays empty.
    let mut never = QueueHistory::new();
    never.unknown(0, 0, Q::Offer(9));
    poll(&mut never, 1, 5, 6, None);
    assert!(queue(&never).is_linearizable());

    let mut failed = QueueHistory::new();
    failed.fail(0, 0, 1, Q::Offer(9)).unwrap();
    poll(&mut failed, 1, 5, 6, Some(9));
    assert!(queue(&failed).is_not_linearizable());
}

#[test]
fn a_bounded_queue_refuses_offers_only_when_full() {
    let model = Queue { capacity: Some(1) }.of::<u8>();
    let mut refused_while_empty = QueueHistory::new();
    refused_while_empty.ok(0, 0, 1, Q::Offer(1), QO::Offered(false)).unwrap();
    assert!(check(&model, &refused_while_empty, Budget::default()).is_not_linearizable());
    let mut full = QueueHistory::new();
    offer(&mut full, 0, 0, 1, 1);
    full.ok(0, 2, 3, Q::Offer(2), QO::Offered(false)).unwrap();
    assert!(check(&model, &full, Budget::default()).is_linearizable());
}

#[test]
fn set_membership_follows_completed_adds_and_removes() {
    let mut stale = SetHistory::new();
    stale.ok(0, 0, 1, S::Add(1), SetOutput(true)).unwrap();
    stale.ok(1, 2, 3, S::Contains(1), SetOutput(false)).unwrap();
    assert!(set(&stale).is_not_linearizable(), "the add completed before the read began");

    let mut added_twice = SetHistory::new();
    added_twice.ok(0, 0, 1, S::Add(1), SetOutput(true)).unwrap();
    added_twice.ok(1, 0, 1, S::Add(1), SetOutput(true)).unwrap();
    assert!(set(&added_twice).is_not_linearizable(), "only one add of 1 can be new");

    let mut unknown = SetHistory::new();
    unknown.unknown(0, 0, S::Add(1));
    unknown.ok(1, 2, 3, S::Contains(1), SetOutput(true)).unwrap();
    unknown.ok(1, 4, 5, S::Remove(1), SetOutput(true)).unwrap();
    assert!(set(&unknown).is_linearizable());
}

mod semaphore {
    use coterie_check::models::{Semaphore, SemaphoreInput as I, SemaphoreOutput as O};
    use coterie_check::{Budget, History, check};

    type SemHistory = History<I, O>;

    #[test]
    fn permits_are_never_handed_out_beyond_the_pool() {
        let model = Semaphore { permits: 1, fifo: false };
        // Two completed acquires of the only permit, neither released: one too many.
        let mut over = SemHistory::new();
        over.ok(1, 0, 5, I::Acquire { owner: 1, permits: 1 }, O::Acquired).unwrap();
        over.ok(2, 0, 5, I::Acquire { owner: 2, permits: 1 }, O::Acquired).unwrap();
        assert!(check(&model, &over, Budget::default()).is_not_linearizable());
        // With a release in between (concurrent with both), it is fine.
        let mut handed = SemHistory::new();
        handed.ok(1, 0, 5, I::Acquire { owner: 1, permits: 1 }, O::Acquired).unwrap();
        handed.ok(1, 0, 5, I::Release { owner: 1, permits: 1 }, O::Released(true)).unwrap();
        handed.ok(2, 0, 5, I::Acquire { owner: 2, permits: 1 }, O::Acquired).unwrap();
        assert!(check(&model, &handed, Budget::default()).is_linearizable());
        // A release by an owner that holds nothing cannot free a permit for another.
        let mut foreign = SemHistory::new();
        foreign.ok(1, 0, 1, I::Acquire { owner: 1, permits: 1 }, O::Acquired).unwrap();
        foreign.ok(2, 2, 3, I::Release { owner: 2, permits: 1 }, O::Released(true)).unwrap();
        assert!(check(&model, &foreign, Budget::default()).is_not_linearizable());
    }

    #[test]
    fn an_unknown_acquire_may_hold_a_permit_or_not() {
        let model = Semaphore { permits: 1, fifo: false };
        for seen in [0, 1] {
            let mut h = SemHistory::new();
            h.unknown(1, 0, I::Acquire { owner: 1, permits: 1 });
            h.ok(2, 5, 6, I::Available, O::Available(seen)).unwrap();
            assert!(check(&model, &h, Budget::default()).is_linearizable(), "available {seen}");
        }
    }
}
