//! How stored values are turned into bytes and back.
//!
//! Every stored value (log entry, vote, committed id, purged id, snapshot meta and data) is
//! `[FORMAT_VERSION, postcard bytes...]`, the same convention as `coterie_core::codec`: a
//! file written today can be recognised by a later release, which can refuse it with a clear
//! error or migrate it, instead of misreading it.

use serde::Serialize;
use serde::de::DeserializeOwned;

pub use crate::FORMAT_VERSION;
use crate::error::StorageError;

/// Encodes `value` as `[FORMAT_VERSION, postcard bytes...]`. `what` names the value in errors.
pub fn encode<T: Serialize + ?Sized>(value: &T, what: &'static str) -> Result<Vec<u8>, StorageError> {
    let mut out = vec![FORMAT_VERSION];
    postcard::to_io(value, &mut out)
        .map_err(|err| StorageError::Corrupt { what, reason: format!("cannot be encoded: {err}") })?;
    Ok(out)
}

/// Decodes bytes written by [`encode`]. An unknown version byte gives
/// [`StorageError::UnsupportedFormat`]; anything else that does not decode, including trailing
/// bytes, gives [`StorageError::Corrupt`]. `what` names the value in errors.
pub fn decode<T: DeserializeOwned>(bytes: &[u8], what: &'static str) -> Result<T, StorageError> {
    let (&version, body) =
        bytes.split_first().ok_or_else(|| StorageError::Corrupt { what, reason: "the record is empty".to_owned() })?;
    if version != FORMAT_VERSION {
        return Err(StorageError::UnsupportedFormat { what, version });
    }
    let (value, rest) =
        postcard::take_from_bytes(body).map_err(|err| StorageError::Corrupt { what, reason: err.to_string() })?;
    if !rest.is_empty() {
        return Err(StorageError::Corrupt { what, reason: format!("{} trailing bytes after the value", rest.len()) });
    }
    Ok(value)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_and_refuses_bad_input() {
        let bytes = encode(&(7u64, vec![1u8, 2, 3]), "pair").unwrap();
        assert_eq!(bytes[0], FORMAT_VERSION);
        let back: (u64, Vec<u8>) = decode(&bytes, "pair").unwrap();
        assert_eq!(back, (7, vec![1, 2, 3]));

        assert!(matches!(decode::<u64>(&[], "pair"), Err(StorageError::Corrupt { what: "pair", .. })));

        let mut future = bytes.clone();
        future[0] = 99;
        let err = decode::<(u64, Vec<u8>)>(&future, "pair").unwrap_err();
        assert_eq!(err, StorageError::UnsupportedFormat { what: "pair", version: 99 });
        assert!(err.to_string().contains("format version 99"), "{err}");

        let mut trailing = bytes.clone();
        trailing.push(0);
        let err = decode::<(u64, Vec<u8>)>(&trailing, "pair").unwrap_err();
        assert!(err.to_string().contains("trailing"), "{err}");

        let err = decode::<(u64, Vec<u8>)>(&bytes[..bytes.len() - 1], "pair").unwrap_err();
        assert!(matches!(err, StorageError::Corrupt { what: "pair", .. }), "{err}");
    }
}
