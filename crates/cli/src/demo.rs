//! `coterie demo`: a guided tour that proves itself.
//!
//! It starts its own 3-member cluster in this process (real gRPC on loopback ports, the same
//! code `coterie serve` runs), connects clients over the network exactly as an application
//! would, and walks through every CP structure, seed 001's four use cases and seed 000's
//! sharded structures (`demo_sharded.rs`). Each step
//! prints what it did and checks what it got: a step whose result is not what the structure
//! promises fails the demo with a non-zero exit, so the demo doubles as a smoke test.

use std::collections::BTreeSet;
use std::time::Duration;

use anyhow::{Context, bail, ensure};
use coterie_client::{Client, ClientConfig, GrpcTransport};

use crate::Outcome;
use crate::local_cluster::LocalCluster;

/// Prints one step of the tour.
pub(crate) fn step(text: impl AsRef<str>) {
    println!("  {}", text.as_ref());
}

/// Prints a section's title.
pub(crate) fn section(title: &str) {
    println!("\n== {title}");
}

/// Runs `coterie demo`.
pub(crate) async fn run() -> anyhow::Result<Outcome> {
    println!("Starting a local 3-member cluster (in memory, loopback ports)...");
    let cluster = LocalCluster::start(None, None).await?;
    println!("Cluster up: {}", cluster.endpoints().join(", "));
    let result = tour(&cluster).await;
    cluster.shutdown().await;
    result?;
    println!("\nDemo complete: every step answered as expected.");
    Ok(Outcome::Done)
}

async fn connect(cluster: &LocalCluster) -> anyhow::Result<Client<GrpcTransport>> {
    let config = ClientConfig { session_ttl: Duration::from_secs(10), ..ClientConfig::default() };
    Client::connect_with(cluster.endpoints(), config).await.context("cannot connect a client to the local cluster")
}

async fn tour(cluster: &LocalCluster) -> anyhow::Result<()> {
    let client = connect(cluster).await?;
    structures(&client).await?;
    sequence_generator(cluster).await?;
    rate_limiter(&client).await?;
    leader_election(cluster).await?;
    latch_barrier(cluster, &client).await?;
    cluster.wait_for_partitions(Duration::from_secs(20)).await?;
    crate::demo_sharded::tour(&client).await?;
    client.close().await?;
    Ok(())
}

async fn structures(client: &Client<GrpcTransport>) -> anyhow::Result<()> {
    section("AtomicLong \"counter\"");
    let counter = client.atomic_long("counter")?;
    counter.set(10).await?;
    step("set(10)");
    let value = counter.increment_and_get().await?;
    step(format!("increment_and_get() -> {value}"));
    ensure!(value == 11, "increment_and_get answered {value}, expected 11");
    let value = counter.add_and_get(-5).await?;
    step(format!("add_and_get(-5) -> {value}"));
    let swapped = counter.compare_and_set(6, 100).await?;
    step(format!("compare_and_set(6, 100) -> {swapped}; get() -> {}", counter.get().await?));
    ensure!(swapped, "compare_and_set(6, 100) failed");

    section("AtomicReference \"config\"");
    let config = client.atomic_reference::<String>("config")?;
    config.set(Some(&"v1".to_owned())).await?;
    step("set(\"v1\")");
    let swapped = config.compare_and_set(Some(&"v1".to_owned()), Some(&"v2".to_owned())).await?;
    step(format!("compare_and_set(\"v1\", \"v2\") -> {swapped}; get() -> {:?}", config.get().await?));
    ensure!(swapped, "compare_and_set on the reference failed");
    let absent = config.set_if_absent(&"v3".to_owned()).await?;
    step(format!("set_if_absent(\"v3\") -> {absent} (it already holds a value)"));
    config.clear().await?;
    step(format!("clear(); is_null() -> {}", config.is_null().await?));

    section("FencedLock \"resource\"");
    let lock = client.fenced_lock("resource")?;
    let fence = lock.lock().await?;
    step(format!("lock() -> {fence}; is_locked_by_me() -> {}", lock.is_locked_by_me().await?));
    let again = lock.lock().await?;
    step(format!("lock() again (reentrant) -> {again}; lock_count() -> {}", lock.lock_count().await?));
    ensure!(again == fence, "a reentrant lock changed the fence");
    lock.unlock().await?;
    lock.unlock().await?;
    step(format!("unlock() twice; is_locked() -> {}", lock.is_locked().await?));

    section("Semaphore \"pool\"");
    let pool = client.semaphore("pool")?;
    pool.init(10).await?;
    pool.acquire(1).await?;
    pool.acquire(3).await?;
    step(format!("init(10); acquire(1); acquire(3); available_permits() -> {}", pool.available_permits().await?));
    let got = pool.try_acquire(2, Duration::from_millis(100)).await?;
    step(format!("try_acquire(2, 100ms) -> {got}"));
    pool.release(6).await?;
    step(format!("release(6); available_permits() -> {}", pool.available_permits().await?));
    let drained = pool.drain_permits().await?;
    step(format!("drain_permits() -> {drained}"));
    pool.increase_permits(5).await?;
    pool.reduce_permits(2).await?;
    step(format!("increase_permits(5); reduce_permits(2); available_permits() -> {}", pool.available_permits().await?));
    Ok(())
}

