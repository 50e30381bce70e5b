//! Refusals recorded in replicated state are data, not prose: a group snapshot holding
//! recorded refusals (in the per-session dedup windows and the client dedup table) contains
//! no English text, and the refusals come back equal after a restore.

use std::time::Duration;

use crate::group::{Group, GroupCommand, GroupOutput};
use crate::kinds::cp_semaphore::CpSemaphoreCommand;
use crate::kinds::fenced_lock::FencedLockCommand;
use crate::machine::{Reply, StateMachine};
use crate::structure::StructureCommand;
use crate::{
    ApplyCtx, ClientId, CoreError, InvalidReason, LogIndex, NameProblem, NotOwnerReason, OwnerId, SessionId, Timestamp,
};

/// A group with one of each refusal recorded, and those refusals.
fn group_with_recorded_refusals() -> (Group, Vec<CoreError>) {
    let mut group = Group::default();
    let mut index = 0;
    let mut next = || {
        index += 1;
        LogIndex(index)
    };
    let open = |group: &mut Group, index: LogIndex, client: u128, seq: u64| {
        let client = ClientId::new(client).unwrap();
        let command = GroupCommand::OpenSession { ttl: Duration::from_secs(60), client, seq };
        group.apply(command, &ApplyCtx::internal(index, Timestamp(0))).response
    };
    let a = match open(&mut group, next(), 1, 1) {
        Reply::Ready(Ok(GroupOutput::Session(id))) => id,
        other => panic!("{other:?}"),
    };
    let b = match open(&mut group, next(), 2, 1) {
        Reply::Ready(Ok(GroupOutput::Session(id))) => id,
        other => panic!("{other:?}"),
    };
    let mut refusals = Vec::new();
    // A refused open (seq 0) is recorded in the client dedup table, if anywhere.
    if let Reply::Ready(Err(err)) = open(&mut group, next(), 3, 0) {
        refusals.push(err);
    }
    let call = |group: &mut Group, index: LogIndex, session: SessionId, seq: u64, name: &str, command| {
        let ctx = ApplyCtx::invoked(index, Timestamp(0), Some(session), crate::testing::inv(session.0, seq));
        group.apply(GroupCommand::Invoke { name: name.to_owned(), command }, &ctx).response
    };
    let lock = StructureCommand::FencedLock(FencedLockCommand::Lock { owner: OwnerId(7) });
    assert!(matches!(call(&mut group, next(), a, 1, "lock", lock), Reply::Ready(Ok(_))));
    let unlock = StructureCommand::FencedLock(FencedLockCommand::Unlock { owner: OwnerId(8) });
    let zero = StructureCommand::CpSemaphore(CpSemaphoreCommand::Acquire { permits: 0 });
    let huge = StructureCommand::CpSemaphore(CpSemaphoreCommand::Release { permits: u64::MAX });
    let long_name = "n".repeat(10_000);
    let refused = [
        call(&mut group, next(), b, 1, "lock", unlock),
        call(&mut group, next(), b, 2, "permits", zero),
        call(&mut group, next(), b, 3, "permits", huge),
        call(
            &mut group,
            next(),
            b,
            4,
            &long_name,
            StructureCommand::CpSemaphore(CpSemaphoreCommand::Acquire { permits: 1 }),
        ),
        call(&mut group, next(), b, 5, "", StructureCommand::CpSemaphore(CpSemaphoreCommand::Acquire { permits: 1 })),
    ];
    for reply in refused {
        match reply {
            Reply::Ready(Err(err)) => refusals.push(err),
            other => panic!("expected a refusal, got {other:?}"),
        }
    }
    (group, refusals)
}

/// The longest run of bytes that looks like words separated by spaces.
fn longest_prose(bytes: &[u8]) -> String {
    let mut best = String::new();
    for run in bytes.split(|b| !(b.is_ascii_alphabetic() || *b == b' ' || *b == b'(' || *b == b')')) {
        let text = String::from_utf8_lossy(run);
        if text.matches(' ').count() >= 2 && text.len() > best.len() {
            best = text.into_owned();
        }
    }
    best
}

#[test]
fn a_snapshot_with_recorded_refusals_holds_no_prose() {
    let (group, refusals) = group_with_recorded_refusals();
    assert!(refusals.len() >= 5, "{refusals:?}");
    let bytes = group.snapshot().unwrap();
    let prose = longest_prose(&bytes);
    assert!(prose.is_empty(), "the snapshot holds English text: {prose:?}");
    // The messages are still there for people, made from the data; no apply made an
    // edge refusal (the only reasons that carry text).
    for err in &refusals {
        assert!(err.to_string().contains(' '), "{err}");
        let edge = matches!(
            err,
            CoreError::InvalidArgument { reason: InvalidReason::Request { .. }, .. }
                | CoreError::InvalidName { reason: NameProblem::Request { .. } }
        );
        assert!(!edge, "{err:?}");
    }
    assert!(
        refusals.contains(&CoreError::not_owner(NotOwnerReason::HeldBy { session: SessionId(1), owner: OwnerId(7) }))
    );
    assert!(refusals.contains(&CoreError::invalid_name(NameProblem::too_long(10_000, 256))), "{refusals:?}");
}

#[test]
fn recorded_refusals_are_answered_again_after_a_restore() {
    let (group, refusals) = group_with_recorded_refusals();
    let mut restored = Group::restore(&group.snapshot().unwrap()).unwrap();
    // The resend of b's unlock (seq 1) is answered from the restored record of b's calls.
    let unlock = StructureCommand::FencedLock(FencedLockCommand::Unlock { owner: OwnerId(8) });
    let ctx = ApplyCtx::invoked(LogIndex(100), Timestamp(0), Some(SessionId(2)), crate::testing::inv(2, 1));
    let again = restored.apply(GroupCommand::Invoke { name: "lock".to_owned(), command: unlock }, &ctx);
    let Reply::Ready(Err(err)) = again.response else { panic!("{:?}", again.response) };
    assert!(refusals.contains(&err), "{err:?} not in {refusals:?}");
}
