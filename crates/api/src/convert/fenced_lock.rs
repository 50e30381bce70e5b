//! FencedLockService requests and responses. The owner travels as up to 16 big-endian
//! bytes (see [`owner_from_bytes`]); fences are the core's log-index fences as `uint64`.

use coterie_core::kinds::fenced_lock::{FencedLockCommand as C, FencedLockOutput as O};

use super::{owner_from_bytes, structure_request, structure_response, timeout};
use crate::pb;

structure_request!(pb::FencedLockLockRequest, "lock", FencedLock, |r| C::Lock {
    owner: owner_from_bytes(&r.owner, "lock")?
});
structure_request!(pb::FencedLockTryLockRequest, "try_lock", FencedLock, |r| C::TryLock {
    owner: owner_from_bytes(&r.owner, "try_lock")?,
    timeout: timeout(r.timeout_ms),
});
structure_request!(pb::FencedLockUnlockRequest, "unlock", FencedLock, |r| C::Unlock {
    owner: owner_from_bytes(&r.owner, "unlock")?
});
structure_request!(pb::FencedLockIsLockedRequest, "is_locked", FencedLock, |r| C::IsLocked);
structure_request!(pb::FencedLockIsLockedByMeRequest, "is_locked_by_me", FencedLock, |r| C::IsLockedByMe {
    owner: owner_from_bytes(&r.owner, "is_locked_by_me")?
});
structure_request!(pb::FencedLockGetLockCountRequest, "get_lock_count", FencedLock, |r| C::LockCount);
structure_request!(pb::FencedLockGetFenceRequest, "get_fence", FencedLock, |r| C::Fence {
    owner: owner_from_bytes(&r.owner, "get_fence")?
});

structure_response!(pb::FencedLockLockResponse, "lock", FencedLock, O::Fence(fence) => Self { fence: fence.0 });
structure_response!(
    pb::FencedLockTryLockResponse, "try_lock", FencedLock, O::MaybeFence(fence) => Self { fence: fence.map(|f| f.0) }
);
structure_response!(pb::FencedLockUnlockResponse, "unlock", FencedLock, O::Unit => Self {});
structure_response!(pb::FencedLockIsLockedResponse, "is_locked", FencedLock, O::Bool(locked) => Self { locked });
structure_response!(
    pb::FencedLockIsLockedByMeResponse, "is_locked_by_me", FencedLock, O::Bool(locked) => Self { locked }
);
structure_response!(pb::FencedLockGetLockCountResponse, "get_lock_count", FencedLock, O::Count(count) => Self { count });
structure_response!(pb::FencedLockGetFenceResponse, "get_fence", FencedLock, O::Fence(fence) => Self { fence: fence.0 });
