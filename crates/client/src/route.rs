//! Direct routing of sharded calls: the client sends a call for one partition straight to
//! the member that serves it, from a partition table it fetched and caches.
//!
//! Any member routes a sharded call to its partition's owner (it forwards it one hop), so a
//! client that sends every call to one member pays two hops for most of them and loads that
//! member with everyone's traffic. Instead the client keeps the cluster's partition table
//! (who serves each partition, by endpoint; `Transport::partition_table`), locates each
//! call's partition with the very function the members use
//! ([`coterie_core::placement::locate`]: one implementation, so client and members cannot
//! disagree) and sends it to the owner asking not to be forwarded ([`Call::redirect`]).
//!
//! Why this is safe while partitions move: an owner that no longer serves the partition
//! answers a redirect naming the member that does (nothing applied), and the retry loop
//! follows it with the same invocation id, so the partition's dedup record keeps the call
//! applied once; a partition still moving makes the call wait at its old owner until the
//! move is decided. A redirect or an unreachable owner marks the table stale.
//!
//! Why calls never wait for the table: it is fetched in the background (one fetch at a
//! time, at most one per [`REFETCH_GAP`]) when there is none, when it is stale, or when it is
//! older than [`TABLE_MAX_AGE`]; meanwhile calls go as before (to any member, which forwards
//! them) or by the table they have. A whole-structure call (a Map's or Set's size, keys,
//! ...) spans partitions and is gathered by whichever member receives it, as before.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use coterie_core::placement::{Located, locate};
use coterie_core::{GroupCommand, Target};
use tokio::time::Instant;

use crate::client::Client;
use crate::transport::{Call, Transport};

/// How long a fetched table is routed by before it is fetched again (in the background).
pub(crate) const TABLE_MAX_AGE: Duration = Duration::from_secs(10);

/// The shortest time between the starts of two fetches of the table, so a burst of
/// redirects costs one fetch.
pub(crate) const REFETCH_GAP: Duration = Duration::from_millis(100);

/// A partition table as the client routes by it: who serves each partition, as the index
/// of its endpoint in the transport.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RouteTable {
    /// How many partitions the cluster has.
    pub partitions: u32,
    /// The ring epoch of the table it was made from.
    pub ring_epoch: u64,
    /// The version of the table it was made from (bumped by every change).
    pub version: u64,
    /// Per partition, by number: the endpoint of the member serving it; `None` when no
    /// member does (lost, unassigned) or the client has no address for it.
    pub owners: Vec<Option<usize>>,
}

impl RouteTable {
    /// The endpoint of the member serving `command` for `target`, if it is a sharded call
    /// located in one partition that has a known owner.
    pub fn endpoint_for(&self, target: &Target, command: &GroupCommand) -> Option<usize> {
        let Target::Sharded { shards } = target else { return None };
        match locate(command, *shards, self.partitions) {
            Ok(Located::One(partition)) => self.owners.get(usize::try_from(partition.0).ok()?).copied().flatten(),
            Ok(Located::Spread(_)) | Err(_) => None,
        }
    }
}

/// What the client knows of the table.
#[derive(Debug, Default)]
struct Cached {
    /// The table routed by, and when it was fetched.
    table: Option<(Arc<RouteTable>, Instant)>,
    /// A redirect or an unreachable owner showed it out of date.
    stale: bool,
    /// When the last fetch started.
    last_fetch: Option<Instant>,
}

/// A client's cache of the partition table (one per client, shared by its clones).
#[derive(Debug, Default)]
pub(crate) struct Routes {
    cached: Mutex<Cached>,
    /// A fetch runs.
    fetching: AtomicBool,
}

impl Routes {
    /// The table to route by, and whether a fetch should start (none running, none started
    /// in the last [`REFETCH_GAP`], and the table missing, stale or old).
    fn current(&self, now: Instant) -> (Option<Arc<RouteTable>>, bool) {
        let cached = self.cached.lock().unwrap_or_else(PoisonError::into_inner);
        let table = cached.table.as_ref().map(|(table, _)| Arc::clone(table));
        let wanted = match &cached.table {
            None => true,
            Some((_, fetched)) => cached.stale || now.saturating_duration_since(*fetched) >= TABLE_MAX_AGE,
        };
        let due = cached.last_fetch.is_none_or(|last| now.saturating_duration_since(last) >= REFETCH_GAP);
        (table, wanted && due && !self.fetching.load(Ordering::SeqCst))
    }

