//! The cluster's member table: who the members are, where they listen, which of them are
//! CP members, and where each stands in its life (joining, up, leaving, removed).
//!
//! Why it is shaped this way:
//!
//! - It is a plain value with commands and one [`MemberTable::apply`], like a structure:
//!   no engine, clock or I/O, so every replica of the metadata group that applies the same
//!   commands holds the same table, and the sharded engine can keep its partition table
//!   beside it in the same group.
//! - A member's life only moves forward (`Joining → Up → Leaving → Removed`), and an id is
//!   never reused once removed: a stale process started with a removed id must not be
//!   mistaken for the member that left.
//! - Commands that ask for the state the table is already in change nothing and succeed
//!   ([`TableChange::Unchanged`]), so a driver that lost its answer (a leader change, a
//!   timeout) simply sends the same command again.
//! - The table says which CP members the Raft groups *should* have
//!   ([`MemberTable::cp_voters`]); making the groups match it is the driver's job.

use std::collections::BTreeMap;
use std::fmt;

use serde::{Deserialize, Serialize};
use thiserror::Error;

/// Where a member stands in its life in the cluster.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub enum MemberState {
    /// Added to the table; a CP member is being made a voter of every CP group.
    Joining,
    /// A full member (a CP member votes in every CP group).
    Up,
    /// Being taken out; a CP member is being removed from every CP group.
    Leaving,
    /// Gone for good; its id is never used again.
    Removed,
    /// An up member the cluster committed as unreachable (its failure detector, gossip,
    /// said so; the metadata group's log decided). Still a member for every purpose of
    /// the CP groups (a down CP member stays a voter: gossip never changes a quorum), but
    /// it owns no sharded partition: what only it holds is reported lost until it comes
    /// back ([`MemberCommand::MarkAlive`]) with its journal. Appended last so that tables
    /// encoded before it existed decode unchanged.
    Down,
}

impl fmt::Display for MemberState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            MemberState::Joining => "joining",
            MemberState::Up => "up",
            MemberState::Leaving => "leaving",
            MemberState::Removed => "removed",
            MemberState::Down => "down",
        })
    }
}

/// One member's entry.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct MemberRecord {
    /// The `host:port` members and clients reach it at.
    pub address: String,
    /// Whether it takes part in the CP groups (a plain member hosts no CP replica).
    pub cp: bool,
    /// Where it stands.
    pub state: MemberState,
}

/// A change to the member table.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum MemberCommand {
    /// Fills an empty table with a statically configured cluster: every member a CP member
    /// and up. On a table that has members it changes nothing, so every member of a cluster
    /// started the static way may send it.
    Seed {
        /// Every configured member's id and address.
        members: BTreeMap<u64, String>,
    },
    /// Adds member `id` at `address`, [`MemberState::Joining`]. Adding it again with the same
    /// address and role changes nothing (whatever state it has reached, short of removed).
    Add {
        /// The new member's id.
        id: u64,
        /// Its `host:port`.
        address: String,
        /// Whether it is to be a CP member.
        cp: bool,
    },
    /// Marks a joining member up (its CP groups have it as a voter).
    MarkUp {
        /// The member.
        id: u64,
    },
    /// Starts taking member `id` out: [`MemberState::Leaving`].
    Leave {
        /// The member.
        id: u64,
    },
    /// Marks a leaving member removed (no CP group has it any more).
    MarkRemoved {
        /// The member.
        id: u64,
    },
    /// Marks an up member [`MemberState::Down`]: the failure detector suggested it and the
    /// metadata leader commits it. Already down changes nothing; a member in any other
    /// state is refused (a joining or leaving member is being changed by an admin flow,
    /// which owns it until it ends).
    MarkDown {
        /// The member.
        id: u64,
    },
    /// Marks a down member up again (the failure detector sees it alive). Already up
    /// changes nothing.
    MarkAlive {
        /// The member.
        id: u64,
    },
}

/// What a command did.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TableChange {
    /// The table changed.
    Changed,
    /// The table already was as the command asks; nothing changed.
    Unchanged,
}

