//! One-shot data commands for the sharded structures (seed 000): `coterie counter
//! page-views increment 100`, `coterie map users put alice x`, `coterie set tags add rust`,
//! `coterie queue jobs enqueue task-1`, and the Lock, Semaphore and Barrier commands of
//! `sharded_sync.rs`.
//!
//! The same shape as the CP commands (`cluster_ops.rs`): `KIND NAME OP [ARGS...]`, parsed
//! purely before anything is connected ([`parse`]), then run through the client's typed
//! handles, the code path an application uses, and printed as lines: a number, `true` or
//! `false`, a value (`(null)` when absent), `ok`. Keys, values and items are UTF-8 text,
//! stored as their raw bytes, so they are the same keys a Rust `Map<String, _>` uses.
//! `--shards N` (default 100) must be the same for every use of one name.
//!
//! Whole-structure operations of Map and Set (size, keys, entries, members, clear) span
//! every partition holding a shard (the member asked gathers them). A listing prints up to
//! `--limit N` (default 1000) items, one per line (`key = value` for entries), then `next:
//! CURSOR` when more follow: pass it to `--after` for the rest.

use std::fmt;
use std::time::Duration;

use coterie_client::{Client, ClientError, Cursor, Page, Sharded, Transport};

use crate::cluster_ops::Answer;
use crate::ops::NULL_FLAG;
use crate::render;
use crate::sharded_sync::{self, SyncOp};

/// The sharded kinds, with their command-line names.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ShardedKind {
    /// `counter`.
    Counter,
    /// `map`.
    Map,
    /// `set`.
    Set,
    /// `queue`.
    Queue,
    /// `lock`.
    Lock,
    /// `sharded-semaphore`.
    Semaphore,
    /// `barrier`.
    Barrier,
}

impl ShardedKind {
    /// The operations the kind offers, with their arguments, as usage shows them.
    pub fn usage(self) -> &'static [&'static str] {
        match self {
            ShardedKind::Counter => &["increment [N=1]", "decrement [N=1]", "get"],
            ShardedKind::Map => &[
                "put KEY VALUE",
                "get KEY",
                "contains KEY",
                "delete KEY",
                "put-if-absent KEY VALUE",
                "replace KEY VALUE",
                "compare-and-set KEY EXPECTED|--null UPDATE|--null",
                "size",
                "keys [--after CURSOR] [--limit N=1000]",
                "entries [--after CURSOR] [--limit N=1000]",
                "clear",
            ],
            ShardedKind::Set => &[
                "add ITEM",
                "remove ITEM",
                "contains ITEM",
                "size",
                "members [--after CURSOR] [--limit N=1000]",
                "clear",
            ],
            ShardedKind::Queue => &["enqueue ITEM", "peek", "dequeue", "take [SECONDS=30]", "size", "drain N", "clear"],
            ShardedKind::Lock | ShardedKind::Semaphore | ShardedKind::Barrier => sharded_sync::usage(self),
        }
    }
}

impl fmt::Display for ShardedKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            ShardedKind::Counter => "counter",
            ShardedKind::Map => "map",
            ShardedKind::Set => "set",
            ShardedKind::Queue => "queue",
            ShardedKind::Lock => "lock",
            ShardedKind::Semaphore => "sharded-semaphore",
            ShardedKind::Barrier => "barrier",
        })
    }
}

/// A parsed sharded data command.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ShardedOp {
    /// Counter increment (decrement is a negative delta).
    CounterAdd(i64),
    /// Counter get.
    CounterGet,
    /// Map put.
    MapPut(Vec<u8>, Vec<u8>),
    /// Map get.
    MapGet(Vec<u8>),
    /// Map contains.
    MapContains(Vec<u8>),
    /// Map delete.
    MapDelete(Vec<u8>),
    /// Map put-if-absent.
    MapPutIfAbsent(Vec<u8>, Vec<u8>),
    /// Map replace.
    MapReplace(Vec<u8>, Vec<u8>),
    /// Map compare-and-set (None: no entry).
    MapCompareAndSet(Vec<u8>, Option<Vec<u8>>, Option<Vec<u8>>),
    /// Set add.
    SetAdd(Vec<u8>),
    /// Set remove.
    SetRemove(Vec<u8>),
    /// Set contains.
    SetContains(Vec<u8>),
    /// Queue enqueue.
    QueueEnqueue(Vec<u8>),
    /// Queue peek.
    QueuePeek,
    /// Queue dequeue (no wait).
    QueueDequeue,
    /// Queue take, waiting at most this long.
    QueueTake(Duration),
    /// Queue size.
    QueueSize,
    /// Queue drain of at most N items.
    QueueDrain(u32),
    /// Queue clear.
    QueueClear,
    /// Map size.
    MapSize,
    /// Map keys: up to `limit` from `after` (None: the start).
    MapKeys(Option<Vec<u8>>, u32),
    /// Map entries, as keys.
    MapEntries(Option<Vec<u8>>, u32),
    /// Map clear.
    MapClear,
    /// Set size.
    SetSize,
    /// Set members, as keys.
    SetMembers(Option<Vec<u8>>, u32),
    /// Set clear.
    SetClear,
    /// A Lock, Semaphore or Barrier command.
    Sync(SyncOp),
}

