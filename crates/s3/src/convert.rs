//! HTTP-side values to the bucket's and back: bucket names, ETags (quoted in HTTP, compared
//! without quotes), HTTP dates (whole seconds, passed as the last millisecond of their
//! second, as the bucket's docs ask), byte ranges and object metadata.

use std::collections::BTreeMap;
use std::time::{Duration, SystemTime};

use coterie_core::Timestamp;
use coterie_core::kinds::bucket::{ByteRange, ByteSpan, ETag, EtagMatch, ObjectMeta};
use s3s::dto::{self, ETagCondition};
use s3s::{S3Error, S3ErrorCode};

use crate::error::s3;

/// Refuses a bucket name S3 would refuse: 3 to 63 characters from `[a-z0-9.-]`, starting and
/// ending with a letter or digit. Every such name is a valid Coterie structure name (no `@`,
/// far below the group's name limit).
pub fn check_bucket(name: &str) -> Result<(), S3Error> {
    let allowed = |c: char| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '.' || c == '-';
    let edge = |c: Option<char>| c.is_some_and(|c| c.is_ascii_lowercase() || c.is_ascii_digit());
    let ok = (3..=63).contains(&name.len())
        && name.chars().all(allowed)
        && edge(name.chars().next())
        && edge(name.chars().last());
    if ok {
        Ok(())
    } else {
        Err(s3(
            S3ErrorCode::InvalidBucketName,
            format!(
                "{name:?} is not a valid bucket name: use 3 to 63 characters from a-z, 0-9, '.' and '-', \
                 starting and ending with a letter or digit"
            ),
        ))
    }
}

/// The bucket's ETag an HTTP ETag names (its value, without quotes or `W/`).
pub fn etag(tag: &dto::ETag) -> ETag {
    ETag::new(tag.value().to_owned())
}

/// The HTTP ETag of `meta` (strong, quoted on the wire).
pub fn http_etag(meta: &ObjectMeta) -> dto::ETag {
    dto::ETag::Strong(meta.etag.as_str().to_owned())
}

/// An If-Match / If-None-Match condition as the bucket's [`EtagMatch`].
pub fn etag_match(condition: &ETagCondition) -> EtagMatch {
    match condition {
        ETagCondition::Any => EtagMatch::Any,
        ETagCondition::ETag(tag) => EtagMatch::OneOf(vec![etag(tag)]),
    }
}

/// An HTTP date as the bucket's time: the last millisecond of its second, so a client that
/// echoes the `Last-Modified` it was sent gets 304 (or no 412) for an unchanged object.
pub fn http_date(date: &dto::Timestamp) -> Timestamp {
    let date: time::OffsetDateTime = date.clone().into();
    let millis = date.unix_timestamp_nanos().div_euclid(1_000_000);
    let millis = u64::try_from(millis).unwrap_or(0);
    Timestamp(millis - millis % 1000 + 999)
}

/// The bucket's time as an S3 timestamp.
pub fn timestamp(at: Timestamp) -> dto::Timestamp {
    dto::Timestamp::from(SystemTime::UNIX_EPOCH + Duration::from_millis(at.as_millis()))
}

/// An HTTP `Range` as the bucket's [`ByteRange`] (HTTP's last byte is inclusive).
pub fn range(range: &dto::Range) -> Result<ByteRange, S3Error> {
    match *range {
        dto::Range::Int { first, last: None } => Ok(ByteRange::From { start: first }),
        dto::Range::Int { first, last: Some(last) } if last >= first => {
            Ok(ByteRange::Bounded { start: first, end: last.saturating_add(1) })
        }
        dto::Range::Int { first, last: Some(last) } => Err(s3(
            S3ErrorCode::InvalidRange,
            format!(
                "the range bytes={first}-{last} ends before it starts; ask for bytes=FIRST-LAST with FIRST <= LAST"
            ),
        )),
        dto::Range::Suffix { length } => Ok(ByteRange::Suffix { len: length }),
    }
}

/// The `Content-Range` of `span` in an object of `size` bytes.
pub fn content_range(span: ByteSpan, size: u64) -> String {
    format!("bytes {}-{}/{}", span.start, span.end.saturating_sub(1), size)
}

/// S3 user metadata (`x-amz-meta-*`) as the bucket's attributes.
pub fn attributes(metadata: Option<dto::Metadata>) -> BTreeMap<String, String> {
    metadata.map(|metadata| metadata.into_iter().collect()).unwrap_or_default()
}

/// The bucket's attributes as S3 user metadata (`None` when there are none).
pub fn metadata(meta: &ObjectMeta) -> Option<dto::Metadata> {
    (!meta.attributes.is_empty()).then(|| meta.attributes.clone().into_iter().collect())
}

/// A size as S3's signed integer (objects are far below `i64::MAX`).
pub fn size(bytes: u64) -> i64 {
    i64::try_from(bytes).unwrap_or(i64::MAX)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bucket_names_follow_s3_rules() {
        for good in ["abc", "my-bucket.2", &"a".repeat(63)] {
            assert!(check_bucket(good).is_ok(), "{good}");
        }
        for bad in ["ab", "Abc", "a_b", "-abc", "abc-", &"a".repeat(64), "a@b", ""] {
            assert!(check_bucket(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn http_dates_are_the_last_millisecond_of_their_second() {
        let at = timestamp(Timestamp(1_700_000_000_123));
        assert_eq!(http_date(&at), Timestamp(1_700_000_000_999));
    }

    #[test]
    fn inclusive_http_ranges_become_exclusive_spans() {
        let bounded = range(&dto::Range::Int { first: 2, last: Some(5) });
        assert!(matches!(bounded, Ok(ByteRange::Bounded { start: 2, end: 6 })));
        assert_eq!(content_range(ByteSpan { start: 2, end: 6 }, 10), "bytes 2-5/10");
    }
}
