"""The transport layer's parts, without a network: the one parser every service uses, the
tap's log, the network a node joins, the evidence chain and ``serve``'s log printer (issue 13,
items 2, 6 and 7). tests/test_transport.py holds the same over HTTP."""

from __future__ import annotations

import json
import sqlite3

import pytest
import requests

from mocks.node import NetworkConfigError, Node
from mocks.tap import Tap
from qrinterop.evidence.bundle import chain_problem, chained_lines
from qrinterop.profile import load_profile
from qrinterop.protocol.bindings.json_binding import JsonBinding
from qrinterop.protocol.canonical import MAX_DEPTH, has_lone_surrogate, strict_loads
from qrinterop.protocol.validation import schema_problems
from tests.test_message_set import EXAMPLES
from tests.test_tap import json_answer

PROFILE = load_profile()


@pytest.mark.parametrize("raw", [b"[" * 5000 + b"]" * 5000, b"[" * (MAX_DEPTH + 1) +
                                 b"]" * (MAX_DEPTH + 1), b'{"a":' * 5000 + b"1" + b"}" * 5000,
                                 b"1e400", b"-1e400", b"NaN", b"[Infinity]", b"9007199254740992",
                                 b'{"amount": -9223372036854775808}', b"1" * 5000,
                                 b'{"a": 1, "a": 2}', b"\xff"])
def test_the_one_parser_refuses_what_no_two_parsers_read_alike(raw):
    with pytest.raises(ValueError):
        strict_loads(raw)


def test_the_one_parser_takes_what_is_merely_unusual():
    assert strict_loads(b"[" * MAX_DEPTH + b"]" * MAX_DEPTH)
    assert strict_loads(b'["[[[[", "\\"", -0, 9007199254740991, 0.5]') == \
        ["[[[[", "\"", 0, 2**53 - 1, 0.5]
    assert has_lone_surrogate(strict_loads(b'{"a": ["\\ud800"]}'))
    assert not has_lone_surrogate(strict_loads(b'{"a": "\\ud83d\\ude00"}'))


def test_a_lone_surrogate_is_kept_exactly_in_the_log_and_the_transcript():
    tap = Tap(sqlite3.connect(":memory:"), PROFILE.faults, PROFILE.response_codes,
              json_answer, JsonBinding())
    message = {"header": {"sender": "A\udc00", "msgType": "x\ud800"}, "body": {"b": "\ud800最"}}
    tap.record("in", "A\udc00", "to-switch", message, note="\ud800")
    (record,) = tap.records_after(0)
    assert record["message"] == message and record["peer"] == "A\\udc00"
    lines = chained_lines([record])
    assert json.loads(lines[0])["message"] == message
    assert chain_problem("\n".join(lines) + "\n") is None
    body = {**EXAMPLES["cpm.purchase"]["request.to-switch"], "orderNo": "A\ud800"}
    assert "lone surrogate" in schema_problems(PROFILE, {"header": {
        "msgType": "cpm.purchase.request"}, "body": body}, "to-switch")[0]


def network_config(**changes: object) -> dict:
    participant = {"id": "10000001", "url": "http://127.0.0.1:1/messages", "keys": []}
    return {"timing_scale": 0.5, "network": {"participants": [{**participant, **changes}]}}


@pytest.mark.parametrize("network", [
    None, [], {"network": []}, {"network": {"participants": [1]}},
    network_config(keys=[{"key_id": "k", "algorithm": "SM2", "public_key": "junk"}]),
    network_config(keys="x"), network_config(id=["x"]), network_config(url=None),
    {**network_config(), "timing_scale": float("nan")}, {**network_config(), "timing_scale": 0},
    {**network_config(), "timing_scale": True}])
def test_a_network_that_cannot_be_joined_is_refused_whole(network):
    with pytest.raises(NetworkConfigError):
        Node.read_network(network)


def test_a_network_is_read_whole():
    participants, keys, scale = Node.read_network(network_config())
    assert list(participants) == ["10000001"] and scale == 0.5 and "10000001" not in keys


class FlakyTap:
    """A switch's tap that goes away, comes back with a fresh log, and logs anything."""

    def __init__(self, script: list) -> None:
        self.script = script

    def _next(self):
        step = self.script.pop(0)
        if isinstance(step, Exception):
            raise step
        return step

    def cursor(self) -> int:
        return self._next()

    def records_after(self, seq: int) -> list[dict]:
        return [record for record in self._next() if record["seq"] > seq]


def record(seq: int, message: object) -> dict:
    return {"seq": seq, "at": 0, "direction": "in", "peer": "10000001",
            "msg_type": "x\ud800", "note": None, "message": message}


def test_serve_follows_the_switch_through_any_record_and_a_restart():
    """Non-object messages are shown, a dead switch is said once, and the printer takes up
    the log again when the switch is back (here with a fresh log, so from its start)."""
    from qrinterop.runner.serve import follow

    down = requests.ConnectionError("refused")
    tap = FlakyTap([[record(6, "str"), record(7, 1), record(8, [1]), record(9, True),
                        record(10, {"body": {"amount": "\ud800\n"}})],
                    down, down, down, 0, [record(1, None)]])
    shown: list[str] = []

    def sleep(_s: float) -> None:
        if not tap.script:
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        follow(tap, shown.append, sleep=sleep)
    assert len(shown) == 8, shown
    assert sum("Lost contact" in line for line in shown) == 1
    assert "again" in shown[6] and shown[7].startswith("08:00:00.000")
    assert all("\n" not in line and line.encode() for line in shown)
