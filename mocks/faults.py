"""Faults the simulated switch injects into its next exchanges with one participant.

A scenario programs them through the switch's ``/sim/faults`` endpoint; each is named in the
profile's ``faults.json`` with the behaviour the participant must show. ``answer`` faults spoil
the switch's answer to a request it has handled (so the transaction happened and only a query
can tell); ``request`` faults change what the switch sends; ``refusal`` faults answer a
participant's request without handling it.
"""

from __future__ import annotations

import asyncio
import json
import socket
import sqlite3
import struct
from collections.abc import Callable, Collection
from dataclasses import dataclass, field

from aiohttp import web

from qrinterop.protocol.crypto import SigningKey
from qrinterop.protocol.envelope import sign, with_altered_signature

#: An answer cut short: the start of a JSON message and nothing more.
TRUNCATED = b'{"header": {"version": "1.0", "msgType": '


class FaultError(ValueError):
    """A fault programme the switch refuses (unknown fault, wrong parameters)."""


@dataclass
class Fault:
    name: str
    where: str                  # answer | request
    peer: str                   # the participant whose exchanges it spoils
    msg_type: str | None        # only requests of this type; None: any
    params: dict
    times: int = 1

    def matches(self, where: str, peer: str | None, msg_type: str | None) -> bool:
        return (self.times > 0 and self.where == where and self.peer == peer
                and self.msg_type in (None, msg_type))


@dataclass
class FaultPlan:
    """The faults programmed and not yet used up, in the order they were programmed."""

    catalogue: dict[str, dict]
    response_codes: Collection[str] = ()    # what answer-code may answer; empty: any
    faults: list[Fault] = field(default_factory=list)

    def program(self, spec: object) -> Fault:
        """Add a fault from its JSON description: fault, peer, msgType, params, times."""
        if not isinstance(spec, dict):
            raise FaultError("a fault is a JSON object")
        name = spec.get("fault")
        entry = self.catalogue.get(name) if isinstance(name, str) else None
        if entry is None:
            raise FaultError(f"unknown fault {name!r}; known: {', '.join(self.catalogue)}")
        params = spec.get("params", {})
        if not isinstance(params, dict):
            raise FaultError("params must be a JSON object")
        for param, value in params.items():
            if param not in entry["params"]:
                raise FaultError(f"fault {name} takes no {param}")
            if not _same_kind(value, entry["params"][param]["default"]):
                raise FaultError(f"params.{param}: {value!r} is not like its default "
                                 f"{entry['params'][param]['default']!r}")
            if param == "code" and self.response_codes and value not in self.response_codes \
                    and value != entry["params"][param]["default"]:
                raise FaultError(f"params.code: {value!r} is not one of the profile's codes")
            if param == "spoil" and value not in ENVELOPE_SPOILS:
                raise FaultError(f"params.spoil: {value!r} is not one of "
                                 f"{', '.join(ENVELOPE_SPOILS)}")
        if not isinstance(spec.get("peer"), str):
            raise FaultError("peer: the participant's institution ID is required")
        if not isinstance(spec.get("msgType"), str | None):
            raise FaultError("msgType must be a message type or absent")
        times = spec.get("times", 1)
        if not isinstance(times, int) or times < 1:
            raise FaultError("times must be a positive integer")
        fault = Fault(spec["fault"], entry["where"], spec["peer"], spec.get("msgType"),
                      {k: params.get(k, p["default"]) for k, p in entry["params"].items()},
                      times)
        self.add(fault)
        return fault

    def add(self, fault: Fault) -> None:
        self.faults.append(fault)

    def take(self, where: str, peer: str | None, msg_type: str | None) -> Fault | None:
        """The first programmed fault for this exchange, used once."""
        fault = next((f for f in self.faults if f.matches(where, peer, msg_type)), None)
        if fault is not None:
            fault.times -= 1
        return fault

    def clear(self) -> int:
        """Forget every fault; how many uses were left (programmed and never taken)."""
        unused = sum(f.times for f in self.faults if f.times > 0)
        self.faults.clear()
        return unused


