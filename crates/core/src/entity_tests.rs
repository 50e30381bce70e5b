use serde::{Deserialize, Serialize};

use super::*;
use crate::codec;
use crate::ctx::ApplyCtx;
use crate::group::{Group, GroupCommand, GroupOutput};
use crate::machine::{Reply, StateMachine};
use crate::testing::{client, inv};
use crate::types::InvocationId;

/// Seed 002's counter: a balance per entity id.
#[derive(Debug, Default, PartialEq, Serialize, Deserialize)]
struct Counter {
    id: String,
    balance: i64,
    /// The time of the last change, from the context: what a deterministic entity may read.
    changed_at: u64,
}

#[derive(Debug, Serialize, Deserialize)]
enum CounterCommand {
    Increment(i64),
    Get,
}

#[derive(Debug, PartialEq, Serialize, Deserialize)]
enum CounterReply {
    Incremented { before: i64, after: i64 },
    Balance(i64),
}

impl Entity for Counter {
    type Command = CounterCommand;
    type Reply = CounterReply;

    fn handle(&mut self, command: CounterCommand, ctx: &EntityCtx<'_>) -> CounterReply {
        match command {
            CounterCommand::Increment(by) => {
                let before = self.balance;
                self.balance += by;
                self.changed_at = ctx.now.0;
                CounterReply::Incremented { before, after: self.balance }
            }
            CounterCommand::Get => CounterReply::Balance(self.balance),
        }
    }
}

fn registry() -> EntityRegistry {
    let mut registry = EntityRegistry::new();
    registry.register("counter", |id: &str| Counter { id: id.to_owned(), ..Counter::default() }).unwrap();
    registry
}

fn group() -> Group {
    let mut group = Group::default();
    group.set_entity_types(registry());
    group
}

fn ask(id: &str, command: &CounterCommand) -> GroupCommand {
    GroupCommand::Entity(EntityCall::new("counter", id, command, true).unwrap())
}

fn tell(id: &str, command: &CounterCommand) -> GroupCommand {
    GroupCommand::Entity(EntityCall::new("counter", id, command, false).unwrap())
}

fn ctx(index: u64, now: u64, invocation: Option<InvocationId>) -> ApplyCtx {
    ApplyCtx { invocation, ..ApplyCtx::internal(crate::LogIndex(index), crate::Timestamp(now)) }
}

fn reply(answer: Reply<GroupOutput>) -> CounterReply {
    match answer {
        Reply::Ready(Ok(GroupOutput::Entity(bytes))) => codec::decode(&bytes, "reply").unwrap(),
        other => panic!("not an entity reply: {other:?}"),
    }
}

fn error(answer: Reply<GroupOutput>) -> CoreError {
    match answer {
        Reply::Ready(Err(err)) => err,
        other => panic!("not an error: {other:?}"),
    }
}

#[test]
fn an_entity_is_created_by_its_factory_on_its_first_command_and_keeps_its_state() {
    let mut group = group();
    assert_eq!(group.entity_count(), 0);
    let first = group.apply(ask("alice", &CounterCommand::Increment(10)), &ctx(1, 100, None));
    assert_eq!(reply(first.response), CounterReply::Incremented { before: 0, after: 10 });
    let told = group.apply(tell("alice", &CounterCommand::Increment(5)), &ctx(2, 200, None));
    assert_eq!(told.response, Reply::Ready(Ok(GroupOutput::Unit)), "a tell answers no reply");
    let balance = group.apply(ask("alice", &CounterCommand::Get), &ctx(3, 300, None));
    assert_eq!(reply(balance.response), CounterReply::Balance(15));
    let bob = group.apply(ask("bob", &CounterCommand::Get), &ctx(4, 400, None));
    assert_eq!(reply(bob.response), CounterReply::Balance(0));
    assert_eq!(group.entity_count(), 2);
    let alice: Counter = codec::decode(group.entity_state("counter", "alice").unwrap(), "state").unwrap();
    assert_eq!(alice, Counter { id: "alice".into(), balance: 15, changed_at: 200 }, "the factory got the id");
}

#[test]
fn a_resent_call_is_answered_from_its_record_and_applied_once() {
    let mut group = group();
    let first = inv(1, 1);
    for index in 1..=3 {
        let answer = group.apply(ask("alice", &CounterCommand::Increment(7)), &ctx(index, 100, Some(first)));
        assert_eq!(reply(answer.response), CounterReply::Incremented { before: 0, after: 7 }, "send {index}");
    }
    let told = inv(1, 2);
    for index in 4..=5 {
        let answer = group.apply(tell("alice", &CounterCommand::Increment(1)), &ctx(index, 100, Some(told)));
        assert_eq!(answer.response, Reply::Ready(Ok(GroupOutput::Unit)));
    }
    let balance = group.apply(ask("alice", &CounterCommand::Get), &ctx(6, 100, None));
    assert_eq!(reply(balance.response), CounterReply::Balance(8));
    assert_eq!(group.caller_count(), 1);
    assert_eq!(client(1), first.client);
}

