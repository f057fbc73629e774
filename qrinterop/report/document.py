"""Assemble report.json from the run's facts and its scenario results.

Requirement verdicts come from three places: the scenarios tagged with the requirement; for
the requirements checked passively on every message, each scenario's passive findings; and
for the test-control contract's requirement, every scenario that ran (each checks every
answer it gets, and one the SUT broke bears on it). Requirements the capacity run verifies
(``verified_by: capacity``) are judged by a judged capacity section when the run had one
(``merge_capacity``), and are otherwise listed as not judged, never held against the run.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from qrinterop.checks.passive import PASSIVE_REQUIREMENTS
from qrinterop.ics.model import Ics
from qrinterop.judging.verdicts import (
    SCENARIO_VERDICTS,
    ScenarioResult,
    SutStopped,
    bearing_on,
    requirement_verdict,
    run_verdict,
)
from qrinterop.profile import Profile, by_scenarios
from qrinterop.protocol.control_api import ControlApiSpec
from qrinterop.report.html import write_html
from qrinterop.report.junit import write_junit

SCHEMA_ID = "qrinterop-report/1"


@dataclass(frozen=True)
class Claims:
    """What the ICS claims: the roles played and the optional features implemented."""

    roles: frozenset[str]
    features: frozenset[str] = frozenset()
    carried: frozenset[str] | None = None   # what the SUT's wire binding carries; None: all

    @classmethod
    def of(cls, ics: Ics, carried: frozenset[str] | None = None) -> Claims:
        return cls(frozenset(ics.institution.roles), frozenset(ics.institution.features),
                   carried)


def _passive_verdict(result: ScenarioResult, requirement: str, sut_id: str) -> str | None:
    """How one scenario's passive check bears on ``requirement``; None if it checked nothing."""
    findings = [f for f in (result.passive or {}).get("findings", [])
                if f["requirement"] == requirement]
    if any(f["sender"] == sut_id for f in findings):
        return "fail"
    if findings:
        return "error"
    return "pass" if (result.passive or {}).get("messages") else None


def requirement_entries(profile: Profile, results: list[ScenarioResult], claims: Claims,
                        sut_id: str, covered: set[str] | None = None) -> list[dict]:
    """One entry per requirement. ``covered``: the requirements some scenario of the suite
    checks (None: all); the others are ``not_covered``, listed but not judged. A requirement
    the ICS makes not applicable is judged all the same when a scenario bearing on it ran and
    failed: an SUT that voids while its ICS says it cannot (``@absent.void``) breaks the void
    rules it claimed not to need."""
    entries = []
    contract = ControlApiSpec.of(profile).requirement
    for req in profile.requirements.values():
        applicable = profile.applies(req, claims.roles, claims.features, claims.carried)
        everywhere = req["id"] in PASSIVE_REQUIREMENTS or req["id"] == contract
        in_suite = ("verified_by" not in req
                    and (covered is None or req["id"] in covered or everywhere))
        if req["id"] in PASSIVE_REQUIREMENTS:
            # Every scenario checks it passively; one tagged with it (or whose failure is
            # reported under it) bears on it by its verdict too: the worse of the two.
            bearing = {r.id: requirement_verdict(
                [v for v in (_passive_verdict(r, req["id"], sut_id),
                             bearing_on(r, req["id"]) if req["id"] in r.requirements else None)
                 if v is not None]) for r in results}
            bearing = {k: v for k, v in bearing.items() if v != "untested"}
        elif req["id"] == contract:
            bearing = {r.id: r.verdict if contract in r.requirements else "pass"
                       for r in results if r.verdict != "not_applicable"}
        else:
            bearing = {r.id: bearing_on(r, req["id"]) for r in results
                       if req["id"] in r.requirements}
        entries.append({
            "id": req["id"], "level": req["level"], "roles": req["roles"], "title": req["title"],
            "source": req["source"], "cited": cited_sources(profile, req),
            "scenarios": sorted(bearing),
            "verdict": (requirement_verdict(bearing.values()) if in_suite else "not_covered")
            if applicable or "fail" in bearing.values() else "not_applicable",
        })
    return entries


def merge_capacity(requirements: list[dict], section: dict) -> list[dict]:
    """``requirements`` (report entries) with the verdicts of a judged capacity section
    (``judging/capacity.judge``) merged in: a requirement only the capacity run verifies
    takes its verdict; one scenarios verify too (R-FLOW-14) takes the worse of the two."""
    judged = {ident: entry["verdict"] for ident, entry in section["requirements"].items()}
    return [{**entry, "verdict": requirement_verdict(
        v for v in (entry["verdict"], judged[entry["id"]]) if v in SCENARIO_VERDICTS)}
            if entry["id"] in judged else entry for entry in requirements]


