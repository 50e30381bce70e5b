"""Sharded structures (seed 000): Counter, Map and Set here; Queue, Lock, Semaphore and
Barrier in :mod:`coterie._coord`; the ``client.distributed()`` facade in
:mod:`coterie._distributed`.

A sharded structure's state is split into ``shards``; any member takes a call and routes it
to the owner of the partition that holds it. No CP group and no session is involved: a
change carries this client's id and a sequence number of the client's one sharded series,
kept on every resend, so it is applied once.

A Map's or Set's size, listing and clear span every partition that holds one of its shards;
the member called gathers them. Listings come in pages joined by an opaque cursor (a
:class:`Page`): ``keys()``, ``entries()`` and ``members()`` gather every page into one
list; ``keys_page()``, ``entries_page()`` and ``members_page()`` answer one page and the
cursor of the rest, to pass back unchanged. A listing is ordered by partition, then key
(not by key overall); every item present for the whole listing is returned exactly once,
one added or removed meanwhile may or may not be. ``clear`` is not atomic across
partitions (a reader may see some cleared before others).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable, Generic, List, Optional, TypeVar

from . import codec as codecs
from . import errors
from ._core import SHARDED, Core
from ._handle import fields
from .codec import JSON, TEXT, Codec
from .v1 import coterie_pb2 as pb

T = TypeVar("T")

#: How many items each page request asks for when a whole listing is gathered (the
#: server serves 1 to 10 000 per page).
PAGE_SIZE = 1000


@dataclass(frozen=True)
class Page(Generic[T]):
    """One page of a sharded listing. ``items``: the page's items (possibly fewer than
    asked for: a page stops at a partition's end); ``next_cursor``: ``None`` when the
    listing is complete, else opaque bytes to pass as ``cursor=`` for the rest."""

    items: List[T]
    next_cursor: Optional[bytes]

    @property
    def complete(self) -> bool:
        """Whether this is the listing's last page."""
        return self.next_cursor is None


def _seconds_ms(what: str, seconds: Optional[float], *, zero: bool) -> Optional[int]:
    """``seconds`` as whole milliseconds for the wire (``None`` stays ``None``); a clear
    ValueError for a negative (or, unless ``zero``, a zero) duration."""
    if seconds is None:
        return None
    if isinstance(seconds, bool) or not isinstance(seconds, (int, float)):
        raise ValueError(f"{what} is a number of seconds, not {seconds!r}")
    if seconds < 0 or (seconds == 0 and not zero):
        bound = "zero or more" if zero else "more than zero"
        raise ValueError(f"{what} is {bound} seconds, not {seconds}")
    ms = int(round(seconds * 1000))
    return max(ms, 1) if seconds > 0 else 0


