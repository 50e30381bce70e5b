use coterie_core::StructureCommand::AtomicReference as Cmd;
use coterie_core::StructureOutput::AtomicReference as Out;
use coterie_core::kinds::atomic_reference::{AtomicReferenceCommand as C, AtomicReferenceOutput as O};

use super::{ConvertError, IntoCommand, assert_refused, assert_request, assert_response, call};
use crate::pb;

fn b(s: &str) -> Option<Vec<u8>> {
    Some(s.as_bytes().to_vec())
}

#[test]
fn every_request_becomes_its_command_keeping_null_apart_from_empty() {
    assert_request(pb::AtomicReferenceGetRequest { call: call() }, Cmd(C::Get));
    assert_request(pb::AtomicReferenceSetRequest { call: call(), value: b("a") }, Cmd(C::Set(b("a"))));
    assert_request(pb::AtomicReferenceSetRequest { call: call(), value: None }, Cmd(C::Set(None)));
    assert_request(pb::AtomicReferenceSetRequest { call: call(), value: b("") }, Cmd(C::Set(b(""))));
    assert_request(pb::AtomicReferenceGetAndSetRequest { call: call(), value: b("b") }, Cmd(C::GetAndSet(b("b"))));
    assert_request(pb::AtomicReferenceGetAndSetRequest { call: call(), value: None }, Cmd(C::GetAndSet(None)));
    assert_request(
        pb::AtomicReferenceCompareAndSetRequest { call: call(), expected: None, update: b("") },
        Cmd(C::CompareAndSet { expected: None, update: b("") }),
    );
    assert_request(
        pb::AtomicReferenceCompareAndSetRequest { call: call(), expected: b("x"), update: None },
        Cmd(C::CompareAndSet { expected: b("x"), update: None }),
    );
    assert_request(
        pb::AtomicReferenceSetIfAbsentRequest { call: call(), value: b("d") },
        Cmd(C::SetIfAbsent(b"d".to_vec())),
    );
    assert_request(
        pb::AtomicReferenceSetIfAbsentRequest { call: call(), value: b("") },
        Cmd(C::SetIfAbsent(Vec::new())),
    );
    assert_request(pb::AtomicReferenceIsNullRequest { call: call() }, Cmd(C::IsNull));
    assert_request(pb::AtomicReferenceClearRequest { call: call() }, Cmd(C::Clear));
    assert_request(pb::AtomicReferenceContainsRequest { call: call(), value: b("c") }, Cmd(C::Contains(b("c"))));
    assert_request(pb::AtomicReferenceContainsRequest { call: call(), value: None }, Cmd(C::Contains(None)));
}

#[test]
fn set_if_absent_needs_a_value() {
    let request = pb::AtomicReferenceSetIfAbsentRequest { call: call(), value: None };
    assert!(matches!(request.into_command(), Err(ConvertError::InvalidArgument { operation: "set_if_absent", .. })));
}

#[test]
fn every_output_becomes_its_response() {
    assert_response(Out(O::Value(b("v"))), pb::AtomicReferenceGetResponse { value: b("v") });
    assert_response(Out(O::Value(None)), pb::AtomicReferenceGetResponse { value: None });
    assert_response(Out(O::Value(b(""))), pb::AtomicReferenceGetResponse { value: b("") });
    assert_response(Out(O::Unit), pb::AtomicReferenceSetResponse {});
    assert_response(Out(O::Value(None)), pb::AtomicReferenceGetAndSetResponse { previous: None });
    assert_response(Out(O::Value(b("p"))), pb::AtomicReferenceGetAndSetResponse { previous: b("p") });
    assert_response(Out(O::Bool(true)), pb::AtomicReferenceCompareAndSetResponse { swapped: true });
    assert_response(Out(O::Bool(false)), pb::AtomicReferenceSetIfAbsentResponse { set: false });
    assert_response(Out(O::Bool(true)), pb::AtomicReferenceIsNullResponse { is_null: true });
    assert_response(Out(O::Unit), pb::AtomicReferenceClearResponse {});
    assert_response(Out(O::Bool(true)), pb::AtomicReferenceContainsResponse { contains: true });
}

#[test]
fn outputs_of_another_variant_are_refused() {
    assert_refused::<pb::AtomicReferenceGetResponse>(Out(O::Unit));
    assert_refused::<pb::AtomicReferenceIsNullResponse>(Out(O::Value(None)));
    assert_refused::<pb::AtomicReferenceClearResponse>(Out(O::Bool(false)));
    assert_refused::<pb::AtomicReferenceGetResponse>(coterie_core::StructureOutput::AtomicLong(
        coterie_core::kinds::atomic_long::AtomicLongOutput::Value(1),
    ));
}
