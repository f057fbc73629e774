"""The simulated switch as several processes on its one socket (issue 18: the simulators must
not be the bottleneck): whichever process a request reaches, money moves once, a repeated
request gets the first answer, a fault programmed through one is taken by all, and a kill -9
of the group resumes from the SQLite state they share, leaving no process behind."""

from __future__ import annotations

import tempfile
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
import requests

from qrinterop.runner.certify import CertifyOptions, load_inputs, running_network
from qrinterop.runner.processes.network import Network
from qrinterop.runner.scenarios.clients import TapClient
from tests import test_switch_crash as crash
from tests.conftest import eventually
from tests.test_switch_concurrency import (
    at_once,
    balance,
    forwarded,
    issuer_findings,
    one_answer,
    order,
    purchased,
)

pytestmark = pytest.mark.e2e

PROCESSES = 2


def started() -> Iterator[tuple[Network, Path]]:
    """The switch as PROCESSES processes, the SUT (the acquirer here) and one peer (the
    payers' issuer), with the folder of their SQLite states."""
    suite, _profile, ics, _path = load_inputs(CertifyOptions())
    with tempfile.TemporaryDirectory() as folder, \
            running_network(suite, ics, Path(folder), 0, personas=("peer",),
                            switch_processes=PROCESSES) as network:
        yield network, Path(folder) / "state"


@pytest.fixture(scope="module")
def network():
    yield from (network for network, _folder in started())


#: A network of its own, since test_switch_crash counts what the switch cleared in all.
fresh = pytest.fixture(started)


@pytest.fixture(scope="module")
def profile():
    return load_inputs(CertifyOptions())[1]


def serving(network) -> set[int]:
    """The switch's processes seen answering (by /health) over parallel connections."""
    def pid(_n: int) -> int:
        return requests.get(network.switch.service.url + "/health", timeout=10).json()["pid"]
    with ThreadPoolExecutor(16) as pool:
        return set(pool.map(pid, range(64)))


def stat(pid: int | str) -> list[str]:
    """A process's /proc stat fields after its name (state, ppid, pgrp, ...); none once it
    has gone (Linux)."""
    try:
        return Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()
    except OSError:
        return []


def alive(pid: int) -> bool:
    return stat(pid)[:1] not in ([], ["Z"])


def group_of(pid: int) -> set[int]:
    """The live processes in ``pid``'s process group."""
    return {int(entry.name) for entry in Path("/proc").glob("[0-9]*")
            if alive(int(entry.name)) and stat(entry.name)[2:3] == [str(pid)]}


def test_every_process_serves_on_the_one_socket(network):
    assert len(serving(network)) == PROCESSES
    assert len(group_of(network.switch.service.process.pid)) == PROCESSES


def test_concurrent_purchases_move_money_once_each(network, profile):
    """Twenty payers' purchases at once, each sent five times: each reaches the issuer once,
    every copy gets its answer, each approved one is cleared once, and money is conserved."""
    cursor = TapClient(network.switch.service.url, 10).cursor()
    with ThreadPoolExecutor(20) as pool:
        made = list(pool.map(lambda _n: purchased(network, profile, 5), range(20)))
    assert forwarded(network, "cpm.purchase.request", cursor) == 20
    answers = [one_answer(answers) for _account, _body, _cursor, answers in made]
    assert [a["respCode"] for a in answers] == ["00"] * 20
    assert len({a["voucherNum"] for a in answers}) == 20
    for account, _body, _cursor, _answers in made:
        assert balance(network, account) == 10000 - 500
        assert issuer_findings(network, account) == []


def test_a_request_repeated_across_processes_is_answered_once(network, profile):
    """Fifty copies of one refund land on every process: one goes on, all get its answer."""
    _account, body, _cursor, (answer,) = purchased(network, profile, 1)
    refund = {"origVoucherNum": answer["voucherNum"], "amount": 100, "currency": "156",
              "merId": body["merchant"]["id"], "termId": body["termId"], **order("R")}
    cursor = TapClient(network.switch.service.url, 10).cursor()
    refunded = one_answer(at_once(network, "cpm.refund.request", refund))
    assert refunded["respCode"] == "00"
    assert forwarded(network, "cpm.refund.request", cursor) == 1


def test_a_fault_programmed_through_one_process_is_taken_by_all(network, profile):
    """Eight refusals programmed: of twenty purchases, whichever process each reaches,
    exactly eight are refused with the fault's code, and none once the plan is cleared."""
    tap = TapClient(network.switch.service.url, 10)
    tap.program_fault("refuse-request", network.sut.id, "cpm.purchase.request", times=8)
    with ThreadPoolExecutor(20) as pool:
        made = list(pool.map(lambda _n: purchased(network, profile, 1), range(20)))
    codes = sorted(answers[0]["respCode"] for *_rest, answers in made)
    assert codes == ["00"] * 12 + ["30"] * 8
    tap.program_fault("refuse-request", network.sut.id, "cpm.purchase.request", times=50)
    tap.clear_faults()
    assert [a["respCode"] for *_rest, (a,) in
            (purchased(network, profile, 1) for _n in range(4))] == ["00"] * 4


def test_the_clock_set_through_one_process_is_every_process_s(network):
    offsets = set()
    requests.put(network.switch.service.url + "/control/clock", json={"offset_s": 3600},
                 timeout=10).raise_for_status()
    try:
        with ThreadPoolExecutor(16) as pool:
            offsets = set(pool.map(lambda _n: requests.get(
                network.switch.service.url + "/control/clock", timeout=10).json()["offset_s"],
                range(32)))
    finally:
        requests.put(network.switch.service.url + "/control/clock", json={"offset_s": 0},
                     timeout=10)
    assert offsets == {3600}


def test_a_kill_of_the_group_resumes_and_leaves_no_process_behind(fresh):
    """Purchases in flight when every process of the switch is killed (SIGKILL, the group)
    are settled once after it starts again, and money is conserved (test_switch_crash's
    scenario); none of the killed processes lives on."""
    network, folder = fresh
    before = group_of(network.switch.service.process.pid)
    crash.test_purchases_in_flight_when_the_switch_dies_are_settled_once((network, folder))
    assert eventually(lambda: not any(map(alive, before)), 5)
    assert len(before) == len(group_of(network.switch.service.process.pid)) == PROCESSES
    assert len(serving(network)) == PROCESSES

