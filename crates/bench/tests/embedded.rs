//! The Coterie driver against a real three-member Raft cluster in this process: the harness
//! counts what it did right. Every wait is bounded by the runner's op timeout.

#![allow(clippy::unwrap_used, clippy::expect_used, reason = "test code: a failure should panic")]

use std::sync::{Arc, Mutex};
use std::time::Duration;

use coterie_bench::{CoterieDriver, RunConfig, Workload, run_closed_loop};
use coterie_client::{Client, ClientConfig};
use coterie_embedded::{EmbeddedCluster, EmbeddedStorage, EmbeddedTransport};
use coterie_server::cp::CpConfig;

async fn cluster() -> Arc<EmbeddedCluster> {
    let config = CpConfig {
        tick_interval: Duration::from_millis(50),
        heartbeat_interval: Duration::from_millis(100),
        election_timeout: (Duration::from_millis(400), Duration::from_millis(800)),
        ..CpConfig::default()
    };
    Arc::new(EmbeddedCluster::start(3, EmbeddedStorage::Memory, config).await.unwrap())
}

fn client_config() -> ClientConfig {
    ClientConfig { call_timeout: Duration::from_secs(20), ..ClientConfig::default() }
}

/// A connector handing out a new client (its own sessions) of `cluster` per call.
fn connector(
    cluster: &Arc<EmbeddedCluster>,
) -> impl Fn(Vec<String>, usize) -> std::future::Ready<Result<Client<EmbeddedTransport>, String>> + Send + Sync + 'static
{
    let cluster = Arc::clone(cluster);
    move |_endpoints, _client| std::future::ready(Ok(cluster.client(client_config())))
}

fn run_config(clients: usize, ops: u64) -> RunConfig {
    RunConfig {
        clients,
        warmup: Duration::ZERO,
        duration: Duration::from_secs(300),
        max_ops: Some(ops),
        // Generous: a timed-out increment might still apply and break the count check.
        op_timeout: Duration::from_secs(60),
        progress: false,
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cp_incr_counts_exactly_the_increments_the_cluster_applied() {
    let cluster = cluster().await;
    let driver = CoterieDriver::new(connector(&cluster), vec!["in-process".into()], Workload::CpIncr);
    let stats = run_closed_loop(Arc::new(driver), &run_config(4, 200), |_| {}).await.unwrap();
    assert_eq!(stats.errors, 0, "{:?}", stats.first_error);
    assert_eq!(stats.ops, 200);
    let counter = cluster.client(client_config()).atomic_long("bench-counter").unwrap();
    assert_eq!(counter.get().await.unwrap(), i64::try_from(stats.ops).unwrap());
    cluster.shutdown().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cp_cas_applies_one_increment_per_counted_op() {
    let cluster = cluster().await;
    let driver = CoterieDriver::new(connector(&cluster), vec!["in-process".into()], Workload::CpCas);
    let stats = run_closed_loop(Arc::new(driver), &run_config(3, 60), |_| {}).await.unwrap();
    assert_eq!((stats.ops, stats.errors), (60, 0), "{:?}", stats.first_error);
    let counter = cluster.client(client_config()).atomic_long("bench-counter").unwrap();
    assert_eq!(counter.get().await.unwrap(), 60);
    cluster.shutdown().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cp_lock_fences_strictly_increase_across_contending_clients() {
    let cluster = cluster().await;
    let fences = Arc::new(Mutex::new(Vec::new()));
    let driver = CoterieDriver::new(connector(&cluster), vec!["in-process".into()], Workload::CpLock)
        .with_fence_log(Arc::clone(&fences));
    let stats = run_closed_loop(Arc::new(driver), &run_config(4, 80), |_| {}).await.unwrap();
    assert_eq!((stats.ops, stats.errors), (80, 0), "{:?}", stats.first_error);
    let fences = fences.lock().unwrap().clone();
    assert_eq!(fences.len(), 80);
    assert!(fences.windows(2).all(|pair| pair[0] < pair[1]), "{fences:?}");
    cluster.shutdown().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cp_semaphore_and_the_other_workloads_run_without_errors() {
    let cluster = cluster().await;
    for workload in [Workload::CpSemaphore, Workload::CpGet, Workload::CpLockEach] {
        let driver = CoterieDriver::new(connector(&cluster), vec!["in-process".into()], workload);
        let stats = run_closed_loop(Arc::new(driver), &run_config(5, 40), |_| {}).await.unwrap();
        assert_eq!((stats.ops, stats.errors), (40, 0), "{workload}: {:?}", stats.first_error);
    }
    // Every permit came back.
    let semaphore = cluster.client(client_config()).semaphore("bench-semaphore").unwrap();
    assert_eq!(semaphore.available_permits().await.unwrap(), 4);
    cluster.shutdown().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn object_workloads_on_a_transport_without_buckets_say_they_need_grpc() {
    let cluster = cluster().await;
    for workload in [Workload::ObjCreate, Workload::ObjCas] {
        let driver = CoterieDriver::new(connector(&cluster), vec!["in-process".into()], workload);
        let err = run_closed_loop(Arc::new(driver), &run_config(1, 1), |_| {}).await.unwrap_err();
        assert!(matches!(err, coterie_bench::BenchError::NeedsGrpc { .. }), "{workload}: {err}");
        assert!(err.to_string().contains("gRPC client"), "{err}");
    }
    cluster.shutdown().await.unwrap();
}
