"""Passive checks: every message seen at the switch, checked against the profile whatever
the scenario was about — the ISO 9646 idea that observation at a point of control and
observation contributes to the verdict on its own."""

from __future__ import annotations

from qrinterop.checks.consistency import (
    CODES_REQUIREMENT,
    FIELDS_REQUIREMENT,
    Pair,
    changed_fields_found,
    unknown_codes_found,
)
from qrinterop.checks.pacing import PACING_REQUIREMENT, Schedule, paced_found
from qrinterop.checks.record import Record
from qrinterop.checks.terminal import MERCHANT_REQUIREMENT, unknown_mccs_found
from qrinterop.checks.timing import QUERY_FIRST_SCHEDULE
from qrinterop.profile import Profile
from qrinterop.protocol.bindings import qrc, signature_ok, wire_of
from qrinterop.protocol.bindings.qrc_diagnose import diagnose_decoded
from qrinterop.protocol.diagnose import Problem, diagnose
from qrinterop.protocol.keyring import KeyRing
from qrinterop.protocol.validation import schema_problems

#: Requirements every scenario checks passively: on every message it caused (its schema and
#: response codes, its signature, status queries on the schedule, the amounts of one payment
#: agreeing), and (money
#: conservation, runner/scenarios/conservation.py) on the SUT's books of the money it moved.
PASSIVE_REQUIREMENTS = ("R-MSG-01", "R-SEC-01", "R-FLOW-04", "R-FLOW-12", "R-FLOW-14")


def passive_findings(profile: Profile, records: list[Record], keys: KeyRing,
                     timing_scale: float | None = None,
                     query_first: frozenset[str] = frozenset()) -> list[dict]:
    """Findings for every observed message that breaks its schema, is not signed by its
    sender, carries a response code the profile lacks or changes its payment's amount,
    currency or merchant (``checks/consistency.py``), names an MCC outside the profile's
    national list (``checks/terminal.py``, where the profile has one), or, given the run's
    ``timing_scale``, queries a payment off the profile's schedule (``checks/pacing.py``; the
    CPM purchases of an acquirer in ``query_first``, which declares query-before-reversal,
    off WeChat's schedule). Messages the harness corrupted on purpose (``deliberate``) are
    not judged."""
    findings, schedule = [], profile.schedules["status_query"]
    for record in records:
        if record.leg is None or record.content is None or record.deliberate:  # not a message
            continue
        where = f"{record.sender} → {record.receiver}"
        for problem in schema_problems(profile, record.content, record.leg):
            findings.append(_finding("R-MSG-01", record, f"{where}: {problem}"))
        if not signature_ok(record.content, keys):
            problems = _signature_problems(profile, record, keys)
            why = problems[0].message if problems else "signature does not verify"
            findings.append(_finding("R-SEC-01", record, f"{where}: {why}"))
    return findings + _of(CODES_REQUIREMENT, unknown_codes_found(profile, records)) + \
        _of(FIELDS_REQUIREMENT, changed_fields_found(records)) + \
        _of(MERCHANT_REQUIREMENT, unknown_mccs_found(profile, records)) + \
        _of(PACING_REQUIREMENT, [] if timing_scale is None else paced_found(
            records, [delay * timing_scale for delay in schedule["delays_s"]],
            schedule["max_attempts"], _declared(profile, query_first, timing_scale)))


def _signature_problems(profile: Profile, record: Record, keys: KeyRing) -> list[Problem]:
    """Why a message's signature fails, in the terms of the binding it travelled in (a QRC
    form's: an unsorted signing string, a wrong certId…)."""
    wire = wire_of(record.content)
    if wire is not None and wire.get("binding") == qrc.NAME:
        return diagnose_decoded(qrc.QrcBinding(profile), record.content, keys, str(record.leg))
    return diagnose(record.content, keys)


def _declared(profile: Profile, query_first: frozenset[str],
              timing_scale: float) -> dict[str, Schedule]:
    """The query-first schedule, as the test environment runs it, of each acquirer declaring
    it (none under a profile without it: 1.0)."""
    own = profile.schedules.get(QUERY_FIRST_SCHEDULE)
    return {} if own is None else {
        sender: ([delay * timing_scale for delay in own["delays_s"]], own["max_attempts"])
        for sender in query_first}


def _of(requirement: str, pairs: list[Pair]) -> list[dict]:
    """A cross-message check's violations as findings on the records that brought them."""
    return [_finding(requirement, record, violation.message) for record, violation in pairs]


def _finding(requirement: str, record: Record, message: str) -> dict:
    """A finding as report.json has it (``passive.findings``)."""
    return {"requirement": requirement, "record": record.n, "sender": record.sender,
            "message": message}
