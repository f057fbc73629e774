"""Bad input gets one line on stderr and the documented exit code — never a traceback — and
no process is left behind."""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import time

import pytest
import requests

from qrinterop.runner.bdd.suite import locate
from tests.conftest import (
    REFERENCE_ICS,
    ROOT,
    edited_ics,
    ics_with,
    processes_mentioning,
    reference_features_line,
    reference_line,
    run_cli,
)

pytestmark = pytest.mark.e2e


def assert_one_line_error(done: subprocess.CompletedProcess, code: int, *words: str) -> str:
    lines = done.stderr.strip().splitlines()
    assert done.returncode == code, done.stdout + done.stderr
    assert len(lines) == 1 and lines[0].startswith("qrinterop: error: "), done.stderr
    assert "Traceback" not in done.stdout + done.stderr
    for word in words:
        assert word in lines[0], (word, lines[0])
    return lines[0]


def test_unknown_option():
    assert_one_line_error(run_cli("certify", "--colour", "blue"), 2, "--colour")


def test_out_that_cannot_be_written(tmp_path):
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder")
    assert_one_line_error(run_cli("certify", "--out", str(blocker / "run")), 2, str(blocker))


def test_out_that_already_holds_a_run(tmp_path):
    (tmp_path / "report.json").write_text("{}")
    assert_one_line_error(run_cli("certify", "--out", str(tmp_path)), 2, "not empty")


@pytest.mark.parametrize(("edit", "words"), [
    (("roles: [issuer, acquirer]", "roles: [issuer, acquirer"), ("not valid YAML", "line ")),
    (("roles: [issuer, acquirer]", "roles: [wallet]"),
     ("institution.roles.0", f"line {reference_line('roles: [')},")),
    (("defects: []", "defects: [no-such-defect]"), ("no-such-defect", "line ")),
    (("payment_code_length: 18", 'payment_code_length: "18"'),
     ("codes.payment_code_length", f"line {reference_line('payment_code_length: 18')},")),
    ((reference_features_line(), "features: [teleport]"),
     ("institution.features", "teleport", "line ")),
])
def test_broken_ics_is_named(tmp_path, edit, words):
    ics = ics_with(tmp_path, *edit)
    assert_one_line_error(run_cli("certify", "--ics", str(ics), "--out", str(tmp_path / "r")),
                          2, str(ics), *words)


def test_missing_ics(tmp_path):
    assert_one_line_error(run_cli("certify", "--ics", str(tmp_path / "nope.yaml")), 2,
                          "nope.yaml")


def test_port_already_taken(tmp_path):
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen(1)
        port = taken.getsockname()[1]
        done = run_cli("certify", "--base-port", str(port), "--out", str(tmp_path / "run"))
    assert_one_line_error(done, 2, f"127.0.0.1:{port}")
    assert processes_mentioning(str(tmp_path)) == []


def test_institution_that_fails_to_start_is_inconclusive(tmp_path, defect_ics):
    run_dir = tmp_path / "run"
    done = run_cli("certify", "--ics", str(defect_ics("crash-on-start")), "--out", str(run_dir))
    assert_one_line_error(done, 3, "10000001", "crash-on-start")
    report = json.loads((run_dir / "report.json").read_text(encoding="utf-8"))
    assert report["verdict"] == "inconclusive"
    assert "could not start" in report["verdict_reason"]
    assert "crash-on-start" in (run_dir / "logs" / "10000001.log").read_text()
    assert processes_mentioning(str(run_dir)) == []


def _serve(run_dir, sigint_ignored=False):
    """``qrinterop serve`` started and ready; ``sigint_ignored``: as a background job of a
    script starts it, SIGINT ignored from the start."""
    process = subprocess.Popen([sys.executable, "-m", "qrinterop.cli", "serve", "--out",
                                str(run_dir)], stdout=subprocess.PIPE, text=True,
                               env={**os.environ, "PYTHONUNBUFFERED": "1"},
                               preexec_fn=(lambda: signal.signal(signal.SIGINT, signal.SIG_IGN))
                               if sigint_ignored else None)
    for line in process.stdout:
        if "Press Ctrl-C" in line:
            return process
    raise AssertionError("serve did not start")


def test_ctrl_c_stops_a_harness_started_with_sigint_ignored(tmp_path):
    process = _serve(tmp_path / "serve", sigint_ignored=True)
    process.send_signal(signal.SIGINT)
    assert process.wait(timeout=10) == 0
    assert _wait_until_gone(str(tmp_path / "serve")) == []


