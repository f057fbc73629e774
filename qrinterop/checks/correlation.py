"""Which records belong together: a request and its answer, and the exchanges of one
transaction.

The message set gives no header field naming the request a response answers (envelope
``msgId`` is the message's own): a response travels back on its request's HTTP exchange. So
a record answers a request when everything the protocol does give agrees: it is that
message type's response (or a ``reject``, the answer to what could not be attributed), sent
by the request's receiver to its sender, seen at the same point of observation, after it,
and no body field both carry says otherwise (``origOrderNo`` of a status query and of its
answer, ``voucherNum`` of a notice and of its acknowledgement, ``amount``...). Among the
requests it may answer, the oldest unanswered one has it: HTTP answers each exchange on its
own connection, so two purchases answered out of order would have to disagree on a field to
be told apart, and they do (amount, voucher number). Records of other transactions
interleaved (a notice of an earlier purchase between a query and its answer) belong to no
exchange of this one.

A transaction's exchanges are those whose request names it in its body: ``orderNo`` in the
purchase, ``origOrderNo`` in its queries and reversals, ``voucherNum`` in a notice.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from qrinterop.checks.record import Record

#: Body fields that, carried by both a request and a response, must agree for the one to
#: answer the other.
SHARED = ("orderNo", "origOrderNo", "voucherNum", "amount", "currency")


@dataclass(frozen=True)
class Exchange:
    """A request and its answer (None: none was seen)."""

    request: Record
    answer: Record | None = None

    @property
    def msg_type(self) -> str:
        """The message type without its ``.request``: ``cpm.purchase``."""
        return str(self.request.msg_type).removesuffix(".request")

    @property
    def code(self) -> str | None:
        """The answer's response code; None when unanswered."""
        return self.answer.body.get("respCode") if self.answer else None

    @property
    def settled_at(self) -> float:
        """When the requester had its answer, or sent its request if it had none: where a
        wait before its next message starts."""
        return (self.answer or self.request).at


def answers(request: Record, response: Record) -> bool:
    """``response`` may be the answer to ``request``."""
    expected = str(request.msg_type).removesuffix(".request") + ".response"
    return (response.msg_type in (expected, "reject") and response.pco == request.pco
            and response.sender == request.receiver and response.receiver == request.sender
            and response.at >= request.at
            and all(request.body[key] == response.body[key] for key in SHARED
                    if key in request.body and key in response.body))


def exchanges(records: Iterable[Record]) -> list[Exchange]:
    """Every request of the interface among ``records`` with its answer, in the order the
    requests were sent."""
    messages = sorted((r for r in records if r.is_message), key=lambda r: (r.at, r.n))
    sent = [r for r in messages if r.kind == "request"]
    pending, answered = list(sent), dict[int, Record]()
    for response in (r for r in messages if r.kind != "request"):
        if request := next((q for q in pending if answers(q, response)), None):
            pending.remove(request)
            answered[id(request)] = response
    return [Exchange(request, answered.get(id(request))) for request in sent]


def of_type(found: Iterable[Exchange], msg_type: str, sender: str | None = None,
            receiver: str | None = None, **about: object) -> list[Exchange]:
    """The exchanges of ``msg_type`` (``cpm.reversal``), from ``sender`` to ``receiver``
    when named, whose request carries ``about`` in its body."""
    return [e for e in found if e.msg_type == msg_type
            and sender in (None, e.request.sender) and receiver in (None, e.request.receiver)
            and e.request.about(**about)]


def of_purchase(records: Iterable[Record], sut: str, order_no: str) -> list[Exchange]:
    """The exchanges the SUT started about its purchase ``order_no``: the purchase, its
    status queries and its reversals, each with its answer, apart from those of any other
    purchase (one still being resolved in the background, say)."""
    return [e for e in exchanges(records) if e.request.sent_by(sut)
            and order_no in (e.request.body.get("orderNo"), e.request.body.get("origOrderNo"))]


#: Messages a participant sends on its own schedule after the transaction they name has
#: settled (result notices and their resends, status queries, reversals, later queries), so
#: that they may arrive while another scenario runs. Only these are ever told to belong to
#: an earlier scenario: a purchase or payment that reuses an earlier order number is the
#: SUT's own doing in the scenario under way, and stays in its evidence.
TRAILING = ("notice.result", "mpm.collection_notice", "cpm.status_query", "cpm.reversal",
            "mpm.payment_query", "mpm.collection_query")
#: Body fields whose value names one transaction across its messages: the order number the
#: purchase or payment carries (``origOrderNo`` in its queries and reversals), the switch's
#: ``txnNo`` and the voucher number of its clearing.
TRANSACTION_FIELDS = ("orderNo", "origOrderNo", "voucherNum", "txnNo", "origTxnNo")


def transaction_keys(record: Record) -> set[str]:
    """The values by which ``record`` names its transaction."""
    body = record.body
    return {value for name in TRANSACTION_FIELDS
            if isinstance(value := body.get(name), str) and value}


def trails(record: Record) -> bool:
    """``record`` is one of the :data:`TRAILING` messages or its answer."""
    kind = str(record.msg_type).removesuffix(".request").removesuffix(".response")
    return kind in TRAILING


def earlier_owner(record: Record, owners: dict[str, str]) -> str | None:
    """The earlier scenario whose transaction a trailing ``record`` names (``owners``: each
    transaction key to the scenario whose evidence first held it), or None when the record is
    the present scenario's: not trailing, naming no known transaction, or naming
    transactions of several scenarios (no one of them has it alone)."""
    if not trails(record):
        return None
    found = {owners[key] for key in transaction_keys(record) if key in owners}
    return found.pop() if len(found) == 1 else None
