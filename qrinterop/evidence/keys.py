"""Keys that sign report bundles: Ed25519, or SM2 (SM3withSM2) where a regulator wants 国密.

Bundle keys are the harness operator's, not a participant's: they say "this run folder is what
qrinterop wrote", and a verifier trusts them by their public PEM files. SM2 keys are the
protocol's own (:mod:`qrinterop.protocol.crypto`); Ed25519 comes from ``cryptography``.
"""

from __future__ import annotations

import base64
from dataclasses import dataclass
from pathlib import Path

from cryptography.exceptions import InvalidSignature
from cryptography.exceptions import UnsupportedAlgorithm as UnsupportedAlgorithmError
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import (
    Ed25519PrivateKey,
    Ed25519PublicKey,
)

from qrinterop.inputs import MAX_KEY_FILE_BYTES, read_input
from qrinterop.protocol.crypto import (
    SM2_ALGORITHM,
    KeyFormatError,
    SigningKey,
    VerifyKey,
    key_id,
)

ED25519 = "Ed25519"
BUNDLE_ALGORITHMS = (ED25519, SM2_ALGORITHM)


@dataclass(frozen=True)
class Ed25519Public:
    pem: bytes
    algorithm: str = ED25519

    @property
    def id(self) -> str:
        return key_id(self.pem)

    def verify(self, signature_b64: str, data: bytes) -> bool:
        key = serialization.load_pem_public_key(self.pem)
        if not isinstance(key, Ed25519PublicKey):
            return False
        try:
            key.verify(base64.b64decode(signature_b64, validate=True), data)
        except (InvalidSignature, ValueError):
            return False
        return True


class Ed25519Key:
    """An Ed25519 private key with the interface of :class:`SigningKey`."""

    algorithm = ED25519

    def __init__(self, key: Ed25519PrivateKey) -> None:
        self._key = key
        self.public = Ed25519Public(key.public_key().public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo))

    def sign(self, data: bytes) -> str:
        return base64.b64encode(self._key.sign(data)).decode("ascii")

    def private_pem(self) -> bytes:
        return self._key.private_bytes(serialization.Encoding.PEM,
                                       serialization.PrivateFormat.PKCS8,
                                       serialization.NoEncryption())

    def save(self, path: Path) -> None:
        path.touch(mode=0o600)
        path.chmod(0o600)
        path.write_bytes(self.private_pem())


BundleKey = Ed25519Key | SigningKey
PublicBundleKey = Ed25519Public | VerifyKey


def generate(algorithm: str) -> BundleKey:
    if algorithm == ED25519:
        return Ed25519Key(Ed25519PrivateKey.generate())
    if algorithm == SM2_ALGORITHM:
        return SigningKey.generate(SM2_ALGORITHM)
    raise KeyFormatError(f"unknown bundle signature algorithm {algorithm!r}; "
                         f"known: {', '.join(BUNDLE_ALGORITHMS)}")


def load_private(path: Path) -> BundleKey:
    """A bundle signing key from its PEM file; :class:`KeyFormatError` if it is none."""
    pem = _read(path)
    try:
        key = serialization.load_pem_private_key(pem, password=None)
    except (ValueError, TypeError, UnsupportedAlgorithmError):
        key = None
    if isinstance(key, Ed25519PrivateKey):
        return Ed25519Key(key)
    signing = SigningKey.from_pem(pem)
    if signing.algorithm != SM2_ALGORITHM:
        raise KeyFormatError(f"{path}: a bundle is signed with Ed25519 or SM2, not "
                             f"{signing.algorithm}")
    return signing


def load_public(path: Path) -> PublicBundleKey:
    """A trusted public key from its PEM file; :class:`KeyFormatError` if it is none."""
    pem = _read(path)
    try:
        key = serialization.load_pem_public_key(pem)
    except (ValueError, TypeError, UnsupportedAlgorithmError):
        key = None
    if isinstance(key, Ed25519PublicKey):
        return Ed25519Public(pem.strip() + b"\n")
    return VerifyKey.from_pem(pem)


def _read(path: Path) -> bytes:
    return read_input(path, "key file", MAX_KEY_FILE_BYTES, KeyFormatError)

