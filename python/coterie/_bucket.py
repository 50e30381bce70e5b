"""The object store (seed 003): buckets of objects with conditional writes.

A bucket lives in a CP group (``photos``, ``photos@media``); every conditional operation is
one atomic apply on the group's log. Only the group's leader takes puts: a follower answers
``not_leader`` before the body is read, and the put is sent again to the leader it names.
A put is resent whole with the same invocation, so a put whose answer was lost applies once.
"""

from __future__ import annotations

import datetime as _dt
from dataclasses import dataclass, field
from typing import Any, Callable, Dict, Iterable, List, Optional, Sequence, Tuple, Union

from . import codec as codecs
from ._core import Core, group_of
from ._handle import fields
from .codec import Codec
from .v1 import coterie_pb2 as pb

_CHUNK = 1024 * 1024
Etags = Union[str, Sequence[str]]
Time = Union[float, int, _dt.datetime]


@dataclass(frozen=True)
class ObjectInfo:
    """What a bucket knows about one object."""

    key: str
    etag: str
    version: int
    size: int
    last_modified_ms: int
    content_type: Optional[str] = None
    attributes: Dict[str, str] = field(default_factory=dict)
    expires_at_ms: Optional[int] = None

    @staticmethod
    def of(meta: pb.ObjectMeta) -> "ObjectInfo":
        """From the wire form."""
        return ObjectInfo(
            key=meta.key,
            etag=meta.etag,
            version=meta.version,
            size=meta.size,
            last_modified_ms=meta.last_modified_ms,
            content_type=meta.content_type if meta.HasField("content_type") else None,
            attributes=dict(meta.attributes),
            expires_at_ms=meta.expires_at_ms if meta.HasField("expires_at_ms") else None,
        )


@dataclass(frozen=True)
class Object:
    """An object read: its metadata, the bytes of the served range ``[range_start, range_end)``."""

    info: ObjectInfo
    data: bytes
    range_start: int
    range_end: int
    codec: Codec

    def value(self) -> Any:
        """The bytes read through the bucket's codec (JSON unless another was picked)."""
        return self.codec.decode(self.data)


@dataclass(frozen=True)
class ListPage:
    """One page of a bucket's keys."""

    objects: List[ObjectInfo]
    common_prefixes: List[str]
    next_start_after: Optional[str]
    is_truncated: bool


def _etags(value: Optional[Etags]) -> Optional[pb.EtagCondition]:
    if value is None:
        return None
    if value == "*":
        return pb.EtagCondition(any=True)
    return pb.EtagCondition(etags=[value] if isinstance(value, str) else list(value))


def _time_ms(value: Optional[Time]) -> Optional[int]:
    if value is None:
        return None
    if isinstance(value, _dt.datetime):
        if value.tzinfo is None:
            raise ValueError("give an aware datetime (with tzinfo) or seconds since the Unix epoch")
        return int(value.timestamp() * 1000)
    return int(value * 1000)


def _conditions(if_match: Optional[Etags], if_none_match: Optional[Etags], if_modified_since: Optional[Time],
                if_unmodified_since: Optional[Time]) -> pb.ObjectReadConditions:
    return pb.ObjectReadConditions(**fields(
        if_match=_etags(if_match),
        if_none_match=_etags(if_none_match),
        if_modified_since_ms=_time_ms(if_modified_since),
        if_unmodified_since_ms=_time_ms(if_unmodified_since),
    ))


def _range(byte_range: Optional[Tuple[int, Optional[int]]], suffix: Optional[int]) -> Optional[pb.ObjectByteRange]:
    if byte_range is not None and suffix is not None:
        raise ValueError("give byte_range or suffix, not both")
    if suffix is not None:
        return pb.ObjectByteRange(suffix=suffix)
    if byte_range is None:
        return None
    start, end = byte_range
    if end is None:
        return pb.ObjectByteRange(**{"from": start})
    return pb.ObjectByteRange(bounded=pb.ObjectBoundedRange(start=start, end=end))


