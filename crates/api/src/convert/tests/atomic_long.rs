use coterie_core::StructureCommand::AtomicLong as Cmd;
use coterie_core::StructureOutput::{self, AtomicLong as Out};
use coterie_core::kinds::atomic_long::{AtomicLongCommand as C, AtomicLongOutput as O};

use super::{assert_refused, assert_request, assert_response, call};
use crate::pb;

#[test]
fn every_request_becomes_its_command() {
    assert_request(pb::AtomicLongGetRequest { call: call() }, Cmd(C::Get));
    assert_request(pb::AtomicLongSetRequest { call: call(), value: -5 }, Cmd(C::Set(-5)));
    assert_request(pb::AtomicLongGetAndSetRequest { call: call(), value: i64::MAX }, Cmd(C::GetAndSet(i64::MAX)));
    assert_request(pb::AtomicLongAddAndGetRequest { call: call(), delta: 10 }, Cmd(C::AddAndGet(10)));
    assert_request(pb::AtomicLongGetAndAddRequest { call: call(), delta: i64::MIN }, Cmd(C::GetAndAdd(i64::MIN)));
    assert_request(pb::AtomicLongIncrementAndGetRequest { call: call() }, Cmd(C::IncrementAndGet));
    assert_request(pb::AtomicLongDecrementAndGetRequest { call: call() }, Cmd(C::DecrementAndGet));
    assert_request(pb::AtomicLongGetAndIncrementRequest { call: call() }, Cmd(C::GetAndIncrement));
    assert_request(pb::AtomicLongGetAndDecrementRequest { call: call() }, Cmd(C::GetAndDecrement));
    assert_request(
        pb::AtomicLongCompareAndSetRequest { call: call(), expected: 15, update: 20 },
        Cmd(C::CompareAndSet { expected: 15, update: 20 }),
    );
    assert_request(
        pb::AtomicLongCompareAndExchangeRequest { call: call(), expected: i64::MIN, update: -1 },
        Cmd(C::CompareAndExchange { expected: i64::MIN, update: -1 }),
    );
}

#[test]
fn every_output_becomes_its_response() {
    assert_response(Out(O::Value(-3)), pb::AtomicLongGetResponse { value: -3 });
    assert_response(Out(O::Unit), pb::AtomicLongSetResponse {});
    assert_response(Out(O::Value(4)), pb::AtomicLongGetAndSetResponse { previous: 4 });
    assert_response(Out(O::Value(i64::MAX)), pb::AtomicLongAddAndGetResponse { value: i64::MAX });
    assert_response(Out(O::Value(i64::MIN)), pb::AtomicLongGetAndAddResponse { previous: i64::MIN });
    assert_response(Out(O::Value(1)), pb::AtomicLongIncrementAndGetResponse { value: 1 });
    assert_response(Out(O::Value(-1)), pb::AtomicLongDecrementAndGetResponse { value: -1 });
    assert_response(Out(O::Value(0)), pb::AtomicLongGetAndIncrementResponse { previous: 0 });
    assert_response(Out(O::Value(2)), pb::AtomicLongGetAndDecrementResponse { previous: 2 });
    assert_response(Out(O::Bool(true)), pb::AtomicLongCompareAndSetResponse { swapped: true });
    assert_response(Out(O::Bool(false)), pb::AtomicLongCompareAndSetResponse { swapped: false });
    assert_response(Out(O::Value(9)), pb::AtomicLongCompareAndExchangeResponse { witness: 9 });
}

#[test]
fn outputs_of_another_variant_or_kind_are_refused() {
    use coterie_core::kinds::counter::CounterOutput;
    assert_refused::<pb::AtomicLongGetResponse>(Out(O::Unit));
    assert_refused::<pb::AtomicLongGetResponse>(Out(O::Bool(true)));
    assert_refused::<pb::AtomicLongSetResponse>(Out(O::Value(1)));
    assert_refused::<pb::AtomicLongCompareAndSetResponse>(Out(O::Value(1)));
    assert_refused::<pb::AtomicLongIncrementAndGetResponse>(StructureOutput::Counter(CounterOutput::Value(1)));
}
