//! The one list of Coterie's client-facing rpcs.
//!
//! Every rpc is declared here exactly once, with everything the Rust side needs to know
//! about it: its service, its tonic method, the operation name the core uses, and, for a
//! structure rpc, how its request fields become the core command and how the core output
//! becomes its response fields (one declaration read both ways). From this list are
//! generated:
//!
//! - the conversions both ways (`IntoCommand`, `FromOutput`, `IntoOutput` and the client's
//!   command-to-request mapping), in `convert/rpc.rs`;
//! - [`RpcRequest`](super::RpcRequest) and [`RpcResponse`](super::RpcResponse), with their
//!   dispatch;
//! - the server's service implementations and its path dispatch (`coterie-server`,
//!   `host/api.rs` and `host/dispatch.rs`);
//! - the client's gRPC transport (`coterie-client`, `grpc.rs`).
//!
//! So adding an operation touches the core (the command and its apply), the proto (the rpc
//! and its two messages) and one line here. A consumer passes the name of its own macro,
//! which receives the whole list:
//!
//! ```ignore
//! coterie_api::for_each_rpc!(my_generator);
//! ```
//!
//! # The grammar
//!
//! ```text
//! structures {
//!     <Kind> {
//!         module <core kinds module>, command <Command enum>, output <Output enum>,
//!         service <server module>::<Service trait> as <Server type>, client <client module>::<Client type>,
//!         rpcs {
//!             <Variant> <"operation"> <tonic method> (<mode>):
//!                 <Request> { <field>: <Field converter>, ... } => [<Command variant and its bindings>];
//!                 <Response> { <field>: <Field converter>, ... } <= [<Output variant and its bindings>]
//!                     | [<another Output variant>] where { <field> = <literal>, ... } ...;
//!         }
//!         create <Variant> <"operation"> <tonic method>:
//!             <Request> { <field>: <Field converter>, ... } => [<StructureSpec variant and its bindings>];
//!             <Response>;
//!     }
//! }
//! sessions { service ..., client ..., rpcs { <Variant> <"operation"> <method>: <Request> -> <Response>; } }
//! ```
//!
//! A request field named `f` binds `f` in the command (and a response field binds it in the
//! output): `{ delta: Same } => [AddAndGet(delta)]` reads `delta` from the request into
//! `AddAndGet(delta)`, and the client matches `AddAndGet(delta)` to fill the field back. The
//! converters (`Same`, `Owner`, `Timeout`, `OnePermitByDefault`, `Required`, `FenceValue`) are
//! in [`super::fields`]; each is one rule read both ways, so the two directions cannot
//! drift apart. The `Call` header is not listed: every structure request has one.
//!
//! An rpc whose operation answers one of several outputs (a Barrier arrival is released or
//! times out) lists each after `<=`, separated by `|`; `where` gives the fields an output
//! does not carry fixed values. The server fills the response from whichever output it got;
//! the client takes the first output whose `where` values the response has (one without
//! `where` matches any), so the values must tell the outputs apart: `released = true` and
//! `released = false` for the Barrier. A response that matches none is refused.
//!
//! A kind whose structures take a configuration (a Queue's capacity, a sharded Semaphore's
//! permits) may have one `create` rpc: its request becomes `GroupCommand::Create` with the
//! `StructureSpec` it binds, and its response carries `bool created` (whether this call
//! created it; false: it existed with the same configuration). The first use of a name
//! fixes its configuration, so a create after another configuration is the group's
//! `config_conflict`. Create rpcs are mutations.
//!
//! The mode says how a client must make the call: `read` (no session, no sequence number),
//! `mutation` (in a session, with a sequence number, applied once), `session` (it depends
//! on or changes what the caller's session holds: locks, permits) or `blocking` (it may park
//! in the group, so it keeps its place across attempts).
//!
//! The session rpcs are group commands, not structure commands: their conversions are
//! written by hand in `convert/session.rs`, and only their place in the tables comes from here.
//!
//! Semantics the wire encoding carries, per kind:
//! - AtomicLong: the proto's integers are the core's `i64`; overflow is the core's to refuse.
//! - AtomicReference: null travels as an absent `optional bytes` and is `None`; the empty
//!   byte string is a value. SetIfAbsent requires a value.
//! - FencedLock: the owner travels as up to 16 big-endian bytes (`Owner`); fences are `u64`.
//! - Semaphore: Acquire, TryAcquire and Release take one permit when `permits` is absent,
//!   as the seed's `acquire()` does; 0 and counts above `i64::MAX` reach the core, which
//!   refuses them with a reason.
//! - CountDownLatch: counts and rounds are the core's `u64` unchanged.
//! - Counter: deltas and values are the core's `i64`; overflow is the core's to refuse.
//! - Map: keys and values are bytes; an absent value travels as an absent `optional bytes`
//!   (`None`), the empty byte string is a value. A listing's `cursor` is the command's
//!   `after`, opaque to clients: a CP map's is the last key, a sharded map's the partition
//!   and the last key in it (the server's `host/scatter.rs`); `next_cursor` is the output's
//!   `next`. Entries travel as `MapEntry` messages (`EntryList`).
//! - Set: items are bytes; listings are paged as a Map's.
//! - Lock and sharded Semaphore: the owner is the caller's handle id (`HandleOwner`: 1 to 16
//!   big-endian bytes, required, as there is no session to tell callers apart); leases and
//!   timeouts are `optional uint64` milliseconds; a Semaphore's permits are `int64` on the
//!   wire so that a negative count is refused with the reason (`PositivePermits`).
//! - Barrier: an arrival answers `released` and the round (released), or `released = false`
//!   and round 0 (timed out, withdrawn).

