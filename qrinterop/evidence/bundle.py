"""A run folder as a bundle a regulator can check offline: a manifest of every file with its
SHA-256 and what produced it, a detached signature of the manifest, and transcripts whose
records are hash-chained, so that a byte changed anywhere, a record removed or reordered, or
a manifest re-signed by someone else is found by :func:`verify`.
"""

from __future__ import annotations

import hashlib
import json
import tarfile
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from qrinterop.evidence.keys import BundleKey, PublicBundleKey
from qrinterop.protocol.canonical import has_lone_surrogate

MANIFEST = "manifest.json"
SIGNATURE = "manifest.sig"
SCHEMA = "qrinterop-bundle/1"
#: The ``prev`` of a transcript's first record.
GENESIS = "0" * 64


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def chained_lines(records: list[dict]) -> list[str]:
    """JSON lines, each record carrying the SHA-256 of the line before (``prev``)."""
    lines, prev = [], GENESIS
    for record in records:
        chained = {**record, "prev": prev}     # ASCII only if a lone surrogate needs escaping
        line = json.dumps(chained, ensure_ascii=has_lone_surrogate(chained))
        lines.append(line)
        prev = sha256(line.encode("utf-8"))
    return lines


def chain_problem(text: str) -> str | None:
    """Where a transcript's chain breaks (a record changed, removed, added or moved); None if
    it holds."""
    prev = GENESIS
    for number, line in enumerate(text.splitlines(), 1):
        try:
            found = json.loads(line).get("prev")
        except (ValueError, AttributeError):
            return f"line {number} is not a JSON record"
        if found != prev:
            return f"line {number}: the chain breaks (a record before it was changed, " \
                   f"removed or moved)"
        prev = sha256(line.encode("utf-8"))
    return None


def tree_sha256(folder: Path, pattern: str = "**/*") -> str:
    """One hash for the files of a folder: their relative paths and contents."""
    digest = hashlib.sha256()
    for path in sorted(p for p in folder.glob(pattern) if p.is_file()):
        digest.update(f"{path.relative_to(folder).as_posix()}\0{sha256(path.read_bytes())}\n"
                      .encode())
    return digest.hexdigest()


def write_manifest(run_dir: Path, run: dict, profile_folder: Path, vectors: Path) -> dict:
    """List every file of the run folder with its hash, and what produced the run."""
    files = [{"path": path.relative_to(run_dir).as_posix(), "sha256": sha256(path.read_bytes()),
              "bytes": path.stat().st_size}
             for path in sorted(run_dir.rglob("*"))
             if path.is_file() and path.relative_to(run_dir).as_posix() not in (MANIFEST,
                                                                                 SIGNATURE)]
    manifest = {
        "schema": SCHEMA, "run": run["id"], "started": run["started"],
        "finished": run["finished"], "harness": run["harness"],
        "profile": {"id": run["profile"]["id"], "version": run["profile"]["version"],
                    "sha256": tree_sha256(profile_folder)},
        "vectors_sha256": tree_sha256(vectors, "*.json"),
        "ics_sha256": next((f["sha256"] for f in files if f["path"] == "ics.yaml"), None),
        **({"peer_ics_sha256": next(f["sha256"] for f in files
                                    if f["path"] == "peer-ics.yaml")} if "peer" in run else {}),
        "sut": run["sut"], **({"peer": run["peer"]} if "peer" in run else {}),
        "environment": run["environment"], "files": files,
    }
    (run_dir / MANIFEST).write_text(json.dumps(manifest, indent=2, ensure_ascii=False) + "\n",
                                    encoding="utf-8")
    return manifest


def sign_manifest(run_dir: Path, key: BundleKey) -> dict:
    """A detached signature of the manifest's exact bytes, naming the key by its ID."""
    signature = {"alg": key.algorithm, "keyId": key.public.id,
                 "value": key.sign((run_dir / MANIFEST).read_bytes())}
    (run_dir / SIGNATURE).write_text(json.dumps(signature, indent=2) + "\n", encoding="utf-8")
    return signature


@dataclass(frozen=True)
class Check:
    name: str
    ok: bool
    detail: str = ""


class BundleError(Exception):
    """A bundle that cannot be read at all (no manifest, a broken archive)."""


