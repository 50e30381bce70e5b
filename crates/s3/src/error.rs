//! The gateway's errors: its own ([`GatewayError`], for starting it) and how a failed object
//! operation becomes an S3 error ([`s3_error`]).
//!
//! Every S3 error carries a message saying what was wrong and what to do: the object
//! store's own message where it has one (they already say both), or one written here.

use std::net::SocketAddr;

use coterie_core::{CoreError, EngineError};
use coterie_server::object::{BlobsError, ObjectError};
use coterie_storage::blob::BlobError;
use s3s::{S3Error, S3ErrorCode};
use thiserror::Error;

/// Why the gateway could not start.
#[derive(Debug, Error)]
pub enum GatewayError {
    /// No access key or secret key was configured.
    #[error(
        "the S3 gateway needs an access key and a secret key: give --s3-access-key and --s3-secret-key \
         (or COTERIE_S3_ACCESS_KEY and COTERIE_S3_SECRET_KEY)"
    )]
    MissingCredentials,
    /// The address could not be bound.
    #[error("the S3 gateway cannot listen on {address}: {source}; choose a free address for --s3")]
    Bind {
        /// The address.
        address: SocketAddr,
        /// The OS's reason.
        source: std::io::Error,
    },
    /// The listener's address could not be read.
    #[error("the S3 gateway's listener has no address: {0}")]
    Listen(std::io::Error),
}

/// An S3 error with `code` and `message`.
pub fn s3(code: S3ErrorCode, message: impl Into<String>) -> S3Error {
    S3Error::with_message(code, message.into())
}

/// The S3 error for a failed object operation.
pub fn s3_error(err: &ObjectError) -> S3Error {
    let message = err.to_string();
    let code = match err {
        ObjectError::Engine(engine) => return engine_error(engine),
        ObjectError::Blobs(BlobsError::Store(BlobError::OutOfRange { .. })) => S3ErrorCode::InvalidRange,
        ObjectError::Blobs(_) => S3ErrorCode::ServiceUnavailable,
        ObjectError::TooLarge { .. } => S3ErrorCode::EntityTooLarge,
        ObjectError::Body(_) => S3ErrorCode::IncompleteBody,
        ObjectError::Unexpected(_) => S3ErrorCode::InternalError,
    };
    s3(code, message)
}

/// The S3 error for an engine's refusal.
pub fn engine_error(err: &EngineError) -> S3Error {
    match err {
        EngineError::Core(core) => core_error(core),
        EngineError::Redirect { .. } => s3(
            S3ErrorCode::ServiceUnavailable,
            format!(
                "the bucket group's leader is changing and this gateway's member could not forward the request \
                 to it ({err}); retry shortly (S3 clients retry 503)"
            ),
        ),
        _ => s3(S3ErrorCode::ServiceUnavailable, format!("{err}; retry the request")),
    }
}

/// The S3 error for a structure's refusal.
pub fn core_error(err: &CoreError) -> S3Error {
    let message = err.to_string();
    let code = match err {
        // A create-only write (If-None-Match: *, copy-if-not-exists) whose key exists: S3
        // answers 412 for both.
        CoreError::AlreadyExists { .. } | CoreError::PreconditionFailed { .. } | CoreError::StaleFence { .. } => {
            S3ErrorCode::PreconditionFailed
        }
        CoreError::NotModified { .. } => S3ErrorCode::NotModified,
        CoreError::ObjectNotFound { .. } => S3ErrorCode::NoSuchKey,
        CoreError::RangeNotSatisfiable { .. } => S3ErrorCode::InvalidRange,
        // A body that took longer than the upload window: S3's answer to a slow upload.
        CoreError::UploadExpired { .. } => S3ErrorCode::RequestTimeout,
        CoreError::InvalidName { .. } => S3ErrorCode::InvalidBucketName,
        CoreError::WrongKind { .. } => S3ErrorCode::InvalidBucketName,
        CoreError::ValueTooLarge { .. } => S3ErrorCode::EntityTooLarge,
        CoreError::InvalidArgument { .. } | CoreError::Malformed { .. } => S3ErrorCode::InvalidArgument,
        _ => S3ErrorCode::InvalidRequest,
    };
    s3(code, message)
}

#[cfg(test)]
mod tests {
    use coterie_core::PreconditionReason;

    use super::*;

    fn code(err: CoreError) -> S3ErrorCode {
        core_error(&err).code().clone()
    }

    #[test]
    fn refusals_become_the_s3_codes_clients_expect() {
        let key = "k".to_owned();
        assert_eq!(code(CoreError::AlreadyExists { key: key.clone() }), S3ErrorCode::PreconditionFailed);
        let mismatch = PreconditionReason::EtagMismatch { current: "e".to_owned() };
        assert_eq!(
            code(CoreError::PreconditionFailed { key: key.clone(), reason: mismatch }),
            S3ErrorCode::PreconditionFailed
        );
        let not_modified = CoreError::NotModified {
            key: key.clone(),
            etag: "e".to_owned(),
            last_modified: coterie_core::Timestamp(0),
        };
        assert_eq!(code(not_modified), S3ErrorCode::NotModified);
        assert_eq!(code(CoreError::ObjectNotFound { key: key.clone() }), S3ErrorCode::NoSuchKey);
        assert_eq!(code(CoreError::RangeNotSatisfiable { key, size: 3 }), S3ErrorCode::InvalidRange);
    }

    #[test]
    fn a_leader_that_could_not_be_reached_is_a_503_naming_it() {
        let redirect = EngineError::Redirect { member: Some(2), address: Some("127.0.0.1:7102".to_owned()) };
        let err = engine_error(&redirect);
        assert_eq!(*err.code(), S3ErrorCode::ServiceUnavailable);
        let message = err.message().unwrap_or_default();
        assert!(message.contains("leader") && message.contains("member 2"), "{message}");
    }
}