/// How many items a listing prints when no `--limit` is given.
pub const DEFAULT_LIST: u32 = 1_000;
/// The most items one listing command prints.
pub const MAX_LIST: u32 = 100_000;

/// The longest `queue NAME take` waits when no time is given.
pub const DEFAULT_TAKE: Duration = Duration::from_secs(30);

/// Why a sharded data command could not be parsed: a usage error (exit status 2).
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum ShardedParseError {
    /// The kind has no such operation.
    #[error("{kind} has no operation {op:?}; it supports: {}", kind.usage().join(", "))]
    UnknownOp {
        /// The kind.
        kind: ShardedKind,
        /// What was given.
        op: String,
    },
    /// The operation got the wrong arguments, or is not served yet.
    #[error("{kind} {op}: {reason}; usage: {kind} NAME {}", usage_of(*kind, op))]
    BadArgs {
        /// The kind.
        kind: ShardedKind,
        /// The operation.
        op: String,
        /// What was wrong.
        reason: String,
    },
}

fn usage_of(kind: ShardedKind, op: &str) -> String {
    match kind.usage().iter().find(|usage| usage.split(' ').next() == Some(op)) {
        Some(usage) => (*usage).to_owned(),
        None => format!("OP (one of: {})", kind.usage().join(", ")),
    }
}

/// The arguments of one operation, with the checks that report against it.
struct Args<'a> {
    kind: ShardedKind,
    op: &'a str,
    args: &'a [String],
}

impl Args<'_> {
    fn bad(&self, reason: impl Into<String>) -> ShardedParseError {
        ShardedParseError::BadArgs { kind: self.kind, op: self.op.to_owned(), reason: reason.into() }
    }

    fn count(&self, n: usize) -> Result<(), ShardedParseError> {
        if self.args.len() == n {
            Ok(())
        } else {
            Err(self.bad(format!("takes {n} argument(s), got {}", self.args.len())))
        }
    }

    fn at_most_one(&self) -> Result<Option<&str>, ShardedParseError> {
        match self.args {
            [] => Ok(None),
            [one] => Ok(Some(one)),
            more => Err(self.bad(format!("takes at most 1 argument, got {}", more.len()))),
        }
    }

    fn arg(&self, i: usize) -> &str {
        self.args.get(i).map_or("", String::as_str)
    }

    fn nullable(&self, i: usize) -> Option<Vec<u8>> {
        let raw = self.arg(i);
        (raw != NULL_FLAG).then(|| raw.as_bytes().to_vec())
    }

    fn bytes(&self, i: usize) -> Result<Vec<u8>, ShardedParseError> {
        self.nullable(i).ok_or_else(|| self.bad(format!("this operation does not accept {NULL_FLAG}")))
    }

    /// One argument (a key, an item).
    fn one(&self) -> Result<Vec<u8>, ShardedParseError> {
        self.count(1).and_then(|()| self.bytes(0))
    }

    /// Two arguments (a key and a value).
    fn two(&self) -> Result<(Vec<u8>, Vec<u8>), ShardedParseError> {
        self.count(2)?;
        Ok((self.bytes(0)?, self.bytes(1)?))
    }

    /// A listing's `[--after CURSOR] [--limit N]`: the cursor as a `next:` line printed it
    /// (`0x` and hex digits), the limit 1 to [`MAX_LIST`].
    fn listing(&self) -> Result<(Option<Vec<u8>>, u32), ShardedParseError> {
        let (mut after, mut limit) = (None, DEFAULT_LIST);
        let mut rest = self.args.iter();
        while let Some(flag) = rest.next() {
            let Some(value) = rest.next() else {
                return Err(self.bad(format!("{flag:?} needs a value (or is not an option of this operation)")));
            };
            match flag.as_str() {
                "--after" => {
                    after = Some(cursor(value).ok_or_else(|| {
                        self.bad(format!(
                            "--after takes the cursor a `next:` line printed (0x and hex digits), got {value:?}"
                        ))
                    })?)
                }
                "--limit" => match value.parse::<u32>() {
                    Ok(n @ 1..=MAX_LIST) => limit = n,
                    _ => return Err(self.bad(format!("--limit must be from 1 to {MAX_LIST}, got {value:?}"))),
                },
                other => return Err(self.bad(format!("unknown option {other:?}; it takes --after, --limit"))),
            }
        }
        Ok((after, limit))
    }

    /// An optional counter delta, 1 by default.
    fn delta(&self) -> Result<i64, ShardedParseError> {
        match self.at_most_one()? {
            None => Ok(1),
            Some(raw) => raw.parse().map_err(|err| self.bad(format!("{raw:?} is not a 64-bit signed integer ({err})"))),
        }
    }
}