@contextmanager
def opened(path: Path) -> Iterator[Path]:
    """The bundle's folder: ``path`` itself, or a ``.tar.gz`` of it unpacked."""
    if path.is_dir():
        yield path
        return
    with tempfile.TemporaryDirectory(prefix="qrinterop-verify-") as folder:
        try:
            with tarfile.open(path, "r:gz") as archive:
                archive.extractall(folder, filter="data")
        except (tarfile.TarError, EOFError, OSError) as exc:
            raise BundleError(f"{path}: not a readable .tar.gz bundle ({exc})") from None
        # The run folder's manifest is the outermost: a worker's own lies below it.
        roots = sorted((p.parent for p in Path(folder).rglob(MANIFEST)),
                       key=lambda root: len(root.parts))
        if not roots:
            raise BundleError(f"{path}: the archive holds no {MANIFEST}")
        yield roots[0]


def verify(folder: Path, trusted: list[PublicBundleKey],
           approved: dict | None = None) -> list[Check]:
    """Every check a verifier makes, in order; the bundle is good when all are ok."""
    try:
        raw = (folder / MANIFEST).read_bytes()
        manifest = json.loads(raw)
    except (OSError, ValueError) as exc:
        raise BundleError(f"{folder}: no readable {MANIFEST} ({exc})") from None
    checks = [_signature_check(folder, raw, trusted)]
    checks += _file_checks(folder, manifest)
    checks += [_chain_check(folder, entry["path"]) for entry in manifest.get("files", [])
               if entry["path"].endswith(".jsonl") and (folder / entry["path"]).is_file()]
    checks += _approval_checks(manifest, approved)
    return checks


def _signature_check(folder: Path, manifest: bytes, trusted: list[PublicBundleKey]) -> Check:
    name = "signature of manifest.json"
    try:
        signature = json.loads((folder / SIGNATURE).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return Check(name, False, f"no readable {SIGNATURE}: the bundle is not signed")
    key = next((k for k in trusted if k.id == signature.get("keyId")), None)
    if key is None:
        return Check(name, False, f"signed by key {signature.get('keyId')!r}, which is not "
                                  f"among the trusted keys")
    if key.algorithm != signature.get("alg") or not key.verify(str(signature.get("value")),
                                                                manifest):
        return Check(name, False, f"the signature does not verify with trusted key {key.id}")
    return Check(name, True, f"{key.algorithm}, key {key.id}")


def _file_checks(folder: Path, manifest: dict) -> list[Check]:
    listed = {entry["path"]: entry for entry in manifest.get("files", [])}
    checks = []
    for path, entry in listed.items():
        file = folder / path
        if not file.is_file():
            checks.append(Check(f"file {path}", False, "listed in the manifest, missing"))
        elif sha256(file.read_bytes()) != entry["sha256"]:
            checks.append(Check(f"file {path}", False, "its SHA-256 differs from the manifest's"))
    present = {p.relative_to(folder).as_posix() for p in folder.rglob("*") if p.is_file()}
    checks += [Check(f"file {path}", False, "not listed in the manifest")
               for path in sorted(present - set(listed) - {MANIFEST, SIGNATURE})]
    return checks or [Check(f"{len(listed)} files", True, "every SHA-256 as listed")]


def _chain_check(folder: Path, path: str) -> Check:
    problem = chain_problem((folder / path).read_text(encoding="utf-8"))
    return Check(f"transcript {path}", problem is None, problem or "chain intact")


def _approval_checks(manifest: dict, approved: dict | None) -> list[Check]:
    if approved is None:
        return [Check("approved releases", True, "not checked (no --approved list)")]
    harness = manifest.get("harness", {}).get("version")
    named = manifest.get("profile", {})
    profile = f"{named.get('id')}/{named.get('version')}"
    return [_listed(f"harness release {harness}", harness, approved.get("harness", [])),
            _listed(f"profile {profile}", profile, approved.get("profiles", []))]


def _listed(name: str, value: str | None, allowed: list[str]) -> Check:
    return Check(name, value in allowed, "approved" if value in allowed else
                 f"not on the approved list ({', '.join(allowed) or 'empty'})")
