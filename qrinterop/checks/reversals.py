"""Reversals: a purchase whose outcome stayed unknown ends reversed (R-FLOW-03), a late
approval is undone and every transaction ends final (R-FLOW-05).
"""

from __future__ import annotations

from qrinterop.checks.correlation import Exchange
from qrinterop.checks.outcome import Violation, check, unequal

#: A query's answer for a reversed purchase: the query succeeded (00), the purchase was
#: reversed (the profile's response code 46, "transaction already reversed").
TOLD_REVERSED = ("00", "46")


@check("R-FLOW-03", "R-FLOW-05")
def ended_reversed(what: str, txn: dict) -> list[Violation]:
    """The institution reports the purchase reversed: for the acquirer that reversed it
    (R-FLOW-03), or the issuer whose late approval the reversal undid (R-FLOW-05)."""
    return unequal(what, txn["status"], "reversed")


@check("R-FLOW-05")
def reversal_relayed(reversals: list[Exchange], code: str, who: str) -> list[Violation]:
    """An SUT switch relayed the acquirer's reversal to ``who``, the issuer, which answered
    ``code`` (the first answer, if resent). The SUT's own answer to a reversal is
    ``wire.reversal_answered``."""
    return unequal(f"{who}'s answers to the SUT's reversal", [e.code for e in reversals][:1],
                   [code])


@check("R-FLOW-05")
def told_reversed(answer: object) -> list[Violation]:
    """A switch's answer to a status query of a reversed purchase says so."""
    body = answer.get("body") if isinstance(answer, dict) else None
    body = body if isinstance(body, dict) else {}
    return unequal("SUT's answer to the query (respCode, origRespCode)",
                   (body.get("respCode"), body.get("origRespCode")), TOLD_REVERSED)
