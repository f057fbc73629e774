"""Parallel requests on one account or one payment neither create nor lose money (issue 13,
items 3 and 6): payments from one account spend its balance once, retries of one refundId
are one refund, parallel voids void once, and no request gets an HTTP 5xx."""

from __future__ import annotations

import pytest

from qrinterop.profile import load_profile
from qrinterop.protocol.control_api import ControlApiSpec
from tests.conftest import reference_network
from tests.money import (
    balance,
    in_parallel,
    no_server_errors,
    open_account,
    payment_code,
    post,
    settled_and_conserved,
)

pytestmark = pytest.mark.e2e
network = pytest.fixture(scope="module", name="network")(reference_network)


@pytest.mark.parametrize(("count", "amount"), [(2, 5000), (50, 1000)])
def test_parallel_payments_spend_the_balance_once(network, count, amount):
    """``count`` payments of the whole balance at once, to one static merchant code: one is
    approved, the others refused as insufficient, the merchant is credited once."""
    sut, peer = network.sut.service.url, network.peers[0].service.url
    account = open_account(sut, amount)
    code = post(peer, "merchant-codes", {"name": "ONE SHOP"}).json()["code"]
    answers = in_parallel(count, lambda _: post(sut, "wallet/pay", {
        "account": account, "code": code, "amount": amount}))
    no_server_errors(answers)
    approved = [a for a in answers if a.status_code == 200 and a.json()["status"] == "approved"]
    assert len(approved) == 1
    assert balance(sut, account) == 0
    settled_and_conserved(network, {(network.sut.id, account): amount})


def test_parallel_purchases_at_the_issuer_spend_the_balance_once(network):
    """Two terminals' purchases of the whole balance, each with its own payment code of one
    account, reach the issuer at once: one is approved, the other declined (64)."""
    sut, peer = network.sut.service.url, network.peers[0].service.url
    account = open_account(sut, 5000)
    codes = [payment_code(sut, account) for _ in range(4)]
    answers = in_parallel(4, lambda i: post(peer, "terminal/charge",
                                            {"code": codes[i], "amount": 5000}))
    no_server_errors(answers)
    assert sorted(a.json()["status"] for a in answers) == ["approved"] + ["declined"] * 3
    assert balance(sut, account) == 0
    settled_and_conserved(network, {(network.sut.id, account): 5000})


def test_parallel_password_confirmations_spend_the_balance_once(network):
    """Two purchases above the pin-free limit wait for one payer's password; the payer
    confirms both at once, with the money for one: one is approved, the other declined (64),
    never an HTTP 500 for a debit the balance cannot take."""
    sut, peer = network.sut.service.url, network.peers[0].service.url
    account = post(sut, "accounts", {"balance": 200000, "riskTier": "B"}).json()["account"]
    codes = [payment_code(sut, account) for _ in range(2)]
    waiting = in_parallel(2, lambda i: post(peer, "terminal/charge",
                                            {"code": codes[i], "amount": 150000}))
    assert [a.json()["respCode"] for a in waiting] == ["70", "70"]
    answers = in_parallel(2, lambda _: post(sut, "wallet/password",
                                            {"account": account, "decision": "confirm"}))
    no_server_errors(answers)
    assert sorted(a.json()["status"] for a in answers) == ["approved", "declined"]
    assert balance(sut, account) == 50000
    settled_and_conserved(network, {(network.sut.id, account): 200000})


def charged(network, amount: int) -> tuple[dict, str, str]:
    """A purchase the SUT's terminal took from a payer of the first peer: its record, the
    peer's URL and the payer's account."""
    sut, peer = network.sut.service.url, network.peers[0].service.url
    account = open_account(peer, amount)
    txn = post(sut, "terminal/charge", {"code": payment_code(peer, account),
                                        "amount": amount}).json()
    assert txn["status"] == "approved"
    return txn, peer, account


