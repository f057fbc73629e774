"""Reading the books money conservation is judged on, from a running network: the switch's
clearing (its reconciliation files, through its tap) and each institution's transactions
and balances (through its test-control API). The judging itself is pure and lives in
``qrinterop/checks/conservation.py``; this module reads, calls it, and masks the account
numbers its findings name before they leave (into a report, or a test's failure message).

:func:`scenario_findings` is one scenario's passive check on the SUT's books;
:func:`network_findings` and :func:`assert_conserved` judge a whole running network for a test
that holds a :class:`~qrinterop.runner.processes.network.Network`.
"""

from __future__ import annotations

import time
from collections.abc import Iterable, Mapping
from contextlib import suppress
from dataclasses import replace
from typing import TYPE_CHECKING, Any

import requests

from qrinterop.checks.conservation import (
    Books,
    Finding,
    conservation_findings,
    is_fen,
    well_formed,
    window_of,
)
from qrinterop.errors import SutUnreachable
from qrinterop.evidence.masking import mask_known
from qrinterop.runner.scenarios.clients import Channel, ControlClient, ControlRefused, TapClient

if TYPE_CHECKING:
    from qrinterop.runner.processes.network import Network


def gather_books(switch: TapClient | None, institutions: Mapping[str, ControlClient],
                 settle_dates: Iterable[str], openings: Mapping[tuple[str, str], int] = {},
                 refs: Mapping[str, Iterable[str]] = {}, window: set[str] | None = None,
                 not_cleared: Iterable[str] = (), judged: set[str] | None = None) -> Books:
    """Read the books over HTTP: the switch's reconciliation file of each judged institution
    (``judged``; None: all of ``institutions``) for each of ``settle_dates`` (MMDD), its
    transactions of those days and, by reference, those named in ``refs`` (institution →
    refs: a transaction whose outcome is still unknown has no settlement date yet; of an
    institution not judged, only these are read), and the closing balance of each account in
    ``openings`` ((institution, account) → opening balance). ``switch`` None: no switch's
    books (around an SUT switch)."""
    dates = sorted(set(settle_dates))
    judged = set(institutions) if judged is None else judged
    cleared = None if switch is None else [
        record for party in institutions if party in judged for date in dates
        for record in switch.reconciliation(party, date)["records"]]
    ledgers: dict[str, list[dict]] = {}
    for party, client in institutions.items():
        ledgers[party] = [t for date in dates if party in judged
                          for t in client.transactions(date)]
        final = {t.get("ref") for t in ledgers[party] if isinstance(t, dict)
                 and t.get("status") != "unknown"}
        for ref in set(refs.get(party, ())) - final:    # the day's list told the others
            with suppress(ControlRefused):  # not booked at all: nothing to judge
                ledgers[party].append(client.transaction(ref))
        ledgers[party] = [t for t in ledgers[party] if well_formed(t)]
    balances = {(party, account): (opening, closing)
                for (party, account), opening in openings.items()
                if is_fen(closing := institutions[party].balance(account))}
    return Books(cleared, ledgers, balances, window, set(not_cleared), judged)


def masked(findings: list[Finding], accounts: Iterable[str]) -> list[Finding]:
    """``findings`` with every one of ``accounts`` that looks like an account number masked
    in their messages: they leave the harness (report.json, a test's failure message)."""
    accounts = list(accounts)
    return [replace(f, message=mask_known(f.message, accounts)) for f in findings]


def scenario_findings(records: list[dict], switch: TapClient,
                      clients: Mapping[str, ControlClient], sut: str,
                      opened: Mapping[str, int], not_cleared: Iterable[str],
                      grace_s: float) -> list[dict]:
    """The passive findings of one scenario (transcript ``records``) on the SUT's books: the
    transactions its messages and control answers name, and the accounts it ``opened`` at
    the SUT (account → opening balance), against the switch's clearing of them. Books that
    cannot be read are not judged here (the scenario's own steps judge an SUT that does not
    answer).

    Cheap when the books agree: only the SUT's are read. Books that do not agree are read
    again after ``grace_s``, with the peers' records of the scenario's transactions, so
    that money still in flight (a purchase a peer's terminal is still querying, a notice
    being booked) is not held against the SUT."""
    window = window_of(records)
    openings = {(sut, account): balance for account, balance in opened.items()}
    if not (window.keys or openings):
        return []

    def judged(readers: set[str]) -> list[Finding]:
        try:
            books = gather_books(switch, {p: clients[p] for p in readers if p in clients},
                                 window.settle_dates, openings, window.refs, window.keys,
                                 not_cleared, {sut})
        except (SutUnreachable, ControlRefused, requests.RequestException, ValueError,
                KeyError, TypeError):
            return []
        return conservation_findings(books)
    findings = judged({sut})
    if findings:
        time.sleep(grace_s)
        findings = judged({sut, *window.refs})
    last = records[-1]["n"] if records else 0
    return [f.as_passive(window.first.get(f.voucher or "", last))
            for f in masked(findings, opened)]


def network_clients(network: Network, timeout_s: float = 10.0) -> tuple[TapClient | None,
                                                                  dict[str, ControlClient]]:
    """The switch's tap (None if the switch is the SUT) and every institution's control
    client of a running network, recording nothing."""
    channel = Channel()
    clients = {p.id: ControlClient(p.id, p.control_url, timeout_s, channel)
               for p in network.participants if p is not network.switch}
    tap = None if network.sut is network.switch else TapClient(network.switch.control_url,
                                                               timeout_s)
    return tap, clients


def today(switch: TapClient, participant: str) -> str:
    """The switch's current clearing day (MMDD), as its reconciliation file names it."""
    return switch.reconciliation(participant)["header"]["settleDate"]


def network_findings(network: Network, openings: Mapping[tuple[str, str], int] = {},
                     settle_dates: Iterable[str] | None = None, settle_s: float = 10.0,
                     refs: Mapping[str, Iterable[str]] = {}) -> list[Finding]:
    """Conservation over a whole running network (for a test holding one, e.g. after a
    concurrency or crash test): every institution's books of the switch's clearing day(s)
    against the switch's, and each account of ``openings`` ((institution ID, account) →
    its balance when the test set it). Money may still be in flight (a terminal querying,
    a restarted acquirer resuming, a notice on its way): the books are read again until
    they agree or ``settle_s`` seconds have passed, then judged as they stand. ``refs``
    (institution ID → refs) names transactions to read besides the day's lists, e.g. those
    a test saw unknown, which no day lists yet."""
    switch, clients = network_clients(network)
    dates = list(settle_dates or ([today(switch, next(iter(clients)))] if switch else []))
    deadline = time.monotonic() + settle_s
    while True:
        findings = conservation_findings(gather_books(switch, clients, dates, openings, refs))
        if not findings or time.monotonic() >= deadline:
            return masked(findings, (account for _party, account in openings))
        time.sleep(0.2)


def assert_conserved(network: Network, openings: Mapping[tuple[str, str], int] = {},
                     **options: Any) -> None:
    """Fail a test, listing every finding, unless money is conserved across ``network``."""
    findings = network_findings(network, openings, **options)
    assert not findings, "money not conserved:\n" + "\n".join(
        f"{f.requirement} [{f.party or 'network'}] {f.message}" for f in findings)


__all__ = ["assert_conserved", "gather_books", "masked", "network_clients", "network_findings",
           "scenario_findings", "today"]
