"""Why a UnionPay QRC form is refused, said as precisely as :mod:`~qrinterop.protocol.diagnose`
says it for the JSON envelope.

A QRC signature covers a string the receiver rebuilds from the fields as they arrived (every
field but ``signature``, sorted, ``k=v`` joined by ``&``), hashed to lowercase hex, signed. When
it does not verify, the sender has usually made one of a handful of mistakes building that
string: fields in the order sent rather than sorted, an empty field signed but not sent (or sent
but not signed), URL-encoded values, the string itself signed instead of its digest, an
uppercase digest, SHA-1. :func:`diagnose` re-checks the signature over each of those and names
the one that verifies; then the key: a ``certId`` naming another key of the sender, a retired
one, none at all, a ``signType`` that is not the key's algorithm. Which field changed after
signing cannot be known (the string has no structure to compare), so when nothing explains a
failure it says so. It only runs after a failure: a few dozen verifications cost nothing.

:func:`form_findings` are the binding's own rules on a form as sent (fields outside the
dictionary, empty fields, sub-structures that are not base64 of ``{k=v&…}``, an unknown
``reqType``), which the JSON schema of the decoded message cannot see.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from urllib.parse import quote, quote_plus

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa

from qrinterop.protocol.bindings import qrc
from qrinterop.protocol.bindings.qrc import QrcBinding
from qrinterop.protocol.crypto import RSA_ALGORITHM, VerifyKey
from qrinterop.protocol.diagnose import Problem
from qrinterop.protocol.keyring import KeyRing

_SIGNATURE, _CERT_ID, _SIGN_TYPE = "signature", "certId", "signType"


@dataclass(frozen=True)
class _Key:
    """A key the receiver knows of: whose, its ID and certId, and whether it is retired."""

    owner: str
    key_id: str
    key: VerifyKey
    retired: bool

    @property
    def cert_id(self) -> str:
        return qrc.cert_id(self.key_id)

    def label(self) -> str:
        return f"key {self.key_id} of {self.owner} (certId {self.cert_id})"


# -- the binding's rules on a form as sent ---------------------------------------------------
def message_name(binding: QrcBinding, fields: Mapping[str, str]) -> str | None:
    """The catalogue's message for the form's ``reqType``; None when it has none it knows."""
    found = binding.req_types.get(fields.get("reqType", ""))
    return found if found and "." in found else None


def sender_field(binding: QrcBinding, message: str | None, leg: str) -> str | None:
    """acqCode or issCode: the field naming the sender of an institution's request."""
    if message is None or leg != "request.to-switch":
        return None
    initiator = binding.profile.messages["messages"].get(message, {}).get("initiator")
    found: str | None = binding.entry["sender_fields"]["value"].get(initiator)
    return found


def dictionary(binding: QrcBinding, message: str, leg: str) -> frozenset[str]:
    """Every top-level field name a form of ``message`` on ``leg`` may carry: the field map's
    (sub-structures by their own name), the envelope's and the sender's."""
    names = binding.leg_names(message, leg)
    wire = {name.split(".")[0] for path in names.names
            if (name := names.wire_name(path)) is not None}
    return frozenset(wire | set(qrc.ENVELOPE_FIELDS)
                     | {field for field in [sender_field(binding, message, leg)] if field})


