"""checks/transactions.py on recorded transcripts: outcomes as the SUT or the peer acquirer
reported them, from the reference (good) and from the variants that void twice, refund
beyond the purchase or take an unknown answer for a decline (bad), each reported under the
requirement its scenario verifies; generic checks name none."""

from __future__ import annotations

import pytest

from qrinterop.checks.transactions import (
    booked_as_taken,
    declined_as_answered,
    expected_outcome,
    holds,
    in_status,
    merchant_credited,
    not_stopped_by_limit,
    nothing_approved,
    outcome,
    payment_outcome,
    refund_after_window,
    transaction_outcome,
    undo_outcome,
    unknown_not_failed,
    yuan,
)
from qrinterop.judging.verdicts import attributed
from tests.checks.recorded import SUT, answers, reported, transcript


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


def test_the_reference_reports_an_unknown_answer_as_unknown_then_approved():
    charged, settled = reported(transcript("FLT-01-answer-code.reference"))
    assert unknown_not_failed("purchase at the SUT", charged) == []
    assert transaction_outcome(settled, expected_outcome("approved")) == []


def test_a_terminal_that_takes_an_unknown_answer_for_a_decline_is_found():
    [charged] = reported(transcript("FLT-01-answer-code.pending-as-declined"))
    [found] = unknown_not_failed("purchase at the SUT", charged)
    assert (found.check, found.requirements) == ("unknown_not_failed", ("R-FLOW-02",))
    assert (found.expected, found.observed) == ("unknown", "declined")
    [generic] = transaction_outcome(charged, expected_outcome("approved"))
    assert generic.observed == "declined (response code 03)"


def test_an_answer_spoilt_by_a_fault_is_judged_under_what_the_fault_tests():
    """trust-unverified-answers acts on an answer whose signature does not verify: the
    profile's faults.json names R-SEC-02 before R-FLOW-02 for bad-signature-answer."""
    [charged] = reported(transcript("FLT-01-answer-code.pending-as-declined"))
    [found] = unknown_not_failed("purchase at the SUT", charged, ("R-SEC-02", "R-FLOW-02"))
    assert found.requirements == ("R-SEC-02", "R-FLOW-02")


def test_a_payment_the_wallet_refused_reads_as_its_refusal():
    assert payment_outcome(None, "CRC mismatch") == "refused by the wallet (CRC mismatch)"
    [found] = transaction_outcome(None, expected_outcome("approved"), "payment at the sut",
                                  "CRC mismatch")
    assert found.observed == "refused by the wallet (CRC mismatch)"


def test_status_and_balance():
    refused = {"status": "refused by the terminal", "respCode": "not a payment code"}
    assert in_status("purchase at the SUT", refused, "refused by the terminal") == []
    [found] = in_status("purchase", {"status": "approved"}, "refused by the terminal")
    assert (found.check, found.requirements, found.observed) == ("in_status", (), "approved")
    assert holds("payer balance", 50000, 50000) == []
    [balance] = holds("payer balance", 49200, 50000)
    assert (balance.expected, balance.observed) == ("500.00 CNY", "492.00 CNY")


def test_the_reference_terminal_reports_the_decline_the_switch_gave():
    recorded = transcript("VEC-PAY-9.reference")
    switch_said = [r for r in recorded if r.sent_to(SUT) and r.msg_type == "cpm.purchase.response"]
    charged = reported(recorded)[0]
    assert declined_as_answered(charged, switch_said) == []
    [wrong] = declined_as_answered({**charged, "respCode": "05"}, switch_said)
    assert (wrong.check, wrong.requirements) == ("declined_as_answered", ("R-FLOW-01",))
    assert wrong.observed == "declined (response code 05)"
    [none] = declined_as_answered(charged, [])
    assert (none.what, none.expected, none.observed) == (
        "switch's answers to the SUT's purchase", "1", "0")


def test_a_notice_of_an_order_never_sent_books_nothing():
    """NTF-06: the reference's control API knows no transaction under the notice's voucher
    (404, None here); notice-books-unknown-order booked it as an approved purchase."""
    assert nothing_approved("booking", None) == []
    assert nothing_approved("booking", {"status": "declined", "respCode": "35"}) == []
    (booked,) = nothing_approved("booking", reported(transcript(
        "NTF-06.notice-books-unknown-order"))[-1])
    assert (booked.check, booked.requirements, booked.expected, booked.observed) == (
        "nothing_approved", (), "nothing approved", "approved (response code 00)")
    assert attributed(booked.requirements, ["R-FLOW-08"]) == ["R-FLOW-08"]


def test_a_notice_naming_another_amount_leaves_the_books_alone():
    """NTF-05: a notice of 3.00 CNY about a purchase of 30.00 CNY; notice-rewrites-amount
    took the notice's amount."""
    assert booked_as_taken("purchase", reported(transcript("NTF-05.reference"))[-1],
                           3000, "156") == []
    (rewritten,) = booked_as_taken("purchase", reported(transcript(
        "NTF-05.notice-rewrites-amount"))[-1], 3000, "156")
    assert (rewritten.expected, rewritten.observed) == (
        "approved, 30.00 CNY, currency 156", "approved, 3.00 CNY, currency 156")
    assert booked_as_taken("purchase", {"status": "approved", "amount": "30.00",
                                        "currency": "156"}, 3000, "156")[0].observed == \
        "approved, '30.00', currency 156"


def test_a_payment_within_its_own_tiers_limit_is_not_stopped_by_another_tiers():
    waiting = {"status": "unknown", "respCode": "70"}
    assert not_stopped_by_limit("purchase at the peer", waiting, "33") == []
    stopped = {"status": "declined", "respCode": "33"}
    [found] = not_stopped_by_limit("purchase at the peer", stopped, "33")
    assert (found.check, found.observed) == ("not_stopped_by_limit", "declined (response code 33)")
    assert attributed(found.requirements, ["R-FLOW-15", "R-FLOW-10"])[0] == "R-FLOW-15"
    assert not_stopped_by_limit("purchase", {"status": "declined", "respCode": "64"}, "33") == []


@pytest.mark.parametrize(("status", "code", "minimum", "fails"), [
    ("declined", "39", False, False), ("approved", "00", False, True),
    ("declined", "39", True, False), ("approved", "00", True, False),
    ("declined", "06", True, True), ("unknown", None, True, True)])
def test_a_refund_after_the_window_is_answered_as_the_profile_lets_it(status, code, minimum,
                                                                      fails):
    """1.0 (a deadline): refused with 39; 1.1 (a minimum): approved or refused with 39."""
    found = refund_after_window({"status": status, "respCode": code}, minimum)
    assert bool(found) == fails
    assert {v.requirements for v in found} <= {("R-FLOW-07",)}
