"""Nightly history (qrinterop/evidence/history.py): what changed since the previous run of the
same SUT, and --fail-on regression."""

from __future__ import annotations

import json

import pytest
import yaml

from qrinterop.errors import UsageError
from qrinterop.evidence.history import check_history, record
from qrinterop.runner.certify import Outcome
from tests.conftest import ROOT, run_cli


def report(run: str, finished: str, verdicts: dict[str, str], defects=()) -> dict:
    return {"run": {"id": run, "finished": finished,
                    "sut": {"id": "10000001", "roles": ["issuer"], "defects": list(defects)}},
            "verdict": "not-conformant" if "fail" in verdicts.values() else "conformant",
            "scenarios": [{"id": s, "verdict": v} for s, v in verdicts.items()]}


def test_new_failures_fixed_and_flaky_since_the_previous_run(tmp_path):
    db = tmp_path / "history.sqlite"
    runs = [{"A": "pass", "B": "fail", "C": "pass"},
            {"A": "pass", "B": "fail", "C": "fail"},
            {"A": "fail", "B": "pass", "C": "pass"}]
    changes = [record(db, report(f"r{n}", f"2026-11-2{n}", verdicts), tmp_path)
               for n, verdicts in enumerate(runs)]
    assert changes[0] == {"previous_run": None, "new_failures": [], "fixed": [], "flaky": []}
    assert changes[1] == {"previous_run": "r0", "new_failures": ["C"], "fixed": [],
                          "flaky": []}
    assert changes[2] == {"previous_run": "r1", "new_failures": ["A"], "fixed": ["B", "C"],
                          "flaky": ["C"]}


def test_another_sut_or_variant_has_a_history_of_its_own(tmp_path):
    db = tmp_path / "history.sqlite"
    record(db, report("r0", "2026-11-20", {"A": "pass"}), tmp_path)
    other = record(db, report("r1", "2026-11-21", {"A": "fail"}, ["void-twice"]), tmp_path)
    assert other["previous_run"] is None


@pytest.mark.parametrize(("new_failures", "code"), [([], 0), (["A"], 1)])
def test_fail_on_regression_exits_1_only_on_new_failures(tmp_path, new_failures, code):
    document = {"verdict": "not-conformant",
                "history": {"previous_run": "r0", "new_failures": new_failures, "fixed": [],
                            "flaky": []}}
    assert Outcome(document, tmp_path, fail_on="regression").exit_code == code
    assert Outcome(document, tmp_path).exit_code == 1


def test_an_unusable_history_file_stops_the_run_first(tmp_path):
    with pytest.raises(UsageError, match="--history"):
        check_history(tmp_path / "no-such-folder" / "history.sqlite")
    done = run_cli("certify", "--fail-on", "regression", "--out", str(tmp_path / "run"))
    assert done.returncode == 2 and "give --history DB" in done.stderr


@pytest.mark.e2e
def test_two_nightly_runs_of_the_reference(tmp_path):
    db = tmp_path / "history.sqlite"
    for n in (1, 2):
        done = run_cli("certify", "--tags", "@tc.CPM-01", "--history", str(db),
                       "--fail-on", "regression", "--out", str(tmp_path / f"run{n}"))
    report_2 = json.loads((tmp_path / "run2" / "report.json").read_text(encoding="utf-8"))
    first = json.loads((tmp_path / "run1" / "report.json").read_text(encoding="utf-8"))
    assert report_2["history"]["previous_run"] == first["run"]["id"]
    assert "Since " in done.stdout and "new failures none" in done.stdout
    html = (tmp_path / "run2" / "report.html").read_text(encoding="utf-8")
    assert "Since the previous run" in html and "与上次运行相比" in html
    assert first["run"]["id"] in html


@pytest.mark.parametrize("template", ["github-actions-nightly.yml", "gitlab-ci-nightly.yml"])
def test_the_ci_templates_certify_sign_keep_history_and_publish(template):
    text = (ROOT / "docs" / "ci" / template).read_text(encoding="utf-8")
    yaml.safe_load(text)
    for words in ("qrinterop certify", "--sign-key", "--history", "--fail-on regression",
                  "bundle.tar.gz", "junit.xml", "--alluredir ../self-tests",
                  "report allure bundle --also self-tests", "allure-report/"):
        assert words in text, words
