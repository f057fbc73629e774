"""End to end: ``qrinterop certify`` against the reference institution and broken variants,
with real processes, real HTTP on 127.0.0.1 and real SM2 signatures."""

from __future__ import annotations

import json
import warnings
import xml.etree.ElementTree as ET

import pytest
import yaml
from jsonschema import Draft202012Validator

from benchmarks import refusals
from qrinterop.profile import load_profile
from qrinterop.runner.bdd.suite import locate
from qrinterop.runner.processes.services import COVERAGE_RC_VARIABLE
from tests.conftest import (
    REFERENCE_ICS,
    ROOT,
    ics_with,
    processes_mentioning,
    reference_features_line,
    run_cli,
)

pytestmark = pytest.mark.e2e
#: Scenarios written out in the feature files; the others are rows drawn from data.
WRITTEN = {"MPM-01", "MPM-02", "MPM-03", "CPM-01", "CPM-02", "CPM-03", "CPM-04", "CPM-05",
           "SEC-01", "SEC-02", "IDEM-01",
           "REF-01", "REF-02", "REF-03", "VOID-01", "LIM-01", "LIM-02", "FLT-02", "REV-01",
           "RCN-01", "NTF-01", "NTF-02", "NTF-03", "NTF-04", "REV-02",
           *(f"FLT-01-{fault}" for fault in ("answer-code", "drop-answer", "reset-connection",
                                             "malformed-answer", "bad-signature-answer")),
           "CODE-01", "CODE-02", "CODE-03", "CODE-04"}
SCENARIOS = {ident for ident, _tags in locate().scenarios()}
#: The optional features the reference institution declares (it leaves out the acquirer's
#: query-before-reversal style, so REV-04 does not apply to it).
DECLARED = set(yaml.safe_load(REFERENCE_ICS.read_text(encoding="utf-8"))["institution"]["features"])
#: What applies to the reference institution: all but the switch role's scenarios, those of an
#: SUT without a feature it declares (@absent.) and those of a feature it does not declare.
APPLICABLE = {ident for ident, tags in locate().scenarios() if "role.switch" not in tags
              and not any(tag.startswith("absent.") for tag in tags)
              and all(tag.removeprefix("feature.") in DECLARED
                      for tag in tags if tag.startswith("feature."))}
#: What the reference passes with a warning: the published samples the vectors call
#: acceptable, which its wallet reads leniently and passes on (checks/codes.code_passed_on).
WARNED = {f"VEC-SAMPLE-{test['tcId']}" for group in json.loads(
    (ROOT / "vectors/emv_mpm_test.json").read_text(encoding="utf-8"))["testGroups"]
    for test in group["tests"]
    if test["result"] == "acceptable" and "PublishedSample" in test["flags"]}


def test_the_suite_draws_rows_from_its_data():
    """Every persona both ways, every vector and every response code is a scenario."""
    network = json.loads((ROOT / "mocks/network.json").read_text(encoding="utf-8"))["peers"]
    wallets = [p["persona"] for p in network if "issuer" in p["institution"]["roles"]]
    messages = json.loads((ROOT / "vectors/message_test.json").read_text(encoding="utf-8"))
    assert WRITTEN <= SCENARIOS
    assert {f"IOP-03-{persona}" for persona in wallets} <= SCENARIOS
    assert {f"VEC-MSG-{n}" for n in range(1, messages["numberOfTests"] + 1)} <= SCENARIOS
    assert {f"RSP-{code}" for code in load_profile().response_codes if code != "00"
            and code != "A6"} <= SCENARIOS
SCHEMA = json.loads((ROOT / "qrinterop/report/report.schema.json").read_text())


@pytest.fixture(scope="module")
def measured(tmp_path_factory):
    """The simulators of the two full certifications below (the reference institution's, the
    reference switch's) run under coverage.py, writing here: the last test reads which
    refusals of the references never ran (benchmarks/refusals.py)."""
    folder = tmp_path_factory.mktemp("coverage")
    return folder, {COVERAGE_RC_VARIABLE: str(refusals.write_rcfile(folder))}


@pytest.fixture(scope="module")
def reference_run(tmp_path_factory, measured):
    run_dir = tmp_path_factory.mktemp("certify") / "run"
    done = run_cli("certify", "--out", str(run_dir), env=measured[1], timeout=300)
    report = json.loads((run_dir / "report.json").read_text(encoding="utf-8"))
    return done, run_dir, report


def test_reference_institution_is_conformant(reference_run):
    done, run_dir, report = reference_run
    assert done.returncode == 0, done.stdout + done.stderr
    assert report["verdict"] == "conformant"
    assert WARNED and WARNED <= APPLICABLE
    assert report["summary"] == {"pass": len(APPLICABLE - WARNED), "warning": len(WARNED),
                                 "fail": 0, "inconclusive": 0, "error": 0, "waived": 0,
                                 "not_applicable": len(SCENARIOS - APPLICABLE)}
    assert {s["id"] for s in report["scenarios"]} == SCENARIOS
    assert f"Report: {run_dir / 'report.html'}" in done.stdout
    assert "Verdict: conformant" in done.stdout


