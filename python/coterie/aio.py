"""The asyncio API: :class:`AsyncClient`, for code that runs in an event loop.

Use it inside one event loop (its gRPC channels belong to the loop that first used them)::

    async with coterie.aio.AsyncClient(["127.0.0.1:7101", "127.0.0.1:7102"]) as client:
        n = await client.cp.atomic_long("seq").increment_and_get()
        async with client.cp.fenced_lock("resource") as fence:
            ...
"""

from __future__ import annotations

from typing import Any, Optional, Sequence, Union

from ._bucket import Bucket
from ._core import Core, Options
from ._cp import AtomicLong, AtomicReference, CountDownLatch, FencedLock, Semaphore
from ._distributed import Distributed
from .codec import Codec


def _endpoints(endpoints: Union[str, Sequence[str]]) -> Sequence[str]:
    if isinstance(endpoints, str):
        return [e.strip() for e in endpoints.split(",") if e.strip()]
    return list(endpoints)


class CP:
    """The CP structures (Raft-replicated, linearizable) of a client."""

    def __init__(self, core: Core, codec: Optional[Codec]):
        self._core = core
        self._codec = codec

    def atomic_long(self, name: str) -> AtomicLong:
        """The AtomicLong ``name`` (``name@group`` for another CP group)."""
        return AtomicLong(self._core, name)

    def atomic_reference(self, name: str, codec: Optional[Codec] = None) -> AtomicReference:
        """The AtomicReference ``name``; values through ``codec`` (default: the client's)."""
        return AtomicReference(self._core, name, codec or self._codec)

    def fenced_lock(self, name: str) -> FencedLock:
        """The FencedLock ``name``."""
        return FencedLock(self._core, name)

    def semaphore(self, name: str) -> Semaphore:
        """The (CP) Semaphore ``name``."""
        return Semaphore(self._core, name)

    def count_down_latch(self, name: str) -> CountDownLatch:
        """The CountDownLatch ``name``."""
        return CountDownLatch(self._core, name)


class AsyncClient:
    """A client of a Coterie cluster, for asyncio code.

    ``endpoints``: member addresses (``host:port``, a list or a comma-separated str); the
    client follows the leaders members name, including members it was not given.
    Timeouts are in seconds: ``call_timeout`` bounds a non-blocking call, retries included
    (each method also takes ``call_timeout=``); ``attempt_timeout`` one attempt at one member;
    ``wait_poll`` one attempt of a blocking call; ``session_ttl`` how long after this client
    stops heartbeating (its process died) its locks and permits are released.
    """

    def __init__(
        self,
        endpoints: Union[str, Sequence[str]],
        *,
        call_timeout: float = 5.0,
        attempt_timeout: float = 2.0,
        wait_poll: float = 5.0,
        session_ttl: float = 60.0,
        heartbeat_interval: Optional[float] = None,
        codec: Optional[Codec] = None,
    ):
        options = Options(call_timeout=call_timeout, attempt_timeout=attempt_timeout, wait_poll=wait_poll,
                          session_ttl=session_ttl, heartbeat_interval=heartbeat_interval)
        self._core = Core(_endpoints(endpoints), options)
        self._codec = codec
        self.cp = CP(self._core, codec)
        self._distributed = Distributed(self._core)

    @property
    def client_id(self) -> bytes:
        """This client's identity (16 random bytes), which its calls carry."""
        return self._core.client_id

    def distributed(self) -> Distributed:
        """The sharded structures (seed 000): ``counter``, ``map``, ``set``, ``queue``, ``lock``,
        ``semaphore``, ``barrier``."""
        return self._distributed

    def bucket(self, name: str, codec: Optional[Codec] = None) -> Bucket:
        """The bucket ``name`` of the object store (``name@group`` for another CP group)."""
        return Bucket(self._core, name, codec or self._codec)

    async def close(self) -> None:
        """Closes this client's sessions (releasing its locks and permits) and channels."""
        await self._core.close()

    async def __aenter__(self) -> "AsyncClient":
        return self

    async def __aexit__(self, *exc: Any) -> None:
        await self.close()
