//! The catalog of sharded structures, the pure part: what the first use of a sharded name
//! fixes, how it is kept in the metadata group, and the refusal of a later use that differs.
//!
//! Why it exists: a sharded call is located from its name, its kind and the caller's
//! `shards` alone ([`super::locate`]), so without a record of what a name is, a Counter "x"
//! and a Queue "x" live in different partitions, and "users" opened with 50 shards and
//! with 100 reads different partitions: the data looks lost. So the first use of a name
//! fixes its [`Entry`] (kind and shards) cluster-wide, and every later use must match it
//! ([`Entry::admits`]).
//!
//! How, and why so:
//!
//! - **Committed, not guessed**: an entry is an AtomicReference register of the metadata
//!   group, set by a linearizable put-if-absent ([`set_if_absent`]) that only the metadata
//!   group's leader applies (any member sends it there, `host/catalog.rs`). Two concurrent
//!   first uses through different members are ordered by the log: the first one applied wins,
//!   the other reads the winner's entry ([`get`]) and is refused if it differs.
//! - **Entries never change once written**, so any copy of one is right: a member answers
//!   from its [`Cache`], then from its own metadata replica's applied state (a committed entry
//!   there is final, however far behind the replica is), and only for a name it has not seen
//!   asks the leader. The cost: at most one metadata round trip per new name per member (two
//!   when its put-if-absent loses a race or its outcome is unknown), none for a name the
//!   member has seen or already applied. So a new name needs the metadata group's majority
//!   (without it the call is refused as retryable, `UNAVAILABLE`); a known one does not.
//! - **Keyed by a digest of the name** ([`register`]): `catalog:` and 64 hex digits, so any
//!   name a structure may have fits the metadata group's name limit. The entry holds the
//!   name, and a digest that ever named another one is refused ([`Entry::decode`]).
//! - What else a name's creation fixes (a Queue's capacity, a Semaphore's permits: the
//!   `Create` spec) is kept by the structure itself: once kind and shards are fixed, a
//!   name of those kinds lives in one partition, whose group refuses a different spec
//!   ([`CoreError::ConfigConflict`]).
//!
//! Not covered: destroying or clearing a whole sharded structure (which would have to remove
//! its entry, after its data, on every partition): a name, once used, keeps its kind and
//! shards for the cluster's life. The metadata group keeps one small register per sharded
//! name ever used.

use std::collections::HashMap;
use std::sync::{Mutex, PoisonError};

use coterie_core::kinds::atomic_reference::AtomicReferenceCommand;
use coterie_core::{CoreError, GroupCommand, Kind, StructureCommand, codec};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::request::Request;

/// The prefix of the metadata group's registers that hold the catalog's entries.
pub const PREFIX: &str = "catalog:";

/// How many entries a member's [`Cache`] keeps before it starts again from empty (a miss
/// then costs a read of the member's own metadata replica, no round trip).
pub const MAX_CACHED: usize = 65_536;

/// What the first use of a sharded name fixed, for good.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Entry {
    /// The structure's name.
    pub name: String,
    /// Its kind.
    pub kind: Kind,
    /// Its number of shards, as the first caller's target gave it.
    pub shards: u32,
}

impl Entry {
    /// The entry a call of `request` to a sharded target of `shards` shards asks for: the
    /// name and kind of an `Invoke` or a `Create`; `None` for a command that names no
    /// structure (the router refuses those on its own).
    pub fn wanted(request: &Request, shards: u32) -> Option<Entry> {
        let (name, kind) = match &request.command {
            GroupCommand::Invoke { name, command } => (name, command.kind()),
            GroupCommand::Create { name, spec } => (name, spec.kind()),
            _ => return None,
        };
        Some(Entry { name: name.clone(), kind, shards })
    }

