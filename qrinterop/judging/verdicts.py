"""From what happened to verdicts: per scenario, per requirement, and for the run.

The lattice follows ISO/IEC 9646: *fail* means the SUT did something the profile forbids;
*inconclusive* that no decision could be reached (e.g. the SUT was unreachable while the
scenario was being set up); *error* that the harness itself went wrong. Passive findings on
messages the SUT sent fail a scenario even when all its steps passed.
"""

from __future__ import annotations

import signal
import time
from collections.abc import Iterable
from dataclasses import asdict, dataclass, field
from typing import Protocol, overload

from qrinterop.checks.outcome import Violation
from qrinterop.errors import AnswerLacks, ContractBroken, ControlRefused, SutUnreachable
from qrinterop.evidence.transcript import stamp

SCENARIO_VERDICTS = ("pass", "warning", "fail", "inconclusive", "error", "waived",
                     "not_applicable")


class CheckFailed(AssertionError):
    """A scenario held to a check that found violations (``checks/outcome.py``): the first
    is what the failure reports; all are in the message."""

    def __init__(self, violations: list[Violation]) -> None:
        super().__init__("; ".join(v.message for v in violations))
        self.violations = violations
        first = violations[0]
        self.check = first.check
        self.requirements = first.requirements
        self.expected = first.expected
        self.observed = first.observed


def attributed(requirements: tuple[str, ...], tagged: list[str]) -> list[str]:
    """The requirements a failed check is reported under: those it verifies that its scenario
    is tagged with (``@req``); every one the scenario is tagged with when the check is generic
    (it names none); its own when the scenario is tagged with none of them, so that they are
    judged too (``suite lint`` cannot see which checks a scenario calls; the selftest can)."""
    if not requirements:
        return list(tagged)
    return [r for r in requirements if r in tagged] or list(requirements)


@dataclass
class ScenarioResult:
    id: str
    name: str
    feature: str
    tags: list[str]
    requirements: list[str]
    verdict: str
    duration_s: float
    transcript: str | None
    rerun: str
    steps: list[dict]
    failure: dict | None = None
    passive: dict | None = None
    reason: str | None = None
    warnings: list[dict] = field(default_factory=list)

    def as_dict(self) -> dict:
        return asdict(self)


@dataclass
class StepOutcome:
    """The first step that did not pass, reduced to what the verdict depends on."""

    keyword: str
    step_type: str
    text: str
    status: str
    exception: BaseException | None = field(default=None)
    message: str = ""

@overload
def how_ended(code: int) -> str: ...
@overload
def how_ended(code: None) -> None: ...
@overload
def how_ended(code: int | None) -> str | None: ...
def how_ended(code: int | None) -> str | None:
    """An exit status in words ("exited with code 1", "was killed by signal 9 (SIGKILL)");
    None for a process still running."""
    if code is None:
        return None
    if code < 0:
        try:
            name = f" ({signal.Signals(-code).name})"
        except ValueError:
            name = ""
        return f"was killed by signal {-code}{name}"
    return f"exited with code {code}"


class Exited(Protocol):
    """A service whose exit status can be asked (``runner/processes/services.py``)."""

    def exit_code(self) -> int | None: ...


@dataclass
class SutStopped:
    """The SUT's process ended in the middle of a run: found at the end of ``scenario``, at
    ``at``. No later scenario can reach a decision, so none is run."""

    scenario: str
    at: str
    exit_code: int | None
    how: str            # "exited with code 7", "was killed by signal 9 (SIGKILL)"

    @classmethod
    def found(cls, service: Exited, scenario: str) -> SutStopped | None:
        """The SUT's process found ended at the end of ``scenario``; None while it runs."""
        code = service.exit_code()
        return None if code is None else cls(scenario, stamp(time.time()), code,
                                             how_ended(code))

    @property
    def reason(self) -> str:
        return (f"the SUT {self.how} during scenario {self.scenario} (found at {self.at}): "
                "no decision can be reached from then on")

    def judge(self, scenario: str, verdict: str, reason: str | None) -> tuple[str, str | None]:
        """A scenario's verdict once the SUT has stopped: inconclusive with the stop as the
        reason. The scenario it stopped during keeps a pass or a fail that its own steps
        reached (a crash on what the scenario sent is the SUT's failure, with its evidence);
        one that does not apply to the SUT stays not applicable."""
        if (verdict in ("pass", "fail") and scenario == self.scenario) or \
                (verdict == "not_applicable" and reason != self.reason):
            return verdict, reason
        return "inconclusive", self.reason

    def as_dict(self) -> dict:
        return asdict(self)


def sut_fault(exc: BaseException | None) -> bool:
    """The SUT silent, refusing a call, answering against the test-control contract, or
    without what the scenario needed of its answer (a voucher number of a payment it
    declined)."""
    return isinstance(exc, SutUnreachable) or (
        isinstance(exc, ControlRefused | ContractBroken | AnswerLacks) and exc.by_sut)


def failure_requirements(outcome: StepOutcome | None, tagged: list[str]) -> list[str]:
    """The requirements the step that stopped a scenario is reported under (``attributed``):
    every violation's of a failed check (a code may break two rules); the contract's for an
    answer against the test-control contract; the scenario's own for anything else the SUT
    did (a refused call after the setting up)."""
    exc = outcome.exception if outcome else None
    if isinstance(exc, CheckFailed):
        return list(dict.fromkeys(r for v in exc.violations
                                  for r in attributed(v.requirements, tagged)))
    if isinstance(exc, ContractBroken) and exc.requirement:
        return [exc.requirement]
    return list(tagged) if outcome else []


