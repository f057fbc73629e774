"""The password step-up, on transcripts recorded against the reference institution (CPM-03,
CPM-05) and its variants pending-as-declined and step-up-auto-confirm."""

from dataclasses import replace

from qrinterop.checks.correlation import exchanges, of_type
from qrinterop.checks.stepup import password_request_acknowledged, prompt_shown, waits_for_payer
from tests.checks.recorded import reported, transcript

SUT = "10000001"


def asked(found):
    return of_type(exchanges(found), "cpm.additional_processing", receiver=SUT)


def test_the_reference_terminal_holds_a_purchase_waiting_for_the_payer():
    charged = reported(transcript("CPM-05.reference"))[0]
    assert waits_for_payer("purchase at the SUT", charged) == []


def test_a_terminal_that_takes_70_for_a_failure_is_found():
    charged = reported(transcript("CPM-05.pending-as-declined"))[0]
    [found] = waits_for_payer("purchase at the SUT", charged)
    assert (found.check, found.requirements) == ("waits_for_payer", ("R-FLOW-02", "R-FLOW-09"))
    assert (found.expected, found.observed) == ("unknown (response code 70)",
                                                "declined (response code 70)")


def test_the_reference_wallet_acknowledges_the_password_request():
    assert password_request_acknowledged(asked(transcript("CPM-03.reference"))) == []
    # A wallet that confirms without the payer acknowledges all the same: other checks
    # (the payer's balance, the prompt) find it.
    assert password_request_acknowledged(asked(transcript("CPM-03.step-up-auto-confirm"))) == []


def test_a_password_request_answered_with_an_error_is_found():
    """No variant of the catalogue refuses the request, so the reference's answer is
    changed here to the 06 such a wallet would give."""
    found = transcript("CPM-03.reference")
    answer = next(r for r in found if r.msg_type == "cpm.additional_processing.response")
    refusing = {**answer.content, "body": {**answer.body, "respCode": "06"}}
    altered = [replace(r, content=refusing) if r is answer else r for r in found]
    [violation] = password_request_acknowledged(asked(altered))
    assert (violation.requirements, violation.observed) == (("R-FLOW-09",), "['06']")


def test_a_wallet_with_no_purchase_waiting_for_the_password_is_found():
    """What the step-up-auto-confirm variant's test-control API said in CPM-04."""
    assert prompt_shown("sut", None) == []
    refusal = "no purchase is waiting for the password of ACCB204"
    [found] = prompt_shown("sut", refusal)
    assert (found.check, found.requirements, found.observed) == (
        "prompt_shown", ("R-FLOW-09",), refusal)
