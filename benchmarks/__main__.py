"""Run the benchmarks and print their figures:
``python -m benchmarks [certify|lint|protocol]``.

Machines are noisy, so timings are medians of repeats, and the figures that matter are ratios
measured in the same run (a certification against the bare cost of starting its network; the
batch command against the library it wraps).
"""

from __future__ import annotations

import argparse

from benchmarks import certify_bench, lint_bench, protocol_bench


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("which", nargs="*", metavar="{certify,lint,protocol}",
                        help="benchmarks to run (default: all)")
    parser.add_argument("--quick", action="store_true", help="fewer repeats and items")
    args = parser.parse_args()
    which = args.which or ["certify", "lint", "protocol"]
    if unknown := set(which) - {"certify", "lint", "protocol"}:
        parser.error(f"unknown benchmark: {', '.join(sorted(unknown))}")
    figures = []
    if "certify" in which:
        figures += certify_bench.figures(args.quick)
    if "lint" in which:
        figures += lint_bench.figures(10_000 if args.quick else 100_000)
    if "protocol" in which:
        figures += protocol_bench.figures(args.quick)
    width = max(len(name) for name, _ in figures)
    for name, value in figures:
        print(f"{name:<{width}}  {value:>12,.3f}")


if __name__ == "__main__":
    main()
