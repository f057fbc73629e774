"""Signatures and key wrapping: SM3withSM2 (国密, the profile's default) and SHA256withRSA.

``cryptography`` has RSA, SM3 and SM4 but no SM2; ``tongsuopy`` (Tongsuo) offers the same API
shape with SM2. Tongsuo signs with the default SM2 user ID ``1234567812345678``, which other SM2
implementations (gmssl, BouncyCastle) share, so signatures interoperate.

A key's algorithm follows from its type: an SM2 key signs SM3withSM2, an RSA key SHA256withRSA
(PKCS#1 v1.5 padding, at least 2048 bits). Verifiers compare a signature's declared algorithm
with their key's, so a message can never choose how it is checked. Signatures travel as base64:
of the DER ``(r, s)`` pair for SM2, of the modulus-sized integer for RSA.

The same keys wrap the SM4 keys of encrypted fields: SM2 encryption for SM2 keys, RSA-OAEP with
SHA-256 for RSA keys (see :mod:`qrinterop.protocol.fields`).
"""

from __future__ import annotations

import base64
import hashlib
import re
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import Any

from cryptography.exceptions import InvalidSignature as RsaInvalidSignature
from cryptography.exceptions import UnsupportedAlgorithm
from cryptography.hazmat.primitives import hashes as rsa_hashes
from cryptography.hazmat.primitives import serialization as rsa_serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from tongsuopy.crypto import hashes, serialization
from tongsuopy.crypto.asymciphers import ec
from tongsuopy.crypto.exceptions import InternalError, InvalidSignature
from tongsuopy.crypto.exceptions import UnsupportedAlgorithm as Sm2UnsupportedAlgorithm

from qrinterop.protocol import sm2_encryption

SM2_ALGORITHM = "SM3withSM2"
RSA_ALGORITHM = "SHA256withRSA"
#: The profile's default signature algorithm.
ALGORITHM = SM2_ALGORITHM
ALGORITHMS = (SM2_ALGORITHM, RSA_ALGORITHM)
MIN_RSA_BITS = 2048

_SM3_SM2 = ec.ECDSA(hashes.SM3())
_PKCS1, _SHA256 = padding.PKCS1v15(), rsa_hashes.SHA256()
_OAEP_SHA256 = padding.OAEP(mgf=padding.MGF1(rsa_hashes.SHA256()),
                            algorithm=rsa_hashes.SHA256(), label=None)
_PEM_LABEL = re.compile(rb"-----BEGIN ([A-Z0-9 ]+)-----")
_PRIVATE_LABELS = {"PRIVATE KEY", "RSA PRIVATE KEY", "EC PRIVATE KEY", "ENCRYPTED PRIVATE KEY"}


class KeyFormatError(ValueError):
    """A PEM file that is not a usable key for its purpose; the message is one line for a user."""


def key_id(public_pem: bytes) -> str:
    """A short fingerprint of a public key: the first 16 hex digits of SHA-256 over its PEM."""
    return hashlib.sha256(public_pem.strip()).hexdigest()[:16]


@dataclass(frozen=True)
class VerifyKey:
    """A participant's registered public key: SM2 or RSA, told apart by the PEM itself."""

    pem: bytes

    @classmethod
    def from_pem(cls, pem: bytes) -> VerifyKey:
        """A key checked now, so that a bad PEM fails here (:class:`KeyFormatError`)."""
        key = cls(pem)
        _ = key.algorithm       # parses the PEM now
        return key

    @classmethod
    def load(cls, path: Path) -> VerifyKey:
        return cls.from_pem(path.read_bytes())

    @property
    def id(self) -> str:
        return key_id(self.pem)

    @cached_property
    def _parsed(self) -> tuple[str, Any]:
        return _parse_pem(self.pem, private=False)

    @property
    def algorithm(self) -> str:
        """``SM3withSM2`` or ``SHA256withRSA``; :class:`KeyFormatError` for an unusable PEM."""
        return self._parsed[0]

    @property
    def key_size(self) -> int:
        """In bits: 256 for SM2, the modulus length for RSA."""
        return self._parsed[1].key_size

    def verify(self, signature_b64: str, data: bytes) -> bool:
        """True when ``signature_b64`` is this key's signature over ``data``; never raises."""
        try:
            return self.verify_raw(base64.b64decode(signature_b64, validate=True), data)
        except (ValueError, TypeError):
            return False

    def verify_raw(self, signature: bytes, data: bytes) -> bool:
        """Like :meth:`verify`, for signature bytes already decoded."""
        try:
            algorithm, public = self._parsed
            if algorithm == RSA_ALGORITHM:
                public.verify(signature, data, _PKCS1, _SHA256)
            else:
                public.verify(signature, data, _SM3_SM2)
        except (InvalidSignature, RsaInvalidSignature, InternalError, ValueError, TypeError):
            # Tongsuo raises InternalError for bytes that are not a DER signature at all.
            return False
        return True

    def encrypt(self, plaintext: bytes) -> bytes:
        """Encrypt a short secret (a field key) so that only the private key can read it."""
        algorithm, public = self._parsed
        if algorithm == RSA_ALGORITHM:
            return public.encrypt(plaintext, _OAEP_SHA256)
        return sm2_encryption.encrypt(public, plaintext)


