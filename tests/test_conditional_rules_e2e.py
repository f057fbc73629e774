"""A rule conditional on a feature does not fail an SUT that does not declare it (issue 16
item 3): an institution without unionpay-id15, whose wallet does not check UnionPay ID 15's
layout at all (the reference with wallet-skips-id15-check), is not failed under R-MPM-16 by
the vectors that break only that rule, nor by anything else of the rule's scenarios."""

from __future__ import annotations

import json

import pytest

from tests.conftest import edited_ics, reference_features_line, run_cli

pytestmark = pytest.mark.e2e


def test_an_sut_without_unionpay_id15_is_not_failed_under_r_mpm_16(tmp_path):
    line = reference_features_line()
    assert "unionpay-id15, " in line
    ics = edited_ics(tmp_path, (line, line.replace("unionpay-id15, ", "")),
                     ("defects: []", "defects: [wallet-skips-id15-check]"))
    run_dir = tmp_path / "run"
    done = run_cli("certify", "--ics", str(ics), "--tags", "@req.R-MPM-16 or @tc.VEC-MPM-3",
                   "--out", str(run_dir), timeout=300)
    report = json.loads((run_dir / "report.json").read_text(encoding="utf-8"))
    verdicts = {s["id"]: s["verdict"] for s in report["scenarios"]}
    assert verdicts["VEC-MPM-101"] == verdicts["FEAT-ID15-01"] == "not_applicable", done.stdout
    assert verdicts["VEC-MPM-3"] == "pass", done.stdout       # its ID 15 breaks nothing now
    r_mpm_16 = next(r for r in report["requirements"] if r["id"] == "R-MPM-16")
    assert r_mpm_16["verdict"] == "not_applicable"