/// The bytes of a cursor printed as `0x` and hex digits.
fn cursor(raw: &str) -> Option<Vec<u8>> {
    let hex = raw.strip_prefix("0x")?;
    if hex.is_empty() || hex.len() % 2 != 0 {
        return None;
    }
    (0..hex.len()).step_by(2).map(|i| hex.get(i..i + 2).and_then(|pair| u8::from_str_radix(pair, 16).ok())).collect()
}

/// Parses `OP [ARGS...]` of `kind`.
pub fn parse(kind: ShardedKind, op: &str, args: &[String]) -> Result<ShardedOp, ShardedParseError> {
    let a = Args { kind, op, args };
    use ShardedKind as K;
    use ShardedOp as O;
    let parsed = match (kind, op) {
        (K::Counter, "increment") => O::CounterAdd(a.delta()?),
        (K::Counter, "decrement") => {
            let delta = a.delta()?;
            O::CounterAdd(delta.checked_neg().ok_or_else(|| a.bad(format!("{delta} cannot be subtracted")))?)
        }
        (K::Counter, "get") => a.count(0).map(|()| O::CounterGet)?,
        (K::Map, "put") => a.two().map(|(key, value)| O::MapPut(key, value))?,
        (K::Map, "get") => a.one().map(O::MapGet)?,
        (K::Map, "contains") => a.one().map(O::MapContains)?,
        (K::Map, "delete") => a.one().map(O::MapDelete)?,
        (K::Map, "put-if-absent") => a.two().map(|(key, value)| O::MapPutIfAbsent(key, value))?,
        (K::Map, "replace") => a.two().map(|(key, value)| O::MapReplace(key, value))?,
        (K::Map, "compare-and-set") => {
            a.count(3)?;
            O::MapCompareAndSet(a.bytes(0)?, a.nullable(1), a.nullable(2))
        }
        (K::Set, "add") => a.one().map(O::SetAdd)?,
        (K::Set, "remove") => a.one().map(O::SetRemove)?,
        (K::Set, "contains") => a.one().map(O::SetContains)?,
        (K::Map, "size") => a.count(0).map(|()| O::MapSize)?,
        (K::Map, "keys") => a.listing().map(|(after, limit)| O::MapKeys(after, limit))?,
        (K::Map, "entries") => a.listing().map(|(after, limit)| O::MapEntries(after, limit))?,
        (K::Map, "clear") => a.count(0).map(|()| O::MapClear)?,
        (K::Set, "size") => a.count(0).map(|()| O::SetSize)?,
        (K::Set, "members") => a.listing().map(|(after, limit)| O::SetMembers(after, limit))?,
        (K::Set, "clear") => a.count(0).map(|()| O::SetClear)?,
        (K::Lock | K::Semaphore | K::Barrier, _) => O::Sync(sharded_sync::parse(kind, op, args)?),
        (K::Queue, "enqueue") => a.one().map(O::QueueEnqueue)?,
        (K::Queue, "peek") => a.count(0).map(|()| O::QueuePeek)?,
        (K::Queue, "dequeue") => a.count(0).map(|()| O::QueueDequeue)?,
        (K::Queue, "take") => match a.at_most_one()? {
            None => O::QueueTake(DEFAULT_TAKE),
            Some(raw) => match raw.parse::<u64>() {
                Ok(secs @ 1..=3_600) => O::QueueTake(Duration::from_secs(secs)),
                _ => return Err(a.bad(format!("the wait must be from 1 to 3600 seconds, got {raw:?}"))),
            },
        },
        (K::Queue, "size") => a.count(0).map(|()| O::QueueSize)?,
        (K::Queue, "drain") => {
            a.count(1)?;
            match a.arg(0).parse::<u32>() {
                Ok(max @ 1..) => O::QueueDrain(max),
                _ => return Err(a.bad(format!("N must be from 1 to {}, got {:?}", u32::MAX, a.arg(0)))),
            }
        }
        (K::Queue, "clear") => a.count(0).map(|()| O::QueueClear)?,
        _ => return Err(ShardedParseError::UnknownOp { kind, op: op.to_owned() }),
    };
    Ok(parsed)
}

