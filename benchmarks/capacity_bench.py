"""The rate the reference institution holds: ``python -m benchmarks capacity [--tps 10,20,30]
[--duration 60] [--workers 2] [--faults 0.0]``.

One capacity run per rate, each in a network of its own, against the bundled reference
institution with Locust's workers beside it on the same machine; one line per rate: the
achieved rate over the steady stage, the latency percentiles of the whole run, the errors,
and whether money was conserved. The reference's declared peak (mocks/reference-ics.yaml
``capacity.peak_tps``) is a rate it holds here with p99 well inside the profile's limit.
"""

from __future__ import annotations

import argparse
import tempfile
from collections.abc import Sequence
from pathlib import Path

from qrinterop.runner.capacity.engine import CapacityOptions, capacity_network, run_capacity

COLUMNS = ("target_tps", "achieved_tps", "requests", "errors", "p50_ms", "p95_ms", "p99_ms")


def measure(tps: float, duration_s: int, workers: int, faults: float) -> dict:
    options = CapacityOptions(tps=tps, duration_s=duration_s, workers=workers,
                              fault_share=faults)
    with tempfile.TemporaryDirectory(prefix="qrinterop-capacity-") as folder, \
            capacity_network(options, Path(folder)) as network:
        return run_capacity(options, network, Path(folder))


def main(argv: Sequence[str]) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks capacity",
                                     description=__doc__.splitlines()[0])
    parser.add_argument("--tps", default="10,20,30", help="rates to run, comma-separated")
    parser.add_argument("--duration", type=int, default=60)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--faults", type=float, default=0.0,
                        help="share of transactions whose answer the switch spoils")
    args = parser.parse_args(argv)
    print("  ".join(f"{c:>12}" for c in (*COLUMNS, "conserved")), flush=True)
    for tps in (float(t) for t in args.tps.split(",")):
        section = measure(tps, args.duration, args.workers, args.faults)
        cells = [f"{section[c]:>12,.1f}" if isinstance(section[c], float)
                 else f"{section[c]!s:>12}" for c in COLUMNS]
        print("  ".join([*cells, f"{section['conserved']!s:>12}"]), flush=True)
        for sample in section["error_samples"][:3]:
            print(f"    {sample['count']} x {sample['kind']}: {sample['error']}", flush=True)
    return 0
