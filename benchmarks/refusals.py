"""Every refusal of the references runs: branch coverage of ``mocks/`` under a certification of
the reference institution and the reference switch, and the refusals that never ran.

``python -m benchmarks coverage`` certifies both references with every simulator under
coverage.py (``QRINTEROP_COVERAGE_RC``: the process launcher starts each child as
``python -m coverage run``, each writing its own data file), combines the data, and writes the
refusal branches that no scenario made run into docs/CONFORMANCE.md (its ``refusals`` measured
section). A refusal is found in the code, not listed by hand (:func:`find_refusals`): a
statement that answers a response code other than 00, an HTTP error status, or raises. Those
deliberately out of the suite's reach are in ``refusals-allowed.json`` beside this file, each
with its reason; ``--update-allowlist`` rewrites it from the run (keeping the reasons already
written), and tests/test_certify_e2e.py fails when a refusal outside it never runs.
"""

from __future__ import annotations

import argparse
import ast
import json
import os
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from qrinterop.profile import load_profile
from qrinterop.report.conformance import splice
from qrinterop.runner.processes.services import COVERAGE_RC_VARIABLE

ROOT = Path(__file__).resolve().parent.parent
ALLOWED = Path(__file__).with_name("refusals-allowed.json")
CONFORMANCE = ROOT / "docs" / "CONFORMANCE.md"
#: The certifications measured: the reference institution, then the reference switch.
CERTIFICATIONS: tuple[tuple[str, ...], ...] = (
    (), ("--ics", str(ROOT / "mocks/reference-switch-ics.yaml")))
#: A reason not yet written: what --update-allowlist gives a refusal it newly finds unrun.
NEEDS_A_SCENARIO = "needs a scenario"
#: Modules whose two-digit strings are not response codes (EMV tags): only raises count there.
NO_RESPONSE_CODES = {"mocks/merchant_codes.py"}


@dataclass(frozen=True)
class Refusal:
    """One statement of a reference that refuses: answers ``what`` (a response code, an HTTP
    status, or ``raise``)."""

    file: str          # relative to the suite's root: mocks/issuing.py
    line: int
    function: str      # qualified: Issuer.purchase
    what: str
    statement: str     # ast.unparse of the statement, the key's stable part

    @property
    def key(self) -> str:
        """Stable across edits elsewhere in the file (no line number)."""
        return f"{self.file}::{self.function}::{self.statement}"


def refusal_codes() -> set[str]:
    """The profile's response codes that refuse: every one but 00."""
    return set(load_profile().response_codes) - {"00"}


def find_refusals(source: str, file: str, codes: set[str]) -> list[Refusal]:
    """The refusals of one module, in line order. A statement refuses when it raises, names
    one of ``codes`` as a string (not in a comparison: ``if code == "35"`` tests, it does not
    answer) or passes ``status=`` an HTTP error. Statements a defect switches on
    (``if …defects.on(…):``) are the variants', not the reference's, and are left out."""
    found: list[Refusal] = []
    for function, statement in _statements(ast.parse(source), ""):
        function = function or "<module>"
        if what := _refuses(statement, codes):
            found.append(Refusal(file, statement.lineno, function, what, ast.unparse(statement)))
    return found


