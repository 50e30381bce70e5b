//! Opening a session when answers are lost: the client resends the open under the same
//! `(client, seq)`, so the group opens one session, not one per attempt; and it keeps the
//! dedup contract's resend limit, opening anew under a new number once the limit passed.

#![allow(clippy::unwrap_used, clippy::expect_used, reason = "test support: a poisoned lock is a bug in the test")]

use std::sync::{Arc, Mutex};
use std::time::Duration;

use coterie_client::{Call, Client, ClientConfig, Transport, TransportError};
use coterie_core::dedup::RESEND_LIMIT;
use coterie_core::{ApplyCtx, ClientId, Group, GroupCommand, GroupOutput, LogIndex, Reply, StateMachine, Timestamp};
use tokio::time::Instant;

/// One open the group received: who, under which number, when.
#[derive(Clone, Copy, Debug)]
struct Open {
    client: ClientId,
    seq: u64,
    at: Instant,
}

#[derive(Default)]
struct State {
    group: Group,
    index: u64,
    opens: Vec<Open>,
}

/// A one-member cluster whose answers to session opens are lost (after the group applied
/// them) for the first `lose_opens` opens, or until `lose_until`.
#[derive(Clone)]
struct Lossy {
    state: Arc<Mutex<State>>,
    lose_opens: Arc<Mutex<u64>>,
    lose_until: Option<Instant>,
}

impl Lossy {
    fn new(lose_opens: u64, lose_until: Option<Instant>) -> Self {
        Lossy { state: Arc::default(), lose_opens: Arc::new(Mutex::new(lose_opens)), lose_until }
    }

    fn sessions(&self) -> usize {
        self.state.lock().unwrap().group.session_count()
    }

    fn opens(&self) -> Vec<Open> {
        self.state.lock().unwrap().opens.clone()
    }
}

impl Transport for Lossy {
    fn endpoints(&self) -> usize {
        1
    }

    async fn call(&self, _: usize, call: Call, _: Option<Duration>) -> Result<GroupOutput, TransportError> {
        let mut state = self.state.lock().unwrap();
        state.index += 1;
        let ctx = ApplyCtx {
            index: LogIndex(state.index),
            now: Timestamp(0),
            session: call.session,
            invocation: call.invocation,
        };
        let open = match call.command {
            GroupCommand::OpenSession { client, seq, .. } => Some(Open { client, seq, at: Instant::now() }),
            _ => None,
        };
        let reply = state.group.apply(call.command, &ctx).response;
        if let Some(open) = open {
            state.opens.push(open);
            let mut lose = self.lose_opens.lock().unwrap();
            let by_time = self.lose_until.is_some_and(|until| Instant::now() < until);
            if by_time || *lose > 0 {
                *lose = lose.saturating_sub(1);
                return Err(TransportError::Unavailable { reason: "answer lost".into() });
            }
        }
        match reply {
            Reply::Ready(Ok(output)) => Ok(output),
            Reply::Ready(Err(err)) => Err(TransportError::Refused(err)),
            Reply::Parked => Err(TransportError::Unavailable { reason: "parked calls are not simulated".into() }),
        }
    }
}

fn config(call_timeout: Duration) -> ClientConfig {
    ClientConfig {
        call_timeout,
        heartbeat_interval: Duration::from_secs(3600),
        retry_initial: Duration::from_millis(1),
        retry_max: Duration::from_millis(20),
        ..ClientConfig::default()
    }
}

#[tokio::test]
async fn a_lost_open_answer_does_not_leave_two_sessions() {
    let cluster = Lossy::new(2, None);
    let client = Client::new(cluster.clone(), config(Duration::from_secs(5)));
    // A lock needs a session: the first lock opens one.
    client.fenced_lock("a").unwrap().lock().await.unwrap();
    // Received three times (the answer was lost twice), applied once: one session.
    let opens = cluster.opens();
    assert_eq!(opens.len(), 3, "{opens:?}");
    assert!(opens.iter().all(|o| o.client == client.client_id() && o.seq == 1), "{opens:?}");
    assert_eq!(cluster.sessions(), 1);

    // Another client instance is another identity, with numbers of its own.
    let other = Client::new(cluster.clone(), config(Duration::from_secs(5)));
    assert_ne!(other.client_id(), client.client_id());
    other.fenced_lock("b").unwrap().lock().await.unwrap();
    assert_eq!(cluster.sessions(), 2);
    let last = cluster.opens().last().copied().unwrap();
    assert_eq!((last.client, last.seq), (other.client_id(), 1));
}

#[tokio::test(start_paused = true)]
async fn an_open_is_resent_only_within_the_resend_limit_then_made_anew() {
    let start = Instant::now();
    // Every open's answer is lost for a while longer than the resend limit.
    let cluster = Lossy::new(0, Some(start + RESEND_LIMIT + Duration::from_secs(10)));
    let client = Client::new(cluster.clone(), config(RESEND_LIMIT * 3));
    client.fenced_lock("a").unwrap().lock().await.unwrap();
    let opens = cluster.opens();
    let first_send = |seq: u64| opens.iter().find(|o| o.seq == seq).map(|o| o.at).unwrap();
    for open in &opens {
        assert!(open.at.duration_since(first_send(open.seq)) <= RESEND_LIMIT, "{open:?} resent past the limit");
    }
    // Open 1 was resent until the limit, then open 2 was made (and answered).
    assert!(opens.iter().filter(|o| o.seq == 1).count() > 1);
    assert_eq!(opens.last().map(|o| o.seq), Some(2), "{opens:?}");
    // The first open's session exists but is unused: it expires after its TTL.
    assert_eq!(cluster.sessions(), 2);
}
