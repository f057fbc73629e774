"""Fifty copies of one money-moving request, sent to the switch at once with fresh message IDs,
move money once (issue 13, item 5): the switch claims the transaction before it forwards
anything, so exactly one copy reaches the issuer and every copy gets that copy's answer."""

from __future__ import annotations

import secrets
import tempfile
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
import requests

from qrinterop.checks.conservation import conservation_findings
from qrinterop.codes import terminal
from qrinterop.protocol.envelope import Party, beijing_now, seal
from qrinterop.protocol.fields import encrypt_field
from qrinterop.protocol.transport import encode
from qrinterop.runner.certify import CertifyOptions, load_inputs, running_network
from qrinterop.runner.scenarios.clients import TapClient
from qrinterop.runner.scenarios.conservation import gather_books, network_clients, today
from tests.conftest import paying_account

pytestmark = pytest.mark.e2e

COPIES = 50


@pytest.fixture(scope="module")
def network():
    """The switch, the SUT (acquirer here) and one peer (the payer's issuer)."""
    suite, _profile, ics, _path = load_inputs(CertifyOptions())
    with tempfile.TemporaryDirectory() as folder, \
            running_network(suite, ics, Path(folder), 0, personas=("peer",)) as running:
        yield running


@pytest.fixture(scope="module")
def profile():
    """The profile the network follows (the default ICS's)."""
    return load_inputs(CertifyOptions())[1]


def at_once(network, msg_type: str, body: dict, copies: int = COPIES) -> list[dict]:
    """The bodies of the switch's answers to ``copies`` copies of one request from the SUT,
    each sealed afresh (its own message ID and nonce) and all sent together."""
    sut = network.sut
    party = Party(sut.id, sut.key, sut.key_id)
    messages = [encode(seal(party, msg_type, network.switch.id, body)) for _ in range(copies)]

    def post(data: bytes) -> dict:
        return requests.post(network.switch.message_url, data=data, timeout=30).json()["body"]
    with ThreadPoolExecutor(copies) as pool:
        return list(pool.map(post, messages))


def forwarded(network, msg_type: str, since: int) -> int:
    """How many requests of ``msg_type`` the switch sent on to the peer since ``since``."""
    return sum(1 for r in TapClient(network.switch.service.url, 10).records_after(since)
               if r["direction"] == "out" and r["msg_type"] == msg_type
               and r["peer"] == network.peers[0].id)


def order(prefix: str) -> dict:
    return {"orderNo": f"{prefix}{secrets.token_hex(6)}",
            "orderTime": f"{beijing_now():%Y%m%d%H%M%S}"}


def issuer_findings(network, account: str) -> list:
    """The library's conservation findings on the issuer's books and the payer's account
    (10000 fen at opening) against the switch's clearing; this test played the acquirer."""
    switch, clients = network_clients(network)
    issuer = network.peers[0].id
    books = gather_books(switch, clients, [today(switch, issuer)], {(issuer, account): 10000},
                         judged={issuer})
    return conservation_findings(books)


def one_answer(answers: list[dict]) -> dict:
    """The answer every copy got, once the per-copy envelope fields are set aside."""
    distinct = {tuple(sorted((k, str(v)) for k, v in a.items())) for a in answers}
    assert len(distinct) == 1, distinct
    return answers[0]


def purchased(network, profile, copies: int) -> tuple[str, dict, int, list[dict]]:
    """``copies`` copies of one purchase of 5.00 CNY from a new payer holding 100.00 CNY:
    the payer's account, the purchase, the switch's cursor before it and the answers."""
    account, code = paying_account(network.peers[0].control_url, 10000)
    cursor = TapClient(network.switch.service.url, 10).cursor()
    body = {"code": code, "amount": 500, "currency": "156", "termId": "TA000001",
            "merchant": {"id": f"{network.sut.id[:7]}00000000", "name": "SHOP", "mcc": "5411",
                         "city": "BEIJING"}, **order("P")}
    # From the SUT's registered terminal, with its termInfo (R-CPM-09, 1.1).
    body = terminal.with_term_info(profile, body,
                                   network.sut.description.get("terminal", {}))
    return account, body, cursor, at_once(network, "cpm.purchase.request", body, copies)


