"""Recorded transcripts for the checks' unit tests: ``tests/transcripts/<scenario>.<sut>.jsonl``,
where ``<sut>`` is ``reference`` (a good run) or the defective variant of
``mocks/defects.json`` it was recorded on (a bad run); see tests/transcripts/README.md."""

from __future__ import annotations

import json
from pathlib import Path

from qrinterop.checks.record import Record, records

FOLDER = Path(__file__).resolve().parent.parent / "transcripts"
SUT = "10000001"        # reference institution A, the SUT of every recorded run
SWITCH = "90000000"


def transcript(name: str) -> list[Record]:
    """The records of a recorded transcript, as ``checks.record.records`` reads them."""
    lines = (FOLDER / f"{name}.jsonl").read_text(encoding="utf-8").splitlines()
    return records([json.loads(line) for line in lines])


def answers(recorded: list[Record], pco: str = "upper-tester") -> list:
    """What the SUT or a peer answered the harness (test-control calls, or the injector's
    messages with ``pco="injector"``), in order."""
    return [r.content for r in recorded if r.pco == pco and r.kind == "response"]


def document(name: str) -> dict:
    """A document a scenario kept (``files/`` of its run), such as a reconciliation file."""
    return json.loads((FOLDER / f"{name}.json").read_text(encoding="utf-8"))


def reported(recorded: list[Record]) -> list[dict]:
    """The transactions the test-control API reported (``status``), in order."""
    return [a for a in answers(recorded) if isinstance(a, dict) and "status" in a]


def order_of(recorded: list[Record], acquirer: str) -> str:
    """The orderNo of the purchase ``acquirer`` sent."""
    return next(r.body["orderNo"] for r in recorded
                if r.msg_type == "cpm.purchase.request" and r.sent_by(acquirer))
