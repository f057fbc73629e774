"""``qrinterop msg``: validate, sign and verify interconnection messages (JSON files).

``verify`` says exactly why a signature is refused (see :mod:`qrinterop.protocol.diagnose`) and
checks freshness like a receiver: timestamps within ``--window`` seconds of ``--now``, and each
nonce once. Give it several files, in the order they were received, to check a sequence for
replays: a nonce seen in an earlier file is reported on the later one.

Exit codes: 0 valid, 1 invalid (one line per problem), 2 usage: a missing or unreadable file, a
key in the wrong format, a message that cannot be signed. Like the other commands, the heavy
protocol modules are imported when a command runs.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, TypeVar

import click

from qrinterop.errors import UsageError
from qrinterop.inputs import MAX_KEY_FILE_BYTES, loads_json, read_input

if TYPE_CHECKING:
    from qrinterop.protocol.crypto import VerifyKey
    from qrinterop.protocol.diagnose import Problem
    from qrinterop.protocol.keyring import KeyRing

_NOT_JSON = object()
T = TypeVar("T")


@click.group("msg", context_settings={"help_option_names": ["-h", "--help"]})
def msg() -> None:
    """Validate, sign and verify interconnection messages (JSON envelopes)."""


@msg.command("validate")
@click.argument("file", type=click.Path(path_type=Path))
@click.option("--leg", type=click.Choice(["to-switch", "from-switch"]), default="to-switch",
              show_default=True, help="Which side of the switch the message travels on.")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
def validate_command(file: Path, leg: str, as_json: bool) -> None:
    """Check FILE against the profile's JSON Schema for its message type.

    Exit code 0 valid, 1 invalid, 2 usage.
    """
    from qrinterop.profile import load_profile
    from qrinterop.protocol.validation import schema_problems

    message = _read_json(file)
    problems = (["(message): the file is not JSON"] if message is _NOT_JSON
                else schema_problems(load_profile(), message, leg))
    if as_json:
        click.echo(json.dumps({"file": str(file), "valid": not problems, "problems": problems},
                              ensure_ascii=False, indent=2))
    else:
        click.echo("\n".join(f"{file}: {p}" for p in problems) or f"{file}: valid")
    sys.exit(1 if problems else 0)


@msg.command("sign")
@click.argument("file", type=click.Path(path_type=Path))
@click.option("--key", "key_path", required=True, type=click.Path(path_type=Path),
              metavar="KEY.pem", help="Private key (PEM, SM2 or RSA); it sets the algorithm.")
@click.option("--key-id", metavar="ID",
              help="Key ID to put in the signature. Default: the key's fingerprint.")
def sign_command(file: Path, key_path: Path, key_id: str | None) -> None:
    """Sign the message in FILE (its header and body) and print the signed message.

    A signature already in FILE is replaced.
    """
    from qrinterop.protocol.canonical import CanonicalFormError
    from qrinterop.protocol.crypto import KeyFormatError, SigningKey
    from qrinterop.protocol.envelope import sign

    key = _load_key(SigningKey.from_pem, key_path, KeyFormatError)
    message = _read_json(file)
    if not (isinstance(message, dict) and isinstance(message.get("header"), dict)
            and isinstance(message.get("body"), dict)):
        raise UsageError(f"{file}: not a JSON message with a \"header\" and a \"body\" object")
    try:
        message["signature"] = sign(key, message["header"], message["body"], key_id)
    except CanonicalFormError as exc:
        raise UsageError(f"{file}: cannot be signed: {exc}") from None
    click.echo(json.dumps(message, ensure_ascii=False, indent=2))


@msg.command("verify")
@click.argument("files", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option("--pub", "pubs", multiple=True, required=True, metavar="[KEYID=]KEY.pem",
              help="A public key (PEM) to trust, registered under its fingerprint or under "
                   "KEYID. Repeat for several keys (e.g. during a key rotation).")
@click.option("--sender", metavar="ID",
              help="The participant the keys belong to. Default: whoever each message's "
                   "header names as sender.")
@click.option("--now", metavar="ISO", help="The receiver's clock, ISO 8601; without an offset, "
                                           "Beijing time. Default: the current time.")
@click.option("--window", type=click.FloatRange(min=0), default=300.0, show_default=True,
              metavar="S", help="Accepted clock difference in seconds, either way.")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
def verify_command(files: tuple[Path, ...], pubs: tuple[str, ...], sender: str | None,
                   now: str | None, window: float, as_json: bool) -> None:
    """Verify the signature and freshness of each message FILE, in order.

    Exit code 0 when every message is valid, 1 when any is not, 2 usage.
    """
    from qrinterop.protocol.diagnose import diagnose
    from qrinterop.protocol.replay import ReplayGuard

    keys = [_public_key(spec) for spec in pubs]
    clock, guard = _clock(now), ReplayGuard(window_s=window)
    results = []
    for file, message in [(file, _read_json(file)) for file in files]:
        problems = (diagnose(message, _keyring(keys, sender, message), guard, clock)
                    if message is not _NOT_JSON else [_not_json()])
        results.append({"file": str(file), "valid": not problems,
                        "problems": [p.as_dict() for p in problems]})
        if not as_json:
            click.echo("\n".join(_line(file, p) for p in problems) or f"{file}: valid")
    valid = all(result["valid"] for result in results)
    if as_json:
        click.echo(json.dumps({"valid": valid, "messages": results}, ensure_ascii=False,
                              indent=2))
    sys.exit(0 if valid else 1)


def _read_json(path: Path) -> object:
    """The JSON in ``path`` (strict: no duplicate names, NaN or endless nesting), or
    ``_NOT_JSON``; a file that cannot be read is a usage error naming it."""
    if not path.exists():   # this command's own wording, which scripts may match
        raise UsageError(f"{path}: no such file")
    try:
        return loads_json(read_input(path, "message file"))
    except (ValueError, RecursionError):  # also bad UTF-8, duplicate names, NaN, nesting
        return _NOT_JSON


def _load_key(loader: Callable[[bytes], T], path: Path, format_error: type[Exception]) -> T:
    if not path.exists():
        raise UsageError(f"{path}: no such key file")
    try:
        return loader(read_input(path, "key file", MAX_KEY_FILE_BYTES))
    except format_error as exc:
        raise UsageError(f"{path}: {exc}") from None


def _public_key(spec: str) -> tuple[str | None, VerifyKey]:
    """``(key ID or None, key)`` from ``KEY.pem`` or ``KEYID=KEY.pem``."""
    from qrinterop.protocol.crypto import KeyFormatError, VerifyKey

    key_id, path = (None, spec) if "=" not in spec or Path(spec).exists() else spec.split("=", 1)
    return key_id or None, _load_key(VerifyKey.from_pem, Path(path), KeyFormatError)


def _keyring(keys: list[tuple[str | None, VerifyKey]], sender: str | None,
             message: object) -> KeyRing:
    """The given keys, registered for ``sender`` or else for the message's own sender."""
    from qrinterop.protocol.keyring import KeyRing

    if sender is None:
        header = message.get("header") if isinstance(message, dict) else None
        sender = header.get("sender") if isinstance(header, dict) else None
    ring = KeyRing()
    if isinstance(sender, str):
        for key_id, key in keys:
            try:
                ring.add(sender, key, key_id)
            except ValueError:
                raise UsageError(f"--pub: key ID {key_id!r} is given to two different keys") \
                    from None
    return ring


def _clock(now: str | None) -> datetime | None:
    if now is None:
        return None
    from qrinterop.protocol.envelope import BEIJING

    try:
        moment = datetime.fromisoformat(now)
    except ValueError:
        raise UsageError(f"--now: {now!r} is not an ISO 8601 time") from None
    return moment if moment.utcoffset() is not None else moment.replace(tzinfo=BEIJING)


def _not_json() -> Problem:
    from qrinterop.protocol.diagnose import Problem

    return Problem("not-json", "the file is not JSON (or has duplicate member names)",
                   "(message)")


def _line(file: Path, problem: Problem) -> str:
    return f"{file}: {problem.path}: {problem.message} [{problem.code}]"