def form_findings(binding: QrcBinding, fields: Mapping[str, str], leg: str) -> list[Problem]:
    """What breaks the binding's own rules in ``fields`` as sent on ``leg``: a reqType the
    catalogue lacks (none: a reject, on a response), envelope fields missing, empty fields
    (the SDK's filterBlank never sends one), fields outside the binding's dictionary,
    sub-structures that are not base64 of ``{k=v&…}``."""
    message = message_name(binding, fields)
    problems = [] if message or (leg.startswith("response") and "reqType" not in fields) \
        else [_unknown_req_type(binding, fields)]
    problems += [Problem("missing-field", f"the form has no {name}", name)
                 for name in ("version", "certId", "signType", "signature") if name not in fields]
    if fields.get("version", binding.version) != binding.version:
        problems.append(Problem("wrong-version", f"version is {fields['version']!r}; a QRC form "
                                                 f"carries version={binding.version}", "version"))
    problems += [Problem("empty-field", f"{name} is sent empty ({name}=): the SDK's filterBlank "
                                        "never sends an empty field", name)
                 for name, value in fields.items() if value == ""]
    if message is None:
        return problems
    known, names = dictionary(binding, message, leg), binding.leg_names(message, leg)
    problems += [Problem("unknown-field", f"{name} is not a field of {message} on {leg} in the "
                                          "QRC field map, nor of the envelope", name)
                 for name in fields if name not in known]
    problems += [Problem("not-a-sub-structure", f"{name} is not base64 of {{k=v&…}}, as a QRC "
                                                "sub-structure must be", name)
                 for name, value in fields.items()
                 if value and names.is_structure(name) and qrc.parse_sub_structure(value) is None]
    return problems


def _unknown_req_type(binding: QrcBinding, fields: Mapping[str, str]) -> Problem:
    if "reqType" not in fields:
        return Problem("missing-field", "the form has no reqType", "reqType")
    return Problem("unknown-req-type", f"reqType {fields['reqType']!r} is not a message of the "
                                       "catalogue (its qrc_req_type values)", "reqType")


# -- the signature ---------------------------------------------------------------------------
def diagnose(binding: QrcBinding, fields: Mapping[str, str], leg: str, keyring: KeyRing,
             sender: str | None = None, retired: KeyRing | None = None) -> list[Problem]:
    """Why the signature of the QRC form ``fields`` (as received on ``leg``) is refused by a
    receiver holding ``keyring``; [] when it would be accepted. ``sender`` is who the form says
    sent it (its acqCode or issCode), if it says; ``retired`` holds keys no longer accepted
    (retired or expired), so that a signature by one is named as such."""
    if not fields.get(_SIGNATURE):
        return [Problem("missing-field", "the form has no signature", _SIGNATURE)]
    keys = _keys(keyring, retired)
    named = _named_key(keys, fields.get(_CERT_ID, ""), sender)
    try:
        raw = base64.b64decode(fields[_SIGNATURE], validate=True)
    except binascii.Error as exc:
        return [Problem("signature-not-base64", f"the signature is not base64 ({exc})",
                        _SIGNATURE)]
    if named is None:
        return [_unknown_cert_id(fields, keys, raw, sender)]
    problem = _key_problem(binding, fields, named, raw, sender)
    if problem is not None or _verifies(named.key, raw, _content(fields, named.key)):
        return [problem] if problem else []
    return [_explained(binding, fields, leg, named, raw, keys)]


def diagnose_decoded(binding: QrcBinding, message: Mapping, keyring: KeyRing,
                     direction: str) -> list[Problem]:
    """:func:`diagnose` of a message the binding decoded (``message["wire"]["fields"]``, as
    received), travelling ``direction`` (``to-switch``/``from-switch``, or a whole leg): what
    a passive check that found its signature bad says of it."""
    wire = message.get("wire")
    fields = wire.get("fields") if isinstance(wire, Mapping) else None
    if not isinstance(fields, Mapping):
        return [Problem("missing-field", "the message carries no QRC form", "(message)")]
    kind = "response" if "respCode" in fields else "request"
    leg = direction if "." in direction else f"{kind}.{direction}"
    named = sender_field(binding, message_name(binding, fields), leg)
    return diagnose(binding, fields, leg, keyring, fields.get(named) if named else None)


def _keys(keyring: KeyRing, retired: KeyRing | None) -> list[_Key]:
    current = [_Key(owner, kid, key, False) for owner, kid, key in keyring.items()]
    old = [_Key(owner, kid, key, True) for owner, kid, key in (retired or KeyRing()).items()]
    return current + old


