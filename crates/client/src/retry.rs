//! The retry loop every call goes through, and the failover check inside each attempt.
//!
//! # Why each attempt is checked against the other members
//!
//! A killed leader fails fast: its connections are refused and the client moves on at once.
//! A paused leader (SIGSTOP, a long GC-like stall, a full disk) or one cut off from its
//! quorum does not: the call waits on an open connection that never answers, and the client
//! used to learn nothing until the attempt timeout. So while an attempt goes unanswered for
//! [`ClientConfig::failover_probe`](crate::ClientConfig::failover_probe), the client sends
//! the same call (same invocation id) to one other member, then the next, one at a time.
//! A follower answers "not the leader" at once, naming the leader it follows: if that is the
//! endpoint being waited on, nothing changed and the attempt goes on; if it names another
//! member, the cluster has elected a new leader and the call moves there. If the probed
//! member leads, its answer is the call's answer. Every copy carries the same invocation id,
//! so the group applies the call once however many copies reach a leader. After the first
//! [`PROBE_EVERY_MAX`] of an attempt, the checks slow down to one per [`PROBE_EVERY_MAX`]:
//! a call parked for minutes costs a follower one cheap answer a second, not three.
//!
//! A call to a sharded structure is checked the same way, except while it is parked: a
//! member forwards a copy to the owner of its partition, so the copy would not learn of a
//! new leader but park a second time. A sharded call for one partition goes first to the
//! owner the client's partition table names (`route.rs`), asking for a redirect instead of
//! a forward; a redirect is followed like a "not the leader" hint, same invocation id.
//!
//! # Blocking calls keep their place
//!
//! A blocking call is sent with `keep_parked`: when an attempt's time is up (at most
//! [`ClientConfig::wait_poll`](crate::ClientConfig::wait_poll)) the member answers "still
//! parked" instead of cancelling it, and the client sends the same invocation again, to the
//! same member or, after a leader change, to the new leader, which finds the waiter where
//! the group's replicated queue kept it.

use std::future::Future;
use std::time::Duration;

use coterie_core::dedup::RESEND_LIMIT;
use coterie_core::{CoreError, GroupOutput, Target};
use tokio::time::Instant;

use crate::client::Client;
use crate::error::ClientError;
use crate::transport::{Call, Transport, TransportError};

/// The longest time between two failover checks of one attempt (unless
/// [`ClientConfig::failover_probe`](crate::ClientConfig::failover_probe) is longer): how
/// long a call parked for a while may go on waiting at a leader that stopped answering.
pub(crate) const PROBE_EVERY_MAX: Duration = Duration::from_secs(1);

/// What the attempts of one call have established about it.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) struct Progress {
    /// Some attempt may have reached a leader and been applied: its answer was lost, it
    /// timed out, it was abandoned for a new leader, or it parked.
    pub(crate) maybe_applied: bool,
}

/// How one attempt ended.
#[derive(Debug)]
enum Outcome {
    /// A leader answered, at `endpoint`.
    Answered { endpoint: usize, result: Result<GroupOutput, CoreError> },
    /// The call is parked at `endpoint`'s group and keeps its place.
    StillParked { endpoint: usize },
    /// Another member named a leader other than the endpoint waited on: go there.
    Moved { to: usize },
    /// The endpoint does not lead; the leader it named, if any.
    NotLeader { leader: Option<usize> },
    /// No answer: timed out, or failed on the way (it may have been delivered).
    Unavailable { reason: String },
    /// Certainly not delivered (connection refused, member stopped).
    Unreachable { reason: String },
    /// A leader got it but may or may not have applied it; the new leader, if named.
    MayHaveApplied { leader: Option<usize>, reason: String },
}

impl Outcome {
    fn of(endpoint: usize, answer: Result<GroupOutput, TransportError>) -> Outcome {
        match answer {
            Ok(output) => Outcome::Answered { endpoint, result: Ok(output) },
            Err(TransportError::Refused(err)) => Outcome::Answered { endpoint, result: Err(err) },
            Err(TransportError::StillParked) => Outcome::StillParked { endpoint },
            Err(TransportError::NotLeader { leader }) => Outcome::NotLeader { leader },
            Err(TransportError::Unavailable { reason }) => Outcome::Unavailable { reason },
            Err(TransportError::Unreachable { reason }) => Outcome::Unreachable { reason },
            Err(TransportError::OutcomeUnknown { leader, reason }) => Outcome::MayHaveApplied { leader, reason },
        }
    }
}

/// Polls the probe in flight, if any; never completes without one.
async fn probe_answer<F: Future + Unpin>(probe: &mut Option<F>) -> F::Output {
    match probe {
        Some(probe) => probe.await,
        None => std::future::pending().await,
    }
}

