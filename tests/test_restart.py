"""A simulator killed and started again loses nothing (issue 5, item 4): its state is in
SQLite, and the background work that state says was under way is taken up again."""

from __future__ import annotations

import pytest
import requests

from qrinterop.runner.scenarios.clients import TapClient
from tests.conftest import eventually, paying_account, reference_network

pytestmark = pytest.mark.e2e


network = pytest.fixture(name="network")(reference_network)


def charge_losing(network, party: str, msg_type: str) -> dict:
    """The SUT's terminal charges a fresh payment code of the peer, the switch having been
    told to lose its next ``msg_type`` to ``party``."""
    TapClient(network.switch.service.url, 10).program_fault("lose-request", party, msg_type)
    _account, code = paying_account(network.peers[0].control_url)
    return requests.post(f"{network.sut.service.url}/control/terminal/charge", timeout=10,
                         json={"code": code, "amount": 500}).json()


def test_a_restarted_terminal_resolves_the_purchase_it_did_not_know(network):
    """The SUT's purchase is lost on its way to the issuer, so the terminal knows no outcome;
    killed before its first query, it queries and then reverses once it is back."""
    sut = network.sut
    charged = charge_losing(network, network.peers[0].id, "cpm.purchase.request")
    assert charged["status"] == "unknown"
    sut.service.restart(network.group.cwd)

    def final() -> dict | None:
        txn = requests.get(f"{sut.service.url}/control/transactions/{charged['ref']}",
                           timeout=10).json()
        return txn if txn["status"] != "unknown" else None
    assert (eventually(final, 30) or {}).get("status") == "reversed"


def test_a_restarted_switch_sends_the_notices_it_had_not_delivered(network):
    """The switch's result notice to the SUT is lost; the switch is killed before it resends
    and, once back, notifies the SUT again."""
    sut, switch = network.sut, network.switch
    charged = charge_losing(network, sut.id, "notice.result.request")
    assert charged["status"] == "approved"
    switch.service.restart(network.group.cwd)

    def acknowledged() -> list | None:
        answers = [r for r in TapClient(switch.service.url, 10).records_after(0)
                   if r["msg_type"] == "notice.result.response" and r["peer"] == sut.id]
        return answers or None
    answers = eventually(acknowledged, 10)
    assert answers and answers[0]["message"]["body"]["respCode"] == "00"
