//! A sharded Map's or Set's whole-structure operations (size, keys, entries, members,
//! clear): scattered over the partitions holding the structure's shards, gathered by the
//! member that received the call.
//!
//! Why it is shaped this way:
//!
//! - **The same path as any sharded call**: each partition's part is served by the engine
//!   the router gives that partition (this member's replica if it owns it, else a
//!   [`Forwarder`](crate::shard::Forwarder) one hop to the owner), with the same command
//!   restricted to that partition. The owner serves it from its replica like a single-key
//!   call, checking that the partition is one of the structure's. A structure of `shards`
//!   shards lives in at most `shards` partitions (`partition_of_shard`), usually fewer
//!   distinct ones, and every key lives in exactly one of them, so a partition's part is its
//!   state of the structure.
//! - **Bounded parallelism and the caller's deadline**: at most [`FAN_OUT`] partitions are
//!   asked at once, each with what is left of the call's time; the whole gather ends by the
//!   caller's deadline (a timeout otherwise).
//! - **A cursor correct across partitions**: a listing runs through the structure's
//!   partitions in ascending order and, inside one, in ascending key order (the core's own
//!   paging). The cursor is the partition it stopped in and the last key it returned there
//!   (or none: start that partition from its first key), so a page resumes exactly after the
//!   last key returned: every key present for the whole scan is returned exactly once, and
//!   a key added or removed meanwhile may or may not be. Partitions are fixed per name (the
//!   partition count never changes in a cluster, and a partition moves whole), so a cursor
//!   stays valid across moves. A listing is ordered by partition, then key: it is not sorted
//!   by key overall. The cursor is opaque to clients ([`Cursor`] documents the bytes).
//! - **Clear is not atomic across partitions**: each partition clears its part in its own
//!   journaled write. A reader may see some parts cleared and not others; a clear that
//!   fails part-way (a partition unreachable) has cleared the others and answers the error:
//!   retrying with the same client id and sequence clears the rest, the partitions done
//!   already answering from their records, so the removed count adds up once.

use std::sync::Arc;

use coterie_core::kinds::map::{MAX_PAGE_LIMIT, MapCommand, MapOutput};
use coterie_core::kinds::set::{SetCommand, SetOutput};
use coterie_core::placement::{PartitionId, PartitionTable};
use coterie_core::{
    CoreError, EngineError, GroupCommand, GroupOutput, InvalidReason, StructureCommand, StructureOutput,
};
use futures_util::future::BoxFuture;
use futures_util::stream::{self, StreamExt, TryStreamExt};
use tokio::time::Instant;

use super::Inner;
use crate::engine::{CallOptions, Engine};
use crate::request::Request;

/// How many partitions one whole-structure call asks at once.
pub const FAN_OUT: usize = 8;

/// The version byte that starts every cursor this server gives.
const CURSOR_VERSION: u8 = 1;

/// Where a listing resumes: the partition it stopped in and the last key returned there.
///
/// On the wire (opaque to clients): the version byte 1, the partition number as 4
/// big-endian bytes, then either nothing (start that partition from its first key) or the
/// byte 1 followed by the key (resume strictly after it).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Cursor {
    /// The partition to resume in.
    pub partition: PartitionId,
    /// The last key returned from it; `None`: start from its first key.
    pub after: Option<Vec<u8>>,
}

impl Cursor {
    /// The cursor's bytes.
    pub fn encode(&self) -> Vec<u8> {
        let mut bytes = vec![CURSOR_VERSION];
        bytes.extend_from_slice(&self.partition.0.to_be_bytes());
        if let Some(after) = &self.after {
            bytes.push(1);
            bytes.extend_from_slice(after);
        }
        bytes
    }

