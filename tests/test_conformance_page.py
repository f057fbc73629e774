"""docs/CONFORMANCE.md is the record of the last whole selftest: it must speak of the suite
and the catalogue as they are, so adding a defect or a scenario without running the whole
selftest again (`qrinterop selftest --conformance docs/CONFORMANCE.md`) fails here, at once,
rather than going unproved. CI certifies only a sample of the defects each run."""

from __future__ import annotations

import re

from qrinterop.judging.selftest import SelftestResult
from qrinterop.profile import load_profile
from qrinterop.report.conformance import conformance_page
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


def test_requirements_the_capacity_run_verifies_are_listed_as_its_not_as_unverified():
    """No scenario is tagged with R-CAP-*: the page says the capacity run verifies them."""
    profile = load_profile()
    page = conformance_page(profile, {}, SelftestResult([], []), 1.0)
    by_run = [r for r in profile.requirements.values() if r.get("verified_by") == "capacity"]
    assert by_run
    section = page.partition("## Verified by the capacity run")[2].partition("## ")[0]
    for requirement in by_run:
        assert f"| {requirement['id']} | mandatory | {requirement['title']['en']} | " \
               "the capacity run (below) |" in page
        assert f"- **{requirement['id']}** {requirement['title']['en']}" in section
