"""Judging a capacity run: the measured section (``runner/capacity``) held to the profile's
limits (capacity.json) and the ICS's declaration, each judgement reported under the
requirements capacity.json names for it.

Pure: the section in, the section out with ``limits``, ``requirements``, ``verdict`` and
``reason`` added, so that a report can be judged again from its own numbers. The rate is
judged on the steady stage (a ramp and a spike are not the declared peak), latency and errors
on the whole run (the spike is where a system queues and times out). An institution is held
to the errors it declares acceptable, never beyond the profile's allowance: the smaller of
the two. A run that measured nothing (no transaction, or stopped: the SUT died) proves
nothing either way and is inconclusive; a limit missed is a fail.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator

from qrinterop.profile import capacity_requirements

#: What the section tells of the money after the load, and the findings that say why not.
MONEY_FINDINGS = {"settled": "unsettled", "conserved": "conservation",
                  "reconciled": "reconciliation"}
#: Worst first: a requirement's verdict is the worst of the judgements bearing on it.
ORDER = ("fail", "inconclusive", "pass")

Judgement = tuple[str, str]        # (verdict, one-line reason quoting the numbers)


def judge(section: dict, capacity: dict, declared_error_rate: float) -> dict:
    """``section`` judged against the profile's ``capacity`` (capacity.json) and the error
    share the ICS declares acceptable (``capacity.error_rate``, 0 if it declares none)."""
    limits = {**{k: capacity["limits"][k] for k in ("p99_ms", "sustained_share",
                                                    "max_error_rate", "settle_s")},
              "declared_error_rate": declared_error_rate}
    if why := unmeasured(section):
        requirements = {ident: {"verdict": "inconclusive", "reason": why}
                        for ident in capacity_requirements(capacity)}
        return {**section, "limits": limits, "requirements": requirements,
                "verdict": "inconclusive", "reason": f"Capacity could not be judged: {why}."}
    requirements = _by_requirement(_judgements(section, capacity["requirements"], limits))
    verdict = worst(entry["verdict"] for entry in requirements.values())
    return {**section, "limits": limits, "requirements": requirements, "verdict": verdict,
            "reason": _reason(section, requirements, verdict)}


def unmeasured(section: dict) -> str | None:
    """Why nothing can be judged from the section: the run stopped (``aborted`` says why),
    or not one transaction was measured; None when it can be judged."""
    if section.get("aborted"):
        return str(section["aborted"])
    if not section.get("requests"):
        return "no transaction was measured"
    return None


def worst(verdicts: Iterable[str]) -> str:
    """The worst verdict among ``verdicts`` (inconclusive when there is none)."""
    found = set(verdicts)
    return next((v for v in ORDER if v in found), "inconclusive")


def _judgements(section: dict, names: dict, limits: dict) -> Iterator[tuple[str, Judgement]]:
    """(requirement, judgement) for each judgement and each requirement it is reported under."""
    checks: dict[str, Callable[[dict, dict], Judgement]] = {
        "rate": rate, "latency": latency, "errors": errors}
    for key, check in checks.items():
        yield names[key], check(section, limits)
    for key, idents in names["money"].items():
        judged = money(section, key, limits)
        yield from ((ident, judged) for ident in idents)


def _by_requirement(judgements: Iterator[tuple[str, Judgement]]) -> dict[str, dict]:
    """Each requirement's worst verdict, with the reasons of the judgements that gave it."""
    found: dict[str, list[Judgement]] = {}
    for ident, judged in judgements:
        found.setdefault(ident, []).append(judged)
    verdicts = {ident: worst(v for v, _ in judged) for ident, judged in found.items()}
    return {ident: {"verdict": verdicts[ident],
                    "reason": "; ".join(r for v, r in judged if v == verdicts[ident])}
            for ident, judged in found.items()}


def rate(section: dict, limits: dict) -> Judgement:
    """R-CAP-01: the steady stage's mean rate at least ``sustained_share`` of the target."""
    achieved, target = section.get("achieved_tps"), section.get("target_tps")
    if achieved is None or not target:
        return "inconclusive", "the steady stage's rate was not measured"
    floor = target * limits["sustained_share"]
    text = (f"{_num(achieved)} tps sustained over the steady stage, target {_num(target)} "
            f"(at least {_num(floor)})")
    return ("pass" if achieved >= floor else "fail"), text


