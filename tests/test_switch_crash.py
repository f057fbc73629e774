"""The switch killed (SIGKILL) with purchases in flight between acquirer and issuer, and started
again on its SQLite state (issue 13, crash tests): no purchase is lost or counted twice, every
purchase whose outcome was unknown is settled, clearing counts each approved one once, and
money is conserved across the network."""

from __future__ import annotations

import os
import signal
import sqlite3
import tempfile
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import closing, contextmanager, nullcontext
from pathlib import Path

import pytest
import requests

from qrinterop.runner.certify import CertifyOptions, load_inputs, running_network
from qrinterop.runner.scenarios.clients import TapClient
from qrinterop.runner.scenarios.conservation import assert_conserved
from tests.conftest import eventually, paying_account
from tests.test_switch_concurrency import at_once, order

pytestmark = pytest.mark.e2e

AMOUNT = 300
BEFORE, IN_FLIGHT = 2, 4        # purchases made before the crash, and in flight during it


@pytest.fixture
def network():
    """The switch, the SUT (the acquirer here) and one peer (the payers' issuer), with the
    folder their SQLite states are in."""
    suite, _profile, ics, _path = load_inputs(CertifyOptions())
    with tempfile.TemporaryDirectory() as folder, \
            running_network(suite, ics, Path(folder), 0, personas=("peer",)) as running:
        yield running, Path(folder) / "state"


# -- conservation and clearing --------------------------------------------------------------------
def state(folder: Path, participant: str) -> sqlite3.Connection:
    return sqlite3.connect(f"file:{folder / participant}.sqlite?mode=ro", uri=True)


def money_held(folder: Path, institutions: list[str]) -> dict[str, int]:
    """What the payers and merchants of each institution hold, in fen."""
    held = {}
    for institution in institutions:
        with closing(state(folder, institution)) as db:
            held[institution] = db.execute(
                "SELECT (SELECT COALESCE(SUM(balance), 0) FROM accounts)"
                " + (SELECT COALESCE(SUM(balance), 0) FROM merchants)").fetchone()[0]
    return held


def cleared_payments(folder: Path, switch: str) -> dict[str, int]:
    """The payments the switch cleared, by voucher, less those whose reversal it cleared."""
    with closing(state(folder, switch)) as db:
        return dict(db.execute(
            "SELECT voucher_num, amount FROM cleared WHERE msg_type IN ('cpm.purchase',"
            " 'mpm.payment') AND voucher_num NOT IN (SELECT json_extract(record,"
            " '$.origVoucherNum') FROM cleared WHERE msg_type = 'cpm.reversal')").fetchall())


def net_positions(network, folder: Path, institutions: list[str]) -> dict[str, int]:
    """Each institution's net position over the switch's reconciliation files."""
    with closing(state(folder, network.switch.id)) as db:
        days = [day for (day,) in db.execute("SELECT DISTINCT settle_date FROM cleared")]
    tap = TapClient(network.switch.service.url, 10)
    return {institution: sum(tap.reconciliation(institution, day)["header"]["netAmount"]
                             for day in days) for institution in institutions}


def assert_money_conserved(network, folder: Path, held_before: dict[str, int],
                           openings: dict[tuple[str, str], int], charged: list[dict]) -> None:
    """Money is conserved across the network (the library's check, on the payer accounts
    opened and the SUT's purchases), and what the clearing moves to or from each institution
    is what its payers and merchants gained in all."""
    assert_conserved(network, openings, refs={network.sut.id: [t["ref"] for t in charged]})
    held = money_held(folder, list(held_before))
    assert net_positions(network, folder, list(held_before)) == \
        {i: held[i] - held_before[i] for i in held_before}


# -- the crash ---------------------------------------------------------------------------------
def charge(network, code: str) -> dict:
    return requests.post(f"{network.sut.service.url}/control/terminal/charge", timeout=30,
                         json={"code": code, "amount": AMOUNT}).json()


