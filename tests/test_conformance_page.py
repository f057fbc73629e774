"""docs/CONFORMANCE.md is the record of the last whole selftest: it must speak of the suite
and the catalogue as they are, so adding a defect or a scenario without running the whole
selftest again (`qrinterop selftest --conformance docs/CONFORMANCE.md`) fails here, at once,
rather than going unproved. CI certifies only a sample of the defects each run."""

from __future__ import annotations

import re

from qrinterop.runner.bdd.suite import locate
from tests.conftest import ROOT

PAGE = (ROOT / "docs" / "CONFORMANCE.md").read_text(encoding="utf-8")
SUITE = locate()


def _matrix() -> dict[str, str]:
    """Each defect of the page's selftest matrix → its caught column."""
    rows = re.findall(r"^\| ([a-z0-9-]+) \((?:institution|switch)\) \|(?:[^|]*\|){3} ([^|]+) \|",
                      PAGE, re.MULTILINE)
    return {name: caught.strip() for name, caught in rows}


def test_the_page_is_of_this_catalogue_and_every_defect_was_caught():
    matrix = _matrix()
    assert sorted(matrix) == sorted(SUITE.defects()), "run the whole selftest again"
    assert {name for name, caught in matrix.items() if not caught.startswith("yes")} == set()
    count = len(SUITE.defects())
    assert f"Defects caught: **{count} of {count}**" in PAGE


def test_the_page_is_of_this_suite_and_every_scenario_failed_against_some_defect():
    assert f": {len(SUITE.scenarios())} scenarios, " in PAGE, "run the whole selftest again"
    assert "- Scenarios that no defect makes fail: **none**." in PAGE
    assert "Reference institution: **conformant**" in PAGE
    assert "Reference switch: **conformant**" in PAGE
