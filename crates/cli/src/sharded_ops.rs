//! One-shot data commands for the sharded structures (seed 000): `coterie counter
//! page-views increment 100`, `coterie map users put alice x`, `coterie set tags add rust`,
//! `coterie queue jobs enqueue task-1`.
//!
//! The same shape as the CP commands (`cluster_ops.rs`): `KIND NAME OP [ARGS...]`, parsed
//! purely before anything is connected ([`parse`]), then run through the client's typed
//! handles, the code path an application uses, and printed as lines: a number, `true` or
//! `false`, a value (`(null)` when absent), `ok`. Keys, values and items are UTF-8 text,
//! stored as their raw bytes, so they are the same keys a Rust `Map<String, _>` uses.
//! `--shards N` (default 100) must be the same for every use of one name.
//!
//! Whole-structure operations of Map and Set (size, keys, entries, members, clear) are not
//! offered: the sharded engine does not serve them yet, and they are refused with that
//! reason rather than answered from one shard.

use std::fmt;
use std::time::Duration;

use coterie_client::{Client, ClientError, Sharded, Transport};

use crate::cluster_ops::Answer;
use crate::ops::NULL_FLAG;
use crate::render;

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
            ],
            ShardedKind::Set => &["add ITEM", "remove ITEM", "contains ITEM"],
            ShardedKind::Queue => &["enqueue ITEM", "peek", "dequeue", "take [SECONDS=30]", "size", "drain N", "clear"],
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
}

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

    /// An optional counter delta, 1 by default.
    fn delta(&self) -> Result<i64, ShardedParseError> {
        match self.at_most_one()? {
            None => Ok(1),
            Some(raw) => raw.parse().map_err(|err| self.bad(format!("{raw:?} is not a 64-bit signed integer ({err})"))),
        }
    }
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
        (K::Map, "size" | "keys" | "entries" | "clear") | (K::Set, "size" | "members" | "clear") => {
            return Err(a.bad(
                "the sharded engine does not serve whole-structure operations yet (they span every shard); \
                 only single-key operations are served",
            ));
        }
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
    shards: u32,
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
    };
    Ok(lines.into())
}

/// The long help of a sharded kind's data command: its operations.
pub fn help(kind: ShardedKind) -> String {
    let mut help = String::from("Operations:\n");
    for usage in kind.usage() {
        help.push_str(&format!("  {kind} [--shards N] NAME {usage}\n"));
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
    let client = Client::connect(endpoints).await?;
    let answer = execute(&client, &args.name, args.shards, &op).await;
    crate::cluster_ops::finish(client, answer).await
}

#[cfg(test)]
#[path = "sharded_ops_tests.rs"]
mod tests;
