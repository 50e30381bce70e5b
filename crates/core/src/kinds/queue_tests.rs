use std::collections::BTreeSet;
use std::time::Duration;

use super::*;
use crate::testing::{call, internal, inv, session_read};

fn b(s: &str) -> Vec<u8> {
    s.as_bytes().to_vec()
}

fn enqueue(q: &mut Queue, index: u64, item: &str) -> Applied<QueueOutput> {
    q.apply(QueueCommand::Enqueue(b(item)), &call(index, 0, 1, index))
}

fn take(
    q: &mut Queue,
    index: u64,
    now: u64,
    session: u64,
    seq: u64,
    timeout: Option<Duration>,
) -> Applied<QueueOutput> {
    q.apply(QueueCommand::Take { timeout }, &call(index, now, session, seq))
}

fn item(s: Option<&str>) -> Applied<QueueOutput> {
    Applied::ok(QueueOutput::Item(s.map(b)))
}

fn got(invocation: InvocationId, s: Option<&str>) -> Effect<QueueOutput> {
    Effect::wake(invocation, QueueOutput::Item(s.map(b)))
}

fn bounded(capacity: u64) -> Queue {
    Queue::new(QueueConfig { capacity: Some(capacity) })
}

#[test]
fn items_come_out_in_fifo_order() {
    let mut q = Queue::default();
    assert_eq!(q.apply(QueueCommand::Peek, &internal(1, 0)), item(None));
    assert_eq!(q.apply(QueueCommand::Dequeue, &internal(1, 0)), item(None));
    assert_eq!(enqueue(&mut q, 2, "a"), Applied::ok(QueueOutput::Unit));
    assert_eq!(enqueue(&mut q, 3, "b"), Applied::ok(QueueOutput::Unit));
    assert_eq!(enqueue(&mut q, 4, ""), Applied::ok(QueueOutput::Unit));
    assert_eq!(q.apply(QueueCommand::Size, &internal(5, 0)), Applied::ok(QueueOutput::Count(3)));
    assert_eq!(q.apply(QueueCommand::Peek, &internal(6, 0)), item(Some("a")));
    assert_eq!(q.apply(QueueCommand::Peek, &internal(6, 0)), item(Some("a")));
    assert_eq!(q.apply(QueueCommand::Dequeue, &internal(7, 0)), item(Some("a")));
    assert_eq!(take(&mut q, 8, 0, 1, 8, None), item(Some("b")));
    // An empty item is an item, not absence.
    assert_eq!(q.apply(QueueCommand::Dequeue, &internal(9, 0)), item(Some("")));
    assert_eq!(q.apply(QueueCommand::Dequeue, &internal(10, 0)), item(None));
    assert!(q.is_empty());
}

#[test]
fn a_full_queue_refuses_enqueue_until_space_frees() {
    let mut q = bounded(2);
    enqueue(&mut q, 1, "a");
    enqueue(&mut q, 2, "b");
    assert_eq!(enqueue(&mut q, 3, "c"), Applied::err(CoreError::QueueFull { capacity: 2 }));
    assert_eq!(q.len(), 2);
    assert_eq!(q.apply(QueueCommand::Dequeue, &internal(4, 0)), item(Some("a")));
    assert_eq!(enqueue(&mut q, 5, "c"), Applied::ok(QueueOutput::Unit));
    assert_eq!(
        q.apply(QueueCommand::Drain { max: 10 }, &internal(6, 0)),
        Applied::ok(QueueOutput::Items(vec![b("b"), b("c")]))
    );
    assert_eq!(q.config(), &QueueConfig { capacity: Some(2) });
}

#[test]
fn capacity_zero_only_hands_off_to_waiting_takers() {
    let mut q = bounded(0);
    assert_eq!(enqueue(&mut q, 1, "a"), Applied::err(CoreError::QueueFull { capacity: 0 }));
    assert_eq!(take(&mut q, 2, 0, 2, 1, None), Applied::parked());
    assert_eq!(enqueue(&mut q, 3, "a"), Applied::ok(QueueOutput::Unit).with_effects(vec![got(inv(2, 1), Some("a"))]));
    assert_eq!(enqueue(&mut q, 4, "b"), Applied::err(CoreError::QueueFull { capacity: 0 }));
}

