"""Per-scenario transcripts: every HTTP exchange, both directions, one JSON object per line.

Records come from two points of observation — the harness's own calls (upper tester,
injections) and the simulated switch's log of everything it received and sent — and are
merged by time, so a reader sees one conversation.
"""

from __future__ import annotations

import json
import time
from datetime import datetime
from pathlib import Path

from qrinterop.evidence.bundle import chained_lines, sha256
from qrinterop.evidence.masking import MaskRule, masked
from qrinterop.inputs import as_evidence
from qrinterop.protocol.envelope import BEIJING


def stamp(epoch: float) -> str:
    return datetime.fromtimestamp(epoch, BEIJING).isoformat(timespec="milliseconds")


class Transcript:
    """The records of one scenario, in the order they happened."""

    def __init__(self, scenario_id: str, rule: MaskRule | None = None) -> None:
        self.scenario_id = scenario_id
        self.records: list[dict] = []
        self.rule = rule            # the profile's masking (R-SEC-06): None, signed kept as sent
        self.secrets: set[str] = set()      # what the rule masked, to mask in other text

    def add(self, pco: str, sender: str | None, receiver: str | None, kind: str,
            content: object, at: float | None = None, **details: object) -> dict:
        """Add one hop. ``pco`` names where it was observed: ``upper-tester``, ``switch``,
        ``peer`` (a simulated institution around an SUT switch) or ``injector``; ``kind`` is
        ``request`` or ``response``."""
        if pco == "upper-tester":       # signed messages stay as sent (masking.py says why)
            content = masked(content)
        content, changed = as_evidence(content)
        if changed:
            details["non_finite"] = f"{changed}: a NaN or infinity, written as a string"
        record = {"at": at if at is not None else time.time(), "pco": pco, "from": sender,
                  "to": receiver, "kind": kind, **details, "content": content}
        self.records.append(record)
        return record

    def ordered(self) -> list[dict]:
        """Records by time, numbered from 1; ``n`` is how findings point at a record."""
        records = sorted(self.records, key=lambda r: r["at"])
        return [{"n": n, "time": stamp(r["at"]), **r} for n, r in enumerate(records, 1)]

    def write(self, path: Path) -> list[dict]:
        """Write the records as JSON lines, each carrying the hash of the line before, so
        that a record removed or moved breaks the chain (:mod:`qrinterop.evidence.bundle`)."""
        records = self.ordered()
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text("".join(line + "\n" for line in chained_lines(self.kept(records))),
                        encoding="utf-8")
        return records

    def kept(self, records: list[dict]) -> list[dict]:
        """The records as the file keeps them: under a masking rule, with payment codes and
        account references masked (a record whose content changed says ``masked``: its
        signature covers the values as sent). The caller goes on with ``records`` as seen."""
        if self.rule is None:
            return records
        out = []
        for record in records:
            content = self.rule.applied(record.get("content"))
            if content != record.get("content"):
                self.secrets |= self.rule.secrets(record.get("content"))
                record = {**record, "content": content, "masked": True}
            out.append(record)
        return out

    def append_to(self, path: Path) -> list[dict]:
        """Add the records after those the transcript at ``path`` holds (written by
        :meth:`write`), numbered on from its last and chained to it: late records of the
        scenario it belongs to, which arrived while another ran."""
        lines = path.read_text(encoding="utf-8").split("\n")
        last = next(line for line in reversed(lines) if line)
        first = json.loads(last)["n"]
        records = [{**record, "n": record["n"] + first} for record in self.ordered()]
        with path.open("a", encoding="utf-8") as file:
            file.write("".join(line + "\n" for line in
                               chained_lines(self.kept(records), sha256(last.encode("utf-8")))))
        return records