impl<T: Transport> Client<T> {
    /// Delivers `call` to its group's leader, retrying until `deadline` (`None`: forever);
    /// each attempt is bounded by the configured attempt timeout.
    pub(crate) async fn send(&self, call: Call, deadline: Option<Instant>) -> Result<GroupOutput, ClientError> {
        let attempt = self.shared.config.attempt_timeout;
        self.send_bounded(call, deadline, attempt, &mut Progress::default()).await
    }

    /// Like [`Client::send`], with each attempt bounded by `attempt`, recording in
    /// `progress` whether an attempt may have been applied.
    pub(crate) async fn send_bounded(
        &self,
        mut call: Call,
        deadline: Option<Instant>,
        attempt: Duration,
        progress: &mut Progress,
    ) -> Result<GroupOutput, ClientError> {
        let shared = &self.shared;
        let started = Instant::now();
        let mut endpoint = self.leader_guess(&call.target).unwrap_or(0);
        // A sharded call for one partition goes straight to its owner when the client has
        // the partition table, asking not to be forwarded (`route.rs`).
        let routed = self.route_sharded(&call);
        if let Some(owner) = routed {
            endpoint = owner;
            call.redirect = true;
        }
        let mut backoff = shared.config.retry_initial;
        let mut hops_without_pause = 0;
        // Endpoints tried since the last answer, to refresh the member list after a round.
        let mut failed_in_round = 0;
        // When the group last answered for this call (its first send, or a "still parked").
        let mut last_contact = started;
        loop {
            // The transport may have learned members since the last attempt.
            let endpoints = shared.transport.endpoints().max(1);
            endpoint %= endpoints;
            let remaining = match deadline {
                Some(deadline) => match deadline.checked_duration_since(Instant::now()) {
                    Some(left) if !left.is_zero() => Some(left),
                    _ => return Err(gave_up(&call, progress, started, "the call's deadline passed".to_owned())),
                },
                None => None,
            };
            let bound = remaining.map_or(attempt, |left| left.min(attempt));
            // Boxed: the attempt's future nests the transport's, and unboxed it makes every
            // caller's future type too deep for the compiler's layout queries.
            let outcome = Box::pin(self.attempt(endpoint, &call, bound)).await;
            if routed.is_some() && !matches!(outcome, Outcome::Answered { .. } | Outcome::StillParked { .. }) {
                // Redirected (the owner moved) or the owner did not answer: refetch the
                // table in the background; this call follows the redirect meanwhile.
                self.routes_stale();
            }
            let failure = match outcome {
                Outcome::Answered { endpoint: at, result } => {
                    self.remember_leader(&call.target, at);
                    return result.map_err(ClientError::Refused);
                }
                Outcome::StillParked { endpoint: at } => {
                    // Parked in its place at `at`'s group: ask again there, at once.
                    progress.maybe_applied = true;
                    last_contact = Instant::now();
                    self.remember_leader(&call.target, at);
                    endpoint = at;
                    hops_without_pause = 0;
                    backoff = shared.config.retry_initial;
                    continue;
                }
                Outcome::Moved { to } => {
                    // The attempt left behind at the old leader may still be applied there.
                    progress.maybe_applied = true;
                    endpoint = to;
                    continue;
                }
                Outcome::NotLeader { leader: Some(leader) } if hops_without_pause < endpoints => {
                    // Follow the hint at once; pause only if hints keep going round.
                    endpoint = leader;
                    hops_without_pause += 1;
                    continue;
                }
                Outcome::NotLeader { .. } => "no endpoint knew the leader".to_owned(),
                Outcome::MayHaveApplied { leader: Some(leader), .. } if hops_without_pause < endpoints => {
                    // Retry at once where the new leader is, with the same invocation id.
                    progress.maybe_applied = true;
                    endpoint = leader;
                    hops_without_pause += 1;
                    continue;
                }
                Outcome::Unavailable { reason } | Outcome::MayHaveApplied { reason, .. } => {
                    progress.maybe_applied = true;
                    reason
                }
                Outcome::Unreachable { reason } => reason,
            };
            hops_without_pause = 0;
            failed_in_round += 1;
            if failed_in_round >= endpoints {
                // No member the client knows could serve it: ask the cluster for its members
                // (some may have joined, or moved), within what is left of the call's time.
                failed_in_round = 0;
                let bound = remaining.map_or(attempt, |left| left.min(attempt));
                shared.transport.refresh(bound).await;
            }
            endpoint = (endpoint + 1) % shared.transport.endpoints().max(1);
            let pause = remaining.map_or(backoff, |left| backoff.min(left));
            tokio::time::sleep(pause).await;
            backoff = backoff.saturating_mul(2).min(shared.config.retry_max);
            if deadline.is_some_and(|d| Instant::now() >= d) {
                return Err(gave_up(&call, progress, started, failure));
            }
            // The group remembers a call's answer for a while after it last heard from the
            // client, and the client keeps its side of that contract (`coterie_core::dedup`):
            // a call is not resent more than RESEND_LIMIT after its first send, or after the
            // group last said it is still parked, whatever the call's own deadline.
            if call.invocation.is_some() && last_contact.elapsed() >= RESEND_LIMIT {
                let last = format!(
                    "{failure}; not resent after {RESEND_LIMIT:?} without an answer, the longest the group is sure to remember it"
                );
                return Err(gave_up(&call, progress, started, last));
            }
        }
    }

