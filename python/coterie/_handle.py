"""What every structure handle shares: its name, group, and the two kinds of calls.

A read is sent without a sequence number (it changes nothing, so a resend needs no
deduplication); a mutation takes the next number of the client's series for the group and
keeps it on every resend, which is what makes a retried mutation apply once.
"""

from __future__ import annotations

from typing import Any, Optional

from ._core import Core, group_of
from .codec import JSON, Codec


def fields(**values: Any) -> dict:
    """Request fields without the ``None`` ones (unset optional fields)."""
    return {k: v for k, v in values.items() if v is not None}


class Handle:
    """A named structure of one kind, in the CP group its name says (``name@group``)."""

    _service = ""

    def __init__(self, core: Core, name: str, codec: Optional[Codec] = None):
        if not isinstance(name, str) or not name:
            raise ValueError(f"a structure name is a non-empty str, not {name!r}")
        self._core = core
        self._name = name
        self._group = group_of(name)
        self._codec: Codec = codec if codec is not None else JSON

    @property
    def name(self) -> str:
        """The structure's name, as given."""
        return self._name

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self._name!r})"

    async def _read(self, method: str, request_type: Any, call_timeout: Optional[float], session: int = 0, **values: Any) -> Any:
        core = self._core
        call = core.header(self._name, key=self._group, session=session)
        request = request_type(call=call, **fields(**values))
        return await core.invoke(
            self._service, method, request, key=self._group, deadline=core.deadline(call_timeout), mutation=False
        )

    async def _write(
        self,
        method: str,
        request_type: Any,
        call_timeout: Optional[float],
        *,
        session: int = 0,
        parked: bool = False,
        deadline: Optional[float] = None,
        use_deadline: bool = False,
        **values: Any,
    ) -> Any:
        core = self._core
        if not use_deadline:
            deadline = core.deadline(call_timeout)
        if parked:
            return await self._send(method, request_type, core.next_seq(self._group), session, True, deadline, values)
        async with core.mutation_seq(self._group, deadline) as seq:
            return await self._send(method, request_type, seq, session, False, deadline, values)

    async def _send(self, method: str, request_type: Any, seq: int, session: int, parked: bool,
                    deadline: Optional[float], values: dict) -> Any:
        core = self._core
        call = core.header(self._name, key=self._group, seq=seq, session=session, keep_parked=parked)
        request = request_type(call=call, **fields(**values))
        return await core.invoke(
            self._service, method, request, key=self._group, deadline=deadline, mutation=True, parked=parked
        )
