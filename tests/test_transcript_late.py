"""Strict correlation (issue 15): a late record of an earlier scenario (a result notice resent
after it ended) is added to that scenario's own transcript, numbered on and chained to it, so
the bundle still verifies and no other scenario's evidence holds it."""

from __future__ import annotations

from pathlib import Path

import pytest

from qrinterop.evidence.bundle import chain_problem
from qrinterop.evidence.transcript import Transcript
from qrinterop.inputs import loads_json


def test_late_records_continue_the_owners_transcript_and_chain(tmp_path: Path):
    path = tmp_path / "COL-02.jsonl"
    own = Transcript("COL-02")
    own.add("switch", "90000000", "10000001", "request", {"body": {"voucherNum": "V1"}}, at=1.0)
    own.add("switch", "10000001", "90000000", "response", {"body": {}}, at=1.1)
    own.write(path)
    late = Transcript("COL-02")
    late.add("switch", "10000001", "90000000", "response", {"body": {"voucherNum": "V1"}},
             at=5.0, late_during="CPM-01")
    added = late.append_to(path)
    text = path.read_text(encoding="utf-8")
    assert chain_problem(text) is None
    lines = [loads_json(line) for line in text.splitlines()]
    assert [line["n"] for line in lines] == [1, 2, 3] and added[0]["n"] == 3
    assert lines[-1]["late_during"] == "CPM-01"


def test_a_day_level_violation_names_the_scenario_whose_transaction_disagrees():
    from qrinterop.checks.outcome import Violation
    from qrinterop.runner.scenarios.session import Session

    session = object.__new__(Session)
    session._owners = {"20261204004406000001": "FLT-01-answer-code"}
    found = Violation("the SUT's books against the switch's reconciliation file",
                      "no difference", "20261204004406000001: the books have amount 100 "
                      "(file: 1000)")
    other = Violation("x", "y", "20261204009999000009 is in the switch's file only")
    named, untouched = session.naming_scenarios([found, other])
    assert named.observed.endswith("(the transaction of scenario FLT-01-answer-code)")
    assert untouched == other


@pytest.mark.e2e
def test_notices_resent_after_a_scenario_stay_in_its_own_transcript(tmp_path: Path):
    """FLT-01-answer-code's result notice is lost and resent on the profile's schedule, after
    the scenario ended, while REV-01 runs: the resends go to FLT-01's transcript (chained on,
    marked late_during), none to REV-01's, and the bundle is still intact."""
    from tests.conftest import run_cli

    run = tmp_path / "run"
    done = run_cli("certify", "--tags", "@tc.FLT-01-answer-code or @tc.REV-01", "--out", str(run))
    assert "PASS           REV-01" in done.stdout, done.stdout + done.stderr
    earlier = [loads_json(line) for line in (run / "transcripts" / "FLT-01-answer-code.jsonl")
               .read_text(encoding="utf-8").splitlines()]
    vouchers = {r["content"]["body"]["voucherNum"] for r in earlier
                if isinstance(r.get("content"), dict) and r.get("msg_type") ==
                "notice.result.request"}
    later = (run / "transcripts" / "REV-01.jsonl").read_text(encoding="utf-8")
    assert vouchers and not any(voucher in later for voucher in vouchers)
    late = [r for r in earlier if r.get("late_during")]
    assert late and {r["late_during"] for r in late} == {"REV-01"}
    assert run_cli("verify", str(run)).returncode == 3          # intact, unsigned