/// Runs `op` on the sharded structure `name` of `shards` shards through `client`,
/// answering the lines to print.
pub async fn execute<T: Transport>(
    client: &Client<T>,
    name: &str,
    (shards, permits): (u32, Option<u32>),
    op: &ShardedOp,
) -> Result<Answer, ClientError> {
    use ShardedOp as O;
    let options = Sharded::default().shards(shards);
    let line = |value: String| vec![value];
    let flag = |value: bool| vec![value.to_string()];
    let maybe = |value: Option<Vec<u8>>| line(value.map_or_else(|| render::NULL.to_owned(), |v| render::bytes(&v)));
    let map = || client.map_with::<Vec<u8>, Vec<u8>>(name, options);
    let set = || client.set_with::<Vec<u8>>(name, options);
    let queue = || client.queue_with::<Vec<u8>>(name, options);
    let lines = match op {
        O::CounterAdd(delta) => line(client.counter_with(name, options)?.increment(*delta).await?.to_string()),
        O::CounterGet => line(client.counter_with(name, options)?.get().await?.to_string()),
        O::MapPut(key, value) => maybe(map()?.put(key, value).await?),
        O::MapGet(key) => maybe(map()?.get(key).await?),
        O::MapContains(key) => flag(map()?.contains(key).await?),
        O::MapDelete(key) => flag(map()?.delete(key).await?),
        O::MapPutIfAbsent(key, value) => maybe(map()?.put_if_absent(key, value).await?),
        O::MapReplace(key, value) => maybe(map()?.replace(key, value).await?),
        O::MapCompareAndSet(key, expected, update) => {
            flag(map()?.compare_and_set(key, expected.as_ref(), update.as_ref()).await?)
        }
        O::SetAdd(item) => flag(set()?.add(item).await?),
        O::SetRemove(item) => flag(set()?.remove(item).await?),
        O::SetContains(item) => flag(set()?.contains(item).await?),
        O::QueueEnqueue(item) => {
            queue()?.enqueue(item).await?;
            line(render::OK.to_owned())
        }
        O::QueuePeek => maybe(queue()?.peek().await?),
        O::QueueDequeue => maybe(queue()?.dequeue().await?),
        O::QueueTake(wait) => match queue()?.take(*wait).await? {
            Some(item) => line(render::bytes(&item)),
            None => {
                let why = format!("no item arrived in queue {name:?} within {}s", wait.as_secs());
                return Ok(Answer { lines: line(render::NULL.to_owned()), not_met: Some(why) });
            }
        },
        O::QueueSize => line(queue()?.size().await?.to_string()),
        O::QueueDrain(max) => queue()?.drain(*max).await?.iter().map(|item| render::bytes(item)).collect(),
        O::QueueClear => line(queue()?.clear().await?.to_string()),
        O::MapSize => line(map()?.size().await?.to_string()),
        O::MapKeys(after, limit) => {
            let map = map()?;
            listing(after, *limit, |cursor, n| map.keys(cursor, n), |key| render::bytes(key)).await?
        }
        O::MapEntries(after, limit) => {
            let map = map()?;
            let entry =
                |(key, value): &(Vec<u8>, Vec<u8>)| format!("{} = {}", render::bytes(key), render::bytes(value));
            listing(after, *limit, |cursor, n| map.entries(cursor, n), entry).await?
        }
        O::MapClear => line(map()?.clear().await?.to_string()),
        O::SetSize => line(set()?.size().await?.to_string()),
        O::SetMembers(after, limit) => {
            let set = set()?;
            listing(after, *limit, |cursor, n| set.members(cursor, n), |item| render::bytes(item)).await?
        }
        O::SetClear => line(set()?.clear().await?.to_string()),
        O::Sync(op) => return sharded_sync::execute(client, name, options, permits, op).await,
    };
    Ok(lines.into())
}