    /// Whether a use asking for `wanted` may go on: only one asking for this kind and these
    /// shards. Another kind with the same shards is [`CoreError::WrongKind`], as a group
    /// answers it; other shards are [`CoreError::ConfigConflict`] naming the fixed kind and
    /// shards and what to do (both `FAILED_PRECONDITION` on the wire).
    pub fn admits(&self, wanted: &Entry) -> Result<(), CoreError> {
        if self.kind == wanted.kind && self.shards == wanted.shards {
            return Ok(());
        }
        if self.shards == wanted.shards {
            // What a group answers for a name of another kind, whichever partition it is in.
            return Err(CoreError::WrongKind { name: self.name.clone(), expected: wanted.kind, actual: self.kind });
        }
        let shards = match self.shards {
            1 => "1 shard".to_owned(),
            n => format!("{n} shards"),
        };
        let kind = self.kind.name();
        Err(CoreError::ConfigConflict {
            name: self.name.clone(),
            existing: format!(
                "a {kind} of {shards}, fixed by its first use; open it as a {kind} with shards={} (asked: a {} of \
                 shards={}), or use another name",
                self.shards,
                wanted.kind.name(),
                wanted.shards
            ),
        })
    }

    /// The register bytes of this entry.
    pub fn encode(&self) -> Result<Vec<u8>, CoreError> {
        codec::encode(self)
    }

    /// The entry of `name` in the register bytes `bytes`.
    pub fn decode(bytes: &[u8], name: &str) -> Result<Entry, CoreError> {
        let entry: Entry = codec::decode(bytes, "catalog entry")?;
        if entry.name != name {
            return Err(CoreError::malformed(
                "catalog entry",
                format!("the register of {name:?} holds the entry of {:?}", entry.name),
            ));
        }
        Ok(entry)
    }
}

/// The metadata register that holds the entry of `name`.
pub fn register(name: &str) -> String {
    let digest = Sha256::digest(name.as_bytes());
    let hex: String = digest.iter().map(|byte| format!("{byte:02x}")).collect();
    format!("{PREFIX}{hex}")
}

fn invoke(name: &str, command: AtomicReferenceCommand) -> Request {
    Request::internal(GroupCommand::Invoke {
        name: register(name),
        command: StructureCommand::AtomicReference(command),
    })
}

/// The put-if-absent of `entry`: applied by the metadata group, it answers whether this
/// entry is now the name's (true), or another one was already (false).
pub fn set_if_absent(entry: &Entry) -> Result<Request, CoreError> {
    Ok(invoke(&entry.name, AtomicReferenceCommand::SetIfAbsent(entry.encode()?)))
}

/// The read of `name`'s entry.
pub fn get(name: &str) -> Request {
    invoke(name, AtomicReferenceCommand::Get)
}

/// Whether `request` is one of the catalog's own calls ([`set_if_absent`], [`get`]): the
/// only calls a member may forward to the metadata group, which callers cannot address.
pub fn is_catalog_call(request: &Request) -> bool {
    match &request.command {
        GroupCommand::Invoke { name, command: StructureCommand::AtomicReference(command) } => {
            name.starts_with(PREFIX)
                && matches!(command, AtomicReferenceCommand::Get | AtomicReferenceCommand::SetIfAbsent(_))
        }
        _ => false,
    }
}

/// The entries a member has seen, by name: never stale, since entries never change.
#[derive(Debug, Default)]
pub struct Cache {
    entries: Mutex<HashMap<String, Entry>>,
}

impl Cache {
    /// The entry of `name`, if this member has seen it.
    pub fn get(&self, name: &str) -> Option<Entry> {
        self.entries.lock().unwrap_or_else(PoisonError::into_inner).get(name).cloned()
    }

    /// Keeps `entry`; past [`MAX_CACHED`] entries, the cache starts again from empty.
    pub fn insert(&self, entry: Entry) {
        let mut entries = self.entries.lock().unwrap_or_else(PoisonError::into_inner);
        if entries.len() >= MAX_CACHED && !entries.contains_key(&entry.name) {
            entries.clear();
        }
        entries.insert(entry.name.clone(), entry);
    }
}

#[cfg(test)]
mod tests {
    use coterie_core::StructureSpec;
    use coterie_core::kinds::counter::CounterCommand;
    use coterie_core::kinds::queue::QueueCommand;
    use coterie_core::kinds::queue::QueueConfig;

    use super::*;

    fn entry(name: &str, kind: Kind, shards: u32) -> Entry {
        Entry { name: name.to_owned(), kind, shards }
    }

    fn invoke_counter(name: &str) -> Request {
        Request::internal(GroupCommand::Invoke {
            name: name.to_owned(),
            command: StructureCommand::Counter(CounterCommand::Get),
        })
    }

