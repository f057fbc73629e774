"""A newcomer's first commands: the installed ``qrinterop``, run from their own folder (not the
suite's), with the relative paths a person types. Every path must mean a file in *that*
folder, whichever process ends up using it (the simulators start elsewhere)."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
from pathlib import Path

import pytest
import requests

from qrinterop.codes.image import render_png
from tests.conftest import REFERENCE_ICS, ROOT, processes_mentioning, with_reference_keys
from tests.test_lint_cli import ANNEX_B

pytestmark = pytest.mark.e2e
#: The installed console script, beside this interpreter (a venv's bin/).
QRINTEROP = shutil.which("qrinterop", path=str(Path(sys.executable).parent)) or "qrinterop"
#: Two quick scenarios: enough to show the simulators found their configuration.
TAGS = "@tc.CODE-01 or @tc.CODE-02"
PEER_ICS = ROOT / "docs" / "examples" / "ics-peer.yaml"


def qrinterop(cwd: Path, *args: str, timeout: float = 180,
              **env: str) -> subprocess.CompletedProcess:
    done = subprocess.run([QRINTEROP, *args], cwd=cwd, capture_output=True, text=True,
                          timeout=timeout, check=False,
                          env={**os.environ, "PYTHONUNBUFFERED": "1", **env})
    assert "Traceback" not in done.stderr and "internal error" not in done.stderr, done.stderr
    return done


@pytest.fixture(scope="module")
def home(tmp_path_factory) -> Path:
    """The newcomer's folder: the reference ICS and its keys copied in, a bundle key, a
    waiver file, a peer's ICS (its key is in keys/ too): everything named relative to here."""
    folder = with_reference_keys(tmp_path_factory.mktemp("newcomer"))
    shutil.copy(REFERENCE_ICS, folder / "ics.yaml")
    shutil.copy(PEER_ICS, folder / "peer.yaml")
    (folder / "waivers.yaml").write_text(
        'waivers:\n  - {requirement: R-MPM-15, reason: "newcomer", approver: "ops", '
        'expires: "2099-12-31"}\n', encoding="utf-8")
    assert qrinterop(folder, "keygen", "ops").returncode == 0
    return folder


@pytest.fixture(scope="module")
def certified(home) -> subprocess.CompletedProcess:
    """certify with every path option relative: --ics, --peer-ics, --waivers, --history,
    --sign-key, --out."""
    return qrinterop(home, "certify", "--out", "run", "--ics", "ics.yaml", "--peer-ics",
                     "peer.yaml", "--waivers", "waivers.yaml", "--history", "history.sqlite",
                     "--sign-key", "ops.key.pem", "--tags", TAGS)


def scenario_verdicts(run_dir: Path) -> dict[str, str]:
    report = json.loads((run_dir / "report.json").read_text(encoding="utf-8"))
    return {s["id"]: s["verdict"] for s in report["scenarios"]}


def test_certify_with_relative_paths_runs_its_scenarios(home, certified):
    assert "could not start" not in certified.stdout + certified.stderr
    assert scenario_verdicts(home / "run") == {"CODE-01": "pass", "CODE-02": "pass"}
    assert f"Report: {home / 'run' / 'report.html'}" in certified.stdout
    report = json.loads((home / "run" / "report.json").read_text(encoding="utf-8"))
    assert report["run"]["sut"]["ics"] == str(home / "ics.yaml")
    assert report["run"]["bundle"]["signed"] and (home / "history.sqlite").exists()
    assert report["run"]["peer"]["id"] == "10000003"


def test_certify_in_two_workers_with_a_relative_out(home):
    done = qrinterop(home, "certify", "--jobs", "2", "--out", "run-jobs", "--tags", TAGS)
    assert "could not start" not in done.stdout + done.stderr
    assert scenario_verdicts(home / "run-jobs") == {"CODE-01": "pass", "CODE-02": "pass"}


