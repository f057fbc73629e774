"""Helpers of the money tests (tests/test_concurrency.py, tests/test_crash.py): a network
around the reference institution, its control calls, and the conservation check."""

from __future__ import annotations

import tempfile
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import requests

from mocks.switch import Switch
from qrinterop.runner.certify import CertifyOptions, load_inputs, running_network


def reference_network() -> Iterator:
    """The simulated network around the reference institution, for a module of tests."""
    suite, _profile, ics, _path = load_inputs(CertifyOptions())
    with tempfile.TemporaryDirectory() as folder, \
            running_network(suite, ics, Path(folder), 0) as running:
        yield running


def eventually(probe, seconds: float) -> bool:
    deadline = time.monotonic() + seconds
    while not probe():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.1)
    return True


def in_parallel(count: int, call: Callable[[int], requests.Response]) -> list[requests.Response]:
    with ThreadPoolExecutor(count) as pool:
        return list(pool.map(call, range(count)))


def post(base: str, path: str, body: dict) -> requests.Response:
    return requests.post(f"{base}/control/{path}", json=body, timeout=30)


def open_account(base: str, balance: int) -> str:
    return post(base, "accounts", {"balance": balance}).json()["account"]


def balance(base: str, account: str) -> int:
    return requests.get(f"{base}/control/accounts/{account}", timeout=10).json()["balance"]


def payment_code(base: str, account: str) -> str:
    return post(base, "payment-codes", {"account": account}).json()["code"]


def institutions(network) -> list[str]:
    return [network.sut.service.url, *(peer.service.url for peer in network.peers)]


def transactions(base: str) -> list[dict]:
    return requests.get(f"{base}/control/transactions", timeout=10,
                        params={"settleDate": Switch.settle_date()}).json()["transactions"]


def merchants_takings(network) -> int:
    """What the network's merchants hold from payments, net of refunds and voids, as their
    acquirers booked it."""
    sign = {"payment": 1, "refund": -1, "void": -1}
    return sum(sign.get(txn["kind"], 0) * txn["amount"] for base in institutions(network)
               for txn in transactions(base)
               if txn["role"] == "acquirer" and txn["status"] == "approved")


def standing_vouchers(network, role: str) -> set[str]:
    """Vouchers of the payments a side booked as approved and not reversed."""
    booked = [txn for base in institutions(network) for txn in transactions(base)]
    reversed_ = {txn["origVoucherNum"] for txn in booked
                 if txn["kind"] == "reversal" and txn["role"] == "issuer"}
    return {txn["voucherNum"] for txn in booked if txn["role"] == role
            and txn["kind"] == "payment" and txn["status"] == "approved"
            and txn["voucherNum"] not in reversed_}


def assert_conserved(network, payers: dict[tuple[str, str], int], takings_before: int) -> None:
    """What the payers lost (from their opening ``payers`` balances) the merchants gained, and
    every approved payment is booked by both its issuer and its acquirer. (One helper, to be
    replaced by the harness's own conservation check.)"""
    lost = sum(opening - balance(base, account) for (base, account), opening in payers.items())
    assert merchants_takings(network) - takings_before == lost
    assert standing_vouchers(network, "issuer") == standing_vouchers(network, "acquirer")


def no_server_errors(answers: list[requests.Response]) -> None:
    assert [a.status_code for a in answers if a.status_code >= 500] == []
