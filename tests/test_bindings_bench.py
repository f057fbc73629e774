"""``python -m benchmarks bindings`` runs: every message example round-trips in both bindings
under both key types (a round trip that does not verify stops it), and its figures include
the ratio per message. One round, so that it is fast; the figures themselves are the
benchmark's, recorded in docs/PERFORMANCE.md."""

from __future__ import annotations

from benchmarks import bindings_bench
from benchmarks.__main__ import BENCHMARKS


def test_the_bindings_benchmark_runs_and_gives_both_ratios():
    assert "bindings" in BENCHMARKS
    figures = dict(bindings_bench.figures(quick=True, rounds=1))
    assert figures["message examples (every message and leg)"] >= 40
    for algorithm in ("SM2", "RSA-2048"):
        assert figures[f"unionpay-qrc / qrinterop-json, {algorithm}: ratio per message"] > 0
        for name in bindings_bench.BINDINGS:
            total = figures[f"{name}, {algorithm}: µs per message, encode+sign+verify+decode"]
            parts = sum(figures[f"{name}, {algorithm}:   {phase} µs"]
                        for phase in ("sign", "encode", "decode", "verify"))
            assert total > 0 and abs(total - parts) < 1e-6 * total
