use std::time::Duration;

use super::*;
use crate::kind::Kind;
use crate::kinds::atomic_long::{AtomicLongCommand, AtomicLongOutput};
use crate::kinds::fenced_lock::{FencedLockCommand, FencedLockConfig, FencedLockOutput};
use crate::types::{ClientId, Fence, LogIndex, OwnerId};

/// Applies commands at increasing log indexes, like a replication log would.
struct Log {
    group: Group,
    index: u64,
}

impl Log {
    fn new() -> Self {
        Log { group: Group::default(), index: 0 }
    }

    fn ctx(&mut self, now: u64) -> ApplyCtx {
        self.index += 1;
        ApplyCtx::internal(LogIndex(self.index), Timestamp(now))
    }

    fn admin(&mut self, command: GroupCommand, now: u64) -> Applied<GroupOutput> {
        let ctx = self.ctx(now);
        self.group.apply(command, &ctx)
    }

    fn call(
        &mut self,
        session: SessionId,
        seq: u64,
        now: u64,
        name: &str,
        command: StructureCommand,
    ) -> Applied<GroupOutput> {
        let ctx = ApplyCtx::invoked(self.ctx(now).index, Timestamp(now), Some(session), inv_of(session, seq));
        self.group.apply(GroupCommand::Invoke { name: name.to_owned(), command }, &ctx)
    }

    fn read(&mut self, now: u64, name: &str, command: StructureCommand) -> Applied<GroupOutput> {
        self.admin(GroupCommand::Invoke { name: name.to_owned(), command }, now)
    }

    fn open(&mut self, ttl_ms: u64, now: u64) -> SessionId {
        // A new client for every open: these tests are not about resends.
        let client = client(u128::from(self.index) + 1_000);
        match self.admin(open(ttl_ms, client, 1), now).response {
            Reply::Ready(Ok(GroupOutput::Session(id))) => id,
            other => panic!("open session failed: {other:?}"),
        }
    }
}

fn client(n: u128) -> ClientId {
    ClientId::new(n).unwrap()
}

/// The client these tests make `session`'s calls as (one client per session).
fn client_of(session: SessionId) -> ClientId {
    client(u128::from(session.0) + 1_000_000)
}

/// Call `seq` of the client making `session`'s calls.
fn inv_of(session: SessionId, seq: u64) -> InvocationId {
    InvocationId { client: client_of(session), seq }
}

fn open(ttl_ms: u64, client: ClientId, seq: u64) -> GroupCommand {
    GroupCommand::OpenSession { ttl: Duration::from_millis(ttl_ms), client, seq }
}

fn lock(owner: u128) -> StructureCommand {
    StructureCommand::FencedLock(FencedLockCommand::Lock { owner: OwnerId(owner) })
}

fn incr() -> StructureCommand {
    StructureCommand::AtomicLong(AtomicLongCommand::IncrementAndGet)
}

fn fence(f: u64) -> GroupOutput {
    GroupOutput::Structure(StructureOutput::FencedLock(FencedLockOutput::Fence(Fence(f))))
}

fn long(v: i64) -> GroupOutput {
    GroupOutput::Structure(StructureOutput::AtomicLong(AtomicLongOutput::Value(v)))
}

#[test]
fn sessions_open_heartbeat_and_close() {
    let mut log = Log::new();
    let s = log.open(1_000, 0);
    assert_eq!(s, SessionId(1));
    assert!(log.group.has_session(s));
    assert_eq!(log.admin(GroupCommand::Heartbeat { session: s }, 900), Applied::ok(GroupOutput::Unit));
    // The heartbeat at 900 moved expiry to 1900.
    assert_eq!(log.admin(GroupCommand::Tick, 1_899), Applied::ok(GroupOutput::Expired(vec![])));
    assert_eq!(log.admin(GroupCommand::CloseSession { session: s }, 1_899), Applied::ok(GroupOutput::Unit));
    assert_eq!(
        log.admin(GroupCommand::Heartbeat { session: s }, 1_900),
        Applied::err(CoreError::SessionExpired { session: s })
    );
    assert_eq!(
        log.admin(GroupCommand::CloseSession { session: s }, 1_900),
        Applied::err(CoreError::SessionExpired { session: s })
    );
}

