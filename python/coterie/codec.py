"""How Python values become the bytes the cluster stores, and back.

The cluster stores bytes. ``bytes`` (and ``bytearray``/``memoryview``) and ``str`` are
stored as they are (``str`` as UTF-8), so programs in other languages read the same bytes;
any other value goes through the handle's codec, JSON unless the user picks another. Reads
go through the codec too: pick :data:`RAW` to get ``bytes`` back, :data:`TEXT` for ``str``.
There is no pickle codec on purpose: unpickling bytes from a shared store runs code.
"""

from __future__ import annotations

import json
from typing import Any, Optional, Protocol

from .errors import CodecError


class Codec(Protocol):
    """Turns values into bytes and back. ``encode`` sees only values that are not bytes or
    str (those are stored as they are); ``decode`` sees every stored value."""

    def encode(self, value: Any) -> bytes:
        """The bytes to store for ``value``."""

    def decode(self, data: bytes) -> Any:
        """The value stored as ``data``."""


class JsonCodec:
    """JSON (UTF-8): dicts, lists, numbers, booleans, None. The default."""

    def encode(self, value: Any) -> bytes:
        try:
            return json.dumps(value, separators=(",", ":"), sort_keys=True).encode()
        except (TypeError, ValueError) as err:
            raise CodecError(
                f"cannot encode {type(value).__name__} as JSON ({err}): pass bytes or str, "
                "or open the handle with codec=... that encodes it"
            ) from err

    def decode(self, data: bytes) -> Any:
        try:
            return json.loads(data)
        except ValueError as err:
            raise CodecError(
                f"the stored value is not JSON ({err}; {data[:40]!r}...): it was probably stored as raw bytes "
                "or text; open the handle with codec=coterie.RAW (bytes) or coterie.TEXT (str)"
            ) from err


class RawCodec:
    """Bytes in, bytes out; other values are refused."""

    def encode(self, value: Any) -> bytes:
        raise CodecError(f"codec RAW stores bytes or str only, not {type(value).__name__}")

    def decode(self, data: bytes) -> bytes:
        return bytes(data)


class TextCodec:
    """UTF-8 text in, ``str`` out; other values are refused."""

    def encode(self, value: Any) -> bytes:
        raise CodecError(f"codec TEXT stores str or bytes only, not {type(value).__name__}")

    def decode(self, data: bytes) -> str:
        try:
            return bytes(data).decode("utf-8")
        except UnicodeDecodeError as err:
            raise CodecError(f"the stored value is not UTF-8 text ({err}): use codec=coterie.RAW") from err


#: JSON values (the default codec).
JSON: Codec = JsonCodec()
#: Raw bytes.
RAW: Codec = RawCodec()
#: UTF-8 text.
TEXT: Codec = TextCodec()


def encode(codec: Codec, value: Any) -> bytes:
    """``value`` as stored: bytes-like and str as they are, the rest through ``codec``."""
    if isinstance(value, (bytes, bytearray, memoryview)):
        return bytes(value)
    if isinstance(value, str):
        return value.encode("utf-8")
    return codec.encode(value)


def encode_optional(codec: Codec, value: Any) -> Optional[bytes]:
    """Like :func:`encode`, with ``None`` meaning null (absent) where the API has one."""
    return None if value is None else encode(codec, value)


def decode_optional(codec: Codec, data: Optional[bytes]) -> Any:
    """``None`` for an absent value, else the codec's reading of it."""
    return None if data is None else codec.decode(data)
