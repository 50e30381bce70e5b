//! Turning `OP [ARGS...]` from the command line into a [`StructureCommand`].
//!
//! Pure: no disk, no clock. Values, keys and items are taken as UTF-8 strings and stored as
//! their raw bytes. Where a value may be null (atomic-reference values, the sides of a map
//! compare-and-set) the literal argument `--null` stands for null; everywhere else `--null`
//! is refused rather than stored, so it never means two things. Listings take
//! `[--after CURSOR] [--limit N]` (default limit [`DEFAULT_LIMIT`]).
//!
//! Kinds whose operations only mean something inside a live client session (locks,
//! permits, barriers) and the blocking or once-per-session operations of other kinds are
//! refused with [`ParseError::NeedsSession`]: a one-shot process cannot hold a lock or
//! wait, because its session would die with it.

mod call;

use std::fmt;

use coterie_core::kinds::atomic_long::AtomicLongCommand;
use coterie_core::kinds::atomic_reference::AtomicReferenceCommand;
use coterie_core::kinds::count_down_latch::CountDownLatchCommand;
use coterie_core::kinds::counter::CounterCommand;
use coterie_core::kinds::map::MapCommand;
use coterie_core::kinds::queue::QueueCommand;
use coterie_core::kinds::set::SetCommand;
use coterie_core::{Kind, StructureCommand};

use call::Call;

/// The page size of a listing when `--limit` is not given.
pub const DEFAULT_LIMIT: u32 = 100;

/// The argument that stands for null where a value may be null.
pub const NULL_FLAG: &str = "--null";

/// One operation of a kind as the command line offers it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct OpSpec {
    /// The operation's name (kebab-case).
    pub name: &'static str,
    /// Its arguments as usage shows them (empty: none).
    pub args: &'static str,
}

const fn op(name: &'static str, args: &'static str) -> OpSpec {
    OpSpec { name, args }
}

const ATOMIC_LONG: &[OpSpec] = &[
    op("get", ""),
    op("set", "N"),
    op("get-and-set", "N"),
    op("add-and-get", "N"),
    op("get-and-add", "N"),
    op("increment-and-get", ""),
    op("decrement-and-get", ""),
    op("get-and-increment", ""),
    op("get-and-decrement", ""),
    op("compare-and-set", "EXPECTED UPDATE"),
];
const ATOMIC_REFERENCE: &[OpSpec] = &[
    op("get", ""),
    op("set", "VALUE|--null"),
    op("get-and-set", "VALUE|--null"),
    op("compare-and-set", "EXPECTED|--null UPDATE|--null"),
    op("set-if-absent", "VALUE"),
    op("is-null", ""),
    op("clear", ""),
    op("contains", "VALUE|--null"),
];
const COUNTER: &[OpSpec] = &[op("increment", "[N=1]"), op("decrement", "[N=1]"), op("get", "")];
const MAP: &[OpSpec] = &[
    op("put", "KEY VALUE"),
    op("get", "KEY"),
    op("contains", "KEY"),
    op("delete", "KEY"),
    op("put-if-absent", "KEY VALUE"),
    op("replace", "KEY VALUE"),
    op("compare-and-set", "KEY EXPECTED|--null UPDATE|--null"),
    op("size", ""),
    op("keys", "[--after KEY] [--limit N]"),
    op("entries", "[--after KEY] [--limit N]"),
    op("clear", ""),
];
const SET: &[OpSpec] = &[
    op("add", "ITEM"),
    op("remove", "ITEM"),
    op("contains", "ITEM"),
    op("size", ""),
    op("members", "[--after ITEM] [--limit N]"),
    op("clear", ""),
];
const QUEUE: &[OpSpec] =
    &[op("enqueue", "ITEM"), op("peek", ""), op("dequeue", ""), op("size", ""), op("drain", "N"), op("clear", "")];
const COUNT_DOWN_LATCH: &[OpSpec] =
    &[op("get-count", ""), op("get-round", ""), op("try-set-count", "N"), op("set-count", "N")];

