"""Checks on institutions' books: two institutions' records of one transaction, and an
institution's books for a day against the switch's reconciliation file (``reconcile.py``)."""

from __future__ import annotations

from collections.abc import Set as AbstractSet

from qrinterop.checks.outcome import Violation, check, unequal, unless
from qrinterop.checks.reconcile import disagreements

#: What both sides of a cleared transaction must have booked alike.
AGREED = ("amount", "currency", "voucherNum", "settleDate", "status")


@check("R-FLOW-12")
def records_agree(voucher: str | None, one: dict, other: dict, what: str) -> list[Violation]:
    """Both institutions booked the transaction the switch numbered ``voucher`` alike."""
    if not voucher:
        return unless(False, "voucher number from the switch", "one", voucher)
    return unequal(what, {k: one.get(k) for k in AGREED}, {k: other.get(k) for k in AGREED})


@check("R-FLOW-12")
def books_agree(statement: dict, booked: list[dict],
                not_cleared: AbstractSet[str] = frozenset(),
                spoilt_by: tuple[str, ...] = ()) -> list[Violation]:
    """The SUT's books for the statement's day agree with the switch's reconciliation file:
    one violation per difference. ``not_cleared``: vouchers the harness gave out itself, as
    the switch, expected in the books only. ``spoilt_by``: the requirements faults.json names
    for the faults the scenario programmed (a notice before the answer: acted on once,
    R-FLOW-08), which books that disagree break first."""
    requirements = (*spoilt_by, "R-FLOW-12") if spoilt_by else ()
    return [Violation("the SUT's books against the switch's reconciliation file",
                      "no difference", problem, requirements=requirements)
            for problem in disagreements(statement, booked, not_cleared)]