/// Up to `limit` items of a listing from `after` (None: the start), asked a page of at most
/// 1000 at a time through `page`, one line each, then `next: CURSOR` (hex) when more follow.
async fn listing<I, F, Fut>(
    after: &Option<Vec<u8>>,
    limit: u32,
    mut page: F,
    line: impl Fn(&I) -> String,
) -> Result<Vec<String>, ClientError>
where
    F: FnMut(Option<Cursor>, u32) -> Fut,
    Fut: std::future::Future<Output = Result<Page<I>, ClientError>>,
{
    let mut lines = Vec::new();
    let mut cursor = after.clone().map(Cursor::from_bytes);
    let mut left = limit;
    loop {
        let got = page(cursor.take(), left.min(1_000)).await?;
        left = left.saturating_sub(u32::try_from(got.items.len()).unwrap_or(u32::MAX));
        lines.extend(got.items.iter().map(&line));
        match got.next {
            None => return Ok(lines),
            Some(next) if left == 0 => {
                let hex: String = next.as_bytes().iter().map(|byte| format!("{byte:02x}")).collect();
                lines.push(format!("next: 0x{hex}"));
                return Ok(lines);
            }
            Some(next) => cursor = Some(next),
        }
    }
}

/// The long help of a sharded kind's data command: its operations.
pub fn help(kind: ShardedKind) -> String {
    let mut help = String::from("Operations:\n");
    let permits = if kind == ShardedKind::Semaphore { " --permits N" } else { "" };
    for usage in kind.usage() {
        help.push_str(&format!("  {kind} [--shards N]{permits} NAME {usage}\n"));
    }
    match kind {
        ShardedKind::Lock | ShardedKind::Semaphore => help.push_str(
            "\nA lock or permit belongs to an owner id, not to the process: it stays held after a one-shot \
             command exits, until its --lease (milliseconds) ends or it is released as that owner. acquire and \
             try-acquire print the fence (a lock's) and `owner HEX`; pass --owner HEX to release it later. A \
             command without --owner acts as a fresh owner, which holds nothing. Give every acquire a lease, or \
             a script that dies holds it for good.\n",
        ),
        _ => {}
    }
    if kind == ShardedKind::Semaphore {
        help.push_str(
            "--permits N is required: the semaphore's permits, the same for every use of the name (the first \
             use creates it with them). The CP semaphore is `coterie semaphore`.\n",
        );
    }
    help.push_str(&format!(
        "\nA sharded structure (seed 000), served from any member. --shards (default 100) must be the same for \
         every use of a name. {NULL_FLAG} stands for \"no entry\" in compare-and-set. The cluster is --endpoints \
         (or COTERIE_ENDPOINTS).\n\n{}",
        crate::EXIT_STATUS
    ));
    help
}

/// A sharded data command: `[--shards N] NAME OP [ARGS...]`.
#[derive(Debug, clap::Args)]
pub(crate) struct ShardedArgs {
    /// The structure's name (no `@group`: sharded structures are not in CP groups).
    pub(crate) name: String,
    /// The operation (see below).
    pub(crate) op: String,
    /// How many shards the structure has; every use of one name must give the same. Give
    /// it before NAME.
    #[arg(long, default_value_t = Sharded::DEFAULT_SHARDS, value_parser = clap::value_parser!(u32).range(1..))]
    pub(crate) shards: u32,
    /// A sharded semaphore's permits (required for `sharded-semaphore`, refused otherwise);
    /// every use of one name must give the same. Give it before NAME.
    #[arg(long, value_parser = clap::value_parser!(u32).range(1..))]
    pub(crate) permits: Option<u32>,
    /// The operation's arguments.
    #[arg(trailing_var_arg = true, allow_hyphen_values = true)]
    pub(crate) args: Vec<String>,
}

/// Runs one sharded data command against the cluster at `endpoints`.
pub(crate) async fn run(
    (kind, endpoints): (ShardedKind, &[String]),
    args: &ShardedArgs,
) -> anyhow::Result<crate::Outcome> {
    // Parse before connecting: a typo must not reach the cluster.
    let op = parse(kind, &args.op, &args.args)?;
    match (kind, args.permits) {
        (ShardedKind::Semaphore, None) => {
            let reason = "--permits N is required (the semaphore's permits, the same for every use of the name)";
            return Err(ShardedParseError::BadArgs { kind, op: args.op.clone(), reason: reason.into() }.into());
        }
        (ShardedKind::Semaphore, Some(_)) | (_, None) => {}
        (_, Some(_)) => {
            let reason = "--permits is an option of sharded-semaphore only";
            return Err(ShardedParseError::BadArgs { kind, op: args.op.clone(), reason: reason.into() }.into());
        }
    }
    let client = Client::connect(endpoints).await?;
    let answer = execute(&client, &args.name, (args.shards, args.permits), &op).await;
    crate::cluster_ops::finish(client, answer).await
}

#[cfg(test)]
#[path = "sharded_ops_tests.rs"]
mod tests;