async fn sequence_generator(cluster: &LocalCluster) -> anyhow::Result<()> {
    section("Use case 1: a sequence generator (8 tasks on 2 clients draw 1,000 ids)");
    let clients = [connect(cluster).await?, connect(cluster).await?];
    let mut tasks = Vec::new();
    for task in 0..8 {
        let ids = clients[task % 2].atomic_long("ids")?;
        tasks.push(tokio::spawn(async move {
            let mut drawn = Vec::with_capacity(125);
            for _ in 0..125 {
                drawn.push(ids.increment_and_get().await?);
            }
            Ok::<_, coterie_client::ClientError>(drawn)
        }));
    }
    let mut all = BTreeSet::new();
    for task in tasks {
        for id in task.await.context("an id task panicked")?? {
            ensure!(all.insert(id), "id {id} was drawn twice");
        }
    }
    let expected: BTreeSet<i64> = (1..=1_000).collect();
    ensure!(all == expected, "the ids drawn are not exactly 1..=1000");
    step("1,000 ids drawn: no duplicate, no gap (1..=1000)");
    for client in clients {
        client.close().await?;
    }
    Ok(())
}

async fn rate_limiter(client: &Client<GrpcTransport>) -> anyhow::Result<()> {
    section("Use case 2: a rate limiter (limit 5, 20 requests)");
    let limiter = client.semaphore("rate:user-42")?;
    limiter.init(5).await?;
    let mut admitted = 0;
    for _ in 0..20 {
        if limiter.try_acquire(1, Duration::ZERO).await? {
            admitted += 1;
        }
    }
    step(format!("admitted {admitted} of 20"));
    ensure!(admitted == 5, "the limiter admitted {admitted}, expected exactly 5");
    Ok(())
}

async fn leader_election(cluster: &LocalCluster) -> anyhow::Result<()> {
    section("Use case 3: leader election with fencing tokens (3 candidates in turn)");
    let mut last = None;
    for candidate in 1..=3 {
        let client = connect(cluster).await?;
        let lock = client.fenced_lock("leader")?;
        let Some(fence) = lock.try_lock(Duration::from_secs(5)).await? else {
            bail!("candidate {candidate} did not become leader within 5 s");
        };
        step(format!("candidate {candidate} leads with {fence}"));
        if let Some(previous) = last {
            ensure!(fence > previous, "fence {fence} is not larger than the previous leader's {previous}");
        }
        last = Some(fence);
        // Stepping down by closing the client releases the lock with the session.
        client.close().await?;
    }
    step("fences strictly increase across successive leaders");
    Ok(())
}

async fn latch_barrier(cluster: &LocalCluster, client: &Client<GrpcTransport>) -> anyhow::Result<()> {
    section("Use case 4: a latch as a barrier (4 waiters, 3 participants)");
    let latch = client.count_down_latch("startup")?;
    ensure!(latch.try_set_count(3).await?, "the latch was already counting");
    let waiter_client = connect(cluster).await?;
    let mut waiters = Vec::new();
    for _ in 0..4 {
        let latch = waiter_client.count_down_latch("startup")?;
        waiters.push(tokio::spawn(async move { latch.await_latch(Some(Duration::from_secs(10))).await }));
    }
    for participant in 1..=3 {
        let count = latch.get_count().await?;
        if participant == 3 {
            // Nobody may pass before the last participant arrives.
            ensure!(waiters.iter().all(|w| !w.is_finished()), "a waiter passed the latch before the last count-down");
        }
        latch.count_down().await?;
        step(format!("participant {participant} ready (count was {count})"));
    }
    for waiter in waiters {
        ensure!(waiter.await.context("a waiter panicked")??, "a waiter timed out instead of being released");
    }
    step("all 4 waiters released after the last count-down");
    waiter_client.close().await?;
    Ok(())
}
