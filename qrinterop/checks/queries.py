"""Status queries the switch puts to an institution: when the switch lost an institution's
answer to a purchase (cpm.status_query to the issuer) or to an MPM payment
(mpm.payment_query to the acquirer), its record is not final, and it asks; the institution
answers 00 with the transaction's own outcome in origRespCode (R-FLOW-04: queries about an
unknown outcome; the answer is what ends them)."""

from __future__ import annotations

from qrinterop.checks.correlation import Exchange
from qrinterop.checks.outcome import Violation, check, unequal


@check("R-FLOW-04")
def told_outcome(queries: list[Exchange], orig_code: str,
                 receiver: str = "the SUT") -> list[Violation]:
    """The first of the switch's ``queries`` about one transaction was answered 00 with
    ``orig_code``, the outcome the receiver decided, as origRespCode."""
    if not queries:
        return unequal(f"queries the switch put to {receiver}", 0, "at least 1")
    answer = queries[0].answer
    return answer_tells(None if answer is None else answer.body, orig_code, receiver)


@check("R-FLOW-04")
def answer_tells(body: object, orig_code: str, receiver: str = "the SUT") -> list[Violation]:
    """One answer (its body; None: no answer) to a query about a transaction the receiver
    decided: 00, and ``orig_code`` as origRespCode."""
    observed = f"{body.get('respCode')}/{body.get('origRespCode')}" \
        if isinstance(body, dict) else "no answer"
    return unequal(f"{receiver}'s answer to the switch's query (respCode/origRespCode)",
                   observed, f"00/{orig_code}")
