"""Exceptions named after the server's errors.

Every refusal a Coterie server answers with carries an ``ErrorDetail`` whose ``code`` is a
stable snake_case name (see ``proto/coterie/v1/coterie.proto``). The package turns each code
into one exception class (``not_owner`` becomes :class:`NotOwner`), so callers catch what
they mean instead of parsing messages. The detail's fields (``metadata``: ``reason``,
``operation``, ``current_etag``, ...) are kept on the exception.

A code this package does not know (a newer server) is raised as :class:`CoterieError` with
its ``code`` set, never dropped.
"""

from __future__ import annotations

from typing import Dict, Mapping, Optional, Type


class CoterieError(Exception):
    """Base of every error this package raises.

    ``code`` is the server's ``ErrorDetail.code`` (or a client-side code such as
    ``lock_ownership_lost``), ``message`` the explanation, ``metadata`` the error's fields
    by name, ``reason`` the stable sub-reason when the server gives one.
    """

    code: str = "unknown"

    def __init__(self, message: str, *, code: Optional[str] = None, metadata: Optional[Mapping[str, str]] = None):
        super().__init__(message)
        self.message = message
        if code is not None:
            self.code = code
        self.metadata: Dict[str, str] = dict(metadata or {})

    @property
    def reason(self) -> Optional[str]:
        """The stable snake_case reason of ``invalid_argument``, ``invalid_name``,
        ``not_owner`` and ``precondition_failed`` (``None`` for other errors)."""
        return self.metadata.get("reason")

    def __str__(self) -> str:
        return f"{self.message} [{self.code}]"


# --- Refusals: the call reached the structure and was refused (nothing applied). ---------


class InvalidArgument(CoterieError):
    """An argument is outside what the operation accepts (``reason`` says which)."""

    code = "invalid_argument"


class ValueTooLarge(CoterieError):
    """The value's bytes are over the group's size limit."""

    code = "value_too_large"


class InvalidName(CoterieError):
    """An empty or over-long structure name, or a bad group name."""

    code = "invalid_name"


class UnknownKind(CoterieError):
    """A kind name Coterie does not know."""

    code = "unknown_kind"


class SessionRequired(CoterieError):
    """The call needs a session (the package opens them itself: a bug if you see it)."""

    code = "session_required"


class InvocationRequired(CoterieError):
    """The call needs a client id and sequence number (a package bug if you see it)."""

    code = "invocation_required"


class WrongKind(CoterieError):
    """The name is used by a structure of another kind: pick another name."""

    code = "wrong_kind"


class ConfigConflict(CoterieError):
    """The structure exists with another configuration."""

    code = "config_conflict"


class NotOwner(CoterieError):
    """The caller does not hold the lock (``reason``: ``not_held``, ``held_by``, ``no_fence``)."""

    code = "not_owner"


class PermitsNotHeld(CoterieError):
    """A release of more permits than the session holds."""

    code = "permits_not_held"


class AcquireLimitReached(CoterieError):
    """The reentrant lock's acquire limit is reached."""

    code = "acquire_limit_reached"


class AlreadyInitialized(CoterieError):
    """The semaphore was initialized already."""

    code = "already_initialized"


class CountNotZero(CoterieError):
    """A latch's count was set while a round is still counting."""

    code = "count_not_zero"


class FutureRound(CoterieError):
    """A count-down for a latch round that has not started."""

    code = "future_round"


class QueueFull(CoterieError):
    """The queue is at capacity."""

    code = "queue_full"


class BarrierMismatch(CoterieError):
    """The barrier's party count differs from the round's."""

    code = "barrier_mismatch"


class SessionExpired(CoterieError):
    """The session is not open any more (its TTL passed without a heartbeat): what it held
    (locks, permits) was released. The call was not applied."""

    code = "session_expired"


class LockOwnershipLost(SessionExpired):
    """This client held the lock in a session that expired: the lock was released and may be
    held by someone else now. The work done under the lock must not be trusted (check the
    fence). Raised by ``unlock``, ``lock``, ``is_locked_by_current_thread`` and friends."""

    code = "lock_ownership_lost"


class AlreadyExists(CoterieError):
    """A create-only object write (``if_none_match="*"``) found the key present."""

    code = "already_exists"


class PreconditionFailed(CoterieError):
    """An object condition (ETag, version, modified-since) does not hold (HTTP 412)."""

    code = "precondition_failed"