#[test]
fn session_ttl_is_validated() {
    let mut log = Log::new();
    let zero = log.admin(open(0, client(1), 1), 0);
    assert!(matches!(zero.response, Reply::Ready(Err(CoreError::InvalidArgument { .. }))));
    let huge = log.admin(open(365 * 24 * 3600 * 1000, client(1), 1), 0);
    assert!(matches!(huge.response, Reply::Ready(Err(CoreError::InvalidArgument { .. }))));
    let seq_zero = log.admin(open(1_000, client(1), 0), 0);
    assert!(matches!(seq_zero.response, Reply::Ready(Err(CoreError::InvalidArgument { .. }))));
    assert_eq!(log.group.session_count(), 0);
    // Refused opens are not remembered: the same (client, seq) opens once it is valid.
    assert!(matches!(log.admin(open(1_000, client(1), 1), 0).response, Reply::Ready(Ok(GroupOutput::Session(_)))));
}

#[test]
fn session_expiry_releases_locks_and_hands_over_in_the_same_apply() {
    let mut log = Log::new();
    let dead = log.open(1_000, 0);
    let alive = log.open(10_000, 0);
    assert_eq!(log.call(dead, 1, 10, "leader", lock(1)), Applied::ok(fence(3)));
    assert_eq!(log.call(alive, 1, 20, "leader", lock(1)), Applied::parked());
    // The live client keeps its session up; the dead one never heartbeats again.
    log.admin(GroupCommand::Heartbeat { session: alive }, 900);
    let tick = log.admin(GroupCommand::Tick, 1_010);
    assert_eq!(
        tick,
        Applied::ok(GroupOutput::Expired(vec![dead])).with_effects(vec![Effect::wake(inv_of(alive, 1), fence(6))])
    );
    // The dead client's late unlock is refused, clearly.
    let late = log.call(
        dead,
        2,
        1_020,
        "leader",
        StructureCommand::FencedLock(FencedLockCommand::Unlock { owner: OwnerId(1) }),
    );
    assert_eq!(late, Applied::err(CoreError::SessionExpired { session: dead }));
    // The woken call's result was recorded: a retry of it is answered, not re-applied.
    assert_eq!(log.call(alive, 1, 1_030, "leader", lock(1)), Applied::ok(fence(6)));
}

#[test]
fn closing_a_session_cancels_its_waiters_and_frees_its_locks() {
    let mut log = Log::new();
    let a = log.open(10_000, 0);
    let b = log.open(10_000, 0);
    let c = log.open(10_000, 0);
    log.call(a, 1, 0, "l", lock(1));
    assert_eq!(log.call(b, 1, 0, "l", lock(1)), Applied::parked());
    assert_eq!(log.call(c, 1, 0, "l", lock(1)), Applied::parked());
    let closed = log.admin(GroupCommand::CloseSession { session: b }, 5);
    let b1 = inv_of(b, 1);
    assert_eq!(
        closed.effects,
        vec![Effect::Wake { invocation: b1, result: Err(CoreError::SessionExpired { session: b }) }]
    );
    let closed = log.admin(GroupCommand::CloseSession { session: a }, 6);
    assert_eq!(closed.effects, vec![Effect::wake(inv_of(c, 1), fence(8))]);
}

#[test]
fn retried_mutations_are_answered_not_reapplied() {
    let mut log = Log::new();
    let s = log.open(10_000, 0);
    assert_eq!(log.call(s, 1, 0, "seq", incr()), Applied::ok(long(1)));
    assert_eq!(log.call(s, 1, 0, "seq", incr()), Applied::ok(long(1)));
    assert_eq!(log.call(s, 2, 0, "seq", incr()), Applied::ok(long(2)));
    assert_eq!(log.read(0, "seq", StructureCommand::AtomicLong(AtomicLongCommand::Get)), Applied::ok(long(2)));
}

#[test]
fn retries_older_than_the_window_are_refused() {
    let mut log = Log { group: Group::new(GroupConfig { dedup_window: 2, ..GroupConfig::default() }), index: 0 };
    let s = log.open(10_000, 0);
    for seq in 1..=3 {
        log.call(s, seq, 0, "seq", incr());
    }
    let retry = log.call(s, 1, 0, "seq", incr());
    assert_eq!(retry, Applied::err(CoreError::ClientWindowPassed { client: client_of(s), seq: 1, oldest: 2 }));
    assert_eq!(log.read(0, "seq", StructureCommand::AtomicLong(AtomicLongCommand::Get)), Applied::ok(long(3)));
}

