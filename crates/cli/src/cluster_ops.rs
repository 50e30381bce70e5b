//! One-shot data commands against a running cluster: `coterie atomic-long seq increment`.
//!
//! Parsing is pure ([`parse`]) so every operation name and argument check is unit-tested;
//! [`execute`] then runs the parsed operation through the Rust client, the same code path an
//! application uses, and renders the answer as lines.
//!
//! A one-shot process opens a client session when an operation needs one and closes it
//! before exiting. So operations that only make sense while a session lives on — holding
//! a lock, holding permits — are not offered: they would be released the moment the
//! command exits. Operations that complete inside the call (a count-down, a bounded await,
//! the lock's status) are offered.

use std::fmt;
use std::time::Duration;

use coterie_client::{Client, ClientError, Transport};

use crate::render;

/// The structure kinds the cluster commands address, with their command-line names.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ClusterKind {
    /// `atomic-long`.
    AtomicLong,
    /// `atomic-ref`.
    AtomicRef,
    /// `fenced-lock`.
    FencedLock,
    /// `semaphore`.
    Semaphore,
    /// `latch`.
    Latch,
}

impl ClusterKind {
    /// The operations the kind offers, with their arguments, as usage shows them.
    pub fn usage(self) -> &'static [&'static str] {
        match self {
            ClusterKind::AtomicLong => &[
                "get",
                "set N",
                "increment",
                "decrement",
                "add N",
                "get-and-add N",
                "get-and-set N",
                "get-and-increment",
                "get-and-decrement",
                "compare-and-set EXPECTED UPDATE",
            ],
            ClusterKind::AtomicRef => &[
                "get",
                "set VALUE|--null",
                "get-and-set VALUE|--null",
                "compare-and-set EXPECTED|--null UPDATE|--null",
                "set-if-absent VALUE",
                "is-null",
                "contains VALUE|--null",
                "clear",
            ],
            ClusterKind::FencedLock => &["is-locked", "lock-count"],
            ClusterKind::Semaphore => &["available", "init N", "reduce N", "increase N"],
            ClusterKind::Latch => &["count", "round", "try-set-count N", "count-down", "await [SECONDS]"],
        }
    }
}

impl fmt::Display for ClusterKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            ClusterKind::AtomicLong => "atomic-long",
            ClusterKind::AtomicRef => "atomic-ref",
            ClusterKind::FencedLock => "fenced-lock",
            ClusterKind::Semaphore => "semaphore",
            ClusterKind::Latch => "latch",
        })
    }
}

/// A parsed cluster data command.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ClusterOp {
    /// AtomicLong get.
    LongGet,
    /// AtomicLong set.
    LongSet(i64),
    /// AtomicLong add-and-get (increment and decrement are ±1).
    LongAddAndGet(i64),
    /// AtomicLong get-and-add (get-and-increment and get-and-decrement are ±1).
    LongGetAndAdd(i64),
    /// AtomicLong get-and-set.
    LongGetAndSet(i64),
    /// AtomicLong compare-and-set.
    LongCompareAndSet(i64, i64),
    /// AtomicReference get.
    RefGet,
    /// AtomicReference set (None: null).
    RefSet(Option<Vec<u8>>),
    /// AtomicReference get-and-set.
    RefGetAndSet(Option<Vec<u8>>),
    /// AtomicReference compare-and-set.
    RefCompareAndSet(Option<Vec<u8>>, Option<Vec<u8>>),
    /// AtomicReference set-if-absent.
    RefSetIfAbsent(Vec<u8>),
    /// AtomicReference is-null.
    RefIsNull,
    /// AtomicReference contains.
    RefContains(Option<Vec<u8>>),
    /// AtomicReference clear.
    RefClear,
    /// FencedLock is-locked.
    LockIsLocked,
    /// FencedLock lock-count.
    LockCount,
    /// Semaphore available permits.
    SemAvailable,
    /// Semaphore init.
    SemInit(u64),
    /// Semaphore reduce.
    SemReduce(u64),
    /// Semaphore increase.
    SemIncrease(u64),
    /// Latch count.
    LatchCount,
    /// Latch round.
    LatchRound,
    /// Latch try-set-count.
    LatchTrySetCount(u64),
    /// Latch count-down.
    LatchCountDown,
    /// Latch await, for at most this long.
    LatchAwait(Duration),
}

/// The longest `latch NAME await` waits when no time is given.
pub const DEFAULT_AWAIT: Duration = Duration::from_secs(30);

