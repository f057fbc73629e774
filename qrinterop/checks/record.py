"""A message as it was observed, typed, so that checks read ``record.body`` and
``record.sent_by(sut)`` instead of indexing raw dictionaries.

One type for both places a record comes from: a line of a scenario's transcript
(``transcripts/<scenario>.jsonl`` in a bundle: ``from``/``to``), and an entry of a
simulator's message log read while the scenario runs (``/sim/records``: ``direction``/
``peer``). So a check runs alike on what a scenario sees now and on a bundle's recorded
transcripts, which is how its unit tests feed it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Record:
    """One hop: ``sender`` sent ``content`` to ``receiver``.

    ``pco``: where it was observed (``switch``, ``peer``: a simulated institution around an
    SUT switch, ``upper-tester``, ``injector``). ``content``: the message as it travelled (any
    JSON value: a participant may send garbage, logged as it came). ``deliberate``: spoilt on
    purpose by a programmed fault, so not held against its sender. ``n``: its number in the
    transcript (0 while the scenario runs).
    """

    at: float
    sender: str | None
    receiver: str | None
    msg_type: str | None = None
    content: Any = None
    kind: str | None = None
    leg: str | None = None
    note: str | None = None
    deliberate: bool = False
    pco: str = "switch"
    n: int = 0

    @classmethod
    def of(cls, raw: dict) -> Record:
        """A record from a transcript line."""
        return cls(at=raw["at"], sender=raw.get("from"), receiver=raw.get("to"),
                   msg_type=raw.get("msg_type"), content=raw.get("content"),
                   kind=raw.get("kind"), leg=raw.get("leg"), note=raw.get("note"),
                   deliberate=bool(raw.get("deliberate")), pco=raw.get("pco", "switch"),
                   n=raw.get("n", 0))

    @classmethod
    def from_log(cls, raw: dict, switch: str, pco: str = "switch") -> Record:
        """A record from a simulator's message log (``/sim/records``): ``direction`` ``in``
        is from ``peer`` to the switch, ``out`` from the switch to ``peer``."""
        inbound = raw["direction"] == "in"
        msg_type = raw["msg_type"]      # None (not "None") for a message with no type
        return cls(at=raw["at"], sender=raw["peer"] if inbound else switch,
                   receiver=switch if inbound else raw["peer"], msg_type=msg_type,
                   content=raw.get("message"),
                   kind="request" if str(msg_type).endswith(".request") else "response",
                   leg=raw.get("leg"), note=raw.get("note"),
                   deliberate=bool(raw.get("deliberate")), pco=pco)

    @property
    def body(self) -> dict:
        """The message's body; ``{}`` for a message that has none (or is not an object)."""
        body = self.content.get("body") if isinstance(self.content, dict) else None
        return body if isinstance(body, dict) else {}

    @property
    def is_message(self) -> bool:
        """A message of the interconnection interface (not a test-control call)."""
        return self.leg is not None

    def sent_by(self, party: str) -> bool:
        return self.sender == party

    def sent_to(self, party: str) -> bool:
        return self.receiver == party

    def involves(self, party: str) -> bool:
        return party in (self.sender, self.receiver)

    def about(self, **fields: object) -> bool:
        """Every one of ``fields`` has that value in the body."""
        return all(self.body.get(key) == value for key, value in fields.items())


def records(raw: list[dict]) -> list[Record]:
    """A transcript's lines (``Transcript.write``'s, or a bundle's ``.jsonl`` read back)."""
    return [Record.of(line) for line in raw]
