"""The public keys a receiver trusts, by participant and key ID, so that keys can rotate.

During a rotation a participant has two registered keys, signs with the new one and labels each
signature with its ``keyId``; the receiver picks the key by ``(header.sender, signature.keyId)``
rather than trying every key, so a failure names exactly which key was wanted. A key's default
ID is :func:`~qrinterop.protocol.crypto.key_id` of its PEM.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from qrinterop.protocol.crypto import VerifyKey


class UnknownSender(LookupError):
    """No key at all is registered for the message's sender."""

    def __init__(self, sender: object, known: Iterable[str]) -> None:
        self.sender, self.known = sender, tuple(sorted(known))
        super().__init__(f"no key is registered for sender {sender!r}")


class UnknownKeyId(LookupError):
    """The sender is known but has no key with the signature's ``keyId``."""

    def __init__(self, sender: str, key_id: object, known: Iterable[str]) -> None:
        self.sender, self.key_id, self.known = sender, key_id, tuple(known)
        super().__init__(f"sender {sender!r} has no key {key_id!r}; "
                         f"its keys are {', '.join(self.known)}")


class KeyRing:
    """Public keys of one or more participants, each possibly with several keys."""

    def __init__(self) -> None:
        self._keys: dict[str, dict[str, VerifyKey]] = {}

    @classmethod
    def from_registrations(cls, participants: Iterable[Mapping]) -> KeyRing:
        """From network registrations: ``id`` and ``keys``, a list of :func:`registered`
        entries (several during a rotation). An entry whose ``algorithm`` is not its key's
        is refused: the registration would misstate how the participant signs."""
        ring = cls()
        for participant in participants:
            for entry in participant["keys"]:
                key = VerifyKey(entry["public_key"].encode())
                if entry["algorithm"] != key.algorithm:
                    raise ValueError(f"key {entry['key_id']!r} of {participant['id']} is "
                                     f"registered as {entry['algorithm']} but is a "
                                     f"{key.algorithm} key")
                ring.add(participant["id"], key, entry["key_id"])
        return ring

    def add(self, sender: str, key: VerifyKey, key_id: str | None = None) -> str:
        """Register ``key`` for ``sender`` under ``key_id`` (default: the key's fingerprint)
        and return the ID. Re-using an ID for a different key is refused."""
        key_id = key_id or key.id
        keys = self._keys.setdefault(sender, {})
        if keys.get(key_id, key) != key:
            raise ValueError(f"sender {sender!r} already has a different key {key_id!r}")
        keys[key_id] = key
        return key_id

    def retire(self, sender: str, key_id: str) -> None:
        """End a rotation: signatures with this key are no longer accepted."""
        del self._keys[sender][key_id]
        if not self._keys[sender]:
            del self._keys[sender]

    def __contains__(self, sender: object) -> bool:
        return isinstance(sender, str) and sender in self._keys

    @property
    def senders(self) -> tuple[str, ...]:
        return tuple(self._keys)

    def key_ids(self, sender: str) -> tuple[str, ...]:
        return tuple(self._keys.get(sender, ()))

    def key(self, sender: object, key_id: object) -> VerifyKey:
        """The key to verify ``sender``'s signature labelled ``key_id``;
        :class:`UnknownSender` or :class:`UnknownKeyId` if there is none."""
        if not isinstance(sender, str) or sender not in self._keys:
            raise UnknownSender(sender, self._keys)
        keys = self._keys[sender]
        key = keys.get(key_id) if isinstance(key_id, str) else None
        if key is None:
            raise UnknownKeyId(sender, key_id, keys)
        return key

    def key_for(self, message: object) -> VerifyKey:
        """The key named by a message's ``header.sender`` and ``signature.keyId``; a
        ``LookupError`` (including ``KeyError``/``TypeError`` for a shapeless message)."""
        shapeless: Any = message     # any shape: a wrong one raises, reported below
        try:
            sender, key_id = shapeless["header"]["sender"], shapeless["signature"]["keyId"]
        except TypeError:
            raise KeyError("message has no header.sender or signature.keyId") from None
        return self.key(sender, key_id)

    def items(self) -> Iterable[tuple[str, str, VerifyKey]]:
        """Every ``(sender, key ID, key)``, for diagnosis that searches all keys."""
        for sender, keys in self._keys.items():
            for key_id, key in keys.items():
                yield sender, key_id, key


def registered(key_id: str, key: VerifyKey) -> dict[str, str]:
    """One entry of a registration's ``keys``, as :meth:`KeyRing.from_registrations` reads it
    and a run's ``network.json`` shows it."""
    return {"key_id": key_id, "algorithm": key.algorithm, "public_key": key.pem.decode()}
