"""The machinery under every handle: channels, the retry loop, sequence numbers, sessions.

Why it is shaped like this (the same contract the Rust client keeps, ``crates/client``):

* A call is sent to the member believed to lead its group. A follower answers ``not_leader``
  naming the leader's address in the ``ErrorDetail``; the call goes there at once. The
  package follows leaders itself and does not rely on members forwarding calls.
* Every mutation carries this client's id (16 random bytes drawn once per client) and the
  next sequence number of the client's series for the group, and keeps both on every
  resend, so a call whose answer was lost (a leader killed mid-call) is applied once.
* Each attempt is bounded (``attempt_timeout``); the whole call by its deadline
  (``call_timeout``, or the ``timeout=`` a blocking call was given). Past the deadline a call
  that may have reached a leader raises :class:`~coterie.errors.Indeterminate`, one that
  certainly did not :class:`~coterie.errors.Unavailable`.
* A blocking call (lock, acquire, await) is sent with ``keep_parked``: when an attempt's time
  is up the group answers ``still_waiting`` and keeps the call's place in its queue, and the
  package sends the same invocation again (also to a new leader).
* Sessions (one per CP group, opened on first use by a lock or semaphore call) are kept alive
  by a heartbeat task; an expired session is dropped and the next call opens a new one.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import time
from dataclasses import dataclass
from typing import Any, AsyncIterator, Callable, Dict, List, Optional, Sequence

import grpc

from . import errors
from .v1 import coterie_pb2 as pb
from .v1 import coterie_pb2_grpc as pb_grpc
from .v1 import rpc_status_pb2

_DETAILS_KEY = "grpc-status-details-bin"
_DETAIL_TYPE = "type.googleapis.com/coterie.v1.ErrorDetail"
# This client follows redirects itself (and learns the leader from them), so it asks members
# not to forward its calls to the leader: one hop less on every call after the first.
_NO_FORWARD = (("x-coterie-no-forward", "1"),)
# Codes after which the same invocation is sent again (elsewhere, or after a pause).
_RETRY = {"unavailable", "outcome_unknown", "quorum_not_met", "timeout"}
# Codes whose attempt may have been applied.
_MAYBE_APPLIED = {"outcome_unknown", "quorum_not_met", "timeout"}
# The key of the sequence series and leader guess of sharded calls: every partition keeps
# its own record of this client, and one increasing series serves them all.
SHARDED = "\x00sharded"
# The group remembers a parked or resent call for at least this long after it last heard
# of it (coterie_core::dedup::RESEND_LIMIT): do not resend for longer than that.
_RESEND_LIMIT = 60.0


@dataclass(frozen=True)
class Options:
    """A client's timeouts and intervals, in seconds."""

    call_timeout: float = 5.0
    attempt_timeout: float = 2.0
    wait_poll: float = 5.0
    session_ttl: float = 60.0
    heartbeat_interval: Optional[float] = None
    retry_initial: float = 0.01
    retry_max: float = 0.1

    def heartbeat(self) -> float:
        """How often sessions are kept alive: as given, or a third of the TTL (at most 5 s)."""
        if self.heartbeat_interval is not None:
            return self.heartbeat_interval
        return min(5.0, self.session_ttl / 3)

    def validate(self) -> "Options":
        """These options, or ValueError naming the first one a client cannot run with."""
        for name in ("call_timeout", "attempt_timeout", "wait_poll", "session_ttl", "retry_initial", "retry_max"):
            if not getattr(self, name) > 0:
                raise ValueError(f"{name} must be more than zero seconds, not {getattr(self, name)!r}")
        if not 0 < self.heartbeat() < self.session_ttl:
            raise ValueError(
                f"heartbeat_interval ({self.heartbeat()}) must be more than zero and less than session_ttl "
                f"({self.session_ttl}), or sessions expire between heartbeats"
            )
        return self


def group_of(name: str) -> str:
    """The CP group a structure name lives in: its ``@group`` suffix, or ``default``."""
    if "@" in name:
        group = name.rsplit("@", 1)[1]
        return group or "default"
    return "default"


def _normalize(address: str) -> str:
    for prefix in ("http://", "https://"):
        if address.startswith(prefix):
            return address[len(prefix):]
    return address


