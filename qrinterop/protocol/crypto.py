"""SM2 signatures with SM3 (国密), through Tongsuo.

``cryptography`` has SM3 and SM4 but no SM2; ``tongsuopy`` offers the same API shape with SM2.
Tongsuo uses the default SM2 user ID ``1234567812345678``, which other SM2 implementations
(gmssl) share, so signatures interoperate.
"""

from __future__ import annotations

import base64
import hashlib
from dataclasses import dataclass
from pathlib import Path

from tongsuopy.crypto import hashes, serialization
from tongsuopy.crypto.asymciphers import ec
from tongsuopy.crypto.exceptions import InternalError, InvalidSignature

ALGORITHM = "SM3withSM2"
_SM3_SM2 = ec.ECDSA(hashes.SM3())


def key_id(public_pem: bytes) -> str:
    """A short fingerprint of a public key: the first 16 hex digits of SHA-256 over its PEM."""
    return hashlib.sha256(public_pem.strip()).hexdigest()[:16]


@dataclass(frozen=True)
class VerifyKey:
    """A participant's registered public key."""

    pem: bytes

    @property
    def id(self) -> str:
        return key_id(self.pem)

    def verify(self, signature_b64: str, data: bytes) -> bool:
        try:
            signature = base64.b64decode(signature_b64, validate=True)
            public = serialization.load_pem_public_key(self.pem)
            public.verify(signature, data, _SM3_SM2)
        except (InvalidSignature, InternalError, ValueError, TypeError):
            # Tongsuo raises InternalError for bytes that are not a DER signature at all.
            return False
        return True


class SigningKey:
    """An SM2 private key; ``public`` is what peers register to verify it."""

    def __init__(self, private_key: ec.EllipticCurvePrivateKey) -> None:
        self._key = private_key
        self.public = VerifyKey(private_key.public_key().public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo))

    @classmethod
    def generate(cls) -> SigningKey:
        return cls(ec.generate_private_key(ec.SM2()))

    @classmethod
    def load(cls, path: Path) -> SigningKey:
        return cls(serialization.load_pem_private_key(path.read_bytes(), None))

    def save(self, path: Path) -> None:
        """Write the private key (PKCS#8 PEM) readable by the owner only."""
        pem = self._key.private_bytes(serialization.Encoding.PEM,
                                      serialization.PrivateFormat.PKCS8,
                                      serialization.NoEncryption())
        path.touch(mode=0o600)
        path.chmod(0o600)      # touch() keeps the mode of a file that already exists
        path.write_bytes(pem)

    def sign(self, data: bytes) -> str:
        return base64.b64encode(self._key.sign(data, _SM3_SM2)).decode("ascii")