#[test]
fn a_retried_parked_call_stays_parked_and_cancel_answers_it() {
    let mut log = Log::new();
    let a = log.open(10_000, 0);
    let b = log.open(10_000, 0);
    log.call(a, 1, 0, "l", lock(1));
    assert_eq!(log.call(b, 7, 0, "l", lock(2)), Applied::parked());
    assert_eq!(log.call(b, 7, 0, "l", lock(2)), Applied::parked());
    let b7 = inv_of(b, 7);
    let cancelled = log.admin(GroupCommand::Cancel { invocation: b7 }, 0);
    assert_eq!(
        cancelled,
        Applied::ok(GroupOutput::Bool(true))
            .with_effects(vec![Effect::Wake { invocation: b7, result: Err(CoreError::Cancelled { invocation: b7 }) }])
    );
    assert_eq!(log.admin(GroupCommand::Cancel { invocation: b7 }, 0), Applied::ok(GroupOutput::Bool(false)));
    assert_eq!(log.call(b, 7, 0, "l", lock(2)), Applied::err(CoreError::Cancelled { invocation: b7 }));
}

#[test]
fn ticks_fire_structure_deadlines_and_survive_restore() {
    let mut log = Log::new();
    let a = log.open(100_000, 0);
    let b = log.open(100_000, 0);
    log.call(a, 1, 0, "l", lock(1));
    let try_lock = StructureCommand::FencedLock(FencedLockCommand::TryLock {
        owner: OwnerId(2),
        timeout: Some(Duration::from_millis(500)),
    });
    assert_eq!(log.call(b, 1, 100, "l", try_lock), Applied::parked());
    assert_eq!(log.group.next_deadline(), Some(Timestamp(600)));

    let restored = Group::restore(&log.group.snapshot().unwrap()).unwrap();
    assert_eq!(restored, log.group);
    log.group = restored;

    let tick = log.admin(GroupCommand::Tick, 600);
    let timed_out = GroupOutput::Structure(StructureOutput::FencedLock(FencedLockOutput::MaybeFence(None)));
    assert_eq!(tick.effects, vec![Effect::wake(inv_of(b, 1), timed_out)]);
    assert_eq!(log.group.next_deadline(), None);
}

#[test]
fn group_time_never_goes_back() {
    let mut log = Log::new();
    let s = log.open(1_000, 5_000);
    // A new leader with a slower clock stamps an earlier time: the session must not gain life.
    assert_eq!(log.admin(GroupCommand::Tick, 4_000), Applied::ok(GroupOutput::Expired(vec![])));
    assert_eq!(log.group.now(), Timestamp(5_000));
    assert_eq!(log.admin(GroupCommand::Tick, 6_000), Applied::ok(GroupOutput::Expired(vec![s])));
}

#[test]
fn reads_and_failures_on_missing_structures_create_nothing() {
    let mut log = Log::new();
    assert_eq!(log.read(0, "ghost", StructureCommand::AtomicLong(AtomicLongCommand::Get)), Applied::ok(long(0)));
    let unlock =
        log.read(0, "ghost-lock", StructureCommand::FencedLock(FencedLockCommand::Unlock { owner: OwnerId(1) }));
    assert!(matches!(unlock.response, Reply::Ready(Err(CoreError::NotOwner { .. }))));
    assert_eq!(log.group.names().count(), 0);
}

#[test]
fn a_name_belongs_to_one_kind() {
    let mut log = Log::new();
    let s = log.open(10_000, 0);
    log.call(s, 1, 0, "x", incr());
    let wrong = log.call(s, 2, 0, "x", lock(1));
    assert_eq!(
        wrong,
        Applied::err(CoreError::WrongKind { name: "x".into(), expected: Kind::FencedLock, actual: Kind::AtomicLong })
    );
    assert!(wrong_message(&wrong).contains("\"x\" is of kind atomic-long, not fenced-lock"));
}