def test_terminal_shows_progress_per_scenario(reference_run):
    """A line per scenario that ran; one line for all that did not apply, by why."""
    done, _, _ = reference_run
    progress = [line.split() for line in done.stdout.splitlines()
                if line.strip().startswith(("PASS", "WARNING"))]
    assert {words[1] for words in progress} == APPLICABLE
    assert {words[1] for words in progress if words[0] == "WARNING"} == WARNED
    assert "NOT-APPLICABLE" not in done.stdout
    skipped = [line for line in done.stdout.splitlines() if " not applicable: " in line]
    assert len(skipped) == 1 and skipped[0].startswith(f"{len(SCENARIOS - APPLICABLE)} ")


def test_report_json_follows_its_schema_and_names_the_run(reference_run):
    _, _, report = reference_run
    Draft202012Validator(SCHEMA).validate(report)
    run = report["run"]
    assert run["harness"]["name"] == "qrinterop"
    assert (run["profile"]["id"], run["profile"]["version"]) == ("cn-interconnect", "1.1")
    assert run["sut"]["id"] == "10000001"
    assert run["started"] <= run["finished"]


def test_every_covered_mandatory_requirement_passed_with_a_scenario(reference_run):
    _, _, report = reference_run
    mandatory = [r for r in report["requirements"] if r["level"] == "mandatory"]
    # A requirement of another role (R-MSG-02 binds the switch) does not apply here.
    covered = [r for r in mandatory if r["verdict"] not in ("not_covered", "not_applicable")]
    assert len(covered) >= 20
    warned = {r for s in report["scenarios"] for w in s["warnings"] for r in w["requirements"]}
    for requirement in covered:
        assert requirement["verdict"] == ("warning" if requirement["id"] in warned else "pass"), \
            requirement
        assert requirement["scenarios"], requirement["id"]
    gaps = [r["id"] for r in mandatory if r["verdict"] == "not_covered"]
    assert all(not r["scenarios"] for r in mandatory if r["id"] in gaps)
    assert all(gap in report["verdict_reason"] for gap in gaps)


def test_transcripts_hold_every_exchange_in_both_directions(reference_run):
    _, run_dir, report = reference_run
    cpm = next(s for s in report["scenarios"] if s["id"] == "CPM-01")
    records = [json.loads(line) for line in
               (run_dir / cpm["transcript"]).read_text(encoding="utf-8").splitlines()]
    assert [r["n"] for r in records] == list(range(1, len(records) + 1))
    hops = [(r["from"], r["to"], r.get("msg_type")) for r in records if r["pco"] == "switch"]
    assert hops[:4] == [
        ("10000002", "90000000", "cpm.purchase.request"),
        ("90000000", "10000001", "cpm.purchase.request"),
        ("10000001", "90000000", "cpm.purchase.response"),
        ("90000000", "10000002", "cpm.purchase.response"),
    ]
    # The switch's result notice to the acquirer, and its acknowledgement, go in the
    # background: by the scenario's end they are usually, not always, on the record.
    assert set(hops[4:]) <= {("90000000", "10000002", "notice.result.request"),
                             ("10000002", "90000000", "notice.result.response")}
    upper = [r for r in records if r["pco"] == "upper-tester"]
    assert {r["kind"] for r in upper} == {"request", "response"}
    assert cpm["passive"] == {"messages": len(hops), "findings": []}
    # The SUT is asked to log the test case: it comes back in every message it sent.
    sent = [r["content"] for r in records if r["pco"] == "switch"]
    assert {m["header"].get("testCaseId") for m in sent} == {"CPM-01"}


def test_junit_and_html_are_written(reference_run):
    _, run_dir, _ = reference_run
    suites = ET.parse(run_dir / "junit.xml").getroot()
    assert suites.get("tests") == str(len(SCENARIOS)) and suites.get("failures") == "0"
    html = (run_dir / "report.html").read_text(encoding="utf-8")
    assert "conformant" in html and all(s in html for s in SCENARIOS)
    assert list((run_dir / "allure-results").glob("*-result.json"))


def test_no_private_key_reaches_the_run_folder(reference_run):
    _, run_dir, _ = reference_run
    for path in run_dir.rglob("*"):
        if path.is_file():
            assert b"PRIVATE KEY" not in path.read_bytes(), path


def test_no_process_outlives_the_run(reference_run):
    _, run_dir, _ = reference_run
    assert processes_mentioning(str(run_dir)) == []


def test_the_switchs_reconciliation_file_is_kept_and_valid(reference_run):
    _done, run_dir, _report = reference_run
    statement = json.loads((run_dir / "files" / "RCN-01.reconciliation.json").read_text())
    profile = load_profile()
    uri = profile.messages["schema_base"] + "reconciliation.schema.json"
    validator = Draft202012Validator({"$ref": uri}, registry=profile.schema_registry)
    assert list(validator.iter_errors(statement)) == []
    assert statement["header"]["recordCount"] == len(statement["records"]) > 0


