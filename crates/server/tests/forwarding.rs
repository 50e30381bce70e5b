//! Issue 16 item 1: any member answers any CP call. A stock gRPC client (here the raw
//! generated tonic clients, as grpcio or grpcurl would call) sends to a follower or a plain
//! member and is served: the member forwards the call one hop to the group's leader with the
//! caller's deadline, identity and sequence, and relays the answer. A retry through another
//! member is applied once; a parked call is forwarded and released; a short deadline ends in
//! the timeout error; the Rust client, which follows redirects itself, still goes direct.

#![allow(clippy::unwrap_used, clippy::expect_used, reason = "test code: a failure should panic")]

use crate::support;

use std::time::{Duration, Instant};

use coterie_api::pb::atomic_long_service_client::AtomicLongServiceClient;
use coterie_api::pb::count_down_latch_service_client::CountDownLatchServiceClient;
use coterie_api::pb::{self, Call};
use coterie_api::status::{code, error_detail};
use support::{Cluster, eventually};
use tonic::Code;
use tonic::transport::Channel;

async fn channel(cluster: &Cluster, id: u64) -> Channel {
    tonic::transport::Endpoint::from_shared(format!("http://{}", cluster.address(id))).unwrap().connect().await.unwrap()
}

/// A call header for `name` in `default`, as caller `client` with sequence `seq` (0: none).
fn call(name: &str, client: u8, seq: u64) -> Option<Call> {
    let client_id = if seq == 0 { Vec::new() } else { vec![client; 16] };
    Some(Call { name: name.to_owned(), seq, client_id, ..Call::default() })
}

/// `message` with a `grpc-timeout` of `timeout`.
fn timed<T>(message: T, timeout: Duration) -> tonic::Request<T> {
    let mut request = tonic::Request::new(message);
    request.set_timeout(timeout);
    request
}

const LONG: Duration = Duration::from_secs(30);

