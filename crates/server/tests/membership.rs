//! Committed, dynamic membership over real gRPC: a member joins a running 3-member cluster
//! and becomes a voter of every CP group (the metadata group, `default`, a named group,
//! and a group created after the join), serves the data written before it joined, keeps the
//! cluster writable with an old member stopped, and a removed member leaves every group.
#![allow(clippy::unwrap_used, clippy::expect_used, reason = "test code: a failure should panic")]

use crate::support;

use std::collections::BTreeSet;
use std::time::Duration;

use coterie_api::pb::cluster_service_client::ClusterServiceClient;
use coterie_api::pb::{self, admin_service_client::AdminServiceClient};
use coterie_api::status::ApiError;
use coterie_client::{Client, ClientConfig};
use coterie_core::MemberState;
use support::{BOUND, CLUSTER_SECRET, Cluster, client_config, eventually};

/// The voters of `group` as member `id`'s replica has applied them (a single, uniform
/// voter set; a joint one answers both sets merged and is never what a test waits for).
async fn voters(cluster: &Cluster, id: u64, group: &str) -> (usize, BTreeSet<u64>) {
    let (configs, _) = cluster.replica(id, group).await.committed_membership();
    (configs.len(), configs.into_iter().flatten().collect())
}

/// Waits until every running member sees exactly `expected` as the voters of `group`.
async fn await_voters(cluster: &Cluster, group: &str, expected: &[u64]) {
    let expected: BTreeSet<u64> = expected.iter().copied().collect();
    eventually(&format!("the voters of {group} to be {expected:?} on every running member"), async || {
        for id in cluster.nodes.keys() {
            if voters(cluster, *id, group).await != (1, expected.clone()) {
                return false;
            }
        }
        true
    })
    .await;
}

/// Sends an admin request, starting at member `first` and following `not_leader` to the
/// metadata leader.
async fn admin<T, F>(cluster: &Cluster, first: u64, call: F) -> T
where
    F: AsyncFn(&mut AdminServiceClient<tonic::transport::Channel>) -> Result<tonic::Response<T>, tonic::Status>,
{
    let mut address = cluster.address(first);
    let running: Vec<String> = cluster.nodes.keys().map(|id| cluster.address(*id)).collect();
    let deadline = tokio::time::Instant::now() + BOUND;
    let mut round = 0;
    loop {
        assert!(tokio::time::Instant::now() < deadline, "the admin call did not succeed in time");
        // A hint may name a member that just stopped: then try the running ones in turn.
        let Ok(mut client) = AdminServiceClient::connect(format!("http://{address}")).await else {
            round += 1;
            address = running[round % running.len()].clone();
            tokio::time::sleep(support::POLL).await;
            continue;
        };
        match call(&mut client).await {
            Ok(response) => return response.into_inner(),
            Err(status) => match ApiError::from(&status) {
                ApiError::NotLeader { leader_address: Some(leader), .. } => address = leader,
                ApiError::NotLeader { .. } | ApiError::Unavailable { .. } => {
                    tokio::time::sleep(support::POLL).await;
                }
                other => panic!("admin call failed: {other}"),
            },
        }
    }
}

fn with_secret<T>(message: T) -> tonic::Request<T> {
    let mut request = tonic::Request::new(message);
    request.metadata_mut().insert("x-coterie-cluster-secret", CLUSTER_SECRET.parse().unwrap());
    request.set_timeout(BOUND);
    request
}

fn member(members: &[pb::Member], id: u64) -> Option<&pb::Member> {
    members.iter().find(|m| m.id == id)
}

