"""A run folder as a bundle a regulator can check offline: a manifest of every file with its
SHA-256 and what produced it, a detached signature of the manifest, and transcripts whose
records are hash-chained, so that a byte changed anywhere, a record removed or reordered, or
a manifest re-signed by someone else is found by :func:`verify`.
"""

from __future__ import annotations

import hashlib
import json
import os
import stat
import tempfile
from collections import Counter
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import jsonschema_rs
from jsonschema import Draft202012Validator, ValidationError

# BundleError is re-exported: verify's callers catch it from here.
from qrinterop.evidence.archive import DEFAULT_LIMITS, MANIFEST, Limits, NotABundle, unpack
from qrinterop.evidence.archive import BundleError as BundleError
from qrinterop.evidence.keys import BundleKey, PublicBundleKey
from qrinterop.protocol.canonical import has_lone_surrogate, strict_loads

SIGNATURE = "manifest.sig"
SCHEMA = "qrinterop-bundle/1"
#: The ``prev`` of a transcript's first record.
GENESIS = "0" * 64
#: A manifest lists about 190 bytes per file (419 KB for the reference's full run): this
#: allows the most files an archive may hold (:data:`qrinterop.evidence.archive.MAX_ENTRIES`)
#: with room to spare, and keeps a hostile manifest from filling the verifier's memory.
MAX_MANIFEST_BYTES = 32 << 20
#: A signature file is a few hundred bytes.
MAX_SIGNATURE_BYTES = 64 << 10


@dataclass(frozen=True)
class Shape:
    """A JSON Schema of the bundle's own files: jsonschema-rs decides (a manifest lists
    thousands of files), jsonschema words every problem of a document that breaks it."""

    fast: jsonschema_rs.Validator
    worded: Draft202012Validator

    @classmethod
    def of(cls, name: str) -> Shape:
        schema = json.loads(Path(__file__).with_name(name).read_text(encoding="utf-8"))
        return cls(jsonschema_rs.validator_for(schema, validate_formats=False),
                   Draft202012Validator(schema))

    def problems(self, document: object) -> list[str]:
        if self.fast.is_valid(document):
            return []
        return [_worded(error) for error in sorted(self.worded.iter_errors(document),
                                                   key=lambda e: [str(p) for p in e.path])]


#: The shapes verify accepts, as data: every way a manifest or signature breaks its schema is
#: a finding, never an exception.
MANIFEST_SHAPE, SIGNATURE_SHAPE = Shape.of("manifest.schema.json"), \
    Shape.of("signature.schema.json")


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def chained_lines(records: list[dict], prev: str = GENESIS) -> list[str]:
    """JSON lines, each record carrying the SHA-256 of the line before (``prev``: the last
    line's of a transcript they are added to)."""
    lines = []
    for record in records:
        chained = {**record, "prev": prev}     # ASCII only if a lone surrogate needs escaping
        line = json.dumps(chained, ensure_ascii=has_lone_surrogate(chained), allow_nan=False)
        lines.append(line)
        prev = sha256(line.encode("utf-8"))
    return lines


def chain_problem(text: str) -> str | None:
    """Where a transcript's chain breaks (a record changed, removed, added or moved); None if
    it holds."""
    prev = GENESIS
    # Records end in "\n" alone: JSON leaves U+2028 or U+0085 unescaped inside a record, and
    # splitlines() would cut the record there.
    lines = text.split("\n")
    for number, line in enumerate(lines[:-1] if lines[-1] == "" else lines, 1):
        try:
            found = json.loads(line).get("prev")
        except (ValueError, AttributeError, RecursionError):
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
    text = json.dumps(manifest, indent=2, ensure_ascii=False, allow_nan=False)
    (run_dir / MANIFEST).write_text(text + "\n", encoding="utf-8")
    return manifest


def sign_manifest(run_dir: Path, key: BundleKey) -> dict:
    """A detached signature of the manifest's exact bytes, naming the key by its ID."""
    signature = {"alg": key.algorithm, "keyId": key.public.id,
                 "value": key.sign((run_dir / MANIFEST).read_bytes())}
    (run_dir / SIGNATURE).write_text(json.dumps(signature, indent=2) + "\n", encoding="utf-8")
    return signature


@dataclass(frozen=True)
class Check:
    """One thing a verifier checked. ``unsigned`` marks the one check that holds but proves
    nothing about who made the bundle: there is no signature to check."""

    name: str
    ok: bool
    detail: str = ""
    unsigned: bool = False


#: What :func:`outcome` says of a bundle.
VERIFIED, UNSIGNED, NOT_VERIFIED = "verified", "intact, unsigned", "NOT verified"


def outcome(checks: list[Check]) -> str:
    """The bundle's state from its checks: ``verified`` (intact and signed by a trusted key),
    ``intact, unsigned`` (every hash and chain as listed, but no signature: intact, not proven
    to come from whoever ran it), or ``NOT verified`` (something failed: tampered, or signed
    by a key nobody trusts)."""
    if not all(check.ok for check in checks):
        return NOT_VERIFIED
    return UNSIGNED if any(check.unsigned for check in checks) else VERIFIED


