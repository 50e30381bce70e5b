//! Conditional reads and byte ranges, in the order RFC 7232 §6 (and S3) evaluate them.

use super::command::{ByteRange, ByteSpan, ReadConditions};
use super::meta::ObjectMeta;
use crate::error::{CoreError, InvalidReason, PreconditionReason};

/// Evaluates `conditions` against the live object `meta` under `key`.
///
/// 1. If-Match: no match → precondition failed (and If-Unmodified-Since is not looked at);
/// 2. otherwise If-Unmodified-Since: modified after it → precondition failed;
/// 3. If-None-Match: a match → not modified (and If-Modified-Since is not looked at);
/// 4. otherwise If-Modified-Since: not modified after it → not modified.
pub(crate) fn check_conditions(key: &str, meta: &ObjectMeta, conditions: &ReadConditions) -> Result<(), CoreError> {
    let failed = |reason| Err(CoreError::PreconditionFailed { key: key.to_owned(), reason });
    let not_modified = || {
        Err(CoreError::NotModified {
            key: key.to_owned(),
            etag: meta.etag.as_str().to_owned(),
            last_modified: meta.last_modified,
        })
    };
    match (&conditions.if_match, conditions.if_unmodified_since) {
        (Some(tags), _) if !tags.matches(&meta.etag) => {
            return failed(PreconditionReason::EtagMismatch { current: meta.etag.as_str().to_owned() });
        }
        (None, Some(since)) if meta.last_modified > since => {
            return failed(PreconditionReason::ModifiedSince { since, last_modified: meta.last_modified });
        }
        _ => {}
    }
    match (&conditions.if_none_match, conditions.if_modified_since) {
        (Some(tags), _) if tags.matches(&meta.etag) => not_modified(),
        (None, Some(since)) if meta.last_modified <= since => not_modified(),
        _ => Ok(()),
    }
}

/// Resolves `range` against an object of `size` bytes under `key`.
pub(crate) fn resolve_range(key: &str, size: u64, range: ByteRange) -> Result<ByteSpan, CoreError> {
    let unsatisfiable = || CoreError::RangeNotSatisfiable { key: key.to_owned(), size };
    match range {
        ByteRange::Bounded { start, end } if end <= start => {
            Err(CoreError::invalid("get", InvalidReason::RangeReversed { start, end }))
        }
        ByteRange::Bounded { start, .. } | ByteRange::From { start } if start >= size => Err(unsatisfiable()),
        ByteRange::Bounded { start, end } => Ok(ByteSpan { start, end: end.min(size) }),
        ByteRange::From { start } => Ok(ByteSpan { start, end: size }),
        ByteRange::Suffix { len } if len == 0 || size == 0 => Err(unsatisfiable()),
        ByteRange::Suffix { len } => Ok(ByteSpan { start: size.saturating_sub(len), end: size }),
    }
}