class SharedFaultPlan(FaultPlan):
    """The plan kept in the switch's SQLite (``faults``, mocks/switch_store.py) instead of
    memory: whichever of the switch's processes a fault was programmed through, the first
    exchange it matches in any of them takes it, once per ``times``."""

    def __init__(self, db: sqlite3.Connection, catalogue: dict[str, dict],
                 response_codes: Collection[str] = ()) -> None:
        super().__init__(catalogue, response_codes)
        self.db = db

    def add(self, fault: Fault) -> None:
        self.db.execute("INSERT INTO faults (name, place, peer, msg_type, params, times)"
                        " VALUES (?, ?, ?, ?, ?, ?)",
                        (fault.name, fault.where, fault.peer, fault.msg_type,
                         json.dumps(fault.params), fault.times))

    def take(self, where: str, peer: str | None, msg_type: str | None) -> Fault | None:
        """One read when nothing is programmed (every exchange asks); a fault another
        process took meanwhile is looked for again."""
        while (row := self.db.execute(
                "SELECT id, name, params FROM faults WHERE times > 0 AND place = ? AND peer = ?"
                " AND (msg_type IS NULL OR msg_type = ?) ORDER BY id LIMIT 1",
                (where, peer, msg_type)).fetchone()) is not None:
            if self.db.execute("UPDATE faults SET times = times - 1 WHERE id = ? AND times > 0",
                               (row[0],)).rowcount == 1:
                return Fault(row[1], where, str(peer), msg_type, json.loads(row[2]))
        return None

    def clear(self) -> int:
        unused = self.db.execute("SELECT COALESCE(SUM(times), 0) FROM faults WHERE times > 0"
                                 ).fetchone()[0]
        self.db.execute("DELETE FROM faults")
        return int(unused)


def _signed_by_a_stranger(message: dict) -> dict:
    """Signed again, correctly, with a key made now that nobody registered."""
    return {**message, "signature": sign(SigningKey.generate(), message["header"],
                                         message["body"])}


def _labelled_rsa(message: dict) -> dict:
    """The signature left as it is, labelled as another algorithm's."""
    return {**message, "signature": {**message["signature"], "alg": "SHA256withRSA"}}


def _unsigned(message: dict) -> dict:
    return {k: v for k, v in message.items() if k != "signature"}


#: How spoilt-answer spoils an answer's envelope, by its ``spoil`` parameter.
ENVELOPE_SPOILS: dict[str, Callable[[dict], dict]] = {
    "altered-signature": with_altered_signature,
    "stranger-key": _signed_by_a_stranger,
    "alg-rsa": _labelled_rsa,
    "unsigned": _unsigned,
}


def spoil_reply(fault: Fault, reply: dict, recoded: Callable[[str], dict]) -> dict:
    """The answer message itself, spoilt: another response code (``recoded`` makes the
    signed message for it), an altered signature, or both with another envelope spoilt.
    Other faults leave it as it is."""
    if fault.name == "answer-code":
        return recoded(str(fault.params["code"]))
    if fault.name == "bad-signature-answer":
        return with_altered_signature(reply)
    if fault.name == "spoilt-answer":
        code = str(fault.params["code"])
        return ENVELOPE_SPOILS[str(fault.params["spoil"])](
            _claiming(reply, code, recoded) if code else reply)
    return reply


def _claiming(reply: dict, code: str, recoded: Callable[[str], dict]) -> dict:
    """An answer that claims the outcome ``code``: a query's answer keeps what it says of the
    transaction and has its ``origRespCode`` changed (after signing: spoilt whatever else
    is done to it), any other is ``recoded``."""
    forged = recoded(code)
    if "origRespCode" not in reply["body"]:
        return forged
    return {**reply, "body": {**reply["body"], "origRespCode": code,
                              "origRespMsg": forged["body"]["respMsg"]}}


async def spoil_answer(fault: Fault, request: web.Request,
                       answer: web.Response) -> web.StreamResponse:
    """The switch's answer on the wire, spoilt as ``fault`` says."""
    if fault.name in ("answer-code", "bad-signature-answer", "spoilt-answer"):
        return answer
    if fault.name == "answer-late":
        await asyncio.sleep(float(fault.params["delay_s"]))
        return answer
    if fault.name in ("drop-answer", "reset-connection"):
        _cut(request, reset=fault.name == "reset-connection")
        return answer             # never reaches the requester: the connection is gone
    if fault.name == "malformed-answer":
        return web.Response(body=TRUNCATED, content_type="application/json")
    raise AssertionError(f"not an answer fault handled here: {fault.name}")


def _cut(request: web.Request, reset: bool) -> None:
    """Close the requester's connection: FIN after nothing, or RST (SO_LINGER 0)."""
    transport = request.transport
    if transport is None:
        return
    sock = transport.get_extra_info("socket")
    if reset and sock is not None:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    transport.abort() if reset else transport.close()


def _same_kind(value: object, default: object) -> bool:
    """A parameter value of the type its catalogue default has (a number for a number)."""
    if isinstance(default, bool) or isinstance(value, bool):
        return isinstance(value, bool) and isinstance(default, bool)
    if isinstance(default, int | float):     # a number of seconds: within a day either way
        return isinstance(value, int | float) and abs(value) <= 86_400
    return isinstance(value, type(default))
