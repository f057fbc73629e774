"""A realistic judged capacity section (report.json ``capacity``) for the report's tests, and
a capacity-only report around it: 60 one-second rows through a ramp, a steady stage, a spike
and a recovery, with latency growing under the spike and a few errors there.

``python -m tests.capacity_sample OUT.html`` renders it, to look at the charts."""

from __future__ import annotations

import copy
import dataclasses
import functools
import sys
from pathlib import Path
from typing import Any

from qrinterop.profile import Profile, load_profile
from qrinterop.report.capacity import capacity_report

TARGET = 30.0
STAGES = [{"stage": "ramp", "start_s": 0, "end_s": 12, "from_tps": 0.0, "to_tps": 30.0},
          {"stage": "steady", "start_s": 12, "end_s": 48, "from_tps": 30.0, "to_tps": 30.0},
          {"stage": "spike", "start_s": 48, "end_s": 54, "from_tps": 45.0, "to_tps": 45.0},
          {"stage": "recover", "start_s": 54, "end_s": 60, "from_tps": 30.0, "to_tps": 30.0}]
MIX = {"cpm-purchase-sut-issuer": 0.3, "cpm-purchase-sut-acquirer": 0.3,
       "mpm-payment-sut-issuer": 0.1, "mpm-payment-sut-acquirer": 0.1,
       "status-query": 0.1, "refund": 0.1}


def _target(t: int) -> float:
    """The load shape's rate at second *t* (linear within a stage)."""
    stage = next(s for s in STAGES if s["start_s"] <= t < s["end_s"])
    share = (t - stage["start_s"]) / (stage["end_s"] - stage["start_s"])
    return round(stage["from_tps"] + (stage["to_tps"] - stage["from_tps"]) * share, 2)


def _row(t: int) -> dict[str, Any]:
    """One second: the rate lags the target a little, latency grows with the load."""
    target = _target(t)
    spike = 48 <= t < 54
    return {"t": t, "tps": round(target * (0.93 if spike else 0.99) + (t % 3) * 0.2, 2),
            "errors": 1 if spike and t % 2 else 0, "target_tps": target,
            "p50_ms": round(38 + target * 0.4 + (25 if spike else 0), 1),
            "p99_ms": round(90 + target * 2 + t * 0.8 + (260 if spike else 0), 1)}


def sample_section() -> dict[str, Any]:
    """A passing run at 30 tps on 2 workers, as H3's judging leaves it."""
    series = [_row(t) for t in range(60)]
    requests = int(sum(row["tps"] for row in series))
    by_kind = {kind: {"requests": round(requests * share), "errors": 0, "p50_ms": 41.0,
                      "p95_ms": 88.0, "p99_ms": 140.0} for kind, share in MIX.items()}
    by_kind["cpm-purchase-sut-issuer"]["errors"] = 3
    return {
        "target_tps": TARGET, "achieved_tps": 29.7, "duration_s": 60, "workers": 2,
        "stages": copy.deepcopy(STAGES), "mix": dict(MIX),
        "requests": requests, "errors": 3, "error_rate": round(3 / requests, 5),
        "p50_ms": 51.0, "p95_ms": 212.0, "p99_ms": 431.0, "by_kind": by_kind,
        "error_samples": [{"kind": "cpm-purchase-sut-issuer",
                           "error": "timeout after 5.0 s <on the spike>", "count": 3}],
        "series": series, "settled": True, "unsettled": [],
        "conserved": True, "conservation": [], "reconciled": True, "reconciliation": [],
        "limits": {"p99_ms": 2000, "sustained_share": 0.95, "max_error_rate": 0.005,
                   "settle_s": 30, "declared_error_rate": 0.005},
        "requirements": {
            "R-CAP-01": {"verdict": "pass", "reason": "29.7 tps sustained over the steady "
                                                      "stage, target 30 (at least 28.5)"},
            "R-CAP-02": {"verdict": "pass", "reason": "p99 431 ms, limit 2000 ms"},
            "R-CAP-03": {"verdict": "pass", "reason": f"3 errors in {requests} requests, "
                                                      "allowed 0.5 %"},
            "R-CAP-04": {"verdict": "pass", "reason": "reconciliation agrees with the "
                                                      "switch's file"},
            "R-FLOW-14": {"verdict": "pass", "reason": "money conserved"}},
        "verdict": "pass",
        "reason": "The SUT sustained 29.7 tps of 30 with p99 431 ms and 3 errors; money "
                  "conserved.",
    }


def failing_section() -> dict[str, Any]:
    """The same run judged against a slow SUT: the latency requirement failed."""
    section = sample_section()
    for row in section["series"][40:]:
        row["p99_ms"] = row["p99_ms"] * 6
    section["p99_ms"] = 2630.0
    section["requirements"]["R-CAP-02"] = {"verdict": "fail",
                                           "reason": "p99 2630 ms, above the limit 2000 ms"}
    section.update(verdict="fail", reason="Failed: R-CAP-02 (p99 2630 ms, limit 2000 ms).")
    return section


RUN = {"id": "20261125T180102Z-cap1", "started": "2026-11-25T18:01:02.123+08:00",
       "finished": "2026-11-25T18:02:12.456+08:00", "duration_s": 70.3,
       "command": "qrinterop capacity --workers 2 --duration 60", "selection": None,
       "harness": {"name": "qrinterop", "version": "0.1.0", "commit": None},
       "profile": {"id": "cn-interconnect", "version": "1.1",
                   "title": {"en": "Interconnection profile", "zh": "互联互通测试规范"}},
       "sut": {"id": "10000001", "name": "Reference institution A",
               "roles": ["issuer", "acquirer"], "launch": "reference", "defects": []},
       "environment": {"python": "3.11.7"}}


@functools.cache
def profile_with_capacity() -> Profile:
    """The bundled profile with every requirement the sample judges: the profile's own when
    it has them (1.1 with capacity.json), else stand-ins shaped as R-FLOW-14. Loaded once:
    loading checks the whole profile."""
    profile = load_profile()
    stand_ins = {rid: {**profile.requirements["R-FLOW-14"], "id": rid}
                 for rid in sample_section()["requirements"]}
    return dataclasses.replace(profile, requirements={**stand_ins, **profile.requirements})


def capacity_only_report(section: dict[str, Any]) -> dict[str, Any]:
    """The report of `qrinterop capacity` alone, as the harness builds it."""
    return capacity_report(copy.deepcopy(RUN), profile_with_capacity(), section)


if __name__ == "__main__":
    from qrinterop.report.html import write_html

    write_html(capacity_only_report(sample_section()), Path(sys.argv[1]))