@contextmanager
def opened(path: Path, limits: Limits = DEFAULT_LIMITS) -> Iterator[Path]:
    """The bundle's folder: ``path`` itself, or a ``.tar.gz`` of it unpacked within
    ``limits`` (:func:`qrinterop.evidence.archive.unpack` says what it refuses)."""
    if path.is_dir():
        yield path
        return
    if not path.is_file():
        raise NotABundle(f"{path}: neither a folder nor a .tar.gz file")
    with tempfile.TemporaryDirectory(prefix="qrinterop-verify-") as folder:
        yield unpack(path, Path(folder), limits)


@dataclass(frozen=True)
class Contents:
    """What a bundle folder holds, seen without following a link: its regular files, and
    everything else by what it is (a link, a pipe, a device, a folder that cannot be read)."""

    files: set[str]
    odd: dict[str, str]

    def holds(self, path: str) -> bool:
        return path in self.files or path in self.odd


def survey(folder: Path) -> Contents:
    """Every entry below ``folder``, relative POSIX paths. Links are never followed: a bundle
    is the files its manifest lists, not what a link points at (another folder, a dangling
    name, itself)."""
    files: set[str] = set()
    odd: dict[str, str] = {}
    pending = [folder]
    while pending:
        current = pending.pop()
        try:
            with os.scandir(current) as listing:
                entries = list(listing)
        except OSError as exc:
            odd[current.relative_to(folder).as_posix()] = f"a folder that cannot be read " \
                                                          f"({exc.strerror})"
            continue
        for entry in entries:
            path = Path(entry.path)
            name = path.relative_to(folder).as_posix()
            if entry.is_dir(follow_symlinks=False):
                pending.append(path)
            elif entry.is_file(follow_symlinks=False):
                files.add(name)
            else:
                odd[name] = _kind(entry)
    return Contents(files, odd)


def _kind(entry: os.DirEntry) -> str:
    if entry.is_symlink():
        return f"a symbolic link (to {os.readlink(entry.path)!r})"
    mode = entry.stat(follow_symlinks=False).st_mode
    if stat.S_ISFIFO(mode):
        return "a named pipe"
    if stat.S_ISSOCK(mode):
        return "a socket"
    return "a device" if stat.S_ISCHR(mode) or stat.S_ISBLK(mode) else "not a regular file"


def verify(folder: Path, trusted: list[PublicBundleKey],
           approved: dict | None = None) -> list[Check]:
    """Every check a verifier makes, in order; the bundle is good when all are ok. Whatever
    the folder holds is a finding (a failed check), never an exception; only a folder with no
    manifest at all raises :class:`NotABundle`: it is not a bundle."""
    contents = survey(folder)
    if not os.path.lexists(folder / MANIFEST):
        raise NotABundle(f"{folder}: no {MANIFEST}: not a report bundle")
    raw, manifest, problems = _document(folder, MANIFEST, contents, MAX_MANIFEST_BYTES,
                                        MANIFEST_SHAPE)
    if manifest is not None:
        problems += _listed_twice(manifest)
    checks = _signature_checks(folder, raw, trusted, contents)
    checks += [Check(MANIFEST, False, problem) for problem in problems]
    checks += [Check(f"file {path}", False, f"{what}: a bundle holds only regular files and "
                                            f"folders")
               for path, what in sorted(contents.odd.items()) if path not in (MANIFEST,
                                                                               SIGNATURE)]
    if problems or manifest is None:    # no checking files against a manifest of another shape
        return checks
    checks += _file_checks(folder, manifest, contents)
    checks += [_chain_check(folder, entry["path"]) for entry in manifest["files"]
               if entry["path"].endswith(".jsonl") and entry["path"] in contents.files]
    checks += _approval_checks(manifest, approved)
    return checks


def _document(folder: Path, name: str, contents: Contents, cap: int,
              shape: Shape) -> tuple[bytes | None, dict | None, list[str]]:
    """A JSON file of the bundle: its bytes (None if unreadable), its value (None unless it
    has the schema's shape), and every problem found."""
    if name in contents.odd:
        return None, None, [f"{contents.odd[name]}, not a regular file"]
    try:
        with (folder / name).open("rb") as file:
            raw = file.read(cap + 1)
    except OSError as exc:
        return None, None, [f"cannot be read ({exc.strerror})"]
    if len(raw) > cap:
        return None, None, [f"larger than {cap} bytes (the limit for it)"]
    document, problem = _parsed(raw)
    if problem is not None:
        return raw, None, [problem]
    problems = shape.problems(document) or \
        ([] if isinstance(document, dict) else ["not a JSON object"])
    return raw, document if not problems and isinstance(document, dict) else None, problems