def _statements(node: ast.AST, scope: str) -> Iterator[tuple[str, ast.stmt]]:
    """Every simple statement under ``node`` with its function's qualified name, bodies that a
    defect switches on skipped."""
    for child in ast.iter_child_nodes(node):
        if isinstance(child, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
            yield from _statements(child, f"{scope}.{child.name}".lstrip("."))
        elif isinstance(child, ast.If) and _switched_by_defect(child.test):
            for orelse in child.orelse:
                yield from _statements(ast.Module(body=[orelse], type_ignores=[]), scope)
        elif isinstance(child, ast.stmt) and not hasattr(child, "body"):
            yield scope, child
        elif isinstance(child, ast.stmt | ast.ExceptHandler | ast.match_case):
            yield from _statements(child, scope)


def _switched_by_defect(test: ast.expr) -> bool:
    """``defects.on(…)`` or ``self.defects.on(…)``, alone or and-ed (not negated)."""
    if isinstance(test, ast.BoolOp) and isinstance(test.op, ast.And):
        return any(_switched_by_defect(value) for value in test.values)
    return (isinstance(test, ast.Call) and isinstance(test.func, ast.Attribute)
            and test.func.attr == "on" and "defects" in ast.unparse(test.func.value))


def _refuses(statement: ast.stmt, codes: set[str]) -> str | None:
    if isinstance(statement, ast.Raise):
        return "raise" if statement.exc is not None else None   # a bare raise passes one on
    compared = {id(node) for compare in ast.walk(statement) if isinstance(compare, ast.Compare)
                for node in ast.walk(compare)}
    for node in ast.walk(statement):
        if id(node) in compared:
            continue
        if isinstance(node, ast.Constant) and isinstance(node.value, str) and node.value in codes:
            return node.value
        if (isinstance(node, ast.keyword) and node.arg == "status"
                and isinstance(node.value, ast.Constant) and isinstance(node.value.value, int)
                and node.value.value >= 400):
            return f"HTTP {node.value.value}"
    return None


def references(root: Path = ROOT) -> list[Refusal]:
    """Every refusal of every module of the references (``mocks/``)."""
    codes = refusal_codes()
    found = []
    for path in sorted((root / "mocks").glob("*.py")):
        file = path.relative_to(root).as_posix()
        found += find_refusals(path.read_text(encoding="utf-8"), file,
                               set() if file in NO_RESPONSE_CODES else codes)
    return found


# --- measuring ---------------------------------------------------------------------------

def write_rcfile(folder: Path, root: Path = ROOT) -> Path:
    """A coverage.py configuration measuring branches of ``mocks/``, one data file per
    process in ``folder``."""
    rcfile = folder / "coveragerc"
    rcfile.write_text("[run]\nbranch = True\nparallel = True\nsigterm = True\n"
                      f"data_file = {folder / '.coverage'}\nsource = {root / 'mocks'}\n",
                      encoding="utf-8")
    return rcfile


def measured_env(folder: Path) -> dict[str, str]:
    """The environment under which a certification's simulators are measured into
    ``folder``."""
    return {**os.environ, COVERAGE_RC_VARIABLE: str(write_rcfile(folder))}


def executed(folder: Path, root: Path = ROOT) -> tuple[dict[str, set[int]], dict[str, int]]:
    """Combine the data files in ``folder``: the lines that ran, by file relative to ``root``,
    and the branch totals (``branches``, ``covered``)."""
    import coverage

    cov = coverage.Coverage(config_file=str(folder / "coveragerc"))
    cov.combine([str(folder)], keep=True)
    cov.save()
    report = folder / "coverage.json"
    cov.json_report(outfile=str(report))
    files = json.loads(report.read_text(encoding="utf-8"))["files"]
    lines = {Path(name).resolve().relative_to(root).as_posix(): set(data["executed_lines"])
             for name, data in files.items()}
    totals = {"branches": sum(d["summary"]["num_branches"] for d in files.values()),
              "covered": sum(d["summary"]["covered_branches"] for d in files.values())}
    for name, data in files.items():        # and each module's, for the page's table
        module = Path(name).resolve().relative_to(root).as_posix()
        totals[f"{module} branches"] = data["summary"]["num_branches"]
        totals[f"{module} covered"] = data["summary"]["covered_branches"]
    return lines, totals


def never_ran(refusals: list[Refusal], lines: dict[str, set[int]]) -> list[Refusal]:
    """The refusals whose statement never executed."""
    return [r for r in refusals if r.line not in lines.get(r.file, set())]


# --- the allow-list ----------------------------------------------------------------------

def load_allowed(path: Path = ALLOWED) -> dict[str, str]:
    """Refusal key → why it is out of the suite's reach."""
    if not path.is_file():
        return {}
    return {entry["key"]: entry["reason"]
            for entry in json.loads(path.read_text(encoding="utf-8"))["allowed"]}


def allowlist(unrun: list[Refusal], reasons: dict[str, str]) -> str:
    """The allow-list file's text for ``unrun``, reasons kept from ``reasons``."""
    entries = [{"key": r.key, "where": f"{r.file}:{r.line}", "answers": r.what,
                "reason": reasons.get(r.key, NEEDS_A_SCENARIO)} for r in unrun]
    note = ("Refusals of the references (mocks/) that no scenario of a full certification "
            "makes run, each with why. Rewritten by `python -m benchmarks coverage "
            "--update-allowlist` (reasons kept); a reason 'needs a scenario' is a gap to close.")
    return json.dumps({"note": note, "allowed": entries}, indent=2, ensure_ascii=False) + "\n"


def judged(unrun: list[Refusal], allowed: dict[str, str]) -> tuple[list[Refusal], list[str]]:
    """The refusals that never ran and are not allowed, and the allowed keys that ran or no
    longer exist (the list is stale: rewrite it)."""
    keys = {r.key for r in unrun}
    return [r for r in unrun if r.key not in allowed], sorted(set(allowed) - keys)


# --- the report --------------------------------------------------------------------------

def section(refusals: list[Refusal], unrun: list[Refusal], totals: dict[str, int],
            allowed: dict[str, str]) -> str:
    """docs/CONFORMANCE.md's section: the figures and every refusal that never ran."""
    share = 100 * totals["covered"] / max(totals["branches"], 1)
    lines = [
        "## Refusals of the references that never run", "",
        "Measured by `python -m benchmarks coverage`: branch coverage (coverage.py) of `mocks/` "
        "under a full certification of the reference institution and of the reference switch. "
        "A refusal is a statement that answers a response code other than 00, an HTTP error, "
        "or raises (found in the code, `benchmarks/refusals.py`); one that never runs could be "
        "deleted with the suite still green. Those allowed are in "
        "`benchmarks/refusals-allowed.json`, each with its reason.", "",
        f"- Branches of `mocks/` that ran: **{totals['covered']} of {totals['branches']}** "
        f"({share:.0f} %).",
        f"- Refusals: **{len(refusals) - len(unrun)} of {len(refusals)}** ran; "
        f"{len(unrun)} never ran.", "",
        "| module | branches that ran | refusals that ran |", "|---|---|---|",
    ]
    for module in sorted({r.file for r in refusals} | {k.split(" ")[0] for k in totals
                                                        if k.endswith(" branches")}):
        ran = [r for r in refusals if r.file == module and r not in unrun]
        mine = [r for r in refusals if r.file == module]
        if mine or totals.get(module + " branches"):
            lines.append(f"| {module} | {totals.get(module + ' covered', 0)} of "
                         f"{totals.get(module + ' branches', 0)} | {len(ran)} of {len(mine)} |")
    lines += [
        "",
        "| where | function | answers | statement | why it never runs |",
        "|---|---|---|---|---|",
    ]
    lines += [f"| {r.file}:{r.line} | {r.function} | {r.what} | `{_cell(r.statement)}` | "
              f"{allowed.get(r.key, NEEDS_A_SCENARIO)} |" for r in unrun]
    return "\n".join(lines) + "\n"


def _cell(text: str, most: int = 70) -> str:
    text = " ".join(text.split()).replace("|", "\\|").replace("`", "'")
    return text if len(text) <= most else text[:most - 1] + "…"


# --- the command -------------------------------------------------------------------------

def certify_measured(folder: Path, tags: str | None, jobs: int) -> None:
    """Certify both references with their simulators measured into ``folder``."""
    env = measured_env(folder)
    for n, extra in enumerate(CERTIFICATIONS):
        command = [sys.executable, "-m", "qrinterop.cli", "certify", *extra, "--jobs", str(jobs),
                   "--out", str(folder / f"run-{n}"), *(["--tags", tags] if tags else [])]
        done = subprocess.run(command, env=env, capture_output=True, text=True, check=False)
        print(done.stdout.strip().splitlines()[-1] if done.stdout.strip() else done.stderr,
              file=sys.stderr)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks coverage", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data", type=Path, help="keep the coverage data in this folder "
                        "(default: a temporary one)")
    parser.add_argument("--no-certify", action="store_true",
                        help="analyse the data already in --data instead of certifying")
    parser.add_argument("--tags", help="certify only these scenarios (a quick look)")
    parser.add_argument("--jobs", type=int, default=1, help="workers per certification")
    parser.add_argument("--update-allowlist", action="store_true",
                        help=f"rewrite {ALLOWED.name} from this run, reasons kept")
    parser.add_argument("--conformance", type=Path, default=CONFORMANCE,
                        help="page whose 'refusals' section to write (default: %(default)s)")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="qrinterop-coverage-") as scratch:
        folder = args.data or Path(scratch)
        folder.mkdir(parents=True, exist_ok=True)
        if not args.no_certify:
            certify_measured(folder, args.tags, args.jobs)
        lines, totals = executed(folder)
    refusals = references()
    unrun = never_ran(refusals, lines)
    allowed = load_allowed()
    if args.update_allowlist:
        ALLOWED.write_text(allowlist(unrun, allowed), encoding="utf-8")
        allowed = load_allowed()
    page = args.conformance.read_text(encoding="utf-8") if args.conformance.is_file() else ""
    args.conformance.write_text(splice(page, "refusals", section(refusals, unrun, totals,
                                                                 allowed)), encoding="utf-8")
    missing, stale = judged(unrun, allowed)
    print(f"refusals: {len(refusals) - len(unrun)} of {len(refusals)} ran; branches "
          f"{totals['covered']} of {totals['branches']}; not allowed: {len(missing)}; "
          f"stale allow-list entries: {len(stale)}")
    for refusal in missing:
        print(f"  never ran: {refusal.file}:{refusal.line} {refusal.function} "
              f"answers {refusal.what}")
    return 1 if missing or stale else 0
