"""Faults: the leader killed with -9 during calls, and a lock holder's process killed -9."""

from __future__ import annotations

import asyncio
import select
import subprocess
import sys
import textwrap
import threading
import time

import pytest

import coterie


def test_calls_continue_after_the_leader_is_killed(own_cluster, name):
    """Four threads increment without pause while the default group's leader is killed -9;
    calls go on after the re-election and every increment is applied exactly once (the
    answers are 1..N: none lost, none doubled)."""
    cluster = own_cluster
    with coterie.Client(cluster.endpoints, call_timeout=30.0, attempt_timeout=1.0) as client:
        counter = client.cp.atomic_long(name)
        lock = client.cp.fenced_lock(name + "-lock")
        fence = lock.lock()
        answers: list = []
        phase = {"killed": False}
        progress = threading.Condition()
        stop = threading.Event()
        errors: list = []

        def worker():
            try:
                while not stop.is_set():
                    value = counter.increment_and_get()
                    with progress:
                        answers.append((phase["killed"], value))
                        progress.notify_all()
            except Exception as err:  # reported below
                errors.append(err)
                with progress:
                    progress.notify_all()

        threads = [threading.Thread(target=worker) for _ in range(4)]
        for t in threads:
            t.start()
        try:
            with progress:
                assert progress.wait_for(lambda: len(answers) >= 20 or errors, timeout=30), "no progress before the kill"
            leader = cluster.leader()
            cluster.kill(leader)
            with progress:
                phase["killed"] = True
                assert progress.wait_for(
                    lambda: sum(1 for after, _ in answers if after) >= 20 or errors, timeout=60
                ), "no progress after the leader was killed"
        finally:
            stop.set()
            for t in threads:
                t.join(timeout=60)
        assert not errors, errors
        values = sorted(value for _, value in answers)
        assert values == list(range(1, len(values) + 1))
        assert counter.get() == len(values)
        assert cluster.leader() != leader
        # The lock's session lives in the group's replicated state: it survives the failover.
        assert lock.is_locked_by_current_thread()
        assert lock.get_fence() == fence
        lock.unlock()
        assert lock.try_lock(timeout=0) > fence


def test_a_blocked_lock_call_survives_the_leader_kill(own_cluster, name):
    """A lock() parked at the leader keeps its place across the leader's kill -9 and is
    served when the holder unlocks through the new leader."""
    cluster = own_cluster
    with coterie.Client(cluster.endpoints, call_timeout=30.0, wait_poll=1.0) as holder, \
            coterie.Client(cluster.endpoints, call_timeout=30.0, wait_poll=1.0) as waiter:
        first = holder.cp.fenced_lock(name).lock()
        pending = waiter.cp.fenced_lock(name).lock_async()
        cluster.kill(cluster.leader())
        assert not pending.done()
        holder.cp.fenced_lock(name).unlock()
        assert pending.result(timeout=30) > first


CHILD = textwrap.dedent(
    """
    import sys
    import coterie
    client = coterie.Client(sys.argv[1].split(","), session_ttl=2.0)
    fence = client.cp.fenced_lock(sys.argv[2]).lock()
    print(fence, flush=True)
    sys.stdin.read()  # holds the lock until killed
    """
)


def test_a_lock_is_freed_when_its_holders_process_dies(cluster, client, name):
    child = subprocess.Popen(
        [sys.executable, "-c", CHILD, ",".join(cluster.endpoints), name],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
    )
    try:
        ready, _, _ = select.select([child.stdout], [], [], 30.0)
        assert ready, "the child did not take the lock within 30 s"
        line = child.stdout.readline()
        assert line.strip(), child.stderr.read().decode(errors="replace")
        child_fence = int(line)
        lock = client.cp.fenced_lock(name)
        assert lock.is_locked()
        assert lock.try_lock(timeout=0) is None
        child.kill()
        child.wait(timeout=10)
        # The child's session (TTL 2 s) expires without heartbeats; the cluster releases the lock.
        started = time.monotonic()
        fence = lock.try_lock(timeout=20.0)
        assert fence is not None and fence > child_fence
        assert time.monotonic() - started < 20.0
        lock.unlock()
    finally:
        if child.poll() is None:
            child.kill()
            child.wait(timeout=10)
        child.stdout.close()
        child.stderr.close()
        child.stdin.close()


