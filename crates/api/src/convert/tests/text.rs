//! Requests from text, generated from the rpc list: every operation is known by the names
//! the API gives it, its fields are read by their proto types, and anything else is refused
//! with what would be accepted.

use coterie_core::kinds::atomic_long::AtomicLongCommand as Al;
use coterie_core::kinds::atomic_reference::AtomicReferenceCommand as Ar;
use coterie_core::kinds::cp_semaphore::CpSemaphoreCommand as Sem;
use coterie_core::{GroupCommand, StructureCommand};

use super::super::{ConvertError, RpcMode, RpcRequest};

fn command(kind: &str, operation: &str, fields: &[&str]) -> Result<StructureCommand, ConvertError> {
    let fields: Vec<String> = fields.iter().map(|f| (*f).to_owned()).collect();
    let routed = RpcRequest::from_text(kind, operation, "x", &fields)?.into_command()?;
    match routed.command {
        GroupCommand::Invoke { name, command } if name == "x" => Ok(command),
        other => panic!("{other:?}"),
    }
}

#[test]
fn operations_are_named_as_the_api_names_them_and_fields_read_by_type() {
    let cas = command("atomic-long", "compare-and-exchange", &["expected=-1", "update=7"]);
    assert_eq!(cas, Ok(StructureCommand::AtomicLong(Al::CompareAndExchange { expected: -1, update: 7 })));
    assert_eq!(command("AtomicLong", "get", &[]), Ok(StructureCommand::AtomicLong(Al::Get)));
    let set = command("atomic_reference", "set", &["value=v1"]);
    assert_eq!(set, Ok(StructureCommand::AtomicReference(Ar::Set(Some(b"v1".to_vec())))));
    // An optional field not given is absent: null for a reference, one permit for a semaphore.
    assert_eq!(command("atomic-reference", "set", &[]), Ok(StructureCommand::AtomicReference(Ar::Set(None))));
    let init = command("cp-semaphore", "increase-permits", &["permits=3"]);
    assert_eq!(init, Ok(StructureCommand::CpSemaphore(Sem::IncreasePermits { permits: 3 })));
}

#[test]
fn anything_else_is_refused_with_what_is_accepted() {
    let refused = |kind, operation, fields: &[&str]| match command(kind, operation, fields) {
        Err(ConvertError::InvalidArgument { reason, .. }) => reason,
        other => panic!("{kind} {operation} {fields:?}: {other:?}"),
    };
    assert!(refused("atomic-long", "frobnicate", &[]).contains("not an operation"));
    assert!(refused("atomic-long", "set", &[]).contains("value is required"));
    assert!(refused("atomic-long", "set", &["value=ten"]).contains("not a i64 number"));
    assert!(refused("atomic-long", "set", &["value=1", "value=2"]).contains("given twice"));
    assert!(refused("atomic-long", "set", &["value"]).contains("not FIELD=VALUE"));
    let unknown = refused("atomic-long", "compare-and-set", &["expected=1", "update=2", "delta=3"]);
    assert!(unknown.contains("no field \"delta\"") && unknown.contains("expected, update"), "{unknown}");
}

#[test]
fn the_vocabulary_lists_every_structure_rpc_with_its_fields_and_mode() {
    let vocabulary = RpcRequest::vocabulary();
    assert_eq!(vocabulary.len(), 82);
    assert!(vocabulary.contains(&("Map", "keys", &["cursor", "limit"][..], RpcMode::Read)));
    assert!(vocabulary.contains(&("Set", "clear", &[][..], RpcMode::Mutation)));
    assert!(vocabulary.contains(&("Queue", "create", &["capacity"][..], RpcMode::Mutation)));
    assert!(vocabulary.contains(&("Lock", "try_acquire", &["owner", "lease_ms", "timeout_ms"][..], RpcMode::Blocking)));
    assert!(vocabulary.contains(&("Semaphore", "create", &["permits"][..], RpcMode::Mutation)));
    assert!(vocabulary.contains(&("Barrier", "arrive", &["expected", "timeout_ms"][..], RpcMode::Blocking)));
    assert!(vocabulary.contains(&("Queue", "take", &["timeout_ms"][..], RpcMode::Blocking)));
    assert!(vocabulary.contains(&("Queue", "peek", &[][..], RpcMode::Read)));
    assert!(vocabulary.contains(&("Set", "add", &["item"][..], RpcMode::Mutation)));
    assert!(vocabulary.contains(&("Counter", "increment", &["delta"][..], RpcMode::Mutation)));
    assert!(vocabulary.contains(&("Map", "compare_and_set", &["key", "expected", "update"][..], RpcMode::Mutation)));
    assert!(vocabulary.contains(&(
        "AtomicLong",
        "compare_and_exchange",
        &["expected", "update"][..],
        RpcMode::Mutation
    )));
    assert!(vocabulary.contains(&("FencedLock", "lock", &["owner"][..], RpcMode::Blocking)));
    assert!(vocabulary.contains(&("FencedLock", "is_locked_by_me", &["owner"][..], RpcMode::Session)));
    assert!(vocabulary.contains(&("CountDownLatch", "get_round", &[][..], RpcMode::Read)));
    // Each mode matches what the request is: reads are the core's reads, changes are not
    // (a session rpc may be either: is-locked-by-me reads, unlock changes).
    for (kind, operation, fields, mode) in vocabulary {
        let given: Vec<String> = fields.iter().map(|f| format!("{f}=1")).collect();
        let Ok(request) = RpcRequest::from_text(kind, operation, "x", &given) else { continue };
        assert_eq!(request.mode(), mode, "{kind} {operation}");
        if let Ok(routed) = request.into_command() {
            match mode {
                RpcMode::Read => assert!(routed.command.is_read(), "{kind} {operation}"),
                RpcMode::Mutation | RpcMode::Blocking => assert!(!routed.command.is_read(), "{kind} {operation}"),
                RpcMode::Session => {}
            }
        }
    }
}