    /// The cursor in `bytes`, or why `operation` cannot resume from them.
    pub fn decode(bytes: &[u8], operation: &'static str) -> Result<Cursor, CoreError> {
        let invalid = || {
            CoreError::invalid_request(
                operation,
                "the cursor is not one this server gave: pass the next_cursor of the previous page unchanged, or \
                 none to start from the beginning",
            )
        };
        let (&version, rest) = bytes.split_first().ok_or_else(invalid)?;
        if version != CURSOR_VERSION || rest.len() < 4 {
            return Err(invalid());
        }
        let (partition, rest) = rest.split_at(4);
        let partition = PartitionId(u32::from_be_bytes(partition.try_into().map_err(|_| invalid())?));
        let after = match rest.split_first() {
            None => None,
            Some((1, key)) => Some(key.to_vec()),
            Some(_) => return Err(invalid()),
        };
        Ok(Cursor { partition, after })
    }
}

/// One partition's part of a whole-structure call, and the engine that serves it here.
#[derive(Clone)]
pub(super) struct Part {
    partition: PartitionId,
    engine: Arc<dyn Engine>,
}

/// The engine of a whole-structure call: scatters it over [`Part`]s, gathers the answer.
pub(super) struct Scatter {
    /// Ascending by partition.
    parts: Vec<Part>,
}

impl Inner {
    /// The engine serving a whole-structure call of a sharded Map or Set of `shards`
    /// shards, held in `partitions` (ascending): each partition's engine as any sharded
    /// call's (`route_sharded`).
    pub(super) async fn route_scatter(
        &self,
        table: &PartitionTable,
        shards: u32,
        partitions: Vec<PartitionId>,
    ) -> Result<Arc<dyn Engine>, EngineError> {
        let mut parts = Vec::with_capacity(partitions.len());
        for partition in partitions {
            parts.push(Part { partition, engine: self.partition_engine(table, shards, partition).await? });
        }
        Ok(Arc::new(Scatter { parts }))
    }
}

/// What a whole-structure command asks of each partition, and how the answers combine.
enum Gather {
    /// Add up the partitions' counts (size, clear).
    Sum,
    /// List one page across the partitions: keys, entries or members.
    Page { cursor: Option<Cursor>, limit: u32 },
}

/// A page's items and, if the partition has more, the key to resume after.
type PartPage = (Vec<Item>, Option<Vec<u8>>);

/// One listed item: a key or member, or an entry.
enum Item {
    Key(Vec<u8>),
    Entry(Vec<u8>, Vec<u8>),
}

impl Item {
    fn key(&self) -> &[u8] {
        match self {
            Item::Key(key) | Item::Entry(key, _) => key,
        }
    }
}