class NotModified(CoterieError):
    """A conditional object read: the cached copy is current (HTTP 304)."""

    code = "not_modified"


class ObjectNotFound(CoterieError):
    """No live object under the key."""

    code = "object_not_found"


class StaleFence(CoterieError):
    """An object write's fence is below the key's highest: the lock moved on."""

    code = "stale_fence"


class RangeNotSatisfiable(CoterieError):
    """The byte range selects nothing of the object (HTTP 416)."""

    code = "range_not_satisfiable"


class UploadExpired(CoterieError):
    """A put reached the log after its upload window closed; send it again."""

    code = "upload_expired"


class UnknownEntityType(CoterieError):
    """An entity type the serving member has not registered; start every member with it."""

    code = "unknown_entity_type"


class EntityPayload(CoterieError):
    """An entity command (or state) does not match the type registered under its name."""

    code = "entity_payload"


class Overflow(CoterieError):
    """64-bit arithmetic would overflow; the value is unchanged."""

    code = "overflow"


class Cancelled(CoterieError):
    """A waiting call was cancelled."""

    code = "cancelled"


class ClientWindowPassed(CoterieError):
    """A resend older than the group's record of this client: the outcome is unknown; read
    the state before retrying."""

    code = "client_window_passed"


class TooManyClients(CoterieError):
    """The group remembers its limit of clients: nothing applied, retry later."""

    code = "too_many_clients"


class Malformed(CoterieError):
    """Stored or replicated bytes did not decode (a server-side problem)."""

    code = "malformed"


class Internal(CoterieError):
    """A server bug (an answer of the wrong shape)."""

    code = "internal"


# --- The call could not complete. ---------------------------------------------------------


class Unavailable(CoterieError):
    """No member could serve the call before its deadline, and it certainly was not applied
    (a read, or a call no member received). Check that the cluster is up and reachable."""

    code = "unavailable"


class Indeterminate(CoterieError):
    """The call's deadline passed after it may have reached a leader: it may or may not have
    been applied. Read the state before deciding to do it again."""

    code = "indeterminate"


class WaitTimedOut(CoterieError):
    """A blocking call (``lock``, ``acquire``, ``await_latch``) given a ``call_timeout`` was
    not served in time; its wait was cancelled and nothing was acquired."""

    code = "wait_timed_out"


class BarrierTimedOut(WaitTimedOut):
    """A barrier arrival given a ``timeout`` was not released in time: the server withdrew
    it, so it no longer counts towards the round (``metadata``: ``name``, ``expected``,
    ``waited_ms``). Arrive again to take part in a later round."""

    code = "barrier_timed_out"


class NotServed(CoterieError):
    """The operation exists in the data model but the server does not serve it yet; nothing
    was sent. (No operation of this version raises it: the sharded Map's and Set's
    whole-structure operations, which did, are served now. Kept for code that catches it.)"""

    code = "not_served"


class CodecError(CoterieError, ValueError):
    """A value could not be encoded or decoded by the handle's codec."""

    code = "codec"


_BY_CODE: Dict[str, Type[CoterieError]] = {
    cls.code: cls
    for cls in [
        InvalidArgument,
        ValueTooLarge,
        InvalidName,
        UnknownKind,
        SessionRequired,
        InvocationRequired,
        WrongKind,
        ConfigConflict,
        NotOwner,
        PermitsNotHeld,
        AcquireLimitReached,
        AlreadyInitialized,
        CountNotZero,
        FutureRound,
        QueueFull,
        BarrierMismatch,
        SessionExpired,
        AlreadyExists,
        PreconditionFailed,
        NotModified,
        ObjectNotFound,
        StaleFence,
        RangeNotSatisfiable,
        UploadExpired,
        UnknownEntityType,
        EntityPayload,
        Overflow,
        Cancelled,
        ClientWindowPassed,
        TooManyClients,
        Malformed,
        Internal,
        Unavailable,
    ]
}


__all__ = [name for name, value in list(globals().items()) if isinstance(value, type) and issubclass(value, Exception)]
__all__.append("error_for")


def error_for(code: str, message: str, metadata: Optional[Mapping[str, str]] = None) -> CoterieError:
    """The exception for an ``ErrorDetail`` (``code``, ``message``, ``metadata``)."""
    cls = _BY_CODE.get(code, CoterieError)
    return cls(message, code=code, metadata=metadata)
