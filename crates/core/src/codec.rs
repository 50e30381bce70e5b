//! The one place that turns core values into bytes and back.
//!
//! Every encoded value starts with a format version byte, so that a snapshot or command
//! written today can be recognised (and refused with a clear error, or migrated) by a
//! later release. The body is postcard: compact, deterministic and serde-driven.

use serde::Serialize;
use serde::de::DeserializeOwned;

use crate::error::CoreError;

/// The format version written in front of every encoded value.
///
/// 3: errors recorded in replicated state carry structured reasons
/// ([`InvalidReason`](crate::InvalidReason), [`NameProblem`](crate::NameProblem),
/// [`NotOwnerReason`](crate::NotOwnerReason)) instead of prose, and calls are deduplicated
/// by client id ([`crate::dedup`]) instead of in per-session windows.
///
/// Variants appended at the end of an enum (the `Bucket` kind, its commands and outputs, the
/// object errors and reasons) do not change it: postcard writes a variant as its index, so
/// every value an earlier build of version 3 wrote decodes unchanged. Only bytes that use a
/// new variant need a build that knows it, and an older build refuses them as malformed
/// instead of misreading them. Reordering, removing or changing a variant needs a new version.
pub const FORMAT_VERSION: u8 = 3;

/// Encodes `value` as `[FORMAT_VERSION, postcard bytes...]`.
pub fn encode<T: Serialize + ?Sized>(value: &T) -> Result<Vec<u8>, CoreError> {
    let mut out = vec![FORMAT_VERSION];
    postcard::to_io(value, &mut out).map_err(|err| CoreError::malformed("value to encode", err.to_string()))?;
    Ok(out)
}

/// Decodes bytes written by [`encode`], refusing other format versions and trailing bytes.
/// `what` names the value in the error ("command", "snapshot", ...).
pub fn decode<T: DeserializeOwned>(bytes: &[u8], what: &'static str) -> Result<T, CoreError> {
    let (&version, body) = bytes.split_first().ok_or_else(|| CoreError::malformed(what, "empty input"))?;
    if version != FORMAT_VERSION {
        return Err(CoreError::malformed(
            what,
            format!("format version {version} is not supported (this build reads version {FORMAT_VERSION})"),
        ));
    }
    let (value, rest) = postcard::take_from_bytes(body).map_err(|err| CoreError::malformed(what, err.to_string()))?;
    if !rest.is_empty() {
        return Err(CoreError::malformed(what, format!("{} trailing bytes after the value", rest.len())));
    }
    Ok(value)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_and_refuses_bad_input() {
        let bytes = encode(&(7u64, "x".to_owned())).unwrap();
        assert_eq!(bytes[0], FORMAT_VERSION);
        let back: (u64, String) = decode(&bytes, "pair").unwrap();
        assert_eq!(back, (7, "x".to_owned()));

        let empty = decode::<u64>(&[], "pair").unwrap_err();
        assert!(matches!(empty, CoreError::Malformed { ref what, .. } if what == "pair"));

        let mut future = bytes.clone();
        future[0] = FORMAT_VERSION + 1;
        let err = decode::<(u64, String)>(&future, "pair").unwrap_err();
        assert!(err.to_string().contains("not supported"), "{err}");

        let mut trailing = bytes;
        trailing.push(0);
        let err = decode::<(u64, String)>(&trailing, "pair").unwrap_err();
        assert!(err.to_string().contains("trailing"), "{err}");
    }
}
