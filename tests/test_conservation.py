"""Money conservation judged on recorded books (R-FLOW-14, R-FLOW-12): books that agree give
no finding; each way of creating or losing money, or of booking a transaction differently
from the switch, gives one that names the party at fault."""

from __future__ import annotations

import copy
import json

import pytest
import requests

from qrinterop.checks.conservation import (
    AGREEMENT,
    CONSERVATION,
    Books,
    Finding,
    conservation_findings,
    window_of,
)
from qrinterop.runner.scenarios.conservation import (
    assert_conserved,
    gather_books,
    masked,
    network_findings,
)
from tests.conftest import paying_account, reference_network, run_cli

ISS, ACQ, DAY = "10000001", "10000002", "1203"
V1, V2, V3 = "20261203104500000001", "20261203104500000002", "20261203104500000003"
ORDER, TIME, TXN = "P20261203104500000001", "20261203104500", "2026120310450000000001"


def cleared(msg_type: str, voucher: str, amount: int, **extra: object) -> dict:
    return {"msgType": msg_type, "voucherNum": voucher, "settleDate": DAY, "settleKey": "K",
            "amount": amount, "currency": "156", "acquirer": ACQ, "issuer": ISS, **extra}


def booked(role: str, ref: str, amount: int, status: str = "approved", kind: str = "payment",
           mode: str = "CPM", **extra: object) -> dict:
    return {"ref": ref, "role": role, "mode": mode, "status": status,
            "respCode": "00" if status == "approved" else "04", "amount": amount,
            "currency": "156", "account": "ACC1" if role == "issuer" else None,
            "merchantId": None if role == "issuer" else "M1",
            "counterparty": ACQ if role == "issuer" else ISS, "kind": kind,
            "settleDate": DAY if status == "approved" else None, **extra}


def purchase_books() -> Books:
    """A CPM purchase of 50.00, refunded 20.00: the payer's account went 100.00 → 70.00."""
    return Books(
        cleared=[cleared("cpm.purchase", V1, 5000, orderNo=ORDER, orderTime=TIME),
                 cleared("cpm.refund", V2, 2000, orderNo="R1", origVoucherNum=V1)],
        ledgers={
            ISS: [booked("issuer", V1, 5000, voucherNum=V1, orderNo=ORDER),
                  booked("issuer", V2, 2000, kind="refund", voucherNum=V2, orderNo="R1",
                         origVoucherNum=V1)],
            ACQ: [booked("acquirer", ORDER, 5000, voucherNum=V1, orderNo=ORDER,
                         orderTime=TIME),
                  booked("acquirer", "R1", 2000, kind="refund", voucherNum=V2, orderNo="R1",
                         origVoucherNum=V1)]},
        balances={(ISS, "ACC1"): (10000, 7000)})


def findings_of(books: Books) -> list[tuple[str, str | None]]:
    return [(f.requirement, f.party) for f in conservation_findings(books)]


def test_books_that_agree_give_no_finding():
    assert conservation_findings(purchase_books()) == []


def test_a_merchant_credited_twice_is_money_created_at_the_acquirer():
    books = purchase_books()
    books.ledgers[ACQ].append(booked("acquirer", V1, 5000, voucherNum=V1, orderNo=ORDER))
    found = conservation_findings(books)
    assert [(f.requirement, f.party) for f in found] == [(CONSERVATION, ACQ)]
    assert "booked 2 times" in found[0].message


def test_a_payment_approved_at_the_switch_but_missing_at_the_issuer():
    """Issue 13's created money: the switch approved two payments, the payer paid one."""
    books = purchase_books()
    books.cleared.append(cleared("cpm.purchase", V3, 5000, orderNo="P2", orderTime=TIME))
    books.ledgers[ACQ].append(booked("acquirer", "P2", 5000, voucherNum=V3, orderNo="P2"))
    found = conservation_findings(books)
    assert [(f.requirement, f.party) for f in found] == [(CONSERVATION, ISS)]
    assert "missing from the books of its issuer" in found[0].message


def test_a_different_amount_or_settlement_date_is_a_disagreement_with_the_switch():
    books = purchase_books()
    books.ledgers[ISS][0]["settleDate"] = "1202"
    assert findings_of(books) == [(AGREEMENT, ISS)]


def test_a_debit_no_transaction_explains_is_money_lost_from_the_payer():
    books = purchase_books()
    books.balances[(ISS, "ACC1")] = (10000, 2000)       # debited ten times, booked once
    found = conservation_findings(books)
    assert [(f.requirement, f.party) for f in found] == [(CONSERVATION, ISS)]
    assert "moved -80.00 CNY" in found[0].message and "explain -30.00 CNY" in found[0].message


