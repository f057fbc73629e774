"""``qrinterop-json``: the profile's own envelope, JSON signed over its RFC 8785 form."""

from __future__ import annotations

import json
from typing import Any

from qrinterop.profile import Profile
from qrinterop.protocol import envelope
from qrinterop.protocol.bindings.base import Wire, WireError
from qrinterop.protocol.canonical import strict_loads
from qrinterop.protocol.crypto import SigningKey, VerifyKey
from qrinterop.protocol.keyring import KeyRing

JSON_TYPE = "application/json; charset=utf-8"


class JsonBinding:
    """The JSON envelope (:mod:`qrinterop.protocol.envelope`): the message is its own wire."""

    name = "qrinterop-json"
    content_type = JSON_TYPE
    sender_by_key = False

    def __init__(self, profile: Profile | None = None) -> None:
        self.profile = profile      # the envelope is the same in every profile version

    def sign(self, key: SigningKey, header: dict, body: dict, key_id: str | None,
             leg: str, label: str | None = None) -> dict[str, str]:
        signature = envelope.sign(key, header, body, key_id)
        return {**signature, "alg": label} if label else signature     # alg is not signed

    def encode(self, message: dict, leg: str) -> Wire:
        shown = {k: v for k, v in message.items() if k != "wire"}
        return Wire(json.dumps(shown, ensure_ascii=False).encode("utf-8"), JSON_TYPE)

    def decode(self, wire: Wire, leg: str, keyring: KeyRing, receiver: str,
               counterpart: str | None = None) -> Any:
        """The JSON value as sent (any JSON value: the receiver says why it is no message)."""
        try:
            return strict_loads(wire.body)
        except (ValueError, UnicodeDecodeError) as exc:
            raise WireError(f"body is not a JSON message: {exc}") from None

    def verify(self, message: dict, key: VerifyKey) -> bool:
        return envelope.signature_ok(message, key)

    def carries(self, header_field: str) -> bool:
        return True

    def evidence(self, message: dict, leg: str) -> dict:
        return message          # the JSON message is its own wire

    def as_received(self, message: str, leg: str, body: dict) -> dict:
        return body