def balance(network, account: str) -> int:
    return requests.get(f"{network.peers[0].control_url}/control/accounts/{account}",
                        timeout=10).json()["balance"]


@pytest.fixture(scope="module")
def purchase(network, profile):
    """Fifty copies of one purchase of 5.00 CNY from a payer holding 100.00 CNY."""
    return purchased(network, profile, COPIES)


def test_one_purchase_reaches_the_issuer_and_every_copy_gets_its_answer(network, purchase):
    account, _body, cursor, answers = purchase
    assert forwarded(network, "cpm.purchase.request", cursor) == 1
    answer = one_answer(answers)
    assert answer["respCode"] == "00" and answer["voucherNum"]
    assert balance(network, account) == 10000 - 500
    assert issuer_findings(network, account) == []


def test_one_refund_reaches_the_issuer_and_every_copy_gets_its_answer(network, purchase):
    account, body, _cursor, answers = purchase
    cursor = TapClient(network.switch.service.url, 10).cursor()
    refund = {"origVoucherNum": answers[0]["voucherNum"], "amount": 200, "currency": "156",
              "merId": body["merchant"]["id"], "termId": body["termId"], **order("R")}
    answer = one_answer(at_once(network, "cpm.refund.request", refund))
    assert forwarded(network, "cpm.refund.request", cursor) == 1
    assert answer["respCode"] == "00" and answer["voucherNum"]
    assert balance(network, account) == 10000 - 500 + 200
    assert issuer_findings(network, account) == []


@pytest.mark.parametrize("kind", ["void", "reversal"])
def test_one_void_or_reversal_reaches_the_issuer_and_every_copy_gets_its_answer(network, profile,
                                                                               kind):
    """Either undoes a purchase of its own in full: the payer gets the money back once."""
    account, body, _cursor, (answer,) = purchased(network, profile, 1)
    assert answer["respCode"] == "00"
    undo = {"amount": body["amount"], "currency": "156", "merId": body["merchant"]["id"],
            "termId": body["termId"]}
    undo.update({"origVoucherNum": answer["voucherNum"], **order("V")} if kind == "void" else
                {"origOrderNo": body["orderNo"], "origOrderTime": body["orderTime"]})
    cursor = TapClient(network.switch.service.url, 10).cursor()
    undone = one_answer(at_once(network, f"cpm.{kind}.request", undo))
    assert forwarded(network, f"cpm.{kind}.request", cursor) == 1
    assert undone["respCode"] == "00"
    assert balance(network, account) == 10000
    assert issuer_findings(network, account) == []


def test_one_mpm_payment_reaches_the_acquirer_and_every_copy_gets_its_answer(network):
    """The test plays the payer's wallet (the SUT's ID): after one inquiry about a static
    merchant code of the peer's, fifty copies of one payment; the merchant is paid once."""
    peer, switch = network.peers[0], network.switch
    code = requests.post(f"{peer.control_url}/control/merchant-codes", json={"name": "SHOP"},
                         timeout=10).json()["code"]
    (inquiry,) = at_once(network, "mpm.inquiry.request", {"code": code}, 1)
    assert inquiry["respCode"] == "00"
    payer = encrypt_field({"accountRef": "ACC-CONCURRENT"}, switch.key.public, switch.key_id)
    payment = {"txnNo": inquiry["txnNo"], "amount": 1200, "currency": "156", "payer": payer,
               "riskInfo": {"deviceId": "WALLET-CONCURRENT", "deviceType": "1"},
               "payerAccountType": "debit", **order("M")}
    cursor = TapClient(switch.service.url, 10).cursor()
    answer = one_answer(at_once(network, "mpm.payment.request", payment))
    assert forwarded(network, "mpm.payment.request", cursor) == 1
    assert answer["respCode"] == "00" and answer["voucherNum"]
    switch_tap, clients = network_clients(network)
    books = gather_books(switch_tap, clients, [today(switch_tap, peer.id)], judged={peer.id})
    assert conservation_findings(books) == []
