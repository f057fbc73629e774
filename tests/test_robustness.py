"""The simulators never crash, never answer 500 and never fail inside on malformed input
(issue 5, item 7).

Hypothesis sends thousands of requests to a running network: bytes that are not JSON, JSON that
is not a message, and, the cases that reach furthest, messages of every type built from the
message set's examples, spoilt field by field and then properly signed by a registered
participant, so they pass the signature check and reach routing, the ledger and the clearing
book. Every answer must be an answer (below 500, JSON); a message handler that raised, which the
simulators turn into a signed 06 "internal error", counts as a failure too, and so does any
line the services logged about a handler that failed.
"""

from __future__ import annotations

import copy
import json
import tempfile
from pathlib import Path
from urllib.parse import quote

import pytest
import requests
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from qrinterop.profile import load_profile
from qrinterop.protocol.envelope import Party, seal
from qrinterop.protocol.transport import MESSAGE_PATH
from qrinterop.runner.certify import CertifyOptions, load_inputs, running_network
from qrinterop.runner.control_api import ControlApiSpec
from tests.test_message_set import CATALOGUE, EXAMPLES

pytestmark = pytest.mark.e2e

SPEC = ControlApiSpec.of(load_profile())
SETTINGS = settings(database=None, deadline=None, max_examples=1500,
                    suppress_health_check=[HealthCheck.too_slow,
                                           HealthCheck.function_scoped_fixture])
MSG_TYPES = sorted(f"{name}.{leg.split('.')[0]}" for name, entry in CATALOGUE["messages"].items()
                   for leg in entry["legs"])
REQUESTS = sorted((name, leg) for name, legs in EXAMPLES.items() for leg in legs
                  if leg.startswith("request."))

#: What a spoilt field holds instead: wrong types, edge numbers, odd and overlong strings.
ODD = st.one_of(st.none(), st.booleans(), st.integers(-2**31, 2**40),
                st.sampled_from(["", "0", "00", "ZZ", "6212345678901234567", "1" * 300,
                                 "2026-13-45", "20261301250000", "0000", "\u0000", "最佳"]),
                st.text(max_size=30), st.lists(st.integers(-2, 99), max_size=3),
                st.dictionaries(st.sampled_from(["id", "code", "amount", "x"]),
                                st.integers(-2, 99), max_size=3))


@pytest.fixture(scope="module")
def network():
    suite, _profile, ics, _path = load_inputs(CertifyOptions())
    with tempfile.TemporaryDirectory() as folder, \
            running_network(suite, ics, Path(folder), 0) as running:
        LIVE_CODES.extend(live_codes(running))
        yield running
        logs = {path.name: path.read_text(encoding="utf-8", errors="replace")
                for path in (Path(folder) / "logs").glob("*.log")}
    failed = {name: text[text.find("handler failed") - 200:][:2000]
              for name, text in logs.items() if "handler failed" in text or "Traceback" in text}
    assert not failed, failed


#: Payment and merchant codes the network's institutions really issued, so that some spoilt
#: messages name something that exists and go past the first lookup.
LIVE_CODES: list[str] = []


def live_codes(network) -> list[str]:
    codes = []
    for institution in [network.sut, *network.peers]:
        base, roles = institution.service.url + "/control", institution.description[
            "institution"]["roles"]
        if "issuer" in roles:
            account = requests.post(f"{base}/accounts", json={"balance": 10**7}, timeout=30)
            codes += [requests.post(f"{base}/payment-codes", timeout=30,
                                    json={"account": account.json()["account"]}).json()["code"]
                      for _ in range(3)]
        if "acquirer" in roles:
            codes.append(requests.post(f"{base}/merchant-codes", json={"name": "SHOP"},
                                       timeout=30).json()["code"])
    return codes


@st.composite
def spoilt_body(draw, name: str, leg: str) -> dict:
    body = copy.deepcopy(EXAMPLES[name][leg])
    if "code" in body and draw(st.booleans()):
        body["code"] = draw(st.sampled_from(LIVE_CODES))
    for _ in range(draw(st.integers(0, 3))):
        field = draw(st.sampled_from([*body, "extra"]))
        if field in body and draw(st.booleans()):
            del body[field]
        else:
            body[field] = draw(ODD)
    return body


