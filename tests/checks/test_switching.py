"""The switch-under-test checks, on transcripts and reconciliation files recorded against the
reference switch (SWX-01 to SWX-09) and its variants (tests/transcripts/README.md)."""

import pytest

from qrinterop.checks.correlation import exchanges, of_type
from qrinterop.checks.switching import (
    adds_up,
    held_for_password,
    listed_as,
    listed_once,
    not_listed,
    relayed_once,
    relayed_to,
    told_approved,
    told_waiting,
)
from tests.checks.recorded import answers, document, reported, transcript

SWITCH, PEER, WALLET_W, BANK_U = "90000001", "10000002", "20000001", "30000001"


def undone(name: str, kind: str, mode: str = "mpm"):
    """Every refund and void the switch relayed about the payment the scenario undid."""
    found = exchanges(transcript(name))
    voucher = next(e.request.body["origVoucherNum"] for e in found
                   if e.request.sent_by(PEER) and e.msg_type == f"{mode}.{kind}")
    return [e for t in ("refund", "void") for e in of_type(
        found, f"{mode}.{t}", SWITCH, origVoucherNum=voucher)]


def test_a_void_relayed_to_the_original_issuer_as_a_void():
    assert relayed_to(undone("SWX-04.reference-switch", "void"), BANK_U, "mpm.void", "v") == []


def test_a_void_relayed_as_a_refund():
    found = relayed_to(undone("SWX-04.switch-relays-voids-as-refunds", "void"), BANK_U,
                       "mpm.void", "voids")
    assert "mpm.refund" in found[0].observed and found[0].requirements == ("R-FLOW-01",
                                                                          "R-FLOW-13")


def test_a_refund_relayed_to_the_acquirer_that_asked():
    found = relayed_to(undone("SWX-02.switch-relays-mpm-refunds-to-acquirer", "refund"),
                       WALLET_W, "mpm.refund", "refunds")
    assert PEER in found[0].observed


def purchases_to_wallet(name: str):
    recorded = transcript(name)
    return of_type(exchanges(recorded), "cpm.purchase", SWITCH, WALLET_W)


def test_an_altered_repeat_goes_nowhere():
    assert relayed_once(purchases_to_wallet("SWX-07.reference-switch"), "the purchase") == []


def test_an_altered_repeat_relayed():
    found = relayed_once(purchases_to_wallet("SWX-07.switch-relays-altered-repeats"), "p")
    assert found[0].observed == "2" and found[0].requirements == ("R-FLOW-06",)


@pytest.mark.parametrize("variant, copies", [("reference-switch", 1),
                                             ("switch-relays-repeated-refunds", 2)])
def test_an_identical_refund_repeat(variant, copies):
    refunds = of_type(exchanges(transcript(f"SWX-09.{variant}")), "cpm.refund", SWITCH, WALLET_W)
    assert len(refunds) == copies
    assert bool(relayed_once(refunds, "the refund")) == (copies > 1)


def step_ups(name: str):
    return of_type(exchanges(transcript(name)), "cpm.additional_processing", SWITCH)


def test_a_purchase_above_the_limit_held_for_the_password():
    assert held_for_password(step_ups("SWX-05.reference-switch"), WALLET_W) == []
    assert held_for_password(step_ups("SWX-05.switch-skips-password-step-up"), WALLET_W)


def test_a_query_about_a_waiting_purchase():
    def query_answer(variant: str):
        return answers(transcript(f"SWX-05.{variant}"), pco="injector")[-1]
    assert told_waiting(query_answer("reference-switch")) == []
    found = told_waiting(query_answer("switch-reports-waiting-purchases-approved"))
    assert found[0].observed == "('00', '00')"
    assert told_waiting(None)


def files(name: str) -> dict:
    return document(f"{name}.reconciliation")


def refund_of(variant: str) -> dict[str, tuple[str, int]]:
    """SWX-01's purchase and refund, by the vouchers the switch answered the peer with."""
    return {e.answer.body["voucherNum"]: (e.msg_type, e.answer.body["amount"])
            for e in exchanges(transcript(f"SWX-01.{variant}"))
            if e.msg_type in ("cpm.purchase", "cpm.refund") and e.request.sent_by(PEER)}


ROLES = {PEER: "acquirer", WALLET_W: "issuer"}


def test_the_reference_file_lists_each_once_and_adds_up():
    good, expected = files("SWX-01.reference-switch"), refund_of("reference-switch")
    assert len(expected) == 2
    assert listed_once(good, expected) == []
    assert listed_as(good, expected, ROLES) == []
    assert adds_up(good) == [] and adds_up(files("SWX-03.reference-switch")) == []


def test_a_refund_listed_twice():
    found = listed_once(files("SWX-01.switch-clears-refunds-twice"),
                        refund_of("switch-clears-refunds-twice"))
    assert len(found) == 2 and found[0].requirements == ("R-FLOW-06",)


def test_a_refund_left_out():
    found = listed_as(files("SWX-01.switch-omits-refunds-from-file"),
                      refund_of("switch-omits-refunds-from-file"), ROLES)
    assert len(found) == 2 and all("cpm.refund" in v.expected for v in found)


def test_totals_off_by_a_fen():
    found = adds_up(files("SWX-01.switch-sums-file-in-yuan"))
    assert any("totals" in v.what for v in found) and any("netAmount" in v.what for v in found)


def test_a_void_netted_as_a_purchase():
    found = adds_up(files("SWX-03.switch-clears-voids-as-purchases"))
    assert [v.what.split()[0] for v in found] == ["netAmount", "netAmount"]


def test_a_reversal_of_a_purchase_outside_the_file_may_net_either_way():
    file = {"header": {"recordCount": 1, "totals": {"cpm.reversal": {"count": 1, "amount": 5}},
                       "netAmount": 0},
            "records": [{"msgType": "cpm.reversal", "voucherNum": "V2", "amount": 5,
                         "role": "acquirer", "origVoucherNum": "V1"}]}
    assert adds_up({PEER: file}) == []
    assert adds_up({PEER: {**file, "header": {**file["header"], "netAmount": -5}}}) == []
    assert adds_up({PEER: {**file, "header": {**file["header"], "netAmount": 5}}})


def cancelled(variant: str) -> str:
    """The voucher the switch gave SWX-06's purchase when it held it for the password."""
    return next(e.answer.body["voucherNum"] for e in exchanges(transcript(f"SWX-06.{variant}"))
                if e.msg_type == "cpm.purchase" and e.code == "70")


@pytest.mark.parametrize("variant, listed", [("reference-switch", 0),
                                             ("switch-clears-declined-step-ups", 2)])
def test_a_declined_step_up_in_no_file(variant, listed):
    found = not_listed(files(f"SWX-06.{variant}"), [cancelled(variant)])
    assert len(found) == listed


@pytest.mark.parametrize("variant, wrong", [("reference-switch", False),
                                            ("switch-finds-mpm-payments-by-order-only", True)])
def test_a_payment_query_by_txn_no(variant, wrong):
    recorded = transcript(f"SWX-10.{variant}")
    payment = reported(recorded)[-1]
    found = told_approved(answers(recorded, pco="injector")[-1], payment)
    assert bool(found) == wrong
    assert payment["status"] == "approved" and payment["txnNo"]
