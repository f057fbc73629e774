"""``certify --jobs N``: the selected scenarios shared among N worker processes, each with its
own simulated network, merged into one report in the suite's order."""

from __future__ import annotations

import json

import pytest

from tests.conftest import run_cli
from tests.test_launch_command import command_ics

pytestmark = pytest.mark.e2e


def test_two_workers_give_one_report(tmp_path):
    run_dir = tmp_path / "run"
    done = run_cli("certify", "--jobs", "2", "--out", str(run_dir), "--tags",
                   "@area.refund or @tc.CPM-01 or @tc.REV-01")
    report = json.loads((run_dir / "report.json").read_text(encoding="utf-8"))
    ids = [s["id"] for s in report["scenarios"]]
    assert ids == ["CPM-01", "REV-01", "REF-01", "REF-02", "REF-03", "REF-04"], done.stdout
    assert (report["summary"]["pass"], report["summary"]["not_applicable"]) == (5, 1)
    assert {p.name for p in (run_dir / "workers").iterdir()} == {"0", "1"}
    # One report per run: a worker keeps its raw material (transcripts, logs), no verdict.
    kept = {"report.json", "report.html", "junit.xml", "manifest.json", "ics.yaml"}
    assert kept <= {p.name for p in run_dir.iterdir()}
    assert not [p for p in (run_dir / "workers").rglob("*") if p.name in kept]
    manifest = json.loads((run_dir / "manifest.json").read_text(encoding="utf-8"))
    assert any(f["path"].startswith("workers/1/transcripts/") for f in manifest["files"])
    for scenario in report["scenarios"]:       # one not applicable to the SUT sent nothing
        assert scenario["verdict"] == "not_applicable" or \
            (run_dir / scenario["transcript"]).is_file(), scenario
    assert any((run_dir / "allure-results").iterdir())


def test_jobs_need_the_reference_launch(tmp_path):
    ics = command_ics(tmp_path, "[python, -m, mocks.launch_reference]")
    done = run_cli("certify", "--ics", ics, "--jobs", "2", "--out", str(tmp_path / "run"))
    assert done.returncode == 2 and "run its scenarios with --jobs 1" in done.stderr


def test_a_selection_that_matches_nothing_runs_nothing(tmp_path):
    done = run_cli("certify", "--jobs", "2", "--out", str(tmp_path / "run"), "--tags",
                   "@tc.NO-SUCH-CASE")
    assert done.returncode == 3 and "No applicable scenario ran" in done.stdout, done.stderr
