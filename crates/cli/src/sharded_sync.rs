//! The one-shot commands of the sharded Lock, Semaphore and Barrier (seed 000):
//! `coterie lock deploy acquire --lease 30000`, `coterie sharded-semaphore --permits 5 pool
//! try-acquire --lease 10000`, `coterie barrier phase-1 arrive 3 --timeout 30000`.
//!
//! A sharded lock or permit belongs to a handle's owner id, not to a session, so it does not
//! end when the one-shot process exits: it is held until its lease ends or someone releases
//! it as that owner. So `acquire` and `try-acquire` print the owner id they acquired as
//! (`owner HEX`, after the fence), and `release` and `held` take it back with `--owner HEX`;
//! without `--owner` a command acts as a fresh owner, which holds nothing. Give a lease to
//! anything a script acquires, or a crashed script holds it for good. Parsed purely, like
//! the rest of `sharded_ops.rs`.

use std::time::Duration;

use coterie_client::{Client, ClientError, Sharded, Transport};
use coterie_core::{ConfigError, Fence, OwnerId};

use crate::cluster_ops::Answer;
use crate::render;
use crate::sharded_ops::{ShardedKind, ShardedParseError};

/// The longest `barrier NAME arrive` waits when no `--timeout` is given.
pub const DEFAULT_ARRIVE: Duration = Duration::from_secs(30);
/// The longest wait a command accepts (an hour), in milliseconds.
const MAX_WAIT_MS: u64 = 3_600_000;

/// A parsed Lock, Semaphore or Barrier command.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum SyncOp {
    /// Lock acquire (wait as long as it takes), as `owner` (None: a fresh one).
    LockAcquire { lease: Option<Duration>, owner: Option<OwnerId> },
    /// Lock try-acquire, waiting at most `timeout`.
    LockTryAcquire { lease: Option<Duration>, timeout: Duration, owner: Option<OwnerId> },
    /// Lock release as `owner`.
    LockRelease { owner: Option<OwnerId> },
    /// Lock is-locked.
    LockIsLocked,
    /// Lock holder.
    LockHolder,
    /// Semaphore create (with `--permits`).
    SemaphoreCreate,
    /// Semaphore acquire.
    SemaphoreAcquire { lease: Option<Duration>, owner: Option<OwnerId> },
    /// Semaphore try-acquire.
    SemaphoreTryAcquire { lease: Option<Duration>, timeout: Duration, owner: Option<OwnerId> },
    /// Semaphore release as `owner`.
    SemaphoreRelease { owner: Option<OwnerId> },
    /// Semaphore available.
    SemaphoreAvailable,
    /// The permits `owner` holds.
    SemaphoreHeld { owner: Option<OwnerId> },
    /// Barrier arrive.
    BarrierArrive { expected: u64, timeout: Duration },
    /// Barrier waiting.
    BarrierWaiting,
    /// Barrier round.
    BarrierRound,
}

/// The operations of the sharded Lock, Semaphore and Barrier, as usage shows them.
pub fn usage(kind: ShardedKind) -> &'static [&'static str] {
    match kind {
        ShardedKind::Lock => &[
            "acquire [--lease MS] [--owner HEX]",
            "try-acquire [--lease MS] [--timeout MS=0] [--owner HEX]",
            "release --owner HEX",
            "is-locked",
            "holder",
        ],
        ShardedKind::Semaphore => &[
            "create",
            "acquire [--lease MS] [--owner HEX]",
            "try-acquire [--lease MS] [--timeout MS=0] [--owner HEX]",
            "release --owner HEX",
            "available",
            "held --owner HEX",
        ],
        ShardedKind::Barrier => &["arrive EXPECTED [--timeout MS=30000]", "waiting", "round"],
        _ => &[],
    }
}

/// The `--name VALUE` options of one command, and its other words.
struct Options<'a> {
    kind: ShardedKind,
    op: &'a str,
    lease: Option<Duration>,
    timeout: Option<Duration>,
    owner: Option<OwnerId>,
    words: Vec<&'a str>,
}

impl<'a> Options<'a> {
    fn bad(&self, reason: impl Into<String>) -> ShardedParseError {
        ShardedParseError::BadArgs { kind: self.kind, op: self.op.to_owned(), reason: reason.into() }
    }

