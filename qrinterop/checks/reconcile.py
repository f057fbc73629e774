"""Set an institution's books beside the switch's reconciliation file for the same day.

The file is the switch's statement of what it cleared; the books are what the institution's
test-control API lists for that settlement date. They agree when every record of the file is
a transaction the institution booked as approved, once, under the same voucher number, with
the same amount, currency and settlement date, and every approved transaction the institution
booked under a voucher of that day is in the file. What does not agree is listed, one line each.

A reversed purchase is one model in both (control-api.openapi.json Transaction.status,
messages/reconciliation.schema.json): the reversal is a transaction of its own, approved in
the books and a record of the file; the purchase it undid reads ``reversed`` in the books of
the party that never learnt its outcome (often without the switch's voucher), approved in
those of the issuer that approved it too late. The file lists the purchase only if the switch
cleared it; that record is accounted for by the books' record of the purchase, approved or
reversed, or else, at a party that never learnt the purchase's voucher (its reversal in the
books names none), by the reversal the file shows naming it, which the books have approved.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Set as AbstractSet

AGREED = ("amount", "currency", "settleDate")


def disagreements(statement: dict, booked: list[dict],
                  not_cleared: AbstractSet[str] = frozenset()) -> list[str]:
    """Every way the institution's ``booked`` transactions and the ``statement`` differ;
    vouchers in ``not_cleared`` (given out by the harness itself, acting as the switch) are
    expected in the books only."""
    approved_list = [t for t in booked if t.get("voucherNum") and t["status"] == "approved"
                     and t["voucherNum"] not in not_cleared]
    approved = {t["voucherNum"]: t for t in approved_list}
    undone = {t["voucherNum"]: t for t in booked
              if t.get("voucherNum") and t["status"] == "reversed"}
    in_file = {r["voucherNum"]: r for r in statement["records"]}
    # purchases the books know only through their reversal: it names no voucher of theirs
    reversed_in_file = {r.get("origVoucherNum") for r in in_file.values()
                        if r["msgType"].endswith(".reversal") and r["voucherNum"] in approved
                        and approved[r["voucherNum"]].get("kind") == "reversal"
                        and not approved[r["voucherNum"]].get("origVoucherNum")}
    problems = [f"{voucher} is approved {count} times in the institution's books: one "
                f"transaction booked more than once"
                for voucher, count in Counter(t["voucherNum"] for t in approved_list).items()
                if count > 1]
    for voucher, record in in_file.items():
        mine = approved.get(voucher) or undone.get(voucher)
        if mine is None and voucher in reversed_in_file:
            continue        # undone by a reversal the books have: one model, two records
        if mine is None:
            problems.append(f"{record['msgType']} {voucher} ({record['amount']} fen) is in the "
                            f"switch's file but not approved in the institution's books")
            continue
        differing = [f"{k} {mine.get(k)!r} (file: {record[k]!r})" for k in AGREED
                     if mine.get(k) != record[k]]
        if differing:
            problems.append(f"{voucher}: the books have " + ", ".join(differing))
    for voucher, mine in approved.items():
        if voucher not in in_file and mine.get("settleDate") == statement["header"]["settleDate"]:
            problems.append(f"{mine['kind']} {voucher} ({mine['amount']} fen) is approved in the "
                            f"institution's books but not in the switch's file")
    return problems
