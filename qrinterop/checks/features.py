"""Checks of optional features an SUT declares (the profile's features.json), on what its
wallet put on the wire: a URL-form collection code paid only as the switch's signed answer
says (R-SEC-03), recognised and routed as one (R-URL-01), and a merchant code's tip or
convenience fee added to what the payer pays (R-MPM-10).
"""

from __future__ import annotations

from qrinterop.checks.correlation import Exchange, exchanges, of_type
from qrinterop.checks.outcome import Violation, check, unequal, unless
from qrinterop.checks.record import Record


def _wallet_payment(records: list[Record], sut: str) -> tuple[Exchange | None, Exchange | None]:
    """The SUT wallet's last inquiry the switch approved, and its last payment."""
    found = exchanges(records)
    inquiries = [e for e in of_type(found, "mpm.inquiry", sender=sut) if e.code == "00"]
    payments = of_type(found, "mpm.payment", sender=sut)
    return (inquiries[-1] if inquiries else None), (payments[-1] if payments else None)


@check("R-URL-01")
def url_code_routed(records: list[Record], sut: str, code: str) -> list[Violation]:
    """The SUT's wallet recognised a URL-form collection code as one: it asked the switch
    about exactly that URL (mpm.inquiry), which the switch routes by its registered pattern,
    instead of refusing it or reading it as an EMV code."""
    asked = [e.request.body.get("code") for e in of_type(exchanges(records), "mpm.inquiry",
                                                         sender=sut)]
    return unless(code in asked, "the SUT wallet's mpm.inquiry about the URL code",
                  f"one carrying {code!r}", asked or "none sent")


@check("R-SEC-03")
def paid_as_answered(records: list[Record], sut: str) -> list[Violation]:
    """The SUT's wallet paid what the switch's signed answer to its inquiry gave (amount,
    currency, the switch's ``txnNo``), not what the URL it scanned says."""
    inquiry, payment = _wallet_payment(records, sut)
    if inquiry is None or inquiry.answer is None or payment is None:
        return [Violation("the SUT wallet's inquiry answered 00, then its mpm.payment",
                          "both", f"inquiry {'answered' if inquiry else 'none'}, payment "
                                  f"{'sent' if payment else 'none'}")]
    answer, paid = inquiry.answer.body, payment.request.body
    return [v for name in ("amount", "currency", "txnNo")
            for v in unequal(f"{name} of the SUT wallet's mpm.payment (the switch's answer "
                             f"to its inquiry said {answer.get(name)!r})", paid.get(name),
                             answer.get(name))]


@check("R-MPM-10")
def fee_added(records: list[Record], sut: str, total: int) -> list[Violation]:
    """The SUT's wallet paid the amount the payer entered with the merchant code's tip or
    convenience fee added, once: ``total`` fen."""
    _, payment = _wallet_payment(records, sut)
    paid = payment.request.body.get("amount") if payment else None
    return unequal("amount of the SUT wallet's mpm.payment, fee included (fen)", paid, total)


@check("R-SEC-03")
def not_paid(records: list[Record], sut: str) -> list[Violation]:
    """The SUT's wallet paid nothing: the switch's answer about the code it scanned did not
    verify, so it had no payee, amount or order it could trust."""
    payments = [e.request.body.get("amount")
                for e in of_type(exchanges(records), "mpm.payment", sender=sut)]
    return unequal("amounts of the SUT wallet's mpm.payment after an answer that did not "
                   "verify", payments, [])
