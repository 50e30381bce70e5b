//! Between `object_store`'s types and the bucket's: errors (in one place, [`error`]),
//! metadata, put modes, read options and attributes.

use ::object_store::path::Path;
use ::object_store::{Attribute, Attributes, GetOptions, GetRange, ObjectMeta, PutMode, TagSet};
use coterie_core::CoreError;
use coterie_core::kinds::bucket::{ByteRange, ETag, EtagMatch, PutCondition, PutOptions, ReadConditions};
use coterie_core::types::Timestamp;

use crate::bucket::ObjectInfo;
use crate::error::ClientError;

/// The name errors give as their store.
pub(super) const STORE: &str = "Coterie";

/// A failure of ours that is not the client's (an unsupported option, a bad version).
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub(super) struct Message(pub(super) String);

fn boxed(text: impl Into<String>) -> Box<dyn std::error::Error + Send + Sync> {
    Box::new(Message(text.into()))
}

/// The `object_store` error for `err`, a failure of an operation on `path`.
///
/// Refusals of the bucket map to the variants the trait documents: a create-only write that
/// found its key ([`CoreError::AlreadyExists`]) is `AlreadyExists`; a failed ETag, version or
/// date condition ([`CoreError::PreconditionFailed`]) and a write below a newer fence
/// ([`CoreError::StaleFence`]) are `Precondition`; a current cached copy
/// ([`CoreError::NotModified`]) is `NotModified`; a missing key
/// ([`CoreError::ObjectNotFound`]) is `NotFound`. Everything else, the outcome-unknown
/// [`ClientError::Indeterminate`] included, is `Generic`, with the client's message.
pub(super) fn error(path: &str, err: ClientError) -> ::object_store::Error {
    use ::object_store::Error as E;
    let path = path.to_owned();
    match err {
        ClientError::Refused(core) => match core {
            CoreError::AlreadyExists { .. } => E::AlreadyExists { path, source: Box::new(core) },
            CoreError::PreconditionFailed { .. } | CoreError::StaleFence { .. } => {
                E::Precondition { path, source: Box::new(core) }
            }
            CoreError::NotModified { .. } => E::NotModified { path, source: Box::new(core) },
            CoreError::ObjectNotFound { .. } => E::NotFound { path, source: Box::new(core) },
            other => E::Generic { store: STORE, source: Box::new(other) },
        },
        other => E::Generic { store: STORE, source: Box::new(other) },
    }
}

/// An option this store cannot honour, refused rather than ignored.
pub(super) fn not_implemented(operation: &str) -> ::object_store::Error {
    ::object_store::Error::NotImplemented { operation: operation.to_owned(), implementer: STORE.to_owned() }
}

/// `object_store` metadata of the object `info` describes.
///
/// `version` is `None`: the trait's version names a past state that can be read back, and a
/// bucket keeps only the live one (its version number is a write counter; puts answer it so
/// that `PutMode::Update` can compare by it).
pub(super) fn meta(info: &ObjectInfo) -> Result<ObjectMeta, ::object_store::Error> {
    Ok(ObjectMeta {
        location: Path::parse(&info.key)?,
        last_modified: info.last_modified.into(),
        size: info.size,
        e_tag: Some(info.etag.clone()),
        version: None,
    })
}

/// The bucket put options for a put with `mode`, `tags` and `attributes`.
///
/// The bucket stores a content type and user attributes (`Attribute::Metadata`); other
/// attributes (cache control, content encoding, ...) and tags have no place in it, so a put
/// carrying one is refused with `NotImplemented` instead of dropping it.
pub(super) fn put_options(
    path: &str,
    mode: &PutMode,
    tags: &TagSet,
    attributes: &Attributes,
) -> Result<PutOptions, ::object_store::Error> {
    let condition = match mode {
        PutMode::Overwrite => PutCondition::Overwrite,
        PutMode::Create => PutCondition::CreateOnly,
        PutMode::Update(update) => match (&update.e_tag, &update.version) {
            (Some(etag), _) => PutCondition::IfMatch(ETag::new(etag.as_str())),
            (None, Some(version)) => {
                PutCondition::IfVersion(version.parse().map_err(|_| ::object_store::Error::Precondition {
                    path: path.to_owned(),
                    source: boxed(format!("{version:?} is not a version this store wrote")),
                })?)
            }
            (None, None) => {
                return Err(::object_store::Error::Generic {
                    store: STORE,
                    source: boxed("PutMode::Update needs an ETag or a version"),
                });
            }
        },
    };
    if !tags.encoded().is_empty() {
        return Err(not_implemented("put with tags"));
    }
    let mut options = PutOptions { condition, ..PutOptions::default() };
    for (attribute, value) in attributes {
        match attribute {
            Attribute::ContentType => options.content_type = Some(value.as_ref().to_owned()),
            Attribute::Metadata(name) => {
                options.attributes.insert(name.to_string(), value.as_ref().to_owned());
            }
            other => return Err(not_implemented(&format!("put with attribute {other:?}"))),
        }
    }
    Ok(options)
}

