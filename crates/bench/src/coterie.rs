//! The Coterie driver, generic over the client's transport.
//!
//! The harness does not pick Coterie's wire: whoever calls it passes a [`Connect`] that
//! makes one [`Client`] per simulated client (the `coterie` binary passes the gRPC
//! connector, tests pass an in-process cluster). Any closure
//! `Fn(Vec<String>, usize) -> impl Future<Output = Result<Client<T>, E>>` is a connector.

use std::fmt::Display;
use std::future::Future;
use std::sync::{Arc, Mutex};

use std::time::Duration;

use coterie_client::{Client, ClientError, Counter, FencedLock, Lock, Map, Transport};
use coterie_core::{CoreError, Fence};
use futures_util::future::BoxFuture;

use crate::driver::{ClientDriver, Driver};
use crate::error::BenchError;
use crate::workload::{MAP_KEYS, MAP_VALUE_BYTES, Workload, map_key};

/// The permits of the `cp-semaphore` workload's semaphore.
pub const SEMAPHORE_PERMITS: u64 = 4;

/// Makes one Coterie client: `connect(endpoints, client_index)`.
pub trait Connect: Send + Sync + 'static {
    /// The transport of the clients it makes.
    type Transport: Transport;

    /// A new client (its own connection) to the cluster at `endpoints`.
    fn connect(&self, endpoints: Vec<String>, client: usize) -> BoxFuture<'_, Result<Client<Self::Transport>, String>>;
}

impl<T, E, F, Fut> Connect for F
where
    T: Transport,
    E: Display,
    F: Fn(Vec<String>, usize) -> Fut + Send + Sync + 'static,
    Fut: Future<Output = Result<Client<T>, E>> + Send + 'static,
{
    type Transport = T;

    fn connect(&self, endpoints: Vec<String>, client: usize) -> BoxFuture<'_, Result<Client<T>, String>> {
        let connecting = self(endpoints, client);
        Box::pin(async move { connecting.await.map_err(|err| err.to_string()) })
    }
}

/// Structure names; a `bench-` prefix keeps them apart from an application's.
const COUNTER: &str = "bench-counter";
const LOCK: &str = "bench-lock";
const SEMAPHORE: &str = "bench-semaphore";
/// The sharded workloads' structures (100 shards, the default).
const SHARDED_COUNTER: &str = "bench-sharded-counter";
const MAP: &str = "bench-map";
const SHARDED_LOCK: &str = "bench-sharded-lock";
/// `sharded-lock`'s lease: a holder that dies mid-run frees the lock this long after its
/// grant (the Redis driver's PX is the same).
const SHARDED_LOCK_LEASE: Duration = Duration::from_secs(10);

/// How many preloading puts of `sharded-get` are in flight at once.
const PRELOAD_IN_FLIGHT: usize = 32;

/// Runs a workload on Coterie.
pub struct CoterieDriver<C: Connect> {
    connector: C,
    endpoints: Vec<String>,
    workload: Workload,
    fences: Option<Arc<Mutex<Vec<Fence>>>>,
    /// Unique to this driver, so that `obj-create`'s keys are new in every run.
    run: String,
}

impl<C: Connect> CoterieDriver<C> {
    /// A driver running `workload` on the cluster at `endpoints`, connecting with `connector`.
    pub fn new(connector: C, endpoints: Vec<String>, workload: Workload) -> Self {
        CoterieDriver { connector, endpoints, workload, fences: None, run: crate::objects::run_id() }
    }

    /// Records every fence the lock workloads obtain into `log`, while the lock is held, so
    /// that for `cp-lock` the log's order is the order the lock was granted (a correctness
    /// check: the fences must strictly increase).
    pub fn with_fence_log(mut self, log: Arc<Mutex<Vec<Fence>>>) -> Self {
        self.fences = Some(log);
        self
    }

    async fn client(&self, index: usize) -> Result<Client<C::Transport>, BenchError> {
        self.connector.connect(self.endpoints.clone(), index).await.map_err(|reason| BenchError::Connect {
            system: "coterie".to_owned(),
            endpoints: self.endpoints.join(","),
            reason,
        })
    }
}

