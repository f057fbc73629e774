"""The runner's pieces on their own: verdict lattice, passive checks, transcripts, ICS."""

from __future__ import annotations

import pytest

from qrinterop.checks.outcome import Violation
from qrinterop.checks.transactions import yuan
from qrinterop.errors import SutUnreachable, UsageError
from qrinterop.ics.loader import load_ics
from qrinterop.judging.verdicts import (
    CheckFailed,
    ScenarioResult,
    StepOutcome,
    requirement_verdict,
    run_verdict,
    scenario_verdict,
)
from qrinterop.profile import load_profile, profile_folder
from qrinterop.report.document import Claims, build_report, requirement_entries
from qrinterop.runner.bdd.suite import locate
from qrinterop.runner.bdd.vocabulary import parse_money
from qrinterop.runner.processes.services import listen
from qrinterop.runner.scenarios.clients import ControlRefused
from qrinterop.runner.scenarios.session import Session
from tests.conftest import REFERENCE_ICS

PROFILE = load_profile()


def outcome(step_type="then", exception=None, status="failed"):
    return StepOutcome("Then", step_type, "something", status, exception, "boom")


def result(sid, verdict, requirements=(), passive=None):
    return ScenarioResult(sid, sid, "features/x.feature", [], list(requirements), verdict, 0.1,
                          None, "", [], passive=passive)


# -- verdicts ---------------------------------------------------------------------------------
@pytest.mark.parametrize(("step", "expected"), [
    (outcome(exception=CheckFailed([Violation("x", "1", "2")])), "fail"),
    (outcome(step_type="given", exception=SutUnreachable("down")), "inconclusive"),
    (outcome(step_type="when", exception=SutUnreachable("down")), "fail"),
    # A refused test-control call: the SUT's doing, or a simulator's (the harness's fault).
    (outcome("given", ControlRefused(409, "no", by_sut=True), "error"), "inconclusive"),
    (outcome("when", ControlRefused(500, "no", by_sut=True), "error"), "fail"),
    (outcome("when", ControlRefused(500, "no", by_sut=False), "error"), "error"),
    (outcome(exception=KeyError("harness bug"), status="error"), "error"),
    (outcome(status="undefined"), "error"),
])
def test_a_stopped_step_decides_the_scenario(step, expected):
    assert scenario_verdict(step, 0, 0)[0] == expected


def test_passive_findings_fail_a_scenario_whose_steps_passed():
    assert scenario_verdict(None, 0, 0) == ("pass", None)
    assert scenario_verdict(None, 1, 0)[0] == "fail"
    assert scenario_verdict(None, 0, 1)[0] == "error"    # a simulator broke the profile


def test_requirement_takes_the_worst_bearing_verdict():
    assert requirement_verdict(["pass", "fail", "inconclusive"]) == "fail"
    assert requirement_verdict(["pass", "inconclusive"]) == "inconclusive"
    assert requirement_verdict(["pass", "not_applicable"]) == "pass"
    assert requirement_verdict([]) == "untested"


def test_run_verdict():
    passed = [result("A", "pass"), result("B", "pass")]
    assert run_verdict(passed, [])[0] == "conformant"
    assert run_verdict([*passed, result("C", "fail")], [])[0] == "not-conformant"
    assert run_verdict([*passed, result("C", "inconclusive")], [])[0] == "inconclusive"
    assert run_verdict([result("N", "not_applicable")], [])[0] == "inconclusive"
    verdict, reason, reason_zh = run_verdict(passed, ["R-CPM-03"])
    assert verdict == "inconclusive" and "R-CPM-03" in reason
    assert reason_zh == "全部 2 个适用场景通过，但以下必选要求未经测试：R-CPM-03。"


def test_a_failed_check_keeps_expected_and_observed():
    failed = CheckFailed([Violation("payer balance", "487.50 CNY", "375.00 CNY", "books",
                                    ("R-FLOW-12",))])
    assert str(failed) == "payer balance: expected 487.50 CNY, observed 375.00 CNY"
    assert (failed.expected, failed.observed) == ("487.50 CNY", "375.00 CNY")
    assert (failed.check, failed.requirements) == ("books", ("R-FLOW-12",))


