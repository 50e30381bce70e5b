"""Every error code of the proto's ErrorDetail table is an exception of the package, or one
the package's retry loop handles (leader redirects, retryable unavailability); and the
codecs keep bytes and str as they are. No cluster needed."""

from __future__ import annotations

import asyncio
import re
import time
from pathlib import Path

import pytest

import coterie
from coterie import _core, errors
from coterie.codec import JSON, RAW, TEXT, encode

PROTO = Path(__file__).resolve().parents[2] / "proto" / "coterie" / "v1" / "coterie.proto"
HANDLED_BY_RETRIES = {"not_leader", "still_waiting"} | _core._RETRY


def proto_codes():
    text = PROTO.read_text()
    table = text[text.index("// Codes, with the gRPC status code"):text.index("// `invalid_argument`, `invalid_name`")]
    return re.findall(r"^//   ([a-z_]+)\s+[A-Z_]+\s", table, re.M)


def test_the_proto_table_is_read():
    codes = proto_codes()
    assert "invalid_argument" in codes and "quorum_not_met" in codes and len(codes) > 30


@pytest.mark.parametrize("code", proto_codes())
def test_every_error_code_has_an_exception_or_a_retry(code):
    if code in HANDLED_BY_RETRIES:
        return
    err = errors.error_for(code, "message", {"reason": "r"})
    assert type(err) is not errors.CoterieError, f"no exception class for {code}"
    assert err.code == code and err.reason == "r"
    camel = "".join(part.capitalize() for part in code.split("_"))
    assert type(err).__name__ == camel
    assert getattr(coterie, camel) is type(err)


def test_an_unknown_code_is_kept():
    err = errors.error_for("from_a_newer_server", "text")
    assert type(err) is errors.CoterieError and err.code == "from_a_newer_server"


def test_lock_ownership_lost_is_a_session_expired():
    assert issubclass(coterie.LockOwnershipLost, coterie.SessionExpired)


def test_values():
    assert encode(JSON, b"\x00\x01") == b"\x00\x01"
    assert encode(JSON, "héllo") == "héllo".encode()
    assert encode(JSON, {"b": 1, "a": [1, None]}) == b'{"a":[1,null],"b":1}'  # sorted: equal dicts, equal bytes
    assert JSON.decode(b'{"a":1}') == {"a": 1}
    assert RAW.decode(b"x") == b"x" and TEXT.decode(b"x") == "x"
    with pytest.raises(coterie.CodecError):
        encode(RAW, 5)
    with pytest.raises(coterie.CodecError):
        encode(JSON, object())
    assert not hasattr(coterie, "PICKLE")


def test_mutations_never_run_a_window_ahead_of_the_oldest_unanswered():
    """The 193rd mutation waits while the 1st is unanswered (its answer must stay in the
    group's record of 256), and goes once the 1st ends; a deadline bounds the wait."""

    async def main():
        series = _core._Series()
        first = await series.tracked(None)
        for _ in range(_core.SEQ_SPAN - 2):
            await series.release(await series.tracked(None))
        # Still room: 191 numbers past the oldest pending one.
        late = await series.tracked(None)
        assert late - first == _core.SEQ_SPAN - 1
        await series.release(late)
        with pytest.raises(coterie.Unavailable, match="nothing was sent"):
            await series.tracked(time.monotonic() + 0.05)
        waiting = asyncio.ensure_future(series.tracked(None))
        await asyncio.sleep(0)
        assert not waiting.done()
        await series.release(first)
        assert await asyncio.wait_for(waiting, 5) == late + 1

    asyncio.run(main())
