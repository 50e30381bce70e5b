//! Issue 8, part 3, against three real `coterie serve` processes: a leader paused with
//! SIGSTOP must cost a client about an election, not its attempt timeout; a blocking call
//! with a timeout answers within it; and a parked `lock()` keeps its place and is granted
//! by the new leader while the old one is still stopped. Every wait is bounded, the paused
//! process is resumed by PID, and every process started is stopped.

#![allow(clippy::unwrap_used, clippy::expect_used, reason = "test code")]

use crate::support;

use std::time::Duration;

use coterie_api::pb::cluster_service_client::ClusterServiceClient;
use coterie_api::pb::{ClusterStatusRequest, GroupStatus, RaftRole};
use coterie_client::{Client, ClientConfig, GrpcTransport};
use support::{Members, signal};
use tokio::time::Instant;

const BOUND: Duration = Duration::from_secs(60);

/// An attempt timeout far above an election: a client that only moves on when an attempt
/// times out needs this long per paused leader, so the assertions below tell the two apart
/// without depending on how fast this machine is.
const ATTEMPT: Duration = Duration::from_secs(10);

fn config() -> ClientConfig {
    ClientConfig { attempt_timeout: ATTEMPT, call_timeout: Duration::from_secs(30), ..ClientConfig::default() }
}

/// The member that says it leads `default`, and its view of the group, asked of every
/// endpoint until one says it leads.
async fn leader(members: &Members) -> (u64, GroupStatus) {
    let started = Instant::now();
    loop {
        for endpoint in &members.endpoints {
            let Ok(channel) = tonic::transport::Endpoint::from_shared(format!("http://{endpoint}"))
                .unwrap()
                .timeout(Duration::from_secs(1))
                .connect()
                .await
            else {
                continue;
            };
            let Ok(status) = ClusterServiceClient::new(channel).status(ClusterStatusRequest {}).await else {
                continue;
            };
            let status = status.into_inner();
            let group = status.groups.into_iter().find(|g| g.name == "default" && g.role == RaftRole::Leader as i32);
            if let Some(group) = group {
                return (status.member_id, group);
            }
        }
        assert!(started.elapsed() < BOUND, "no member said it leads");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// Resumes the paused member when dropped, so a failing assertion never leaves it stopped.
struct Resume(u32);

impl Drop for Resume {
    fn drop(&mut self) {
        signal("CONT", self.0);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_paused_leader_costs_an_election_and_parked_calls_keep_their_place() {
    let members = Members::start(3);
    let client: Client<GrpcTransport> = Client::connect_with(&members.endpoints, config()).await.unwrap();
    let waiter_client: Client<GrpcTransport> = Client::connect_with(&members.endpoints, config()).await.unwrap();
    let counter = client.atomic_long("hits").unwrap();
    let started = Instant::now();
    let mut written = 0;
    while written < 20 {
        if counter.increment_and_get().await.is_ok() {
            written += 1;
        }
        assert!(started.elapsed() < BOUND, "the cluster did not serve writes");
    }

    // A lock held by `holder`, with `waiter` parked behind it, both reached through the
    // leader that is about to stop.
    let holder = client.fenced_lock("job").unwrap();
    let fence = holder.lock().await.unwrap();
    let waiter = waiter_client.fenced_lock("job").unwrap();
    let parked = tokio::spawn({
        let waiter = waiter.clone();
        async move { waiter.lock().await }
    });
    // Let the waiter's call reach the leader and park: its session opens first, and the
    // leader applies a couple more entries (ticks) after that. Bounded polling.
    let deadline = Instant::now() + BOUND;
    let (leader_id, opened) = loop {
        let (id, group) = leader(&members).await;
        if group.sessions >= 2 {
            break (id, group.applied_index);
        }
        assert!(Instant::now() < deadline, "the waiter's session never opened");
        tokio::time::sleep(Duration::from_millis(10)).await;
    };
    while leader(&members).await.1.applied_index < opened + 2 {
        assert!(Instant::now() < deadline, "the leader stopped applying");
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    let pid = members.pid(leader_id);
    signal("STOP", pid);
    let _resume = Resume(pid);
    let paused_at = Instant::now();

    // A non-blocking call: answered by the new leader, long before the attempt timeout.
    let value = counter.increment_and_get().await.unwrap();
    let write_failover = paused_at.elapsed();
    assert_eq!(value, 21);
    assert!(write_failover < ATTEMPT / 2, "a write waited {write_failover:?} on the paused leader");

    // A blocking call with a timeout on a free lock answers within its timeout.
    let free = client.fenced_lock("free").unwrap();
    let asked = Instant::now();
    let got = free.try_lock(Duration::from_secs(5)).await.unwrap();
    let try_lock_took = asked.elapsed();
    assert!(got.is_some(), "the free lock was not acquired");
    assert!(try_lock_took < Duration::from_secs(5), "try_lock(5 s) answered after {try_lock_took:?}");

    // A blocking call with a timeout on a held lock answers "not acquired" about when its
    // timeout ends (the new leader's ticks time it out), not when the old leader resumes.
    let rival = client.fenced_lock("job").unwrap();
    let asked = Instant::now();
    let got = rival.try_lock(Duration::from_secs(2)).await.unwrap();
    let held_try_lock_took = asked.elapsed();
    assert_eq!(got, None, "the lock is held");
    assert!(
        held_try_lock_took >= Duration::from_secs(2) && held_try_lock_took < Duration::from_secs(4),
        "try_lock(2 s) on a held lock answered after {held_try_lock_took:?}"
    );

    // The parked waiter keeps its place: released through the new leader, it gets the lock
    // while the old leader is still stopped.
    holder.unlock().await.unwrap();
    let granted = tokio::time::timeout(ATTEMPT, parked).await.expect("the parked lock() was not granted").unwrap();
    let second = granted.unwrap();
    assert!(second > fence, "{second} must be above {fence}");
    assert!(waiter.is_locked_by_me().await.unwrap());
    eprintln!(
        "paused leader {leader_id}: first write after {write_failover:?}, try_lock(5 s) answered in {try_lock_took:?}, \
         try_lock(2 s) on a held lock in {held_try_lock_took:?}, parked lock granted {:?} after the pause",
        paused_at.elapsed()
    );
    waiter.unlock().await.unwrap();

    // Resumed, the old leader rejoins as a follower; nothing was applied twice.
    drop(_resume);
    assert_eq!(counter.get().await.unwrap(), 21);
    assert_eq!(counter.increment_and_get().await.unwrap(), 22);
}
