"""checks/books.py on recorded transcripts: two institutions' records of one purchase, and the
SUT's books against the switch's reconciliation file, from the reference (good) and from the
variant that books under its own calendar date (wrong-settle-date: bad)."""

from __future__ import annotations

import pytest

from qrinterop.checks.books import books_agree, records_agree
from tests.checks.recorded import answers, document, transcript


@pytest.mark.parametrize(("sut", "agree"), [("reference", True), ("wrong-settle-date", False)])
def test_both_institutions_booked_the_purchase_alike(sut, agree):
    peer, mine = answers(transcript(f"CPM-01.{sut}"))
    violations = records_agree(mine["voucherNum"], mine, peer, "SUT's record vs peer's record")
    assert [(v.check, v.requirements) for v in violations] == \
        ([] if agree else [("records_agree", ("R-FLOW-12",))])
    if not agree:
        assert "'settleDate': '1202'" in violations[0].observed
        assert "'settleDate': '1203'" in violations[0].expected


def test_no_voucher_number_is_a_disagreement():
    (violation,) = records_agree(None, {}, {}, "records")
    assert (violation.what, violation.requirements) == ("voucher number from the switch",
                                                        ("R-FLOW-12",))


#: The voucher the harness itself gave out, as the switch, earlier in the reference's run
#: (Session.injector.vouchers): in the books only.
INJECTED = {"20261203215625081190"}


@pytest.mark.parametrize(("sut", "differences"), [("reference", 0), ("wrong-settle-date", 3)])
def test_the_books_agree_with_the_reconciliation_file(sut, differences):
    statement = document(f"RCN-01.{sut}.reconciliation")
    (books,) = answers(transcript(f"RCN-01.{sut}"))
    violations = books_agree(statement, books["transactions"], INJECTED)
    assert len(violations) == differences
    for violation in violations:
        assert (violation.check, violation.requirements) == ("books_agree", ("R-FLOW-12",))
        assert "in the switch's file but not approved in the institution's books" in \
            violation.observed


def test_books_that_disagree_under_a_fault_break_what_the_fault_tests_first():
    """notice-books-unknown-order, NTF-03: the switch's notice came before its answer
    (notify-before-answer, whose faults.json requirement is R-FLOW-08: acted on once)."""
    statement = document("RCN-01.wrong-settle-date.reconciliation")
    (books,) = answers(transcript("RCN-01.wrong-settle-date"))
    for violation in books_agree(statement, books["transactions"], INJECTED, ("R-FLOW-08",)):
        assert violation.requirements == ("R-FLOW-08", "R-FLOW-12")


#: RCN-03 as the reference acquirer ran it (trimmed): the switch cleared the purchase the
#: issuer approved too late and the acquirer's reversal; the acquirer, which never learnt the
#: purchase's outcome, lists it reversed (without the switch's voucher) and the reversal.
RCN_03_FILE = {"header": {"settleDate": "1204"}, "records": [
    {"msgType": "cpm.purchase", "voucherNum": "20261204053314000001", "settleDate": "1204",
     "amount": 3000, "currency": "156"},
    {"msgType": "cpm.reversal", "voucherNum": "20261204053320000002", "settleDate": "1204",
     "amount": 3000, "currency": "156", "origVoucherNum": "20261204053314000001"}]}
RCN_03_BOOKS = [
    {"kind": "payment", "status": "reversed", "voucherNum": None, "amount": 3000,
     "currency": "156", "settleDate": None},
    {"kind": "reversal", "status": "approved", "voucherNum": "20261204053320000002",
     "amount": 3000, "currency": "156", "settleDate": "1204"}]


def test_a_reversed_purchase_is_one_model_in_the_books_and_the_file():
    """The reversal matches the file's reversal record, which accounts for the file's record
    of the purchase: the books need none of their own. Books that keep the reversal only as
    the purchase's state (reversal-kept-as-status-only) miss both records of the file."""
    assert books_agree(RCN_03_FILE, RCN_03_BOOKS, frozenset(), ("R-FLOW-05",)) == []
    status_only = books_agree(RCN_03_FILE, RCN_03_BOOKS[:1], frozenset(), ("R-FLOW-05",))
    assert [(v.check, v.requirements) for v in status_only] == \
        [("books_agree", ("R-FLOW-05", "R-FLOW-12"))] * 2
    # the issuer that approved it too late: the purchase approved under the file's voucher
    issuer = [{**RCN_03_BOOKS[0], "status": "approved", "voucherNum": "20261204053314000001",
               "settleDate": "1204"}, RCN_03_BOOKS[1]]
    assert books_agree(RCN_03_FILE, issuer) == []
    # a party whose reversal names the purchase knew it: its books must have the purchase too
    knew = [{**RCN_03_BOOKS[1], "origVoucherNum": "20261204053314000001"}]
    (missing,) = books_agree(RCN_03_FILE, knew)
    assert "cpm.purchase 20261204053314000001" in missing.observed