class SigningKey:
    """A private key, SM2 or RSA; ``public`` is what peers register to verify it."""

    def __init__(self, private_key: ec.EllipticCurvePrivateKey | rsa.RSAPrivateKey) -> None:
        self._key = private_key
        self.algorithm = (RSA_ALGORITHM if isinstance(private_key, rsa.RSAPrivateKey)
                          else SM2_ALGORITHM)
        self.public = VerifyKey(_encoding(private_key).public_pem(private_key.public_key()))

    @classmethod
    def generate(cls, algorithm: str = ALGORITHM, rsa_bits: int = MIN_RSA_BITS) -> SigningKey:
        """A new key for ``algorithm`` (``SM3withSM2`` or ``SHA256withRSA``)."""
        if algorithm == SM2_ALGORITHM:
            return cls(ec.generate_private_key(ec.SM2()))
        if algorithm == RSA_ALGORITHM:
            if rsa_bits < MIN_RSA_BITS:
                raise ValueError(f"RSA keys need at least {MIN_RSA_BITS} bits, not {rsa_bits}")
            return cls(rsa.generate_private_key(public_exponent=65537, key_size=rsa_bits))
        raise ValueError(f"unknown signature algorithm {algorithm!r}; "
                         f"known: {', '.join(ALGORITHMS)}")

    @classmethod
    def from_pem(cls, pem: bytes) -> SigningKey:
        """A key from an unencrypted PKCS#8 (or traditional) PEM; :class:`KeyFormatError`."""
        return cls(_parse_pem(pem, private=True)[1])

    @classmethod
    def load(cls, path: Path) -> SigningKey:
        return cls.from_pem(path.read_bytes())

    def private_pem(self) -> bytes:
        """The private key as unencrypted PKCS#8 PEM: a secret, for files only its owner reads
        or a process of the same harness."""
        return _encoding(self._key).private_pem(self._key)

    def save(self, path: Path) -> None:
        """Write the private key (PKCS#8 PEM) readable by the owner only."""
        path.touch(mode=0o600)
        path.chmod(0o600)      # touch() keeps the mode of a file that already exists
        path.write_bytes(self.private_pem())

    def sign(self, data: bytes) -> str:
        """The base64 signature over ``data`` with this key's algorithm."""
        if isinstance(self._key, rsa.RSAPrivateKey):
            raw = self._key.sign(data, _PKCS1, _SHA256)
        else:
            raw = self._key.sign(data, _SM3_SM2)
        return base64.b64encode(raw).decode("ascii")

    def decrypt(self, ciphertext: bytes) -> bytes:
        """Recover a secret wrapped by :meth:`VerifyKey.encrypt`; ``ValueError`` if it cannot."""
        if self.algorithm == RSA_ALGORITHM:
            return self._key.decrypt(ciphertext, _OAEP_SHA256)
        return sm2_encryption.decrypt(self._key, ciphertext)


@dataclass(frozen=True)
class _Encoding:
    """PEM writing with the library a key object comes from (their enums are not shared)."""

    module: Any

    def public_pem(self, public: Any) -> bytes:
        return public.public_bytes(self.module.Encoding.PEM,
                                   self.module.PublicFormat.SubjectPublicKeyInfo)

    def private_pem(self, private: Any) -> bytes:
        return private.private_bytes(self.module.Encoding.PEM, self.module.PrivateFormat.PKCS8,
                                     self.module.NoEncryption())


def _encoding(key: object) -> _Encoding:
    is_rsa = isinstance(key, rsa.RSAPrivateKey | rsa.RSAPublicKey)
    return _Encoding(rsa_serialization if is_rsa else serialization)


def _parse_pem(pem: bytes, private: bool) -> tuple[str, Any]:
    """``(algorithm, key object)`` for an SM2 or RSA PEM key, or :class:`KeyFormatError`."""
    _check_label(pem, private)
    try:
        key = (rsa_serialization.load_pem_private_key(pem, None) if private
               else rsa_serialization.load_pem_public_key(pem))
    except UnsupportedAlgorithm:     # cryptography has no SM2 curve: SM2 keys come this way
        return SM2_ALGORITHM, _parse_sm2(pem, private)
    except TypeError:
        raise KeyFormatError("the private key is encrypted; give an unencrypted PEM") from None
    except ValueError:
        raise KeyFormatError("the PEM data is damaged or not a key") from None
    if not isinstance(key, rsa.RSAPrivateKey | rsa.RSAPublicKey):
        curve = getattr(getattr(key, "curve", None), "name", None)
        kind = f"an elliptic-curve key on {curve}" if curve else f"a {type(key).__name__}"
        raise KeyFormatError(f"{kind}; only SM2 and RSA keys are supported")
    if key.key_size < MIN_RSA_BITS:
        raise KeyFormatError(f"an RSA key of {key.key_size} bits; at least {MIN_RSA_BITS} "
                             "are required")
    return RSA_ALGORITHM, key


def _parse_sm2(pem: bytes, private: bool) -> Any:
    try:
        key = (serialization.load_pem_private_key(pem, None) if private
               else serialization.load_pem_public_key(pem))
    except (ValueError, TypeError, Sm2UnsupportedAlgorithm):
        raise KeyFormatError("neither an SM2 nor an RSA key; only those are supported") from None
    return key


def _check_label(pem: bytes, private: bool) -> None:
    """Say plainly when a public key is given for a private one, or the other way round."""
    match = _PEM_LABEL.search(pem)
    if match is None:
        raise KeyFormatError("not a PEM key: no '-----BEGIN ...-----' line")
    label = match.group(1).decode("ascii")
    if private and label == "PUBLIC KEY":
        raise KeyFormatError("a public key; a private key (BEGIN PRIVATE KEY) is needed here")
    if not private and label in _PRIVATE_LABELS:
        raise KeyFormatError("a private key; give the public key (BEGIN PUBLIC KEY) instead")
    if label not in (_PRIVATE_LABELS if private else {"PUBLIC KEY"}):
        raise KeyFormatError(f"a PEM '{label}', not a {'private' if private else 'public'} key")