    /// Reads the options `allowed` of `args`; anything else starting with `--` is refused.
    fn parse(kind: ShardedKind, op: &'a str, args: &'a [String], allowed: &[&str]) -> Result<Self, ShardedParseError> {
        let mut options = Options { kind, op, lease: None, timeout: None, owner: None, words: Vec::new() };
        let mut rest = args.iter().map(String::as_str);
        while let Some(word) = rest.next() {
            if !word.starts_with("--") {
                options.words.push(word);
                continue;
            }
            if !allowed.contains(&word) {
                let takes = if allowed.is_empty() { "no options".to_owned() } else { allowed.join(", ") };
                return Err(options.bad(format!("unknown option {word:?}; it takes {takes}")));
            }
            let Some(value) = rest.next() else {
                return Err(options.bad(format!("{word} needs a value")));
            };
            match word {
                "--lease" => options.lease = Some(options.millis(word, value, 1)?),
                "--timeout" => options.timeout = Some(options.millis(word, value, 0)?),
                _ => options.owner = Some(options.owner_id(value)?),
            }
        }
        Ok(options)
    }

    fn millis(&self, flag: &str, raw: &str, min: u64) -> Result<Duration, ShardedParseError> {
        match raw.parse::<u64>() {
            Ok(ms) if (min..=MAX_WAIT_MS).contains(&ms) => Ok(Duration::from_millis(ms)),
            _ => Err(self.bad(format!("{flag} must be from {min} to {MAX_WAIT_MS} milliseconds, got {raw:?}"))),
        }
    }

    fn owner_id(&self, raw: &str) -> Result<OwnerId, ShardedParseError> {
        let hex = raw.strip_prefix("0x").unwrap_or(raw);
        match u128::from_str_radix(hex, 16) {
            Ok(id) if !hex.is_empty() && hex.len() <= 32 => Ok(OwnerId(id)),
            _ => {
                Err(self
                    .bad(format!("--owner must be the owner id an acquire printed (up to 32 hex digits), got {raw:?}")))
            }
        }
    }

    fn no_words(&self) -> Result<(), ShardedParseError> {
        match self.words.as_slice() {
            [] => Ok(()),
            more => Err(self.bad(format!("takes no arguments besides its options, got {more:?}"))),
        }
    }

    fn needs_owner(&self) -> Result<Option<OwnerId>, ShardedParseError> {
        match self.owner {
            Some(owner) => Ok(Some(owner)),
            None => Err(self.bad(
                "--owner HEX is required: a one-shot command's own owner id is fresh and holds nothing; pass the \
                 owner id the acquire printed",
            )),
        }
    }
}

/// Parses `OP [ARGS...]` of the sharded Lock, Semaphore or Barrier.
pub fn parse(kind: ShardedKind, op: &str, args: &[String]) -> Result<SyncOp, ShardedParseError> {
    use ShardedKind as K;
    use SyncOp as O;
    let options = |allowed: &[&str]| Options::parse(kind, op, args, allowed);
    let acquire = ["--lease", "--owner"];
    let try_acquire = ["--lease", "--timeout", "--owner"];
    let parsed = match (kind, op) {
        (K::Lock | K::Semaphore, "acquire") => {
            let o = options(&acquire)?;
            o.no_words()?;
            if kind == K::Lock {
                O::LockAcquire { lease: o.lease, owner: o.owner }
            } else {
                O::SemaphoreAcquire { lease: o.lease, owner: o.owner }
            }
        }
        (K::Lock | K::Semaphore, "try-acquire") => {
            let o = options(&try_acquire)?;
            o.no_words()?;
            let (lease, timeout, owner) = (o.lease, o.timeout.unwrap_or_default(), o.owner);
            if kind == K::Lock {
                O::LockTryAcquire { lease, timeout, owner }
            } else {
                O::SemaphoreTryAcquire { lease, timeout, owner }
            }
        }
        (K::Lock | K::Semaphore, "release") => {
            let o = options(&["--owner"])?;
            o.no_words()?;
            let owner = o.needs_owner()?;
            if kind == K::Lock { O::LockRelease { owner } } else { O::SemaphoreRelease { owner } }
        }
        (K::Semaphore, "held") => {
            let o = options(&["--owner"])?;
            o.no_words()?;
            O::SemaphoreHeld { owner: o.needs_owner()? }
        }
        (K::Lock, "is-locked") => options(&[])?.no_words().map(|()| O::LockIsLocked)?,
        (K::Lock, "holder") => options(&[])?.no_words().map(|()| O::LockHolder)?,
        (K::Semaphore, "create") => options(&[])?.no_words().map(|()| O::SemaphoreCreate)?,
        (K::Semaphore, "available") => options(&[])?.no_words().map(|()| O::SemaphoreAvailable)?,
        (K::Barrier, "arrive") => {
            let o = options(&["--timeout"])?;
            let expected = match o.words.as_slice() {
                [raw] => match raw.parse::<u64>() {
                    Ok(expected @ 1..) => expected,
                    _ => return Err(o.bad(format!("EXPECTED must be a party count of 1 or more, got {raw:?}"))),
                },
                words => return Err(o.bad(format!("takes 1 argument (EXPECTED), got {}", words.len()))),
            };
            O::BarrierArrive { expected, timeout: o.timeout.unwrap_or(DEFAULT_ARRIVE) }
        }
        (K::Barrier, "waiting") => options(&[])?.no_words().map(|()| O::BarrierWaiting)?,
        (K::Barrier, "round") => options(&[])?.no_words().map(|()| O::BarrierRound)?,
        _ => return Err(ShardedParseError::UnknownOp { kind, op: op.to_owned() }),
    };
    Ok(parsed)
}