/// Why a cluster data command could not be parsed.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum ClusterParseError {
    /// The kind has no such operation.
    #[error("{kind} has no operation {op:?}; it supports: {}", kind.usage().join(", "))]
    UnknownOp {
        /// The kind.
        kind: ClusterKind,
        /// What was given.
        op: String,
    },
    /// The operation got the wrong arguments.
    #[error("{kind} {op}: {reason}; usage: {kind} NAME {}", usage_of(*kind, op))]
    BadArgs {
        /// The kind.
        kind: ClusterKind,
        /// The operation.
        op: String,
        /// What was wrong.
        reason: String,
    },
}

fn usage_of(kind: ClusterKind, op: &str) -> &'static str {
    kind.usage().iter().find(|usage| usage.split(' ').next() == Some(op)).copied().unwrap_or("")
}

/// The arguments of one operation, with the checks that report against it.
struct Args<'a> {
    kind: ClusterKind,
    op: &'a str,
    args: &'a [String],
}

impl Args<'_> {
    fn bad(&self, reason: impl Into<String>) -> ClusterParseError {
        ClusterParseError::BadArgs { kind: self.kind, op: self.op.to_owned(), reason: reason.into() }
    }

    fn count(&self, n: usize) -> Result<(), ClusterParseError> {
        if self.args.len() == n {
            Ok(())
        } else {
            Err(self.bad(format!("takes {n} argument(s), got {}", self.args.len())))
        }
    }

    fn none(&self) -> Result<(), ClusterParseError> {
        self.count(0)
    }

    fn arg(&self, i: usize) -> &str {
        self.args.get(i).map_or("", String::as_str)
    }

    fn i64(&self, i: usize) -> Result<i64, ClusterParseError> {
        let raw = self.arg(i);
        raw.parse().map_err(|err| self.bad(format!("{raw:?} is not a 64-bit signed integer ({err})")))
    }

    fn u64(&self, i: usize) -> Result<u64, ClusterParseError> {
        let raw = self.arg(i);
        raw.parse().map_err(|err| self.bad(format!("{raw:?} is not a non-negative 64-bit integer ({err})")))
    }

    fn nullable(&self, i: usize) -> Option<Vec<u8>> {
        let raw = self.arg(i);
        (raw != crate::ops::NULL_FLAG).then(|| raw.as_bytes().to_vec())
    }

    fn bytes(&self, i: usize) -> Result<Vec<u8>, ClusterParseError> {
        self.nullable(i).ok_or_else(|| self.bad("this operation does not accept --null"))
    }
}

