"""report.json with a capacity section: a capacity run alone (``qrinterop capacity``: no
scenarios, the run's verdict is the capacity's) or beside a certification's scenarios
(``certify --capacity``: ``document.build_report(..., capacity=)`` merges it). Either
way the document is written as any report is (:func:`qrinterop.report.document.write_report`:
report.json, report.html with its charts, junit.xml with a ``capacity`` testsuite).
"""

from __future__ import annotations

from qrinterop.judging.verdicts import SCENARIO_VERDICTS
from qrinterop.profile import Profile
from qrinterop.report.document import SCHEMA_ID, cited_sources

#: The run's verdict that a capacity verdict alone gives.
RUN_VERDICT = {"pass": "conformant", "fail": "not-conformant", "inconclusive": "inconclusive"}
VERDICT_ZH = {"pass": "通过", "fail": "未通过", "inconclusive": "无法判定"}


def capacity_requirements(profile: Profile, capacity: dict) -> list[dict]:
    """The requirements the capacity run judged, as the report lists requirements (those of
    :func:`qrinterop.report.document.requirement_entries`), in the profile's order; no
    scenario bears on them, the load does."""
    judged = capacity["requirements"]
    return [{"id": req["id"], "level": req["level"], "roles": req["roles"],
             "title": req["title"], "source": req["source"],
             "cited": cited_sources(profile, req), "scenarios": [],
             "verdict": judged[req["id"]]["verdict"]}
            for req in profile.requirements.values() if req["id"] in judged]


def _reason_zh(capacity: dict) -> str:
    """The capacity's reason for the Chinese page: its own if judging gave one, else its
    verdict in Chinese before the English sentence."""
    return capacity.get("reason_zh") or \
        f"容量测试{VERDICT_ZH[capacity['verdict']]}：{capacity['reason']}"


def capacity_report(run: dict, profile: Profile, capacity: dict) -> dict:
    """The report of a capacity run alone: no scenarios, the judged section's requirements,
    its verdict as the run's (a pass is conformant to what the run tested: capacity)."""
    return {
        "schema": SCHEMA_ID, "run": run,
        "verdict": RUN_VERDICT[capacity["verdict"]],
        "verdict_reason": capacity["reason"], "verdict_reason_zh": _reason_zh(capacity),
        "summary": {verdict: 0 for verdict in SCENARIO_VERDICTS},
        "requirements": capacity_requirements(profile, capacity),
        "scenarios": [], "waivers": [], "capacity": capacity,
    }
