use std::time::Duration;

use coterie_core::StructureCommand::FencedLock as Cmd;
use coterie_core::StructureOutput::FencedLock as Out;
use coterie_core::kinds::fenced_lock::{FencedLockCommand as C, FencedLockOutput as O};
use coterie_core::{Fence, OwnerId};

use super::{ConvertError, IntoCommand, assert_refused, assert_request, assert_response, call};
use crate::pb;

fn owner() -> Vec<u8> {
    vec![0xab; 16]
}

const OWNER: OwnerId = OwnerId(0xabab_abab_abab_abab_abab_abab_abab_abab);

#[test]
fn every_request_becomes_its_command() {
    assert_request(pb::FencedLockLockRequest { call: call(), owner: owner() }, Cmd(C::Lock { owner: OWNER }));
    assert_request(pb::FencedLockLockRequest { call: call(), owner: Vec::new() }, Cmd(C::Lock { owner: OwnerId(0) }));
    assert_request(
        pb::FencedLockTryLockRequest { call: call(), owner: vec![1], timeout_ms: Some(5000) },
        Cmd(C::TryLock { owner: OwnerId(1), timeout: Some(Duration::from_secs(5)) }),
    );
    assert_request(
        pb::FencedLockTryLockRequest { call: call(), owner: vec![1], timeout_ms: None },
        Cmd(C::TryLock { owner: OwnerId(1), timeout: None }),
    );
    assert_request(
        pb::FencedLockTryLockRequest { call: call(), owner: vec![1], timeout_ms: Some(u64::MAX) },
        Cmd(C::TryLock { owner: OwnerId(1), timeout: Some(Duration::from_millis(u64::MAX)) }),
    );
    assert_request(pb::FencedLockUnlockRequest { call: call(), owner: owner() }, Cmd(C::Unlock { owner: OWNER }));
    assert_request(pb::FencedLockIsLockedRequest { call: call() }, Cmd(C::IsLocked));
    assert_request(
        pb::FencedLockIsLockedByMeRequest { call: call(), owner: owner() },
        Cmd(C::IsLockedByMe { owner: OWNER }),
    );
    assert_request(pb::FencedLockGetLockCountRequest { call: call() }, Cmd(C::LockCount));
    assert_request(pb::FencedLockGetFenceRequest { call: call(), owner: owner() }, Cmd(C::Fence { owner: OWNER }));
}

#[test]
fn an_oversized_owner_is_refused_by_every_request_that_carries_one() {
    let long = vec![0; 17];
    let refused = |result: Result<_, ConvertError>, op: &str| {
        assert!(matches!(result, Err(ConvertError::InvalidArgument { operation, .. }) if operation == op), "{op}");
    };
    refused(pb::FencedLockLockRequest { call: call(), owner: long.clone() }.into_command(), "lock");
    refused(
        pb::FencedLockTryLockRequest { call: call(), owner: long.clone(), timeout_ms: None }.into_command(),
        "try_lock",
    );
    refused(pb::FencedLockUnlockRequest { call: call(), owner: long.clone() }.into_command(), "unlock");
    refused(pb::FencedLockIsLockedByMeRequest { call: call(), owner: long.clone() }.into_command(), "is_locked_by_me");
    refused(pb::FencedLockGetFenceRequest { call: call(), owner: long }.into_command(), "get_fence");
}

#[test]
fn every_output_becomes_its_response() {
    assert_response(Out(O::Fence(Fence(12))), pb::FencedLockLockResponse { fence: 12 });
    assert_response(Out(O::MaybeFence(Some(Fence(13)))), pb::FencedLockTryLockResponse { fence: Some(13) });
    assert_response(Out(O::MaybeFence(None)), pb::FencedLockTryLockResponse { fence: None });
    assert_response(Out(O::Unit), pb::FencedLockUnlockResponse {});
    assert_response(Out(O::Bool(true)), pb::FencedLockIsLockedResponse { locked: true });
    assert_response(Out(O::Bool(false)), pb::FencedLockIsLockedByMeResponse { locked: false });
    assert_response(Out(O::Count(3)), pb::FencedLockGetLockCountResponse { count: 3 });
    assert_response(Out(O::Fence(Fence(u64::MAX))), pb::FencedLockGetFenceResponse { fence: u64::MAX });
}

#[test]
fn outputs_of_another_variant_are_refused() {
    // A lock is answered with a fence, a try-lock with a maybe-fence; they must not be mixed up.
    assert_refused::<pb::FencedLockLockResponse>(Out(O::MaybeFence(Some(Fence(1)))));
    assert_refused::<pb::FencedLockTryLockResponse>(Out(O::Fence(Fence(1))));
    assert_refused::<pb::FencedLockGetLockCountResponse>(Out(O::Bool(true)));
    assert_refused::<pb::FencedLockUnlockResponse>(Out(O::Count(0)));
}
