//! Seed 003's recipes on Coterie buckets, run one after another, printing what happens:
//! a create-only lock and its release, a TTL lock stolen once expired, a renewable lock, a
//! compare-and-swap counter (8 tasks x 50 increments = exactly 400), a JSON document
//! update, an HTTP-style cache, an atomic backup, a safe rename and a leader election.
//!
//! ```sh
//! cargo run -p coterie-server --example object_recipes                      # in-process cluster
//! cargo run -p coterie-server --example object_recipes -- --endpoints 127.0.0.1:7101,127.0.0.1:7102
//! ```
//!
//! Without `--endpoints` it starts three members in memory on loopback (ephemeral ports).
//! Each recipe is one atomic bucket call where S3 needs a check-then-act fallback; the
//! tests of the same recipes are `crates/server/tests/bucket_recipes.rs`.

use std::collections::BTreeMap;
use std::error::Error;
use std::time::{Duration, Instant};

use coterie_client::bucket::{CopyOptions, GetOptions, PutOptions, ReadConditions};
use coterie_client::{Bucket, Client, ClientConfig, ClientError, GrpcTransport};
use coterie_core::CoreError;
use coterie_core::kinds::bucket::{DeleteCondition, ETag};
use coterie_server::{Node, NodeConfig};
use tokio::net::TcpListener;

type Result<T = ()> = std::result::Result<T, Box<dyn Error + Send + Sync>>;

/// Whether `result` is the refusal `matches` picks out.
fn refused<T>(result: &std::result::Result<T, ClientError>, matches: fn(&CoreError) -> bool) -> bool {
    matches!(result, Err(ClientError::Refused(err)) if matches(err))
}

fn already_exists(err: &CoreError) -> bool {
    matches!(err, CoreError::AlreadyExists { .. })
}

fn precondition_failed(err: &CoreError) -> bool {
    matches!(err, CoreError::PreconditionFailed { .. })
}

fn text(data: &[u8]) -> String {
    String::from_utf8_lossy(data).into_owned()
}

/// Three members in memory on 127.0.0.1, ephemeral ports.
async fn start_cluster() -> Result<Vec<Node>> {
    let mut listeners = BTreeMap::new();
    for id in 1..=3u64 {
        listeners.insert(id, TcpListener::bind("127.0.0.1:0").await?);
    }
    let mut members = BTreeMap::new();
    for (id, listener) in &listeners {
        members.insert(*id, listener.local_addr()?.to_string());
    }
    let mut nodes = Vec::new();
    for (id, listener) in listeners {
        let mut config = NodeConfig::new(id, listener.local_addr()?, members.clone());
        config.cluster_secret = Some("object-recipes-example-secret".to_owned());
        nodes.push(Node::start_with_listener(config, listener).await?);
    }
    Ok(nodes)
}

/// Create-only lock: the first put wins, a second is refused, the holder releases by ETag.
async fn basic_lock(locks: &Bucket) -> Result {
    let held = locks.put("jobs/nightly", b"node-1", PutOptions::create_only()).await?;
    println!("lock: node-1 acquired jobs/nightly (etag {})", held.etag);
    let second = locks.put("jobs/nightly", b"node-2", PutOptions::create_only()).await;
    println!("lock: node-2 is refused while it is held: {}", refused(&second, already_exists));
    let stranger = locks.delete("jobs/nightly", DeleteCondition::IfMatch(ETag::new("not-the-holder")), None).await;
    println!("lock: a release with another ETag is refused: {}", refused(&stranger, precondition_failed));
    locks.delete("jobs/nightly", DeleteCondition::IfMatch(ETag::new(&held.etag)), None).await?;
    println!("lock: node-1 released it; node-2 takes it now");
    locks.put("jobs/nightly", b"node-2", PutOptions::create_only()).await?;
    Ok(())
}

