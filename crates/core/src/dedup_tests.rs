use super::*;

impl Recordable for &str {}
impl Recordable for u64 {}

fn client(n: u128) -> ClientId {
    ClientId::new(n).unwrap()
}

fn limits(ttl_ms: u64, window: usize, max_clients: usize) -> DedupLimits {
    DedupLimits { ttl: Duration::from_millis(ttl_ms), window, max_clients }
}

fn at(ms: u64) -> Timestamp {
    Timestamp(ms)
}

#[test]
fn applies_new_requests_and_answers_resends() {
    let mut t = DedupTable::<&str>::new(limits(1_000, 4, 8));
    assert_eq!(t.decide(client(1), 1, at(0)), Decision::Apply);
    // Deciding alone remembers nothing about a new client.
    assert!(!t.contains(client(1)));
    t.record(client(1), 1, "one", at(0)).unwrap();
    assert_eq!(t.decide(client(1), 1, at(10)), Decision::Answer(&"one"));
    assert_eq!(t.decide(client(1), 2, at(10)), Decision::Apply);
    // Another client's numbers are its own.
    assert_eq!(t.decide(client(2), 1, at(10)), Decision::Apply);
    // Requests out of order are fine while they are in the window.
    t.record(client(1), 3, "three", at(20)).unwrap();
    assert_eq!(t.decide(client(1), 2, at(20)), Decision::Apply);
    t.record(client(1), 2, "two", at(20)).unwrap();
    assert_eq!(t.decide(client(1), 2, at(20)), Decision::Answer(&"two"));
    assert_eq!(t.len(), 1);
}

#[test]
fn refuses_resends_below_the_window() {
    let mut t = DedupTable::<u64>::new(limits(1_000, 2, 8));
    for seq in 1..=3 {
        t.record(client(1), seq, seq * 10, at(0)).unwrap();
    }
    // The window keeps the two highest; 1 was dropped, so its outcome is unknown.
    assert_eq!(
        t.decide(client(1), 1, at(0)),
        Decision::Refuse(CoreError::ClientWindowPassed { client: client(1), seq: 1, oldest: 2 })
    );
    assert_eq!(t.decide(client(1), 2, at(0)), Decision::Answer(&20));
    assert_eq!(t.decide(client(1), 3, at(0)), Decision::Answer(&30));
    assert_eq!(t.decide(client(1), 4, at(0)), Decision::Apply);
}

#[test]
fn forgets_a_client_only_after_it_was_idle_for_the_ttl() {
    let mut t = DedupTable::<u64>::new(limits(1_000, 4, 8));
    t.record(client(1), 1, 10, at(0)).unwrap();
    assert_eq!(t.expire(at(999)), 0);
    // A resend answered at 900 counts as seen: the TTL runs from there.
    assert_eq!(t.decide(client(1), 1, at(900)), Decision::Answer(&10));
    assert_eq!(t.expire(at(1_899)), 0);
    assert_eq!(t.decide(client(1), 1, at(1_899)), Decision::Answer(&10));
    assert_eq!(t.expire(at(2_898)), 0);
    assert_eq!(t.expire(at(2_899)), 1);
    assert!(t.is_empty());
    // Forgotten: a request of it is new again (the contract keeps resends out of here).
    assert_eq!(t.decide(client(1), 1, at(2_899)), Decision::Apply);
}

#[test]
fn a_full_table_refuses_new_clients_and_keeps_live_ones() {
    let mut t = DedupTable::<u64>::new(limits(1_000, 4, 2));
    t.record(client(1), 1, 10, at(0)).unwrap();
    t.record(client(2), 1, 20, at(500)).unwrap();
    let full = CoreError::TooManyClients { limit: 2 };
    assert_eq!(t.decide(client(3), 1, at(600)), Decision::Refuse(full.clone()));
    assert_eq!(t.record(client(3), 1, 30, at(600)), Err(full.clone()));
    assert!(!t.contains(client(3)));
    // Known clients go on being served while the table is full.
    assert_eq!(t.decide(client(1), 1, at(600)), Decision::Answer(&10));
    assert_eq!(t.decide(client(1), 2, at(600)), Decision::Apply);
    t.record(client(1), 2, 11, at(600)).unwrap();
    // Client 2, last seen at 500, is idle for the TTL at 1500: room for client 3.
    assert_eq!(t.decide(client(3), 1, at(1_499)), Decision::Refuse(full));
    assert_eq!(t.decide(client(3), 1, at(1_500)), Decision::Apply);
    t.record(client(3), 1, 30, at(1_500)).unwrap();
    assert!(!t.contains(client(2)));
    assert!(t.contains(client(1)));
    assert_eq!(t.decide(client(3), 1, at(1_500)), Decision::Answer(&30));
}

