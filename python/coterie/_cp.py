"""The CP structures (seed 001): AtomicLong, AtomicReference, FencedLock, Semaphore,
CountDownLatch, with the method names Hazelcast's Python client uses.

Locks and permits belong to sessions, so FencedLock and Semaphore calls carry the group's
session (opened on first use, kept alive by heartbeats). A lock is held by (session, owner):
the owner is the calling thread (sync API) or the running asyncio task (async API), so two
threads or tasks sharing one handle exclude each other, and one re-entering is counted.
"""

from __future__ import annotations

import asyncio
import os
import time
import weakref
from typing import Any, Dict, Optional, Tuple

from . import codec as codecs
from . import errors
from ._handle import Handle
from .v1 import coterie_pb2 as pb

_task_owners: "weakref.WeakKeyDictionary[asyncio.Task, bytes]" = weakref.WeakKeyDictionary()


def task_owner() -> bytes:
    """The lock owner of the running asyncio task (16 random bytes, drawn once per task)."""
    task = asyncio.current_task()
    if task is None:
        raise RuntimeError("FencedLock calls need a running asyncio task")
    owner = _task_owners.get(task)
    if owner is None:
        owner = os.urandom(16)
        _task_owners[task] = owner
    return owner


def _ms(seconds: float) -> int:
    if seconds < 0:
        raise ValueError(f"a timeout is zero or more seconds, not {seconds}")
    return int(round(seconds * 1000))


class AtomicLong(Handle):
    """A 64-bit signed register, linearizable. Arithmetic that would overflow raises
    :class:`~coterie.errors.Overflow` and leaves the value unchanged."""

    _service = "AtomicLongService"

    async def get(self, *, call_timeout: Optional[float] = None) -> int:
        """The current value."""
        return (await self._read("Get", pb.AtomicLongGetRequest, call_timeout)).value

    async def set(self, value: int, *, call_timeout: Optional[float] = None) -> None:
        """Replaces the value."""
        await self._write("Set", pb.AtomicLongSetRequest, call_timeout, value=value)

    async def get_and_set(self, value: int, *, call_timeout: Optional[float] = None) -> int:
        """Replaces the value, answering the previous one."""
        return (await self._write("GetAndSet", pb.AtomicLongGetAndSetRequest, call_timeout, value=value)).previous

    async def add_and_get(self, delta: int, *, call_timeout: Optional[float] = None) -> int:
        """Adds ``delta``, answering the new value."""
        return (await self._write("AddAndGet", pb.AtomicLongAddAndGetRequest, call_timeout, delta=delta)).value

    async def get_and_add(self, delta: int, *, call_timeout: Optional[float] = None) -> int:
        """Adds ``delta``, answering the previous value."""
        return (await self._write("GetAndAdd", pb.AtomicLongGetAndAddRequest, call_timeout, delta=delta)).previous

    async def increment_and_get(self, *, call_timeout: Optional[float] = None) -> int:
        """Adds one, answering the new value."""
        return (await self._write("IncrementAndGet", pb.AtomicLongIncrementAndGetRequest, call_timeout)).value

    async def decrement_and_get(self, *, call_timeout: Optional[float] = None) -> int:
        """Subtracts one, answering the new value."""
        return (await self._write("DecrementAndGet", pb.AtomicLongDecrementAndGetRequest, call_timeout)).value

    async def get_and_increment(self, *, call_timeout: Optional[float] = None) -> int:
        """Adds one, answering the previous value."""
        return (await self._write("GetAndIncrement", pb.AtomicLongGetAndIncrementRequest, call_timeout)).previous

    async def get_and_decrement(self, *, call_timeout: Optional[float] = None) -> int:
        """Subtracts one, answering the previous value."""
        return (await self._write("GetAndDecrement", pb.AtomicLongGetAndDecrementRequest, call_timeout)).previous

    async def compare_and_set(self, expected: int, update: int, *, call_timeout: Optional[float] = None) -> bool:
        """Sets ``update`` if the value is ``expected``; answers whether it did."""
        request = pb.AtomicLongCompareAndSetRequest
        return (await self._write("CompareAndSet", request, call_timeout, expected=expected, update=update)).swapped

    async def compare_and_exchange(self, expected: int, update: int, *, call_timeout: Optional[float] = None) -> int:
        """Sets ``update`` if the value is ``expected``; answers the value found (equal to
        ``expected`` exactly when it swapped)."""
        request = pb.AtomicLongCompareAndExchangeRequest
        return (await self._write("CompareAndExchange", request, call_timeout, expected=expected, update=update)).witness