/// Calls `$callback!` with the list of every client-facing rpc (see the module docs),
/// after the tokens `$arg`s, if any.
#[macro_export]
macro_rules! for_each_rpc {
    ($callback:path $(, $arg:tt)*) => {
        $callback! {
            $($arg)*
            structures {
                AtomicLong {
                    module atomic_long, command AtomicLongCommand, output AtomicLongOutput,
                    service atomic_long_service_server::AtomicLongService as AtomicLongServiceServer,
                    client atomic_long_service_client::AtomicLongServiceClient,
                    rpcs {
                        AtomicLongGet "get" get (read):
                            AtomicLongGetRequest {} => [Get];
                            AtomicLongGetResponse { value: Same } <= [Value(value)];
                        AtomicLongSet "set" set (mutation):
                            AtomicLongSetRequest { value: Same } => [Set(value)];
                            AtomicLongSetResponse {} <= [Unit];
                        AtomicLongGetAndSet "get_and_set" get_and_set (mutation):
                            AtomicLongGetAndSetRequest { value: Same } => [GetAndSet(value)];
                            AtomicLongGetAndSetResponse { previous: Same } <= [Value(previous)];
                        AtomicLongAddAndGet "add_and_get" add_and_get (mutation):
                            AtomicLongAddAndGetRequest { delta: Same } => [AddAndGet(delta)];
                            AtomicLongAddAndGetResponse { value: Same } <= [Value(value)];
                        AtomicLongGetAndAdd "get_and_add" get_and_add (mutation):
                            AtomicLongGetAndAddRequest { delta: Same } => [GetAndAdd(delta)];
                            AtomicLongGetAndAddResponse { previous: Same } <= [Value(previous)];
                        AtomicLongIncrementAndGet "increment_and_get" increment_and_get (mutation):
                            AtomicLongIncrementAndGetRequest {} => [IncrementAndGet];
                            AtomicLongIncrementAndGetResponse { value: Same } <= [Value(value)];
                        AtomicLongDecrementAndGet "decrement_and_get" decrement_and_get (mutation):
                            AtomicLongDecrementAndGetRequest {} => [DecrementAndGet];
                            AtomicLongDecrementAndGetResponse { value: Same } <= [Value(value)];
                        AtomicLongGetAndIncrement "get_and_increment" get_and_increment (mutation):
                            AtomicLongGetAndIncrementRequest {} => [GetAndIncrement];
                            AtomicLongGetAndIncrementResponse { previous: Same } <= [Value(previous)];
                        AtomicLongGetAndDecrement "get_and_decrement" get_and_decrement (mutation):
                            AtomicLongGetAndDecrementRequest {} => [GetAndDecrement];
                            AtomicLongGetAndDecrementResponse { previous: Same } <= [Value(previous)];
                        AtomicLongCompareAndSet "compare_and_set" compare_and_set (mutation):
                            AtomicLongCompareAndSetRequest { expected: Same, update: Same } => [CompareAndSet { expected, update }];
                            AtomicLongCompareAndSetResponse { swapped: Same } <= [Bool(swapped)];
                        AtomicLongCompareAndExchange "compare_and_exchange" compare_and_exchange (mutation):
                            AtomicLongCompareAndExchangeRequest { expected: Same, update: Same } => [CompareAndExchange { expected, update }];
                            AtomicLongCompareAndExchangeResponse { witness: Same } <= [Value(witness)];
                    }
                }
                AtomicReference {
                    module atomic_reference, command AtomicReferenceCommand, output AtomicReferenceOutput,
                    service atomic_reference_service_server::AtomicReferenceService as AtomicReferenceServiceServer,
                    client atomic_reference_service_client::AtomicReferenceServiceClient,
                    rpcs {
                        AtomicReferenceGet "get" get (read):
                            AtomicReferenceGetRequest {} => [Get];
                            AtomicReferenceGetResponse { value: Same } <= [Value(value)];
                        AtomicReferenceSet "set" set (mutation):
                            AtomicReferenceSetRequest { value: Same } => [Set(value)];
                            AtomicReferenceSetResponse {} <= [Unit];
                        AtomicReferenceGetAndSet "get_and_set" get_and_set (mutation):
                            AtomicReferenceGetAndSetRequest { value: Same } => [GetAndSet(value)];
                            AtomicReferenceGetAndSetResponse { previous: Same } <= [Value(previous)];
                        AtomicReferenceCompareAndSet "compare_and_set" compare_and_set (mutation):
                            AtomicReferenceCompareAndSetRequest { expected: Same, update: Same } => [CompareAndSet { expected, update }];
                            AtomicReferenceCompareAndSetResponse { swapped: Same } <= [Bool(swapped)];
                        AtomicReferenceSetIfAbsent "set_if_absent" set_if_absent (mutation):
                            AtomicReferenceSetIfAbsentRequest { value: Required } => [SetIfAbsent(value)];
                            AtomicReferenceSetIfAbsentResponse { set: Same } <= [Bool(set)];
                        AtomicReferenceIsNull "is_null" is_null (read):
                            AtomicReferenceIsNullRequest {} => [IsNull];
                            AtomicReferenceIsNullResponse { is_null: Same } <= [Bool(is_null)];
                        AtomicReferenceClear "clear" clear (mutation):
                            AtomicReferenceClearRequest {} => [Clear];
                            AtomicReferenceClearResponse {} <= [Unit];
                        AtomicReferenceContains "contains" contains (read):
                            AtomicReferenceContainsRequest { value: Same } => [Contains(value)];
                            AtomicReferenceContainsResponse { contains: Same } <= [Bool(contains)];
                    }
                }
                FencedLock {
                    module fenced_lock, command FencedLockCommand, output FencedLockOutput,
                    service fenced_lock_service_server::FencedLockService as FencedLockServiceServer,
                    client fenced_lock_service_client::FencedLockServiceClient,
                    rpcs {
                        FencedLockLock "lock" lock (blocking):
                            FencedLockLockRequest { owner: Owner } => [Lock { owner }];
                            FencedLockLockResponse { fence: FenceValue } <= [Fence(fence)];
                        FencedLockTryLock "try_lock" try_lock (blocking):
                            FencedLockTryLockRequest { owner: Owner, timeout_ms: Timeout } => [TryLock { owner, timeout: timeout_ms }];
                            FencedLockTryLockResponse { fence: FenceValue } <= [MaybeFence(fence)];
                        FencedLockUnlock "unlock" unlock (session):
                            FencedLockUnlockRequest { owner: Owner } => [Unlock { owner }];
                            FencedLockUnlockResponse {} <= [Unit];
                        FencedLockIsLocked "is_locked" is_locked (read):
                            FencedLockIsLockedRequest {} => [IsLocked];
                            FencedLockIsLockedResponse { locked: Same } <= [Bool(locked)];
                        FencedLockIsLockedByMe "is_locked_by_me" is_locked_by_me (session):
                            FencedLockIsLockedByMeRequest { owner: Owner } => [IsLockedByMe { owner }];
                            FencedLockIsLockedByMeResponse { locked: Same } <= [Bool(locked)];
                        FencedLockGetLockCount "get_lock_count" get_lock_count (read):
                            FencedLockGetLockCountRequest {} => [LockCount];
                            FencedLockGetLockCountResponse { count: Same } <= [Count(count)];
                        FencedLockGetFence "get_fence" get_fence (session):
                            FencedLockGetFenceRequest { owner: Owner } => [Fence { owner }];
                            FencedLockGetFenceResponse { fence: FenceValue } <= [Fence(fence)];
                    }
                }
                CpSemaphore {
                    module cp_semaphore, command CpSemaphoreCommand, output CpSemaphoreOutput,
                    service semaphore_service_server::SemaphoreService as SemaphoreServiceServer,
                    client semaphore_service_client::SemaphoreServiceClient,
                    rpcs {
                        SemaphoreInit "init" init (mutation):
                            SemaphoreInitRequest { permits: Same } => [Init { permits }];
                            SemaphoreInitResponse {} <= [Unit];
                        SemaphoreAcquire "acquire" acquire (blocking):
                            SemaphoreAcquireRequest { permits: OnePermitByDefault } => [Acquire { permits }];
                            SemaphoreAcquireResponse {} <= [Unit];
                        SemaphoreTryAcquire "try_acquire" try_acquire (blocking):
                            SemaphoreTryAcquireRequest { permits: OnePermitByDefault, timeout_ms: Timeout } => [TryAcquire { permits, timeout: timeout_ms }];
                            SemaphoreTryAcquireResponse { acquired: Same } <= [Bool(acquired)];
                        SemaphoreRelease "release" release (session):
                            SemaphoreReleaseRequest { permits: OnePermitByDefault } => [Release { permits }];
                            SemaphoreReleaseResponse {} <= [Unit];
                        SemaphoreAvailablePermits "available_permits" available_permits (read):
                            SemaphoreAvailablePermitsRequest {} => [AvailablePermits];
                            SemaphoreAvailablePermitsResponse { permits: Same } <= [Permits(permits)];
                        SemaphoreDrainPermits "drain_permits" drain_permits (session):
                            SemaphoreDrainPermitsRequest {} => [DrainPermits];
                            SemaphoreDrainPermitsResponse { drained: Same } <= [Permits(drained)];
                        SemaphoreReducePermits "reduce_permits" reduce_permits (mutation):
                            SemaphoreReducePermitsRequest { permits: Same } => [ReducePermits { permits }];
                            SemaphoreReducePermitsResponse {} <= [Unit];
                        SemaphoreIncreasePermits "increase_permits" increase_permits (mutation):
                            SemaphoreIncreasePermitsRequest { permits: Same } => [IncreasePermits { permits }];
                            SemaphoreIncreasePermitsResponse {} <= [Unit];
                    }
                }
                CountDownLatch {
                    module count_down_latch, command CountDownLatchCommand, output CountDownLatchOutput,
                    service count_down_latch_service_server::CountDownLatchService as CountDownLatchServiceServer,
                    client count_down_latch_service_client::CountDownLatchServiceClient,
                    rpcs {
                        CountDownLatchTrySetCount "try_set_count" try_set_count (mutation):
                            CountDownLatchTrySetCountRequest { count: Same } => [TrySetCount { count }];
                            CountDownLatchTrySetCountResponse { set: Same } <= [Bool(set)];
                        CountDownLatchSetCount "set_count" set_count (mutation):
                            CountDownLatchSetCountRequest { count: Same } => [SetCount { count }];
                            CountDownLatchSetCountResponse {} <= [Unit];
                        CountDownLatchCountDown "count_down" count_down (mutation):
                            CountDownLatchCountDownRequest { expected_round: Same } => [CountDown { expected_round }];
                            CountDownLatchCountDownResponse { remaining: Same } <= [Count(remaining)];
                        CountDownLatchGetCount "get_count" get_count (read):
                            CountDownLatchGetCountRequest {} => [GetCount];
                            CountDownLatchGetCountResponse { count: Same } <= [Count(count)];
                        CountDownLatchGetRound "get_round" get_round (read):
                            CountDownLatchGetRoundRequest {} => [GetRound];
                            CountDownLatchGetRoundResponse { round: Same } <= [Round(round)];
                        CountDownLatchAwait "await" r#await (blocking):
                            CountDownLatchAwaitRequest { timeout_ms: Timeout } => [Await { timeout: timeout_ms }];
                            CountDownLatchAwaitResponse { opened: Same } <= [Bool(opened)];
                    }
                }
                Counter {
                    module counter, command CounterCommand, output CounterOutput,
                    service counter_service_server::CounterService as CounterServiceServer,
                    client counter_service_client::CounterServiceClient,
                    rpcs {
                        CounterIncrement "increment" increment (mutation):
                            CounterIncrementRequest { delta: Same } => [Increment(delta)];
                            CounterIncrementResponse { value: Same } <= [Value(value)];
                        CounterDecrement "decrement" decrement (mutation):
                            CounterDecrementRequest { delta: Same } => [Decrement(delta)];
                            CounterDecrementResponse { value: Same } <= [Value(value)];
                        CounterGet "get" get (read):
                            CounterGetRequest {} => [Get];
                            CounterGetResponse { value: Same } <= [Value(value)];
                    }
                }
                Map {
                    module map, command MapCommand, output MapOutput,
                    service map_service_server::MapService as MapServiceServer,
                    client map_service_client::MapServiceClient,
                    rpcs {
                        MapPut "put" put (mutation):
                            MapPutRequest { key: Same, value: Same } => [Put { key, value }];
                            MapPutResponse { previous: Same } <= [Value(previous)];
                        MapGet "get" get (read):
                            MapGetRequest { key: Same } => [Get { key }];
                            MapGetResponse { value: Same } <= [Value(value)];
                        MapContains "contains" contains (read):
                            MapContainsRequest { key: Same } => [Contains { key }];
                            MapContainsResponse { contains: Same } <= [Bool(contains)];
                        MapDelete "delete" delete (mutation):
                            MapDeleteRequest { key: Same } => [Delete { key }];
                            MapDeleteResponse { existed: Same } <= [Bool(existed)];
                        MapPutIfAbsent "put_if_absent" put_if_absent (mutation):
                            MapPutIfAbsentRequest { key: Same, value: Same } => [PutIfAbsent { key, value }];
                            MapPutIfAbsentResponse { previous: Same } <= [Value(previous)];
                        MapReplace "replace" replace (mutation):
                            MapReplaceRequest { key: Same, value: Same } => [Replace { key, value }];
                            MapReplaceResponse { previous: Same } <= [Value(previous)];
                        MapCompareAndSet "compare_and_set" compare_and_set (mutation):
                            MapCompareAndSetRequest { key: Same, expected: Same, update: Same } => [CompareAndSet { key, expected, update }];
                            MapCompareAndSetResponse { swapped: Same } <= [Bool(swapped)];
                        MapSize "size" size (read):
                            MapSizeRequest {} => [Size];
                            MapSizeResponse { size: Same } <= [Count(size)];
                        MapKeys "keys" keys (read):
                            MapKeysRequest { cursor: Same, limit: Same } => [Keys { after: cursor, limit }];
                            MapKeysResponse { keys: Same, next_cursor: Same } <= [Keys { keys, next: next_cursor }];
                        MapEntries "entries" entries (read):
                            MapEntriesRequest { cursor: Same, limit: Same } => [Entries { after: cursor, limit }];
                            MapEntriesResponse { entries: EntryList, next_cursor: Same } <= [Entries { entries, next: next_cursor }];
                        MapClear "clear" clear (mutation):
                            MapClearRequest {} => [Clear];
                            MapClearResponse { removed: Same } <= [Count(removed)];
                    }
                }
                Set {
                    module set, command SetCommand, output SetOutput,
                    service set_service_server::SetService as SetServiceServer,
                    client set_service_client::SetServiceClient,
                    rpcs {
                        SetAdd "add" add (mutation):
                            SetAddRequest { item: Same } => [Add(item)];
                            SetAddResponse { added: Same } <= [Bool(added)];
                        SetRemove "remove" remove (mutation):
                            SetRemoveRequest { item: Same } => [Remove(item)];
                            SetRemoveResponse { removed: Same } <= [Bool(removed)];
                        SetContains "contains" contains (read):
                            SetContainsRequest { item: Same } => [Contains(item)];
                            SetContainsResponse { contains: Same } <= [Bool(contains)];
                        SetSize "size" size (read):
                            SetSizeRequest {} => [Size];
                            SetSizeResponse { size: Same } <= [Count(size)];
                        SetMembers "members" members (read):
                            SetMembersRequest { cursor: Same, limit: Same } => [Members { after: cursor, limit }];
                            SetMembersResponse { items: Same, next_cursor: Same } <= [Members { members: items, next: next_cursor }];
                        SetClear "clear" clear (mutation):
                            SetClearRequest {} => [Clear];
                            SetClearResponse { removed: Same } <= [Count(removed)];
                    }
                }
                Queue {
                    module queue, command QueueCommand, output QueueOutput,
                    service queue_service_server::QueueService as QueueServiceServer,
                    client queue_service_client::QueueServiceClient,
                    rpcs {
                        QueueEnqueue "enqueue" enqueue (mutation):
                            QueueEnqueueRequest { item: Same } => [Enqueue(item)];
                            QueueEnqueueResponse {} <= [Unit];
                        QueuePeek "peek" peek (read):
                            QueuePeekRequest {} => [Peek];
                            QueuePeekResponse { item: Same } <= [Item(item)];
                        QueueDequeue "dequeue" dequeue (mutation):
                            QueueDequeueRequest {} => [Dequeue];
                            QueueDequeueResponse { item: Same } <= [Item(item)];
                        QueueTake "take" take (blocking):
                            QueueTakeRequest { timeout_ms: Timeout } => [Take { timeout: timeout_ms }];
                            QueueTakeResponse { item: Same } <= [Item(item)];
                        QueueSize "size" size (read):
                            QueueSizeRequest {} => [Size];
                            QueueSizeResponse { size: Same } <= [Count(size)];
                        QueueDrain "drain" drain (mutation):
                            QueueDrainRequest { max: Same } => [Drain { max }];
                            QueueDrainResponse { items: Same } <= [Items(items)];
                        QueueClear "clear" clear (mutation):
                            QueueClearRequest {} => [Clear];
                            QueueClearResponse { removed: Same } <= [Count(removed)];
                    }
                    create QueueCreate "create" create:
                        QueueCreateRequest { capacity: Same } => [Queue(::coterie_core::kinds::queue::QueueConfig { capacity })];
                        QueueCreateResponse;
                }
                Lock {
                    module lock, command LockCommand, output LockOutput,
                    service lock_service_server::LockService as LockServiceServer,
                    client lock_service_client::LockServiceClient,
                    rpcs {
                        LockAcquire "acquire" acquire (blocking):
                            LockAcquireRequest { owner: HandleOwner, lease_ms: Timeout } => [Acquire { owner, lease: lease_ms }];
                            LockAcquireResponse { fence: FenceValue } <= [Fence(fence)];
                        LockTryAcquire "try_acquire" try_acquire (blocking):
                            LockTryAcquireRequest { owner: HandleOwner, lease_ms: Timeout, timeout_ms: Timeout }
                                => [TryAcquire { owner, lease: lease_ms, timeout: timeout_ms }];
                            LockTryAcquireResponse { fence: FenceValue } <= [MaybeFence(fence)];
                        LockRelease "release" release (mutation):
                            LockReleaseRequest { owner: HandleOwner } => [Release { owner }];
                            LockReleaseResponse { released: Same } <= [Bool(released)];
                        LockIsLocked "is_locked" is_locked (read):
                            LockIsLockedRequest {} => [IsLocked];
                            LockIsLockedResponse { locked: Same } <= [Bool(locked)];
                        LockHolder "holder" holder (read):
                            LockHolderRequest {} => [Holder];
                            LockHolderResponse { holder: HolderOf } <= [Holder(holder)];
                    }
                }
                Semaphore {
                    module semaphore, command SemaphoreCommand, output SemaphoreOutput,
                    service sharded_semaphore_service_server::ShardedSemaphoreService as ShardedSemaphoreServiceServer,
                    client sharded_semaphore_service_client::ShardedSemaphoreServiceClient,
                    rpcs {
                        ShardedSemaphoreAcquire "acquire" acquire (blocking):
                            ShardedSemaphoreAcquireRequest { owner: HandleOwner, lease_ms: Timeout } => [Acquire { owner, lease: lease_ms }];
                            ShardedSemaphoreAcquireResponse {} <= [Unit];
                        ShardedSemaphoreTryAcquire "try_acquire" try_acquire (blocking):
                            ShardedSemaphoreTryAcquireRequest { owner: HandleOwner, lease_ms: Timeout, timeout_ms: Timeout }
                                => [TryAcquire { owner, lease: lease_ms, timeout: timeout_ms }];
                            ShardedSemaphoreTryAcquireResponse { acquired: Same } <= [Bool(acquired)];
                        ShardedSemaphoreRelease "release" release (mutation):
                            ShardedSemaphoreReleaseRequest { owner: HandleOwner } => [Release { owner }];
                            ShardedSemaphoreReleaseResponse { released: Same } <= [Bool(released)];
                        ShardedSemaphoreAvailable "available" available (read):
                            ShardedSemaphoreAvailableRequest {} => [Available];
                            ShardedSemaphoreAvailableResponse { permits: Same } <= [Count(permits)];
                        ShardedSemaphoreHeldBy "held_by" held_by (read):
                            ShardedSemaphoreHeldByRequest { owner: HandleOwner } => [HeldBy { owner }];
                            ShardedSemaphoreHeldByResponse { permits: Same } <= [Count(permits)];
                    }
                    create ShardedSemaphoreCreate "create" create:
                        ShardedSemaphoreCreateRequest { permits: PositivePermits }
                            => [Semaphore(::coterie_core::kinds::semaphore::SemaphoreConfig { permits })];
                        ShardedSemaphoreCreateResponse;
                }
                Barrier {
                    module barrier, command BarrierCommand, output BarrierOutput,
                    service barrier_service_server::BarrierService as BarrierServiceServer,
                    client barrier_service_client::BarrierServiceClient,
                    rpcs {
                        BarrierArrive "arrive" arrive (blocking):
                            BarrierArriveRequest { expected: Same, timeout_ms: Timeout } => [Arrive { expected, timeout: timeout_ms }];
                            BarrierArriveResponse { released: Same, round: Same }
                                <= [Released { round }] where { released = true }
                                 | [TimedOut] where { released = false, round = 0 };
                        BarrierWaiting "waiting" waiting (read):
                            BarrierWaitingRequest {} => [Waiting];
                            BarrierWaitingResponse { waiting: Same } <= [Count(waiting)];
                        BarrierRound "round" round (read):
                            BarrierRoundRequest {} => [Round];
                            BarrierRoundResponse { round: Same } <= [Round(round)];
                    }
                }
            }
            sessions {
                service session_service_server::SessionService as SessionServiceServer,
                client session_service_client::SessionServiceClient,
                rpcs {
                    OpenSession "open_session" open_session: OpenSessionRequest -> OpenSessionResponse;
                    Heartbeat "heartbeat" heartbeat: HeartbeatRequest -> HeartbeatResponse;
                    CloseSession "close_session" close_session: CloseSessionRequest -> CloseSessionResponse;
                    Cancel "cancel" cancel: CancelRequest -> CancelResponse;
                }
            }
        }
    };
}

