//! The catalog of sharded structures on a node: the driver of `crate::shard::catalog`.
//!
//! The router's sharded branch asks [`Inner::check_catalog`] before it routes a call: the
//! call's name must be fixed (by this call, if it is the name's first use) with the kind and
//! the shards the call asks for. Where the entry comes from, cheapest first:
//!
//! 1. this member's cache (entries never change, so it is never stale);
//! 2. its own metadata replica's applied state (a committed entry there is final);
//! 3. the metadata group's leader: a put-if-absent of the entry the call asks for, sent as
//!    a plain CP call through [`CpEntry`] (served here if this member leads the group,
//!    forwarded one hop to the leader otherwise, `host/cp_forward.rs`), and, if another
//!    entry won (or the outcome is unknown), a linearizable read of the winner.
//!
//! So a new name costs one metadata round trip per member that meets it first (two when it
//! loses a race), a known one none. The metadata group is not the callers' to address
//! (`resolve_group` refuses it); a forwarded call to it is served only if it is one of the
//! catalog's own calls ([`forwarded_group`]).

use std::sync::Arc;
use std::time::Duration;

use coterie_api::convert::{ConvertError, METADATA_GROUP, resolve_group};
use coterie_core::kinds::atomic_reference::AtomicReferenceOutput;
use coterie_core::{EngineError, GroupOutput, StructureOutput};

use super::Inner;
use super::cp_forward::CpEntry;
use crate::cp::CpNode;
use crate::engine::{CallOptions, Engine};
use crate::request::Request;
use crate::shard::catalog::{self, Entry};

/// How long fixing one entry in the metadata group may take. The router does not know
/// the caller's deadline; a call whose deadline is shorter fails on its own first.
const CATALOG_TIMEOUT: Duration = Duration::from_secs(10);

/// The group a forwarded CP call is for, with the same checks as a call from a face,
/// except that the catalog's own calls may address the metadata group.
pub(super) fn forwarded_group(group: &str, request: &Request) -> Result<String, ConvertError> {
    if group == METADATA_GROUP && catalog::is_catalog_call(request) {
        return Ok(group.to_owned());
    }
    resolve_group(group)
}

/// The value an AtomicReference `Get` answered.
fn value(output: GroupOutput) -> Result<Option<Vec<u8>>, EngineError> {
    match output {
        GroupOutput::Structure(StructureOutput::AtomicReference(AtomicReferenceOutput::Value(value))) => Ok(value),
        other => Err(EngineError::Stopped { reason: format!("the catalog register answered {other:?}") }),
    }
}

/// The refusal of a call whose name could not be fixed in the catalog for now: retryable,
/// and never a redirect (the member named would be the metadata leader, not a place to
/// send the sharded call to).
fn unreachable(err: EngineError) -> EngineError {
    match err {
        err @ EngineError::Core(_) => err,
        other => EngineError::Stopped {
            reason: format!(
                "the catalog of sharded structures (in the metadata group) could not be reached to fix this name's \
                 kind and shards ({other}); retry shortly"
            ),
        },
    }
}

/// The entry of `name` as `node`, a metadata replica, has applied it.
fn applied_entry(node: &CpNode, name: &str) -> Result<Option<Entry>, EngineError> {
    let Ok(output) = node.read_stale(&catalog::get(name)) else { return Ok(None) };
    match value(output)? {
        Some(bytes) => Ok(Some(Entry::decode(&bytes, name)?)),
        None => Ok(None),
    }
}

impl Inner {
    /// Refuses `request`, a call to a sharded target of `shards` shards, unless its name is
    /// fixed (now, by this call, if it is its first use) as this kind with these shards.
    pub(super) async fn check_catalog(&self, shards: u32, request: &Request) -> Result<(), EngineError> {
        let Some(wanted) = Entry::wanted(request, shards) else { return Ok(()) };
        let cache = self.shards.catalog();
        let fixed = match cache.get(&wanted.name) {
            Some(fixed) => fixed,
            None => {
                let fixed = self.fix_entry(&wanted).await?;
                cache.insert(fixed.clone());
                fixed
            }
        };
        fixed.admits(&wanted).map_err(EngineError::Core)
    }

    /// The entry of `wanted`'s name: the committed one, or `wanted`, committed now.
    async fn fix_entry(&self, wanted: &Entry) -> Result<Entry, EngineError> {
        let local = self.group(METADATA_GROUP).await.map_err(EngineError::from);
        if let Ok(node) = &local
            && let Some(fixed) = applied_entry(node, &wanted.name)?
        {
            return Ok(fixed);
        }
        let entry = CpEntry {
            group: METADATA_GROUP.to_owned(),
            local,
            me: self.config.id,
            peers: self.peers.clone(),
            forwarded: Arc::clone(&self.forwarded),
        };
        let options = CallOptions::new(CATALOG_TIMEOUT);
        let put = entry.call(catalog::set_if_absent(wanted)?, options).await;
        let set = AtomicReferenceOutput::Bool(true);
        if matches!(&put, Ok(GroupOutput::Structure(StructureOutput::AtomicReference(answer))) if *answer == set) {
            return Ok(wanted.clone());
        }
        // Another entry was there first, or the outcome is unknown: the register says which.
        let read = entry.call(catalog::get(&wanted.name), options).await.map_err(unreachable)?;
        match value(read)? {
            Some(bytes) => Ok(Entry::decode(&bytes, &wanted.name)?),
            None => Err(unreachable(put.err().unwrap_or_else(|| EngineError::Stopped {
                reason: format!("the put-if-absent of {:?} answered false but the register is empty", wanted.name),
            }))),
        }
    }
}

#[cfg(test)]
mod tests {
    use coterie_core::kinds::atomic_reference::AtomicReferenceCommand;
    use coterie_core::kinds::counter::CounterCommand;
    use coterie_core::{GroupCommand, StructureCommand};

    use super::*;

    #[test]
    fn only_the_catalogs_own_calls_may_be_forwarded_to_the_metadata_group() {
        let entry = Entry { name: "hits".to_owned(), kind: coterie_core::Kind::Counter, shards: 4 };
        let put = catalog::set_if_absent(&entry).unwrap();
        assert_eq!(forwarded_group(METADATA_GROUP, &put), Ok(METADATA_GROUP.to_owned()));
        assert_eq!(forwarded_group(METADATA_GROUP, &catalog::get("hits")), Ok(METADATA_GROUP.to_owned()));
        let members = Request::internal(GroupCommand::Invoke {
            name: super::super::MEMBERS.to_owned(),
            command: StructureCommand::AtomicReference(AtomicReferenceCommand::Set(None)),
        });
        assert!(forwarded_group(METADATA_GROUP, &members).is_err(), "the member table is not the caller's");
        let counter = Request::internal(GroupCommand::Invoke {
            name: "hits".to_owned(),
            command: StructureCommand::Counter(CounterCommand::Get),
        });
        assert!(forwarded_group(METADATA_GROUP, &counter).is_err());
        // Any other group keeps the face's checks ("" is default).
        assert_eq!(forwarded_group("", &counter), resolve_group(""));
    }

    #[test]
    fn a_catalog_that_cannot_be_reached_is_retryable_and_never_a_redirect() {
        let redirect = EngineError::Redirect { member: Some(2), address: Some("127.0.0.1:7102".to_owned()) };
        assert!(matches!(unreachable(redirect), EngineError::Stopped { reason } if reason.contains("retry")));
        let core = EngineError::Core(coterie_core::CoreError::AlreadyInitialized);
        assert_eq!(unreachable(core.clone()), core);
    }
}
