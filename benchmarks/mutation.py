"""Mutation testing of the references against the certification suite, with cosmic-ray's
mutation operators.

``python -m benchmarks mutation`` enumerates the mutants of the modules ``mutation.json``
names (cosmic-ray: every position where one of its operators applies), leaves out those a
certification cannot see (code that only a defect switches on; with ``--coverage``, lines that
no scenario executes, reported as such), samples ``--max`` of those not yet judged, and
certifies each: the mutated module is written into a private copy of the suite
(``QRINTEROP_SUITE``), so the checkout is never touched and workers do not collide, and
``qrinterop certify`` runs on the module's reference (institution or switch) one tier of
scenarios after another, stopping at the first that kills it (a scenario failing, in error or
inconclusive, or the run timing out). Results are kept in ``mutants.json`` beside this file,
keyed by the mutant (module, function, operator, the line's text, which one of its kind), not
by line number, so they survive edits elsewhere; a survivor's ``why`` (equivalent, or the
scenario it needs) is written there by hand and kept. docs/CONFORMANCE.md's ``mutants``
section (score and survivors) is rewritten from that file on every run (``--report-only``:
without certifying).

A certification of the reference takes 60-90 s on 2 cores, the smoke tier about a third of
it: a whole module is hours, so run a sample (``--max``), per module (``--modules``), with
``--workers`` on a free machine.
"""

from __future__ import annotations

import argparse
import difflib
import hashlib
import json
import os
import random
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass
from pathlib import Path
from queue import Queue

from benchmarks.refusals import CONFORMANCE, ROOT
from qrinterop.report.conformance import splice

HERE = Path(__file__).resolve().parent
PLAN = HERE / "mutation.json"
RESULTS = HERE / "mutants.json"
#: What a private copy of the suite needs.
SUITE_FOLDERS = ("features", "steps", "mocks", "vectors")
#: Verdicts of a scenario that kill a mutant.
KILLING = {"fail", "error", "inconclusive"}
TIMEOUT_S = 900


@dataclass(frozen=True)
class Mutant:
    """One mutation of one module: cosmic-ray's operator applied at its ``occurrence``."""

    file: str            # relative to the suite's root
    line: int
    function: str
    operator: str
    occurrence: int
    key: str

    def source(self, root: Path = ROOT) -> tuple[str, str]:
        """The module's text, and the mutated text."""
        from cosmic_ray.mutating import mutate_code
        from cosmic_ray.plugins import get_operator

        original = (root / self.file).read_text(encoding="utf-8")
        mutated = mutate_code(original, get_operator(self.operator)(), self.occurrence)
        return original, mutated if mutated is not None else original

    def diff(self, root: Path = ROOT) -> str:
        original, mutated = self.source(root)
        return "\n".join(line for line in difflib.unified_diff(
            original.splitlines(), mutated.splitlines(), lineterm="", n=0)
            if line.startswith(("-", "+")) and not line.startswith(("---", "+++")))


def mutants(file: str, operators: list[str], root: Path = ROOT) -> list[Mutant]:
    """Every mutant of ``file`` by ``operators``, those in code only a defect switches on left
    out (the reference never runs it)."""
    from cosmic_ray.ast import ast_nodes, get_ast_from_path
    from cosmic_ray.ast.ast_query import ASTQuery
    from cosmic_ray.plugins import get_operator

    path = root / file
    lines = path.read_text(encoding="utf-8").splitlines()
    switched = defect_lines(path.read_text(encoding="utf-8"))
    module = get_ast_from_path(path)
    found: list[Mutant] = []
    seen: dict[str, int] = {}
    for name in operators:
        operator = get_operator(name)()
        positions = ((node, start) for node in ast_nodes(module)
                     for start, _end in operator.mutation_positions(node))
        for occurrence, (node, (line, column)) in enumerate(positions):
            if line in switched:
                continue
            function = ASTQuery(node).get_definition_name() or "<module>"
            ident = f"{file}|{function}|{name}|{lines[line - 1].strip()}|{column}"
            seen[ident] = seen.get(ident, -1) + 1
            key = hashlib.sha256(f"{ident}|{seen[ident]}".encode()).hexdigest()[:16]
            found.append(Mutant(file, line, function, name, occurrence, key))
    return found


