"""``qrinterop matrix`` over three real bundles: the reference and two defective variants show
their differences at a glance, and a tampered bundle says so."""

from __future__ import annotations

import json
import shutil

import pytest

from tests.conftest import ROOT, edited_ics, launched_ics, run_cli
from tests.test_bundle_tampering import files_entry, linked_folder, loop, raw, signature

pytestmark = pytest.mark.e2e
TAGS = "@area.mpm or @area.void"


@pytest.fixture(scope="module")
def bundles(tmp_path_factory):
    folder = tmp_path_factory.mktemp("matrix")
    assert run_cli("keygen", str(folder / "ops")).returncode == 0
    runs = {}
    for name, defects in (("reference", "[]"), ("crc", "[skip-crc-check]"),
                          ("void", "[void-twice]")):
        ics = edited_ics(folder, ("defects: []", f"defects: {defects}"), name=f"{name}.yaml")
        runs[name] = folder / name
        run_cli("certify", "--ics", str(ics), "--tags", TAGS, "--out", str(runs[name]),
                "--sign-key", str(folder / "ops.key.pem"))
    return folder, runs


def test_three_bundles_side_by_side(bundles):
    folder, runs = bundles
    done = run_cli("matrix", *map(str, runs.values()), "--out", str(folder / "out"),
                   "--trust", str(folder / "ops.pub.pem"))
    assert done.returncode == 0, done.stdout + done.stderr
    matrix = json.loads((folder / "out" / "matrix.json").read_text(encoding="utf-8"))
    areas = {row["institution"]["defects"][0] if row["institution"]["defects"] else "none":
             row["areas"] for row in matrix["rows"]}
    assert areas["none"] == {"mpm": "pass", "void": "pass"}
    assert areas["skip-crc-check"] == {"mpm": "fail", "void": "pass"}
    assert areas["void-twice"] == {"mpm": "pass", "void": "fail"}
    assert {row["verified"] for row in matrix["rows"]} == {"verified"}
    html = (folder / "out" / "matrix.html").read_text(encoding="utf-8")
    assert html.count('<td class="fail">fail</td>') == 2 and "skip-crc-check" in html


def test_a_tampered_bundle_is_marked_in_the_matrix(bundles, tmp_path):
    folder, runs = bundles
    (runs["void"] / "report.html").write_text("changed", encoding="utf-8")
    done = run_cli("matrix", str(runs["void"]), "--out", str(tmp_path),
                   "--trust", str(folder / "ops.pub.pem"))
    assert "NOT verified: file report.html" in done.stdout


def test_a_folder_that_is_no_bundle_is_a_usage_error(tmp_path):
    done = run_cli("matrix", str(tmp_path), "--out", str(tmp_path / "out"))
    assert done.returncode == 2 and "not a report bundle" in done.stderr


PEER = ROOT / "docs" / "examples" / "ics-peer.yaml"


def peer_by_command(folder, command: str = "[python, -m, mocks.launch_reference]"):
    """The example peer, started as an institution starts its own implementation."""
    return launched_ics(folder, "command", f"command: {command}", f"workdir: {ROOT}",
                        "ready_timeout_s: 10", source=PEER, name="peer-command.yaml")


def test_two_institutions_certified_against_each_other_make_a_pair_view(tmp_path):
    """certify --peer-ics puts a second institution in the peer's place, launched as its ICS
    says (here by command); with a defect of its own it fails the scenarios it plays in, and
    the pair view shows it."""
    broken = edited_ics(tmp_path, ("defects: []", "defects: [mpm-debit-wrong-amount]"),
                        source=PEER, name="peer-broken.yaml")
    runs = []
    for name, ics in (("intact", peer_by_command(tmp_path)), ("broken", broken)):
        runs.append(tmp_path / name)
        run_cli("certify", "--peer-ics", str(ics), "--tags", "@tc.CPM-01 or @tc.MPM-03",
                "--out", str(runs[-1]))
    intact, report = (json.loads((run / "report.json").read_text(encoding="utf-8"))
                      for run in runs)
    assert intact["run"]["peer"]["launch"] == "command"
    assert {s["id"]: s["verdict"] for s in intact["scenarios"]} == {"CPM-01": "pass",
                                                                    "MPM-03": "pass"}
    assert '"ready": true' in (runs[0] / "logs" / "10000003.log").read_text(encoding="utf-8")
    manifest = json.loads((runs[0] / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["peer_ics_sha256"] == next(f["sha256"] for f in manifest["files"]
                                               if f["path"] == "peer-ics.yaml")
    assert report["run"]["peer"] == {"id": "10000003", "name": "Reference institution C",
                                     "launch": "reference",
                                     "defects": ["mpm-debit-wrong-amount"]}
    assert {s["id"]: s["verdict"] for s in report["scenarios"]} == {"CPM-01": "pass",
                                                                    "MPM-03": "fail"}
    done = run_cli("matrix", *map(str, runs), "--out", str(tmp_path / "out"))
    assert done.returncode == 0, done.stderr
    matrix = json.loads((tmp_path / "out" / "matrix.json").read_text(encoding="utf-8"))
    sut = "Reference institution A (10000001)"
    assert matrix["pairs"]["verdicts"] == {
        f"{sut} | Reference institution C (10000003)": "inconclusive",
        f"{sut} | Reference institution C (10000003, defects: mpm-debit-wrong-amount)":
            "not-conformant"}
    assert "机构对 · Pairs" in (tmp_path / "out" / "matrix.html").read_text(encoding="utf-8")


def test_a_peer_that_does_not_come_up_makes_the_run_inconclusive(tmp_path):
    ics = peer_by_command(tmp_path, "[python, -c, 'import sys; sys.exit(\"no licence\")']")
    run_dir = tmp_path / "run"
    done = run_cli("certify", "--peer-ics", str(ics), "--out", str(run_dir))
    assert done.returncode == 3, done.stdout + done.stderr
    assert "Reference institution C (10000003) exited with code 1 while starting: no licence" \
        in done.stderr
    report = json.loads((run_dir / "report.json").read_text(encoding="utf-8"))
    assert report["verdict"] == "inconclusive" and (run_dir / "peer-ics.yaml").is_file()


def test_a_peer_that_is_not_a_reference_issuer_and_acquirer_is_refused(tmp_path):
    ics = edited_ics(tmp_path, ("roles: [issuer, acquirer]", "roles: [issuer]"),
                     source=PEER)
    done = run_cli("certify", "--peer-ics", str(ics), "--out", str(tmp_path / "run"))
    assert done.returncode == 2 and "must claim issuer and acquirer" in done.stderr


@pytest.mark.parametrize("edit", [raw(b"[]"), signature(None), linked_folder, loop,
                                  files_entry(path=1)], ids=["manifest-array", "sig-null",
                                                             "linked-folder", "loop", "path-int"])
def test_matrix_marks_a_tampered_bundle_not_verified(bundles, tmp_path, edit):
    """matrix verifies as ``verify`` does: a tampered bundle is a row marked NOT verified."""
    folder, runs = bundles
    run = shutil.copytree(runs["reference"], tmp_path / "run", symlinks=True)
    edit(run)
    done = run_cli("matrix", str(run), "--out", str(tmp_path / "m"),
                   "--trust", str(folder / "ops.pub.pem"))
    assert done.returncode == 0, done.stdout + done.stderr
    rows = json.loads((tmp_path / "m" / "matrix.json").read_text(encoding="utf-8"))["rows"]
    assert rows[0]["verified"].startswith("NOT verified"), rows
