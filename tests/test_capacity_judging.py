"""Judging a capacity run (qrinterop/judging/capacity.py): each requirement at the edge of its
limit, the error allowance the smaller of the ICS's and the profile's, money findings under
the requirements capacity.json names, and a run that measured nothing inconclusive."""

from __future__ import annotations

import copy

import pytest

from qrinterop.judging.capacity import judge
from qrinterop.judging.verdicts import ScenarioResult
from qrinterop.profile import load_profile
from qrinterop.report.document import Claims, build_report

PROFILE = load_profile()
CAPACITY = PROFILE.capacity
LIMITS = CAPACITY["limits"]
#: A run at 30 tps that meets every limit (the measured section's shape, runner/capacity).
GOOD = {"target_tps": 30.0, "achieved_tps": 29.7, "duration_s": 60, "workers": 2,
        "requests": 10_000, "errors": 0, "error_rate": 0.0,
        "p50_ms": 41.0, "p95_ms": 88.0, "p99_ms": 140.0,
        "settled": True, "unsettled": [], "conserved": True, "conservation": [],
        "reconciled": True, "reconciliation": []}


def judged(declared: float = 0.0, **measured: object) -> dict:
    return judge({**GOOD, **measured}, CAPACITY, declared)


def verdicts(section: dict) -> dict[str, str]:
    return {ident: entry["verdict"] for ident, entry in section["requirements"].items()}


def test_a_run_within_every_limit_passes_every_requirement_and_keeps_its_numbers():
    section = judged()
    assert set(verdicts(section).values()) == {"pass"} and section["verdict"] == "pass"
    assert set(verdicts(section)) == {"R-CAP-01", "R-CAP-02", "R-CAP-03", "R-CAP-04",
                                      "R-FLOW-14"}
    assert section["limits"] == {**LIMITS, "declared_error_rate": 0.0}
    assert section["achieved_tps"] == GOOD["achieved_tps"]
    assert section["requirements"]["R-CAP-01"]["reason"] == (
        "29.7 tps sustained over the steady stage, target 30 (at least 28.5)")


def test_judging_leaves_the_measured_section_as_it_was():
    section = copy.deepcopy(GOOD)
    judge(section, CAPACITY, 0.0)
    assert section == GOOD


@pytest.mark.parametrize(("achieved", "verdict"), [(28.5, "pass"), (28.49, "fail"), (0, "fail")])
def test_the_steady_rate_must_reach_the_sustained_share_of_the_target(achieved, verdict):
    section = judged(achieved_tps=achieved)
    assert verdicts(section)["R-CAP-01"] == verdict
    assert section["verdict"] == verdict


@pytest.mark.parametrize(("p99", "verdict"), [(2000, "pass"), (2000.1, "fail")])
def test_the_p99_must_be_within_the_limit(p99, verdict):
    section = judged(p99_ms=p99)
    assert verdicts(section)["R-CAP-02"] == verdict
    assert f"limit {LIMITS['p99_ms']:,} ms" in section["requirements"]["R-CAP-02"]["reason"]


@pytest.mark.parametrize(("declared", "errors", "verdict"), [
    (0.0, 0, "pass"), (0.0, 1, "fail"),              # declared none: none allowed
    (0.0005, 5, "pass"), (0.0005, 6, "fail"),        # the ICS's own, stricter, share
    (0.01, 10, "pass"), (0.01, 11, "fail")])         # never beyond the profile's 0.1 %
def test_errors_are_held_to_the_smaller_of_the_declared_and_the_profiles_share(
        declared, errors, verdict):
    section = judged(declared, errors=errors)
    assert verdicts(section)["R-CAP-03"] == verdict
    assert f"{errors} errors in 10000 transactions" in section["requirements"]["R-CAP-03"][
        "reason"]


@pytest.mark.parametrize(("errors", "injected", "verdict"), [
    (12, 12, "pass"), (12, 20, "pass"), (13, 12, "fail")])
def test_errors_the_harness_caused_with_faults_are_not_the_suts(errors, injected, verdict):
    """capacity --faults: a lost or late answer may leave one outcome unknown at the
    terminal; more errors than that are the SUT's own."""
    section = judged(errors=errors, faults_injected=injected)
    assert verdicts(section)["R-CAP-03"] == verdict
    assert f"at most {injected} of them by the answers the harness made late or lost" in \
        section["requirements"]["R-CAP-03"]["reason"]


