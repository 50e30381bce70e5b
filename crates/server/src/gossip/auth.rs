//! Gossip datagrams authenticated with the cluster secret: HMAC-SHA256 (RFC 2104) over a
//! domain tag and the datagram, truncated to 16 bytes and appended.
//!
//! Without it, anyone who reaches the UDP port can make a member believe in made-up
//! members, or declare a real one down. With [`crate::NodeConfig::cluster_secret`] set, a
//! datagram without the right tag is dropped (and counted) before foca reads a byte of it.
//! What it does not do: hide the contents, or stop a replay of a captured datagram within
//! its usefulness (SWIM messages carry incarnations and probe numbers, so a replay is stale
//! news foca ignores, at worst an ack for a probe long over).

use sha2::{Digest, Sha256};

/// The bytes of tag appended to each datagram (128 bits of HMAC-SHA256).
pub const TAG_LEN: usize = 16;

const BLOCK: usize = 64;
/// Binds the tag to gossip, so a MAC computed with the same secret elsewhere is no gossip tag.
const DOMAIN: &[u8] = b"coterie-gossip-v1\0";

/// Seals and opens datagrams with one secret.
#[derive(Clone)]
pub(crate) struct Sealer {
    ipad: [u8; BLOCK],
    opad: [u8; BLOCK],
}

impl std::fmt::Debug for Sealer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Sealer(<secret>)")
    }
}

impl Sealer {
    /// A sealer for `secret`.
    pub(crate) fn new(secret: &[u8]) -> Self {
        let mut key = [0u8; BLOCK];
        if secret.len() > BLOCK {
            key[..32].copy_from_slice(&Sha256::digest(secret));
        } else {
            key[..secret.len()].copy_from_slice(secret);
        }
        Sealer { ipad: key.map(|b| b ^ 0x36), opad: key.map(|b| b ^ 0x5c) }
    }

    /// HMAC-SHA256 of the concatenation of `parts`.
    fn mac(&self, parts: &[&[u8]]) -> [u8; 32] {
        let inner = parts.iter().fold(Sha256::new().chain_update(self.ipad), |h, part| h.chain_update(part)).finalize();
        Sha256::new().chain_update(self.opad).chain_update(inner).finalize().into()
    }

    fn tag(&self, data: &[u8]) -> [u8; TAG_LEN] {
        let mac = self.mac(&[DOMAIN, data]);
        let mut tag = [0u8; TAG_LEN];
        tag.copy_from_slice(&mac[..TAG_LEN]);
        tag
    }

    /// Appends the tag of `data` to it.
    pub(crate) fn seal(&self, data: &mut Vec<u8>) {
        let tag = self.tag(data);
        data.extend_from_slice(&tag);
    }

    /// The datagram without its tag, if the tag is right.
    pub(crate) fn open<'a>(&self, datagram: &'a [u8]) -> Option<&'a [u8]> {
        let split = datagram.len().checked_sub(TAG_LEN)?;
        let (data, tag) = datagram.split_at(split);
        // Constant time: every byte is compared whatever the first difference.
        let diff = self.tag(data).iter().zip(tag).fold(0u8, |acc, (a, b)| acc | (a ^ b));
        (diff == 0).then_some(data)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_sealed_datagram_opens_only_with_the_same_secret_and_unchanged() {
        let sealer = Sealer::new(b"a secret of sixteen+");
        let mut datagram = b"hello".to_vec();
        sealer.seal(&mut datagram);
        assert_eq!(datagram.len(), 5 + TAG_LEN);
        assert_eq!(sealer.open(&datagram), Some(&b"hello"[..]));
        assert_eq!(Sealer::new(b"another secret!!").open(&datagram), None);
        let mut tampered = datagram.clone();
        tampered[0] ^= 1;
        assert_eq!(sealer.open(&tampered), None);
        assert_eq!(sealer.open(&datagram[..TAG_LEN - 1]), None);
        assert_eq!(sealer.open(b""), None);
        // A long secret is hashed first, as HMAC says.
        let long = Sealer::new(&[7u8; 100]);
        let mut datagram = b"x".to_vec();
        long.seal(&mut datagram);
        assert!(long.open(&datagram).is_some());
    }

    #[test]
    fn the_mac_is_hmac_sha256() {
        // RFC 4231, test case 2.
        let mac = Sealer::new(b"Jefe").mac(&[b"what do ya ", b"want for nothing?"]);
        let hex: String = mac.iter().map(|b| format!("{b:02x}")).collect();
        assert_eq!(hex, "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
    }
}