fn prepare_error(workload: Workload, err: impl Display) -> BenchError {
    BenchError::Prepare { workload: workload.to_string(), system: "coterie".to_owned(), reason: err.to_string() }
}

impl<C: Connect> Driver for CoterieDriver<C> {
    fn prepare(&self) -> BoxFuture<'_, Result<(), BenchError>> {
        Box::pin(async move {
            if self.workload.is_object() {
                let client = self.client(0).await?;
                let prepared = match crate::objects::grpc(&client, self.workload) {
                    Ok(grpc) => crate::objects::prepare(&grpc, self.workload, &self.run).await,
                    Err(err) => Err(err),
                };
                let _ = client.close().await;
                return prepared;
            }
            if self.workload == Workload::ShardedGet {
                let client = self.client(0).await?;
                let preloaded = preload(&client).await.map_err(|err| prepare_error(self.workload, err));
                let _ = client.close().await;
                return preloaded;
            }
            if self.workload != Workload::CpSemaphore {
                return Ok(());
            }
            let client = self.client(0).await?;
            let semaphore = client.semaphore(SEMAPHORE).map_err(|err| prepare_error(self.workload, err))?;
            match semaphore.init(SEMAPHORE_PERMITS).await {
                // Initialized by an earlier run: its permits are what they were.
                Ok(()) | Err(ClientError::Refused(CoreError::AlreadyInitialized)) => {}
                Err(err) => return Err(prepare_error(self.workload, err)),
            }
            let _ = client.close().await;
            Ok(())
        })
    }

    fn connect(&self, index: usize) -> BoxFuture<'_, Result<Box<dyn ClientDriver>, BenchError>> {
        Box::pin(async move {
            let client = self.client(index).await?;
            if self.workload.is_object() {
                let grpc = crate::objects::grpc(&client, self.workload)?;
                let objects = crate::objects::ObjectClient::new(grpc, self.workload, &self.run, index)?;
                return Ok(Box::new(objects) as Box<dyn ClientDriver>);
            }
            let op = match self.workload {
                Workload::CpIncr | Workload::CpCas | Workload::CpGet => {
                    let counter = client.atomic_long(COUNTER).map_err(|err| prepare_error(self.workload, err))?;
                    match self.workload {
                        Workload::CpIncr => Op::Incr(counter),
                        Workload::CpCas => Op::Cas(counter),
                        _ => Op::Get(counter),
                    }
                }
                Workload::CpLock | Workload::CpLockEach => {
                    let name =
                        if self.workload == Workload::CpLock { LOCK.to_owned() } else { format!("{LOCK}-{index}") };
                    Op::Lock(client.fenced_lock(&name).map_err(|err| prepare_error(self.workload, err))?)
                }
                Workload::CpSemaphore => {
                    Op::Semaphore(client.semaphore(SEMAPHORE).map_err(|err| prepare_error(self.workload, err))?)
                }
                Workload::ShardedIncr | Workload::ShardedIncrEach => {
                    let name = if self.workload == Workload::ShardedIncr {
                        SHARDED_COUNTER.to_owned()
                    } else {
                        format!("{SHARDED_COUNTER}-{index}")
                    };
                    Op::ShardedIncr(client.counter(&name).map_err(|err| prepare_error(self.workload, err))?)
                }
                Workload::ShardedPut | Workload::ShardedGet => {
                    let map = client.map(MAP).map_err(|err| prepare_error(self.workload, err))?;
                    let walk = KeyWalk { client: index, next: 0 };
                    if self.workload == Workload::ShardedPut { Op::MapPut(map, walk) } else { Op::MapGet(map, walk) }
                }
                Workload::ShardedLock => {
                    Op::ShardedLock(client.lock(SHARDED_LOCK).map_err(|err| prepare_error(self.workload, err))?)
                }
                // Handled above, on the bucket handle.
                Workload::ObjCreate | Workload::ObjCas => {
                    return Err(prepare_error(self.workload, "object workloads run on the bucket handle"));
                }
            };
            Ok(Box::new(CoterieClient { client, op, fences: self.fences.clone() }) as Box<dyn ClientDriver>)
        })
    }
}

