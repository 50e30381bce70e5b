//! The Coterie driver, generic over the client's transport.
//!
//! The harness does not pick Coterie's wire: whoever calls it passes a [`Connect`] that
//! makes one [`Client`] per simulated client (the `coterie` binary passes the gRPC
//! connector, tests pass an in-process cluster). Any closure
//! `Fn(Vec<String>, usize) -> impl Future<Output = Result<Client<T>, E>>` is a connector.

use std::fmt::Display;
use std::future::Future;
use std::sync::{Arc, Mutex};

use coterie_client::{Client, ClientError, FencedLock, Transport};
use coterie_core::{CoreError, Fence};
use futures_util::future::BoxFuture;

use crate::driver::{ClientDriver, Driver};
use crate::error::BenchError;
use crate::workload::Workload;

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
}

struct CoterieClient<T: Transport> {
    client: Client<T>,
    op: Op<T>,
    fences: Option<Arc<Mutex<Vec<Fence>>>>,
}

impl<T: Transport> CoterieClient<T> {
    async fn run(&self) -> Result<(), ClientError> {
        match &self.op {
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
                if let Some(log) = &self.fences
                    && let Ok(mut log) = log.lock()
                {
                    log.push(fence);
                }
                lock.unlock().await
            }
            Op::Semaphore(semaphore) => {
                semaphore.acquire(1).await?;
                semaphore.release(1).await
            }
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