/// The attributes of the object `info` describes (its content type and user attributes).
pub(super) fn attributes(info: &ObjectInfo) -> Attributes {
    let mut attributes = Attributes::new();
    if let Some(content_type) = &info.content_type {
        attributes.insert(Attribute::ContentType, content_type.clone().into());
    }
    for (name, value) in &info.attributes {
        attributes.insert(Attribute::Metadata(name.clone().into()), value.clone().into());
    }
    attributes
}

fn tags(list: &str) -> EtagMatch {
    if list.trim() == "*" {
        return EtagMatch::Any;
    }
    EtagMatch::OneOf(list.split(',').map(|tag| ETag::new(tag.trim())).collect())
}

/// A date given in milliseconds since the epoch (dates before 1970 are the epoch).
fn timestamp(millis: i64) -> Timestamp {
    Timestamp(u64::try_from(millis).unwrap_or(0))
}

/// The bucket's read conditions for `options`.
pub(super) fn read_conditions(options: &GetOptions) -> ReadConditions {
    ReadConditions {
        if_match: options.if_match.as_deref().map(tags),
        if_none_match: options.if_none_match.as_deref().map(tags),
        if_modified_since: options.if_modified_since.map(|date| timestamp(date.timestamp_millis())),
        if_unmodified_since: options.if_unmodified_since.map(|date| timestamp(date.timestamp_millis())),
    }
}

/// The bucket's byte range for `range`.
pub(super) fn byte_range(range: &GetRange) -> ByteRange {
    match range {
        GetRange::Bounded(range) => ByteRange::Bounded { start: range.start, end: range.end },
        GetRange::Offset(start) => ByteRange::From { start: *start },
        GetRange::Suffix(len) => ByteRange::Suffix { len: *len },
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, reason = "test code: a failure should panic")]

    use ::object_store::{Error, UpdateVersion};
    use coterie_core::PreconditionReason;

    use super::*;

    #[test]
    fn refusals_map_to_the_variants_the_trait_documents() {
        let refused = |core| error("k", ClientError::Refused(core));
        let key = || "k".to_owned();
        assert!(
            matches!(refused(CoreError::AlreadyExists { key: key() }), Error::AlreadyExists { path, .. } if path == "k")
        );
        let failed = CoreError::PreconditionFailed { key: key(), reason: PreconditionReason::Absent };
        assert!(matches!(refused(failed), Error::Precondition { .. }));
        let stale = CoreError::StaleFence { key: key(), presented: 1, highest: 2 };
        assert!(matches!(refused(stale), Error::Precondition { .. }));
        let current = CoreError::NotModified { key: key(), etag: "e".into(), last_modified: Timestamp(1) };
        assert!(matches!(refused(current), Error::NotModified { .. }));
        assert!(matches!(refused(CoreError::ObjectNotFound { key: key() }), Error::NotFound { .. }));
        assert!(matches!(refused(CoreError::RangeNotSatisfiable { key: key(), size: 3 }), Error::Generic { .. }));
        let lost = ClientError::Indeterminate { waited_ms: 1, last: "timeout".into() };
        assert!(matches!(error("k", lost), Error::Generic { .. }));
    }

    #[test]
    fn put_modes_become_bucket_conditions() {
        let none = (TagSet::default(), Attributes::new());
        let condition = |mode: PutMode| put_options("k", &mode, &none.0, &none.1).map(|options| options.condition);
        assert_eq!(condition(PutMode::Overwrite).unwrap(), PutCondition::Overwrite);
        assert_eq!(condition(PutMode::Create).unwrap(), PutCondition::CreateOnly);
        let both = UpdateVersion { e_tag: Some("e1".into()), version: Some("7".into()) };
        assert_eq!(condition(PutMode::Update(both)).unwrap(), PutCondition::IfMatch(ETag::new("e1")));
        let version = UpdateVersion { e_tag: None, version: Some("7".into()) };
        assert_eq!(condition(PutMode::Update(version)).unwrap(), PutCondition::IfVersion(7));
        let foreign = UpdateVersion { e_tag: None, version: Some("v-abc".into()) };
        assert!(matches!(condition(PutMode::Update(foreign)), Err(Error::Precondition { .. })));
        let mut tags = TagSet::default();
        tags.push("team", "a");
        assert!(matches!(put_options("k", &PutMode::Overwrite, &tags, &none.1), Err(Error::NotImplemented { .. })));
    }

    #[test]
    fn etag_lists_and_ranges_convert() {
        let options = GetOptions::new().with_if_match(Some("a, b")).with_if_none_match(Some("*"));
        let conditions = read_conditions(&options);
        assert_eq!(conditions.if_match, Some(EtagMatch::OneOf(vec![ETag::new("a"), ETag::new("b")])));
        assert_eq!(conditions.if_none_match, Some(EtagMatch::Any));
        assert_eq!(byte_range(&GetRange::Bounded(2..5)), ByteRange::Bounded { start: 2, end: 5 });
        assert_eq!(byte_range(&GetRange::Offset(3)), ByteRange::From { start: 3 });
        assert_eq!(byte_range(&GetRange::Suffix(2)), ByteRange::Suffix { len: 2 });
    }
}