#[test]
fn unknown_types_and_undecodable_commands_are_refused_by_name_and_change_nothing() {
    let mut group = group();
    let call = EntityCall::new("account", "alice", &CounterCommand::Get, true).unwrap();
    let refused = error(group.apply(GroupCommand::Entity(call.clone()), &ctx(1, 1, None)).response);
    assert_eq!(refused, CoreError::UnknownEntityType { name: "account".into() });
    let message = refused.to_string();
    assert!(message.contains("\"account\"") && message.contains("register it"), "{message}");
    assert_eq!(registry().check(&call), Err(refused));

    let garbage = EntityCall { entity_type: "counter".into(), id: "alice".into(), command: vec![9, 9, 9], ask: true };
    let refused = error(group.apply(GroupCommand::Entity(garbage.clone()), &ctx(2, 1, None)).response);
    assert_eq!(refused, CoreError::EntityPayload { entity_type: "counter".into(), what: EntityPayload::Command });
    assert!(refused.to_string().starts_with("the command of entity type \"counter\" does not match"), "{refused}");
    assert_eq!(registry().check(&garbage), Err(refused));
    assert_eq!(registry().check(&EntityCall::new("counter", "a", &CounterCommand::Get, false).unwrap()), Ok(()));

    let empty = EntityCall::new("counter", "", &CounterCommand::Get, true).unwrap();
    assert!(matches!(
        error(group.apply(GroupCommand::Entity(empty), &ctx(3, 1, None)).response),
        CoreError::InvalidName { .. }
    ));
    assert_eq!(group.entity_count(), 0);
}

#[test]
fn entities_survive_a_snapshot_and_old_snapshots_without_entities_still_restore() {
    let mut group = group();
    group.apply(ask("alice", &CounterCommand::Increment(10)), &ctx(1, 1, Some(inv(1, 1))));
    let mut restored = Group::restore(&group.snapshot().unwrap()).unwrap();
    assert_eq!(restored, group);
    restored.set_entity_types(registry());
    let answer = restored.apply(ask("alice", &CounterCommand::Increment(5)), &ctx(2, 2, None));
    assert_eq!(reply(answer.response), CounterReply::Incremented { before: 10, after: 15 });
    // The resend is still deduplicated after the restore.
    let resent = restored.apply(ask("alice", &CounterCommand::Increment(10)), &ctx(3, 3, Some(inv(1, 1))));
    assert_eq!(reply(resent.response), CounterReply::Incremented { before: 0, after: 10 });

    // A snapshot written before groups held entities: today's bytes of a group without any,
    // less the empty map's length byte at the end.
    let plain = Group::default();
    let mut old = plain.snapshot().unwrap();
    assert_eq!(old.pop(), Some(0));
    assert_eq!(Group::restore(&old).unwrap(), plain);
    assert!(Group::restore(&old[..old.len() - 1]).is_err(), "truncated bytes are still refused");
}

#[test]
fn a_group_without_the_type_answers_unknown_type_on_replay() {
    let mut group = Group::default();
    let answer = group.apply(ask("alice", &CounterCommand::Increment(1)), &ctx(1, 1, None));
    assert_eq!(error(answer.response), CoreError::UnknownEntityType { name: "counter".into() });
}

#[test]
fn registering_needs_a_fresh_non_empty_name_and_entities_spread_over_partitions() {
    let mut registry = registry();
    let again = registry.register("counter", |_: &str| Counter::default()).map(drop);
    assert_eq!(again, Err(RegistryError::Duplicate { name: "counter".into() }));
    assert_eq!(registry.register("", |_: &str| Counter::default()).map(drop), Err(RegistryError::EmptyName));
    assert_eq!(registry.names().collect::<Vec<_>>(), ["counter"]);
    assert_eq!(format!("{registry:?}"), "{\"counter\"}");

    let partitions: std::collections::BTreeSet<_> =
        (0..50).map(|i| partition_of("counter", &format!("user-{i}"), 271).unwrap()).collect();
    assert!(partitions.len() > 30, "50 ids land in {} partitions", partitions.len());
    assert_eq!(partition_of("counter", "alice", 271), partition_of("counter", "alice", 271));
    assert_ne!(
        (0..20).map(|i| partition_of("counter", &format!("{i}"), 271).unwrap()).collect::<Vec<_>>(),
        (0..20).map(|i| partition_of("account", &format!("{i}"), 271).unwrap()).collect::<Vec<_>>(),
        "the type is part of the placement"
    );
}
