"""The capacity traffic's judgement of each answer, on answers made up here: an approval is
kept to refund and query, anything else is an error with a one-line reason that names no
transaction, and an outcome left unknown is noted to settle after the load."""

from __future__ import annotations

import json

import pytest
import requests

from qrinterop.protocol.bindings import binding
from qrinterop.protocol.crypto import SigningKey
from qrinterop.protocol.envelope import Party, seal
from qrinterop.protocol.keyring import registered
from qrinterop.runner.capacity.traffic import Traffic, profile_named

SUT = {"id": "10000001", "control": "http://sut", "message": "http://sut/messages",
       "roles": ["issuer", "acquirer"]}
PEER = {"id": "10000002", "control": "http://peer", "message": "http://peer/messages",
        "roles": ["issuer", "acquirer"]}
SWITCH_KEY, SUT_KEY = SigningKey.generate(), SigningKey.generate()


def approved(voucher: str = "V1", status: str = "approved", code: str = "00") -> dict:
    return {"ref": "R1", "status": status, "respCode": code, "voucherNum": voucher,
            "orderNo": "O1", "orderTime": "20261204120000", "settleDate": "1204"}


class Answers:
    """A requests.Session stand-in answering each path from a table."""

    def __init__(self, **by_path: object) -> None:
        self.by_path = by_path
        self.sent: list[tuple[str, object]] = []

    def post(self, url: str, json: dict | None = None, data: bytes | None = None,
             **_: object) -> requests.Response:
        self.sent.append((url, json))
        answer = self.by_path[url.rsplit("/", 2)[-1] if "/control/" in url else "messages"]
        response = requests.Response()
        response.status_code, response._content = answer if isinstance(answer, tuple) \
            else (200, _json(answer))
        return response


def _json(value: object) -> bytes:
    return value if isinstance(value, bytes) else json.dumps(value).encode()


def traffic(kind: str) -> Traffic:
    return Traffic({
        "profile": "cn-interconnect/1.1", "binding": None, "amount": 100, "timeout_s": 5,
        "mix": {kind: 1.0}, "sut": SUT, "acquirers": [PEER], "issuers": [PEER],
        "accounts": {SUT["id"]: ["A1"], PEER["id"]: ["B1"]},
        "merchant_codes": {SUT["id"]: "SUTCODE", PEER["id"]: "PEERCODE"},
        "switch": {"id": "90000000", "key_pem": SWITCH_KEY.private_pem().decode(),
                   "key_id": "sw"},
        "registrations": [{"id": SUT["id"], "keys": [registered("sut", SUT_KEY.public)]},
                          {"id": "90000000", "keys": [registered("sw", SWITCH_KEY.public)]}]})


def test_an_approved_purchase_is_kept_to_refund_and_query():
    made = traffic("cpm-purchase-sut-issuer")
    http = Answers(**{"payment-codes": {"code": "991000000000000001"}, "charge": approved()})
    done = made.one(http)
    assert done.error is None and done.kind == "cpm-purchase-sut-issuer"
    assert [url for url, _ in http.sent] == ["http://sut/control/payment-codes",
                                             "http://peer/control/terminal/charge"]
    assert made.refundable[0].voucher == "V1" and made.queryable[0].code.startswith("991")
    assert made.drain() == {"pending": [], "settle_dates": ["1204"]}


@pytest.mark.parametrize(("answer", "reason"), [
    (approved(status="declined", code="51"), "declined: response code 51"),
    ((422, b'{"error": "account A1 is over its limit"}'),
     "/control/terminal/charge: HTTP 422 account A1 is over its limit"),
    ((502, b"<html>"), "/control/terminal/charge: no answer: JSONDecodeError"),
])
def test_anything_but_an_approval_is_an_error_with_one_line(answer, reason):
    made = traffic("cpm-purchase-sut-acquirer")
    done = made.one(Answers(**{"payment-codes": {"code": "10"}, "charge": answer}))
    assert done.error == reason and not made.refundable


def test_an_outcome_left_unknown_is_an_error_noted_to_settle():
    made = traffic("cpm-purchase-sut-acquirer")
    done = made.one(Answers(**{"payment-codes": {"code": "10"},
                               "charge": approved(status="unknown", code="03")}))
    assert done.error == "unknown: response code 03"
    assert made.drain()["pending"] == [[SUT["id"], "R1"]]


def test_a_failed_setup_call_is_the_transactions_error():
    made = traffic("cpm-purchase-sut-issuer")
    done = made.one(Answers(**{"payment-codes": (409, b'{"error": "not an issuer"}')}))
    assert done.error == "/control/payment-codes: HTTP 409 not an issuer"


def test_a_refund_takes_the_oldest_payment_at_its_acquirer():
    made = traffic("refund")
    made.one(Answers(**{"payment-codes": {"code": "991"}, "charge": approved("V1"),
                        "refund": approved("V9")}))
    assert not made.refundable


def query_answer(orig: str, key: SigningKey = SUT_KEY) -> bytes:
    wire = binding(None, profile_named("cn-interconnect/1.1"))
    message = seal(Party(SUT["id"], key, "sut"), "cpm.status_query.response", "90000000",
                   {"respCode": "00", "respMsg": "ok", "origRespCode": orig})
    return wire.encode(message, "response.to-switch").body


@pytest.mark.parametrize(("answer", "reason"), [
    (query_answer("00"), None),
    (query_answer("51"), "query answered 00/51 (respCode/origRespCode), not 00/00"),
    (query_answer("00", SigningKey.generate()), "the query's answer is not signed by the SUT"),
])
def test_a_status_query_must_be_answered_by_the_sut_telling_the_approval(answer, reason):
    made = traffic("status-query")
    http = Answers(**{"payment-codes": {"code": "991"}, "charge": approved(),
                      "messages": (200, answer)})
    assert made.one(http).error == reason
    assert http.sent[-1][0] == SUT["message"]
