"""Run the benchmarks and print their figures:
``python -m benchmarks [certify|switch|lint|protocol|bindings|bundle]``. Three measure the suite's
power on the references instead, each with its own options (``--help``):
``python -m benchmarks capacity`` (the rate the reference institution holds, ``capacity_bench.py``),
``python -m benchmarks coverage`` (the refusals no scenario runs, ``refusals.py``) and
``python -m benchmarks mutation`` (mutation testing, ``mutation.py``).

Machines are noisy, so timings are medians of repeats, and the figures that matter are ratios
measured in the same run (a certification against the bare cost of starting its network; the
batch command against the library it wraps).
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable

from benchmarks import (
    bindings_bench,
    bundle_bench,
    certify_bench,
    lint_bench,
    protocol_bench,
    switch_bench,
)

#: Each benchmark's figures, given whether to run the quick version.
BENCHMARKS: dict[str, Callable[[bool], list[tuple[str, float]]]] = {
    "certify": certify_bench.figures,
    "switch": switch_bench.figures,
    "lint": lambda quick: lint_bench.figures(10_000 if quick else 100_000),
    "protocol": protocol_bench.figures,
    "bindings": bindings_bench.figures,
    "bundle": bundle_bench.figures,
}


def main() -> None:
    if sys.argv[1:2] == ["coverage"]:
        from benchmarks import refusals
        sys.exit(refusals.main(sys.argv[2:]))
    if sys.argv[1:2] == ["capacity"]:
        from benchmarks import capacity_bench
        sys.exit(capacity_bench.main(sys.argv[2:]))
    if sys.argv[1:2] == ["mutation"]:
        from benchmarks import mutation
        sys.exit(mutation.main(sys.argv[2:]))
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("which", nargs="*", metavar="{" + ",".join(BENCHMARKS) + "}",
                        help="benchmarks to run (default: all)")
    parser.add_argument("--quick", action="store_true", help="fewer repeats and items")
    args = parser.parse_args()
    which = args.which or list(BENCHMARKS)
    if unknown := set(which) - set(BENCHMARKS):
        parser.error(f"unknown benchmark: {', '.join(sorted(unknown))}")
    figures = [figure for name in which for figure in BENCHMARKS[name](args.quick)]
    width = max(len(name) for name, _ in figures)
    for name, value in figures:
        print(f"{name:<{width}}  {value:>12,.3f}")


if __name__ == "__main__":
    main()
