//! The Raft handle of a CP group.
//!
//! [`CpRaft`] is named once here, apart from [`network`](super::network) and
//! [`remote`](super::remote), because both use it and `network` also depends on `remote`: kept in
//! `network`, it made the two modules import each other. It is not in [`types`](super::types)
//! either, because it names the [`state_machine`](super::state_machine), which itself
//! depends on `types`.

use super::state_machine::CpStateMachine;
use super::types::CpTypes;

/// A Raft node of a CP group.
pub type CpRaft = openraft::Raft<CpTypes, CpStateMachine>;
