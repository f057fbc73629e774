"""The commands that measure the suite's power on the references: the refusals a certification
never runs (``python -m benchmarks coverage``) and mutation testing
(``python -m benchmarks mutation``)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from benchmarks import mutation, refusals
from qrinterop.report.conformance import keep_measured, measured_block, splice
from tests.conftest import ROOT

CODES = {"12", "35", "61", "64"}
SOURCE = '''
class Issuer:
    def purchase(self, message, body):
        if body["amount"] > 100:
            return self.refuse(message, "61")
        if self.defects.on("skip-check"):
            return self.refuse(message, "35")
        if body["respCode"] == "12":
            status = "declined"
        try:
            pass
        except ValueError:
            raise
        return self.reply(message, {"respCode": "00"})

    def control(self):
        def inner():
            raise ControlError(404, "no such account")
        return web.json_response({}, status=409)
'''


def test_finds_the_refusals_of_a_module():
    """Codes other than 00 answered, raises and HTTP errors; not a comparison, a bare re-raise,
    nor what only a defect switches on."""
    found = refusals.find_refusals(SOURCE, "mocks/x.py", CODES)
    assert [(r.line, r.function, r.what) for r in found] == [
        (5, "Issuer.purchase", "61"), (18, "Issuer.control.inner", "raise"),
        (19, "Issuer.control", "HTTP 409")]
    assert found[0].key == "mocks/x.py::Issuer.purchase::return self.refuse(message, '61')"


def test_a_refusal_keeps_its_key_when_lines_move():
    moved = refusals.find_refusals("\n\n# a comment\n" + SOURCE, "mocks/x.py", CODES)
    assert [r.key for r in moved] == [r.key for r in
                                      refusals.find_refusals(SOURCE, "mocks/x.py", CODES)]
    assert moved[0].line == 8


def test_the_references_refusals_include_the_expired_code():
    """The issue's example: the 73 of an expired payment code is one of the refusals."""
    found = refusals.references()
    assert any(r.file == "mocks/issuing.py" and r.what == "73" for r in found)
    assert not any(r.file == "mocks/merchant_codes.py" and r.what != "raise" for r in found)


def test_the_allowlist_keeps_reasons_and_finds_stale_entries(tmp_path):
    found = refusals.find_refusals(SOURCE, "mocks/x.py", CODES)
    path = tmp_path / "allowed.json"
    path.write_text(refusals.allowlist(found[:2], {found[0].key: "deliberate"}))
    allowed = refusals.load_allowed(path)
    assert allowed == {found[0].key: "deliberate", found[1].key: refusals.NEEDS_A_SCENARIO}
    missing, stale = refusals.judged([found[1], found[2]], allowed)
    assert missing == [found[2]] and stale == [found[0].key]


def test_every_allowed_refusal_has_a_reason_and_exists():
    allowed = refusals.load_allowed()
    assert all(reason.strip() for reason in allowed.values())
    assert set(allowed) <= {r.key for r in refusals.references()}


def test_the_section_names_each_refusal_that_never_ran():
    found = refusals.find_refusals(SOURCE, "mocks/x.py", CODES)
    text = refusals.section(found, found[1:], {"branches": 10, "covered": 7},
                            {found[1].key: "deliberate"})
    assert "**7 of 10** (70 %)" in text and "**1 of 3** ran" in text
    assert "| mocks/x.py:18 | Issuer.control.inner | raise |" in text
    assert "deliberate" in text and refusals.NEEDS_A_SCENARIO in text


def test_measured_sections_survive_a_regenerated_page():
    page = splice("# Conformance\n", "refusals", "old figures")
    page = splice(page, "refusals", "new figures")
    assert page.count("measured:refusals -->") == 2 and "old" not in page
    regenerated = keep_measured(page, "# Conformance, regenerated\n")
    assert regenerated.endswith(measured_block("refusals", "new figures"))


MODULE = '''
def charge(balance, amount):
    if amount > balance:
        return "51"
    if defects.on("overdraw"):
        return amount <= balance
    return balance - amount
'''


def test_mutants_are_keyed_by_what_they_change_not_where(tmp_path):
    (tmp_path / "mocks").mkdir()
    module = tmp_path / "mocks" / "m.py"
    module.write_text(MODULE)
    operators = ["core/ReplaceComparisonOperator_Gt_GtE", "core/ReplaceBinaryOperator_Sub_Add",
                 "core/ReplaceComparisonOperator_LtE_Lt"]
    found = mutation.mutants("mocks/m.py", operators, tmp_path)
    assert [(m.line, m.function) for m in found] == [(3, "charge"), (7, "charge")]
    assert found[0].diff(tmp_path) == ("-    if amount > balance:\n"
                                       "+    if amount >= balance:")
    module.write_text("import defects\n" + MODULE)
    assert [m.key for m in mutation.mutants("mocks/m.py", operators, tmp_path)] == \
        [m.key for m in found]


