//! The client's identity: one [`ClientId`] per client instance, drawn at random.
//!
//! The core never draws randomness (replicas must agree on every value), so the id is made
//! here, once, when a [`Client`](crate::Client) is created, and sent with every request that
//! the group deduplicates by client (today: opening a session). 128 random bits from the
//! operating system's generator make a collision between two clients practically
//! impossible without any coordination. Should the generator fail (it does not on the
//! platforms Coterie runs on), the id is hashed from std's randomly keyed hasher, the time,
//! the process id and a counter instead: weaker, still unique in practice, and better than
//! refusing to create a client.

use std::hash::{BuildHasher, Hasher, RandomState};
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{SystemTime, UNIX_EPOCH};

use coterie_core::ClientId;

/// A fresh random client id.
pub(crate) fn draw() -> ClientId {
    let mut bytes = [0u8; 16];
    loop {
        let drawn = match getrandom::fill(&mut bytes) {
            Ok(()) => ClientId::from_bytes(&bytes),
            Err(_) => ClientId::new(fallback()),
        };
        // Zero is not an id; drawing it is a 2^-128 event, so simply draw again.
        if let Some(id) = drawn {
            return id;
        }
    }
}

/// 128 bits from std's randomly keyed SipHash over the time, the process and a counter.
fn fallback() -> u128 {
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let nanos = SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |d| d.as_nanos());
    let count = COUNTER.fetch_add(1, Ordering::Relaxed);
    let half = |salt: u8| {
        let mut hasher = RandomState::new().build_hasher();
        hasher.write_u8(salt);
        hasher.write_u128(nanos);
        hasher.write_u32(std::process::id());
        hasher.write_u64(count);
        hasher.finish()
    };
    (u128::from(half(0)) << 64) | u128::from(half(1))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_drawn_fresh_and_never_zero() {
        let ids: std::collections::BTreeSet<ClientId> = (0..64).map(|_| draw()).collect();
        assert_eq!(ids.len(), 64);
        let fallbacks: std::collections::BTreeSet<u128> = (0..64).map(|_| fallback()).collect();
        assert_eq!(fallbacks.len(), 64);
    }
}
