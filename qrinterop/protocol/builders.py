"""Message bodies the harness sends itself, when it plays the switch toward the SUT.

They are complete and valid by construction, so that a scenario which corrupts one thing
(a signature, an amount) tests exactly that thing.
"""

from __future__ import annotations

from datetime import timedelta

from qrinterop.protocol.envelope import beijing_now, new_message_id


def purchase_from_switch(code: str, amount: int, acquirer: str, currency: str = "156") -> dict:
    """A CPM purchase as the switch forwards it to the issuer."""
    now = beijing_now()
    return {
        "code": code, "amount": amount, "currency": currency,
        "merchant": {"id": f"{acquirer[:7]}00000000", "name": "Harness Test Shop",
                     "mcc": "5411", "city": "BEIJING"},
        "termId": "HARNESS1", "orderNo": f"H{new_message_id()[:20]}",
        "orderTime": f"{now:%Y%m%d%H%M%S}", "acquirer": acquirer,
        "voucherNum": f"{now:%Y%m%d}{now:%H%M%S}{now.microsecond:06d}",
        "settleDate": f"{now + timedelta(hours=1):%m%d}",
    }
