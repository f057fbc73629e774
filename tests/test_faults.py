"""The switch's fault injection: programmes checked against the profile's catalogue, each
fault used as often as asked, and the transport faults as a requester really meets them."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import aiohttp
import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer

from mocks.faults import TRUNCATED, FaultError, FaultPlan, spoil_answer, spoil_reply
from qrinterop.profile import load_profile
from qrinterop.protocol.crypto import SigningKey
from qrinterop.protocol.envelope import Party, beijing_now, seal, signature_ok

PROFILE = load_profile()
PEER = "10000001"


def plan() -> FaultPlan:
    return FaultPlan(PROFILE.faults)


def test_every_fault_names_where_it_applies_and_what_the_sut_must_do():
    for name, fault in PROFILE.faults.items():
        assert fault["expected"]["en"] and fault["expected"]["zh"], name
        assert set(fault["requirements"]) <= set(PROFILE.requirements), name


@pytest.mark.parametrize("spec, words", [
    ({"fault": "teleport", "peer": PEER}, "unknown fault 'teleport'; known: answer-code"),
    ({"fault": "answer-code", "peer": PEER, "params": {"colour": 1}}, "takes no colour"),
    ({"fault": "answer-code"}, "peer"),
    ({"fault": "answer-code", "peer": PEER, "times": 0}, "times"),
    (["answer-code"], "JSON object"),
])
def test_a_bad_programme_is_refused_with_the_reason(spec, words):
    with pytest.raises(FaultError, match=words):
        plan().program(spec)


def test_parameters_default_from_the_catalogue():
    fault = plan().program({"fault": "answer-code", "peer": PEER})
    assert fault.params == {"code": "03"}
    skew = plan().program({"fault": "skew-clock", "peer": PEER, "params": {"skew_s": 90}})
    assert skew.params == {"skew_s": 90}


def test_a_fault_spoils_only_matching_exchanges_and_only_as_often_as_asked():
    faults = plan()
    faults.program({"fault": "drop-answer", "peer": PEER, "msgType": "cpm.purchase.request",
                    "times": 2})
    assert faults.take("answer", "10000002", "cpm.purchase.request") is None
    assert faults.take("answer", PEER, "cpm.refund.request") is None
    assert faults.take("request", PEER, "cpm.purchase.request") is None
    assert faults.take("answer", PEER, "cpm.purchase.request").name == "drop-answer"
    assert faults.take("answer", PEER, "cpm.purchase.request").name == "drop-answer"
    assert faults.take("answer", PEER, "cpm.purchase.request") is None


def test_a_fault_without_a_message_type_spoils_the_next_exchange_of_any_type():
    faults = plan()
    faults.program({"fault": "deliver-twice", "peer": PEER})
    assert faults.take("request", PEER, "notice.result.request").name == "deliver-twice"


def test_answer_code_and_bad_signature_change_the_message():
    faults = plan()
    reply = {"header": {}, "body": {"respCode": "00"},
             "signature": {"alg": "SM3withSM2", "keyId": "k", "value": "AAAA"}}
    recode = faults.program({"fault": "answer-code", "peer": PEER, "params": {"code": "05"}})
    assert spoil_reply(recode, reply, lambda code: {"body": {"respCode": code}}) == {
        "body": {"respCode": "05"}}
    forged = spoil_reply(faults.program({"fault": "bad-signature-answer", "peer": PEER}),
                         reply, lambda code: {})
    assert forged["signature"]["value"] != reply["signature"]["value"]
    assert forged["body"] == reply["body"]


def test_a_skewed_clock_is_signed_into_the_timestamp():
    party = Party("90000000", SigningKey.generate())
    past = beijing_now() - timedelta(seconds=600)
    message = seal(party, "cpm.purchase.request", PEER, {}, sent_at=past)
    assert message["header"]["timestamp"] == past.isoformat(timespec="milliseconds")


async def _fetch(name: str, **params: object) -> bytes | str:
    """What a requester gets from a real aiohttp server whose answer carries ``name``."""
    fault = plan().program({"fault": name, "peer": PEER, "params": params})

    async def handler(request: web.Request) -> web.StreamResponse:
        return await spoil_answer(fault, request, web.json_response({"ok": True}))

    app = web.Application()
    app.router.add_post("/messages", handler)
    async with TestClient(TestServer(app)) as client:
        try:
            response = await client.post("/messages", json={})
            return await response.read()
        except aiohttp.ClientError as exc:
            return type(exc).__name__


@pytest.mark.parametrize("name, received", [
    ("drop-answer", "ServerDisconnectedError"),
    ("malformed-answer", TRUNCATED),
])
def test_transport_faults_reach_the_requester_as_a_real_network_would(name, received):
    assert asyncio.run(_fetch(name)) == received


def test_a_reset_connection_is_an_error_not_an_answer():
    assert asyncio.run(_fetch("reset-connection")) in ("ClientOSError",
                                                       "ServerDisconnectedError")


def test_a_late_answer_arrives_after_its_delay():
    loop_time = asyncio.new_event_loop()
    start = loop_time.time()
    assert loop_time.run_until_complete(_fetch("answer-late", delay_s=0.2)) == b'{"ok": true}'
    assert loop_time.time() - start >= 0.2
    loop_time.close()


SWITCH = Party("90000000", SigningKey.generate())


@pytest.mark.parametrize("spoil", ["altered-signature", "stranger-key", "alg-rsa", "unsigned"])
def test_a_spoilt_answer_claims_its_code_and_does_not_verify(spoil):
    """Whatever the spoilt answer says, the switch's key does not vouch for it."""
    fault = plan().program({"fault": "spoilt-answer", "peer": PEER,
                            "params": {"code": "30", "spoil": spoil}})
    reply = seal(SWITCH, "mpm.payment.response", PEER, {"respCode": "00", "respMsg": "ok"})
    forged = spoil_reply(fault, reply, lambda code: seal(
        SWITCH, "mpm.payment.response", PEER, {"respCode": code, "respMsg": "no"}))
    assert forged["body"]["respCode"] == "30"
    assert not signature_ok(forged, SWITCH.key.public)


def test_a_spoilt_query_answer_changes_the_outcome_it_reports_not_its_own_code():
    fault = plan().program({"fault": "spoilt-answer", "peer": PEER, "params": {"code": "30"}})
    reply = seal(SWITCH, "cpm.status_query.response", PEER,
                 {"respCode": "00", "respMsg": "ok", "origRespCode": "00", "origRespMsg": "ok"})
    forged = spoil_reply(fault, reply, lambda code: seal(
        SWITCH, "cpm.status_query.response", PEER, {"respCode": code, "respMsg": "no"}))
    assert (forged["body"]["respCode"], forged["body"]["origRespCode"]) == ("00", "30")


def test_a_spoilt_answer_with_no_code_keeps_the_real_one_and_an_unknown_spoil_is_refused():
    reply = seal(SWITCH, "mpm.payment.response", PEER, {"respCode": "00", "respMsg": "ok"})
    kept = spoil_reply(plan().program({"fault": "spoilt-answer", "peer": PEER}), reply,
                       lambda code: {})
    assert kept["body"] == reply["body"] and kept["signature"] != reply["signature"]
    with pytest.raises(FaultError, match=r"params\.spoil"):
        plan().program({"fault": "spoilt-answer", "peer": PEER, "params": {"spoil": "x"}})