/// Calls `$callback!` with every client-facing gRPC service and its methods, the sessions
/// service last: what a server or a client of the services needs, without the conversions.
///
/// ```text
/// $callback! {
///     <server module>::<Service trait> as <Server type>, <client module>::<Client type> {
///         <Variant> <tonic method>(<Request>) -> <Response>;
///     }
///     ...
/// }
/// ```
#[macro_export]
macro_rules! for_each_service {
    ($callback:path) => {
        $crate::for_each_rpc!($crate::__services_of_rpcs, [$callback]);
    };
}

/// The adapter behind [`for_each_service!`]: the rpc list reduced to its services.
#[doc(hidden)]
#[macro_export]
macro_rules! __services_of_rpcs {
    (
        [$callback:path]
        structures { $(
            $kind:ident {
                module $module:ident, command $command:ident, output $output:ident,
                service $server_module:ident :: $service:ident as $server:ident,
                client $client_module:ident :: $client:ident,
                rpcs { $(
                    $variant:ident $operation:literal $method:ident ($mode:ident) :
                        $request:ident { $($request_field:ident : $request_conv:ident),* } => [$($command_pattern:tt)+] ;
                        $response:ident $response_fields:tt <= $(
                            [$($output_pattern:tt)+] $(where { $($where_field:ident = $where_value:literal),* })?
                        )|+ ;
                )* }
                $(
                    create $create_variant:ident $create_operation:literal $create_method:ident :
                        $create_request:ident { $($create_field:ident : $create_conv:ident),* } => [$($spec_pattern:tt)+] ;
                        $create_response:ident ;
                )?
            }
        )* }
        sessions {
            service $session_server_module:ident :: $session_service:ident as $session_server:ident,
            client $session_client_module:ident :: $session_client:ident,
            rpcs { $( $session_variant:ident $session_operation:literal $session_method:ident : $session_request:ident -> $session_response:ident ; )* }
        }
    ) => {
        $callback! {
            $(
                $server_module :: $service as $server, $client_module :: $client {
                    $( $variant $method($request) -> $response; )*
                    $( $create_variant $create_method($create_request) -> $create_response; )?
                }
            )*
            $session_server_module :: $session_service as $session_server, $session_client_module :: $session_client {
                $( $session_variant $session_method($session_request) -> $session_response; )*
            }
        }
    };
}