def decode_detail(err: grpc.aio.AioRpcError) -> Optional[pb.ErrorDetail]:
    """The ``ErrorDetail`` packed in a failed call's status details, if any."""
    for key, value in err.trailing_metadata() or ():
        if key != _DETAILS_KEY or not isinstance(value, bytes):
            continue
        try:
            status = rpc_status_pb2.RpcStatus.FromString(value)
            for any_detail in status.details:
                if any_detail.type_url == _DETAIL_TYPE:
                    return pb.ErrorDetail.FromString(any_detail.value)
        except Exception:  # a foreign or broken trailer: treat the error as detail-less
            return None
    return None


# How far the newest mutation may run ahead of the oldest unanswered one, in sequence
# numbers: below the group's default record of 256 answers per client, with room to spare
# (coterie_client's SEQ_SPAN). A mutation slowed by a failover keeps its answer in the record
# while other threads of this client go on calling the group.
SEQ_SPAN = 192


class _Series:
    """One group's sequence numbers, from 1, and the mutations among them still unanswered."""

    def __init__(self) -> None:
        self.last = 0
        self.pending: set = set()
        self._freed: Optional[asyncio.Condition] = None

    def next(self) -> int:
        self.last += 1
        return self.last

    def _room(self) -> bool:
        return not self.pending or self.last + 1 - min(self.pending) < SEQ_SPAN

    async def tracked(self, deadline: Optional[float]) -> int:
        """The next number, registered as pending; waits (until ``deadline``) while it would be
        SEQ_SPAN ahead of the oldest pending one."""
        if not self._room():
            if self._freed is None:
                self._freed = asyncio.Condition()
            async with self._freed:
                timeout = None if deadline is None else max(0.0, deadline - time.monotonic())
                try:
                    await asyncio.wait_for(self._freed.wait_for(self._room), timeout)
                except asyncio.TimeoutError:
                    raise errors.Unavailable(
                        f"this client's oldest call to the group is still unanswered {SEQ_SPAN} calls later (a member "
                        "may be slow to fail over); nothing was sent",
                        code="unavailable",
                    ) from None
        seq = self.next()
        self.pending.add(seq)
        return seq

    async def release(self, seq: int) -> None:
        """The mutation ``seq`` ended (answered, failed or abandoned)."""
        self.pending.discard(seq)
        if self._freed is not None:
            async with self._freed:
                self._freed.notify_all()


