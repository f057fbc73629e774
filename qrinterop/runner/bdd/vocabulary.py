"""The words scenarios are written in: money as people write it, and expectations that
report what was expected and what was observed.

Importing this module registers the ``{amount:Money}`` step parameter type with behave.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from decimal import Decimal
from typing import Any, TypeVar

from behave import register_type
from behave.runner import Context
from parse import with_pattern

from qrinterop.checks.correlation import Exchange, exchanges, of_type
from qrinterop.checks.outcome import FAIL, WARNING, Violation
from qrinterop.checks.record import Record
from qrinterop.codes import terminal
from qrinterop.errors import AnswerLacks
from qrinterop.judging.verdicts import CheckFailed
from qrinterop.runner.scenarios.clients import Answer

T = TypeVar("T")


@with_pattern(r"\d+(?:\.\d{1,2})? CNY")
def parse_money(text: str) -> int:
    """``12.50 CNY`` → 1250 fen: scenarios speak yuan, messages carry integer fen."""
    return int(Decimal(text.removesuffix(" CNY")) * 100)


@with_pattern(r"SUT|peer|[a-z]+-[a-z]")
def parse_party(text: str) -> str:
    """Which institution a step speaks of: the SUT, the simulated peer, or another peer by
    its persona's name (mocks/network.json), e.g. wallet-w (``session.client`` has each)."""
    return text.lower()


register_type(Money=parse_money, Party=parse_party)


def observed(context: Context) -> list[Record]:
    """What the point of observation saw this scenario (the switch; around an SUT switch,
    its simulated peers), as typed records for the checks."""
    return context.session.switch_records()


def exchanged(context: Context, msg_type: str, sender: str | None = None,
              receiver: str | None = None, **about: object) -> list[Exchange]:
    """The observed requests of ``msg_type`` (from ``sender`` to ``receiver``, about what the
    body fields ``about`` name), each with its answer (``checks/correlation.py``)."""
    return of_type(exchanges(observed(context)), msg_type, sender, receiver, **about)


def answered(copies: int) -> Callable[[list[Exchange]], bool]:
    """For ``awaited``: done once ``copies`` of the requests have their answer."""
    return lambda found: sum(e.answer is not None for e in found) >= copies


def verify(context: Context, violations: list[Violation]) -> None:
    """Hold the scenario to what a check found (``qrinterop/checks/``): a violation fails it
    here (``CheckFailed``, reported under the requirement ``judging.verdicts.attributed``
    picks), a warning is kept for its verdict and the scenario goes on. A violation about an
    earlier scenario's transaction names that scenario."""
    violations = context.session.naming_scenarios(violations)
    context.session.warnings.extend(v for v in violations if v.severity == WARNING)
    if failed := [v for v in violations if v.severity == FAIL]:
        raise CheckFailed(failed)


def awaited(fetch: Callable[[], T], done: Callable[[T], bool], within_s: float) -> T:
    """What ``fetch`` returns once ``done`` holds of it, or after ``within_s`` seconds,
    whichever comes first: a scenario waits for what an SUT does in the background (a query,
    an acknowledgement, a resend) only as long as the profile lets it take."""
    deadline = time.monotonic() + within_s
    value = fetch()
    while not done(value) and time.monotonic() < deadline:
        time.sleep(0.1)
        value = fetch()
    return value


def delivered(context: Context, msg_type: str, body: dict, **options: Any) -> dict | None:
    """``body`` delivered to the SUT by the injector, as the switch (``options``: how it is
    spoilt, ``Injector.deliver``'s); the answer is the scenario's, and returned."""
    context.answer = context.session.injector.deliver(context.session.network.sut.id,
                                                      msg_type, body, **options)
    return context.answer


def from_peer_terminal(context: Context, purchase: dict) -> dict:
    """A purchase the harness sends as the peer acquirer, from the peer's registered
    terminal with its termInfo where the profile asks for one (R-CPM-09); as built under a
    profile without the rule."""
    peer = context.session.network.peers[0]
    return terminal.with_term_info(context.session.profile, purchase,
                                   peer.description.get("terminal", {}))


def voucher_of(context: Context, outcome: dict | None, what: str) -> Any:
    """The voucher number of ``outcome``, an earlier step's payment or purchase, for a step
    that refunds, voids or reads it. One that was refused (None) or not approved has none:
    :class:`AnswerLacks`, the SUT's doing (the scenario fails under its requirements, or is
    inconclusive while setting up), never a harness error from sending a null voucher on.
    A simulator's approval without one is the harness's fault."""
    value = outcome.get("voucherNum") if outcome is not None else None
    if value is not None:
        return value
    refusal = getattr(context, "refusal", None)
    by_sut = not isinstance(outcome, Answer) or outcome.by_sut or outcome.not_approved
    raise AnswerLacks("voucherNum", f"{what}{f', refused ({refusal})' if refusal else ''}",
                      dict(outcome or {}), by_sut)