def test_a_refund_given_but_not_booked_shows_in_the_balance_and_at_the_switch():
    books = purchase_books()
    del books.ledgers[ISS][1]
    assert findings_of(books) == [(CONSERVATION, ISS), (CONSERVATION, ISS)]


def test_a_transaction_booked_approved_that_the_switch_never_cleared():
    books = purchase_books()
    books.ledgers[ISS].append(booked("issuer", V3, 100, voucherNum=V3, orderNo="P9"))
    books.balances[(ISS, "ACC1")] = (10000, 6900)
    assert findings_of(books) == [(CONSERVATION, ISS)]


def test_a_reversed_purchase_moves_nothing_anywhere():
    """The late approval of R-FLOW-05: the switch never cleared the purchase the issuer
    approved, cleared the reversal, and the acquirer keeps its purchase as reversed."""
    books = Books(
        cleared=[cleared("cpm.reversal", V2, 5000, origOrderNo=ORDER, origVoucherNum=V1)],
        ledgers={
            ISS: [booked("issuer", V1, 5000, voucherNum=V1, orderNo=ORDER),
                  booked("issuer", V2, 5000, kind="reversal", voucherNum=V2, orderNo=ORDER,
                         origVoucherNum=V1)],
            ACQ: [booked("acquirer", ORDER, 5000, status="reversed", orderNo=ORDER),
                  booked("acquirer", V2, 5000, kind="reversal", voucherNum=V2,
                         orderNo=ORDER)]},
        balances={(ISS, "ACC1"): (10000, 10000)})
    assert conservation_findings(books) == []
    books.balances[(ISS, "ACC1")] = (10000, 5000)      # the reversal kept the money
    assert findings_of(books) == [(CONSERVATION, ISS)]


def test_money_in_flight_is_not_judged_until_final():
    books = purchase_books()
    books.ledgers[ACQ] = [booked("acquirer", ORDER, 5000, status="unknown", orderNo=ORDER)]
    books.balances[(ISS, "ACC1")] = (10000, 5000)
    assert conservation_findings(books) == []


def test_mpm_payments_link_by_txn_no_and_the_network_totals_must_balance():
    payment = cleared("mpm.payment", V1, 3000, orderNo="M1", txnNo=TXN)
    books = Books(cleared=[payment], ledgers={
        ISS: [booked("issuer", "M1", 3000, mode="MPM", voucherNum=V1, txnNo=TXN)],
        ACQ: [booked("acquirer", V1, 3000, mode="MPM", voucherNum=V1, txnNo=TXN)]})
    assert conservation_findings(books) == []
    without_switch = copy.deepcopy(books)
    without_switch.cleared = None
    without_switch.ledgers[ACQ][0]["amount"] = 6000
    found = conservation_findings(without_switch)
    assert [(f.requirement, f.party) for f in found] == [(CONSERVATION, None)]
    assert "payers lost 30.00 CNY and merchants gained 60.00 CNY" in found[0].message


def test_only_the_window_is_judged_and_harness_vouchers_are_not_compared():
    books = purchase_books()
    books.ledgers[ACQ].append(booked("acquirer", V3, 100, voucherNum=V3, orderNo="P9"))
    books.balances = {}
    assert findings_of(books) == [(CONSERVATION, ACQ)]
    books.window = {V1}
    assert conservation_findings(books) == []
    books.window, books.not_cleared = None, {V3}
    assert conservation_findings(books) == []


@pytest.mark.parametrize("account, shown", [("6222021234567890123", "622202*********0123"),
                                            ("ACC1", "ACC1")])
def test_findings_leave_with_account_numbers_masked(account, shown):
    """The check names the account as the books do; the reader masks it on the way out."""
    books = purchase_books()
    books.balances = {(ISS, account): (0, -1)}
    found = conservation_findings(books)
    assert account in found[0].message
    assert shown in masked(found, [account])[0].message


def test_a_finding_reads_as_a_passive_finding():
    finding = Finding(CONSERVATION, ISS, "m", V1)
    assert finding.as_passive(7) == {"requirement": CONSERVATION, "record": 7, "sender": ISS,
                                     "message": "m"}



def test_a_scenarios_window_is_what_its_transcript_names():
    """Vouchers and txnNos anywhere in a message, the settlement dates, and each
    institution's transactions as its control API answered them (not the day's lists)."""
    records = [
        {"n": 1, "pco": "upper-tester", "from": ACQ, "content": booked("acquirer", ORDER, 1,
                                                                         status="unknown")},
        {"n": 2, "pco": "switch", "from": ISS, "content": {"header": {}, "body": {
            "voucherNum": V1, "settleDate": DAY, "merchant": {"txnNo": TXN}}}},
        {"n": 3, "pco": "upper-tester", "from": ISS, "content": {"transactions": [
            booked("issuer", V2, 1, voucherNum=V2)]}},
        {"n": 4, "pco": "switch", "from": ISS, "content": None}]
    window = window_of(records)
    assert window.keys == {V1, V2, TXN} and window.settle_dates == {DAY}
    assert window.refs == {ACQ: {ORDER}}
    assert window.first == {V1: 2, TXN: 2, V2: 3}

