"""``qrinterop selftest``: prove the suite can tell a good implementation from a bad one.

Certifies the references (the reference institution, which must be conformant, and the
reference switch), each with the verdict ``mocks/defects.json`` expects of it, then every
defective variant there on the scenarios in its scope (each must get its expected verdict,
with the scenarios it names among the failures, one of them failing under a requirement the
defect breaks whose verdict is fail: ``judging/selftest.py`` reads why from each run's
report), and finally checks that every scenario
failed against at least one variant — a scenario no defect can make fail is a scenario that
cannot fail.

A variant whose result is not the expected one is certified once more before it counts as
missed: a machine under load can fail a timing-bound scenario once. The matrix keeps the first
attempt (``retried``), so a flaky scenario is reported, never hidden. Likewise a scenario that
no variant made fail is certified once more against every variant it ran against, on its own;
one that fails then is listed as ``rechecked``, not as never failed.
"""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor, as_completed
from dataclasses import replace
from multiprocessing import get_context
from pathlib import Path

from qrinterop.errors import UsageError
from qrinterop.judging.selftest import (
    CAPACITY,
    Certified,
    Grounds,
    SelftestResult,
    VariantResult,
    breaks_of,
)
from qrinterop.runner.bdd.suite import locate
from qrinterop.runner.capacity.certification import capacity as capacity_run
from qrinterop.runner.capacity.engine import CapacityOptions
from qrinterop.runner.certify import (
    CertifyOptions,
    certify,
    default_run_dir,
    new_run_id,
    selecting,
)

#: Seconds of a selftest's capacity runs: through every stage of the profile's shape, long
#: enough for a queue that grows at the peak to pass the p99 limit, short enough for a sample.
SELFTEST_CAPACITY_S = 20


def selftest(out: Path | None = None, base_port: int = 0, jobs: int = 1,
             on_variant: Callable[[VariantResult], None] = lambda _v: None,
             only: list[str] | None = None, binding: str | None = None) -> SelftestResult:
    """Certify the reference and every variant, ``jobs`` at a time in worker processes (a
    run mostly waits on its simulated network, so more jobs than cores still pays); with a
    ``base_port``, variant n takes the ports from ``base_port + 10 n``. With ``only``, just
    those defects: no reference, and no scenario can be said never to fail. ``binding``:
    every reference and variant speaks it (a binding-specific defect keeps its own); a
    defect none of whose catching scenarios apply on that wire is said not to apply."""
    suite = locate()
    out = out or default_run_dir(f"selftest-{new_run_id()}")
    references = suite.references()
    # (defect, sut, breaks, expected verdict, scenarios that must fail, scope tags, capacity)
    plan: list[tuple[str | None, str, tuple[str, ...], str, list[str], str | None, bool]] = [
        (None, sut, (), spec["expect"], [], None, sut == "institution")
        for sut, spec in references.items() if only is None]
    plan += [(name, spec.get("sut", "institution"), breaks_of(spec), spec["expect"],
              spec["caught_by"], scope(spec), by_capacity(spec))
             for name, spec in suite.defects().items() if only is None or name in only]
    runs = [(defect, suite.mocks / references[sut]["ics"],
             out / (defect or f"reference-{sut}"), base_port + 10 * n if base_port else 0, tags,
             binding, capacity)
            for n, (defect, sut, _breaks, _expect, _caught, tags, capacity) in enumerate(plan)]
    variants: dict[int, VariantResult] = {}
    with ProcessPoolExecutor(max_workers=jobs, mp_context=get_context("spawn")) as pool:
        def judge(attempts: dict) -> list[int]:
            """Record each finished run; the indexes of those not as expected."""
            unexpected = []
            for future in as_completed(attempts):
                n = attempts[future]
                defect, sut, breaks, expected, must_fail, _tags, _capacity = plan[n]
                first = variants.get(n)
                done = Certified(*future.result())
                variants[n] = VariantResult(
                    defect, breaks, expected, done.verdict, done.failed, must_fail, done.ran,
                    done.run_dir, sut, None if defect else references[sut].get("why"),
                    {"verdict": first.verdict, "failed": first.failed,
                     "why_not": first.why_not, "run_dir": str(first.run_dir)} if first else None,
                    done.grounds, binding)
                if variants[n].ok or first:
                    on_variant(variants[n])
                else:
                    unexpected.append(n)
            return unexpected

        # A capacity run measures the machine: it runs alone, once every other run is done.
        alone = [n for n, entry in enumerate(plan) if entry[6]]

        def certified(ns: list[int], retry: bool = False) -> list[int]:
            def submitted(n: int) -> tuple:
                return pool.submit(_certify_variant, *(_retry(runs[n]) if retry else runs[n])), n
            at_once = dict(submitted(n) for n in ns if n not in alone)
            return [*judge(at_once),
                    *(m for n in ns if n in alone for m in judge(dict([submitted(n)])))]

        certified(certified(list(range(len(runs)))), retry=True)
        ordered = [variants[n] for n in range(len(plan))]
        applied = {s for v in ordered for s in v.ran}     # @absent. ones apply to variants only
        result = SelftestResult(ordered, [s for s, _tags in suite.scenarios()
                                          if s in applied and only is None])
        result.rechecked = _recheck(pool, result, runs)
    return result


