"""Seed 001's Hazelcast CP snippets and its four use cases, against a real cluster, with the
package's names (client.cp.atomic_long(...) for client.get_atomic_long(...))."""

from __future__ import annotations

import threading

import pytest

import coterie


def test_atomic_long_snippet(client, name):
    atomic_long = client.cp.atomic_long(name)
    atomic_long.set(0)
    assert atomic_long.increment_and_get() == 1
    assert atomic_long.decrement_and_get() == 0
    assert atomic_long.add_and_get(10) == 10
    assert atomic_long.get_and_add(5) == 10
    assert atomic_long.get() == 15
    assert atomic_long.compare_and_set(expected=15, update=20) is True
    assert atomic_long.compare_and_set(expected=15, update=30) is False
    future = atomic_long.increment_and_get_async()
    assert future.result() == 21
    assert atomic_long.get_and_increment() == 21
    assert atomic_long.get_and_decrement() == 22
    assert atomic_long.get_and_set(7) == 21
    assert atomic_long.compare_and_exchange(7, 8) == 7


def test_atomic_reference_snippet(client, name):
    atomic_ref = client.cp.atomic_reference(name)
    assert atomic_ref.is_null()
    atomic_ref.set({"timeout": 30, "retries": 3})
    assert atomic_ref.get() == {"timeout": 30, "retries": 3}
    old_config = {"timeout": 30, "retries": 3}
    new_config = {"timeout": 60, "retries": 5}
    assert atomic_ref.compare_and_set(old_config, new_config) is True
    assert atomic_ref.compare_and_set(old_config, new_config) is False
    previous = atomic_ref.get_and_set({"timeout": 90})
    assert previous == new_config
    assert atomic_ref.set_if_absent({"default": True}) is False
    assert atomic_ref.is_null() is False
    assert atomic_ref.contains({"timeout": 90})
    atomic_ref.clear()
    assert atomic_ref.is_null() is True
    assert atomic_ref.get() is None
    assert atomic_ref.set_if_absent({"default": True}) is True
    assert atomic_ref.get() == {"default": True}


def test_values_bytes_and_str_are_stored_as_they_are(client, name):
    raw = client.cp.atomic_reference(name, codec=coterie.RAW)
    raw.set(b"\x00\xffraw")
    assert raw.get() == b"\x00\xffraw"
    text = client.cp.atomic_reference(name, codec=coterie.TEXT)
    text.set("héllo")
    assert text.get() == "héllo"
    assert raw.get() == "héllo".encode()
    # The default JSON codec says what to do with bytes that are not JSON.
    with pytest.raises(coterie.CodecError, match="coterie.TEXT"):
        client.cp.atomic_reference(name).get()
    with pytest.raises(coterie.CodecError):
        raw.set(object())


def test_fenced_lock_snippet(client, name):
    lock = client.cp.fenced_lock(name)
    fence = lock.lock()
    try:
        assert fence > 0
        assert lock.is_locked()
        assert lock.is_locked_by_current_thread()
        assert lock.get_fence() == fence
    finally:
        lock.unlock()
    assert not lock.is_locked()

    fence = lock.try_lock(timeout=5.0)
    assert fence is not None
    try:
        # Reentrant: the same thread acquires again, with the same fence.
        assert lock.lock() == fence
        assert lock.get_lock_count() == 2
        lock.unlock()
    finally:
        lock.unlock()

    with lock as fence1:
        assert lock.is_locked_by_current_thread()
    with lock as fence2:
        assert fence2 > fence1  # fences strictly increase across holders
    assert not lock.is_locked()


def test_fenced_lock_excludes_other_threads(client, name):
    lock = client.cp.fenced_lock(name)
    got = {}
    with lock as fence:
        worker = threading.Thread(target=lambda: got.update(fence=lock.try_lock(timeout=0)))
        worker.start()
        worker.join(timeout=30)
        assert got == {"fence": None}  # another thread is another owner
        later = {}

        def wait_then_release():
            later["fence"] = lock.try_lock(timeout=20)
            lock.unlock()

        waiter = threading.Thread(target=wait_then_release)
        waiter.start()
    waiter.join(timeout=30)
    assert later["fence"] > fence
    with pytest.raises(coterie.NotOwner):
        lock.unlock()  # nobody holds it now
    assert not lock.is_locked()


def test_semaphore_snippet(client, name):
    semaphore = client.cp.semaphore(name)
    assert semaphore.init(10) is True
    assert semaphore.init(10) is False
    semaphore.acquire()
    semaphore.acquire(3)
    assert semaphore.available_permits() == 6
    assert semaphore.try_acquire() is True
    assert semaphore.try_acquire(2, timeout=5.0) is True
    assert semaphore.available_permits() == 3
    semaphore.release()
    semaphore.release(3)
    assert semaphore.available_permits() == 7
    assert semaphore.drain_permits() == 7
    assert semaphore.available_permits() == 0
    semaphore.increase_permits(5)
    semaphore.reduce_permits(2)
    assert semaphore.available_permits() == 3
    with pytest.raises(coterie.PermitsNotHeld):
        semaphore.release(100)


def test_count_down_latch_snippet(client, name):
    latch = client.cp.count_down_latch(name)
    assert latch.try_set_count(3) is True
    assert latch.try_set_count(3) is False
    assert latch.await_latch(timeout=0.2) is False
    assert latch.count_down() == 2
    assert latch.get_count() == 2
    latch.count_down()
    latch.count_down()
    assert latch.get_count() == 0
    assert latch.await_latch() is True
    assert latch.await_latch(timeout=30.0) is True


# --- The four use cases ------------------------------------------------------------------


def test_use_case_sequence_generator(client, name):
    def get_next_id() -> int:
        counter = client.cp.atomic_long(name)
        return counter.increment_and_get()

    ids = []
    threads = [threading.Thread(target=lambda: ids.extend(get_next_id() for _ in range(10))) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert sorted(ids) == list(range(1, 41))


def test_use_case_rate_limiter(client, name):
    def check_rate_limit(user_id: str, limit: int) -> bool:
        semaphore = client.cp.semaphore(f"rate-limit:{user_id}-{name}")
        if semaphore.available_permits() == 0:
            semaphore.init(limit)
        return semaphore.try_acquire(timeout=0)

    assert [check_rate_limit("alice", 3) for _ in range(5)] == [True, True, True, False, False]
    assert check_rate_limit("bob", 1) is True


def test_use_case_leader_election(client, cluster, name):
    def try_become_leader(c) -> bool:
        lock = c.cp.fenced_lock(name)
        fence = lock.try_lock(timeout=0)
        return fence is not None

    with coterie.Client(cluster.endpoints) as other:
        assert try_become_leader(client) is True
        assert try_become_leader(other) is False  # another client (another session)
        client.cp.fenced_lock(name).unlock()
        assert try_become_leader(other) is True
        other.cp.fenced_lock(name).unlock()

    worked = []

    def do_leader_work():
        lock = client.cp.fenced_lock(name)
        with lock:
            worked.append(lock.is_locked_by_current_thread())

    do_leader_work()
    assert worked == [True]


def test_use_case_distributed_barrier(cluster, name):
    participants = 3
    ready = []

    def distributed_barrier(participant_count: int):
        with coterie.Client(cluster.endpoints) as c:
            latch = c.cp.count_down_latch(name)
            latch.try_set_count(participant_count)
            latch.count_down()
            latch.await_latch(timeout=30)
            ready.append(latch.get_count())

    threads = [threading.Thread(target=distributed_barrier, args=(participants,)) for _ in range(participants)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert ready == [0, 0, 0]