    /// Claims the one fetch that may run; `false` if one runs already.
    fn start_fetch(&self, now: Instant) -> bool {
        if self.fetching.swap(true, Ordering::SeqCst) {
            return false;
        }
        self.cached.lock().unwrap_or_else(PoisonError::into_inner).last_fetch = Some(now);
        true
    }

    /// Ends the fetch with its result: a table replaces the cached one unless that one is
    /// newer (a lagging member answered); no table keeps what there was.
    fn finish_fetch(&self, fetched: Option<RouteTable>, now: Instant) {
        {
            let mut cached = self.cached.lock().unwrap_or_else(PoisonError::into_inner);
            if let Some(table) = fetched {
                let older = cached.table.as_ref().is_some_and(|(known, _)| known.version > table.version);
                if !older {
                    cached.table = Some((Arc::new(table), now));
                    cached.stale = false;
                }
            }
        }
        self.fetching.store(false, Ordering::SeqCst);
    }

    /// Marks the table out of date: the next call starts a fetch.
    fn mark_stale(&self) {
        self.cached.lock().unwrap_or_else(PoisonError::into_inner).stale = true;
    }

    /// The table routed by now, if any (for tests and diagnostics).
    pub(crate) fn table(&self) -> Option<Arc<RouteTable>> {
        self.cached.lock().unwrap_or_else(PoisonError::into_inner).table.as_ref().map(|(table, _)| Arc::clone(table))
    }
}

impl<T: Transport> Client<T> {
    /// The endpoint to send `call` to directly, if it is a sharded call for one partition
    /// whose owner the cached table names; starts a background fetch of the table when it
    /// is missing, stale or old. Never waits for the fetch.
    pub(crate) fn route_sharded(&self, call: &Call) -> Option<usize> {
        if !self.shared.config.route_sharded || !matches!(call.target, Target::Sharded { .. }) {
            return None;
        }
        let now = Instant::now();
        let (table, fetch) = self.shared.routes.current(now);
        if fetch {
            self.fetch_routes(now);
        }
        table?.endpoint_for(&call.target, &call.command)
    }

    /// Marks the cached table out of date (a routed call was redirected, or its owner did
    /// not answer).
    pub(crate) fn routes_stale(&self) {
        self.shared.routes.mark_stale();
    }

    /// The partition table this client routes sharded calls by, if it has fetched one.
    pub fn route_table(&self) -> Option<RouteTable> {
        self.shared.routes.table().map(|table| RouteTable::clone(&table))
    }

    /// Starts fetching the table in the background, bounded by the attempt timeout, unless
    /// a fetch runs already. Outside a Tokio runtime nothing starts (calls then go unrouted).
    fn fetch_routes(&self, now: Instant) {
        let Ok(runtime) = tokio::runtime::Handle::try_current() else { return };
        if !self.shared.routes.start_fetch(now) {
            return;
        }
        let shared = Arc::clone(&self.shared);
        let timeout = shared.config.attempt_timeout;
        runtime.spawn(async move {
            let fetched = shared.transport.partition_table(timeout).await;
            shared.routes.finish_fetch(fetched, Instant::now());
        });
    }
}

#[cfg(test)]
mod tests {
    use coterie_core::kinds::counter::CounterCommand;
    use coterie_core::kinds::map::MapCommand;
    use coterie_core::placement::partition_of_command;
    use coterie_core::{GroupCommand, StructureCommand};

    use super::*;

    fn table(partitions: u32) -> RouteTable {
        let owners = (0..partitions).map(|p| (p % 4 != 3).then_some(usize::try_from(p % 4).unwrap())).collect();
        RouteTable { partitions, ring_epoch: 1, version: 1, owners }
    }

    fn invoke(name: &str, command: StructureCommand) -> GroupCommand {
        GroupCommand::Invoke { name: name.to_owned(), command }
    }

