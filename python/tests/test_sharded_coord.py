"""The sharded Lock, Semaphore, Barrier and Queue against the test cluster: FIFO grants with
increasing fences, releases by a non-holder, permits and leases, barrier rounds, a
mismatched party count and timed-out arrivals, blocking takes, capacities, and waits that
outlast the client's call timeout. Every wait is bounded; parked calls are observed (a
``still_waiting`` answer, a barrier's ``waiting`` count), never waited for with a sleep."""

from __future__ import annotations

import asyncio
import os
import time

import grpc
import pytest

import coterie
from coterie import _core
from coterie.aio import AsyncClient
from coterie.v1 import coterie_pb2 as pb
from coterie.v1 import coterie_pb2_grpc as pb_grpc

BOUND = 60.0


async def eventually(what, condition, timeout=BOUND):
    """Until ``await condition()`` is true, at most ``timeout`` seconds (a bounded poll)."""
    deadline = time.monotonic() + timeout
    while not await condition():
        assert time.monotonic() < deadline, f"not within {timeout}s: {what}"
        await asyncio.sleep(0.02)


def park_raw(address, name, shards, owner):
    """Sends a LockService.Acquire for ``owner`` (from a client id of its own) with
    keep_parked and a 300 ms attempt; asserts the owner answered still_waiting (parked)."""
    call = pb.Call(name=name, sharded=pb.ShardedTarget(shards=shards), seq=1, client_id=os.urandom(16),
                   keep_parked=True)
    with grpc.insecure_channel(address) as channel:
        with pytest.raises(grpc.RpcError) as parked:
            pb_grpc.LockServiceStub(channel).Acquire(pb.LockAcquireRequest(call=call, owner=owner), timeout=0.3)
    detail = _core.decode_detail(parked.value)
    assert detail is not None and detail.code == "still_waiting", parked.value


def test_lock_grants_in_fifo_order_with_increasing_fences(cluster, name):
    async def main():
        async with AsyncClient(cluster.endpoints) as client:
            d = client.distributed()
            first, second, third = (d.lock(name, shards=10) for _ in range(3))
            assert len({first.owner, second.owner, third.owner}) == 3, "every handle is its own owner"
            f1 = await first.acquire()
            # The second and then the third owner wait, parked in that order (seen answered
            # still_waiting); they are this test's handles' owners, so those handles hold the
            # grants.
            park_raw(cluster.endpoints[0], name, 10, second.owner)
            park_raw(cluster.endpoints[1], name, 10, third.owner)
            assert await first.try_acquire() is True and first.fence == f1, "the holder's acquire answers its fence"
            # A release by a handle that does not hold it answers False and changes nothing.
            assert await third.release() is False
            assert await first.holder() == (first.owner, f1)

            assert await first.release() is True
            holder = await first.holder()
            assert holder is not None and holder[0] == second.owner, "FIFO: the first waiter is granted first"
            f2 = holder[1]
            assert f2 > f1
            assert await first.release() is False, "not the holder any more"
            assert await second.release() is True
            holder = await first.holder()
            assert holder is not None and holder[0] == third.owner and holder[1] > f2
            assert await third.release() is True
            assert await first.is_locked() is False

            # A waiting acquire through this package: granted on release, whichever of the
            # acquire and the release reaches the owner first.
            f3 = await first.acquire()
            waiting = asyncio.create_task(second.acquire())
            assert await first.release() is True
            f4 = await asyncio.wait_for(waiting, BOUND)
            assert f4 > f3 and second.fence == f4
            assert await second.release() is True
            async with first as f5:
                assert await first.holder() == (first.owner, f5)
            assert f5 > f4 and first.fence is None
            assert await first.is_locked() is False

    asyncio.run(main())


def test_an_abandoned_acquire_gives_its_grant_back(cluster, name):
    async def main():
        async with AsyncClient(cluster.endpoints) as client:
            d = client.distributed()
            holder, quitter = d.lock(name), d.lock(name)
            await holder.acquire()
            waiting = asyncio.create_task(quitter.acquire())
            await asyncio.sleep(0)  # lets the task start its wait, which cancelling it does not stop
            waiting.cancel()
            with pytest.raises(asyncio.CancelledError):
                await waiting
            assert len(quitter._follow_ups) == 1, "the abandoned wait is followed up"
            assert await holder.release() is True
            # The abandoned wait is granted now, and given back in the background.
            await asyncio.wait_for(quitter._settled(), BOUND)
            assert await holder.is_locked() is False
            assert await holder.try_acquire() is True
            assert await holder.release() is True

    asyncio.run(main())


def test_lock_lease_and_waits_that_outlast_the_call_timeout(cluster, name):
    async def main():
        async with AsyncClient(cluster.endpoints, call_timeout=0.5, wait_poll=0.4) as client:
            d = client.distributed()
            holder, waiter = d.lock(name), d.lock(name)
            await holder.acquire()
            # Waits 2 s, past the 0.5 s call timeout and over several 0.4 s attempts: the
            # owner's own answer (not acquired) ends it, not the client's timeout.
            started = time.monotonic()
            assert await waiter.try_acquire(timeout=2.0) is False
            assert time.monotonic() - started >= 1.9
            assert await holder.release() is True
            # A lease frees a holder that never releases: the waiter gets the lock after it.
            leased = await holder.acquire(lease=0.3)
            assert await waiter.try_acquire(timeout=30) is True
            assert waiter.fence > leased
            assert await holder.release() is False, "its lease ended: not the holder"
            assert await waiter.release() is True

    asyncio.run(main())


