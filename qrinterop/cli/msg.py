"""``qrinterop msg``: validate, sign and verify interconnection messages: JSON envelopes, or
UnionPay QRC forms (key=value pairs, :mod:`qrinterop.cli.msg_qrc`), told apart by their bytes
or named with ``--binding``.

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

from qrinterop.cli import msg_qrc
from qrinterop.errors import UsageError
from qrinterop.inputs import MAX_KEY_FILE_BYTES, loads_json, read_input

if TYPE_CHECKING:
    from qrinterop.protocol.crypto import VerifyKey
    from qrinterop.protocol.diagnose import Problem
    from qrinterop.protocol.keyring import KeyRing
    from qrinterop.protocol.replay import ReplayGuard

_NOT_JSON = object()
T = TypeVar("T")


@click.group("msg", context_settings={"help_option_names": ["-h", "--help"]})
def msg() -> None:
    """Validate, sign and verify interconnection messages (JSON envelopes or UnionPay QRC
    forms)."""


_BINDING = click.option(
    "--binding", type=click.Choice(msg_qrc.BINDINGS), default=None,
    help="The message's wire form. Default: told from the file (a JSON object, or a QRC form "
         "of key=value pairs with reqType, certId or signature).")
_LEG_HELP = ("Which side of the switch the message travels on. A QRC form's field names "
             "depend on the leg: give request.to-switch, response.from-switch…; with a bare "
             "to-switch/from-switch, a form with respCode is taken as a response, any other "
             "as a request.")


@msg.command("validate")
@click.argument("file", type=click.Path(path_type=Path))
@click.option("--leg", type=click.Choice(msg_qrc.LEGS), default="to-switch",
              show_default=True, help=_LEG_HELP)
@_BINDING
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
def validate_command(file: Path, leg: str, binding: str | None, as_json: bool) -> None:
    """Check FILE against the profile's JSON Schema for its message type.

    A QRC form is decoded and checked against the schema of its message on its leg, and
    against the binding's own rules: fields outside its dictionary, empty fields, sub-structures
    that are not base64 of {k=v&…}, a reqType the catalogue lacks.

    Exit code 0 valid, 1 invalid, 2 usage.
    """
    raw = _read_raw(file)
    if msg_qrc.binding_of(raw, binding) == msg_qrc.NAME:
        form = msg_qrc.read_form(raw, leg)
        problems = ([f"(message): {form}"] if isinstance(form, str)
                    else msg_qrc.validate(form[0], raw, form[1]))
    else:
        problems = _json_problems(_parse_json(raw), leg)
    if as_json:
        click.echo(json.dumps({"file": str(file), "valid": not problems, "problems": problems},
                              ensure_ascii=False, indent=2))
    else:
        click.echo("\n".join(f"{file}: {p}" for p in problems) or f"{file}: valid")
    sys.exit(1 if problems else 0)


def _json_problems(message: object, leg: str) -> list[str]:
    from qrinterop.profile import load_profile
    from qrinterop.protocol.validation import schema_problems

    return (["(message): the file is not JSON"] if message is _NOT_JSON
            else schema_problems(load_profile(), message, leg.rpartition(".")[2]))


@msg.command("sign")
@click.argument("file", type=click.Path(path_type=Path))
@click.option("--key", "key_path", required=True, type=click.Path(path_type=Path),
              metavar="KEY.pem", help="Private key (PEM, SM2 or RSA); it sets the algorithm.")
@click.option("--key-id", metavar="ID",
              help="Key ID to put in the signature (a QRC form's certId is made from it). "
                   "Default: the key's fingerprint.")
@click.option("--leg", type=click.Choice(msg_qrc.LEGS), default="to-switch",
              show_default=True, help=_LEG_HELP + " Used for QRC forms only: an answer is "
              "read and written raw (k=v&k=v), as the SDK writes it, a request percent-encoded.")
@_BINDING
def sign_command(file: Path, key_path: Path, key_id: str | None, leg: str,
                 binding: str | None) -> None:
    """Sign the message in FILE (its header and body) and print the signed message.

    A signature already in FILE is replaced. A QRC form is signed as UnionPay's SDK signs:
    empty fields dropped, certId from the key ID, signType from the key's algorithm, the
    signature over the lowercase hex digest of the sorted k=v&… string; printed as one line.
    """
    from qrinterop.protocol.canonical import CanonicalFormError
    from qrinterop.protocol.crypto import KeyFormatError, SigningKey
    from qrinterop.protocol.envelope import sign

    key = _load_key(SigningKey.from_pem, key_path, KeyFormatError)
    raw = _read_raw(file)
    if msg_qrc.binding_of(raw, binding) == msg_qrc.NAME:
        form = msg_qrc.read_form(raw, leg)
        if isinstance(form, str):
            raise UsageError(f"{file}: {form}")
        click.echo(msg_qrc.sign(*form, key, key_id))
        return
    message = _parse_json(raw)
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
@click.option("--retired", "retired", multiple=True, metavar="[KEYID=]KEY.pem",
              help="A key of the sender's no longer accepted (retired, its certificate "
                   "expired): a QRC form signed with it is named as such. Repeatable.")
@click.option("--leg", type=click.Choice(msg_qrc.LEGS), default="to-switch",
              show_default=True, help=_LEG_HELP + " Used for QRC forms only.")
@_BINDING
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
def verify_command(files: tuple[Path, ...], pubs: tuple[str, ...], sender: str | None,
                   now: str | None, window: float, retired: tuple[str, ...], leg: str,
                   binding: str | None, as_json: bool) -> None:
    """Verify the signature and freshness of each message FILE, in order.

    A QRC form's failed signature is explained: fields signed unsorted, an empty field signed
    but not sent (or sent but not signed), URL-encoded values, the string signed instead of its
    digest, an uppercase or SHA-1 digest, a certId naming another key, a retired one or none, a
    signType not the key's. QRC has no timestamp or nonce: --now and --window do not apply.

    Exit code 0 when every message is valid, 1 when any is not, 2 usage.
    """
    from qrinterop.protocol.replay import ReplayGuard

    keys = [_public_key(spec) for spec in pubs]
    old = [_public_key(spec) for spec in retired]
    clock, guard = _clock(now), ReplayGuard(window_s=window)
    results = []
    for file, raw in [(file, _read_raw(file)) for file in files]:
        if msg_qrc.binding_of(raw, binding) == msg_qrc.NAME:
            form = msg_qrc.read_form(raw, leg)
            problems = ([_not_a_form(form)] if isinstance(form, str)
                        else msg_qrc.verify(*form, keys, old, sender))
        else:
            problems = _json_verified(_parse_json(raw), keys, sender, guard, clock)
        results.append({"file": str(file), "valid": not problems,
                        "problems": [p.as_dict() for p in problems]})
        if not as_json:
            click.echo("\n".join(_line(file, p) for p in problems) or f"{file}: valid")
    valid = all(result["valid"] for result in results)
    if as_json:
        click.echo(json.dumps({"valid": valid, "messages": results}, ensure_ascii=False,
                              indent=2))
    sys.exit(0 if valid else 1)


def _json_verified(message: object, keys: list[tuple[str | None, VerifyKey]],
                   sender: str | None, guard: ReplayGuard, clock: datetime | None
                   ) -> list[Problem]:
    from qrinterop.protocol.diagnose import diagnose

    return (diagnose(message, _keyring(keys, sender, message), guard, clock)
            if message is not _NOT_JSON else [_not_json()])


def _read_raw(path: Path) -> bytes:
    """The bytes of ``path``; a file that cannot be read is a usage error naming it."""
    if not path.exists():   # this command's own wording, which scripts may match
        raise UsageError(f"{path}: no such file")
    return read_input(path, "message file")


def _parse_json(raw: bytes) -> object:
    """The JSON in ``raw`` (strict: no duplicate names, NaN or endless nesting), or
    ``_NOT_JSON``."""
    try:
        return loads_json(raw)
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


def _not_a_form(reason: str) -> Problem:
    from qrinterop.protocol.diagnose import Problem

    return Problem("not-a-form", reason, "(message)")


def _line(file: Path, problem: Problem) -> str:
    return f"{file}: {problem.path}: {problem.message} [{problem.code}]"