@pytest.mark.parametrize(("own", "verdict"), [(1900.0, "pass"), (2100.0, "fail")])
def test_latency_with_faults_leaves_out_as_many_slowest_as_faults_were_made(own, verdict):
    section = judged(p99_ms=15_000.0, faults_injected=11, p99_ms_own=own)
    assert verdicts(section)["R-CAP-02"] == verdict
    assert "without the 11 slowest" in section["requirements"]["R-CAP-02"]["reason"]


@pytest.mark.parametrize(("found", "failing"), [
    ({"settled": False, "unsettled": ["ORD1 unknown"]}, {"R-CAP-04"}),
    ({"conserved": False, "conservation": ["payer 1 lost 100 fen", "x"]},
     {"R-CAP-04", "R-FLOW-14"}),
    ({"reconciled": False, "reconciliation": ["V1 booked twice"]}, {"R-CAP-04"})])
def test_money_findings_fail_the_requirements_capacity_json_names_for_them(found, failing):
    section = judged(**found)
    assert {i for i, v in verdicts(section).items() if v == "fail"} == failing
    findings = next(v for k, v in found.items() if isinstance(v, list))
    assert findings[0] in section["requirements"]["R-CAP-04"]["reason"]
    assert section["verdict"] == "fail"


def test_money_not_checked_is_inconclusive_not_a_pass():
    section = judged(reconciled=None)
    assert verdicts(section)["R-CAP-04"] == "inconclusive"
    assert verdicts(section)["R-FLOW-14"] == "pass"
    assert section["verdict"] == "inconclusive"


@pytest.mark.parametrize("measured", [{"requests": 0}, {"aborted": "the SUT exited (status 1)"}])
def test_a_run_that_measured_nothing_is_inconclusive_for_every_requirement(measured):
    section = judged(**measured)
    assert set(verdicts(section).values()) == {"inconclusive"}
    assert section["verdict"] == "inconclusive"
    assert section["reason"].startswith("Capacity could not be judged")


def test_the_reason_names_the_failed_requirements_with_their_numbers():
    section = judged(p99_ms=5400.0, errors=40)
    assert section["reason"].startswith("Capacity at 30 tps: R-CAP-02 and R-CAP-03 failed")
    assert "p99 5,400 ms" in section["reason"] and "40 errors" in section["reason"]
    assert "R-CAP-01" not in section["reason"]


# -- the certification report ---------------------------------------------------------------------
BY_RUN = ["R-CAP-01", "R-CAP-02", "R-CAP-03", "R-CAP-04"]


def certified(capacity: dict | None, covered: set[str] | None = frozenset({"R-FLOW-14"})
              ) -> dict:
    """A certification whose one scenario passed under R-FLOW-14, with ``capacity`` judged."""
    results = [ScenarioResult("CPM-01", "CPM-01", "features/x.feature", [], ["R-FLOW-14"],
                              "pass", 0.1, None, "", [])]
    return build_report({"sut": {"id": "10000001"}}, PROFILE, results,
                        Claims(frozenset({"issuer", "acquirer"})), covered=covered,
                        capacity=capacity)


def report_verdicts(report: dict) -> dict[str, str]:
    return {r["id"]: r["verdict"] for r in report["requirements"]}


@pytest.mark.parametrize("covered", [None, {"R-FLOW-14"}])
def test_without_a_capacity_run_its_requirements_are_listed_not_judged(covered):
    report = certified(None, covered)
    assert {report_verdicts(report)[r] for r in BY_RUN} == {"not_covered"}
    assert "verified by the capacity run (certify --capacity / qrinterop capacity): " \
           + ", ".join(BY_RUN) in report["verdict_reason"]
    assert "容量测试核验" in report["verdict_reason_zh"] and "capacity" not in report
    untested = report["verdict_reason"].partition("were not tested: ")[2].partition(".")[0]
    assert not set(BY_RUN) & set(untested.split(", "))


def test_a_capacity_run_judges_its_requirements_and_bears_on_the_verdict():
    passed = certified(judged())
    assert {report_verdicts(passed)[r] for r in BY_RUN} == {"pass"}
    assert passed["verdict"] == certified(None)["verdict"]
    assert passed["capacity"]["verdict"] == "pass"
    assert "verified by the capacity run" not in passed["verdict_reason"]
    slow = certified(judged(p99_ms=9000.0))
    assert report_verdicts(slow)["R-CAP-02"] == "fail" and slow["verdict"] == "not-conformant"
    assert "R-CAP-02 failed" in slow["verdict_reason"]
    lost = certified(judged(conserved=False, conservation=["payer 1 lost 100 fen"]))
    assert report_verdicts(lost)["R-FLOW-14"] == "fail"      # the worse of scenario and run
    unmeasured = certified(judged(requests=0))
    assert unmeasured["verdict"] == "inconclusive"