fn wrong_message(applied: &Applied<GroupOutput>) -> String {
    match &applied.response {
        Reply::Ready(Err(err)) => err.to_string(),
        other => panic!("expected an error, got {other:?}"),
    }
}

#[test]
fn names_are_validated() {
    let mut log = Log::new();
    let empty = log.read(0, "", StructureCommand::AtomicLong(AtomicLongCommand::Get));
    assert!(matches!(empty.response, Reply::Ready(Err(CoreError::InvalidName { .. }))));
    let long_name = "n".repeat(257);
    let long = log.read(0, &long_name, StructureCommand::AtomicLong(AtomicLongCommand::Get));
    assert!(wrong_message(&long).contains("257 bytes"));
}

#[test]
fn create_is_idempotent_conflicts_are_errors_and_destroy_cancels_waiters() {
    let mut log = Log::new();
    let spec = StructureSpec::FencedLock(FencedLockConfig { acquire_limit: std::num::NonZeroU32::new(1) });
    assert_eq!(
        log.admin(GroupCommand::Create { name: "l".into(), spec: spec.clone() }, 0),
        Applied::ok(GroupOutput::Bool(true))
    );
    assert_eq!(log.admin(GroupCommand::Create { name: "l".into(), spec }, 0), Applied::ok(GroupOutput::Bool(false)));
    let conflict = log.admin(
        GroupCommand::Create { name: "l".into(), spec: StructureSpec::FencedLock(FencedLockConfig::default()) },
        0,
    );
    assert!(matches!(conflict.response, Reply::Ready(Err(CoreError::ConfigConflict { .. }))));

    let a = log.open(10_000, 0);
    let b = log.open(10_000, 0);
    log.call(a, 1, 0, "l", lock(1));
    // Non-reentrant by its explicit configuration.
    assert_eq!(log.call(a, 2, 0, "l", lock(1)), Applied::err(CoreError::AcquireLimitReached { limit: 1 }));
    log.call(b, 1, 0, "l", lock(2));
    let b1 = inv_of(b, 1);
    let destroyed = log.admin(GroupCommand::Destroy { name: "l".into() }, 0);
    assert_eq!(
        destroyed,
        Applied::ok(GroupOutput::Bool(true))
            .with_effects(vec![Effect::Wake { invocation: b1, result: Err(CoreError::Cancelled { invocation: b1 }) }])
    );
    assert_eq!(log.admin(GroupCommand::Destroy { name: "l".into() }, 0), Applied::ok(GroupOutput::Bool(false)));
}

/// Applies `command` as call `seq` of `client`, made in `session` if given.
fn call_as(
    log: &mut Log,
    client: ClientId,
    session: Option<SessionId>,
    seq: u64,
    now: u64,
    name: &str,
    command: StructureCommand,
) -> Applied<GroupOutput> {
    let ctx = ApplyCtx::invoked(log.ctx(now).index, Timestamp(now), session, InvocationId { client, seq });
    log.group.apply(GroupCommand::Invoke { name: name.to_owned(), command }, &ctx)
}

#[test]
fn a_resend_of_a_call_applied_in_a_session_that_expired_since_is_answered_not_reapplied() {
    let mut log = Log::new();
    let s = log.open(1_000, 0);
    let me = client(7);
    assert_eq!(call_as(&mut log, me, Some(s), 1, 10, "seq", incr()), Applied::ok(long(1)));
    assert_eq!(log.admin(GroupCommand::Tick, 1_500), Applied::ok(GroupOutput::Expired(vec![s])));
    // The answer was lost; the client resends in the expired session, then in a new one.
    assert_eq!(call_as(&mut log, me, Some(s), 1, 1_600, "seq", incr()), Applied::ok(long(1)));
    let fresh = log.open(1_000, 1_600);
    assert_eq!(call_as(&mut log, me, Some(fresh), 1, 1_700, "seq", incr()), Applied::ok(long(1)));
    assert_eq!(log.read(1_700, "seq", StructureCommand::AtomicLong(AtomicLongCommand::Get)), Applied::ok(long(1)));
}

