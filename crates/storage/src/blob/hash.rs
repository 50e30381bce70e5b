//! A blob's name: the SHA-256 of its bytes.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use thiserror::Error;

/// The SHA-256 of a blob's bytes, which is also its name in every member's store. Shown and
/// parsed as 64 lowercase hexadecimal digits.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct BlobHash(pub [u8; 32]);

impl BlobHash {
    /// The hash of `bytes`.
    pub fn of(bytes: &[u8]) -> Self {
        BlobHash(Sha256::digest(bytes).into())
    }

    /// The 64 hexadecimal digits that name the blob.
    pub fn to_hex(&self) -> String {
        self.to_string()
    }
}

impl fmt::Display for BlobHash {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.iter().try_for_each(|byte| write!(f, "{byte:02x}"))
    }
}

impl fmt::Debug for BlobHash {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "BlobHash({self})")
    }
}

/// A string that is not 64 hexadecimal digits.
#[derive(Clone, Debug, PartialEq, Eq, Error)]
#[error("{text:?} is not a blob hash: expected 64 hexadecimal digits (a SHA-256)")]
pub struct ParseBlobHashError {
    /// What was given.
    pub text: String,
}

impl FromStr for BlobHash {
    type Err = ParseBlobHashError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let error = || ParseBlobHashError { text: s.chars().take(80).collect() };
        let digits = s.as_bytes();
        if digits.len() != 64 {
            return Err(error());
        }
        let mut out = [0u8; 32];
        for (byte, pair) in out.iter_mut().zip(digits.chunks_exact(2)) {
            let text = std::str::from_utf8(pair).map_err(|_| error())?;
            *byte = u8::from_str_radix(text, 16).map_err(|_| error())?;
        }
        Ok(BlobHash(out))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_hash_of_known_bytes_is_sha256_and_round_trips_through_hex() {
        let hash = BlobHash::of(b"abc");
        assert_eq!(hash.to_hex(), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
        assert_eq!(hash.to_hex().parse::<BlobHash>(), Ok(hash));
        assert!("ba78".parse::<BlobHash>().is_err());
        assert!("zz".repeat(32).parse::<BlobHash>().is_err());
        assert!("é".repeat(32).parse::<BlobHash>().is_err());
    }
}
