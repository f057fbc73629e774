"""End to end, the harness's own property behind R-SEC-06: no artefact of a run folder shows
a payment code in full, whether the scenario passed or failed quoting the code. The codes
are read from what only the simulated institutions' own stores keep (``state/``)."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from tests.conftest import edited_ics, run_cli

pytestmark = pytest.mark.e2e


def payment_codes(run: Path) -> set[str]:
    """Every payment code any institution of the run issued (its SQLite store)."""
    codes: set[str] = set()
    for store in run.glob("state/*.sqlite"):
        with sqlite3.connect(store) as db:
            if db.execute("SELECT 1 FROM sqlite_master WHERE name = 'payment_codes'").fetchone():
                codes |= {row[0] for row in db.execute("SELECT code FROM payment_codes")}
    return codes


def test_no_artefact_but_the_institutions_stores_shows_a_payment_code(tmp_path):
    ics = edited_ics(tmp_path, ("defects: []", "defects: [payment-code-wrong-prefix]"))
    run_cli("certify", "--ics", str(ics), "--tags", "@tc.CODE-04,@tc.CPM-01,@tc.TERM-01",
            "--out", str(tmp_path / "run"))
    run = tmp_path / "run"
    codes = payment_codes(run)
    assert len(codes) >= 3
    assert "payment-code-wrong-prefix" in (run / "ics.yaml").read_text(encoding="utf-8")
    assert '"verdict": "fail"' in (run / "report.json").read_text(encoding="utf-8")
    shown = {(str(path.relative_to(run)), code) for path in run.rglob("*")
             if path.is_file() and path.parts[len(run.parts)] != "state"
             for code in codes if code in path.read_bytes().decode("utf-8", "replace")}
    assert shown == set()