class Core:
    """Channels, leader guesses, sequence series and sessions of one client. Lives in one
    event loop (grpc.aio channels are bound to the loop that made them)."""

    def __init__(self, endpoints: Sequence[str], options: Options):
        if not endpoints:
            raise ValueError("give at least one member address (host:port), e.g. ['127.0.0.1:7101']")
        self.options = options.validate()
        self.endpoints: List[str] = [_normalize(e) for e in endpoints]
        self.client_id = os.urandom(16)
        while not any(self.client_id):
            self.client_id = os.urandom(16)
        self._channels: Dict[str, grpc.aio.Channel] = {}
        self._leaders: Dict[str, str] = {}
        self._series: Dict[str, _Series] = {}
        self.sessions = Sessions(self)
        # Shared by every handle of one structure: who holds which lock in which session
        # ((group, name) -> owner -> (session, count)), and permits taken per session.
        self.lock_holds: Dict[tuple, Dict[bytes, tuple]] = {}
        self.permits_held: Dict[tuple, Dict[int, int]] = {}
        self.closed = False

    # --- plumbing -------------------------------------------------------------------------

    def stub(self, address: str, service: str) -> Any:
        """A stub of ``service`` (e.g. ``"AtomicLongService"``) on ``address``."""
        channel = self._channels.get(address)
        if channel is None:
            channel = grpc.aio.insecure_channel(
                address,
                options=[
                    # A killed member's address is tried again soon after it restarts.
                    ("grpc.initial_reconnect_backoff_ms", 100),
                    ("grpc.min_reconnect_backoff_ms", 100),
                    ("grpc.max_reconnect_backoff_ms", 1000),
                    ("grpc.max_receive_message_length", 64 * 1024 * 1024),
                    ("grpc.max_send_message_length", 64 * 1024 * 1024),
                ],
            )
            self._channels[address] = channel
        return getattr(pb_grpc, service + "Stub")(channel)

    def next_seq(self, key: str) -> int:
        """The next sequence number of this client's series for ``key`` (a group), for a
        blocking call (the group never drops the record of a parked call)."""
        return self._series.setdefault(key, _Series()).next()

    @contextlib.asynccontextmanager
    async def mutation_seq(self, key: str, deadline: Optional[float]) -> AsyncIterator[int]:
        """The next sequence number of ``key``'s series for a mutation, kept pending while
        the block runs (see :data:`SEQ_SPAN`)."""
        series = self._series.setdefault(key, _Series())
        seq = await series.tracked(deadline)
        try:
            yield seq
        finally:
            await series.release(seq)

    def header(
        self,
        name: str,
        *,
        key: str,
        seq: int = 0,
        session: int = 0,
        keep_parked: bool = False,
        shards: Optional[int] = None,
    ) -> pb.Call:
        """The ``Call`` header of a call on ``name``."""
        call = pb.Call(name=name, seq=seq, session_id=session, keep_parked=keep_parked)
        if seq:
            call.client_id = self.client_id
        if shards is not None:
            call.sharded.CopyFrom(pb.ShardedTarget(shards=shards))
        return call

    def _deadline(self, timeout: Optional[float]) -> float:
        return time.monotonic() + (self.options.call_timeout if timeout is None else timeout)

    def deadline(self, timeout: Optional[float], *, forever: bool = False) -> Optional[float]:
        """The monotonic deadline of a call: ``timeout`` seconds from now, or the client's
        ``call_timeout``; ``None`` (no deadline) when ``forever`` and no timeout is given."""
        if timeout is None and forever:
            return None
        return self._deadline(timeout)

    def blocking_deadline(self, wait: Optional[float], call_timeout: Optional[float]) -> Optional[float]:
        """The deadline of a sharded call that may wait in its structure up to ``wait``
        seconds (``None``: until served), as the Rust client's ``Mode::Blocking``: the wait
        plus the call timeout (``call_timeout``, or the client's) for the round trips; no
        deadline at all when ``wait`` is ``None`` (the resend limit still bounds a call no
        member answers). The server ends a timed wait itself, so the answer it gives at the
        end of ``wait`` (no item, not released) arrives before this deadline."""
        if wait is None:
            return None
        return time.monotonic() + wait + (self.options.call_timeout if call_timeout is None else call_timeout)

    async def close(self) -> None:
        """Closes the sessions (releasing what they hold) and the channels."""
        if self.closed:
            return
        await self.sessions.close()
        self.closed = True
        for channel in self._channels.values():
            await channel.close()
        self._channels.clear()

    # --- the retry loop -------------------------------------------------------------------

    async def invoke(
        self,
        service: str,
        method: str,
        request: Any,
        *,
        key: str,
        deadline: Optional[float],
        mutation: bool,
        parked: bool = False,
        run: Optional[Callable[[Any, Any, float], Any]] = None,
        cancellable: bool = True,
    ) -> Any:
        """Delivers ``request`` to ``key``'s leader and answers its response, retrying the
        same request (same invocation) until ``deadline``; raises the error it was refused
        with. ``run(stub, request, timeout)`` replaces the unary call for streams.

        A parked call (``parked``: it waits in the group's queue) whose deadline passes is
        cancelled, then asked once more for its outcome: it may have been granted just
        before the cancel reached it (then that is the answer), or it was cancelled
        (:class:`~coterie.errors.WaitTimedOut`: nothing acquired). A parked call whose
        asyncio task is cancelled is cancelled in the group in the background, so a lock
        or permits are not granted later to a caller that stopped waiting.

        A parked sharded call (``cancellable=False``: the wire has no cancel for sharded
        calls) is resent until answered or ``deadline``; past it the call raises
        :class:`~coterie.errors.Indeterminate` saying the wait may still be served."""
        seq = request.call.seq if parked and request is not None and request.HasField("call") else 0
        if seq and not cancellable:
            try:
                return await self._deliver(service, method, request, key=key, deadline=deadline, mutation=True,
                                           parked=True, run=run)
            except errors.Indeterminate as gave_up:
                raise errors.Indeterminate(
                    f"{gave_up.message}; a sharded wait cannot be cancelled: it ends at its own timeout, or "
                    "(waiting without one) may still be served later",
                    code="indeterminate",
                ) from gave_up
        if not seq:
            return await self._deliver(service, method, request, key=key, deadline=deadline, mutation=mutation,
                                       parked=parked, run=run)
        try:
            return await self._deliver(service, method, request, key=key, deadline=deadline, mutation=mutation,
                                       parked=True, run=run)
        except errors.Indeterminate as gave_up:
            return await self._abandon(service, method, request, key, seq, gave_up)
        except asyncio.CancelledError:
            asyncio.get_running_loop().create_task(self._cancel(key, seq))
            raise

    async def _cancel(self, group: str, seq: int) -> bool:
        """Cancels this client's parked call ``seq`` of ``group``; answers whether it was
        still waiting. Bounded by ``call_timeout``."""
        request = pb.CancelRequest(group=group, seq=seq, client_id=self.client_id)
        response = await self._deliver("SessionService", "Cancel", request, key=group,
                                       deadline=time.monotonic() + self.options.call_timeout, mutation=False)
        return response.cancelled

    async def _abandon(self, service: str, method: str, request: Any, key: str, seq: int,
                       gave_up: errors.Indeterminate) -> Any:
        try:
            await self._cancel(key, seq)
        except errors.CoterieError as err:
            raise errors.Indeterminate(
                f"{gave_up.message}; the wait could not be cancelled ({err.message}): it may still be granted "
                "later, until the session expires",
                code="indeterminate",
            ) from err
        try:
            # The group answers a resend from its record: the call's outcome, or `cancelled`.
            return await self._deliver(service, method, request, key=key,
                                       deadline=time.monotonic() + self.options.call_timeout, mutation=True)
        except errors.Cancelled as err:
            raise errors.WaitTimedOut(
                "the call waited until its deadline (call_timeout) without being served; the wait was cancelled "
                "and nothing was acquired",
                code="wait_timed_out",
            ) from err

    async def _deliver(
        self,
        service: str,
        method: str,
        request: Any,
        *,
        key: str,
        deadline: Optional[float],
        mutation: bool,
        parked: bool = False,
        run: Optional[Callable[[Any, Any, float], Any]] = None,
    ) -> Any:
        opts = self.options
        address = self._leaders.get(key) or self.endpoints[0]
        backoff = opts.retry_initial
        maybe_applied = False
        hops = 0
        started = time.monotonic()
        last_contact = started
        last = "no attempt made"
        while True:
            if self.closed:
                raise errors.Unavailable("the client is closed: make a new one", code="unavailable")
            now = time.monotonic()
            if deadline is not None and now >= deadline:
                raise self._gave_up(maybe_applied and mutation, started, last)
            bound = opts.wait_poll if parked else opts.attempt_timeout
            if deadline is not None:
                bound = min(bound, deadline - now)
            stub = self.stub(address, service)
            try:
                if run is None:
                    response = await getattr(stub, method)(request, timeout=bound, metadata=_NO_FORWARD)
                else:
                    response = await run(stub, request, bound)
                self._leaders[key] = address
                return response
            except grpc.aio.AioRpcError as err:
                detail = decode_detail(err)
                retry_after = detail.retry_after_ms / 1000 if detail is not None and detail.HasField("retry_after_ms") else 0.0
                code = detail.code if detail is not None else None
                leader = _normalize(detail.leader_address) if detail is not None and detail.HasField("leader_address") else None
                if code == "still_waiting":
                    # Parked in its place: ask again there, at once.
                    maybe_applied = True
                    last_contact = time.monotonic()
                    self._leaders[key] = address
                    backoff = opts.retry_initial
                    continue
                if code == "not_leader" or (code == "outcome_unknown" and leader):
                    maybe_applied = maybe_applied or code == "outcome_unknown"
                    if leader and leader != address and hops < len(self.endpoints) + 1:
                        if leader not in self.endpoints:
                            self.endpoints.append(leader)
                        address = leader
                        hops += 1
                        continue
                    last = f"{address}: {detail.message if detail else err.details()}"
                elif code in _RETRY:
                    maybe_applied = maybe_applied or code in _MAYBE_APPLIED
                    last = f"{address}: {detail.message}"
                elif detail is not None:
                    raise errors.error_for(detail.code, detail.message, detail.metadata) from None
                elif err.code() in (grpc.StatusCode.UNAVAILABLE, grpc.StatusCode.DEADLINE_EXCEEDED, grpc.StatusCode.CANCELLED):
                    # No detail: the member did not answer (down, unreachable, too slow). Only
                    # a connection that was never made certainly did not deliver the call; one
                    # that broke mid-call (a member killed) may have.
                    never_sent = err.code() == grpc.StatusCode.UNAVAILABLE and "failed to connect" in (
                        err.details() or ""
                    ).lower()
                    maybe_applied = maybe_applied or not never_sent
                    last = f"{address}: {err.code().name} {err.details()}"
                else:
                    raise errors.error_for(
                        "internal" if err.code() == grpc.StatusCode.INTERNAL else err.code().name.lower(),
                        f"{address} answered {err.code().name}: {err.details()}",
                    ) from None
            hops = 0
            self._leaders.pop(key, None)
            address = self._next_endpoint(address)
            # The server's retry-after hint, when it gives one, else the doubling backoff.
            wanted = max(backoff, retry_after)
            pause = wanted if deadline is None else max(0.0, min(wanted, deadline - time.monotonic()))
            await asyncio.sleep(pause)
            backoff = min(backoff * 2, opts.retry_max)
            if mutation and time.monotonic() - last_contact >= _RESEND_LIMIT:
                raise errors.Indeterminate(
                    f"{last}; not resent after {_RESEND_LIMIT:.0f} s without an answer, the longest the group is "
                    "sure to remember it: it may have been applied",
                    code="indeterminate",
                )

    def _next_endpoint(self, address: str) -> str:
        try:
            index = self.endpoints.index(address)
        except ValueError:
            return self.endpoints[0]
        return self.endpoints[(index + 1) % len(self.endpoints)]

    def _gave_up(self, maybe_applied: bool, started: float, last: str) -> errors.CoterieError:
        waited = time.monotonic() - started
        if maybe_applied:
            return errors.Indeterminate(
                f"no answer after {waited:.1f} s (last: {last}); the call may have been applied: read before "
                "retrying",
                code="indeterminate",
            )
        return errors.Unavailable(
            f"no member served the call in {waited:.1f} s (last: {last}); nothing was applied. Check that the "
            f"cluster ({', '.join(self.endpoints)}) is up and reachable",
            code="unavailable",
        )


