//! Where a call goes and what it asks of the replicas: the engine-neutral part of every
//! call's header.
//!
//! Every face (the gRPC `Call` header, the embedded transport, later the S3 gateway) says
//! the same three things about a call besides its command: its [`Target`] (which engine
//! and which replica set serves it), its [`Consistency`] (how many replicas must take part
//! before it is answered), and whether a read may be stale. These types are the words for
//! that, shared by the router, the engines and the client, so none of them speaks in
//! another's terms. They live in the core because both sides of the wire use them and the
//! core depends on nothing that does I/O.

use std::fmt;

use serde::{Deserialize, Serialize};

use crate::error::{CoreError, InvalidReason};

/// A replica count as the error data carries it.
fn count(n: usize) -> u64 {
    u64::try_from(n).unwrap_or(u64::MAX)
}

/// Which engine and which replica set serve a call.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub enum Target {
    /// A CP group, replicated by Raft: every call is linearizable.
    Cp {
        /// The group's name (`default` unless the call named one).
        group: String,
    },
    /// A sharded structure, spread over the members by the partition table: `shards` is
    /// the number of shards its state is split into (the first use of a name fixes it).
    Sharded {
        /// How many shards the structure has.
        shards: u32,
    },
}

impl Target {
    /// The CP group `group`.
    pub fn cp(group: impl Into<String>) -> Self {
        Target::Cp { group: group.into() }
    }

    /// The CP group's name, for a CP target.
    pub fn cp_group(&self) -> Option<&str> {
        match self {
            Target::Cp { group } => Some(group),
            Target::Sharded { .. } => None,
        }
    }
}

impl fmt::Display for Target {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Target::Cp { group } => write!(f, "CP group {group:?}"),
            Target::Sharded { shards } => write!(f, "a sharded structure of {shards} shards"),
        }
    }
}

/// How many replicas must take part in a call before it is answered (seed 004's levels).
///
/// For a sharded structure of replication factor N: `Eventual` is the primary alone,
/// `Quorum` a majority (⌊N/2⌋+1), `Strong` all N, `AtLeast(n)` n of them. A CP group
/// always commits on a majority of its voters and reads linearizably, so it serves every
/// level a majority satisfies (`Default`, `Eventual`, `Quorum`, `AtLeast(n)` for n up to a
/// majority, and `Strong` only where a majority is every voter) and refuses the others ([`Consistency::check_majority`]) instead of pretending.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Consistency {
    /// The structure's own level (its configuration, or its engine's default).
    #[default]
    Default,
    /// The primary alone.
    Eventual,
    /// A majority of the replicas.
    Quorum,
    /// Every replica.
    Strong,
    /// At least this many replicas (1 or more).
    AtLeast(u32),
}

impl Consistency {
    /// `Ok` if an engine that acknowledges on a majority of `replicas` replicas meets this
    /// level; otherwise why not, for `operation`, and what to ask for instead.
    pub fn check_majority(self, replicas: usize, operation: &'static str) -> Result<(), CoreError> {
        let majority = replicas / 2 + 1;
        match self {
            Consistency::Default | Consistency::Eventual | Consistency::Quorum => Ok(()),
            Consistency::AtLeast(0) => Err(CoreError::invalid(operation, InvalidReason::ConsistencyZero)),
            Consistency::AtLeast(n) if usize::try_from(n).is_ok_and(|n| n <= majority) => Ok(()),
            Consistency::AtLeast(n) => Err(CoreError::invalid(
                operation,
                InvalidReason::ConsistencyAboveMajority {
                    requested: u64::from(n),
                    majority: count(majority),
                    replicas: count(replicas),
                },
            )),
            Consistency::Strong if majority >= replicas => Ok(()),
            Consistency::Strong => {
                Err(CoreError::invalid(operation, InvalidReason::ConsistencyStrong { replicas: count(replicas) }))
            }
        }
    }
}

impl fmt::Display for Consistency {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Consistency::Default => f.write_str("default"),
            Consistency::Eventual => f.write_str("eventual"),
            Consistency::Quorum => f.write_str("quorum"),
            Consistency::Strong => f.write_str("strong"),
            Consistency::AtLeast(n) => write!(f, "at-least {n}"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_majority_meets_every_level_up_to_a_majority_and_no_more() {
        for level in [Consistency::Default, Consistency::Eventual, Consistency::Quorum, Consistency::AtLeast(1)] {
            assert_eq!(level.check_majority(3, "set"), Ok(()), "{level}");
        }
        assert_eq!(Consistency::AtLeast(2).check_majority(3, "set"), Ok(()));
        assert_eq!(Consistency::AtLeast(3).check_majority(5, "set"), Ok(()));
        // With one or two voters, the majority is every voter.
        assert_eq!(Consistency::Strong.check_majority(1, "set"), Ok(()));
        assert_eq!(Consistency::Strong.check_majority(2, "set"), Ok(()));
        for (level, replicas) in [
            (Consistency::AtLeast(3), 3),
            (Consistency::AtLeast(4), 5),
            (Consistency::AtLeast(u32::MAX), 3),
            (Consistency::AtLeast(0), 3),
            (Consistency::Strong, 3),
        ] {
            let refused = level.check_majority(replicas, "set");
            assert!(
                matches!(&refused, Err(CoreError::InvalidArgument { operation, .. }) if operation == "set"),
                "{level} over {replicas}: {refused:?}"
            );
        }
    }

    #[test]
    fn targets_and_levels_say_what_they_are() {
        assert_eq!(Target::cp("g").to_string(), "CP group \"g\"");
        assert_eq!(Target::cp("g").cp_group(), Some("g"));
        assert_eq!(Target::Sharded { shards: 100 }.cp_group(), None);
        assert_eq!(Consistency::AtLeast(2).to_string(), "at-least 2");
    }
}