class Stall:
    """Freezes a client's event loop (a process stalled: no heartbeats, no calls) until
    ``end()``, at most 60 s."""

    def __init__(self, client: coterie.Client):
        self._over = threading.Event()
        self._client = client
        client._portal.loop.call_soon_threadsafe(self._over.wait, 60.0)

    def end(self) -> None:
        self._over.set()
        self._client._portal.submit(asyncio.sleep(0)).result(timeout=30)  # the loop runs again


def test_lock_ownership_lost_when_the_session_expires(cluster, name):
    """A holder stalled past its session TTL gets LockOwnershipLost, not a silent success,
    and another client got the lock meanwhile."""
    with coterie.Client(cluster.endpoints, session_ttl=1.0, heartbeat_interval=0.3) as slow:
        lock = slow.cp.fenced_lock(name)
        fence = lock.lock()
        stalled = Stall(slow)
        with coterie.Client(cluster.endpoints) as other:
            # The session expires 1 s after the last heartbeat; the cluster frees the lock.
            taken = other.cp.fenced_lock(name).try_lock(timeout=20.0)
            assert taken is not None and taken > fence
            stalled.end()
            with pytest.raises(coterie.LockOwnershipLost):
                lock.unlock()
            assert not lock.is_locked_by_current_thread()
            other.cp.fenced_lock(name).unlock()


def test_permits_lost_with_an_expired_session_are_reported(cluster, name):
    with coterie.Client(cluster.endpoints, session_ttl=1.0, heartbeat_interval=0.3) as slow:
        semaphore = slow.cp.semaphore(name)
        semaphore.init(1)
        semaphore.acquire()
        stalled = Stall(slow)
        with coterie.Client(cluster.endpoints) as other:
            # The cluster releases the permit when the session expires.
            assert other.cp.semaphore(name).try_acquire(timeout=20.0) is True
            other.cp.semaphore(name).release()
        stalled.end()
        with pytest.raises(coterie.SessionExpired):
            semaphore.release()
        assert semaphore.try_acquire(timeout=0) is True  # a new session
        semaphore.release()
        assert semaphore.available_permits() == 1


def test_a_client_given_one_follower_follows_the_redirect_to_the_leader(cluster, name):
    leader = cluster.leader()
    follower = next(n for n in cluster.addresses if n != leader)
    with coterie.Client([cluster.addresses[follower]]) as c:
        assert c.cp.atomic_long(name).increment_and_get() == 1
        assert cluster.addresses[leader] in c._inner._core.endpoints
        # It asked not to be forwarded, so it learned the leader and goes there directly.
        assert cluster.addresses[leader] in c._inner._core._leaders.values()


def test_a_blocking_call_past_its_call_timeout_is_cancelled(cluster, name):
    """lock(call_timeout=...) that is not served in time raises WaitTimedOut, and its wait is
    cancelled in the group: the lock is not granted to it later."""
    with coterie.Client(cluster.endpoints) as holder, coterie.Client(cluster.endpoints, wait_poll=0.5) as waiter:
        holder.cp.fenced_lock(name).lock()
        with pytest.raises(coterie.WaitTimedOut):
            waiter.cp.fenced_lock(name).lock(call_timeout=1.0)
        with pytest.raises(coterie.WaitTimedOut):
            waiter.cp.semaphore(name + "-sem").acquire(call_timeout=1.0)
        holder.cp.fenced_lock(name).unlock()
        assert not holder.cp.fenced_lock(name).is_locked()
        assert waiter.cp.fenced_lock(name).try_lock(timeout=0) is not None


def test_heartbeats_keep_a_short_session_alive(cluster, name):
    """A holder with a 1 s session keeps its lock for 3 s and more: its heartbeats keep the
    session open (without them the other client would get the lock within the 3 s)."""
    with coterie.Client(cluster.endpoints, session_ttl=1.0) as holder, coterie.Client(cluster.endpoints) as other:
        lock = holder.cp.fenced_lock(name)
        fence = lock.lock()
        assert other.cp.fenced_lock(name).try_lock(timeout=3.0) is None
        assert lock.is_locked_by_current_thread()
        assert lock.get_fence() == fence
        lock.unlock()
