//! Proto responses back to the group outputs they were built from: the reverse of
//! [`FromOutput`](super::FromOutput), for clients.
//!
//! Every response message is built from exactly one output shape, so this direction cannot
//! fail: a client that sent an rpc and got its response knows what the group answered.

use coterie_core::kinds::atomic_long::AtomicLongOutput as Al;
use coterie_core::kinds::atomic_reference::AtomicReferenceOutput as Ar;
use coterie_core::kinds::count_down_latch::CountDownLatchOutput as Cdl;
use coterie_core::kinds::cp_semaphore::CpSemaphoreOutput as Sem;
use coterie_core::kinds::fenced_lock::FencedLockOutput as Fl;
use coterie_core::{Fence, GroupOutput, SessionId, StructureOutput};

use crate::pb;

/// A proto response turned back into the group output it answers.
pub trait IntoOutput {
    /// The group output this response was built from by [`FromOutput`](super::FromOutput).
    fn into_output(self) -> GroupOutput;
}

/// Implements [`IntoOutput`] for a structure response: `$build` makes the kind's output
/// from the response bound to `$r`.
macro_rules! structure_output {
    ($($response:ty => $kind:ident, |$r:ident| $build:expr;)*) => {
        $(
            impl IntoOutput for $response {
                #[allow(unused_variables)]
                fn into_output(self) -> GroupOutput {
                    let $r = self;
                    GroupOutput::Structure(StructureOutput::$kind($build))
                }
            }
        )*
    };
}

structure_output! {
    pb::AtomicLongGetResponse => AtomicLong, |r| Al::Value(r.value);
    pb::AtomicLongSetResponse => AtomicLong, |r| Al::Unit;
    pb::AtomicLongGetAndSetResponse => AtomicLong, |r| Al::Value(r.previous);
    pb::AtomicLongAddAndGetResponse => AtomicLong, |r| Al::Value(r.value);
    pb::AtomicLongGetAndAddResponse => AtomicLong, |r| Al::Value(r.previous);
    pb::AtomicLongIncrementAndGetResponse => AtomicLong, |r| Al::Value(r.value);
    pb::AtomicLongDecrementAndGetResponse => AtomicLong, |r| Al::Value(r.value);
    pb::AtomicLongGetAndIncrementResponse => AtomicLong, |r| Al::Value(r.previous);
    pb::AtomicLongGetAndDecrementResponse => AtomicLong, |r| Al::Value(r.previous);
    pb::AtomicLongCompareAndSetResponse => AtomicLong, |r| Al::Bool(r.swapped);

    pb::AtomicReferenceGetResponse => AtomicReference, |r| Ar::Value(r.value);
    pb::AtomicReferenceSetResponse => AtomicReference, |r| Ar::Unit;
    pb::AtomicReferenceGetAndSetResponse => AtomicReference, |r| Ar::Value(r.previous);
    pb::AtomicReferenceCompareAndSetResponse => AtomicReference, |r| Ar::Bool(r.swapped);
    pb::AtomicReferenceSetIfAbsentResponse => AtomicReference, |r| Ar::Bool(r.set);
    pb::AtomicReferenceIsNullResponse => AtomicReference, |r| Ar::Bool(r.is_null);
    pb::AtomicReferenceClearResponse => AtomicReference, |r| Ar::Unit;
    pb::AtomicReferenceContainsResponse => AtomicReference, |r| Ar::Bool(r.contains);

    pb::FencedLockLockResponse => FencedLock, |r| Fl::Fence(Fence(r.fence));
    pb::FencedLockTryLockResponse => FencedLock, |r| Fl::MaybeFence(r.fence.map(Fence));
    pb::FencedLockUnlockResponse => FencedLock, |r| Fl::Unit;
    pb::FencedLockIsLockedResponse => FencedLock, |r| Fl::Bool(r.locked);
    pb::FencedLockIsLockedByMeResponse => FencedLock, |r| Fl::Bool(r.locked);
    pb::FencedLockGetLockCountResponse => FencedLock, |r| Fl::Count(r.count);
    pb::FencedLockGetFenceResponse => FencedLock, |r| Fl::Fence(Fence(r.fence));

    pb::SemaphoreInitResponse => CpSemaphore, |r| Sem::Unit;
    pb::SemaphoreAcquireResponse => CpSemaphore, |r| Sem::Unit;
    pb::SemaphoreTryAcquireResponse => CpSemaphore, |r| Sem::Bool(r.acquired);
    pb::SemaphoreReleaseResponse => CpSemaphore, |r| Sem::Unit;
    pb::SemaphoreAvailablePermitsResponse => CpSemaphore, |r| Sem::Permits(r.permits);
    pb::SemaphoreDrainPermitsResponse => CpSemaphore, |r| Sem::Permits(r.drained);
    pb::SemaphoreReducePermitsResponse => CpSemaphore, |r| Sem::Unit;
    pb::SemaphoreIncreasePermitsResponse => CpSemaphore, |r| Sem::Unit;

    pb::CountDownLatchTrySetCountResponse => CountDownLatch, |r| Cdl::Bool(r.set);
    pb::CountDownLatchSetCountResponse => CountDownLatch, |r| Cdl::Unit;
    pb::CountDownLatchCountDownResponse => CountDownLatch, |r| Cdl::Count(r.remaining);
    pb::CountDownLatchGetCountResponse => CountDownLatch, |r| Cdl::Count(r.count);
    pb::CountDownLatchGetRoundResponse => CountDownLatch, |r| Cdl::Round(r.round);
    pb::CountDownLatchAwaitResponse => CountDownLatch, |r| Cdl::Bool(r.opened);
}

impl IntoOutput for pb::OpenSessionResponse {
    fn into_output(self) -> GroupOutput {
        GroupOutput::Session(SessionId(self.session_id))
    }
}

impl IntoOutput for pb::HeartbeatResponse {
    fn into_output(self) -> GroupOutput {
        GroupOutput::Unit
    }
}

impl IntoOutput for pb::CloseSessionResponse {
    fn into_output(self) -> GroupOutput {
        GroupOutput::Unit
    }
}

impl IntoOutput for pb::CancelResponse {
    fn into_output(self) -> GroupOutput {
        GroupOutput::Bool(self.cancelled)
    }
}
