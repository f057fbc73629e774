"""Tampered bundles (issue 13, item 9): whatever was done to a bundle, ``qrinterop verify``
answers "not verified" (exit 1) with a line naming the problem, or "not a bundle" (exit 2),
never "verified" and never an internal error; ``qrinterop matrix``, which verifies through the
same code, survives the same bundles.

Bundles are made with the library (``write_manifest``, ``sign_manifest``) on a small run
folder, not by certify, so that every case takes milliseconds.
"""

from __future__ import annotations

import io
import json
import os
import shutil
import tarfile
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from qrinterop.cli.main import main
from qrinterop.evidence.archive import Limits, unpack
from qrinterop.evidence.bundle import (
    MANIFEST,
    SIGNATURE,
    BundleError,
    NotABundle,
    chain_problem,
    chained_lines,
    opened,
    sign_manifest,
    verify,
    write_manifest,
)
from qrinterop.evidence.keys import ED25519, generate

RUN = {"id": "tamper", "started": "2026-12-03T10:00:00+08:00",
       "finished": "2026-12-03T10:01:00+08:00",
       "harness": {"name": "qrinterop", "version": "0.1.0", "commit": None},
       "profile": {"id": "cn-interconnect", "version": "1.0"},
       "sut": {"id": "10000001", "name": "Reference", "roles": ["issuer"]},
       "environment": {"python": "3.11"}}
REPORT = {"verdict": "conformant",
          "run": {"finished": RUN["finished"], "sut": RUN["sut"]},
          "scenarios": [{"tags": ["area.cpm"], "verdict": "pass"}]}
KEY = generate(ED25519)


@pytest.fixture
def trust(tmp_path) -> Path:
    path = tmp_path / "ops.pub.pem"
    path.write_bytes(KEY.public.pem)
    return path


@pytest.fixture
def bundle(tmp_path) -> Path:
    return made(tmp_path)


def made(tmp_path: Path) -> Path:
    """A signed run folder: a report, a log, a hash-chained transcript, and a worker's own
    manifest (``certify --jobs``), which an archive's outermost one must win over."""
    run = tmp_path / "run"
    (run / "transcripts").mkdir(parents=True)
    (run / "logs").mkdir()
    (run / "workers" / "1").mkdir(parents=True)
    (run / "workers" / "1" / MANIFEST).write_text("{}", encoding="utf-8")
    (run / "report.json").write_text(json.dumps(REPORT), encoding="utf-8")
    (run / "logs" / "switch.log").write_text("started\n", encoding="utf-8")
    lines = chained_lines([{"n": 1, "content": "a"}, {"n": 2, "content": "b"}])
    (run / "transcripts" / "CPM-01.jsonl").write_text("".join(f"{line}\n" for line in lines),
                                                      encoding="utf-8")
    inputs = tmp_path / "inputs"        # stands in for the profile and the vectors
    inputs.mkdir()
    (inputs / "profile.json").write_text("{}", encoding="utf-8")
    write_manifest(run, RUN, inputs, inputs)
    sign_manifest(run, KEY)
    return run


def cli(capsys, *args: str | Path) -> tuple[int, str, str]:
    """``qrinterop ARGS`` in this process: exit code, stdout, stderr."""
    with pytest.raises(SystemExit) as info:
        main([str(arg) for arg in args])
    out, err = capsys.readouterr()
    return info.value.code, out, err


def verified(capsys, path: Path, trust: Path) -> tuple[int, str, str]:
    return cli(capsys, "verify", path, "--trust", trust)


def failing(out: str) -> list[str]:
    return [line for line in out.splitlines() if line.startswith("FAIL")]


def assert_refused(capsys, path: Path, trust: Path, *named: str) -> None:
    """Exit 1, no internal error, and one FAIL line naming every one of ``named``."""
    code, out, err = verified(capsys, path, trust)
    assert code == 1, out + err
    assert "internal error" not in err
    assert any(all(name in line for name in named) for line in failing(out)), out


