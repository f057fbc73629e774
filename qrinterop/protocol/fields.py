"""Encryption of sensitive fields (payer and payee account details) inside a message body.

Hybrid encryption, one fresh key per field: a random 128-bit SM4 key encrypts the field's
canonical JSON (JCS) with SM4-GCM (``cryptography`` supports SM4 in GCM mode, so no CBC + HMAC
construction is needed), and is wrapped for the recipient with its public key: SM2 encryption
(GB/T 32918.4, GM/T 0009 DER ciphertext) for an SM2 key, RSA-OAEP with SHA-256 and MGF1-SHA-256
for an RSA key. The encrypted field replaces the plain value in the body::

    {"alg": "SM2+SM4-GCM", "keyId": "<recipient's key ID>", "wrappedKey": "<base64>",
     "iv": "<base64 of 12 bytes>", "ciphertext": "<base64 of ciphertext ‖ 16-byte GCM tag>"}

``alg`` and ``keyId`` are authenticated as GCM associated data (their JCS form), so relabelling
an encrypted field is detected like altering it. Encrypt first, then sign the message: the
signature covers the encrypted form.
"""

from __future__ import annotations

import base64
import binascii
import json
import os

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes

from qrinterop.protocol.canonical import canonicalize
from qrinterop.protocol.crypto import RSA_ALGORITHM, SM2_ALGORITHM, SigningKey, VerifyKey

#: The ``alg`` of an encrypted field, by the recipient key's signature algorithm.
FIELD_ALGORITHMS = {SM2_ALGORITHM: "SM2+SM4-GCM", RSA_ALGORITHM: "RSA-OAEP-SHA256+SM4-GCM"}
MEMBERS = ("alg", "keyId", "wrappedKey", "iv", "ciphertext")
_KEY_BYTES, _IV_BYTES, _TAG_BYTES = 16, 12, 16


class FieldDecryptionError(ValueError):
    """An encrypted field that cannot be opened with the given key, and why."""


def encrypt_field(value: dict, recipient: VerifyKey, key_id: str | None = None) -> dict:
    """``value`` encrypted so that only ``recipient``'s private key can read it; ``key_id`` is
    the ID the recipient registered the key under (default: its fingerprint)."""
    if not isinstance(value, dict):
        raise TypeError("only JSON objects are encrypted as fields")
    label = {"alg": FIELD_ALGORITHMS[recipient.algorithm], "keyId": key_id or recipient.id}
    field_key, iv = os.urandom(_KEY_BYTES), os.urandom(_IV_BYTES)
    encryptor = Cipher(algorithms.SM4(field_key), modes.GCM(iv)).encryptor()
    encryptor.authenticate_additional_data(canonicalize(label))
    sealed = encryptor.update(canonicalize(value)) + encryptor.finalize() + encryptor.tag
    return {**label, "wrappedKey": _b64(recipient.encrypt(field_key)), "iv": _b64(iv),
            "ciphertext": _b64(sealed)}


def decrypt_field(enc: object, key: SigningKey, key_id: str | None = None) -> dict:
    """The object :func:`encrypt_field` encrypted for ``key`` (registered as ``key_id``,
    default its fingerprint); :class:`FieldDecryptionError` saying why it cannot be opened."""
    label, wrapped, iv, sealed = _members(enc)
    if label["alg"] != FIELD_ALGORITHMS[key.algorithm]:
        raise FieldDecryptionError(f"field is encrypted with {label['alg']!r}; this "
                                   f"{key.algorithm} key opens {FIELD_ALGORITHMS[key.algorithm]!r}")
    if label["keyId"] != (key_id or key.public.id):
        raise FieldDecryptionError(f"field is encrypted for key {label['keyId']!r}, "
                                   f"not {key_id or key.public.id!r}")
    try:
        field_key = key.decrypt(wrapped)
        decryptor = Cipher(algorithms.SM4(field_key),
                           modes.GCM(iv, sealed[-_TAG_BYTES:])).decryptor()
        decryptor.authenticate_additional_data(canonicalize(label))
        plain = decryptor.update(sealed[:-_TAG_BYTES]) + decryptor.finalize()
    except (InvalidTag, ValueError):
        raise FieldDecryptionError("field was altered, or was not encrypted for this key") \
            from None
    return _object(plain)


def _members(enc: object) -> tuple[dict, bytes, bytes, bytes]:
    """The authenticated label and the decoded binary members of an encrypted field."""
    if not isinstance(enc, dict) or set(enc) != set(MEMBERS):
        raise FieldDecryptionError(f"an encrypted field is an object with exactly the members "
                                   f"{', '.join(MEMBERS)}")
    if enc["alg"] not in FIELD_ALGORITHMS.values() or not isinstance(enc["keyId"], str):
        raise FieldDecryptionError(f"unknown field encryption algorithm {enc['alg']!r}")
    try:
        wrapped, iv, sealed = (base64.b64decode(enc[name], validate=True)
                               for name in ("wrappedKey", "iv", "ciphertext"))
    except (binascii.Error, TypeError, ValueError):
        raise FieldDecryptionError("wrappedKey, iv and ciphertext must be base64") from None
    if len(iv) != _IV_BYTES or len(sealed) < _TAG_BYTES:
        raise FieldDecryptionError(f"iv must be {_IV_BYTES} bytes and ciphertext hold a "
                                   f"{_TAG_BYTES}-byte tag")
    return {"alg": enc["alg"], "keyId": enc["keyId"]}, wrapped, iv, sealed


def _object(plain: bytes) -> dict:
    """The decrypted JSON object; anything else is another implementation's mistake."""
    try:
        value = json.loads(plain)
    except ValueError:
        value = None
    if not isinstance(value, dict):
        raise FieldDecryptionError("the decrypted field is not a JSON object")
    return value


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")
