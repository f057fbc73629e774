"""Checks on a transaction as an institution reports it through its test-control API: its
outcome, and what it booked. Generic (no requirement: an outcome is what every flow ends in,
so the scenario's ``@req`` tags say what it verifies) unless the outcome itself is what a
requirement demands: a refund's or a void's, unknown that is not failed, a decline reported
as the switch gave it.
"""

from __future__ import annotations

from dataclasses import replace
from decimal import Decimal

from qrinterop.checks.outcome import Violation, check, unequal, unless
from qrinterop.checks.record import Record


def yuan(fen: int) -> str:
    """``1250`` → ``12.50 CNY``: scenarios and reports speak yuan, messages carry fen."""
    return f"{Decimal(fen) / 100:.2f} CNY"


def outcome(txn: dict) -> str:
    """A transaction's outcome as a reviewer reads it: ``approved (response code 00)``."""
    return f"{txn['status']} (response code {txn['respCode']})"


def expected_outcome(status: str, code: str | None = None) -> str:
    """``approved`` → ``approved (response code 00)``; a decline with its code."""
    return f"{status} (response code {code or '00'})"


def payment_outcome(payment: dict | None, refusal: str | None) -> str:
    """A wallet's payment, or what its refusal said when it made none."""
    return outcome(payment) if payment is not None else f"refused by the wallet ({refusal})"


@check()
def transaction_outcome(txn: dict | None, expected: str, what: str = "transaction",
                        refusal: str | None = None) -> list[Violation]:
    """The transaction ended as ``expected`` (``expected_outcome``); ``txn`` None: the wallet
    made none, and ``refusal`` says why. Generic: it bears on whatever the scenario
    verifies."""
    return unequal(what, payment_outcome(txn, refusal), expected)


@check("R-FLOW-07", "R-FLOW-13")
def undo_outcome(txn: dict, expected: str) -> list[Violation]:
    """A refund or a void ended as ``expected``: under R-FLOW-13 in a void's scenario, under
    R-FLOW-07 in a refund's. ``expected`` may be a bare status (``declined``, any code)."""
    observed = outcome(txn) if "(" in expected else txn.get("status")
    return unequal("refund or void", observed, expected)


@check("R-FLOW-07")
def refund_after_window(txn: dict, window_is_minimum: bool) -> list[Violation]:
    """A refund sent after the profile's refund window: refused with 39 where the window is
    a deadline (profile 1.0); where it is a minimum an issuer must accept
    (business.json refund.window_is_minimum), approved or refused with 39, as the issuer
    chooses, moving money only if approved."""
    allowed = [expected_outcome("declined", "39")] + \
        ([expected_outcome("approved")] if window_is_minimum else [])
    return unless(outcome(txn) in allowed, "refund after the refund window",
                  " or ".join(allowed), outcome(txn))


@check()
def merchant_credited(booked: dict, amount: int, merchant: str) -> list[Violation]:
    """The acquirer booked ``amount`` fen to ``merchant``."""
    amount_booked = booked.get("amount")
    shown = yuan(amount_booked) if isinstance(amount_booked, int) else repr(amount_booked)
    return unequal("acquirer's booking", f"{shown} to merchant {booked.get('merchantId')}",
                   f"{yuan(amount)} to merchant {merchant}")


@check()
def in_status(what: str, txn: dict, expected: str) -> list[Violation]:
    """The institution reports the transaction in status ``expected``, whatever its code."""
    return unequal(what, txn["status"], expected)


@check()
def holds(what: str, balance: int, expected: int) -> list[Violation]:
    """An account holds ``expected`` fen."""
    return unequal(what, yuan(balance), yuan(expected))


@check("R-FLOW-02")
def unknown_not_failed(what: str, txn: dict, spoilt_by: tuple[str, ...] = ()) -> list[Violation]:
    """An answer that carries no outcome (03, a timeout, a spoilt answer) leaves the
    purchase unknown, to be queried, not failed. ``spoilt_by``: the requirements the
    profile's faults.json names for the fault that spoilt the answer (an answer whose
    signature does not verify is not acted on: R-SEC-02 before R-FLOW-02)."""
    return [replace(v, requirements=spoilt_by)
            for v in unequal(what, txn["status"], "unknown")]


@check("R-FLOW-01")
def declined_as_answered(txn: dict, answers: list[Record]) -> list[Violation]:
    """The switch answered the purchase once, and the SUT reports the decline it said."""
    if found := unequal("switch's answers to the SUT's purchase", len(answers), 1):
        return found
    return unequal("purchase at the SUT", outcome(txn),
                   expected_outcome("declined", answers[0].body.get("respCode")))


@check()
def nothing_approved(what: str, txn: dict | None) -> list[Violation]:
    """An institution that refused a request booked no approved transaction for it: its
    control API knows none (``txn`` None), or reports it other than approved."""
    return unless(txn is None or txn.get("status") != "approved", what,
                  "nothing approved", "nothing" if txn is None else outcome(txn))


@check()
def booked_as_taken(what: str, txn: dict, amount: int, currency: str) -> list[Violation]:
    """An institution's record still says what it took (``amount`` fen in ``currency``),
    whatever a later message claimed."""
    amount_booked = txn.get("amount")
    shown = yuan(amount_booked) if isinstance(amount_booked, int) else repr(amount_booked)
    return unequal(what, f"{txn.get('status')}, {shown}, currency {txn.get('currency')}",
                   f"approved, {yuan(amount)}, currency {currency}")


@check("R-FLOW-15", "R-FLOW-10")
def not_stopped_by_limit(what: str, txn: dict, limit_code: str) -> list[Violation]:
    """A payment whose own risk tier's daily limit had room was not declined with the
    limit's code (``limit_code``): an issuer that counts it under another tier's limit (the
    account's, or tier C's for a payment made with the password) stops it."""
    stopped = txn.get("status") == "declined" and txn.get("respCode") == limit_code
    return unless(not stopped, what, f"not declined with {limit_code} (its tier's limit has"
                  " room)", outcome(txn))
