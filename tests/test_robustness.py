"""The fuzz suite: nothing a client sends breaks a simulated service (issue 5, item 7; issue
13's first "must hold").

Hypothesis draws batches of requests to every endpoint of every service of a running network:
the switch's ``/messages`` and ``/sim/*``, every institution's ``/messages`` and every
operation of ``control-api.openapi.json``, and paths and methods nobody serves. The bodies
reach as far as they can: messages of every type built from the message set's examples,
spoilt field by field and then properly signed by a registered participant (so they pass the
signature check and reach routing, the ledger and the clearing book); and everything a
transport must survive: bytes that are not JSON, JSON that is not an object, nesting 5,000
deep, bodies over the size limit (announced or chunked), bad UTF-8, lone surrogates, absurd
numbers (2**53, 2**63, -0, 1e400, NaN, 5,000 digits), huge strings, wrong methods and content
types, and, over raw sockets, bodies that never arrive in full.

Each batch is sent over many connections at once. Every request must be answered within
:data:`BOUND_S`, never with HTTP 5xx; every answer on ``/messages`` must be signed by the
service that answered, and must not be the 06 "internal error" of a handler that raised; after
all of it every service still answers, and none logged a handler that failed. One run sends
more than :data:`AT_LEAST` requests (``SENT`` counts them).
"""

from __future__ import annotations

import copy
import json
import socket
import tempfile
import threading
import time
from collections import Counter
from collections.abc import Iterable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote, urlsplit

import pytest
import requests
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from qrinterop.profile import load_profile
from qrinterop.protocol.control_api import ControlApiSpec
from qrinterop.protocol.envelope import Party, seal, signature_ok
from qrinterop.protocol.keyring import KeyRing
from qrinterop.protocol.transport import BODY_READ_TIMEOUT_S, MAX_BODY_BYTES, MESSAGE_PATH
from qrinterop.runner.certify import CertifyOptions, load_inputs, running_network
from tests.test_message_set import CATALOGUE, EXAMPLES

pytestmark = pytest.mark.e2e

PROFILE = load_profile()
SPEC = ControlApiSpec.of(PROFILE)
#: Every request is answered within this many seconds, a stalled body included.
BOUND_S = BODY_READ_TIMEOUT_S + 15
#: Requests one run of this file sends, at least.
AT_LEAST = 10_000
#: Requests in flight at once: one batch.
BATCH = 30
SENT: Counter[str] = Counter()


def fuzz_settings(examples: int) -> settings:
    return settings(database=None, deadline=None, derandomize=True, max_examples=examples,
                    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large,
                                           HealthCheck.function_scoped_fixture])


MSG_TYPES = sorted(f"{name}.{leg.split('.')[0]}" for name, entry in CATALOGUE["messages"].items()
                   for leg in entry["legs"])
REQUESTS = sorted((name, leg) for name, legs in EXAMPLES.items() for leg in legs
                  if leg.startswith("request."))
OPERATIONS = sorted(SPEC.operations())
METHODS = ["GET", "POST", "PUT", "DELETE", "PATCH", "OPTIONS"]
CONTENT_TYPES = [None, "application/json", "application/json; charset=utf-8", "text/plain",
                 "application/x-www-form-urlencoded", "multipart/form-data; boundary=x",
                 "application/json; charset=latin-1", "\u00e9/\u00e9"]

#: Numbers no JSON parser reads alike, or no store of money holds, written as JSON text.
ABSURD_NUMBERS = [str(2**53), str(2**53 - 1), str(-(2**53)), str(2**63), str(2**64), "-0",
                  "-0.0", "1e400", "-1e400", "1e-400", "NaN", "Infinity", "-Infinity",
                  "0.1", "1E2", "1" * 5000, "123456789012345678901234567890"]
