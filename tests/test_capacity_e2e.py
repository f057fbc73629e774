"""A capacity run end to end as a user types it, from another folder: ``qrinterop capacity``
against the reference institution with Locust's master and two local workers as child
processes, plus one worker started as on another machine (``qrinterop capacity-worker``,
knowing only the master's address: the scale-out recipe, on loopback). A short run at a low
rate fills every field of the section, a row per second, leaves money conserved, and makes a
bundle as certify does: report.html with its charts, junit.xml, a signed manifest that
``qrinterop verify`` accepts."""

from __future__ import annotations

import json
import subprocess
import sys
import xml.etree.ElementTree as ET

import pytest
from jsonschema import Draft202012Validator

from tests.conftest import REFERENCE_ICS, ROOT, free_port, run_cli

pytestmark = pytest.mark.e2e
SCHEMA = json.loads((ROOT / "qrinterop/report/report.schema.json").read_text())

#: The section's measured fields (issue 18's design) and those judging adds.
MEASURED = {"target_tps", "achieved_tps", "duration_s", "workers", "stages", "mix", "requests",
            "errors", "error_rate", "p50_ms", "p95_ms", "p99_ms", "by_kind", "error_samples",
            "series", "settled", "unsettled", "conserved", "conservation", "reconciled",
            "reconciliation", "faults_injected"}
JUDGED = {"limits", "requirements", "verdict", "reason"}


@pytest.fixture(scope="module")
def run(tmp_path_factory):
    folder = tmp_path_factory.mktemp("capacity")
    assert run_cli("keygen", str(folder / "ops")).returncode == 0
    port = free_port()
    remote = subprocess.Popen(      # joins once the master listens (zmq connects lazily)
        [sys.executable, "-m", "qrinterop.cli", "capacity-worker", "--master-host",
         "127.0.0.1", "--master-port", str(port)], cwd=folder,
        stdout=subprocess.DEVNULL, stderr=(folder / "remote-worker.log").open("wb"))
    try:
        done = run_cli("capacity", "--ics", str(REFERENCE_ICS), "--tps", "8", "--duration",
                       "15", "--workers", "2", "--remote-workers", "1", "--master-port",
                       str(port), "--out", "run", "--sign-key", "ops.key.pem", cwd=folder,
                       timeout=300)
    finally:
        remote.kill()
        remote.wait()
    return done, folder / "run"


def test_the_reference_holds_the_rate_and_the_command_says_so(run):
    done, _run_dir = run
    assert done.returncode == 0, done.stdout + done.stderr
    assert "Verdict: conformant" in done.stdout
    assert "tps (target" in done.stdout             # the progress line, every tenth second
    for requirement in ("R-CAP-01", "R-CAP-02", "R-CAP-03", "R-CAP-04"):
        assert f"PASS           {requirement}" in done.stdout


def test_the_section_holds_every_field_and_a_row_per_second(run):
    _done, run_dir = run
    report = json.loads((run_dir / "report.json").read_text(encoding="utf-8"))
    Draft202012Validator(SCHEMA).validate(report)
    section = report["capacity"]
    assert set(section) == MEASURED | JUDGED
    assert section["workers"] == 3 and section["target_tps"] == 8.0
    assert [s["stage"] for s in section["stages"]] == ["ramp", "steady", "spike", "recover"]
    assert set(section["by_kind"]) == set(section["mix"])
    assert section["requests"] == sum(k["requests"] for k in section["by_kind"].values())
    assert section["requests"] > 0 and section["p99_ms"] >= section["p50_ms"] > 0
    assert section["errors"] == 0, section["error_samples"]
    assert [row["t"] for row in section["series"]] == list(range(15))
    assert report["scenarios"] == [] and report["verdict"] == "conformant"


def test_money_is_conserved_and_reconciled_once_settled(run):
    _done, run_dir = run
    section = json.loads((run_dir / "report.json").read_text(encoding="utf-8"))["capacity"]
    assert section["settled"], section["unsettled"]
    assert section["conserved"], section["conservation"]
    assert section["reconciled"], section["reconciliation"]


def test_the_bundle_has_its_charts_its_junit_and_verifies(run):
    _done, run_dir = run
    html = (run_dir / "report.html").read_text(encoding="utf-8")
    assert html.count("<svg") == 2 and "<script" not in html
    judged = json.loads((run_dir / "report.json").read_text(encoding="utf-8"))["capacity"]
    suites = {s.get("name"): s for s in ET.parse(run_dir / "junit.xml").getroot()}
    assert {case.get("name").split()[0] for case in suites["capacity"].findall("testcase")} == \
        set(judged["requirements"])
    assert (run_dir / "ics.yaml").is_file() and (run_dir / "manifest.sig").is_file()
    verified = run_cli("verify", str(run_dir), "--trust", str(run_dir.parent / "ops.pub.pem"))
    assert verified.returncode == 0, verified.stdout + verified.stderr