class AtomicReference(Handle):
    """A nullable value register. ``None`` is null; bytes and str are stored as they are,
    other values through the handle's codec (JSON by default)."""

    _service = "AtomicReferenceService"

    def _enc(self, value: Any) -> Optional[bytes]:
        return codecs.encode_optional(self._codec, value)

    def _dec(self, response: Any, field: str) -> Any:
        return codecs.decode_optional(self._codec, getattr(response, field) if response.HasField(field) else None)

    async def get(self, *, call_timeout: Optional[float] = None) -> Any:
        """The current value (``None``: null)."""
        return self._dec(await self._read("Get", pb.AtomicReferenceGetRequest, call_timeout), "value")

    async def set(self, value: Any, *, call_timeout: Optional[float] = None) -> None:
        """Replaces the value (``None``: null)."""
        await self._write("Set", pb.AtomicReferenceSetRequest, call_timeout, value=self._enc(value))

    async def get_and_set(self, value: Any, *, call_timeout: Optional[float] = None) -> Any:
        """Replaces the value, answering the previous one."""
        response = await self._write("GetAndSet", pb.AtomicReferenceGetAndSetRequest, call_timeout, value=self._enc(value))
        return self._dec(response, "previous")

    async def compare_and_set(self, expected: Any, update: Any, *, call_timeout: Optional[float] = None) -> bool:
        """Sets ``update`` if the stored bytes equal ``expected``'s (``None`` matches only
        null); answers whether it did. Values compare by their encoded bytes."""
        request = pb.AtomicReferenceCompareAndSetRequest
        response = await self._write(
            "CompareAndSet", request, call_timeout, expected=self._enc(expected), update=self._enc(update)
        )
        return response.swapped

    async def set_if_absent(self, value: Any, *, call_timeout: Optional[float] = None) -> bool:
        """Sets the value only if it is null; answers whether it did."""
        if value is None:
            raise ValueError("set_if_absent needs a value: None (null) is not a value to set")
        request = pb.AtomicReferenceSetIfAbsentRequest
        return (await self._write("SetIfAbsent", request, call_timeout, value=self._enc(value))).set

    async def is_null(self, *, call_timeout: Optional[float] = None) -> bool:
        """Whether the value is null."""
        return (await self._read("IsNull", pb.AtomicReferenceIsNullRequest, call_timeout)).is_null

    async def clear(self, *, call_timeout: Optional[float] = None) -> None:
        """Sets the value to null."""
        await self._write("Clear", pb.AtomicReferenceClearRequest, call_timeout)

    async def contains(self, value: Any, *, call_timeout: Optional[float] = None) -> bool:
        """Whether the value equals ``value`` (``None``: whether it is null)."""
        request = pb.AtomicReferenceContainsRequest
        return (await self._read("Contains", request, call_timeout, value=self._enc(value))).contains


