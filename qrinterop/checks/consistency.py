"""Passive checks across the messages of a scenario, run on every scenario's records beside
the schema and signature checks (``checks/passive.py``): response codes the profile's table
does not have, and amounts, currencies and merchants that change within one transaction.

A schema accepts any two-character response code, so an issuer that answers insufficient
funds with 51 (a code of other schemes, not of this profile) passes every message check;
and every message of a purchase may be well formed while the issuer's answer, the switch's
relay, the result notice, a query's answer or the terminal's booking names another amount.

Each check comes twice: ``*_found`` gives every (record, violation) pair, so that the
passive findings can say who sent what (a simulator's finding is the harness's error, the
SUT's a failure); the ``@check`` function gives the violations alone, for a step.
Records the harness spoilt on purpose (``deliberate``) or made by hand (the injector's) are
never judged; what they carried counts as said, so that the party that passes it on is not
blamed for it.
"""

from __future__ import annotations

from collections.abc import Iterator

from qrinterop.checks.outcome import Violation, check
from qrinterop.checks.record import Record
from qrinterop.profile import Profile

#: Body fields holding a response code of the profile's table.
CODE_FIELDS = ("respCode", "origRespCode", "resultCode")

#: The payments whose amount, currency and merchant every message about them repeats.
PAYMENTS = ("cpm.purchase", "mpm.payment")

#: Message types that speak of a payment; queries and notices only when ``origMsgType``
#: (if they carry one) names a payment: a refund's own amount is its own.
ABOUT_A_PAYMENT = ("cpm.purchase", "cpm.additional_processing", "cpm.status_query",
                   "cpm.reversal", "notice.result", "mpm.inquiry", "mpm.payment",
                   "mpm.payment_query", "mpm.collection_notice")

#: Fields that must not change between the messages of one payment.
AGREEING = ("amount", "currency")

#: The requirement each check's findings fall under: R-MSG-01 holds every message to the
#: profile's vocabulary, R-FLOW-12 both sides of a transaction to one amount and currency.
CODES_REQUIREMENT, FIELDS_REQUIREMENT = "R-MSG-01", "R-FLOW-12"

Pair = tuple[Record, Violation]


def read(records: list[Record]) -> Iterator[Record]:
    """The records a passive check reads, in the order they were seen: messages and the
    institutions' control answers."""
    for record in sorted(records, key=lambda r: (r.at, r.n)):
        if not isinstance(record.content, dict):
            continue
        if record.is_message or (record.pco == "upper-tester" and record.kind == "response"
                                 and record.sender != "harness"):
            yield record


def spoilt(record: Record) -> bool:
    """Spoilt on purpose or made by hand by the harness: not judged."""
    return record.deliberate or record.pco == "injector"


def fields(record: Record) -> dict:
    """Where a record's fields are: a message's body, a control answer itself."""
    return record.body if record.is_message else record.content


def where(record: Record) -> str:
    """``#8 10000001 → 90000000 cpm.purchase.response``: which record a finding is about."""
    kind = record.msg_type or "control answer"
    return f"#{record.n} {record.sender} → {record.receiver} {kind}"


# -- response codes ---------------------------------------------------------------------------
def unknown_codes_found(profile: Profile, records: list[Record]) -> list[Pair]:
    """Every response code outside the profile's table (response-codes.json), in any
    message on any leg and in any transaction an institution reports: held against the
    first party that used it, not against those that passed on what they were told (the
    switch relaying an issuer's answer, a terminal booking it)."""
    table, found, seen = profile.response_codes, list[Pair](), set[object]()
    for record in read(records):
        for name in CODE_FIELDS:
            value = fields(record).get(name)
            if value is None or value in table or value in seen:
                continue
            seen.add(value)
            if spoilt(record):
                continue
            found.append((record, Violation(
                f"{name} of {where(record)}",
                "a code of the profile's response-code table (response-codes.json)",
                repr(value))))
    return found


@check(CODES_REQUIREMENT)
def codes_in_table(profile: Profile, records: list[Record]) -> list[Violation]:
    """No message and no reported transaction carries a response code the profile's table
    lacks: a requester cannot tell final from unknown of a code it does not know."""
    return [violation for _, violation in unknown_codes_found(profile, records)]


