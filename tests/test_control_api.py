"""The test-control API contract: the reference institution serves exactly the operations the
OpenAPI document lists, and its answers follow the document's schemas."""

from __future__ import annotations

import asyncio
import tempfile
from datetime import datetime, timedelta
from pathlib import Path

import pytest
import requests
from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer

from mocks.control_api import ControlApi, clock_routes
from qrinterop.profile import load_profile
from qrinterop.protocol import clock
from qrinterop.protocol.control_api import ControlApiSpec
from qrinterop.runner.certify import CertifyOptions, load_inputs, running_network

SPEC = ControlApiSpec.of(load_profile())


def reference_operations() -> set[tuple[str, str]]:
    api = ControlApi.__new__(ControlApi)     # routes() only names the bound handlers
    api.inst = None
    return {(route.method, route.path) for route in api.routes()}


def test_reference_serves_exactly_the_documented_operations():
    """Those of a switch (x-role switch) the reference switch serves, the institution
    answering them 409 as for any role it does not play."""
    switch_ops = {op for op in SPEC.operations() if SPEC.role(*op) == "switch"}
    assert switch_ops == {("GET", "/control/reconciliation/{participant}")}
    assert reference_operations() == SPEC.operations() - switch_ops


def test_path_matching():
    assert SPEC.match("GET", "/control/accounts/ACC1") == "/control/accounts/{account}"
    assert SPEC.match("DELETE", "/control/accounts/ACC1") is None
    assert SPEC.response_problems("GET", "/control/nothing", 200, {})


@pytest.fixture(scope="module")
def reference():
    suite, _profile, ics, _path = load_inputs(CertifyOptions())
    with tempfile.TemporaryDirectory() as folder, \
            running_network(suite, ics, Path(folder), 0) as network:
        yield network.sut.service.url, network.peers[0].service.url


def call(base, method, path, body=None):
    response = requests.request(method, base + path, json=body, timeout=10)
    problems = SPEC.response_problems(method, path, response.status_code, response.json())
    assert problems == [], problems
    return response.json()


@pytest.mark.e2e
def test_every_operation_answers_by_the_contract(reference):
    sut, peer = reference
    account = call(sut, "POST", "/control/accounts", {"balance": 10000, "riskTier": "B"})
    assert account["riskTier"] == "B"
    name = account["account"]
    assert call(sut, "PUT", f"/control/accounts/{name}", {"balance": 20000})["balance"] == 20000
    call(sut, "GET", f"/control/accounts/{name}")
    call(sut, "GET", "/control/accounts/NOBODY")                    # 404 by the contract
    call(sut, "PUT", f"/control/accounts/{name}", {"riskTier": "Z"})   # 400 by the contract
    static = call(peer, "POST", "/control/merchant-codes", {"name": "TEA HOUSE", "image": True})
    dynamic = call(peer, "POST", "/control/merchant-codes", {"name": "SHOP", "amount": 500})
    paid = call(sut, "POST", "/control/wallet/pay",
                {"account": name, "code": static["code"], "amount": 300})
    call(sut, "POST", "/control/wallet/pay", {"account": name, "code": dynamic["code"]})
    call(sut, "GET", f"/control/transactions/{paid['voucherNum']}")
    code = call(sut, "POST", "/control/payment-codes", {"account": name})["code"]
    charged = call(peer, "POST", "/control/terminal/charge", {"code": code, "amount": 100})
    refund = call(peer, "POST", "/control/terminal/refund",
                  {"voucherNum": charged["voucherNum"], "amount": 40, "refundId": "REFUND0001"})
    assert (refund["kind"], refund["status"], refund["origVoucherNum"]) == \
        ("refund", "approved", charged["voucherNum"])
    call(peer, "POST", "/control/terminal/refund", {"voucherNum": "NONE", "amount": 1})  # 404
    other = call(sut, "POST", "/control/payment-codes", {"account": name})["code"]
    bought = call(peer, "POST", "/control/terminal/charge", {"code": other, "amount": 70})
    void = call(peer, "POST", "/control/terminal/void", {"voucherNum": bought["voucherNum"]})
    assert (void["kind"], void["status"], void["amount"]) == ("void", "approved", 70)
    call(sut, "POST", "/control/wallet/pay", {"account": name, "code": "not a code"})  # 422
    call(sut, "PUT", f"/control/accounts/{name}", {"balance": 500000})   # above the pin-free
    big = call(sut, "POST", "/control/payment-codes", {"account": name})["code"]
    waiting = call(peer, "POST", "/control/terminal/charge", {"code": big, "amount": 150000})
    assert (waiting["status"], waiting["respCode"]) == ("unknown", "70")
    call(sut, "POST", "/control/wallet/password", {"account": name, "decision": "maybe"})  # 400
    confirmed = call(sut, "POST", "/control/wallet/password",
                     {"account": name, "decision": "confirm"})
    assert (confirmed["status"], confirmed["voucherNum"]) == ("approved", waiting["voucherNum"])
    call(sut, "POST", "/control/wallet/password", {"account": name, "decision": "cancel"})  # 404
    day = call(sut, "GET", f"/control/transactions?settleDate={paid['settleDate']}")
    assert paid["voucherNum"] in {t["voucherNum"] for t in day["transactions"]}
    call(sut, "GET", "/control/transactions?settleDate=tomorrow")                   # 400
    merchant = call(peer, "GET", f"/control/merchants/{charged['merchantId']}")
    assert merchant["balance"] == 100 - 40 + 70 - 70 + 150000   # refund and void taken back
    call(peer, "GET", "/control/merchants/NOBODY")                                # 404
    set_clock = call(sut, "PUT", "/control/clock", {"offset_s": 3600})
    assert set_clock["offset_s"] == 3600
    assert call(sut, "GET", "/control/clock")["now"] >= set_clock["now"]
    call(sut, "PUT", "/control/clock", {"offset_s": "soon"})                       # 400
    assert call(sut, "PUT", "/control/clock", {"offset_s": 0})["offset_s"] == 0


