"""The blocking API: :class:`Client`, the same handles as :mod:`coterie.aio` with plain
methods, for threads and scripts.

One event loop runs in a background thread (``coterie-client``) and carries every call; a
method call hands its coroutine to that loop and waits for the answer. Each method ``m``
also has ``m_async``, which answers a :class:`concurrent.futures.Future` at once (Hazelcast's
``increment_and_get_async().result()``). A FencedLock is owned by the calling thread.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import functools
import inspect
import os
import threading
from typing import Any, Callable, Coroutine, Optional, Sequence, Type, TypeVar, Union

from . import _bucket, _coord, _cp, _sharded
from .aio import AsyncClient
from .codec import Codec

T = TypeVar("T")


class _Portal:
    """The background event loop every call of one :class:`Client` runs in."""

    def __init__(self) -> None:
        self.loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._run, name="coterie-client", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        asyncio.set_event_loop(self.loop)
        self.loop.run_forever()

    def submit(self, coroutine: Coroutine[Any, Any, T]) -> "concurrent.futures.Future[T]":
        if threading.current_thread() is self._thread:
            coroutine.close()
            raise RuntimeError("a blocking Client method was called from its own event loop: use coterie.aio.AsyncClient")
        if self.loop.is_closed():
            coroutine.close()
            raise RuntimeError("the client is closed: make a new one")
        return asyncio.run_coroutine_threadsafe(coroutine, self.loop)

    def run(self, coroutine: Coroutine[Any, Any, T]) -> T:
        return self.submit(coroutine).result()

    def stop(self) -> None:
        if self.loop.is_closed():
            return
        self.loop.call_soon_threadsafe(self.loop.stop)
        self._thread.join(timeout=10)
        if not self._thread.is_alive():
            self.loop.close()


_thread_owners = threading.local()


def _thread_owner() -> bytes:
    """The lock owner of the calling thread (16 random bytes, drawn once per thread)."""
    owner = getattr(_thread_owners, "owner", None)
    if owner is None:
        owner = os.urandom(16)
        _thread_owners.owner = owner
    return owner


def _blocking(async_type: Type[Any], owned: bool = False) -> Type[Any]:
    """A class whose methods run ``async_type``'s coroutine methods on the portal and wait,
    plus an ``_async`` variant of each answering a Future."""

    def __init__(self: Any, portal: _Portal, inner: Any) -> None:
        self._portal = portal
        self._inner = inner

    namespace: dict = {
        "__init__": __init__,
        "__doc__": async_type.__doc__,
        "__repr__": lambda self: repr(self._inner),
    }
    for attr, prop in inspect.getmembers(async_type, lambda member: isinstance(member, property)):
        if not attr.startswith("_"):
            namespace[attr] = property(lambda self, attr=attr: getattr(self._inner, attr), doc=prop.__doc__)
    for attr, function in inspect.getmembers(async_type, inspect.iscoroutinefunction):
        if attr.startswith("_"):
            continue
        takes_owner = owned and "_owner" in inspect.signature(function).parameters

        def make(attr: str, function: Callable[..., Any], takes_owner: bool) -> tuple:
            def coroutine(self: Any, args: tuple, kwargs: dict) -> Any:
                if takes_owner:
                    kwargs.setdefault("_owner", _thread_owner())
                return getattr(self._inner, attr)(*args, **kwargs)

            @functools.wraps(function)
            def blocking(self: Any, *args: Any, **kwargs: Any) -> Any:
                return self._portal.run(coroutine(self, args, kwargs))

            @functools.wraps(function)
            def future(self: Any, *args: Any, **kwargs: Any) -> "concurrent.futures.Future[Any]":
                return self._portal.submit(coroutine(self, args, kwargs))

            future.__doc__ = f"Like :meth:`{attr}`, answering a concurrent.futures.Future at once."
            return blocking, future

        namespace[attr], namespace[attr + "_async"] = make(attr, function, takes_owner)
    return type(async_type.__name__, (), namespace)


AtomicLong = _blocking(_cp.AtomicLong)
AtomicReference = _blocking(_cp.AtomicReference)
Semaphore = _blocking(_cp.Semaphore)
CountDownLatch = _blocking(_cp.CountDownLatch)
_FencedLockBase = _blocking(_cp.FencedLock, owned=True)
Counter = _blocking(_sharded.Counter)
Map = _blocking(_sharded.Map)
Set = _blocking(_sharded.Set)
Bucket = _blocking(_bucket.Bucket)
Queue = _blocking(_coord.Queue)
Barrier = _blocking(_coord.Barrier)
_LockBase = _blocking(_coord.Lock)
_SemaphoreBase = _blocking(_coord.Semaphore)


class Lock(_LockBase):  # type: ignore[misc, valid-type]
    __doc__ = (_coord.Lock.__doc__ or "").replace("async with lock", "with lock")

    def __enter__(self) -> int:
        return self.acquire()

    def __exit__(self, *exc: Any) -> None:
        self.release()


class ShardedSemaphore(_SemaphoreBase):  # type: ignore[misc, valid-type]
    __doc__ = (_coord.Semaphore.__doc__ or "").replace("async with sem", "with sem")

    def __enter__(self) -> "ShardedSemaphore":
        self.acquire()
        return self

    def __exit__(self, *exc: Any) -> None:
        self.release()


class FencedLock(_FencedLockBase):  # type: ignore[misc, valid-type]
    __doc__ = _cp.FencedLock.__doc__

    def __enter__(self) -> int:
        return self.lock()

    def __exit__(self, *exc: Any) -> None:
        self.unlock()


class CP:
    """The CP structures of a :class:`Client`."""

    def __init__(self, portal: _Portal, inner: Any):
        self._portal = portal
        self._inner = inner

    def atomic_long(self, name: str) -> Any:
        """The AtomicLong ``name`` (``name@group`` for another CP group)."""
        return AtomicLong(self._portal, self._inner.atomic_long(name))

    def atomic_reference(self, name: str, codec: Optional[Codec] = None) -> Any:
        """The AtomicReference ``name``; values through ``codec`` (default: JSON)."""
        return AtomicReference(self._portal, self._inner.atomic_reference(name, codec))

    def fenced_lock(self, name: str) -> FencedLock:
        """The FencedLock ``name``."""
        return FencedLock(self._portal, self._inner.fenced_lock(name))

    def semaphore(self, name: str) -> Any:
        """The (CP) Semaphore ``name``."""
        return Semaphore(self._portal, self._inner.semaphore(name))

    def count_down_latch(self, name: str) -> Any:
        """The CountDownLatch ``name``."""
        return CountDownLatch(self._portal, self._inner.count_down_latch(name))


class Distributed:
    """The sharded structures of a :class:`Client`."""

    def __init__(self, portal: _Portal, inner: Any):
        self._portal = portal
        self._inner = inner

    def counter(self, name: str, shards: Optional[int] = None, *, timeout: Optional[float] = None) -> Any:
        """The sharded counter ``name``."""
        return Counter(self._portal, self._inner.counter(name, shards, timeout=timeout))

    def map(self, name: str, shards: Optional[int] = None, codec: Optional[Codec] = None,
            key_codec: Optional[Codec] = None, *, timeout: Optional[float] = None) -> Any:
        """The sharded map ``name``: values through ``codec`` (default JSON), keys through
        ``key_codec`` (default TEXT: str keys)."""
        return Map(self._portal, self._inner.map(name, shards, codec, key_codec, timeout=timeout))

    def set(self, name: str, shards: Optional[int] = None, codec: Optional[Codec] = None,
            *, timeout: Optional[float] = None) -> Any:
        """The sharded set ``name``; items through ``codec`` (default JSON)."""
        return Set(self._portal, self._inner.set(name, shards, codec, timeout=timeout))

    def queue(self, name: str, shards: Optional[int] = None, codec: Optional[Codec] = None,
              capacity: Optional[int] = None, *, timeout: Optional[float] = None) -> Any:
        """The sharded FIFO queue ``name``; ``capacity``: create it bounded (``None``: unbounded)."""
        return Queue(self._portal, self._inner.queue(name, shards, codec, capacity, timeout=timeout))

    def lock(self, name: str, shards: Optional[int] = None, *, timeout: Optional[float] = None) -> Lock:
        """The sharded lock ``name``, owned by the new handle (its own random owner id)."""
        return Lock(self._portal, self._inner.lock(name, shards, timeout=timeout))

    def semaphore(self, name: str, permits: int, shards: Optional[int] = None,
                  *, timeout: Optional[float] = None) -> ShardedSemaphore:
        """The sharded semaphore ``name`` of ``permits`` permits, held by the new handle."""
        return ShardedSemaphore(self._portal, self._inner.semaphore(name, permits, shards, timeout=timeout))

    def barrier(self, name: str, shards: Optional[int] = None, *, timeout: Optional[float] = None) -> Any:
        """The sharded barrier ``name``."""
        return Barrier(self._portal, self._inner.barrier(name, shards, timeout=timeout))


class Client:
    """A blocking client of a Coterie cluster; the options are :class:`coterie.aio.AsyncClient`'s.

    ::

        with coterie.Client(["127.0.0.1:7101", "127.0.0.1:7102", "127.0.0.1:7103"]) as client:
            client.cp.atomic_long("seq").increment_and_get()
    """

    def __init__(self, endpoints: Union[str, Sequence[str]], **options: Any):
        self._portal = _Portal()
        try:
            self._inner = AsyncClient(endpoints, **options)
        except BaseException:
            self._portal.stop()
            raise
        self.cp = CP(self._portal, self._inner.cp)
        self._distributed = Distributed(self._portal, self._inner.distributed())

    @property
    def client_id(self) -> bytes:
        """This client's identity (16 random bytes), which its calls carry."""
        return self._inner.client_id

    def distributed(self) -> Distributed:
        """The sharded structures (seed 000): ``counter``, ``map``, ``set``, ``queue``, ``lock``,
        ``semaphore``, ``barrier``."""
        return self._distributed

    def bucket(self, name: str, codec: Optional[Codec] = None) -> Any:
        """The bucket ``name`` of the object store."""
        return Bucket(self._portal, self._inner.bucket(name, codec))

    def close(self) -> None:
        """Closes the sessions (releasing this client's locks and permits), the channels and
        the background loop."""
        if self._portal.loop.is_closed():
            return
        try:
            self._portal.run(self._inner.close())
        finally:
            self._portal.stop()

    def __enter__(self) -> "Client":
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()
