"""Why a message fails its signature or freshness check, said exactly.

:func:`~qrinterop.protocol.envelope.signature_ok` answers yes or no, which is what a receiver
needs. An engineer whose messages are refused needs the reason: an unknown key ID (and which
IDs are known), an algorithm label that does not match the key, a signature that is hex or raw
r‖s instead of base64 DER, or, most often, the right key over the wrong bytes. For that last
case :func:`diagnose` re-checks the signature over the forms implementers commonly sign by
mistake (JSON with ``\\uXXXX`` escapes, unsorted keys, the header alone, the pretty-printed
file, ...) and names the one that verifies. It only runs after a failure, so trying a few dozen
forms costs nothing on the happy path.
"""

from __future__ import annotations

import base64
import binascii
import json
import re
from collections.abc import Iterator
from dataclasses import asdict, dataclass
from datetime import datetime
from itertools import product
from typing import Any

from cryptography.hazmat.primitives.asymmetric.utils import encode_dss_signature

from qrinterop.protocol.canonical import CanonicalFormError, canonicalize
from qrinterop.protocol.crypto import ALGORITHMS, SM2_ALGORITHM, VerifyKey
from qrinterop.protocol.envelope import canonical_bytes
from qrinterop.protocol.keyring import KeyRing, UnknownKeyId, UnknownSender
from qrinterop.protocol.replay import REUSED, ReplayGuard

_VALUE, _KEY_ID, _ALG = "signature/value", "signature/keyId", "signature/alg"
_HEX = re.compile("(?:[0-9a-fA-F]{2})+")
_JSON_TYPES = {type(None): "null", bool: "boolean", int: "number", float: "number",
               str: "string", list: "array", dict: "object"}


@dataclass(frozen=True)
class Problem:
    """One reason a message is refused: a stable ``code``, a one-line ``message`` and the
    ``path`` of the field at fault (``(message)`` for the whole message)."""

    code: str
    message: str
    path: str

    def as_dict(self) -> dict[str, str]:
        return asdict(self)


def diagnose(message: object, keyring: KeyRing, guard: ReplayGuard | None = None,
             now: datetime | None = None) -> list[Problem]:
    """Every reason ``message`` would be refused by a receiver holding ``keyring`` (and, with
    a ``guard``, checking freshness at ``now``); [] when it would be accepted. The guard
    remembers the nonce only of a message whose signature verifies."""
    problems = _shape_problems(message)
    if problems or not isinstance(message, dict):
        return problems
    problems = _signature_problems(message, keyring)
    if guard is not None:
        problems += _replay_problems(message["header"], guard, now, record=not problems)
    return problems


def _shape_problems(message: object) -> list[Problem]:
    if not isinstance(message, dict):
        return [Problem("not-an-object", f"the message is a JSON {_json_type(message)}, "
                                         "not an object", "(message)")]
    problems = [_member_problem(message, name, dict, name) for name in
                ("header", "body", "signature")]
    if not any(problems):
        problems = [_member_problem(message["signature"], name, str, f"signature/{name}")
                    for name in ("alg", "keyId", "value")]
        problems.append(_member_problem(message["header"], "sender", str, "header/sender"))
    return [problem for problem in problems if problem]


def _member_problem(parent: dict, name: str, kind: type, path: str) -> Problem | None:
    if name not in parent:
        return Problem("missing-field", f"{path} is missing", path)
    if not isinstance(parent[name], kind):
        return Problem("wrong-type", f"{path} is a JSON {_json_type(parent[name])}, not "
                                     f"{'an object' if kind is dict else 'a string'}", path)
    return None


def _json_type(value: object) -> str:
    return _JSON_TYPES.get(type(value), type(value).__name__)


