"""What an institution issues follows what it registered with the switch (R-CPM-02): a
payment code the switch cannot route to its issuer cannot be paid with."""

from __future__ import annotations

from qrinterop.checks.outcome import Violation, check, unless
from qrinterop.codes.payment_code import CodeRule


@check("R-CPM-02")
def code_follows_registration(code: str, party: str, rules: list[dict]) -> list[Violation]:
    """``code`` has the prefix and length of one of ``party``'s registered ``rules``
    (``payment_codes`` of its registration: prefix and length)."""
    return unless(any(CodeRule(party, r["prefix"], r["length"]).matches(code) for r in rules),
                  "payment code",
                  " or ".join(f"{r['length']} digits starting {r['prefix']}" for r in rules),
                  code)
