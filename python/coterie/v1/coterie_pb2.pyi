from google.protobuf.internal import containers as _containers
from google.protobuf.internal import enum_type_wrapper as _enum_type_wrapper
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class ConsistencyLevel(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    CONSISTENCY_LEVEL_DEFAULT: _ClassVar[ConsistencyLevel]
    CONSISTENCY_LEVEL_EVENTUAL: _ClassVar[ConsistencyLevel]
    CONSISTENCY_LEVEL_QUORUM: _ClassVar[ConsistencyLevel]
    CONSISTENCY_LEVEL_STRONG: _ClassVar[ConsistencyLevel]
    CONSISTENCY_LEVEL_AT_LEAST: _ClassVar[ConsistencyLevel]

class MemberState(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    MEMBER_STATE_UNSPECIFIED: _ClassVar[MemberState]
    MEMBER_STATE_JOINING: _ClassVar[MemberState]
    MEMBER_STATE_UP: _ClassVar[MemberState]
    MEMBER_STATE_SUSPECT: _ClassVar[MemberState]
    MEMBER_STATE_LEAVING: _ClassVar[MemberState]
    MEMBER_STATE_DOWN: _ClassVar[MemberState]
    MEMBER_STATE_REMOVED: _ClassVar[MemberState]

class RaftRole(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    RAFT_ROLE_UNSPECIFIED: _ClassVar[RaftRole]
    RAFT_ROLE_LEADER: _ClassVar[RaftRole]
    RAFT_ROLE_FOLLOWER: _ClassVar[RaftRole]
    RAFT_ROLE_CANDIDATE: _ClassVar[RaftRole]
    RAFT_ROLE_LEARNER: _ClassVar[RaftRole]
CONSISTENCY_LEVEL_DEFAULT: ConsistencyLevel
CONSISTENCY_LEVEL_EVENTUAL: ConsistencyLevel
CONSISTENCY_LEVEL_QUORUM: ConsistencyLevel
CONSISTENCY_LEVEL_STRONG: ConsistencyLevel
CONSISTENCY_LEVEL_AT_LEAST: ConsistencyLevel
MEMBER_STATE_UNSPECIFIED: MemberState
MEMBER_STATE_JOINING: MemberState
MEMBER_STATE_UP: MemberState
MEMBER_STATE_SUSPECT: MemberState
MEMBER_STATE_LEAVING: MemberState
MEMBER_STATE_DOWN: MemberState
MEMBER_STATE_REMOVED: MemberState
RAFT_ROLE_UNSPECIFIED: RaftRole
RAFT_ROLE_LEADER: RaftRole
RAFT_ROLE_FOLLOWER: RaftRole
RAFT_ROLE_CANDIDATE: RaftRole
RAFT_ROLE_LEARNER: RaftRole

class Call(_message.Message):
    __slots__ = ("group", "sharded", "name", "session_id", "seq", "client_id", "stale_read", "keep_parked", "consistency", "at_least")
    GROUP_FIELD_NUMBER: _ClassVar[int]
    SHARDED_FIELD_NUMBER: _ClassVar[int]
    NAME_FIELD_NUMBER: _ClassVar[int]
    SESSION_ID_FIELD_NUMBER: _ClassVar[int]
    SEQ_FIELD_NUMBER: _ClassVar[int]
    CLIENT_ID_FIELD_NUMBER: _ClassVar[int]
    STALE_READ_FIELD_NUMBER: _ClassVar[int]
    KEEP_PARKED_FIELD_NUMBER: _ClassVar[int]
    CONSISTENCY_FIELD_NUMBER: _ClassVar[int]
    AT_LEAST_FIELD_NUMBER: _ClassVar[int]
    group: str
    sharded: ShardedTarget
    name: str
    session_id: int
    seq: int
    client_id: bytes
    stale_read: bool
    keep_parked: bool
    consistency: ConsistencyLevel
    at_least: int
    def __init__(self, group: _Optional[str] = ..., sharded: _Optional[_Union[ShardedTarget, _Mapping]] = ..., name: _Optional[str] = ..., session_id: _Optional[int] = ..., seq: _Optional[int] = ..., client_id: _Optional[bytes] = ..., stale_read: _Optional[bool] = ..., keep_parked: _Optional[bool] = ..., consistency: _Optional[_Union[ConsistencyLevel, str]] = ..., at_least: _Optional[int] = ...) -> None: ...

class ShardedTarget(_message.Message):
    __slots__ = ("shards",)
    SHARDS_FIELD_NUMBER: _ClassVar[int]
    shards: int
    def __init__(self, shards: _Optional[int] = ...) -> None: ...

class ErrorDetail(_message.Message):
    __slots__ = ("code", "message", "leader_address", "leader_id", "retry_after_ms", "metadata")
    class MetadataEntry(_message.Message):
        __slots__ = ("key", "value")
        KEY_FIELD_NUMBER: _ClassVar[int]
        VALUE_FIELD_NUMBER: _ClassVar[int]
        key: str
        value: str
        def __init__(self, key: _Optional[str] = ..., value: _Optional[str] = ...) -> None: ...
    CODE_FIELD_NUMBER: _ClassVar[int]
    MESSAGE_FIELD_NUMBER: _ClassVar[int]
    LEADER_ADDRESS_FIELD_NUMBER: _ClassVar[int]
    LEADER_ID_FIELD_NUMBER: _ClassVar[int]
    RETRY_AFTER_MS_FIELD_NUMBER: _ClassVar[int]
    METADATA_FIELD_NUMBER: _ClassVar[int]
    code: str
    message: str
    leader_address: str
    leader_id: int
    retry_after_ms: int
    metadata: _containers.ScalarMap[str, str]
    def __init__(self, code: _Optional[str] = ..., message: _Optional[str] = ..., leader_address: _Optional[str] = ..., leader_id: _Optional[int] = ..., retry_after_ms: _Optional[int] = ..., metadata: _Optional[_Mapping[str, str]] = ...) -> None: ...

class AtomicLongGetRequest(_message.Message):
    __slots__ = ("call",)
    CALL_FIELD_NUMBER: _ClassVar[int]
    call: Call
    def __init__(self, call: _Optional[_Union[Call, _Mapping]] = ...) -> None: ...

class AtomicLongGetResponse(_message.Message):
    __slots__ = ("value",)
    VALUE_FIELD_NUMBER: _ClassVar[int]
    value: int
    def __init__(self, value: _Optional[int] = ...) -> None: ...

class AtomicLongSetRequest(_message.Message):
    __slots__ = ("call", "value")
    CALL_FIELD_NUMBER: _ClassVar[int]
    VALUE_FIELD_NUMBER: _ClassVar[int]
    call: Call
    value: int
    def __init__(self, call: _Optional[_Union[Call, _Mapping]] = ..., value: _Optional[int] = ...) -> None: ...

class AtomicLongSetResponse(_message.Message):
    __slots__ = ()
    def __init__(self) -> None: ...

class AtomicLongGetAndSetRequest(_message.Message):
    __slots__ = ("call", "value")
    CALL_FIELD_NUMBER: _ClassVar[int]
    VALUE_FIELD_NUMBER: _ClassVar[int]
    call: Call
    value: int
    def __init__(self, call: _Optional[_Union[Call, _Mapping]] = ..., value: _Optional[int] = ...) -> None: ...

class AtomicLongGetAndSetResponse(_message.Message):
    __slots__ = ("previous",)
    PREVIOUS_FIELD_NUMBER: _ClassVar[int]
    previous: int
    def __init__(self, previous: _Optional[int] = ...) -> None: ...

class AtomicLongAddAndGetRequest(_message.Message):
    __slots__ = ("call", "delta")
    CALL_FIELD_NUMBER: _ClassVar[int]
    DELTA_FIELD_NUMBER: _ClassVar[int]
    call: Call
    delta: int
    def __init__(self, call: _Optional[_Union[Call, _Mapping]] = ..., delta: _Optional[int] = ...) -> None: ...

class AtomicLongAddAndGetResponse(_message.Message):
    __slots__ = ("value",)
    VALUE_FIELD_NUMBER: _ClassVar[int]
    value: int
    def __init__(self, value: _Optional[int] = ...) -> None: ...

class AtomicLongGetAndAddRequest(_message.Message):
    __slots__ = ("call", "delta")
    CALL_FIELD_NUMBER: _ClassVar[int]
    DELTA_FIELD_NUMBER: _ClassVar[int]
    call: Call
    delta: int
    def __init__(self, call: _Optional[_Union[Call, _Mapping]] = ..., delta: _Optional[int] = ...) -> None: ...

class AtomicLongGetAndAddResponse(_message.Message):
    __slots__ = ("previous",)
    PREVIOUS_FIELD_NUMBER: _ClassVar[int]
    previous: int
    def __init__(self, previous: _Optional[int] = ...) -> None: ...

class AtomicLongIncrementAndGetRequest(_message.Message):
    __slots__ = ("call",)
    CALL_FIELD_NUMBER: _ClassVar[int]
    call: Call
    def __init__(self, call: _Optional[_Union[Call, _Mapping]] = ...) -> None: ...

class AtomicLongIncrementAndGetResponse(_message.Message):
    __slots__ = ("value",)
    VALUE_FIELD_NUMBER: _ClassVar[int]
    value: int
    def __init__(self, value: _Optional[int] = ...) -> None: ...

class AtomicLongDecrementAndGetRequest(_message.Message):
    __slots__ = ("call",)
    CALL_FIELD_NUMBER: _ClassVar[int]
    call: Call
    def __init__(self, call: _Optional[_Union[Call, _Mapping]] = ...) -> None: ...

class AtomicLongDecrementAndGetResponse(_message.Message):
    __slots__ = ("value",)
    VALUE_FIELD_NUMBER: _ClassVar[int]
    value: int
    def __init__(self, value: _Optional[int] = ...) -> None: ...

class AtomicLongGetAndIncrementRequest(_message.Message):
    __slots__ = ("call",)
    CALL_FIELD_NUMBER: _ClassVar[int]
    call: Call
    def __init__(self, call: _Optional[_Union[Call, _Mapping]] = ...) -> None: ...

class AtomicLongGetAndIncrementResponse(_message.Message):
    __slots__ = ("previous",)
    PREVIOUS_FIELD_NUMBER: _ClassVar[int]
    previous: int
    def __init__(self, previous: _Optional[int] = ...) -> None: ...

class AtomicLongGetAndDecrementRequest(_message.Message):
    __slots__ = ("call",)
    CALL_FIELD_NUMBER: _ClassVar[int]
    call: Call
    def __init__(self, call: _Optional[_Union[Call, _Mapping]] = ...) -> None: ...

class AtomicLongGetAndDecrementResponse(_message.Message):
    __slots__ = ("previous",)
    PREVIOUS_FIELD_NUMBER: _ClassVar[int]
    previous: int
    def __init__(self, previous: _Optional[int] = ...) -> None: ...

class AtomicLongCompareAndSetRequest(_message.Message):
    __slots__ = ("call", "expected", "update")
    CALL_FIELD_NUMBER: _ClassVar[int]
    EXPECTED_FIELD_NUMBER: _ClassVar[int]
    UPDATE_FIELD_NUMBER: _ClassVar[int]
    call: Call
    expected: int
    update: int
    def __init__(self, call: _Optional[_Union[Call, _Mapping]] = ..., expected: _Optional[int] = ..., update: _Optional[int] = ...) -> None: ...

class AtomicLongCompareAndSetResponse(_message.Message):
    __slots__ = ("swapped",)
    SWAPPED_FIELD_NUMBER: _ClassVar[int]
    swapped: bool
    def __init__(self, swapped: _Optional[bool] = ...) -> None: ...

class AtomicLongCompareAndExchangeRequest(_message.Message):
    __slots__ = ("call", "expected", "update")
    CALL_FIELD_NUMBER: _ClassVar[int]
    EXPECTED_FIELD_NUMBER: _ClassVar[int]
    UPDATE_FIELD_NUMBER: _ClassVar[int]
    call: Call
    expected: int
    update: int
    def __init__(self, call: _Optional[_Union[Call, _Mapping]] = ..., expected: _Optional[int] = ..., update: _Optional[int] = ...) -> None: ...

class AtomicLongCompareAndExchangeResponse(_message.Message):
    __slots__ = ("witness",)
    WITNESS_FIELD_NUMBER: _ClassVar[int]
    witness: int
    def __init__(self, witness: _Optional[int] = ...) -> None: ...

class AtomicReferenceGetRequest(_message.Message):
    __slots__ = ("call",)
    CALL_FIELD_NUMBER: _ClassVar[int]
    call: Call
    def __init__(self, call: _Optional[_Union[Call, _Mapping]] = ...) -> None: ...

class AtomicReferenceGetResponse(_message.Message):
    __slots__ = ("value",)
    VALUE_FIELD_NUMBER: _ClassVar[int]
    value: bytes
    def __init__(self, value: _Optional[bytes] = ...) -> None: ...

class AtomicReferenceSetRequest(_message.Message):
    __slots__ = ("call", "value")
    CALL_FIELD_NUMBER: _ClassVar[int]
    VALUE_FIELD_NUMBER: _ClassVar[int]
    call: Call
    value: bytes
    def __init__(self, call: _Optional[_Union[Call, _Mapping]] = ..., value: _Optional[bytes] = ...) -> None: ...

class AtomicReferenceSetResponse(_message.Message):
    __slots__ = ()
    def __init__(self) -> None: ...

class AtomicReferenceGetAndSetRequest(_message.Message):
    __slots__ = ("call", "value")
    CALL_FIELD_NUMBER: _ClassVar[int]
    VALUE_FIELD_NUMBER: _ClassVar[int]
    call: Call
    value: bytes
    def __init__(self, call: _Optional[_Union[Call, _Mapping]] = ..., value: _Optional[bytes] = ...) -> None: ...

class AtomicReferenceGetAndSetResponse(_message.Message):
    __slots__ = ("previous",)
    PREVIOUS_FIELD_NUMBER: _ClassVar[int]
    previous: bytes
    def __init__(self, previous: _Optional[bytes] = ...) -> None: ...

class AtomicReferenceCompareAndSetRequest(_message.Message):
    __slots__ = ("call", "expected", "update")
    CALL_FIELD_NUMBER: _ClassVar[int]
    EXPECTED_FIELD_NUMBER: _ClassVar[int]
    UPDATE_FIELD_NUMBER: _ClassVar[int]
    call: Call
    expected: bytes
    update: bytes
    def __init__(self, call: _Optional[_Union[Call, _Mapping]] = ..., expected: _Optional[bytes] = ..., update: _Optional[bytes] = ...) -> None: ...

class AtomicReferenceCompareAndSetResponse(_message.Message):
    __slots__ = ("swapped",)
    SWAPPED_FIELD_NUMBER: _ClassVar[int]
    swapped: bool
    def __init__(self, swapped: _Optional[bool] = ...) -> None: ...

class AtomicReferenceSetIfAbsentRequest(_message.Message):
    __slots__ = ("call", "value")
    CALL_FIELD_NUMBER: _ClassVar[int]
    VALUE_FIELD_NUMBER: _ClassVar[int]
    call: Call
    value: bytes
    def __init__(self, call: _Optional[_Union[Call, _Mapping]] = ..., value: _Optional[bytes] = ...) -> None: ...

class AtomicReferenceSetIfAbsentResponse(_message.Message):
    __slots__ = ("set",)
    SET_FIELD_NUMBER: _ClassVar[int]
    set: bool
    def __init__(self, set: _Optional[bool] = ...) -> None: ...

class AtomicReferenceIsNullRequest(_message.Message):
    __slots__ = ("call",)
    CALL_FIELD_NUMBER: _ClassVar[int]
    call: Call
    def __init__(self, call: _Optional[_Union[Call, _Mapping]] = ...) -> None: ...

class AtomicReferenceIsNullResponse(_message.Message):
    __slots__ = ("is_null",)
    IS_NULL_FIELD_NUMBER: _ClassVar[int]
    is_null: bool
    def __init__(self, is_null: _Optional[bool] = ...) -> None: ...

class AtomicReferenceClearRequest(_message.Message):
    __slots__ = ("call",)
    CALL_FIELD_NUMBER: _ClassVar[int]
    call: Call
    def __init__(self, call: _Optional[_Union[Call, _Mapping]] = ...) -> None: ...

class AtomicReferenceClearResponse(_message.Message):
    __slots__ = ()
    def __init__(self) -> None: ...

class AtomicReferenceContainsRequest(_message.Message):
    __slots__ = ("call", "value")
    CALL_FIELD_NUMBER: _ClassVar[int]
    VALUE_FIELD_NUMBER: _ClassVar[int]
    call: Call
    value: bytes
    def __init__(self, call: _Optional[_Union[Call, _Mapping]] = ..., value: _Optional[bytes] = ...) -> None: ...

class AtomicReferenceContainsResponse(_message.Message):
    __slots__ = ("contains",)
    CONTAINS_FIELD_NUMBER: _ClassVar[int]
    contains: bool
    def __init__(self, contains: _Optional[bool] = ...) -> None: ...

class FencedLockLockRequest(_message.Message):
    __slots__ = ("call", "owner")
    CALL_FIELD_NUMBER: _ClassVar[int]
    OWNER_FIELD_NUMBER: _ClassVar[int]
    call: Call
    owner: bytes
    def __init__(self, call: _Optional[_Union[Call, _Mapping]] = ..., owner: _Optional[bytes] = ...) -> None: ...

class FencedLockLockResponse(_message.Message):
    __slots__ = ("fence",)
    FENCE_FIELD_NUMBER: _ClassVar[int]
    fence: int
    def __init__(self, fence: _Optional[int] = ...) -> None: ...

class FencedLockTryLockRequest(_message.Message):
    __slots__ = ("call", "owner", "timeout_ms")
    CALL_FIELD_NUMBER: _ClassVar[int]
    OWNER_FIELD_NUMBER: _ClassVar[int]
    TIMEOUT_MS_FIELD_NUMBER: _ClassVar[int]
    call: Call
    owner: bytes
    timeout_ms: int
    def __init__(self, call: _Optional[_Union[Call, _Mapping]] = ..., owner: _Optional[bytes] = ..., timeout_ms: _Optional[int] = ...) -> None: ...

class FencedLockTryLockResponse(_message.Message):
    __slots__ = ("fence",)
    FENCE_FIELD_NUMBER: _ClassVar[int]
    fence: int
    def __init__(self, fence: _Optional[int] = ...) -> None: ...

class FencedLockUnlockRequest(_message.Message):
    __slots__ = ("call", "owner")
    CALL_FIELD_NUMBER: _ClassVar[int]
    OWNER_FIELD_NUMBER: _ClassVar[int]
    call: Call
    owner: bytes
    def __init__(self, call: _Optional[_Union[Call, _Mapping]] = ..., owner: _Optional[bytes] = ...) -> None: ...

class FencedLockUnlockResponse(_message.Message):
    __slots__ = ()
    def __init__(self) -> None: ...

class FencedLockIsLockedRequest(_message.Message):
    __slots__ = ("call",)
    CALL_FIELD_NUMBER: _ClassVar[int]
    call: Call
    def __init__(self, call: _Optional[_Union[Call, _Mapping]] = ...) -> None: ...

class FencedLockIsLockedResponse(_message.Message):
    __slots__ = ("locked",)
    LOCKED_FIELD_NUMBER: _ClassVar[int]
    locked: bool
    def __init__(self, locked: _Optional[bool] = ...) -> None: ...

class FencedLockIsLockedByMeRequest(_message.Message):
    __slots__ = ("call", "owner")
    CALL_FIELD_NUMBER: _ClassVar[int]
    OWNER_FIELD_NUMBER: _ClassVar[int]
    call: Call
    owner: bytes
    def __init__(self, call: _Optional[_Union[Call, _Mapping]] = ..., owner: _Optional[bytes] = ...) -> None: ...

class FencedLockIsLockedByMeResponse(_message.Message):
    __slots__ = ("locked",)
    LOCKED_FIELD_NUMBER: _ClassVar[int]
    locked: bool
    def __init__(self, locked: _Optional[bool] = ...) -> None: ...

class FencedLockGetLockCountRequest(_message.Message):
    __slots__ = ("call",)
    CALL_FIELD_NUMBER: _ClassVar[int]
    call: Call
    def __init__(self, call: _Optional[_Union[Call, _Mapping]] = ...) -> None: ...

class FencedLockGetLockCountResponse(_message.Message):
    __slots__ = ("count",)
    COUNT_FIELD_NUMBER: _ClassVar[int]
    count: int
    def __init__(self, count: _Optional[int] = ...) -> None: ...

class FencedLockGetFenceRequest(_message.Message):
    __slots__ = ("call", "owner")
    CALL_FIELD_NUMBER: _ClassVar[int]
    OWNER_FIELD_NUMBER: _ClassVar[int]
    call: Call
    owner: bytes
    def __init__(self, call: _Optional[_Union[Call, _Mapping]] = ..., owner: _Optional[bytes] = ...) -> None: ...

class FencedLockGetFenceResponse(_message.Message):
    __slots__ = ("fence",)
    FENCE_FIELD_NUMBER: _ClassVar[int]
    fence: int
    def __init__(self, fence: _Optional[int] = ...) -> None: ...

class SemaphoreInitRequest(_message.Message):
    __slots__ = ("call", "permits")
    CALL_FIELD_NUMBER: _ClassVar[int]
    PERMITS_FIELD_NUMBER: _ClassVar[int]
    call: Call
    permits: int
    def __init__(self, call: _Optional[_Union[Call, _Mapping]] = ..., permits: _Optional[int] = ...) -> None: ...

class SemaphoreInitResponse(_message.Message):
    __slots__ = ()
    def __init__(self) -> None: ...

class SemaphoreAcquireRequest(_message.Message):
    __slots__ = ("call", "permits")
    CALL_FIELD_NUMBER: _ClassVar[int]
    PERMITS_FIELD_NUMBER: _ClassVar[int]
    call: Call
    permits: int
    def __init__(self, call: _Optional[_Union[Call, _Mapping]] = ..., permits: _Optional[int] = ...) -> None: ...

class SemaphoreAcquireResponse(_message.Message):
    __slots__ = ()
    def __init__(self) -> None: ...

class SemaphoreTryAcquireRequest(_message.Message):
    __slots__ = ("call", "permits", "timeout_ms")
    CALL_FIELD_NUMBER: _ClassVar[int]
    PERMITS_FIELD_NUMBER: _ClassVar[int]
    TIMEOUT_MS_FIELD_NUMBER: _ClassVar[int]
    call: Call
    permits: int
    timeout_ms: int
    def __init__(self, call: _Optional[_Union[Call, _Mapping]] = ..., permits: _Optional[int] = ..., timeout_ms: _Optional[int] = ...) -> None: ...

class SemaphoreTryAcquireResponse(_message.Message):
    __slots__ = ("acquired",)
    ACQUIRED_FIELD_NUMBER: _ClassVar[int]
    acquired: bool
    def __init__(self, acquired: _Optional[bool] = ...) -> None: ...

class SemaphoreReleaseRequest(_message.Message):
    __slots__ = ("call", "permits")
    CALL_FIELD_NUMBER: _ClassVar[int]
    PERMITS_FIELD_NUMBER: _ClassVar[int]
    call: Call
    permits: int
    def __init__(self, call: _Optional[_Union[Call, _Mapping]] = ..., permits: _Optional[int] = ...) -> None: ...

class SemaphoreReleaseResponse(_message.Message):
    __slots__ = ()
    def __init__(self) -> None: ...

class SemaphoreAvailablePermitsRequest(_message.Message):
    __slots__ = ("call",)
    CALL_FIELD_NUMBER: _ClassVar[int]
    call: Call
    def __init__(self, call: _Optional[_Union[Call, _Mapping]] = ...) -> None: ...

class SemaphoreAvailablePermitsResponse(_message.Message):
    __slots__ = ("permits",)
    PERMITS_FIELD_NUMBER: _ClassVar[int]
    permits: int
    def __init__(self, permits: _Optional[int] = ...) -> None: ...

class SemaphoreDrainPermitsRequest(_message.Message):
    __slots__ = ("call",)
    CALL_FIELD_NUMBER: _ClassVar[int]
    call: Call
    def __init__(self, call: _Optional[_Union[Call, _Mapping]] = ...) -> None: ...

class SemaphoreDrainPermitsResponse(_message.Message):
    __slots__ = ("drained",)
    DRAINED_FIELD_NUMBER: _ClassVar[int]
    drained: int
    def __init__(self, drained: _Optional[int] = ...) -> None: ...

class SemaphoreReducePermitsRequest(_message.Message):
    __slots__ = ("call", "permits")
    CALL_FIELD_NUMBER: _ClassVar[int]
    PERMITS_FIELD_NUMBER: _ClassVar[int]
    call: Call
    permits: int
    def __init__(self, call: _Optional[_Union[Call, _Mapping]] = ..., permits: _Optional[int] = ...) -> None: ...

class SemaphoreReducePermitsResponse(_message.Message):
    __slots__ = ()
    def __init__(self) -> None: ...

class SemaphoreIncreasePermitsRequest(_message.Message):
    __slots__ = ("call", "permits")
    CALL_FIELD_NUMBER: _ClassVar[int]
    PERMITS_FIELD_NUMBER: _ClassVar[int]
    call: Call
    permits: int
    def __init__(self, call: _Optional[_Union[Call, _Mapping]] = ..., permits: _Optional[int] = ...) -> None: ...

class SemaphoreIncreasePermitsResponse(_message.Message):
    __slots__ = ()
    def __init__(self) -> None: ...

class CountDownLatchTrySetCountRequest(_message.Message):
    __slots__ = ("call", "count")
    CALL_FIELD_NUMBER: _ClassVar[int]
    COUNT_FIELD_NUMBER: _ClassVar[int]
    call: Call
    count: int
    def __init__(self, call: _Optional[_Union[Call, _Mapping]] = ..., count: _Optional[int] = ...) -> None: ...

class CountDownLatchTrySetCountResponse(_message.Message):
    __slots__ = ("set",)
    SET_FIELD_NUMBER: _ClassVar[int]
    set: bool
    def __init__(self, set: _Optional[bool] = ...) -> None: ...

class CountDownLatchSetCountRequest(_message.Message):
    __slots__ = ("call", "count")
    CALL_FIELD_NUMBER: _ClassVar[int]
    COUNT_FIELD_NUMBER: _ClassVar[int]
    call: Call
    count: int
    def __init__(self, call: _Optional[_Union[Call, _Mapping]] = ..., count: _Optional[int] = ...) -> None: ...

class CountDownLatchSetCountResponse(_message.Message):
    __slots__ = ()
    def __init__(self) -> None: ...

class CountDownLatchCountDownRequest(_message.Message):
    __slots__ = ("call", "expected_round")
    CALL_FIELD_NUMBER: _ClassVar[int]
    EXPECTED_ROUND_FIELD_NUMBER: _ClassVar[int]
    call: Call
    expected_round: int
    def __init__(self, call: _Optional[_Union[Call, _Mapping]] = ..., expected_round: _Optional[int] = ...) -> None: ...

class CountDownLatchCountDownResponse(_message.Message):
    __slots__ = ("remaining",)
    REMAINING_FIELD_NUMBER: _ClassVar[int]
    remaining: int
    def __init__(self, remaining: _Optional[int] = ...) -> None: ...

class CountDownLatchGetCountRequest(_message.Message):
    __slots__ = ("call",)
    CALL_FIELD_NUMBER: _ClassVar[int]
    call: Call
    def __init__(self, call: _Optional[_Union[Call, _Mapping]] = ...) -> None: ...

class CountDownLatchGetCountResponse(_message.Message):
    __slots__ = ("count",)
    COUNT_FIELD_NUMBER: _ClassVar[int]
    count: int
    def __init__(self, count: _Optional[int] = ...) -> None: ...

class CountDownLatchGetRoundRequest(_message.Message):
    __slots__ = ("call",)
    CALL_FIELD_NUMBER: _ClassVar[int]
    call: Call
    def __init__(self, call: _Optional[_Union[Call, _Mapping]] = ...) -> None: ...

class CountDownLatchGetRoundResponse(_message.Message):
    __slots__ = ("round",)
    ROUND_FIELD_NUMBER: _ClassVar[int]
    round: int
    def __init__(self, round: _Optional[int] = ...) -> None: ...

class CountDownLatchAwaitRequest(_message.Message):
    __slots__ = ("call", "timeout_ms")
    CALL_FIELD_NUMBER: _ClassVar[int]
    TIMEOUT_MS_FIELD_NUMBER: _ClassVar[int]
    call: Call
    timeout_ms: int
    def __init__(self, call: _Optional[_Union[Call, _Mapping]] = ..., timeout_ms: _Optional[int] = ...) -> None: ...

class CountDownLatchAwaitResponse(_message.Message):
    __slots__ = ("opened",)
    OPENED_FIELD_NUMBER: _ClassVar[int]
    opened: bool
    def __init__(self, opened: _Optional[bool] = ...) -> None: ...

class CounterIncrementRequest(_message.Message):
    __slots__ = ("call", "delta")
    CALL_FIELD_NUMBER: _ClassVar[int]
    DELTA_FIELD_NUMBER: _ClassVar[int]
    call: Call
    delta: int
    def __init__(self, call: _Optional[_Union[Call, _Mapping]] = ..., delta: _Optional[int] = ...) -> None: ...

class CounterIncrementResponse(_message.Message):
    __slots__ = ("value",)
    VALUE_FIELD_NUMBER: _ClassVar[int]
    value: int
    def __init__(self, value: _Optional[int] = ...) -> None: ...

class CounterDecrementRequest(_message.Message):
    __slots__ = ("call", "delta")
    CALL_FIELD_NUMBER: _ClassVar[int]
    DELTA_FIELD_NUMBER: _ClassVar[int]
    call: Call
    delta: int
    def __init__(self, call: _Optional[_Union[Call, _Mapping]] = ..., delta: _Optional[int] = ...) -> None: ...

class CounterDecrementResponse(_message.Message):
    __slots__ = ("value",)
    VALUE_FIELD_NUMBER: _ClassVar[int]
    value: int
    def __init__(self, value: _Optional[int] = ...) -> None: ...

class CounterGetRequest(_message.Message):
    __slots__ = ("call",)
    CALL_FIELD_NUMBER: _ClassVar[int]
    call: Call
    def __init__(self, call: _Optional[_Union[Call, _Mapping]] = ...) -> None: ...

class CounterGetResponse(_message.Message):
    __slots__ = ("value",)
    VALUE_FIELD_NUMBER: _ClassVar[int]
    value: int
    def __init__(self, value: _Optional[int] = ...) -> None: ...

class MapPutRequest(_message.Message):
    __slots__ = ("call", "key", "value")
    CALL_FIELD_NUMBER: _ClassVar[int]
    KEY_FIELD_NUMBER: _ClassVar[int]
    VALUE_FIELD_NUMBER: _ClassVar[int]
    call: Call
    key: bytes
    value: bytes
    def __init__(self, call: _Optional[_Union[Call, _Mapping]] = ..., key: _Optional[bytes] = ..., value: _Optional[bytes] = ...) -> None: ...

class MapPutResponse(_message.Message):
    __slots__ = ("previous",)
    PREVIOUS_FIELD_NUMBER: _ClassVar[int]
    previous: bytes
    def __init__(self, previous: _Optional[bytes] = ...) -> None: ...

class MapGetRequest(_message.Message):
    __slots__ = ("call", "key")
    CALL_FIELD_NUMBER: _ClassVar[int]
    KEY_FIELD_NUMBER: _ClassVar[int]
    call: Call
    key: bytes
    def __init__(self, call: _Optional[_Union[Call, _Mapping]] = ..., key: _Optional[bytes] = ...) -> None: ...

class MapGetResponse(_message.Message):
    __slots__ = ("value",)
    VALUE_FIELD_NUMBER: _ClassVar[int]
    value: bytes
    def __init__(self, value: _Optional[bytes] = ...) -> None: ...

class MapContainsRequest(_message.Message):
    __slots__ = ("call", "key")
    CALL_FIELD_NUMBER: _ClassVar[int]
    KEY_FIELD_NUMBER: _ClassVar[int]
    call: Call
    key: bytes
    def __init__(self, call: _Optional[_Union[Call, _Mapping]] = ..., key: _Optional[bytes] = ...) -> None: ...

class MapContainsResponse(_message.Message):
    __slots__ = ("contains",)
    CONTAINS_FIELD_NUMBER: _ClassVar[int]
    contains: bool
    def __init__(self, contains: _Optional[bool] = ...) -> None: ...

class MapDeleteRequest(_message.Message):
    __slots__ = ("call", "key")
    CALL_FIELD_NUMBER: _ClassVar[int]
    KEY_FIELD_NUMBER: _ClassVar[int]
    call: Call
    key: bytes
    def __init__(self, call: _Optional[_Union[Call, _Mapping]] = ..., key: _Optional[bytes] = ...) -> None: ...

class MapDeleteResponse(_message.Message):
    __slots__ = ("existed",)
    EXISTED_FIELD_NUMBER: _ClassVar[int]
    existed: bool
    def __init__(self, existed: _Optional[bool] = ...) -> None: ...

class MapPutIfAbsentRequest(_message.Message):
    __slots__ = ("call", "key", "value")
    CALL_FIELD_NUMBER: _ClassVar[int]
    KEY_FIELD_NUMBER: _ClassVar[int]
    VALUE_FIELD_NUMBER: _ClassVar[int]
    call: Call
    key: bytes
    value: bytes
    def __init__(self, call: _Optional[_Union[Call, _Mapping]] = ..., key: _Optional[bytes] = ..., value: _Optional[bytes] = ...) -> None: ...

class MapPutIfAbsentResponse(_message.Message):
    __slots__ = ("previous",)
    PREVIOUS_FIELD_NUMBER: _ClassVar[int]
    previous: bytes
    def __init__(self, previous: _Optional[bytes] = ...) -> None: ...

class MapReplaceRequest(_message.Message):
    __slots__ = ("call", "key", "value")
    CALL_FIELD_NUMBER: _ClassVar[int]
    KEY_FIELD_NUMBER: _ClassVar[int]
    VALUE_FIELD_NUMBER: _ClassVar[int]
    call: Call
    key: bytes
    value: bytes
    def __init__(self, call: _Optional[_Union[Call, _Mapping]] = ..., key: _Optional[bytes] = ..., value: _Optional[bytes] = ...) -> None: ...

class MapReplaceResponse(_message.Message):
    __slots__ = ("previous",)
    PREVIOUS_FIELD_NUMBER: _ClassVar[int]
    previous: bytes
    def __init__(self, previous: _Optional[bytes] = ...) -> None: ...

class MapCompareAndSetRequest(_message.Message):
    __slots__ = ("call", "key", "expected", "update")
    CALL_FIELD_NUMBER: _ClassVar[int]
    KEY_FIELD_NUMBER: _ClassVar[int]
    EXPECTED_FIELD_NUMBER: _ClassVar[int]
    UPDATE_FIELD_NUMBER: _ClassVar[int]
    call: Call
    key: bytes
    expected: bytes
    update: bytes
    def __init__(self, call: _Optional[_Union[Call, _Mapping]] = ..., key: _Optional[bytes] = ..., expected: _Optional[bytes] = ..., update: _Optional[bytes] = ...) -> None: ...

class MapCompareAndSetResponse(_message.Message):
    __slots__ = ("swapped",)
    SWAPPED_FIELD_NUMBER: _ClassVar[int]
    swapped: bool
    def __init__(self, swapped: _Optional[bool] = ...) -> None: ...

class MapSizeRequest(_message.Message):
    __slots__ = ("call",)
    CALL_FIELD_NUMBER: _ClassVar[int]
    call: Call
    def __init__(self, call: _Optional[_Union[Call, _Mapping]] = ...) -> None: ...

class MapSizeResponse(_message.Message):
    __slots__ = ("size",)
    SIZE_FIELD_NUMBER: _ClassVar[int]
    size: int
    def __init__(self, size: _Optional[int] = ...) -> None: ...

class MapKeysRequest(_message.Message):
    __slots__ = ("call", "cursor", "limit")
    CALL_FIELD_NUMBER: _ClassVar[int]
    CURSOR_FIELD_NUMBER: _ClassVar[int]
    LIMIT_FIELD_NUMBER: _ClassVar[int]
    call: Call
    cursor: bytes
    limit: int
    def __init__(self, call: _Optional[_Union[Call, _Mapping]] = ..., cursor: _Optional[bytes] = ..., limit: _Optional[int] = ...) -> None: ...

class MapKeysResponse(_message.Message):
    __slots__ = ("keys", "next_cursor")
    KEYS_FIELD_NUMBER: _ClassVar[int]
    NEXT_CURSOR_FIELD_NUMBER: _ClassVar[int]
    keys: _containers.RepeatedScalarFieldContainer[bytes]
    next_cursor: bytes
    def __init__(self, keys: _Optional[_Iterable[bytes]] = ..., next_cursor: _Optional[bytes] = ...) -> None: ...

class MapEntriesRequest(_message.Message):
    __slots__ = ("call", "cursor", "limit")
    CALL_FIELD_NUMBER: _ClassVar[int]
    CURSOR_FIELD_NUMBER: _ClassVar[int]
    LIMIT_FIELD_NUMBER: _ClassVar[int]
    call: Call
    cursor: bytes
    limit: int
    def __init__(self, call: _Optional[_Union[Call, _Mapping]] = ..., cursor: _Optional[bytes] = ..., limit: _Optional[int] = ...) -> None: ...

class MapEntriesResponse(_message.Message):
    __slots__ = ("entries", "next_cursor")
    ENTRIES_FIELD_NUMBER: _ClassVar[int]
    NEXT_CURSOR_FIELD_NUMBER: _ClassVar[int]
    entries: _containers.RepeatedCompositeFieldContainer[MapEntry]
    next_cursor: bytes
    def __init__(self, entries: _Optional[_Iterable[_Union[MapEntry, _Mapping]]] = ..., next_cursor: _Optional[bytes] = ...) -> None: ...

class MapEntry(_message.Message):
    __slots__ = ("key", "value")
    KEY_FIELD_NUMBER: _ClassVar[int]
    VALUE_FIELD_NUMBER: _ClassVar[int]
    key: bytes
    value: bytes
    def __init__(self, key: _Optional[bytes] = ..., value: _Optional[bytes] = ...) -> None: ...

class MapClearRequest(_message.Message):
    __slots__ = ("call",)
    CALL_FIELD_NUMBER: _ClassVar[int]
    call: Call
    def __init__(self, call: _Optional[_Union[Call, _Mapping]] = ...) -> None: ...

class MapClearResponse(_message.Message):
    __slots__ = ("removed",)
    REMOVED_FIELD_NUMBER: _ClassVar[int]
    removed: int
    def __init__(self, removed: _Optional[int] = ...) -> None: ...

class SetAddRequest(_message.Message):
    __slots__ = ("call", "item")
    CALL_FIELD_NUMBER: _ClassVar[int]
    ITEM_FIELD_NUMBER: _ClassVar[int]
    call: Call
    item: bytes
    def __init__(self, call: _Optional[_Union[Call, _Mapping]] = ..., item: _Optional[bytes] = ...) -> None: ...

class SetAddResponse(_message.Message):
    __slots__ = ("added",)
    ADDED_FIELD_NUMBER: _ClassVar[int]
    added: bool
    def __init__(self, added: _Optional[bool] = ...) -> None: ...

class SetRemoveRequest(_message.Message):
    __slots__ = ("call", "item")
    CALL_FIELD_NUMBER: _ClassVar[int]
    ITEM_FIELD_NUMBER: _ClassVar[int]
    call: Call
    item: bytes
    def __init__(self, call: _Optional[_Union[Call, _Mapping]] = ..., item: _Optional[bytes] = ...) -> None: ...

class SetRemoveResponse(_message.Message):
    __slots__ = ("removed",)
    REMOVED_FIELD_NUMBER: _ClassVar[int]
    removed: bool
    def __init__(self, removed: _Optional[bool] = ...) -> None: ...

class SetContainsRequest(_message.Message):
    __slots__ = ("call", "item")
    CALL_FIELD_NUMBER: _ClassVar[int]
    ITEM_FIELD_NUMBER: _ClassVar[int]
    call: Call
    item: bytes
    def __init__(self, call: _Optional[_Union[Call, _Mapping]] = ..., item: _Optional[bytes] = ...) -> None: ...

class SetContainsResponse(_message.Message):
    __slots__ = ("contains",)
    CONTAINS_FIELD_NUMBER: _ClassVar[int]
    contains: bool
    def __init__(self, contains: _Optional[bool] = ...) -> None: ...

class SetSizeRequest(_message.Message):
    __slots__ = ("call",)
    CALL_FIELD_NUMBER: _ClassVar[int]
    call: Call
    def __init__(self, call: _Optional[_Union[Call, _Mapping]] = ...) -> None: ...

class SetSizeResponse(_message.Message):
    __slots__ = ("size",)
    SIZE_FIELD_NUMBER: _ClassVar[int]
    size: int
    def __init__(self, size: _Optional[int] = ...) -> None: ...

class SetMembersRequest(_message.Message):
    __slots__ = ("call", "cursor", "limit")
    CALL_FIELD_NUMBER: _ClassVar[int]
    CURSOR_FIELD_NUMBER: _ClassVar[int]
    LIMIT_FIELD_NUMBER: _ClassVar[int]
    call: Call
    cursor: bytes
    limit: int
    def __init__(self, call: _Optional[_Union[Call, _Mapping]] = ..., cursor: _Optional[bytes] = ..., limit: _Optional[int] = ...) -> None: ...

class SetMembersResponse(_message.Message):
    __slots__ = ("items", "next_cursor")
    ITEMS_FIELD_NUMBER: _ClassVar[int]
    NEXT_CURSOR_FIELD_NUMBER: _ClassVar[int]
    items: _containers.RepeatedScalarFieldContainer[bytes]
    next_cursor: bytes
    def __init__(self, items: _Optional[_Iterable[bytes]] = ..., next_cursor: _Optional[bytes] = ...) -> None: ...

class SetClearRequest(_message.Message):
    __slots__ = ("call",)
    CALL_FIELD_NUMBER: _ClassVar[int]
    call: Call
    def __init__(self, call: _Optional[_Union[Call, _Mapping]] = ...) -> None: ...

class SetClearResponse(_message.Message):
    __slots__ = ("removed",)
    REMOVED_FIELD_NUMBER: _ClassVar[int]
    removed: int
    def __init__(self, removed: _Optional[int] = ...) -> None: ...

class QueueEnqueueRequest(_message.Message):
    __slots__ = ("call", "item")
    CALL_FIELD_NUMBER: _ClassVar[int]
    ITEM_FIELD_NUMBER: _ClassVar[int]
    call: Call
    item: bytes
    def __init__(self, call: _Optional[_Union[Call, _Mapping]] = ..., item: _Optional[bytes] = ...) -> None: ...

class QueueEnqueueResponse(_message.Message):
    __slots__ = ()
    def __init__(self) -> None: ...

class QueuePeekRequest(_message.Message):
    __slots__ = ("call",)
    CALL_FIELD_NUMBER: _ClassVar[int]
    call: Call
    def __init__(self, call: _Optional[_Union[Call, _Mapping]] = ...) -> None: ...

class QueuePeekResponse(_message.Message):
    __slots__ = ("item",)
    ITEM_FIELD_NUMBER: _ClassVar[int]
    item: bytes
    def __init__(self, item: _Optional[bytes] = ...) -> None: ...

class QueueDequeueRequest(_message.Message):
    __slots__ = ("call",)
    CALL_FIELD_NUMBER: _ClassVar[int]
    call: Call
    def __init__(self, call: _Optional[_Union[Call, _Mapping]] = ...) -> None: ...

class QueueDequeueResponse(_message.Message):
    __slots__ = ("item",)
    ITEM_FIELD_NUMBER: _ClassVar[int]
    item: bytes
    def __init__(self, item: _Optional[bytes] = ...) -> None: ...

class QueueTakeRequest(_message.Message):
    __slots__ = ("call", "timeout_ms")
    CALL_FIELD_NUMBER: _ClassVar[int]
    TIMEOUT_MS_FIELD_NUMBER: _ClassVar[int]
    call: Call
    timeout_ms: int
    def __init__(self, call: _Optional[_Union[Call, _Mapping]] = ..., timeout_ms: _Optional[int] = ...) -> None: ...

class QueueTakeResponse(_message.Message):
    __slots__ = ("item",)
    ITEM_FIELD_NUMBER: _ClassVar[int]
    item: bytes
    def __init__(self, item: _Optional[bytes] = ...) -> None: ...

class QueueSizeRequest(_message.Message):
    __slots__ = ("call",)
    CALL_FIELD_NUMBER: _ClassVar[int]
    call: Call
    def __init__(self, call: _Optional[_Union[Call, _Mapping]] = ...) -> None: ...

class QueueSizeResponse(_message.Message):
    __slots__ = ("size",)
    SIZE_FIELD_NUMBER: _ClassVar[int]
    size: int
    def __init__(self, size: _Optional[int] = ...) -> None: ...

class QueueDrainRequest(_message.Message):
    __slots__ = ("call", "max")
    CALL_FIELD_NUMBER: _ClassVar[int]
    MAX_FIELD_NUMBER: _ClassVar[int]
    call: Call
    max: int
    def __init__(self, call: _Optional[_Union[Call, _Mapping]] = ..., max: _Optional[int] = ...) -> None: ...

class QueueDrainResponse(_message.Message):
    __slots__ = ("items",)
    ITEMS_FIELD_NUMBER: _ClassVar[int]
    items: _containers.RepeatedScalarFieldContainer[bytes]
    def __init__(self, items: _Optional[_Iterable[bytes]] = ...) -> None: ...

class QueueClearRequest(_message.Message):
    __slots__ = ("call",)
    CALL_FIELD_NUMBER: _ClassVar[int]
    call: Call
    def __init__(self, call: _Optional[_Union[Call, _Mapping]] = ...) -> None: ...

class QueueClearResponse(_message.Message):
    __slots__ = ("removed",)
    REMOVED_FIELD_NUMBER: _ClassVar[int]
    removed: int
    def __init__(self, removed: _Optional[int] = ...) -> None: ...

class QueueCreateRequest(_message.Message):
    __slots__ = ("call", "capacity")
    CALL_FIELD_NUMBER: _ClassVar[int]
    CAPACITY_FIELD_NUMBER: _ClassVar[int]
    call: Call
    capacity: int
    def __init__(self, call: _Optional[_Union[Call, _Mapping]] = ..., capacity: _Optional[int] = ...) -> None: ...

class QueueCreateResponse(_message.Message):
    __slots__ = ("created",)
    CREATED_FIELD_NUMBER: _ClassVar[int]
    created: bool
    def __init__(self, created: _Optional[bool] = ...) -> None: ...

class LockAcquireRequest(_message.Message):
    __slots__ = ("call", "owner", "lease_ms")
    CALL_FIELD_NUMBER: _ClassVar[int]
    OWNER_FIELD_NUMBER: _ClassVar[int]
    LEASE_MS_FIELD_NUMBER: _ClassVar[int]
    call: Call
    owner: bytes
    lease_ms: int
    def __init__(self, call: _Optional[_Union[Call, _Mapping]] = ..., owner: _Optional[bytes] = ..., lease_ms: _Optional[int] = ...) -> None: ...

class LockAcquireResponse(_message.Message):
    __slots__ = ("fence",)
    FENCE_FIELD_NUMBER: _ClassVar[int]
    fence: int
    def __init__(self, fence: _Optional[int] = ...) -> None: ...

class LockTryAcquireRequest(_message.Message):
    __slots__ = ("call", "owner", "lease_ms", "timeout_ms")
    CALL_FIELD_NUMBER: _ClassVar[int]
    OWNER_FIELD_NUMBER: _ClassVar[int]
    LEASE_MS_FIELD_NUMBER: _ClassVar[int]
    TIMEOUT_MS_FIELD_NUMBER: _ClassVar[int]
    call: Call
    owner: bytes
    lease_ms: int
    timeout_ms: int
    def __init__(self, call: _Optional[_Union[Call, _Mapping]] = ..., owner: _Optional[bytes] = ..., lease_ms: _Optional[int] = ..., timeout_ms: _Optional[int] = ...) -> None: ...

class LockTryAcquireResponse(_message.Message):
    __slots__ = ("fence",)
    FENCE_FIELD_NUMBER: _ClassVar[int]
    fence: int
    def __init__(self, fence: _Optional[int] = ...) -> None: ...

class LockReleaseRequest(_message.Message):
    __slots__ = ("call", "owner")
    CALL_FIELD_NUMBER: _ClassVar[int]
    OWNER_FIELD_NUMBER: _ClassVar[int]
    call: Call
    owner: bytes
    def __init__(self, call: _Optional[_Union[Call, _Mapping]] = ..., owner: _Optional[bytes] = ...) -> None: ...

class LockReleaseResponse(_message.Message):
    __slots__ = ("released",)
    RELEASED_FIELD_NUMBER: _ClassVar[int]
    released: bool
    def __init__(self, released: _Optional[bool] = ...) -> None: ...

class LockIsLockedRequest(_message.Message):
    __slots__ = ("call",)
    CALL_FIELD_NUMBER: _ClassVar[int]
    call: Call
    def __init__(self, call: _Optional[_Union[Call, _Mapping]] = ...) -> None: ...

class LockIsLockedResponse(_message.Message):
    __slots__ = ("locked",)
    LOCKED_FIELD_NUMBER: _ClassVar[int]
    locked: bool
    def __init__(self, locked: _Optional[bool] = ...) -> None: ...

class LockHolderRequest(_message.Message):
    __slots__ = ("call",)
    CALL_FIELD_NUMBER: _ClassVar[int]
    call: Call
    def __init__(self, call: _Optional[_Union[Call, _Mapping]] = ...) -> None: ...

class LockHolderResponse(_message.Message):
    __slots__ = ("holder",)
    HOLDER_FIELD_NUMBER: _ClassVar[int]
    holder: LockHolder
    def __init__(self, holder: _Optional[_Union[LockHolder, _Mapping]] = ...) -> None: ...

class LockHolder(_message.Message):
    __slots__ = ("owner", "fence")
    OWNER_FIELD_NUMBER: _ClassVar[int]
    FENCE_FIELD_NUMBER: _ClassVar[int]
    owner: bytes
    fence: int
    def __init__(self, owner: _Optional[bytes] = ..., fence: _Optional[int] = ...) -> None: ...

class ShardedSemaphoreCreateRequest(_message.Message):
    __slots__ = ("call", "permits")
    CALL_FIELD_NUMBER: _ClassVar[int]
    PERMITS_FIELD_NUMBER: _ClassVar[int]
    call: Call
    permits: int
    def __init__(self, call: _Optional[_Union[Call, _Mapping]] = ..., permits: _Optional[int] = ...) -> None: ...

class ShardedSemaphoreCreateResponse(_message.Message):
    __slots__ = ("created",)
    CREATED_FIELD_NUMBER: _ClassVar[int]
    created: bool
    def __init__(self, created: _Optional[bool] = ...) -> None: ...

class ShardedSemaphoreAcquireRequest(_message.Message):
    __slots__ = ("call", "owner", "lease_ms")
    CALL_FIELD_NUMBER: _ClassVar[int]
    OWNER_FIELD_NUMBER: _ClassVar[int]
    LEASE_MS_FIELD_NUMBER: _ClassVar[int]
    call: Call
    owner: bytes
    lease_ms: int
    def __init__(self, call: _Optional[_Union[Call, _Mapping]] = ..., owner: _Optional[bytes] = ..., lease_ms: _Optional[int] = ...) -> None: ...

class ShardedSemaphoreAcquireResponse(_message.Message):
    __slots__ = ()
    def __init__(self) -> None: ...

class ShardedSemaphoreTryAcquireRequest(_message.Message):
    __slots__ = ("call", "owner", "lease_ms", "timeout_ms")
    CALL_FIELD_NUMBER: _ClassVar[int]
    OWNER_FIELD_NUMBER: _ClassVar[int]
    LEASE_MS_FIELD_NUMBER: _ClassVar[int]
    TIMEOUT_MS_FIELD_NUMBER: _ClassVar[int]
    call: Call
    owner: bytes
    lease_ms: int
    timeout_ms: int
    def __init__(self, call: _Optional[_Union[Call, _Mapping]] = ..., owner: _Optional[bytes] = ..., lease_ms: _Optional[int] = ..., timeout_ms: _Optional[int] = ...) -> None: ...

class ShardedSemaphoreTryAcquireResponse(_message.Message):
    __slots__ = ("acquired",)
    ACQUIRED_FIELD_NUMBER: _ClassVar[int]
    acquired: bool
    def __init__(self, acquired: _Optional[bool] = ...) -> None: ...

class ShardedSemaphoreReleaseRequest(_message.Message):
    __slots__ = ("call", "owner")
    CALL_FIELD_NUMBER: _ClassVar[int]
    OWNER_FIELD_NUMBER: _ClassVar[int]
    call: Call
    owner: bytes
    def __init__(self, call: _Optional[_Union[Call, _Mapping]] = ..., owner: _Optional[bytes] = ...) -> None: ...

class ShardedSemaphoreReleaseResponse(_message.Message):
    __slots__ = ("released",)
    RELEASED_FIELD_NUMBER: _ClassVar[int]
    released: bool
    def __init__(self, released: _Optional[bool] = ...) -> None: ...

class ShardedSemaphoreAvailableRequest(_message.Message):
    __slots__ = ("call",)
    CALL_FIELD_NUMBER: _ClassVar[int]
    call: Call
    def __init__(self, call: _Optional[_Union[Call, _Mapping]] = ...) -> None: ...

class ShardedSemaphoreAvailableResponse(_message.Message):
    __slots__ = ("permits",)
    PERMITS_FIELD_NUMBER: _ClassVar[int]
    permits: int
    def __init__(self, permits: _Optional[int] = ...) -> None: ...

class ShardedSemaphoreHeldByRequest(_message.Message):
    __slots__ = ("call", "owner")
    CALL_FIELD_NUMBER: _ClassVar[int]
    OWNER_FIELD_NUMBER: _ClassVar[int]
    call: Call
    owner: bytes
    def __init__(self, call: _Optional[_Union[Call, _Mapping]] = ..., owner: _Optional[bytes] = ...) -> None: ...

class ShardedSemaphoreHeldByResponse(_message.Message):
    __slots__ = ("permits",)
    PERMITS_FIELD_NUMBER: _ClassVar[int]
    permits: int
    def __init__(self, permits: _Optional[int] = ...) -> None: ...

class BarrierArriveRequest(_message.Message):
    __slots__ = ("call", "expected", "timeout_ms")
    CALL_FIELD_NUMBER: _ClassVar[int]
    EXPECTED_FIELD_NUMBER: _ClassVar[int]
    TIMEOUT_MS_FIELD_NUMBER: _ClassVar[int]
    call: Call
    expected: int
    timeout_ms: int
    def __init__(self, call: _Optional[_Union[Call, _Mapping]] = ..., expected: _Optional[int] = ..., timeout_ms: _Optional[int] = ...) -> None: ...

class BarrierArriveResponse(_message.Message):
    __slots__ = ("released", "round")
    RELEASED_FIELD_NUMBER: _ClassVar[int]
    ROUND_FIELD_NUMBER: _ClassVar[int]
    released: bool
    round: int
    def __init__(self, released: _Optional[bool] = ..., round: _Optional[int] = ...) -> None: ...

class BarrierWaitingRequest(_message.Message):
    __slots__ = ("call",)
    CALL_FIELD_NUMBER: _ClassVar[int]
    call: Call
    def __init__(self, call: _Optional[_Union[Call, _Mapping]] = ...) -> None: ...

class BarrierWaitingResponse(_message.Message):
    __slots__ = ("waiting",)
    WAITING_FIELD_NUMBER: _ClassVar[int]
    waiting: int
    def __init__(self, waiting: _Optional[int] = ...) -> None: ...

class BarrierRoundRequest(_message.Message):
    __slots__ = ("call",)
    CALL_FIELD_NUMBER: _ClassVar[int]
    call: Call
    def __init__(self, call: _Optional[_Union[Call, _Mapping]] = ...) -> None: ...

class BarrierRoundResponse(_message.Message):
    __slots__ = ("round",)
    ROUND_FIELD_NUMBER: _ClassVar[int]
    round: int
    def __init__(self, round: _Optional[int] = ...) -> None: ...

class OpenSessionRequest(_message.Message):
    __slots__ = ("group", "ttl_ms", "client_id", "open_seq")
    GROUP_FIELD_NUMBER: _ClassVar[int]
    TTL_MS_FIELD_NUMBER: _ClassVar[int]
    CLIENT_ID_FIELD_NUMBER: _ClassVar[int]
    OPEN_SEQ_FIELD_NUMBER: _ClassVar[int]
    group: str
    ttl_ms: int
    client_id: bytes
    open_seq: int
    def __init__(self, group: _Optional[str] = ..., ttl_ms: _Optional[int] = ..., client_id: _Optional[bytes] = ..., open_seq: _Optional[int] = ...) -> None: ...

class OpenSessionResponse(_message.Message):
    __slots__ = ("session_id",)
    SESSION_ID_FIELD_NUMBER: _ClassVar[int]
    session_id: int
    def __init__(self, session_id: _Optional[int] = ...) -> None: ...

class HeartbeatRequest(_message.Message):
    __slots__ = ("group", "session_id")
    GROUP_FIELD_NUMBER: _ClassVar[int]
    SESSION_ID_FIELD_NUMBER: _ClassVar[int]
    group: str
    session_id: int
    def __init__(self, group: _Optional[str] = ..., session_id: _Optional[int] = ...) -> None: ...

class HeartbeatResponse(_message.Message):
    __slots__ = ()
    def __init__(self) -> None: ...

class CloseSessionRequest(_message.Message):
    __slots__ = ("group", "session_id")
    GROUP_FIELD_NUMBER: _ClassVar[int]
    SESSION_ID_FIELD_NUMBER: _ClassVar[int]
    group: str
    session_id: int
    def __init__(self, group: _Optional[str] = ..., session_id: _Optional[int] = ...) -> None: ...

class CloseSessionResponse(_message.Message):
    __slots__ = ()
    def __init__(self) -> None: ...

class CancelRequest(_message.Message):
    __slots__ = ("group", "seq", "client_id")
    GROUP_FIELD_NUMBER: _ClassVar[int]
    SEQ_FIELD_NUMBER: _ClassVar[int]
    CLIENT_ID_FIELD_NUMBER: _ClassVar[int]
    group: str
    seq: int
    client_id: bytes
    def __init__(self, group: _Optional[str] = ..., seq: _Optional[int] = ..., client_id: _Optional[bytes] = ...) -> None: ...

class CancelResponse(_message.Message):
    __slots__ = ("cancelled",)
    CANCELLED_FIELD_NUMBER: _ClassVar[int]
    cancelled: bool
    def __init__(self, cancelled: _Optional[bool] = ...) -> None: ...

class ClusterStatusRequest(_message.Message):
    __slots__ = ()
    def __init__(self) -> None: ...

class ClusterStatusResponse(_message.Message):
    __slots__ = ("member_id", "members", "groups", "partitions")
    MEMBER_ID_FIELD_NUMBER: _ClassVar[int]
    MEMBERS_FIELD_NUMBER: _ClassVar[int]
    GROUPS_FIELD_NUMBER: _ClassVar[int]
    PARTITIONS_FIELD_NUMBER: _ClassVar[int]
    member_id: int
    members: _containers.RepeatedCompositeFieldContainer[Member]
    groups: _containers.RepeatedCompositeFieldContainer[GroupStatus]
    partitions: PartitionsStatus
    def __init__(self, member_id: _Optional[int] = ..., members: _Optional[_Iterable[_Union[Member, _Mapping]]] = ..., groups: _Optional[_Iterable[_Union[GroupStatus, _Mapping]]] = ..., partitions: _Optional[_Union[PartitionsStatus, _Mapping]] = ...) -> None: ...

class PartitionsStatus(_message.Message):
    __slots__ = ("partitions", "ring_epoch", "version", "served", "moving", "lost", "open_here", "owners")
    PARTITIONS_FIELD_NUMBER: _ClassVar[int]
    RING_EPOCH_FIELD_NUMBER: _ClassVar[int]
    VERSION_FIELD_NUMBER: _ClassVar[int]
    SERVED_FIELD_NUMBER: _ClassVar[int]
    MOVING_FIELD_NUMBER: _ClassVar[int]
    LOST_FIELD_NUMBER: _ClassVar[int]
    OPEN_HERE_FIELD_NUMBER: _ClassVar[int]
    OWNERS_FIELD_NUMBER: _ClassVar[int]
    partitions: int
    ring_epoch: int
    version: int
    served: _containers.RepeatedCompositeFieldContainer[MemberPartitions]
    moving: int
    lost: _containers.RepeatedCompositeFieldContainer[LostPartition]
    open_here: int
    owners: _containers.RepeatedScalarFieldContainer[int]
    def __init__(self, partitions: _Optional[int] = ..., ring_epoch: _Optional[int] = ..., version: _Optional[int] = ..., served: _Optional[_Iterable[_Union[MemberPartitions, _Mapping]]] = ..., moving: _Optional[int] = ..., lost: _Optional[_Iterable[_Union[LostPartition, _Mapping]]] = ..., open_here: _Optional[int] = ..., owners: _Optional[_Iterable[int]] = ...) -> None: ...

class MemberPartitions(_message.Message):
    __slots__ = ("member", "partitions")
    MEMBER_FIELD_NUMBER: _ClassVar[int]
    PARTITIONS_FIELD_NUMBER: _ClassVar[int]
    member: int
    partitions: int
    def __init__(self, member: _Optional[int] = ..., partitions: _Optional[int] = ...) -> None: ...

class LostPartition(_message.Message):
    __slots__ = ("partition", "last_owner")
    PARTITION_FIELD_NUMBER: _ClassVar[int]
    LAST_OWNER_FIELD_NUMBER: _ClassVar[int]
    partition: int
    last_owner: int
    def __init__(self, partition: _Optional[int] = ..., last_owner: _Optional[int] = ...) -> None: ...

class Member(_message.Message):
    __slots__ = ("id", "address", "state", "cp_member")
    ID_FIELD_NUMBER: _ClassVar[int]
    ADDRESS_FIELD_NUMBER: _ClassVar[int]
    STATE_FIELD_NUMBER: _ClassVar[int]
    CP_MEMBER_FIELD_NUMBER: _ClassVar[int]
    id: int
    address: str
    state: MemberState
    cp_member: bool
    def __init__(self, id: _Optional[int] = ..., address: _Optional[str] = ..., state: _Optional[_Union[MemberState, str]] = ..., cp_member: _Optional[bool] = ...) -> None: ...

class GroupStatus(_message.Message):
    __slots__ = ("name", "leader_id", "leader_address", "term", "role", "commit_index", "applied_index", "voters", "sessions", "structures")
    NAME_FIELD_NUMBER: _ClassVar[int]
    LEADER_ID_FIELD_NUMBER: _ClassVar[int]
    LEADER_ADDRESS_FIELD_NUMBER: _ClassVar[int]
    TERM_FIELD_NUMBER: _ClassVar[int]
    ROLE_FIELD_NUMBER: _ClassVar[int]
    COMMIT_INDEX_FIELD_NUMBER: _ClassVar[int]
    APPLIED_INDEX_FIELD_NUMBER: _ClassVar[int]
    VOTERS_FIELD_NUMBER: _ClassVar[int]
    SESSIONS_FIELD_NUMBER: _ClassVar[int]
    STRUCTURES_FIELD_NUMBER: _ClassVar[int]
    name: str
    leader_id: int
    leader_address: str
    term: int
    role: RaftRole
    commit_index: int
    applied_index: int
    voters: _containers.RepeatedScalarFieldContainer[int]
    sessions: int
    structures: int
    def __init__(self, name: _Optional[str] = ..., leader_id: _Optional[int] = ..., leader_address: _Optional[str] = ..., term: _Optional[int] = ..., role: _Optional[_Union[RaftRole, str]] = ..., commit_index: _Optional[int] = ..., applied_index: _Optional[int] = ..., voters: _Optional[_Iterable[int]] = ..., sessions: _Optional[int] = ..., structures: _Optional[int] = ...) -> None: ...

class ListMembersRequest(_message.Message):
    __slots__ = ()
    def __init__(self) -> None: ...

class ListMembersResponse(_message.Message):
    __slots__ = ("members", "leader_id", "leader_address")
    MEMBERS_FIELD_NUMBER: _ClassVar[int]
    LEADER_ID_FIELD_NUMBER: _ClassVar[int]
    LEADER_ADDRESS_FIELD_NUMBER: _ClassVar[int]
    members: _containers.RepeatedCompositeFieldContainer[Member]
    leader_id: int
    leader_address: str
    def __init__(self, members: _Optional[_Iterable[_Union[Member, _Mapping]]] = ..., leader_id: _Optional[int] = ..., leader_address: _Optional[str] = ...) -> None: ...

class AddMemberRequest(_message.Message):
    __slots__ = ("id", "address", "plain")
    ID_FIELD_NUMBER: _ClassVar[int]
    ADDRESS_FIELD_NUMBER: _ClassVar[int]
    PLAIN_FIELD_NUMBER: _ClassVar[int]
    id: int
    address: str
    plain: bool
    def __init__(self, id: _Optional[int] = ..., address: _Optional[str] = ..., plain: _Optional[bool] = ...) -> None: ...

class AddMemberResponse(_message.Message):
    __slots__ = ("members",)
    MEMBERS_FIELD_NUMBER: _ClassVar[int]
    members: _containers.RepeatedCompositeFieldContainer[Member]
    def __init__(self, members: _Optional[_Iterable[_Union[Member, _Mapping]]] = ...) -> None: ...

class RemoveMemberRequest(_message.Message):
    __slots__ = ("id",)
    ID_FIELD_NUMBER: _ClassVar[int]
    id: int
    def __init__(self, id: _Optional[int] = ...) -> None: ...

class RemoveMemberResponse(_message.Message):
    __slots__ = ("members",)
    MEMBERS_FIELD_NUMBER: _ClassVar[int]
    members: _containers.RepeatedCompositeFieldContainer[Member]
    def __init__(self, members: _Optional[_Iterable[_Union[Member, _Mapping]]] = ...) -> None: ...

class ClaimGroupRequest(_message.Message):
    __slots__ = ("group", "member")
    GROUP_FIELD_NUMBER: _ClassVar[int]
    MEMBER_FIELD_NUMBER: _ClassVar[int]
    group: str
    member: int
    def __init__(self, group: _Optional[str] = ..., member: _Optional[int] = ...) -> None: ...

class ClaimGroupResponse(_message.Message):
    __slots__ = ("owner",)
    OWNER_FIELD_NUMBER: _ClassVar[int]
    owner: int
    def __init__(self, owner: _Optional[int] = ...) -> None: ...

class RaftRequest(_message.Message):
    __slots__ = ("group", "payload")
    GROUP_FIELD_NUMBER: _ClassVar[int]
    PAYLOAD_FIELD_NUMBER: _ClassVar[int]
    group: str
    payload: bytes
    def __init__(self, group: _Optional[str] = ..., payload: _Optional[bytes] = ...) -> None: ...

class RaftResponse(_message.Message):
    __slots__ = ("payload",)
    PAYLOAD_FIELD_NUMBER: _ClassVar[int]
    payload: bytes
    def __init__(self, payload: _Optional[bytes] = ...) -> None: ...

class TouchBlobsRequest(_message.Message):
    __slots__ = ("hashes",)
    HASHES_FIELD_NUMBER: _ClassVar[int]
    hashes: _containers.RepeatedScalarFieldContainer[bytes]
    def __init__(self, hashes: _Optional[_Iterable[bytes]] = ...) -> None: ...

class TouchBlobsResponse(_message.Message):
    __slots__ = ("stored",)
    STORED_FIELD_NUMBER: _ClassVar[int]
    stored: _containers.RepeatedScalarFieldContainer[bool]
    def __init__(self, stored: _Optional[_Iterable[bool]] = ...) -> None: ...

class ReadIndexRequest(_message.Message):
    __slots__ = ("group",)
    GROUP_FIELD_NUMBER: _ClassVar[int]
    group: str
    def __init__(self, group: _Optional[str] = ...) -> None: ...

class ReadIndexResponse(_message.Message):
    __slots__ = ("index",)
    INDEX_FIELD_NUMBER: _ClassVar[int]
    index: int
    def __init__(self, index: _Optional[int] = ...) -> None: ...

class PutBlobRequest(_message.Message):
    __slots__ = ("hash", "data")
    HASH_FIELD_NUMBER: _ClassVar[int]
    DATA_FIELD_NUMBER: _ClassVar[int]
    hash: bytes
    data: bytes
    def __init__(self, hash: _Optional[bytes] = ..., data: _Optional[bytes] = ...) -> None: ...

class PutBlobResponse(_message.Message):
    __slots__ = ()
    def __init__(self) -> None: ...

class GetBlobRequest(_message.Message):
    __slots__ = ("hash",)
    HASH_FIELD_NUMBER: _ClassVar[int]
    hash: bytes
    def __init__(self, hash: _Optional[bytes] = ...) -> None: ...

class GetBlobResponse(_message.Message):
    __slots__ = ("found", "data")
    FOUND_FIELD_NUMBER: _ClassVar[int]
    DATA_FIELD_NUMBER: _ClassVar[int]
    found: bool
    data: bytes
    def __init__(self, found: _Optional[bool] = ..., data: _Optional[bytes] = ...) -> None: ...

class ObjectMeta(_message.Message):
    __slots__ = ("key", "etag", "version", "size", "last_modified_ms", "content_type", "attributes", "expires_at_ms", "parts")
    class AttributesEntry(_message.Message):
        __slots__ = ("key", "value")
        KEY_FIELD_NUMBER: _ClassVar[int]
        VALUE_FIELD_NUMBER: _ClassVar[int]
        key: str
        value: str
        def __init__(self, key: _Optional[str] = ..., value: _Optional[str] = ...) -> None: ...
    KEY_FIELD_NUMBER: _ClassVar[int]
    ETAG_FIELD_NUMBER: _ClassVar[int]
    VERSION_FIELD_NUMBER: _ClassVar[int]
    SIZE_FIELD_NUMBER: _ClassVar[int]
    LAST_MODIFIED_MS_FIELD_NUMBER: _ClassVar[int]
    CONTENT_TYPE_FIELD_NUMBER: _ClassVar[int]
    ATTRIBUTES_FIELD_NUMBER: _ClassVar[int]
    EXPIRES_AT_MS_FIELD_NUMBER: _ClassVar[int]
    PARTS_FIELD_NUMBER: _ClassVar[int]
    key: str
    etag: str
    version: int
    size: int
    last_modified_ms: int
    content_type: str
    attributes: _containers.ScalarMap[str, str]
    expires_at_ms: int
    parts: int
    def __init__(self, key: _Optional[str] = ..., etag: _Optional[str] = ..., version: _Optional[int] = ..., size: _Optional[int] = ..., last_modified_ms: _Optional[int] = ..., content_type: _Optional[str] = ..., attributes: _Optional[_Mapping[str, str]] = ..., expires_at_ms: _Optional[int] = ..., parts: _Optional[int] = ...) -> None: ...

class PutObjectHeader(_message.Message):
    __slots__ = ("call", "key", "content_type", "attributes", "ttl_ms", "create_only", "if_match", "if_version", "if_fence_at_least")
    class AttributesEntry(_message.Message):
        __slots__ = ("key", "value")
        KEY_FIELD_NUMBER: _ClassVar[int]
        VALUE_FIELD_NUMBER: _ClassVar[int]
        key: str
        value: str
        def __init__(self, key: _Optional[str] = ..., value: _Optional[str] = ...) -> None: ...
    CALL_FIELD_NUMBER: _ClassVar[int]
    KEY_FIELD_NUMBER: _ClassVar[int]
    CONTENT_TYPE_FIELD_NUMBER: _ClassVar[int]
    ATTRIBUTES_FIELD_NUMBER: _ClassVar[int]
    TTL_MS_FIELD_NUMBER: _ClassVar[int]
    CREATE_ONLY_FIELD_NUMBER: _ClassVar[int]
    IF_MATCH_FIELD_NUMBER: _ClassVar[int]
    IF_VERSION_FIELD_NUMBER: _ClassVar[int]
    IF_FENCE_AT_LEAST_FIELD_NUMBER: _ClassVar[int]
    call: Call
    key: str
    content_type: str
    attributes: _containers.ScalarMap[str, str]
    ttl_ms: int
    create_only: bool
    if_match: str
    if_version: int
    if_fence_at_least: int
    def __init__(self, call: _Optional[_Union[Call, _Mapping]] = ..., key: _Optional[str] = ..., content_type: _Optional[str] = ..., attributes: _Optional[_Mapping[str, str]] = ..., ttl_ms: _Optional[int] = ..., create_only: _Optional[bool] = ..., if_match: _Optional[str] = ..., if_version: _Optional[int] = ..., if_fence_at_least: _Optional[int] = ...) -> None: ...

class PutObjectRequest(_message.Message):
    __slots__ = ("header", "data", "last")
    HEADER_FIELD_NUMBER: _ClassVar[int]
    DATA_FIELD_NUMBER: _ClassVar[int]
    LAST_FIELD_NUMBER: _ClassVar[int]
    header: PutObjectHeader
    data: bytes
    last: bool
    def __init__(self, header: _Optional[_Union[PutObjectHeader, _Mapping]] = ..., data: _Optional[bytes] = ..., last: _Optional[bool] = ...) -> None: ...

class PutObjectResponse(_message.Message):
    __slots__ = ("meta",)
    META_FIELD_NUMBER: _ClassVar[int]
    meta: ObjectMeta
    def __init__(self, meta: _Optional[_Union[ObjectMeta, _Mapping]] = ...) -> None: ...

class EtagCondition(_message.Message):
    __slots__ = ("any", "etags")
    ANY_FIELD_NUMBER: _ClassVar[int]
    ETAGS_FIELD_NUMBER: _ClassVar[int]
    any: bool
    etags: _containers.RepeatedScalarFieldContainer[str]
    def __init__(self, any: _Optional[bool] = ..., etags: _Optional[_Iterable[str]] = ...) -> None: ...

class ObjectReadConditions(_message.Message):
    __slots__ = ("if_match", "if_none_match", "if_modified_since_ms", "if_unmodified_since_ms")
    IF_MATCH_FIELD_NUMBER: _ClassVar[int]
    IF_NONE_MATCH_FIELD_NUMBER: _ClassVar[int]
    IF_MODIFIED_SINCE_MS_FIELD_NUMBER: _ClassVar[int]
    IF_UNMODIFIED_SINCE_MS_FIELD_NUMBER: _ClassVar[int]
    if_match: EtagCondition
    if_none_match: EtagCondition
    if_modified_since_ms: int
    if_unmodified_since_ms: int
    def __init__(self, if_match: _Optional[_Union[EtagCondition, _Mapping]] = ..., if_none_match: _Optional[_Union[EtagCondition, _Mapping]] = ..., if_modified_since_ms: _Optional[int] = ..., if_unmodified_since_ms: _Optional[int] = ...) -> None: ...

class ObjectByteRange(_message.Message):
    __slots__ = ("bounded", "suffix")
    BOUNDED_FIELD_NUMBER: _ClassVar[int]
    FROM_FIELD_NUMBER: _ClassVar[int]
    SUFFIX_FIELD_NUMBER: _ClassVar[int]
    bounded: ObjectBoundedRange
    suffix: int
    def __init__(self, bounded: _Optional[_Union[ObjectBoundedRange, _Mapping]] = ..., suffix: _Optional[int] = ..., **kwargs) -> None: ...

class ObjectBoundedRange(_message.Message):
    __slots__ = ("start", "end")
    START_FIELD_NUMBER: _ClassVar[int]
    END_FIELD_NUMBER: _ClassVar[int]
    start: int
    end: int
    def __init__(self, start: _Optional[int] = ..., end: _Optional[int] = ...) -> None: ...

class GetObjectRequest(_message.Message):
    __slots__ = ("call", "key", "conditions", "range")
    CALL_FIELD_NUMBER: _ClassVar[int]
    KEY_FIELD_NUMBER: _ClassVar[int]
    CONDITIONS_FIELD_NUMBER: _ClassVar[int]
    RANGE_FIELD_NUMBER: _ClassVar[int]
    call: Call
    key: str
    conditions: ObjectReadConditions
    range: ObjectByteRange
    def __init__(self, call: _Optional[_Union[Call, _Mapping]] = ..., key: _Optional[str] = ..., conditions: _Optional[_Union[ObjectReadConditions, _Mapping]] = ..., range: _Optional[_Union[ObjectByteRange, _Mapping]] = ...) -> None: ...

class GetObjectResponse(_message.Message):
    __slots__ = ("meta", "range_start", "range_end", "data")
    META_FIELD_NUMBER: _ClassVar[int]
    RANGE_START_FIELD_NUMBER: _ClassVar[int]
    RANGE_END_FIELD_NUMBER: _ClassVar[int]
    DATA_FIELD_NUMBER: _ClassVar[int]
    meta: ObjectMeta
    range_start: int
    range_end: int
    data: bytes
    def __init__(self, meta: _Optional[_Union[ObjectMeta, _Mapping]] = ..., range_start: _Optional[int] = ..., range_end: _Optional[int] = ..., data: _Optional[bytes] = ...) -> None: ...

class HeadObjectRequest(_message.Message):
    __slots__ = ("call", "key", "conditions")
    CALL_FIELD_NUMBER: _ClassVar[int]
    KEY_FIELD_NUMBER: _ClassVar[int]
    CONDITIONS_FIELD_NUMBER: _ClassVar[int]
    call: Call
    key: str
    conditions: ObjectReadConditions
    def __init__(self, call: _Optional[_Union[Call, _Mapping]] = ..., key: _Optional[str] = ..., conditions: _Optional[_Union[ObjectReadConditions, _Mapping]] = ...) -> None: ...

class HeadObjectResponse(_message.Message):
    __slots__ = ("meta",)
    META_FIELD_NUMBER: _ClassVar[int]
    meta: ObjectMeta
    def __init__(self, meta: _Optional[_Union[ObjectMeta, _Mapping]] = ...) -> None: ...

class DeleteObjectRequest(_message.Message):
    __slots__ = ("call", "key", "if_match", "if_version", "if_fence_at_least")
    CALL_FIELD_NUMBER: _ClassVar[int]
    KEY_FIELD_NUMBER: _ClassVar[int]
    IF_MATCH_FIELD_NUMBER: _ClassVar[int]
    IF_VERSION_FIELD_NUMBER: _ClassVar[int]
    IF_FENCE_AT_LEAST_FIELD_NUMBER: _ClassVar[int]
    call: Call
    key: str
    if_match: str
    if_version: int
    if_fence_at_least: int
    def __init__(self, call: _Optional[_Union[Call, _Mapping]] = ..., key: _Optional[str] = ..., if_match: _Optional[str] = ..., if_version: _Optional[int] = ..., if_fence_at_least: _Optional[int] = ...) -> None: ...

class DeleteObjectResponse(_message.Message):
    __slots__ = ("existed",)
    EXISTED_FIELD_NUMBER: _ClassVar[int]
    existed: bool
    def __init__(self, existed: _Optional[bool] = ...) -> None: ...

class ListObjectsRequest(_message.Message):
    __slots__ = ("call", "prefix", "delimiter", "start_after", "max_keys")
    CALL_FIELD_NUMBER: _ClassVar[int]
    PREFIX_FIELD_NUMBER: _ClassVar[int]
    DELIMITER_FIELD_NUMBER: _ClassVar[int]
    START_AFTER_FIELD_NUMBER: _ClassVar[int]
    MAX_KEYS_FIELD_NUMBER: _ClassVar[int]
    call: Call
    prefix: str
    delimiter: str
    start_after: str
    max_keys: int
    def __init__(self, call: _Optional[_Union[Call, _Mapping]] = ..., prefix: _Optional[str] = ..., delimiter: _Optional[str] = ..., start_after: _Optional[str] = ..., max_keys: _Optional[int] = ...) -> None: ...

class ListObjectsResponse(_message.Message):
    __slots__ = ("objects", "common_prefixes", "next_start_after", "is_truncated")
    OBJECTS_FIELD_NUMBER: _ClassVar[int]
    COMMON_PREFIXES_FIELD_NUMBER: _ClassVar[int]
    NEXT_START_AFTER_FIELD_NUMBER: _ClassVar[int]
    IS_TRUNCATED_FIELD_NUMBER: _ClassVar[int]
    objects: _containers.RepeatedCompositeFieldContainer[ObjectMeta]
    common_prefixes: _containers.RepeatedScalarFieldContainer[str]
    next_start_after: str
    is_truncated: bool
    def __init__(self, objects: _Optional[_Iterable[_Union[ObjectMeta, _Mapping]]] = ..., common_prefixes: _Optional[_Iterable[str]] = ..., next_start_after: _Optional[str] = ..., is_truncated: _Optional[bool] = ...) -> None: ...

class TransferObjectRequest(_message.Message):
    __slots__ = ("call", "to", "source_if_match", "if_not_exists", "if_fence_at_least")
    CALL_FIELD_NUMBER: _ClassVar[int]
    FROM_FIELD_NUMBER: _ClassVar[int]
    TO_FIELD_NUMBER: _ClassVar[int]
    SOURCE_IF_MATCH_FIELD_NUMBER: _ClassVar[int]
    IF_NOT_EXISTS_FIELD_NUMBER: _ClassVar[int]
    IF_FENCE_AT_LEAST_FIELD_NUMBER: _ClassVar[int]
    call: Call
    to: str
    source_if_match: str
    if_not_exists: bool
    if_fence_at_least: int
    def __init__(self, call: _Optional[_Union[Call, _Mapping]] = ..., to: _Optional[str] = ..., source_if_match: _Optional[str] = ..., if_not_exists: _Optional[bool] = ..., if_fence_at_least: _Optional[int] = ..., **kwargs) -> None: ...

class TransferObjectResponse(_message.Message):
    __slots__ = ("meta",)
    META_FIELD_NUMBER: _ClassVar[int]
    meta: ObjectMeta
    def __init__(self, meta: _Optional[_Union[ObjectMeta, _Mapping]] = ...) -> None: ...

class SetObjectTtlRequest(_message.Message):
    __slots__ = ("call", "key", "ttl_ms", "if_match", "if_fence_at_least")
    CALL_FIELD_NUMBER: _ClassVar[int]
    KEY_FIELD_NUMBER: _ClassVar[int]
    TTL_MS_FIELD_NUMBER: _ClassVar[int]
    IF_MATCH_FIELD_NUMBER: _ClassVar[int]
    IF_FENCE_AT_LEAST_FIELD_NUMBER: _ClassVar[int]
    call: Call
    key: str
    ttl_ms: int
    if_match: str
    if_fence_at_least: int
    def __init__(self, call: _Optional[_Union[Call, _Mapping]] = ..., key: _Optional[str] = ..., ttl_ms: _Optional[int] = ..., if_match: _Optional[str] = ..., if_fence_at_least: _Optional[int] = ...) -> None: ...

class SetObjectTtlResponse(_message.Message):
    __slots__ = ("meta",)
    META_FIELD_NUMBER: _ClassVar[int]
    meta: ObjectMeta
    def __init__(self, meta: _Optional[_Union[ObjectMeta, _Mapping]] = ...) -> None: ...

class CreateMultipartUploadRequest(_message.Message):
    __slots__ = ("call", "key", "content_type", "attributes")
    class AttributesEntry(_message.Message):
        __slots__ = ("key", "value")
        KEY_FIELD_NUMBER: _ClassVar[int]
        VALUE_FIELD_NUMBER: _ClassVar[int]
        key: str
        value: str
        def __init__(self, key: _Optional[str] = ..., value: _Optional[str] = ...) -> None: ...
    CALL_FIELD_NUMBER: _ClassVar[int]
    KEY_FIELD_NUMBER: _ClassVar[int]
    CONTENT_TYPE_FIELD_NUMBER: _ClassVar[int]
    ATTRIBUTES_FIELD_NUMBER: _ClassVar[int]
    call: Call
    key: str
    content_type: str
    attributes: _containers.ScalarMap[str, str]
    def __init__(self, call: _Optional[_Union[Call, _Mapping]] = ..., key: _Optional[str] = ..., content_type: _Optional[str] = ..., attributes: _Optional[_Mapping[str, str]] = ...) -> None: ...

class CreateMultipartUploadResponse(_message.Message):
    __slots__ = ("upload_id",)
    UPLOAD_ID_FIELD_NUMBER: _ClassVar[int]
    upload_id: str
    def __init__(self, upload_id: _Optional[str] = ...) -> None: ...

class UploadPartHeader(_message.Message):
    __slots__ = ("call", "key", "upload_id", "part_number")
    CALL_FIELD_NUMBER: _ClassVar[int]
    KEY_FIELD_NUMBER: _ClassVar[int]
    UPLOAD_ID_FIELD_NUMBER: _ClassVar[int]
    PART_NUMBER_FIELD_NUMBER: _ClassVar[int]
    call: Call
    key: str
    upload_id: str
    part_number: int
    def __init__(self, call: _Optional[_Union[Call, _Mapping]] = ..., key: _Optional[str] = ..., upload_id: _Optional[str] = ..., part_number: _Optional[int] = ...) -> None: ...

class UploadPartRequest(_message.Message):
    __slots__ = ("header", "data", "last")
    HEADER_FIELD_NUMBER: _ClassVar[int]
    DATA_FIELD_NUMBER: _ClassVar[int]
    LAST_FIELD_NUMBER: _ClassVar[int]
    header: UploadPartHeader
    data: bytes
    last: bool
    def __init__(self, header: _Optional[_Union[UploadPartHeader, _Mapping]] = ..., data: _Optional[bytes] = ..., last: _Optional[bool] = ...) -> None: ...

class UploadPartResponse(_message.Message):
    __slots__ = ("etag", "size")
    ETAG_FIELD_NUMBER: _ClassVar[int]
    SIZE_FIELD_NUMBER: _ClassVar[int]
    etag: str
    size: int
    def __init__(self, etag: _Optional[str] = ..., size: _Optional[int] = ...) -> None: ...

class CompletedPart(_message.Message):
    __slots__ = ("part_number", "etag")
    PART_NUMBER_FIELD_NUMBER: _ClassVar[int]
    ETAG_FIELD_NUMBER: _ClassVar[int]
    part_number: int
    etag: str
    def __init__(self, part_number: _Optional[int] = ..., etag: _Optional[str] = ...) -> None: ...

class CompleteMultipartUploadRequest(_message.Message):
    __slots__ = ("call", "key", "upload_id", "parts", "create_only", "if_match", "if_version", "if_fence_at_least", "ttl_ms")
    CALL_FIELD_NUMBER: _ClassVar[int]
    KEY_FIELD_NUMBER: _ClassVar[int]
    UPLOAD_ID_FIELD_NUMBER: _ClassVar[int]
    PARTS_FIELD_NUMBER: _ClassVar[int]
    CREATE_ONLY_FIELD_NUMBER: _ClassVar[int]
    IF_MATCH_FIELD_NUMBER: _ClassVar[int]
    IF_VERSION_FIELD_NUMBER: _ClassVar[int]
    IF_FENCE_AT_LEAST_FIELD_NUMBER: _ClassVar[int]
    TTL_MS_FIELD_NUMBER: _ClassVar[int]
    call: Call
    key: str
    upload_id: str
    parts: _containers.RepeatedCompositeFieldContainer[CompletedPart]
    create_only: bool
    if_match: str
    if_version: int
    if_fence_at_least: int
    ttl_ms: int
    def __init__(self, call: _Optional[_Union[Call, _Mapping]] = ..., key: _Optional[str] = ..., upload_id: _Optional[str] = ..., parts: _Optional[_Iterable[_Union[CompletedPart, _Mapping]]] = ..., create_only: _Optional[bool] = ..., if_match: _Optional[str] = ..., if_version: _Optional[int] = ..., if_fence_at_least: _Optional[int] = ..., ttl_ms: _Optional[int] = ...) -> None: ...

class CompleteMultipartUploadResponse(_message.Message):
    __slots__ = ("meta",)
    META_FIELD_NUMBER: _ClassVar[int]
    meta: ObjectMeta
    def __init__(self, meta: _Optional[_Union[ObjectMeta, _Mapping]] = ...) -> None: ...

class AbortMultipartUploadRequest(_message.Message):
    __slots__ = ("call", "key", "upload_id")
    CALL_FIELD_NUMBER: _ClassVar[int]
    KEY_FIELD_NUMBER: _ClassVar[int]
    UPLOAD_ID_FIELD_NUMBER: _ClassVar[int]
    call: Call
    key: str
    upload_id: str
    def __init__(self, call: _Optional[_Union[Call, _Mapping]] = ..., key: _Optional[str] = ..., upload_id: _Optional[str] = ...) -> None: ...

class AbortMultipartUploadResponse(_message.Message):
    __slots__ = ()
    def __init__(self) -> None: ...

class HandoffRequest(_message.Message):
    __slots__ = ("message",)
    MESSAGE_FIELD_NUMBER: _ClassVar[int]
    message: bytes
    def __init__(self, message: _Optional[bytes] = ...) -> None: ...

class HandoffResponse(_message.Message):
    __slots__ = ("answer",)
    ANSWER_FIELD_NUMBER: _ClassVar[int]
    answer: bytes
    def __init__(self, answer: _Optional[bytes] = ...) -> None: ...

class ForwardRequest(_message.Message):
    __slots__ = ("call",)
    CALL_FIELD_NUMBER: _ClassVar[int]
    call: bytes
    def __init__(self, call: _Optional[bytes] = ...) -> None: ...

class ForwardResponse(_message.Message):
    __slots__ = ("answer",)
    ANSWER_FIELD_NUMBER: _ClassVar[int]
    answer: bytes
    def __init__(self, answer: _Optional[bytes] = ...) -> None: ...
