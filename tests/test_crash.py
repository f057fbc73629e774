"""An institution killed (SIGKILL) with purchases in flight and started again on its state
loses none and counts none twice (issue 13, item 4): what it was sending it recorded first,
and on start it settles every unknown outcome by query or reversal; money is conserved across
the network (the harness's own conservation check)."""

from __future__ import annotations

import time
from concurrent.futures import ThreadPoolExecutor

import pytest
import requests

from qrinterop.runner.scenarios.clients import TapClient
from tests.conftest import eventually, reference_network
from tests.money import (
    balance,
    open_account,
    payment_code,
    post,
    settled_and_conserved,
)

pytestmark = pytest.mark.e2e
network = pytest.fixture(scope="module", name="network")(reference_network)


def answer_of(base: str, path: str, body: dict) -> requests.Response | None:
    """The answer, or None when the institution dies before it answers."""
    try:
        return post(base, path, body)
    except requests.ConnectionError:
        return None


def payers_at(participant, count: int, opening: int) -> tuple[dict, list[str]]:
    """``count`` payer accounts at ``participant`` holding ``opening`` fen (as openings for
    the conservation check), and a payment code each."""
    base = participant.service.url
    accounts = [open_account(base, opening) for _ in range(count)]
    return {(participant.id, account): opening for account in accounts}, \
        [payment_code(base, account) for account in accounts]


def test_a_killed_acquirer_loses_no_purchase(network):
    """The switch holds its answers to the SUT's terminal; the SUT is killed once the issuer
    has debited the payers, and started again: it finds the purchases it had recorded and
    settles them (query, or the switch's result notice), so the merchant gets what the payers
    paid, once."""
    sut, peer = network.sut.service.url, network.peers[0]
    payers, codes = payers_at(peer, 3, 2000)
    TapClient(network.switch.service.url, 10).program_fault(
        "answer-late", network.sut.id, "cpm.purchase.request", times=3, delay_s=5)
    with ThreadPoolExecutor(3) as pool:
        charges = [pool.submit(answer_of, sut, "terminal/charge", {"code": code, "amount": 1500})
                   for code in codes]
        assert eventually(lambda: all(balance(peer.service.url, account) == 500
                                      for _peer, account in payers), 10)
        network.sut.service.restart(network.group.cwd)
        assert [charge.result() for charge in charges] == [None] * 3
    settled_and_conserved(network, payers)


def test_a_killed_issuer_loses_no_purchase(network):
    """Six purchases of the SUT's payers at once at a peer's terminal; the SUT is killed among
    them and started again. Whatever it had answered, every purchase ends approved on both
    sides or undone (declined, or reversed and the payer credited back)."""
    payers, codes = payers_at(network.sut, 6, 1000)
    peer = network.peers[0].service.url
    with ThreadPoolExecutor(6) as pool:
        charges = [pool.submit(answer_of, peer, "terminal/charge", {"code": code, "amount": 700})
                   for code in codes]
        time.sleep(0.15)
        network.sut.service.restart(network.group.cwd)
        answers = [charge.result() for charge in charges]
    assert all(answer is not None and answer.status_code == 200 for answer in answers)
    settled_and_conserved(network, payers, within_s=20)


def killed_while_the_switch_holds(network, msg_type: str, call) -> None:
    """Have the switch hold its answer to the SUT's next ``msg_type``, make ``call`` (to the
    SUT), and kill and restart the SUT while it waits for that answer."""
    TapClient(network.switch.service.url, 10).program_fault(
        "answer-late", network.sut.id, msg_type, delay_s=5)
    with ThreadPoolExecutor(1) as pool:
        pending = pool.submit(call)
        time.sleep(1.0)
        network.sut.service.restart(network.group.cwd)
        assert pending.result() is None


def test_a_killed_acquirer_sends_its_refund_again(network):
    """Killed while its refund is on its way, the SUT's terminal sends the same refund again
    on start and books the answer: the payer got the money back, the merchant gave it."""
    sut = network.sut.service.url
    payers, codes = payers_at(network.peers[0], 1, 3000)
    voucher = post(sut, "terminal/charge", {"code": codes[0], "amount": 3000}).json()["voucherNum"]
    killed_while_the_switch_holds(network, "cpm.refund.request", lambda: answer_of(
        sut, "terminal/refund", {"voucherNum": voucher, "amount": 1000,
                                 "refundId": "CRASHREFUND1"}))
    settled_and_conserved(network, payers)
    refund = requests.get(f"{sut}/control/transactions/CRASHREFUND1", timeout=10).json()
    assert refund["status"] == "approved"


def test_a_killed_wallet_queries_its_payment(network):
    """Killed while its MPM payment is on its way, the SUT's wallet queries it on start and
    takes the money it had set aside: the merchant was paid, the payer pays."""
    sut, peer = network.sut.service.url, network.peers[0].service.url
    account = open_account(sut, 2000)
    code = post(peer, "merchant-codes", {"name": "CRASH SHOP"}).json()["code"]
    killed_while_the_switch_holds(network, "mpm.payment.request", lambda: answer_of(
        sut, "wallet/pay", {"account": account, "code": code, "amount": 1200}))
    settled_and_conserved(network, {(network.sut.id, account): 2000})
    assert balance(sut, account) == 800


def test_a_killed_wallet_tells_the_payers_decision_again(network):
    """Killed while telling the switch that the payer confirmed a purchase above the pin-free
    limit, the SUT's wallet tells it again on start (the switch acknowledges the same
    decision again) and debits the payer the money it had set aside."""
    sut, peer = network.sut.service.url, network.peers[0].service.url
    account = post(sut, "accounts", {"balance": 200000, "riskTier": "B"}).json()["account"]
    waiting = post(peer, "terminal/charge", {"code": payment_code(sut, account),
                                             "amount": 150000}).json()
    assert waiting["respCode"] == "70"
    killed_while_the_switch_holds(
        network, "cpm.additional_processing_result.request", lambda: answer_of(
            sut, "wallet/password", {"account": account, "decision": "confirm"}))
    settled_and_conserved(network, {(network.sut.id, account): 200000})
    assert balance(sut, account) == 50000
