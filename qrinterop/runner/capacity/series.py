"""Samples of the transactions a run made, as workers gather them and the master merges them:
per second of the wall clock (the per-second series), per kind, and errors by their reason.

Each worker keeps its own :class:`Samples`, hands what it gathered since its last report to
the master with Locust's ``report_to_master`` event (:meth:`Samples.drain`, plain JSON), and
the master adds each part to its own (:meth:`Samples.absorb`). Latencies are kept whole, not
in Locust's rounded buckets, so the section's percentiles are exact.
"""

from __future__ import annotations

import math
from collections import Counter

from qrinterop.runner.capacity.shape import Stage, mean_target, target_at


def _bucket() -> dict:
    return {"n": 0, "errors": 0, "ms": []}


def _add_to(bucket: dict, part: dict) -> None:
    bucket["n"] += part["n"]
    bucket["errors"] += part["errors"]
    bucket["ms"].extend(part["ms"])


class Samples:
    """Transactions by the second they ended (Unix time, whole), by kind, and the errors'
    reasons counted by kind."""

    def __init__(self) -> None:
        self.seconds: dict[int, dict] = {}
        self.kinds: dict[str, dict] = {}
        self.errors: Counter[tuple[str, str]] = Counter()

    def _forget(self) -> None:
        self.seconds, self.kinds, self.errors = {}, {}, Counter()

    def add(self, kind: str, ended_at: float, ms: float, error: str | None) -> None:
        """One transaction of ``kind`` that ended at ``ended_at`` after ``ms``; ``error``: why
        it failed (one line), None if it did not."""
        one = {"n": 1, "errors": int(error is not None), "ms": [round(ms, 2)]}
        _add_to(self.seconds.setdefault(int(ended_at), _bucket()), one)
        _add_to(self.kinds.setdefault(kind, _bucket()), one)
        if error is not None:
            self.errors[(kind, error)] += 1

    def drain(self) -> dict:
        """What was gathered since the last drain, as JSON (second keys as text), and forget
        it: a worker sends each sample once."""
        part = {"seconds": {str(s): b for s, b in self.seconds.items()}, "kinds": self.kinds,
                "errors": [[kind, error, count] for (kind, error), count in self.errors.items()]}
        self._forget()
        return part

    def absorb(self, part: dict) -> None:
        """Add a worker's drained ``part``."""
        for second, bucket in part["seconds"].items():
            _add_to(self.seconds.setdefault(int(second), _bucket()), bucket)
        for kind, bucket in part["kinds"].items():
            _add_to(self.kinds.setdefault(kind, _bucket()), bucket)
        for kind, error, count in part["errors"]:
            self.errors[(kind, error)] += count

    @property
    def requests(self) -> int:
        return sum(b["n"] for b in self.kinds.values())

    @property
    def failures(self) -> int:
        return sum(b["errors"] for b in self.kinds.values())


def percentile(values: list[float], share: float) -> float | None:
    """The nearest-rank percentile (``share`` 0.99: p99) of ``values``; None for none."""
    if not values:
        return None
    ordered = sorted(values)
    return ordered[max(0, math.ceil(share * len(ordered)) - 1)]


def latency(bucket: dict) -> dict:
    """A bucket's requests, errors and latency percentiles, as the section words them."""
    return {"requests": bucket["n"], "errors": bucket["errors"],
            **{f"p{round(q * 100)}_ms": percentile(bucket["ms"], q) for q in (0.5, 0.95, 0.99)}}


def series_rows(samples: Samples, started_at: float, stages: list[Stage]) -> list[dict]:
    """One row per second of the shape: transactions ended in that second (``tps``), its
    errors, its latency (None in a second without transactions) and the target."""
    duration = math.ceil(stages[-1].end_s) if stages else 0
    rows = []
    for t in range(duration):
        # A row is the second of the run [t, t+1); samples are by whole Unix second: take the
        # one the row's middle falls in (one each, none twice).
        bucket = samples.seconds.get(int(started_at + t + 0.5), _bucket())
        rows.append({"t": t, "tps": float(bucket["n"]), "errors": bucket["errors"],
                     "p50_ms": percentile(bucket["ms"], 0.5),
                     "p99_ms": percentile(bucket["ms"], 0.99),
                     "target_tps": mean_target(stages, t)})
    return rows


def steady_rate(rows: list[dict], stages: list[Stage], stage: str = "steady") -> float:
    """The mean rate over the seconds of ``stage`` (the achieved rate)."""
    picked = [r["tps"] for r in rows if (found := target_at(stages, r["t"] + 0.5))
              and found[1] == stage]
    return round(sum(picked) / len(picked), 3) if picked else 0.0


def error_samples(samples: Samples, most: int = 20) -> list[dict]:
    """The commonest errors, kind and reason with their count, at most ``most``."""
    return [{"kind": kind, "error": error, "count": count}
            for (kind, error), count in samples.errors.most_common(most)]
