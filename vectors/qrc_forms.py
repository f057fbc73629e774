"""UnionPay QRC forms signed as a sender signs them: right (as the SDK does), and with each
mistake an implementation makes building or signing the string, one at a time.

Used by ``vectors/generate.py`` (``qrc_message_test.json``) and by the tests of
``qrinterop msg verify``. The keys are the test keys in ``vectors/keys/``: RSA (PKCS#1 v1.5
signatures are deterministic, so they regenerate bit for bit) and SM2 (SM3withSM2 signatures are
randomised: the generator keeps the committed ones while the fields they sign are unchanged).
"""

from __future__ import annotations

import base64
import hashlib
from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from functools import cache
from pathlib import Path
from urllib.parse import quote_plus

from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa

from qrinterop.protocol.bindings import qrc
from qrinterop.protocol.bindings.qrc import QrcBinding
from qrinterop.protocol.bindings.qrc_diagnose import dictionary, sender_field
from qrinterop.protocol.crypto import RSA_ALGORITHM, SigningKey

KEYS = Path(__file__).parent / "keys"
#: The test participants of vectors/sources/message-examples.json.
PARTICIPANTS = {"acquirer": "48020000", "issuer": "01020000", "switch": "00010000"}
CURRENT, RETIRED = "2026", "2025"


#: The key families: RSA (deterministic signatures) and SM2 (randomised: the generator keeps a
#: committed signature while what it signs is unchanged).
FAMILIES = ("rsa", "sm2")


def key_id(participant: str, year: str = CURRENT, family: str = "rsa") -> str:
    return f"{participant}-{family}-{year}"


@cache
def signing_key(kid: str) -> SigningKey:
    return SigningKey.load(KEYS / f"{kid}.key.pem")


@dataclass(frozen=True)
class Sender:
    """Who signs a form and with what: the key it should use, its retired one, and another
    participant's."""

    binding: QrcBinding
    message: str
    leg: str
    key: SigningKey
    kid: str
    retired: SigningKey
    retired_kid: str
    other: SigningKey
    other_kid: str

    def unsigned(self, body: Mapping, participant: str) -> dict[str, str]:
        """The form's fields as the binding writes them, certId and signType included."""
        header = {"version": qrc.ABSTRACT_VERSION, "sender": participant,
                  "msgType": f"{self.message}.{self.leg.split('.')[0]}"}
        return self.binding.fields(header, body, self.leg,
                                   {"alg": self.key.algorithm, "keyId": self.kid})

    def absent(self, fields: Mapping[str, str]) -> str | None:
        """The first field of the leg's dictionary the form does not carry."""
        names = sorted(dictionary(self.binding, self.message, self.leg) - set(fields)
                       - {"signature"})
        return names[0] if names else None


def signature(key: SigningKey, data: bytes) -> str:
    return key.sign(data)


def digest(fields: Mapping[str, str], key: SigningKey) -> bytes:
    return qrc.digest_hex(qrc.signing_string(fields), key.algorithm).encode("ascii")


def signed(fields: Mapping[str, str], key: SigningKey) -> dict[str, str]:
    """As the SDK signs: the lowercase hex digest of the sorted string."""
    return {**fields, "signature": signature(key, digest(fields, key))}


def _sha1_signed(key: SigningKey, data: bytes) -> str:
    """SHA1withRSA (the old SDK's signMethod 01) for an RSA key; else the key's own."""
    if key.algorithm != RSA_ALGORITHM:
        return key.sign(data)
    private = serialization.load_pem_private_key(key.private_pem(), None)
    assert isinstance(private, rsa.RSAPrivateKey)
    return base64.b64encode(private.sign(data, padding.PKCS1v15(), hashes.SHA1())).decode()


# -- the mistakes: each gives the form as sent, or None when it changes nothing here ---------
Spoil = Callable[[Sender, dict[str, str]], dict[str, str] | None]


def unsorted(s: Sender, f: dict[str, str]) -> dict[str, str] | None:
    text = "&".join(f"{k}={v}" for k, v in f.items())
    return {**f, "signature": signature(s.key, qrc.digest_hex(text, s.key.algorithm).encode())}


def empty_signed(s: Sender, f: dict[str, str]) -> dict[str, str] | None:
    name = s.absent(f)
    return None if name is None else {**f, "signature": signature(s.key,
                                                                  digest({**f, name: ""}, s.key))}


def empty_not_signed(s: Sender, f: dict[str, str]) -> dict[str, str] | None:
    name = s.absent(f)
    return None if name is None else {**f, name: "", "signature": signed(f, s.key)["signature"]}


def url_encoded(s: Sender, f: dict[str, str]) -> dict[str, str] | None:
    quoted = {k: quote_plus(v) for k, v in f.items()}
    return None if quoted == f else {**f, "signature": signature(s.key, digest(quoted, s.key))}


def raw_string(s: Sender, f: dict[str, str]) -> dict[str, str] | None:
    return {**f, "signature": signature(s.key, qrc.signing_string(f).encode("utf-8"))}


def uppercase(s: Sender, f: dict[str, str]) -> dict[str, str] | None:
    return {**f, "signature": signature(s.key, digest(f, s.key).upper())}