impl Scatter {
    /// What `command` gathers, or why it is not a whole-structure command.
    fn gather(command: &StructureCommand) -> Result<Gather, CoreError> {
        let page = |after: &Option<Vec<u8>>, limit: u32, operation: &'static str| {
            if limit == 0 || limit > MAX_PAGE_LIMIT {
                return Err(CoreError::invalid(operation, InvalidReason::PageLimit { limit, max: MAX_PAGE_LIMIT }));
            }
            let cursor = after.as_deref().map(|bytes| Cursor::decode(bytes, operation)).transpose()?;
            Ok(Gather::Page { cursor, limit })
        };
        match command {
            StructureCommand::Map(MapCommand::Size | MapCommand::Clear)
            | StructureCommand::Set(SetCommand::Size | SetCommand::Clear) => Ok(Gather::Sum),
            StructureCommand::Map(MapCommand::Keys { after, limit }) => page(after, *limit, "keys"),
            StructureCommand::Map(MapCommand::Entries { after, limit }) => page(after, *limit, "entries"),
            StructureCommand::Set(SetCommand::Members { after, limit }) => page(after, *limit, "members"),
            other => Err(CoreError::invalid_request(
                "sharded",
                format!("{other:?} is not a whole-structure operation (a server bug: it was located in one partition)"),
            )),
        }
    }

    /// The options of one partition's part: what is left of the call's time, forwarded (a
    /// gather is this member's to make, whatever its caller asked of redirects).
    fn part_options(options: CallOptions, deadline: Instant) -> CallOptions {
        let left = deadline.saturating_duration_since(Instant::now());
        CallOptions { timeout: left, redirect: false, ..options }
    }

    /// The sum of every partition's count.
    async fn sum(&self, request: &Request, options: CallOptions, deadline: Instant) -> Result<u64, EngineError> {
        let counts = stream::iter(self.parts.clone())
            .map(|part| {
                let request = request.clone();
                let call: BoxFuture<'static, Result<u64, EngineError>> =
                    Box::pin(
                        async move { count(part.engine.call(request, Self::part_options(options, deadline)).await?) },
                    );
                call
            })
            .buffer_unordered(FAN_OUT);
        counts.try_fold(0u64, |total, count| async move { Ok(total.saturating_add(count)) }).await
    }

    /// One page of at most `limit` items from `cursor` on, and the cursor after it.
    async fn page(
        &self,
        request: &Request,
        cursor: Option<Cursor>,
        limit: u32,
        options: CallOptions,
        deadline: Instant,
    ) -> Result<(Vec<Item>, Option<Cursor>), EngineError> {
        let (start, mut after) = match cursor {
            None => (0, None),
            Some(Cursor { partition, after }) => {
                let start = self.parts.iter().position(|part| part.partition == partition).ok_or_else(|| {
                    EngineError::Core(CoreError::invalid_request(
                        "list",
                        format!(
                            "the cursor names {partition}, which holds none of this structure's shards: it belongs to \
                             another structure or shard count; start again without a cursor"
                        ),
                    ))
                })?;
                (start, after)
            }
        };
        let limit_items = usize::try_from(limit).unwrap_or(usize::MAX);
        let parts = &self.parts[start..];
        let mut pages = stream::iter(parts.iter().cloned().enumerate())
            .map(|(index, part)| {
                let after = if index == 0 { after.take() } else { None };
                let part_request = with_page_start(request, after);
                let call: BoxFuture<'static, Result<PartPage, EngineError>> = Box::pin(async move {
                    part_page(part.engine.call(part_request?, Self::part_options(options, deadline)).await?)
                });
                call
            })
            .buffered(FAN_OUT);
        let mut items = Vec::new();
        let mut index = 0;
        while let Some(page) = pages.next().await {
            let (mut page, more) = page?;
            let partition = parts[index].partition;
            let room = limit_items - items.len();
            if page.len() > room {
                page.truncate(room);
                let after = page.last().map(|item| item.key().to_vec());
                items.extend(page);
                return Ok((items, Some(Cursor { partition, after })));
            }
            items.extend(page);
            if items.len() == limit_items {
                let next = match more {
                    Some(after) => Some(Cursor { partition, after: Some(after) }),
                    None => parts.get(index + 1).map(|next| Cursor { partition: next.partition, after: None }),
                };
                return Ok((items, next));
            }
            index += 1;
        }
        Ok((items, None))
    }
}

/// `request` (a listing) starting strictly after `after` in its partition.
fn with_page_start(request: &Request, after: Option<Vec<u8>>) -> Result<Request, EngineError> {
    let GroupCommand::Invoke { name, command } = &request.command else {
        return Err(not_whole(&request.command));
    };
    let command = match command {
        StructureCommand::Map(MapCommand::Keys { limit, .. }) => {
            StructureCommand::Map(MapCommand::Keys { after, limit: *limit })
        }
        StructureCommand::Map(MapCommand::Entries { limit, .. }) => {
            StructureCommand::Map(MapCommand::Entries { after, limit: *limit })
        }
        StructureCommand::Set(SetCommand::Members { limit, .. }) => {
            StructureCommand::Set(SetCommand::Members { after, limit: *limit })
        }
        _ => return Err(not_whole(&request.command)),
    };
    Ok(Request { command: GroupCommand::Invoke { name: name.clone(), command }, ..request.clone() })
}

fn not_whole(command: &GroupCommand) -> EngineError {
    EngineError::Stopped { reason: format!("{command:?} is not a listing (a server bug)") }
}

fn unexpected(output: &GroupOutput) -> EngineError {
    EngineError::Stopped { reason: format!("a partition answered a whole-structure call with {output:?}") }
}

