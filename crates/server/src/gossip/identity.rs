//! A member's SWIM identity ([`GossipId`]): who it is (the Coterie member id), where its
//! gossip socket is, where its API is, and which life of the process this is
//! (`generation`).
//!
//! foca keys its member list by [`Identity::addr`], here the gossip socket address: the
//! only thing a seed is known by before it answers (an announce to a seed is addressed to
//! a placeholder identity carrying only that address, and foca accepts an announce whose
//! destination has its address). A member restarted on the same address comes back with a
//! larger generation, so its new identity wins the address conflict and supersedes the old
//! one at once instead of waiting for the old one to be declared down. When foca finds
//! this node declared down (a false suspicion it could not refute in time), it rejoins with
//! [`Identity::renew`]: the same member, generation + 1.

use std::net::SocketAddr;

use foca::Identity;
use serde::{Deserialize, Serialize};

use super::GossipError;

/// The longest API address (`host:port`) an identity may carry: identities travel in
/// every datagram, and a datagram is at most [`super::GossipConfig::max_packet_size`].
pub const MAX_API_ADDR_LEN: usize = 255;

/// One life of one member, as SWIM knows it.
#[derive(Clone, PartialEq, Eq, Hash, Debug, Serialize, Deserialize)]
pub struct GossipId {
    /// The Coterie member id (the key of the member table).
    pub member: u64,
    /// The UDP address the member's gossip socket is reached at.
    pub gossip_addr: SocketAddr,
    /// The `host:port` other members and clients reach the member's API at.
    pub api_addr: String,
    /// Which life of the member this is: larger is newer. The driver starts a process at
    /// the wall-clock milliseconds of its start, so a restart is always newer; foca's
    /// rejoin after a false down verdict adds one.
    pub generation: u64,
}

impl GossipId {
    /// A checked identity: the API address is not empty and at most
    /// [`MAX_API_ADDR_LEN`] bytes.
    pub fn new(
        member: u64,
        gossip_addr: SocketAddr,
        api_addr: impl Into<String>,
        generation: u64,
    ) -> Result<Self, GossipError> {
        let api_addr = api_addr.into();
        if api_addr.is_empty() || api_addr.len() > MAX_API_ADDR_LEN {
            return Err(GossipError::InvalidIdentity(format!(
                "the API address must be 1 to {MAX_API_ADDR_LEN} bytes, not {}",
                api_addr.len()
            )));
        }
        Ok(GossipId { member, gossip_addr, api_addr, generation })
    }

    /// The placeholder an announce to a seed is addressed to: only its address is known,
    /// and only its address is checked by the receiver.
    pub(crate) fn seed(gossip_addr: SocketAddr) -> Self {
        GossipId { member: 0, gossip_addr, api_addr: String::new(), generation: 0 }
    }
}

impl Identity for GossipId {
    type Addr = SocketAddr;

    fn renew(&self) -> Option<Self> {
        Some(GossipId { generation: self.generation.wrapping_add(1), ..self.clone() })
    }

    fn addr(&self) -> SocketAddr {
        self.gossip_addr
    }

    fn win_addr_conflict(&self, adversary: &Self) -> bool {
        self.generation > adversary.generation
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn id(generation: u64) -> GossipId {
        GossipId {
            member: 7,
            gossip_addr: SocketAddr::from(([127, 0, 0, 1], 7000)),
            api_addr: "127.0.0.1:8000".into(),
            generation,
        }
    }

    #[test]
    fn renew_is_a_newer_life_that_wins_the_address() {
        let old = id(5);
        let new = old.renew().unwrap();
        assert_eq!(new.generation, 6);
        assert_eq!(new.addr(), old.addr());
        assert!(new.win_addr_conflict(&old));
        assert!(!old.win_addr_conflict(&new));
    }

    #[test]
    fn api_address_is_bounded() {
        let addr = SocketAddr::from(([127, 0, 0, 1], 1));
        assert!(GossipId::new(1, addr, "", 1).is_err());
        assert!(GossipId::new(1, addr, "x".repeat(MAX_API_ADDR_LEN + 1), 1).is_err());
        assert!(GossipId::new(1, addr, "h:1", 1).is_ok());
    }
}