def test_requirements_outside_the_sut_roles_are_not_applicable():
    entries = {e["id"]: e for e in requirement_entries(PROFILE, [], Claims(frozenset({"acquirer"})),
                                                        "10000001")}
    assert entries["R-CPM-03"]["verdict"] == "not_applicable"      # issuer only
    assert entries["R-MPM-05"]["verdict"] == "untested"


def test_passive_requirements_are_judged_from_findings():
    clean = result("A", "pass", passive={"messages": 4, "findings": []})
    dirty = result("B", "fail", passive={"messages": 4, "findings": [
        {"requirement": "R-MSG-01", "record": 3, "sender": "10000001", "message": "x"}]})
    entries = {e["id"]: e for e in requirement_entries(PROFILE, [clean, dirty],
                                                       Claims(frozenset({"issuer"})), "10000001")}
    assert entries["R-MSG-01"]["verdict"] == "fail"
    assert entries["R-MSG-01"]["scenarios"] == ["A", "B"]
    assert entries["R-SEC-01"]["verdict"] == "pass"


# -- ICS, suite, sockets, money ---------------------------------------------------------------
def test_reference_ics_loads():
    ics = load_ics(REFERENCE_ICS, set(locate().defects()), set(PROFILE.features))
    assert ics.institution.roles == ("issuer", "acquirer")
    assert ics.sut.launch == "reference"


def test_suite_elsewhere_is_a_usage_error(tmp_path, monkeypatch):
    monkeypatch.setenv("QRINTEROP_SUITE", str(tmp_path))
    with pytest.raises(UsageError, match="features"):
        locate()


def test_listen_on_a_taken_port_is_a_usage_error():
    taken = listen()
    try:
        with pytest.raises(UsageError, match=str(taken.getsockname()[1])):
            listen(taken.getsockname()[1])
    finally:
        taken.close()


@pytest.mark.parametrize(("text", "fen"), [("12.50 CNY", 1250), ("500 CNY", 50000),
                                           ("0.01 CNY", 1), ("487.5 CNY", 48750)])
def test_money_in_scenarios_becomes_fen(text, fen):
    assert parse_money(text) == fen
    assert parse_money(yuan(fen)) == fen


def test_conditional_requirements_apply_only_with_their_feature():
    without = {e["id"]: e for e in requirement_entries(
        PROFILE, [], Claims(frozenset({"issuer", "acquirer"})), "10000001")}
    with_tip = {e["id"]: e for e in requirement_entries(
        PROFILE, [], Claims(frozenset({"issuer", "acquirer"}), frozenset({"mpm-tip"})),
        "10000001")}
    assert without["R-MPM-10"]["verdict"] == "not_applicable"
    assert with_tip["R-MPM-10"]["verdict"] == "untested"
    assert with_tip["R-CPM-01"]["verdict"] == "not_applicable"    # emv-cpm not declared


def test_requirements_no_scenario_covers_are_listed_not_judged():
    covered = {"R-CPM-03"}
    entries = {e["id"]: e for e in requirement_entries(
        PROFILE, [result("CPM-02", "pass", ["R-CPM-03"])], Claims(frozenset({"issuer"})),
        "10000001", covered)}
    assert entries["R-CPM-03"]["verdict"] == "pass"
    assert entries["R-MPM-05"]["verdict"] == "not_covered"
    assert entries["R-MSG-01"]["verdict"] == "untested"      # passive: never "not covered"


def test_a_conformant_verdict_names_the_declared_features_requirements_nothing_checks():
    """Declaring url-codes makes R-URL-01 and R-SEC-03 apply: when no scenario of the suite
    checks them, the verdict line names them, conformant or not (issue 15)."""
    covered = set(PROFILE.requirements) - {"R-URL-01", "R-SEC-03"}
    results = [result("CPM-01", "pass", ["R-FLOW-01"])]
    run = {"sut": {"id": "10000001"}}
    declared = build_report(run, PROFILE, results, Claims(frozenset({"issuer", "acquirer"}),
                                                          frozenset({"url-codes"})),
                            covered=covered)
    assert "R-URL-01" in declared["verdict_reason"] and "R-SEC-03" in declared["verdict_reason"]
    assert "R-URL-01" in declared["verdict_reason_zh"]
    undeclared = build_report(run, PROFILE, results, Claims(frozenset({"issuer", "acquirer"})),
                              covered=covered)
    assert "R-URL-01" not in undeclared["verdict_reason"]