# -- one payment, one amount ------------------------------------------------------------------
def family(record: Record) -> str | None:
    """The payment message type a record speaks of (``cpm.purchase``), or None."""
    if not record.is_message:
        body = record.content
        return "payment" if body.get("kind", "payment") == "payment" else None
    name = str(record.msg_type).rsplit(".", 1)[0]
    if name not in ABOUT_A_PAYMENT:
        return None
    about = fields(record).get("origMsgType")
    return name if about in (None, *PAYMENTS) else None


def order_owner(record: Record, name: str) -> str | None:
    """Who numbered the payment's ``orderNo``: the acquirer of a purchase, the wallet of an
    MPM payment. Order numbers of two institutions may coincide, the switch's vouchers and
    order numbers (``voucherNum``, ``txnNo``) may not."""
    body = fields(record)
    if not record.is_message:
        own = (body.get("role"), body.get("mode")) in (("acquirer", "CPM"), ("issuer", "MPM"))
        return record.sender if own else body.get("counterparty")
    named = body.get("acquirer" if name.startswith("cpm") or name == "notice.result"
                     else "issuer")
    if named:
        return str(named)
    outbound = (record.kind == "request") == (record.leg == "to-switch")
    return record.sender if outbound else record.receiver


def keys(record: Record, name: str) -> set[tuple[str, str]]:
    """What identifies the payment a record speaks of."""
    body = fields(record)
    found = {("voucher", body["origVoucherNum" if name == "cpm.reversal" else "voucherNum"])
             } if body.get("origVoucherNum" if name == "cpm.reversal" else "voucherNum") else set()
    found |= {("txn", body[k]) for k in ("txnNo", "origTxnNo") if body.get(k)}
    owner = order_owner(record, name)
    found |= {("order", f"{owner}/{body[k]}") for k in ("orderNo", "origOrderNo") if body.get(k)}
    return found


def payments(records: list[Record]) -> list[list[Record]]:
    """The records of each payment, in the order they were seen: those sharing any
    identifier (a voucher, an MPM order, an order number of its owner) belong together."""
    groups: list[tuple[set[tuple[str, str]], list[Record]]] = []
    for record in read(records):
        if (name := family(record)) is None or not (ids := keys(record, name)):
            continue
        joined = [g for g in groups if g[0] & ids]
        merged = (ids.union(*(g[0] for g in joined)),
                  sorted([record, *(r for g in joined for r in g[1])], key=lambda r: (r.at, r.n)))
        groups = [g for g in groups if g not in joined] + [merged]
    return [members for _, members in groups]


def values(record: Record) -> dict[str, object]:
    """The fields of a record that every message of its payment must agree on."""
    body = fields(record)
    found: dict[str, object] = {name: body[name] for name in AGREEING
                                if body.get(name) is not None}
    merchant = body.get("merchant") if record.is_message else None
    if isinstance(merchant, dict):
        found |= {f"merchant.{key}": value for key, value in merchant.items()}
    return found


def changed_fields_found(records: list[Record]) -> list[Pair]:
    """Every record that brings a new value of a payment's amount, currency or merchant:
    held to the first message of the payment that carried the field; a relay of a value
    already changed is not held against the relaying party again."""
    found: list[Pair] = []
    for members in payments(records):
        seen: dict[str, list[object]] = {}
        for record in members:
            for name, value in values(record).items():
                earlier = seen.setdefault(name, [])
                if earlier and value not in earlier and not spoilt(record):
                    found.append((record, Violation(
                        f"{name} of {where(record)}",
                        f"{earlier[0]!r}, as the transaction's first message said",
                        repr(value))))
                if value not in earlier:
                    earlier.append(value)
    return found


@check(FIELDS_REQUIREMENT)
def fields_agree(records: list[Record]) -> list[Violation]:
    """Every message of one payment, and what each institution reports of it, carries the
    same amount, currency and merchant: the request, its relay, the answer, the result
    notice, the answer to a status query, a reversal and the booking."""
    return [violation for _, violation in changed_fields_found(records)]