class FencedLock(Handle):
    """A reentrant distributed mutex handing out fencing tokens that strictly increase
    across holders. ``with lock as fence:`` (``async with`` in asyncio) holds it for a block.

    If the session holding the lock expires (the process stalled past the session TTL, or
    lost the cluster), the lock is released by the cluster; the next call on this handle by
    the holder raises :class:`~coterie.errors.LockOwnershipLost`.
    """

    _service = "FencedLockService"

    def __init__(self, *args: Any, **kwargs: Any):
        super().__init__(*args, **kwargs)
        # owner -> (session it holds the lock in, hold count), shared by the client's handles
        self._holds: Dict[bytes, Tuple[int, int]] = self._core.lock_holds.setdefault((self._group, self._name), {})

    def _owner(self, owner: Optional[bytes]) -> bytes:
        return owner if owner is not None else task_owner()

    async def _session(self, owner: bytes, deadline: Optional[float]) -> int:
        held = self._holds.get(owner)
        if held is not None:
            return held[0]
        return await self._core.sessions.get(self._group, deadline)

    def _expired(self, owner: bytes, session: int, err: errors.SessionExpired) -> None:
        """A call in ``session`` met its expiry: forget it, and raise LockOwnershipLost if
        ``owner`` held the lock in it (returns to retry with a new session otherwise)."""
        self._core.sessions.drop(self._group, session)
        held = self._holds.get(owner)
        if held is not None and held[0] == session:
            del self._holds[owner]
            raise errors.LockOwnershipLost(
                f"the lock {self._name!r} was held in session {session}, which expired: the cluster released it "
                "and another client may hold it now; do not trust work done under it (check fences)",
                metadata={"session": str(session), "name": self._name},
            ) from err

    def _acquired(self, owner: bytes, session: int) -> None:
        held = self._holds.get(owner)
        self._holds[owner] = (session, (held[1] if held else 0) + 1)

    async def lock(self, *, call_timeout: Optional[float] = None, _owner: Optional[bytes] = None) -> int:
        """Acquires the lock, waiting as long as it takes (or ``call_timeout``); answers the
        fence."""
        owner = self._owner(_owner)
        deadline = self._core.deadline(call_timeout, forever=True)
        while True:
            session = await self._session(owner, deadline)
            try:
                response = await self._write(
                    "Lock", pb.FencedLockLockRequest, None, session=session, parked=True,
                    deadline=deadline, use_deadline=True, owner=owner,
                )
            except errors.SessionExpired as err:
                self._expired(owner, session, err)
                continue
            self._acquired(owner, session)
            return response.fence

    async def try_lock(
        self, timeout: float = 0.0, *, call_timeout: Optional[float] = None, _owner: Optional[bytes] = None
    ) -> Optional[int]:
        """Acquires the lock if it is free, else waits up to ``timeout`` seconds; answers the
        fence, or ``None`` if it was not acquired in time."""
        owner = self._owner(_owner)
        wait_ms = _ms(timeout)
        opts = self._core.options
        deadline = time.monotonic() + timeout + (opts.call_timeout if call_timeout is None else call_timeout)
        while True:
            session = await self._session(owner, deadline)
            try:
                response = await self._write(
                    "TryLock", pb.FencedLockTryLockRequest, None, session=session, parked=wait_ms > 0,
                    deadline=deadline, use_deadline=True, owner=owner, timeout_ms=wait_ms,
                )
            except errors.SessionExpired as err:
                self._expired(owner, session, err)
                continue
            if not response.HasField("fence"):
                return None
            self._acquired(owner, session)
            return response.fence

    async def unlock(self, *, call_timeout: Optional[float] = None, _owner: Optional[bytes] = None) -> None:
        """Releases one hold; raises :class:`~coterie.errors.NotOwner` unless the caller holds
        the lock, :class:`~coterie.errors.LockOwnershipLost` if its session expired."""
        owner = self._owner(_owner)
        held = self._holds.get(owner)
        session = held[0] if held else await self._core.sessions.get(self._group, self._core.deadline(call_timeout))
        try:
            await self._write("Unlock", pb.FencedLockUnlockRequest, call_timeout, session=session, owner=owner)
        except errors.SessionExpired as err:
            self._expired(owner, session, err)
            raise
        if held is not None:
            if held[1] <= 1:
                del self._holds[owner]
            else:
                self._holds[owner] = (session, held[1] - 1)

    async def is_locked(self, *, call_timeout: Optional[float] = None) -> bool:
        """Whether anyone holds the lock."""
        return (await self._read("IsLocked", pb.FencedLockIsLockedRequest, call_timeout)).locked

    async def is_locked_by_current_thread(self, *, call_timeout: Optional[float] = None, _owner: Optional[bytes] = None) -> bool:
        """Whether the caller (this thread or task, in this client's session) holds the lock."""
        owner = self._owner(_owner)
        held = self._holds.get(owner)
        session = held[0] if held else self._core.sessions.current(self._group)
        if session is None:
            return False
        try:
            response = await self._read(
                "IsLockedByMe", pb.FencedLockIsLockedByMeRequest, call_timeout, session=session, owner=owner
            )
        except errors.SessionExpired as err:
            self._expired(owner, session, err)
            return False
        return response.locked

    async def get_lock_count(self, *, call_timeout: Optional[float] = None) -> int:
        """How many times the current holder has acquired the lock (0 when free)."""
        return (await self._read("GetLockCount", pb.FencedLockGetLockCountRequest, call_timeout)).count

    async def get_fence(self, *, call_timeout: Optional[float] = None, _owner: Optional[bytes] = None) -> int:
        """The caller's current fence; :class:`~coterie.errors.NotOwner` unless it holds the lock."""
        owner = self._owner(_owner)
        held = self._holds.get(owner)
        session = held[0] if held else await self._core.sessions.get(self._group, self._core.deadline(call_timeout))
        try:
            response = await self._read("GetFence", pb.FencedLockGetFenceRequest, call_timeout, session=session, owner=owner)
        except errors.SessionExpired as err:
            self._expired(owner, session, err)
            raise
        return response.fence

    async def __aenter__(self) -> int:
        return await self.lock()

    async def __aexit__(self, *exc: Any) -> None:
        await self.unlock()


