"""The receiving checks of the defective variants: how real implementations get signature and
replay checks subtly wrong, so that selftest proves the suite's spoilt messages catch them;
and the QRC signing mistakes of their sending side (:func:`wire`).

The reference checks every message with :func:`~qrinterop.protocol.bindings.signature_ok`
and a :class:`~qrinterop.protocol.replay.ReplayGuard`; :func:`verifier` and :func:`guard` give
the same, or the lax twin a defect of the catalogue names (the institution's and the switch's
defects apart, each one ``defects.on`` switch).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from mocks.defects import Defects
from qrinterop.protocol.bindings import Binding, signature_ok, signed_content
from qrinterop.protocol.bindings.qrc import QrcBinding, cert_id, digest_hex
from qrinterop.protocol.crypto import SigningKey
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


class SloppyQrc(QrcBinding):
    """A QRC sender with one of the SDK-porting mistakes: the signing string in the order its
    form was written, not sorted; blank fields sent that the signing string left out (the
    SDK's filterBlank applied to one and not the other); or the certId of its previous
    certificate after a rotation, beside a signature by its current key."""

    #: What a form template leaves blank (a reserved field nobody fills).
    BLANK = "reqReserved"

    def __init__(self, wire: QrcBinding, defects: Defects,
                 own_key_ids: Callable[[], tuple[str, ...]]) -> None:
        super().__init__(wire.profile)
        self.defects = defects
        self.own_key_ids = own_key_ids

    def fields(self, header: Mapping[str, Any], body: Mapping[str, Any], leg: str,
               signature: Mapping[str, Any] | None) -> dict[str, str]:
        fields = super().fields(header, body, leg, signature)
        current = str((signature or {}).get("keyId", ""))
        previous = [k for k in self.own_key_ids() if k != current]
        if signature and previous and self.defects.on("qrc-cert-id-of-previous-key"):
            fields["certId"] = cert_id(previous[0])
        return fields

    def sign(self, key: SigningKey, header: dict, body: dict, key_id: str | None,
             leg: str, label: str | None = None) -> dict[str, str]:
        if not self.defects.on("qrc-signs-fields-unsorted"):
            return super().sign(key, header, body, key_id, leg, label)
        signature = {"alg": label or key.algorithm, "keyId": key_id or key.public.id}
        written = self.fields(header, body, leg, signature)
        text = "&".join(f"{k}={v}" for k, v in written.items())     # as written, unsorted
        return {**signature, "value": key.sign(digest_hex(text, key.algorithm).encode())}

    def signed_fields(self, message: dict, leg: str) -> dict[str, str]:
        fields = super().signed_fields(message, leg)
        if self.defects.on("qrc-sends-blank-fields") and self.BLANK not in fields:
            fields[self.BLANK] = ""         # sent, though the signature left it out
        return fields


def wire(defects: Defects, binding: Binding,
         own_key_ids: Callable[[], tuple[str, ...]]) -> Binding:
    """The binding this variant speaks: the reference's, or a QRC sender's mistake."""
    sloppy = (defects.on("qrc-signs-fields-unsorted") or defects.on("qrc-sends-blank-fields")
              or defects.on("qrc-cert-id-of-previous-key"))
    if isinstance(binding, QrcBinding) and sloppy:
        return SloppyQrc(binding, defects, own_key_ids)
    return binding
