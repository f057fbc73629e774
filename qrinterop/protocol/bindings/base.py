"""What every wire binding offers, and the profile's list of them."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from qrinterop.profile import Profile
from qrinterop.protocol.crypto import SigningKey, VerifyKey
from qrinterop.protocol.keyring import KeyRing

DEFAULT_BINDING = "qrinterop-json"
#: The upper tester's side channel for the scenario a message belongs to, in bindings whose
#: messages have no room for it: an HTTP header, outside the message and its signature.
TEST_CASE_HEADER = "X-Test-Case-Id"


class WireError(ValueError):
    """Bytes that are not a message in the binding at all (not JSON, not a form)."""


@dataclass(frozen=True)
class Wire:
    """A message as it travels: its bytes, their media type, and the test-case ID where the
    binding carries it beside the message (an HTTP header)."""

    body: bytes
    content_type: str
    test_case: str | None = None

    def headers(self) -> dict[str, str]:
        """The HTTP headers that go with the bytes."""
        extra = {TEST_CASE_HEADER: self.test_case} if self.test_case else {}
        return {"Content-Type": self.content_type, **extra}

    def text(self) -> str:
        """The bytes as text, for a transcript (undecodable bytes shown escaped)."""
        return self.body.decode("utf-8", "backslashreplace")


class Binding(Protocol):
    """Signs, encodes and decodes the profile's abstract messages in one wire format.

    ``leg`` is the message's leg as the schemas name it (``request.to-switch``,
    ``response.from-switch``…): a binding whose field names differ by leg needs it."""

    name: str
    content_type: str
    #: Whether the wire names a message's sender by its signing key alone (QRC's certId),
    #: not in a field of its own as well (the JSON envelope's sender beside keyId).
    sender_by_key: bool

    def sign(self, key: SigningKey, header: dict, body: dict, key_id: str | None,
             leg: str, label: str | None = None) -> dict[str, str]:
        """The ``signature`` member for ``header`` and ``body``, over this binding's form;
        ``label``: the algorithm it is labelled with, if not the key's (a mislabelled
        signature, signed over its label where the wire signs the label, as QRC's
        signType)."""
        ...

    def encode(self, message: dict, leg: str) -> Wire:
        """``message`` (abstract, signed) on the wire, its signature as it stands."""
        ...

    def decode(self, wire: Wire, leg: str, keyring: KeyRing, receiver: str,
               counterpart: str | None = None) -> dict:
        """The abstract message in ``wire``, with ``message["wire"]`` holding what arrived;
        :class:`WireError` when the bytes are no message of this binding at all.
        ``counterpart``: its sender where the wire names none it knows (a QRC message whose
        certId no registered key has, or none): for an answer, the party the request went
        to; for a request to an institution, the switch."""
        ...

    def verify(self, message: dict, key: VerifyKey) -> bool:
        """Whether ``message`` (as decoded) carries a valid signature by ``key``."""
        ...

    def evidence(self, message: dict, leg: str) -> dict:
        """``message`` as a transcript keeps one that was sent: with what went on the wire
        beside it (``wire``), as :meth:`decode` gives it for one received."""
        ...

    def carries(self, header_field: str) -> bool:
        """Whether the wire has room for ``header_field`` (msgId, timestamp, nonce…), or
        (``types``) keeps the JSON types of the body's values."""
        ...

    def as_received(self, message: str, leg: str, body: dict) -> dict:
        """``body`` of a ``message`` (``cpm.purchase``) on ``leg`` as its receiver decodes it
        from this wire: what a spoilt body still is once it has travelled."""
        ...


def known_bindings(profile: Profile) -> tuple[str, ...]:
    """The bindings built for ``profile`` (1.0, which has no bindings file: JSON only)."""
    built = profile.bindings.get("bindings", {})
    return tuple(name for name, entry in built.items() if entry.get("status") == "built") \
        or (DEFAULT_BINDING,)


def binding_entry(profile: Profile, name: str) -> dict:
    """The profile's description of binding ``name`` ({} for a profile without the file)."""
    entry: dict = profile.bindings.get("bindings", {}).get(name, {})
    return entry


def carried_fields(profile: Profile, name: str | None) -> frozenset[str] | None:
    """The envelope fields binding ``name`` has room for (bindings.json ``carries``); None
    for a profile without bindings (1.0: its JSON envelope carries them all)."""
    entry = binding_entry(profile, name or DEFAULT_BINDING)
    return frozenset(entry["carries"]) if "carries" in entry else None
