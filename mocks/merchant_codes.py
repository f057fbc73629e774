"""How an acquirer's merchant codes name it and its merchant: the three styles its personas
use (mocks/network.json codes.merchant_codes).

- ``emv-guid``: an EMV code whose merchant account template 26 holds the acquirer's GUID and
  the merchant ID;
- ``unionpay-id15``: an EMV code whose ID 15 holds acquirer IIN, forwarding IIN and merchant
  ID, 8 + 8 + 15 digits (domain.md §3.2);
- ``url``: ``https://qr.qrinterop.invalid/<acquirer>/<token>``, the token the merchant ID of a
  static code or the order reference of a dynamic one.

A dynamic code names its single order by a reference (EMV: 62.05); the acquirer keeps the
order, so reading a code gives the merchant, the reference, or neither.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from qrinterop.codes import emv_mpm

URL_BASE = "https://qr.qrinterop.invalid"
#: Tip or convenience indicator (EMV MPM ID 55): the fee's kind (R-MPM-10).
FIXED_FEE, PERCENTAGE_FEE = "02", "03"
#: Where the fee is: a fixed amount (ID 56) or a percentage (ID 57).
FIXED_FEE_ID, PERCENT_FEE_ID = "56", "57"
STYLES = ("emv-guid", "unionpay-id15", "url")


@dataclass(frozen=True)
class Read:
    """What an acquirer reads in one of its own codes."""

    merchant_id: str | None      # static codes; a dynamic one's merchant is its order's
    reference: str | None        # dynamic codes: the order
    currency: str | None         # EMV codes carry it; URL codes do not


@dataclass(frozen=True)
class MerchantCodeStyle:
    style: str
    institution: str
    switch: str
    guid: str | None
    currency: str
    rules: emv_mpm.Rules                    # the profile's merchant-code rules
    length: Callable[[str], int] = len      # a defect counts bytes instead of characters
    with_amount: bool = True                # a defect leaves the amount out

    def build(self, merchant: dict, amount: int | None, reference: str | None) -> str:
        """A static code (no amount), or a dynamic one for ``amount`` and order
        ``reference``. A Chinese name goes in language template 64: 59 and 60 take only
        the EMV common character set."""
        if self.style == "url":
            return f"{URL_BASE}/{self.institution}/{reference or merchant['id']}"
        account = (("15", f"{self.institution}{self.switch}{merchant['id']}")
                   if self.style == "unionpay-id15"
                   else ("26", [("00", self.guid), ("01", merchant["id"])]))
        objects = [("00", "01"), ("01", "11" if amount is None else "12"), account,
                   ("52", merchant["mcc"]), ("53", self.currency)]
        if amount is not None and self.with_amount:
            objects.append(("54", f"{Decimal(amount) / 100:.2f}"))
        objects += [("58", "CN"), ("59", merchant["name"]), ("60", merchant["city"])]
        if reference:
            objects.append(("62", [("05", reference)]))
        if merchant.get("local_name"):
            local = [("00", "ZH"), ("01", merchant["local_name"])]
            if merchant.get("local_city"):
                local.append(("02", merchant["local_city"]))
            objects.append(("64", local))
        return emv_mpm.build_payload(objects, self.length)

    def read(self, text: str) -> Read | None:
        """Merchant, order and currency of one of this acquirer's codes; None for a code
        that is not its own, or is not intact."""
        if text.startswith(f"{URL_BASE}/{self.institution}/"):
            token = text.rsplit("/", 1)[1]
            dynamic = token.startswith("D")
            return Read(None if dynamic else token, token if dynamic else None, None)
        try:
            code = emv_mpm.parse(text, self.rules)
        except emv_mpm.PayloadError:
            return None
        merchant_id = self._merchant_id(code)
        if not code.crc_ok or merchant_id is None:
            return None
        label = code.get("62").child("05") if code.get("62") else None
        reference = None if code.is_static else (label.value if label else "")
        return Read(merchant_id, reference, code.get("53").value)

    def _merchant_id(self, code: emv_mpm.MerchantCode) -> str | None:
        own = f"{self.institution}{self.switch}"
        for obj in code.objects:
            if obj.id == "15" and isinstance(obj.value, str) and obj.value.startswith(own):
                return obj.value[len(own):]
            guid = obj.child("00") if "26" <= obj.id <= "51" else None
            if guid and self.guid and guid.value.upper() == self.guid.upper():
                merchant = obj.child("01")
                return merchant.value if merchant else None
        return None

    def owns(self, text: str) -> bool:
        """Whether a code a payer scans is this institution's own (an on-us payment)."""
        return self.read(text) is not None


def fee(code: str, amount: int, rules: emv_mpm.Rules) -> int:
    """The convenience fee a merchant code adds to ``amount`` fen (EMV MPM IDs 55 to 57):
    the fixed fee of ID 56 when 55 is 02, ID 57 per cent of the amount (half a fen rounded
    up) when 55 is 03; nothing for any other code, a URL one or one the payer is prompted
    for a tip on (01: the payer enters the tip in the amount)."""
    try:
        parsed = emv_mpm.parse(code, rules)
    except emv_mpm.PayloadError:
        return 0
    kind = parsed.get("55")
    value = parsed.get(FIXED_FEE_ID if kind and kind.value == FIXED_FEE else PERCENT_FEE_ID)
    if kind is None or value is None or not isinstance(value.value, str):
        return 0
    try:        # a wallet that skips the code checks (a defect) may meet "abc" or "5%" here
        if kind.value == FIXED_FEE:
            return int(Decimal(value.value) * 100)
        if kind.value == PERCENTAGE_FEE:
            return int((Decimal(amount) * Decimal(value.value) / 100).quantize(
                Decimal(1), ROUND_HALF_UP))
    except ArithmeticError:
        return 0
    return 0