def test_parallel_retries_of_one_refund_id_are_one_refund(network):
    """Fifty retries of one refund (same refundId) at once: every one answers with the same
    refund, never a 5xx, and the payer gets the money back once."""
    sut = network.sut.service.url
    txn, peer, account = charged(network, 5000)
    answers = in_parallel(50, lambda _: post(sut, "terminal/refund", {
        "voucherNum": txn["voucherNum"], "amount": 1000, "refundId": "REFUNDONCE01"}))
    no_server_errors(answers)
    assert {(a.status_code, a.json()["ref"], a.json()["status"], a.json()["voucherNum"])
            for a in answers} == {(200, "REFUNDONCE01", "approved",
                                   answers[0].json()["voucherNum"])}
    assert balance(peer, account) == 1000
    settled_and_conserved(network, {(network.peers[0].id, account): 5000})
    other = post(sut, "terminal/refund", {"voucherNum": txn["voucherNum"], "amount": 500,
                                          "refundId": "REFUNDONCE01"})
    assert other.status_code == 400 and "already names another" in other.json()["error"]


def test_parallel_partial_refunds_never_pass_what_was_paid(network):
    """Five refunds of 10.00 each (distinct refunds) of a 30.00 purchase at once: three are
    approved, two declined, and the payer gets 30.00 back, not 50.00."""
    sut = network.sut.service.url
    txn, peer, account = charged(network, 3000)
    answers = in_parallel(5, lambda _: post(sut, "terminal/refund", {
        "voucherNum": txn["voucherNum"], "amount": 1000}))
    no_server_errors(answers)
    assert sorted(a.json()["status"] for a in answers) == ["approved"] * 3 + ["declined"] * 2
    assert balance(peer, account) == 3000
    settled_and_conserved(network, {(network.peers[0].id, account): 3000})


def test_parallel_voids_void_once(network):
    """Ten voids of one purchase at once: one is approved, the others declined, the payer is
    credited once."""
    sut = network.sut.service.url
    txn, peer, account = charged(network, 3000)
    answers = in_parallel(10, lambda _: post(sut, "terminal/void",
                                             {"voucherNum": txn["voucherNum"]}))
    no_server_errors(answers)
    statuses = sorted(a.json()["status"] for a in answers if a.status_code == 200)
    assert statuses.count("approved") == 1
    assert balance(peer, account) == 3000
    settled_and_conserved(network, {(network.peers[0].id, account): 3000})


@pytest.mark.parametrize(("path", "body"), [
    ("terminal/charge", {"code": "6212345678901234567", "amount": 2 ** 53}),
    ("accounts", {"balance": 2 ** 63}),
    ("wallet/pay", {"account": "A", "code": "x", "amount": 10 ** 10}),
    ("terminal/refund", {"voucherNum": "1", "amount": 1, "refundId": "R-1"}),
])
def test_amounts_and_refund_ids_no_message_can_carry_are_refused(network, path, body):
    """An amount beyond the message set's, a balance that would overflow the ledger, a
    refundId the refund message would refuse as its orderNo: 400 with a reason."""
    answer = post(network.sut.service.url, path, body)
    assert answer.status_code == 400 and answer.json()["error"]


def test_what_the_ledger_cannot_hold_is_refused_with_a_reason(network):
    """An account opened twice, a new merchant without a name: 400 naming the problem, not
    an HTTP 500 from SQLite."""
    sut = network.sut.service.url
    account = open_account(sut, 100)
    again = post(sut, "accounts", {"account": account, "balance": 1})
    nameless = post(sut, "merchant-codes", {"merchantId": "NOSUCHMERCHANT"})
    assert (again.status_code, nameless.status_code) == (400, 400)
    assert "already exists" in again.json()["error"] and "name" in nameless.json()["error"]


def test_the_contract_bounds_what_the_messages_bound():
    """The control contract's amount and refundId are the message set's amount and orderNo."""
    profile = load_profile()
    schemas = ControlApiSpec.of(profile).document["components"]["schemas"]
    assert schemas["Amount"]["maximum"] == profile.definition("amount")["maximum"]
    assert schemas["RefundRequest"]["properties"]["refundId"]["pattern"] == \
        profile.definition("orderNo")["pattern"]