def payment_code(issuer, account: str) -> str:
    """A new payment code for ``account``: one is valid for 6 s at the reference's scale."""
    return requests.post(f"{issuer.control_url}/control/payment-codes", timeout=10,
                         json={"account": account}).json()["code"]


def transaction(network, ref: str) -> dict:
    return requests.get(f"{network.sut.service.url}/control/transactions/{ref}",
                        timeout=10).json()


@contextmanager
def stopped(process) -> Iterator[None]:
    """The process frozen (SIGSTOP) until the block ends: what is sent to it waits."""
    os.kill(process.pid, signal.SIGSTOP)
    try:
        yield
    finally:
        os.kill(process.pid, signal.SIGCONT)


def hops(tap: TapClient, since: int, direction: str, msg_type: str) -> int:
    """How many messages of ``msg_type`` the switch received (``in``) or sent (``out``)."""
    return sum(1 for r in tap.records_after(since)
               if r["direction"] == direction and r["msg_type"] == msg_type)


def settled(network, charged: list[dict]) -> list[dict]:
    """The SUT's purchases as its books show them once none is unknown any more."""
    def known() -> list[dict] | None:
        txns = [transaction(network, txn["ref"]) for txn in charged]
        return None if any(t["status"] == "unknown" for t in txns) else txns
    txns = eventually(known, 30)
    assert txns, "a purchase is still unknown"
    return txns


def crash_while_charging(network, codes: list[str], under_way, frozen=None) -> list[dict]:
    """The SUT's terminal charges every code at once; once ``under_way()`` holds the switch
    is killed and started again (``frozen``, a process, is stopped meanwhile). The
    terminal's transactions as its charges answered."""
    with stopped(frozen) if frozen else nullcontext(), \
            ThreadPoolExecutor(len(codes)) as pool:
        charging = [pool.submit(charge, network, code) for code in codes]
        assert eventually(under_way, 10)
        network.switch.service.restart(network.group.cwd)
    return [future.result() for future in charging]


def test_purchases_in_flight_when_the_switch_dies_are_settled_once(network):
    """The issuer takes the purchases in only once the switch that sent them is dead: it
    approves them, nobody hears of it, and the acquirer's queries then reversal undo them."""
    network, folder = network
    switch, issuer = network.switch, network.peers[0]
    accounts = [paying_account(issuer.control_url, 10000)[0] for _ in range(BEFORE + IN_FLIGHT)]
    held_before = money_held(folder, [network.sut.id, issuer.id])
    approved = [charge(network, payment_code(issuer, account)) for account in accounts[:BEFORE]]
    assert [txn["status"] for txn in approved] == ["approved"] * BEFORE
    tap = TapClient(switch.service.url, 10)
    cursor = tap.cursor()
    in_flight = crash_while_charging(
        network, [payment_code(issuer, account) for account in accounts[BEFORE:]],
        lambda: hops(tap, cursor, "out", "cpm.purchase.request") == IN_FLIGHT,
        frozen=issuer.service.process)
    assert {txn["status"] for txn in in_flight} == {"unknown"}
    txns = settled(network, approved + in_flight)
    assert [t["status"] for t in txns] == ["approved"] * BEFORE + ["reversed"] * IN_FLIGHT
    assert sorted(cleared_payments(folder, switch.id)) == \
        sorted(t["voucherNum"] for t in txns[:BEFORE])
    # The issuer did approve what the dead switch had sent it: those approvals were reversed.
    with closing(state(folder, issuer.id)) as db:
        assert db.execute("SELECT COUNT(*) FROM transactions WHERE kind = 'reversal' AND"
                          " account IS NOT NULL").fetchone()[0] == IN_FLIGHT
    assert_money_conserved(network, folder, held_before,
                           {(issuer.id, account): 10000 for account in accounts},
                           approved + in_flight)


