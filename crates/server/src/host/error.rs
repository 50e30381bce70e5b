//! Why a node could not start, or could not host a group ([`HostError`]), and what an
//! engine caller sees of it.

use std::net::SocketAddr;
use std::path::PathBuf;

use coterie_api::convert::ConvertError;
use coterie_core::{ConfigError, CoreError, EngineError};
use coterie_storage::StorageError;
use thiserror::Error;

use crate::cp::CpError;

/// Why a node could not start, or could not host a group.
#[derive(Debug, Error)]
pub enum HostError {
    /// A setting of the [`NodeConfig`] cannot be used.
    #[error(transparent)]
    InvalidConfig(#[from] ConfigError),
    /// The listen address could not be bound or read.
    #[error("cannot listen on {addr}: {source}; pick a free port or another address")]
    Listen {
        /// The address.
        addr: SocketAddr,
        /// What the OS said.
        source: std::io::Error,
    },
    /// This node's id is not among the configured members.
    #[error("member id {id} is not in the configured member set {members:?}; add it, or start with one of those ids")]
    NotAMember {
        /// This node's id.
        id: u64,
        /// The configured ids.
        members: Vec<u64>,
    },
    /// The data directory could not be opened.
    #[error("cannot open the data directory {dir:?}: {source}")]
    Storage {
        /// The directory.
        dir: PathBuf,
        /// The storage error.
        source: StorageError,
    },
    /// The group name cannot be used.
    #[error("{0}")]
    InvalidGroup(#[from] ConvertError),
    /// Starting the group would exceed [`NodeConfig::max_groups`].
    #[error(
        "cannot create CP group {group:?}: this node already hosts the maximum of {limit} groups; use an existing group, or raise max_groups on every member"
    )]
    TooManyGroups {
        /// The group asked for.
        group: String,
        /// The limit.
        limit: usize,
    },
    /// The group's Raft node failed to start.
    #[error("cannot start CP group {group:?}: {source}")]
    Group {
        /// The group.
        group: String,
        /// Why.
        source: CpError,
    },
    /// The node is shutting down.
    #[error("the node is shutting down; send calls to another member")]
    Stopping,
    /// This node is a plain member: it hosts no CP group.
    #[error("member {id} is a plain member and hosts no CP group; send CP calls to a CP member")]
    PlainMember {
        /// This node's id.
        id: u64,
        /// A CP member to send the call to instead, when one is known.
        cp_member: Option<(u64, String)>,
    },
    /// The group could not be claimed in the metadata group (see `host/groups.rs`), so it is
    /// not known whether this member may initialize it.
    #[error(
        "cannot create CP group {group:?}: the metadata group did not register it ({reason}); a majority of the CP members must be up"
    )]
    Claim {
        /// The group.
        group: String,
        /// The last failure.
        reason: String,
    },
    /// This member was removed from the cluster (`coterie admin remove-member`).
    #[error("member {id} was removed from the cluster and serves no CP group; send calls to another member")]
    Removed {
        /// This node's id.
        id: u64,
        /// A member to send the call to instead, when one is known.
        cp_member: Option<(u64, String)>,
    },
    /// Gossip membership could not start.
    #[error("cannot start gossip membership: {0}")]
    Gossip(#[from] crate::gossip::GossipError),
    /// Joining the cluster failed.
    #[error("cannot join the cluster through {seed}: {reason}")]
    Join {
        /// The members asked (comma-separated).
        seed: String,
        /// Why, and what to do.
        reason: String,
    },
}

impl From<HostError> for EngineError {
    /// A bad or refused group name is the caller's to fix; anything else means this member
    /// cannot serve the group now.
    fn from(err: HostError) -> Self {
        match err {
            HostError::InvalidGroup(convert) => EngineError::Core(
                convert.to_core().unwrap_or_else(|| CoreError::invalid_request("group", convert.to_string())),
            ),
            err @ HostError::TooManyGroups { .. } => {
                EngineError::Core(CoreError::invalid_request("group", err.to_string()))
            }
            HostError::PlainMember { cp_member, .. } | HostError::Removed { cp_member, .. } => EngineError::Redirect {
                member: cp_member.as_ref().map(|(id, _)| *id),
                address: cp_member.map(|(_, address)| address),
            },
            other => EngineError::Stopped { reason: other.to_string() },
        }
    }
}