#[test]
fn drain_takes_up_to_max_from_the_front() {
    let mut q = Queue::default();
    for (i, s) in ["a", "b", "c", "d"].into_iter().enumerate() {
        enqueue(&mut q, i as u64 + 1, s);
    }
    assert_eq!(
        q.apply(QueueCommand::Drain { max: 3 }, &internal(5, 0)),
        Applied::ok(QueueOutput::Items(vec![b("a"), b("b"), b("c")]))
    );
    assert_eq!(
        q.apply(QueueCommand::Drain { max: u32::MAX }, &internal(6, 0)),
        Applied::ok(QueueOutput::Items(vec![b("d")]))
    );
    assert_eq!(q.apply(QueueCommand::Drain { max: 1 }, &internal(7, 0)), Applied::ok(QueueOutput::Items(vec![])));
    assert_eq!(
        q.apply(QueueCommand::Drain { max: 0 }, &internal(8, 0)),
        Applied::err(CoreError::invalid("drain", InvalidReason::ZeroDrainMax))
    );
}

#[test]
fn clear_counts_items_and_leaves_takers_parked() {
    let mut q = Queue::default();
    enqueue(&mut q, 1, "a");
    enqueue(&mut q, 2, "b");
    assert_eq!(q.apply(QueueCommand::Clear, &internal(3, 0)), Applied::ok(QueueOutput::Count(2)));
    assert_eq!(q.apply(QueueCommand::Size, &internal(4, 0)), Applied::ok(QueueOutput::Count(0)));
    assert_eq!(take(&mut q, 5, 0, 2, 1, None), Applied::parked());
    assert_eq!(q.apply(QueueCommand::Clear, &internal(6, 0)), Applied::ok(QueueOutput::Count(0)));
    assert_eq!(q.waiting(), 1);
    assert_eq!(enqueue(&mut q, 7, "c").effects, vec![got(inv(2, 1), Some("c"))]);
}

#[test]
fn enqueue_hands_items_to_parked_takers_in_fifo_order_without_storing_them() {
    let mut q = bounded(1);
    assert_eq!(take(&mut q, 1, 0, 2, 1, None), Applied::parked());
    assert_eq!(take(&mut q, 2, 0, 3, 1, Some(Duration::from_secs(5))), Applied::parked());
    assert_eq!(take(&mut q, 3, 0, 2, 2, None), Applied::parked());
    assert_eq!(q.waiting(), 3);

    assert_eq!(enqueue(&mut q, 4, "a"), Applied::ok(QueueOutput::Unit).with_effects(vec![got(inv(2, 1), Some("a"))]));
    assert_eq!(q.len(), 0);
    assert_eq!(enqueue(&mut q, 5, "b"), Applied::ok(QueueOutput::Unit).with_effects(vec![got(inv(3, 1), Some("b"))]));
    assert_eq!(enqueue(&mut q, 6, "c"), Applied::ok(QueueOutput::Unit).with_effects(vec![got(inv(2, 2), Some("c"))]));
    assert_eq!(q.waiting(), 0);
    // With nobody waiting, the next item is stored and the capacity applies again.
    assert_eq!(enqueue(&mut q, 7, "d"), Applied::ok(QueueOutput::Unit));
    assert_eq!(enqueue(&mut q, 8, "e"), Applied::err(CoreError::QueueFull { capacity: 1 }));
    assert_eq!(q.next_deadline(), None);
}

#[test]
fn take_with_zero_timeout_answers_at_once() {
    let mut q = Queue::default();
    assert_eq!(take(&mut q, 1, 0, 1, 1, Some(Duration::ZERO)), item(None));
    // No invocation is needed when the call cannot park.
    assert_eq!(q.apply(QueueCommand::Take { timeout: Some(Duration::ZERO) }, &internal(2, 0)), item(None));
    assert_eq!(q.waiting(), 0);
    enqueue(&mut q, 3, "a");
    assert_eq!(take(&mut q, 4, 0, 1, 2, Some(Duration::ZERO)), item(Some("a")));
}

#[test]
fn take_that_would_park_needs_an_invocation() {
    let mut q = Queue::default();
    assert_eq!(
        q.apply(QueueCommand::Take { timeout: None }, &internal(1, 0)),
        Applied::err(CoreError::InvocationRequired { operation: "take".into() })
    );
    assert_eq!(
        q.apply(QueueCommand::Take { timeout: Some(Duration::from_secs(1)) }, &session_read(2, 0, 1)),
        Applied::err(CoreError::InvocationRequired { operation: "take".into() })
    );
    assert_eq!(q.waiting(), 0);
    // With an item present it answers without one.
    enqueue(&mut q, 3, "a");
    assert_eq!(q.apply(QueueCommand::Take { timeout: None }, &internal(4, 0)), item(Some("a")));
}