def step_verdict(outcome: StepOutcome) -> tuple[str, str | None]:
    """Verdict for a scenario stopped by ``outcome``, and the reason when not a plain fail."""
    exc = outcome.exception
    # The SUT silent, refusing a call (no test account for us, say) or answering garbage:
    # while setting up, no decision can be reached; later, it is the SUT's answer.
    if sut_fault(exc):
        if outcome.step_type == "given":
            what = "unreachable" if isinstance(exc, SutUnreachable) else \
                "refused a call" if isinstance(exc, ControlRefused) else \
                "answered without what the scenario needed" if isinstance(exc, AnswerLacks) \
                else "broke the test-control contract"
            return "inconclusive", f"SUT {what} while setting up: {exc}"
        return "fail", None
    if isinstance(exc, AssertionError) or outcome.status == "failed":
        return "fail", None
    return "error", f"harness error in step '{outcome.keyword} {outcome.text}': {outcome.message}"


def failure_record(outcome: StepOutcome, tagged: list[str]) -> dict:
    """What the report says of a failed step: the requirement it is reported under (the
    first of ``failure_requirements``), the check that failed, expected and observed."""
    exc = outcome.exception
    requirements = failure_requirements(outcome, tagged)
    return {"step": f"{outcome.keyword} {outcome.text}",
            "message": str(exc) if exc is not None else outcome.message,
            "requirement": requirements[0] if requirements else None,
            "requirements": requirements,
            "check": getattr(exc, "check", None),
            "expected": getattr(exc, "expected", None),
            "observed": getattr(exc, "observed", None)}


def warning_record(warning: Violation, tagged: list[str]) -> dict:
    """What the report says of a check's warning: as of a failure, under the requirements
    ``attributed`` picks."""
    return {"check": warning.check, "message": warning.message,
            "requirements": attributed(warning.requirements, tagged),
            "expected": warning.expected, "observed": warning.observed}


def scenario_verdict(outcome: StepOutcome | None, sut_findings: int,
                     harness_findings: int, warnings: int = 0) -> tuple[str, str | None]:
    """Combine the first unsuccessful step (if any) with the passive findings and the
    warnings the scenario's checks gave."""
    if outcome is not None:
        return step_verdict(outcome)
    if sut_findings:
        return "fail", None
    if harness_findings:
        return "error", "a simulated participant sent a message that breaks the profile"
    if warnings:
        return "warning", f"{warnings} check(s) found what the profile advises against"
    return "pass", None


def bearing_on(result: ScenarioResult, requirement: str) -> str:
    """How a scenario's verdict bears on one of its requirements: a warning only on those its
    warnings name (a code's advisory finding does not tarnish the scenario's other
    requirements), every other verdict on all of them."""
    if result.verdict == "warning" and not any(requirement in w["requirements"]
                                               for w in result.warnings):
        return "pass"
    return result.verdict


def requirement_verdict(verdicts: Iterable[str]) -> str:
    """The worst of the scenario verdicts that bear on a requirement."""
    verdicts = set(verdicts) - {"not_applicable"}
    for verdict in ("fail", "error", "inconclusive", "waived", "warning", "pass"):
        if verdict in verdicts:
            return verdict
    return "untested"


def run_verdict(scenarios: list[ScenarioResult],
                untested_mandatory: list[str]) -> tuple[str, str, str]:
    """Overall verdict and the sentence that explains it, in English and in Chinese."""
    count = {v: sum(s.verdict == v for s in scenarios) for v in SCENARIO_VERDICTS}
    applicable = len(scenarios) - count["not_applicable"]
    if count["fail"]:
        failed = ", ".join(s.id for s in scenarios if s.verdict == "fail")
        return ("not-conformant",
                f"{count['fail']} of {applicable} applicable scenarios failed: {failed}.",
                f"{applicable} 个适用场景中 {count['fail']} 个未通过：{failed}。")
    if count["error"] or count["inconclusive"]:
        return ("inconclusive",
                f"{count['inconclusive']} inconclusive and {count['error']} harness errors: no "
                "decision could be reached for every scenario.",
                f"{count['inconclusive']} 个场景无法判定，{count['error']} 个测试工具错误："
                "并非每个场景都能得出结论。")
    passing = count["pass"] + count["warning"]
    if not passing and not count["waived"]:
        return "inconclusive", "No applicable scenario ran.", "没有运行任何适用场景。"
    waived = [s.id for s in scenarios if s.verdict == "waived"]
    passed = f"All {applicable} applicable scenarios passed" if not waived else (
        f"{passing} of {applicable} applicable scenarios passed and {len(waived)} failed "
        f"under waivers in force ({', '.join(waived)})")
    passed_zh = f"全部 {applicable} 个适用场景通过" if not waived else (
        f"{applicable} 个适用场景中 {passing} 个通过，{len(waived)} 个在有效豁免下未通过"
        f"（{', '.join(waived)}）")
    if warned := [s.id for s in scenarios if s.verdict == "warning"]:
        passed += f", {len(warned)} with warnings ({', '.join(warned)})"
        passed_zh += f"，其中 {len(warned)} 个有警告（{', '.join(warned)}）"
    if untested_mandatory:
        untested = ", ".join(untested_mandatory)
        return ("inconclusive", f"{passed}, but mandatory requirements were not tested: "
                                f"{untested}.",
                f"{passed_zh}，但以下必选要求未经测试：{untested}。")
    return "conformant", f"{passed}.", f"{passed_zh}。"
