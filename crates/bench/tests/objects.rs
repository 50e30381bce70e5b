//! The object workloads (`obj-create`, `obj-cas`) through the gRPC client's bucket handle,
//! against three real `coterie_server::Node`s on loopback in this process. Small op budgets
//! keep them fast; every wait is bounded by the runner's op timeout.

#![allow(clippy::unwrap_used, clippy::expect_used, reason = "test code: a failure should panic")]

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

use coterie_bench::objects::{BUCKET, CAS_KEY, create_key, parse_counter, value_for};
use coterie_bench::{CoterieDriver, OBJECT_VALUE_BYTES, RunConfig, Workload, run_closed_loop};
use coterie_client::bucket::{GetOptions, ListOptions, PutOptions};
use coterie_client::{Client, ClientConfig, ClientError, GrpcTransport};
use coterie_core::CoreError;
use coterie_server::cp::CpConfig;
use coterie_server::{Node, NodeConfig};

/// Three members on port-0 listeners; answers them and their client endpoints.
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
        config.cluster_secret = Some("bench-objects-test-secret-0123456789".to_owned());
        config.cp = CpConfig {
            tick_interval: Duration::from_millis(50),
            heartbeat_interval: Duration::from_millis(100),
            election_timeout: (Duration::from_millis(400), Duration::from_millis(800)),
            ..CpConfig::default()
        };
        nodes.push(Node::start_with_listener(config, listener).await.unwrap());
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
        // Generous: a timed-out swap might still apply and break the count check.
        op_timeout: Duration::from_secs(60),
        progress: false,
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn obj_create_and_obj_cas_count_exactly_what_the_bucket_holds() {
    let (nodes, endpoints) = cluster().await;

    let create = CoterieDriver::new(connect, endpoints.clone(), Workload::ObjCreate);
    let stats = run_closed_loop(Arc::new(create), &run_config(3, 30), |_| {}).await.unwrap();
    assert_eq!((stats.ops, stats.errors), (30, 0), "{:?}", stats.first_error);

    let cas = CoterieDriver::new(connect, endpoints.clone(), Workload::ObjCas);
    let stats = run_closed_loop(Arc::new(cas), &run_config(4, 40), |_| {}).await.unwrap();
    assert_eq!((stats.ops, stats.errors), (40, 0), "{:?}", stats.first_error);

    let client = connect(endpoints, 0).await.unwrap();
    let bucket = client.bucket(BUCKET).unwrap();
    // Every counted swap applied once: the hot object went from 0 to the op count.
    let counter = bucket.get(CAS_KEY, GetOptions::default()).await.unwrap();
    assert_eq!(parse_counter(&counter.data), 40);
    // The created objects are under `bench/{run}/...` with 100-byte values of their own.
    let page = bucket.list(ListOptions { prefix: "bench/".to_owned(), ..ListOptions::default() }).await.unwrap();
    let created: Vec<_> = page.objects.iter().filter(|o| !o.key.ends_with("/probe")).collect();
    assert_eq!(created.len(), 30, "{:?}", page.objects.iter().map(|o| &o.key).collect::<Vec<_>>());
    assert!(created.iter().all(|o| o.size == OBJECT_VALUE_BYTES as u64));
    // And a create-only put of one of them again is refused.
    let again = bucket.put(&created[0].key, b"again", PutOptions::create_only()).await;
    assert!(matches!(again, Err(ClientError::Refused(CoreError::AlreadyExists { .. }))), "{again:?}");
    for node in nodes {
        node.shutdown().await;
    }
}

#[test]
fn object_keys_and_values_are_distinct_and_sized() {
    assert_eq!(create_key("r", 3, 7), "bench/r/3/7");
    let (a, b) = (value_for(&create_key("r", 0, 0)), value_for(&create_key("r", 0, 1)));
    assert_eq!((a.len(), b.len()), (OBJECT_VALUE_BYTES, OBJECT_VALUE_BYTES));
    assert_ne!(a, b, "the blob store is content-addressed: equal values would be deduplicated");
    assert_eq!(parse_counter(b"41"), 41);
    assert_eq!(parse_counter(b""), 0);
}
