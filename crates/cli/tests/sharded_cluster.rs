//! Clusters of real `coterie serve` processes that find each other through `--seeds`,
//! started in a random order (printed; `COTERIE_TEST_ORDER_SEED` repeats it): every
//! sharded kind answered through any member, a member killed with `kill -9` (how long until
//! the survivors' committed table says Down, printed; its partitions refused as lost, naming
//! it, then back with their values once it restarts on its data directory), a plain SIGTERM
//! and restart on the data directory, and a graceful leave (`--leave-on-shutdown`) that
//! hands every partition over. Every wait is a bounded poll; every process is stopped.

#![allow(clippy::unwrap_used, clippy::expect_used, reason = "test helpers; clippy exempts only #[test] functions")]

use crate::support;

use std::process::{Command, Output};
use std::time::{Duration, Instant};

use coterie_api::pb;
use coterie_api::pb::admin_service_client::AdminServiceClient;
use coterie_api::pb::barrier_service_client::BarrierServiceClient;
use coterie_api::pb::counter_service_client::CounterServiceClient;
use coterie_api::pb::lock_service_client::LockServiceClient;
use coterie_api::pb::sharded_semaphore_service_client::ShardedSemaphoreServiceClient;
use support::CLUSTER_SECRET;
use support::seeded::Seeded;
use tokio::runtime::Runtime;

/// The longest any one wait may take.
const BOUND: Duration = Duration::from_secs(60);

/// How many single-shard counters the kill and restart checks write: enough that every
/// member owns some of them (271 partitions over the ring).
const COUNTERS: i64 = 24;

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

fn runtime() -> Runtime {
    tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap()
}

/// Runs `coterie --endpoints ENDPOINTS ARGS...`.
fn coterie(endpoints: &str, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_coterie"))
        .args(["--endpoints", endpoints])
        .args(args)
        .output()
        .expect("the coterie binary runs")
}

/// Runs a command that must succeed, answering its stdout.
fn ok(endpoints: &str, args: &[&str]) -> String {
    let output = coterie(endpoints, args);
    assert!(output.status.success(), "{args:?} through {endpoints} failed: {}", text(&output.stderr));
    text(&output.stdout)
}

