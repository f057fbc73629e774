"""Which requirement a failure is reported under, and the warning outcome: from the check
that failed and the scenario's @req tags, never from a string in a step."""

from __future__ import annotations

import pytest

from qrinterop.checks.outcome import REGISTRY, WARNING, Violation, check, unequal, unless
from qrinterop.judging.verdicts import (
    CheckFailed,
    ScenarioResult,
    StepOutcome,
    attributed,
    failure_record,
    requirement_verdict,
    run_verdict,
    scenario_verdict,
)


@check("R-FLOW-07", "R-FLOW-13")
def _refund_or_void_answered(code: str) -> list[Violation]:
    return unequal("answer", code, "00")


@check()
def _generic(ok: bool) -> list[Violation]:
    return unless(ok, "outcome", "approved", "declined")


def test_a_check_names_itself_and_its_requirements_on_its_violations():
    assert _refund_or_void_answered("00") == []
    (violation,) = _refund_or_void_answered("12")
    assert violation.check == "_refund_or_void_answered"
    assert violation.requirements == ("R-FLOW-07", "R-FLOW-13")
    assert violation.message == "answer: expected 00, observed 12"
    assert REGISTRY["_refund_or_void_answered"] == ("R-FLOW-07", "R-FLOW-13")


def test_a_violation_naming_its_own_requirement_keeps_it():
    @check("R-MPM-05")
    def lint_like() -> list[Violation]:
        return [Violation("CRC", "valid", "bad", requirements=("R-MPM-03",))]
    assert lint_like()[0].requirements == ("R-MPM-03",)


@pytest.mark.parametrize(("requirements", "tagged", "expected"), [
    # A void scenario reports a failed refund-or-void check under the void's requirement.
    (("R-FLOW-07", "R-FLOW-13"), ["R-FLOW-13"], ["R-FLOW-13"]),
    (("R-FLOW-07", "R-FLOW-13"), ["R-FLOW-07", "R-MSG-01"], ["R-FLOW-07"]),
    # A generic check bears on whatever its scenario verifies.
    ((), ["R-FLOW-01", "R-CERT-03"], ["R-FLOW-01", "R-CERT-03"]),
    # A check whose requirement the scenario forgot to tag is still judged under its own.
    (("R-SEC-05",), ["R-FLOW-01"], ["R-SEC-05"]),
])
def test_attribution(requirements, tagged, expected):
    assert attributed(requirements, tagged) == expected


def test_the_failure_record_names_the_check_and_the_attributed_requirement():
    failed = CheckFailed(_refund_or_void_answered("12"))
    step = StepOutcome("Then", "then", "the SUT voids it", "failed", failed, str(failed))
    record = failure_record(step, ["R-FLOW-13"])
    assert (record["requirement"], record["requirements"], record["check"]) == \
        ("R-FLOW-13", ["R-FLOW-13"], "_refund_or_void_answered")
    assert (record["expected"], record["observed"]) == ("00", "12")


def _result(sid: str, verdict: str) -> ScenarioResult:
    return ScenarioResult(sid, sid, "features/x.feature", [], ["R-X"], verdict, 0.1, None, "",
                          [])


def test_warnings_pass_but_say_so():
    assert scenario_verdict(None, 0, 0, warnings=1)[0] == "warning"
    assert scenario_verdict(None, 1, 0, warnings=1)[0] == "fail"       # a finding still fails
    assert requirement_verdict(["pass", "warning"]) == "warning"
    assert requirement_verdict(["warning", "fail"]) == "fail"
    verdict, reason, reason_zh = run_verdict([_result("A", "pass"), _result("B", "warning")], [])
    assert verdict == "conformant"
    assert "1 with warnings (B)" in reason and "警告" in reason_zh
    assert Violation("x", "a", "b", severity=WARNING).severity == "warning"


def test_a_record_reads_alike_from_a_transcript_and_from_a_log():
    from qrinterop.checks.record import Record

    message = {"header": {"msgType": "cpm.purchase.request"}, "body": {"orderNo": "A1"}}
    logged = Record.from_log({"at": 1.0, "direction": "in", "peer": "10000001",
                              "msg_type": "cpm.purchase.request", "message": message,
                              "leg": "acquirer-to-switch", "note": None, "deliberate": 0},
                             "90000000")
    line = Record.of({"n": 7, "at": 1.0, "pco": "switch", "from": "10000001", "to": "90000000",
                      "kind": "request", "msg_type": "cpm.purchase.request",
                      "leg": "acquirer-to-switch", "content": message})
    for record in (logged, line):
        assert record.sent_by("10000001") and record.sent_to("90000000")
        assert record.about(orderNo="A1") and record.is_message
    assert Record.of({"at": 2.0, "from": "x", "to": "y", "content": [1]}).body == {}


def test_every_broken_rule_is_reported_and_a_warning_bears_only_on_its_own_requirement():
    from qrinterop.judging.verdicts import bearing_on, failure_requirements

    failed = CheckFailed([Violation("CRC", "valid", "bad", "code_conforms", ("R-MPM-03",)),
                          Violation("length", "<= 25", "30", "code_conforms", ("R-MPM-04",))])
    step = StepOutcome("Then", "then", "x", "failed", failed, str(failed))
    assert failure_requirements(step, ["R-MPM-03", "R-MPM-04"]) == ["R-MPM-03", "R-MPM-04"]
    warned = _result("S", "warning")
    warned.warnings = [{"check": "c", "message": "m", "requirements": ["R-MPM-14"],
                        "expected": "e", "observed": "o"}]
    assert bearing_on(warned, "R-MPM-14") == "warning"
    assert bearing_on(warned, "R-CERT-03") == "pass"
