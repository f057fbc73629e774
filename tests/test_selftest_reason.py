"""A defect counts as caught only for the right reason: one of the scenarios expected to catch
it failed under a requirement it breaks (a failed check or a passive finding on the SUT), and
that requirement's verdict is fail. Judged on hand-made report.json dicts, shaped as a real
run writes them."""

from __future__ import annotations

from pathlib import Path

import pytest

from qrinterop.judging.selftest import PASSIVE, Grounds, SelftestResult, VariantResult, breaks_of
from qrinterop.profile import load_profile
from qrinterop.report.conformance import conformance_page, why

SUT = "10000001"


def failed(ident: str, check: str | None, *requirements: str,
           findings: list[dict] = ()) -> dict:
    """A failed scenario as report.json has it: its failed step's check and requirements
    (None: no step failed), and its passive findings."""
    failure = None if check is None and not requirements else {
        "step": "Then …", "message": "m", "requirement": requirements[0] if requirements
        else None, "requirements": list(requirements), "check": check,
        "expected": None, "observed": None}
    return {"id": ident, "verdict": "fail", "failure": failure,
            "passive": {"messages": 3, "findings": list(findings)}}


def finding(requirement: str, sender: str = SUT) -> dict:
    return {"requirement": requirement, "record": 7, "sender": sender, "message": "m"}


def report(scenarios: list[dict], **verdicts: str) -> dict:
    """A run's report: its scenarios and its requirement verdicts (``R_SEC_02="fail"``)."""
    return {"run": {"sut": {"id": SUT}}, "scenarios": [
        *scenarios, {"id": "OTHER", "verdict": "pass", "failure": None, "passive": None}],
        "requirements": [{"id": k.replace("_", "-"), "verdict": v} for k, v in verdicts.items()]}


def variant(run: dict, breaks: tuple[str, ...] = ("R-SEC-02",),
            must_fail: tuple[str, ...] = ("SEC-01",)) -> VariantResult:
    failures = [s["id"] for s in run["scenarios"] if s["verdict"] == "fail"]
    return VariantResult("skip-signature-check", breaks, "not-conformant", "not-conformant",
                         failures, list(must_fail), failures, Path("run"),
                         grounds=Grounds.of(run))


def test_a_check_failing_under_the_broken_requirement_catches_it():
    row = variant(report([failed("SEC-01", "signature_refused", "R-SEC-02")],
                         R_SEC_02="fail"))
    assert row.ok and row.why_not is None
    assert row.as_dict()["caught_by"] == {"scenario": "SEC-01", "check": "signature_refused",
                                          "requirement": "R-SEC-02"}
    assert why(row) == "SEC-01 · signature_refused · R-SEC-02"


def test_a_passive_finding_on_the_sut_under_the_broken_requirement_catches_it():
    """notice-credits-merchant-again: no step fails, the books show the purchase twice."""
    run = report([failed("NTF-01", None, findings=[finding("R-FLOW-14")])], R_FLOW_14="fail")
    row = variant(run, ("R-FLOW-14",), ("NTF-01",))
    assert row.ok and row.as_dict()["caught_by"] == {
        "scenario": "NTF-01", "check": PASSIVE, "requirement": "R-FLOW-14"}


def test_failing_under_another_requirement_is_not_caught_and_says_what_it_was_under():
    row = variant(report([failed("SEC-01", "unequal_check", "R-FLOW-07")],
                         R_SEC_02="pass", R_FLOW_07="fail"))
    assert row.failed_as_expected and not row.ok
    assert row.as_dict()["caught"] is False and row.as_dict()["caught_by"] is None
    assert row.why_not == ("wrong requirement (R-SEC-02 expected): SEC-01 failed "
                           "unequal_check under R-FLOW-07")


def test_the_broken_requirement_not_judged_fail_is_not_caught():
    """Reported under the right requirement, but the report's verdict on it is not fail (a
    waiver in force, say): the run did not hold the defect against that requirement."""
    row = variant(report([failed("SEC-01", "signature_refused", "R-SEC-02")],
                         R_SEC_02="waived"))
    assert not row.ok and row.why_not == "R-SEC-02's verdict is waived, not fail"


def test_only_the_expected_scenarios_and_the_suts_own_findings_count():
    """A failure of another scenario, or a finding on a simulator's message, proves nothing
    about the defect the expected scenario was meant to catch."""
    run = report([failed("SEC-01", None, "R-SEC-02", findings=[finding("R-SEC-01", "90000000")]),
                  failed("SEC-09", "signature_refused", "R-SEC-01")], R_SEC_01="fail")
    row = variant(run, ("R-SEC-01",))
    assert not row.ok
    assert row.why_not == ("wrong requirement (R-SEC-01 expected): SEC-01 failed no check "
                           "under R-SEC-02")