@pytest.fixture
def wall_clock():
    """Each test that moves this process's clock leaves it on the wall clock."""
    yield
    clock.set_offset(0)


def test_the_clock_moves_by_the_offset_set(wall_clock):
    before = datetime.now(clock.BEIJING)
    clock.set_offset(-86_400)
    assert timedelta(hours=23, minutes=59) < before - clock.beijing_now() <= timedelta(days=1)
    assert clock.utc_now().utcoffset() == timedelta(0)
    target = datetime(2027, 1, 1, 22, 59, 55, tzinfo=clock.BEIJING)
    clock.set_offset(clock.offset_to(target))
    assert abs((clock.beijing_now() - target).total_seconds()) < 1


@pytest.mark.parametrize("offset", [True, "60", float("nan"), float("inf"), None,
                                    clock.MAX_OFFSET_S + 1, -clock.MAX_OFFSET_S - 1])
def test_an_offset_that_is_no_number_of_seconds_is_refused(offset, wall_clock):
    with pytest.raises(ValueError, match="offset_s"):
        clock.set_offset(offset)
    assert clock.offset_s() == 0


def test_the_replay_window_follows_the_clock(wall_clock):
    from qrinterop.protocol.replay import STALE, ReplayGuard
    stamp = clock.beijing_now().isoformat()
    clock.set_offset(3600)
    assert ReplayGuard().check("A", stamp, "n1").status == STALE


async def _clock_calls(bodies: list[object]) -> list[tuple[int, dict]]:
    """PUT each of ``bodies`` to a service serving only the clock routes, as the switch does
    (no contract middleware in front), then GET the clock."""
    app = web.Application()
    app.router.add_routes(clock_routes())
    answers = []
    async with TestClient(TestServer(app)) as client:
        for body in bodies:
            response = await client.put("/control/clock", json=body)
            answers.append((response.status, await response.json()))
        response = await client.get("/control/clock")
        answers.append((response.status, await response.json()))
    return answers


def test_a_simulator_sets_its_clock_by_the_contract(wall_clock):
    answers = asyncio.run(_clock_calls([{"offset_s": 7200.5}, {"offset_s": "x"}, [],
                                        {"offset_s": 1e12}]))
    statuses = [status for status, _ in answers]
    assert statuses == [200, 400, 400, 400, 200]
    for (status, body), method in zip(answers, ["PUT"] * 4 + ["GET"], strict=True):
        assert SPEC.response_problems(method, "/control/clock", status, body) == []
    assert answers[-1][1]["offset_s"] == 7200.5
    told = datetime.fromisoformat(answers[-1][1]["now"])
    assert abs((told - datetime.now(clock.BEIJING)).total_seconds() - 7200.5) < 5


def test_a_wrong_answer_is_named():
    problems = SPEC.response_problems("GET", "/control/accounts/A", 200,
                                      {"account": "A", "balance": "10.00", "riskTier": "C"})
    assert problems and "balance" in problems[0]
