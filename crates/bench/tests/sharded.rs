//! The sharded workloads (`sharded-incr`, `sharded-incr-each`, `sharded-put`,
//! `sharded-get`, `sharded-lock`) through the gRPC client's sharded handles, against three real
//! `coterie_server::Node`s on loopback in this process: the harness counts exactly what the
//! cluster applied. Small op budgets keep them fast; every wait is bounded.

#![allow(clippy::unwrap_used, clippy::expect_used, reason = "test code: a failure should panic")]

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use coterie_bench::{CoterieDriver, MAP_KEYS, MAP_VALUE_BYTES, RunConfig, Workload, map_key, run_closed_loop};
use coterie_client::{Client, ClientConfig, ClientError, GrpcTransport};
use coterie_server::cp::CpConfig;
use coterie_server::{Node, NodeConfig};

/// Three members on port-0 listeners, once each has applied a partition table over the
/// three; answers them and their client endpoints.
async fn cluster() -> (Vec<Node>, Vec<String>) {
    let mut listeners = Vec::new();
    for _ in 0..3 {
        listeners.push(tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap());
    }
    let endpoints: Vec<String> = listeners.iter().map(|l| l.local_addr().unwrap().to_string()).collect();
    let members: BTreeMap<u64, String> = (1..).zip(endpoints.iter().cloned()).collect();
    let mut nodes = Vec::new();
    for (id, listener) in (1..).zip(listeners) {
        let mut config = NodeConfig::new(id, members[&id].parse().unwrap(), members.clone());
        config.cluster_secret = Some("bench-sharded-test-secret-0123456789".to_owned());
        config.cp = CpConfig {
            tick_interval: Duration::from_millis(50),
            heartbeat_interval: Duration::from_millis(100),
            election_timeout: (Duration::from_millis(400), Duration::from_millis(800)),
            ..CpConfig::default()
        };
        nodes.push(Node::start_with_listener(config, listener).await.unwrap());
    }
    let deadline = Instant::now() + Duration::from_secs(60);
    while !nodes.iter().all(|node| node.partition_table().is_some_and(|t| t.up_members() == [1, 2, 3])) {
        assert!(Instant::now() < deadline, "no partition table over the three members within 60 s");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    (nodes, endpoints)
}

fn client_config() -> ClientConfig {
    ClientConfig { call_timeout: Duration::from_secs(20), ..ClientConfig::default() }
}

async fn connect(endpoints: Vec<String>, _client: usize) -> Result<Client<GrpcTransport>, ClientError> {
    Client::connect_with(&endpoints, client_config()).await
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
async fn the_sharded_workloads_count_exactly_what_the_cluster_applied() {
    let (nodes, endpoints) = cluster().await;
    let client = connect(endpoints.clone(), 0).await.unwrap();

    // One hot counter: every counted op is one increment of it.
    let hot = CoterieDriver::new(connect, endpoints.clone(), Workload::ShardedIncr);
    let stats = run_closed_loop(Arc::new(hot), &run_config(4, 120), |_| {}).await.unwrap();
    assert_eq!((stats.ops, stats.errors), (120, 0), "{:?}", stats.first_error);
    assert_eq!(client.counter("bench-sharded-counter").unwrap().get().await.unwrap(), 120);

    // A counter per client: together they hold every counted op, each client's its own.
    let each = CoterieDriver::new(connect, endpoints.clone(), Workload::ShardedIncrEach);
    let stats = run_closed_loop(Arc::new(each), &run_config(3, 60), |_| {}).await.unwrap();
    assert_eq!((stats.ops, stats.errors), (60, 0), "{:?}", stats.first_error);
    let mut total = 0;
    for index in 0..3 {
        total += client.counter(&format!("bench-sharded-counter-{index}")).unwrap().get().await.unwrap();
    }
    assert_eq!(total, 60);
    assert_eq!(client.counter("bench-sharded-counter").unwrap().get().await.unwrap(), 120, "the hot one untouched");

    // Gets of preloaded keys: the preload puts every key, so no get finds nothing (a get
    // that found nothing would count as an error).
    let get = CoterieDriver::new(connect, endpoints.clone(), Workload::ShardedGet);
    let stats = run_closed_loop(Arc::new(get), &run_config(3, 60), |_| {}).await.unwrap();
    assert_eq!((stats.ops, stats.errors), (60, 0), "{:?}", stats.first_error);
    let map = client.map::<String, Vec<u8>>("bench-map").unwrap();
    for n in [0, MAP_KEYS as u64 - 1] {
        assert_eq!(map.get(&map_key(0, n)).await.unwrap().map(|v| v.len()), Some(MAP_VALUE_BYTES));
    }

    // Puts: the one client walks the keys from its start, storing a value under each.
    assert!(map.delete(&map_key(0, 0)).await.unwrap());
    let put = CoterieDriver::new(connect, endpoints.clone(), Workload::ShardedPut);
    let stats = run_closed_loop(Arc::new(put), &run_config(1, 10), |_| {}).await.unwrap();
    assert_eq!((stats.ops, stats.errors), (10, 0), "{:?}", stats.first_error);
    assert!(map.contains(&map_key(0, 0)).await.unwrap(), "the first put stored its key again");

    // One contended lock: every counted op is one grant and one release, the grants in
    // fence order (the log is appended while the lock is held), and the lock is free after.
    let fences = Arc::new(std::sync::Mutex::new(Vec::new()));
    let lock = CoterieDriver::new(connect, endpoints.clone(), Workload::ShardedLock).with_fence_log(fences.clone());
    let stats = run_closed_loop(Arc::new(lock), &run_config(4, 60), |_| {}).await.unwrap();
    assert_eq!((stats.ops, stats.errors), (60, 0), "{:?}", stats.first_error);
    let fences = fences.lock().unwrap().clone();
    assert_eq!(fences.len(), 60);
    assert!(fences.windows(2).all(|pair| pair[0] < pair[1]), "grants out of fence order: {fences:?}");
    assert!(!client.lock("bench-sharded-lock").unwrap().is_locked().await.unwrap(), "released after the run");

    client.close().await.unwrap();
    for node in nodes {
        node.shutdown().await;
    }
}
