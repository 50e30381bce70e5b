//! AtomicLongService requests and responses. The proto's integers are the core's `i64`, so
//! nothing here can be out of range; overflow is the core's to refuse.

use coterie_core::kinds::atomic_long::{AtomicLongCommand as C, AtomicLongOutput as O};

use super::{structure_request, structure_response};
use crate::pb;

structure_request!(pb::AtomicLongGetRequest, "get", AtomicLong, |r| C::Get);
structure_request!(pb::AtomicLongSetRequest, "set", AtomicLong, |r| C::Set(r.value));
structure_request!(pb::AtomicLongGetAndSetRequest, "get_and_set", AtomicLong, |r| C::GetAndSet(r.value));
structure_request!(pb::AtomicLongAddAndGetRequest, "add_and_get", AtomicLong, |r| C::AddAndGet(r.delta));
structure_request!(pb::AtomicLongGetAndAddRequest, "get_and_add", AtomicLong, |r| C::GetAndAdd(r.delta));
structure_request!(pb::AtomicLongIncrementAndGetRequest, "increment_and_get", AtomicLong, |r| C::IncrementAndGet);
structure_request!(pb::AtomicLongDecrementAndGetRequest, "decrement_and_get", AtomicLong, |r| C::DecrementAndGet);
structure_request!(pb::AtomicLongGetAndIncrementRequest, "get_and_increment", AtomicLong, |r| C::GetAndIncrement);
structure_request!(pb::AtomicLongGetAndDecrementRequest, "get_and_decrement", AtomicLong, |r| C::GetAndDecrement);
structure_request!(pb::AtomicLongCompareAndSetRequest, "compare_and_set", AtomicLong, |r| C::CompareAndSet {
    expected: r.expected,
    update: r.update
});

structure_response!(pb::AtomicLongGetResponse, "get", AtomicLong, O::Value(value) => Self { value });
structure_response!(pb::AtomicLongSetResponse, "set", AtomicLong, O::Unit => Self {});
structure_response!(pb::AtomicLongGetAndSetResponse, "get_and_set", AtomicLong, O::Value(previous) => Self { previous });
structure_response!(pb::AtomicLongAddAndGetResponse, "add_and_get", AtomicLong, O::Value(value) => Self { value });
structure_response!(pb::AtomicLongGetAndAddResponse, "get_and_add", AtomicLong, O::Value(previous) => Self { previous });
structure_response!(
    pb::AtomicLongIncrementAndGetResponse, "increment_and_get", AtomicLong, O::Value(value) => Self { value }
);
structure_response!(
    pb::AtomicLongDecrementAndGetResponse, "decrement_and_get", AtomicLong, O::Value(value) => Self { value }
);
structure_response!(
    pb::AtomicLongGetAndIncrementResponse, "get_and_increment", AtomicLong, O::Value(previous) => Self { previous }
);
structure_response!(
    pb::AtomicLongGetAndDecrementResponse, "get_and_decrement", AtomicLong, O::Value(previous) => Self { previous }
);
structure_response!(
    pb::AtomicLongCompareAndSetResponse, "compare_and_set", AtomicLong, O::Bool(swapped) => Self { swapped }
);
