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
    A new handle is cheap; a :class:`Lock` or :class:`Semaphore` handle is also an owner."""

    def __init__(self, core: Core):
        self._core = core

    def counter(self, name: str, shards: Optional[int] = None) -> Counter:
        """The sharded counter ``name``."""
        return Counter(self._core, name, shards, None)

    def map(self, name: str, shards: Optional[int] = None, codec: Optional[Codec] = None,
            key_codec: Optional[Codec] = None) -> Map:
        """The sharded map ``name``: values through ``codec`` (default JSON), keys through
        ``key_codec`` (default TEXT: str keys)."""
        return Map(self._core, name, shards, codec, key_codec)

    def set(self, name: str, shards: Optional[int] = None, codec: Optional[Codec] = None) -> Set:
        """The sharded set ``name``; items through ``codec`` (default JSON)."""
        return Set(self._core, name, shards, codec)

    def queue(self, name: str, shards: Optional[int] = None, codec: Optional[Codec] = None,
              capacity: Optional[int] = None) -> Queue:
        """The sharded FIFO queue ``name``; items through ``codec`` (default JSON);
        ``capacity``: create it bounded (``None``: unbounded)."""
        return Queue(self._core, name, shards, codec, capacity)

    def lock(self, name: str, shards: Optional[int] = None) -> Lock:
        """The sharded lock ``name``, owned by the new handle (its own random owner id)."""
        return Lock(self._core, name, shards)

    def semaphore(self, name: str, permits: int, shards: Optional[int] = None) -> Semaphore:
        """The sharded semaphore ``name`` of ``permits`` permits, held by the new handle."""
        return Semaphore(self._core, name, permits, shards)

    def barrier(self, name: str, shards: Optional[int] = None) -> Barrier:
        """The sharded barrier ``name``."""
        return Barrier(self._core, name, shards)
