"""Sharded structures (seed 000): Counter, and the single-key operations of Map and Set.

A sharded structure's state is split into ``shards``; any member takes a call and routes it
to the partition's owner. The server serves Counter and the single-key Map and Set calls
today; whole-structure operations (size, listing, clear) raise
:class:`~coterie.errors.NotServed` without a call, rather than pretend with a partial answer.
"""

from __future__ import annotations

from typing import Any, NoReturn, Optional

from . import codec as codecs
from . import errors
from ._core import SHARDED, Core
from ._handle import fields
from .codec import JSON, Codec
from .v1 import coterie_pb2 as pb


class _Sharded:
    _service = ""
    _kind = ""

    def __init__(self, core: Core, name: str, shards: Optional[int], codec: Optional[Codec]):
        if not isinstance(name, str) or not name:
            raise ValueError(f"a structure name is a non-empty str, not {name!r}")
        if "@" in name:
            raise ValueError(f"{name!r}: sharded structures live in no CP group, so their names take no @group suffix")
        if shards is not None and not 1 <= shards <= 0xFFFFFFFF:
            raise ValueError(f"shards is 1 or more (or None for the server's default), not {shards}")
        self._core = core
        self._name = name
        self._shards = shards or 0
        self._codec = codec if codec is not None else JSON

    @property
    def name(self) -> str:
        """The structure's name."""
        return self._name

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self._name!r}, shards={self._shards or 'default'})"

    async def _call(self, method: str, request_type: Any, call_timeout: Optional[float], mutation: bool, **values: Any) -> Any:
        core = self._core
        deadline = core.deadline(call_timeout)
        if not mutation:
            return await self._send(method, request_type, 0, deadline, values)
        async with core.mutation_seq(SHARDED, deadline) as seq:
            return await self._send(method, request_type, seq, deadline, values)

    async def _send(self, method: str, request_type: Any, seq: int, deadline: float, values: dict) -> Any:
        core = self._core
        call = core.header(self._name, key=SHARDED, seq=seq, shards=self._shards)
        request = request_type(call=call, **fields(**values))
        return await core.invoke(self._service, method, request, key=SHARDED, deadline=deadline, mutation=seq != 0)

    def _not_served(self, operation: str) -> NoReturn:
        raise errors.NotServed(
            f"{self._kind}.{operation} spans every shard, which this server version does not serve yet "
            "(only single-key operations); nothing was sent",
            code="not_served",
        )


class Counter(_Sharded):
    """A 64-bit signed counter spread over shards: ``increment`` scales out."""

    _service = "CounterService"
    _kind = "counter"

    async def increment(self, delta: int = 1, *, call_timeout: Optional[float] = None) -> int:
        """Adds ``delta``, answering the new value."""
        return (await self._call("Increment", pb.CounterIncrementRequest, call_timeout, True, delta=delta)).value

    async def decrement(self, delta: int = 1, *, call_timeout: Optional[float] = None) -> int:
        """Subtracts ``delta``, answering the new value."""
        return (await self._call("Decrement", pb.CounterDecrementRequest, call_timeout, True, delta=delta)).value

    async def get(self, *, call_timeout: Optional[float] = None) -> int:
        """The current value (0 for a counter never changed)."""
        return (await self._call("Get", pb.CounterGetRequest, call_timeout, False)).value