/// How an owner id prints: `owner` and 32 hex digits, what `--owner` takes back.
fn owner_line(owner: OwnerId) -> String {
    format!("owner {:032x}", owner.0)
}

fn fenced(fence: Fence, owner: OwnerId) -> Vec<String> {
    vec![fence.0.to_string(), owner_line(owner)]
}

/// Runs `op` on the sharded structure `name` (`permits`: a semaphore's, checked by the
/// caller), answering the lines to print.
pub async fn execute<T: Transport>(
    client: &Client<T>,
    name: &str,
    options: Sharded,
    permits: Option<u32>,
    op: &SyncOp,
) -> Result<Answer, ClientError> {
    use SyncOp as O;
    let lock = |owner: &Option<OwnerId>| match owner {
        Some(owner) => client.lock_as(name, options, *owner),
        None => client.lock_with(name, options),
    };
    let semaphore = |owner: &Option<OwnerId>| {
        // `run` refuses a semaphore command without --permits before connecting.
        let Some(permits) = permits else {
            return Err(ClientError::InvalidConfig(ConfigError::new(
                "--permits",
                "none",
                "a sharded semaphore command needs --permits N, the same for every use of the name",
            )));
        };
        match owner {
            Some(owner) => client.sharded_semaphore_as(name, permits, options, *owner),
            None => client.sharded_semaphore_with(name, permits, options),
        }
    };
    let not_met = |lines: Vec<String>, why: String| Answer { lines, not_met: Some(why) };
    let lines = match op {
        O::LockAcquire { lease, owner } => {
            let lock = lock(owner)?;
            fenced(lock.acquire(*lease).await?, lock.owner())
        }
        O::LockTryAcquire { lease, timeout, owner } => {
            let lock = lock(owner)?;
            match lock.try_acquire(*lease, *timeout).await? {
                Some(fence) => fenced(fence, lock.owner()),
                None => {
                    let why = format!(
                        "lock {name:?} is held by another owner; not acquired within {} ms",
                        timeout.as_millis()
                    );
                    return Ok(not_met(vec![render::NULL.to_owned()], why));
                }
            }
        }
        O::LockRelease { owner } => vec![lock(owner)?.release().await?.to_string()],
        O::LockIsLocked => vec![lock(&None)?.is_locked().await?.to_string()],
        O::LockHolder => match lock(&None)?.holder().await? {
            Some((owner, fence)) => fenced(fence, owner),
            None => vec![render::NULL.to_owned()],
        },
        O::SemaphoreCreate => vec![semaphore(&None)?.create().await?.to_string()],
        O::SemaphoreAcquire { lease, owner } => {
            let semaphore = semaphore(owner)?;
            semaphore.acquire(*lease).await?;
            vec![render::OK.to_owned(), owner_line(semaphore.owner())]
        }
        O::SemaphoreTryAcquire { lease, timeout, owner } => {
            let semaphore = semaphore(owner)?;
            if !semaphore.try_acquire(*lease, *timeout).await? {
                let why = format!("no permit of semaphore {name:?} was free within {} ms", timeout.as_millis());
                return Ok(not_met(vec!["false".to_owned()], why));
            }
            vec!["true".to_owned(), owner_line(semaphore.owner())]
        }
        O::SemaphoreRelease { owner } => vec![semaphore(owner)?.release().await?.to_string()],
        O::SemaphoreAvailable => vec![semaphore(&None)?.available().await?.to_string()],
        O::SemaphoreHeld { owner } => vec![semaphore(owner)?.held().await?.to_string()],
        O::BarrierArrive { expected, timeout } => {
            match client.barrier_with(name, options)?.arrive(*expected, Some(*timeout)).await {
                Ok(round) => vec![round.to_string()],
                Err(err @ ClientError::BarrierTimedOut { .. }) => {
                    return Ok(not_met(vec![render::NULL.to_owned()], err.to_string()));
                }
                Err(err) => return Err(err),
            }
        }
        O::BarrierWaiting => vec![client.barrier_with(name, options)?.waiting().await?.to_string()],
        O::BarrierRound => vec![client.barrier_with(name, options)?.round().await?.to_string()],
    };
    Ok(lines.into())
}