def test_purchases_approved_but_unanswered_when_the_switch_dies_are_settled_once(network):
    """The issuer approved the purchases and the switch cleared them, but it was holding its
    answers (fault answer-late) when it was killed: the acquirer's queries find them
    approved on the restarted switch, and nothing is cleared twice."""
    network, folder = network
    switch, issuer = network.switch, network.peers[0]
    accounts = [paying_account(issuer.control_url, 10000)[0] for _ in range(IN_FLIGHT)]
    held_before = money_held(folder, [network.sut.id, issuer.id])
    tap = TapClient(switch.service.url, 10)
    cursor = tap.cursor()
    tap.program_fault("answer-late", network.sut.id, "cpm.purchase.request", times=IN_FLIGHT,
                      delay_s=20)
    charged = crash_while_charging(
        network, [payment_code(issuer, account) for account in accounts],
        lambda: hops(tap, cursor, "out", "cpm.purchase.response") == IN_FLIGHT)
    # The result notice, sent as the switch cleared each purchase, may settle one before the
    # crash does: the terminal applies it to the purchase it is still waiting on.
    assert {txn["status"] for txn in charged} <= {"unknown", "approved"}
    txns = settled(network, charged)
    assert [t["status"] for t in txns] == ["approved"] * IN_FLIGHT
    assert sorted(cleared_payments(folder, switch.id)) == sorted(t["voucherNum"] for t in txns)
    assert_money_conserved(network, folder, held_before,
                           {(issuer.id, account): 10000 for account in accounts}, charged)


def under_way_at_crash(network, msg_type: str, body: dict) -> TapClient:
    """Send one request as the SUT; kill the switch once it has forwarded it to the frozen
    issuer, and start it again. The switch's tap, its cursor past the restart."""
    switch, issuer = network.switch, network.peers[0]
    tap = TapClient(switch.service.url, 10)
    cursor = tap.cursor()
    with stopped(issuer.service.process), ThreadPoolExecutor(1) as pool:
        first = pool.submit(at_once, network, msg_type, body, 1)
        assert eventually(lambda: hops(tap, cursor, "out", msg_type) == 1, 10)
        switch.service.restart(network.group.cwd)
        assert first.exception() is not None        # the connection died with the switch
    return tap


def test_a_refund_under_way_when_the_switch_dies_is_not_relayed_again(network):
    """The switch claimed the refund on disk before it forwarded it: the same refund again
    after the restart learns that its outcome is unknown and goes nowhere (the issuer, which
    did refund, would refuse a second one as a duplicate, a false final answer)."""
    network, _folder = network
    purchase = charge(network, paying_account(network.peers[0].control_url, 10000)[1])
    assert purchase["status"] == "approved"
    refund = {"origVoucherNum": purchase["voucherNum"], "amount": 100, "currency": "156",
              "merId": purchase["merchantId"], "termId": "TA000001", **order("R")}
    tap = under_way_at_crash(network, "cpm.refund.request", refund)
    cursor = tap.cursor()
    assert [a["respCode"] for a in at_once(network, "cpm.refund.request", refund, 1)] == ["03"]
    assert hops(tap, cursor, "out", "cpm.refund.request") == 0


def test_a_reversal_under_way_when_the_switch_dies_is_relayed_again(network):
    """A reversal must get through, and the issuer answers the same one alike: after the
    restart it is relayed again and approved."""
    network, _folder = network
    purchase = charge(network, paying_account(network.peers[0].control_url, 10000)[1])
    txn = transaction(network, purchase["ref"])
    reversal = {"origOrderNo": txn["orderNo"], "origOrderTime": txn["orderTime"],
                "amount": AMOUNT, "currency": "156", "merId": txn["merchantId"],
                "termId": "TA000001"}
    tap = under_way_at_crash(network, "cpm.reversal.request", reversal)
    cursor = tap.cursor()
    assert [a["respCode"] for a in at_once(network, "cpm.reversal.request", reversal, 1)] == \
        ["00"]
    assert hops(tap, cursor, "out", "cpm.reversal.request") == 1