    #[test]
    fn a_call_asks_for_its_name_its_kind_and_its_target_shards() {
        assert_eq!(Entry::wanted(&invoke_counter("hits"), 50), Some(entry("hits", Kind::Counter, 50)));
        let create = Request::internal(GroupCommand::Create {
            name: "jobs".to_owned(),
            spec: StructureSpec::Queue(QueueConfig::default()),
        });
        assert_eq!(Entry::wanted(&create, 1), Some(entry("jobs", Kind::Queue, 1)));
        let queue = Request::internal(GroupCommand::Invoke {
            name: "jobs".to_owned(),
            command: StructureCommand::Queue(QueueCommand::Size),
        });
        assert_eq!(Entry::wanted(&queue, 8), Some(entry("jobs", Kind::Queue, 8)));
        assert_eq!(Entry::wanted(&Request::internal(GroupCommand::Destroy { name: "x".to_owned() }), 8), None);
    }

    #[test]
    fn only_the_same_kind_and_shards_are_admitted_and_the_refusal_says_what_is_fixed() {
        let fixed = entry("users", Kind::Map, 50);
        assert_eq!(fixed.admits(&entry("users", Kind::Map, 50)), Ok(()));
        let Err(CoreError::ConfigConflict { name, existing }) = fixed.admits(&entry("users", Kind::Map, 100)) else {
            panic!("other shards are admitted");
        };
        assert_eq!(name, "users");
        assert!(existing.starts_with("a map of 50 shards, fixed by its first use; open it as a map with shards=50"));
        assert!(existing.contains("asked: a map of shards=100"), "{existing}");
        let refused = entry("x", Kind::Counter, 1).admits(&entry("x", Kind::Queue, 2)).unwrap_err();
        let message = refused.to_string();
        assert!(message.contains("\"x\"") && message.contains("a counter of 1 shard,"), "{message}");
        assert!(message.contains("open it as a counter with shards=1"), "{message}");
        assert_eq!(
            entry("x", Kind::Counter, 2).admits(&entry("x", Kind::Queue, 2)),
            Err(CoreError::WrongKind { name: "x".to_owned(), expected: Kind::Queue, actual: Kind::Counter })
        );
    }

    #[test]
    fn an_entry_round_trips_and_a_register_holding_another_name_is_refused() {
        let fixed = entry("users", Kind::Map, 50);
        let bytes = fixed.encode().unwrap();
        assert_eq!(Entry::decode(&bytes, "users"), Ok(fixed));
        assert!(matches!(Entry::decode(&bytes, "other"), Err(CoreError::Malformed { .. })));
        assert!(matches!(Entry::decode(b"junk", "users"), Err(CoreError::Malformed { .. })));
    }

    #[test]
    fn registers_are_fixed_length_digests_of_the_name() {
        let long = "n".repeat(256);
        assert_eq!(register(&long).len(), PREFIX.len() + 64);
        assert_ne!(register("a"), register("b"));
        assert_eq!(register("a"), register("a"));
        assert!(register("a").starts_with(PREFIX));
    }

    #[test]
    fn only_the_catalogs_own_register_calls_count_as_catalog_calls() {
        let fixed = entry("users", Kind::Map, 50);
        assert!(is_catalog_call(&set_if_absent(&fixed).unwrap()));
        assert!(is_catalog_call(&get("users")));
        let members = Request::internal(GroupCommand::Invoke {
            name: "members".to_owned(),
            command: StructureCommand::AtomicReference(AtomicReferenceCommand::Get),
        });
        assert!(!is_catalog_call(&members));
        let overwrite = Request::internal(GroupCommand::Invoke {
            name: register("users"),
            command: StructureCommand::AtomicReference(AtomicReferenceCommand::Set(None)),
        });
        assert!(!is_catalog_call(&overwrite), "an entry is never overwritten");
        assert!(!is_catalog_call(&invoke_counter("catalog:x")));
    }

    #[test]
    fn the_cache_keeps_what_it_saw_and_starts_again_when_full() {
        let cache = Cache::default();
        assert_eq!(cache.get("a"), None);
        cache.insert(entry("a", Kind::Counter, 1));
        assert_eq!(cache.get("a"), Some(entry("a", Kind::Counter, 1)));
        for n in 0..MAX_CACHED {
            cache.insert(entry(&format!("n{n}"), Kind::Counter, 1));
        }
        assert!(cache.entries.lock().unwrap().len() <= MAX_CACHED);
    }
}
