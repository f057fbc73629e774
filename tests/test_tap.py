"""A simulator's tap (mocks/tap.py) over HTTP, as the harness uses it around an SUT switch: an
institution's tap takes only faults that spoil its own answers, logs every hop in order, and
answers through the programmed fault once."""

from __future__ import annotations

import asyncio
import sqlite3

from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer

from mocks.tap import Tap
from qrinterop.profile import load_profile
from qrinterop.protocol.bindings.json_binding import JsonBinding

PROFILE = load_profile()
SWITCH = "90000001"


def institution_tap() -> Tap:
    return Tap(sqlite3.connect(":memory:"), PROFILE.faults, PROFILE.response_codes,
               json_answer, JsonBinding(), kinds=("answer",))


def json_answer(message: dict) -> web.Response:
    """An answer as a simulator speaking the JSON envelope sends it."""
    wire = JsonBinding().encode(message, "response.to-switch")
    return web.Response(body=wire.body, headers=wire.headers())


async def _exchange(tap: Tap, programme: dict) -> tuple[list[int], list[dict], list[dict]]:
    """Program ``programme``, then have the switch send two notices: the statuses of the
    programme and the clearing, the two answers' bodies, and the log."""
    async def messages(request: web.Request) -> web.StreamResponse:
        notice = await request.json()
        tap.record("in", SWITCH, "from-switch", notice)
        reply = {"header": {"msgType": "notice.result.response"}, "body": {"respCode": "00"}}
        fault = tap.faults.take("answer", SWITCH, notice["header"]["msgType"])
        return await tap.respond(request, SWITCH, "to-switch", reply, fault,
                                 lambda code: {**reply, "body": {"respCode": code}})

    app = web.Application()
    app.router.add_post("/messages", messages)
    app.router.add_routes(tap.routes())
    async with TestClient(TestServer(app)) as client:
        statuses = [(await client.post("/sim/faults", json=programme)).status]
        notice = {"header": {"msgType": "notice.result.request"}, "body": {"orderNo": "P1"}}
        answers = [await (await client.post("/messages", json=notice)).json() for _ in "12"]
        cursor = await (await client.get("/sim/cursor")).json()
        log = await (await client.get("/sim/records", params={"after": 1})).json()
        statuses.append((await client.delete("/sim/faults")).status)
    return statuses, [a["body"] for a in answers], [cursor, *log]


def test_an_institution_answers_once_with_the_programmed_code_and_logs_every_hop():
    statuses, answers, log = asyncio.run(_exchange(institution_tap(), {
        "fault": "answer-code", "peer": SWITCH, "msgType": "notice.result.request",
        "params": {"code": "06"}}))
    assert statuses == [200, 200]
    assert answers == [{"respCode": "06"}, {"respCode": "00"}]
    cursor, *after_first = log
    assert cursor == {"seq": 4}
    assert [(r["direction"], r["msg_type"], r["deliberate"]) for r in after_first] == [
        ("out", "notice.result.response", True),
        ("in", "notice.result.request", False),
        ("out", "notice.result.response", False)]
    assert after_first[0]["note"] == "fault injected: answer-code"


def test_an_institution_refuses_a_fault_only_a_switch_can_inject():
    statuses, answers, _log = asyncio.run(_exchange(institution_tap(), {
        "fault": "deliver-twice", "peer": SWITCH}))
    assert statuses == [400, 200]
    assert answers == [{"respCode": "00"}] * 2
