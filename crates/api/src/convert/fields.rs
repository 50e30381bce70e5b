//! How one proto field becomes one core value, and back: the converters the rpc table
//! ([`super::table`]) names per field.
//!
//! Each converter is one rule read in both directions, so a server's reading of a field and
//! a client's writing of it cannot drift apart: `decode` is what the server does with a
//! request field (and the client with a response field), `encode` what the client does
//! with a command's value (and the server with an output's). `decode(encode(v)) == v` for
//! every value a command or output can hold; the round-trip property tests check it
//! through the generated conversions.

use std::time::Duration;

use coterie_core::{Fence, OwnerId};

use super::{ConvertError, owner_from_bytes, owner_to_bytes, timeout, timeout_ms};
use crate::pb;

/// One proto field of wire type `W` read as the core value `C`, and written back.
pub trait Field<W, C> {
    /// The core value of a received field, or why `operation` cannot accept it (`field`
    /// names it in the message).
    fn decode(wire: W, operation: &'static str, field: &'static str) -> Result<C, ConvertError>;

    /// The field that carries `core`.
    fn encode(core: &C) -> W;
}

/// The field is the core value unchanged.
pub struct Same;

impl<T: Clone> Field<T, T> for Same {
    fn decode(wire: T, _operation: &'static str, _field: &'static str) -> Result<T, ConvertError> {
        Ok(wire)
    }

    fn encode(core: &T) -> T {
        core.clone()
    }
}

/// An `optional` field that must be present (for example SetIfAbsent's value: null cannot
/// be set "if absent").
pub struct Required;

impl<T: Clone> Field<Option<T>, T> for Required {
    fn decode(wire: Option<T>, operation: &'static str, field: &'static str) -> Result<T, ConvertError> {
        wire.ok_or_else(|| {
            ConvertError::invalid(operation, format!("{field} is required for {operation}; null cannot be given here"))
        })
    }

    fn encode(core: &T) -> Option<T> {
        Some(core.clone())
    }
}

/// A lock owner: at most 16 big-endian bytes (see [`owner_from_bytes`]); empty is owner 0.
pub struct Owner;

impl Field<Vec<u8>, OwnerId> for Owner {
    fn decode(wire: Vec<u8>, operation: &'static str, _field: &'static str) -> Result<OwnerId, ConvertError> {
        owner_from_bytes(&wire, operation)
    }

    fn encode(core: &OwnerId) -> Vec<u8> {
        owner_to_bytes(*core)
    }
}

/// `optional uint64 timeout_ms` as an optional duration, rounded up to whole milliseconds
/// on the way out (a timeout is never shortened).
pub struct Timeout;

impl Field<Option<u64>, Option<Duration>> for Timeout {
    fn decode(
        wire: Option<u64>,
        _operation: &'static str,
        _field: &'static str,
    ) -> Result<Option<Duration>, ConvertError> {
        Ok(timeout(wire))
    }

    fn encode(core: &Option<Duration>) -> Option<u64> {
        core.map(timeout_ms)
    }
}

/// `optional uint64 permits`, one permit when absent.
pub struct OnePermitByDefault;

/// Permits taken or released when a request does not say.
const DEFAULT_PERMITS: u64 = 1;

impl Field<Option<u64>, u64> for OnePermitByDefault {
    fn decode(wire: Option<u64>, _operation: &'static str, _field: &'static str) -> Result<u64, ConvertError> {
        Ok(wire.unwrap_or(DEFAULT_PERMITS))
    }

    fn encode(core: &u64) -> Option<u64> {
        Some(*core)
    }
}

/// A fencing token as its `uint64` (or an optional one as `optional uint64`).
pub struct FenceValue;

impl Field<u64, Fence> for FenceValue {
    fn decode(wire: u64, _operation: &'static str, _field: &'static str) -> Result<Fence, ConvertError> {
        Ok(Fence(wire))
    }

    fn encode(core: &Fence) -> u64 {
        core.0
    }
}

impl Field<Option<u64>, Option<Fence>> for FenceValue {
    fn decode(
        wire: Option<u64>,
        _operation: &'static str,
        _field: &'static str,
    ) -> Result<Option<Fence>, ConvertError> {
        Ok(wire.map(Fence))
    }

    fn encode(core: &Option<Fence>) -> Option<u64> {
        core.map(|fence| fence.0)
    }
}

/// A sharded Lock's or Semaphore's owner: the id of the caller's handle (seed 000: each
/// handle has its own, a UUID drawn once), 1 to 16 big-endian bytes. Unlike a FencedLock
/// owner it is required: with no session to tell callers apart, an empty owner would make
/// every caller that forgot it the same holder.
pub struct HandleOwner;

impl Field<Vec<u8>, OwnerId> for HandleOwner {
    fn decode(wire: Vec<u8>, operation: &'static str, field: &'static str) -> Result<OwnerId, ConvertError> {
        if wire.is_empty() {
            return Err(ConvertError::invalid(
                operation,
                format!(
                    "{field} is required: each handle has its own owner id (16 random bytes, a UUID, drawn once \
                     per handle), sent with every call of that handle"
                ),
            ));
        }
        owner_from_bytes(&wire, operation)
    }

    fn encode(core: &OwnerId) -> Vec<u8> {
        owner_to_bytes(*core)
    }
}

/// A sharded Lock's holder: `optional LockHolder` as the owner and fence, absent when free.
pub struct HolderOf;

impl Field<Option<pb::LockHolder>, Option<(OwnerId, Fence)>> for HolderOf {
    fn decode(
        wire: Option<pb::LockHolder>,
        operation: &'static str,
        _field: &'static str,
    ) -> Result<Option<(OwnerId, Fence)>, ConvertError> {
        wire.map(|holder| Ok((owner_from_bytes(&holder.owner, operation)?, Fence(holder.fence)))).transpose()
    }

    fn encode(core: &Option<(OwnerId, Fence)>) -> Option<pb::LockHolder> {
        core.map(|(owner, fence)| pb::LockHolder { owner: owner_to_bytes(owner), fence: fence.0 })
    }
}

/// A sharded Semaphore's permit count, `int64` on the wire so that a negative count is
/// refused with the reason: 1 to `u32::MAX`.
pub struct PositivePermits;

impl Field<i64, u32> for PositivePermits {
    fn decode(wire: i64, operation: &'static str, field: &'static str) -> Result<u32, ConvertError> {
        match u32::try_from(wire) {
            Ok(permits) if permits > 0 => Ok(permits),
            _ => Err(ConvertError::invalid(
                operation,
                format!("{field} is {wire}; a semaphore has 1 to {} permits: give a positive count", u32::MAX),
            )),
        }
    }

    fn encode(core: &u32) -> i64 {
        i64::from(*core)
    }
}

/// A page of map entries: `repeated MapEntry` as `(key, value)` pairs, in order.
pub struct EntryList;

impl Field<Vec<pb::MapEntry>, Vec<(Vec<u8>, Vec<u8>)>> for EntryList {
    fn decode(
        wire: Vec<pb::MapEntry>,
        _operation: &'static str,
        _field: &'static str,
    ) -> Result<Vec<(Vec<u8>, Vec<u8>)>, ConvertError> {
        Ok(wire.into_iter().map(|entry| (entry.key, entry.value)).collect())
    }

    fn encode(core: &Vec<(Vec<u8>, Vec<u8>)>) -> Vec<pb::MapEntry> {
        core.iter().map(|(key, value)| pb::MapEntry { key: key.clone(), value: value.clone() }).collect()
    }
}
