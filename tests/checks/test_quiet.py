"""Windows in which the SUT is to stay silent, on transcripts recorded against the reference
institution and its variant terminal-queries-declines."""

from qrinterop.checks.correlation import of_purchase
from qrinterop.checks.quiet import left_alone
from tests.checks.recorded import order_of, transcript

SUT = "10000001"


def purchase(variant: str):
    found = transcript(f"RSP-30.{variant}")
    return of_purchase(found, SUT, order_of(found, SUT))


def test_the_reference_leaves_a_declined_purchase_alone():
    assert left_alone(purchase("reference")) == []


def test_a_terminal_that_queries_a_decline_is_found():
    [found] = left_alone(purchase("terminal-queries-declines"))
    assert (found.check, found.requirements) == ("left_alone", ("R-FLOW-02",))
    assert (found.expected, found.observed) == ("[]", "['cpm.status_query.request']")