def _named_key(keys: list[_Key], cert: str, sender: str | None) -> _Key | None:
    """The key ``cert`` names, the sender's first when two participants' IDs collide."""
    found = sorted((k for k in keys if k.cert_id == cert), key=lambda k: k.owner != sender)
    return found[0] if found else None


def _unknown_cert_id(fields: Mapping[str, str], keys: list[_Key], raw: bytes,
                     sender: str | None) -> Problem:
    cert = fields.get(_CERT_ID)
    whose = [k for k in keys if sender is None or k.owner == sender]
    text = (f"certId {cert!r} names no registered key" if cert is not None
            else "the form has no certId") + (f" of {sender}" if sender else "")
    text += f" (known: {', '.join(k.cert_id for k in whose) or 'none'})"
    signer = _signer(keys, raw, fields)
    if signer is not None:
        text += f"; the signature verifies with {signer.label()}: only certId is wrong"
    return Problem("unknown-cert-id", text, _CERT_ID)


def _key_problem(binding: QrcBinding, fields: Mapping[str, str], key: _Key, raw: bytes,
                 sender: str | None) -> Problem | None:
    """What is wrong with the key the form names, whatever the signature: another
    participant's, retired, or not of the algorithm signType names."""
    if sender is not None and key.owner != sender:
        return Problem("wrong-key", f"certId names {key.label()}, but the form's sender is "
                                    f"{sender}", _CERT_ID)
    if key.retired and _verifies(key.key, raw, _content(fields, key.key)):
        return Problem("retired-key", f"signed with {key.label()}, which is retired or "
                                      "expired: a signature by it is no longer accepted",
                       _CERT_ID)
    sign_type = fields.get(_SIGN_TYPE)
    algorithm = {code: alg for alg, code in binding.sign_types.items()}.get(sign_type or "")
    if algorithm == key.key.algorithm:
        return None
    own = _verifies(key.key, raw, _content(fields, key.key))
    if sign_type is None:
        text = ("the form has no signType, so it is read as the SDK's default "
                f"{qrc.SDK_DEFAULT_SIGN_TYPE}, which the profile does not allow")
        if own:
            text += (f"; the value is a valid {key.key.algorithm} signature by {key.label()}: "
                     f"send signType={binding.sign_types[key.key.algorithm]}")
        return Problem("no-sign-type", text, _SIGN_TYPE)
    codes = ", ".join(f"{code} ({alg})" for alg, code in binding.sign_types.items())
    text = (f"signType {sign_type!r} is not one of {codes}" if algorithm is None else
            f"signType {sign_type} says {algorithm}") + \
        f", but certId names {key.label()}, a {key.key.algorithm} key"
    if own:
        text += f"; the value is a valid {key.key.algorithm} signature: only signType is wrong"
    return Problem("algorithm-mismatch", text, _SIGN_TYPE)


def _explained(binding: QrcBinding, fields: Mapping[str, str], leg: str, key: _Key,
               raw: bytes, keys: list[_Key]) -> Problem:
    """The common mistake that explains a signature by the right key over the wrong bytes, a
    certId naming the wrong key, or, when nothing does, that nothing can be said."""
    for code, text, data, sha1 in _mistaken_forms(binding, fields, leg, key.key.algorithm):
        if _verifies(key.key, raw, data, sha1):
            return Problem(code, text, _SIGNATURE)
    signer = _signer([k for k in keys if k != key], raw, fields)
    if signer is not None and signer.owner == key.owner:
        return Problem("wrong-cert-id", f"certId names {key.label()}, but the same sender's "
                                        f"key {signer.key_id} (certId {signer.cert_id}) signed "
                                        "it", _CERT_ID)
    if signer is not None:
        return Problem("wrong-key", f"signed with {signer.label()}, but certId names "
                                    f"{key.label()}", _CERT_ID)
    return Problem("bad-signature", f"the signature does not verify with {key.label()}, over "
                                    "the sorted signing string or any common mistaken one: the "
                                    "content changed after signing or another key signed it",
                   _SIGNATURE)


