"""What every simulated service does with a request it cannot use (issue 13, items 2, 6, 7
and 8): a refusal naming the problem, signed in the profile's vocabulary on ``/messages``,
never HTTP 5xx, never a request held open, never a message missing from the evidence."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from urllib.parse import urlsplit

import pytest
import requests

from qrinterop.protocol.envelope import Party, seal, signature_ok
from qrinterop.protocol.keyring import KeyRing
from qrinterop.protocol.transport import BODY_READ_TIMEOUT_S, MAX_BODY_BYTES, MESSAGE_PATH
from qrinterop.runner.certify import CertifyOptions, load_inputs, running_network

pytestmark = pytest.mark.e2e

DEEP = b"[" * 5000 + b"]" * 5000


@pytest.fixture(scope="module")
def network():
    suite, _profile, ics, _path = load_inputs(CertifyOptions())
    with tempfile.TemporaryDirectory() as folder, \
            running_network(suite, ics, Path(folder), 0) as running:
        yield running


@pytest.fixture(scope="module")
def keys(network) -> KeyRing:
    return KeyRing.from_registrations(network.registrations())


def signed_answer(keys: KeyRing, who, response: requests.Response) -> dict:
    """The answer on ``/messages``: HTTP 200 and signed by the participant that answered."""
    assert response.status_code == 200, (response.status_code, response.text[:300])
    answer = response.json()
    assert answer["header"]["sender"] == who.id and signature_ok(answer, keys), answer
    return answer["body"]


def test_every_message_endpoint_answers_signed_refusals(network, keys):
    """Nested 5,000 deep, over the size limit, not JSON, or not UTF-8: a signed code 10, from
    the switch and from an institution alike (its control API stays out of ``/messages``)."""
    for who in network.participants:
        url = who.service.url + MESSAGE_PATH
        for raw in (DEEP, b"x" * (MAX_BODY_BYTES + 1), b"not json", b"\xff\xfe{}", b"[1]"):
            body = signed_answer(keys, who, requests.post(url, data=raw, timeout=30))
            assert body["respCode"] == "10", (who.id, raw[:20], body)
        body = signed_answer(keys, who, requests.get(url, timeout=30))
        assert body["respCode"] == "10", body


def test_deep_nesting_is_refused_on_every_other_path(network):
    for who in network.participants:
        for path in ("/control/accounts", "/control/network", "/sim/faults"):
            response = requests.request("PUT" if path.endswith("network") else "POST",
                                        who.service.url + path, data=DEEP, timeout=30)
            assert response.status_code in (400, 404), (who.id, path, response.status_code)
            assert response.status_code == 404 or "error" in response.json()


def test_an_oversize_control_body_is_refused_with_413(network):
    response = requests.post(network.sut.service.url + "/control/accounts",
                             data=b" " * (MAX_BODY_BYTES + 1), timeout=30)
    assert response.status_code == 413 and "error" in response.json()


def test_bad_sim_query_parameters_are_refused_with_a_reason(network):
    base = network.switch.service.url
    for after in ("abc", "-1", str(2**70), "1.5"):
        response = requests.get(base + "/sim/records", params={"after": after}, timeout=30)
        assert response.status_code == 400, (after, response.status_code)
        assert "after" in response.json()["error"]


def test_a_lone_surrogate_is_refused_and_kept_exactly_in_the_evidence(network, keys):
    """The message cannot be signed (it is not Unicode): code 10, and the switch's log holds it
    as it arrived."""
    switch, peer = network.switch, network.peers[0]
    message = seal(Party(peer.id, peer.key, peer.key_id), "cpm.purchase.request", switch.id,
                   {"orderNo": "SURROGATE1"})
    message["body"]["orderNo"] = "A\ud800"
    cursor = requests.get(switch.service.url + "/sim/cursor", timeout=30).json()["seq"]
    body = signed_answer(keys, switch, requests.post(
        switch.service.url + MESSAGE_PATH, data=json.dumps(message).encode(), timeout=30))
    assert body["respCode"] == "10", body
    records = requests.get(switch.service.url + "/sim/records", params={"after": cursor},
                           timeout=30).json()
    assert records[0]["message"] == message


def test_put_network_with_junk_changes_nothing(network, keys):
    """Junk that the contract's schema lets through (a key that is no key) is refused with
    400, and the institution goes on trusting the network it had."""
    sut, switch = network.sut, network.switch
    junk = {"id": sut.id, "switch_id": switch.id, "switch_url": "http://127.0.0.1:9/x",
            "timing_scale": 0.5,
            "network": {"participants": [{"id": "X", "url": "u", "keys": [
                {"key_id": "k", "algorithm": "SM2", "public_key": "junk"}]}]}}
    response = requests.put(sut.service.url + "/control/network", json=junk, timeout=30)
    assert response.status_code == 400, (response.status_code, response.text[:300])
    message = seal(Party(switch.id, switch.key, switch.key_id), "cpm.purchase.request", sut.id,
                   {"orderNo": "X"})
    body = signed_answer(keys, sut, requests.post(sut.service.url + MESSAGE_PATH,
                                                  data=json.dumps(message).encode(),
                                                  timeout=30))
    assert "unknown sender" not in body.get("respMsg", ""), body


def incomplete_request(url: str, path: str) -> float:
    """Announce 1,000 bytes, send 7, and wait: the seconds until the service answers."""
    parts = urlsplit(url)
    started = time.monotonic()
    with socket.create_connection((parts.hostname, parts.port), timeout=30) as sock:
        sock.sendall(f"POST {path} HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                     f"Content-Length: 1000\r\n\r\n{{\"a\": 1".encode())
        answer = sock.recv(65536)
    assert answer.startswith(b"HTTP/1.1 "), answer[:100]
    assert b" 5" not in answer.split(b"\r\n")[0], answer[:200]
    return time.monotonic() - started


def test_an_incomplete_body_is_answered_within_the_bound(network):
    targets = [(who.service.url, path) for who in network.participants
               for path in (MESSAGE_PATH, "/control/accounts")
               if path == MESSAGE_PATH or who is not network.switch]
    with ThreadPoolExecutor(len(targets)) as pool:
        waits = list(pool.map(lambda target: incomplete_request(*target), targets))
    assert max(waits) < BODY_READ_TIMEOUT_S + 5, waits



def test_serve_outlives_odd_messages_and_a_dead_switch(tmp_path):
    """``qrinterop serve``'s log printer shows non-object messages and, when the switch is
    killed, says so once and goes on: the services stay up."""
    run_dir = tmp_path / "serve"
    process = subprocess.Popen([sys.executable, "-m", "qrinterop.cli", "serve", "--out",
                                str(run_dir)], stdout=subprocess.PIPE, text=True,
                               env={**os.environ, "PYTHONUNBUFFERED": "1"})
    lines: list[str] = []
    threading.Thread(target=lambda: [lines.append(line) for line in process.stdout],
                     daemon=True).start()
    try:
        switch_messages = wait_for(lambda: next((line.split()[2] for line in lines
                                            if " switch " in line), None))
        for raw in (b'"str"', b"1", b"[1]", b"true"):
            requests.post(switch_messages, data=raw, timeout=30)
        wait_for(lambda: sum(" reject " in line for line in lines) >= 4)
        (switch_pid,) = [int(entry.name) for entry in Path("/proc").iterdir()
                         if entry.name.isdigit() and b"mocks.switch" in
                         (entry / "cmdline").read_bytes() and str(run_dir).encode() in
                         (entry / "cmdline").read_bytes()]
        os.kill(switch_pid, signal.SIGKILL)
        wait_for(lambda: any("Lost contact" in line for line in lines))
        assert process.poll() is None
    finally:
        process.send_signal(signal.SIGINT)
        process.wait(timeout=30)


def wait_for(found, timeout_s: float = 60.0):
    deadline = time.monotonic() + timeout_s
    while not (value := found()):
        assert time.monotonic() < deadline, "not seen in time"
        time.sleep(0.1)
    return value


def test_a_reconciliation_file_for_no_day_is_refused_with_a_reason(network):
    base = network.switch.service.url + f"/sim/reconciliation/{network.sut.id}"
    for day in ("abc", "1399", "0230x", "\u0661\u0662\u0660\u0661"):
        response = requests.get(base, params={"settleDate": day}, timeout=30)
        assert response.status_code == 400 and "settleDate" in response.json()["error"], day
    assert requests.get(base, params={"settleDate": "0101"}, timeout=30).status_code == 200
