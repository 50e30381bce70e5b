//! ZooKeeper through `zookeeper-client` (pure Rust, tokio), one session per client.
//! - `cp-incr`/`cp-cas`: get the counter node's data and version, then set_data with that
//!   version, retried on BadVersion (ZooKeeper's CAS).
//! - `cp-get`: sync then get (a plain ZooKeeper read may be stale; sync makes it current).
//! - `cp-lock`/`cp-lock-each`: the lock recipe — an ephemeral sequential node under the
//!   lock's directory, granted when it is the lowest, else waiting on its predecessor's
//!   deletion — then deleting the node (the release is inside the op's latency).

use futures_util::future::BoxFuture;
use zookeeper_client::{Acls, Client, CreateMode, Error};

use super::connect_error;
use crate::driver::{ClientDriver, Driver};
use crate::error::BenchError;
use crate::workload::{System, Workload};

const COUNTER: &str = "/bench-counter";
const LOCKS: &str = "/bench-locks";

/// Runs a workload on ZooKeeper.
pub struct ZkDriver {
    endpoints: Vec<String>,
    workload: Workload,
}

impl ZkDriver {
    pub(super) fn new(endpoints: Vec<String>, workload: Workload) -> Self {
        ZkDriver { endpoints, workload }
    }

    async fn session(&self) -> Result<Client, BenchError> {
        Client::connect(&self.endpoints.join(","))
            .await
            .map_err(|err| connect_error(System::Zookeeper, &self.endpoints, err))
    }
}

/// Creates a persistent node, accepting that it exists.
async fn ensure(client: &Client, path: &str, data: &[u8]) -> Result<(), Error> {
    match client.create(path, data, &CreateMode::Persistent.with_acls(Acls::anyone_all())).await {
        Ok(_) | Err(Error::NodeExists) => Ok(()),
        Err(err) => Err(err),
    }
}

impl Driver for ZkDriver {
    fn prepare(&self) -> BoxFuture<'_, Result<(), BenchError>> {
        Box::pin(async move {
            let client = self.session().await?;
            let prepare = |err: Error| BenchError::Prepare {
                workload: self.workload.to_string(),
                system: "zookeeper".to_owned(),
                reason: err.to_string(),
            };
            ensure(&client, COUNTER, b"0").await.map_err(prepare)?;
            ensure(&client, LOCKS, b"").await.map_err(prepare)?;
            ensure(&client, &format!("{LOCKS}/shared"), b"").await.map_err(prepare)?;
            Ok(())
        })
    }

    fn connect(&self, index: usize) -> BoxFuture<'_, Result<Box<dyn ClientDriver>, BenchError>> {
        Box::pin(async move {
            let client = self.session().await?;
            let lock_dir = if self.workload == Workload::CpLockEach {
                format!("{LOCKS}/each-{index}")
            } else {
                format!("{LOCKS}/shared")
            };
            ensure(&client, &lock_dir, b"")
                .await
                .map_err(|err| connect_error(System::Zookeeper, &self.endpoints, err))?;
            Ok(Box::new(ZkClient { client, workload: self.workload, lock_dir }) as Box<dyn ClientDriver>)
        })
    }
}

struct ZkClient {
    client: Client,
    workload: Workload,
    lock_dir: String,
}

/// The sequence number at the end of a sequential node's name.
fn sequence(name: &str) -> i64 {
    name.rsplit('-').next().and_then(|n| n.parse().ok()).unwrap_or(i64::MAX)
}

impl ZkClient {
    async fn increment(&self) -> Result<(), Error> {
        loop {
            let (data, stat) = self.client.get_data(COUNTER).await?;
            let value: i64 = std::str::from_utf8(&data).ok().and_then(|v| v.parse().ok()).unwrap_or(0);
            match self.client.set_data(COUNTER, (value + 1).to_string().as_bytes(), Some(stat.version)).await {
                Ok(_) => return Ok(()),
                Err(Error::BadVersion) => continue,
                Err(err) => return Err(err),
            }
        }
    }

    async fn lock_unlock(&self) -> Result<(), Error> {
        let prefix = format!("{}/lock-", self.lock_dir);
        let options = CreateMode::EphemeralSequential.with_acls(Acls::anyone_all());
        let (_, seq) = self.client.create(&prefix, b"", &options).await?;
        let ours = seq.into_i64();
        let path = format!("{prefix}{seq}");
        loop {
            let children = self.client.list_children(&self.lock_dir).await?;
            let predecessor = children
                .iter()
                .filter(|name| sequence(name) < ours)
                .max_by_key(|name| sequence(name))
                .map(|name| format!("{}/{name}", self.lock_dir));
            let Some(predecessor) = predecessor else { break };
            match self.client.check_and_watch_stat(&predecessor).await? {
                (None, _) => continue,
                (Some(_), watcher) => {
                    watcher.changed().await;
                }
            }
        }
        self.client.delete(&path, None).await
    }

    async fn run(&self) -> Result<(), Error> {
        match self.workload {
            Workload::CpIncr | Workload::CpCas => self.increment().await,
            Workload::CpGet => {
                self.client.sync(COUNTER).await?;
                self.client.get_data(COUNTER).await.map(drop)
            }
            Workload::CpLock | Workload::CpLockEach => self.lock_unlock().await,
            // Refused up front by `peers::driver`.
            Workload::CpSemaphore
            | Workload::ObjCreate
            | Workload::ObjCas
            | Workload::ShardedIncr
            | Workload::ShardedIncrEach
            | Workload::ShardedPut
            | Workload::ShardedGet
            | Workload::ShardedLock => Err(Error::Unimplemented),
        }
    }
}

impl ClientDriver for ZkClient {
    fn op(&mut self) -> BoxFuture<'_, Result<(), String>> {
        Box::pin(async move { self.run().await.map_err(|err| format!("zookeeper: {err}")) })
    }
}