def assert_answered(response: requests.Response) -> dict:
    assert response.status_code < 500, response.text[:500]
    answer = response.json()
    resp_msg = str(answer.get("body", {}).get("respMsg", "")) if isinstance(answer, dict) else ""
    assert "internal error" not in resp_msg, answer
    return answer


def post_message(url: str, data: bytes) -> dict:
    return assert_answered(requests.post(url + MESSAGE_PATH, data=data, timeout=30,
                                         headers={"Content-Type": "application/json"}))


@SETTINGS
@given(data=st.data())
def test_signed_spoilt_messages_are_answered(network, data):
    """A registered participant (or the switch, towards an institution) signs a message of
    any type with spoilt fields: the receiver answers it by the profile, whatever it holds."""
    name, leg = data.draw(st.sampled_from(REQUESTS))
    body = data.draw(spoilt_body(name, leg))
    msg_type = data.draw(st.just(f"{name}.request") | st.sampled_from(MSG_TYPES))
    if leg.endswith("to-switch"):
        sender = data.draw(st.sampled_from([network.sut, *network.peers]))
        receiver = network.switch
    else:
        sender = network.switch
        receiver = data.draw(st.sampled_from([network.sut, *network.peers]))
    message = seal(Party(sender.id, sender.key, sender.key_id), msg_type, receiver.id, body,
                   test_case_id=data.draw(st.sampled_from([None, "ROB-1"])))
    if data.draw(st.integers(0, 3)) == 0:
        header = message["header"]
        header[data.draw(st.sampled_from(sorted(header)))] = data.draw(ODD)
    post_message(receiver.service.url, json.dumps(message, ensure_ascii=False).encode())


@SETTINGS
@given(raw=st.one_of(st.binary(max_size=300),
                     st.recursive(ODD, lambda inner: st.dictionaries(
                         st.sampled_from(["header", "body", "signature", "msgType"]), inner,
                         max_size=4), max_leaves=12).map(lambda doc: json.dumps(doc).encode())),
       target=st.integers(0, 10))
def test_bytes_that_are_not_a_message_are_answered(network, raw, target):
    participants = network.participants
    post_message(participants[target % len(participants)].service.url, raw)


OPERATIONS = sorted(SPEC.operations())


@SETTINGS
@given(operation=st.sampled_from(OPERATIONS), data=st.data())
def test_control_api_never_fails_inside(network, operation, data):
    """Every documented control operation, with odd path parameters and bodies, answers by
    its contract's status codes: never 500."""
    method, template = operation
    path = template
    while "{" in path:
        start, end = path.index("{"), path.index("}")
        path = path[:start] + quote(data.draw(st.text(min_size=1, max_size=20)), safe="") \
            + path[end + 1:]
    body = data.draw(st.none() | st.dictionaries(st.sampled_from(
        ["balance", "riskTier", "account", "code", "amount", "name", "voucher", "decision",
         "mcc", "city", "localName", "x"]), ODD, max_size=5))
    institution = data.draw(st.sampled_from([network.sut, *network.peers]))
    assert_control(requests.request(method, institution.service.url + path, json=body,
                                    timeout=30))


@settings(database=None, deadline=None, max_examples=300,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(body=st.dictionaries(st.sampled_from(["fault", "peer", "msgType", "times", "params",
                                             "delay_s", "x"]), ODD, max_size=5),
       fault=st.sampled_from(sorted(load_profile().faults)),
       participant=st.text(max_size=12), settle_date=st.text(max_size=6))
def test_switch_simulation_api_never_fails_inside(network, body, fault, participant,
                                                  settle_date):
    """Fault programmes (a catalogued fault with odd fields, or nothing like one) and
    reconciliation requests for any participant and day are answered, never 500."""
    body.setdefault("fault", fault)
    base = network.switch.service.url
    assert_control(requests.post(f"{base}/sim/faults", json=body, timeout=30))
    assert_control(requests.get(f"{base}/sim/reconciliation/{quote(participant, safe='')}",
                                params={"settleDate": settle_date}, timeout=30))
    requests.delete(f"{base}/sim/faults", timeout=30)


def assert_control(response: requests.Response) -> None:
    assert response.status_code < 500, (response.status_code, response.text[:500])