def test_a_suite_named_by_a_relative_link(home):
    """QRINTEROP_SUITE relative, through a symbolic link: behave sees the features, the
    simulators their configurations."""
    (home / "suite").symlink_to(ROOT, target_is_directory=True)
    done = qrinterop(home, "certify", "--out", "run-suite", "--tags", TAGS,
                     QRINTEROP_SUITE="suite")
    assert scenario_verdicts(home / "run-suite") == {"CODE-01": "pass", "CODE-02": "pass"}, \
        done.stdout + done.stderr


def test_the_bundle_commands_take_relative_paths(home, certified):
    verified = qrinterop(home, "verify", "run", "--trust", "ops.pub.pem")
    assert verified.returncode == 0, verified.stdout + verified.stderr
    matrix = qrinterop(home, "matrix", "run", "--trust", "ops.pub.pem", "--out", "matrix")
    assert matrix.returncode == 0, matrix.stderr
    rows = json.loads((home / "matrix" / "matrix.json").read_text(encoding="utf-8"))["rows"]
    assert rows[0]["bundle"] == str(home / "run") and rows[0]["verified"] == "verified"
    rerun = qrinterop(home, "certify", "--rerun-failed", "run")
    assert rerun.returncode == 0 and "Nothing to re-run" in rerun.stdout, rerun.stderr


def test_serve_with_a_relative_out_answers(home):
    process = subprocess.Popen([QRINTEROP, "serve", "--out", "serve", "--ics", "ics.yaml",
                                "--persona", "wallet-w"],
                               cwd=home, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                               text=True, env={**os.environ, "PYTHONUNBUFFERED": "1"})
    try:
        for line in process.stdout:
            if "Press Ctrl-C" in line:
                break
        else:
            raise AssertionError(f"serve did not start: {process.stderr.read()}")
        urls = {p["id"]: p["url"].removesuffix("/messages") for p in json.loads(
            (home / "serve" / "network.json").read_text(encoding="utf-8"))["participants"]}
        answer = requests.post(urls["10000001"] + "/control/accounts", json={"balance": 100},
                               timeout=10)
        assert answer.status_code == 200 and answer.json()["account"], answer.text
    finally:
        process.send_signal(signal.SIGINT)
        process.wait(timeout=20)
    assert processes_mentioning(str(home / "serve")) == []


def test_the_file_commands_take_relative_paths(home):
    """ics, msg, lint, reconcile, profile: each given a path relative to the user's folder."""
    assert qrinterop(home, "ics", "init", "--out", "mine.yaml").returncode == 0
    assert qrinterop(home, "ics", "check", "ics.yaml").returncode == 0
    (home / "message.json").write_text('{"header": {}, "body": {}}', encoding="utf-8")
    shutil.copy(ROOT / "mocks" / "keys" / "10000001-sm2-2026.key.pem", home / "sign.pem")
    signed = qrinterop(home, "msg", "sign", "message.json", "--key", "sign.pem")
    assert signed.returncode == 0, signed.stderr
    (home / "signed.json").write_text(signed.stdout, encoding="utf-8")
    for args in (("msg", "validate", "signed.json"),
                 ("msg", "verify", "signed.json", "--pub", "keys/10000001-sm2-2026.pub.pem")):
        done = qrinterop(home, *args)      # the message is no valid request: 1, not 2
        assert done.returncode == 1 and done.stderr == "", done.stdout + done.stderr
    (home / "codes.txt").write_text(ANNEX_B + "\n", encoding="utf-8")
    (home / "code.png").write_bytes(render_png(ANNEX_B))
    for args in (("lint", "--batch", "codes.txt"), ("lint", "--image", "code.png")):
        done = qrinterop(home, *args)
        assert done.returncode in (0, 1) and done.stderr == "", done.stderr
    (home / "statement.json").write_text('{"records": []}', encoding="utf-8")
    (home / "books.json").write_text("[]", encoding="utf-8")
    done = qrinterop(home, "reconcile", "statement.json", "books.json")
    assert done.returncode == 2 and "not a reconciliation file" in done.stderr, done.stderr
    shutil.copytree(ROOT / "qrinterop" / "profile" / "data" / "cn-interconnect" / "1.0",
                    home / "profile")
    done = qrinterop(home, "profile", "diff", "profile", "cn-interconnect/1.0")
    assert done.returncode == 0 and "no requirement changed" in done.stdout, done.stderr