def archive(run: Path, path: Path, *extra: tuple[tarfile.TarInfo, bytes | None]) -> Path:
    """``run`` as ``run/`` in a .tar.gz, with ``extra`` entries after it."""
    with tarfile.open(path, "w:gz") as tar:
        tar.add(run, arcname="run")
        for info, data in extra:
            tar.addfile(info, io.BytesIO(data) if data is not None else None)
    return path


def entry(name: str, data: bytes | None = b"forged", **fields: object) -> tuple:
    info = tarfile.TarInfo(name)
    info.size = len(data) if data is not None else 0
    for field, value in fields.items():
        setattr(info, field, value)
    return info, data


# -- the intact bundle, as folder and as archive ---------------------------------------------------
def test_the_intact_bundle_verifies_as_folder_and_as_archive(capsys, tmp_path, bundle, trust):
    assert verified(capsys, bundle, trust)[0] == 0
    assert verified(capsys, archive(bundle, tmp_path / "b.tar.gz"), trust)[0] == 0


# -- archives --------------------------------------------------------------------------------------
@pytest.mark.parametrize("name", ["forged/report.json", "report.json", "README.txt"])
def test_an_entry_outside_the_bundle_folder_is_refused(capsys, tmp_path, bundle, trust, name):
    """A forged report beside a genuine signed bundle used to verify (exit 0)."""
    path = archive(bundle, tmp_path / "b.tar.gz", entry(name))
    assert_refused(capsys, path, trust, name, "outside the bundle's folder run")


def test_a_second_bundle_beside_the_first_is_refused(capsys, tmp_path, bundle, trust):
    path = tmp_path / "b.tar.gz"
    with tarfile.open(path, "w:gz") as tar:
        tar.add(bundle, arcname="a")
        tar.add(bundle, arcname="b")
    assert_refused(capsys, path, trust, "b/manifest.json", "outside the bundle's folder a")


def test_an_unlisted_file_inside_the_bundle_fails(capsys, tmp_path, bundle, trust):
    path = archive(bundle, tmp_path / "b.tar.gz", entry("run/logs/extra.log"))
    assert_refused(capsys, path, trust, "logs/extra.log", "not listed in the manifest")
    (bundle / "extra.txt").write_text("x", encoding="utf-8")
    assert_refused(capsys, bundle, trust, "extra.txt", "not listed in the manifest")


@pytest.mark.parametrize(("extra", "named"), [
    (entry("run/link", None, type=tarfile.SYMTYPE, linkname="report.json"), "symbolic link"),
    (entry("run/etc", None, type=tarfile.SYMTYPE, linkname="/etc"), "symbolic link"),
    (entry("run/hard", None, type=tarfile.LNKTYPE, linkname="run/report.json"), "hard link"),
    (entry("run/tty", None, type=tarfile.CHRTYPE, devmajor=5, devminor=0), "device"),
    (entry("run/disk", None, type=tarfile.BLKTYPE, devmajor=8, devminor=0), "device"),
    (entry("run/pipe", None, type=tarfile.FIFOTYPE), "named pipe"),
    (entry("run/../evil.txt"), "'..'"),
    (entry("../evil.txt"), "'..'"),
    (entry("/tmp/qrinterop-evil.txt"), "absolute"),
    (entry("run/report.json", b"{}"), "twice"),
], ids=["symlink", "symlink-out", "hardlink", "char-device", "block-device", "fifo",
        "dotdot-inside", "dotdot", "absolute", "duplicate"])
def test_an_archive_entry_no_bundle_holds_is_refused(capsys, tmp_path, bundle, trust, extra,
                                                     named):
    path = archive(bundle, tmp_path / "b.tar.gz", extra)
    assert_refused(capsys, path, trust, extra[0].name, named)
    assert not Path("/tmp/qrinterop-evil.txt").exists()
    assert not (tmp_path / "evil.txt").exists()


def bomb(path: Path, size: int, *, data: bool = True) -> Path:
    """A .tar.gz of ``size`` zero bytes, a few KB on disk. Without ``data``, only the header
    that announces them (verify must refuse before it would read them)."""
    with tarfile.open(path, "w:gz") as tar:
        info = tarfile.TarInfo("run/zeros.bin")
        info.size = size
        if data:
            tar.addfile(info, io.BytesIO(bytes(size)))
        else:
            tar.fileobj.write(info.tobuf(tar.format, tar.encoding, tar.errors))
    return path


