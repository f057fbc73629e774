"""End to end, the harness's own property behind R-SEC-06: no artefact of a run folder shows
a payment code in full, whether the scenario passed or failed quoting the code. The codes
are read from what only the simulated institutions' own stores keep (``state/``)."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from tests.conftest import ROOT, edited_ics, run_cli

pytestmark = pytest.mark.e2e


def payment_codes(run: Path) -> set[str]:
    """Every payment code any institution of the run issued (its SQLite store)."""
    codes: set[str] = set()
    for store in run.glob("state/*.sqlite"):
        with sqlite3.connect(store) as db:
            if db.execute("SELECT 1 FROM sqlite_master WHERE name = 'payment_codes'").fetchone():
                codes |= {row[0] for row in db.execute("SELECT code FROM payment_codes")}
    return codes


QRC_ICS = ROOT / "docs" / "examples" / "ics-qrc.yaml"


def qrc_ics(folder: Path, defects: str) -> Path:
    """A copy of the QRC example ICS in ``folder``, its keys found where the original's are."""
    text = QRC_ICS.read_text(encoding="utf-8").replace(
        "../../mocks/keys/", f"{ROOT / 'mocks' / 'keys'}/").replace("defects: []", defects)
    path = folder / "ics.yaml"
    path.write_text(text, encoding="utf-8")
    return path


@pytest.mark.parametrize("binding", ["qrinterop-json", "unionpay-qrc"])
def test_no_artefact_but_the_institutions_stores_shows_a_payment_code(tmp_path, binding):
    """In either binding: a QRC message carries the code in its form fields (qrNo), its
    text and its sub-structures as well as in the abstract message beside them."""
    defects = "defects: [payment-code-wrong-prefix]"
    ics = qrc_ics(tmp_path, defects) if binding == "unionpay-qrc" else \
        edited_ics(tmp_path, ("defects: []", defects))
    tags = "@tc.CODE-04,@tc.CPM-01,@tc.TERM-01" + (",@tc.MPM-01" if binding != "qrinterop-json"
                                                   else "")
    run_cli("certify", "--ics", str(ics), "--tags", tags, "--out", str(tmp_path / "run"))
    run = tmp_path / "run"
    codes = payment_codes(run)
    assert len(codes) >= 3
    assert "payment-code-wrong-prefix" in (run / "ics.yaml").read_text(encoding="utf-8")
    assert '"verdict": "fail"' in (run / "report.json").read_text(encoding="utf-8")
    shown = {(str(path.relative_to(run)), code) for path in run.rglob("*")
             if path.is_file() and path.parts[len(run.parts)] != "state"
             for code in codes if code in path.read_bytes().decode("utf-8", "replace")}
    assert shown == set()