class Sessions:
    """One session per CP group, opened on first need and kept alive by a heartbeat task."""

    def __init__(self, core: Core):
        self._core = core
        self._open: Dict[str, int] = {}
        self._opening: Dict[str, asyncio.Lock] = {}
        self._open_seq: Dict[str, int] = {}
        self._heartbeat: Optional[asyncio.Task] = None
        # Sessions the cluster said are gone (expired), so handles can tell what they lost.
        self.expired: set = set()

    def current(self, group: str) -> Optional[int]:
        """The open session of ``group``, if any."""
        return self._open.get(group)

    async def get(self, group: str, deadline: Optional[float]) -> int:
        """The session of ``group``, opened if there is none."""
        session = self._open.get(group)
        if session is not None:
            return session
        lock = self._opening.setdefault(group, asyncio.Lock())
        async with lock:
            session = self._open.get(group)
            if session is not None:
                return session
            self._open_seq[group] = self._open_seq.get(group, 0) + 1
            request = pb.OpenSessionRequest(
                group=group,
                ttl_ms=max(1, int(self._core.options.session_ttl * 1000)),
                client_id=self._core.client_id,
                open_seq=self._open_seq[group],
            )
            # Opening is idempotent by (client_id, open_seq): resends answer the same session.
            open_deadline = deadline if deadline is not None else self._core.deadline(None)
            response = await self._core.invoke(
                "SessionService", "OpenSession", request, key=group, deadline=open_deadline, mutation=True
            )
            self._open[group] = response.session_id
            if self._heartbeat is None or self._heartbeat.done():
                self._heartbeat = asyncio.get_running_loop().create_task(self._beat())
            return response.session_id

    def drop(self, group: str, session: int) -> None:
        """Forgets ``session`` (it expired): the next call of ``group`` opens a new one."""
        self.expired.add(session)
        if self._open.get(group) == session:
            del self._open[group]

    async def _beat(self) -> None:
        interval = self._core.options.heartbeat()
        while self._open and not self._core.closed:
            await asyncio.sleep(interval)
            for group, session in list(self._open.items()):
                try:
                    await self._core.invoke(
                        "SessionService",
                        "Heartbeat",
                        pb.HeartbeatRequest(group=group, session_id=session),
                        key=group,
                        deadline=time.monotonic() + interval,
                        mutation=False,
                    )
                except errors.SessionExpired:
                    self.drop(group, session)
                except errors.CoterieError:
                    pass  # unreachable for now: the next beat tries again, the TTL decides

    async def close(self) -> None:
        """Closes every open session (best effort, bounded), and stops the heartbeats."""
        if self._heartbeat is not None:
            self._heartbeat.cancel()
        for group, session in list(self._open.items()):
            try:
                await self._core.invoke(
                    "SessionService",
                    "CloseSession",
                    pb.CloseSessionRequest(group=group, session_id=session),
                    key=group,
                    deadline=time.monotonic() + min(2.0, self._core.options.call_timeout),
                    mutation=False,
                )
            except errors.CoterieError:
                pass  # it expires by its TTL
        self._open.clear()


def owner_bytes(token: int) -> bytes:
    """A lock owner id: 16 big-endian bytes."""
    return token.to_bytes(16, "big")