/// TTL lock: expires by the cluster's clock; an expired lock is taken by a create-only put.
async fn ttl_lock_and_steal(locks: &Bucket) -> Result {
    let ttl = Duration::from_millis(500);
    locks.put("lease", b"node-1", PutOptions::create_only().with_ttl(ttl)).await?;
    println!("ttl lock: node-1 holds lease for {ttl:?}");
    let started = Instant::now();
    loop {
        match locks.put("lease", b"node-2", PutOptions::create_only().with_ttl(Duration::from_secs(30))).await {
            Ok(_) => break,
            Err(ClientError::Refused(CoreError::AlreadyExists { .. }))
                if started.elapsed() < Duration::from_secs(10) =>
            {
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
            Err(err) => return Err(err.into()),
        }
    }
    let now = locks.get("lease", GetOptions::default()).await?;
    println!("ttl lock: once expired, node-2 stole it after {:?}: holder {}", started.elapsed(), text(&now.data));
    Ok(())
}

/// Renewable lock: the holder renews its TTL by ETag; a stale ETag cannot renew.
async fn renewable_lock(locks: &Bucket) -> Result {
    let ttl = Duration::from_secs(30);
    let lease = locks.put("renewable", b"node-1", PutOptions::create_only().with_ttl(ttl)).await?;
    let renewed = locks.set_ttl("renewable", Some(ttl), Some(&lease.etag)).await?;
    println!("renewable lock: renewed, etag {} -> {}", lease.etag, renewed.etag);
    let stale = locks.set_ttl("renewable", Some(ttl), Some(&lease.etag)).await;
    println!("renewable lock: a renewal with the old ETag is refused: {}", refused(&stale, precondition_failed));
    Ok(())
}

/// CAS counter: 8 tasks x 50 increments by ETag, retried on a precondition failure.
async fn cas_counter(counters: &Bucket) -> Result {
    counters.put("visits", b"0", PutOptions::default()).await?;
    let mut tasks = Vec::new();
    for _ in 0..8 {
        let counters = counters.clone();
        tasks.push(tokio::spawn(async move {
            let mut retries = 0u32;
            for _ in 0..50 {
                loop {
                    let current = counters.get("visits", GetOptions::default()).await?;
                    let n: u64 = text(&current.data).parse()?;
                    let next = (n + 1).to_string();
                    match counters.put("visits", next.as_bytes(), PutOptions::if_match(&current.info.etag)).await {
                        Ok(_) => break,
                        Err(ClientError::Refused(CoreError::PreconditionFailed { .. })) => retries += 1,
                        Err(err) => return Err(err.into()),
                    }
                }
            }
            Result::<u32>::Ok(retries)
        }));
    }
    let mut retries = 0;
    for task in tasks {
        retries += task.await??;
    }
    let total = counters.get("visits", GetOptions::default()).await?;
    println!("cas counter: 8 tasks x 50 increments = {} ({retries} ETag retries)", text(&total.data));
    Ok(())
}

/// JSON document update: read, change, write back if the ETag is still the one read.
async fn json_update(docs: &Bucket) -> Result {
    let json = PutOptions::default().with_content_type("application/json");
    docs.put("stats.json", br#"{"requests":41}"#, json).await?;
    for _ in 0..10 {
        let doc = docs.get("stats.json", GetOptions::default()).await?;
        let body = text(&doc.data);
        let requests: u64 = body.trim_start_matches(r#"{"requests":"#).trim_end_matches('}').parse()?;
        let updated = format!(r#"{{"requests":{}}}"#, requests + 1);
        let write = PutOptions::if_match(&doc.info.etag).with_content_type("application/json");
        match docs.put("stats.json", updated.as_bytes(), write).await {
            Ok(_) => {
                println!("json update: {body} -> {updated}");
                return Ok(());
            }
            Err(ClientError::Refused(CoreError::PreconditionFailed { .. })) => continue,
            Err(err) => return Err(err.into()),
        }
    }
    Err("json update: too many retries".into())
}

/// HTTP-style cache: revalidate with If-None-Match; NotModified while unchanged.
async fn http_cache(docs: &Bucket) -> Result {
    let cached = docs.get("stats.json", GetOptions::default()).await?;
    let again = docs.get("stats.json", GetOptions::if_none_match(&cached.info.etag)).await;
    let not_modified = matches!(again, Err(ClientError::Refused(CoreError::NotModified { .. })));
    println!("http cache: revalidating etag {}: not modified = {not_modified}", cached.info.etag);
    docs.put("stats.json", br#"{"requests":0}"#, PutOptions::default()).await?;
    let fresh = docs.get("stats.json", GetOptions::if_none_match(&cached.info.etag)).await?;
    println!(
        "http cache: after a write the same revalidation answers {} (etag {})",
        text(&fresh.data),
        fresh.info.etag
    );
    Ok(())
}

/// Atomic backup: copy if not exists; a second backup goes to a versioned key instead.
async fn atomic_backup(docs: &Bucket) -> Result {
    for _ in 0..2 {
        match docs.copy("stats.json", "stats.json.backup", CopyOptions::if_not_exists()).await {
            Ok(copy) => println!("backup: stats.json.backup created (etag {})", copy.etag),
            Err(ClientError::Refused(CoreError::AlreadyExists { .. })) => {
                let versioned = format!("stats.json.backup.{}", std::process::id());
                docs.copy("stats.json", &versioned, CopyOptions::default()).await?;
                println!("backup: stats.json.backup exists, so the backup went to {versioned}");
            }
            Err(err) => return Err(err.into()),
        }
    }
    Ok(())
}

/// Safe rename: refused onto an existing key (changing neither), atomic otherwise.
async fn safe_rename(docs: &Bucket) -> Result {
    docs.put("draft.txt", b"draft", PutOptions::default()).await?;
    docs.put("final.txt", b"older final", PutOptions::default()).await?;
    let onto = docs.rename("draft.txt", "final.txt", CopyOptions::if_not_exists()).await;
    let kept = docs.get("final.txt", GetOptions::default()).await?;
    println!(
        "safe rename: onto final.txt refused = {}, final.txt still holds {:?}",
        refused(&onto, already_exists),
        text(&kept.data)
    );
    docs.rename("draft.txt", "published.txt", CopyOptions::if_not_exists()).await?;
    let gone = docs.head("draft.txt", ReadConditions::default()).await.is_err();
    println!("safe rename: draft.txt -> published.txt in one step; draft.txt gone = {gone}");
    Ok(())
}

/// Leader election: candidates race a create-only put with a TTL; the winner heartbeats by
/// renewing it by ETag; candidates are refused until it stops and the key expires.
async fn leader_election(elections: &Bucket) -> Result {
    let term = PutOptions::create_only().with_ttl(Duration::from_secs(10));
    let candidates = ["node-a", "node-b", "node-c"];
    let mut results = Vec::new();
    for candidate in candidates {
        let elections = elections.clone();
        let term = term.clone();
        results.push(tokio::spawn(async move { elections.put("leader", candidate.as_bytes(), term).await }));
    }
    let mut leader = None;
    for (candidate, result) in candidates.into_iter().zip(results) {
        match result.await? {
            Ok(won) => leader = Some((candidate, won)),
            Err(ClientError::Refused(CoreError::AlreadyExists { .. })) => println!("election: {candidate} lost"),
            Err(err) => return Err(err.into()),
        }
    }
    let (name, won) = leader.ok_or("election: nobody won")?;
    let mut etag = won.etag;
    for beat in 1..=3 {
        etag = elections.set_ttl("leader", Some(Duration::from_secs(10)), Some(&etag)).await?.etag;
        println!("election: {name} leads; heartbeat {beat} renewed its term (etag {etag})");
    }
    Ok(())
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() -> Result {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let (endpoints, nodes) = match args.iter().position(|arg| arg == "--endpoints") {
        Some(at) => {
            let list = args.get(at + 1).ok_or("--endpoints needs host:port[,host:port...]")?;
            (list.split(',').map(str::to_owned).collect::<Vec<_>>(), Vec::new())
        }
        None => {
            let nodes = start_cluster().await?;
            let endpoints = nodes.iter().map(|node| node.local_addr().to_string()).collect();
            println!("started 3 members in memory: {endpoints:?}");
            (endpoints, nodes)
        }
    };
    let config = ClientConfig { call_timeout: Duration::from_secs(20), ..ClientConfig::default() };
    let client: Client<GrpcTransport> = Client::connect_with(&endpoints, config).await?;
    let run = std::process::id();
    let bucket = |name: &str| client.bucket(&format!("{name}-{run}"));
    let (locks, docs) = (bucket("locks")?, bucket("docs")?);
    basic_lock(&locks).await?;
    ttl_lock_and_steal(&locks).await?;
    renewable_lock(&locks).await?;
    cas_counter(&bucket("counters")?).await?;
    json_update(&docs).await?;
    http_cache(&docs).await?;
    atomic_backup(&docs).await?;
    safe_rename(&docs).await?;
    leader_election(&bucket("elections")?).await?;
    for node in nodes {
        node.shutdown().await;
    }
    Ok(())
}
