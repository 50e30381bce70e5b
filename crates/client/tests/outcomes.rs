//! What a call ends with when no answer comes, and how the client finds members it was not
//! given: a mutation that may have been delivered ends `Indeterminate` ("may have been
//! applied"), one that certainly was not, and any read, end `Unavailable`; and a round of
//! endpoints that cannot serve makes the client ask the cluster for its members.

#![allow(clippy::unwrap_used, clippy::expect_used, reason = "test support: a poisoned lock is a bug in the test")]

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use coterie_client::{Call, Client, ClientConfig, ClientError, Transport, TransportError};
use coterie_core::{ApplyCtx, Group, GroupCommand, GroupOutput, LogIndex, Reply, StateMachine, Timestamp};

/// What the one-member fake does with a structure command.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Invoke {
    /// Applies it.
    Apply,
    /// Times out: it may have been delivered.
    TimeOut,
    /// Refuses the connection: it was not delivered.
    Refuse,
}

/// A cluster whose member 0 applies session commands, and does `invoke` with structure
/// commands. With `hidden`, member 0 does not lead and knows no leader; the leader is a
/// member 1 that the client learns only from a refresh.
#[derive(Clone)]
struct Fake {
    group: Arc<Mutex<(Group, u64)>>,
    invoke: Invoke,
    hidden: bool,
    refreshed: Arc<AtomicUsize>,
}

impl Fake {
    fn new(invoke: Invoke, hidden: bool) -> Self {
        Fake { group: Arc::default(), invoke, hidden, refreshed: Arc::default() }
    }

    fn apply(&self, command: GroupCommand, call: &Call) -> Result<GroupOutput, TransportError> {
        let mut state = self.group.lock().unwrap();
        state.1 += 1;
        let ctx = ApplyCtx {
            index: LogIndex(state.1),
            now: Timestamp(0),
            session: call.session,
            invocation: call.invocation,
        };
        let applied = state.0.apply(command, &ctx);
        match applied.response {
            Reply::Ready(Ok(output)) => Ok(output),
            Reply::Ready(Err(err)) => Err(TransportError::Refused(err)),
            Reply::Parked => Err(TransportError::Unavailable { reason: "parked".into() }),
        }
    }
}

impl Transport for Fake {
    fn endpoints(&self) -> usize {
        if self.hidden && self.refreshed.load(Ordering::SeqCst) > 0 { 2 } else { 1 }
    }

    fn refresh(&self, _timeout: Duration) -> impl Future<Output = ()> + Send {
        self.refreshed.fetch_add(1, Ordering::SeqCst);
        std::future::ready(())
    }

    async fn call(&self, endpoint: usize, call: Call, _: Option<Duration>) -> Result<GroupOutput, TransportError> {
        if self.hidden && endpoint == 0 {
            return Err(TransportError::NotLeader { leader: None });
        }
        match (&call.command, self.invoke) {
            (GroupCommand::Invoke { .. }, Invoke::TimeOut) => {
                Err(TransportError::Unavailable { reason: "the member did not answer in time".into() })
            }
            (GroupCommand::Invoke { .. }, Invoke::Refuse) => {
                Err(TransportError::Unreachable { reason: "connection refused".into() })
            }
            _ => self.apply(call.command.clone(), &call),
        }
    }
}

fn config() -> ClientConfig {
    ClientConfig {
        call_timeout: Duration::from_millis(400),
        attempt_timeout: Duration::from_millis(100),
        retry_initial: Duration::from_millis(5),
        retry_max: Duration::from_millis(20),
        ..ClientConfig::default()
    }
}

#[tokio::test]
async fn a_mutation_that_may_have_been_delivered_ends_indeterminate() {
    let client = Client::new(Fake::new(Invoke::TimeOut, false), config());
    let err = client.atomic_long("n").unwrap().increment_and_get().await.unwrap_err();
    assert!(matches!(err, ClientError::Indeterminate { .. }), "{err:?}");
    assert!(err.to_string().contains("may have been applied"), "{err}");
    // A read changes nothing, so it is plainly unavailable.
    let err = client.atomic_long("n").unwrap().get().await.unwrap_err();
    assert!(matches!(err, ClientError::Unavailable { .. }), "{err:?}");
}

#[tokio::test]
async fn a_mutation_that_was_never_delivered_ends_unavailable() {
    let client = Client::new(Fake::new(Invoke::Refuse, false), config());
    let err = client.atomic_long("n").unwrap().increment_and_get().await.unwrap_err();
    assert!(matches!(err, ClientError::Unavailable { .. }), "{err:?}");
}

#[tokio::test]
async fn a_round_of_endpoints_that_cannot_serve_makes_the_client_learn_the_members() {
    let fake = Fake::new(Invoke::Apply, true);
    let client = Client::new(fake.clone(), ClientConfig { call_timeout: Duration::from_secs(5), ..config() });
    assert_eq!(client.atomic_long("n").unwrap().increment_and_get().await.unwrap(), 1);
    assert!(fake.refreshed.load(Ordering::SeqCst) >= 1);
}