def _wait_until_gone(text, timeout_s=10.0):
    deadline = time.monotonic() + timeout_s
    while processes_mentioning(text) and time.monotonic() < deadline:
        time.sleep(0.1)
    return processes_mentioning(text)


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT, signal.SIGKILL])
def test_services_die_with_the_harness(tmp_path, sig):
    """Even a SIGKILLed harness leaves no simulator running: their stdin closes."""
    run_dir = tmp_path / "serve"
    process = _serve(run_dir)
    services = 2 + len(locate().network_layout()["peers"])     # the switch, the SUT, the peers
    assert len(processes_mentioning(str(run_dir))) == 1 + services  # and the harness
    process.send_signal(sig)
    process.wait(timeout=10)
    assert _wait_until_gone(str(run_dir)) == []


def test_harness_fault_keeps_the_evidence_and_says_what_broke(tmp_path):
    """A broken step file is the harness's fault: verdict inconclusive, report still written."""
    suite = tmp_path / "suite"
    for folder in ("features", "steps", "mocks", "vectors"):
        shutil.copytree(ROOT / folder, suite / folder)
    (suite / "steps" / "broken_steps.py").write_text("raise RuntimeError('step file broken')\n")
    run_dir = tmp_path / "run"
    done = subprocess.run([sys.executable, "-m", "qrinterop.cli", "certify", "--out",
                           str(run_dir)], capture_output=True, text=True, timeout=120,
                          env={**os.environ, "QRINTEROP_SUITE": str(suite)}, check=False)
    assert_one_line_error(done, 3, "Harness error", "step file broken")
    report = json.loads((run_dir / "report.json").read_text(encoding="utf-8"))
    assert report["verdict"] == "inconclusive"
    assert (run_dir / "network.json").exists() and list((run_dir / "logs").iterdir())
    assert processes_mentioning(str(run_dir)) == []


@pytest.mark.parametrize("args, words", [
    (("--persona", "wallet-z"), "unknown persona wallet-z; the network has peer, wallet-w"),
    (("--defect", "no-such-defect"), "unknown defect no-such-defect"),
])
def test_serve_names_a_bad_persona_or_defect(tmp_path, args, words):
    done = run_cli("serve", "--out", str(tmp_path / "serve"), *args)
    assert_one_line_error(done, 2, words)


def test_serve_says_where_everything_is_and_follows_the_messages(tmp_path):
    """The engineer's view: each service with its persona and public key, then a line per
    message the switch passes on."""
    run_dir = tmp_path / "serve"
    process = subprocess.Popen([sys.executable, "-m", "qrinterop.cli", "serve", "--out",
                                str(run_dir), "--persona", "wallet-w"], stdout=subprocess.PIPE,
                               text=True, env={**os.environ, "PYTHONUNBUFFERED": "1"})
    try:
        banner = []
        for line in process.stdout:
            banner.append(line)
            if "Press Ctrl-C" in line:
                break
        text = "".join(banner)
        assert "  SUT  " in text and "wallet-w" in text and "acquirer-q" not in text
        assert (run_dir / "keys" / "20000001.pub.pem").read_text().startswith("-----BEGIN")
        urls = {p["id"]: p["url"].removesuffix("/messages") for p in
                json.loads((run_dir / "network.json").read_text())["participants"]}
        account = requests.post(urls["20000001"] + "/control/accounts", json={"balance": 900},
                                timeout=10).json()["account"]
        code = requests.post(urls["20000001"] + "/control/payment-codes",
                             json={"account": account}, timeout=10).json()["code"]
        requests.post(urls["10000001"] + "/control/terminal/charge",
                      json={"code": code, "amount": 500}, timeout=10)
        followed = [line for line in (next(process.stdout) for _ in range(5)) if line.strip()]
        assert "10000001 → switch    cpm.purchase.request" in followed[0]
        assert f"code={code}" in followed[1] and "switch → 20000001" in followed[1]
    finally:
        process.send_signal(signal.SIGINT)
        process.wait(timeout=10)


def test_tags_that_do_not_parse_are_a_usage_error(tmp_path):
    done = run_cli("certify", "--tags", "@a and (", "--out", str(tmp_path / "run"))
    assert_one_line_error(done, 2, "--tags '@a and ('", "not a tag expression")
    assert not (tmp_path / "run").exists()


@pytest.mark.parametrize("value", [".nan", ".inf"])
def test_a_non_finite_timing_scale_is_refused(tmp_path, value):
    ics = ics_with(tmp_path, "timing_scale: 0.1", f"timing_scale: {value}")
    line = f"line {reference_line('timing_scale: 0.1')}"
    assert_one_line_error(run_cli("certify", "--ics", str(ics), "--out", str(tmp_path / "r")),
                          2, "sut.timing_scale", "not a finite number", line)
    checked = run_cli("ics", "check", str(ics))
    assert checked.returncode == 1 and "not a finite number" in checked.stdout


