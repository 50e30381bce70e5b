//! SemaphoreService (CP semaphore) requests and responses. Acquire, TryAcquire and Release
//! take one permit when `permits` is absent, as the seed's `acquire()` does; an explicit 0
//! and counts above `i64::MAX` reach the core, which refuses them with a reason.

use coterie_core::kinds::cp_semaphore::{CpSemaphoreCommand as C, CpSemaphoreOutput as O};

use super::{structure_request, structure_response, timeout};
use crate::pb;

/// Permits taken or released when a request does not say.
const DEFAULT_PERMITS: u64 = 1;

structure_request!(pb::SemaphoreInitRequest, "init", CpSemaphore, |r| C::Init { permits: r.permits });
structure_request!(pb::SemaphoreAcquireRequest, "acquire", CpSemaphore, |r| C::Acquire {
    permits: r.permits.unwrap_or(DEFAULT_PERMITS)
});
structure_request!(pb::SemaphoreTryAcquireRequest, "try_acquire", CpSemaphore, |r| C::TryAcquire {
    permits: r.permits.unwrap_or(DEFAULT_PERMITS),
    timeout: timeout(r.timeout_ms),
});
structure_request!(pb::SemaphoreReleaseRequest, "release", CpSemaphore, |r| C::Release {
    permits: r.permits.unwrap_or(DEFAULT_PERMITS)
});
structure_request!(pb::SemaphoreAvailablePermitsRequest, "available_permits", CpSemaphore, |r| C::AvailablePermits);
structure_request!(pb::SemaphoreDrainPermitsRequest, "drain_permits", CpSemaphore, |r| C::DrainPermits);
structure_request!(pb::SemaphoreReducePermitsRequest, "reduce_permits", CpSemaphore, |r| C::ReducePermits {
    permits: r.permits
});
structure_request!(pb::SemaphoreIncreasePermitsRequest, "increase_permits", CpSemaphore, |r| C::IncreasePermits {
    permits: r.permits
});

structure_response!(pb::SemaphoreInitResponse, "init", CpSemaphore, O::Unit => Self {});
structure_response!(pb::SemaphoreAcquireResponse, "acquire", CpSemaphore, O::Unit => Self {});
structure_response!(pb::SemaphoreTryAcquireResponse, "try_acquire", CpSemaphore, O::Bool(acquired) => Self { acquired });
structure_response!(pb::SemaphoreReleaseResponse, "release", CpSemaphore, O::Unit => Self {});
structure_response!(
    pb::SemaphoreAvailablePermitsResponse, "available_permits", CpSemaphore, O::Permits(permits) => Self { permits }
);
structure_response!(
    pb::SemaphoreDrainPermitsResponse, "drain_permits", CpSemaphore, O::Permits(drained) => Self { drained }
);
structure_response!(pb::SemaphoreReducePermitsResponse, "reduce_permits", CpSemaphore, O::Unit => Self {});
structure_response!(pb::SemaphoreIncreasePermitsResponse, "increase_permits", CpSemaphore, O::Unit => Self {});