def choose(catalogue: list[str], names: str | None, sample: int | None,
           seed: str) -> list[str] | None:
    """The defects a partial selftest certifies: those ``names`` matches (comma-separated
    names or shell patterns), then ``sample`` of them drawn with ``seed`` (a nightly run
    seeded by its date covers the catalogue over a week); None: the whole catalogue.
    :class:`UsageError` for a pattern that matches nothing."""
    import fnmatch
    import random

    if names is None and sample is None:
        return None
    chosen = catalogue
    if names is not None:
        patterns = [p.strip() for p in names.split(",") if p.strip()]
        for pattern in patterns:
            if not fnmatch.filter(catalogue, pattern):
                raise UsageError(f"--defects: {pattern!r} matches no defect of "
                                 f"mocks/defects.json")
        chosen = [d for d in catalogue if any(fnmatch.fnmatch(d, p) for p in patterns)]
    if sample is not None and sample < len(chosen):
        chosen = sorted(random.Random(seed).sample(chosen, sample), key=chosen.index)
    return chosen


def _retry(run: tuple, suffix: str = "-retry", tags: str | None = None) -> tuple:
    """The same certification again (on the same ports, free again), in a folder of its own,
    on ``tags`` if given."""
    defect, ics, run_dir, base_port, scope_tags, binding, capacity = run
    return (defect, ics, run_dir.with_name(run_dir.name + suffix), base_port,
            tags or scope_tags, binding, capacity and not tags)


def _recheck(pool: ProcessPoolExecutor, result: SelftestResult,
             runs: list[tuple]) -> dict[str, list[str]]:
    """The scenarios no variant made fail, certified again against each variant they ran
    against (only they, so it is quick): each one that fails now, with those variants."""
    missing = set(result.never_failed)
    attempts = {}
    for variant, run in zip(result.variants, runs, strict=True):
        ids = [s for s in variant.ran if s in missing]
        if variant.defect and ids:
            attempts[pool.submit(_certify_variant,
                                 *_retry(run, "-recheck", selecting(ids)))] = variant.defect
    found: dict[str, list[str]] = {}
    for future in as_completed(attempts):
        for scenario in future.result()[1]:
            found.setdefault(scenario, []).append(attempts[future])
    return {s: sorted(found[s]) for s in result.scenarios if s in found}


def scope(spec: dict) -> str | None:
    """The scenarios a defective variant is certified by: those of its ``scope`` (a tag
    expression), else those of the requirements it breaks and those expected to catch it
    (None: all). The intact reference runs them all, so every scenario is judged once."""
    if isinstance(spec.get("scope"), str):
        return spec["scope"]
    tags = [f"@req.{requirement}" for requirement in breaks_of(spec)]
    tags += [f"@tc.{ident}" for ident in spec["caught_by"]]
    return " or ".join(tags) or None


def by_capacity(spec: dict) -> bool:
    """Whether the capacity run is what catches a defect (its scope ``{"capacity": true}``):
    it is certified by a capacity run alone, no scenario."""
    return isinstance(spec.get("scope"), dict) and spec["scope"].get("capacity", False)


def _certify_variant(defect: str | None, ics: Path, run_dir: Path, base_port: int,
                     tags: str | None, binding: str | None = None,
                     capacity: bool = False) -> Certified:
    """One certification in a worker process: its verdict, failed and applicable scenarios
    (the capacity run among them as ``capacity``, when there is one), and the grounds of its
    failures (what they were reported under). A capacity defect gets a capacity run alone;
    the reference institution, its scenarios and a capacity run, so that the load that
    catches the defect is shown not to fail the reference."""
    defects = (defect,) if defect else ()
    load = CapacityOptions(duration_s=SELFTEST_CAPACITY_S, defects=defects, binding=binding)
    if capacity and defect:
        report = capacity_run(replace(load, ics=ics, out=run_dir)).report
    else:
        report = certify(CertifyOptions(ics=ics, out=run_dir, base_port=base_port, tags=tags,
                                        defects=defects, binding=binding,
                                        capacity=load if capacity else None,
                                        command="qrinterop certify")).report
    scenarios = [*report["scenarios"], *_capacity_row(report)]
    return Certified(report["verdict"], [s["id"] for s in scenarios if s["verdict"] == "fail"],
                     [s["id"] for s in scenarios if s["verdict"] != "not_applicable"], run_dir,
                     Grounds.of(report))


def _capacity_row(report: dict) -> list[dict]:
    """The capacity run as one more of the run's scenarios, with its verdict."""
    section = report.get("capacity")
    return [{"id": CAPACITY, "verdict": section["verdict"]}] if section else []