def test_a_hanging_sut_fails_its_scenario_and_the_run_goes_on(tmp_path, defect_ics):
    """The terminal never answers: the call times out after the ICS's control_timeout_s."""
    run_dir = tmp_path / "run"
    done = run_cli("certify", "--ics", str(defect_ics("terminal-hangs")), "--out", str(run_dir),
                   "--tags", "@tc.IOP-01-wallet-w or @tc.CODE-01 or @tc.CODE-02")
    report = json.loads((run_dir / "report.json").read_text(encoding="utf-8"))
    assert done.returncode == 1, done.stdout + done.stderr
    verdicts = {s["id"]: s["verdict"] for s in report["scenarios"]}
    assert verdicts == {"IOP-01-wallet-w": "fail", "CODE-01": "pass", "CODE-02": "pass"}
    failure = next(s for s in report["scenarios"] if s["verdict"] == "fail")["failure"]
    assert "POST /control/terminal/charge: ReadTimeout" in failure["message"]
    assert report["scenarios"][-1]["duration_s"] < 30


def test_an_sut_without_a_feature_refuses_it(tmp_path):
    """Scenarios tagged @absent.X run only when the ICS leaves X out, and the reference
    then refuses X: its behaviour follows its ICS."""
    ics = ics_with(tmp_path, reference_features_line(),
                   "features: [cpm-password, dynamic-mpm, sm2]")
    run_dir = tmp_path / "run"
    done = run_cli("certify", "--ics", str(ics), "--out", str(run_dir),
                   "--tags", "@tc.REF-01 or @tc.REF-04 or @tc.VOID-01 or @tc.VOID-02")
    report = json.loads((run_dir / "report.json").read_text(encoding="utf-8"))
    verdicts = {s["id"]: s["verdict"] for s in report["scenarios"]}
    assert verdicts == {"REF-01": "not_applicable", "VOID-01": "not_applicable",
                        "REF-04": "pass", "VOID-02": "pass"}, done.stdout


@pytest.fixture(scope="module")
def switch_run(tmp_path_factory, measured):
    run_dir = tmp_path_factory.mktemp("certify-switch") / "run"
    done = run_cli("certify", "--ics", str(ROOT / "mocks/reference-switch-ics.yaml"),
                   "--jobs", "2", "--out", str(run_dir), env=measured[1], timeout=300)
    return done, run_dir, json.loads((run_dir / "report.json").read_text(encoding="utf-8"))


def test_the_reference_switch_routes_between_the_peers(switch_run):
    """The switch role: every SW- and switch message scenario passes, every requirement that
    binds a switch is tested, and the transcripts show what the peers exchanged with it."""
    done, run_dir, report = switch_run
    assert done.returncode == 0, done.stdout + done.stderr
    assert report["verdict"] == "conformant"
    applied = {s["id"]: s for s in report["scenarios"] if s["verdict"] != "not_applicable"}
    assert {s["verdict"] for s in applied.values()} == {"pass"}
    assert set(applied) >= {"SW-01-wallet-w", "SW-02-acquirer-q", "SW-04", "SW-05-26",
                            "SW-06", "SW-07", "SW-08"}
    assert all("role.switch" in s["tags"] for s in applied.values())
    assert not [r for r in report["requirements"] if r["verdict"] == "untested"]
    hops = [json.loads(line) for line in (run_dir / applied["SW-07"]["transcript"]).read_text(
        encoding="utf-8").splitlines()]
    notices = [h for h in hops if h["pco"] == "peer" and h["msg_type"] == "notice.result.request"]
    assert [h["from"] for h in notices] == ["90000001"] * 2 and len({h["to"] for h in notices}) == 1


def test_every_refusal_of_the_references_runs(measured, reference_run, switch_run):
    """Under the two full certifications above, every refusal of the references (a response
    code other than 00, an HTTP error, a raise) runs, but those allowed with a reason
    (benchmarks/refusals-allowed.json); an allowed one that now runs makes the list stale,
    which is said, not failed (a refusal a timing-bound scenario reaches may run one night
    and not the next). Either way, `python -m benchmarks coverage --update-allowlist`
    rewrites it."""
    folder, _env = measured
    lines, _totals = refusals.executed(folder)
    missing, stale = refusals.judged(refusals.never_ran(refusals.references(), lines),
                                     refusals.load_allowed())
    assert not missing, "refusals no scenario runs (add a scenario, or allow with a reason):\n" \
        + "\n".join(f"{r.file}:{r.line} {r.function} answers {r.what}" for r in missing)
    if stale:
        warnings.warn(f"allowed refusals that now run (python -m benchmarks coverage "
                      f"--update-allowlist): {stale}", stacklevel=1)
