"""Reversals, on transcripts recorded against the reference institution (REV-01), the
reference switch (SW-06) and the variants never-reverse and switch-forgets-reversals."""

from qrinterop.checks.correlation import exchanges, of_type
from qrinterop.checks.reversals import ended_reversed, reversal_relayed, told_reversed
from tests.checks.recorded import order_of, reported, transcript

ACQUIRER, SWITCH, ISSUER = "10000002", "90000001", "20000001"


def test_the_reference_reports_its_reversed_purchase():
    assert ended_reversed("purchase at the SUT", reported(transcript("REV-01.reference"))[-1]) == []


def test_a_purchase_left_unknown_is_found():
    [found] = ended_reversed("purchase at the SUT",
                             reported(transcript("REV-01.never-reverse"))[-1])
    assert (found.check, found.requirements) == ("ended_reversed", ("R-FLOW-03", "R-FLOW-05"))
    assert (found.expected, found.observed) == ("reversed", "unknown")


def relayed(found):
    return of_type(exchanges(found), "cpm.reversal", SWITCH, ISSUER,
                   origOrderNo=order_of(found, ACQUIRER))


def test_the_reference_switch_relays_the_reversal_to_the_issuer():
    assert reversal_relayed(relayed(transcript("SW-06.reference-switch")), "00",
                             "wallet-w") == []


def test_a_reversal_that_never_reached_the_issuer_is_found():
    """The reference switch's transcript without the relayed reversal: no variant of the
    catalogue keeps a reversal to itself."""
    found = [r for r in transcript("SW-06.reference-switch")
             if not (r.msg_type or "").startswith("cpm.reversal") or not r.involves(ISSUER)]
    [violation] = reversal_relayed(relayed(found), "00", "wallet-w")
    assert (violation.requirements, violation.expected, violation.observed) == (
        ("R-FLOW-05",), "['00']", "[]")


def query_answer(variant: str) -> dict:
    """The switch's answer to the query the harness sent it as the acquirer."""
    return next(r.content for r in transcript(f"SW-06.{variant}")
                if r.pco == "injector" and r.kind == "response")


def test_the_reference_switch_says_the_purchase_was_reversed():
    assert told_reversed(query_answer("reference-switch")) == []


def test_a_switch_that_forgets_the_reversal_is_found():
    [found] = told_reversed(query_answer("switch-forgets-reversals"))
    assert (found.check, found.requirements) == ("told_reversed", ("R-FLOW-05",))
    assert found.observed == "('00', '03')"


def test_an_answer_that_is_no_message_is_found():
    [found] = told_reversed(None)
    assert found.observed == "(None, None)"