#: Whole bodies a transport must survive.
ABSURD_BODIES = [
    b"", b"null", b"true", b"1", b'"str"', b"[1]", b"[]", b"{}", b"{", b"}", b"\x00",
    b"[" * 5000 + b"]" * 5000, b'{"a":' * 5000 + b"1" + b"}" * 5000,
    b"[" * 65 + b"]" * 65, b"[" * 64 + b"]" * 64,
    b'"' + b"x" * (MAX_BODY_BYTES + 10) + b'"', b" " * (1 << 20),
    b'{"a": "' + b"\xe6\x9c\x80" * 60_000 + b'"}',
    b'{"a": "\xff\xfe"}', b"\xc3\x28", b'"\xed\xa0\x80"', b"\xef\xbb\xbf{}",
    b'"\\ud800"', b'{"\\udfff": 1}', b'{"header": {"sender": "\\ud800", "testCaseId": '
    b'"\\udc00", "msgType": "a\\ud800.request"}, "body": {}}',
    b'{"a": 1, "a": 2}', b'{"header": [], "body": null, "signature": 1}',
    *(f'{{"amount": {n}, "balance": {n}}}'.encode() for n in ABSURD_NUMBERS),
    *(f"[{n}]".encode() for n in ABSURD_NUMBERS),
]

#: What a spoilt field holds instead: wrong types, edge numbers, odd and overlong strings.
ODD = st.one_of(st.none(), st.booleans(), st.integers(-2**31, 2**40),
                st.sampled_from([2**53 - 1, -(2**53 - 1), 0, -1, 1]),
                st.sampled_from(["", "0", "00", "ZZ", "6212345678901234567", "1" * 300,
                                 "2026-13-45", "20261301250000", "0000", "\u0000", "最佳",
                                 "\u202e", "x" * 5000, "../../etc", "%00"]),
                st.text(max_size=30), st.lists(st.integers(-2, 99), max_size=3),
                st.dictionaries(st.sampled_from(["id", "code", "amount", "x"]),
                                st.integers(-2, 99), max_size=3))
#: A placeholder a drawn value stands in for, replaced by an absurd number in the JSON text.
PLACEHOLDER = "\u2063ABSURD\u2063"
ODD_OR_ABSURD = ODD | st.just(PLACEHOLDER)


@dataclass(frozen=True)
class Probe:
    """One request: to which service (its index in ``network.participants``), how, what."""
    service: int
    method: str
    path: str
    body: bytes | None = None
    content_type: str | None = None
    params: tuple[tuple[str, str], ...] = ()
    chunked: bool = False


# -- the network, and sending -------------------------------------------------------------------

@pytest.fixture(scope="module")
def network():
    suite, _profile, ics, _path = load_inputs(CertifyOptions())
    with tempfile.TemporaryDirectory() as folder, \
            running_network(suite, ics, Path(folder), 0) as running:
        LIVE_CODES.extend(live_codes(running))
        yield running
        alive = {who.id: _health(who.service.url) for who in running.participants}
        logs = {path.name: path.read_text(encoding="utf-8", errors="replace")
                for path in (Path(folder) / "logs").glob("*.log")}
    assert all(alive.values()), alive
    failed = {name: text[max(0, text.find("Traceback") - 300):][:3000]
              for name, text in logs.items() if "handler failed" in text or "Traceback" in text
              or "Error handling request" in text}
    assert not failed, "\n".join(f"{name}: {text}" for name, text in failed.items())


@pytest.fixture(scope="module")
def keys(network) -> KeyRing:
    return KeyRing.from_registrations(network.registrations())


def _health(url: str) -> bool:
    try:
        return requests.get(url + "/health", timeout=BOUND_S).status_code == 200
    except requests.RequestException:
        return False


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


POOL = ThreadPoolExecutor(BATCH)
_LOCAL = threading.local()


def _session() -> requests.Session:
    if not hasattr(_LOCAL, "session"):
        _LOCAL.session = requests.Session()
    return _LOCAL.session


def _chunks(body: bytes) -> Iterator[bytes]:
    for start in range(0, len(body), 65536):
        yield body[start:start + 65536]