def _parsed(raw: bytes) -> tuple[object, str | None]:
    """``raw`` as strict JSON in UTF-8 (the protocol's parser: no NaN, no endless nesting), or
    why it is none."""
    try:
        document = strict_loads(raw.decode("utf-8"))
    except UnicodeDecodeError as exc:
        return None, f"not UTF-8 text ({exc.reason} at byte {exc.start})"
    except ValueError as exc:
        return None, f"not JSON: {exc}"
    if has_lone_surrogate(document):    # JSON's escape allows one; no other reader agrees
        return None, "not JSON: holds a lone surrogate, which is no Unicode character"
    return document, None


def _worded(error: ValidationError) -> str:
    """A schema error as "where: what", on one line of reasonable length (the value it quotes
    may be huge); a pattern says what it stands for, by its schema's description."""
    where = "/".join(map(str, error.absolute_path)) or "(top level)"
    schema = error.schema if isinstance(error.schema, Mapping) else {}
    message = f"{error.instance!r} is not {schema['description']}" \
        if error.validator == "pattern" and "description" in schema else error.message
    message = " ".join(message.split())
    return f"{where}: {message[:200]}{'…' if len(message) > 200 else ''}"


def _listed_twice(manifest: dict) -> list[str]:
    listed = Counter(entry["path"] for entry in manifest["files"])
    return [f"files: {path} is listed twice" for path, times in listed.items() if times > 1]


def _signature_checks(folder: Path, manifest: bytes | None, trusted: list[PublicBundleKey],
                      contents: Contents) -> list[Check]:
    name = "signature of manifest.json"
    if not contents.holds(SIGNATURE):
        return [Check(name, True, f"no {SIGNATURE}: the bundle is unsigned (its files can be "
                                  f"checked, not who made them)", unsigned=True)]
    _, signature, problems = _document(folder, SIGNATURE, contents, MAX_SIGNATURE_BYTES,
                                       SIGNATURE_SHAPE)
    if problems or signature is None:
        return [Check(name, False, f"{SIGNATURE}: {problem}") for problem in problems]
    if manifest is None:
        return [Check(name, False, f"not checked: {MANIFEST} cannot be read")]
    key = next((k for k in trusted if k.id == signature["keyId"]), None)
    if key is None:
        return [Check(name, False, f"{SIGNATURE}: signed by key {signature['keyId']!r}, which "
                                   f"is not among the trusted keys")]
    if key.algorithm != signature["alg"] or not key.verify(signature["value"], manifest):
        return [Check(name, False, f"{SIGNATURE}: the signature does not verify with trusted "
                                   f"key {key.id}")]
    return [Check(name, True, f"{key.algorithm}, key {key.id}")]


def _file_checks(folder: Path, manifest: dict, contents: Contents) -> list[Check]:
    listed = {entry["path"]: entry for entry in manifest["files"]}
    checks = []
    for path, entry in listed.items():
        if path in contents.odd:
            continue                    # named as what it is, among the odd entries
        if path not in contents.files:
            checks.append(Check(f"file {path}", False, "listed in the manifest, missing"))
        elif (problem := _hash_problem(folder / path, entry["sha256"])) is not None:
            checks.append(Check(f"file {path}", False, problem))
    checks += [Check(f"file {path}", False, "not listed in the manifest")
               for path in sorted(contents.files - set(listed) - {MANIFEST, SIGNATURE})]
    return checks or [Check(f"{len(listed)} files", True, "every SHA-256 as listed")]


def _hash_problem(path: Path, expected: str) -> str | None:
    try:
        with path.open("rb") as file:       # in chunks: a file may be large
            found = hashlib.file_digest(file, "sha256").hexdigest()
    except OSError as exc:
        return f"cannot be read ({exc.strerror})"
    return None if found == expected else "its SHA-256 differs from the manifest's"


def _chain_check(folder: Path, path: str) -> Check:
    name = f"transcript {path}"
    try:
        text = (folder / path).read_bytes().decode("utf-8")
    except OSError as exc:
        return Check(name, False, f"cannot be read ({exc.strerror})")
    except UnicodeDecodeError as exc:
        return Check(name, False, f"not UTF-8 text ({exc.reason} at byte {exc.start})")
    problem = chain_problem(text)
    return Check(name, problem is None, problem or "chain intact")


def _approval_checks(manifest: dict, approved: dict | None) -> list[Check]:
    if approved is None:
        return [Check("approved releases", True, "not checked (no --approved list)")]
    harness = manifest["harness"]["version"]
    named = manifest["profile"]
    profile = f"{named['id']}/{named['version']}"
    return [_listed(f"harness release {harness}", harness, approved.get("harness", [])),
            _listed(f"profile {profile}", profile, approved.get("profiles", []))]


def _listed(name: str, value: str | None, allowed: list[str]) -> Check:
    return Check(name, value in allowed, "approved" if value in allowed else
                 f"not on the approved list ({', '.join(allowed) or 'empty'})")