class Map(_Sharded):
    """Keys to values, each key in one shard. Keys and values: bytes and str as they are,
    other values through the codec (JSON by default)."""

    _service = "MapService"
    _kind = "map"

    def _key(self, key: Any) -> bytes:
        return codecs.encode(self._codec, key)

    def _value(self, response: Any, field: str) -> Any:
        return codecs.decode_optional(self._codec, getattr(response, field) if response.HasField(field) else None)

    async def put(self, key: Any, value: Any, *, call_timeout: Optional[float] = None) -> Any:
        """Stores ``value`` under ``key``, answering the previous value (``None``: none)."""
        response = await self._call("Put", pb.MapPutRequest, call_timeout, True, key=self._key(key),
                                    value=codecs.encode(self._codec, value))
        return self._value(response, "previous")

    async def get(self, key: Any, *, call_timeout: Optional[float] = None) -> Any:
        """The value under ``key`` (``None``: none)."""
        return self._value(await self._call("Get", pb.MapGetRequest, call_timeout, False, key=self._key(key)), "value")

    async def contains_key(self, key: Any, *, call_timeout: Optional[float] = None) -> bool:
        """Whether ``key`` has an entry."""
        return (await self._call("Contains", pb.MapContainsRequest, call_timeout, False, key=self._key(key))).contains

    async def delete(self, key: Any, *, call_timeout: Optional[float] = None) -> bool:
        """Removes the entry under ``key``, answering whether there was one."""
        return (await self._call("Delete", pb.MapDeleteRequest, call_timeout, True, key=self._key(key))).existed

    async def put_if_absent(self, key: Any, value: Any, *, call_timeout: Optional[float] = None) -> Any:
        """Stores ``value`` only if ``key`` has no entry; answers the value already there
        (``None``: it stored it)."""
        response = await self._call("PutIfAbsent", pb.MapPutIfAbsentRequest, call_timeout, True, key=self._key(key),
                                    value=codecs.encode(self._codec, value))
        return self._value(response, "previous")

    async def replace(self, key: Any, value: Any, *, call_timeout: Optional[float] = None) -> Any:
        """Stores ``value`` only if ``key`` has an entry; answers the previous value
        (``None``: nothing was stored)."""
        response = await self._call("Replace", pb.MapReplaceRequest, call_timeout, True, key=self._key(key),
                                    value=codecs.encode(self._codec, value))
        return self._value(response, "previous")

    async def compare_and_set(self, key: Any, expected: Any, update: Any, *, call_timeout: Optional[float] = None) -> bool:
        """Sets the entry to ``update`` if it is ``expected`` (``None`` expected: the key
        must be absent; ``None`` update: delete); answers whether it did."""
        response = await self._call("CompareAndSet", pb.MapCompareAndSetRequest, call_timeout, True,
                                    key=self._key(key), expected=codecs.encode_optional(self._codec, expected),
                                    update=codecs.encode_optional(self._codec, update))
        return response.swapped

    async def size(self, **_: Any) -> int:
        """Not served on sharded maps yet: raises :class:`~coterie.errors.NotServed`."""
        self._not_served("size")

    async def keys(self, **_: Any) -> list:
        """Not served on sharded maps yet: raises :class:`~coterie.errors.NotServed`."""
        self._not_served("keys")

    async def entries(self, **_: Any) -> list:
        """Not served on sharded maps yet: raises :class:`~coterie.errors.NotServed`."""
        self._not_served("entries")

    async def clear(self, **_: Any) -> None:
        """Not served on sharded maps yet: raises :class:`~coterie.errors.NotServed`."""
        self._not_served("clear")


class Set(_Sharded):
    """A set of values, each in one shard (bytes and str as they are, others via the codec)."""

    _service = "SetService"
    _kind = "set"

    def _item(self, item: Any) -> bytes:
        return codecs.encode(self._codec, item)

    async def add(self, item: Any, *, call_timeout: Optional[float] = None) -> bool:
        """Adds ``item``, answering whether it was not there already."""
        return (await self._call("Add", pb.SetAddRequest, call_timeout, True, item=self._item(item))).added

    async def remove(self, item: Any, *, call_timeout: Optional[float] = None) -> bool:
        """Removes ``item``, answering whether it was there."""
        return (await self._call("Remove", pb.SetRemoveRequest, call_timeout, True, item=self._item(item))).removed

    async def contains(self, item: Any, *, call_timeout: Optional[float] = None) -> bool:
        """Whether ``item`` is in the set."""
        return (await self._call("Contains", pb.SetContainsRequest, call_timeout, False, item=self._item(item))).contains

    async def size(self, **_: Any) -> int:
        """Not served on sharded sets yet: raises :class:`~coterie.errors.NotServed`."""
        self._not_served("size")

    async def members(self, **_: Any) -> list:
        """Not served on sharded sets yet: raises :class:`~coterie.errors.NotServed`."""
        self._not_served("members")

    async def clear(self, **_: Any) -> None:
        """Not served on sharded sets yet: raises :class:`~coterie.errors.NotServed`."""
        self._not_served("clear")


class Distributed:
    """The sharded structures: ``client.distributed().counter("page-views", shards=50)``."""

    def __init__(self, core: Core):
        self._core = core

    def counter(self, name: str, shards: Optional[int] = None) -> Counter:
        """The sharded counter ``name`` (``shards``: how many; the first use fixes it)."""
        return Counter(self._core, name, shards, None)

    def map(self, name: str, shards: Optional[int] = None, codec: Optional[Codec] = None) -> Map:
        """The sharded map ``name``."""
        return Map(self._core, name, shards, codec)

    def set(self, name: str, shards: Optional[int] = None, codec: Optional[Codec] = None) -> Set:
        """The sharded set ``name``."""
        return Set(self._core, name, shards, codec)