def capacity_verdict(verdict: str, reason: str, reason_zh: str,
                     section: dict) -> tuple[str, str, str]:
    """The run's verdict and its reasons once a judged capacity section bears on it: a
    capacity fail makes a conformant or inconclusive run not conformant, a capacity run
    that could not be judged makes a conformant one inconclusive; its reason is added."""
    reason, reason_zh = f"{reason} {section['reason']}", f"{reason_zh}容量测试：{section['reason']}"
    if section["verdict"] == "fail":
        return "not-conformant", reason, reason_zh
    if section["verdict"] == "inconclusive" and verdict == "conformant":
        return "inconclusive", reason, reason_zh
    return verdict, reason, reason_zh


def cited_sources(profile: Profile, requirement: dict) -> list[dict]:
    """The registry entries a requirement's source cites, as a reader needs them beside it:
    title, strength and where to read it (the quote stays in the profile)."""
    keep = ("id", "title", "strength", "kind", "address", "via", "note")
    return [{k: entry[k] for k in keep if k in entry}
            for entry in profile.cited(requirement["source"])]


def build_report(run: dict, profile: Profile, results: list[ScenarioResult], claims: Claims,
                 aborted: str | None = None, covered: set[str] | None = None,
                 waivers: list[dict] | None = None,
                 sut_exits: list[dict] | None = None, capacity: dict | None = None) -> dict:
    """``aborted``: why the run stopped early (the SUT didn't start, the harness failed);
    such a run is inconclusive whatever its scenarios did. ``waivers``: as the report lists
    them (``Waiver.as_dict``), already applied to ``results``. ``sut_exits``: when and how
    the SUT's process ended during the run (``SutStopped.as_dict``, one per network).
    ``capacity``: the judged capacity section of a run with one (certify --capacity),
    which judges the requirements the capacity run verifies and bears on the verdict."""
    requirements = requirement_entries(profile, results, claims, run["sut"]["id"], covered)
    if capacity:
        requirements = merge_capacity(requirements, capacity)
    mandatory = [r for r in requirements if r["level"] == "mandatory"]
    untested = [r["id"] for r in mandatory if r["verdict"] == "untested"]
    verdict, reason, reason_zh = run_verdict(results, untested)
    # Every requirement that applies and no scenario checks: mandatory, or conditional on a
    # feature the ICS declares (declaring url-codes makes R-URL-01 apply, checked or not).
    gaps = [r["id"] for r in requirements if r["verdict"] == "not_covered"]
    manual = [g for g in gaps if "manual" in profile.requirements[g]]
    if manual:
        reason += (f" {len(manual)} requirements are verified outside the harness "
                   f"(docs/CONFORMANCE.md says how): {', '.join(manual)}.")
        reason_zh += f"{len(manual)} 项要求在测试工具之外核验（见 docs/CONFORMANCE.md）：" \
                     f"{', '.join(manual)}。"
    if by_run := [g for g in gaps if "verified_by" in profile.requirements[g]]:
        reason += (f" {len(by_run)} requirements are verified by the capacity run "
                   f"(certify --capacity / qrinterop capacity): {', '.join(by_run)}.")
        reason_zh += f"{len(by_run)} 项要求由容量测试核验（certify --capacity / qrinterop " \
                     f"capacity）：{', '.join(by_run)}。"
    if gaps := [g for g in gaps if by_scenarios(profile.requirements[g])]:
        reason += (f" {len(gaps)} applicable requirements are not covered by this suite "
                   f"version and were not judged: {', '.join(gaps)}.")
        reason_zh += f"本版测试套件未覆盖 {len(gaps)} 项适用要求，未予判定：{', '.join(gaps)}。"
    for stop in sut_exits or []:
        lost = sum(r.reason == SutStopped(**stop).reason for r in results)
        reason += (f" The SUT {stop['how']} during scenario {stop['scenario']} (found at "
                   f"{stop['at']}): {lost} scenarios are inconclusive for that reason.")
        reason_zh += (f"被测系统在场景 {stop['scenario']} 期间终止（{stop['how']}，发现于 "
                      f"{stop['at']}）：{lost} 个场景因此无法判定。")
    if capacity:
        verdict, reason, reason_zh = capacity_verdict(verdict, reason, reason_zh, capacity)
    if aborted:
        verdict, reason, reason_zh = "inconclusive", aborted, f"运行提前终止：{aborted}"
    return {
        "schema": SCHEMA_ID,
        "run": run,
        "verdict": verdict,
        "verdict_reason": reason,
        "verdict_reason_zh": reason_zh,
        "summary": {v: sum(r.verdict == v for r in results) for v in SCENARIO_VERDICTS},
        "requirements": requirements,
        "scenarios": [r.as_dict() for r in results],
        "waivers": waivers or [],
        **({"sut_exits": sut_exits} if sut_exits else {}),
        **({"capacity": capacity} if capacity else {}),
    }


def write_report(report: dict, run_dir: Path) -> None:
    # allow_nan=False: a NaN written bare is not JSON; refused at the inputs, never written.
    text = json.dumps(report, indent=2, ensure_ascii=False, allow_nan=False)
    (run_dir / "report.json").write_text(text + "\n", encoding="utf-8")
    write_html(report, run_dir / "report.html")
    write_junit(report, run_dir / "junit.xml")
