"""End to end: two deliberately defective variants of the reference institution certified
whole, apart from the references' certifications of tests/test_certify_e2e.py so that a
parallel test run takes them side by side."""

from __future__ import annotations

import json

import pytest

from qrinterop.judging.selftest import breaks_of
from tests.conftest import ROOT, ics_with, run_cli

pytestmark = pytest.mark.e2e


#: Two defects that break different requirements, certified in one run (a whole certification
#: takes minutes): each must fail its own scenario, and nothing fails but under what they break.
DEFECTS = {"accept-reused-payment-code": ("CPM-02", "approved (response code 00)"),
           "skip-signature-check": ("SEC-01", "00")}


@pytest.fixture(scope="module")
def defective_run(tmp_path_factory):
    folder = tmp_path_factory.mktemp("defective")
    run_dir = folder / "run"
    ics = ics_with(folder, "defects: []", f"defects: [{', '.join(DEFECTS)}]")
    done = run_cli("certify", "--ics", str(ics), "--out", str(run_dir), "--jobs", "2",
                   timeout=600)
    return done, json.loads((run_dir / "report.json").read_text(encoding="utf-8"))


def test_defective_variant_fails_only_scenarios_of_what_it_breaks(defective_run):
    done, report = defective_run
    assert done.returncode == 1, done.stdout + done.stderr
    assert report["verdict"] == "not-conformant"
    catalogue = json.loads((ROOT / "mocks/defects.json").read_text())["defects"]
    breaks = {ident for defect in DEFECTS for ident in breaks_of(catalogue[defect])}
    failed = [s for s in report["scenarios"] if s["verdict"] == "fail"]
    assert all(breaks & set(s["requirements"]) for s in failed)
    # No inconclusive or error; the acceptable published samples pass with a warning.
    assert {s["verdict"] for s in report["scenarios"]} <= {"pass", "warning", "fail",
                                                           "not_applicable"}


@pytest.mark.parametrize("defect", DEFECTS)
def test_defective_variant_fails_the_matching_scenario(defective_run, defect):
    done, report = defective_run
    scenario, observed = DEFECTS[defect]
    failure = next(s for s in report["scenarios"] if s["id"] == scenario)["failure"]
    assert failure["observed"] == observed
    assert f"FAIL           {scenario}" in done.stdout
