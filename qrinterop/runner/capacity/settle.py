"""After the load: wait until every outcome the run left unknown is known, then judge money
over the whole network and the SUT's books against the switch's reconciliation file.

A transaction answered "unknown" (a lost or late answer) is final once its requester has
queried or reversed it; until then conservation would judge money in flight. The wait is
bounded by the profile's ``limits.settle_s``: what is still unknown then is listed, and the
books are judged as they stand.
"""

from __future__ import annotations

import time
from collections import defaultdict
from dataclasses import dataclass, field

import requests

from qrinterop.checks.reconcile import disagreements
from qrinterop.errors import ContractBroken, ControlRefused, SutUnreachable
from qrinterop.runner.processes.network import Network
from qrinterop.runner.scenarios.clients import ControlClient, TapClient
from qrinterop.runner.scenarios.conservation import network_clients, network_findings, today

#: What reading a book may raise when an institution does not answer as it should.
UNREADABLE = (SutUnreachable, ControlRefused, ContractBroken, requests.RequestException,
              ValueError, KeyError, TypeError)


@dataclass
class Settlement:
    unsettled: list[str] = field(default_factory=list)
    conservation: list[str] = field(default_factory=list)
    reconciliation: list[str] = field(default_factory=list)


def still_unknown(clients: dict[str, ControlClient], pending: set[tuple[str, str]],
                  sut: str, dates: list[str]) -> set[tuple[str, str]]:
    """Of ``pending`` ((institution, ref) answered unknown), those still unknown where they
    were asked, with every transaction the SUT's books of ``dates`` show unknown."""
    left = set()
    for inst, ref in pending:
        try:
            if clients[inst].transaction(ref).get("status") == "unknown":
                left.add((inst, ref))
        except UNREADABLE:
            left.add((inst, ref))
    for date in dates:
        try:
            left |= {(sut, t["ref"]) for t in clients[sut].transactions(date)
                     if t.get("status") == "unknown"}
        except UNREADABLE:
            left.add((sut, f"transactions of {date} unreadable"))
    return left


def settle(network: Network, pending: list[list[str]], seen_dates: list[str],
           settle_s: float, openings: dict[tuple[str, str], int]) -> Settlement:
    """Wait (up to ``settle_s``) for every outcome, then check conservation (over the
    accounts of ``openings``: (institution, account) → opening balance) and the SUT's
    reconciliation; each finding one line."""
    tap, clients = network_clients(network)
    deadline = time.monotonic() + settle_s
    dates = _dates(tap, network.sut.id, seen_dates)
    left = {(inst, ref) for inst, ref in pending}
    while (left := still_unknown(clients, left, network.sut.id, dates)) and \
            time.monotonic() < deadline:
        time.sleep(0.5)
    refs: dict[str, list[str]] = defaultdict(list)
    for inst, ref in pending:
        refs[inst].append(ref)
    return Settlement(sorted(f"{inst} {ref}" for inst, ref in left),
                      _conservation(network, openings, dates,
                                    max(1.0, deadline - time.monotonic()), refs),
                      _reconciliation(tap, clients[network.sut.id], network.sut.id, dates))


def _dates(tap: TapClient | None, sut: str, seen: list[str]) -> list[str]:
    """The clearing days to judge: those the answers named, and the switch's current one."""
    return sorted({*seen, *([today(tap, sut)] if tap else [])})


def _conservation(network: Network, openings: dict[tuple[str, str], int], dates: list[str],
                  settle_s: float, refs: dict[str, list[str]]) -> list[str]:
    """Money over the whole network, read again until it agrees or ``settle_s`` passed."""
    try:
        findings = network_findings(network, openings, dates, settle_s, refs)
    except UNREADABLE as exc:
        return [f"the books could not be read: {type(exc).__name__}: {exc}"[:300]]
    return [f"{f.requirement} [{f.party or 'network'}] {f.message}" for f in findings]


def _reconciliation(tap: TapClient | None, sut: ControlClient, sut_id: str,
                    dates: list[str]) -> list[str]:
    """The SUT's books of each day beside the switch's file for it (none around an SUT
    switch, which has no simulated switch's file)."""
    if tap is None:
        return []
    try:
        return [problem for date in dates for problem in disagreements(
            tap.reconciliation(sut_id, date), sut.transactions(date))]
    except UNREADABLE as exc:
        return [f"the SUT's books or the switch's file could not be read: "
                f"{type(exc).__name__}"]