def defect_lines(source: str) -> set[int]:
    """Lines only a defect switches on, and the lines that ask for a defect."""
    import ast

    from benchmarks.refusals import _switched_by_defect

    lines: set[int] = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.If) and _switched_by_defect(node.test):
            lines.add(node.lineno)
            for statement in node.body:
                lines.update(range(statement.lineno, (statement.end_lineno or 0) + 1))
        elif isinstance(node, ast.Call) and "defects.on" in ast.unparse(node.func):
            lines.update(range(node.lineno, (node.end_lineno or node.lineno) + 1))
    return lines


# --- certifying one mutant ---------------------------------------------------------------

def private_suite(folder: Path, source: Path = ROOT) -> Path:
    """A copy of the suite's folders of ``source`` in ``folder``."""
    for name in SUITE_FOLDERS:
        shutil.copytree(source / name, folder / name,
                        ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
    for extra in ("behave.ini",):
        if (source / extra).is_file():
            shutil.copy2(source / extra, folder / extra)
    return folder


def certify(suite: Path, ics: str | None, tier: list[str] | None, out: Path,
            timeout_s: float = TIMEOUT_S) -> tuple[str, list[str]]:
    """Certify the reference in ``suite`` on ``tier``: ("killed", the scenarios that failed)
    or ("survived", [])."""
    command = [sys.executable, "-m", "qrinterop.cli", "certify", "--out", str(out),
               *(["--ics", str(suite / ics)] if ics else []),
               *(["--tags", " or ".join(f"@tc.{ident}" for ident in tier)] if tier else [])]
    env = {**os.environ, "QRINTEROP_SUITE": str(suite)}
    env.pop("QRINTEROP_COVERAGE_RC", None)
    try:
        subprocess.run(command, env=env, capture_output=True, timeout=timeout_s, check=False,
                       cwd=suite)
    except subprocess.TimeoutExpired:
        return "killed", ["(timed out)"]
    report = out / "report.json"
    if not report.is_file():
        return "killed", ["(no report: the run did not start)"]
    scenarios = json.loads(report.read_text(encoding="utf-8"))["scenarios"]
    failed = [s["id"] for s in scenarios if s["verdict"] in KILLING]
    if not failed and not any(s["verdict"] in ("pass", "warning") for s in scenarios):
        return "killed", ["(no scenario ran)"]
    return ("killed", failed) if failed else ("survived", [])


def judge(mutant: Mutant, suite: Path, plan: dict, pristine: Path = ROOT) -> dict:
    """Write ``mutant`` into ``suite``, certify it tier after tier, put the module back.
    ``pristine``: the suite as it was when the mutants were enumerated (the checkout may be
    edited meanwhile, which would move every later occurrence of an operator)."""
    reference = plan[plan["modules"][mutant.file]]
    original, mutated = mutant.source(pristine)
    target = suite / mutant.file
    started = time.monotonic()
    try:
        compile(mutated, mutant.file, "exec")
    except SyntaxError:                 # cosmic-ray wrote code Python refuses: no mutant
        return {**asdict(mutant), "diff": mutant.diff(pristine), "outcome": "incompetent",
                "tier": 0, "failed": [], "seconds": 0}
    outcome, failed, tiers = "survived", [], 0
    try:
        target.write_text(mutated, encoding="utf-8")
        for tier in reference["tiers"]:
            tiers += 1
            with tempfile.TemporaryDirectory(prefix="qrinterop-mutant-") as out:
                outcome, failed = certify(suite, reference["ics"], tier, Path(out) / "run")
            if outcome == "killed":
                break
    finally:
        target.write_text(original, encoding="utf-8")
    return {**asdict(mutant), "diff": mutant.diff(pristine), "outcome": outcome, "tier": tiers,
            "failed": failed[:10], "seconds": round(time.monotonic() - started)}


# --- results and report ------------------------------------------------------------------

def load_results(path: Path = RESULTS) -> dict[str, dict]:
    return json.loads(path.read_text(encoding="utf-8"))["mutants"] if path.is_file() else {}


def save_results(results: dict[str, dict], path: Path = RESULTS) -> None:
    note = ("Mutants of the references certified by `python -m benchmarks mutation`, keyed by "
            "mutant. A survivor's 'why' is written by hand (equivalent: why; or the scenario it "
            "needs) and kept when the file is rewritten.")
    path.write_text(json.dumps({"note": note, "mutants": dict(sorted(results.items()))},
                               indent=1, ensure_ascii=False) + "\n", encoding="utf-8")


def section(results: dict[str, dict], total: int) -> str:
    """docs/CONFORMANCE.md's ``mutants`` section: the score and every survivor."""
    ran = [r for r in results.values() if r["outcome"] in ("killed", "survived")]
    killed = [r for r in ran if r["outcome"] == "killed"]
    unrun = [r for r in results.values() if r["outcome"] == "not executed"]
    survivors = [r for r in results.values() if r["outcome"] in ("survived", "not executed")]
    score = 100 * len(killed) / max(len(ran), 1)
    strict = 100 * len(killed) / max(len(ran) + len(unrun), 1)
    modules = sorted({r["file"] for r in results.values()})
    lines = [
        "## Mutation testing of the references", "",
        "Measured by `python -m benchmarks mutation` (cosmic-ray's operators on "
        f"{', '.join(modules) or 'no module yet'}; each mutant certified on its reference's "
        "scenarios, tier by tier, `benchmarks/mutation.json`; results in "
        "`benchmarks/mutants.json`).", "",
        f"- Mutants judged: **{len(results)}** of {total} (a sample: a full run is hours); "
        f"{len(results) - len(ran) - len(unrun)} incompetent (not valid Python), not counted.",
        f"- Killed: **{len(killed)} of {len(ran)}** certified (**{score:.0f} %**); counting the "
        f"{len(unrun)} on lines no scenario executes as survivors: {strict:.0f} %.",
        f"- Surviving: {len(survivors)}.", "",
        "| where | function | mutation | outcome | why it survives |",
        "|---|---|---|---|---|",
    ]
    lines += [f"| {r['file']}:{r['line']} | {r['function']} | `{_diff_cell(r['diff'])}` | "
              f"{r['outcome']} | {r.get('why', 'needs a scenario')} |"
              for r in sorted(survivors, key=lambda r: (r["file"], r["line"]))]
    return "\n".join(lines) + "\n"


def _diff_cell(diff: str) -> str:
    return " → ".join(" ".join(line[1:].split()) for line in diff.splitlines()[:2]) \
        .replace("|", "\\|").replace("`", "'")


def write_report(results: dict[str, dict], total: int, page: Path = CONFORMANCE) -> None:
    text = page.read_text(encoding="utf-8") if page.is_file() else ""
    page.write_text(splice(text, "mutants", section(results, total)), encoding="utf-8")


# --- the command -------------------------------------------------------------------------

def executed_lines(folder: Path | None) -> dict[str, set[int]] | None:
    """The lines a measured certification executed (``python -m benchmarks coverage --data``)."""
    if folder is None:
        return None
    from benchmarks.refusals import executed

    return executed(folder)[0]


def statement_starts(source: str) -> dict[int, int]:
    """Line → the first line of the statement it belongs to: coverage.py counts a statement
    written over several lines (or a compound statement's header: an ``if`` with a long
    test) as run on its first line only."""
    import ast

    starts: dict[int, int] = {}
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.stmt):
            body = getattr(node, "body", None)
            last = max(node.lineno, body[0].lineno - 1) if body else node.end_lineno
            for line in range(node.lineno, (last or node.lineno) + 1):
                starts[line] = node.lineno
    return starts