class _Sharded:
    _service = ""
    _kind = ""

    def __init__(self, core: Core, name: str, shards: Optional[int], codec: Optional[Codec]):
        if not isinstance(name, str) or not name:
            raise ValueError(f"a structure name is a non-empty str, not {name!r}")
        if "@" in name:
            raise ValueError(f"{name!r}: sharded structures live in no CP group, so their names take no @group suffix")
        if shards is not None and (isinstance(shards, bool) or not isinstance(shards, int) or not 1 <= shards <= 0xFFFFFFFF):
            raise ValueError(f"shards is 1 or more (or None for the server's default), not {shards!r}")
        self._core = core
        self._name = name
        self._shards = shards or 0
        self._codec = codec if codec is not None else JSON
        self._timeout: Optional[float] = None

    def _with_timeout(self, timeout: Optional[float]) -> "_Sharded":
        """This handle, its calls bounded by ``timeout`` seconds instead of the client's
        ``call_timeout`` (seed 000's per-structure ``timeout``; ``None``: the client's)."""
        if timeout is not None and (isinstance(timeout, bool) or not isinstance(timeout, (int, float))
                                    or timeout <= 0):
            raise ValueError(f"timeout is more than zero seconds (or None for the client's call_timeout), "
                             f"not {timeout!r}")
        self._timeout = timeout
        return self

    @property
    def timeout(self) -> Optional[float]:
        """The seconds this handle's calls are bounded by (``None``: the client's
        ``call_timeout``)."""
        return self._timeout

    def _bound(self, call_timeout: Optional[float]) -> Optional[float]:
        return call_timeout if call_timeout is not None else self._timeout

    @property
    def name(self) -> str:
        """The structure's name."""
        return self._name

    @property
    def shards(self) -> Optional[int]:
        """The shard count this handle asks for (``None``: the server's default, 100)."""
        return self._shards or None

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self._name!r}, shards={self._shards or 'default'})"

    async def _call(self, method: str, request_type: Any, call_timeout: Optional[float], mutation: bool, **values: Any) -> Any:
        core = self._core
        deadline = core.deadline(self._bound(call_timeout))
        if not mutation:
            return await self._send(method, request_type, 0, deadline, values)
        async with core.mutation_seq(SHARDED, deadline) as seq:
            return await self._send(method, request_type, seq, deadline, values)

    async def _wait(self, method: str, request_type: Any, wait: Optional[float], call_timeout: Optional[float],
                    **values: Any) -> Any:
        """A call that may wait in the structure up to ``wait`` seconds (``None``: until
        served): sent with ``keep_parked``, each attempt bounded by ``wait_poll`` and resent
        under the same sequence number while the owner answers ``still_waiting``, within
        :meth:`Core.blocking_deadline` (so the client's call timeout does not cut it off)."""
        core = self._core
        deadline = core.blocking_deadline(wait, self._bound(call_timeout))
        seq = core.next_seq(SHARDED)
        call = core.header(self._name, key=SHARDED, seq=seq, shards=self._shards, keep_parked=True)
        request = request_type(call=call, **fields(**values))
        return await core.invoke(self._service, method, request, key=SHARDED, deadline=deadline, mutation=True,
                                 parked=True, cancellable=False)

    async def _send(self, method: str, request_type: Any, seq: int, deadline: Optional[float], values: dict) -> Any:
        core = self._core
        call = core.header(self._name, key=SHARDED, seq=seq, shards=self._shards)
        request = request_type(call=call, **fields(**values))
        return await core.invoke(self._service, method, request, key=SHARDED, deadline=deadline, mutation=seq != 0)

    async def _page(self, method: str, request_type: Any, field: str, decode: Callable[[Any], Any],
                    cursor: Optional[bytes], limit: int, call_timeout: Optional[float]) -> Page:
        if cursor is not None and not isinstance(cursor, (bytes, bytearray)):
            raise ValueError(f"cursor is the bytes a page's next_cursor gave (or None for the first page), not {cursor!r}")
        if isinstance(limit, bool) or not isinstance(limit, int):
            raise ValueError(f"limit is an int (1 to 10000), not {limit!r}")
        response = await self._call(method, request_type, call_timeout, False,
                                    cursor=None if cursor is None else bytes(cursor), limit=limit)
        items = [decode(item) for item in getattr(response, field)]
        return Page(items, response.next_cursor if response.HasField("next_cursor") else None)

    async def _gather(self, page: Callable[..., Any], page_size: int, call_timeout: Optional[float]) -> list:
        """Every item of a listing: pages of ``page_size`` until the server says the listing
        is complete (a page may be short, so its length never ends the listing)."""
        items: list = []
        cursor: Optional[bytes] = None
        while True:
            got = await page(cursor=cursor, limit=page_size, call_timeout=call_timeout)
            items.extend(got.items)
            if got.next_cursor is None:
                return items
            cursor = got.next_cursor

    async def _count(self, method: str, request_type: Any, call_timeout: Optional[float], mutation: bool, field: str) -> int:
        return getattr(await self._call(method, request_type, call_timeout, mutation), field)


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
    """Keys to values, each key in one shard. Values: bytes and str as they are, other values
    through the codec (JSON by default; ``codec=coterie.TEXT`` to read str values back).
    Keys: str (or bytes) by default, read back as str by ``keys()``/``entries()``
    (``key_codec=coterie.TEXT``); pass ``key_codec=coterie.JSON`` for keys of other types,
    ``coterie.RAW`` to list keys as bytes."""

    _service = "MapService"
    _kind = "map"

    def __init__(self, core: Core, name: str, shards: Optional[int], codec: Optional[Codec],
                 key_codec: Optional[Codec] = None):
        super().__init__(core, name, shards, codec)
        self._key_codec: Codec = key_codec if key_codec is not None else TEXT

    def _key(self, key: Any) -> bytes:
        try:
            return codecs.encode(self._key_codec, key)
        except errors.CodecError as err:
            raise errors.CodecError(
                f"map {self._name!r}: cannot encode the key {key!r} ({err.message}); keys are str or bytes unless "
                "the map is opened with key_codec=coterie.JSON (or your own codec)"
            ) from err

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

    async def contains(self, key: Any, *, call_timeout: Optional[float] = None) -> bool:
        """Whether ``key`` has an entry (seed 000's name for :meth:`contains_key`)."""
        return await self.contains_key(key, call_timeout=call_timeout)

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

    async def size(self, *, call_timeout: Optional[float] = None) -> int:
        """The number of entries, summed over the map's partitions."""
        return await self._count("Size", pb.MapSizeRequest, call_timeout, False, "size")

    async def keys_page(self, cursor: Optional[bytes] = None, limit: int = PAGE_SIZE, *,
                        call_timeout: Optional[float] = None) -> Page:
        """One :class:`Page` of at most ``limit`` (1 to 10 000) keys, decoded by the key
        codec: the first page (``cursor`` ``None``), or the one after the page whose
        ``next_cursor`` is passed. ``next_cursor`` ``None``: the listing is complete."""
        return await self._page("Keys", pb.MapKeysRequest, "keys", self._key_codec.decode, cursor, limit, call_timeout)

    async def entries_page(self, cursor: Optional[bytes] = None, limit: int = PAGE_SIZE, *,
                           call_timeout: Optional[float] = None) -> Page:
        """One :class:`Page` of at most ``limit`` (1 to 10 000) ``(key, value)`` tuples, as
        :meth:`keys_page`."""
        def entry(e: Any) -> tuple:
            return self._key_codec.decode(e.key), self._codec.decode(e.value)

        return await self._page("Entries", pb.MapEntriesRequest, "entries", entry, cursor, limit, call_timeout)

    async def keys(self, *, page_size: int = PAGE_SIZE, call_timeout: Optional[float] = None) -> list:
        """Every key, as one list gathered page by page (``page_size`` per request, each
        request bounded by ``call_timeout``); for a map too large for one list, page with
        :meth:`keys_page`."""
        return await self._gather(self.keys_page, page_size, call_timeout)

    async def entries(self, *, page_size: int = PAGE_SIZE, call_timeout: Optional[float] = None) -> list:
        """Every entry, as one list of ``(key, value)`` tuples gathered as :meth:`keys`."""
        return await self._gather(self.entries_page, page_size, call_timeout)

    async def clear(self, *, call_timeout: Optional[float] = None) -> int:
        """Removes every entry, answering how many there were. Each partition clears its
        part on its own (not atomic across the map); a clear that fails part-way is resent
        under the same sequence number and applied once."""
        return await self._count("Clear", pb.MapClearRequest, call_timeout, True, "removed")


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

    async def size(self, *, call_timeout: Optional[float] = None) -> int:
        """The number of items, summed over the set's partitions."""
        return await self._count("Size", pb.SetSizeRequest, call_timeout, False, "size")

    async def members_page(self, cursor: Optional[bytes] = None, limit: int = PAGE_SIZE, *,
                           call_timeout: Optional[float] = None) -> Page:
        """One :class:`Page` of at most ``limit`` (1 to 10 000) items, decoded by the codec:
        the first page (``cursor`` ``None``), or the one after the page whose
        ``next_cursor`` is passed. ``next_cursor`` ``None``: the listing is complete."""
        return await self._page("Members", pb.SetMembersRequest, "items", self._codec.decode, cursor, limit,
                                call_timeout)

    async def members(self, *, page_size: int = PAGE_SIZE, call_timeout: Optional[float] = None) -> list:
        """Every item, as one list gathered page by page (``page_size`` per request, each
        bounded by ``call_timeout``); for a set too large for one list, page with
        :meth:`members_page`."""
        return await self._gather(self.members_page, page_size, call_timeout)

    async def clear(self, *, call_timeout: Optional[float] = None) -> int:
        """Removes every item, answering how many there were (not atomic across the set's
        partitions; a clear that fails part-way is resent and applied once)."""
        return await self._count("Clear", pb.SetClearRequest, call_timeout, True, "removed")
