"""Write junit.xml so that CI systems (GitLab, Jenkins, GitHub annotations) show the run.

JUnit knows only pass, failure, error and skipped, so the harness's five scenario verdicts
are folded into those: inconclusive becomes an <error type="inconclusive"> (the run could
not decide, which a pipeline must not treat as green), not_applicable becomes <skipped>.
A capacity run's requirements (report.json ``capacity``) are a testsuite ``capacity`` of
their own, one testcase each, so that a pipeline shows which of rate, latency, errors or
money failed, with the judging's reason.
"""

from __future__ import annotations

import pathlib
import re
import xml.etree.ElementTree as ET
from collections.abc import Iterable
from typing import Any

# Characters XML 1.0 forbids; messages quote bytes from the system under test and may carry them.
_XML_ILLEGAL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")

# Count attribute incremented by each verdict; "pass" increments none.
_COUNTED_AS = {
    "fail": "failures",
    "error": "errors",
    "inconclusive": "errors",
    "not_applicable": "skipped",
    "waived": "skipped",
}


def _clean(text: object) -> str:
    """Return *text* as a string that ElementTree can serialise into well-formed XML."""
    return _XML_ILLEGAL.sub("\ufffd", str(text))


def _seconds(value: float | None) -> str:
    return f"{value or 0:.3f}"


def _failure_text(scenario: dict[str, Any]) -> str:
    """Body of <failure>/<error>: what a CI reader needs to find and rerun the problem."""
    failure = scenario.get("failure") or {}
    lines = [
        f"step: {failure.get('step') or '-'}",
        f"message: {failure.get('message') or scenario.get('reason') or '-'}",
        f"requirement: {failure.get('requirement') or '-'}",
        f"transcript: {scenario.get('transcript') or '-'}",
        f"rerun: {scenario['rerun']}",
    ]
    return "\n".join(lines)


def _outcome(scenario: dict[str, Any]) -> ET.Element | None:
    """The child element that carries the scenario's verdict, or None for pass."""
    verdict = scenario["verdict"]
    failure = scenario.get("failure") or {}
    message = _clean(failure.get("message") or scenario.get("reason") or verdict)
    if verdict == "fail":
        element = ET.Element("failure", message=message, type="fail")
    elif verdict == "error":
        element = ET.Element("error", message=message, type="error")
    elif verdict == "inconclusive":
        element = ET.Element("error", message=message, type="inconclusive")
    elif verdict in ("not_applicable", "waived"):
        return ET.Element("skipped", message=_clean(scenario.get("reason") or verdict))
    else:
        return None
    element.text = _clean(_failure_text(scenario))
    return element


def _testcase(scenario: dict[str, Any]) -> ET.Element:
    case = ET.Element(
        "testcase",
        classname=_clean(scenario["feature"]),
        name=_clean(f"{scenario['id']} {scenario['name']}"),
        time=_seconds(scenario["duration_s"]),
    )
    outcome = _outcome(scenario)
    if outcome is not None:
        case.append(outcome)
    return case


def _counts(scenarios: Iterable[dict[str, Any]]) -> dict[str, Any]:
    """The tests/failures/errors/skipped/time attributes shared by suites and the root."""
    totals = {"tests": 0, "failures": 0, "errors": 0, "skipped": 0}
    time = 0.0
    for scenario in scenarios:
        totals["tests"] += 1
        counted = _COUNTED_AS.get(scenario["verdict"])
        if counted:
            totals[counted] += 1
        time += scenario["duration_s"] or 0
    return {**{key: str(value) for key, value in totals.items()}, "time": _seconds(time)}


def _by_feature(scenarios: list[dict[str, Any]]) -> dict[str, list[dict[str, Any]]]:
    """Group scenarios per feature file, keeping the order in which features first ran."""
    groups: dict[str, list[dict[str, Any]]] = {}
    for scenario in scenarios:
        groups.setdefault(scenario["feature"], []).append(scenario)
    return groups


def _capacity_cases(report: dict[str, Any]) -> list[dict[str, Any]]:
    """The capacity section's requirements as scenario-like entries, so that they are counted
    and written as the scenarios are: the reason is the message, the run's command reruns it.
    Each requirement is judged over the whole run, so none carries a time of its own."""
    titles = {r["id"]: r["title"]["en"] for r in report["requirements"]}
    return [{"feature": "capacity", "id": rid, "name": titles.get(rid, "capacity"),
             "verdict": judged["verdict"], "reason": judged["reason"], "duration_s": None,
             "failure": {"message": judged["reason"], "requirement": rid},
             "rerun": report["run"]["command"]}
            for rid, judged in sorted(report.get("capacity", {}).get("requirements", {}).items())]


def build_junit(report: dict[str, Any]) -> ET.Element:
    """Return the <testsuites> element for *report*; separate from writing for testing."""
    scenarios = report["scenarios"] + _capacity_cases(report)
    root = ET.Element(
        "testsuites", name=_clean(f"qrinterop {report['run']['id']}"), **_counts(scenarios)
    )
    timestamp = report["run"]["started"]
    for feature, members in _by_feature(scenarios).items():
        suite = ET.SubElement(
            root, "testsuite", name=_clean(feature), timestamp=timestamp, **_counts(members)
        )
        suite.extend(_testcase(scenario) for scenario in members)
    return root


def write_junit(report: dict[str, Any], path: pathlib.Path) -> None:
    """Write junit.xml for *report* to *path* (UTF-8, with XML declaration, indented)."""
    tree = ET.ElementTree(build_junit(report))
    ET.indent(tree)
    path.parent.mkdir(parents=True, exist_ok=True)
    tree.write(path, encoding="utf-8", xml_declaration=True)
