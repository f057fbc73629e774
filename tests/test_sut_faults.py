"""An SUT at fault is judged as one, never reported as the harness's error: a test-control
answer the contract (control-api.openapi.json) does not allow fails the scenario, or leaves
it inconclusive while it is being set up, naming the rule it breaks (R-CERT-04); a simulator
that does so is the harness's error. An SUT whose process ends mid-run is named in the report
(scenario, time, exit status) and the scenarios from then on are inconclusive for that
reason, not run and failed one by one."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from jsonschema import Draft202012Validator

from qrinterop.judging.verdicts import (
    ScenarioResult,
    StepOutcome,
    SutStopped,
    failure_requirements,
    scenario_verdict,
)
from qrinterop.profile import load_profile
from qrinterop.protocol.control_api import ControlApiSpec
from qrinterop.report.document import Claims, build_report
from qrinterop.report.html import render_html
from qrinterop.runner.bdd.suite import locate
from qrinterop.runner.processes.services import how_ended
from qrinterop.runner.scenarios.clients import (
    Channel,
    ContractBroken,
    ControlClient,
    ControlRefused,
)
from tests.conftest import ROOT, launched_ics, run_cli

PROFILE = load_profile()
CONTRACT = ControlApiSpec.of(PROFILE)
SCHEMA = json.loads((ROOT / "qrinterop" / "report" / "report.schema.json").read_text())


@pytest.fixture
def answering() -> Iterator[callable]:
    """A control API on 127.0.0.1 that answers every call with the status and body given."""
    answer = {"status": 200, "body": b"", "type": "application/json"}

    class Handler(BaseHTTPRequestHandler):
        def reply(self) -> None:
            self.rfile.read(int(self.headers.get("Content-Length") or 0))
            self.send_response(answer["status"])
            self.send_header("Content-Type", answer["type"])
            self.send_header("Content-Length", str(len(answer["body"])))
            self.end_headers()
            self.wfile.write(answer["body"])

        do_GET = do_POST = do_PUT = reply

        def log_message(self, *_args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()

    def client(status: int, body: bytes, under_test: bool = True,
               content_type: str = "application/json") -> ControlClient:
        answer.update(status=status, body=body, type=content_type)
        return ControlClient("10000001", f"http://127.0.0.1:{server.server_port}", 5,
                             Channel(), under_test=under_test, contract=CONTRACT)
    yield client
    server.shutdown()
    server.server_close()


@pytest.mark.parametrize(("status", "body", "words"), [
    (200, b"OK", "POST /control/accounts 200: $: not JSON: b'OK'"),
    (200, b"[1]", "POST /control/accounts 200: $: [1] is not of type 'object'"),
    (200, b'{"ok": true}', "POST /control/accounts 200: $: 'account' is a required property"),
    (200, b'{"account": "A", "balance": "1.00", "riskTier": "C"}',
     "POST /control/accounts 200: $.balance: '1.00' is not of type 'integer'"),
    (500, b'{"error": "boom"}', "POST /control/accounts: status 500 is not one the contract "
                               "allows (allowed: 200, 400)"),
    (400, b'"no"', "POST /control/accounts 400: $: 'no' is not of type 'object'"),
], ids=["not-json", "not-object", "missing-field", "wrong-type", "wrong-status", "bad-refusal"])
def test_a_broken_answer_is_named_by_the_contract_rule_it_breaks(answering, status, body,
                                                                  words):
    with pytest.raises(ContractBroken) as broken:
        answering(status, body).open_account(100)
    assert words in str(broken.value)
    assert "(control-api.openapi.json, R-CERT-04)" in str(broken.value)
    assert broken.value.requirement == CONTRACT.requirement == "R-CERT-04"
    assert PROFILE.requirements["R-CERT-04"]["level"] == "mandatory"


def test_an_answer_by_the_contract_goes_through(answering):
    assert answering(200, b'{"account": "A", "balance": 100, "riskTier": "C"}') \
        .open_account(100) == "A"
    with pytest.raises(ControlRefused):             # a refusal the contract allows
        answering(400, b'{"error": "no"}').open_account(100)


@pytest.mark.parametrize(("step_type", "under_test", "verdict"), [
    ("given", True, "inconclusive"), ("when", True, "fail"), ("then", True, "fail"),
    ("given", False, "error"), ("when", False, "error"),
])
def test_the_sut_breaking_the_contract_is_its_fault_a_simulator_the_harness(
        answering, step_type, under_test, verdict):
    with pytest.raises(ContractBroken) as broken:
        answering(200, b'{"ok": true}', under_test).open_account(100)
    step = StepOutcome("When", step_type, "x", "failed" if under_test else "error",
                       broken.value, str(broken.value))
    assert scenario_verdict(step, 0, 0)[0] == verdict
    assert failure_requirements(step, []) == (["R-CERT-04"] if under_test else [])


def result(sid: str, verdict: str, reason: str | None = None,
           requirements: tuple[str, ...] = ()) -> ScenarioResult:
    return ScenarioResult(sid, sid, "features/x.feature", [], list(requirements), verdict, 0.1,
                          None, "", [], reason=reason)


def test_the_contract_requirement_is_judged_on_every_scenario_that_ran():
    run = {"sut": {"id": "10000001"}}
    broken = build_report(run, PROFILE, [
        result("A", "pass"), result("B", "fail", requirements=("R-CERT-04",)),
        result("C", "not_applicable")], Claims(frozenset({"issuer", "acquirer"})))
    entry = next(r for r in broken["requirements"] if r["id"] == "R-CERT-04")
    assert (entry["verdict"], entry["scenarios"]) == ("fail", ["A", "B"])
    kept = build_report(run, PROFILE, [result("A", "pass")],
                        Claims(frozenset({"issuer", "acquirer"})))
    assert next(r for r in kept["requirements"] if r["id"] == "R-CERT-04")["verdict"] == "pass"


def test_once_the_sut_stopped_later_scenarios_are_inconclusive_for_that_reason():
    stop = SutStopped("MPM-01", "2026-12-03T18:00:00.000+08:00", 7, how_ended(7))
    assert stop.how == "exited with code 7" and "during scenario MPM-01" in stop.reason
    assert stop.judge("MPM-01", "pass", None) == ("pass", None)      # done before it stopped
    assert stop.judge("MPM-01", "fail", None) == ("fail", None)    # its own evidence stands
    assert stop.judge("MPM-01", "error", "x") == ("inconclusive", stop.reason)
    assert stop.judge("MPM-02", "fail", None) == ("inconclusive", stop.reason)
    assert stop.judge("MPM-02", "not_applicable", stop.reason) == ("inconclusive", stop.reason)
    assert stop.judge("MPM-03", "not_applicable", "role not claimed") == \
        ("not_applicable", "role not claimed")
    assert how_ended(-9) == "was killed by signal 9 (SIGKILL)" and how_ended(None) is None


class _Process:
    def __init__(self, code: int | None) -> None:
        self.code = code

    def exit_code(self) -> int | None:
        return self.code


def test_a_stopped_sut_is_found_with_its_exit_status():
    assert SutStopped.found(_Process(None), "CPM-01") is None
    stopped = SutStopped.found(_Process(-9), "CPM-01")
    assert (stopped.scenario, stopped.exit_code, stopped.how) == \
        ("CPM-01", -9, "was killed by signal 9 (SIGKILL)")


def test_the_report_says_when_and_how_the_sut_stopped():
    stop = SutStopped("MPM-01", "2026-12-03T18:00:00.000+08:00", 7, "exited with code 7")
    report = build_report(_run(), PROFILE, [
        result("CPM-01", "pass"), result("MPM-01", "inconclusive", stop.reason),
        result("MPM-02", "inconclusive", stop.reason)],
        Claims(frozenset({"issuer", "acquirer"})), sut_exits=[stop.as_dict()])
    Draft202012Validator(SCHEMA).validate(report)
    assert report["sut_exits"] == [stop.as_dict()]
    assert "exited with code 7 during scenario MPM-01" in report["verdict_reason"]
    assert "2 scenarios are inconclusive for that reason" in report["verdict_reason"]
    assert report["verdict"] == "inconclusive"
    html = render_html(report)
    assert "exited with code 7 during scenario" in html and 'href="#MPM-01"' in html


def _run() -> dict:
    """A run section as certify writes it, enough for the schema and the page."""
    return {"id": "20261203T100000Z-abcd", "started": "2026-12-03T18:00:00.000+08:00",
            "finished": "2026-12-03T18:01:00.000+08:00", "duration_s": 60.0,
            "command": "qrinterop certify", "selection": None,
            "harness": {"name": "qrinterop", "version": "0", "commit": None},
            "profile": {"id": PROFILE.id, "version": PROFILE.version,
                        "title": PROFILE.manifest["title"]},
            "sut": {"id": "10000001", "name": "Reference", "roles": ["issuer", "acquirer"],
                    "launch": "command"},
            "environment": {"python": "3", "platform": "linux"}, "bundle": {"signed": False}}


# -- certified end to end, launched by command ------------------------------------------------
def certify_command(tmp_path: Path, command: str, tags: str) -> tuple[int, dict, str]:
    ics = launched_ics(tmp_path, "command", f"command: {command}", f"workdir: {ROOT}",
                       "ready_timeout_s: 10")
    run_dir = tmp_path / "run"
    done = run_cli("certify", "--ics", str(ics), "--out", str(run_dir), "--tags", tags)
    report = json.loads((run_dir / "report.json").read_text(encoding="utf-8"))
    Draft202012Validator(SCHEMA).validate(report)
    html = (run_dir / "report.html").read_text(encoding="utf-8")
    return done.returncode, report, html


GARBAGE_TAGS = "@tc.CODE-01 or @tc.CODE-02 or @tc.CPM-01 or @tc.CPM-02"


@pytest.mark.e2e
@pytest.mark.parametrize("garbage", ["fields", "text"])
def test_an_sut_answering_garbage_fails_by_the_contract_not_as_a_harness_error(tmp_path,
                                                                               garbage):
    code, report, _html = certify_command(
        tmp_path, f"[python, -m, tests.faulty_sut, garbage, {garbage}]", GARBAGE_TAGS)
    verdicts = {s["id"]: s["verdict"] for s in report["scenarios"]}
    assert verdicts == {"CODE-01": "fail", "CODE-02": "fail", "CPM-01": "inconclusive",
                        "CPM-02": "inconclusive"}, report["scenarios"]
    assert code == 1 and report["verdict"] == "not-conformant"
    for scenario in report["scenarios"]:
        said = scenario["reason"] if scenario["verdict"] == "inconclusive" else \
            scenario["failure"]["message"]
        assert "breaks the test-control contract (control-api.openapi.json, R-CERT-04)" \
            in said, said
        assert "POST /control/" in said and " 200: $" in said
        assert "R-CERT-04" in scenario["requirements"]
    assert {s["failure"]["requirement"] for s in report["scenarios"]
            if s["verdict"] == "fail"} == {"R-CERT-04"}
    entry = next(r for r in report["requirements"] if r["id"] == "R-CERT-04")
    assert entry["verdict"] == "fail"


@pytest.mark.e2e
def test_an_sut_that_exits_mid_run_is_named_and_later_scenarios_are_inconclusive(tmp_path):
    tags = "@tc.CPM-01 or @tc.CPM-02 or @tc.MPM-01 or @tc.SEC-01 or @tc.NTF-04"
    order = locate().selected(tags)
    code, report, html = certify_command(
        tmp_path, f"[python, -m, tests.faulty_sut, exit-at, {order[1]}, '7']", tags)
    assert code == 3 and report["verdict"] == "inconclusive"
    (stop,) = report["sut_exits"]
    assert (stop["scenario"], stop["exit_code"], stop["how"]) == \
        (order[1], 7, "exited with code 7")
    assert report["run"]["started"] <= stop["at"] <= report["run"]["finished"]
    verdicts = [(s["id"], s["verdict"]) for s in report["scenarios"]]
    assert verdicts == [(order[0], "pass"), *((i, "inconclusive") for i in order[1:])]
    assert all(s["reason"] == SutStopped(**stop).reason for s in report["scenarios"][1:])
    assert all(s["duration_s"] < 1 for s in report["scenarios"][2:])     # not run at all
    assert f"exited with code 7 during scenario {order[1]}" in report["verdict_reason"]
    assert "exited with code 7 during scenario" in html
