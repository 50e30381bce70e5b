"""Sharded coordination structures (seed 000): Queue, Lock, Semaphore and Barrier.

Each lives whole in the partition of its name (``shards`` only picks that partition's
layout), served by the partition's owner from any member. They have no sessions:

* a :class:`Lock`'s or :class:`Semaphore`'s holder is the handle: each handle draws its own
  random 128-bit owner id when it is made and sends it with every call (seed 000's "unique
  owner, auto-generated UUID"), so two handles of one name are two contenders, and a handle
  shared by several tasks or threads is one owner. A holder that crashes is freed by its
  ``lease`` (seconds), not by a session ending: give a lease to any holding that must not
  outlive its process.
* calls that wait (``Queue.take``, ``Lock.acquire``/``try_acquire`` with a timeout,
  ``Semaphore.acquire``/``try_acquire`` with a timeout, ``Barrier.arrive``) are sent with
  ``keep_parked``: each attempt is bounded by the client's ``wait_poll``, and the same
  invocation is sent again while the owner answers ``still_waiting``, so the call keeps its
  FIFO place across attempts and member changes. Their deadline is the wait plus the call
  timeout (the Rust client's ``Mode::Blocking``): the client's ``call_timeout`` never cuts a
  wait short, and the server's own answer at the end of a timed wait (no item, not
  released) is what the caller gets.
* the wire has no cancel for sharded waits yet: a wait whose task is cancelled stays parked
  at the owner until its own timeout (or, without one, until served). A waiting
  ``acquire`` whose task is cancelled is therefore followed up in the background: its
  grant, if it comes, is released at once, so the lock or permit does not stay taken by a
  caller that stopped waiting. A cancelled ``take`` may still consume an item, and a
  cancelled ``arrive`` still counts towards its round: give them timeouts.
"""

from __future__ import annotations

import asyncio
import os
from typing import Any, Optional

from . import codec as codecs
from . import errors
from ._sharded import _seconds_ms, _Sharded
from .codec import Codec
from .v1 import coterie_pb2 as pb


def _owner_id() -> bytes:
    """A random 128-bit owner id (16 bytes, not all zero)."""
    owner = os.urandom(16)
    while not any(owner):
        owner = os.urandom(16)
    return owner


async def _create_once(handle: Any, request_type: Any, call_timeout: Optional[float], **config: Any) -> bool:
    """Sends ``handle``'s ``Create`` with ``config`` once per handle (concurrent callers wait
    for the first); answers whether this call created the structure."""
    if handle._created is not None:
        return False
    if handle._creating is None:
        handle._creating = asyncio.Lock()
    async with handle._creating:
        if handle._created is not None:
            return False
        response = await handle._call("Create", request_type, call_timeout, True, **config)
        handle._created = response.created
        return response.created


