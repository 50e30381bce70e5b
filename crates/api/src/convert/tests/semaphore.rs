use std::time::Duration;

use coterie_core::StructureCommand::CpSemaphore as Cmd;
use coterie_core::StructureOutput::CpSemaphore as Out;
use coterie_core::kinds::cp_semaphore::{CpSemaphoreCommand as C, CpSemaphoreOutput as O};

use super::{assert_refused, assert_request, assert_response, call};
use crate::pb;

#[test]
fn every_request_becomes_its_command_with_one_permit_by_default() {
    assert_request(pb::SemaphoreInitRequest { call: call(), permits: 10 }, Cmd(C::Init { permits: 10 }));
    assert_request(pb::SemaphoreAcquireRequest { call: call(), permits: None }, Cmd(C::Acquire { permits: 1 }));
    assert_request(pb::SemaphoreAcquireRequest { call: call(), permits: Some(3) }, Cmd(C::Acquire { permits: 3 }));
    // An explicit 0 reaches the core, which refuses it with its own reason.
    assert_request(pb::SemaphoreAcquireRequest { call: call(), permits: Some(0) }, Cmd(C::Acquire { permits: 0 }));
    assert_request(
        pb::SemaphoreTryAcquireRequest { call: call(), permits: None, timeout_ms: None },
        Cmd(C::TryAcquire { permits: 1, timeout: None }),
    );
    assert_request(
        pb::SemaphoreTryAcquireRequest { call: call(), permits: Some(2), timeout_ms: Some(0) },
        Cmd(C::TryAcquire { permits: 2, timeout: Some(Duration::ZERO) }),
    );
    assert_request(pb::SemaphoreReleaseRequest { call: call(), permits: None }, Cmd(C::Release { permits: 1 }));
    assert_request(
        pb::SemaphoreReleaseRequest { call: call(), permits: Some(u64::MAX) },
        Cmd(C::Release { permits: u64::MAX }),
    );
    assert_request(pb::SemaphoreAvailablePermitsRequest { call: call() }, Cmd(C::AvailablePermits));
    assert_request(pb::SemaphoreDrainPermitsRequest { call: call() }, Cmd(C::DrainPermits));
    assert_request(
        pb::SemaphoreReducePermitsRequest { call: call(), permits: 2 },
        Cmd(C::ReducePermits { permits: 2 }),
    );
    assert_request(
        pb::SemaphoreIncreasePermitsRequest { call: call(), permits: 5 },
        Cmd(C::IncreasePermits { permits: 5 }),
    );
}

#[test]
fn every_output_becomes_its_response() {
    assert_response(Out(O::Unit), pb::SemaphoreInitResponse {});
    assert_response(Out(O::Unit), pb::SemaphoreAcquireResponse {});
    assert_response(Out(O::Bool(true)), pb::SemaphoreTryAcquireResponse { acquired: true });
    assert_response(Out(O::Bool(false)), pb::SemaphoreTryAcquireResponse { acquired: false });
    assert_response(Out(O::Unit), pb::SemaphoreReleaseResponse {});
    assert_response(Out(O::Permits(-2)), pb::SemaphoreAvailablePermitsResponse { permits: -2 });
    assert_response(Out(O::Permits(7)), pb::SemaphoreDrainPermitsResponse { drained: 7 });
    assert_response(Out(O::Unit), pb::SemaphoreReducePermitsResponse {});
    assert_response(Out(O::Unit), pb::SemaphoreIncreasePermitsResponse {});
}

#[test]
fn outputs_of_another_variant_are_refused() {
    assert_refused::<pb::SemaphoreAcquireResponse>(Out(O::Bool(true)));
    assert_refused::<pb::SemaphoreTryAcquireResponse>(Out(O::Unit));
    assert_refused::<pb::SemaphoreAvailablePermitsResponse>(Out(O::Bool(false)));
    assert_refused::<pb::SemaphoreDrainPermitsResponse>(Out(O::Unit));
}
