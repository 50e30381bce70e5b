//! Redis through the `redis` crate on tokio, one multiplexed connection per client (so one
//! request in flight each, like every other driver).
//! - `cp-incr`: INCR. `cp-get`: GET. `cp-cas`: WATCH, GET, MULTI SET EXEC, retried while
//!   EXEC aborts.
//! - `cp-lock`/`cp-lock-each`/`sharded-lock`: SET key token NX PX 10000, retried at once
//!   while taken, then DEL. (The usual single-instance Redis lock: no fencing, no FIFO, no
//!   consensus or replication behind it.)
//! - `sharded-incr`: INCR of one key; `sharded-incr-each`: INCR of a key per client.
//! - `sharded-put`: SET of a 100-byte value, over the same 1000 keys as Coterie's map;
//!   `sharded-get`: GET of those keys, preloaded (SET) before the run.
//!
//! Redis answers from one node's memory without replication; it is the throughput ceiling
//! a coordination service is often measured against, not an equivalent of one.

use futures_util::future::BoxFuture;
use redis::aio::MultiplexedConnection;

use super::connect_error;
use crate::driver::{ClientDriver, Driver};
use crate::error::BenchError;
use crate::workload::{MAP_KEYS, MAP_VALUE_BYTES, System, Workload, map_key};

const COUNTER: &str = "bench-counter";
const LOCK: &str = "bench-lock";
const LOCK_TTL_MS: u64 = 10_000;
const SHARDED_COUNTER: &str = "bench-sharded-counter";
const SHARDED_LOCK: &str = "bench-sharded-lock";
/// The map workloads' keys are `bench-map:<key>`.
const MAP: &str = "bench-map";

/// Runs a workload on Redis (the first endpoint).
pub struct RedisDriver {
    endpoints: Vec<String>,
    workload: Workload,
}

impl RedisDriver {
    pub(super) fn new(endpoints: Vec<String>, workload: Workload) -> Self {
        RedisDriver { endpoints, workload }
    }
}

impl RedisDriver {
    async fn connection(&self) -> Result<MultiplexedConnection, BenchError> {
        let fail = |err: redis::RedisError| connect_error(System::Redis, &self.endpoints, err);
        let client = redis::Client::open(format!("redis://{}/", self.endpoints[0])).map_err(fail)?;
        client.get_multiplexed_async_connection().await.map_err(fail)
    }
}

impl Driver for RedisDriver {
    fn prepare(&self) -> BoxFuture<'_, Result<(), BenchError>> {
        Box::pin(async move {
            if self.workload != Workload::ShardedGet {
                return Ok(());
            }
            let mut con = self.connection().await?;
            let mut preload = redis::pipe();
            for n in 0..MAP_KEYS as u64 {
                preload.set(format!("{MAP}:{}", map_key(0, n)), vec![b'v'; MAP_VALUE_BYTES]).ignore();
            }
            preload.query_async::<()>(&mut con).await.map_err(|err| BenchError::Prepare {
                workload: self.workload.to_string(),
                system: System::Redis.to_string(),
                reason: err.to_string(),
            })
        })
    }

    fn connect(&self, index: usize) -> BoxFuture<'_, Result<Box<dyn ClientDriver>, BenchError>> {
        Box::pin(async move {
            let connection = self.connection().await?;
            let lock = match self.workload {
                Workload::CpLockEach => format!("{LOCK}-{index}"),
                Workload::ShardedLock => SHARDED_LOCK.into(),
                _ => LOCK.into(),
            };
            let counter = if self.workload == Workload::ShardedIncrEach {
                format!("{SHARDED_COUNTER}-{index}")
            } else {
                SHARDED_COUNTER.into()
            };
            let token = format!("client-{index}");
            let client = RedisClient { connection, workload: self.workload, lock, token, counter, index, next: 0 };
            Ok(Box::new(client) as Box<dyn ClientDriver>)
        })
    }
}

struct RedisClient {
    connection: MultiplexedConnection,
    workload: Workload,
    lock: String,
    token: String,
    /// The sharded counter workloads' key.
    counter: String,
    /// This client's number, for the map workloads' keys.
    index: usize,
    /// The map workloads' next op number.
    next: u64,
}

impl RedisClient {
    async fn run(&mut self) -> redis::RedisResult<()> {
        let con = &mut self.connection;
        match self.workload {
            Workload::CpIncr => redis::cmd("INCR").arg(COUNTER).query_async::<i64>(con).await.map(drop),
            Workload::CpGet => redis::cmd("GET").arg(COUNTER).query_async::<Option<i64>>(con).await.map(drop),
            Workload::CpCas => loop {
                redis::cmd("WATCH").arg(COUNTER).query_async::<()>(con).await?;
                let current: Option<i64> = redis::cmd("GET").arg(COUNTER).query_async(con).await?;
                let next = current.unwrap_or(0) + 1;
                let exec: redis::Value = redis::pipe().atomic().set(COUNTER, next).query_async(con).await?;
                if !matches!(exec, redis::Value::Nil) {
                    return Ok(());
                }
            },
            Workload::CpLock | Workload::CpLockEach | Workload::ShardedLock => {
                loop {
                    let set: Option<String> = redis::cmd("SET")
                        .arg(&self.lock)
                        .arg(&self.token)
                        .arg("NX")
                        .arg("PX")
                        .arg(LOCK_TTL_MS)
                        .query_async(con)
                        .await?;
                    if set.is_some() {
                        break;
                    }
                }
                redis::cmd("DEL").arg(&self.lock).query_async::<i64>(con).await.map(drop)
            }
            Workload::ShardedIncr | Workload::ShardedIncrEach => {
                redis::cmd("INCR").arg(&self.counter).query_async::<i64>(con).await.map(drop)
            }
            Workload::ShardedPut | Workload::ShardedGet => {
                let key = format!("{MAP}:{}", map_key(self.index, self.next));
                self.next = self.next.wrapping_add(1);
                if self.workload == Workload::ShardedPut {
                    redis::cmd("SET").arg(key).arg(vec![b'v'; MAP_VALUE_BYTES]).query_async::<()>(con).await
                } else {
                    match redis::cmd("GET").arg(key).query_async::<Option<Vec<u8>>>(con).await? {
                        Some(_) => Ok(()),
                        None => {
                            Err(redis::RedisError::from((redis::ErrorKind::Client, "a preloaded key has no value")))
                        }
                    }
                }
            }
            // Refused up front by `peers::driver`.
            Workload::CpSemaphore | Workload::ObjCreate | Workload::ObjCas => {
                Err(redis::RedisError::from((redis::ErrorKind::Client, "no redis driver for this workload")))
            }
        }
    }
}

impl ClientDriver for RedisClient {
    fn op(&mut self) -> BoxFuture<'_, Result<(), String>> {
        Box::pin(async move { self.run().await.map_err(|err| format!("redis: {err}")) })
    }
}
