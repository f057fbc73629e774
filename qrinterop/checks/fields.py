"""Fields the switch returns or passes on as they were given: the requester's reserved field
(R-MSG-02) and the payer's account type the issuer tells the acquirer (R-MSG-03).

Both are 1.1 fields (UnionPay reqReserved, payerInfo.cardAttr); a check finding nothing to
judge says so, as a violation, rather than passing a scenario that never exercised them.
"""

from __future__ import annotations

from collections.abc import Iterable

from qrinterop.checks.correlation import Exchange, exchanges, of_type
from qrinterop.checks.outcome import Violation, check, unequal
from qrinterop.checks.record import Record


def _approved_notices(records: Iterable[Record], receiver: str, voucher: object) -> list[Record]:
    """The result notices about the approved purchase ``voucher`` sent to ``receiver``, as
    sent (a copy spoilt on purpose by a programmed fault is not held against the switch)."""
    return [r for r in records if r.msg_type == "notice.result.request" and r.sent_to(receiver)
            and not r.deliberate and r.body.get("voucherNum") == voucher]


@check("R-MSG-02")
def reserved_returned(records: Iterable[Record], requester: str,
                      msg_type: str) -> list[Violation]:
    """Each ``msg_type`` request (``cpm.purchase``, ``mpm.payment``) ``requester`` sent with
    a reqReserved got exactly that value back in the switch's answer and, for an approved
    purchase, in every result notice about it."""
    records = list(records)
    sent = [e for e in of_type(exchanges(records), msg_type, sender=requester)
            if "reqReserved" in e.request.body and e.answer is not None]
    if not sent:
        return [Violation(f"{requester}'s {msg_type} with a reqReserved",
                          "at least one, answered", "none")]
    return [v for e in sent for v in _echoes(records, e)]


def _echoes(records: list[Record], sent: Exchange) -> list[Violation]:
    """Where ``sent``'s reqReserved must come back: its answer, its notices."""
    given = sent.request.body["reqReserved"]
    assert sent.answer is not None
    found = unequal(f"reqReserved in the switch's answer to {sent.msg_type}",
                    sent.answer.body.get("reqReserved"), given)
    if sent.msg_type == "cpm.purchase" and sent.code == "00":
        for notice in _approved_notices(records, str(sent.request.sender),
                                        sent.answer.body.get("voucherNum")):
            found += unequal("reqReserved in the result notice", notice.body.get("reqReserved"),
                             given)
    return found


@check("R-MSG-03")
def payer_account_type_told(records: Iterable[Record], order_no: str,
                            expected: str) -> list[Violation]:
    """Wherever the transaction ``order_no`` travels toward the acquirer, it says the payer's
    account is ``expected`` (debit, credit): the approval of a purchase (the issuer's to the
    switch and the switch's to the acquirer), the result notices about it, and an MPM
    payment (the issuer's to the switch and the switch's to the acquirer)."""
    records = list(records)
    told: list[tuple[str, dict]] = []
    for e in exchanges(records):
        if e.request.body.get("orderNo") != order_no:
            continue
        if e.msg_type == "cpm.purchase" and e.code == "00" and e.answer is not None:
            told.append((f"approval from {e.answer.sender} to {e.answer.receiver}",
                         e.answer.body))
            told += [(f"result notice to {n.receiver}", n.body) for n in _approved_notices(
                records, str(e.request.sender), e.answer.body.get("voucherNum"))]
        elif e.msg_type == "mpm.payment":
            told.append((f"payment from {e.request.sender} to {e.request.receiver}",
                         e.request.body))
    if not told:
        return [Violation(f"the payer's account type of order {order_no}",
                          "an approved purchase or a payment that tells it", "none")]
    return [v for what, body in told
            for v in unequal(f"payerAccountType in the {what}", body.get("payerAccountType"),
                             expected)]