def test_a_size_bomb_is_refused_before_it_is_written(tmp_path):
    path = bomb(tmp_path / "bomb.tar.gz", 4 << 20)
    assert path.stat().st_size < 10_000
    into = tmp_path / "into"
    into.mkdir()
    with pytest.raises(BundleError, match="expands beyond 1048576 bytes"):
        unpack(path, into, Limits(expanded_bytes=1 << 20))
    assert not (into / "run" / "zeros.bin").exists()


def test_too_many_entries_are_refused(tmp_path, bundle):
    path = archive(bundle, tmp_path / "b.tar.gz", *(entry(f"run/f{n}") for n in range(20)))
    with pytest.raises(BundleError, match="more than 10 entries"), \
            opened(path, Limits(entries=10)):
        pass


def test_verify_refuses_an_archive_that_announces_a_gibibyte(capsys, tmp_path, trust):
    path = bomb(tmp_path / "bomb.tar.gz", 1 << 30, data=False)
    assert path.stat().st_size < 1000
    code, out, err = verified(capsys, path, trust)
    assert code == 1 and "run/zeros.bin" in out and "expands beyond" in out, out + err


def test_the_default_limits_leave_room_for_real_runs():
    """The reference's full run (460 scenarios) is a bundle of 14 MB in 2,218 files: runs ten
    times as large must fit."""
    assert Limits().expanded_bytes >= 10 * 14_200_000 and Limits().entries >= 10 * 2_218


# -- links and odd files in a folder bundle --------------------------------------------------------
def loop(run: Path) -> str:
    (run / "loop").symlink_to("loop")
    return "loop"


def dangling(run: Path) -> str:
    (run / "gone").symlink_to("nowhere")
    return "gone"


def linked_folder(run: Path) -> str:
    (run / "logs2").symlink_to("logs", target_is_directory=True)
    return "logs2"


def linked_file(run: Path) -> str:
    (run / "copy.json").symlink_to("report.json")
    return "copy.json"


def listed_file_replaced_by_link(run: Path) -> str:
    elsewhere = run.parent / "report.json"
    shutil.move(run / "report.json", elsewhere)          # same bytes, same hash
    (run / "report.json").symlink_to(elsewhere)
    return "report.json"


def pipe(run: Path) -> str:
    os.mkfifo(run / "logs" / "pipe")
    return "logs/pipe"


@pytest.mark.parametrize("plant", [loop, dangling, linked_folder, linked_file,
                                   listed_file_replaced_by_link, pipe])
def test_a_link_or_odd_file_in_a_folder_bundle_fails(capsys, bundle, trust, plant):
    name = plant(bundle)
    assert_refused(capsys, bundle, trust, f"file {name}:",
                   "named pipe" if plant is pipe else "symbolic link")


# -- malformed manifest.json -----------------------------------------------------------------------
def rewritten(change):
    """A manifest edited by ``change`` (of the parsed document) and signed again, so that only
    its shape is wrong."""
    def edit(run: Path) -> None:
        manifest = json.loads((run / MANIFEST).read_text(encoding="utf-8"))
        (run / MANIFEST).write_text(json.dumps(change(manifest)), encoding="utf-8")
        sign_manifest(run, KEY)
    return edit


def raw(data: bytes):
    def edit(run: Path) -> None:
        (run / MANIFEST).write_bytes(data)
    return edit


def flipped(old: bytes, new: bytes):
    """One byte of the manifest changed where ``old`` first occurs, and signed again."""
    def edit(run: Path) -> None:
        data = (run / MANIFEST).read_bytes()
        assert old in data
        (run / MANIFEST).write_bytes(data.replace(old, new, 1))
        sign_manifest(run, KEY)
    return edit


