"""EMV consumer-presented payloads end to end: the payload a wallet shows (R-CPM-01), and the
payload each hop passes on, byte for byte (R-CPM-05).

The issuer's own checks (cryptogram, R-CPM-06; one purchase per ATC, R-CPM-07) are judged by
what it answers, through the generic outcome checks; what is judged here is what can be read
on the payload itself.
"""

from __future__ import annotations

from qrinterop.checks.outcome import Violation, check, unequal
from qrinterop.checks.record import Record
from qrinterop.checks.wire import sent
from qrinterop.codes import cpm_cryptogram, emv_cpm
from qrinterop.codes.findings import ERROR

PURCHASE = "cpm.purchase.request"


@check("R-CPM-01")
def payload_shown(payload: str, scheme: cpm_cryptogram.TestScheme) -> list[Violation]:
    """The wallet's EMV CPM payload is well formed and its template 63 carries a cryptogram
    that verifies with the profile's test keys."""
    _, findings = emv_cpm.validate(payload)
    errors = [Violation(f"EMV CPM payload at {f.path or 'root'}", "well formed",
                        f.message) for f in findings
              if f.severity == ERROR and f.requirement == emv_cpm.R_FORMAT]
    _, problem = cpm_cryptogram.verify(scheme, payload)
    if problem:
        errors.append(Violation("application cryptogram of the EMV CPM payload",
                                "made with the profile's test key scheme", problem))
    return errors


def difference(expected: str, observed: object) -> str:
    """What changed between two payloads, in the terms of their templates."""
    if not isinstance(observed, str):
        return repr(observed)
    try:
        was, now = cpm_cryptogram.chip_data(expected), cpm_cryptogram.chip_data(observed)
    except cpm_cryptogram.CryptogramError as exc:
        return f"{observed[:60]}… ({exc})"
    changed = [tag for tag in cpm_cryptogram.CHIP_TAGS if was.values[tag] != now.values[tag]]
    if changed:
        return f"{observed[:60]}… (template 63 changed: {', '.join(changed)})"
    return f"{observed[:60]}… (re-encoded: same chip data, other bytes)"


@check("R-CPM-05")
def payload_forwarded(records: list[Record], sender: str, payload: str,
                      receiver: str | None = None) -> list[Violation]:
    """``sender`` sent one purchase (to ``receiver``, if named) whose code is ``payload``
    exactly as scanned: not re-encoded, template 63 neither dropped nor changed."""
    carried = [r.body.get("code") for r in sent(records, sender, PURCHASE)
               if receiver is None or r.receiver == receiver]
    if len(carried) != 1:
        return unequal(f"purchases {sender} sent" + (f" to {receiver}" if receiver else ""),
                       len(carried), 1)
    if carried[0] == payload:
        return []
    return [Violation(f"EMV CPM payload {sender} sent in {PURCHASE}", "the payload as scanned, "
                      "byte for byte", difference(payload, carried[0]))]
