//! Property tests of the client-keyed dedup table over random interleavings of new
//! requests, resends, time advances, expiry, snapshots and clients arriving at a full table.
//!
//! The simulated clients keep the contract of `coterie_core::dedup`: they resend a request
//! only within the resend limit (here half the TTL, on the group clock) of its first send.
//! Under that contract, whatever else happens: no `(client, seq)` is applied twice, a
//! resend is answered with the answer recorded when it was applied, and a resend that also
//! keeps to the window (fewer than `window` numbers behind the client's newest) of a request
//! that was applied is always answered, never refused.

#![allow(clippy::unwrap_used, reason = "test support: the client ids made here are never zero")]

use std::collections::BTreeMap;
use std::time::Duration;

use coterie_core::codec;
use coterie_core::dedup::Recordable;
use coterie_core::{ClientId, CoreError, Decision, DedupLimits, DedupTable, Timestamp};
use proptest::prelude::*;

const CLIENTS: u8 = 5;
const TTL_MS: u64 = 1_000;
/// The clients' resend limit: half the TTL, as `RESEND_LIMIT` is of `MIN_CLIENT_TTL`.
const RESEND_MS: u64 = TTL_MS / 2;

#[derive(Clone, Debug)]
enum Op {
    /// The client sends a new request (its next sequence number).
    New { client: u8 },
    /// The client resends one of its earlier requests (`back` from its newest).
    Resend { client: u8, back: u8 },
    /// Time passes.
    Advance { ms: u64 },
    /// A tick forgets the clients idle for the TTL.
    Expire,
    /// The table is snapshotted and restored.
    Snapshot,
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        4 => (0..CLIENTS).prop_map(|client| Op::New { client }),
        5 => (0..CLIENTS, 0..6u8).prop_map(|(client, back)| Op::Resend { client, back }),
        3 => prop_oneof![0..50u64, 50..400u64, 400..1_500u64].prop_map(|ms| Op::Advance { ms }),
        1 => Just(Op::Expire),
        1 => Just(Op::Snapshot),
    ]
}

/// One simulated client's requests: `(seq, first sent at)`, in order.
/// A recorded answer: a number, never pinned (the group's parked calls are tested in
/// `dedup_tests.rs` and the group's tests).
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
struct Answer(u64);

impl Recordable for Answer {}

#[derive(Default)]
struct Sent {
    requests: Vec<(u64, u64)>,
}

struct World {
    table: DedupTable<Answer>,
    window: u64,
    now: u64,
    sent: BTreeMap<u8, Sent>,
    /// How often each `(client, seq)` was applied, and the answer it was applied with.
    applied: BTreeMap<(u8, u64), (u32, u64)>,
    next_answer: u64,
}

fn id(client: u8) -> ClientId {
    ClientId::new(u128::from(client) + 1).unwrap()
}

impl World {
    /// Sends `(client, seq)`; `in_window` says whether it keeps to the window contract.
    fn send(&mut self, client: u8, seq: u64, in_window: bool) -> Result<(), TestCaseError> {
        let now = Timestamp(self.now);
        let was_applied = self.applied.get(&(client, seq)).copied();
        match self.table.decide(id(client), seq, now) {
            Decision::Apply => {
                self.next_answer += 1;
                let answer = self.next_answer;
                // Recorded first, applied only if recorded (as the group does).
                prop_assert_eq!(self.table.record(id(client), seq, Answer(answer), now), Ok(()), "Apply, then no room");
                let entry = self.applied.entry((client, seq)).or_insert((0, answer));
                entry.0 += 1;
                prop_assert_eq!(entry.0, 1, "({}, {}) applied twice, at {}", client, seq, self.now);
            }
            Decision::Answer(&Answer(answer)) => {
                let Some((_, recorded)) = was_applied else {
                    return Err(TestCaseError::fail(format!("({client}, {seq}) answered but never applied")));
                };
                prop_assert_eq!(answer, recorded, "({}, {}) answered with another request's answer", client, seq);
            }
            Decision::Refuse(CoreError::ClientWindowPassed { .. }) => {
                prop_assert!(
                    !(in_window && was_applied.is_some()),
                    "({}, {}) is within the window but was refused",
                    client,
                    seq
                );
            }
            Decision::Refuse(CoreError::TooManyClients { limit }) => {
                prop_assert!(!self.table.contains(id(client)));
                prop_assert_eq!(limit, self.table.limits().max_clients as u64);
                prop_assert!(was_applied.is_none(), "a client with an applied request was forgotten too early");
            }
            Decision::Refuse(other) => return Err(TestCaseError::fail(format!("unexpected refusal {other}"))),
        }
        if in_window && was_applied.is_some() {
            // A resend within the contract of an applied request: answered, so still known.
            prop_assert!(self.table.contains(id(client)));
        }
        Ok(())
    }

    fn step(&mut self, op: Op) -> Result<(), TestCaseError> {
        match op {
            Op::New { client } => {
                let sent = self.sent.entry(client).or_default();
                let seq = sent.requests.last().map_or(1, |&(seq, _)| seq + 1);
                sent.requests.push((seq, self.now));
                self.send(client, seq, true)
            }
            Op::Resend { client, back } => {
                let Some(sent) = self.sent.get(&client) else { return Ok(()) };
                let (Some(&(newest, _)), Some(index)) =
                    (sent.requests.last(), sent.requests.len().checked_sub(1 + usize::from(back)))
                else {
                    return Ok(());
                };
                let (seq, first_sent) = sent.requests[index];
                // The contract: no resend past the limit after the first send.
                if self.now - first_sent > RESEND_MS {
                    return Ok(());
                }
                self.send(client, seq, newest - seq < self.window)
            }
            Op::Advance { ms } => {
                self.now += ms;
                Ok(())
            }
            Op::Expire => {
                self.table.expire(Timestamp(self.now));
                Ok(())
            }
            Op::Snapshot => {
                let bytes = codec::encode(&self.table).map_err(|e| TestCaseError::fail(e.to_string()))?;
                let back: DedupTable<Answer> =
                    codec::decode(&bytes, "dedup table").map_err(|e| TestCaseError::fail(e.to_string()))?;
                prop_assert_eq!(&back, &self.table);
                self.table = back;
                Ok(())
            }
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn no_request_is_applied_twice_and_resends_get_the_recorded_answer(
        window in 1..5usize,
        max_clients in 1..=usize::from(CLIENTS),
        ops in prop::collection::vec(op(), 1..160),
    ) {
        let limits = DedupLimits { ttl: Duration::from_millis(TTL_MS), window, max_clients };
        let mut world = World {
            table: DedupTable::new(limits),
            window: window as u64,
            now: 0,
            sent: BTreeMap::new(),
            applied: BTreeMap::new(),
            next_answer: 0,
        };
        for op in ops {
            world.step(op)?;
            prop_assert!(world.table.len() <= max_clients);
        }
    }
}
