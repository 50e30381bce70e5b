//! The errors storage can fail with.
//!
//! Each message says what went wrong and what the operator or the caller can do about it:
//! a storage error usually stops a Raft node, so the message is what ends up in the log that
//! someone reads to bring the node back.

use std::fmt::Display;

use thiserror::Error;

use crate::FORMAT_VERSION;

/// An error from a [`LogStore`](crate::LogStore).
#[derive(Clone, Debug, PartialEq, Eq, Error)]
pub enum StorageError {
    /// The database refused an operation (I/O error, full disk, file locked, ...).
    #[error(
        "storage failed to {operation}: {reason}; check that the disk has free space, that the \
         database file is readable and writable by this process, and that no other process has it open"
    )]
    Database {
        /// What storage was doing, phrased to follow "failed to".
        operation: &'static str,
        /// The database's own description of the failure.
        reason: String,
    },
    /// Entries to append do not continue the log.
    #[error(
        "log entry index {got} does not continue the log (expected index {expected}); append only \
         entries that directly follow the last one, truncating conflicting entries first"
    )]
    NonContiguous {
        /// The index the next entry must have.
        expected: u64,
        /// The index it had.
        got: u64,
    },
    /// A stored record cannot be decoded.
    #[error(
        "stored {what} is corrupt: {reason}; this node's storage is damaged: restore it from a backup \
         or rebuild the node from its peers"
    )]
    Corrupt {
        /// The kind of record ("log entry", "vote", ...).
        what: &'static str,
        /// What was wrong with it.
        reason: String,
    },
    /// A stored record was written in a format version this build does not read.
    #[error(
        "stored {what} has format version {version}, but this build reads only version {FORMAT_VERSION}; \
         run a Coterie release that supports that version (the data was probably written by a newer one)"
    )]
    UnsupportedFormat {
        /// The kind of record ("log entry", "vote", ...).
        what: &'static str,
        /// The version byte found in front of the record.
        version: u8,
    },
}

impl StorageError {
    /// Wraps a database error (redb has one error type per operation) with what storage was
    /// doing when it happened.
    pub(crate) fn database<E: Display>(operation: &'static str) -> impl FnOnce(E) -> StorageError {
        move |err| StorageError::Database { operation, reason: err.to_string() }
    }
}