/// Polls `check` until it answers something, within [`BOUND`]; panics with `what` and the
/// cluster's logs otherwise.
fn until<T>(cluster: &Seeded, what: &str, mut check: impl FnMut() -> Option<T>) -> T {
    let started = Instant::now();
    loop {
        if let Some(found) = check() {
            return found;
        }
        assert!(started.elapsed() < BOUND, "{what}: not within {BOUND:?}\n{}", cluster.logs());
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// A sharded call header for `name` with `shards` (no client id: each call applied as sent).
fn call(name: &str, shards: u32) -> Option<pb::Call> {
    Some(pb::Call {
        name: name.to_owned(),
        target: Some(pb::call::Target::Sharded(pb::ShardedTarget { shards })),
        ..pb::Call::default()
    })
}

/// The same with an invocation id (client `client`'s id, sequence 1), for the calls that
/// need one to be applied once (a barrier arrival).
fn invocation(name: &str, client: u8) -> Option<pb::Call> {
    call(name, 0).map(|call| pb::Call { client_id: vec![client; 16], seq: 1, ..call })
}

fn bounded<T>(message: T) -> tonic::Request<T> {
    let mut request = tonic::Request::new(message);
    request.set_timeout(Duration::from_secs(10));
    request
}

fn url(endpoint: &str) -> String {
    format!("http://{endpoint}")
}

/// The committed member table as member `endpoint` has applied it: (id, state) pairs.
async fn member_states(endpoint: &str) -> Option<Vec<(u64, pb::MemberState)>> {
    let mut client = AdminServiceClient::connect(url(endpoint)).await.ok()?;
    let mut request = bounded(pb::ListMembersRequest {});
    request.metadata_mut().insert("x-coterie-cluster-secret", CLUSTER_SECRET.parse().ok()?);
    let members = client.list_members(request).await.ok()?.into_inner().members;
    Some(members.iter().map(|member| (member.id, member.state())).collect())
}

/// The metadata leader member `endpoint` knows of.
async fn metadata_leader(endpoint: &str) -> Option<u64> {
    let mut client = AdminServiceClient::connect(url(endpoint)).await.ok()?;
    let mut request = bounded(pb::ListMembersRequest {});
    request.metadata_mut().insert("x-coterie-cluster-secret", CLUSTER_SECRET.parse().ok()?);
    client.list_members(request).await.ok()?.into_inner().leader_id
}

/// The name of check counter `i`.
fn counter_name(i: i64) -> String {
    format!("check-{i}")
}

/// Writes check counter `i` = `i + 1` through `endpoint` (a fresh cluster: each once).
async fn write_counters(endpoint: &str) {
    let mut client = CounterServiceClient::connect(url(endpoint)).await.unwrap();
    for i in 0..COUNTERS {
        let request = pb::CounterIncrementRequest { call: call(&counter_name(i), 1), delta: i + 1 };
        let value = client.increment(bounded(request)).await.unwrap().into_inner().value;
        assert_eq!(value, i + 1, "check counter {i} was written before");
    }
}

/// Reads every check counter through `endpoint`: its value, or the error's message.
async fn read_counters(endpoint: &str) -> Option<Vec<Result<i64, String>>> {
    let mut client = CounterServiceClient::connect(url(endpoint)).await.ok()?;
    let mut values = Vec::new();
    for i in 0..COUNTERS {
        let request = pb::CounterGetRequest { call: call(&counter_name(i), 1) };
        values
            .push(client.get(bounded(request)).await.map(|r| r.into_inner().value).map_err(|s| s.message().to_owned()));
    }
    Some(values)
}

/// Whether every check counter reads its value through `endpoint`.
fn counters_intact(rt: &Runtime, endpoint: &str) -> bool {
    rt.block_on(read_counters(endpoint))
        .is_some_and(|values| values.iter().zip(1..).all(|(value, expected)| value.as_ref().ok() == Some(&expected)))
}

/// Waits until `n` members are up in the committed table (`coterie wait-for`).
fn wait_for_members(cluster: &Seeded, n: usize) {
    let waited = coterie(&cluster.running_endpoints(), &["wait-for", &n.to_string(), "--timeout", "90s"]);
    assert!(waited.status.success(), "{} members never up: {}\n{}", n, text(&waited.stderr), cluster.logs());
}

/// Counter, map, set and queue through the CLI, each operation through another member.
fn cli_kinds_through_every_member(cluster: &Seeded, ids: &[u64]) {
    let via = |i: usize| cluster.endpoint(ids[i % ids.len()]);
    // The first sharded write may wait for the partition table: bounded retries.
    let first = until(cluster, "a first sharded write", || {
        let output = coterie(&via(0), &["counter", "--shards", "50", "page-views", "increment", "100"]);
        output.status.success().then(|| text(&output.stdout))
    });
    assert_eq!(first, "100\n");
    assert_eq!(ok(&via(1), &["counter", "--shards", "50", "page-views", "decrement", "10"]), "90\n");
    assert_eq!(ok(&via(2), &["counter", "--shards", "50", "page-views", "get"]), "90\n");
    assert_eq!(ok(&via(0), &["map", "users", "put", "alice", "alice@example.com"]), "(null)\n");
    assert_eq!(ok(&via(1), &["map", "users", "get", "alice"]), "alice@example.com\n");
    assert_eq!(ok(&via(2), &["set", "tags", "add", "rust"]), "true\n");
    assert_eq!(ok(&via(0), &["set", "tags", "contains", "rust"]), "true\n");
    assert_eq!(ok(&via(1), &["queue", "jobs", "enqueue", "task-1"]), "ok\n");
    assert_eq!(ok(&via(2), &["queue", "jobs", "size"]), "1\n");
    assert_eq!(ok(&via(0), &["queue", "jobs", "dequeue"]), "task-1\n");
}

/// Lock, semaphore and barrier over gRPC, each operation through another member.
async fn grpc_kinds_through_every_member(cluster: &Seeded, ids: &[u64]) {
    let via = |i: usize| url(&cluster.endpoint(ids[i % ids.len()]));
    let owner = |handle: u8| vec![handle; 16];
    let (mut lock_a, mut lock_b) =
        (LockServiceClient::connect(via(0)).await.unwrap(), LockServiceClient::connect(via(1)).await.unwrap());
    let acquire = pb::LockAcquireRequest { call: call("deploy", 0), owner: owner(1), lease_ms: None };
    let fence = lock_a.acquire(bounded(acquire)).await.unwrap().into_inner().fence;
    assert!(fence > 0, "a fence orders holders");
    let locked = lock_b.is_locked(bounded(pb::LockIsLockedRequest { call: call("deploy", 0) })).await.unwrap();
    assert!(locked.into_inner().locked, "the lock taken through one member is held through another");
    let release = pb::LockReleaseRequest { call: call("deploy", 0), owner: owner(1) };
    assert!(lock_b.release(bounded(release)).await.unwrap().into_inner().released);

    let mut semaphore_a = ShardedSemaphoreServiceClient::connect(via(1)).await.unwrap();
    let mut semaphore_b = ShardedSemaphoreServiceClient::connect(via(2)).await.unwrap();
    let create = pb::ShardedSemaphoreCreateRequest { call: call("pool", 0), permits: 2 };
    assert!(semaphore_a.create(bounded(create)).await.unwrap().into_inner().created);
    let acquire = pb::ShardedSemaphoreAcquireRequest { call: call("pool", 0), owner: owner(2), lease_ms: None };
    semaphore_b.acquire(bounded(acquire)).await.unwrap();
    let available = pb::ShardedSemaphoreAvailableRequest { call: call("pool", 0) };
    assert_eq!(semaphore_a.available(bounded(available)).await.unwrap().into_inner().permits, 1);

    // Two parties arriving through two members are released together.
    let mut barrier_a = BarrierServiceClient::connect(via(2)).await.unwrap();
    let mut barrier_b = BarrierServiceClient::connect(via(0)).await.unwrap();
    let arrive =
        |client| pb::BarrierArriveRequest { call: invocation("phase-1", client), expected: 2, timeout_ms: None };
    let first = tokio::spawn(async move { barrier_a.arrive(bounded(arrive(1))).await.map(|r| r.into_inner()) });
    let second = barrier_b.arrive(bounded(arrive(2))).await.unwrap().into_inner();
    let first = first.await.unwrap().unwrap();
    assert!(first.released && second.released, "{first:?} {second:?}");
    assert_eq!(first.round, second.round);
}

/// Whether a `coterie status` partitions line shows members `1..=n` each serving some
/// partitions and none moving.
fn all_serve(line: &str, n: u64) -> bool {
    let Some((_, served)) = line.split_once("served by ") else { return false };
    let served = served.split(';').next().unwrap_or_default();
    let counts: Vec<(u64, u64)> = served
        .split(", ")
        .filter_map(|entry| {
            let mut words = entry.split_whitespace().skip(1);
            Some((words.next()?.parse().ok()?, words.next()?.parse().ok()?))
        })
        .collect();
    line.contains("; 0 moving;") && (1..=n).all(|id| counts.iter().any(|(member, count)| *member == id && *count > 0))
}

#[test]
fn three_members_through_seeds_serve_every_kind_and_a_killed_member_is_down_lost_then_back() {
    let rt = runtime();
    let mut cluster = Seeded::start(3, 3, &[]);
    wait_for_members(&cluster, 3);
    cli_kinds_through_every_member(&cluster, &[1, 2, 3]);
    rt.block_on(grpc_kinds_through_every_member(&cluster, &[2, 3, 1]));
    rt.block_on(write_counters(&cluster.endpoint(1)));
    // A refused call (a counter call on the map "users") is logged by the member that answered it.
    let refused = coterie(&cluster.endpoint(1), &["counter", "users", "get"]);
    assert!(!refused.status.success(), "{}", text(&refused.stdout));
    until(&cluster, "a member logs the refused call", || cluster.logs().contains("get refused (").then_some(()));

    // Kill a member that does not lead the metadata group (a leader's kill adds an election).
    let leader = until(&cluster, "a metadata leader", || rt.block_on(metadata_leader(&cluster.endpoint(1))));
    let victim = (1..=3).rev().find(|id| *id != leader).unwrap();
    let survivors: Vec<u64> = (1..=3).filter(|id| *id != victim).collect();
    let killed = cluster.kill9(victim);
    let marked = until(&cluster, "the survivors commit the killed member Down", || {
        let down = survivors.iter().all(|id| {
            rt.block_on(member_states(&cluster.endpoint(*id)))
                .is_some_and(|states| states.contains(&(victim, pb::MemberState::Down)))
        });
        down.then(|| killed.elapsed())
    });
    println!("kill -9 of member {victim}: both survivors list it down after {marked:?}");
    assert!(marked < Duration::from_secs(10), "detection took {marked:?}");
    // The members' logs (serve's default --log-level info) tell what happened: the leaders
    // elected, and the Down committed by the metadata leader.
    let logs = cluster.logs();
    assert!(logs.contains("group metadata: this member") && logs.contains("became the leader at term"), "{logs}");
    until(&cluster, "the metadata leader logs the Down it committed", || {
        cluster.log(leader).contains(&format!("member {victim} committed Down (gossip reports it gone)")).then_some(())
    });

    // Its partitions are refused as lost, naming it, once the survivors applied the partition
    // table that follows the Down (until then a call to them may find member 3 unreachable);
    // never answered from an empty structure; the others' keep their values.
    let is_lost = |message: &str| message.contains("is lost") && message.contains(&format!("member {victim}"));
    let mut transient = std::collections::BTreeSet::new();
    let lost = until(&cluster, "every check counter answers its value or lost", || {
        let values = rt.block_on(read_counters(&cluster.endpoint(survivors[0])))?;
        let mut lost = 0;
        for (i, value) in values.iter().enumerate() {
            match value {
                Ok(value) => assert_eq!(*value, i as i64 + 1, "check counter {i} answered another value"),
                Err(message) if is_lost(message) => lost += 1,
                Err(message) => {
                    transient.insert(message.clone());
                }
            }
        }
        (lost + values.iter().filter(|value| value.is_ok()).count() == values.len()).then_some(lost)
    });
    if !transient.is_empty() {
        println!("answered before the partition table followed the Down: {transient:?}");
    }
    assert!(lost > 0, "member {victim} owned none of the {COUNTERS} check counters");
    println!("{lost} of {COUNTERS} check counters lost while member {victim} is down");

    // Restarted on its data directory, it is committed up and serves them with their values.
    cluster.spawn(victim);
    until(&cluster, "every check counter is back with its value", || {
        survivors.iter().all(|id| counters_intact(&rt, &cluster.endpoint(*id))).then_some(())
    });
    assert_eq!(ok(&cluster.endpoint(victim), &["map", "users", "get", "alice"]), "alice@example.com\n");
    until(&cluster, "the metadata leader logs the member back up", || {
        let log = cluster.log(leader);
        log.contains(&format!("member {victim} committed Up again")).then_some(())
    });
}

#[test]
fn five_members_through_seeds_restart_on_their_data_and_one_leaves_gracefully_with_every_value() {
    let rt = runtime();
    // Members 1-3 are the CP members; 4 and 5 join through the seeds, maybe before them.
    let mut cluster = Seeded::start(3, 5, &[5]);
    wait_for_members(&cluster, 5);
    cli_kinds_through_every_member(&cluster, &[4, 5, 1, 2, 3]);
    rt.block_on(grpc_kinds_through_every_member(&cluster, &[5, 3, 4]));
    rt.block_on(write_counters(&cluster.endpoint(4)));
    until(&cluster, "every member's table has partitions on all five and none moving", || {
        let report = text(&coterie(&cluster.running_endpoints(), &["status"]).stdout);
        let views: Vec<&str> = report.lines().filter(|line| line.contains("served by")).collect();
        (views.len() == 5 && views.iter().all(|line| all_serve(line, 5))).then_some(())
    });

    // A plain SIGTERM stops member 2 cleanly; restarted on its data directory, it replays its
    // partitions and serves them itself.
    let status = cluster.terminate(2, BOUND).expect("member 2 stops on SIGTERM");
    assert!(status.success(), "member 2 exited with {status:?}\n{}", cluster.log(2));
    cluster.spawn(2);
    until(&cluster, "member 2 serves every check counter after its restart", || {
        counters_intact(&rt, &cluster.endpoint(2)).then_some(())
    });
    assert_eq!(ok(&cluster.endpoint(2), &["counter", "--shards", "50", "page-views", "get"]), "90\n");

    // Member 5 (--leave-on-shutdown) hands its partitions over and leaves on SIGTERM: no
    // value is lost, and the others list it removed.
    let status = cluster.terminate(5, BOUND).expect("member 5 leaves and stops within its shutdown timeout");
    let log = cluster.log(5);
    assert!(status.success(), "member 5 exited with {status:?}\n{log}");
    let left = log.lines().find(|line| line.contains("member 5 left the cluster in"));
    println!("{}", left.unwrap_or_else(|| panic!("member 5 did not say it left:\n{log}")));
    for id in 1..=4 {
        assert!(
            counters_intact(&rt, &cluster.endpoint(id)),
            "a value is missing through member {id}\n{}",
            cluster.logs()
        );
    }
    let states = until(&cluster, "member 1 lists member 5", || rt.block_on(member_states(&cluster.endpoint(1))));
    assert!(states.contains(&(5, pb::MemberState::Removed)), "{states:?}");
    assert_eq!(ok(&cluster.endpoint(3), &["map", "users", "get", "alice"]), "alice@example.com\n");
    // Started again on its old data directory, it refuses and says how to come back.
    let again = cluster.run_to_end(5);
    assert!(!again.status.success());
    assert!(text(&again.stderr).contains("left the cluster when it was stopped"), "{}", text(&again.stderr));
}

#[test]
fn a_member_started_before_the_cp_members_keeps_trying_to_join_through_the_seeds() {
    let rt = runtime();
    let mut cluster = Seeded::unstarted(3, 4, &[]);
    // Member 4 first, alone: no seed answers. It serves its port meanwhile (Raft must reach
    // it once it is added) and keeps asking.
    cluster.spawn(4);
    until(&cluster, "member 4 answers on its port while it waits to join", || {
        rt.block_on(member_states(&cluster.endpoint(4))).map(|_| ())
    });
    assert!(cluster.running(4), "member 4 gave up joining with no seed up\n{}", cluster.log(4));
    for id in support::seeded::random_order(3) {
        cluster.spawn(id);
    }
    wait_for_members(&cluster, 4);
    assert!(cluster.log(4).contains("member 4 serving on"), "{}", cluster.log(4));
}