/// Why `coterie local` has no bucket operations.
const BUCKET_NOT_SERVED: &str = "an object's bytes live in the blob store of a running cluster, which a one-shot \
     process does not have; use `coterie object` against `coterie serve` (issue 13) once it is available";

/// The operations `coterie local` supports for `kind` (none for session-only kinds).
pub fn ops(kind: Kind) -> &'static [OpSpec] {
    match kind {
        Kind::AtomicLong => ATOMIC_LONG,
        Kind::AtomicReference => ATOMIC_REFERENCE,
        Kind::Counter => COUNTER,
        Kind::Map => MAP,
        Kind::Set => SET,
        Kind::Queue => QUEUE,
        Kind::CountDownLatch => COUNT_DOWN_LATCH,
        Kind::FencedLock | Kind::CpSemaphore | Kind::Lock | Kind::Semaphore | Kind::Barrier | Kind::Bucket => &[],
    }
}

/// Operations of otherwise supported kinds that need a live session, with what to use instead.
fn session_op(kind: Kind, op: &str) -> Option<&'static str> {
    match (kind, op) {
        (Kind::CountDownLatch, "count-down") => Some("a count-down is counted once per session invocation"),
        (Kind::CountDownLatch, "await") => Some("await waits for the count to reach 0; read it with get-count"),
        (Kind::Queue, "take") => Some("take waits for an item; dequeue takes one without waiting"),
        _ => None,
    }
}

/// Why `OP [ARGS...]` could not be turned into a command.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ParseError {
    /// The kind, or this operation of it, needs a live client session.
    NeedsSession {
        /// The kind.
        kind: Kind,
        /// The operation, when only it (not the whole kind) needs a session, and why.
        op: Option<(String, &'static str)>,
    },
    /// The kind is not served by `coterie local` at all (not for want of a session).
    NotServed {
        /// The kind.
        kind: Kind,
        /// Why, and what to use instead.
        why: &'static str,
    },
    /// The kind has no such operation.
    UnknownOp {
        /// The kind.
        kind: Kind,
        /// The operation that was given.
        op: String,
    },
    /// The operation got the wrong number of arguments.
    WrongArgs {
        /// The kind.
        kind: Kind,
        /// The operation and its arguments.
        spec: OpSpec,
        /// How many arguments it got.
        got: usize,
    },
    /// An argument is not what the operation accepts.
    BadArg {
        /// The kind.
        kind: Kind,
        /// The operation and its arguments.
        spec: OpSpec,
        /// What was wrong.
        reason: String,
    },
}

impl std::error::Error for ParseError {}

impl fmt::Display for ParseError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        const SERVE: &str = "it arrives with `coterie serve` (the CP subsystem)";
        match self {
            ParseError::NeedsSession { kind, op: None } => write!(
                f,
                "{kind} needs a live client session, and `coterie local` is a one-shot process: it cannot hold \
                 a lock or permit or wait for others, because its session would die with it; {SERVE}"
            ),
            ParseError::NeedsSession { kind, op: Some((op, why)) } => write!(
                f,
                "{kind} {op} needs a live client session ({why}), and `coterie local` is a one-shot process whose \
                 session would die with it; {SERVE}"
            ),
            ParseError::NotServed { kind, why } => write!(f, "{kind} is not served by `coterie local`: {why}"),
            ParseError::UnknownOp { kind, op } => {
                write!(f, "{kind} has no operation {op:?}; it supports: ")?;
                let list: Vec<String> = ops(*kind).iter().map(usage).collect();
                f.write_str(&list.join(", "))
            }
            ParseError::WrongArgs { kind, spec, got } => {
                let takes = if spec.args.is_empty() { "no arguments" } else { spec.args };
                let s = if *got == 1 { "" } else { "s" };
                write!(
                    f,
                    "{kind} {} takes {takes}, but got {got} argument{s}; usage: {}",
                    spec.name,
                    full_usage(*kind, spec)
                )
            }
            ParseError::BadArg { kind, spec, reason } => {
                write!(f, "{kind} {}: {reason}; usage: {}", spec.name, full_usage(*kind, spec))
            }
        }
    }
}

