"""Sharded structures, the object store, errors by name, and the asyncio API."""

from __future__ import annotations

import asyncio
import time

import pytest

import coterie
from coterie.aio import AsyncClient


def test_sharded_counter(client, name):
    counter = client.distributed().counter(name, shards=50)
    assert counter.get() == 0
    assert counter.increment(100) == 100
    assert counter.increment() == 101
    assert counter.decrement(1) == 100
    assert counter.get() == 100


def test_sharded_map_single_key_operations(client, name):
    m = client.distributed().map(name, shards=8)
    assert m.put("alice", {"visits": 1}) is None
    assert m.put("alice", {"visits": 2}) == {"visits": 1}
    assert m.get("alice") == {"visits": 2}
    assert m.get("nobody") is None
    assert m.contains_key("alice")
    assert m.put_if_absent("alice", {"visits": 9}) == {"visits": 2}
    assert m.put_if_absent("bob", {"visits": 1}) is None
    assert m.replace("carol", 1) is None
    assert m.replace("bob", {"visits": 3}) == {"visits": 1}
    assert m.compare_and_set("bob", {"visits": 3}, {"visits": 4}) is True
    assert m.compare_and_set("bob", {"visits": 3}, {"visits": 5}) is False
    assert m.delete("bob") is True
    assert m.delete("bob") is False
    assert m.contains("alice") is True and m.contains("bob") is False
    assert m.size() == 1
    assert m.keys() == ["alice"]
    assert m.entries() == [("alice", {"visits": 2})]
    assert m.clear() == 1
    assert m.size() == 0 and m.keys() == [] and m.get("alice") is None
    with pytest.raises(coterie.CodecError, match="key_codec=coterie.JSON"):
        m.put(5, "five")
    numbers = client.distributed().map(name + "-n", shards=8, key_codec=coterie.JSON, codec=coterie.TEXT)
    assert numbers.put(5, "five") is None
    assert numbers.entries() == [(5, "five")]


def test_sharded_set(client, name):
    s = client.distributed().set(name)
    assert s.add("a") is True
    assert s.add("a") is False
    assert s.contains("a")
    assert s.remove("a") is True
    assert not s.contains("a")
    assert s.size() == 0 and s.members() == []
    for item in ([1, 2], {"k": "v"}, 3):
        assert s.add(item) is True
    assert s.size() == 3
    assert sorted(s.members(), key=repr) == sorted([[1, 2], {"k": "v"}, 3], key=repr)
    assert s.clear() == 3
    assert s.size() == 0


def test_bucket_conditional_writes(client, name):
    bucket = client.bucket(name)
    held = bucket.put("locks/job", b"me", if_none_match="*", ttl=30)
    assert held.size == 2 and held.expires_at_ms is not None
    with pytest.raises(coterie.AlreadyExists):
        bucket.put("locks/job", b"you", if_none_match="*")
    doc = bucket.put("config.json", {"v": 1}, content_type="application/json", attributes={"owner": "ops"})
    got = bucket.get("config.json")
    assert got.value() == {"v": 1} and got.info.etag == doc.etag
    assert got.info.content_type == "application/json" and got.info.attributes == {"owner": "ops"}
    with pytest.raises(coterie.NotModified):
        bucket.get("config.json", if_none_match=doc.etag)
    updated = bucket.put("config.json", {"v": 2}, if_match=doc.etag)
    with pytest.raises(coterie.PreconditionFailed) as refused:
        bucket.put("config.json", {"v": 3}, if_match=doc.etag)
    assert refused.value.reason == "etag_mismatch"
    assert bucket.head("config.json").etag == updated.etag
    assert bucket.get("config.json", byte_range=(0, 4)).data == b'{"v"'
    assert bucket.get("config.json", suffix=2).data == b"2}"
    big = bytes(range(256)) * 12000  # 3 MiB: several stream messages
    bucket.put("big.bin", big)
    assert bucket.get("big.bin").data == big
    copied = bucket.copy("config.json", "backup/config.json", if_not_exists=True)
    assert copied.key == "backup/config.json"
    with pytest.raises(coterie.AlreadyExists):
        bucket.copy("config.json", "backup/config.json", if_not_exists=True)
    bucket.rename("backup/config.json", "backup/final.json")
    page = bucket.list("", delimiter="/")
    assert [o.key for o in page.objects] == ["big.bin", "config.json"]
    assert page.common_prefixes == ["backup/", "locks/"]
    assert [o.key for o in bucket.list_all("backup/")] == ["backup/final.json"]
    with pytest.raises(coterie.PreconditionFailed):
        bucket.delete("config.json", if_match=doc.etag)
    assert bucket.delete("config.json", if_match=updated.etag) is True
    assert bucket.delete("config.json") is False
    with pytest.raises(coterie.ObjectNotFound):
        bucket.get("config.json")


