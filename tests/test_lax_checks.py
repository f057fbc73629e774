"""The defective variants' receiving checks (mocks/lax.py): each lets through exactly the
spoilt message its defect is about, and the reference's checks refuse it."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from mocks import lax
from mocks.defects import Defects
from qrinterop.protocol import bindings
from qrinterop.protocol.crypto import SigningKey
from qrinterop.protocol.envelope import Party, seal, sign, signature_ok
from qrinterop.protocol.keyring import KeyRing
from qrinterop.protocol.replay import FUTURE, OK, REUSED, ReplayGuard

SWITCH, PEER = Party("90000000", SigningKey.generate()), Party("20000001", SigningKey.generate())
RING = KeyRing()
RING.add(SWITCH.inst_id, SWITCH.key.public)
RING.add(PEER.inst_id, PEER.key.public)
NOW = datetime(2026, 12, 1, 4, 0, tzinfo=UTC)


def _message() -> dict:
    return seal(SWITCH, "cpm.purchase.request", "10000001", {"amount": 100})


def test_a_peer_key_passes_only_the_any_registered_key_verifier():
    message = _message()
    message["signature"] = sign(PEER.key, message["header"], message["body"])
    assert not signature_ok(message, RING)
    assert lax.any_registered_key(message, RING)
    assert lax.verifier(Defects(["any-registered-key"])) is lax.any_registered_key
    assert lax.verifier(Defects()) is bindings.signature_ok


def test_a_wrong_alg_label_passes_only_the_verifier_that_ignores_it():
    message = _message()
    message["signature"]["alg"] = "SHA256withRSA"
    assert not signature_ok(message, RING)
    assert lax.whatever_alg(message, RING)
    assert not lax.whatever_alg({"header": {}}, RING)


def test_a_future_stamp_passes_only_the_guard_without_a_future_check():
    ahead = NOW + timedelta(seconds=600)
    assert ReplayGuard(300).check("s", ahead, "n", now=NOW).status == FUTURE
    assert lax.guard(Defects(["no-future-timestamp-check"]), 300).check(
        "s", ahead, "n", now=NOW).status == OK


def test_a_window_in_minutes_takes_a_message_signed_an_hour_ago():
    old = NOW - timedelta(hours=1)
    assert lax.guard(Defects(["replay-window-in-minutes"]), 300).check(
        "s", old, "n", now=NOW).ok
    assert not ReplayGuard(300).check("s", old, "n", now=NOW).ok


def _replayed_after(guard: ReplayGuard, others: int, stamp: datetime) -> str:
    guard.check("s", stamp, "first", now=NOW)
    for n in range(others):
        guard.check("s", NOW, f"other-{n}", now=NOW)
    return guard.check("s", stamp, "first", now=NOW).status


def test_a_short_nonce_memory_forgets_a_nonce_after_more_traffic():
    assert _replayed_after(ReplayGuard(300), 50, NOW) == REUSED
    assert _replayed_after(lax.guard(Defects(["short-nonce-memory"]), 300), 50, NOW) == OK


def test_nonces_kept_a_minute_let_a_late_replay_inside_the_window_through():
    late = NOW - timedelta(seconds=280)
    assert _replayed_after(ReplayGuard(300), 0, late) == REUSED
    assert _replayed_after(lax.guard(Defects(["nonces-kept-a-minute"]), 300), 0, late) == OK


def test_only_the_named_answers_are_trusted():
    defects = Defects(["query-answers-unverified"])
    assert lax.trusts(defects, "cpm.status_query.request")
    assert not lax.trusts(defects, "cpm.purchase.request")
    assert not lax.trusts(Defects(), "cpm.status_query.request")