/// The members of `cluster` that do not lead `default` (after every member agrees on one).
async fn followers(cluster: &Cluster) -> (u64, Vec<u64>) {
    let leader = cluster.leader("default").await;
    (leader, cluster.nodes.keys().copied().filter(|id| *id != leader).collect())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_follower_serves_writes_and_linearizable_reads_for_a_plain_grpc_client() {
    let cluster = Cluster::start(3).await;
    let (_, followers) = followers(&cluster).await;
    let mut expected = 0;
    for (n, follower) in followers.iter().enumerate() {
        let mut client = AtomicLongServiceClient::new(channel(&cluster, *follower).await);
        let seq = u64::try_from(n).unwrap() + 1;
        let request = pb::AtomicLongIncrementAndGetRequest { call: call("hits", 7, seq) };
        let written = client.increment_and_get(timed(request, LONG)).await.unwrap().into_inner().value;
        expected += 1;
        assert_eq!(written, expected, "the write through member {follower}");
        let read = client.get(timed(pb::AtomicLongGetRequest { call: call("hits", 7, 0) }, LONG)).await.unwrap();
        assert_eq!(read.into_inner().value, expected, "a linearizable read through member {follower} sees it");
        assert!(cluster.nodes[follower].forwarded_calls() >= 2, "member {follower} forwarded both calls");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_caller_that_asks_not_to_be_forwarded_gets_the_redirect_naming_the_leader() {
    let cluster = Cluster::start(3).await;
    let (leader, followers) = followers(&cluster).await;
    let follower = followers[0];
    let mut client = AtomicLongServiceClient::new(channel(&cluster, follower).await);
    let mut request = timed(pb::AtomicLongGetRequest { call: call("hits", 7, 0) }, LONG);
    request.metadata_mut().insert(coterie_api::NO_FORWARD_HEADER, "1".parse().unwrap());
    let refused = client.get(request).await.unwrap_err();
    assert_eq!(refused.code(), Code::Unavailable, "{refused:?}");
    let detail = error_detail(&refused).unwrap();
    assert_eq!(detail.code, code::NOT_LEADER);
    assert_eq!(detail.leader_id, Some(leader));
    assert_eq!(cluster.nodes[&follower].forwarded_calls(), 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_same_invocation_retried_through_another_member_is_applied_once() {
    let cluster = Cluster::start(3).await;
    let (leader, followers) = followers(&cluster).await;
    let add = || pb::AtomicLongAddAndGetRequest { call: call("total", 9, 1), delta: 5 };
    let mut answers = Vec::new();
    for member in [followers[0], followers[1], leader] {
        let mut client = AtomicLongServiceClient::new(channel(&cluster, member).await);
        answers.push(client.add_and_get(timed(add(), LONG)).await.unwrap().into_inner().value);
    }
    assert_eq!(answers, [5, 5, 5], "every resend is answered with the first answer");
    let mut client = AtomicLongServiceClient::new(channel(&cluster, followers[1]).await);
    let read = client.get(timed(pb::AtomicLongGetRequest { call: call("total", 9, 0) }, LONG)).await.unwrap();
    assert_eq!(read.into_inner().value, 5, "applied once");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_parked_call_is_forwarded_and_released_through_another_member() {
    let cluster = Cluster::start(3).await;
    let (leader, followers) = followers(&cluster).await;
    let mut first = CountDownLatchServiceClient::new(channel(&cluster, followers[0]).await);
    let mut second = CountDownLatchServiceClient::new(channel(&cluster, followers[1]).await);
    let set = pb::CountDownLatchSetCountRequest { call: call("gate", 3, 1), count: 1 };
    first.set_count(timed(set, LONG)).await.unwrap();
    let waiting = tokio::spawn(async move {
        let wait = pb::CountDownLatchAwaitRequest { call: call("gate", 3, 2), timeout_ms: None };
        first.r#await(timed(wait, LONG)).await.map(|answer| answer.into_inner().opened)
    });
    let leader_replica = cluster.replica(leader, "default").await;
    eventually("the forwarded await to park on the leader", async || leader_replica.waiters().len() == 1).await;
    let round = second.get_round(timed(pb::CountDownLatchGetRoundRequest { call: call("gate", 4, 0) }, LONG)).await;
    let down = pb::CountDownLatchCountDownRequest {
        call: call("gate", 4, 1),
        expected_round: round.unwrap().into_inner().round,
    };
    assert_eq!(second.count_down(timed(down, LONG)).await.unwrap().into_inner().remaining, 0);
    assert!(waiting.await.unwrap().unwrap(), "the parked await was released");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_forwarded_call_keeps_the_callers_deadline() {
    let cluster = Cluster::start(3).await;
    let (_, followers) = followers(&cluster).await;
    let mut client = CountDownLatchServiceClient::new(channel(&cluster, followers[0]).await);
    let set = pb::CountDownLatchSetCountRequest { call: call("never", 5, 1), count: 1 };
    client.set_count(timed(set, LONG)).await.unwrap();
    let started = Instant::now();
    let wait = pb::CountDownLatchAwaitRequest { call: call("never", 5, 2), timeout_ms: None };
    let timed_out = client.r#await(timed(wait, Duration::from_millis(800))).await.unwrap_err();
    assert_eq!(timed_out.code(), Code::DeadlineExceeded, "{timed_out:?}");
    assert_eq!(error_detail(&timed_out).map(|detail| detail.code), Some(code::TIMEOUT.to_owned()), "{timed_out:?}");
    assert!(started.elapsed() < Duration::from_secs(10), "answered near the deadline, not hung");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_plain_member_forwards_cp_calls() {
    let mut cluster = Cluster::start(3).await;
    cluster.join_as(4, 1, true).await.unwrap();
    let mut client = AtomicLongServiceClient::new(channel(&cluster, 4).await);
    let request = pb::AtomicLongIncrementAndGetRequest { call: call("plain", 2, 1) };
    assert_eq!(client.increment_and_get(timed(request, LONG)).await.unwrap().into_inner().value, 1);
    let read = client.get(timed(pb::AtomicLongGetRequest { call: call("plain", 2, 0) }, LONG)).await.unwrap();
    assert_eq!(read.into_inner().value, 1);
    assert!(cluster.nodes[&4].groups().is_empty(), "still no replica on the plain member");
    assert!(cluster.nodes[&4].forwarded_calls() >= 2);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_rust_client_learns_the_leader_and_goes_direct() {
    let cluster = Cluster::start(3).await;
    let (_, followers) = followers(&cluster).await;
    let follower = followers[0];
    let config = support::client_config();
    let client = coterie_client::Client::connect_with(&[cluster.address(follower)], config).await.unwrap();
    let counter = client.atomic_long("direct").unwrap();
    for expected in 1..=3 {
        assert_eq!(counter.increment_and_get().await.unwrap(), expected);
    }
    assert_eq!(cluster.nodes[&follower].forwarded_calls(), 0, "the client followed the redirect instead");
}
