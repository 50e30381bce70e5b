//! AtomicReferenceService requests and responses. Null travels as an absent
//! `optional bytes` field and maps to `None`; the empty byte string is a value.

use coterie_core::kinds::atomic_reference::{AtomicReferenceCommand as C, AtomicReferenceOutput as O};

use super::{ConvertError, structure_request, structure_response};
use crate::pb;

structure_request!(pb::AtomicReferenceGetRequest, "get", AtomicReference, |r| C::Get);
structure_request!(pb::AtomicReferenceSetRequest, "set", AtomicReference, |r| C::Set(r.value));
structure_request!(pb::AtomicReferenceGetAndSetRequest, "get_and_set", AtomicReference, |r| C::GetAndSet(r.value));
structure_request!(pb::AtomicReferenceCompareAndSetRequest, "compare_and_set", AtomicReference, |r| {
    C::CompareAndSet { expected: r.expected, update: r.update }
});
structure_request!(pb::AtomicReferenceSetIfAbsentRequest, "set_if_absent", AtomicReference, |r| {
    C::SetIfAbsent(r.value.ok_or_else(|| {
        ConvertError::invalid("set_if_absent", "value is required (null cannot be set if absent); use Set to clear")
    })?)
});
structure_request!(pb::AtomicReferenceIsNullRequest, "is_null", AtomicReference, |r| C::IsNull);
structure_request!(pb::AtomicReferenceClearRequest, "clear", AtomicReference, |r| C::Clear);
structure_request!(pb::AtomicReferenceContainsRequest, "contains", AtomicReference, |r| C::Contains(r.value));

structure_response!(pb::AtomicReferenceGetResponse, "get", AtomicReference, O::Value(value) => Self { value });
structure_response!(pb::AtomicReferenceSetResponse, "set", AtomicReference, O::Unit => Self {});
structure_response!(
    pb::AtomicReferenceGetAndSetResponse, "get_and_set", AtomicReference, O::Value(previous) => Self { previous }
);
structure_response!(
    pb::AtomicReferenceCompareAndSetResponse, "compare_and_set", AtomicReference, O::Bool(swapped) => Self { swapped }
);
structure_response!(pb::AtomicReferenceSetIfAbsentResponse, "set_if_absent", AtomicReference, O::Bool(set) => Self { set });
structure_response!(pb::AtomicReferenceIsNullResponse, "is_null", AtomicReference, O::Bool(is_null) => Self { is_null });
structure_response!(pb::AtomicReferenceClearResponse, "clear", AtomicReference, O::Unit => Self {});
structure_response!(
    pb::AtomicReferenceContainsResponse, "contains", AtomicReference, O::Bool(contains) => Self { contains }
);
