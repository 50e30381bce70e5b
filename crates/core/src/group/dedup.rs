//! What a group records of each call, to answer its resends.
//!
//! A client that loses an answer resends the call with the same [`InvocationId`] (its
//! [`ClientId`](crate::ClientId) and its sequence number for this group), and the group
//! answers the resend from its [`DedupTable`](crate::dedup::DedupTable) instead of applying
//! the call again. The table is keyed by client, not by session: a call applied in a session
//! that then expired is still answered, so a client never has to guess whether a call it
//! resent after an expiry was applied. [`crate::dedup`] has the table's contract.
//!
//! A parked call is recorded as [`Recorded::Parked`], naming the structure that holds its
//! waiter: that is where a cancel finds it. Parked records are pinned: never dropped from the
//! client's window, and their client is never forgotten while one is parked; the wake (a
//! grant, a timeout, a cancel, the session's end) replaces the record with its answer.
//!
//! [`InvocationId`]: crate::InvocationId

use serde::{Deserialize, Serialize};

use crate::dedup::Recordable;
use crate::error::CoreError;

/// What the group remembers of one call.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Recorded<T> {
    /// The call is parked in the named structure.
    Parked {
        /// The structure holding the waiter.
        structure: String,
    },
    /// The call completed with this result.
    Done(Result<T, CoreError>),
}

impl<T> Recordable for Recorded<T> {
    fn pinned(&self) -> bool {
        matches!(self, Recorded::Parked { .. })
    }
}
