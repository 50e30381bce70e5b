//! The object store's member side (DESIGN.md §5): an object's bytes as content-addressed
//! blobs on a majority of its group's members, its metadata as a `Bucket` structure applied
//! through the group's Raft log.
//!
//! * [`tally`]: when a blob has enough copies for the metadata to reference it (pure).
//! * [`maintenance`]: which blobs a member fetches and which it collects (pure).
//! * [`wire`]: how members send each other blobs ([`BlobWire`]).
//! * [`blobs`]: a member's store and the copies on the others ([`Blobs`]).
//! * [`multipart`]: uploads in numbered parts, completed into one object (every face's).
//! * [`store`]: objects on a CP group: parts on a majority, then one metadata apply
//!   ([`ObjectStore`]).

pub mod blobs;
pub mod maintenance;
pub mod multipart;
pub mod store;
pub mod tally;
pub mod wire;

#[cfg(test)]
mod blobs_tests;

pub use blobs::{Blobs, BlobsError, Maintained};
pub use coterie_core::kinds::bucket::PutOptions;
pub use multipart::{CompletedPart, MultipartError, UploadKey};
pub use store::{Caller, GroupRef, ObjectError, ObjectKey, ObjectLimits, ObjectReader, ObjectStore};
pub use wire::{BlobWire, LocalBlobWire};
