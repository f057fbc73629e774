"""``certify --rerun-failed RUN_DIR`` runs again exactly the scenarios that did not pass in an
earlier run, against the same ICS and defects; ``--tags`` selects by requirement ID."""

from __future__ import annotations

import json

import pytest

from qrinterop.runner.bdd.suite import locate
from tests.conftest import run_cli

pytestmark = pytest.mark.e2e


def scenario_ids(run_dir) -> dict[str, str]:
    report = json.loads((run_dir / "report.json").read_text(encoding="utf-8"))
    return {s["id"]: s["verdict"] for s in report["scenarios"]}


def test_only_the_failed_scenarios_run_again(tmp_path, defect_ics):
    first, again = tmp_path / "first", tmp_path / "again"
    run_cli("certify", "--ics", str(defect_ics("refund-beyond-original")), "--out", str(first),
            "--tags", "@tc.REF-01 or @tc.CPM-01")
    assert scenario_ids(first) == {"REF-01": "fail", "CPM-01": "pass"}
    done = run_cli("certify", "--rerun-failed", str(first), "--out", str(again))
    assert done.returncode == 1, done.stdout + done.stderr
    assert "Re-running 1 scenario(s)" in done.stdout
    assert scenario_ids(again) == {"REF-01": "fail"}


def test_nothing_to_rerun_and_selection_by_requirement(tmp_path):
    """``@req.R-FLOW-11`` selects exactly the scenarios tagged with it (the suite says which)."""
    first = tmp_path / "first"
    done = run_cli("certify", "--out", str(first), "--tags", "@req.R-FLOW-11")
    assert set(scenario_ids(first)) == set(locate().coverage()["R-FLOW-11"]) == {
        "COL-01-merchant", "COL-01-personal", "COL-02", "COL-03"}, done.stdout
    done = run_cli("certify", "--rerun-failed", str(first), "--out", str(tmp_path / "again"))
    assert done.returncode == 0 and "Nothing to re-run" in done.stdout
    assert not (tmp_path / "again").exists()


@pytest.mark.parametrize("args", [("--rerun-failed", "no-such-run"),
                                  ("--rerun-failed", ".", "--tags", "@tc.CPM-01")],
                         ids=["not-a-run", "with-tags"])
def test_rerun_failed_misused(args):
    done = run_cli("certify", *args)
    assert done.returncode == 2 and done.stderr.count("\n") == 1, done.stderr
    assert "--rerun-failed" in done.stderr