@pytest.mark.parametrize("breaks, expected", [("R-SEC-02", ("R-SEC-02",)),
                                              (["R-FLOW-12", "R-FLOW-14"],
                                               ("R-FLOW-12", "R-FLOW-14")),
                                              (None, ())])
def test_breaks_is_one_requirement_several_or_none(breaks, expected):
    assert breaks_of({"breaks": breaks}) == expected


def test_any_of_several_broken_requirements_catches_it():
    run = report([failed("MPM-01", "unequal_check", "R-MPM-05", "R-FLOW-12")],
                 R_MPM_05="pass", R_FLOW_12="fail")
    assert variant(run, ("R-FLOW-12", "R-FLOW-14"), ("MPM-01",)).caught_by.requirement == \
        "R-FLOW-12"


def test_a_defect_that_breaks_no_requirement_is_caught_by_its_verdict_alone():
    """crash-on-start: inconclusive, no scenario to blame, nothing to attribute."""
    row = VariantResult("crash-on-start", (), "inconclusive", "inconclusive", [], [], [],
                        Path("run"))
    assert row.ok and why(row) == "verdict inconclusive"


def test_a_wrong_verdict_or_a_missing_scenario_is_said_first():
    run = report([failed("SEC-01", "signature_refused", "R-SEC-02")], R_SEC_02="fail")
    row = variant(run, must_fail=("SEC-01", "SEC-02"))
    assert row.why_not == "did not fail: SEC-02"
    row.verdict = "inconclusive"
    assert row.why_not == "verdict inconclusive, expected not-conformant"


def test_a_report_without_requirements_per_failure_falls_back_on_its_requirement():
    """A report written before failures listed every requirement they are reported under."""
    run = report([failed("SEC-01", "unequal_check", "R-SEC-02")], R_SEC_02="fail")
    del run["scenarios"][0]["failure"]["requirements"]
    assert variant(run).ok


def test_the_conformance_matrix_says_why_each_defect_counts_as_caught_or_not():
    right = variant(report([failed("SEC-01", "signature_refused", "R-SEC-02")],
                           R_SEC_02="fail"))
    wrong = variant(report([failed("SEC-01", "unequal_check", "R-FLOW-07")], R_FLOW_07="fail"))
    wrong.defect = "skip-signature-check-too"
    page = conformance_page(load_profile(), {"R-SEC-02": ["SEC-01"]},
                            SelftestResult([right, wrong], ["SEC-01"]), 1.0)
    assert "| defect | breaks | expected to fail | failed | caught | why |" in page
    assert ("| skip-signature-check (institution) | R-SEC-02 | SEC-01 | SEC-01 | yes | "
            "SEC-01 · signature_refused · R-SEC-02 |") in page
    assert ("| **NO** | wrong requirement (R-SEC-02 expected): SEC-01 failed unequal_check "
            "under R-FLOW-07 |") in page
    assert "Defects caught: **1 of 2**" in page


def test_the_conformance_page_lists_behaviours_and_which_defect_separated_each():
    right = variant(report([failed("SEC-01", "signature_refused", "R-SEC-02")],
                           R_SEC_02="fail"))
    behaviours = {"R-SEC-02": [
        {"id": "bad-signature-refused", "en": "A badly signed message is refused.",
         "scenarios": ["SEC-*"], "defects": ["skip-signature-check"]},
        {"id": "answers-verified", "en": "A badly signed answer is not trusted.",
         "scenarios": ["FLT-01-bad-signature-answer"], "defects": ["trust-unverified-answers"]}],
        "R-SEC-03": [{"id": "url-payee", "en": "The payee comes from the switch.",
                      "scenarios": [], "not_covered": "no URL-code scenario yet"}]}
    page = conformance_page(load_profile(), {"R-SEC-02": ["SEC-01"]},
                            SelftestResult([right], ["SEC-01"]), 1.0, behaviours)
    assert "3 behaviours, 1 shown separated" in page
    assert ("- **R-SEC-02** A badly signed message is refused. — SEC-*; failed by "
            "skip-signature-check") in page
    assert "FLT-01-bad-signature-answer; **no defect shown yet**" in page
    assert "- **R-SEC-03** The payee comes from the switch. — *not covered*: no URL-code" in page