class Queue(_Sharded):
    """A FIFO queue (seed 000's ``d.queue``). Items: bytes and str as they are, other values
    through the codec (JSON by default; ``codec=coterie.TEXT`` to read str items back).

    Unbounded unless made with ``capacity``: such a handle creates the queue with it before
    its first call (once per handle), and an enqueue to a full queue raises
    :class:`~coterie.errors.QueueFull`. The first use of a name fixes its capacity: a name
    already used without one, or with another, raises
    :class:`~coterie.errors.ConfigConflict` on every call of the bounded handle."""

    _service = "QueueService"
    _kind = "queue"

    def __init__(self, core: Any, name: str, shards: Optional[int], codec: Optional[Codec],
                 capacity: Optional[int] = None):
        super().__init__(core, name, shards, codec)
        if capacity is not None and (isinstance(capacity, bool) or not isinstance(capacity, int) or capacity < 1):
            raise ValueError(f"capacity is 1 or more items (or None: unbounded), not {capacity!r}")
        self._capacity = capacity
        self._created: Optional[bool] = None
        self._creating: Optional[asyncio.Lock] = None

    @property
    def capacity(self) -> Optional[int]:
        """The capacity this handle creates the queue with (``None``: unbounded)."""
        return self._capacity

    async def create(self, *, call_timeout: Optional[float] = None) -> bool:
        """Creates the queue with this handle's capacity unless this handle did already;
        answers whether this call created it (``False``: it existed with the same capacity,
        this handle created it before, or the handle has no capacity). Every call of a
        bounded handle does this first; call it to fail early on a conflict."""
        if self._capacity is None:
            return False
        return await _create_once(self, pb.QueueCreateRequest, call_timeout, capacity=self._capacity)

    def _item(self, response: Any) -> Any:
        return codecs.decode_optional(self._codec, response.item if response.HasField("item") else None)

    async def enqueue(self, item: Any, *, call_timeout: Optional[float] = None) -> None:
        """Appends ``item`` (or hands it to the longest-waiting :meth:`take`); applied once
        however often it is resent. :class:`~coterie.errors.QueueFull` at capacity."""
        await self.create(call_timeout=call_timeout)
        await self._call("Enqueue", pb.QueueEnqueueRequest, call_timeout, True, item=codecs.encode(self._codec, item))

    async def peek(self, *, call_timeout: Optional[float] = None) -> Any:
        """The front item without removing it (``None``: the queue is empty)."""
        await self.create(call_timeout=call_timeout)
        return self._item(await self._call("Peek", pb.QueuePeekRequest, call_timeout, False))

    async def dequeue(self, *, call_timeout: Optional[float] = None) -> Any:
        """Removes and answers the front item without waiting (``None``: the queue is empty)."""
        await self.create(call_timeout=call_timeout)
        return self._item(await self._call("Dequeue", pb.QueueDequeueRequest, call_timeout, True))

    async def take(self, timeout: float, *, call_timeout: Optional[float] = None) -> Any:
        """Removes and answers the front item, waiting up to ``timeout`` seconds (FIFO among
        takers) while the queue is empty; ``None`` when ``timeout`` passed without one
        (``0``: do not wait, as :meth:`dequeue`). The owner ends the wait at ``timeout``;
        ``call_timeout`` only bounds the round trips around it."""
        wait_ms = _seconds_ms("timeout", timeout, zero=True)
        await self.create(call_timeout=call_timeout)
        if wait_ms == 0:
            return self._item(await self._call("Take", pb.QueueTakeRequest, call_timeout, True, timeout_ms=0))
        return self._item(await self._wait("Take", pb.QueueTakeRequest, timeout, call_timeout, timeout_ms=wait_ms))

    async def size(self, *, call_timeout: Optional[float] = None) -> int:
        """The number of items in the queue."""
        await self.create(call_timeout=call_timeout)
        return await self._count("Size", pb.QueueSizeRequest, call_timeout, False, "size")

    async def drain(self, max: int, *, call_timeout: Optional[float] = None) -> list:
        """Removes and answers up to ``max`` (1 or more) items from the front, oldest first."""
        if isinstance(max, bool) or not isinstance(max, int) or max < 1:
            raise ValueError(f"max is 1 or more items, not {max!r}")
        await self.create(call_timeout=call_timeout)
        response = await self._call("Drain", pb.QueueDrainRequest, call_timeout, True, max=max)
        return [self._codec.decode(item) for item in response.items]

    async def clear(self, *, call_timeout: Optional[float] = None) -> int:
        """Removes every item, answering how many there were; waiting takers go on waiting."""
        await self.create(call_timeout=call_timeout)
        return await self._count("Clear", pb.QueueClearRequest, call_timeout, True, "removed")


class _Owned(_Sharded):
    """A structure whose holdings belong to this handle's random owner id."""

    def __init__(self, core: Any, name: str, shards: Optional[int]):
        super().__init__(core, name, shards, None)
        self._owner = _owner_id()
        # Background follow-ups of acquires whose callers stopped waiting.
        self._follow_ups: set = set()

    @property
    def owner(self) -> bytes:
        """This handle's owner id (16 random bytes), sent with every call."""
        return self._owner

    async def _acquire(self, method: str, request_type: Any, lease_ms: Optional[int], release: Any) -> Any:
        """A wait with no timeout for ``method``; if the caller's task is cancelled while it
        waits, the wait goes on in the background and its grant is given back by
        ``release()``."""
        task = asyncio.ensure_future(self._wait(method, request_type, None, None, owner=self._owner,
                                                lease_ms=lease_ms))
        try:
            return await asyncio.shield(task)
        except asyncio.CancelledError:
            follow_up = asyncio.ensure_future(self._give_back(task, release))
            self._follow_ups.add(follow_up)
            follow_up.add_done_callback(self._follow_ups.discard)
            raise

    @staticmethod
    async def _give_back(task: "asyncio.Future[Any]", release: Any) -> None:
        try:
            await task
        except (asyncio.CancelledError, errors.CoterieError):
            return  # never granted
        try:
            await release()
        except errors.CoterieError:
            pass  # best effort: a lease, if any, frees it

    async def _settled(self) -> None:
        """Until every background follow-up of this handle has ended (for tests)."""
        while self._follow_ups:
            await asyncio.gather(*list(self._follow_ups), return_exceptions=True)