def _signer(keys: Iterable[_Key], raw: bytes, fields: Mapping[str, str]) -> _Key | None:
    return next((k for k in keys if _verifies(k.key, raw, _content(fields, k.key))), None)


def _content(fields: Mapping[str, str], key: VerifyKey) -> bytes:
    """What a signature by ``key`` over ``fields`` covers, as the SDK builds it."""
    return qrc.digest_hex(qrc.signing_string(fields), key.algorithm).encode("ascii")


def _mistaken_forms(binding: QrcBinding, fields: Mapping[str, str], leg: str,
                    algorithm: str) -> Iterator[tuple[str, str, bytes, bool]]:
    """``(code, description, signed bytes, SHA1withRSA?)`` of what senders sign by mistake."""
    def digest(text: str) -> bytes:
        return qrc.digest_hex(text, algorithm).encode("ascii")

    text = qrc.signing_string(fields)
    unsigned = {k: v for k, v in fields.items() if k != _SIGNATURE}
    if list(unsigned) != sorted(unsigned):
        yield ("unsorted-signing-string", "signed the fields in the order sent, not sorted by "
               "name", digest("&".join(f"{k}={v}" for k, v in unsigned.items())), False)
    empty = sorted(k for k, v in unsigned.items() if v == "")
    if empty:
        yield ("empty-field-not-signed", f"left the empty field(s) {', '.join(empty)} out of the "
               "signing string but sent them: sign what is sent, and send no empty field",
               digest(qrc.signing_string({k: v for k, v in unsigned.items() if v != ""})), False)
    for name in _absent(binding, fields, leg):
        yield ("empty-field-signed", f"signed an empty {name}= that was not sent: remove empty "
               "fields before signing (filterBlank)", digest(qrc.signing_string(
                   {**unsigned, name: ""})), False)
    for quoting in (quote_plus, _quote_all):
        yield ("url-encoded-values", "signed the URL-encoded values (as in the form body), not "
               "the decoded ones", digest(qrc.signing_string(
                   {k: quoting(v) for k, v in unsigned.items()})), False)
    yield ("raw-string-signed", "signed the signing string itself, not its lowercase hex "
           f"{_hash_name(algorithm)} digest", text.encode("utf-8"), False)
    yield ("uppercase-digest", f"signed the {_hash_name(algorithm)} digest in uppercase hex; the "
           "SDK signs it in lowercase", digest(text).decode("ascii").upper().encode("ascii"),
           False)
    sha1 = hashlib.sha1(text.encode("utf-8")).hexdigest().encode("ascii")
    yield ("sha1-digest", f"signed the SHA-1 digest of the signing string, not its "
           f"{_hash_name(algorithm)} digest", sha1, False)
    if algorithm == RSA_ALGORITHM:
        yield ("sha1-digest", "signed with SHA1withRSA over the SHA-1 digest (the old SDK's "
               "signMethod 01), not SHA256withRSA over the SHA-256 digest", sha1, True)


def _quote_all(value: str) -> str:
    return quote(value, safe="")


def _absent(binding: QrcBinding, fields: Mapping[str, str], leg: str) -> list[str]:
    """The dictionary's names the form does not carry: each one an empty field its sender may
    have signed and then not sent."""
    message = message_name(binding, fields)
    if message is None:
        return []
    return sorted(dictionary(binding, message, leg) - set(fields) - {_SIGNATURE})


def _hash_name(algorithm: str) -> str:
    return "SHA-256" if algorithm == RSA_ALGORITHM else "SM3"


def _verifies(key: VerifyKey, raw: bytes, data: bytes, sha1: bool = False) -> bool:
    """Whether ``raw`` is ``key``'s signature over ``data``; with ``sha1``, SHA1withRSA's."""
    if not sha1:
        return key.verify_raw(raw, data)
    public = serialization.load_pem_public_key(key.pem)
    if not isinstance(public, rsa.RSAPublicKey):
        return False
    try:
        public.verify(raw, data, padding.PKCS1v15(), hashes.SHA1())
    except (InvalidSignature, ValueError):
        return False
    return True
