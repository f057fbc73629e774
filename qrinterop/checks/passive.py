"""Passive checks: every message seen at the switch, checked against the profile whatever
the scenario was about — the ISO 9646 idea that observation at a point of control and
observation contributes to the verdict on its own."""

from __future__ import annotations

from qrinterop.checks.record import Record
from qrinterop.profile import Profile
from qrinterop.protocol.diagnose import diagnose
from qrinterop.protocol.envelope import signature_ok
from qrinterop.protocol.keyring import KeyRing
from qrinterop.protocol.validation import schema_problems

#: Requirements every scenario checks passively: on every message it caused, and (money
#: conservation, runner/scenarios/conservation.py) on the SUT's books of the money it moved.
PASSIVE_REQUIREMENTS = ("R-MSG-01", "R-SEC-01", "R-FLOW-14")


def passive_findings(profile: Profile, records: list[Record], keys: KeyRing) -> list[dict]:
    """Findings for every observed message that breaks its schema or is not signed by its
    sender. Messages the harness corrupted on purpose (``deliberate``) are not judged."""
    findings = []
    for record in records:
        if record.leg is None or record.content is None or record.deliberate:  # not a message
            continue
        where = f"{record.sender} → {record.receiver}"
        for problem in schema_problems(profile, record.content, record.leg):
            findings.append(_finding("R-MSG-01", record, f"{where}: {problem}"))
        if not signature_ok(record.content, keys):
            problems = diagnose(record.content, keys)
            why = problems[0].message if problems else "signature does not verify"
            findings.append(_finding("R-SEC-01", record, f"{where}: {why}"))
    return findings


def _finding(requirement: str, record: Record, message: str) -> dict:
    """A finding as report.json has it (``passive.findings``)."""
    return {"requirement": requirement, "record": record.n, "sender": record.sender,
            "message": message}
