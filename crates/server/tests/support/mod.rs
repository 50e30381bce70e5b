//! Shared harness of the end-to-end tests: clusters of real `coterie_server::Node`s on
//! 127.0.0.1 port-0 listeners, driven through the real gRPC client.
//!
//! Every wait here is bounded ([`BOUND`]); polling loops sleep only between two looks at
//! a condition, never as a way to let something happen.
//!
//! [`suite`] makes this harness and the embedded cluster two backends of one scenario suite
//! (`tests/scenarios/`).

#![allow(dead_code, reason = "each test file uses a different part of the harness")]

pub mod suite;

use std::collections::{BTreeMap, BTreeSet};
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use coterie_client::{Client, ClientConfig, GrpcTransport};
use coterie_server::cp::{CpConfig, CpNode};
use coterie_server::{Node, NodeConfig, NodeGossipConfig};
use tokio::net::{TcpListener, TcpSocket};

/// The bound on every wait: generous for a loaded two-core machine.
pub const BOUND: Duration = Duration::from_secs(60);
/// Between two looks at a polled condition.
pub const POLL: Duration = Duration::from_millis(20);

/// The cluster secret the harness's members share (Raft messages must carry it).
pub const CLUSTER_SECRET: &str = "test-cluster-secret-0123456789";

/// The client type the tests use: the real gRPC client.
pub type GrpcClient = Client<GrpcTransport>;

/// Raft timings with room for a loaded two-core test machine.
pub fn cp_config() -> CpConfig {
    CpConfig {
        tick_interval: Duration::from_millis(50),
        heartbeat_interval: Duration::from_millis(100),
        election_timeout: (Duration::from_millis(400), Duration::from_millis(800)),
        ..CpConfig::default()
    }
}

/// A client configuration whose calls outlast an election on a loaded machine.
pub fn client_config() -> ClientConfig {
    ClientConfig { call_timeout: Duration::from_secs(20), ..ClientConfig::default() }
}

/// A listener on `addr` (port 0: any free port). SO_REUSEADDR lets a restarted node take
/// its port back at once.
fn bind(addr: SocketAddr) -> TcpListener {
    let socket = TcpSocket::new_v4().unwrap();
    socket.set_reuseaddr(true).unwrap();
    socket.bind(addr).unwrap();
    socket.listen(1024).unwrap()
}

/// `size` members on loopback, optionally on data directories.
pub struct Cluster {
    members: BTreeMap<u64, String>,
    /// Members added at runtime ([`Cluster::join`]): configured with only themselves.
    joined: BTreeSet<u64>,
    dirs: Option<Vec<tempfile::TempDir>>,
    cp: CpConfig,
    /// Every member's object limits.
    limits: coterie_server::object::ObjectLimits,
    /// Whether the members run gossip (on loopback UDP, joining through the running ones).
    gossip: bool,
    /// The user entity types every member serves.
    entities: coterie_core::EntityRegistry,
    /// The running nodes, by member id.
    pub nodes: BTreeMap<u64, Node>,
}

impl Cluster {
    /// `size` members with [`cp_config`], in memory.
    pub async fn start(size: u64) -> Cluster {
        Cluster::start_with(size, false, cp_config()).await
    }

    /// `size` members with `cp`, on data directories if `durable`. The members start in
    /// reverse id order (not the order they would initialize in).
    pub async fn start_with(size: u64, durable: bool, cp: CpConfig) -> Cluster {
        Cluster::start_with_limits(size, durable, cp, coterie_server::object::ObjectLimits::default()).await
    }

    /// [`Cluster::start_with`], every member holding objects to `limits`.
    pub async fn start_with_limits(
        size: u64,
        durable: bool,
        cp: CpConfig,
        limits: coterie_server::object::ObjectLimits,
    ) -> Cluster {
        let mut listeners = BTreeMap::new();
        for id in 1..=size {
            listeners.insert(id, bind("127.0.0.1:0".parse().unwrap()));
        }
        let members = listeners.iter().map(|(id, l)| (*id, l.local_addr().unwrap().to_string())).collect();
        let dirs = durable.then(|| (0..size).map(|_| tempfile::tempdir().unwrap()).collect());
        let mut cluster = Cluster {
            members,
            joined: BTreeSet::new(),
            dirs,
            cp,
            limits,
            gossip: false,
            entities: coterie_core::EntityRegistry::default(),
            nodes: BTreeMap::new(),
        };
        for id in (1..=size).rev() {
            let listener = listeners.remove(&id).unwrap();
            let node = Node::start_with_listener(cluster.config(id), listener).await.unwrap();
            cluster.nodes.insert(id, node);
        }
        cluster
    }