class Semaphore(Handle):
    """A distributed counting semaphore. Permits belong to this client's session and return
    to the pool when the session ends (closed, or expired after the process died)."""

    _service = "SemaphoreService"

    def __init__(self, *args: Any, **kwargs: Any):
        super().__init__(*args, **kwargs)
        # session -> permits taken in it, shared by the client's handles of this semaphore
        self._held: Dict[int, int] = self._core.permits_held.setdefault((self._group, self._name), {})

    def _lost(self) -> int:
        """Permits this handle took in sessions that expired since (the cluster released
        them); forgets them."""
        lost = 0
        for session in [s for s in self._held if s in self._core.sessions.expired]:
            lost += self._held.pop(session)
        return lost

    def _took(self, session: int, permits: int) -> None:
        self._held[session] = self._held.get(session, 0) + permits

    async def _with_session(self, method: str, request_type: Any, call_timeout: Optional[float], *, retry: bool,
                            parked: bool = False, deadline: Optional[float] = None, **values: Any) -> Any:
        if deadline is None:
            deadline = self._core.deadline(call_timeout)
        while True:
            session = await self._core.sessions.get(self._group, deadline)
            try:
                response = await self._write(method, request_type, None, session=session, parked=parked,
                                             deadline=deadline, use_deadline=True, **values)
                return session, response
            except errors.SessionExpired:
                self._core.sessions.drop(self._group, session)
                if not retry:
                    raise

    async def init(self, permits: int, *, call_timeout: Optional[float] = None) -> bool:
        """Sets the initial permits if the semaphore was never initialized; answers whether
        it did (``False``: it was initialized already)."""
        try:
            await self._write("Init", pb.SemaphoreInitRequest, call_timeout, permits=permits)
        except errors.AlreadyInitialized:
            return False
        return True

    async def acquire(self, permits: int = 1, *, call_timeout: Optional[float] = None) -> None:
        """Takes ``permits``, waiting as long as it takes (or ``call_timeout``)."""
        deadline = self._core.deadline(call_timeout, forever=True)
        session, _ = await self._with_session("Acquire", pb.SemaphoreAcquireRequest, None, retry=True, parked=True,
                                              deadline=deadline, permits=permits)
        self._took(session, permits)

    async def try_acquire(self, permits: int = 1, timeout: float = 0.0, *, call_timeout: Optional[float] = None) -> bool:
        """Takes ``permits`` if available, else waits up to ``timeout`` seconds; answers
        whether it took them."""
        wait_ms = _ms(timeout)
        opts = self._core.options
        deadline = time.monotonic() + timeout + (opts.call_timeout if call_timeout is None else call_timeout)
        session, response = await self._with_session("TryAcquire", pb.SemaphoreTryAcquireRequest, None, retry=True,
                                                     parked=wait_ms > 0, deadline=deadline, permits=permits,
                                                     timeout_ms=wait_ms)
        if response.acquired:
            self._took(session, permits)
        return response.acquired

    async def release(self, permits: int = 1, *, call_timeout: Optional[float] = None) -> None:
        """Gives back ``permits`` this client's session holds
        (:class:`~coterie.errors.PermitsNotHeld` otherwise; :class:`~coterie.errors.SessionExpired`
        if the session that held them expired, which released them)."""
        lost = self._lost()
        if lost:
            raise errors.SessionExpired(
                f"{lost} permit(s) of semaphore {self._name!r} were held in a session that expired: the cluster "
                "released them; acquire again before releasing",
                metadata={"name": self._name, "lost_permits": str(lost)},
            )
        try:
            session, _ = await self._with_session("Release", pb.SemaphoreReleaseRequest, call_timeout, retry=False,
                                                  permits=permits)
        except errors.SessionExpired:
            self._lost()
            raise
        left = self._held.get(session, 0) - permits
        if left > 0:
            self._held[session] = left
        else:
            self._held.pop(session, None)

    async def available_permits(self, *, call_timeout: Optional[float] = None) -> int:
        """The permits available now (negative after a reduction below what is held)."""
        return (await self._read("AvailablePermits", pb.SemaphoreAvailablePermitsRequest, call_timeout)).permits

    async def drain_permits(self, *, call_timeout: Optional[float] = None) -> int:
        """Takes every available permit, answering how many."""
        request = pb.SemaphoreDrainPermitsRequest
        session, response = await self._with_session("DrainPermits", request, call_timeout, retry=True)
        if response.drained > 0:
            self._took(session, response.drained)
        return response.drained

    async def reduce_permits(self, reduction: int, *, call_timeout: Optional[float] = None) -> None:
        """Removes ``reduction`` permits from the pool (it may go negative)."""
        await self._write("ReducePermits", pb.SemaphoreReducePermitsRequest, call_timeout, permits=reduction)

    async def increase_permits(self, increase: int, *, call_timeout: Optional[float] = None) -> None:
        """Adds ``increase`` permits to the pool, serving waiters."""
        await self._write("IncreasePermits", pb.SemaphoreIncreasePermitsRequest, call_timeout, permits=increase)