class FakeInstitution:
    """A test-control API answering from recorded books (``junk``: and garbage besides)."""

    def __init__(self, txns: list[dict], balances: dict[str, object], junk: bool = False):
        self.txns, self.balances, self.junk, self.asked = txns, balances, junk, []

    def transactions(self, settle_date: str) -> list:
        return [*self.txns, *(["x", {"role": "issuer", "status": "approved", "amount": "9"}]
                              if self.junk else [])]

    def transaction(self, ref: str) -> dict:
        self.asked.append(ref)
        return {**booked("acquirer", ref, 100, status="unknown"), "settleDate": None}

    def balance(self, account: str) -> object:
        return self.balances[account]


class FakeSwitch:
    def __init__(self, records: list[dict]):
        self.records = records

    def reconciliation(self, participant: str, settle_date: str | None = None) -> dict:
        return {"records": [r for r in self.records if participant in (r["acquirer"],
                                                                        r["issuer"])]}


def test_gather_reads_only_the_judged_books_and_skips_what_it_cannot_read():
    """Only the judged institution's day is read; another's only by the refs named (a
    transaction still unknown, which then holds the chain back); junk in an answer and a
    balance that is not a number are left out, not tripped over."""
    books = purchase_books()
    issuer = FakeInstitution(books.ledgers[ISS], {"ACC1": 7000, "ACC2": "lots"}, junk=True)
    acquirer = FakeInstitution(books.ledgers[ACQ], {})
    gathered = gather_books(FakeSwitch(books.cleared), {ISS: issuer, ACQ: acquirer}, [DAY],
                            {(ISS, "ACC1"): 10000, (ISS, "ACC2"): 1}, {ACQ: [ORDER]},
                            judged={ISS})
    assert gathered.ledgers[ISS] == books.ledgers[ISS]
    assert [t["status"] for t in gathered.ledgers[ACQ]] == ["unknown"]
    assert gathered.balances == {(ISS, "ACC1"): (10000, 7000)}
    assert len(gathered.cleared) == 2 and conservation_findings(gathered) == []

# -- against a running network -----------------------------------------------------------------
network = pytest.fixture(name="network")(reference_network)


@pytest.mark.e2e
def test_a_running_network_conserves_money_until_a_balance_moves_unexplained(network):
    """What a concurrency or crash test calls: the whole network's books of the day, and the
    payer accounts it opened, after a purchase and a partial refund."""
    peer, sut = network.peers[0], network.sut.service.url
    account, code = paying_account(peer.control_url, 10000)
    purchase = requests.post(f"{sut}/control/terminal/charge", timeout=10,
                             json={"code": code, "amount": 3000}).json()
    requests.post(f"{sut}/control/terminal/refund", timeout=10,
                  json={"voucherNum": purchase["voucherNum"], "amount": 1000})
    opened = {(peer.id, account): 10000}
    assert_conserved(network, opened)
    requests.put(f"{peer.control_url}/control/accounts/{account}", json={"balance": 9000},
                 timeout=10)        # 10.00 CNY vanish from the payer with nothing booked
    found = network_findings(network, opened, settle_s=0)
    assert [(f.requirement, f.party) for f in found] == [(CONSERVATION, peer.id)]


@pytest.mark.e2e
def test_certify_fails_a_scenario_whose_sut_books_a_purchase_twice(tmp_path, defect_ics):
    """The defect notice-credits-merchant-again breaks no step of NTF-01; only the passive
    check after the scenario sees the purchase booked twice."""
    run_dir = tmp_path / "run"
    done = run_cli("certify", "--ics", str(defect_ics("notice-credits-merchant-again")),
                   "--out", str(run_dir), "--tags", "@tc.NTF-01")
    assert done.returncode == 1, done.stdout + done.stderr
    report = json.loads((run_dir / "report.json").read_text(encoding="utf-8"))
    scenario = next(s for s in report["scenarios"] if s["id"] == "NTF-01")
    assert scenario["verdict"] == "fail" and scenario["failure"] is None
    assert [(f["requirement"], f["sender"]) for f in scenario["passive"]["findings"]] == [
        (CONSERVATION, report["run"]["sut"]["id"])]
    assert "booked 2 times" in scenario["passive"]["findings"][0]["message"]
    verdicts = {r["id"]: r["verdict"] for r in report["requirements"]}
    assert verdicts[CONSERVATION] == "fail"
