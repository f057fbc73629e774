"""The password step-up above the pin-free limit (R-FLOW-09): the switch holds the
purchase, the acquirer is told it waits for the payer (70: not a failure, R-FLOW-02), the
issuer acknowledges the switch's request and its wallet prompts the payer.
"""

from __future__ import annotations

from qrinterop.checks.correlation import Exchange
from qrinterop.checks.outcome import Violation, check, unequal, unless
from qrinterop.checks.transactions import outcome

#: The profile's response code 70, "waiting for the payer's input": pending, not final.
WAITING = "unknown (response code 70)"


@check("R-FLOW-02", "R-FLOW-09")
def waits_for_payer(what: str, txn: dict) -> list[Violation]:
    """The acquirer holds the purchase as waiting for the payer: for an acquirer under test,
    70 is not a failure (R-FLOW-02); for a peer acquirer, the step-up happened (R-FLOW-09)."""
    return unequal(what, outcome(txn), WAITING)


@check("R-FLOW-09")
def password_request_acknowledged(requests: list[Exchange]) -> list[Violation]:
    """The issuer acknowledged the switch's one cpm.additional_processing with 00."""
    return unequal("SUT's answers to cpm.additional_processing", [e.code for e in requests],
                   ["00"])


@check("R-FLOW-09")
def prompt_shown(party: str, refusal: str | None) -> list[Violation]:
    """The wallet had a purchase waiting for the payer's password to answer
    (``refusal``: why its test-control API refused the payer's answer; None: it took it)."""
    return unless(refusal is None, f"password prompt in the {party}'s wallet",
                  "a purchase waiting for the payer's password", refusal)
