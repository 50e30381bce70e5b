//! CountDownLatchService requests and responses. Counts and rounds are the core's `u64`
//! unchanged; a zero count and future rounds are the core's to refuse.

use coterie_core::kinds::count_down_latch::{CountDownLatchCommand as C, CountDownLatchOutput as O};

use super::{structure_request, structure_response, timeout};
use crate::pb;

structure_request!(pb::CountDownLatchTrySetCountRequest, "try_set_count", CountDownLatch, |r| C::TrySetCount {
    count: r.count
});
structure_request!(pb::CountDownLatchSetCountRequest, "set_count", CountDownLatch, |r| C::SetCount { count: r.count });
structure_request!(pb::CountDownLatchCountDownRequest, "count_down", CountDownLatch, |r| C::CountDown {
    expected_round: r.expected_round
});
structure_request!(pb::CountDownLatchGetCountRequest, "get_count", CountDownLatch, |r| C::GetCount);
structure_request!(pb::CountDownLatchGetRoundRequest, "get_round", CountDownLatch, |r| C::GetRound);
structure_request!(pb::CountDownLatchAwaitRequest, "await", CountDownLatch, |r| C::Await {
    timeout: timeout(r.timeout_ms)
});

structure_response!(pb::CountDownLatchTrySetCountResponse, "try_set_count", CountDownLatch, O::Bool(set) => Self { set });
structure_response!(pb::CountDownLatchSetCountResponse, "set_count", CountDownLatch, O::Unit => Self {});
structure_response!(
    pb::CountDownLatchCountDownResponse, "count_down", CountDownLatch, O::Count(remaining) => Self { remaining }
);
structure_response!(pb::CountDownLatchGetCountResponse, "get_count", CountDownLatch, O::Count(count) => Self { count });
structure_response!(pb::CountDownLatchGetRoundResponse, "get_round", CountDownLatch, O::Round(round) => Self { round });
structure_response!(pb::CountDownLatchAwaitResponse, "await", CountDownLatch, O::Bool(opened) => Self { opened });