def test_semaphore_permits(client, name):
    d = client.distributed()
    a, b = d.semaphore(name, permits=2), d.semaphore(name, permits=2)
    assert a.create() is True
    assert b.create() is False, "it exists with the same permits"
    a.acquire()
    a.acquire()
    assert a.held() == 2 and b.held() == 0
    assert a.available() == 0
    assert b.try_acquire() is False
    assert b.release() is False, "b holds no permit"
    assert a.release() is True
    assert a.available() == 1 and a.held() == 1
    assert b.try_acquire() is True
    assert b.available() == 0
    # A waiting acquire is granted the permit a release frees.
    waiting = b.try_acquire_async(timeout=30)
    assert a.release() is True
    assert waiting.result(timeout=BOUND) is True
    assert b.held() == 2 and a.held() == 0
    with pytest.raises(coterie.ConfigConflict):
        d.semaphore(name, permits=3).available()
    with pytest.raises(ValueError, match="permits"):
        d.semaphore(name, permits=0)
    assert b.release() is True and b.release() is True and b.release() is False
    # A leased permit comes back when its lease ends.
    one = d.semaphore(name + "-leased", permits=1)
    one.acquire(lease=0.3)
    other = d.semaphore(name + "-leased", permits=1)
    assert other.try_acquire(timeout=30) is True
    assert one.held() == 0 and other.held() == 1


def test_barrier_releases_together_and_refuses_a_mismatch(cluster, name):
    async def main():
        async with AsyncClient(cluster.endpoints) as client:
            d = client.distributed()
            barrier = d.barrier(name)
            first = asyncio.create_task(barrier.arrive(expected=2))
            await eventually("the first arrival parks", lambda: _waiting_is(barrier, 1))
            with pytest.raises(coterie.BarrierMismatch) as mismatch:
                await barrier.arrive(expected=3)
            assert "expects 2 parties but this arrival said 3" in mismatch.value.message
            assert await barrier.waiting() == 1, "the refused arrival does not count"
            assert await barrier.arrive(expected=2) == 0
            assert await asyncio.wait_for(first, BOUND) == 0
            assert await barrier.round() == 1 and await barrier.waiting() == 0

            # A timed arrival nobody joins is withdrawn; the next round may pick another count.
            with pytest.raises(coterie.BarrierTimedOut) as late:
                await barrier.arrive(expected=2, timeout=0.3)
            assert isinstance(late.value, coterie.WaitTimedOut)
            assert late.value.metadata["expected"] == "2"
            assert await barrier.waiting() == 0
            with pytest.raises(coterie.BarrierTimedOut):
                await barrier.arrive(expected=2, timeout=0)
            assert await barrier.arrive(expected=1) == 1
            assert await barrier.round() == 2
            with pytest.raises(ValueError, match="expected"):
                await barrier.arrive(expected=0)

    asyncio.run(main())


async def _waiting_is(barrier, n) -> bool:
    return await barrier.waiting() == n


def test_queue_take_and_capacity(cluster, name):
    async def main():
        async with AsyncClient(cluster.endpoints, call_timeout=0.5, wait_poll=0.4) as client:
            d = client.distributed()
            jobs = d.queue(name, codec=coterie.TEXT)
            # An empty queue's timed take answers None at its timeout, past the call timeout.
            started = time.monotonic()
            assert await jobs.take(timeout=1.5) is None
            assert time.monotonic() - started >= 1.4
            assert await jobs.take(timeout=0) is None
            # A waiting take gets the item enqueued through another handle.
            taking = asyncio.create_task(jobs.take(timeout=30))
            await d.queue(name).enqueue("late")
            assert await asyncio.wait_for(taking, BOUND) == "late"
            for item in ("a", "b", "c"):
                await jobs.enqueue(item)
            assert await jobs.size() == 3
            assert await jobs.take(timeout=5) == "a"
            assert await jobs.drain(5) == ["b", "c"]
            await jobs.enqueue("d")
            assert await jobs.clear() == 1
            with pytest.raises(ValueError, match="timeout"):
                await jobs.take(timeout=-1)

            bounded = d.queue(name + "-bounded", capacity=1, codec=coterie.TEXT)
            assert await bounded.create() is True
            await bounded.enqueue("only")
            with pytest.raises(coterie.QueueFull):
                await bounded.enqueue("one too many")
            assert await bounded.dequeue() == "only"
            # A name first used unbounded cannot be made bounded.
            with pytest.raises(coterie.ConfigConflict):
                await d.queue(name, capacity=5).enqueue("x")

    asyncio.run(main())


def test_blocking_face_waits_and_errors(client, name):
    d = client.distributed()
    jobs = d.queue(name + "-q", codec=coterie.TEXT)
    assert jobs.take(0.2) is None
    taking = jobs.take_async(30)
    d.queue(name + "-q").enqueue("job")
    assert taking.result(timeout=BOUND) == "job"

    barrier = d.barrier(name + "-b")
    first = barrier.arrive_async(2)
    deadline = time.monotonic() + BOUND
    while barrier.waiting() != 1:  # a bounded poll until the first arrival is parked
        assert time.monotonic() < deadline, "the first arrival never parked"
        time.sleep(0.02)
    with pytest.raises(coterie.BarrierMismatch):
        barrier.arrive(5)
    assert barrier.arrive(2) == 0
    assert first.result(timeout=BOUND) == 0
    with pytest.raises(coterie.BarrierTimedOut, match="withdrawn"):
        barrier.arrive(2, timeout=0.2)

    lock, other = d.lock(name + "-l"), d.lock(name + "-l")
    with lock as fence:
        assert other.release() is False
        assert other.try_acquire(timeout=0.2) is False
        assert lock.holder() == (lock.owner, fence)
    assert lock.fence is None and lock.is_locked() is False
    assert other.try_acquire() is True and other.fence > fence
    assert other.release() is True
