"""A message as the point of observation logged it: typed, so that checks read
``record.body`` and ``record.sent_by(sut)`` instead of indexing raw dictionaries."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Record:
    """One message the simulated switch exchanged with a participant (around an SUT switch:
    one a simulated peer exchanged with it, told as the switch's log would tell it).

    ``direction``: ``in`` to the switch from ``peer``, ``out`` from the switch to ``peer``.
    ``message``: the envelope as it travelled (any JSON value: a participant may send
    garbage, which is logged as it came). ``deliberate``: spoilt on purpose by a programmed
    fault, so not held against its sender.
    """

    seq: int
    at: float
    direction: str
    peer: str
    msg_type: str
    message: Any = None
    leg: str | None = None
    note: str | None = None
    deliberate: bool = False

    @classmethod
    def of(cls, raw: dict) -> Record:
        """A record from the log's JSON (``/sim/records``)."""
        return cls(seq=raw.get("seq", 0), at=raw["at"], direction=raw["direction"],
                   peer=raw["peer"], msg_type=str(raw["msg_type"]), message=raw.get("message"),
                   leg=raw.get("leg"), note=raw.get("note"),
                   deliberate=bool(raw.get("deliberate")))

    @property
    def body(self) -> dict:
        """The message's body; ``{}`` for a message that has none (or is not an object)."""
        body = self.message.get("body") if isinstance(self.message, dict) else None
        return body if isinstance(body, dict) else {}

    @property
    def header(self) -> dict:
        header = self.message.get("header") if isinstance(self.message, dict) else None
        return header if isinstance(header, dict) else {}

    @property
    def is_request(self) -> bool:
        return self.msg_type.endswith(".request")

    def sent_by(self, party: str) -> bool:
        """``party`` sent it to the switch."""
        return self.direction == "in" and self.peer == party

    def sent_to(self, party: str) -> bool:
        """The switch sent it to ``party``."""
        return self.direction == "out" and self.peer == party

    def with_(self, party: str) -> bool:
        """Exchanged between the switch and ``party``, either way."""
        return self.peer == party

    def about(self, **fields: object) -> bool:
        """Every one of ``fields`` has that value in the body."""
        return all(self.body.get(key) == value for key, value in fields.items())
