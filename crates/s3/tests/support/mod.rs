//! A 3-member cluster on 127.0.0.1 with an S3 gateway on every member (the few bits of
//! `crates/server/tests/support` this needs, copied: a crate must not use another's tests).
//! Every wait is bounded ([`BOUND`]); polling sleeps only between two looks at a condition.

#![allow(dead_code, reason = "each test file uses a different part of the harness")]

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

use coterie_s3::{Credentials, Gateway, GatewayConfig, Running};
use coterie_server::cp::CpConfig;
use coterie_server::{Node, NodeConfig};
use tokio::net::TcpListener;

/// The bound on every wait: generous for a loaded two-core machine.
pub const BOUND: Duration = Duration::from_secs(60);
const POLL: Duration = Duration::from_millis(20);

/// The keys the gateways check signatures with.
pub fn credentials() -> Credentials {
    Credentials { access_key: "coterie-test-key".to_owned(), secret_key: "coterie-test-secret-0123456789".to_owned() }
}

/// Members and their gateways.
pub struct Cluster {
    /// The nodes, by member id.
    pub nodes: BTreeMap<u64, Arc<Node>>,
    /// Each member's gateway.
    pub gateways: BTreeMap<u64, Running>,
}

impl Cluster {
    /// Three members, each with a gateway on a free loopback port.
    pub async fn start() -> Cluster {
        let mut listeners = BTreeMap::new();
        for id in 1..=3u64 {
            listeners.insert(id, TcpListener::bind("127.0.0.1:0").await.unwrap());
        }
        let members: BTreeMap<u64, String> =
            listeners.iter().map(|(id, l)| (*id, l.local_addr().unwrap().to_string())).collect();
        let (mut nodes, mut gateways) = (BTreeMap::new(), BTreeMap::new());
        for (id, listener) in listeners {
            let mut config = NodeConfig::new(id, members[&id].parse().unwrap(), members.clone());
            config.cluster_secret = Some("test-cluster-secret-0123456789".to_owned());
            config.cp = CpConfig {
                tick_interval: Duration::from_millis(50),
                heartbeat_interval: Duration::from_millis(100),
                election_timeout: (Duration::from_millis(400), Duration::from_millis(800)),
                ..CpConfig::default()
            };
            let node = Arc::new(Node::start_with_listener(config, listener).await.unwrap());
            let gateway = Gateway::new(Arc::clone(&node), GatewayConfig::default());
            let running = coterie_s3::start("127.0.0.1:0".parse().unwrap(), gateway, &credentials()).await.unwrap();
            nodes.insert(id, node);
            gateways.insert(id, running);
        }
        Cluster { nodes, gateways }
    }

    /// Waits until every member agrees on a leader of `default`, and answers it.
    pub async fn leader(&self) -> u64 {
        tokio::time::timeout(BOUND, async {
            loop {
                let mut leaders = Vec::new();
                for node in self.nodes.values() {
                    leaders.push(node.group("default").await.unwrap().leader().map(|(leader, _)| leader));
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

    /// Member `id`'s gateway URL.
    pub fn endpoint(&self, id: u64) -> String {
        format!("http://{}", self.gateways[&id].local_addr)
    }

    /// Stops the gateways and the members.
    pub async fn shutdown(self) {
        for gateway in self.gateways.into_values() {
            gateway.stop();
        }
        for node in self.nodes.into_values() {
            if let Ok(node) = Arc::try_unwrap(node) {
                tokio::time::timeout(BOUND, node.shutdown()).await.unwrap();
            }
        }
    }
}