/// A partition's count (size, or how many a clear removed).
fn count(output: GroupOutput) -> Result<u64, EngineError> {
    match output {
        GroupOutput::Structure(StructureOutput::Map(MapOutput::Count(count)))
        | GroupOutput::Structure(StructureOutput::Set(SetOutput::Count(count))) => Ok(count),
        other => Err(unexpected(&other)),
    }
}

/// A partition's page.
fn part_page(output: GroupOutput) -> Result<PartPage, EngineError> {
    match output {
        GroupOutput::Structure(StructureOutput::Map(MapOutput::Keys { keys, next })) => {
            Ok((keys.into_iter().map(Item::Key).collect(), next))
        }
        GroupOutput::Structure(StructureOutput::Map(MapOutput::Entries { entries, next })) => {
            Ok((entries.into_iter().map(|(key, value)| Item::Entry(key, value)).collect(), next))
        }
        GroupOutput::Structure(StructureOutput::Set(SetOutput::Members { members, next })) => {
            Ok((members.into_iter().map(Item::Key).collect(), next))
        }
        other => Err(unexpected(&other)),
    }
}

/// A gathered count (size, or how many a clear removed), in the shape of `command`'s kind.
fn total(command: &StructureCommand, count: u64) -> GroupOutput {
    GroupOutput::Structure(match command {
        StructureCommand::Map(_) => StructureOutput::Map(MapOutput::Count(count)),
        _ => StructureOutput::Set(SetOutput::Count(count)),
    })
}

/// A gathered page and the cursor after it, in the shape of `command`'s output.
fn listing(command: &StructureCommand, items: Vec<Item>, cursor: Option<Cursor>) -> GroupOutput {
    let next = cursor.as_ref().map(Cursor::encode);
    let keys = |items: Vec<Item>| items.into_iter().map(|item| item.key().to_vec()).collect();
    GroupOutput::Structure(match command {
        StructureCommand::Map(MapCommand::Entries { .. }) => {
            let entries = items
                .into_iter()
                .filter_map(|item| match item {
                    Item::Entry(key, value) => Some((key, value)),
                    Item::Key(_) => None,
                })
                .collect();
            StructureOutput::Map(MapOutput::Entries { entries, next })
        }
        StructureCommand::Map(_) => StructureOutput::Map(MapOutput::Keys { keys: keys(items), next }),
        _ => StructureOutput::Set(SetOutput::Members { members: keys(items), next }),
    })
}

/// Serves a whole-structure call by scattering it over the parts, within the caller's
/// deadline.
impl Engine for Scatter {
    fn call(&self, request: Request, options: CallOptions) -> BoxFuture<'_, Result<GroupOutput, EngineError>> {
        Box::pin(async move {
            let deadline = Instant::now() + options.timeout;
            let GroupCommand::Invoke { command, .. } = &request.command else {
                return Err(not_whole(&request.command));
            };
            let gather = Self::gather(command)?;
            let work = async {
                match gather {
                    Gather::Sum => Ok(total(command, self.sum(&request, options, deadline).await?)),
                    Gather::Page { cursor, limit } => {
                        let (items, next) = self.page(&request, cursor, limit, options, deadline).await?;
                        Ok(listing(command, items, next))
                    }
                }
            };
            match tokio::time::timeout_at(deadline, work).await {
                Ok(result) => result,
                Err(_) => Err(EngineError::Timeout { waited: options.timeout }),
            }
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_cursor_comes_back_from_its_bytes_and_foreign_bytes_are_refused() {
        for cursor in [
            Cursor { partition: PartitionId(0), after: None },
            Cursor { partition: PartitionId(270), after: Some(Vec::new()) },
            Cursor { partition: PartitionId(u32::MAX), after: Some(b"\x00\x01key".to_vec()) },
        ] {
            assert_eq!(Cursor::decode(&cursor.encode(), "keys"), Ok(cursor));
        }
        for bytes in [&b""[..], &[2, 0, 0, 0, 1][..], &[1, 0, 0][..], &[1, 0, 0, 0, 1, 7][..]] {
            let refused = Cursor::decode(bytes, "keys").unwrap_err();
            assert!(refused.to_string().contains("not one this server gave"), "{bytes:?}: {refused}");
        }
    }
}
