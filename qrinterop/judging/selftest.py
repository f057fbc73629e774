"""What a selftest concludes: for each reference and each defective variant of it, the verdict
expected and the one reached, and the scenarios that caught it (``runner/selftest.py`` runs
them; ``report/conformance.py`` writes them up)."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path


@dataclass
class VariantResult:
    defect: str | None           # None: a reference itself
    breaks: str | None           # the requirement the defect breaks
    expected: str
    verdict: str
    failed: list[str]
    must_fail: list[str]
    ran: list[str]               # the scenarios that applied to it
    run_dir: Path
    sut: str = "institution"     # which reference it is, or is a variant of
    why: str | None = None       # why a reference's expected verdict is what it is
    retried: dict | None = None  # the first attempt's verdict and failures, if not as expected

    @property
    def name(self) -> str:
        return self.defect or f"reference {self.sut}"

    @property
    def ok(self) -> bool:
        return self.verdict == self.expected and set(self.must_fail) <= set(self.failed)

    def as_dict(self) -> dict:
        """One row of the matrix, as ``selftest --json`` prints it."""
        return {"defect": self.defect, "sut": self.sut, "breaks": self.breaks,
                "expected_verdict": self.expected,
                "verdict": self.verdict, "expected_to_fail": self.must_fail,
                "failed": self.failed, "caught": self.ok, "run_dir": str(self.run_dir),
                "retried": self.retried}


@dataclass
class SelftestResult:
    variants: list[VariantResult]
    scenarios: list[str] = field(default_factory=list)
    #: scenarios that failed only when certified again → the defects they failed against then
    rechecked: dict[str, list[str]] = field(default_factory=dict)

    @property
    def never_failed(self) -> list[str]:
        """Scenarios that no defective variant made fail, even when certified again."""
        failed = {s for v in self.variants if v.defect for s in v.failed} | set(self.rechecked)
        return [s for s in self.scenarios if s not in failed]

    @property
    def ok(self) -> bool:
        return all(v.ok for v in self.variants) and not self.never_failed

    def as_dict(self) -> dict:
        return {"ok": self.ok, "variants": [v.as_dict() for v in self.variants],
                "scenarios": self.scenarios, "never_failed": self.never_failed,
                "rechecked": self.rechecked}