/// Parses `OP [ARGS...]` of `kind`.
pub fn parse(kind: ClusterKind, op: &str, args: &[String]) -> Result<ClusterOp, ClusterParseError> {
    let a = Args { kind, op, args };
    let unknown = || ClusterParseError::UnknownOp { kind, op: op.to_owned() };
    use ClusterKind as K;
    use ClusterOp as O;
    let parsed = match (kind, op) {
        (K::AtomicLong, "get") => a.none().map(|()| O::LongGet)?,
        (K::AtomicLong, "set") => a.count(1).and_then(|()| a.i64(0)).map(O::LongSet)?,
        (K::AtomicLong, "increment" | "increment-and-get") => a.none().map(|()| O::LongAddAndGet(1))?,
        (K::AtomicLong, "decrement" | "decrement-and-get") => a.none().map(|()| O::LongAddAndGet(-1))?,
        (K::AtomicLong, "add" | "add-and-get") => a.count(1).and_then(|()| a.i64(0)).map(O::LongAddAndGet)?,
        (K::AtomicLong, "get-and-add") => a.count(1).and_then(|()| a.i64(0)).map(O::LongGetAndAdd)?,
        (K::AtomicLong, "get-and-set") => a.count(1).and_then(|()| a.i64(0)).map(O::LongGetAndSet)?,
        (K::AtomicLong, "get-and-increment") => a.none().map(|()| O::LongGetAndAdd(1))?,
        (K::AtomicLong, "get-and-decrement") => a.none().map(|()| O::LongGetAndAdd(-1))?,
        (K::AtomicLong, "compare-and-set") => {
            a.count(2)?;
            O::LongCompareAndSet(a.i64(0)?, a.i64(1)?)
        }
        (K::AtomicRef, "get") => a.none().map(|()| O::RefGet)?,
        (K::AtomicRef, "set") => a.count(1).map(|()| O::RefSet(a.nullable(0)))?,
        (K::AtomicRef, "get-and-set") => a.count(1).map(|()| O::RefGetAndSet(a.nullable(0)))?,
        (K::AtomicRef, "compare-and-set") => a.count(2).map(|()| O::RefCompareAndSet(a.nullable(0), a.nullable(1)))?,
        (K::AtomicRef, "set-if-absent") => a.count(1).and_then(|()| a.bytes(0)).map(O::RefSetIfAbsent)?,
        (K::AtomicRef, "is-null") => a.none().map(|()| O::RefIsNull)?,
        (K::AtomicRef, "contains") => a.count(1).map(|()| O::RefContains(a.nullable(0)))?,
        (K::AtomicRef, "clear") => a.none().map(|()| O::RefClear)?,
        (K::FencedLock, "is-locked") => a.none().map(|()| O::LockIsLocked)?,
        (K::FencedLock, "lock-count") => a.none().map(|()| O::LockCount)?,
        (K::Semaphore, "available" | "available-permits") => a.none().map(|()| O::SemAvailable)?,
        (K::Semaphore, "init") => a.count(1).and_then(|()| a.u64(0)).map(O::SemInit)?,
        (K::Semaphore, "reduce" | "reduce-permits") => a.count(1).and_then(|()| a.u64(0)).map(O::SemReduce)?,
        (K::Semaphore, "increase" | "increase-permits") => a.count(1).and_then(|()| a.u64(0)).map(O::SemIncrease)?,
        (K::Latch, "count" | "get-count") => a.none().map(|()| O::LatchCount)?,
        (K::Latch, "round" | "get-round") => a.none().map(|()| O::LatchRound)?,
        (K::Latch, "try-set-count") => a.count(1).and_then(|()| a.u64(0)).map(O::LatchTrySetCount)?,
        (K::Latch, "count-down") => a.none().map(|()| O::LatchCountDown)?,
        (K::Latch, "await") => match args {
            [] => O::LatchAwait(DEFAULT_AWAIT),
            [_] => {
                let secs = a.u64(0)?;
                if secs == 0 || secs > 3_600 {
                    return Err(a.bad("the wait must be from 1 to 3600 seconds"));
                }
                O::LatchAwait(Duration::from_secs(secs))
            }
            _ => return Err(a.bad(format!("takes at most 1 argument, got {}", args.len()))),
        },
        (K::FencedLock, "fence" | "get-fence") => {
            return Err(a.bad(
                "a one-shot command never holds the lock, so it has no fence to show (a fence belongs to its \
                 holder); `is-locked` and `lock-count` tell whether someone holds it",
            ));
        }
        (K::Semaphore, "drain" | "drain-permits") => {
            return Err(a.bad(
                "drained permits would belong to the one-shot command's session and come back when it exits; \
                 use `reduce N` to take permits away for good",
            ));
        }
        (K::FencedLock, "lock" | "try-lock" | "unlock") | (K::Semaphore, "acquire" | "try-acquire" | "release") => {
            return Err(a.bad(
                "a one-shot command cannot hold a lock or permits: its session closes when it exits, which \
                 releases them; use the client library (or `coterie demo` to see it work)",
            ));
        }
        _ => return Err(unknown()),
    };
    Ok(parsed)
}

/// What a one-shot command answered: the lines to print, and, when what it waited for did
/// not happen in time (a latch still counting), why, for exit status 4.
#[derive(Debug, PartialEq, Eq)]
pub struct Answer {
    /// The lines to print.
    pub lines: Vec<String>,
    /// Set when the command waited for something that did not happen in time.
    pub not_met: Option<String>,
}

impl From<Vec<String>> for Answer {
    fn from(lines: Vec<String>) -> Self {
        Answer { lines, not_met: None }
    }
}

