//! Typed values over byte-valued structures.
//!
//! Map keys, set members, queue items and atomic references are bytes on the server. A
//! [`Value`] says how one Rust type becomes those bytes. Byte strings and UTF-8 strings map
//! to their raw bytes, so that keys written by other languages (or typed on a command line)
//! are the same keys; any other serde type is encoded with postcard, which is compact and
//! deterministic: equal values give equal bytes, which compare-and-set and set membership
//! depend on.

use serde::Serialize;
use serde::de::DeserializeOwned;
use thiserror::Error;

/// A value could not be turned into stored bytes, or stored bytes into a value.
#[derive(Clone, Debug, Error, PartialEq, Eq)]
pub enum ValueError {
    /// Stored bytes do not decode as the requested type.
    #[error("stored bytes are not a valid {type_name}: {reason}; was this value written with another type?")]
    Decode {
        /// The Rust type that was asked for.
        type_name: &'static str,
        /// What the decoder found wrong.
        reason: String,
    },
    /// The value's `Serialize` implementation refused to encode it.
    #[error("cannot encode this {type_name}: {reason}")]
    Encode {
        /// The Rust type being stored.
        type_name: &'static str,
        /// What the encoder found wrong.
        reason: String,
    },
}

/// A type that can be stored in a Coterie structure.
pub trait Value: Sized {
    /// The bytes stored for this value.
    fn to_bytes(&self) -> Result<Vec<u8>, ValueError>;

    /// Reads a value back from stored bytes.
    fn from_bytes(bytes: &[u8]) -> Result<Self, ValueError>;
}

impl Value for Vec<u8> {
    fn to_bytes(&self) -> Result<Vec<u8>, ValueError> {
        Ok(self.clone())
    }

    fn from_bytes(bytes: &[u8]) -> Result<Self, ValueError> {
        Ok(bytes.to_vec())
    }
}

impl Value for String {
    fn to_bytes(&self) -> Result<Vec<u8>, ValueError> {
        Ok(self.as_bytes().to_vec())
    }

    fn from_bytes(bytes: &[u8]) -> Result<Self, ValueError> {
        String::from_utf8(bytes.to_vec())
            .map_err(|err| ValueError::Decode { type_name: "String", reason: err.to_string() })
    }
}

/// Any serde type, encoded with postcard.
///
/// Wrap a value in `Serde` to store it: `map.put(Serde(user))`. Strings and byte vectors
/// implement [`Value`] directly with their raw bytes instead.
#[derive(Clone, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Serde<T>(pub T);

impl<T: Serialize + DeserializeOwned> Value for Serde<T> {
    fn to_bytes(&self) -> Result<Vec<u8>, ValueError> {
        postcard::to_allocvec(&self.0)
            .map_err(|err| ValueError::Encode { type_name: std::any::type_name::<T>(), reason: err.to_string() })
    }

    fn from_bytes(bytes: &[u8]) -> Result<Self, ValueError> {
        postcard::from_bytes(bytes)
            .map(Serde)
            .map_err(|err| ValueError::Decode { type_name: std::any::type_name::<T>(), reason: err.to_string() })
    }
}

#[cfg(test)]
mod tests {
    use serde::Deserialize;

    use super::*;

    #[derive(Debug, PartialEq, Serialize, Deserialize)]
    struct User {
        name: String,
        email: String,
    }

    #[test]
    fn strings_and_bytes_are_stored_raw() {
        assert_eq!("alice".to_owned().to_bytes().unwrap(), b"alice");
        assert_eq!(String::from_bytes(b"alice"), Ok("alice".to_owned()));
        assert_eq!(Vec::<u8>::from_bytes(&[0, 255]), Ok(vec![0, 255]));
        let err = String::from_bytes(&[0xff, 0xfe]).unwrap_err();
        assert!(err.to_string().contains("not a valid String"), "{err}");
    }

    #[test]
    fn serde_values_round_trip_and_equal_values_give_equal_bytes() {
        let user = Serde(User { name: "Alice".into(), email: "alice@example.com".into() });
        let bytes = user.to_bytes().unwrap();
        assert_eq!(Serde::<User>::from_bytes(&bytes), Ok(user));
        assert_eq!(Serde(42u64).to_bytes().unwrap(), Serde(42u64).to_bytes().unwrap());
        let err = Serde::<User>::from_bytes(&[3, b'a']).unwrap_err();
        assert!(matches!(&err, ValueError::Decode { type_name, .. } if type_name.ends_with("User")), "{err}");

        // A Serialize that refuses (here: a sequence of unknown length) is an error, not empty bytes.
        struct Unsized;
        impl Serialize for Unsized {
            fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                use serde::ser::SerializeSeq;
                s.serialize_seq(None)?.end()
            }
        }
        impl<'de> Deserialize<'de> for Unsized {
            fn deserialize<D: serde::Deserializer<'de>>(_: D) -> Result<Self, D::Error> {
                Ok(Unsized)
            }
        }
        assert!(matches!(Serde(Unsized).to_bytes(), Err(ValueError::Encode { .. })));
    }
}