def unexecuted(mutant: Mutant, lines: dict[str, set[int]], starts: dict[int, int]) -> bool:
    return starts.get(mutant.line, mutant.line) not in lines.get(mutant.file, set())


def sample(candidates: list[Mutant], results: dict[str, dict], most: int,
           seed: int) -> list[Mutant]:
    """``most`` mutants not yet judged, drawn at random (the same for the same seed)."""
    fresh = [m for m in candidates if m.key not in results]
    random.Random(seed).shuffle(fresh)
    return fresh[:most]


def run(chosen: list[Mutant], plan: dict, workers: int,
        pristine: Path = ROOT) -> Iterator[dict]:
    """Judge ``chosen`` on ``workers`` private suites copied from ``pristine``, yielding each
    result as it comes."""
    with tempfile.TemporaryDirectory(prefix="qrinterop-mutation-") as scratch:
        suites: Queue[Path] = Queue()
        for n in range(workers):
            suites.put(private_suite(Path(scratch) / f"suite-{n}", pristine))

        def one(mutant: Mutant) -> dict:
            suite = suites.get()
            try:
                return judge(mutant, suite, plan, pristine)
            finally:
                suites.put(suite)

        with ThreadPoolExecutor(workers) as pool:
            yield from pool.map(one, chosen)


