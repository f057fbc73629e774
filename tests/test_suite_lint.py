"""``qrinterop suite lint``: clean on the real suite (this test is how CI runs it), and each
rule shown to fire on a copy of the suite broken the way that rule is about."""

from __future__ import annotations

import json
import os
import re
import shutil
from collections.abc import Callable
from pathlib import Path

import pytest

from qrinterop.errors import UsageError
from qrinterop.profile import load_profile
from qrinterop.runner.bdd.suite import Suite
from qrinterop.runner.bdd.suite_lint import lint, rules
from tests.conftest import ROOT, run_cli

PROFILE = load_profile()
PROBE = "\n\ndef _probe(defects):\n    return {}\n"
LINE = re.compile(r"^[A-Z]+(-[A-Z]+)+ [^\s:]+:\d+ .+$")


def copy_suite(tmp_path: Path) -> Path:
    """A copy of the suite to break: features and mocks copied, the rest linked."""
    root = tmp_path / "suite"
    root.mkdir()
    for name in ("features", "mocks"):
        shutil.copytree(ROOT / name, root / name, ignore=shutil.ignore_patterns("__pycache__"))
    for name in ("steps", "vectors", "qrinterop"):    # rows sources read vectors and profile
        (root / name).symlink_to(ROOT / name)
    return root


def edit(path: Path, old: str, new: str, count: int = 1) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text, f"{old!r} not in {path}"
    path.write_text(text.replace(old, new, count), encoding="utf-8")


def edit_json(path: Path, change: Callable[[dict], None]) -> None:
    data = json.loads(path.read_text(encoding="utf-8"))
    change(data)
    path.write_text(json.dumps(data, indent=2), encoding="utf-8")


def append(path: Path, code: str) -> None:
    path.write_text(path.read_text(encoding="utf-8") + code, encoding="utf-8")


def _sources(change: Callable[[dict], None]) -> Callable[[Path], None]:
    return lambda root: edit_json(root / "features" / "rows.json",
                                  lambda data: change(data["sources"]))


def _behaviours(change: Callable[[dict], None]) -> Callable[[Path], None]:
    return lambda root: edit_json(root / "features" / "behaviours.json",
                                  lambda data: change(data["behaviours"]))


#: For every rule, a way to break the suite that it must find.
BREAKAGES: dict[str, Callable[[Path], None]] = {
    "TC-MISSING": lambda root: edit(root / "features" / "refund.feature", "@tc.REF-02 ", ""),
    "TC-SEVERAL": lambda root: edit(root / "features" / "refund.feature", "@tc.REF-02 ",
                                    "@tc.REF-02 @tc.REF-02b "),
    "TC-DUPLICATE": lambda root: edit(root / "features" / "refund.feature", "@tc.REF-02 ",
                                      "@tc.REF-01 "),
    "REQ-UNKNOWN": lambda root: edit(root / "features" / "refund.feature", "@req.R-FLOW-07",
                                     "@req.R-FLOW-99"),
    "DEFECT-UNCATALOGUED": lambda root: append(
        root / "mocks" / "switch.py", PROBE.format('defects.on("no-such")')),
    "DEFECT-UNUSED": lambda root: edit_json(
        root / "mocks" / "defects.json",
        lambda data: data["defects"].update({"never-on": data["defects"]["terminal-hangs"]})),
    "DEFECT-STYLE": lambda root: append(
        root / "mocks" / "switch.py", PROBE.format('"void-twice" in defects')),
    "ROWS-UNKNOWN-SOURCE": lambda root: edit(root / "features" / "switch.feature",
                                             "@rows.invalid-payment-codes", "@rows.no-such"),
    "ROWS-UNUSED": _sources(lambda sources: sources.update(spare=sources["issuer-personas"])),
    "ROWS-EMPTY": _sources(lambda sources: sources["issuer-personas"]["where"].update(
        {"institution.roles": "nobody"})),
    "ROWS-HEADING": lambda root: edit(root / "features" / "response_codes.feature",
                                      "| key | en |", "| key | english |"),
    "ROWS-HANDWRITTEN": lambda root: edit(root / "features" / "response_codes.feature",
                                          "| key | en |", "| key | en |\n      | 99 | made up |"),
    "BEHAVIOUR-REQ-UNKNOWN": _behaviours(lambda data: data.update({"R-FLOW-99": []})),
    "BEHAVIOUR-MISSING": _behaviours(lambda data: data.pop("R-FLOW-13")),
    "BEHAVIOUR-SCENARIO-UNKNOWN": _behaviours(
        lambda data: data["R-FLOW-13"][0]["scenarios"].append("VOID-99")),
    "BEHAVIOUR-DEFECT-UNKNOWN": _behaviours(
        lambda data: data["R-FLOW-13"][0].update(defects=["no-such"])),
    "BEHAVIOUR-UNSEPARATED": _behaviours(
        lambda data: data["R-FLOW-13"][0].update(scenarios=[])),
}


def test_the_suite_is_clean():
    assert [str(problem) for problem in lint(Suite(ROOT), PROFILE)] == []


def test_every_rule_is_described_and_has_a_breakage_here():
    assert set(rules()) == set(BREAKAGES)
    assert all(rule["description"] and rule["fix"] for rule in rules().values())


@pytest.mark.parametrize("rule", sorted(BREAKAGES))
def test_the_rule_fires_on_a_suite_broken_its_way(rule, tmp_path):
    root = copy_suite(tmp_path)
    BREAKAGES[rule](root)
    problems = lint(Suite(root), PROFILE)
    assert rule in {problem.rule for problem in problems}, [str(p) for p in problems]
    assert all(LINE.match(str(problem)) for problem in problems)
    where = next(p for p in problems if p.rule == rule)
    assert (root / where.file).is_file() and where.line >= 1


def test_the_command_lists_its_rules():
    done = run_cli("suite", "lint", "--list-rules")
    assert done.returncode == 0
    assert [line for line in done.stdout.splitlines() if not line.startswith(" ")] == \
        list(rules())


def test_the_command_exits_0_clean_1_with_problems_2_on_an_unusable_suite(tmp_path):
    assert run_cli("suite", "lint").returncode == 0
    root = copy_suite(tmp_path)
    BREAKAGES["REQ-UNKNOWN"](root)
    env = {**os.environ, "QRINTEROP_SUITE": str(root)}
    done = _run_in(env, "suite", "lint")
    assert done.returncode == 1
    assert done.stdout.splitlines() and all(LINE.match(line) for line in done.stdout.splitlines())
    assert "REQ-UNKNOWN features/refund.feature:" in done.stdout
    edit_json(root / "mocks" / "defects.json", lambda data: data.pop("references"))
    done = _run_in(env, "suite", "lint")
    assert done.returncode == 2 and len(done.stderr.strip().splitlines()) == 1
    assert "defects.json" in done.stderr and "'references' is a required property" in done.stderr


def test_an_unparsable_feature_is_a_usage_error(tmp_path):
    root = copy_suite(tmp_path)
    append(root / "features" / "void.feature", "\n  Examples: outside any outline\n")
    with pytest.raises(UsageError, match=r"features/void\.feature: does not parse"):
        lint(Suite(root), PROFILE)


def _run_in(env: dict, *args: str):
    import subprocess
    import sys

    return subprocess.run([sys.executable, "-m", "qrinterop.cli", *args], capture_output=True,
                          text=True, timeout=120, cwd="/", env=env, check=False)
