"""A purchase delivered twice with the same voucher number never moves money twice."""

from __future__ import annotations

import tempfile
from pathlib import Path

import pytest
import requests

from qrinterop.protocol.builders import purchase_from_switch
from qrinterop.protocol.envelope import Party
from qrinterop.runner.certify import CertifyOptions, load_inputs, running_network
from qrinterop.runner.clients import Channel, Injector

pytestmark = pytest.mark.e2e


def test_duplicate_purchase_is_refused_and_debits_once():
    suite, _profile, ics, _path = load_inputs(CertifyOptions())
    with tempfile.TemporaryDirectory() as folder, \
            running_network(suite, ics, Path(folder), 0) as network:
        sut = network.sut.service.url
        account = requests.post(f"{sut}/control/accounts", json={"balance": 10000},
                                timeout=10).json()["account"]
        code = requests.post(f"{sut}/control/payment-codes", json={"account": account},
                             timeout=10).json()["code"]
        injector = Injector(Party(network.switch.id, network.switch.key),
                            {network.sut.id: sut}, 10, Channel())
        body = purchase_from_switch(code, 2500, acquirer=network.peers[0].id)
        first = injector.deliver(network.sut.id, "cpm.purchase.request", body)
        again = injector.deliver(network.sut.id, "cpm.purchase.request", body)
        balance = requests.get(f"{sut}/control/accounts/{account}", timeout=10).json()["balance"]
    assert first["body"]["respCode"] == "00"
    assert again["body"]["respCode"] == "12"
    assert balance == 7500
