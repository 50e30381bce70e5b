//! Three nodes on real 127.0.0.1 sockets form CP groups by themselves, replicate over gRPC
//! and serve the public API, driven with coterie-api's generated tonic clients.
#![allow(clippy::unwrap_used, clippy::expect_used, reason = "test code: a failure should panic")]

use crate::support;

use std::time::Duration;

use coterie_api::pb::atomic_long_service_client::AtomicLongServiceClient;
use coterie_api::pb::cluster_service_client::ClusterServiceClient;
use coterie_api::pb::fenced_lock_service_client::FencedLockServiceClient;
use coterie_api::pb::session_service_client::SessionServiceClient;
use coterie_api::pb::{
    self, AtomicLongIncrementAndGetRequest, Call, ClusterStatusRequest, FencedLockLockRequest, GroupStatus,
};
use coterie_api::status::{code, error_detail};
use coterie_core::Structure;
use support::{BOUND, Cluster, POLL};
use tonic::Code;

async fn status(address: &str) -> pb::ClusterStatusResponse {
    let mut client = ClusterServiceClient::connect(format!("http://{address}")).await.unwrap();
    client.status(ClusterStatusRequest {}).await.unwrap().into_inner()
}

fn group<'a>(status: &'a pb::ClusterStatusResponse, name: &str) -> Option<&'a GroupStatus> {
    status.groups.iter().find(|g| g.name == name)
}

/// Waits until the running members in `ids` agree on a leader of `name`, and answers it.
async fn leader(cluster: &Cluster, ids: &[u64], name: &str) -> u64 {
    tokio::time::timeout(BOUND, async {
        loop {
            let mut leaders = Vec::new();
            for id in ids {
                let status = status(&cluster.address(*id)).await;
                leaders.push(group(&status, name).and_then(|g| g.leader_id));
            }
            if let Some(Some(leader)) = leaders.first().copied()
                && leaders.iter().all(|l| *l == Some(leader))
            {
                return leader;
            }
            tokio::time::sleep(POLL).await;
        }
    })
    .await
    .expect("the members agree on a leader")
}

fn increment_request(group: &str, name: &str) -> tonic::Request<AtomicLongIncrementAndGetRequest> {
    let call = Call {
        target: Some(coterie_api::pb::call::Target::Group(group.to_owned())),
        name: name.to_owned(),
        session_id: 0,
        seq: 0,
        ..Call::default()
    };
    let mut request = tonic::Request::new(AtomicLongIncrementAndGetRequest { call: Some(call) });
    request.set_timeout(Duration::from_secs(10));
    request
}

/// As a client that follows redirects itself does it: with `x-coterie-no-forward`, so a
/// follower answers with the leader's address instead of forwarding (`tests/forwarding.rs`
/// covers the forwarding).
async fn increment_at(address: &str, group: &str, name: &str) -> Result<i64, tonic::Status> {
    let mut client = AtomicLongServiceClient::connect(format!("http://{address}")).await.unwrap();
    let mut request = increment_request(group, name);
    request.metadata_mut().insert(coterie_api::NO_FORWARD_HEADER, "1".parse().unwrap());
    client.increment_and_get(request).await.map(|r| r.into_inner().value)
}

