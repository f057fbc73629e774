"""Nightly history: every run of an SUT in one SQLite file, and what changed since the
previous run of the same SUT — new failures, fixed scenarios, and flaky ones (their verdict
flipped more than once over the last runs) — so that a nightly job can fail on regressions
only (``certify --history DB --fail-on regression``).
"""

from __future__ import annotations

import sqlite3
from itertools import pairwise
from pathlib import Path

from qrinterop.errors import UsageError

SCHEMA = """
CREATE TABLE IF NOT EXISTS runs (
    run_id TEXT PRIMARY KEY, sut TEXT NOT NULL, finished TEXT NOT NULL,
    verdict TEXT NOT NULL, bundle TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS verdicts (
    run_id TEXT NOT NULL REFERENCES runs(run_id), scenario TEXT NOT NULL,
    verdict TEXT NOT NULL, PRIMARY KEY (run_id, scenario));
CREATE INDEX IF NOT EXISTS runs_by_sut ON runs (sut, finished);
"""
#: How many earlier runs a scenario's verdicts are read over to call it flaky.
FLAKY_WINDOW = 5
BAD = ("fail", "error", "inconclusive")


def sut_key(report: dict) -> str:
    """What makes two runs runs of the same SUT: its institution ID, roles and defects."""
    sut = report["run"]["sut"]
    return f"{sut['id']}/{'+'.join(sut['roles'])}/{'+'.join(sut.get('defects', []))}"


def check_history(path: Path) -> None:
    """Open (or create) the history file now, so that an unusable one stops the run before
    it starts: :class:`UsageError`."""
    try:
        with sqlite3.connect(path) as db:
            db.executescript(SCHEMA)
    except (sqlite3.Error, OSError) as exc:
        raise UsageError(f"--history {path}: {exc}") from None


def record(path: Path, report: dict, run_dir: Path) -> dict:
    """Store this run, and return what changed since the previous run of the same SUT."""
    with sqlite3.connect(path) as db:
        db.executescript(SCHEMA)
        changes = _changes(db, report)
        db.execute("INSERT INTO runs VALUES (?, ?, ?, ?, ?)",
                   (report["run"]["id"], sut_key(report), report["run"]["finished"],
                    report["verdict"], str(run_dir)))
        db.executemany("INSERT INTO verdicts VALUES (?, ?, ?)",
                       [(report["run"]["id"], s["id"], s["verdict"])
                        for s in report["scenarios"]])
    return changes


def _changes(db: sqlite3.Connection, report: dict) -> dict:
    earlier = [row[0] for row in db.execute(
        "SELECT run_id FROM runs WHERE sut = ? ORDER BY finished DESC LIMIT ?",
        (sut_key(report), FLAKY_WINDOW))]
    now = {s["id"]: s["verdict"] for s in report["scenarios"]}
    if not earlier:
        return {"previous_run": None, "new_failures": [], "fixed": [], "flaky": []}
    before = dict(db.execute("SELECT scenario, verdict FROM verdicts WHERE run_id = ?",
                             (earlier[0],)).fetchall())
    return {
        "previous_run": earlier[0],
        "new_failures": sorted(s for s, v in now.items() if v in BAD and before.get(s) == "pass"),
        "fixed": sorted(s for s, v in now.items() if v == "pass" and before.get(s) in BAD),
        "flaky": sorted(s for s in now if _flips(db, earlier, s, now[s]) > 1),
    }


def _flips(db: sqlite3.Connection, runs: list[str], scenario: str, now: str) -> int:
    """How often a scenario went between pass and not pass, over the last runs and this one."""
    placeholders = ", ".join("?" * len(runs))
    rows = db.execute(f"SELECT r.finished, v.verdict FROM verdicts v JOIN runs r USING (run_id)"
                      f" WHERE v.scenario = ? AND v.run_id IN ({placeholders})"
                      f" ORDER BY r.finished", (scenario, *runs)).fetchall()
    passed = [verdict == "pass" for _finished, verdict in rows] + [now == "pass"]
    return sum(a != b for a, b in pairwise(passed))
