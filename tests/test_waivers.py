"""Waivers: a failure on a requirement under a waiver in force is 'waived', with who approved
it and until when; an expired waiver waives nothing and the report says it expired; a waiver
file that cannot be used is refused before anything starts."""

from __future__ import annotations

import json
from datetime import date

import pytest

from qrinterop.errors import UsageError
from qrinterop.judging.verdicts import ScenarioResult, run_verdict
from qrinterop.judging.waivers import Waiver, apply_waivers, load_waivers
from qrinterop.profile import load_profile
from tests.conftest import ROOT, run_cli

TODAY = date(2026, 11, 26)


def failed(ident: str, requirements: list[str], named: str | None = None) -> ScenarioResult:
    return ScenarioResult(ident, ident, "f", [], requirements, "fail", 0.1, None, "rerun", [],
                          failure={"requirement": named} if named else None)


def waiver(requirement: str, expires: date = date(2026, 12, 31)) -> Waiver:
    return Waiver(requirement, "fix in release 2.5", "Wang Wu (PBOC test lab)", expires)


def test_a_failure_under_a_waiver_in_force_is_waived_and_says_by_whom():
    results = [failed("REF-01", ["R-FLOW-07"]), failed("CPM-01", ["R-CPM-01", "R-FLOW-07"]),
               failed("SEC-01", ["R-SEC-02", "R-FLOW-07"], named="R-FLOW-07")]
    waivers = [waiver("R-FLOW-07")]
    apply_waivers(results, waivers, TODAY)
    assert [r.verdict for r in results] == ["waived", "fail", "waived"]
    assert "R-FLOW-07 waived by Wang Wu (PBOC test lab) until 2026-12-31" in results[0].reason
    assert waivers[0].as_dict(TODAY)["scenarios"] == ["REF-01", "SEC-01"]
    assert run_verdict(results[:1], [])[0] == "conformant"
    assert "failed under waivers in force (REF-01)" in run_verdict(results[:1], [])[1]


def test_an_expired_waiver_waives_nothing():
    results = [failed("REF-01", ["R-FLOW-07"])]
    waivers = [waiver("R-FLOW-07", expires=date(2026, 11, 25))]
    apply_waivers(results, waivers, TODAY)
    assert results[0].verdict == "fail"
    assert waivers[0].as_dict(TODAY)["status"] == "expired"


@pytest.mark.parametrize(("text", "words"), [
    ("waivers: [{requirement: R-FLOW-99, reason: x, approver: y, expires: '2027-01-01'}]",
     "no requirement R-FLOW-99"),
    ("waivers: [{requirement: R-FLOW-07, reason: x, expires: '2027-01-01'}]",
     "'approver' is a required property"),
    ("waivers: [{requirement: R-FLOW-07, reason: x, approver: y, expires: '2027-02-30'}]",
     "is not a date"),
    ("waivers: [unclosed", "cannot be read"),
], ids=["unknown-requirement", "no-approver", "no-such-day", "not-yaml"])
def test_an_unusable_waiver_file_is_named(tmp_path, text, words):
    path = tmp_path / "waivers.yaml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(UsageError, match=words):
        load_waivers(path, {"R-FLOW-07"})


@pytest.mark.e2e
def test_certify_reports_waivers_in_force_and_expired(tmp_path, defect_ics):
    waivers = tmp_path / "waivers.yaml"
    waivers.write_text(
        "waivers:\n"
        "  - {requirement: R-FLOW-07, reason: refund limit fixed in 2.5, approver: Wang Wu,"
        " expires: '2999-12-31'}\n"
        "  - {requirement: R-FLOW-05, reason: old, approver: Li Si, expires: '2020-01-01'}\n",
        encoding="utf-8")
    run_dir = tmp_path / "run"
    done = run_cli("certify", "--ics", str(defect_ics("refund-beyond-original")), "--out",
                   str(run_dir), "--tags", "@tc.REF-01", "--waivers", str(waivers))
    report = json.loads((run_dir / "report.json").read_text(encoding="utf-8"))
    assert [s["verdict"] for s in report["scenarios"]] == ["waived"], done.stdout
    assert "WAIVED" in done.stdout and report["summary"]["waived"] == 1
    assert [(w["requirement"], w["status"], w["scenarios"]) for w in report["waivers"]] == [
        ("R-FLOW-07", "in_force", ["REF-01"]), ("R-FLOW-05", "expired", [])]
    html = (run_dir / "report.html").read_text(encoding="utf-8")
    assert ">Waivers<" in html and ">豁免<" in html and "已过期" in html
    missing = run_cli("certify", "--waivers", str(tmp_path / "none.yaml"))
    assert missing.returncode == 2 and "waiver file" in missing.stderr


def test_the_example_waiver_file_is_valid():
    waivers = load_waivers(ROOT / "docs" / "waivers.example.yaml",
                           set(load_profile().requirements))
    assert [w.requirement for w in waivers] == ["R-FLOW-07"]
