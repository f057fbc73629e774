"""The message envelope every participant signs, and the checks every receiver makes.

The signature covers ``{"body": ..., "header": ...}`` in its RFC 8785 (JCS) canonical form
(:mod:`qrinterop.protocol.canonical`): sorted keys, no white space, UTF-8. Amounts are integers
and floats are refused, so no number formatting can make two honest implementations disagree on
the bytes. ``signature`` is ``{"alg", "keyId", "value"}``: the algorithm must be the verifying
key's own, and ``keyId`` lets a receiver holding several keys of a sender (a rotation) pick one
(:class:`~qrinterop.protocol.keyring.KeyRing`).
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol

from qrinterop.protocol.canonical import canonicalize

# Re-exported: the clock every party reads is clock.py's.
from qrinterop.protocol.clock import BEIJING as BEIJING
from qrinterop.protocol.clock import beijing_now as beijing_now
from qrinterop.protocol.crypto import SigningKey, VerifyKey
from qrinterop.protocol.keyring import KeyRing

VERSION = "1.0"


def canonical_bytes(header: dict, body: dict) -> bytes:
    """The exact bytes a signature covers (JCS); ``CanonicalFormError`` (a ``ValueError``)
    for content that has no canonical form, such as a float."""
    return canonicalize({"body": body, "header": header})


def new_message_id() -> str:
    return secrets.token_hex(12)


@dataclass(frozen=True)
class Party:
    """Who signs: an institution ID, its key, and the ID receivers registered the key under
    (default: the key's fingerprint)."""

    inst_id: str
    key: SigningKey
    key_id: str | None = None


class Signer(Protocol):
    """What signs a message: a wire binding (``qrinterop.protocol.bindings``), over its form."""

    def sign(self, key: SigningKey, header: dict, body: dict, key_id: str | None,
             leg: str) -> dict[str, str]: ...


def seal(party: Party, msg_type: str, receiver: str, body: dict,
         test_case_id: str | None = None, sent_at: datetime | None = None,
         signer: Signer | None = None, leg: str = "") -> dict[str, Any]:
    """Build and sign a message from ``party`` to ``receiver``, stamped now or ``sent_at``
    (a simulated skewed clock); ``signer``: the wire binding that signs it on ``leg``
    (default: this module's JSON envelope)."""
    header = {
        "version": VERSION,
        "msgType": msg_type,
        "msgId": new_message_id(),
        "sender": party.inst_id,
        "receiver": receiver,
        "timestamp": (sent_at or beijing_now()).isoformat(timespec="milliseconds"),
        "nonce": secrets.token_hex(16),
    }
    if test_case_id:
        header["testCaseId"] = test_case_id
    signature = signer.sign(party.key, header, body, party.key_id, leg) if signer \
        else sign(party.key, header, body, party.key_id)
    return {"header": header, "body": body, "signature": signature}


def sign(key: SigningKey, header: dict, body: dict, key_id: str | None = None) -> dict[str, str]:
    """The ``signature`` member for ``header`` and ``body``, labelled with the key's algorithm
    and ``key_id`` (default: the key's fingerprint)."""
    return {"alg": key.algorithm, "keyId": key_id or key.public.id,
            "value": key.sign(canonical_bytes(header, body))}


def with_altered_signature(message: dict) -> dict:
    """A copy of ``message`` whose signature value has its first character changed: still
    base64, no longer valid — a forgery or a corruption in transit."""
    value = message["signature"]["value"]
    altered = ("B" if value[0] == "A" else "A") + value[1:]
    return {**message, "signature": {**message["signature"], "value": altered}}


def signature_ok(message: object, key: VerifyKey | KeyRing) -> bool:
    """True when ``message`` carries a valid signature by ``key``, or, given a key ring, by the
    key registered for its ``header.sender`` under its ``signature.keyId``. The declared
    ``alg`` must be the key's algorithm. Never raises on junk: :mod:`.diagnose` says why not."""
    try:
        if isinstance(key, KeyRing):
            key = key.key_for(message)
        shapeless: Any = message     # any shape: a wrong one raises, caught below
        header, body, signature = shapeless["header"], shapeless["body"], shapeless["signature"]
        return (signature["alg"] == key.algorithm
                and key.verify(signature["value"], canonical_bytes(header, body)))
    except (LookupError, TypeError, ValueError):
        # ValueError covers content with no canonical form and a registered key that is junk.
        return False