    #[test]
    fn a_call_goes_to_the_owner_of_the_partition_the_members_locate_it_in() {
        let table = table(271);
        let target = Target::Sharded { shards: 100 };
        for key in [b"alice".to_vec(), b"bob".to_vec(), Vec::new()] {
            let get = invoke("users", StructureCommand::Map(MapCommand::Get { key }));
            // The members' function (`coterie_core::placement`, which the server calls too).
            let partition = partition_of_command(&get, 100, 271).unwrap();
            let expected = table.owners[usize::try_from(partition.0).unwrap()];
            assert_eq!(table.endpoint_for(&target, &get), expected);
        }
        // Pinned: a change of hash or layout moves these, and would misroute every client.
        let hits = invoke("page-views", StructureCommand::Counter(CounterCommand::Increment(1)));
        assert_eq!(partition_of_command(&hits, 100, 271).unwrap().0, 257);
        assert_eq!(table.endpoint_for(&target, &hits), Some(1));
        let alice = invoke("users", StructureCommand::Map(MapCommand::Get { key: b"alice".to_vec() }));
        assert_eq!(partition_of_command(&alice, 100, 271).unwrap().0, 229);
        assert_eq!(table.endpoint_for(&target, &alice), Some(1));
    }

    #[test]
    fn calls_without_one_known_owner_are_not_routed() {
        let table = table(271);
        let sharded = Target::Sharded { shards: 100 };
        // A whole-structure call spans partitions: any member gathers it.
        assert_eq!(table.endpoint_for(&sharded, &invoke("users", StructureCommand::Map(MapCommand::Size))), None);
        // A CP target is the retry loop's (leaders), never the table's.
        let hits = invoke("page-views", StructureCommand::Counter(CounterCommand::Increment(1)));
        assert_eq!(table.endpoint_for(&Target::cp("default"), &hits), None);
        // A partition without an owner (every fourth here), and bad input, are sent as before.
        let ownerless = (0..1000)
            .map(|i| invoke(&format!("c{i}"), StructureCommand::Counter(CounterCommand::Get)))
            .find(|command| partition_of_command(command, 100, 271).unwrap().0 % 4 == 3)
            .unwrap();
        assert_eq!(table.endpoint_for(&sharded, &ownerless), None);
        assert_eq!(table.endpoint_for(&Target::Sharded { shards: 0 }, &hits), None);
        assert_eq!(table.endpoint_for(&sharded, &GroupCommand::Tick), None);
    }

    #[test]
    fn the_cache_fetches_when_missing_stale_or_old_one_at_a_time() {
        let routes = Routes::default();
        let start = Instant::now();
        assert_eq!(routes.current(start), (None, true));
        assert!(routes.start_fetch(start));
        assert!(!routes.start_fetch(start), "one fetch at a time");
        assert!(!routes.current(start).1);
        routes.finish_fetch(Some(table(8)), start);
        let (known, fetch) = routes.current(start + REFETCH_GAP);
        assert_eq!(known.as_deref(), Some(&table(8)));
        assert!(!fetch, "fresh");
        // A redirect makes it stale: fetched again, but not within REFETCH_GAP of the last.
        routes.mark_stale();
        assert!(!routes.current(start + REFETCH_GAP / 2).1);
        assert!(routes.current(start + REFETCH_GAP).1);
        // A failed fetch keeps the table, still stale.
        assert!(routes.start_fetch(start + REFETCH_GAP));
        routes.finish_fetch(None, start + REFETCH_GAP);
        assert_eq!(routes.table().as_deref(), Some(&table(8)));
        assert!(routes.current(start + REFETCH_GAP * 2).1);
        // An older table (a lagging member's) does not replace a newer one.
        assert!(routes.start_fetch(start + REFETCH_GAP * 2));
        routes.finish_fetch(Some(RouteTable { version: 5, ..table(8) }), start + REFETCH_GAP * 2);
        assert!(routes.start_fetch(start + REFETCH_GAP * 3));
        routes.finish_fetch(Some(RouteTable { version: 4, owners: vec![None; 8], ..table(8) }), start);
        assert_eq!(routes.table().map(|t| t.version), Some(5));
        // Old: fetched again after TABLE_MAX_AGE.
        let fetched = start + REFETCH_GAP * 2;
        assert!(!routes.current(fetched + TABLE_MAX_AGE - Duration::from_millis(1)).1);
        assert!(routes.current(fetched + TABLE_MAX_AGE).1);
    }
}
