"""The test-control API contract: the reference institution serves exactly the operations the
OpenAPI document lists, and its answers follow the document's schemas."""

from __future__ import annotations

import tempfile
from pathlib import Path

import pytest
import requests

from mocks.control_api import ControlApi
from qrinterop.profile import load_profile
from qrinterop.protocol.control_api import ControlApiSpec
from qrinterop.runner.certify import CertifyOptions, load_inputs, running_network

SPEC = ControlApiSpec.of(load_profile())


def reference_operations() -> set[tuple[str, str]]:
    api = ControlApi.__new__(ControlApi)     # routes() only names the bound handlers
    api.inst = None
    return {(route.method, route.path) for route in api.routes()}


def test_reference_serves_exactly_the_documented_operations():
    assert reference_operations() == SPEC.operations()


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


def test_a_wrong_answer_is_named():
    problems = SPEC.response_problems("GET", "/control/accounts/A", 200,
                                      {"account": "A", "balance": "10.00", "riskTier": "C"})
    assert problems and "balance" in problems[0]