class Lock(_Owned):
    """A non-reentrant mutex owned by this handle (seed 000's ``d.lock``). Waiters are
    granted it in FIFO order, each grant with a fence greater than every earlier one of
    this lock. ``async with lock as fence:`` acquires (waiting) and releases.

    ``lease`` (seconds): the lock is freed that long after a grant unless released first
    (``None``: held until released)."""

    _service = "LockService"
    _kind = "lock"

    def __init__(self, core: Any, name: str, shards: Optional[int]):
        super().__init__(core, name, shards)
        self._fence: Optional[int] = None

    @property
    def fence(self) -> Optional[int]:
        """The fence of this handle's latest grant, ``None`` before one or after this handle
        released it. (A lease may have ended since: :meth:`holder` asks the lock.)"""
        return self._fence

    async def acquire(self, lease: Optional[float] = None) -> int:
        """Acquires the lock, waiting (FIFO) as long as it takes; answers the fence. An
        acquire by the holder answers its fence again and restarts the lease (one release
        frees it). Bound the wait with :meth:`try_acquire` ``(timeout=...)``."""
        lease_ms = _seconds_ms("lease", lease, zero=False)
        response = await self._acquire("Acquire", pb.LockAcquireRequest, lease_ms, self.release)
        self._fence = response.fence
        return response.fence

    async def try_acquire(self, timeout: float = 0.0, lease: Optional[float] = None, *,
                          call_timeout: Optional[float] = None) -> bool:
        """Acquires the lock if it is free (or held by this handle), else waits up to
        ``timeout`` seconds (0: not at all); answers whether it acquired it (the fence is
        then :attr:`fence`)."""
        wait_ms = _seconds_ms("timeout", timeout, zero=True)
        lease_ms = _seconds_ms("lease", lease, zero=False)
        values = dict(owner=self._owner, lease_ms=lease_ms, timeout_ms=wait_ms)
        if wait_ms == 0:
            response = await self._call("TryAcquire", pb.LockTryAcquireRequest, call_timeout, True, **values)
        else:
            response = await self._wait("TryAcquire", pb.LockTryAcquireRequest, timeout, call_timeout, **values)
        if not response.HasField("fence"):
            return False
        self._fence = response.fence
        return True

    async def release(self, *, call_timeout: Optional[float] = None) -> bool:
        """Releases the lock if this handle holds it (the next waiter is granted it);
        ``False`` when this handle is not the holder (never acquired it, released it, or
        its lease ended), and nothing changed."""
        response = await self._call("Release", pb.LockReleaseRequest, call_timeout, True, owner=self._owner)
        if response.released:
            self._fence = None
        return response.released

    async def is_locked(self, *, call_timeout: Optional[float] = None) -> bool:
        """Whether anyone holds the lock."""
        return (await self._call("IsLocked", pb.LockIsLockedRequest, call_timeout, False)).locked

    async def holder(self, *, call_timeout: Optional[float] = None) -> Optional[tuple]:
        """The current holder as ``(owner, fence)`` (``owner``: 16 bytes; compare with
        :attr:`owner`), ``None`` when the lock is free."""
        response = await self._call("Holder", pb.LockHolderRequest, call_timeout, False)
        if not response.HasField("holder"):
            return None
        return bytes(response.holder.owner), response.holder.fence

    async def __aenter__(self) -> int:
        return await self.acquire()

    async def __aexit__(self, *exc: Any) -> None:
        await self.release()


