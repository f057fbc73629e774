"""What a certification run leaves behind for people: Allure results only of the scenarios
that ran, one report per run however many workers, and a terminal that lists what ran and
sums up what did not apply."""

from __future__ import annotations

import json

import pytest

from tests.conftest import run_cli

pytestmark = pytest.mark.e2e


def allure_files(run_dir) -> tuple[list[dict], set[str]]:
    """The run's Allure test results, and the names of every file of the folder."""
    folder = run_dir / "allure-results"
    results = [json.loads(p.read_text(encoding="utf-8")) for p in folder.glob("*-result.json")]
    return results, {p.name for p in folder.iterdir()}


def attachments(item: dict) -> set[str]:
    """Every attachment a test result or step names, its steps' included."""
    return {a["source"] for a in item.get("attachments", [])} | \
        {source for step in item.get("steps", []) for source in attachments(step)}


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
