"""Helpers of the money tests (tests/test_concurrency.py, tests/test_crash.py): a network
around the reference institution, its control calls, and the conservation check."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from contextlib import closing

import requests

from qrinterop.runner.scenarios.conservation import assert_conserved
from tests.conftest import eventually


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


def unknown_at(participant) -> list[tuple]:
    """The transactions whose outcome ``participant`` (a reference institution) does not know:
    read from its state, since one in flight is under no clearing day yet."""
    state = json.loads(participant.service.config_file.read_text(encoding="utf-8"))["state_file"]
    with closing(sqlite3.connect(f"file:{state}?mode=ro", uri=True)) as db:
        return db.execute("SELECT ref, role, kind FROM transactions"
                          " WHERE status = 'unknown'").fetchall()


def settled_and_conserved(network, openings: dict[tuple[str, str], int],
                          within_s: float = 10.0) -> None:
    """Once no institution has an outcome left unknown (within ``within_s``), money is
    conserved across the network (the harness's own check): what the payers of ``openings``
    ((institution ID, account) → opening balance) lost, the merchants gained, and every
    approved transaction is booked alike by issuer, switch and acquirer."""
    assert eventually(lambda: not any(unknown_at(p) for p in network.participants
                                      if p is not network.switch), within_s)
    assert_conserved(network, openings)


def no_server_errors(answers: list[requests.Response]) -> None:
    assert [a.status_code for a in answers if a.status_code >= 500] == []