def _signature_problems(message: dict, keyring: KeyRing) -> list[Problem]:
    header, signature = message["header"], message["signature"]
    alg, value = signature["alg"], signature["value"]
    if alg not in ALGORITHMS:
        return [Problem("unknown-algorithm", f"signature algorithm {alg!r} is not one of "
                                             f"{', '.join(ALGORITHMS)}", _ALG)]
    try:
        key = keyring.key(header["sender"], signature["keyId"])
        content = canonical_bytes(header, message["body"])
    except UnknownSender as exc:
        return [Problem("unknown-sender", f"no key is registered for sender {exc.sender!r} "
                                          f"(known: {', '.join(exc.known) or 'none'})",
                        "header/sender")]
    except UnknownKeyId as exc:
        return [_unknown_key_id(exc, message, keyring)]
    except CanonicalFormError as exc:
        return [Problem("not-canonicalisable", f"the content has no canonical (JCS) form: "
                                               f"{exc.reason}", "/".join(exc.path))]
    if alg != key.algorithm:
        return [_algorithm_mismatch(message, key, content)]
    raw, problem = _decoded(value, key, content)
    if problem is None and not key.verify_raw(raw, content):
        problem = _bad_signature(message, raw, key, keyring)
    return [problem] if problem else []


def _unknown_key_id(exc: UnknownKeyId, message: dict, keyring: KeyRing) -> Problem:
    text = f"sender {exc.sender} has no key {exc.key_id!r}; its key IDs are {', '.join(exc.known)}"
    for key_id in exc.known:
        if _verifies(keyring.key(exc.sender, key_id), message):
            text += f" (the signature verifies with {key_id}: only the label is wrong)"
    return Problem("unknown-key-id", text, _KEY_ID)


def _verifies(key: VerifyKey, message: dict) -> bool:
    try:
        content = canonical_bytes(message["header"], message["body"])
    except CanonicalFormError:
        return False
    return key.verify(message["signature"]["value"], content)


def _algorithm_mismatch(message: dict, key: VerifyKey, content: bytes) -> Problem:
    signature = message["signature"]
    text = (f"signature is labelled {signature['alg']} but key {signature['keyId']} of "
            f"{message['header']['sender']} is a {key.algorithm} key")
    if key.verify(signature["value"], content):
        text += f"; the value is a valid {key.algorithm} signature: only the label is wrong"
    return Problem("algorithm-mismatch", text, _ALG)


def _decoded(value: str, key: VerifyKey, content: bytes) -> tuple[bytes, Problem | None]:
    """The signature bytes, or the problem with how they are encoded."""
    if _HEX.fullmatch(value) and key.verify_raw(_as_der(bytes.fromhex(value), key), content):
        return b"", Problem("signature-not-base64", "the signature value is hex, not base64: "
                                                    "the signature is right but must be "
                                                    "base64-encoded", _VALUE)
    try:
        raw = base64.b64decode(value, validate=True)
    except binascii.Error as exc:
        return b"", Problem("signature-not-base64", f"the signature value is not base64 ({exc})",
                            _VALUE)
    return raw, _structure_problem(raw, key, content)


def _as_der(raw: bytes, key: VerifyKey) -> bytes:
    """SM2 signatures given as raw r‖s, re-encoded as DER; anything else unchanged."""
    if key.algorithm != SM2_ALGORITHM or len(raw) != 64:
        return raw
    return encode_dss_signature(int.from_bytes(raw[:32], "big"), int.from_bytes(raw[32:], "big"))


def _structure_problem(raw: bytes, key: VerifyKey, content: bytes) -> Problem | None:
    if key.algorithm != SM2_ALGORITHM:
        size = key.key_size // 8
        if len(raw) == size:
            return None
        return Problem("signature-wrong-length", f"the signature is {len(raw)} bytes; a "
                       f"{key.key_size}-bit RSA key makes {size}-byte signatures"
                       f"{' (truncated?)' if len(raw) < size else ''}", _VALUE)
    reason = der_problem(raw)
    if reason is None:
        return None
    if len(raw) == 64 and key.verify_raw(_as_der(raw, key), content):
        reason = ("it is the raw 64-byte r‖s pair: the signature is right but must be "
                  "DER-encoded")
    return Problem("signature-not-der", f"the signature is not a DER-encoded SM2 signature: "
                                        f"{reason}", _VALUE)


def der_problem(raw: bytes) -> str | None:
    """Why ``raw`` is not a DER ``SEQUENCE { INTEGER r, INTEGER s }``, or None."""
    if len(raw) < 3 or raw[0] != 0x30 or raw[1] > 0x81:
        return f"{len(raw)} bytes that do not start a DER SEQUENCE"
    start = 3 if raw[1] == 0x81 else 2
    announced = start + raw[start - 1]
    if announced != len(raw):
        return (f"its DER header announces {announced} bytes but it has {len(raw)}"
                f"{' (truncated)' if len(raw) < announced else ''}")
    at = start
    for name in ("r", "s"):
        if at + 2 > len(raw) or raw[at] != 0x02 or at + 2 + raw[at + 1] > len(raw):
            return f"the INTEGER {name} is missing or cut short"
        at += 2 + raw[at + 1]
    return None if at == len(raw) else f"{len(raw) - at} bytes follow the two INTEGERs"


