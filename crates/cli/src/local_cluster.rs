//! A 3-member cluster inside this process, for `coterie dev` and `coterie demo`.
//!
//! The members are the same `Node`s `coterie serve` runs, talking real gRPC over loopback,
//! so what works here works across processes. Ports are fixed for `dev` (so the endpoints
//! are predictable for other terminals) and picked by the OS for `demo` (so a demo never
//! collides with a running dev cluster).

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::Duration;

use anyhow::Context;
use coterie_server::{Node, NodeConfig};
use tokio::net::TcpListener;

/// The members of a local cluster.
pub(crate) const MEMBERS: u64 = 3;

/// A running local cluster.
pub(crate) struct LocalCluster {
    nodes: Vec<Node>,
    endpoints: Vec<String>,
    data_dir: Option<PathBuf>,
    /// Keeps a temporary data directory alive (and removes it on drop).
    _temp: Option<tempfile::TempDir>,
}

impl LocalCluster {
    /// Starts 3 members on `base_port`, `base_port + 1`, `base_port + 2` (`None`: ports the OS
    /// picks), keeping data under `data_dir/<id>` (`None`: in memory).
    pub(crate) async fn start(base_port: Option<u16>, data_dir: Option<DataDir>) -> anyhow::Result<LocalCluster> {
        let mut listeners = Vec::new();
        for offset in 0..MEMBERS {
            let port = match base_port {
                Some(base) => base
                    .checked_add(u16::try_from(offset).unwrap_or(u16::MAX))
                    .context("the base port is too high for 3 consecutive ports")?,
                None => 0,
            };
            let listener = TcpListener::bind(("127.0.0.1", port))
                .await
                .with_context(|| format!("cannot listen on 127.0.0.1:{port} (is another cluster running?)"))?;
            listeners.push(listener);
        }
        let mut members = BTreeMap::new();
        for (id, listener) in (1..).zip(&listeners) {
            members.insert(id, listener.local_addr().context("cannot read the bound address")?.to_string());
        }
        let (root, temp) = match data_dir {
            Some(DataDir::At(path)) => (Some(path), None),
            Some(DataDir::Temporary) => {
                let temp = tempfile::Builder::new()
                    .prefix("coterie-dev-")
                    .tempdir()
                    .context("cannot create a temporary data directory")?;
                (Some(temp.path().to_path_buf()), Some(temp))
            }
            None => (None, None),
        };
        let secret = fresh_secret();
        let mut nodes = Vec::new();
        for ((id, address), listener) in members.clone().into_iter().zip(listeners) {
            let data = root.as_deref().map(|root| member_dir(root, id));
            if let Some(dir) = &data {
                std::fs::create_dir_all(dir).with_context(|| format!("cannot create {}", dir.display()))?;
            }
            let config = NodeConfig {
                data_dir: data,
                cluster_secret: Some(secret.clone()),
                ..NodeConfig::new(id, address.parse().context("a bound address parses")?, members.clone())
            };
            let node = Node::start_with_listener(config, listener)
                .await
                .with_context(|| format!("cannot start member {id}"))?;
            nodes.push(node);
        }
        Ok(LocalCluster { nodes, endpoints: members.into_values().collect(), data_dir: root, _temp: temp })
    }

    /// The members' client endpoints (`host:port`), in id order.
    pub(crate) fn endpoints(&self) -> &[String] {
        &self.endpoints
    }

    /// Where the members keep their data, when not in memory.
    pub(crate) fn data_dir(&self) -> Option<&Path> {
        self.data_dir.as_deref()
    }

    /// Waits (polling, at most `bound`) until every member applies a partition table over
    /// all of them: before that a sharded call may find no owner for its partition.
    pub(crate) async fn wait_for_partitions(&self, bound: Duration) -> anyhow::Result<()> {
        let all: Vec<u64> = (1..=MEMBERS).collect();
        let deadline = tokio::time::Instant::now() + bound;
        loop {
            if self.nodes.iter().all(|node| node.partition_table().is_some_and(|table| table.up_members() == all)) {
                return Ok(());
            }
            anyhow::ensure!(
                tokio::time::Instant::now() < deadline,
                "the members did not apply a partition table over all {MEMBERS} within {bound:?}"
            );
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }

    /// Stops every member.
    pub(crate) async fn shutdown(self) {
        for node in &self.nodes {
            node.shutdown().await;
        }
    }
}

/// Where a local cluster keeps its data.
#[derive(Clone, Debug)]
pub(crate) enum DataDir {
    /// Under this directory (kept after exit).
    At(PathBuf),
    /// Under a new temporary directory, removed on exit.
    Temporary,
}

fn member_dir(root: &Path, id: u64) -> PathBuf {
    root.join(format!("member-{id}"))
}

/// A cluster secret for one run of a local cluster, so that its members take Raft messages
/// only from each other, not from anything else on the machine. Drawn from the standard
/// library's per-process random hash keys: not a cryptographic key (production members are
/// given one with `coterie serve --cluster-secret-file`), but unguessable enough for a
/// development cluster on loopback.
fn fresh_secret() -> String {
    use std::hash::{BuildHasher, Hasher};
    let part = |salt: u64| {
        let mut hasher = std::collections::hash_map::RandomState::new().build_hasher();
        hasher.write_u64(salt);
        hasher
            .write_u128(std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_nanos()));
        hasher.write_u32(std::process::id());
        hasher.finish()
    };
    format!("{:016x}{:016x}", part(1), part(2))
}
