"""Report bundles (issue 7): a signed run folder is accepted intact and rejected, naming the
problem, when a byte is changed, a transcript record removed, the manifest signed by an
untrusted key, the release not approved, or the archive truncated."""

from __future__ import annotations

import json
import shutil
import tarfile
from pathlib import Path

import pytest

from qrinterop.evidence.bundle import MANIFEST, chain_problem, chained_lines, sign_manifest
from qrinterop.evidence.keys import ED25519, generate, load_private
from qrinterop.evidence.masking import masked
from qrinterop.protocol.crypto import SM2_ALGORITHM
from tests.conftest import run_cli

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def keys(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("keys")
    for name, alg in (("ops", ED25519), ("gm", SM2_ALGORITHM), ("other", ED25519)):
        assert run_cli("keygen", "--alg", alg, str(folder / name)).returncode == 0
    return folder


@pytest.fixture(scope="module")
def bundle(tmp_path_factory, keys) -> Path:
    run_dir = tmp_path_factory.mktemp("bundle") / "run"
    done = run_cli("certify", "--tags", "@tc.CPM-01 or @tc.SEC-01", "--out", str(run_dir),
                   "--sign-key", str(keys / "ops.key.pem"))
    assert (run_dir / "manifest.sig").is_file(), done.stdout + done.stderr
    return run_dir


@pytest.fixture
def copy(tmp_path, bundle) -> Path:
    return Path(shutil.copytree(bundle, tmp_path / "copy"))


def verify(path: Path, keys: Path, *extra: str):
    return run_cli("verify", str(path), "--trust", str(keys / "ops.pub.pem"), *extra)


def test_an_intact_bundle_and_its_archive_are_verified(tmp_path, bundle, keys):
    done = verify(bundle, keys)
    assert done.returncode == 0, done.stdout
    assert "ok    signature of manifest.json: Ed25519" in done.stdout
    assert "transcripts/CPM-01.jsonl: chain intact" in done.stdout
    key_id = load_private(keys / "ops.key.pem").public.id
    report = json.loads((bundle / "report.json").read_text(encoding="utf-8"))
    assert report["run"]["bundle"] == {"signed": True, "alg": ED25519, "key_id": key_id}
    assert key_id in (bundle / "report.html").read_text(encoding="utf-8")
    archive = tmp_path / "bundle.tar.gz"
    with tarfile.open(archive, "w:gz") as tar:
        tar.add(bundle, arcname="run")
    assert verify(archive, keys).returncode == 0


def test_one_byte_changed_anywhere_is_named(copy, keys):
    report = copy / "report.json"
    data = bytearray(report.read_bytes())
    data[len(data) // 2] ^= 1
    report.write_bytes(bytes(data))
    done = verify(copy, keys)
    assert done.returncode == 1
    assert "FAIL  file report.json: its SHA-256 differs from the manifest's" in done.stdout


def test_a_transcript_record_removed_breaks_its_chain(copy, keys):
    transcript = copy / "transcripts" / "CPM-01.jsonl"
    lines = transcript.read_text(encoding="utf-8").splitlines(keepends=True)
    transcript.write_text("".join(lines[:2] + lines[3:]), encoding="utf-8")
    done = verify(copy, keys)
    assert done.returncode == 1
    assert "FAIL  transcript transcripts/CPM-01.jsonl: line 3: the chain breaks" in done.stdout
    assert "FAIL  file transcripts/CPM-01.jsonl" in done.stdout


def test_a_manifest_signed_by_an_untrusted_key_is_refused(copy, keys):
    manifest = json.loads((copy / MANIFEST).read_text(encoding="utf-8"))
    manifest["sut"]["name"] = "Someone else"
    (copy / MANIFEST).write_text(json.dumps(manifest), encoding="utf-8")
    intruder = generate(ED25519)
    sign_manifest(copy, intruder)
    done = verify(copy, keys)
    assert done.returncode == 1
    assert f"signed by key '{intruder.public.id}', which is not among the trusted keys" \
        in done.stdout


def test_an_unapproved_release_is_refused(tmp_path, bundle, keys):
    approved = tmp_path / "approved.yaml"
    approved.write_text("harness: ['0.0.9']\nprofiles: [cn-interconnect/1.1]\n")
    done = verify(bundle, keys, "--approved", str(approved))
    assert done.returncode == 1
    assert "FAIL  harness release 0.1.0: not on the approved list (0.0.9)" in done.stdout
    assert "ok    profile cn-interconnect/1.1: approved" in done.stdout


def test_a_truncated_archive_is_refused(tmp_path, bundle, keys):
    archive = tmp_path / "bundle.tar.gz"
    with tarfile.open(archive, "w:gz") as tar:
        tar.add(bundle, arcname="run")
    archive.write_bytes(archive.read_bytes()[: archive.stat().st_size // 2])
    done = verify(archive, keys)
    assert done.returncode == 1 and "not a readable .tar.gz bundle" in done.stdout


def test_an_sm2_signature_verifies_with_its_key(copy, keys):
    sign_manifest(copy, load_private(keys / "gm.key.pem"))
    done = run_cli("verify", str(copy), "--trust", str(keys / "gm.pub.pem"))
    assert done.returncode == 0 and "SM3withSM2" in done.stdout, done.stdout


def test_unusable_input_is_one_line_and_exit_2(tmp_path, keys):
    missing = run_cli("verify", str(tmp_path / "nothing"))
    assert missing.returncode == 2 and "no such bundle" in missing.stderr
    (tmp_path / "bad.pem").write_text("not a key")
    bad = run_cli("verify", str(tmp_path), "--trust", str(tmp_path / "bad.pem"))
    assert bad.returncode == 2 and bad.stderr.startswith("qrinterop: error: --trust")
    assert run_cli("keygen", str(keys / "ops")).returncode == 2     # never overwrites


def test_the_chain_names_where_it_breaks():
    lines = chained_lines([{"n": 1}, {"n": 2}, {"n": 3}])
    assert chain_problem("\n".join(lines)) is None
    assert "line 2" in chain_problem("\n".join([lines[0], lines[2]]))
    assert "line 1" in chain_problem("\n".join([lines[1], lines[0], lines[2]]))


def test_a_scan_of_the_whole_bundle_finds_no_secret(bundle):
    """No private key anywhere; nothing the upper tester captured that masking would still
    change."""
    for path in bundle.rglob("*"):
        if path.is_file():
            assert b"PRIVATE KEY" not in path.read_bytes(), path
    for transcript in bundle.glob("transcripts/*.jsonl"):
        for line in transcript.read_text(encoding="utf-8").splitlines():
            record = json.loads(line)
            if record["pco"] == "upper-tester":
                assert masked(record["content"]) == record["content"], record


def test_a_run_in_two_workers_is_one_bundle(tmp_path, keys):
    """One manifest, at the run folder, covers the workers' transcripts and logs too."""
    run_dir = tmp_path / "run"
    run_cli("certify", "--jobs", "2", "--tags", "@tc.CPM-01 or @tc.SEC-01", "--out",
            str(run_dir), "--sign-key", str(keys / "ops.key.pem"))
    done = verify(run_dir, keys)
    assert done.returncode == 0, done.stdout
    assert "workers/1/transcripts/SEC-01.jsonl: chain intact" in done.stdout
    archive = tmp_path / "bundle.tar.gz"
    with tarfile.open(archive, "w:gz") as tar:
        tar.add(run_dir, arcname="run")
    assert verify(archive, keys).returncode == 0
