"""What a certification run leaves behind for people: Allure results only of the scenarios
that ran, one report per run however many workers, and a terminal that lists what ran and
sums up what did not apply."""

from __future__ import annotations

import io
import json
import queue
import re
from concurrent.futures import Future
from concurrent.futures.process import BrokenProcessPool

import pytest
from rich.console import Console

from qrinterop.cli import main
from qrinterop.errors import UsageError
from qrinterop.judging.verdicts import ScenarioResult
from qrinterop.runner import certify
from tests.conftest import run_cli

ROLE = "role not claimed: needs switch, the ICS claims acquirer, issuer"
VOID = "feature declared in the ICS: void (the scenario checks that an SUT without it refuses it)"


def result(ident: str, verdict: str, reason: str | None = None) -> ScenarioResult:
    return ScenarioResult(id=ident, name=f"scenario {ident}", feature="features/x.feature",
                          tags=[], requirements=[], verdict=verdict, duration_s=0.1,
                          transcript=None, rerun="", steps=[], reason=reason)


@pytest.fixture
def terminal(monkeypatch) -> io.StringIO:
    """What certify prints, to a terminal (a bar) or not (plain lines), read back."""
    def console(is_terminal: bool) -> io.StringIO:
        out = io.StringIO()
        monkeypatch.setattr(main, "console", Console(file=out, force_terminal=is_terminal,
                                                     width=200, soft_wrap=True))
        return out
    return console


def test_what_did_not_apply_is_one_line_grouped_by_why():
    scenarios = [result("A", "pass").as_dict(), result("B", "not_applicable", VOID).as_dict(),
                 *(result(f"S{n}", "not_applicable", ROLE).as_dict() for n in range(3))]
    assert main.not_applicable_line(scenarios) == f"4 not applicable: 3 {ROLE}; 1 {VOID}"
    assert main.not_applicable_line(scenarios[:1]) is None


@pytest.mark.parametrize("is_terminal", [False, True])
def test_a_line_per_scenario_that_ran_and_none_for_one_that_did_not_apply(terminal,
                                                                         is_terminal):
    out = terminal(is_terminal)
    with main.shown_as_they_end(lambda: 3) as shown:
        for each in (result("CPM-01", "pass"), result("SW-01", "not_applicable", ROLE),
                     result("REF-01", "fail")):
            shown(each)
    plain = re.sub(r"\x1b\[[0-9;?]*[A-Za-z]", "", out.getvalue())     # colours, cursor
    lines = [line.split() for line in plain.splitlines() if "scenario " in line]
    assert [words[:2] for words in lines] == [["PASS", "CPM-01"], ["FAIL", "REF-01"]]
    assert ("━" in out.getvalue()) is is_terminal      # the bar, on a terminal only


def allure_files(run_dir) -> tuple[list[dict], set[str]]:
    """The run's Allure test results, and the names of every file of the folder."""
    folder = run_dir / "allure-results"
    results = [json.loads(p.read_text(encoding="utf-8")) for p in folder.glob("*-result.json")]
    return results, {p.name for p in folder.iterdir()}


def attachments(item: dict) -> set[str]:
    """Every attachment a test result or step names, its steps' included."""
    return {a["source"] for a in item.get("attachments", [])} | \
        {source for step in item.get("steps", []) for source in attachments(step)}


@pytest.mark.e2e
def test_certify_prints_what_ran_and_sums_up_what_did_not_apply(tmp_path):
    done = run_cli("certify", "--tags", "@tc.CPM-01 or @tc.VOID-02 or @tc.VEC-MSG-263 or "
                   "@tc.VEC-MSG-264", "--out", str(tmp_path / "run"))
    lines = done.stdout.splitlines()
    assert [line.split()[:2] for line in lines if line.startswith("  ")] == [["PASS", "CPM-01"]]
    assert f"3 not applicable: 2 {ROLE}; 1 {VOID}" in lines, done.stdout
    assert "NOT-APPLICABLE" not in done.stdout
    report = json.loads((tmp_path / "run" / "report.json").read_text(encoding="utf-8"))
    assert len(report["scenarios"]) == 4                # the report still lists each


@pytest.mark.e2e
def test_a_selection_leaves_allure_results_of_what_ran_only(tmp_path):
    """VEC-MSG-262 comes after hundreds of rows with a doc string each, all left out:
    allure-behave used to hand their steps, and an attachment for each, to it."""
    run_dir = tmp_path / "run"
    done = run_cli("certify", "--tags", "@tc.VEC-MSG-262", "--out", str(run_dir))
    assert done.returncode == 3, done.stdout + done.stderr    # inconclusive: a selection
    results, files = allure_files(run_dir)
    others = {name for name in files if not name.endswith("-result.json")}
    assert len(results) == 1
    assert "tc.VEC-MSG-262" in {label["value"] for label in results[0]["labels"]}
    assert len(results[0]["steps"]) == 2          # its own When and Then, nobody else's
    assert others == attachments(results[0]) and len(others) == 1    # its doc string
    manifest = json.loads((run_dir / "manifest.json").read_text(encoding="utf-8"))
    listed = {f["path"].removeprefix("allure-results/") for f in manifest["files"]
              if f["path"].startswith("allure-results/")}
    assert listed == files


def test_results_a_worker_sent_are_kept_when_it_breaks():
    """``--jobs``: results come as the scenarios end; a worker whose process died ends the
    run early, with what it had sent."""
    ended: queue.Queue = queue.Queue()
    for n, ident in ((0, "A"), (1, "B"), (0, "C")):
        ended.put((n, result(ident, "pass").as_dict()))
    taken: list[tuple[int, str]] = []
    certify._drain(ended, lambda n, r: taken.append((n, r["id"])), until=lambda: True)
    assert taken == [(0, "A"), (1, "B"), (0, "C")]
    broken: Future = Future()
    broken.set_exception(BrokenProcessPool("a child process terminated abruptly"))
    aborted, exits = certify._worker_end(broken)
    assert aborted.startswith("Harness error, the worker stopped: BrokenProcessPool") and \
        exits == []
    refused: Future = Future()
    refused.set_exception(UsageError("port 8000 is taken"))
    with pytest.raises(UsageError):
        certify._worker_end(refused)