fn usage(spec: &OpSpec) -> String {
    if spec.args.is_empty() { spec.name.to_owned() } else { format!("{} {}", spec.name, spec.args) }
}

fn full_usage(kind: Kind, spec: &OpSpec) -> String {
    format!("coterie local {kind} NAME {}", usage(spec))
}

/// Parses operation `op` of `kind` with its arguments into a command.
pub fn parse(kind: Kind, op: &str, args: &[String]) -> Result<StructureCommand, ParseError> {
    if kind == Kind::Bucket {
        return Err(ParseError::NotServed { kind, why: BUCKET_NOT_SERVED });
    }
    if ops(kind).is_empty() {
        return Err(ParseError::NeedsSession { kind, op: None });
    }
    if let Some(why) = session_op(kind, op) {
        return Err(ParseError::NeedsSession { kind, op: Some((op.to_owned(), why)) });
    }
    let spec = ops(kind).iter().find(|spec| spec.name == op);
    let spec = *spec.ok_or_else(|| ParseError::UnknownOp { kind, op: op.to_owned() })?;
    let call = Call { kind, spec, args };
    match kind {
        Kind::AtomicLong => atomic_long(&call).map(StructureCommand::AtomicLong),
        Kind::AtomicReference => atomic_reference(&call).map(StructureCommand::AtomicReference),
        Kind::Counter => counter(&call).map(StructureCommand::Counter),
        Kind::Map => map(&call).map(StructureCommand::Map),
        Kind::Set => set(&call).map(StructureCommand::Set),
        Kind::Queue => queue(&call).map(StructureCommand::Queue),
        Kind::CountDownLatch => count_down_latch(&call).map(StructureCommand::CountDownLatch),
        Kind::FencedLock | Kind::CpSemaphore | Kind::Lock | Kind::Semaphore | Kind::Barrier => {
            Err(ParseError::NeedsSession { kind, op: None })
        }
        Kind::Bucket => Err(ParseError::NotServed { kind, why: BUCKET_NOT_SERVED }),
    }
}

fn atomic_long(call: &Call<'_>) -> Result<AtomicLongCommand, ParseError> {
    use AtomicLongCommand as C;
    Ok(match call.spec.name {
        "get" | "increment-and-get" | "decrement-and-get" | "get-and-increment" | "get-and-decrement" => {
            call.exactly::<0>()?;
            match call.spec.name {
                "get" => C::Get,
                "increment-and-get" => C::IncrementAndGet,
                "decrement-and-get" => C::DecrementAndGet,
                "get-and-increment" => C::GetAndIncrement,
                _ => C::GetAndDecrement,
            }
        }
        "compare-and-set" => {
            let [expected, update] = call.exactly()?;
            C::CompareAndSet { expected: call.i64("EXPECTED", expected)?, update: call.i64("UPDATE", update)? }
        }
        name => {
            let [n] = call.exactly()?;
            let n = call.i64("N", n)?;
            match name {
                "set" => C::Set(n),
                "get-and-set" => C::GetAndSet(n),
                "add-and-get" => C::AddAndGet(n),
                _ => C::GetAndAdd(n),
            }
        }
    })
}

fn atomic_reference(call: &Call<'_>) -> Result<AtomicReferenceCommand, ParseError> {
    use AtomicReferenceCommand as C;
    let nullable = Call::nullable;
    Ok(match call.spec.name {
        "get" => call.exactly::<0>().map(|_| C::Get)?,
        "is-null" => call.exactly::<0>().map(|_| C::IsNull)?,
        "clear" => call.exactly::<0>().map(|_| C::Clear)?,
        "set" => call.exactly().map(|[value]| C::Set(nullable(value)))?,
        "get-and-set" => call.exactly().map(|[value]| C::GetAndSet(nullable(value)))?,
        "contains" => call.exactly().map(|[value]| C::Contains(nullable(value)))?,
        "compare-and-set" => call
            .exactly()
            .map(|[expected, update]| C::CompareAndSet { expected: nullable(expected), update: nullable(update) })?,
        _ => {
            let [value] = call.exactly()?;
            C::SetIfAbsent(call.bytes(value)?)
        }
    })
}

