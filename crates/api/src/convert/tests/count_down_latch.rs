use std::time::Duration;

use coterie_core::StructureCommand::CountDownLatch as Cmd;
use coterie_core::StructureOutput::CountDownLatch as Out;
use coterie_core::kinds::count_down_latch::{CountDownLatchCommand as C, CountDownLatchOutput as O};

use super::{assert_refused, assert_request, assert_response, call};
use crate::pb;

#[test]
fn every_request_becomes_its_command() {
    assert_request(pb::CountDownLatchTrySetCountRequest { call: call(), count: 3 }, Cmd(C::TrySetCount { count: 3 }));
    assert_request(pb::CountDownLatchSetCountRequest { call: call(), count: 4 }, Cmd(C::SetCount { count: 4 }));
    assert_request(
        pb::CountDownLatchCountDownRequest { call: call(), expected_round: 2 },
        Cmd(C::CountDown { expected_round: 2 }),
    );
    assert_request(pb::CountDownLatchGetCountRequest { call: call() }, Cmd(C::GetCount));
    assert_request(pb::CountDownLatchGetRoundRequest { call: call() }, Cmd(C::GetRound));
    assert_request(pb::CountDownLatchAwaitRequest { call: call(), timeout_ms: None }, Cmd(C::Await { timeout: None }));
    assert_request(
        pb::CountDownLatchAwaitRequest { call: call(), timeout_ms: Some(30_000) },
        Cmd(C::Await { timeout: Some(Duration::from_secs(30)) }),
    );
}

#[test]
fn every_output_becomes_its_response() {
    assert_response(Out(O::Bool(true)), pb::CountDownLatchTrySetCountResponse { set: true });
    assert_response(Out(O::Unit), pb::CountDownLatchSetCountResponse {});
    assert_response(Out(O::Count(2)), pb::CountDownLatchCountDownResponse { remaining: 2 });
    assert_response(Out(O::Count(0)), pb::CountDownLatchGetCountResponse { count: 0 });
    assert_response(Out(O::Round(5)), pb::CountDownLatchGetRoundResponse { round: 5 });
    assert_response(Out(O::Bool(false)), pb::CountDownLatchAwaitResponse { opened: false });
}

#[test]
fn outputs_of_another_variant_are_refused() {
    // A count and a round are both numbers; they must not be mixed up.
    assert_refused::<pb::CountDownLatchGetRoundResponse>(Out(O::Count(1)));
    assert_refused::<pb::CountDownLatchGetCountResponse>(Out(O::Round(1)));
    assert_refused::<pb::CountDownLatchCountDownResponse>(Out(O::Round(1)));
    assert_refused::<pb::CountDownLatchAwaitResponse>(Out(O::Unit));
}
