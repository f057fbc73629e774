"""The measured capacity section (report.json ``capacity``, before judging) from what the
master gathered and what settling found. Pure: the judging (qrinterop/judging/capacity.py)
adds limits, requirements and the verdict."""

from __future__ import annotations

from qrinterop.runner.capacity.plan import Plan
from qrinterop.runner.capacity.series import (
    Samples,
    error_samples,
    latency,
    percentile,
    series_rows,
    steady_rate,
)
from qrinterop.runner.capacity.settle import Settlement


def measured_section(plan: Plan, result: dict, settlement: Settlement,
                     faults_injected: int = 0) -> dict:
    """The section in the design's format (issue 18), every field filled. With faults the
    harness made (``faults_injected`` late or lost answers, capacity --faults), also the p99
    of the transactions but that many of the slowest: those the faults may have slowed."""
    samples = Samples()
    samples.absorb(result["samples"])
    rows = series_rows(samples, result["started_at"], plan.stages)
    every = sorted(ms for b in samples.kinds.values() for ms in b["ms"])
    whole = latency({"n": samples.requests, "errors": samples.failures, "ms": every})
    requests = whole.pop("requests")
    errors = whole.pop("errors")
    return {
        "target_tps": plan.target_tps,
        "achieved_tps": steady_rate(rows, plan.stages),
        "duration_s": plan.duration_s, "workers": result["workers"],
        "stages": [{"stage": s.stage, "start_s": s.start_s, "end_s": s.end_s,
                    "from_tps": s.from_tps, "to_tps": s.to_tps} for s in plan.stages],
        "mix": plan.mix,
        "requests": requests, "errors": errors,
        "error_rate": round(errors / requests, 6) if requests else 0.0,
        **whole,
        "by_kind": {kind: latency(bucket) for kind, bucket in sorted(samples.kinds.items())},
        "error_samples": error_samples(samples),
        "series": rows,
        "settled": not settlement.unsettled, "unsettled": settlement.unsettled,
        "conserved": not settlement.conservation, "conservation": settlement.conservation,
        "reconciled": not settlement.reconciliation,
        "reconciliation": settlement.reconciliation,
        "faults_injected": faults_injected,
        **({"p99_ms_own": percentile(every[:len(every) - faults_injected], 0.99)}
           if faults_injected else {}),
    }


def aborted_section(plan: Plan, workers: int, reason: str) -> dict:
    """The section of a run that stopped before it could be measured (the SUT never started,
    the load engine failed): nothing measured, money not judged, ``aborted`` saying why, so
    that judging calls it inconclusive and the report still shows the plan."""
    unjudged = [f"not judged: {reason}"]
    nothing = {"samples": {"seconds": {}, "kinds": {}, "errors": []}, "started_at": 0.0,
               "workers": workers}
    return {**measured_section(plan, nothing, Settlement(unjudged, unjudged, unjudged)),
            "aborted": reason}
