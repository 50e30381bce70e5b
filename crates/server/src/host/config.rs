//! How a node is configured ([`NodeConfig`]) and what a configuration must satisfy before a
//! node starts on it ([`NodeConfig::validate`]).

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use coterie_core::{ConfigError, EntityRegistry};

use crate::cp::CpConfig;
use crate::gossip::GossipConfig;
use crate::object::ObjectLimits;

/// The largest object part: below the 16 MiB limit of a `BlobService` message.
pub const MAX_PART_BYTES: usize = 15 << 20;

/// How a node runs.
#[derive(Clone, Debug)]
pub struct NodeConfig {
    /// This member's id; must be a key of `members`.
    pub id: u64,
    /// The address to listen on (`127.0.0.1:0` picks a free port).
    pub listen: SocketAddr,
    /// Every CP member's id and `host:port`, this one included, for a cluster started the
    /// static way (it seeds the member table); only this member, at the address the others
    /// reach it at, for one that [`join`](NodeConfig::join)s.
    pub members: BTreeMap<u64, String>,
    /// Where the node keeps its logs (`coterie.redb` inside it); `None` keeps them in memory.
    pub data_dir: Option<PathBuf>,
    /// Raft timings and group limits, used by every group.
    pub cp: CpConfig,
    /// The most CP groups this node hosts, `default` included.
    pub max_groups: usize,
    /// The timeout of a call whose request carries no deadline (`grpc-timeout`). A Lock,
    /// Acquire or Await without a timeout of its own waits this long, so it is as long as
    /// the cap by default: non-blocking calls are bounded by the Raft propose timeout anyway.
    pub default_call_timeout: Duration,
    /// The longest a call may run, whatever deadline its request carries.
    pub max_call_timeout: Duration,
    /// A secret every member of the cluster shares. When set, a `RaftService` message must
    /// carry it (the `x-coterie-cluster-secret` header), or it is refused `UNAUTHENTICATED`
    /// before its body is read, and this node's own Raft messages carry it. Without it, Raft
    /// messages (which can replace the group's log, and may be up to 1 GiB) are taken from
    /// anyone who reaches the port: only for a trusted network or local development. At
    /// least 16 printable ASCII characters, no spaces.
    pub cluster_secret: Option<String>,
    /// Join a running cluster through the members at these `host:port`s (seeds) instead of
    /// forming one (empty: form or restart one from `members`): `members` then names only
    /// this node (its id and the address the others reach it at). The node asks any seed
    /// that answers, in turn, to add it (following redirects to the metadata leader), and
    /// [`Node::start`] returns once it votes in every CP group. A node that joined never
    /// initializes a group itself, also after a restart on its data directory (a `joined`
    /// file there remembers it).
    pub join: Vec<String>,
    /// How long joining may take before [`Node::start`] gives up.
    pub join_timeout: Duration,
    /// Join as a plain member (with [`NodeConfig::join`] only): listed in the member table,
    /// but hosting no CP replica. Its structure calls are answered `not_leader` with the
    /// address of a CP member (forwarding them is a later step).
    pub plain: bool,
    /// How objects are cut into parts, and the largest object a put accepts.
    pub object_limits: ObjectLimits,
    /// Gossip membership (SWIM over UDP, [`crate::gossip`]), if this node runs it: the
    /// node then exposes the live view ([`Node::gossip_members`]) and leaves the gossip
    /// cluster on [`Node::shutdown`]. With a [`NodeConfig::cluster_secret`], every gossip
    /// datagram is authenticated with it. It changes nothing in how the CP member table is
    /// committed: gossip suggests, the metadata group decides.
    pub gossip: Option<NodeGossipConfig>,
    /// The user entity types this member serves ([`coterie_core::entity`]): the same on
    /// every member, and on every restart (a partition's journal is replayed with them).
    /// Empty by default: entity calls are then refused, naming the type.
    pub entities: EntityRegistry,
}

/// How a node runs gossip membership.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NodeGossipConfig {
    /// The UDP address to bind.
    pub bind: SocketAddr,
    /// The address the other members reach the gossip socket at (default: `bind`, which
    /// must then not be an unspecified address such as `0.0.0.0`).
    pub advertise: Option<SocketAddr>,
    /// Other members' gossip addresses to join through (this node's own is skipped); any
    /// reachable one is enough, and the node keeps retrying the others. None: this node
    /// founds the gossip cluster.
    pub seeds: Vec<SocketAddr>,
    /// The SWIM timers ([`GossipConfig::lan`] by default).
    pub timers: GossipConfig,
}