def huge(run: Path) -> None:
    from qrinterop.evidence.bundle import MAX_MANIFEST_BYTES
    with (run / MANIFEST).open("wb") as file:    # sparse: no disk, no time
        file.truncate(MAX_MANIFEST_BYTES + 1)


def files_entry(**fields):
    return rewritten(lambda m: {**m, "files": [{**m["files"][0], **fields}, *m["files"][1:]]})


@pytest.mark.parametrize(("edit", "named"), [
    (raw(b"[]"), "not of type 'object'"),
    (raw(b"null"), "not of type 'object'"),
    (raw(b'"manifest"'), "not of type 'object'"),
    (raw(b"{"), "not JSON"),
    (raw(b""), "not JSON"),
    (raw(b'{"files": [], "files": []}'), "duplicate member"),
    (raw(b'{"files": NaN}'), "NaN"),
    (raw(b'{"files": "\\ud800"}'), "lone surrogate"),
    (raw(b"\xff\xfe{}"), "not UTF-8"),
    (raw(b"[" * 100_000 + b"]" * 100_000), "levels allowed"),
    (huge, "larger than"),
    (rewritten(lambda m: {**m, "files": "all"}), "files: 'all' is not of type 'array'"),
    (rewritten(lambda m: {**m, "files": None}), "files: None is not of type 'array'"),
    (rewritten(lambda m: {**m, "harness": []}), "harness"),
    (rewritten(lambda m: {k: v for k, v in m.items() if k != "files"}), "'files'"),
    (files_entry(path=1), "files/0/path"),
    (files_entry(sha256=None), "files/0/sha256"),
    (files_entry(sha256="abc"), "files/0/sha256"),
    (files_entry(bytes=-1), "files/0/bytes"),
    (files_entry(path="/etc/passwd"), "files/0/path: '/etc/passwd' is not a relative path"),
    (files_entry(path="../run/report.json"), "files/0/path"),
    (files_entry(path="logs/../report.json"), "files/0/path"),
    (rewritten(lambda m: {**m, "files": [*m["files"], m["files"][0]]}), "listed twice"),
    (flipped(b'"path"', b'"pat`"'), "'path' is a required property"),
    (flipped(b'"sha256": "', b'"sha257": "'), "'sha256' is a required property"),
    (flipped(b'"path": "', b'"path": /'), "not JSON"),
], ids=["array", "null", "string", "truncated", "empty", "duplicate-member", "nan",
        "lone-surrogate", "not-utf8", "deep", "huge", "files-string", "files-null", "harness-array",
        "files-missing", "path-int", "sha-null", "sha-short", "bytes-negative", "path-absolute",
        "path-dotdot", "path-dotdot-inside", "path-twice", "flipped-key", "flipped-sha-key",
        "flipped-quote"])
def test_a_malformed_manifest_is_a_finding(capsys, bundle, trust, edit, named):
    edit(bundle)
    assert_refused(capsys, bundle, trust, "manifest.json", named)


@pytest.mark.parametrize(("make", "named"), [
    (lambda path: path.symlink_to("/dev/zero"), "symbolic link"),     # used to read forever
    (os.mkfifo, "named pipe"),                                        # must not be opened
    (Path.mkdir, "cannot be read"),
], ids=["link-to-dev-zero", "fifo", "folder"])
def test_a_manifest_that_is_no_regular_file_is_a_finding(capsys, bundle, trust, make, named):
    (bundle / MANIFEST).unlink()
    make(bundle / MANIFEST)
    assert_refused(capsys, bundle, trust, "manifest.json", named)


# -- malformed manifest.sig ------------------------------------------------------------------------
def signature(value: object | bytes):
    def edit(run: Path) -> None:
        data = value if isinstance(value, bytes) else json.dumps(value).encode()
        (run / SIGNATURE).write_bytes(data)
    return edit


def signed_with(**fields):
    def edit(run: Path) -> None:
        sig = json.loads((run / SIGNATURE).read_text(encoding="utf-8"))
        (run / SIGNATURE).write_text(json.dumps({**sig, **fields}), encoding="utf-8")
    return edit


