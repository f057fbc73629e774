"""The pure conservation check (qrinterop/checks/conservation.py) on real inputs: the books of
the reference institution and the switch's clearing as a certification read them
(tests/recorded/conservation-reference.json), judged as each scenario judged them; then the
same books spoilt the ways an SUT creates, loses or double-books money."""

from __future__ import annotations

import copy
import json
from pathlib import Path

import pytest

from qrinterop.checks.conservation import (
    AGREEMENT,
    CONSERVATION,
    Books,
    conservation_findings,
    well_formed,
)

RECORDED = json.loads((Path(__file__).parent / "recorded" / "conservation-reference.json")
                      .read_text(encoding="utf-8"))
SUT = RECORDED["sut"]


def books(scenario: str | None = None) -> Books:
    """The recorded books as ``scenario`` judged them (its window and the payer account it
    opened); None: every transaction and every account at once."""
    scenarios = [RECORDED["scenarios"][scenario]] if scenario else \
        list(RECORDED["scenarios"].values())
    balances = {(party, account): (opening, closing)
                for s in scenarios for party, account, opening, closing in s["balances"]}
    window = set(scenarios[0]["window"]) if scenario else None
    return Books(copy.deepcopy(RECORDED["cleared"]), copy.deepcopy(RECORDED["ledgers"]),
                 balances, window, set(), {SUT})


def ledger(b: Books) -> list[dict]:
    return b.ledgers[SUT]


def txn(b: Books, kind: str, voucher_tail: str) -> dict:
    return next(t for t in ledger(b) if t["kind"] == kind and t["voucherNum"].endswith(
        voucher_tail))


def found(b: Books) -> list[tuple[str, str | None]]:
    return [(f.requirement, f.party) for f in conservation_findings(b)]


@pytest.mark.parametrize("scenario", [None, *RECORDED["scenarios"]])
def test_the_reference_books_as_recorded_conserve_money(scenario):
    assert conservation_findings(books(scenario)) == []
    assert all(well_formed(t) for t in ledger(books()))


def test_a_purchase_booked_twice_creates_money():
    """notice-credits-merchant-again, as the issuer: a second approved record of one
    cleared purchase."""
    b = books("CPM-01")
    purchase = txn(b, "payment", "000001")
    ledger(b).append({**purchase, "ref": "again"})
    twice, balance = conservation_findings(b)
    assert found(b) == [(CONSERVATION, SUT), (CONSERVATION, SUT)]
    assert "booked 2 times by its issuer" in twice.message
    assert "moved -30.00 CNY, but 10000001's books explain -60.00 CNY" in balance.message


def test_a_payer_debited_beyond_what_the_books_explain_loses_money():
    b = books("REF-01")
    b.balances[(SUT, txn(b, "refund", "000005")["account"])] = (50000, 40000)
    (finding,) = conservation_findings(b)
    assert (finding.requirement, finding.party) == (CONSERVATION, SUT)
    assert "moved -100.00 CNY" in finding.message and "explain -70.00 CNY" in finding.message


def test_a_refund_cleared_but_never_booked_is_missing_money():
    """The switch cleared the refund, the SUT neither booked nor credited it: its books
    explain the payer's balance, but not the switch's clearing."""
    b = books("REF-01")
    ledger(b).remove(txn(b, "refund", "000005"))
    b.balances = {key: (50000, 40000) for key in b.balances}
    assert found(b) == [(CONSERVATION, SUT)]
    assert "missing from the books of its issuer" in conservation_findings(b)[0].message


def test_a_payment_the_switch_never_cleared_creates_money():
    """Approved and debited by the SUT, unknown to the switch: no merchant is paid."""
    b = books("CPM-01")
    ledger(b).append({**txn(b, "payment", "000001"), "ref": "X", "voucherNum": "X1"})
    b.window = None
    b.balances = {key: (50000, 44000) for key in b.balances if key[1] == "ACC41666C26F2A7"}
    assert found(b) == [(CONSERVATION, SUT)]
    assert "the switch cleared no such transaction" in conservation_findings(b)[0].message


def test_a_void_booked_for_another_amount_disagrees_with_the_switch():
    b = books("VOID-01")
    txn(b, "void", "000008")["amount"] = 5000
    assert found(b) == [(AGREEMENT, SUT), (CONSERVATION, SUT)]


def test_a_void_still_unknown_is_money_in_flight_not_judged():
    b = books("VOID-01")
    txn(b, "void", "000008")["status"] = "unknown"
    assert conservation_findings(b) == []