    fn config(&self, id: u64) -> NodeConfig {
        let listen = self.members[&id].parse().unwrap();
        let members = if self.joined.contains(&id) {
            [(id, self.members[&id].clone())].into_iter().collect()
        } else {
            self.members.clone()
        };
        let mut config = NodeConfig::new(id, listen, members);
        config.cluster_secret = Some(CLUSTER_SECRET.to_owned());
        config.cp = self.cp.clone();
        config.object_limits = self.limits;
        config.entities = self.entities.clone();
        config.data_dir = self.dirs.as_ref().map(|dirs| dirs[usize::try_from(id - 1).unwrap()].path().to_path_buf());
        if self.gossip {
            // A new UDP port each start; the running members are the seeds.
            let seeds = self.nodes.values().filter_map(|node| Some(node.gossip_members()?[&node.id()].id.gossip_addr));
            config.gossip = Some(NodeGossipConfig::new("127.0.0.1:0".parse().unwrap(), seeds.collect()));
        }
        config
    }

    /// `size` members with [`cp_config`], on data directories if `durable`, serving the
    /// user entity types of `entities` (restarts and joins too).
    pub async fn start_with_entities(size: u64, durable: bool, entities: coterie_core::EntityRegistry) -> Cluster {
        let mut listeners = BTreeMap::new();
        for id in 1..=size {
            listeners.insert(id, bind("127.0.0.1:0".parse().unwrap()));
        }
        let members = listeners.iter().map(|(id, l)| (*id, l.local_addr().unwrap().to_string())).collect();
        let dirs = durable.then(|| (0..size).map(|_| tempfile::tempdir().unwrap()).collect());
        let mut cluster = Cluster {
            members,
            joined: BTreeSet::new(),
            dirs,
            cp: cp_config(),
            limits: coterie_server::object::ObjectLimits::default(),
            gossip: false,
            entities,
            nodes: BTreeMap::new(),
        };
        for id in (1..=size).rev() {
            let listener = listeners.remove(&id).unwrap();
            let node = Node::start_with_listener(cluster.config(id), listener).await.unwrap();
            cluster.nodes.insert(id, node);
        }
        cluster
    }

    /// `size` CP members on data directories, with [`cp_config`], running gossip: the
    /// metadata leader commits members Down and back Up from its gossip view.
    pub async fn start_gossiping(size: u64) -> Cluster {
        let mut listeners = BTreeMap::new();
        for id in 1..=size {
            listeners.insert(id, bind("127.0.0.1:0".parse().unwrap()));
        }
        let members = listeners.iter().map(|(id, l)| (*id, l.local_addr().unwrap().to_string())).collect();
        let dirs = Some((0..size).map(|_| tempfile::tempdir().unwrap()).collect());
        let limits = coterie_server::object::ObjectLimits::default();
        let mut cluster = Cluster {
            members,
            joined: BTreeSet::new(),
            dirs,
            cp: cp_config(),
            limits,
            gossip: true,
            entities: coterie_core::EntityRegistry::default(),
            nodes: BTreeMap::new(),
        };
        for id in 1..=size {
            let listener = listeners.remove(&id).unwrap();
            let node = Node::start_with_listener(cluster.config(id), listener).await.unwrap();
            cluster.nodes.insert(id, node);
        }
        cluster
    }

    /// Starts member `id` on a new port (and a new data directory if the cluster is
    /// durable) and joins it to the running cluster through member `seed`; returns once it
    /// votes in every CP group.
    pub async fn join(&mut self, id: u64, seed: u64) -> Result<(), coterie_server::HostError> {
        self.join_as(id, seed, false).await
    }