def latency(section: dict, limits: dict) -> Judgement:
    """R-CAP-02: the 99th percentile of the whole run within ``p99_ms``."""
    p99 = section.get("p99_ms")
    if p99 is None:
        return "inconclusive", "the 99th percentile was not measured"
    text = f"p99 {_num(p99)} ms over the run, limit {_num(limits['p99_ms'])} ms"
    # With faults (capacity --faults), the transactions they slowed are the harness's doing:
    # the p99 judged leaves out as many of the slowest as answers were made late or lost.
    if (injected := section.get("faults_injected")) and section.get("p99_ms_own") is not None:
        p99 = section["p99_ms_own"]
        text += (f"; {_num(p99)} ms without the {injected} slowest, as many as the answers "
                 "the harness made late or lost")
    return ("pass" if p99 <= limits["p99_ms"] else "fail"), text


def errors(section: dict, limits: dict) -> Judgement:
    """R-CAP-03: the share of transactions in error within the smaller of what the ICS
    declares and what the profile allows."""
    allowed = min(limits["declared_error_rate"], limits["max_error_rate"])
    # A late or lost answer the harness made (capacity --faults) may leave one transaction's
    # outcome unknown at the terminal: the network's doing, which the SUT must settle
    # (R-CAP-04), not an error of its own.
    injected = section.get("faults_injected", 0)
    own = max(0, section["errors"] - injected)
    share = own / section["requests"]
    declared, most = limits["declared_error_rate"], limits["max_error_rate"]
    text = (f"{section['errors']} errors in {section['requests']} transactions"
            + (f", at most {injected} of them by the answers the harness made late or lost"
               if injected else "")
            + f" ({_pct(share)} its own), allowed {_pct(allowed)} (declared {_pct(declared)}, "
            f"profile at most {_pct(most)})")
    return ("pass" if share <= allowed else "fail"), text


def money(section: dict, key: str, limits: dict) -> Judgement:
    """R-CAP-04 (and R-FLOW-14 for conservation): what the section found after the load
    (``key``: settled, conserved or reconciled); not checked at all is inconclusive."""
    found, findings = section.get(key), section.get(MONEY_FINDINGS[key]) or []
    settle = _num(limits["settle_s"])
    yes, no = {"settled": (f"every outcome settled within {settle} s",
                           f"{len(findings)} outcomes unsettled after {settle} s"),
               "conserved": ("money conserved", "money not conserved"),
               "reconciled": ("the books agree with the switch's reconciliation file",
                              "the books disagree with the switch's reconciliation file")}[key]
    if found is None:
        return "inconclusive", f"not checked after the load whether {yes}"
    if found:
        return "pass", yes
    first = f": {findings[0]}" if findings else ""
    more = f" (+{len(findings) - 1} more)" if len(findings) > 1 else ""
    return "fail", f"{no}{first}{more}"


def _reason(section: dict, requirements: dict[str, dict], verdict: str) -> str:
    """One sentence: the requirements that failed (or could not be judged) and why."""
    at = f"Capacity at {_num(section.get('target_tps') or 0)} tps"
    if verdict == "pass":
        return f"{at}: {', '.join(requirements)} passed."
    named = [ident for ident, entry in requirements.items() if entry["verdict"] == verdict]
    why = "; ".join(f"{ident}: {requirements[ident]['reason']}" for ident in named)
    word = "failed" if verdict == "fail" else "could not be judged"
    listed = " and ".join([", ".join(named[:-1]), named[-1]] if len(named) > 1 else named)
    return f"{at}: {listed} {word} ({why})."


def _num(value: float) -> str:
    """A measured number as a reader compares it: one decimal at most, none when whole."""
    text = f"{round(float(value), 1):,}"
    return text.removesuffix(".0")


def _pct(share: float) -> str:
    return f"{share:.3%}".replace(".000%", "%")