/// Runs `op` on the structure `name` through `client`, answering the lines to print.
pub async fn execute<T: Transport>(client: &Client<T>, name: &str, op: &ClusterOp) -> Result<Answer, ClientError> {
    use ClusterOp as O;
    let line = |value: String| vec![value];
    let maybe = |value: Option<Vec<u8>>| line(value.map_or_else(|| "(null)".to_owned(), |v| render::bytes(&v)));
    let lines = match op {
        O::LongGet | O::LongSet(_) | O::LongAddAndGet(_) | O::LongGetAndAdd(_) | O::LongGetAndSet(_) => {
            let long = client.atomic_long(name)?;
            match op {
                O::LongSet(value) => long.set(*value).await.map(|()| line("ok".into()))?,
                O::LongAddAndGet(delta) => line(long.add_and_get(*delta).await?.to_string()),
                O::LongGetAndAdd(delta) => line(long.get_and_add(*delta).await?.to_string()),
                O::LongGetAndSet(value) => line(long.get_and_set(*value).await?.to_string()),
                _ => line(long.get().await?.to_string()),
            }
        }
        O::LongCompareAndSet(expected, update) => {
            line(client.atomic_long(name)?.compare_and_set(*expected, *update).await?.to_string())
        }
        O::RefGet => maybe(client.atomic_reference::<Vec<u8>>(name)?.get().await?),
        O::RefSet(value) => {
            client.atomic_reference::<Vec<u8>>(name)?.set(value.as_ref()).await?;
            line("ok".into())
        }
        O::RefGetAndSet(value) => maybe(client.atomic_reference::<Vec<u8>>(name)?.get_and_set(value.as_ref()).await?),
        O::RefCompareAndSet(expected, update) => line(
            client
                .atomic_reference::<Vec<u8>>(name)?
                .compare_and_set(expected.as_ref(), update.as_ref())
                .await?
                .to_string(),
        ),
        O::RefSetIfAbsent(value) => {
            line(client.atomic_reference::<Vec<u8>>(name)?.set_if_absent(value).await?.to_string())
        }
        O::RefIsNull => line(client.atomic_reference::<Vec<u8>>(name)?.is_null().await?.to_string()),
        O::RefContains(value) => {
            line(client.atomic_reference::<Vec<u8>>(name)?.contains(value.as_ref()).await?.to_string())
        }
        O::RefClear => {
            client.atomic_reference::<Vec<u8>>(name)?.clear().await?;
            line("ok".into())
        }
        O::LockIsLocked => line(client.fenced_lock(name)?.is_locked().await?.to_string()),
        O::LockCount => line(client.fenced_lock(name)?.lock_count().await?.to_string()),
        O::SemAvailable => line(client.semaphore(name)?.available_permits().await?.to_string()),
        O::SemInit(permits) => {
            client.semaphore(name)?.init(*permits).await?;
            line("ok".into())
        }
        O::SemReduce(permits) => {
            client.semaphore(name)?.reduce_permits(*permits).await?;
            line("ok".into())
        }
        O::SemIncrease(permits) => {
            client.semaphore(name)?.increase_permits(*permits).await?;
            line("ok".into())
        }
        O::LatchCount => line(client.count_down_latch(name)?.get_count().await?.to_string()),
        O::LatchRound => line(client.count_down_latch(name)?.get_round().await?.to_string()),
        O::LatchTrySetCount(count) => line(client.count_down_latch(name)?.try_set_count(*count).await?.to_string()),
        O::LatchCountDown => {
            client.count_down_latch(name)?.count_down().await?;
            line(client.count_down_latch(name)?.get_count().await?.to_string())
        }
        O::LatchAwait(wait) => {
            let opened = client.count_down_latch(name)?.await_latch(Some(*wait)).await?;
            if !opened {
                let still = format!("still counting after {}s", wait.as_secs());
                let why = format!("latch {name:?} did not open within {}s", wait.as_secs());
                return Ok(Answer { lines: line(still), not_met: Some(why) });
            }
            line("opened".to_owned())
        }
    };
    Ok(lines.into())
}

/// The long help of a kind's data command: its operations.
pub fn help(kind: ClusterKind) -> String {
    let mut help = String::from("Operations:\n");
    for usage in kind.usage() {
        help.push_str(&format!("  {kind} NAME {usage}\n"));
    }
    help.push_str(&format!(
        "\n{} stands for null where a value may be null. The cluster is --endpoints (or COTERIE_ENDPOINTS).\n\n{}",
        crate::ops::NULL_FLAG,
        crate::EXIT_STATUS
    ));
    help
}

/// Runs one data command against the cluster at `endpoints`.
pub(crate) async fn run(
    (kind, endpoints): (ClusterKind, &[String]),
    args: &crate::ClusterArgs,
) -> anyhow::Result<crate::Outcome> {
    // Parse before connecting: a typo must not reach the cluster.
    let op = parse(kind, &args.op, &args.args)?;
    let connected = Client::connect(endpoints).await?;
    let client = if args.stale { connected.with_stale_reads() } else { connected };
    let answer = execute(&client, &args.name, &op).await;
    finish(client, answer).await
}

/// Ends a one-shot command: closes `client` before reporting (so that a session opened for
/// the command does not linger), prints the answer's lines, and sorts a failure into the
/// exit status: what the structure refused (or a bad name) is exit 1 with its message,
/// anything else an error.
pub(crate) async fn finish<T: Transport>(
    client: Client<T>,
    answer: Result<Answer, ClientError>,
) -> anyhow::Result<crate::Outcome> {
    let closed = client.close().await;
    let outcome = match answer {
        Ok(Answer { lines, not_met }) => {
            crate::print_lines(&lines)?;
            match not_met {
                None => crate::Outcome::Done,
                Some(why) => crate::Outcome::NotMet(why),
            }
        }
        Err(ClientError::Refused(err)) => crate::Outcome::Refused(err.to_string()),
        Err(ClientError::InvalidName { name, reason }) => {
            crate::Outcome::Refused(format!("invalid structure name {name:?}: {reason}"))
        }
        Err(other) => return Err(other.into()),
    };
    closed?;
    Ok(outcome)
}

#[cfg(test)]
#[path = "cluster_ops_tests.rs"]
mod tests;