    /// [`Cluster::join`] as a plain member (`plain`) or a CP member.
    pub async fn join_as(&mut self, id: u64, seed: u64, plain: bool) -> Result<(), coterie_server::HostError> {
        let seeds = vec![self.members[&seed].clone()];
        self.join_through(id, seeds, plain).await
    }

    /// [`Cluster::join_as`] through the members at `seeds` (any `host:port`s, tried in turn).
    pub async fn join_through(
        &mut self,
        id: u64,
        seeds: Vec<String>,
        plain: bool,
    ) -> Result<(), coterie_server::HostError> {
        let listener = bind("127.0.0.1:0".parse().unwrap());
        self.members.insert(id, listener.local_addr().unwrap().to_string());
        self.joined.insert(id);
        if let Some(dirs) = &mut self.dirs {
            assert_eq!(dirs.len() as u64 + 1, id, "joined members take the next id");
            dirs.push(tempfile::tempdir().unwrap());
        }
        let mut config = self.config(id);
        config.join = seeds;
        config.plain = plain;
        let node = Node::start_with_listener(config, listener).await?;
        self.nodes.insert(id, node);
        Ok(())
    }

    /// Member `id`'s data directory.
    pub fn dir(&self, id: u64) -> PathBuf {
        self.dirs.as_ref().unwrap()[usize::try_from(id - 1).unwrap()].path().to_path_buf()
    }

    /// Member `id`'s `host:port`.
    pub fn address(&self, id: u64) -> String {
        self.members[&id].clone()
    }

    /// Every member's address, running or not, in id order.
    pub fn endpoints(&self) -> Vec<String> {
        self.members.values().cloned().collect()
    }

    /// A gRPC client of every member with [`client_config`].
    pub async fn client(&self) -> GrpcClient {
        self.client_with(client_config()).await
    }

    /// A gRPC client of every member with `config`.
    pub async fn client_with(&self, config: ClientConfig) -> GrpcClient {
        Client::connect_with(&self.endpoints(), config).await.unwrap()
    }

    /// Member `id`'s replica of `group`.
    pub async fn replica(&self, id: u64, group: &str) -> Arc<CpNode> {
        self.nodes[&id].group(group).await.unwrap()
    }

    /// Waits until every running member agrees on a leader of `group`, and answers it.
    pub async fn leader(&self, group: &str) -> u64 {
        tokio::time::timeout(BOUND, async {
            loop {
                let mut leaders = Vec::new();
                for id in self.nodes.keys() {
                    leaders.push(self.replica(*id, group).await.leader().map(|(leader, _)| leader));
                }
                if let Some(Some(leader)) = leaders.first().copied()
                    && leaders.iter().all(|l| *l == Some(leader))
                    && self.nodes.contains_key(&leader)
                {
                    return leader;
                }
                tokio::time::sleep(POLL).await;
            }
        })
        .await
        .expect("the running members agree on a leader")
    }

    /// Stops member `id` (its data directory, if any, stays).
    pub async fn stop(&mut self, id: u64) {
        let node = self.nodes.remove(&id).unwrap();
        tokio::time::timeout(BOUND, node.shutdown()).await.unwrap();
    }

    /// Starts member `id` again on its address and data directory, at once: a stopped
    /// node has released its data file when `shutdown` returns.
    pub async fn restart(&mut self, id: u64) {
        assert!(!self.nodes.contains_key(&id), "member {id} is running");
        let listener = bind(self.members[&id].parse().unwrap());
        let node = Node::start_with_listener(self.config(id), listener)
            .await
            .unwrap_or_else(|err| panic!("member {id} did not restart: {err}"));
        self.nodes.insert(id, node);
    }

    /// Stops every member.
    pub async fn shutdown(&mut self) {
        for node in std::mem::take(&mut self.nodes).into_values() {
            tokio::time::timeout(BOUND, node.shutdown()).await.unwrap();
        }
    }
}

/// Polls `condition` until it holds, failing the test after [`BOUND`].
pub async fn eventually<F: AsyncFn() -> bool>(what: &str, condition: F) {
    let deadline = tokio::time::Instant::now() + BOUND;
    while !condition().await {
        assert!(tokio::time::Instant::now() < deadline, "timed out waiting for {what}");
        tokio::time::sleep(POLL).await;
    }
}
