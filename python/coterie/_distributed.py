"""The ``client.distributed()`` facade of the asyncio API: seed 000's sharded structures
by name (see :mod:`coterie._sharded` and :mod:`coterie._coord`)."""

from __future__ import annotations

from typing import Optional

from ._coord import Barrier, Lock, Queue, Semaphore
from ._core import Core
from ._sharded import Counter, Map, Set
from .codec import Codec


class Distributed:
    """The sharded structures: ``client.distributed().counter("page-views", shards=50)``.

    ``shards`` is how many shards the structure is split into (``None``: the server's
    default, 100); the first use of a name fixes it, so use the same ``shards`` everywhere.
    ``timeout`` (seconds) bounds the handle's calls instead of the client's ``call_timeout``
    (a call's own ``call_timeout=`` still wins; a wait's own timeout comes on top of it).
    A new handle is cheap; a :class:`Lock` or :class:`Semaphore` handle is also an owner."""

    def __init__(self, core: Core):
        self._core = core

    def counter(self, name: str, shards: Optional[int] = None, *, timeout: Optional[float] = None) -> Counter:
        """The sharded counter ``name``."""
        return Counter(self._core, name, shards, None)._with_timeout(timeout)  # type: ignore[return-value]

    def map(self, name: str, shards: Optional[int] = None, codec: Optional[Codec] = None,
            key_codec: Optional[Codec] = None, *, timeout: Optional[float] = None) -> Map:
        """The sharded map ``name``: values through ``codec`` (default JSON), keys through
        ``key_codec`` (default TEXT: str keys)."""
        return Map(self._core, name, shards, codec, key_codec)._with_timeout(timeout)  # type: ignore[return-value]

    def set(self, name: str, shards: Optional[int] = None, codec: Optional[Codec] = None,
            *, timeout: Optional[float] = None) -> Set:
        """The sharded set ``name``; items through ``codec`` (default JSON)."""
        return Set(self._core, name, shards, codec)._with_timeout(timeout)  # type: ignore[return-value]

    def queue(self, name: str, shards: Optional[int] = None, codec: Optional[Codec] = None,
              capacity: Optional[int] = None, *, timeout: Optional[float] = None) -> Queue:
        """The sharded FIFO queue ``name``; items through ``codec`` (default JSON);
        ``capacity``: create it bounded (``None``: unbounded)."""
        return Queue(self._core, name, shards, codec, capacity)._with_timeout(timeout)  # type: ignore[return-value]

    def lock(self, name: str, shards: Optional[int] = None, *, timeout: Optional[float] = None) -> Lock:
        """The sharded lock ``name``, owned by the new handle (its own random owner id)."""
        return Lock(self._core, name, shards)._with_timeout(timeout)  # type: ignore[return-value]

    def semaphore(self, name: str, permits: int, shards: Optional[int] = None,
                  *, timeout: Optional[float] = None) -> Semaphore:
        """The sharded semaphore ``name`` of ``permits`` permits, held by the new handle."""
        return Semaphore(self._core, name, permits, shards)._with_timeout(timeout)  # type: ignore[return-value]

    def barrier(self, name: str, shards: Optional[int] = None, *, timeout: Optional[float] = None) -> Barrier:
        """The sharded barrier ``name``."""
        return Barrier(self._core, name, shards)._with_timeout(timeout)  # type: ignore[return-value]
