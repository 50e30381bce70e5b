"""Coterie for Python: CP structures (atomic longs and references, fenced locks, semaphores,
latches), seed 000's sharded structures (counter, map, set, queue, lock, semaphore,
barrier), and buckets with conditional writes, over gRPC.

``coterie.Client`` is the blocking API, ``coterie.aio.AsyncClient`` the asyncio one; both
keep sessions and heartbeats, follow leaders, retry with the same invocation and bound
every call. Errors are the exceptions of :mod:`coterie.errors`, named after the server's
``ErrorDetail.code``.
"""

from . import aio, errors
from .client import Client
from ._sharded import Page
from .codec import JSON, RAW, TEXT, Codec, JsonCodec
from .errors import *  # noqa: F401,F403 - the exceptions are part of the package's surface

__all__ = ["Client", "Page", "aio", "errors", "Codec", "JsonCodec", "JSON", "RAW", "TEXT"] + [
    name for name in dir(errors) if isinstance(getattr(errors, name), type) and issubclass(getattr(errors, name), Exception)
]
__version__ = "0.1.0"
