//! Nodes running gossip (with a cluster secret, so authenticated): they find each other
//! through a seed, expose the view with the members' API addresses, and a node shut down leaves (seen as Left, not Down). Every
//! wait is bounded and waits for a condition on the watched view.

use std::collections::BTreeMap;
use std::time::Duration;

use tokio::net::TcpListener;
use tokio::time::timeout;

use super::{Node, NodeConfig, NodeGossipConfig};
use crate::gossip::{GossipView, MemberState};

const BOUND: Duration = Duration::from_secs(10);

async fn wait(node: &Node, done: impl Fn(&GossipView) -> bool) {
    let mut view = node.gossip_watch().unwrap();
    let reached = matches!(timeout(BOUND, view.wait_for(|v| done(v))).await, Ok(Ok(_)));
    assert!(reached, "member {}: condition not reached; view {:?}", node.id(), node.gossip_members());
}

#[test]
fn gossip_needs_an_address_the_others_can_reach() {
    let listen = "127.0.0.1:0".parse().unwrap();
    let mut config = NodeConfig::new(1, listen, BTreeMap::from([(1, "127.0.0.1:7101".to_owned())]));
    config.gossip = Some(NodeGossipConfig::new("0.0.0.0:7201".parse().unwrap(), Vec::new()));
    let err = config.clone().validate().unwrap_err();
    assert_eq!(err.setting, "NodeGossipConfig::advertise");
    config.gossip = config.gossip.map(|g| NodeGossipConfig { advertise: Some("10.0.0.1:7201".parse().unwrap()), ..g });
    assert!(config.validate().is_ok());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn nodes_gossip_through_a_seed_and_leave_on_shutdown() {
    let mut listeners = Vec::new();
    let mut members = BTreeMap::new();
    for id in 1..=3u64 {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        members.insert(id, listener.local_addr().unwrap().to_string());
        listeners.push(listener);
    }
    let mut nodes = Vec::new();
    let mut seeds = Vec::new();
    for (id, listener) in (1..=3u64).zip(listeners) {
        let config = NodeConfig {
            gossip: Some(NodeGossipConfig::new("127.0.0.1:0".parse().unwrap(), seeds.clone())),
            // Gossip datagrams are then authenticated with it, end to end.
            cluster_secret: Some("a-shared-cluster-secret".to_owned()),
            ..NodeConfig::new(id, "127.0.0.1:0".parse().unwrap(), members.clone())
        };
        let node = Node::start_with_listener(config, listener).await.unwrap();
        if seeds.is_empty() {
            // The first node founds the gossip cluster; the others join through it.
            seeds.push(node.gossip_members().unwrap()[&id].id.gossip_addr);
        }
        nodes.push(node);
    }
    for node in &nodes {
        wait(node, |v| (1..=3).all(|m| v.get(&m).is_some_and(|i| i.state == MemberState::Up))).await;
        let view = node.gossip_members().unwrap();
        for (id, api) in &members {
            assert_eq!(&view[id].id.api_addr, api, "the API address travels with the identity");
        }
    }
    let leaver = nodes.remove(1);
    leaver.shutdown().await;
    for node in &nodes {
        wait(node, |v| v.get(&2).is_some_and(|i| i.state == MemberState::Left)).await;
    }
    for node in nodes {
        node.shutdown().await;
    }
}