def test_errors_are_named_after_the_error_codes(client, name):
    client.cp.atomic_long(name).set(1)
    with pytest.raises(coterie.WrongKind) as wrong:
        client.cp.fenced_lock(name).lock()
    assert wrong.value.code == "wrong_kind" and wrong.value.metadata["expected"]
    big = client.cp.atomic_long(name + "-big")
    big.set(2**63 - 1)
    with pytest.raises(coterie.Overflow):
        big.increment_and_get()
    with pytest.raises(coterie.InvalidName):
        client.cp.atomic_long("x" * 5000).get()
    lock = client.cp.fenced_lock(name + "-lock")
    with pytest.raises(coterie.NotOwner) as not_owner:
        lock.unlock()
    assert not_owner.value.reason == "not_held"


def test_unreachable_cluster_is_unavailable_within_the_call_timeout():
    with coterie.Client(["127.0.0.1:1"], call_timeout=0.5) as c:
        with pytest.raises(coterie.Unavailable, match="nothing was applied"):
            c.cp.atomic_long("x").get()
        # A connection never made delivered nothing: a mutation is Unavailable too.
        with pytest.raises(coterie.Unavailable):
            c.cp.atomic_long("x").increment_and_get(call_timeout=0.3)


def test_asyncio_api(cluster, name):
    async def main():
        async with AsyncClient(cluster.endpoints) as client:
            seq = client.cp.atomic_long(name)
            values = await asyncio.gather(*(seq.increment_and_get() for _ in range(20)))
            assert sorted(values) == list(range(1, 21))
            lock = client.cp.fenced_lock(name + "-lock")
            async with lock as fence:
                assert await lock.is_locked_by_current_thread()
                # Another task is another owner.
                assert await asyncio.create_task(lock.try_lock(timeout=0)) is None
            assert (await lock.try_lock()) > fence
            await lock.unlock()
            latch = client.cp.count_down_latch(name + "-latch")
            await latch.try_set_count(2)
            waiting = asyncio.create_task(latch.await_latch(timeout=30))
            await latch.count_down()
            await latch.count_down()
            assert await waiting is True
            assert await client.distributed().counter(name).increment(5) == 5
            info = await client.bucket(name + "-b").put("k", "v", if_none_match="*")
            assert (await client.bucket(name + "-b", codec=coterie.TEXT).get("k")).value() == "v"
            assert info.version >= 1

    asyncio.run(main())


def test_a_sharded_handle_timeout_bounds_its_calls():
    """Seed 000's per-structure ``timeout``: it bounds the handle's calls instead of the
    client's (long) call_timeout; a call's own call_timeout still wins."""
    with coterie.Client(["127.0.0.1:1"], call_timeout=60.0) as c:
        views = c.distributed().counter("views", timeout=0.3)
        assert views.timeout == 0.3
        started = time.monotonic()
        with pytest.raises(coterie.Unavailable, match="nothing was applied"):
            views.get()
        assert time.monotonic() - started < 5
        jobs = c.distributed().queue("jobs", timeout=30)
        started = time.monotonic()
        with pytest.raises(coterie.Unavailable):
            jobs.size(call_timeout=0.3)
        assert time.monotonic() - started < 5
        with pytest.raises(ValueError, match="timeout is more than zero"):
            c.distributed().lock("deploy", timeout=0)
