"""A simulator's tap: the log of every message it exchanges, and the faults the harness
programs on it. The simulated switch always has one; a simulated institution has one when the
SUT is a switch. So the harness watches and spoils exchanges from the other side of any SUT:
around an institution from the switch, around a switch from the institutions.

Served under ``/sim/``: ``GET /sim/cursor`` (the last record's number), ``GET
/sim/records?after=N``, ``POST /sim/faults`` (a fault of the profile's ``faults.json``, for one
counterpart) and ``DELETE /sim/faults``. Every record says from the simulator's side which way
the message went (``in``: received, ``out``: sent), with whom (``peer``) and on which leg.
"""

from __future__ import annotations

import asyncio
import json
import sqlite3
import time
from collections.abc import Callable, Collection

from aiohttp import web

from mocks.faults import Fault, FaultError, FaultPlan, spoil_answer, spoil_reply
from mocks.node import header_text
from qrinterop.protocol.bindings import Binding
from qrinterop.protocol.canonical import has_lone_surrogate, strict_loads, unicode_text

#: Record numbers are SQLite integers: a cursor beyond this cannot be one.
MAX_SEQ = 2**63 - 1

SCHEMA = """
CREATE TABLE IF NOT EXISTS records (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    at REAL NOT NULL,
    direction TEXT NOT NULL,        -- 'in' (received by this simulator) or 'out' (sent by it)
    peer TEXT,                      -- the other end of this hop
    leg TEXT NOT NULL,              -- 'to-switch' or 'from-switch'
    msg_type TEXT,
    message TEXT NOT NULL,          -- JSON, exactly as parsed; null when nothing usable arrived
    note TEXT,
    deliberate INTEGER NOT NULL DEFAULT 0   -- spoilt on purpose by a programmed fault
);
"""

KEYS = ("seq", "at", "direction", "peer", "leg", "msg_type", "message", "note", "deliberate")


class Tap:
    """The log and the fault plan of one simulator; the log is a table of its SQLite state.

    ``kinds``: which of the catalogue's faults may be programmed here (the switch takes them
    all; an institution only spoils its own answers)."""

    def __init__(self, db: sqlite3.Connection, catalogue: dict[str, dict],
                 response_codes: Collection[str], answer: Callable[[dict], web.Response],
                 wire: Binding, kinds: Collection[str] | None = None,
                 faults: FaultPlan | None = None) -> None:
        self.db = db
        self.answer = answer            # an answer on the simulator's wire
        self.wire = wire                # the binding, for what a record keeps of the wire
        self.db.executescript(SCHEMA)
        self.pending: list[tuple] = []      # hops recorded, not yet written (flush)
        # ``faults``: a plan of the simulator's own (the switch's processes share theirs)
        self.faults = faults or FaultPlan({name: entry for name, entry in catalogue.items()
                                           if kinds is None or entry["where"] in kinds},
                                          tuple(response_codes))

    def record(self, direction: str, peer: str | None, leg: str, message: object,
               note: str | None = None, deliberate: bool = False) -> None:
        """Store one hop; ``message`` is None when nothing usable arrived (see ``note``).
        Whatever arrived is stored: a message holding a lone surrogate, which UTF-8 cannot
        store, is kept as ASCII JSON, whose escapes give back exactly what was parsed.

        Hops are written together, in one SQLite transaction, at the end of the event loop's
        turn (a commit per hop was the most a purchase cost the switch after SM2), and
        before any answer goes out (:meth:`flush`): whoever reads the log after an answer
        finds every hop that led to it, whichever process of the switch it asks."""
        self.pending.append(
            (time.time(), direction, _text(peer), leg, _text(header_text(message, "msgType")),
             json.dumps(message, ensure_ascii=has_lone_surrogate(message)),
             _text(note), int(deliberate)))
        if len(self.pending) == 1:
            try:
                asyncio.get_running_loop().call_soon(self.flush)
            except RuntimeError:        # no event loop: a test's, or a tool's, tap
                self.flush()

    def flush(self) -> None:
        """Write the hops recorded and not yet written."""
        if not self.pending:
            return
        rows, self.pending = self.pending, []
        self.db.execute("BEGIN")
        try:
            self.db.executemany(
                "INSERT INTO records (at, direction, peer, leg, msg_type, message, note,"
                " deliberate) VALUES (?, ?, ?, ?, ?, ?, ?, ?)", rows)
        finally:
            self.db.execute("COMMIT")

    def records_after(self, seq: int) -> list[dict]:
        self.flush()
        rows = self.db.execute(f"SELECT {', '.join(KEYS)} FROM records WHERE seq > ?"
                               " ORDER BY seq", (seq,))
        records = [dict(zip(KEYS, tuple(row), strict=True)) for row in rows]
        for record in records:
            record["message"] = json.loads(record["message"])
            record["deliberate"] = bool(record["deliberate"])
        return records

    async def respond(self, request: web.Request, peer: str | None, leg: str,
                      reply: dict, fault: Fault | None,
                      recoded: Callable[[str], dict]) -> web.StreamResponse:
        """Answer ``request`` with ``reply``, spoilt as ``fault`` says (``recoded`` makes the
        signed answer with another response code), and log what went out."""
        if fault is None:
            self.record("out", peer, leg, self.wire.evidence(reply, f"response.{leg}"))
            self.flush()
            return self.answer(reply)
        reply = spoil_reply(fault, reply, recoded)
        self.record("out", peer, leg, self.wire.evidence(reply, f"response.{leg}"),
                    note=f"fault injected: {fault.name}", deliberate=True)
        self.flush()
        return await spoil_answer(fault, request, self.answer(reply))

    def routes(self) -> list[web.RouteDef]:
        return [web.get("/sim/records", self._get_records),
                web.get("/sim/cursor", self._get_cursor),
                web.post("/sim/faults", self._post_fault),
                web.delete("/sim/faults", self._delete_faults)]

    async def _get_records(self, request: web.Request) -> web.Response:
        after = request.query.get("after", "0")
        if not (after.isascii() and after.isdigit() and int(after) <= MAX_SEQ):
            return web.json_response({"error": f"after must be a record number (0 to "
                                               f"{MAX_SEQ}), got {after[:40]!r}"}, status=400)
        return web.json_response(self.records_after(int(after)))

    async def _get_cursor(self, _request: web.Request) -> web.Response:
        self.flush()
        (seq,) = self.db.execute("SELECT COALESCE(MAX(seq), 0) FROM records").fetchone()
        return web.json_response({"seq": seq})

    async def _post_fault(self, request: web.Request) -> web.Response:
        try:
            fault = self.faults.program(strict_loads(await request.read()))
        except (ValueError, FaultError) as exc:     # bad JSON is a ValueError too
            return web.json_response({"error": str(exc)}, status=400)
        return web.json_response({"programmed": fault.name, "params": fault.params})

    async def _delete_faults(self, _request: web.Request) -> web.Response:
        return web.json_response({"cleared": True, "unused": self.faults.clear()})


def _text(value: str | None) -> str | None:
    """A text column's value as UTF-8 can store it (what arrived may hold a lone surrogate)."""
    return value if value is None else unicode_text(value)
