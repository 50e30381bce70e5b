//! Typed handles, one per CP structure kind (seed 001's API in async Rust), and for the
//! sharded engine's seven kinds (seed 000's, in [`sharded`]).
//!
//! A handle is a name plus a client: creating one sends nothing, and a structure is
//! created in its group on its first write.

mod atomic_long;
mod atomic_reference;
mod count_down_latch;
mod fenced_lock;
mod semaphore;
pub(crate) mod sharded;

pub use atomic_long::AtomicLong;
pub use atomic_reference::AtomicReference;
pub use count_down_latch::CountDownLatch;
pub use fenced_lock::{FencedLock, LockGuard};
pub use semaphore::Semaphore;

use coterie_core::StructureOutput;

use crate::error::ClientError;

/// The error for an output of a shape the handle did not ask for.
pub(crate) fn unexpected(output: StructureOutput) -> ClientError {
    ClientError::UnexpectedOutput(format!("{output:?}"))
}