def sig_flipped(run: Path) -> None:
    data = bytearray((run / SIGNATURE).read_bytes())
    data[data.index(b'"value": "') + 12] ^= 1
    (run / SIGNATURE).write_bytes(bytes(data))


def sig_huge(run: Path) -> None:
    with (run / SIGNATURE).open("wb") as file:
        file.truncate(1 << 30)


@pytest.mark.parametrize(("edit", "named"), [
    (signature([]), "not of type 'object'"),
    (signature(None), "not of type 'object'"),
    (signature(b"{"), "not JSON"),
    (signature(b"\xff\xfe\x00"), "not UTF-8"),
    (signature(b"[" * 60_000), "levels allowed"),
    (signed_with(keyId=5), "keyId"),
    (signed_with(value=["AAAA"]), "value"),
    (signed_with(alg=None), "alg"),
    (signed_with(value="not base64!"), "does not verify"),
    (sig_flipped, "does not verify"),
    (sig_huge, "larger than"),
], ids=["array", "null", "not-json", "not-utf8", "deep", "keyid-int", "value-list", "alg-null",
        "value-garbage", "flipped", "huge"])
def test_a_malformed_signature_is_a_finding(capsys, bundle, trust, edit, named):
    edit(bundle)
    assert_refused(capsys, bundle, trust, "manifest.sig", named)


# -- exit codes: one per state of a bundle --------------------------------------------------------
def test_an_intact_signed_bundle_is_verified_exit_0(capsys, bundle, trust):
    code, out, _ = verified(capsys, bundle, trust)
    assert code == 0, out
    assert "\nBundle verified: " in out


def test_an_intact_unsigned_bundle_is_intact_unsigned_exit_3(capsys, bundle, trust):
    """No manifest.sig is not tampering: every hash and chain holds, so the bundle is intact,
    with a note that nothing proves who made it; its own exit code, not "NOT verified"."""
    (bundle / SIGNATURE).unlink()
    code, out, _ = verified(capsys, bundle, trust)
    assert code == 3, out
    assert not failing(out), out
    assert "note  signature of manifest.json: no manifest.sig: the bundle is unsigned" in out
    assert "\nBundle intact, unsigned: " in out and "NOT verified" not in out


def test_an_unsigned_bundle_with_a_byte_changed_is_not_verified_exit_1(capsys, bundle, trust):
    """Unsigned is not a pass for tampering: a changed file still fails, exit 1."""
    (bundle / SIGNATURE).unlink()
    (bundle / "logs" / "switch.log").write_text("stopped\n", encoding="utf-8")
    assert_refused(capsys, bundle, trust, "file logs/switch.log", "SHA-256 differs")


def test_a_folder_that_is_no_bundle_is_unusable_input_exit_2(capsys, tmp_path, trust):
    code, _, err = verified(capsys, tmp_path, trust)
    assert code == 2 and "not a report bundle" in err


def test_every_state_has_its_own_exit_code():
    from qrinterop.cli.bundle import EXIT_CODES

    assert sorted(EXIT_CODES.values()) == [0, 1, 3]     # 2 is unusable input


# -- transcripts -----------------------------------------------------------------------------------
def test_a_transcript_that_is_not_utf8_is_a_finding(capsys, bundle, trust):
    path = bundle / "transcripts" / "CPM-01.jsonl"
    path.write_bytes(path.read_bytes() + b"\xff\n")
    assert_refused(capsys, bundle, trust, "transcripts/CPM-01.jsonl", "not UTF-8")


def test_a_chain_holds_across_unicode_line_separators():
    """JSON leaves U+2028 and U+0085 unescaped: they are inside a record, not between two."""
    lines = chained_lines([{"content": "a\u2028b\x85c"}, {"content": "d"}])
    assert chain_problem("".join(f"{line}\n" for line in lines)) is None


# -- not a bundle at all: exit 2, one line ---------------------------------------------------------
def test_a_folder_without_a_manifest_is_unusable_input(capsys, bundle, trust):
    (bundle / MANIFEST).unlink()
    code, out, err = verified(capsys, bundle, trust)
    assert code == 2 and out == "" and len(err.splitlines()) == 1
    assert f"no {MANIFEST}" in err


