"""The switch's records (mocks/switch_store.py) on their own: what a restarted switch finds,
without a network. The switch's behaviour over them is tested end to end in test_switch_*.py."""

from __future__ import annotations

import json
import time

import pytest

from mocks.switch_store import SwitchStore

ORDER = {"orderNo": "O1", "orderTime": "20261203120000", "code": "134567890123456789",
         "amount": 1250, "currency": "156"}


@pytest.fixture
def path(tmp_path):
    return str(tmp_path / "switch.db")


def test_a_claim_without_answer_is_found_unanswered_after_a_restart(path):
    store = SwitchStore(path)
    store.claim("A", "cpm.refund.request", '["R1"]', "m1", '{"amount":1}')
    store.claim("A", "cpm.reversal.request", '["V1"]', "m2", '{"x":1}')
    again = SwitchStore(path)
    assert again.earlier("A", "m1", "other", None).answer is None
    assert again.earlier("A", "m9", "cpm.refund.request", '["R1"]').request == '{"amount":1}'
    assert again.earlier("B", "m1", "cpm.refund.request", '["R1"]') is None
    again.release_all(("cpm.reversal.request",))
    assert again.earlier("A", "m2", "cpm.reversal.request", '["V1"]') is None
    assert again.earlier("A", "m1", "cpm.refund.request", '["R1"]') is not None


def test_the_first_final_answer_stays(path):
    store = SwitchStore(path)
    store.claim("A", "t", "k", "m1", "{}")
    store.keep_answer("A", "t", "k", {"respCode": "00", "respMsg": "成功"})
    store.keep_answer("A", "t", "k", {"respCode": "05"})
    store.release("A", "t", "k")                 # a final answer is not a claim to drop
    assert store.earlier("A", "m1", "t", "k").answer == {"respCode": "00", "respMsg": "成功"}
    store.claim("A", "t", "k2", "m2", "{}")
    store.release("A", "t", "k2")
    assert store.earlier("A", "m2", "t", "k2") is None


def test_purchases_are_found_by_order_or_voucher_and_time_out_waiting(path):
    store = SwitchStore(path)
    store.add_purchase("V1", "ACQ", "ISS", ORDER, "70", "1203", "KEY", time.time() - 1)
    assert store.purchase_by_voucher("V1", issuer="ACQ") is None
    assert store.purchase_by_voucher("V1", acquirer="ISS") is None
    found = store.purchase_by_order("O1", "20261203120000", "ACQ")
    assert found["resp_code"] == "69" and found["password_due"] is None     # payer too late
    store.conclude_purchase("V1", "00")
    assert store.purchase_by_voucher("V1", acquirer="ACQ", issuer="ISS")["resp_code"] == "00"


def test_mpm_payments_are_found_from_either_side(path):
    store = SwitchStore(path)
    store.add_mpm_order("T1", "ACQ", "ISS")
    assert store.mpm_order_acquirer("T1", "ISS") == "ACQ"
    assert store.mpm_order_acquirer("T1", "ACQ") is None
    request = {"txnNo": "T1", "orderNo": "O1", "orderTime": "t", "amount": 5, "currency": "156"}
    store.claim("ISS", "mpm.payment.request", json.dumps(["O1", "t"]), "m1", json.dumps(request))
    assert store.mpm_payment("acquirer", "ACQ", "T1", None, "[]").answer is None
    store.keep_answer("ISS", "mpm.payment.request", json.dumps(["O1", "t"]),
                      {"respCode": "00", "voucherNum": "V9"})
    by_voucher = store.mpm_payment("acquirer", "ACQ", None, "V9", "[]")
    by_order = store.mpm_payment("issuer", "ISS", None, None, json.dumps(["O1", "t"]))
    assert by_voucher == by_order and by_order.request == request and by_order.issuer == "ISS"
    assert store.mpm_payment("issuer", "ACQ", "T1", None, "[]") is None


def test_pending_notices_survive_a_restart_until_dropped(path):
    store = SwitchStore(path)
    store.keep_notice("ACQ", "notice.result", {"voucherNum": "V1", "名": "值"}, "TC-1")
    [pending] = SwitchStore(path).pending_notices()
    assert (pending.receiver, pending.msg_type, pending.notice, pending.test_case) == (
        "ACQ", "notice.result", {"voucherNum": "V1", "名": "值"}, "TC-1")
    store.drop_notice("V1")
    assert SwitchStore(path).pending_notices() == []
