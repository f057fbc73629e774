"""The wire form of a scenario's messages, for report.html.

A message that travelled in a binding other than the profile's JSON envelope (UnionPay QRC's
form) is kept in the transcript as both: the abstract message the checks judged, and
``wire`` (``fields`` and ``text``, as sent). A reviewer reads the second beside the first:
the form's text, then its fields one per line, each base64 ``{k=v}`` sub-structure shown
decoded beside its value. A JSON message is its own wire and is shown as before.

The transcripts on disk are already masked (R-SEC-06), and so is what is shown from them.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from qrinterop.protocol.bindings import qrc

#: What of a transcript record a hop shows (its content shown as abstract and wire).
HOP_KEYS = ("n", "time", "from", "to", "msg_type", "content")
#: The most hops a scenario shows (a replay scenario sends dozens; each takes some 4 KB of
#: the page, which must stay readable for a whole run): the transcript holds them all.
MOST_HOPS = 24


def abstract(content: object) -> object:
    """The message without its ``wire``: what the checks judged."""
    if isinstance(content, Mapping) and "wire" in content:
        return {key: value for key, value in content.items() if key != "wire"}
    return content


def wire_view(content: object) -> dict[str, Any] | None:
    """How ``content`` (a message) travelled, ready to show: its binding, its text and its
    fields in the order sent, each with its sub-structure's members when it is one; None for
    a message that is its own wire (JSON) or no message."""
    wire = content.get("wire") if isinstance(content, Mapping) else None
    if not isinstance(wire, Mapping) or not isinstance(wire.get("fields"), Mapping):
        return None
    fields = [{"name": str(name), "value": str(value),
               "members": qrc.parse_sub_structure(str(value)) or None}
              for name, value in wire["fields"].items()]
    text = wire.get("text")
    return {"binding": str(wire.get("binding", "")), "fields": fields,
            "text": text if isinstance(text, str) else None}


def scenario_hops(report: Mapping[str, Any], run_dir: Path) -> dict[str, list[dict]]:
    """By scenario, the messages of its transcript that travelled in a wire form of their
    own (none for a JSON run), as the report's failure messages are: n, time, from, to,
    msg_type, content; the first :data:`MOST_HOPS` of them, then a last entry ``{"more": k}``
    for the ``k`` left to the transcript."""
    hops: dict[str, list[dict]] = {}
    for scenario in report.get("scenarios", []):
        path = run_dir / scenario["transcript"] if scenario.get("transcript") else None
        if path is None or not path.is_file():
            continue
        shown = [hop for record in _records(path) if (hop := _hop(record)) is not None]
        if shown:
            left = len(shown) - MOST_HOPS
            hops[scenario["id"]] = shown[:MOST_HOPS] + ([{"more": left}] if left > 0 else [])
    return hops


def _hop(record: Mapping[str, Any]) -> dict | None:
    if wire_view(record.get("content")) is None:
        return None
    return {key: record.get(key) for key in HOP_KEYS}


def _records(path: Path) -> list[dict]:
    """A transcript's records (JSON lines); a line that is no JSON object is left out."""
    records = []
    for line in path.read_text(encoding="utf-8", errors="replace").splitlines():
        try:
            record = json.loads(line)
        except ValueError:
            continue
        if isinstance(record, dict):
            records.append(record)
    return records
