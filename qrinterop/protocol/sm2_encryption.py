"""SM2 public-key encryption (GB/T 32918.4) through Tongsuo, for wrapping field keys.

tongsuopy 1.0 exposes SM2 signatures but no SM2 encryption method, although the Tongsuo library
it binds implements it (``EVP_PKEY_encrypt`` on an SM2 key). This module is the one place that
reaches into tongsuopy's private binding (``backend._lib``, ``backend._ffi``, ``key._evp_pkey``):
when tongsuopy grows a public method, only this file changes, and the tests cross-check it
against gmssl, an independent implementation.

Ciphertexts are in the GM/T 0009 DER form ``SEQUENCE { x INTEGER, y INTEGER, hash OCTET STRING
(C3), ciphertext OCTET STRING (C2) }`` that Tongsuo, OpenSSL and BouncyCastle read; gmssl uses
the raw concatenation C1‖C3‖C2 instead.
"""

from __future__ import annotations

from collections.abc import Callable

from tongsuopy.backends.tongsuo.backend import backend
from tongsuopy.crypto.asymciphers import ec

_lib, _ffi = backend._lib, backend._ffi


def encrypt(public_key: ec.EllipticCurvePublicKey, plaintext: bytes) -> bytes:
    """SM2-encrypt ``plaintext`` (a few dozen bytes: a key, not a document) for ``public_key``."""
    return _run(public_key, _lib.EVP_PKEY_encrypt_init, _lib.EVP_PKEY_encrypt, plaintext)


def decrypt(private_key: ec.EllipticCurvePrivateKey, ciphertext: bytes) -> bytes:
    """Recover what :func:`encrypt` wrapped; ``ValueError`` if the ciphertext was not made for
    this key or was altered (its SM3 check value C3 no longer matches)."""
    return _run(private_key, _lib.EVP_PKEY_decrypt_init, _lib.EVP_PKEY_decrypt, ciphertext)


def _run(key: ec.EllipticCurvePublicKey | ec.EllipticCurvePrivateKey, init: Callable,
         operation: Callable, data: bytes) -> bytes:
    context = _ffi.gc(_lib.EVP_PKEY_CTX_new(key._evp_pkey, _ffi.NULL), _lib.EVP_PKEY_CTX_free)
    size = _ffi.new("size_t *")
    ok = (context != _ffi.NULL and init(context) == 1
          and operation(context, _ffi.NULL, size, data, len(data)) == 1)
    if ok:
        buffer = _ffi.new("unsigned char[]", size[0])
        ok = operation(context, buffer, size, data, len(data)) == 1
    if not ok:
        backend._consume_errors()   # leave OpenSSL's error queue clean for the next call
        raise ValueError("SM2 encryption or decryption failed: wrong key or altered ciphertext")
    return bytes(_ffi.buffer(buffer)[:size[0]])