async fn client_of(cluster: &Cluster, ids: &[u64]) -> support::GrpcClient {
    let endpoints: Vec<String> = ids.iter().map(|id| cluster.address(*id)).collect();
    Client::connect_with(&endpoints, ClientConfig { call_timeout: Duration::from_secs(30), ..client_config() })
        .await
        .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_joined_member_votes_in_every_group_and_a_removed_one_in_none() {
    let mut cluster = Cluster::start(3).await;
    let client = cluster.client().await;
    assert_eq!(client.atomic_long("seq").unwrap().add_and_get(41).await.unwrap(), 41);
    assert_eq!(client.atomic_long("n@named").unwrap().add_and_get(7).await.unwrap(), 7);
    // The static cluster seeded its table: three CP members, up.
    eventually("the member table to be seeded", async || {
        let table = cluster.nodes[&1].members();
        (1..=3).all(|id| table.get(id).is_some_and(|r| r.cp && r.state == MemberState::Up))
    })
    .await;

    // Member 4 joins through member 2, whichever member leads the metadata group.
    let started = tokio::time::Instant::now();
    cluster.join(4, 2).await.unwrap();
    eprintln!("join took {:?}", started.elapsed());
    for group in ["metadata", "default", "named"] {
        await_voters(&cluster, group, &[1, 2, 3, 4]).await;
    }
    // ListMembers answers the table as the answering member has applied it: member 4's own
    // replica catches up with the leader's MarkUp within a heartbeat or so.
    eventually("member 4 to list itself as an up CP member at its address", async || {
        let listed = admin(&cluster, 4, async |c| c.list_members(with_secret(pb::ListMembersRequest {})).await).await;
        member(&listed.members, 4).is_some_and(|four| {
            (four.cp_member, four.state(), four.address.as_str()) == (true, pb::MemberState::Up, &cluster.address(4))
        })
    })
    .await;

    // ClusterService.Status lists the committed members with their role and state.
    eventually("Status on member 2 to list four up CP members", async || {
        let mut status = ClusterServiceClient::connect(format!("http://{}", cluster.address(2))).await.unwrap();
        let members = status.status(pb::ClusterStatusRequest {}).await.unwrap().into_inner().members;
        members.len() == 4 && members.iter().all(|m| m.cp_member && m.state() == pb::MemberState::Up)
    })
    .await;

    // A group created after the join starts with the committed members, member 4 included
    // (once every member has applied the table that lists it).
    eventually("every member to have applied the table with member 4", async || {
        cluster.nodes.values().all(|node| node.members().cp_voters().contains_key(&4))
    })
    .await;
    assert_eq!(client.atomic_long("m@later").unwrap().increment_and_get().await.unwrap(), 1);
    await_voters(&cluster, "later", &[1, 2, 3, 4]).await;
    // ... from its first entry: its membership is still the one it was initialized with
    // (index 0), not one a later change added member 4 to.
    let later = cluster.leader("later").await;
    let metrics = cluster.replica(later, "later").await.metrics();
    assert_eq!(metrics.committed_membership_config.log_id().as_ref().map(|id| id.index), Some(0));

    // The data written before the join is on member 4's replica, and readable through it.
    eventually("member 4's replica to hold seq", async || {
        cluster.replica(4, "default").await.group().structure("seq").is_some()
    })
    .await;
    // (The client follows leaders only among its endpoints, so member 4 alone answers
    // from its own replica: a stale read.)
    let only_four = client_of(&cluster, &[4]).await.with_stale_reads();
    eventually("member 4 to answer the values written before it joined", async || {
        only_four.atomic_long("seq").unwrap().get().await.ok() == Some(41)
            && only_four.atomic_long("n@named").unwrap().get().await.ok() == Some(7)
    })
    .await;

    // With one old member stopped, three of four voters remain: writes go on.
    cluster.stop(1).await;
    let survivors = client_of(&cluster, &[2, 3, 4]).await;
    assert_eq!(survivors.atomic_long("seq").unwrap().increment_and_get().await.unwrap(), 42);
    assert_eq!(survivors.atomic_long("n@named").unwrap().increment_and_get().await.unwrap(), 8);

    // Removing the stopped member shrinks every group's voters.
    let removed =
        admin(&cluster, 3, async |c| c.remove_member(with_secret(pb::RemoveMemberRequest { id: 1 })).await).await;
    assert_eq!(member(&removed.members, 1).map(pb::Member::state), Some(pb::MemberState::Removed));
    for group in ["metadata", "default", "named", "later"] {
        await_voters(&cluster, group, &[2, 3, 4]).await;
    }
    assert_eq!(survivors.atomic_long("seq").unwrap().increment_and_get().await.unwrap(), 43);
    cluster.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_joined_member_restarted_on_its_data_directory_is_still_a_voter() {
    let mut cluster = Cluster::start_with(3, true, support::cp_config()).await;
    let client = cluster.client().await;
    assert_eq!(client.atomic_long("seq").unwrap().add_and_get(5).await.unwrap(), 5);
    cluster.join(4, 1).await.unwrap();
    await_voters(&cluster, "default", &[1, 2, 3, 4]).await;
    cluster.stop(4).await;
    // Restarted without --join: the data directory remembers it joined, so it waits for
    // the leader instead of forming a group of its own, and is a voter again.
    cluster.restart(4).await;
    await_voters(&cluster, "metadata", &[1, 2, 3, 4]).await;
    await_voters(&cluster, "default", &[1, 2, 3, 4]).await;
    eventually("member 4 to follow the default leader", async || {
        cluster.replica(4, "default").await.leader().is_some_and(|(leader, _)| leader != 4)
            || cluster.replica(4, "default").await.raft().is_leader()
    })
    .await;
    // Two old members stopped would stall a 4-voter group; one stopped and member 4 up
    // keeps it writable, which needs member 4 voting again.
    cluster.stop(1).await;
    let survivors = client_of(&cluster, &[2, 3, 4]).await;
    assert_eq!(survivors.atomic_long("seq").unwrap().increment_and_get().await.unwrap(), 6);
    cluster.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_member_joins_through_the_first_seed_that_answers() {
    let mut cluster = Cluster::start(3).await;
    // A seed that is not running (a port bound and closed again), then a follower or the
    // leader: the join moves on to the next seed and follows its redirect.
    let dead = {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        listener.local_addr().unwrap().to_string()
    };
    let seeds = vec![dead.clone(), cluster.address(2), cluster.address(3)];
    cluster.join_through(4, seeds, false).await.unwrap();
    await_voters(&cluster, "metadata", &[1, 2, 3, 4]).await;
    assert_eq!(cluster.nodes[&1].members().get(4).map(|r| r.state), Some(MemberState::Up));
    // With no seed running, the error names every seed it tried.
    let config = coterie_server::NodeConfig {
        join: vec![dead.clone()],
        join_timeout: Duration::from_millis(600),
        cluster_secret: Some(CLUSTER_SECRET.to_owned()),
        ..coterie_server::NodeConfig::new(5, "127.0.0.1:0".parse().unwrap(), [(5, "127.0.0.1:1".to_owned())].into())
    };
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let err = coterie_server::Node::start_with_listener(config, listener).await.err().unwrap().to_string();
    assert!(err.contains(&format!("cannot join the cluster through {dead}")), "{err}");
    assert!(err.contains(&format!("last answer: {dead}: ")), "{err}");
    cluster.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn admin_calls_are_refused_without_the_secret_and_bad_members_with_a_reason() {
    let mut cluster = Cluster::start(3).await;
    let mut client = AdminServiceClient::connect(format!("http://{}", cluster.address(1))).await.unwrap();
    let status = client.list_members(pb::ListMembersRequest {}).await.unwrap_err();
    assert_eq!(status.code(), tonic::Code::Unauthenticated);
    // An address already taken by member 2 is refused by the table, whoever leads.
    let taken = cluster.address(2);
    let mut address = cluster.address(1);
    let deadline = tokio::time::Instant::now() + BOUND;
    let refusal = loop {
        assert!(tokio::time::Instant::now() < deadline);
        let mut c = AdminServiceClient::connect(format!("http://{address}")).await.unwrap();
        let request = pb::AddMemberRequest { id: 9, address: taken.clone(), plain: false };
        match ApiError::from(c.add_member(with_secret(request)).await.unwrap_err()) {
            ApiError::NotLeader { leader_address: Some(leader), .. } => address = leader,
            ApiError::NotLeader { .. } | ApiError::Unavailable { .. } => tokio::time::sleep(support::POLL).await,
            other => break other,
        }
    };
    let ApiError::Core(core) = refusal else { panic!("expected a refusal, got {refusal}") };
    assert!(core.to_string().contains("already has the address"), "{core}");
    cluster.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn removing_the_metadata_leader_hands_its_leadership_over_first() {
    let mut cluster = Cluster::start(3).await;
    let client = cluster.client().await;
    assert_eq!(client.atomic_long("seq").unwrap().add_and_get(3).await.unwrap(), 3);
    assert_eq!(client.atomic_long("x@other").unwrap().add_and_get(1).await.unwrap(), 1);
    cluster.join(4, 3).await.unwrap();
    let leader = cluster.leader("metadata").await;
    // Another member leads group `other`: once it takes the leaving member out, it stops
    // replicating to it, so the leaving member never sees that group's final membership.
    let other_leader = cluster.leader("other").await;
    if other_leader == leader {
        let to = (1..=4).find(|id| *id != leader).unwrap();
        cluster.replica(leader, "other").await.raft().trigger().transfer_leader(to).await.unwrap();
        eventually("another member to lead `other`", async || cluster.leader("other").await != leader).await;
    }
    // Sent to the leader itself: it hands over and redirects, the next leader removes it.
    let removed =
        admin(&cluster, leader, async |c| c.remove_member(with_secret(pb::RemoveMemberRequest { id: leader })).await)
            .await;
    assert_eq!(member(&removed.members, leader).map(pb::Member::state), Some(pb::MemberState::Removed));
    cluster.stop(leader).await;
    let rest: Vec<u64> = (1..=4).filter(|id| *id != leader).collect();
    for group in ["metadata", "default", "other"] {
        await_voters(&cluster, group, &rest).await;
    }
    let survivors = client_of(&cluster, &rest).await;
    assert_eq!(survivors.atomic_long("seq").unwrap().increment_and_get().await.unwrap(), 4);
    cluster.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_plain_member_is_listed_hosts_no_replica_and_sends_callers_to_a_cp_member() {
    use coterie_api::pb::atomic_long_service_client::AtomicLongServiceClient;

    let mut cluster = Cluster::start(3).await;
    let client = cluster.client().await;
    assert_eq!(client.atomic_long("seq").unwrap().add_and_get(2).await.unwrap(), 2);
    cluster.join_as(4, 1, true).await.unwrap();
    // Listed as a plain member, up, on every CP member and on itself.
    eventually("every member to list member 4 as a plain member", async || {
        cluster.nodes.values().all(|node| {
            node.listed_members().iter().any(|m| m.id == 4 && !m.cp_member && m.state() == pb::MemberState::Up)
        })
    })
    .await;
    assert!(cluster.nodes[&4].groups().is_empty(), "a plain member hosts no CP replica");
    for group in ["metadata", "default"] {
        for id in 1..=3 {
            assert_eq!(voters(&cluster, id, group).await, (1, [1, 2, 3].into_iter().collect()), "{group}");
        }
    }
    // A structure call to it is forwarded, or (asked not to be) answered not_leader with a
    // CP member's address.
    let mut direct = AtomicLongServiceClient::connect(format!("http://{}", cluster.address(4))).await.unwrap();
    let call = pb::Call { name: "seq".to_owned(), ..pb::Call::default() };
    // A stock client is served: the member forwards the call to the group's leader.
    let forwarded = direct.get(pb::AtomicLongGetRequest { call: Some(call.clone()) }).await.unwrap();
    assert_eq!(forwarded.into_inner().value, 2);
    // A client that follows redirects itself asks not to be forwarded, and is redirected.
    let mut request = tonic::Request::new(pb::AtomicLongGetRequest { call: Some(call) });
    request.metadata_mut().insert(coterie_api::NO_FORWARD_HEADER, "1".parse().unwrap());
    let status = direct.get(request).await.unwrap_err();
    let ApiError::NotLeader { leader_address: Some(address), .. } = ApiError::from(&status) else {
        panic!("expected not_leader with an address, got {status:?}")
    };
    assert!((1..=3).any(|id| cluster.address(id) == address), "{address} is a CP member's");
    // A client that knows it and the CP members is served.
    let through_plain = client_of(&cluster, &[4, 1, 2, 3]).await;
    assert_eq!(through_plain.atomic_long("seq").unwrap().increment_and_get().await.unwrap(), 3);
    cluster.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_member_that_does_not_run_stays_a_learner_and_can_be_removed() {
    let mut cluster = Cluster::start(3).await;
    eventually("the member table to be seeded", async || cluster.nodes[&1].members().get(3).is_some()).await;
    // An address nothing listens on: the member was added, but its process never started.
    let nowhere = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().to_string();
    let leader = cluster.leader("metadata").await;
    let mut client = AdminServiceClient::connect(format!("http://{}", cluster.address(leader))).await.unwrap();
    let mut request = with_secret(pb::AddMemberRequest { id: 5, address: nowhere.clone(), plain: false });
    request.set_timeout(Duration::from_secs(3));
    let answer = client.add_member(request).await;
    assert!(answer.is_err(), "the add cannot finish while member 5 does not run: {answer:?}");
    // It is in the table, joining, and a learner of the metadata group, but no voter: a
    // member that cannot vote must not count toward the quorum.
    let table = cluster.nodes[&leader].members();
    assert_eq!(table.get(5).map(|r| (r.state, r.address.clone())), Some((MemberState::Joining, nowhere)));
    let (configs, nodes) = cluster.replica(leader, "metadata").await.membership();
    assert_eq!(configs, vec![[1, 2, 3].into_iter().collect::<BTreeSet<u64>>()]);
    assert!(nodes.contains_key(&5), "member 5 is a learner: {nodes:?}");
    // Removing it drops the learner and marks it removed.
    let removed =
        admin(&cluster, leader, async |c| c.remove_member(with_secret(pb::RemoveMemberRequest { id: 5 })).await).await;
    assert_eq!(member(&removed.members, 5).map(pb::Member::state), Some(pb::MemberState::Removed));
    let (_, nodes) = cluster.replica(leader, "metadata").await.committed_membership();
    assert!(!nodes.contains_key(&5), "{nodes:?}");
    cluster.shutdown().await;
}

/// Issue 9, item 6: groups are claimed in the metadata group, so any CP member may create
/// one. Before, only members the cluster was started with initialized groups: once all of
/// them had been replaced by members that joined at runtime, no new group could form.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn new_groups_form_after_every_original_member_was_replaced() {
    let mut cluster = Cluster::start(3).await;
    let client = cluster.client().await;
    assert_eq!(client.atomic_long("seq").unwrap().add_and_get(3).await.unwrap(), 3);
    cluster.join(4, 1).await.unwrap();
    cluster.join(5, 2).await.unwrap();
    for group in ["metadata", "default"] {
        await_voters(&cluster, group, &[1, 2, 3, 4, 5]).await;
    }
    // Replace the original members one at a time: stop, then remove.
    let mut left = vec![1, 2, 3, 4, 5];
    for old in [1, 2, 3] {
        cluster.stop(old).await;
        left.retain(|id| *id != old);
        let first = left[0];
        admin(&cluster, first, async |c| c.remove_member(with_secret(pb::RemoveMemberRequest { id: old })).await).await;
        for group in ["metadata", "default"] {
            await_voters(&cluster, group, &left).await;
        }
    }
    // Members 4 and 5 serve the old data, and create a group neither of them was started with.
    let survivors = client_of(&cluster, &[4, 5]).await;
    assert_eq!(survivors.atomic_long("seq").unwrap().increment_and_get().await.unwrap(), 4);
    assert_eq!(survivors.atomic_long("n@fresh").unwrap().increment_and_get().await.unwrap(), 1);
    await_voters(&cluster, "fresh", &[4, 5]).await;
    // Exactly one member initialized it: both replicas share its first entry, and the
    // metadata group lists it with the member that claimed it.
    for id in [4, 5] {
        let metrics = cluster.replica(id, "fresh").await.metrics();
        assert_eq!(metrics.committed_membership_config.log_id().as_ref().map(|id| id.index), Some(0));
        let names: Vec<String> = cluster.replica(id, "metadata").await.group().names().map(str::to_owned).collect();
        assert!(names.iter().any(|name| name == "group:fresh"), "{names:?}");
    }
    cluster.shutdown().await;
}

/// After the whole cluster restarts on its data directories, every member reopens every
/// registered group by itself: a named group elects a leader again with no call naming it
/// (before, a group came back only when a call or a message of its leader named it, and with
/// every replica down nothing would).
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_restarted_cluster_reopens_its_registered_groups_without_being_asked() {
    let mut cluster = Cluster::start_with(3, true, support::cp_config()).await;
    let client = cluster.client().await;
    assert_eq!(client.atomic_long("n@named").unwrap().add_and_get(5).await.unwrap(), 5);
    await_voters(&cluster, "named", &[1, 2, 3]).await;
    for id in [1, 2, 3] {
        cluster.stop(id).await;
    }
    for id in [1, 2, 3] {
        cluster.restart(id).await;
    }
    eventually("every member to run named again, with a leader", async || {
        cluster
            .nodes
            .values()
            .all(|node| node.groups().iter().any(|(name, replica)| name == "named" && replica.leader().is_some()))
    })
    .await;
    assert_eq!(client_of(&cluster, &[1, 2, 3]).await.atomic_long("n@named").unwrap().get().await.unwrap(), 5);
    cluster.shutdown().await;
}

/// A running member that is removed learns it (its own metadata replica may never see the
/// end of its removal, so it asks the others), stops every replica, sends callers to a
/// member of the cluster, and tells its process (`Node::removed`, which `coterie serve`
/// waits on to exit).
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_removed_running_member_stops_serving_and_says_so() {
    use coterie_api::pb::atomic_long_service_client::AtomicLongServiceClient;

    let mut cluster = Cluster::start(3).await;
    let client = cluster.client().await;
    assert_eq!(client.atomic_long("seq").unwrap().add_and_get(2).await.unwrap(), 2);
    cluster.join(4, 1).await.unwrap();
    await_voters(&cluster, "default", &[1, 2, 3, 4]).await;
    admin(&cluster, 1, async |c| c.remove_member(with_secret(pb::RemoveMemberRequest { id: 4 })).await).await;
    tokio::time::timeout(BOUND, cluster.nodes[&4].removed()).await.expect("member 4 to learn it was removed");
    assert!(cluster.nodes[&4].groups().is_empty(), "a removed member runs no replica");
    // A call sent to it is forwarded, or (asked not to be) answered not_leader with the
    // address of a member of the cluster.
    let mut direct = AtomicLongServiceClient::connect(format!("http://{}", cluster.address(4))).await.unwrap();
    let call = pb::Call { name: "seq".to_owned(), ..pb::Call::default() };
    // A stock client is served: the member forwards the call to the group's leader.
    let forwarded = direct.get(pb::AtomicLongGetRequest { call: Some(call.clone()) }).await.unwrap();
    assert_eq!(forwarded.into_inner().value, 2);
    // A client that follows redirects itself asks not to be forwarded, and is redirected.
    let mut request = tonic::Request::new(pb::AtomicLongGetRequest { call: Some(call) });
    request.metadata_mut().insert(coterie_api::NO_FORWARD_HEADER, "1".parse().unwrap());
    let status = direct.get(request).await.unwrap_err();
    let ApiError::NotLeader { leader_address: Some(address), .. } = ApiError::from(&status) else {
        panic!("expected not_leader with an address, got {status:?}")
    };
    assert!((1..=3).any(|id| cluster.address(id) == address), "{address} is a member's");
    // The others serve on.
    for group in ["metadata", "default"] {
        for id in 1..=3 {
            assert_eq!(voters(&cluster, id, group).await, (1, [1, 2, 3].into_iter().collect()), "{group}");
        }
    }
    assert_eq!(client_of(&cluster, &[1, 2, 3]).await.atomic_long("seq").unwrap().increment_and_get().await.unwrap(), 3);
    cluster.shutdown().await;
}