impl NodeGossipConfig {
    /// Gossip on `bind`, joining through `seeds`, with LAN timers.
    pub fn new(bind: SocketAddr, seeds: Vec<SocketAddr>) -> Self {
        NodeGossipConfig { bind, advertise: None, seeds, timers: GossipConfig::lan() }
    }
}

impl NodeConfig {
    /// Member `id` of `members`, listening on `listen`, in memory, with default limits.
    pub fn new(id: u64, listen: SocketAddr, members: BTreeMap<u64, String>) -> Self {
        NodeConfig {
            id,
            listen,
            members,
            data_dir: None,
            cp: CpConfig::default(),
            max_groups: 64,
            default_call_timeout: Duration::from_secs(600),
            max_call_timeout: Duration::from_secs(600),
            cluster_secret: None,
            join: Vec::new(),
            join_timeout: Duration::from_secs(60),
            plain: false,
            object_limits: ObjectLimits::default(),
            gossip: None,
            entities: EntityRegistry::default(),
        }
    }
}

impl NodeConfig {
    /// This configuration, if a node can run with it; the first setting it cannot run with,
    /// otherwise. [`Node::start`] and [`Node::start_with_listener`] call it.
    ///
    /// `default_call_timeout` and `max_call_timeout` must be more than zero (a zero one
    /// times every call out at once), `max_groups` must be at least 1 (the `default` group
    /// counts), and `cp` must pass [`CpConfig::validate`]. That this node's id is among the
    /// members is checked by `start`, which answers [`HostError::NotAMember`].
    pub fn validate(self) -> Result<Self, ConfigError> {
        ConfigError::ensure(
            !self.default_call_timeout.is_zero(),
            "NodeConfig::default_call_timeout",
            self.default_call_timeout,
            "it must be more than zero (how long a call without a deadline may run)",
        )?;
        ConfigError::ensure(
            !self.max_call_timeout.is_zero(),
            "NodeConfig::max_call_timeout",
            self.max_call_timeout,
            "it must be more than zero (the longest a call may run, whatever its deadline)",
        )?;
        ConfigError::ensure(
            self.max_groups > 0,
            "NodeConfig::max_groups",
            self.max_groups,
            "it must be at least 1: the `default` group counts",
        )?;
        ConfigError::ensure(
            !self.plain || !self.join.is_empty(),
            "NodeConfig::plain",
            self.plain,
            "a plain member must be started with join (the member to join through), restarts included",
        )?;
        if let Some(secret) = &self.cluster_secret {
            ConfigError::ensure(
                secret.len() >= 16 && secret.bytes().all(|b| b.is_ascii_graphic()),
                "NodeConfig::cluster_secret",
                format!("<hidden, {} bytes>", secret.len()),
                "it must be at least 16 printable ASCII characters without spaces (the same on every member)",
            )?;
        }
        let part = self.object_limits.part_bytes;
        ConfigError::ensure(
            part > 0 && part <= MAX_PART_BYTES,
            "NodeConfig::object_limits.part_bytes",
            part,
            "it must be 1 byte to 15 MiB: each part travels between members in one message of at most 16 MiB",
        )?;
        let window = self.object_limits.upload_window;
        ConfigError::ensure(
            window >= Duration::from_millis(100) && window <= Duration::from_secs(7 * 24 * 3600),
            "NodeConfig::object_limits.upload_window",
            format!("{window:?}"),
            "it must be 100 ms to 7 days: the longest a put may take; unreferenced bytes are kept twice as long",
        )?;
        if let Some(gossip) = &self.gossip {
            let advertised = gossip.advertise.unwrap_or(gossip.bind);
            ConfigError::ensure(
                !advertised.ip().is_unspecified(),
                "NodeGossipConfig::advertise",
                advertised,
                "the other members must be able to reach the gossip socket there: give a host address (bind \
                 may be 0.0.0.0 if advertise is set)",
            )?;
            if let Err(err) = gossip.timers.check() {
                return Err(ConfigError::new("NodeGossipConfig::timers", &gossip.timers, err.to_string()));
            }
        }
        let cp = self.cp.validate()?;
        Ok(NodeConfig { cp, ..self })
    }
}