#[test]
fn a_call_refused_for_an_expired_session_is_not_recorded_and_may_be_made_anew() {
    let mut log = Log::new();
    let s = log.open(1_000, 0);
    log.admin(GroupCommand::Tick, 2_000);
    let me = client(7);
    let refused = call_as(&mut log, me, Some(s), 1, 2_000, "seq", incr());
    assert_eq!(refused, Applied::err(CoreError::SessionExpired { session: s }));
    assert_eq!(call_as(&mut log, me, Some(s), 1, 2_000, "seq", incr()), refused);
    let fresh = log.open(1_000, 2_000);
    assert_eq!(call_as(&mut log, me, Some(fresh), 1, 2_010, "seq", incr()), Applied::ok(long(1)));
}

#[test]
fn calls_outside_sessions_are_deduplicated_by_client_and_numbered_per_client() {
    let mut log = Log::new();
    let (a, b) = (client(1), client(2));
    assert_eq!(call_as(&mut log, a, None, 1, 0, "seq", incr()), Applied::ok(long(1)));
    assert_eq!(call_as(&mut log, a, None, 1, 5, "seq", incr()), Applied::ok(long(1)));
    assert_eq!(call_as(&mut log, b, None, 1, 5, "seq", incr()), Applied::ok(long(2)));
    assert_eq!(log.group.caller_count(), 2);
    assert_eq!(log.group.session_count(), 0);
    // A lock still needs a session: it is what owns the lock.
    let refused = call_as(&mut log, a, None, 2, 5, "l", lock(1));
    assert!(matches!(refused.response, Reply::Ready(Err(CoreError::SessionRequired { .. }))), "{refused:?}");
}

#[test]
fn a_parked_call_is_never_pushed_out_of_its_clients_window_nor_forgotten_with_the_client() {
    let config = GroupConfig { dedup_window: 2, client_ttl: Duration::from_secs(120), ..GroupConfig::default() };
    let mut log = Log { group: Group::new(config), index: 0 };
    let holder = log.open(3_600_000, 0);
    let waiter = log.open(3_600_000, 0);
    log.call(holder, 1, 0, "l", lock(1));
    assert_eq!(log.call(waiter, 1, 0, "l", lock(2)), Applied::parked());
    for seq in 2..=6 {
        log.call(waiter, seq, 0, "seq", incr());
    }
    // Five completions later (window 2), the parked call is still recorded ...
    assert_eq!(log.call(waiter, 1, 10, "l", lock(2)), Applied::parked());
    assert!(matches!(
        log.call(waiter, 2, 10, "seq", incr()).response,
        Reply::Ready(Err(CoreError::ClientWindowPassed { .. }))
    ));
    // ... and past the client TTL, with only heartbeats in between, it is not forgotten.
    log.admin(GroupCommand::Heartbeat { session: waiter }, 200_000);
    log.admin(GroupCommand::Heartbeat { session: holder }, 200_000);
    log.admin(GroupCommand::Tick, 300_000);
    assert_eq!(log.group.caller_count(), 1, "the holder's client is forgotten, the waiter's is not");
    assert_eq!(log.call(waiter, 1, 300_000, "l", lock(2)), Applied::parked());
    let cancelled = log.admin(GroupCommand::Cancel { invocation: inv_of(waiter, 1) }, 300_000);
    assert_eq!(cancelled.response, Reply::Ready(Ok(GroupOutput::Bool(true))));
    let answer = Applied::err(CoreError::Cancelled { invocation: inv_of(waiter, 1) });
    assert_eq!(log.call(waiter, 1, 300_010, "l", lock(2)), answer);
    // Completed, the record expires like any other once the client is idle for the TTL.
    log.admin(GroupCommand::Tick, 500_000);
    assert_eq!(log.group.caller_count(), 0);
}

#[test]
fn malformed_commands_are_refused_clearly() {
    let err = GroupCommand::decode(&[1, 200, 3]).unwrap_err();
    assert!(matches!(err, CoreError::Malformed { .. }), "{err}");
    assert!(err.to_string().starts_with("malformed group command"), "{err}");
    let bytes = GroupCommand::Tick.encode().unwrap();
    assert_eq!(GroupCommand::decode(&bytes).unwrap(), GroupCommand::Tick);
}