/// Increments `group`'s `name` exactly once through the Rust client given only member
/// `first`: it follows leader hints (the group may still be forming) and retries with the
/// same invocation id, so a retry after an answer that was lost is not applied twice (a raw
/// increment without a session and sequence number would be).
async fn increment(cluster: &Cluster, first: u64, group: &str, name: &str) -> i64 {
    let full = if group.is_empty() { name.to_owned() } else { format!("{name}@{group}") };
    let client =
        coterie_client::Client::connect_with(&[cluster.address(first)], support::client_config()).await.unwrap();
    let value = tokio::time::timeout(BOUND, client.atomic_long(&full).unwrap().increment_and_get())
        .await
        .expect("the increment succeeds in time")
        .expect("the increment succeeds");
    client.close().await.unwrap();
    value
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn members_form_groups_redirect_and_fail_over() {
    let mut cluster = Cluster::start(3).await;
    let leader_id = leader(&cluster, &[1, 2, 3], "default").await;
    let follower = (1..=3).find(|id| *id != leader_id).unwrap();

    // A follower redirects to the leader's address; the leader applies.
    let refused = increment_at(&cluster.address(follower), "", "hits").await.unwrap_err();
    assert_eq!(refused.code(), Code::Unavailable);
    let detail = error_detail(&refused).unwrap();
    assert_eq!(detail.code, code::NOT_LEADER);
    assert_eq!(detail.leader_id, Some(leader_id));
    assert_eq!(detail.leader_address, Some(cluster.address(leader_id)));
    assert_eq!(increment_at(&cluster.address(leader_id), "", "hits").await.unwrap(), 1);
    assert_eq!(increment_at(&cluster.address(leader_id), "default", "hits").await.unwrap(), 2);

    // A named group is a Raft group of its own, created by its first call.
    assert_eq!(increment(&cluster, follower, "orders", "hits").await, 1);
    assert_eq!(increment(&cluster, follower, "", "hits@orders").await, 2);
    leader(&cluster, &[1, 2, 3], "orders").await;
    let answer = status(&cluster.address(follower)).await;
    assert_eq!(answer.member_id, follower);
    assert_eq!(answer.members.len(), 3);
    assert!(answer.members.iter().all(|m| m.address == cluster.address(m.id) && m.cp_member));
    for name in ["default", "orders"] {
        let g = group(&answer, name).unwrap();
        assert_eq!(g.voters, vec![1, 2, 3], "{name}");
        assert!(g.term >= 1, "{name}");
        assert_eq!(g.leader_address, g.leader_id.map(|id| cluster.address(id)), "{name}");
    }
    let orders_leader = status(&cluster.address(group(&answer, "orders").unwrap().leader_id.unwrap())).await;
    let orders = group(&orders_leader, "orders").unwrap();
    assert_eq!(orders.role, i32::from(pb::RaftRole::Leader));
    assert_eq!(orders.structures, 1);
    assert!(orders.commit_index >= 2 && orders.applied_index >= 2);

    // Malformed requests are refused clearly.
    let mut client = AtomicLongServiceClient::connect(format!("http://{}", cluster.address(leader_id))).await.unwrap();
    let missing_call = client.increment_and_get(AtomicLongIncrementAndGetRequest { call: None }).await.unwrap_err();
    assert_eq!(missing_call.code(), Code::InvalidArgument);
    assert_eq!(error_detail(&missing_call).unwrap().code, code::INVALID_NAME);
    for bad_group in ["Orders!", "metadata", &"g".repeat(65)] {
        let refused = increment_at(&cluster.address(leader_id), bad_group, "hits").await.unwrap_err();
        assert_eq!(refused.code(), Code::InvalidArgument, "{bad_group}");
    }

    // The leader goes away: the other two elect a new one, and writes go on.
    cluster.nodes.remove(&leader_id).unwrap().shutdown().await;
    let rest: Vec<u64> = (1..=3).filter(|id| *id != leader_id).collect();
    let new_leader = tokio::time::timeout(BOUND, async {
        loop {
            let elected = leader(&cluster, &rest, "default").await;
            if elected != leader_id {
                return elected;
            }
            tokio::time::sleep(POLL).await;
        }
    })
    .await
    .unwrap();
    assert!(rest.contains(&new_leader));
    assert_eq!(increment(&cluster, rest[0], "", "hits").await, 3);
    cluster.shutdown().await;
}

/// How many callers wait for lock `name` in `default` on member `id`'s replica.
async fn lock_waiters(cluster: &Cluster, id: u64, name: &str) -> usize {
    let node = cluster.nodes[&id].group("default").await.unwrap();
    match node.group().structure(name) {
        Some(Structure::FencedLock(lock)) => lock.waiting(),
        _ => 0,
    }
}

async fn wait_for_waiters(cluster: &Cluster, id: u64, name: &str, count: usize) {
    tokio::time::timeout(BOUND, async {
        while lock_waiters(cluster, id, name).await != count {
            tokio::time::sleep(POLL).await;
        }
    })
    .await
    .expect("the lock's wait queue reaches the expected length");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_client_that_goes_away_stops_waiting_for_a_lock() {
    let mut cluster = Cluster::start(3).await;
    let leader_id = leader(&cluster, &[1, 2, 3], "default").await;
    let url = format!("http://{}", cluster.address(leader_id));
    let mut sessions = SessionServiceClient::connect(url.clone()).await.unwrap();
    let mut open = async |client: u8| {
        let request =
            pb::OpenSessionRequest { group: String::new(), ttl_ms: 60_000, client_id: vec![client; 16], open_seq: 1 };
        sessions.open_session(request).await.unwrap().into_inner().session_id
    };
    let (a, b) = (open(1).await, open(2).await);
    // A resent open (its answer lost, say) answers the session the first one opened.
    assert_eq!(open(1).await, a);
    assert_ne!(a, b);
    // Each client's first call; a call is named by its client's id and its seq.
    let lock_request = |session_id: u64, client: u8| {
        let call = Call { name: "l".to_owned(), session_id, seq: 1, client_id: vec![client; 16], ..Call::default() };
        FencedLockLockRequest { call: Some(call), owner: vec![1] }
    };
    let mut locks = FencedLockServiceClient::connect(url.clone()).await.unwrap();
    locks.lock(lock_request(a, 1)).await.unwrap();

    // B waits for the lock on its own connection, then goes away.
    let mut waiting_client = FencedLockServiceClient::connect(url.clone()).await.unwrap();
    let waiting = tokio::spawn(async move { waiting_client.lock(lock_request(b, 2)).await });
    wait_for_waiters(&cluster, leader_id, "l", 1).await;
    waiting.abort();
    assert!(waiting.await.unwrap_err().is_cancelled());
    wait_for_waiters(&cluster, leader_id, "l", 0).await;

    // So A's unlock frees the lock instead of handing it to a caller that is gone.
    let call = Call { name: "l".to_owned(), session_id: a, seq: 2, client_id: vec![1; 16], ..Call::default() };
    locks.unlock(pb::FencedLockUnlockRequest { call: Some(call), owner: vec![1] }).await.unwrap();
    let call = Call { name: "l".to_owned(), session_id: 0, seq: 0, ..Call::default() };
    let locked = locks.is_locked(pb::FencedLockIsLockedRequest { call: Some(call) }).await.unwrap().into_inner();
    assert!(!locked.locked);
    cluster.shutdown().await;
}

/// Issue 9, item 8: Raft messages on the public port are refused, before their body is
/// read, unless they carry the cluster's secret; the members' own traffic carries it (every
/// other test of this harness runs with a secret).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn raft_messages_without_the_cluster_secret_are_refused() {
    use coterie_api::pb::RaftRequest;
    use coterie_api::pb::raft_service_client::RaftServiceClient;

    let mut cluster = Cluster::start(3).await;
    let client = cluster.client().await;
    assert_eq!(client.atomic_long("n").unwrap().increment_and_get().await.unwrap(), 1);
    let mut raft = RaftServiceClient::connect(format!("http://{}", cluster.address(1))).await.unwrap();
    let forged = || RaftRequest { group: "default".to_owned(), payload: vec![0; 64] };

    let refused = raft.append_entries(forged()).await.unwrap_err();
    assert_eq!(refused.code(), Code::Unauthenticated, "{refused:?}");
    assert!(refused.message().contains("cluster's secret"), "{refused:?}");

    let mut wrong = tonic::Request::new(forged());
    wrong.metadata_mut().insert("x-coterie-cluster-secret", "not-the-secret-at-all!".parse().unwrap());
    assert_eq!(raft.vote(wrong).await.unwrap_err().code(), Code::Unauthenticated);

    // With the secret the message reaches Raft, which refuses the garbage payload itself.
    let mut right = tonic::Request::new(forged());
    right.metadata_mut().insert("x-coterie-cluster-secret", support::CLUSTER_SECRET.parse().unwrap());
    let decoded = raft.append_entries(right).await;
    if let Err(status) = &decoded {
        assert_ne!(status.code(), Code::Unauthenticated, "{status:?}");
    }
    assert_eq!(client.atomic_long("n").unwrap().increment_and_get().await.unwrap(), 2, "the cluster still serves");
    cluster.shutdown().await;
}

/// A client given one member learns the others from it, follows redirects to them, and
/// keeps working when the member it was given is gone.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_client_given_one_member_learns_the_others_and_survives_its_loss() {
    let mut cluster = Cluster::start(3).await;
    let leader = cluster.leader("default").await;
    let follower = (1..=3).find(|id| *id != leader).unwrap();

    // Given a follower only: the call is redirected to the leader, a member it was not given.
    let via_follower = coterie_client::Client::connect(&[cluster.address(follower)]).await.unwrap();
    assert_eq!(via_follower.atomic_long("hits").unwrap().increment_and_get().await.unwrap(), 1);

    // Given the leader only: it learns every member, with their ids.
    let client = coterie_client::Client::connect(&[cluster.address(leader)]).await.unwrap();
    let counter = client.atomic_long("hits").unwrap();
    assert_eq!(counter.increment_and_get().await.unwrap(), 2);
    let everyone: Vec<(Option<u64>, String)> = (1..=3).map(|id| (Some(id), cluster.address(id))).collect();
    support::eventually("the client learns every member", async || {
        let mut known = client.members();
        known.sort();
        known == everyone
    })
    .await;

    // So losing the one member it was given costs an election, not the client.
    cluster.stop(leader).await;
    assert_eq!(counter.increment_and_get().await.unwrap(), 3);
    assert_eq!(via_follower.atomic_long("hits").unwrap().get().await.unwrap(), 3);
    cluster.shutdown().await;
}
