"""Samples of a capacity run: gathered by each worker, drained into its reports, merged by
the master into the per-second series, by kind and by error."""

from __future__ import annotations

import json

from qrinterop.profile import load_profile
from qrinterop.runner.capacity.series import (
    Samples,
    error_samples,
    percentile,
    series_rows,
    steady_rate,
)
from qrinterop.runner.capacity.shape import stages_of

START = 1_700_000_000.25        # a run that began a quarter into a Unix second


def worker(*samples: tuple[str, float, float, str | None]) -> dict:
    """A worker's drained report (through JSON, as Locust carries it)."""
    gathered = Samples()
    for kind, at, ms, error in samples:
        gathered.add(kind, at, ms, error)
    return json.loads(json.dumps(gathered.drain()))


def test_a_drain_hands_each_sample_over_once():
    gathered = Samples()
    gathered.add("refund", START, 10.0, None)
    assert gathered.drain()["kinds"]["refund"]["n"] == 1
    assert gathered.drain() == {"seconds": {}, "kinds": {}, "errors": []}


def test_the_master_merges_the_workers_samples_second_by_second():
    merged = Samples()
    merged.absorb(worker(("refund", START + 0.1, 10.0, None),
                         ("status-query", START + 1.1, 30.0, "query answered 00/51")))
    merged.absorb(worker(("refund", START + 0.2, 20.0, None),
                         ("status-query", START + 1.3, 40.0, "query answered 00/51")))
    merged.absorb(worker(("refund", START + 0.5, 50.0, "declined: response code 51")))
    assert merged.requests == 5 and merged.failures == 3
    assert merged.seconds[int(START)]["ms"] == [10.0, 20.0, 50.0]
    assert merged.kinds["status-query"] == {"n": 2, "errors": 2, "ms": [30.0, 40.0]}
    assert error_samples(merged) == [
        {"kind": "status-query", "error": "query answered 00/51", "count": 2},
        {"kind": "refund", "error": "declined: response code 51", "count": 1}]


def test_the_series_has_a_row_per_second_of_the_shape_even_without_samples():
    stages = stages_of(load_profile().capacity["shape"], 10.0, 10)
    merged = Samples()
    merged.absorb(worker(*(("refund", START + 0.3 + 0.1 * n, float(n), None)
                           for n in range(5))))
    rows = series_rows(merged, START, stages)
    assert [r["t"] for r in rows] == list(range(10))
    assert rows[0] == {"t": 0, "tps": 5.0, "errors": 0, "p50_ms": 2.0, "p99_ms": 4.0,
                       "target_tps": 2.5}
    assert rows[1]["tps"] == 0.0 and rows[1]["p99_ms"] is None
    assert steady_rate(rows, stages) == 0.0


def test_the_achieved_rate_is_the_mean_over_the_steady_seconds():
    stages = stages_of(load_profile().capacity["shape"], 10.0, 10)
    rows = [{"t": t, "tps": float(t)} for t in range(10)]
    assert steady_rate(rows, stages) == (2 + 3 + 4 + 5 + 6 + 7) / 6


def test_percentiles_are_nearest_rank():
    values = [float(n) for n in range(1, 101)]
    assert percentile(values, 0.5) == 50.0
    assert percentile(values, 0.99) == 99.0
    assert percentile([7.0], 0.99) == 7.0
    assert percentile([], 0.5) is None