def test_the_sample_is_fresh_and_repeatable(tmp_path):
    (tmp_path / "mocks").mkdir()
    (tmp_path / "mocks" / "m.py").write_text(MODULE)
    found = mutation.mutants("mocks/m.py", ["core/ReplaceComparisonOperator_Gt_GtE",
                                            "core/ReplaceBinaryOperator_Sub_Add"], tmp_path)
    assert mutation.sample(found, {}, 2, seed=1) == mutation.sample(found, {}, 2, seed=1)
    assert mutation.sample(found, {found[0].key: {}}, 2, seed=1) == [found[1]]


def test_the_mutants_section_gives_the_score_and_the_survivors():
    def result(outcome, line, **extra):
        return {"file": "mocks/issuing.py", "line": line, "function": "f", "outcome": outcome,
                "diff": "-        if a < b:\n+        if a <= b:", **extra}
    results = {"a": result("killed", 1), "b": result("killed", 2), "c": result("survived", 3),
               "d": result("not executed", 4), "e": result("survived", 5, why="equivalent")}
    text = mutation.section(results, 100)
    assert "**2 of 4** certified (**50 %**)" in text and "as survivors: 40 %" in text
    assert "| mocks/issuing.py:3 | f | `if a < b: → if a <= b:` | survived | needs a scenario |" \
        in text
    assert "| equivalent |" in text and "mocks/issuing.py:1 " not in text


def test_the_plan_names_modules_references_and_operators():
    from cosmic_ray.plugins import operator_names

    plan = json.loads(mutation.PLAN.read_text(encoding="utf-8"))
    assert set(plan["operators"]) <= set(operator_names())
    assert all((ROOT / module).is_file() and plan[reference]["tiers"]
               for module, reference in plan["modules"].items())


@pytest.mark.e2e
def test_coverage_command_on_one_scenario(tmp_path):
    """One scenario measured: the command writes its section and says what never ran."""
    page = tmp_path / "CONFORMANCE.md"
    done = subprocess.run([sys.executable, "-m", "benchmarks", "coverage", "--tags",
                           "@tc.CPM-01", "--data", str(tmp_path / "data"), "--conformance",
                           str(page)], cwd=ROOT, capture_output=True, text=True, timeout=300,
                          check=False)
    assert done.returncode == 1, done.stdout + done.stderr       # most refusals never ran
    ran = int(done.stdout.split("refusals: ")[1].split(" of")[0])
    assert ran > 0 and "never ran: mocks/issuing.py" in done.stdout
    assert "<!-- measured:refusals -->" in page.read_text(encoding="utf-8")
    assert list(Path(tmp_path / "data").glob(".coverage*"))


def test_a_mutant_on_a_continuation_line_counts_as_its_statement():
    """coverage.py marks a statement run on its first line only: a mutant of the second line
    of a long condition is not 'never executed' when the condition ran."""
    source = "if (a\n        and b):\n    x = (1 +\n         2)\n"
    assert mutation.statement_starts(source) == {1: 1, 2: 1, 3: 3, 4: 3}
    mutant = mutation.Mutant("mocks/m.py", 2, "f", "core/AddNot", 0, "k")
    assert not mutation.unexecuted(mutant, {"mocks/m.py": {1}}, mutation.statement_starts(source))
    assert mutation.unexecuted(mutant, {"mocks/m.py": {3}}, mutation.statement_starts(source))


def test_a_mutant_python_refuses_is_incompetent_not_a_survivor(tmp_path, monkeypatch):
    (tmp_path / "mocks").mkdir()
    (tmp_path / "mocks" / "m.py").write_text(
        "def f(x):\n    if refusal := g(x):\n        return refusal\n")
    monkeypatch.setattr(mutation, "ROOT", tmp_path)
    found = mutation.mutants("mocks/m.py", ["core/AddNot"], tmp_path)
    plan = {"modules": {"mocks/m.py": "institution"}, "institution": {"ics": None, "tiers": []}}
    monkeypatch.setattr(mutation.Mutant, "source", lambda self, root=tmp_path: (
        "x = 1\n", "if not refusal := g(x):\n    pass\n"))
    monkeypatch.setattr(mutation.Mutant, "diff", lambda self, root=tmp_path: "")
    assert mutation.judge(found[0], tmp_path, plan)["outcome"] == "incompetent"
