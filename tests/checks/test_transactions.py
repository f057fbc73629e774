"""checks/transactions.py on recorded transcripts: outcomes as the peer acquirer reported them,
from the reference (good) and from the variants that void twice or refund beyond the
purchase (bad), each reported under the requirement its scenario verifies."""

from __future__ import annotations

import pytest

from qrinterop.checks.transactions import (
    expected_outcome,
    merchant_credited,
    outcome,
    transaction_outcome,
    undo_outcome,
    yuan,
)
from qrinterop.judging.verdicts import attributed
from tests.checks.recorded import answers, transcript


@pytest.mark.parametrize(("name", "code", "tagged"), [("VOID-01", "45", ["R-FLOW-13"]),
                                                       ("REF-01", "33", ["R-FLOW-07"])])
def test_a_second_void_or_a_refund_beyond_the_purchase_is_declined(name, code, tagged):
    first, second = answers(transcript(f"{name}.reference"))
    assert undo_outcome(first, expected_outcome("approved")) == []
    assert undo_outcome(second, expected_outcome("declined", code)) == []
    assert undo_outcome(second, "declined") == []


@pytest.mark.parametrize(("name", "code", "tagged"), [
    ("VOID-01.void-twice", "45", ["R-FLOW-13"]),
    ("REF-01.refund-beyond-original", "33", ["R-FLOW-07"])])
def test_the_defect_is_reported_under_the_scenarios_requirement(name, code, tagged):
    """Before, a failed void was reported under R-FLOW-07 (refunds) though VOID-01 is
    tagged R-FLOW-13."""
    _first, second = answers(transcript(name))
    (violation,) = undo_outcome(second, expected_outcome("declined", code))
    assert (violation.check, violation.observed) == ("undo_outcome",
                                                     "approved (response code 00)")
    assert attributed(violation.requirements, tagged) == tagged
    assert undo_outcome(second, "declined")[0].observed == "approved"


def test_a_purchase_outcome_is_generic():
    purchase = answers(transcript("CPM-01.reference"))[0]
    assert transaction_outcome(purchase, expected_outcome("approved")) == []
    (violation,) = transaction_outcome(purchase, expected_outcome("declined", "51"), "purchase")
    assert (violation.check, violation.requirements) == ("transaction_outcome", ())
    assert attributed(violation.requirements, ["R-FLOW-01"]) == ["R-FLOW-01"]


def test_the_merchant_credited():
    purchase = answers(transcript("CPM-01.reference"))[0]
    assert merchant_credited(purchase, 3000, purchase["merchantId"]) == []
    (violation,) = merchant_credited(purchase, 1250, purchase["merchantId"])
    assert violation.observed.startswith("30.00 CNY to merchant")
    assert merchant_credited({"amount": "30.00"}, 3000, "M")[0].observed == \
        "'30.00' to merchant None"


def test_words():
    assert yuan(1250) == "12.50 CNY"
    assert outcome({"status": "declined", "respCode": "51"}) == "declined (response code 51)"
