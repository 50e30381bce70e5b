//! The sharded part of `coterie demo`: seed 000's walkthrough (counter, map, set, queue,
//! lock, semaphore, barrier) from the Rust client, each result checked, as `demo.rs` does
//! for the CP structures. Every structure is reached through whichever member the client
//! picks; that member forwards to the partition's owner.

use std::time::Duration;

use anyhow::{Context, bail, ensure};
use coterie_client::{Client, GrpcTransport, Serde, Sharded};
use serde::{Deserialize, Serialize};

use crate::demo::{section, step};

/// Seed 000's `User`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
struct User {
    name: String,
    email: String,
}

/// Runs seed 000's walkthrough through `client`.
pub(crate) async fn tour(client: &Client<GrpcTransport>) -> anyhow::Result<()> {
    collections(client).await?;
    coordination(client).await
}

async fn collections(client: &Client<GrpcTransport>) -> anyhow::Result<()> {
    section("Sharded Counter \"page-views\" (50 shards)");
    let views = client.counter_with("page-views", Sharded::default().shards(50))?;
    views.increment(100).await?;
    views.decrement(10).await?;
    let value = views.get().await?;
    step(format!("increment(100); decrement(10); get() -> {value}"));
    ensure!(value == 90, "the counter answered {value}, expected 90");

    section("Sharded Map \"users\" (one entry per key, 50 shards)");
    let users = client.map_with::<String, Serde<User>>("users", Sharded::default().shards(50))?;
    let alice = User { name: "Alice".into(), email: "alice@example.com".into() };
    users.put(&"alice".to_owned(), &Serde(alice.clone())).await?;
    users.put(&"bob".to_owned(), &Serde(User { name: "Bob".into(), email: "bob@example.com".into() })).await?;
    let got = users.get(&"alice".to_owned()).await?.map(|user| user.0);
    step(format!("put(\"alice\", {alice:?}); get(\"alice\") -> {got:?}"));
    ensure!(got.as_ref() == Some(&alice), "get(\"alice\") answered {got:?}");
    let contains = users.contains(&"alice".to_owned()).await?;
    let mut keys = users.all_keys(100).await?.items;
    keys.sort();
    step(format!("contains(\"alice\") -> {contains}; size() -> {}; keys -> {keys:?}", users.size().await?));
    ensure!(contains && keys == ["alice", "bob"], "the map holds {keys:?}, expected alice and bob");
    let deleted = users.delete(&"alice".to_owned()).await?;
    step(format!("delete(\"alice\") -> {deleted} (existed)"));
    ensure!(deleted, "delete(\"alice\") found nothing");
    users.clear().await?;

    section("Sharded Set \"active-tags\"");
    let tags = client.set_with::<String>("active-tags", Sharded::default().shards(50))?;
    let first = tags.add(&"python".to_owned()).await?;
    let second = tags.add(&"python".to_owned()).await?;
    let size = tags.size().await?;
    step(format!(
        "add(\"python\") -> {first} (added); add(\"python\") -> {second} (already present); size() -> {size}"
    ));
    ensure!(first && !second && size == 1, "the set answered {first}, {second}, size {size}");

    section("Sharded Queue \"work-queue\" (FIFO)");
    let jobs = client.queue_with::<String>("work-queue", Sharded::default().shards(50))?;
    jobs.enqueue(&"task-1".to_owned()).await?;
    let peeked = jobs.peek().await?;
    let taken = jobs.dequeue().await?;
    let empty = jobs.dequeue().await?;
    step(format!("enqueue(\"task-1\"); peek() -> {peeked:?}; dequeue() -> {taken:?}; dequeue() -> {empty:?} (empty)"));
    ensure!(
        peeked.as_deref() == Some("task-1") && taken.as_deref() == Some("task-1") && empty.is_none(),
        "the queue answered {peeked:?}, {taken:?}, {empty:?}"
    );
    Ok(())
}

async fn coordination(client: &Client<GrpcTransport>) -> anyhow::Result<()> {
    section("Sharded Lock \"deploy-lock\" (10 shards; each handle is an owner)");
    let options = Sharded::default().shards(10);
    let lock = client.lock_with("deploy-lock", options)?;
    let fence = lock.acquire(Some(Duration::from_secs(30))).await?;
    let other = client.lock_with("deploy-lock", options)?;
    let refused = other.try_acquire(None, Duration::ZERO).await?;
    step(format!("acquire(lease 30s) -> {fence}; another owner's try_acquire() -> {refused:?} (held)"));
    ensure!(refused.is_none(), "a second owner acquired a held lock");
    let foreign = other.release().await?;
    let released = lock.release().await?;
    step(format!("release() by the other owner -> {foreign}; by the holder -> {released}"));
    ensure!(!foreign && released, "release answered {foreign} for a non-holder and {released} for the holder");
    let Some(next) = other.try_acquire(None, Duration::ZERO).await? else {
        bail!("try_acquire of a free lock did not acquire it");
    };
    step(format!("try_acquire() of the free lock -> {next} (a larger fence)"));
    ensure!(next > fence, "fence {next} is not larger than {fence}");
    ensure!(other.release().await?, "the new holder could not release");

    section("Sharded Semaphore \"db-pool\" (5 permits)");
    let pool = client.sharded_semaphore_with("db-pool", 5, options)?;
    pool.acquire(Some(Duration::from_secs(30))).await?;
    let available = pool.available().await?;
    step(format!("acquire(); available() -> {available}"));
    ensure!(available == 4, "{available} permits free after one acquire, expected 4");
    let mut admitted = 0;
    for _ in 0..6 {
        if pool.try_acquire(Some(Duration::from_secs(30)), Duration::ZERO).await? {
            admitted += 1;
        }
    }
    step(format!("6 more try_acquire() -> {admitted} admitted (bounded at 5 in all)"));
    ensure!(admitted == 4, "{admitted} more were admitted, expected 4");
    for _ in 0..5 {
        ensure!(pool.release().await?, "a held permit could not be released");
    }
    let extra = pool.release().await?;
    step(format!(
        "release() x5; one more release() -> {extra} (holds none); available() -> {}",
        pool.available().await?
    ));
    ensure!(!extra, "a release without a permit answered true");

    section("Sharded Barrier \"phase-1\" (3 parties)");
    let mut parties = Vec::new();
    for _ in 0..3 {
        let barrier = client.barrier("phase-1")?;
        parties.push(tokio::spawn(async move { barrier.arrive(3, Some(Duration::from_secs(20))).await }));
    }
    let mut rounds = Vec::new();
    for party in parties {
        rounds.push(party.await.context("a barrier party panicked")??);
    }
    step(format!("3 tasks arrive(expected=3) -> released together, rounds {rounds:?}"));
    ensure!(rounds == [0, 0, 0], "the parties were released in rounds {rounds:?}, expected all in round 0");
    let alone = client.barrier("phase-1")?.arrive(2, Some(Duration::from_millis(200))).await;
    step(format!(
        "a lone arrive(expected=2, 200ms) -> {}",
        alone.as_ref().map_or_else(|e| e.to_string(), |r| r.to_string())
    ));
    ensure!(alone.is_err(), "a lone arrival of two was released");
    Ok(())
}
