"""A purchase delivered twice never moves money twice: not at the issuer (same voucher
number), not at the switch (same orderNo and orderTime from the acquirer)."""

from __future__ import annotations

import tempfile
from pathlib import Path

import pytest
import requests

from qrinterop.codes import terminal
from qrinterop.protocol.builders import purchase_from_switch
from qrinterop.protocol.envelope import Party, seal, sign
from qrinterop.protocol.transport import encode
from qrinterop.runner.certify import CertifyOptions, load_inputs, running_network
from qrinterop.runner.scenarios.clients import Channel, Injector
from tests.conftest import paying_account
from tests.test_message_set import EXAMPLES

pytestmark = pytest.mark.e2e


def from_terminal(profile, acquirer, purchase: dict) -> dict:
    """``purchase`` from ``acquirer``'s registered terminal, with its termInfo (R-CPM-09)."""
    return terminal.with_term_info(profile, purchase, acquirer.description.get("terminal", {}))


def test_duplicate_purchase_is_refused_and_debits_once():
    suite, profile, ics, _path = load_inputs(CertifyOptions())
    with tempfile.TemporaryDirectory() as folder, \
            running_network(suite, ics, Path(folder), 0) as network:
        sut = network.sut.service.url
        account, code = paying_account(sut)
        injector = Injector(Party(network.switch.id, network.switch.key),
                            {network.sut.id: network.sut.message_url}, 10, Channel())
        body = from_terminal(profile, network.peers[0],
                             purchase_from_switch(code, 2500, acquirer=network.peers[0].id))
        first = injector.deliver(network.sut.id, "cpm.purchase.request", body)
        again = injector.deliver(network.sut.id, "cpm.purchase.request", body)
        # A reversal of another purchase under the same voucher number (found by fuzzing).
        clash = injector.deliver(network.sut.id, "cpm.reversal.request", {
            **EXAMPLES["cpm.reversal"]["request.from-switch"], "voucherNum": body["voucherNum"]})
        balance = requests.get(f"{sut}/control/accounts/{account}", timeout=10).json()["balance"]
    assert first["body"]["respCode"] == "00"
    assert again["body"]["respCode"] == clash["body"]["respCode"] == "12"
    assert balance == 7500


def test_the_switch_answers_a_repeated_purchase_with_the_first_outcome():
    """An acquirer that resends a purchase (same orderNo and orderTime, a new message) gets
    the first answer from the switch, and the payer pays once; another purchase under the
    same order is refused (R-FLOW-06)."""
    suite, profile, ics, _path = load_inputs(CertifyOptions())
    with tempfile.TemporaryDirectory() as folder, \
            running_network(suite, ics, Path(folder), 0) as network:
        sut, peer, switch = network.sut.service.url, network.peers[0], network.switch
        account, code = paying_account(sut)
        body = {key: value for key, value in from_terminal(
                    profile, peer, purchase_from_switch(code, 2500, peer.id)).items()
                if key not in ("acquirer", "voucherNum", "settleDate")}

        def purchase(changes: dict) -> dict:
            message = seal(Party(peer.id, peer.key, peer.key_id), "cpm.purchase.request",
                           switch.id, {**body, **changes})
            return requests.post(switch.message_url, data=encode(message),
                                 timeout=10).json()["body"]

        first, again, other = purchase({}), purchase({}), purchase({"amount": 100})
        balance = requests.get(f"{sut}/control/accounts/{account}", timeout=10).json()["balance"]
    assert first["respCode"] == "00" and again == first
    assert other["respCode"] == "12"
    assert balance == 7500


def test_the_switch_answers_a_repeated_refund_with_the_first_answer():
    """A refund the acquirer resends (same orderNo and orderTime, or the same message ID)
    gets the first answer again, goes nowhere and is cleared once; another refund under that
    order, or another request under that message ID, is refused with 12 (catalogue
    idempotency_key, R-FLOW-06)."""
    suite, _profile, ics, _path = load_inputs(CertifyOptions())
    with tempfile.TemporaryDirectory() as folder, \
            running_network(suite, ics, Path(folder), 0) as network:
        sut, peer, switch = network.sut.service.url, network.peers[0], network.switch
        account, code = paying_account(sut)
        charged = requests.post(f"{peer.service.url}/control/terminal/charge", timeout=10,
                                json={"code": code, "amount": 2500}).json()
        refund = {"orderNo": "R0000000000001", "orderTime": charged["orderTime"],
                  "origVoucherNum": charged["voucherNum"], "amount": 500, "currency": "156",
                  "merId": charged["merchantId"]}

        sent: list[str] = []

        def send(body: dict, msg_id: str | None = None) -> dict:
            message = seal(Party(peer.id, peer.key, peer.key_id), "cpm.refund.request",
                           switch.id, body)
            if msg_id:      # resent under an earlier message ID, signed again
                message["header"]["msgId"] = msg_id
                message["signature"] = sign(peer.key, message["header"], body, peer.key_id)
            sent.append(message["header"]["msgId"])
            return requests.post(switch.message_url, data=encode(message),
                                 timeout=10).json()

        first = send(refund)
        again, other = send(refund), send({**refund, "amount": 400})
        same_id = send(refund, sent[0])
        reused_id = send({**refund, "orderNo": "R0000000000002"}, sent[0])
        balance = requests.get(f"{sut}/control/accounts/{account}", timeout=10).json()["balance"]
        cleared = [record for record in requests.get(
            f"{switch.service.url}/sim/reconciliation/{peer.id}", timeout=10).json()["records"]
            if record["msgType"] == "cpm.refund"]
    assert first["body"]["respCode"] == "00"
    assert again["body"] == first["body"] == same_id["body"]
    assert other["body"]["respCode"] == reused_id["body"]["respCode"] == "12"
    assert balance == 10000 - 2500 + 500
    assert len(cleared) == 1
