"""``launch: command``: the harness starts the SUT with its ICS's command, tells it the network
through QRINTEROP_SUT_CONFIG, waits until it accepts connections, certifies it and stops it.
The bundled reference, run by ``mocks/launch_reference.py`` as an institution would run its
own implementation, is the SUT here; a command that dies or never listens is inconclusive."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from tests.conftest import ROOT, launched_ics, run_cli

pytestmark = pytest.mark.e2e


def command_ics(folder, command: str) -> str:
    return str(launched_ics(folder, "command", f"command: {command}", f"workdir: {ROOT}",
                            "ready_timeout_s: 10"))


def test_the_reference_started_by_command_is_certified(tmp_path):
    ics = command_ics(tmp_path, "[python, -m, mocks.launch_reference]")
    run_dir = tmp_path / "run"
    done = run_cli("certify", "--ics", ics, "--out", str(run_dir), "--tags",
                   "@tc.CPM-01,@tc.MPM-01,@tc.SEC-01,@tc.FLT-02,@tc.NTF-04")
    report = json.loads((run_dir / "report.json").read_text(encoding="utf-8"))
    assert report["summary"]["pass"] == 5, done.stdout + done.stderr
    assert report["run"]["sut"]["launch"] == "command"
    log = (run_dir / "logs" / "10000001.log").read_text(encoding="utf-8")
    assert '"ready": true' in log          # the SUT's own output is evidence
    config = json.loads((run_dir / "services" / "10000001.json").read_text(encoding="utf-8"))
    assert "key_file" not in config and config["switch_url"].endswith("/messages")


@pytest.mark.parametrize(("command", "words"), [
    ("[python, -c, 'import sys; sys.exit(\"no licence file\")']",
     "exited with code 1 while starting: no licence file"),
    ("[python, -c, 'import time; time.sleep(60)']", "did not accept connections"),
    ("[no-such-program-here]", "cannot run 'no-such-program-here'"),
], ids=["exits", "never-listens", "not-found"])
def test_a_command_that_does_not_come_up_is_inconclusive(tmp_path, command, words):
    run_dir = tmp_path / "run"
    done = run_cli("certify", "--ics", command_ics(tmp_path, command), "--out", str(run_dir))
    assert done.returncode == 3, done.stdout + done.stderr
    assert words in done.stderr and done.stderr.count("\n") == 1
    report = json.loads((run_dir / "report.json").read_text(encoding="utf-8"))
    assert report["verdict"] == "inconclusive" and words in json.dumps(report)


def test_the_reference_already_running_at_a_url_is_certified(tmp_path):
    """launch: url: the reference, started beforehand from its own ICS, learns the run's
    network by PUT /control/network and is certified; the harness leaves it running."""
    ics = launched_ics(tmp_path, "url")
    sut = subprocess.Popen([sys.executable, "-m", "mocks.launch_reference", "--ics", str(ics)],
                           cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    try:
        assert json.loads(sut.stdout.readline())["ready"]
        run_dir = tmp_path / "run"
        done = run_cli("certify", "--ics", str(ics), "--out", str(run_dir), "--tags",
                       "@tc.CPM-01 or @tc.MPM-01 or @tc.NTF-04")
        report = json.loads((run_dir / "report.json").read_text(encoding="utf-8"))
        assert report["summary"]["pass"] == 3, done.stdout + done.stderr
        assert sut.poll() is None            # not the harness's to stop
    finally:
        sut.terminate()
        sut.wait(timeout=10)


def test_a_url_where_nothing_listens_is_inconclusive(tmp_path):
    ics = launched_ics(tmp_path, "url", "ready_timeout_s: 1")
    done = run_cli("certify", "--ics", str(ics), "--out", str(tmp_path / "run"))
    assert done.returncode == 3 and "did not accept connections" in done.stderr
