//! Errors of a node.

use coterie_core::{ConfigError, CoreError};
use coterie_storage::StorageError;
use thiserror::Error;

/// Why a node could not open, journal or compact.
#[derive(Debug, Error)]
pub enum NodeError {
    /// The storage under the node failed; nothing of the failed batch was applied.
    #[error("storage failed: {0}")]
    Storage(#[from] StorageError),
    /// A journal record could not be read back, so the group cannot be rebuilt.
    #[error(
        "journal record {index} is unreadable ({reason}); the data directory is damaged or from an incompatible version — restore it from a backup or a replica"
    )]
    CorruptJournal {
        /// The record's log index.
        index: u64,
        /// Why it could not be decoded.
        reason: String,
    },
    /// The stored snapshot could not be read back.
    #[error("the snapshot is unreadable ({0}); the data directory is damaged or from an incompatible version")]
    CorruptSnapshot(CoreError),
    /// The [`GroupConfig`](coterie_core::GroupConfig) of a new group cannot be used.
    #[error(transparent)]
    InvalidConfig(#[from] ConfigError),
    /// A command could not be encoded for the journal (a bug, not bad input).
    #[error("cannot encode a journal record: {0}")]
    Encode(CoreError),
}