#[test]
fn timed_take_expires_by_tick_and_an_untimed_one_waits_forever() {
    let mut q = Queue::default();
    assert_eq!(take(&mut q, 1, 100, 2, 1, None), Applied::parked());
    assert_eq!(take(&mut q, 2, 100, 3, 1, Some(Duration::from_millis(80))), Applied::parked());
    assert_eq!(take(&mut q, 3, 110, 4, 1, Some(Duration::from_millis(50))), Applied::parked());
    assert_eq!(q.next_deadline(), Some(Timestamp(160)));
    assert_eq!(q.tick(&internal(4, 159)), vec![]);
    assert_eq!(q.tick(&internal(5, 160)), vec![got(inv(4, 1), None)]);
    assert_eq!(q.next_deadline(), Some(Timestamp(180)));
    assert_eq!(q.tick(&internal(6, 1_000_000)), vec![got(inv(3, 1), None)]);
    assert_eq!(q.next_deadline(), None);
    assert_eq!(q.waiting(), 1);
    assert_eq!(enqueue(&mut q, 7, "a").effects, vec![got(inv(2, 1), Some("a"))]);
}

#[test]
fn take_woken_before_its_deadline_does_not_time_out_later() {
    let mut q = Queue::default();
    take(&mut q, 1, 0, 2, 1, Some(Duration::from_secs(1)));
    assert_eq!(enqueue(&mut q, 2, "a").effects, vec![got(inv(2, 1), Some("a"))]);
    assert_eq!(q.next_deadline(), None);
    assert_eq!(q.tick(&internal(3, 5_000)), vec![]);
}

#[test]
fn cancel_answers_only_the_named_taker() {
    let mut q = Queue::default();
    take(&mut q, 1, 0, 2, 1, None);
    take(&mut q, 2, 0, 3, 1, Some(Duration::from_secs(1)));
    assert_eq!(
        q.cancel(inv(2, 1), &internal(3, 0)),
        vec![Effect::Wake { invocation: inv(2, 1), result: Err(CoreError::Cancelled { invocation: inv(2, 1) }) }]
    );
    assert_eq!(q.cancel(inv(2, 1), &internal(4, 0)), vec![]);
    assert_eq!(q.cancel(inv(9, 9), &internal(4, 0)), vec![]);
    assert_eq!(enqueue(&mut q, 5, "a").effects, vec![got(inv(3, 1), Some("a"))]);
}

#[test]
fn released_sessions_lose_their_takers_and_others_keep_their_place() {
    let mut q = Queue::default();
    take(&mut q, 1, 0, 2, 1, None);
    take(&mut q, 2, 0, 3, 1, None);
    take(&mut q, 3, 0, 2, 2, Some(Duration::from_secs(1)));
    take(&mut q, 4, 0, 4, 1, None);
    let effects = q.release_sessions(&BTreeSet::from([SessionId(2), SessionId(4)]), &internal(5, 0));
    assert_eq!(
        effects,
        vec![
            Effect::Wake { invocation: inv(2, 1), result: Err(CoreError::SessionExpired { session: SessionId(2) }) },
            Effect::Wake { invocation: inv(2, 2), result: Err(CoreError::SessionExpired { session: SessionId(2) }) },
            Effect::Wake { invocation: inv(4, 1), result: Err(CoreError::SessionExpired { session: SessionId(4) }) },
        ]
    );
    assert_eq!(q.next_deadline(), None);
    assert_eq!(q.release_sessions(&BTreeSet::from([SessionId(2)]), &internal(6, 0)), vec![]);
    assert_eq!(enqueue(&mut q, 7, "a").effects, vec![got(inv(3, 1), Some("a"))]);
}

#[test]
fn payload_len_counts_item_bytes() {
    assert_eq!(QueueCommand::Enqueue(b("abc")).payload_len(), 3);
    for command in [
        QueueCommand::Peek,
        QueueCommand::Dequeue,
        QueueCommand::Take { timeout: None },
        QueueCommand::Size,
        QueueCommand::Drain { max: 1 },
        QueueCommand::Clear,
    ] {
        assert_eq!(command.payload_len(), 0, "{command:?}");
    }
}

#[test]
fn snapshot_round_trips_with_items_and_takers() {
    let mut q = bounded(5);
    take(&mut q, 1, 0, 2, 1, Some(Duration::from_secs(3)));
    let restored = Queue::restore(&q.snapshot().unwrap()).unwrap();
    assert_eq!(restored, q);
    enqueue(&mut q, 2, "a");
    enqueue(&mut q, 3, "b");
    let mut restored = Queue::restore(&q.snapshot().unwrap()).unwrap();
    assert_eq!(restored, q);
    assert_eq!(restored.apply(QueueCommand::Dequeue, &internal(4, 0)), item(Some("b")));
}