class Bucket:
    """A bucket of objects: ``put``/``get``/``head``/``delete``/``list`` with conditions,
    atomic ``copy``/``rename``, ``set_ttl``. Conditions that fail raise
    :class:`~coterie.errors.AlreadyExists`, :class:`~coterie.errors.PreconditionFailed`,
    :class:`~coterie.errors.NotModified`, :class:`~coterie.errors.ObjectNotFound` or
    :class:`~coterie.errors.StaleFence`."""

    _service = "ObjectService"

    def __init__(self, core: Core, name: str, codec: Optional[Codec]):
        if not isinstance(name, str) or not name:
            raise ValueError(f"a bucket name is a non-empty str, not {name!r}")
        self._core = core
        self._name = name
        self._group = group_of(name)
        self._codec = codec if codec is not None else codecs.JSON

    @property
    def name(self) -> str:
        """The bucket's name."""
        return self._name

    def __repr__(self) -> str:
        return f"Bucket({self._name!r})"

    def _header(self, seq: int = 0) -> pb.Call:
        return self._core.header(self._name, key=self._group, seq=seq)

    async def _mutate(self, method: str, build: Callable[[pb.Call], Any], call_timeout: Optional[float],
                      run: Optional[Callable[[Any, Any, float], Any]] = None) -> Any:
        """A write: ``build(header)`` makes the request with the write's sequence number."""
        deadline = self._core.deadline(call_timeout)
        async with self._core.mutation_seq(self._group, deadline) as seq:
            return await self._core.invoke(self._service, method, build(self._header(seq)), key=self._group,
                                           deadline=deadline, mutation=True, run=run)

    async def _unary(self, method: str, request: Any, call_timeout: Optional[float], mutation: bool) -> Any:
        return await self._core.invoke(self._service, method, request, key=self._group,
                                       deadline=self._core.deadline(call_timeout), mutation=mutation)

    async def put(
        self,
        key: str,
        data: Any,
        *,
        if_none_match: Optional[str] = None,
        if_match: Optional[str] = None,
        if_version: Optional[int] = None,
        if_fence_at_least: Optional[int] = None,
        content_type: Optional[str] = None,
        attributes: Optional[Dict[str, str]] = None,
        ttl: Optional[float] = None,
        call_timeout: Optional[float] = None,
    ) -> ObjectInfo:
        """Writes ``data`` (bytes and str as they are, other values through the codec) under
        ``key``. ``if_none_match="*"``: only if the key has no live object; ``if_match``: only
        if its ETag is this one; ``if_version``: only at that version; ``ttl``: seconds until
        it expires. Answers the new object's metadata."""
        conditions = [c for c in (if_none_match, if_match, if_version) if c is not None]
        if len(conditions) > 1:
            raise ValueError("give at most one of if_none_match, if_match, if_version")
        if if_none_match is not None and if_none_match != "*":
            raise ValueError('a put takes if_none_match="*" (create only), not a list of ETags')
        body = codecs.encode(self._codec, data)
        chunks = [body[i:i + _CHUNK] for i in range(0, len(body), _CHUNK)] or [b""]

        def build(call: pb.Call) -> List[pb.PutObjectRequest]:
            header = pb.PutObjectHeader(**fields(
                call=call,
                key=key,
                content_type=content_type,
                attributes=attributes,
                ttl_ms=None if ttl is None else max(1, int(ttl * 1000)),
                create_only=True if if_none_match == "*" else None,
                if_match=if_match,
                if_version=if_version,
                if_fence_at_least=if_fence_at_least,
            ))
            messages = [pb.PutObjectRequest(data=chunk, last=i == len(chunks) - 1) for i, chunk in enumerate(chunks)]
            messages[0].header.CopyFrom(header)
            return messages

        async def run(stub: Any, messages: List[pb.PutObjectRequest], timeout: float) -> Any:
            # The whole stream again on every attempt, with the same header (same invocation).
            return await stub.PutObject(iter(messages), timeout=timeout)

        response = await self._mutate("PutObject", build, call_timeout, run)
        return ObjectInfo.of(response.meta)

    async def get(
        self,
        key: str,
        *,
        if_match: Optional[Etags] = None,
        if_none_match: Optional[Etags] = None,
        if_modified_since: Optional[Time] = None,
        if_unmodified_since: Optional[Time] = None,
        byte_range: Optional[Tuple[int, Optional[int]]] = None,
        suffix: Optional[int] = None,
        call_timeout: Optional[float] = None,
    ) -> Object:
        """Reads an object (``byte_range=(start, end)``: bytes [start, end), end ``None``: to
        the end; ``suffix=n``: the last n bytes). ETag conditions take one ETag, a list, or
        ``"*"``; times are aware datetimes or seconds since the epoch."""
        request = pb.GetObjectRequest(**fields(
            call=self._header(), key=key,
            conditions=_conditions(if_match, if_none_match, if_modified_since, if_unmodified_since),
            range=_range(byte_range, suffix),
        ))

        async def run(stub: Any, req: Any, timeout: float) -> Any:
            first = None
            parts: List[bytes] = []
            async for message in stub.GetObject(req, timeout=timeout):
                if first is None:
                    first = message
                parts.append(message.data)
            return first, b"".join(parts)

        first, data = await self._core.invoke(self._service, "GetObject", request, key=self._group,
                                              deadline=self._core.deadline(call_timeout), mutation=False, run=run)
        if first is None:
            raise ValueError(f"the server answered GetObject {key!r} with no message: a server bug")
        return Object(ObjectInfo.of(first.meta), data, first.range_start, first.range_end, self._codec)

    async def head(
        self,
        key: str,
        *,
        if_match: Optional[Etags] = None,
        if_none_match: Optional[Etags] = None,
        if_modified_since: Optional[Time] = None,
        if_unmodified_since: Optional[Time] = None,
        call_timeout: Optional[float] = None,
    ) -> ObjectInfo:
        """An object's metadata, with the same conditions as :meth:`get`."""
        request = pb.HeadObjectRequest(call=self._header(), key=key,
                                       conditions=_conditions(if_match, if_none_match, if_modified_since,
                                                              if_unmodified_since))
        return ObjectInfo.of((await self._unary("HeadObject", request, call_timeout, False)).meta)

    async def delete(self, key: str, *, if_match: Optional[str] = None, if_version: Optional[int] = None,
                     if_fence_at_least: Optional[int] = None, call_timeout: Optional[float] = None) -> bool:
        """Deletes an object, optionally only if its ETag or version matches; answers whether
        the key had a live object."""
        if if_match is not None and if_version is not None:
            raise ValueError("give if_match or if_version, not both")
        def build(call: pb.Call) -> pb.DeleteObjectRequest:
            return pb.DeleteObjectRequest(**fields(call=call, key=key, if_match=if_match, if_version=if_version,
                                                   if_fence_at_least=if_fence_at_least))

        return (await self._mutate("DeleteObject", build, call_timeout)).existed

    async def list(self, prefix: str = "", *, delimiter: Optional[str] = None, start_after: Optional[str] = None,
                   max_keys: Optional[int] = None, call_timeout: Optional[float] = None) -> ListPage:
        """One page of keys (S3 ListObjectsV2 semantics; pass ``next_start_after`` on)."""
        request = pb.ListObjectsRequest(**fields(call=self._header(), prefix=prefix, delimiter=delimiter,
                                                 start_after=start_after, max_keys=max_keys))
        response = await self._unary("ListObjects", request, call_timeout, False)
        return ListPage(
            objects=[ObjectInfo.of(m) for m in response.objects],
            common_prefixes=list(response.common_prefixes),
            next_start_after=response.next_start_after if response.HasField("next_start_after") else None,
            is_truncated=response.is_truncated,
        )

    async def list_all(self, prefix: str = "", *, call_timeout: Optional[float] = None) -> List[ObjectInfo]:
        """Every object under ``prefix``, page after page."""
        found: List[ObjectInfo] = []
        start_after: Optional[str] = None
        while True:
            page = await self.list(prefix, start_after=start_after, call_timeout=call_timeout)
            found.extend(page.objects)
            if not page.is_truncated:
                return found
            start_after = page.next_start_after

    async def _transfer(self, method: str, source: str, destination: str, if_not_exists: bool,
                        source_if_match: Optional[str], if_fence_at_least: Optional[int],
                        call_timeout: Optional[float]) -> ObjectInfo:
        def build(call: pb.Call) -> pb.TransferObjectRequest:
            request = pb.TransferObjectRequest(**fields(
                call=call, to=destination, if_not_exists=if_not_exists, source_if_match=source_if_match,
                if_fence_at_least=if_fence_at_least,
            ))
            setattr(request, "from", source)  # `from` is a Python keyword
            return request

        return ObjectInfo.of((await self._mutate(method, build, call_timeout)).meta)

    async def copy(self, source: str, destination: str, *, if_not_exists: bool = False,
                   source_if_match: Optional[str] = None, if_fence_at_least: Optional[int] = None,
                   call_timeout: Optional[float] = None) -> ObjectInfo:
        """Copies an object to another key atomically (``if_not_exists``: only if the
        destination has no live object, else :class:`~coterie.errors.AlreadyExists`)."""
        return await self._transfer("CopyObject", source, destination, if_not_exists, source_if_match,
                                    if_fence_at_least, call_timeout)

    async def rename(self, source: str, destination: str, *, if_not_exists: bool = False,
                     source_if_match: Optional[str] = None, if_fence_at_least: Optional[int] = None,
                     call_timeout: Optional[float] = None) -> ObjectInfo:
        """Moves an object to another key in one step: never both, never neither."""
        return await self._transfer("RenameObject", source, destination, if_not_exists, source_if_match,
                                    if_fence_at_least, call_timeout)

    async def set_ttl(self, key: str, ttl: Optional[float], *, if_match: Optional[str] = None,
                      if_fence_at_least: Optional[int] = None, call_timeout: Optional[float] = None) -> ObjectInfo:
        """Sets (seconds) or clears (``None``) an object's time to live; a write: new ETag."""
        def build(call: pb.Call) -> pb.SetObjectTtlRequest:
            return pb.SetObjectTtlRequest(**fields(
                call=call, key=key, ttl_ms=None if ttl is None else max(1, int(ttl * 1000)), if_match=if_match,
                if_fence_at_least=if_fence_at_least,
            ))

        return ObjectInfo.of((await self._mutate("SetObjectTtl", build, call_timeout)).meta)


__all__: Iterable[str] = ["Bucket", "Object", "ObjectInfo", "ListPage"]
