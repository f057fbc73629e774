"""How the reference institution reads what its terminal and its wallet scan.

A code that cannot be what it claims is refused here, before anything is sent to the switch;
anything else is passed on exactly as scanned, since only the switch knows every issuer and
acquirer. The deliberately defective variants (``mocks/defects.json``) read codes the ways
real implementations get wrong.
"""

from __future__ import annotations

import re
import unicodedata

from mocks.control_api import ControlError
from mocks.defects import Defects
from qrinterop.codes import cpm_cryptogram, emv_cpm, emv_mpm
from qrinterop.codes.findings import ERROR

#: What a terminal that "cleans" scanned codes keeps: the first 18 digits.
CLEANED_LENGTH = 18


def read_payment_code(code: str, form: re.Pattern, defects: Defects, emv: bool = False) -> str:
    """The payment code to send, from what the terminal scanned: refused unless it has the
    ``form`` a purchase message can carry, or is an EMV CPM payload and ``emv`` (the profile
    carries them and the institution implements emv-cpm), which is sent as scanned
    (R-CPM-05)."""
    if emv and emv_cpm.is_cpm(code):
        return cpm_cryptogram.stripped(code) \
            if defects.on("terminal-strips-transparent-templates") else code
    if defects.on("terminal-rewrites-codes"):
        digits = "".join(c for c in unicodedata.normalize("NFKC", code) if c.isdigit())
        return digits[:CLEANED_LENGTH]
    if defects.on("terminal-assumes-19-digits") and len(code) != 19:
        raise ControlError(422, "not a payment code: 19 digits expected")
    if not form.fullmatch(code):
        raise ControlError(422, f"not a payment code: a purchase carries {form.pattern}")
    return code


def check_merchant_code(code: str, rules: emv_mpm.Rules, defects: Defects) -> None:
    """Refuse an EMV merchant code that breaks one of the profile's coding ``rules``."""
    if defects.on("wallet-byte-lengths") and not code.isascii():
        raise ControlError(422, "not a valid merchant code: lengths do not add up")
    parsed, findings = emv_mpm.validate(code, rules)
    if defects.on("wallet-skips-code-checks"):
        return
    errors = [f for f in findings if f.severity == ERROR
              and not (f.requirement == "R-MPM-05" and defects.on("skip-crc-check"))
              and not (f.requirement == "R-MPM-16" and defects.on("wallet-skips-id15-check"))
              and not (f.path == "62.11" and defects.on("wallet-reads-channel-as-text"))
              and not (f.requirement == "R-MPM-02"
                       and defects.on("wallet-accepts-miscounted-lengths"))]
    if parsed is None or errors:
        raise ControlError(422, "not a valid merchant code: " + "; ".join(
            f"{f.requirement} {f.path}: {f.message}" for f in errors))
    country = parsed.get("58")
    if defects.on("wallet-refuses-foreign-codes") and (country is None or country.value != "CN"):
        raise ControlError(422, "not a merchant code of a Chinese institution")
