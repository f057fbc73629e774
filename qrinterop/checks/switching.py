"""What a switch under test did with what the institutions around it sent through it:
refunds and voids relayed to the original's issuer, repeats answered without relaying them
again, a purchase held for the payer's password, and the reconciliation file it writes each
participant (messages/reconciliation.schema.json), counted and added up.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable

from qrinterop.checks.correlation import Exchange
from qrinterop.checks.outcome import Violation, check, unequal, unless

#: Financial message types that move money to the acquirer; every other one (reversal, void,
#: refund) gives it back (reconciliation.schema.json's description of netAmount).
PAYMENTS = ("cpm.purchase", "mpm.payment")
#: A file, by the participant it was written for.
Files = dict[str, dict]


@check("R-FLOW-01", "R-FLOW-13")
def relayed_to(found: list[Exchange], receiver: str, msg_type: str, what: str) -> list[Violation]:
    """The switch relayed the acquirer's request about one original transaction (``found``:
    every request it sent about it) once, to ``receiver`` (the original's issuer), as
    ``msg_type``, and that institution approved it."""
    seen = [(e.request.receiver, e.msg_type, e.code) for e in found]
    return unequal(f"{what} the switch relayed (receiver, message type, answer)", seen,
                   [(receiver, msg_type, "00")])


@check("R-FLOW-06")
def relayed_once(found: list[Exchange], what: str) -> list[Violation]:
    """A request the switch had relayed went no further when it came again, identical or
    altered: ``found`` is every copy that reached the next institution."""
    return unequal(f"copies of {what} the switch relayed", len(found), 1)


@check("R-FLOW-09")
def held_for_password(found: list[Exchange], issuer: str) -> list[Violation]:
    """Above the pin-free limit the switch asked the issuer for the payer's password
    (``found``: its cpm.additional_processing requests about the purchase) and the issuer
    acknowledged it."""
    return unequal("cpm.additional_processing the switch sent (receiver, answer)",
                   [(e.request.receiver, e.code) for e in found], [(issuer, "00")])


@check("R-FLOW-09")
def told_waiting(answer: object) -> list[Violation]:
    """The switch's answer to a status query about a purchase waiting for the payer's
    password: found (00), its outcome 70, not yet approved."""
    body = answer.get("body", {}) if isinstance(answer, dict) else {}
    return unequal("switch's answer to the status query (respCode, origRespCode)",
                   (body.get("respCode"), body.get("origRespCode")), ("00", "70"))


def _records(file: dict, voucher: str) -> list[dict]:
    return [r for r in file.get("records", []) if r.get("voucherNum") == voucher]


@check("R-FLOW-06")
def listed_once(files: Files, vouchers: Iterable[str]) -> list[Violation]:
    """No transaction is in a participant's file more than once."""
    return [Violation(f"records of {voucher} in {who}'s reconciliation file", "at most one",
                      str(count))
            for who, file in files.items() for voucher in vouchers
            if (count := len(_records(file, voucher))) > 1]


@check("R-FLOW-12")
def listed_as(files: Files, expected: dict[str, tuple[str, int]],
              roles: dict[str, str]) -> list[Violation]:
    """Each participant's file lists each transaction of ``expected`` (voucher → message
    type and amount) with the participant's role in it (``roles``, by participant)."""
    found = []
    for who, file in files.items():
        for voucher, (msg_type, amount) in expected.items():
            listed = [(r.get("msgType"), r.get("amount"), r.get("role"))
                      for r in _records(file, voucher)][:1]
            found += unequal(f"{voucher} in {who}'s reconciliation file (type, amount, role)",
                             listed, [(msg_type, amount, roles[who])])
    return found


@check("R-FLOW-12")
def not_listed(files: Files, vouchers: Iterable[str]) -> list[Violation]:
    """A transaction that was declined or never happened is in no file: it moved nothing."""
    return [Violation(f"{voucher} in {who}'s reconciliation file", "not listed: not approved",
                      "listed") for who, file in files.items() for voucher in vouchers
            if _records(file, voucher)]


@check("R-FLOW-12")
def adds_up(files: Files) -> list[Violation]:
    """Each file's header says what its records add up to: their count, the count and amount
    per message type, and the participant's net position (positive: it receives). A reversal
    of a purchase outside the file may or may not have moved money (the switch may never have
    cleared that purchase), so either net position is taken then."""
    found = []
    for who, file in files.items():
        header, records = file.get("header", {}), file.get("records", [])
        totals: dict[str, dict[str, int]] = defaultdict(lambda: {"count": 0, "amount": 0})
        for record in records:
            totals[record["msgType"]]["count"] += 1
            totals[record["msgType"]]["amount"] += record["amount"]
        nets = _net_positions(records)
        found += unequal(f"recordCount of {who}'s reconciliation file", header.get("recordCount"),
                         len(records))
        found += unequal(f"totals of {who}'s reconciliation file", header.get("totals"),
                         dict(totals))
        found += unless(header.get("netAmount") in nets,
                        f"netAmount of {who}'s reconciliation file",
                        " or ".join(map(str, sorted(nets))), header.get("netAmount"))
    return found


def _net_positions(records: list[dict]) -> set[int]:
    """The net positions the records allow: reversals of purchases the file does not list
    counted, and not."""
    listed = {r["voucherNum"] for r in records}
    sure, unsure = 0, 0
    for record in records:
        sign = (1 if record["msgType"] in PAYMENTS else -1) * \
            (1 if record["role"] == "acquirer" else -1)
        if record["msgType"] == "cpm.reversal" and record.get("origVoucherNum") not in listed:
            unsure += sign * record["amount"]
        else:
            sure += sign * record["amount"]
    return {sure, sure + unsure}



@check("R-FLOW-01")
def told_approved(answer: object, payment: dict) -> list[Violation]:
    """The switch's answer to a query about a payment it relayed, found by the txnNo it gave
    (``payment``: the payer's institution's record): found (00), approved, with its voucher
    number and amount."""
    body = answer.get("body", {}) if isinstance(answer, dict) else {}
    told = {k: body.get(k) for k in ("respCode", "origRespCode", "origVoucherNum", "amount")}
    return unequal("switch's answer to the payment query", told, {
        "respCode": "00", "origRespCode": "00", "origVoucherNum": payment.get("voucherNum"),
        "amount": payment.get("amount")})