class Semaphore(_Owned):
    """A counting semaphore of ``permits`` whose permits this handle holds (seed 000's
    ``d.semaphore("db-pool", permits=5)``): each acquire takes one, one handle may hold
    several, waiters are granted in FIFO order. ``async with sem:`` takes one and gives it
    back. The handle creates the semaphore with its ``permits`` before its first call; a
    name first used with another count raises :class:`~coterie.errors.ConfigConflict`."""

    _service = "ShardedSemaphoreService"
    _kind = "semaphore"

    def __init__(self, core: Any, name: str, permits: int, shards: Optional[int]):
        super().__init__(core, name, shards)
        if isinstance(permits, bool) or not isinstance(permits, int) or not 1 <= permits <= 0xFFFFFFFF:
            raise ValueError(f"permits is the semaphore's number of permits, 1 or more, not {permits!r}")
        self._permits = permits
        self._created: Optional[bool] = None
        self._creating: Optional[asyncio.Lock] = None

    @property
    def permits(self) -> int:
        """The number of permits this handle creates the semaphore with."""
        return self._permits

    async def create(self, *, call_timeout: Optional[float] = None) -> bool:
        """Creates the semaphore with :attr:`permits` unless this handle did already;
        answers whether this call created it (``False``: it existed with the same permits,
        or this handle created it before). Every other call does this first."""
        return await _create_once(self, pb.ShardedSemaphoreCreateRequest, call_timeout, permits=self._permits)

    async def acquire(self, lease: Optional[float] = None) -> None:
        """Takes one permit, waiting (FIFO) as long as it takes. ``lease`` (seconds): the
        permit comes back that long after the grant unless released first."""
        lease_ms = _seconds_ms("lease", lease, zero=False)
        await self.create()
        await self._acquire("Acquire", pb.ShardedSemaphoreAcquireRequest, lease_ms, self.release)

    async def try_acquire(self, timeout: float = 0.0, lease: Optional[float] = None, *,
                          call_timeout: Optional[float] = None) -> bool:
        """Takes one permit if one is free and nobody waits ahead, else waits up to
        ``timeout`` seconds (0: not at all); answers whether it took one."""
        wait_ms = _seconds_ms("timeout", timeout, zero=True)
        lease_ms = _seconds_ms("lease", lease, zero=False)
        await self.create(call_timeout=call_timeout)
        values = dict(owner=self._owner, lease_ms=lease_ms, timeout_ms=wait_ms)
        request = pb.ShardedSemaphoreTryAcquireRequest
        if wait_ms == 0:
            return (await self._call("TryAcquire", request, call_timeout, True, **values)).acquired
        return (await self._wait("TryAcquire", request, timeout, call_timeout, **values)).acquired

    async def release(self, *, call_timeout: Optional[float] = None) -> bool:
        """Gives back this handle's oldest permit (to the longest waiter, if any); ``False``
        when this handle holds none, and nothing changed."""
        await self.create(call_timeout=call_timeout)
        request = pb.ShardedSemaphoreReleaseRequest
        return (await self._call("Release", request, call_timeout, True, owner=self._owner)).released

    async def available(self, *, call_timeout: Optional[float] = None) -> int:
        """The number of free permits."""
        await self.create(call_timeout=call_timeout)
        return await self._count("Available", pb.ShardedSemaphoreAvailableRequest, call_timeout, False, "permits")

    async def held(self, *, call_timeout: Optional[float] = None) -> int:
        """The number of permits this handle holds."""
        await self.create(call_timeout=call_timeout)
        request = pb.ShardedSemaphoreHeldByRequest
        return (await self._call("HeldBy", request, call_timeout, False, owner=self._owner)).permits

    async def __aenter__(self) -> "Semaphore":
        await self.acquire()
        return self

    async def __aexit__(self, *exc: Any) -> None:
        await self.release()


class Barrier(_Sharded):
    """A reusable rendezvous (seed 000's ``d.barrier``): an arrival waits until the round's
    ``expected`` parties have arrived, then every arrival of the round is released with the
    round's number and the next round starts empty. The round's first arrival fixes
    ``expected``; an arrival that disagrees raises :class:`~coterie.errors.BarrierMismatch`."""

    _service = "BarrierService"
    _kind = "barrier"

    def __init__(self, core: Any, name: str, shards: Optional[int]):
        super().__init__(core, name, shards, None)

    async def arrive(self, expected: int, timeout: Optional[float] = None, *,
                     call_timeout: Optional[float] = None) -> int:
        """Arrives and waits until ``expected`` parties (this one included, 1 or more) have
        arrived in this round, at most ``timeout`` seconds (``None``: as long as it takes;
        0: do not wait). Answers the number of the round it completed (from 0).

        Raises :class:`~coterie.errors.BarrierTimedOut` when ``timeout`` passed first (the
        arrival was withdrawn: it no longer counts), :class:`~coterie.errors.BarrierMismatch`
        when the round's first arrival gave another ``expected``."""
        if isinstance(expected, bool) or not isinstance(expected, int) or expected < 1:
            raise ValueError(f"expected is the number of parties of the round, 1 or more, not {expected!r}")
        wait_ms = _seconds_ms("timeout", timeout, zero=True)
        values = dict(expected=expected, timeout_ms=wait_ms)
        if wait_ms == 0:
            response = await self._call("Arrive", pb.BarrierArriveRequest, call_timeout, True, **values)
        else:
            response = await self._wait("Arrive", pb.BarrierArriveRequest, timeout, call_timeout, **values)
        if not response.released:
            raise errors.BarrierTimedOut(
                f"barrier {self._name!r}: {expected} parties did not arrive within {timeout} s; this arrival was "
                "withdrawn and no longer counts towards the round (arrive again to take part)",
                metadata={"name": self._name, "expected": str(expected), "waited_ms": str(wait_ms)},
            )
        return response.round

    async def waiting(self, *, call_timeout: Optional[float] = None) -> int:
        """How many arrivals wait in the current round."""
        return await self._count("Waiting", pb.BarrierWaitingRequest, call_timeout, False, "waiting")

    async def round(self, *, call_timeout: Optional[float] = None) -> int:
        """The current round's number: how many rounds have completed."""
        return await self._count("Round", pb.BarrierRoundRequest, call_timeout, False, "round")