class CountDownLatch(Handle):
    """A gate that opens when its count reaches zero, reusable in rounds."""

    _service = "CountDownLatchService"

    async def try_set_count(self, count: int, *, call_timeout: Optional[float] = None) -> bool:
        """Starts a round with ``count`` if the count is 0; answers whether it did."""
        return (await self._write("TrySetCount", pb.CountDownLatchTrySetCountRequest, call_timeout, count=count)).set

    async def count_down(self, *, call_timeout: Optional[float] = None) -> int:
        """Counts down once in the current round, answering the remaining count. A retried
        count-down counts once, and never in a later round."""
        deadline = self._core.deadline(call_timeout)
        round_ = (await self._read("GetRound", pb.CountDownLatchGetRoundRequest, call_timeout)).round
        response = await self._write("CountDown", pb.CountDownLatchCountDownRequest, None, deadline=deadline,
                                     use_deadline=True, expected_round=round_)
        return response.remaining

    async def get_count(self, *, call_timeout: Optional[float] = None) -> int:
        """The current count."""
        return (await self._read("GetCount", pb.CountDownLatchGetCountRequest, call_timeout)).count

    async def get_round(self, *, call_timeout: Optional[float] = None) -> int:
        """The current round (0 before the count was ever set)."""
        return (await self._read("GetRound", pb.CountDownLatchGetRoundRequest, call_timeout)).round

    async def await_latch(self, timeout: Optional[float] = None, *, call_timeout: Optional[float] = None) -> bool:
        """Waits until the count is 0, up to ``timeout`` seconds (``None``: as long as it
        takes); answers whether it reached 0 in time."""
        if timeout == 0:
            return (await self._read("Await", pb.CountDownLatchAwaitRequest, call_timeout, timeout_ms=0)).opened
        opts = self._core.options
        extra = opts.call_timeout if call_timeout is None else call_timeout
        deadline = None if timeout is None else time.monotonic() + timeout + extra
        wait_ms = None if timeout is None else _ms(timeout)
        response = await self._write("Await", pb.CountDownLatchAwaitRequest, None, parked=True, deadline=deadline,
                                     use_deadline=True, timeout_ms=wait_ms)
        return response.opened