    /// One attempt at `endpoint`, bounded by `bound`, with the failover check of the module
    /// docs: while it goes unanswered, the other members are asked in turn.
    async fn attempt(&self, endpoint: usize, call: &Call, bound: Duration) -> Outcome {
        let transport = &self.shared.transport;
        let endpoints = transport.endpoints();
        let first = self.shared.config.failover_probe;
        let mut every = first;
        let main = transport.call(endpoint, call.clone(), Some(bound));
        // Any member answers a stale read: there is no leader to check. Nor is there for a
        // parked sharded call: any member forwards it to its partition's owner, so a probe
        // copy would park there beside it, and the second arrival replaces the first's wait.
        let parked_sharded = call.keep_parked && matches!(call.target, Target::Sharded { .. });
        if endpoints < 2 || first.is_zero() || call.stale_read || parked_sharded {
            return Outcome::of(endpoint, main.await);
        }
        let mut main = std::pin::pin!(main);
        let since = Instant::now();
        let ends = later(since, bound);
        let mut next_probe = later(Instant::now(), every);
        let mut target = endpoint;
        let mut probe = None;
        loop {
            enum Event<A> {
                Main(A),
                Probe(A),
                ProbeDue,
            }
            let event = tokio::select! {
                biased;
                answer = &mut main => Event::Main(answer),
                answer = probe_answer(&mut probe) => Event::Probe(answer),
                () = tokio::time::sleep_until(next_probe), if probe.is_none() => Event::ProbeDue,
            };
            match event {
                Event::Main(answer) => return Outcome::of(endpoint, answer),
                Event::ProbeDue => {
                    target = (target + 1) % endpoints;
                    if target == endpoint {
                        target = (target + 1) % endpoints;
                    }
                    let left = ends.saturating_duration_since(Instant::now());
                    let timeout = every.min(left).max(Duration::from_millis(1));
                    probe = Some(Box::pin(transport.call(target, call.clone(), Some(timeout))));
                }
                Event::Probe(answer) => {
                    probe = None;
                    match Outcome::of(target, answer) {
                        // The probed member leads: its answer is the call's.
                        outcome @ (Outcome::Answered { .. } | Outcome::StillParked { .. }) => return outcome,
                        Outcome::NotLeader { leader: Some(leader) } if leader != endpoint => {
                            return Outcome::Moved { to: leader };
                        }
                        // It follows the endpoint waited on: a call waiting for long (parked)
                        // is checked less often.
                        Outcome::NotLeader { leader: Some(_) } if since.elapsed() >= PROBE_EVERY_MAX => {
                            every = PROBE_EVERY_MAX.max(first);
                        }
                        // It knows no leader (an election runs) or did not answer: look again soon.
                        _ => {}
                    }
                    next_probe = later(Instant::now(), every);
                }
            }
        }
    }

    pub(crate) fn leader_guess(&self, target: &Target) -> Option<usize> {
        self.shared.leaders.lock().ok().and_then(|leaders| leaders.get(target).copied())
    }

    pub(crate) fn remember_leader(&self, target: &Target, endpoint: usize) {
        if let Ok(mut leaders) = self.shared.leaders.lock()
            && leaders.get(target) != Some(&endpoint)
        {
            leaders.insert(target.clone(), endpoint);
        }
    }
}

/// The error a call ends with when its deadline passes unanswered: "may have been applied"
/// ([`ClientError::Indeterminate`]) for a call with an invocation id that some attempt may
/// have delivered, "unavailable" for anything that certainly changed nothing (a read, or a
/// call no member ever received).
fn gave_up(call: &Call, progress: &Progress, started: Instant, last: String) -> ClientError {
    let waited_ms = started.elapsed().as_millis();
    if progress.maybe_applied && call.invocation.is_some() {
        ClientError::Indeterminate { waited_ms, last }
    } else {
        ClientError::Unavailable { waited_ms, last }
    }
}

/// `at + wait`, with `wait` capped at about 30 years (what tokio's timers cap it at), so
/// that a huge configured duration is a very late instant rather than an overflow panic.
fn later(at: Instant, wait: Duration) -> Instant {
    at + wait.min(Duration::from_secs(30 * 365 * 24 * 60 * 60))
}
