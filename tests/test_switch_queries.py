"""The switch answers the MPM queries from its own record: mpm.payment_query from the payer's
issuer, mpm.collection_query from the merchant's acquirer; only about their own payments."""

from __future__ import annotations

import tempfile
from pathlib import Path

import pytest
import requests

from qrinterop.protocol.envelope import Party, seal
from qrinterop.protocol.transport import encode
from qrinterop.protocol.validation import schema_problems
from qrinterop.runner.certify import CertifyOptions, load_inputs, running_network

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def paid():
    """The peer's wallet paid 12.00 CNY to a static merchant code of the SUT's acquirer."""
    suite, profile, ics, _path = load_inputs(CertifyOptions())
    with tempfile.TemporaryDirectory() as folder, \
            running_network(suite, ics, Path(folder), 0) as network:
        sut, peer = network.sut.service.url, network.peers[0].service.url
        code = requests.post(f"{sut}/control/merchant-codes", json={"name": "SHOP"},
                             timeout=10).json()["code"]
        account = requests.post(f"{peer}/control/accounts", json={"balance": 10000},
                                timeout=10).json()["account"]
        payment = requests.post(f"{peer}/control/wallet/pay", timeout=10,
                                json={"account": account, "code": code, "amount": 1200}).json()
        assert payment["status"] == "approved", payment
        yield network, profile, payment


def ask(network, profile, sender, msg_type: str, body: dict) -> dict:
    message = seal(Party(sender.id, sender.key, sender.key_id), msg_type, network.switch.id,
                   body)
    answer = requests.post(network.switch.message_url, data=encode(message),
                           timeout=10).json()
    assert schema_problems(profile, answer, "from-switch") == []
    return answer["body"]


def test_the_issuer_learns_its_payment_by_txn_no_or_voucher(paid):
    network, profile, payment = paid
    for by in ({"origTxnNo": payment["txnNo"]}, {"origVoucherNum": payment["voucherNum"]}):
        found = ask(network, profile, network.peers[0], "mpm.payment_query.request", by)
        assert (found["respCode"], found["origRespCode"]) == ("00", "00")
        assert (found["amount"], found["voucherNum"], found["acquirer"]) == \
            (1200, payment["voucherNum"], network.sut.id)


def test_the_acquirer_learns_the_collection_by_voucher(paid):
    network, profile, payment = paid
    found = ask(network, profile, network.sut, "mpm.collection_query.request",
                {"origVoucherNum": payment["voucherNum"]})
    assert (found["origRespCode"], found["issuer"], found["origTxnNo"]) == \
        ("00", network.peers[0].id, payment["txnNo"])


def test_nobody_else_learns_it(paid):
    network, profile, payment = paid
    other = network.peers[1]
    for msg_type in ("mpm.payment_query.request", "mpm.collection_query.request"):
        found = ask(network, profile, other, msg_type, {"origTxnNo": payment["txnNo"]})
        assert found["respCode"] == "35"
