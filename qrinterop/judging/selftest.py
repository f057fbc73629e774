"""What a selftest concludes: for each reference and each defective variant of it, the verdict
expected and the one reached, the scenarios that caught it, and whether they caught it for
the right reason (``runner/selftest.py`` runs them; ``report/conformance.py`` writes them up).

A defect is caught for the right reason when one of the scenarios expected to catch it failed
under a requirement the defect breaks (its ``breaks`` in ``mocks/defects.json``), by a failed
check or by a passive finding on the SUT, and that requirement's verdict in the run's report
is ``fail``. A scenario that fails for some other reason proves nothing about the defect: it
would fail as well if the defect were gone and something else broke.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import NamedTuple

#: What a passive finding is reported as, in place of a check's name.
PASSIVE = "passive"
#: The capacity run among a run's scenarios: what a capacity defect's ``caught_by`` names.
CAPACITY = "capacity"


def breaks_of(spec: dict) -> tuple[str, ...]:
    """The requirements a catalogue entry breaks: its ``breaks``, one ID, several, or none
    (null: a defect no requirement names, such as a crash on start)."""
    breaks = spec.get("breaks")
    if breaks is None:
        return ()
    return (breaks,) if isinstance(breaks, str) else tuple(breaks)


@dataclass(frozen=True)
class Blame:
    """One failure of a scenario as its report tells it: the check that failed (``PASSIVE``
    for a passive finding on the SUT; None when no check did, e.g. a refused call) and the
    requirements it is reported under."""

    scenario: str
    check: str | None
    requirements: tuple[str, ...]


@dataclass(frozen=True)
class Grounds:
    """What a run's report.json says about why its scenarios failed: every failure of a
    failed scenario, and each requirement's verdict. Small enough to come back from a
    worker process, where the whole report would not be."""

    blames: tuple[Blame, ...] = ()
    verdicts: dict[str, str] = field(default_factory=dict)

    @classmethod
    def of(cls, report: dict) -> Grounds:
        """The grounds of ``report`` (report.json's shape)."""
        sut = report["run"]["sut"]["id"]
        blames = [blame for scenario in report["scenarios"] if scenario["verdict"] == "fail"
                  for blame in _blames(scenario, sut)]
        blames += [Blame(CAPACITY, CAPACITY, (ident,)) for ident, judged
                   in report.get("capacity", {}).get("requirements", {}).items()
                   if judged["verdict"] == "fail"]
        return cls(tuple(blames), {r["id"]: r["verdict"] for r in report["requirements"]})

    def caught(self, scenarios: list[str], breaks: tuple[str, ...]) -> Catch | None:
        """The first failure among ``scenarios`` reported under one of ``breaks`` whose
        verdict is fail; None if there is none."""
        for blame in self.blames:
            if blame.scenario in scenarios:
                for requirement in blame.requirements:
                    if requirement in breaks and self.verdicts.get(requirement) == "fail":
                        return Catch(blame.scenario, blame.check, requirement)
        return None

    def why_not(self, scenarios: list[str], breaks: tuple[str, ...]) -> str:
        """Why no failure among ``scenarios`` counts as catching a defect that breaks
        ``breaks``: each failure with what it was reported under, or the verdict of the right
        requirement when a failure was reported under it and that verdict is not fail."""
        mine = [b for b in self.blames if b.scenario in scenarios]
        if not mine:
            return "no failure of the expected scenarios is in the report"
        wrong = [f"{b.scenario} failed {b.check or 'no check'} under "
                 f"{', '.join(b.requirements) or 'no requirement'}"
                 for b in mine if not set(b.requirements) & set(breaks)]
        right = sorted({r for b in mine for r in b.requirements if r in breaks})
        return "; ".join([*(f"{r}'s verdict is {self.verdicts.get(r, 'absent')}, not fail"
                            for r in right),
                          *([f"wrong requirement ({', '.join(breaks)} expected): "
                             + "; ".join(wrong)] if wrong else [])])


def _blames(scenario: dict, sut: str) -> list[Blame]:
    """A failed scenario's failed step and its passive findings on what the SUT sent or
    booked (a finding on a simulator's message is the harness's, not the defect's)."""
    blames = []
    if failure := scenario.get("failure"):
        requirements = failure.get("requirements") or \
            ([failure["requirement"]] if failure.get("requirement") else [])
        blames.append(Blame(scenario["id"], failure.get("check"), tuple(requirements)))
    blames += [Blame(scenario["id"], PASSIVE, (finding["requirement"],))
               for finding in (scenario.get("passive") or {}).get("findings", [])
               if finding.get("sender") == sut]
    return blames


@dataclass(frozen=True)
class Catch:
    """Why a variant counts as caught: the scenario, the check that failed in it (``PASSIVE``:
    a passive finding) and the broken requirement it was reported under."""

    scenario: str
    check: str | None
    requirement: str

    def __str__(self) -> str:
        return f"{self.scenario} · {self.check or 'no check'} · {self.requirement}"


class Certified(NamedTuple):
    """One certification as a worker process hands it back."""

    verdict: str
    failed: list[str]
    ran: list[str]
    run_dir: Path
    grounds: Grounds = Grounds()


@dataclass
class VariantResult:
    defect: str | None           # None: a reference itself
    breaks: tuple[str, ...]      # the requirements the defect breaks (none: a reference)
    expected: str
    verdict: str
    failed: list[str]
    must_fail: list[str]
    ran: list[str]               # the scenarios that applied to it
    run_dir: Path
    sut: str = "institution"     # which reference it is, or is a variant of
    why: str | None = None       # why a reference's expected verdict is what it is
    retried: dict | None = None  # the first attempt's verdict and failures, if not as expected
    grounds: Grounds = field(default_factory=Grounds)
    binding: str | None = None   # the wire binding every run spoke, if selftest forced one

    @property
    def off_wire(self) -> bool:
        """A defect none of whose catching scenarios apply on the wire selftest forced (a
        replay defect where the wire has no nonce): it does not apply there."""
        return bool(self.defect and self.binding and self.must_fail
                    and not set(self.must_fail) & set(self.ran))

    @property
    def name(self) -> str:
        return self.defect or f"reference {self.sut}"

    @property
    def caught_by(self) -> Catch | None:
        """The failure that catches the defect for the right reason (None: none does)."""
        return self.grounds.caught(self.must_fail, self.breaks)

    @property
    def failed_as_expected(self) -> bool:
        return self.verdict == self.expected and set(self.must_fail) <= set(self.failed)

    @property
    def ok(self) -> bool:
        """The expected verdict, the expected scenarios among the failures and, for a defect
        that breaks a requirement, one of them failing under it."""
        return self.off_wire or (self.failed_as_expected
                                 and (not self.breaks or self.caught_by is not None))

    @property
    def why_not(self) -> str | None:
        """Why the variant does not count as caught (None: it does, or it is a reference)."""
        if self.ok or self.defect is None:
            return None
        if self.verdict != self.expected:
            return f"verdict {self.verdict}, expected {self.expected}"
        if missing := [s for s in self.must_fail if s not in self.failed]:
            return f"did not fail: {', '.join(missing)}"
        return self.grounds.why_not(self.must_fail, self.breaks)

    def as_dict(self) -> dict:
        """One row of the matrix, as ``selftest --json`` prints it."""
        catch = self.caught_by
        return {"defect": self.defect, "sut": self.sut, "breaks": list(self.breaks),
                "expected_verdict": self.expected,
                "verdict": self.verdict, "expected_to_fail": self.must_fail,
                "failed": self.failed, "caught": self.ok,
                "caught_by": asdict(catch) if catch and self.ok else None,
                "why_not": self.why_not, "run_dir": str(self.run_dir),
                "retried": self.retried, "binding": self.binding,
                "applies": not self.off_wire}


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
