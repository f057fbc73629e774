"""Right-reason verdicts (issue 15): what the SUT answered, missing what a later step needs
(a voucher number of a payment it declined), is the SUT's fail under the scenario's
requirements, or inconclusive while setting up; never a harness error from a KeyError. A
simulator's answer that tells of an approved transaction and still lacks a field is the
harness's fault."""

from __future__ import annotations

import pytest

from qrinterop.errors import AnswerLacks
from qrinterop.judging.verdicts import (
    StepOutcome,
    failure_requirements,
    scenario_verdict,
    sut_fault,
)
from qrinterop.runner.scenarios.clients import Answer, answer_of

DECLINED = {"status": "declined", "respCode": "51", "orderNo": "M1"}
APPROVED = {"status": "approved", "respCode": "00", "orderNo": "M1"}


def lookup(answer: dict, field: str) -> BaseException:
    with pytest.raises(KeyError) as info:       # what a step's code catches still catches it
        answer[field]
    return info.value


def outcome(exc: BaseException, step_type: str) -> StepOutcome:
    return StepOutcome("When" if step_type == "when" else "Given", step_type,
                       "the SUT's acquirer refunds 25.00 CNY of that payment", "error", exc,
                       str(exc))


def test_a_refund_of_a_payment_the_sut_declined_fails_under_the_scenarios_requirement():
    """REF-03's step refunds the payment the peer's wallet reports: the SUT's acquirer
    declined it, so the wallet's (contract-valid) answer has no voucher number."""
    payment = answer_of(DECLINED, "10000002 POST /control/wallet/pay", by_sut=False)
    exc = lookup(payment, "voucherNum")
    assert isinstance(exc, AnswerLacks) and sut_fault(exc)
    assert "no 'voucherNum' (status 'declined', respCode '51')" in str(exc)
    assert scenario_verdict(outcome(exc, "when"), 0, 0) == ("fail", None)
    assert failure_requirements(outcome(exc, "when"), ["R-FLOW-07"]) == ["R-FLOW-07"]


def test_while_setting_up_it_is_inconclusive():
    exc = lookup(answer_of(DECLINED, "10000001 POST /control/terminal/charge", True),
                 "voucherNum")
    verdict, reason = scenario_verdict(outcome(exc, "given"), 0, 0)
    assert verdict == "inconclusive" and "answered without what the scenario needed" in reason


def test_the_suts_own_answer_lacking_a_field_is_its_fault_even_when_approved():
    exc = lookup(answer_of(APPROVED, "10000001 GET /control/transactions/x", True),
                 "settleDate")
    assert sut_fault(exc) and scenario_verdict(outcome(exc, "when"), 0, 0)[0] == "fail"


def test_a_simulators_approved_answer_lacking_a_field_is_a_harness_error():
    exc = lookup(answer_of(APPROVED, "10000002 POST /control/wallet/pay", False), "voucherNum")
    assert not sut_fault(exc)
    assert scenario_verdict(outcome(exc, "when"), 0, 0)[0] == "error"


def test_nested_objects_and_lists_are_answers_and_stay_plain_json():
    import json

    found = answer_of({"body": {"items": [{"a": 1}]}}, "call", True)
    assert isinstance(found["body"], Answer) and isinstance(found["body"]["items"][0], Answer)
    assert isinstance(lookup(found["body"]["items"][0], "b"), AnswerLacks)
    assert json.loads(json.dumps(found)) == {"body": {"items": [{"a": 1}]}}
    assert found.get("missing") is None and found == {"body": {"items": [{"a": 1}]}}


@pytest.mark.e2e
def test_a_refund_of_a_payment_the_sut_declined_is_its_fail_not_a_harness_error(tmp_path):
    """REF-02 against a wallet that declines (62) every acquirer but its own: the refund step
    met a payment with no voucher number. Before, a null voucher was sent on, the peer
    refused it and the scenario was a harness error with a traceback; now it fails under its
    requirement, R-FLOW-07, naming the decline."""
    import json

    from tests.conftest import edited_ics, run_cli

    ics = edited_ics(tmp_path, ("defects: []", "defects: [wallet-declines-other-acquirers]"))
    done = run_cli("certify", "--ics", str(ics), "--tags", "@tc.REF-02",
                   "--out", str(tmp_path / "run"))
    report = json.loads((tmp_path / "run" / "report.json").read_text(encoding="utf-8"))
    (scenario,) = report["scenarios"]
    assert scenario["verdict"] == "fail", done.stdout
    assert scenario["failure"]["requirements"] == ["R-FLOW-07"]
    assert "62" in scenario["failure"]["message"]       # the decline, named
    assert "Traceback" not in done.stdout