fn counter(call: &Call<'_>) -> Result<CounterCommand, ParseError> {
    if call.spec.name == "get" {
        call.exactly::<0>()?;
        return Ok(CounterCommand::Get);
    }
    let n = call.optional()?.map_or(Ok(1), |n| call.i64("N", n))?;
    Ok(if call.spec.name == "increment" { CounterCommand::Increment(n) } else { CounterCommand::Decrement(n) })
}

fn map(call: &Call<'_>) -> Result<MapCommand, ParseError> {
    use MapCommand as C;
    Ok(match call.spec.name {
        "put" | "put-if-absent" | "replace" => {
            let [key, value] = call.exactly()?;
            let (key, value) = (call.bytes(key)?, call.bytes(value)?);
            match call.spec.name {
                "put" => C::Put { key, value },
                "put-if-absent" => C::PutIfAbsent { key, value },
                _ => C::Replace { key, value },
            }
        }
        "get" | "contains" | "delete" => {
            let [key] = call.exactly()?;
            let key = call.bytes(key)?;
            match call.spec.name {
                "get" => C::Get { key },
                "contains" => C::Contains { key },
                _ => C::Delete { key },
            }
        }
        "compare-and-set" => {
            let [key, expected, update] = call.exactly()?;
            C::CompareAndSet {
                key: call.bytes(key)?,
                expected: Call::nullable(expected),
                update: Call::nullable(update),
            }
        }
        "keys" => call.page().map(|(after, limit)| C::Keys { after, limit })?,
        "entries" => call.page().map(|(after, limit)| C::Entries { after, limit })?,
        "size" => call.exactly::<0>().map(|_| C::Size)?,
        _ => call.exactly::<0>().map(|_| C::Clear)?,
    })
}

fn set(call: &Call<'_>) -> Result<SetCommand, ParseError> {
    use SetCommand as C;
    Ok(match call.spec.name {
        "add" | "remove" | "contains" => {
            let [item] = call.exactly()?;
            let item = call.bytes(item)?;
            match call.spec.name {
                "add" => C::Add(item),
                "remove" => C::Remove(item),
                _ => C::Contains(item),
            }
        }
        "members" => call.page().map(|(after, limit)| C::Members { after, limit })?,
        "size" => call.exactly::<0>().map(|_| C::Size)?,
        _ => call.exactly::<0>().map(|_| C::Clear)?,
    })
}

fn queue(call: &Call<'_>) -> Result<QueueCommand, ParseError> {
    use QueueCommand as C;
    Ok(match call.spec.name {
        "enqueue" => {
            let [item] = call.exactly()?;
            C::Enqueue(call.bytes(item)?)
        }
        "drain" => {
            let [max] = call.exactly()?;
            C::Drain { max: call.u32("N", max)? }
        }
        "peek" => call.exactly::<0>().map(|_| C::Peek)?,
        "dequeue" => call.exactly::<0>().map(|_| C::Dequeue)?,
        "size" => call.exactly::<0>().map(|_| C::Size)?,
        _ => call.exactly::<0>().map(|_| C::Clear)?,
    })
}

fn count_down_latch(call: &Call<'_>) -> Result<CountDownLatchCommand, ParseError> {
    use CountDownLatchCommand as C;
    Ok(match call.spec.name {
        "get-count" => call.exactly::<0>().map(|_| C::GetCount)?,
        "get-round" => call.exactly::<0>().map(|_| C::GetRound)?,
        name => {
            let [count] = call.exactly()?;
            let count = call.u64("N", count)?;
            if name == "try-set-count" { C::TrySetCount { count } } else { C::SetCount { count } }
        }
    })
}

#[cfg(test)]
#[path = "ops_tests.rs"]
mod tests;
