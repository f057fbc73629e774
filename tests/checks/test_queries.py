"""checks/queries.py on recorded transcripts: the switch lost the SUT's answer and asked the
SUT; the reference told what it decided (QRY-01 approved, QRY-02 declined 64, QRY-04 an MPM
payment taken, QRY-05 one refused with 35), issuer-ignores-status-queries and
acquirer-ignores-payment-queries answered 10, issuer-query-approves-declines and
acquirer-query-approves-refusals 00/00."""

from __future__ import annotations

from qrinterop.checks.correlation import exchanges, of_type
from qrinterop.checks.queries import answer_tells, told_outcome
from tests.checks.recorded import SUT, answers, transcript


def queries(name: str, msg_type: str = "cpm.status_query"):
    return of_type(exchanges(transcript(name)), msg_type, receiver=SUT)


def test_the_reference_tells_the_outcome_it_decided():
    assert told_outcome(queries("QRY-01.reference"), "00") == []
    assert told_outcome(queries("QRY-02.reference"), "64") == []


def test_an_issuer_that_takes_no_query_or_approves_its_declines_is_found():
    (ignored,) = told_outcome(queries("QRY-01.issuer-ignores-status-queries"), "00")
    assert (ignored.check, ignored.requirements, ignored.observed) == (
        "answer_tells", ("R-FLOW-04",), "10/None")
    (approved,) = told_outcome(queries("QRY-02.issuer-query-approves-declines"), "64")
    assert (approved.expected, approved.observed) == ("00/64", "00/00")


def test_no_query_at_all_is_found():
    (none,) = told_outcome([], "00")
    assert (none.expected, none.observed) == ("at least 1", "0")


def test_the_acquirer_tells_what_became_of_a_payment():
    assert told_outcome(queries("QRY-04.reference", "mpm.payment_query"), "00") == []
    (ignored,) = told_outcome(queries("QRY-04.acquirer-ignores-payment-queries",
                                      "mpm.payment_query"), "00")
    assert ignored.observed == "10/None"
    assert answer_tells(answers(transcript("QRY-05.reference"), "injector")[-1]["body"],
                        "35") == []
    (approved,) = answer_tells(answers(transcript("QRY-05.acquirer-query-approves-refusals"),
                                       "injector")[-1]["body"], "35")
    assert (approved.check, approved.observed) == ("answer_tells", "00/00")
    assert answer_tells(None, "35")[0].observed == "no answer"