def sha1(s: Sender, f: dict[str, str]) -> dict[str, str] | None:
    hexed = hashlib.sha1(qrc.signing_string(f).encode("utf-8")).hexdigest().encode()
    return {**f, "signature": _sha1_signed(s.key, hexed)}


def other_cert_id(s: Sender, f: dict[str, str]) -> dict[str, str] | None:
    return signed({**f, "certId": qrc.cert_id(s.retired_kid)}, s.key)


def retired_key(s: Sender, f: dict[str, str]) -> dict[str, str] | None:
    return signed({**f, "certId": qrc.cert_id(s.retired_kid)}, s.retired)


def no_such_cert_id(s: Sender, f: dict[str, str]) -> dict[str, str] | None:
    return signed({**f, "certId": qrc.cert_id(s.kid.replace(CURRENT, "2099"))}, s.key)


def wrong_sign_type(s: Sender, f: dict[str, str]) -> dict[str, str] | None:
    others = [code for alg, code in s.binding.sign_types.items() if alg != s.key.algorithm]
    return signed({**f, "signType": others[0]}, s.key)


def no_sign_type(s: Sender, f: dict[str, str]) -> dict[str, str] | None:
    return signed({k: v for k, v in f.items() if k != "signType"}, s.key)


def other_participant(s: Sender, f: dict[str, str]) -> dict[str, str] | None:
    return {**f, "signature": signature(s.other, digest(f, s.other))}


def changed(s: Sender, f: dict[str, str]) -> dict[str, str] | None:
    """Signed right, then one body value changed (the amount where there is one)."""
    sent = signed(f, s.key)
    skip = {*qrc.ENVELOPE_FIELDS, sender_field(s.binding, s.message, s.leg)}
    name = "txnAmt" if "txnAmt" in f else next(k for k in f if k not in skip)
    value = sent[name]
    sent[name] = value[:-1] + ("1" if value[-1:] != "1" else "2")
    return sent


#: (flag, diagnosis code, what the sender did, how)
MISTAKES: list[tuple[str, str, str, Spoil]] = [
    ("UnsortedSigningString", "unsorted-signing-string",
     "signing string built from the fields in the order sent, not sorted", unsorted),
    ("EmptyFieldSigned", "empty-field-signed",
     "an empty field left in the signing string, then not sent", empty_signed),
    ("EmptyFieldNotSigned", "empty-field-not-signed",
     "an empty field sent (k=) but left out of the signing string", empty_not_signed),
    ("UrlEncodedValues", "url-encoded-values",
     "the URL-encoded values signed instead of the decoded ones", url_encoded),
    ("RawStringSigned", "raw-string-signed",
     "the signing string signed instead of its hex digest", raw_string),
    ("UppercaseDigest", "uppercase-digest", "the hex digest signed in uppercase", uppercase),
    ("Sha1Digest", "sha1-digest", "SHA-1 instead of the key's digest (with an RSA key "
     "SHA1withRSA over the SHA-1 digest, as the old SDK's signMethod 01)", sha1),
    ("WrongCertId", "wrong-cert-id",
     "certId names the sender's other (retired) key, not the one that signed", other_cert_id),
    ("RetiredKey", "retired-key", "signed with the sender's retired key, certId naming it",
     retired_key),
    ("UnknownCertId", "unknown-cert-id", "certId names no key of the sender at all",
     no_such_cert_id),
    ("WrongSignType", "algorithm-mismatch",
     "signType names another algorithm than the key's", wrong_sign_type),
    ("NoSignType", "no-sign-type", "no signType sent (the SDK then reads SHA1withRSA), the "
     "form signed with the key's own algorithm", no_sign_type),
    ("OtherParticipantKey", "wrong-key",
     "signed with another participant's key, certId naming the sender's", other_participant),
    ("ContentChanged", "bad-signature",
     "a value (the amount where there is one) changed after signing", changed),
]


def sender(binding: QrcBinding, message: str, leg: str, participant: str,
           key: SigningKey | None = None, kid: str | None = None,
           family: str = "rsa") -> Sender:
    """The participant's signing set-up with its ``family`` of test keys; ``key``/``kid``
    replace its current one."""
    other = next(p for p in PARTICIPANTS.values() if p != participant)
    ids = [key_id(participant, CURRENT, family), key_id(participant, RETIRED, family),
           key_id(other, CURRENT, family)]
    base = Sender(binding, message, leg, signing_key(ids[0]), ids[0], signing_key(ids[1]),
                  ids[1], signing_key(ids[2]), ids[2])
    return base if key is None else replace(base, key=key, kid=kid or key.public.id)


def signer_of(catalogue_entry: Mapping, leg: str) -> str:
    """Who sends ``leg`` of a message: the switch from it, the initiator to it, and to it an
    answer the participant that was asked."""
    kind, way = leg.split(".")
    if way == "from-switch":
        return "switch"
    if kind == "request":
        return str(catalogue_entry["initiator"])
    responder = catalogue_entry["responder"]
    if responder in ("acquirer", "issuer"):
        return str(responder)
    if responder == "participant":
        return "acquirer"
    return "issuer" if catalogue_entry["initiator"] == "acquirer" else "acquirer"