@pytest.mark.parametrize("args", [
    ("ics", "check", "/dev/zero"), ("certify", "--ics", "/dev/zero"),
    ("certify", "--waivers", "/dev/zero"), ("certify", "--sign-key", "/dev/zero"),
    ("msg", "validate", "/dev/zero"), ("msg", "sign", "{message}", "--key", "/dev/zero"),
    ("reconcile", "/dev/zero", "/dev/zero"), ("lint", "--image", "/dev/zero"),
    ("lint", "--batch", "/dev/zero"),
], ids=lambda args: " ".join(args))
def test_an_endless_file_is_refused_not_read_forever(tmp_path, args):
    message = tmp_path / "message.json"
    message.write_text('{"header": {}, "body": {}}')
    args = [arg.format(message=message) for arg in args]
    done = run_cli(*args, "--out", str(tmp_path / "run"), timeout=60) if args[0] == "certify" \
        else run_cli(*args, timeout=60)
    assert_one_line_error(done, 2, "/dev/zero", "too large")


@pytest.mark.parametrize("text", ["[" * 5000 + "]" * 5000, '{"records": NaN}', "[1e999]"],
                         ids=["deep", "nan", "overflow"])
def test_reconcile_refuses_json_it_cannot_use(tmp_path, text):
    (tmp_path / "file.json").write_text(text)
    done = run_cli("reconcile", str(tmp_path / "file.json"), str(tmp_path / "file.json"))
    assert_one_line_error(done, 2, "file.json", "does not parse as JSON")


@pytest.mark.parametrize("text", ["[]", "junk", "[" * 5000 + "]" * 5000, '{"verdict": NaN}',
                                  '{"run": 1}'], ids=["array", "junk", "deep", "nan", "other"])
def test_matrix_names_a_bundle_whose_report_is_junk(tmp_path, text):
    bundle = tmp_path / "bundle"
    bundle.mkdir()
    (bundle / "report.json").write_text(text)
    done = run_cli("matrix", str(bundle), "--out", str(tmp_path / "matrix"))
    assert_one_line_error(done, 2, f"not a report bundle: {bundle}: report.json")


def test_a_right_to_left_override_in_a_name_is_shown_escaped(tmp_path):
    """The institution's name is the SUT's to choose: a page or a terminal line must not
    read as another name because of a character it does not show."""
    name = "Bank \u202eAC\u2066"
    ics = ics_with(tmp_path, "name: Reference institution A", f'name: "{name}"')
    run_dir = tmp_path / "run"
    certified = run_cli("certify", "--ics", str(ics), "--out", str(run_dir), "--tags",
                        "@tc.CODE-01")
    assert certified.returncode == 3, certified.stderr       # only one scenario: inconclusive
    report = json.loads((run_dir / "report.json").read_text(encoding="utf-8"))
    assert report["run"]["sut"]["name"] == name             # the evidence keeps it as given
    page = (run_dir / "report.html").read_text(encoding="utf-8")
    assert "Bank &lt;U+202E&gt;AC&lt;U+2066&gt;" in page and "\u202e" not in page
    checked = run_cli("ics", "check", str(ics))
    assert "Bank <U+202E>AC<U+2066>" in checked.stdout and "\u202e" not in checked.stdout
    matrix = run_cli("matrix", str(run_dir), "--out", str(tmp_path / "matrix"))
    assert "Bank <U+202E>AC<U+2066>" in matrix.stdout and "\u202e" not in matrix.stdout
    page = (tmp_path / "matrix" / "matrix.html").read_text(encoding="utf-8")
    assert "&lt;U+202E&gt;" in page and "\u202e" not in page


def _without_capacity(tmp_path):
    """The reference ICS with no capacity block."""
    block = re.search(r"^capacity:\n(?:[ #].*\n)+", REFERENCE_ICS.read_text(encoding="utf-8"),
                      flags=re.MULTILINE)
    assert block
    return edited_ics(tmp_path, (block.group(0), ""))


@pytest.mark.parametrize(("args", "ics", "words"), [
    (("--tps", "0"), None, ("--tps",)),
    (("--workers", "0"), None, ("no worker",)),
    ((), _without_capacity, ("no target rate", "capacity.peak_tps")),
    ((), lambda _tmp: ROOT / "mocks" / "reference-switch-ics.yaml", ("switch SUT",)),
    ((), lambda tmp: ics_with(tmp, "profile: cn-interconnect/1.1",
                              "profile: cn-interconnect/1.0"), ("capacity",)),
])
def test_capacity_refuses_what_it_cannot_run_before_starting(tmp_path, args, ics, words):
    where = ("--ics", str(ics(tmp_path))) if ics else ()
    done = run_cli("capacity", *where, *args, "--out", str(tmp_path / "run"))
    assert_one_line_error(done, 2, *words)
    assert not (tmp_path / "run").exists()