def main(argv: list[str] | None = None) -> int:
    plan = json.loads(PLAN.read_text(encoding="utf-8"))
    parser = argparse.ArgumentParser(prog="python -m benchmarks mutation", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--modules", nargs="+", default=list(plan["modules"]),
                        choices=list(plan["modules"]), metavar="FILE",
                        help="modules to mutate (default: all of mutation.json's)")
    parser.add_argument("--max", type=int, default=20, help="mutants to certify this run")
    parser.add_argument("--workers", type=int, default=1, help="certifications at once")
    parser.add_argument("--seed", type=int, default=15, help="of the sample")
    parser.add_argument("--coverage", type=Path, help="coverage data of a measured "
                        "certification (benchmarks coverage --data): mutants on lines it never "
                        "executed are recorded as such, not certified")
    parser.add_argument("--only", nargs="+", metavar="KEY", default=[],
                        help="certify these mutants (mutants.json keys) again, and no other")
    parser.add_argument("--rerun-survivors", action="store_true",
                        help="certify the survivors again (after scenarios were added)")
    parser.add_argument("--report-only", action="store_true",
                        help="rewrite the CONFORMANCE.md section from mutants.json only")
    parser.add_argument("--conformance", type=Path, default=CONFORMANCE)
    args = parser.parse_args(argv)
    results = load_results()
    snapshot = tempfile.TemporaryDirectory(prefix="qrinterop-pristine-")
    pristine = private_suite(Path(snapshot.name))     # what the mutants are mutants of
    candidates = [m for file in args.modules for m in mutants(file, plan["operators"],
                                                             pristine)]
    if not args.report_only:
        if args.rerun_survivors:
            for key in [k for k, r in results.items() if r["outcome"] != "killed"]:
                del results[key]
        lines = executed_lines(args.coverage)
        if lines is not None:
            starts = {file: statement_starts((pristine / file).read_text(encoding="utf-8"))
                      for file in args.modules}
            for mutant in candidates:
                if mutant.key not in results and unexecuted(mutant, lines, starts[mutant.file]):
                    results[mutant.key] = {**asdict(mutant), "diff": mutant.diff(pristine),
                                           "outcome": "not executed", "tier": 0, "failed": [],
                                           "seconds": 0}
        for key in args.only:
            results.pop(key, None)
        chosen = sample([m for m in candidates if m.key in args.only] if args.only
                        else candidates, results, args.max, args.seed)
        print(f"{len(candidates)} mutants; certifying {len(chosen)}", file=sys.stderr)
        for result in run(chosen, plan, args.workers, pristine):
            kept = results.get(result["key"], {}).get("why")
            results[result["key"]] = {**result, **({"why": kept} if kept else {})}
            save_results(results)
            print(f"{result['outcome']:>8} {result['seconds']:>4}s {result['file']}:"
                  f"{result['line']} {result['operator'].split('/')[-1]}", file=sys.stderr)
        save_results(results)
    snapshot.cleanup()
    everything = mutants_of_all(plan)
    where = {m.key: m.line for m in everything}      # lines move as the modules are edited
    for result in results.values():
        result["line"] = where.get(result["key"], result["line"])
    # Reported: the mutants that still exist (an edited line makes others of its own).
    write_report({k: r for k, r in results.items() if k in where}, len(everything),
                 args.conformance)
    judged = [r for r in results.values() if r["outcome"] in ("killed", "survived")]
    killed = sum(r["outcome"] == "killed" for r in judged)
    print(f"mutation score: {killed} of {len(judged)} killed")
    return 0


def mutants_of_all(plan: dict) -> list[Mutant]:
    return [m for file in plan["modules"] for m in mutants(file, plan["operators"])]