def problem(network, keys: KeyRing, probe: Probe) -> str | None:
    """Send one probe; what is wrong with its answer, or None."""
    who = network.participants[probe.service]
    headers = {"Content-Type": probe.content_type} if probe.content_type else {}
    started = time.monotonic()
    try:
        response = _session().request(
            probe.method, who.service.url + probe.path, params=probe.params or None,
            data=_chunks(probe.body) if probe.chunked and probe.body else probe.body,
            headers=headers, timeout=BOUND_S)
    except requests.RequestException as exc:
        return f"no answer: {type(exc).__name__}: {exc}"
    elapsed = time.monotonic() - started
    if response.status_code >= 500:
        return f"HTTP {response.status_code}: {response.text[:300]}"
    if elapsed > BOUND_S:
        return f"answered after {elapsed:.1f} s"
    if probe.path == MESSAGE_PATH:
        return unsigned(who.id, keys, response)
    return None


def unsigned(sender: str, keys: KeyRing, response: requests.Response) -> str | None:
    """What makes an answer on ``/messages`` not a signed answer from ``sender``."""
    try:
        answer = response.json()
    except ValueError:
        return f"HTTP {response.status_code}, not JSON: {response.text[:200]!r}"
    header = answer.get("header") if isinstance(answer, dict) else None
    if not isinstance(header, dict) or header.get("sender") != sender or \
            not signature_ok(answer, keys):
        return f"HTTP {response.status_code}, not signed by {sender}: {str(answer)[:300]}"
    if "internal error" in str(answer.get("body", {}).get("respMsg", "")):
        return f"a handler failed: {answer['body']}"
    return None


def send(network, keys: KeyRing, test: str, probes: Iterable[Probe]) -> None:
    """Send a batch, each probe as soon as it is drawn (so drawing the next overlaps with
    the answers to the last); every answer must pass."""
    sent = [(probe, POOL.submit(problem, network, keys, probe)) for probe in probes]
    SENT[test] += len(sent)
    failures = [(probe.method, probe.path, (probe.body or b"")[:80], found)
                for probe, future in sent if (found := future.result())]
    assert not failures, failures[:5]


def drawn(data: st.DataObject, *parts: tuple[st.SearchStrategy[Probe], int]) -> Iterator[Probe]:
    """``count`` probes of each strategy, drawn one at a time."""
    for strategy, count in parts:
        for _ in range(count):
            yield data.draw(strategy)


# -- what is sent ------------------------------------------------------------------------------

def absurd_json(value: object, number: str) -> bytes:
    """``value`` as JSON, with every placeholder an absurd ``number``."""
    return json.dumps(value, ensure_ascii=False).replace(f'"{PLACEHOLDER}"', number).encode()


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


@st.composite
def signed_message(draw, network) -> Probe:
    """A registered participant (or the switch, towards an institution) signs a message of
    any type with spoilt fields; now and then a header field is spoilt after signing, or an
    absurd number written into it."""
    name, leg = draw(st.sampled_from(REQUESTS))
    body = draw(spoilt_body(name, leg))
    msg_type = draw(st.just(f"{name}.request") | st.sampled_from(MSG_TYPES))
    participants = network.participants
    if leg.endswith("to-switch"):
        sender, receiver = draw(st.sampled_from(participants[1:])), participants[0]
    else:
        sender, receiver = participants[0], draw(st.sampled_from(participants[1:]))
    message = seal(Party(sender.id, sender.key, sender.key_id), msg_type, receiver.id, body,
                   test_case_id=draw(st.sampled_from([None, "ROB-1"])))
    spoil = draw(st.integers(0, 7))
    if spoil == 0:
        header = message["header"]
        header[draw(st.sampled_from(sorted(header)))] = draw(ODD)
    elif spoil == 1:
        message["body"][draw(st.sampled_from(["amount", "orderNo", "x"]))] = PLACEHOLDER
    raw = absurd_json(message, draw(st.sampled_from(ABSURD_NUMBERS)))
    return Probe(participants.index(receiver), "POST", MESSAGE_PATH, raw)