#[test]
fn time_going_back_never_shortens_a_clients_life() {
    let mut t = DedupTable::<u64>::new(limits(1_000, 4, 8));
    t.record(client(1), 1, 10, at(5_000)).unwrap();
    t.record(client(1), 2, 20, at(100)).unwrap();
    assert_eq!(t.expire(at(5_999)), 0);
    assert_eq!(t.expire(at(6_000)), 1);
}

#[test]
fn snapshots_round_trip_with_the_age_index() {
    let mut t = DedupTable::<u64>::new(limits(1_000, 2, 8));
    t.record(client(1), 1, 10, at(0)).unwrap();
    t.record(client(2), 5, 50, at(700)).unwrap();
    for seq in 2..=3 {
        t.record(client(1), seq, seq * 10, at(100)).unwrap();
    }
    let bytes = crate::codec::encode(&t).unwrap();
    let mut back: DedupTable<u64> = crate::codec::decode(&bytes, "dedup table").unwrap();
    assert_eq!(back, t);
    assert!(matches!(back.decide(client(1), 1, at(100)), Decision::Refuse(CoreError::ClientWindowPassed { .. })));
    assert_eq!(back.expire(at(1_100)), 1);
    assert!(back.contains(client(2)));
    // A zero client id in the bytes is refused, not decoded.
    let mut zero = crate::codec::encode(&DedupTable::<u64>::new(limits(1, 1, 1))).unwrap();
    zero.truncate(zero.len() - 1);
    zero.extend_from_slice(&[1, 0, 0, 0, 0]);
    assert!(crate::codec::decode::<DedupTable<u64>>(&zero, "dedup table").is_err());
}

/// An answer that is pinned while `Parked`, as the group's records of parked calls are.
#[derive(Clone, Debug, PartialEq, Eq)]
enum Call {
    Parked,
    Done(u64),
}

impl Recordable for Call {
    fn pinned(&self) -> bool {
        *self == Call::Parked
    }
}

#[test]
fn pinned_answers_outlive_the_window_and_the_ttl_and_their_completion_is_kept_as_the_newest() {
    let mut t = DedupTable::<Call>::new(limits(1_000, 2, 8));
    t.record(client(1), 1, Call::Parked, at(0)).unwrap();
    for seq in 2..=5 {
        t.record(client(1), seq, Call::Done(seq), at(0)).unwrap();
    }
    // Window 2: seqs 2 and 3 were dropped, the parked seq 1 was not.
    assert_eq!(t.decide(client(1), 1, at(0)), Decision::Answer(&Call::Parked));
    assert!(matches!(t.decide(client(1), 3, at(0)), Decision::Refuse(CoreError::ClientWindowPassed { .. })));
    assert_eq!(t.pinned().map(|(c, seq, _)| (c, seq)).collect::<Vec<_>>(), vec![(client(1), 1)]);
    // Idle past the TTL, a client with a parked call is not forgotten, and counts against
    // the table's room.
    assert_eq!(t.expire(at(5_000)), 0);
    assert!(t.contains(client(1)));
    // Completing the parked call records its answer as the newest: it pushes out seq 4.
    t.complete(client(1), 1, Call::Done(10), at(5_000));
    assert_eq!(t.decide(client(1), 1, at(5_000)), Decision::Answer(&Call::Done(10)));
    assert_eq!(t.decide(client(1), 5, at(5_000)), Decision::Answer(&Call::Done(5)));
    assert!(matches!(t.decide(client(1), 4, at(5_000)), Decision::Refuse(CoreError::ClientWindowPassed { .. })));
    assert_eq!(t.pinned().count(), 0);
    // Completing what is not parked changes nothing.
    t.complete(client(1), 5, Call::Done(99), at(5_000));
    t.complete(client(2), 1, Call::Done(99), at(5_000));
    assert_eq!(t.decide(client(1), 5, at(5_000)), Decision::Answer(&Call::Done(5)));
    assert!(!t.contains(client(2)));
    // With nothing parked, the client is forgotten once idle for the TTL.
    assert_eq!(t.expire(at(6_000)), 1);
}