def test_an_archive_without_a_manifest_is_unusable_input(capsys, tmp_path, bundle, trust):
    (bundle / MANIFEST).unlink()
    shutil.rmtree(bundle / "workers")
    code, _, err = verified(capsys, archive(bundle, tmp_path / "b.tar.gz"), trust)
    assert code == 2 and len(err.splitlines()) == 1 and f"no {MANIFEST}" in err


def test_an_archive_whose_only_manifest_is_a_workers_is_refused(capsys, tmp_path, bundle,
                                                                 trust):
    """The run's manifest removed: the worker's folder is then the bundle, the rest outside."""
    (bundle / MANIFEST).unlink()
    path = archive(bundle, tmp_path / "b.tar.gz")
    assert_refused(capsys, path, trust, "run/report.json",
                   "outside the bundle's folder run/workers/1")


def test_a_path_that_is_neither_folder_nor_file_is_unusable_input(capsys, tmp_path, trust):
    os.mkfifo(tmp_path / "pipe")
    code, _, err = verified(capsys, tmp_path / "pipe", trust)
    assert code == 2 and "neither a folder nor a .tar.gz file" in err


def test_not_a_bundle_is_a_bundle_error():
    """``matrix`` catches BundleError: a missing manifest must stay one for it."""
    assert issubclass(NotABundle, BundleError)


# -- matrix verifies the same way ------------------------------------------------------------------
def test_matrix_refuses_a_tampered_archive_in_one_line(capsys, tmp_path, bundle, trust):
    path = archive(bundle, tmp_path / "b.tar.gz", entry("forged/report.json"))
    code, _, err = cli(capsys, "matrix", path, "--out", tmp_path / "m", "--trust", trust)
    assert code == 2 and len(err.splitlines()) == 1 and "outside the bundle's folder" in err


def test_a_file_name_cannot_forge_a_line_of_the_verdict(capsys, bundle, trust):
    (bundle / "x\nok    file report.json: fine \u202e").write_text("x", encoding="utf-8")
    code, out, _ = verified(capsys, bundle, trust)
    assert code == 1
    assert "FAIL  file x<U+000A>ok    file report.json: fine <U+202E>: not listed" in out
    assert not any(line.startswith("ok    file report.json") for line in out.splitlines())


# -- any bytes at all ---------------------------------------------------------------------------
ANY_TEXT = st.text(st.characters(exclude_categories=()))     # lone surrogates too
JSON = st.recursive(st.none() | st.booleans() | st.integers() | st.floats() | ANY_TEXT,
                    lambda inner: st.lists(inner) | st.dictionaries(ANY_TEXT, inner),
                    max_leaves=20)


@pytest.fixture(scope="module")
def pristine(tmp_path_factory) -> Path:
    return made(tmp_path_factory.mktemp("pristine"))


@settings(max_examples=100)
@given(name=st.sampled_from([MANIFEST, SIGNATURE]),
       content=JSON.map(lambda value: json.dumps(value).encode()) | st.binary(max_size=300))
def test_any_manifest_or_signature_is_a_finding_never_an_error(pristine, name, content):
    original = (pristine / name).read_bytes()
    try:
        (pristine / name).write_bytes(content)
        checks = verify(pristine, [KEY.public])
    finally:
        (pristine / name).write_bytes(original)
    assert content == original or not all(check.ok for check in checks)


@settings(max_examples=100)
@given(data=st.data())
def test_a_byte_flipped_anywhere_in_the_manifest_is_a_finding(pristine, data):
    original = (pristine / MANIFEST).read_bytes()
    at = data.draw(st.integers(0, len(original) - 1))
    flipped_byte = original[at] ^ data.draw(st.integers(1, 255))
    try:
        (pristine / MANIFEST).write_bytes(original[:at] + bytes([flipped_byte]) + original[at + 1:])
        checks = verify(pristine, [KEY.public])
    finally:
        (pristine / MANIFEST).write_bytes(original)
    assert not all(check.ok for check in checks)