#[test]
fn oversized_values_are_refused_and_nothing_is_stored() {
    use crate::kinds::map::MapCommand;
    let mut log = Log { group: Group::new(GroupConfig { max_value_bytes: 16, ..GroupConfig::default() }), index: 0 };
    let s = log.open(10_000, 0);
    let put = |value: Vec<u8>| StructureCommand::Map(MapCommand::Put { key: b"k".to_vec(), value });
    let too_big = log.call(s, 1, 0, "m", put(vec![0; 16]));
    assert_eq!(too_big, Applied::err(CoreError::ValueTooLarge { size: 17, limit: 16 }));
    assert!(wrong_message(&too_big).contains("raise max_value_bytes"));
    assert_eq!(log.group.names().count(), 0);
    let fits = log.call(s, 2, 0, "m", put(vec![0; 15]));
    assert!(matches!(fits.response, Reply::Ready(Ok(_))), "{fits:?}");
}

#[test]
fn every_kind_is_reachable_by_name_and_created_on_first_write() {
    use crate::kind::Kind;
    for kind in Kind::ALL {
        let spec = StructureSpec::default_for(kind);
        assert_eq!(spec.kind(), kind);
        assert_eq!(spec.build().kind(), kind);
        assert_eq!(spec.build().spec(), spec);
        assert_eq!(kind.name().parse::<Kind>(), Ok(kind));
    }
    assert_eq!("gizmo".parse::<Kind>(), Err(CoreError::UnknownKind { name: "gizmo".into() }));
}

#[test]
fn the_default_group_config_is_valid() {
    assert_eq!(GroupConfig::default().validate(), Ok(GroupConfig::default()));
}

#[test]
fn group_config_refuses_zero_limits() {
    let short = GroupConfig { client_ttl: Duration::from_secs(119), ..GroupConfig::default() }.validate().unwrap_err();
    assert_eq!(short.setting, "GroupConfig::client_ttl");
    assert!(short.to_string().contains("at least 120s"), "{short}");
    let cases: [(GroupConfig, &str); 6] = [
        (GroupConfig { client_window: 0, ..GroupConfig::default() }, "GroupConfig::client_window"),
        (GroupConfig { max_clients: 0, ..GroupConfig::default() }, "GroupConfig::max_clients"),
        (GroupConfig { max_value_bytes: 0, ..GroupConfig::default() }, "GroupConfig::max_value_bytes"),
        (GroupConfig { max_name_bytes: 0, ..GroupConfig::default() }, "GroupConfig::max_name_bytes"),
        (GroupConfig { dedup_window: 0, ..GroupConfig::default() }, "GroupConfig::dedup_window"),
        (GroupConfig { max_session_ttl: Duration::ZERO, ..GroupConfig::default() }, "GroupConfig::max_session_ttl"),
    ];
    for (config, setting) in cases {
        let err = config.validate().unwrap_err();
        assert_eq!(err.setting, setting);
        let message = err.to_string();
        assert!(message.starts_with(&format!("invalid configuration: {setting} is 0")), "{message}");
        assert!(message.contains("it must be more than zero"), "{message}");
    }
}

#[test]
fn the_dedup_window_message_says_what_the_window_is_for() {
    let err = GroupConfig { dedup_window: 0, ..GroupConfig::default() }.validate().unwrap_err();
    assert_eq!(
        err.to_string(),
        "invalid configuration: GroupConfig::dedup_window is 0; it must be more than zero: it is how many \
         completed calls per client are remembered to answer resends"
    );
}

