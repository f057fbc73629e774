"""Checks on a transaction as an institution reports it through its test-control API: its
outcome, and what it booked."""

from __future__ import annotations

from decimal import Decimal

from qrinterop.checks.outcome import Violation, check, unequal


def yuan(fen: int) -> str:
    """``1250`` → ``12.50 CNY``: scenarios and reports speak yuan, messages carry fen."""
    return f"{Decimal(fen) / 100:.2f} CNY"


def outcome(txn: dict) -> str:
    """A transaction's outcome as a reviewer reads it: ``approved (response code 00)``."""
    return f"{txn['status']} (response code {txn['respCode']})"


def expected_outcome(status: str, code: str | None = None) -> str:
    """``approved`` → ``approved (response code 00)``; a decline with its code."""
    return f"{status} (response code {code or '00'})"


@check()
def transaction_outcome(txn: dict, expected: str, what: str = "transaction") -> list[Violation]:
    """The transaction ended as ``expected`` (``expected_outcome``). Generic: it bears on
    whatever the scenario verifies."""
    return unequal(what, outcome(txn), expected)


@check("R-FLOW-07", "R-FLOW-13")
def undo_outcome(txn: dict, expected: str) -> list[Violation]:
    """A refund or a void ended as ``expected``: under R-FLOW-13 in a void's scenario, under
    R-FLOW-07 in a refund's. ``expected`` may be a bare status (``declined``, any code)."""
    observed = outcome(txn) if "(" in expected else txn.get("status")
    return unequal("refund or void", observed, expected)


@check()
def merchant_credited(booked: dict, amount: int, merchant: str) -> list[Violation]:
    """The acquirer booked ``amount`` fen to ``merchant``."""
    amount_booked = booked.get("amount")
    shown = yuan(amount_booked) if isinstance(amount_booked, int) else repr(amount_booked)
    return unequal("acquirer's booking", f"{shown} to merchant {booked.get('merchantId')}",
                   f"{yuan(amount)} to merchant {merchant}")
