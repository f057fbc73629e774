"""End to end: a nightly selftest of a sample of the defect catalogue (the whole catalogue:
``qrinterop selftest --conformance docs/CONFORMANCE.md``), apart from the certifications of
tests/test_certify_e2e.py so that a parallel test run takes them side by side."""

from __future__ import annotations

import json
import warnings
from pathlib import Path

import pytest

from tests.conftest import ROOT, run_cli

pytestmark = pytest.mark.e2e


#: Defects a nightly selftest draws: the catalogue of 220 in turn over about a month.
SAMPLE = 8


def test_selftest_catches_a_sample_of_the_defects(tmp_path):
    """A selftest of a few defects drawn with today's date (the whole catalogue takes an
    hour: `qrinterop selftest --conformance docs/CONFORMANCE.md`, whose page
    tests/test_conformance_page.py holds to the catalogue), so nightly runs cover it in turn.
    The references are certified whole by tests/test_certify_e2e.py."""
    done = run_cli("selftest", "--out", str(tmp_path / "selftest"), "--json", "--sample",
                   str(SAMPLE), "--jobs", "3", timeout=900)
    matrix = json.loads(done.stdout)
    assert done.returncode == 0, _what_went_wrong(matrix) + done.stderr[-2000:]
    for row in (r for r in matrix["variants"] if r["retried"]):     # caught, but flaky
        warnings.warn(f"selftest certified {row['defect'] or row['sut']} twice: first "
                      f"{row['retried']['verdict']}, failing {row['retried']['failed']} "
                      f"({row['retried']['run_dir']})", stacklevel=1)
    defects = json.loads((ROOT / "mocks/defects.json").read_text())["defects"]
    assert len(matrix["variants"]) == SAMPLE and all(r["defect"] in defects
                                                 for r in matrix["variants"])
    assert matrix["ok"] and all(row["caught"] for row in matrix["variants"])
    assert matrix["never_failed"] == [] and matrix["scenarios"] == []


def _what_went_wrong(matrix: dict) -> str:
    """The rows of a selftest matrix that are not as expected, each with the scenarios that
    did not pass and why: enough to tell a real miss from a flaky scenario in a CI log."""
    lines = [f"never failed: {matrix['never_failed']}"]
    for row in matrix["variants"]:
        report = json.loads((Path(row["run_dir"]) / "report.json").read_text(encoding="utf-8"))
        if row["caught"]:       # where a never-failed scenario ran, what it got instead
            lines += [f"  {s['id']} {s['verdict']} against {row['defect'] or row['sut']}"
                      for s in report["scenarios"] if s["id"] in matrix["never_failed"]
                      and s["verdict"] != "not_applicable"]
            continue
        lines.append(f"{row['defect'] or row['sut']}: {row['verdict']}, expected "
                     f"{row['expected_verdict']}, failing {row['expected_to_fail']}: "
                     f"{row['why_not']}")
        lines += [f"  {s['id']} {s['verdict']}: {s.get('failure') or s.get('reason')}"
                  for s in report["scenarios"] if s["verdict"] not in ("pass", "not_applicable")]
    return "\n".join(lines) + "\n"
