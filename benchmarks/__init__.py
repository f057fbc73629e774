"""Benchmarks: ``python -m benchmarks`` prints every figure docs/PERFORMANCE.md records."""