/// Why a command was refused. The table is left as it was.
#[derive(Clone, Debug, PartialEq, Eq, Error)]
pub enum MemberError {
    /// Member ids start at 1.
    #[error("member id 0 is not allowed; member ids start at 1")]
    ZeroId,
    /// The address is not `host:port`.
    #[error("member {id}'s address {address:?} is not host:port with a port from 1 to 65535; give it as host:port")]
    BadAddress {
        /// The member.
        id: u64,
        /// The address given.
        address: String,
    },
    /// A seed with no members.
    #[error("cannot seed the member table with no members; give at least one")]
    EmptySeed,
    /// The id is not in the table.
    #[error("member {id} is not a member; list the members to see their ids")]
    Unknown {
        /// The member.
        id: u64,
    },
    /// The id is in the table with another address or role.
    #[error("member {id} already exists at {address} ({role}); remove it first, or add the new one under another id")]
    Conflict {
        /// The member.
        id: u64,
        /// Its address in the table.
        address: String,
        /// Its role in the table ("CP member" or "plain member").
        role: &'static str,
    },
    /// Another live member already listens at the address.
    #[error("member {other} already has the address {address}; give member {id} its own address")]
    AddressTaken {
        /// The member the command was for.
        id: u64,
        /// The address.
        address: String,
        /// The member that has it.
        other: u64,
    },
    /// The id belonged to a member that was removed.
    #[error("member {id} was removed and its id cannot be used again; add the member under a new id")]
    Removed {
        /// The member.
        id: u64,
    },
    /// The member is not in a state the command can move it from.
    #[error("member {id} is {state}, so it cannot be {wanted}")]
    WrongState {
        /// The member.
        id: u64,
        /// Its state.
        state: MemberState,
        /// What the command wanted it to become.
        wanted: MemberState,
    },
    /// Removing the member would leave no CP member.
    #[error("member {id} is the last CP member; add another CP member before removing it")]
    LastCpMember {
        /// The member.
        id: u64,
    },
}

/// The cluster's members by id.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct MemberTable {
    members: BTreeMap<u64, MemberRecord>,
}

fn role(cp: bool) -> &'static str {
    if cp { "CP member" } else { "plain member" }
}

/// Whether `address` is `host:port` with a non-empty host and a port from 1 to 65535.
fn valid_address(address: &str) -> bool {
    match address.rsplit_once(':') {
        Some((host, port)) => {
            !host.is_empty() && !host.chars().any(char::is_whitespace) && port.parse::<u16>().is_ok_and(|port| port > 0)
        }
        None => false,
    }
}

impl MemberTable {
    /// An empty table.
    pub fn new() -> Self {
        MemberTable::default()
    }

    /// Whether the table has no members at all (it was never seeded).
    pub fn is_empty(&self) -> bool {
        self.members.is_empty()
    }

    /// Member `id`'s entry, removed ones included.
    pub fn get(&self, id: u64) -> Option<&MemberRecord> {
        self.members.get(&id)
    }

    /// Every member, removed ones included, in id order.
    pub fn iter(&self) -> impl Iterator<Item = (u64, &MemberRecord)> {
        self.members.iter().map(|(id, record)| (*id, record))
    }

    /// The CP members every CP group should have as voters: those joining, up or down (a
    /// failure detector's verdict never changes a quorum), by id, with their addresses.
    pub fn cp_voters(&self) -> BTreeMap<u64, String> {
        self.members
            .iter()
            .filter(|(_, record)| {
                record.cp && matches!(record.state, MemberState::Joining | MemberState::Up | MemberState::Down)
            })
            .map(|(id, record)| (*id, record.address.clone()))
            .collect()
    }

    /// The address of every member not removed, by id.
    pub fn addresses(&self) -> BTreeMap<u64, String> {
        self.members
            .iter()
            .filter(|(_, record)| record.state != MemberState::Removed)
            .map(|(id, record)| (*id, record.address.clone()))
            .collect()
    }