def transport_junk(network, paths: st.SearchStrategy[str]) -> st.SearchStrategy[Probe]:
    """Anything at all, to ``paths`` of any service, by any method and content type."""
    bodies = st.sampled_from(ABSURD_BODIES) | st.binary(max_size=300) | st.builds(
        absurd_json, st.recursive(ODD_OR_ABSURD, lambda inner: st.dictionaries(
            st.sampled_from(["header", "body", "signature", "msgType", "amount"]), inner,
            max_size=3) | st.lists(inner, max_size=2), max_leaves=5),
        st.sampled_from(ABSURD_NUMBERS))
    return st.builds(Probe, service=st.integers(0, len(network.participants) - 1),
                     method=st.sampled_from(["POST"] * 4 + METHODS), path=paths, body=bodies,
                     content_type=st.sampled_from(CONTENT_TYPES), chunked=st.booleans())


@st.composite
def control_request(draw, network) -> Probe:
    """A documented control operation, with odd path parameters and bodies (absurd numbers
    among them), to any institution, sometimes by another method or as plain text."""
    method, template = draw(st.sampled_from(OPERATIONS))
    path = template
    while "{" in path:
        start, end = path.index("{"), path.index("}")
        path = path[:start] + quote(draw(st.text(min_size=1, max_size=20)), safe="") \
            + path[end + 1:]
    body = draw(st.none() | st.dictionaries(st.sampled_from(
        ["balance", "riskTier", "account", "code", "amount", "name", "voucherNum", "refundId",
         "decision", "mcc", "city", "localName", "merchantId", "owner", "image", "x"]),
        ODD_OR_ABSURD, max_size=5))
    params = draw(st.sampled_from([(), (("settleDate", "0101"),)]) |
                  st.tuples(st.tuples(st.just("settleDate"), st.text(max_size=8))))
    return Probe(draw(st.integers(1, len(network.participants) - 1)),
                 draw(st.sampled_from([method] * 6 + METHODS)), path,
                 None if body is None else absurd_json(body, draw(st.sampled_from(
                     ABSURD_NUMBERS))),
                 draw(st.sampled_from(CONTENT_TYPES[:3] * 3 + CONTENT_TYPES)), params)


@st.composite
def sim_request(draw, network) -> Probe:
    """The simulation API of the switch (and of institutions, that have none): records from
    any cursor, fault programmes of the catalogue with odd fields, reconciliation files for
    any participant and day."""
    kind = draw(st.sampled_from(["records", "cursor", "faults", "reconciliation", "health"]))
    service = draw(st.sampled_from([0] * 4 + list(range(len(network.participants)))))
    if kind == "records":       # (a valid cursor beyond the end: the whole log is costly)
        after = draw(st.sampled_from(["abc", "-1", "1.5", "", str(2**63), str(2**70), "\u0661",
                                      str(2**63 - 1)]) | st.text(max_size=8) |
                     st.integers(10**9, 2**63 - 1).map(str))
        return Probe(service, "GET", "/sim/records", params=(("after", after),))
    if kind == "faults":
        body = draw(st.dictionaries(st.sampled_from(
            ["fault", "peer", "msgType", "times", "params", "delay_s", "x"]), ODD_OR_ABSURD,
            max_size=5))
        body.setdefault("fault", draw(st.sampled_from(sorted(PROFILE.faults))))
        return Probe(service, draw(st.sampled_from(["POST"] * 5 + METHODS)), "/sim/faults",
                     absurd_json(body, draw(st.sampled_from(ABSURD_NUMBERS))))
    if kind == "reconciliation":
        participant = draw(st.text(min_size=1, max_size=12) | st.sampled_from(
            [who.id for who in network.participants]))
        return Probe(service, "GET", f"/sim/reconciliation/{quote(participant, safe='')}",
                     params=(("settleDate", draw(st.text(max_size=6))),))
    return Probe(service, draw(st.sampled_from(METHODS)), f"/{kind}".replace("/cursor",
                                                                          "/sim/cursor"))


# -- the fuzz -----------------------------------------------------------------------------------

@fuzz_settings(90)
@given(data=st.data())
def test_signed_spoilt_messages_are_answered(network, keys, data):
    """Signed messages of every type with spoilt fields: each receiver answers it by the
    profile, signed, whatever it holds."""
    send(network, keys, "signed", drawn(data, (signed_message(network), BATCH)))