#[test]
fn a_resent_open_answers_the_session_the_first_one_opened() {
    let mut log = Log::new();
    let first = log.admin(open(1_000, client(7), 1), 0);
    let Reply::Ready(Ok(GroupOutput::Session(id))) = first.response else { panic!("{first:?}") };
    // The reply was lost; the client resends the same open, later, at a later index.
    let resent = log.admin(open(1_000, client(7), 1), 500);
    assert_eq!(resent, Applied::ok(GroupOutput::Session(id)));
    assert_eq!(log.group.session_count(), 1);
    assert_eq!(log.group.client_count(), 1);
    // A new open of the same client (a new seq), or another client's first, opens another.
    let second = log.admin(open(1_000, client(7), 2), 600);
    let other = log.admin(open(1_000, client(8), 1), 600);
    assert_ne!(second, resent);
    assert_ne!(other, resent);
    assert_eq!(log.group.session_count(), 3);
    // Once the session expired, a resend of its open still names it, and opens nothing.
    log.admin(GroupCommand::Tick, 1_500);
    assert!(!log.group.has_session(id));
    assert_eq!(log.admin(open(1_000, client(7), 1), 1_500), Applied::ok(GroupOutput::Session(id)));
    assert!(!log.group.has_session(id));
    // The opens survive a snapshot.
    let mut restored = Group::restore(&codec::encode(&log.group).unwrap()).unwrap();
    let ctx = ApplyCtx::internal(LogIndex(999), Timestamp(1_600));
    assert_eq!(restored.apply(open(1_000, client(7), 1), &ctx), Applied::ok(GroupOutput::Session(id)));
    assert_eq!((restored.session_count(), restored.client_count()), (2, 2));
}

#[test]
fn the_table_of_opens_is_bounded_and_expires() {
    let config = GroupConfig { max_clients: 2, ..GroupConfig::default() };
    let ttl = config.client_ttl.as_millis() as u64;
    let mut log = Log { group: Group::new(config), index: 0 };
    let opened = |applied: Applied<GroupOutput>| matches!(applied.response, Reply::Ready(Ok(GroupOutput::Session(_))));
    assert!(opened(log.admin(open(60_000, client(1), 1), 0)));
    assert!(opened(log.admin(open(60_000, client(2), 1), 10)));
    // Full of clients seen within the TTL: a new client opens nothing.
    assert_eq!(log.admin(open(60_000, client(3), 1), 20), Applied::err(CoreError::TooManyClients { limit: 2 }));
    assert_eq!(log.group.session_count(), 2);
    // Known clients still open sessions.
    assert!(opened(log.admin(open(60_000, client(1), 2), 20)));
    // A tick forgets the clients idle for the TTL; client 1 was last seen at 20.
    log.admin(GroupCommand::Tick, 10 + ttl);
    assert_eq!(log.group.client_count(), 1);
    assert!(opened(log.admin(open(60_000, client(3), 1), 10 + ttl)));
    log.admin(GroupCommand::Tick, 20 + ttl);
    assert_eq!(log.group.client_count(), 1);
}

#[test]
fn state_of_earlier_format_versions_is_refused_with_the_clear_error() {
    // Version 1 had no table of opens and no client in OpenSession; version 2 deduplicated
    // calls by session, in windows inside the sessions, and recorded refusals as prose. Neither is read, nor guessed at.
    let current = codec::encode(&Group::default()).unwrap();
    assert_eq!(current[0], 3);
    for version in [1u8, 2] {
        let mut bytes = current.clone();
        bytes[0] = version;
        let err = Group::restore(&bytes).unwrap_err();
        let expected = format!("format version {version} is not supported (this build reads version 3)");
        assert!(err.to_string().contains(&expected), "{err}");
        let mut command = open(1_000, client(1), 1).encode().unwrap();
        command[0] = version;
        assert!(matches!(GroupCommand::decode(&command), Err(CoreError::Malformed { .. })));
    }
}

#[test]
fn a_group_needs_ticks_while_sessions_or_deadlines_remain_not_for_remembered_clients() {
    let mut log = Log::new();
    assert!(!log.group.needs_ticks(), "an empty group needs no time");
    let s = log.open(1_000, 0);
    assert!(log.group.needs_ticks(), "a session must be able to expire");
    log.admin(GroupCommand::CloseSession { session: s }, 10);
    call_as(&mut log, client(9), None, 1, 20, "seq", incr());
    // The open and the call are remembered (to answer resends), which needs no ticking: an
    // idle group costs no log entries.
    assert_eq!((log.group.client_count(), log.group.caller_count()), (1, 1));
    assert!(!log.group.needs_ticks(), "nothing is left that time must change");
    // A tick that comes for another reason forgets them once idle for the client TTL.
    let ttl = u64::try_from(GroupConfig::default().client_ttl.as_millis()).unwrap();
    log.admin(GroupCommand::Tick, ttl + 20);
    assert_eq!((log.group.client_count(), log.group.caller_count()), (0, 0));
}