enum Op<T: Transport> {
    Incr(coterie_client::AtomicLong<T>),
    Cas(coterie_client::AtomicLong<T>),
    Get(coterie_client::AtomicLong<T>),
    Lock(FencedLock<T>),
    Semaphore(coterie_client::Semaphore<T>),
    ShardedIncr(Counter<T>),
    MapPut(Map<T, String, Vec<u8>>, KeyWalk),
    MapGet(Map<T, String, Vec<u8>>, KeyWalk),
    ShardedLock(Lock<T>),
}

/// The keys one client of a map workload visits, in order ([`map_key`]).
struct KeyWalk {
    client: usize,
    next: u64,
}

impl KeyWalk {
    fn next_key(&mut self) -> String {
        let key = map_key(self.client, self.next);
        self.next = self.next.wrapping_add(1);
        key
    }
}

/// The value the map workloads write.
fn map_value() -> Vec<u8> {
    vec![b'v'; MAP_VALUE_BYTES]
}

/// Puts every key of the map workloads, [`PRELOAD_IN_FLIGHT`] at a time, so `sharded-get`
/// reads values that exist.
async fn preload<T: Transport>(client: &Client<T>) -> Result<(), ClientError> {
    let map: Map<T, String, Vec<u8>> = client.map(MAP)?;
    let value = map_value();
    let keys: Vec<String> = (0..MAP_KEYS as u64).map(|n| map_key(0, n)).collect();
    for chunk in keys.chunks(PRELOAD_IN_FLIGHT) {
        let puts = chunk.iter().map(|key| map.put(key, &value));
        for put in futures_util::future::join_all(puts).await {
            put?;
        }
    }
    Ok(())
}

/// Appends `fence` to the fence log, if there is one (called while the lock is held).
fn record(log: &Option<Arc<Mutex<Vec<Fence>>>>, fence: Fence) {
    if let Some(log) = log
        && let Ok(mut log) = log.lock()
    {
        log.push(fence);
    }
}

struct CoterieClient<T: Transport> {
    client: Client<T>,
    op: Op<T>,
    fences: Option<Arc<Mutex<Vec<Fence>>>>,
}

impl<T: Transport> CoterieClient<T> {
    async fn run(&mut self) -> Result<(), ClientError> {
        match &mut self.op {
            Op::Incr(counter) => counter.increment_and_get().await.map(drop),
            Op::Get(counter) => counter.get().await.map(drop),
            Op::Cas(counter) => loop {
                let current = counter.get().await?;
                if counter.compare_and_set(current, current.wrapping_add(1)).await? {
                    return Ok(());
                }
            },
            Op::Lock(lock) => {
                let fence = lock.lock().await?;
                record(&self.fences, fence);
                lock.unlock().await
            }
            Op::ShardedLock(lock) => {
                let fence = lock.acquire(Some(SHARDED_LOCK_LEASE)).await?;
                record(&self.fences, fence);
                if lock.release().await? {
                    Ok(())
                } else {
                    Err(ClientError::UnexpectedOutput("sharded-lock: the holder's release was refused".to_owned()))
                }
            }
            Op::Semaphore(semaphore) => {
                semaphore.acquire(1).await?;
                semaphore.release(1).await
            }
            Op::ShardedIncr(counter) => counter.increment(1).await.map(drop),
            Op::MapPut(map, walk) => map.put(&walk.next_key(), &map_value()).await.map(drop),
            Op::MapGet(map, walk) => match map.get(&walk.next_key()).await? {
                Some(_) => Ok(()),
                None => Err(ClientError::UnexpectedOutput("a preloaded key of sharded-get has no value".to_owned())),
            },
        }
    }
}

impl<T: Transport> ClientDriver for CoterieClient<T> {
    fn op(&mut self) -> BoxFuture<'_, Result<(), String>> {
        Box::pin(async move { self.run().await.map_err(|err| err.to_string()) })
    }

    fn close(&mut self) -> BoxFuture<'_, ()> {
        Box::pin(async move {
            let _ = self.client.close().await;
        })
    }
}
