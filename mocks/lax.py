"""The receiving checks of the defective variants: how real implementations get signature and
replay checks subtly wrong, so that selftest proves the suite's spoilt messages catch them.

The reference checks every message with :func:`~qrinterop.protocol.bindings.signature_ok`
and a :class:`~qrinterop.protocol.replay.ReplayGuard`; :func:`verifier` and :func:`guard` give
the same, or the lax twin a defect of the catalogue names (the institution's and the switch's
defects apart, each one ``defects.on`` switch).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from mocks.defects import Defects
from qrinterop.protocol.bindings import signature_ok, signed_content
from qrinterop.protocol.keyring import KeyRing
from qrinterop.protocol.replay import FUTURE, OK, ReplayGuard, ReplayVerdict, _Memory

Verifier = Callable[[object, KeyRing], bool]
#: How many nonces a forgetful receiver keeps per sender (a fixed-size cache).
SHORT_MEMORY = 10
#: How long a forgetful receiver keeps a nonce, from its message's timestamp: a minute, not
#: the replay window.
SHORT_TTL_S = 60.0


def _parts(message: object) -> tuple[dict, dict, dict]:
    shapeless: Any = message
    return shapeless["header"], shapeless["body"], shapeless["signature"]


def any_registered_key(message: object, ring: KeyRing) -> bool:
    """Valid if any registered key verifies it, whoever the sender says it is: a key table
    searched for a match instead of looked up by sender."""
    try:
        _header, _body, signature = _parts(message)
        return any(key.verify(signature["value"], signed_content(message, key.algorithm))
                   for _, _, key in ring.items())
    except (LookupError, TypeError, ValueError):
        return False


def whatever_alg(message: object, ring: KeyRing) -> bool:
    """Verified with the sender's key whatever ``alg`` the signature is labelled with."""
    try:
        _header, _body, signature = _parts(message)
        key = ring.key_for(message)
        return key.verify(signature["value"], signed_content(message, key.algorithm))
    except (LookupError, TypeError, ValueError):
        return False


def verifier(defects: Defects) -> Verifier:
    """How this variant checks a signature against its key ring."""
    if defects.on("any-registered-key") or defects.on("switch-accepts-any-registered-key"):
        return any_registered_key
    if defects.on("ignores-alg-label") or defects.on("switch-ignores-alg-label"):
        return whatever_alg
    return signature_ok


class LaxGuard(ReplayGuard):
    """A replay guard with one of the usual mistakes: no look into the future, a window read
    in minutes, or a nonce memory too small or too short-lived."""

    def __init__(self, window_s: float, *, future_ok: bool = False, window_unit_s: float = 1.0,
                 nonces: int = 100_000, ttl_s: float | None = None) -> None:
        super().__init__(window_s * window_unit_s, nonces)
        self.future_ok = future_ok
        self.ttl_s = ttl_s

    def _judge_time(self, sender: str, moment: float, clock: float) -> ReplayVerdict:
        verdict = super()._judge_time(sender, moment, clock)
        return ReplayVerdict(OK) if self.future_ok and verdict.status == FUTURE else verdict

    def _judge_nonce(self, sender: str, nonce: str, moment: float, clock: float,
                     record: bool) -> ReplayVerdict:
        memory = self._memory.setdefault(sender, _Memory())
        if self.ttl_s is not None:
            memory.forget_before(clock - self.ttl_s)
        verdict = super()._judge_nonce(sender, nonce, moment, clock, record)
        memory.floor = float("-inf")      # a cache that drops the oldest, and no more
        return verdict


def guard(defects: Defects, window_s: float) -> ReplayGuard:
    """The replay guard of this variant: the reference's, or a lax one."""
    if defects.on("no-future-timestamp-check") or defects.on("switch-no-future-timestamp-check"):
        return LaxGuard(window_s, future_ok=True)
    if defects.on("replay-window-in-minutes"):
        return LaxGuard(window_s, window_unit_s=60.0)
    if defects.on("short-nonce-memory") or defects.on("switch-short-nonce-memory"):
        return LaxGuard(window_s, nonces=SHORT_MEMORY)
    if defects.on("nonces-kept-a-minute") or defects.on("switch-nonces-kept-a-minute"):
        return LaxGuard(window_s, ttl_s=SHORT_TTL_S)
    return ReplayGuard(window_s)


def trusts(defects: Defects, request_type: str) -> bool:
    """Whether this variant takes the answer to a ``request_type`` without verifying it: one
    that checks the answers it acts on first (a purchase's) but not those that come later."""
    return ((defects.on("query-answers-unverified") and request_type == "cpm.status_query.request")
            or (defects.on("mpm-payment-answer-unverified")
                and request_type == "mpm.payment.request")
            or defects.on("switch-trusts-unverified-answers"))
