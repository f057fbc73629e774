"""The UnionPay QRC halves of ``qrinterop msg validate|sign|verify``: a form of key=value pairs
(``version``, ``reqType``, ``certId``, ``signType``, ``signature`` and the body's fields by their
QRC names), read from a file as sent (one line; a final newline is not part of it): a request
percent-encoded, an answer raw (``k=v&k=v``), as the SDK writes each.

Field names are per leg, so ``validate`` and ``verify`` need it: ``--leg request.to-switch``
and the like; a bare ``to-switch``/``from-switch`` takes a form with ``respCode`` as a response,
any other as a request. QRC has no timestamp or nonce, so no replay window applies.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from qrinterop.errors import UsageError

if TYPE_CHECKING:
    from qrinterop.protocol.bindings.qrc import QrcBinding
    from qrinterop.protocol.crypto import SigningKey, VerifyKey
    from qrinterop.protocol.diagnose import Problem
    from qrinterop.protocol.keyring import KeyRing

NAME = "unionpay-qrc"
JSON = "qrinterop-json"
BINDINGS = (JSON, NAME)
DIRECTIONS = ("to-switch", "from-switch")
LEGS = (*DIRECTIONS, *(f"{kind}.{way}" for kind in ("request", "response") for way in DIRECTIONS))
#: Whom the keys of ``verify`` belong to when neither --sender nor the form names the sender
#: (an answer, or a request from the switch: QRC names its sender by certId alone).
SIGNER = "the sender"


def binding_of(raw: bytes, forced: str | None) -> str:
    """The binding of a message file: ``forced``, or told from its bytes; a form that carries
    none of QRC's envelope fields is no QRC message, and is read (and refused) as JSON."""
    from qrinterop.protocol.bindings import detect

    if forced:
        return forced
    if detect(raw) != NAME or not _ENVELOPE.search(_form_bytes(raw)):
        return JSON
    return NAME


_ENVELOPE = re.compile(rb"(?:^|&)(?:reqType|certId|signature)=")
_RESP_CODE = re.compile(rb"(?:^|&)respCode=")


def read_form(raw: bytes, leg: str) -> tuple[dict[str, str], str] | str:
    """The form's fields in the order sent and its whole leg (``leg``, or a bare direction
    completed by whether the form answers: it has a respCode), or why the file holds no form.
    An answer is read raw (``k=v&k=v``, as the SDK writes it), a request percent-encoded."""
    from qrinterop.protocol.bindings.base import WireError
    from qrinterop.protocol.bindings.qrc import form_decode

    body = _form_bytes(raw)
    if "." not in leg:
        leg = f"{'response' if _RESP_CODE.search(body) else 'request'}.{leg}"
    try:
        fields = form_decode(body, percent_encoded=not leg.startswith("response."))
    except WireError as exc:
        return f"the file is not a QRC form: {exc}"
    return (fields, leg) if fields else "the file is an empty form"


def _form_bytes(raw: bytes) -> bytes:
    """The form as sent: a file's final line break is the editor's, not the message's."""
    return raw.rstrip(b"\r\n")


def qrc_binding() -> QrcBinding:
    from qrinterop.profile import load_profile
    from qrinterop.protocol.bindings.qrc import QrcBinding

    return QrcBinding(load_profile())


# -- validate --------------------------------------------------------------------------------
def validate(fields: dict[str, str], raw: bytes, leg: str) -> list[str]:
    """The binding's findings on the form as sent, then the schema's on the message it
    decodes to, each ``path: what``."""
    from qrinterop.protocol.bindings.base import Wire
    from qrinterop.protocol.bindings.qrc_diagnose import form_findings, message_name
    from qrinterop.protocol.keyring import KeyRing
    from qrinterop.protocol.validation import schema_problems

    binding = qrc_binding()
    findings = [f"{p.path}: {p.message} [{p.code}]" for p in form_findings(binding, fields, leg)]
    reject = leg.startswith("response") and "reqType" not in fields
    if message_name(binding, fields) is None and not reject:
        return findings         # no schema to hold it to
    message = binding.decode(Wire(_form_bytes(raw), binding.content_type), leg, KeyRing(),
                             _NOBODY)
    if message["header"].get("sender") is None:    # QRC names it by certId: no keys here
        message["header"]["sender"] = _NOBODY
    return findings + schema_problems(binding.profile, message, leg.split(".", 1)[1])


#: A participant ID that satisfies the header's schema where QRC has no field for it.
_NOBODY = "00000000"


# -- sign ------------------------------------------------------------------------------------
def sign(fields: dict[str, str], leg: str, key: SigningKey, key_id: str | None) -> str:
    """The form signed as the SDK signs it: empty fields dropped (filterBlank), certId from the
    key ID, signType from the key's algorithm, the signature over the sorted string's digest."""
    from qrinterop.protocol.bindings import qrc

    binding = qrc_binding()
    signed = {k: v for k, v in fields.items() if v != "" and k != "signature"}
    signed["certId"] = qrc.cert_id(key_id or key.public.id)
    signed["signType"] = binding.sign_types[key.algorithm]
    digest = qrc.digest_hex(qrc.signing_string(signed), key.algorithm)
    signed["signature"] = key.sign(digest.encode("ascii"))
    return qrc.form_encode(signed, raw=leg.startswith("response.")).decode("utf-8")


# -- verify ----------------------------------------------------------------------------------
def verify(fields: dict[str, str], leg: str, keys: list[tuple[str | None, VerifyKey]],
           retired: list[tuple[str | None, VerifyKey]], sender: str | None) -> list[Problem]:
    """Why the form's signature is refused by a receiver trusting ``keys`` (``retired`` no
    longer accepted) of ``sender``, or of the sender the form names; [] when it is not."""
    from qrinterop.protocol.bindings.qrc_diagnose import diagnose, message_name, sender_field

    binding = qrc_binding()
    named = sender_field(binding, message_name(binding, fields), leg)
    claimed = fields.get(named) if named else None
    owner = sender or claimed or SIGNER
    return diagnose(binding, fields, leg, _ring(keys, owner), claimed or sender,
                    _ring(retired, owner))


def _ring(keys: list[tuple[str | None, VerifyKey]], owner: str) -> KeyRing:
    from qrinterop.protocol.keyring import KeyRing

    ring = KeyRing()
    for key_id, key in keys:
        try:
            ring.add(owner, key, key_id)
        except ValueError:
            raise UsageError(f"key ID {key_id!r} is given to two different keys") from None
    return ring
