//! What a put writes besides its bytes, shared by every face that writes objects (the Rust
//! client, the server's object store, the S3 gateway), so each passes the same options.

use std::collections::BTreeMap;
use std::time::Duration;

use super::command::PutCondition;
use super::meta::ETag;

/// How a put writes: its condition and the metadata it stores with the bytes.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PutOptions {
    /// When the put may replace what is under its key (default: always).
    pub condition: PutCondition,
    /// The MIME type.
    pub content_type: Option<String>,
    /// User attributes.
    pub attributes: BTreeMap<String, String>,
    /// Expire the object this long after the write (by the cluster's clock).
    pub ttl: Option<Duration>,
    /// Refuse the write if the key has seen a higher fence (a stale lock holder's write).
    pub if_fence_at_least: Option<u64>,
}

impl Default for PutOptions {
    fn default() -> Self {
        PutOptions {
            condition: PutCondition::Overwrite,
            content_type: None,
            attributes: BTreeMap::new(),
            ttl: None,
            if_fence_at_least: None,
        }
    }
}

impl PutOptions {
    /// Only if the key has no live object (S3's `If-None-Match: *`).
    pub fn create_only() -> Self {
        PutOptions { condition: PutCondition::CreateOnly, ..PutOptions::default() }
    }

    /// Only if the live object's ETag is `etag` (compare-and-swap).
    pub fn if_match(etag: &str) -> Self {
        PutOptions { condition: PutCondition::IfMatch(ETag::new(etag)), ..PutOptions::default() }
    }

    /// Only if the live object's version is `version`.
    pub fn if_version(version: u64) -> Self {
        PutOptions { condition: PutCondition::IfVersion(version), ..PutOptions::default() }
    }

    /// These options with a TTL.
    pub fn with_ttl(mut self, ttl: Duration) -> Self {
        self.ttl = Some(ttl);
        self
    }

    /// These options with a content type.
    pub fn with_content_type(mut self, content_type: &str) -> Self {
        self.content_type = Some(content_type.to_owned());
        self
    }

    /// These options refusing the write below fence `fence`.
    pub fn with_fence(mut self, fence: u64) -> Self {
        self.if_fence_at_least = Some(fence);
        self
    }
}