def _bad_signature(message: dict, raw: bytes, key: VerifyKey, keyring: KeyRing) -> Problem:
    for description, data in _other_forms(message):
        if key.verify_raw(raw, data):
            return Problem("wrong-canonical-form", f"signed a non-canonical form: {description}; "
                           "sign the RFC 8785 (JCS) form of {\"body\", \"header\"}", _VALUE)
    content = canonical_bytes(message["header"], message["body"])
    label = f"key {message['signature']['keyId']} of {message['header']['sender']}"
    for sender, key_id, other in keyring.items():
        if other != key and other.algorithm == key.algorithm and other.verify_raw(raw, content):
            return Problem("wrong-key", f"signed with key {key_id} of {sender}, but labelled "
                                        f"{label}", _KEY_ID)
    return Problem("bad-signature", f"the signature does not verify with {label}, over the "
                                    "canonical form or any common mistaken form: the content "
                                    "changed after signing, or another key signed it", _VALUE)


def _other_forms(message: dict) -> Iterator[tuple[str, bytes]]:
    """``(description, bytes)`` of forms signed by mistake, each different from the JCS form
    and from the ones before it."""
    seen = {canonical_bytes(message["header"], message["body"])}
    for description, data in _candidate_forms(message):
        if data not in seen:
            seen.add(data)
            yield description, data


def _candidate_forms(message: dict) -> Iterator[tuple[str, bytes]]:
    header, body = message["header"], message["body"]
    content = {"body": body, "header": header}
    unsigned = {name: item for name, item in message.items() if name != "signature"}
    compact: dict[str, Any] = {"separators": (",", ":"), "sort_keys": True}
    yield ("non-ASCII characters escaped as \\uXXXX (json.dumps without ensure_ascii=False)",
           _dumps(content, ensure_ascii=True, **compact))
    yield "keys sorted by code point, not by UTF-16 code unit", _dumps(content, **compact)
    yield "keys in the order received, not sorted", _dumps(unsigned, separators=(",", ":"))
    yield ("a space after ',' and ':' (json.dumps default separators)",
           _dumps(content, sort_keys=True))
    yield ("'/' escaped as '\\/' and non-ASCII as \\uXXXX (PHP json_encode defaults)",
           _dumps(content, ensure_ascii=True, **compact).replace(b"/", b"\\/"))
    yield "the header alone", canonicalize(header)
    yield "the body alone", canonicalize(body)
    yield from _pretty_forms(unsigned)


def _pretty_forms(unsigned: dict) -> Iterator[tuple[str, bytes]]:
    """The message file as an editor or ``json.dump(indent=...)`` writes it, before signing."""
    for indent, sort_keys, ensure_ascii, newline in product((2, 4), (False, True),
                                                           (False, True), ("", "\n")):
        options = [f"indent {indent}", "keys sorted" if sort_keys else "keys as received",
                   "non-ASCII escaped" if ensure_ascii else "", "final newline" if newline else ""]
        text = json.dumps(unsigned, indent=indent, sort_keys=sort_keys,
                          ensure_ascii=ensure_ascii) + newline
        yield (f"the pretty-printed message file ({', '.join(filter(None, options))})",
               text.encode("utf-8"))


def _dumps(value: object, ensure_ascii: bool = False, **options: Any) -> bytes:
    return json.dumps(value, ensure_ascii=ensure_ascii, **options).encode("utf-8")


def _replay_problems(header: dict, guard: ReplayGuard, now: datetime | None,
                     record: bool) -> list[Problem]:
    problems = [_member_problem(header, name, str, f"header/{name}")
                for name in ("timestamp", "nonce")]
    if any(problems):
        return [problem for problem in problems if problem]
    verdict = guard.check(header["sender"], header["timestamp"], header["nonce"], now,
                          record=record)
    if verdict.ok:
        return []
    path = "header/nonce" if verdict.status == REUSED else "header/timestamp"
    return [Problem(verdict.status, verdict.detail, path)]
