//! Redis through the `redis` crate on tokio, one multiplexed connection per client (so one
//! request in flight each, like every other driver).
//! - `cp-incr`: INCR. `cp-get`: GET. `cp-cas`: WATCH, GET, MULTI SET EXEC, retried while
//!   EXEC aborts.
//! - `cp-lock`/`cp-lock-each`: SET key token NX PX 10000, retried at once while taken, then
//!   DEL. (The usual single-instance Redis lock: no fencing, no consensus behind it.)
//!
//! Redis answers from one node's memory without replication; it is the throughput ceiling
//! a coordination service is often measured against, not an equivalent of one.

use futures_util::future::BoxFuture;
use redis::aio::MultiplexedConnection;

use super::connect_error;
use crate::driver::{ClientDriver, Driver};
use crate::error::BenchError;
use crate::workload::{System, Workload};

const COUNTER: &str = "bench-counter";
const LOCK: &str = "bench-lock";
const LOCK_TTL_MS: u64 = 10_000;

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

impl Driver for RedisDriver {
    fn connect(&self, index: usize) -> BoxFuture<'_, Result<Box<dyn ClientDriver>, BenchError>> {
        Box::pin(async move {
            let fail = |err: redis::RedisError| connect_error(System::Redis, &self.endpoints, err);
            let client = redis::Client::open(format!("redis://{}/", self.endpoints[0])).map_err(fail)?;
            let connection = client.get_multiplexed_async_connection().await.map_err(fail)?;
            let lock = if self.workload == Workload::CpLockEach { format!("{LOCK}-{index}") } else { LOCK.into() };
            let client = RedisClient { connection, workload: self.workload, lock, token: format!("client-{index}") };
            Ok(Box::new(client) as Box<dyn ClientDriver>)
        })
    }
}

struct RedisClient {
    connection: MultiplexedConnection,
    workload: Workload,
    lock: String,
    token: String,
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
            Workload::CpLock | Workload::CpLockEach => {
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