    /// Applies `command`: the table changes as the command says, or stays as it was and the
    /// error says why.
    pub fn apply(&mut self, command: &MemberCommand) -> Result<TableChange, MemberError> {
        match command {
            MemberCommand::Seed { members } => self.seed(members),
            MemberCommand::Add { id, address, cp } => self.add(*id, address, *cp),
            MemberCommand::MarkUp { id } => self.advance(*id, MemberState::Joining, MemberState::Up),
            MemberCommand::Leave { id } => self.leave(*id),
            MemberCommand::MarkRemoved { id } => self.advance(*id, MemberState::Leaving, MemberState::Removed),
            MemberCommand::MarkDown { id } => self.advance(*id, MemberState::Up, MemberState::Down),
            MemberCommand::MarkAlive { id } => self.advance(*id, MemberState::Down, MemberState::Up),
        }
    }

    fn seed(&mut self, members: &BTreeMap<u64, String>) -> Result<TableChange, MemberError> {
        if !self.members.is_empty() {
            return Ok(TableChange::Unchanged);
        }
        if members.is_empty() {
            return Err(MemberError::EmptySeed);
        }
        let mut seen: BTreeMap<&str, u64> = BTreeMap::new();
        for (id, address) in members {
            if *id == 0 {
                return Err(MemberError::ZeroId);
            }
            if !valid_address(address) {
                return Err(MemberError::BadAddress { id: *id, address: address.clone() });
            }
            if let Some(other) = seen.insert(address, *id) {
                return Err(MemberError::AddressTaken { id: *id, address: address.clone(), other });
            }
        }
        self.members = members
            .iter()
            .map(|(id, address)| (*id, MemberRecord { address: address.clone(), cp: true, state: MemberState::Up }))
            .collect();
        Ok(TableChange::Changed)
    }

    fn add(&mut self, id: u64, address: &str, cp: bool) -> Result<TableChange, MemberError> {
        if id == 0 {
            return Err(MemberError::ZeroId);
        }
        if !valid_address(address) {
            return Err(MemberError::BadAddress { id, address: address.to_owned() });
        }
        if let Some(existing) = self.members.get(&id) {
            if existing.state == MemberState::Removed {
                return Err(MemberError::Removed { id });
            }
            if existing.address != address || existing.cp != cp {
                return Err(MemberError::Conflict { id, address: existing.address.clone(), role: role(existing.cp) });
            }
            return Ok(TableChange::Unchanged);
        }
        let taken =
            self.members.iter().find(|(_, record)| record.state != MemberState::Removed && record.address == address);
        if let Some((other, _)) = taken {
            return Err(MemberError::AddressTaken { id, address: address.to_owned(), other: *other });
        }
        self.members.insert(id, MemberRecord { address: address.to_owned(), cp, state: MemberState::Joining });
        Ok(TableChange::Changed)
    }

    fn leave(&mut self, id: u64) -> Result<TableChange, MemberError> {
        let record = self.members.get(&id).ok_or(MemberError::Unknown { id })?;
        match record.state {
            MemberState::Leaving | MemberState::Removed => return Ok(TableChange::Unchanged),
            MemberState::Joining | MemberState::Up | MemberState::Down => {}
        }
        if record.cp && self.cp_voters().keys().all(|voter| *voter == id) {
            return Err(MemberError::LastCpMember { id });
        }
        if let Some(record) = self.members.get_mut(&id) {
            record.state = MemberState::Leaving;
        }
        Ok(TableChange::Changed)
    }

    /// Moves `id` from `from` to `to`; already at `to` changes nothing.
    fn advance(&mut self, id: u64, from: MemberState, to: MemberState) -> Result<TableChange, MemberError> {
        let record = self.members.get_mut(&id).ok_or(MemberError::Unknown { id })?;
        if record.state == to {
            Ok(TableChange::Unchanged)
        } else if record.state == from {
            record.state = to;
            Ok(TableChange::Changed)
        } else {
            Err(MemberError::WrongState { id, state: record.state, wanted: to })
        }
    }
}

#[cfg(test)]
#[path = "members_tests.rs"]
mod tests;
