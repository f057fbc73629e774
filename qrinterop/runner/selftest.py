"""``qrinterop selftest``: prove the suite can tell a good implementation from a bad one.

Certifies the reference institution (must be conformant), then every defective variant in
``mocks/defects.json`` (each must get its expected verdict, with the scenarios it names among
the failures), and finally checks that every scenario failed against at least one variant —
a scenario no defect can make fail is a scenario that cannot fail.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from qrinterop.runner.certify import CertifyOptions, certify, new_run_id
from qrinterop.runner.suite import locate


@dataclass
class VariantResult:
    defect: str | None           # None: the reference institution itself
    expected: str
    verdict: str
    failed: list[str]
    must_fail: list[str]
    run_dir: Path

    @property
    def ok(self) -> bool:
        return self.verdict == self.expected and set(self.must_fail) <= set(self.failed)


@dataclass
class SelftestResult:
    variants: list[VariantResult]
    scenarios: list[str] = field(default_factory=list)

    @property
    def never_failed(self) -> list[str]:
        """Scenarios that no defective variant made fail."""
        failed = {s for v in self.variants if v.defect for s in v.failed}
        return [s for s in self.scenarios if s not in failed]

    @property
    def ok(self) -> bool:
        return all(v.ok for v in self.variants) and not self.never_failed


def selftest(out: Path | None = None, base_port: int = 0,
             on_variant: Callable[[VariantResult], None] = lambda _v: None) -> SelftestResult:
    suite = locate()
    out = out or suite.reports / f"selftest-{new_run_id()}"
    plan = [(None, "conformant", [])] + [(name, spec["expect"], spec["caught_by"])
                                          for name, spec in suite.defects().items()]
    result = SelftestResult([])
    for defect, expected, must_fail in plan:
        outcome = certify(CertifyOptions(
            out=out / (defect or "reference"), base_port=base_port,
            defects=(defect,) if defect else (), command="qrinterop certify"))
        report = outcome.report
        if defect is None:
            result.scenarios = [s["id"] for s in report["scenarios"]]
        variant = VariantResult(defect, expected, report["verdict"],
                                [s["id"] for s in report["scenarios"] if s["verdict"] == "fail"],
                                must_fail, outcome.run_dir)
        result.variants.append(variant)
        on_variant(variant)
    return result
