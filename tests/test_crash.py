"""An institution killed (SIGKILL) with purchases in flight and started again on its state
loses none and counts none twice (issue 13, item 4): what it was sending it recorded first,
and on start it settles every unknown outcome by query or reversal; money is conserved across
the network."""

from __future__ import annotations

import json
import sqlite3
import time
from concurrent.futures import ThreadPoolExecutor
from contextlib import closing

import pytest
import requests

from qrinterop.runner.clients import TapClient
from tests.money import (
    assert_conserved,
    eventually,
    merchants_takings,
    open_account,
    payment_code,
    post,
    reference_network,
)

pytestmark = pytest.mark.e2e
network = pytest.fixture(scope="module", name="network")(reference_network)


def answer_of(base: str, path: str, body: dict) -> requests.Response | None:
    """The answer, or None when the institution dies before it answers."""
    try:
        return post(base, path, body)
    except requests.ConnectionError:
        return None


def unknown_at(participant) -> list[tuple]:
    """The transactions whose outcome ``participant`` (a reference institution) does not know:
    read from its state, since one in flight is under no clearing day yet."""
    state = json.loads(participant.service.config_file.read_text(encoding="utf-8"))["state_file"]
    with closing(sqlite3.connect(f"file:{state}?mode=ro", uri=True)) as db:
        return db.execute("SELECT ref, role, kind FROM transactions"
                          " WHERE status = 'unknown'").fetchall()


def payers_at(base: str, count: int, opening: int) -> tuple[dict, list[str]]:
    """``count`` payer accounts at ``base`` holding ``opening`` fen, and a payment code each."""
    accounts = [open_account(base, opening) for _ in range(count)]
    return {(base, account): opening for account in accounts}, \
        [payment_code(base, account) for account in accounts]


def test_a_killed_acquirer_loses_no_purchase(network):
    """The switch holds its answers to the SUT's terminal; the SUT is killed once the issuer
    has debited the payers, and started again: it finds the purchases it had recorded and
    settles them (query, or the switch's result notice), so the merchant gets what the payers
    paid, once."""
    sut, peer = network.sut.service.url, network.peers[0].service.url
    before = merchants_takings(network)
    payers, codes = payers_at(peer, 3, 2000)
    TapClient(network.switch.service.url, 10).program_fault(
        "answer-late", network.sut.id, "cpm.purchase.request", times=3, delay_s=5)
    with ThreadPoolExecutor(3) as pool:
        charges = [pool.submit(answer_of, sut, "terminal/charge", {"code": code, "amount": 1500})
                   for code in codes]
        assert eventually(lambda: all(requests.get(f"{base}/control/accounts/{account}",
                                                   timeout=10).json()["balance"] == 500
                                      for base, account in payers), 10)
        network.sut.service.restart(network.group.cwd)
        assert [charge.result() for charge in charges] == [None] * 3
    assert eventually(lambda: not unknown_at(network.sut) and
                      merchants_takings(network) - before == 4500, 15)
    assert_conserved(network, payers, before)


def test_a_killed_issuer_loses_no_purchase(network):
    """Six purchases of the SUT's payers at once at a peer's terminal; the SUT is killed among
    them and started again. Whatever it had answered, every purchase ends approved on both
    sides or undone (declined, or reversed and the payer credited back)."""
    sut, peer = network.sut.service.url, network.peers[0].service.url
    before = merchants_takings(network)
    payers, codes = payers_at(sut, 6, 1000)
    with ThreadPoolExecutor(6) as pool:
        charges = [pool.submit(answer_of, peer, "terminal/charge", {"code": code, "amount": 700})
                   for code in codes]
        time.sleep(0.15)
        network.sut.service.restart(network.group.cwd)
        answers = [charge.result() for charge in charges]
    assert all(answer is not None and answer.status_code == 200 for answer in answers)
    assert eventually(lambda: not unknown_at(network.sut)
                      and not unknown_at(network.peers[0]), 20)
    assert_conserved(network, payers, before)


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
    sut, peer = network.sut.service.url, network.peers[0].service.url
    before = merchants_takings(network)
    payers, codes = payers_at(peer, 1, 3000)
    voucher = post(sut, "terminal/charge", {"code": codes[0], "amount": 3000}).json()["voucherNum"]
    killed_while_the_switch_holds(network, "cpm.refund.request", lambda: answer_of(
        sut, "terminal/refund", {"voucherNum": voucher, "amount": 1000,
                                 "refundId": "CRASHREFUND1"}))
    assert eventually(lambda: not unknown_at(network.sut), 10)
    refund = requests.get(f"{sut}/control/transactions/CRASHREFUND1", timeout=10).json()
    assert refund["status"] == "approved"
    assert_conserved(network, payers, before)


def test_a_killed_wallet_queries_its_payment(network):
    """Killed while its MPM payment is on its way, the SUT's wallet queries it on start and
    takes the money it had set aside: the merchant was paid, the payer pays."""
    sut, peer = network.sut.service.url, network.peers[0].service.url
    before = merchants_takings(network)
    account = open_account(sut, 2000)
    code = post(peer, "merchant-codes", {"name": "CRASH SHOP"}).json()["code"]
    killed_while_the_switch_holds(network, "mpm.payment.request", lambda: answer_of(
        sut, "wallet/pay", {"account": account, "code": code, "amount": 1200}))
    assert eventually(lambda: not unknown_at(network.sut), 10)
    assert_conserved(network, {(sut, account): 2000}, before)
    assert requests.get(f"{sut}/control/accounts/{account}", timeout=10).json()["balance"] == 800