def test_suite_coverage_reads_every_feature_file():
    coverage = locate().coverage()
    assert "MPM-02" in coverage["R-MPM-05"]
    assert {"CPM-01", "MPM-01", "MPM-03"} <= set(coverage["R-FLOW-01"])


def test_scenarios_needing_an_undeclared_feature_are_not_applicable():
    session = Session.__new__(Session)  # not_applicable() reads only the claims and profile
    session.roles, session.features = {"issuer"}, {"sm2"}
    session.profile = load_profile(profile_folder("cn-interconnect/1.0"))
    assert session.not_applicable(["role.issuer", "feature.sm2", "req.R-SEC-01"]) is None
    assert session.not_applicable(["role.issuer", "req.R-XYZ-99"]) == (
        "requirement(s) not in profile cn-interconnect/1.0: R-XYZ-99")
    assert session.not_applicable(["role.issuer", "since.1.0"]) is None
    assert "written for profile version 1.1" in session.not_applicable(["since.1.1"])
    assert session.not_applicable(["role.issuer", "code.58"]) == (
        "response code(s) not in profile cn-interconnect/1.0: 58")
    assert "partial-refund" in session.not_applicable(["role.issuer", "feature.partial-refund"])
    assert "role not claimed" in session.not_applicable(["role.acquirer"])


def test_a_message_the_switch_saw_reads_on_one_line():
    from qrinterop.runner.serve import message_line

    line = message_line({"at": 1764104666.445, "direction": "in", "peer": "10000001",
                         "msg_type": "cpm.purchase.request", "note": None,
                         "message": {"body": {"amount": 500, "code": "133042045372678776",
                                              "merchant": {"id": "x"}}}})
    assert line.endswith("10000001 → switch    cpm.purchase.request"
                         + " " * 23 + "amount=500 code=133042045372678776")
    assert "\n" not in line
    refused = message_line({"at": 0, "direction": "out", "peer": "20000001", "msg_type": None,
                            "note": "no answer: timeout", "message": None})
    assert "switch → 20000001" in refused and refused.endswith("[no answer: timeout]")


def test_personas_are_chosen_by_name_and_an_unknown_one_is_named():
    from qrinterop.errors import UsageError
    from qrinterop.runner.bdd.suite import locate
    from qrinterop.runner.processes.network import chosen_peers

    peers = locate().network_layout()["peers"]
    assert [p["persona"] for p in chosen_peers(peers, ("bank-u", "peer"))] == ["peer", "bank-u"]
    assert chosen_peers(peers, ()) == peers
    with pytest.raises(UsageError, match="unknown persona wallet-z; the network has peer"):
        chosen_peers(peers, ("wallet-z",))


def test_a_failed_absent_scenario_fails_a_requirement_the_ics_makes_not_applicable():
    acted = result("VOID-02", "fail", requirements=("R-FLOW-13",))
    entries = {e["id"]: e for e in requirement_entries(
        PROFILE, [acted], Claims(frozenset({"acquirer", "issuer"})), "10000001")}
    assert entries["R-FLOW-13"]["verdict"] == "fail"
    refused = result("VOID-02", "pass", requirements=("R-FLOW-13",))
    entries = {e["id"]: e for e in requirement_entries(
        PROFILE, [refused], Claims(frozenset({"acquirer", "issuer"})), "10000001")}
    assert entries["R-FLOW-13"]["verdict"] == "not_applicable"


def test_a_scenario_failing_under_a_passive_requirement_fails_it():
    """switch-lenient-parsing: VEC-MSG-270 (tagged R-MSG-01) fails while every message on
    the wire is valid; R-MSG-01 reads fail, not pass."""
    failed = result("VEC-MSG-270", "fail", requirements=("R-MSG-01",),
                    passive={"messages": 2, "findings": []})
    clean = result("CPM-01", "pass", passive={"messages": 4, "findings": []})
    entries = {e["id"]: e for e in requirement_entries(
        PROFILE, [failed, clean], Claims(frozenset({"acquirer", "issuer"})), "10000001")}
    assert entries["R-MSG-01"]["verdict"] == "fail"
    assert entries["R-MSG-01"]["scenarios"] == ["CPM-01", "VEC-MSG-270"]
