"""Refunds and voids an SUT acquirer sends, as the switch saw them: each names the original
payment, carries an order number of its own, and a retried one is the same request; and what
became of one the SUT was asked for, when no approval is the right outcome.

Each takes the SUT's requests (``Record``s, e.g. ``wire.sent``) and what the harness knows of
the original (its voucher, order number and time, as the SUT's test-control API reported
them); none reads anything itself.
"""

from __future__ import annotations

from qrinterop.checks.outcome import Violation, check, unequal, unless
from qrinterop.checks.record import Record


def _naming(requests: list[Record], original: dict) -> list[Record]:
    """The requests that name ``original`` by its voucher or by its order."""
    return [r for r in requests
            if r.body.get("origVoucherNum") == original.get("voucherNum")
            or (r.body.get("origOrderNo"), r.body.get("origOrderTime"))
            == (original.get("orderNo"), original.get("orderTime"))]


@check("R-FLOW-07", "R-FLOW-13")
def names_original(requests: list[Record], original: dict, msg_type: str) -> list[Violation]:
    """The SUT sent a ``msg_type`` naming the original payment, and every one it sent names
    it rightly: by the voucher the switch gave it (``origVoucherNum``) or by its own
    ``origOrderNo`` and ``origOrderTime``, and no field naming anything else; a refund or
    void naming another payment reaches the wrong payer, or none."""
    wrong = [r.body for r in requests if not _naming([r], original)
             or r.body.get("origVoucherNum") not in (None, original.get("voucherNum"))
             or r.body.get("origOrderNo") not in (None, original.get("orderNo"))]
    if not requests:
        return [Violation(f"the SUT's {msg_type}",
                          f"one naming voucher {original.get('voucherNum')}", "none sent")]
    return unless(not wrong, f"the SUT's {msg_type}",
                  f"origVoucherNum {original.get('voucherNum')} or origOrderNo "
                  f"{original.get('orderNo')} with its orderTime",
                  [{k: b.get(k) for k in ("origVoucherNum", "origOrderNo", "origOrderTime")}
                   for b in wrong])


@check("R-FLOW-06")
def own_order_no(requests: list[Record], original: dict) -> list[Violation]:
    """Each refund or void carries an ``orderNo`` of its own (its refund ID, R-FLOW-06: a new
    orderNo for a new refund), never the original payment's, which the issuer would take for
    another transaction under a key already used."""
    reused = [r.body.get("orderNo") for r in requests
              if r.body.get("orderNo") == original.get("orderNo")]
    return unless(not reused, "orderNo of the SUT's refunds and voids",
                  f"one of their own, not the purchase's {original.get('orderNo')}", reused)


@check("R-FLOW-06")
def retried_alike(requests: list[Record]) -> list[Violation]:
    """A refund retried under the same refund ID went out as the same request (one
    ``orderNo`` and ``orderTime``), so the issuer can tell it is one refund and pay it once."""
    keys = sorted({(str(r.body.get("orderNo")), str(r.body.get("orderTime")))
                   for r in requests})
    return unless(len(keys) <= 1, "the SUT's refund requests for one refund ID",
                  "one orderNo and orderTime", keys)


def _shown(txn: dict) -> str:
    return f"{txn.get('status')} (response code {txn.get('respCode')})"


@check("R-FLOW-07", "R-FLOW-13")
def approved(txn: dict | None, refusal: str | None, what: str) -> list[Violation]:
    """A refund or void the SUT's terminal was asked for went through: approved, 00; not
    refused by the terminal (``refusal``, ``txn`` None)."""
    if txn is None:
        return [Violation(what, "approved (response code 00)", f"refused: {refusal}")]
    return unequal(what, _shown(txn), "approved (response code 00)")


@check("R-FLOW-07", "R-FLOW-13", "R-FLOW-14")
def not_approved(txn: dict | None, refusal: str | None, what: str) -> list[Violation]:
    """A refund or void that must not succeed did not: the terminal refused it (``refusal``),
    or it ended declined, whatever the code. ``txn`` None: the terminal made none. A refund
    of a purchase that took no money, approved, creates money (R-FLOW-14)."""
    if txn is None:
        return unless(refusal is not None, what, "refused or declined", "neither")
    return unequal(what, "declined" if txn.get("status") == "declined" else _shown(txn),
                   "declined")