@fuzz_settings(110)
@given(data=st.data())
def test_anything_sent_to_messages_gets_a_signed_answer(network, keys, data):
    """Bytes that are no message, by any method and content type, to every ``/messages``."""
    send(network, keys, "messages", drawn(data, (transport_junk(
        network, st.just(MESSAGE_PATH)), BATCH)))


@fuzz_settings(110)
@given(data=st.data())
def test_control_api_never_fails_inside(network, keys, data):
    """Every documented control operation of every institution, with odd parameters and
    bodies, and junk to every control path and to paths nobody serves: never 5xx."""
    paths = st.sampled_from(sorted({template.split("{")[0].rstrip("/")
                                    for _method, template in OPERATIONS} |
                                   {"/", "/control", "/nowhere", "/messages/x", "/health"}))
    send(network, keys, "control", drawn(data, (control_request(network), BATCH * 2 // 3),
                                         (transport_junk(network, paths), BATCH // 3)))


@fuzz_settings(35)
@given(data=st.data())
def test_simulation_api_never_fails_inside(network, keys, data):
    """``/sim/*`` on every service: never 5xx. Programmed faults are cleared after each batch,
    before any other test's messages could meet them."""
    try:
        send(network, keys, "sim", drawn(data, (sim_request(network), BATCH)))
    finally:
        requests.delete(network.switch.service.url + "/sim/faults", timeout=BOUND_S)


def stalled(url: str, path: str, close: bool) -> str | None:
    """Announce 1,000 bytes, send 7, and wait (or close the sending side): what is wrong
    with the answer, or None."""
    parts = urlsplit(url)
    started = time.monotonic()
    with socket.create_connection((parts.hostname, parts.port), timeout=BOUND_S) as sock:
        sock.sendall(f"POST {path} HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                     f"Content-Length: 1000\r\n\r\n{{\"a\": 1".encode())
        if close:
            sock.shutdown(socket.SHUT_WR)
        try:
            answer = sock.recv(65536)
        except TimeoutError:
            return "no answer"
    elapsed = time.monotonic() - started
    status = answer.split(b"\r\n")[0]
    if close and not answer:
        return None         # the sender went away: closing is the answer
    if not status.startswith(b"HTTP/1.1 ") or status[9:10] == b"5":
        return f"answered {status!r}"
    return f"answered after {elapsed:.1f} s" if elapsed > BOUND_S else None


def test_incomplete_bodies_are_answered_within_the_bound(network):
    """On raw sockets, to every path of every service: an announced body that never arrives
    in full is answered, 4xx or a signed refusal, within the bound."""
    paths = [MESSAGE_PATH, "/control/accounts", "/control/network", "/sim/faults", "/x"]
    targets = [(who.service.url, path, close) for who in network.participants
               for path in paths for close in (False, True)]
    with ThreadPoolExecutor(len(targets)) as pool:
        found = list(pool.map(lambda target: stalled(*target), targets))
    SENT["incomplete"] += len(targets)
    assert not [(target, why) for target, why in zip(targets, found, strict=True) if why]


def test_every_service_still_answers_and_the_fuzz_was_big_enough(network, keys):
    """After all of it, every service answers a signed message as before; and one run of the
    whole file sent at least AT_LEAST requests (checked when every fuzz above ran)."""
    switch, peer = network.switch, network.peers[0]
    message = seal(Party(peer.id, peer.key, peer.key_id), "cpm.status_query.request",
                   switch.id, {"origOrderNo": "NONE", "origOrderTime": "20260101000000"})
    response = requests.post(switch.service.url + MESSAGE_PATH, timeout=BOUND_S,
                             data=json.dumps(message).encode())
    assert unsigned(switch.id, keys, response) is None
    assert all(_health(who.service.url) for who in network.participants)
    if {"signed", "messages", "control", "sim", "incomplete"} <= set(SENT):
        assert sum(SENT.values()) >= AT_LEAST, SENT
    print(f"fuzz: {sum(SENT.values())} requests {dict(SENT)}")
