"""Seed 000's walkthrough of the sharded structures (counter, map, set, queue, lock,
semaphore, barrier), through the asyncio API and through the blocking one, against the
test cluster; and the paged listings of a sharded Map and Set over more items than a page."""

from __future__ import annotations

import asyncio
import concurrent.futures

import pytest

import coterie
from coterie.aio import AsyncClient


def test_seed000_walkthrough_asyncio(cluster, name):
    async def main():
        async with AsyncClient(cluster.endpoints) as client:
            d = client.distributed()

            views = d.counter(name + "-page-views", shards=50)
            assert await views.increment(100) == 100
            assert await views.decrement(10) == 90
            assert await views.get() == 90

            users = d.map(name + "-users", shards=50)
            alice = {"name": "Alice", "email": "alice@example.com"}
            assert await users.put("alice", alice) is None
            assert await users.get("alice") == alice
            assert await users.contains("alice") is True
            assert await users.delete("alice") is True
            assert await users.delete("alice") is False

            tags = d.set(name + "-active-tags", shards=50, codec=coterie.TEXT)
            assert await tags.add("python") is True
            assert await tags.add("python") is False
            assert await tags.size() == 1
            assert await tags.members() == ["python"]

            jobs = d.queue(name + "-work-queue", shards=50, codec=coterie.TEXT)
            await jobs.enqueue("task-1")
            assert await jobs.peek() == "task-1"
            assert await jobs.dequeue() == "task-1"
            assert await jobs.dequeue() is None

            lock = d.lock(name + "-deploy-lock", shards=10)
            fence = await lock.acquire()
            assert lock.fence == fence
            assert await lock.holder() == (lock.owner, fence)
            assert await lock.release() is True
            assert lock.fence is None
            assert await lock.try_acquire() is True
            assert lock.fence > fence
            # Another handle is another owner: the lock is held.
            assert await d.lock(name + "-deploy-lock", shards=10).try_acquire() is False
            assert await lock.release() is True

            sem = d.semaphore(name + "-db-pool", permits=5, shards=10)
            await sem.acquire()
            assert await sem.available() == 4
            assert await sem.held() == 1
            assert await sem.release() is True
            assert await sem.available() == 5

            barrier = d.barrier(name + "-phase-1")
            rounds = await asyncio.wait_for(
                asyncio.gather(*(d.barrier(name + "-phase-1").arrive(expected=3) for _ in range(2)),
                               barrier.arrive(expected=3)),
                timeout=60,
            )
            assert rounds == [0, 0, 0]
            assert await barrier.round() == 1

    asyncio.run(main())


def test_seed000_walkthrough_blocking(cluster, name):
    with coterie.Client(cluster.endpoints) as client:
        d = client.distributed()

        views = d.counter(name + "-page-views", shards=50)
        assert views.increment(100) == 100
        assert views.decrement(10) == 90
        assert views.get() == 90

        users = d.map(name + "-users", shards=50)
        assert users.put("alice", {"name": "Alice"}) is None
        assert users.get("alice") == {"name": "Alice"}
        assert users.contains("alice") is True
        assert users.delete("alice") is True

        tags = d.set(name + "-active-tags", shards=50, codec=coterie.TEXT)
        assert tags.add("python") is True
        assert tags.add("python") is False
        assert tags.size() == 1

        jobs = d.queue(name + "-work-queue", shards=50, codec=coterie.TEXT)
        jobs.enqueue("task-1")
        assert jobs.peek() == "task-1"
        assert jobs.dequeue() == "task-1"
        assert jobs.dequeue() is None

        lock = d.lock(name + "-deploy-lock", shards=10)
        with lock as fence:
            assert lock.fence == fence
            assert lock.holder() == (lock.owner, fence)
            assert d.lock(name + "-deploy-lock", shards=10).try_acquire() is False
        assert lock.is_locked() is False
        assert lock.try_acquire() is True
        assert lock.fence > fence
        assert lock.release() is True
        assert lock.release() is False

        sem = d.semaphore(name + "-db-pool", permits=5, shards=10)
        with sem:
            assert sem.available() == 4
        assert sem.available() == 5
        sem.acquire()
        assert sem.release() is True

        # Three arrivals from this thread, as futures (the `_async` variants): released together.
        barrier = d.barrier(name + "-phase-1")
        arrivals = [d.barrier(name + "-phase-1").arrive_async(expected=3) for _ in range(3)]
        done, pending = concurrent.futures.wait(arrivals, timeout=60)
        assert not pending
        assert [f.result() for f in arrivals] == [0, 0, 0]
        assert barrier.round() == 1


def test_map_listing_over_more_items_than_a_page(cluster, name):
    total = 1234

    async def main():
        async with AsyncClient(cluster.endpoints) as client:
            m = client.distributed().map(name, shards=16)
            await asyncio.gather(*(m.put(f"k{i:04}", i) for i in range(total)))
            assert await m.size() == total

            # Page by page, 100 at a time: every key exactly once, pages never over the limit.
            seen, cursor, pages = [], None, 0
            while True:
                page = await m.keys_page(cursor, limit=100)
                assert len(page.items) <= 100
                seen.extend(page.items)
                pages += 1
                assert pages <= total, "the listing never ended"
                if page.complete:
                    break
                assert page.next_cursor is not None
                cursor = page.next_cursor
            assert pages >= 13
            assert len(seen) == total and set(seen) == {f"k{i:04}" for i in range(total)}

            # Gathered whole, with the default page (1000: two pages at least) and a small one.
            assert sorted(await m.keys()) == sorted(seen)
            entries = await m.entries(page_size=250)
            assert len(entries) == total and dict(entries) == {f"k{i:04}": i for i in range(total)}
            first = await m.entries_page(limit=7)
            assert len(first.items) <= 7 and first.next_cursor is not None

            with pytest.raises(coterie.InvalidArgument) as too_big:
                await m.keys_page(limit=10001)
            assert too_big.value.reason == "page_limit"
            with pytest.raises(ValueError, match="cursor is the bytes"):
                await m.keys_page("not-a-cursor")

            assert await m.clear() == total
            assert await m.size() == 0
            assert await m.keys() == []
            empty = await m.keys_page()
            assert empty.items == [] and empty.complete

    asyncio.run(main())


def test_set_listing_over_more_items_than_a_page(client, name):
    s = client.distributed().set(name, shards=8)
    futures = [s.add_async(i) for i in range(300)]
    assert all(f.result(timeout=60) is True for f in futures)
    assert s.size() == 300
    page = s.members_page(limit=50)
    assert len(page.items) <= 50 and not page.complete
    rest = s.members_page(page.next_cursor, limit=1000)
    members = s.members(page_size=64)
    assert sorted(members) == list(range(300))
    assert set(page.items) | set(rest.items) <= set(range(300))
    assert s.clear() == 300
    assert s.members() == []
