"""Wire bindings: how an abstract message (``{"header", "body", "signature"}``) travels.

Above the protocol layer every message is abstract. A binding signs it over its own wire form,
encodes it, and decodes what arrives back into the abstract form, keeping the wire as it came
(``message["wire"]``) so that a signature is checked over what was actually sent. Two are
built: ``qrinterop-json`` (the profile's JSON envelope) and ``unionpay-qrc`` (UnionPay QRC's
form-encoded key=value messages); the profile's ``bindings/bindings.json`` describes both, and
what is public of NetsUnion's XML.
"""

from __future__ import annotations

from typing import Any

from qrinterop.profile import Profile
from qrinterop.protocol import envelope
from qrinterop.protocol.bindings import qrc
from qrinterop.protocol.bindings.base import (
    DEFAULT_BINDING,
    Binding,
    Wire,
    WireError,
    known_bindings,
)
from qrinterop.protocol.bindings.json_binding import JsonBinding
from qrinterop.protocol.bindings.qrc import QrcBinding
from qrinterop.protocol.crypto import VerifyKey
from qrinterop.protocol.keyring import KeyRing

__all__ = ["DEFAULT_BINDING", "Binding", "Wire", "WireError", "binding", "detect",
           "known_bindings", "signature_ok", "signed_content", "wire_of"]


def binding(name: str | None, profile: Profile) -> Binding:
    """The binding ``name`` (default: the profile's JSON envelope) for ``profile``'s
    messages; a name the profile does not build is a ``KeyError`` naming those it does."""
    name = name or DEFAULT_BINDING
    if name == JsonBinding.name:
        return JsonBinding(profile)
    if name == QrcBinding.name and QrcBinding.name in known_bindings(profile):
        return QrcBinding(profile)
    raise KeyError(f"binding {name!r} is not built for profile {profile.name} "
                   f"(built: {', '.join(known_bindings(profile))})")


def detect(raw: bytes) -> str:
    """Which binding ``raw`` is written in, by its form: a JSON object or a form."""
    return JsonBinding.name if raw.lstrip()[:1] in (b"{", b"[") else QrcBinding.name


def wire_of(message: object) -> dict | None:
    """What a decoded message carried on a binding other than JSON (``{"binding",
    "fields"}``), or None: a JSON message is its own wire."""
    wire = message.get("wire") if isinstance(message, dict) else None
    return wire if isinstance(wire, dict) else None


def signature_ok(message: object, key: VerifyKey | KeyRing) -> bool:
    """Whether ``message`` carries a valid signature by ``key`` (or, given a key ring, by the
    key registered for its sender under its key ID), over the form it travelled in. Never
    raises on junk."""
    wire = wire_of(message)
    if wire is None or wire.get("binding") != qrc.NAME:
        return envelope.signature_ok(message, key)
    shapeless: Any = message
    try:
        found = key.key_for(shapeless) if isinstance(key, KeyRing) else key
    except (LookupError, TypeError, ValueError):
        return False
    return qrc.verify(shapeless, found)


def signed_content(message: object, algorithm: str) -> bytes:
    """The bytes a signature by a key of ``algorithm`` covers in ``message``, in the form it
    travelled in: the JSON envelope's canonical form, or a QRC form's digest string.
    ``LookupError``/``TypeError``/``ValueError`` for a message without that content."""
    wire = wire_of(message)
    shapeless: Any = message
    if wire is None or wire.get("binding") != qrc.NAME:
        return envelope.canonical_bytes(shapeless["header"], shapeless["body"])
    return qrc.digest_hex(qrc.signing_string(wire["fields"]), algorithm).encode("ascii")
