"""``unionpay-qrc``: UnionPay QR platform (QRC) style form-encoded key=value messages.

The wire is a form: ``version=1.0.0``, a 10-digit ``reqType`` per message (request and answer
alike), ``certId`` naming the signing key, ``signType``, ``signature``, and the body's fields by
their QRC names (``messages/qrc-field-map.json``), sub-structures (``payerInfo``, ``payeeInfo``,
``riskInfo``, ``termInfo``…) as base64 of ``{k=v&k=v}``. It is signed as UnionPay's SDKs sign:
empty fields are not sent, the rest but ``signature`` sorted by name and joined ``k=v&…``, the
lowercase hex digest of that string (SHA-256 for RSA, SM3 for SM2) signed and sent base64.

Every QRC value is text: integers are read back as integers where the profile's schemas have
them (``bindings.json`` ``integers``). QRC has no message ID, send time, nonce or addressee;
the decoder derives them (``derived``), and the test-case ID travels in an HTTP header.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
import re
from collections.abc import Iterator, Mapping
from functools import cached_property
from typing import Any
from urllib.parse import parse_qsl, urlencode

from qrinterop.profile import Profile
from qrinterop.protocol.bindings.base import Wire, WireError, binding_entry
from qrinterop.protocol.clock import beijing_now
from qrinterop.protocol.crypto import RSA_ALGORITHM, SigningKey, VerifyKey
from qrinterop.protocol.keyring import KeyRing

NAME = "unionpay-qrc"
#: Fields of every QRC message that are the envelope's, not the body's.
ENVELOPE_FIELDS = ("version", "reqType", "certId", "signType", "signature", "encryptCertId")
_INTEGER = re.compile(r"-?\d{1,18}")
#: The profile's own envelope version, written as QRC's on the wire.
ABSTRACT_VERSION = "1.0"
#: What the SDK signs with when a message names no signType (QrcService.signByCertInfo).
SDK_DEFAULT_SIGN_TYPE = "SHA1withRSA"


def _is_answer(leg: str) -> bool:
    """Answers travel raw (the SDK's ``k=v&k=v``); requests percent-encoded."""
    return leg.startswith("response.")


# -- the SDK's primitives -----------------------------------------------------------------------
def signing_string(fields: Mapping[str, str]) -> str:
    """What a QRC signature covers: every field but ``signature``, sorted by name, ``k=v``
    joined by ``&`` (acp SDKUtil.coverMap2String)."""
    return "&".join(f"{k}={v}" for k, v in sorted(fields.items()) if k != "signature")


def digest_hex(text: str, algorithm: str) -> str:
    """The lowercase hex digest the SDK signs: SHA-256 for an RSA key, SM3 for an SM2 key
    (sha256X16Str, sm3X16Str)."""
    name = "sha256" if algorithm == RSA_ALGORITHM else "sm3"
    return hashlib.new(name, text.encode("utf-8")).hexdigest()


def sub_structure(members: Mapping[str, str]) -> str:
    """A sub-structure as QRC sends one: base64 of ``{k=v&k=v}`` (QrcService.getKVBase64Field;
    written in key order here, which no reader depends on)."""
    text = "{" + "&".join(f"{k}={v}" for k, v in sorted(members.items())) + "}"
    return base64.b64encode(text.encode("utf-8")).decode("ascii")


def parse_sub_structure(text: str) -> dict[str, str] | None:
    """The members of a base64 ``{k=v&…}`` sub-structure; None when ``text`` is not one."""
    try:        # published samples print it without its '=' padding too
        inner = base64.b64decode(text + "=" * (-len(text) % 4), validate=True).decode("utf-8")
    except (binascii.Error, ValueError):
        return None
    if len(inner) < 2 or inner[0] != "{" or inner[-1] != "}":
        return None
    pairs = [part.partition("=") for part in inner[1:-1].split("&")] if inner[1:-1] else []
    if any(not sep for _k, sep, _v in pairs):
        return None
    return {k: v for k, _sep, v in pairs}


def form_encode(fields: Mapping[str, str], raw: bool = False) -> bytes:
    """The fields as a request body (``application/x-www-form-urlencoded``), or ``raw`` as
    the SDK writes an answer: ``k=v&k=v``, nothing percent-encoded."""
    if raw:
        return "&".join(f"{k}={v}" for k, v in fields.items()).encode("utf-8")
    return urlencode(list(fields.items())).encode("ascii")


def _raw_pairs(text: str) -> list[tuple[str, str]]:
    """``k=v&k=v`` split as the SDK's parseQString splits an answer: at ``&`` outside
    braces, each pair at its first ``=``, nothing decoded."""
    pairs, depth, start = [], 0, 0
    for i, char in enumerate(text + "&"):
        depth += {"{": 1, "}": -1}.get(char, 0)
        if char == "&" and depth <= 0:
            key, sep, value = text[start:i].partition("=")
            if not sep or not key:
                raise ValueError(f"{text[start:i][:40]!r} is no key=value pair")
            pairs.append((key, value))
            start = i + 1
    return pairs


def form_decode(raw: bytes, percent_encoded: bool = True) -> dict[str, str]:
    """The fields of a request body (percent-encoded) or of an answer as the SDK writes one
    (raw ``k=v&k=v``), in the order sent; :class:`WireError` for bytes that are no form, or
    a field sent twice (which of the two was signed could not be told)."""
    try:
        text = raw.decode("utf-8")
        pairs = parse_qsl(text, keep_blank_values=True, strict_parsing=True, errors="strict") \
            if percent_encoded else _raw_pairs(text)
    except (UnicodeDecodeError, ValueError) as exc:
        raise WireError(f"body is not a form of key=value pairs: {exc}") from None
    fields: dict[str, str] = {}
    for key, value in pairs:
        if key in fields:
            raise WireError(f"field {key!r} is sent twice")
        fields[key] = value
    return fields


def cert_id(key_id: str, digits: int = 11) -> str:
    """The certId of a registered key: its ID when that is already ``digits`` digits, else
    the last ``digits`` decimal digits of the first 8 bytes of SHA-256 over the ID."""
    if key_id.isdigit() and len(key_id) == digits:
        return key_id
    number = int.from_bytes(hashlib.sha256(key_id.encode("utf-8")).digest()[:8], "big")
    return f"{number % 10 ** digits:0{digits}d}"


def _text(value: object) -> str:
    """A body value as QRC text: every value on its wire is a string."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if value is None:
        return ""
    if isinstance(value, int | str):
        return str(value)
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


def _extension(path: str) -> str:
    """The wire name of a field QRC has no name for: the profile's own, camel-cased."""
    head, *rest = path.split(".")
    return head + "".join(part[:1].upper() + part[1:] for part in rest)


# -- one leg's names ----------------------------------------------------------------------------
class LegNames:
    """The QRC names of one message leg's fields, both ways (``messages/qrc-field-map.json``).

    A QRC name ``S.m`` is member ``m`` of sub-structure ``S``; an object field mapped to a name
    is a sub-structure whose members keep their own names unless mapped; an object mapped to
    none has its members as flat fields; a field QRC lacks goes under the profile's own name."""

    def __init__(self, fields: Mapping[str, Mapping[str, Any]]) -> None:
        self.names = {path: entry.get("qrc") for path, entry in fields.items()}
        dotted = {name.split(".")[0] for name in self.names.values() if name and "." in name}
        #: sub-structure name -> our object field packed into it (payerInfo -> payer)
        self.parent_of = {name: path for path, name in self.names.items()
                          if name and "." not in path and "." not in name
                          and (name in dotted or self._is_object(path))}
        self.reverse: dict[str, str] = {}
        for path in self.names:
            wire = self.wire_name(path)
            if wire is not None:
                self.reverse.setdefault(wire, path)

    def wire_name(self, path: str) -> str | None:
        """Where field ``path`` goes on the wire (``S.m`` inside sub-structure S); None for an
        object whose members are flat."""
        name = self.names.get(path)
        head, dot, member = path.partition(".")
        if not dot:
            return name or (None if self._is_object(path) else _extension(path))
        if name is not None and "." in name:
            return name
        structure = self.names.get(head)
        if structure is not None:
            return f"{structure}.{name or member}"
        return name or _extension(path)

    def _is_object(self, path: str) -> bool:
        return any(other.startswith(path + ".") for other in self.names)

    def member_path(self, structure: str, member: str) -> str:
        """Our path for member ``member`` of wire sub-structure ``structure``."""
        found = self.reverse.get(f"{structure}.{member}")
        if found is not None:
            return found
        parent = self.parent_of.get(structure)
        return f"{parent}.{member}" if parent else f"{structure}.{member}"

    def is_structure(self, name: str) -> bool:
        """Whether wire field ``name`` is a sub-structure on this leg."""
        return name in self.parent_of or any(k.startswith(name + ".") for k in self.reverse)


# -- the binding -------------------------------------------------------------------------------
class QrcBinding:
    """Abstract messages to QRC forms and back, as the profile's data describes them."""

    name = NAME
    sender_by_key = True

    def __init__(self, profile: Profile) -> None:
        self.profile = profile
        self.entry = binding_entry(profile, NAME)
        self.content_type: str = self.entry["content_type"]
        self.version: str = self.entry["version"]

    # -- the data ---------------------------------------------------------------------------
    @cached_property
    def sign_types(self) -> dict[str, str]:
        return dict(self.entry["sign_types"]["value"])

    @cached_property
    def integers(self) -> frozenset[str]:
        return frozenset(self.entry["integers"]["value"])

    @cached_property
    def req_types(self) -> dict[str, str]:
        """reqType by message name, and message name by reqType."""
        messages = self.profile.messages["messages"]
        pairs = {name: entry["qrc_req_type"] for name, entry in messages.items()}
        return {**pairs, **{code: name for name, code in pairs.items()}}

    @cached_property
    def values(self) -> dict[str, dict[str, str]]:
        """Our coded values by field and their QRC codes (payerAccountType debit → 01…)."""
        return {field: dict(entry["map"])
                for field, entry in self.profile.field_map.get("values", {}).items()}

    def leg_names(self, message: str, leg: str) -> LegNames:
        legs = self.profile.field_map.get("messages", {}).get(message, {}).get("legs", {})
        return _leg_names(legs.get(leg, {}))

    def carries(self, header_field: str) -> bool:
        return header_field in self.entry.get("carries", ())

    def as_received(self, message: str, leg: str, body: dict) -> dict:
        return self.body(message, leg, self.body_fields(message, leg, body))

    # -- encoding -----------------------------------------------------------------------------
    def fields(self, header: Mapping[str, Any], body: Mapping[str, Any], leg: str,
               signature: Mapping[str, Any] | None) -> dict[str, str]:
        """The form fields of a message, ``signature`` left out; empty ones are not sent."""
        msg_type = str(header.get("msgType", ""))
        message = msg_type.rsplit(".", 1)[0]
        fields = {"version": self.version if header.get("version") == ABSTRACT_VERSION
                  else _text(header.get("version"))}
        if msg_type != "reject":
            fields["reqType"] = self.req_types.get(message, msg_type)
        if signature:
            fields["certId"] = cert_id(str(signature.get("keyId", "")))
            fields["signType"] = self.sign_types.get(str(signature.get("alg")),
                                                     _text(signature.get("alg")))
        fields.update(self.body_fields(message, leg, body))
        if (sender := self._sender_field(message, leg)) and sender not in fields:
            fields[sender] = _text(header.get("sender"))
        if isinstance(body.get("payer"), Mapping) and "keyId" in body["payer"]:
            fields["encryptCertId"] = cert_id(str(body["payer"]["keyId"]))
        if _is_answer(leg):     # raw k=v&k=v: an & in a value would split it (parseQString)
            fields = {k: v.replace("&", "＆") for k, v in fields.items()}
        return {k: v for k, v in fields.items() if v != ""}       # SDKUtil.filterBlank

    def body_fields(self, message: str, leg: str, body: Mapping[str, Any]) -> dict[str, str]:
        """The body's fields by their QRC names, sub-structures packed."""
        names = self.leg_names(message, leg)
        flat: dict[str, str] = {}
        structures: dict[str, dict[str, str]] = {}
        for path, value in _leaves(body):
            wire = names.wire_name(path) or path
            text = self._coded(path, value)
            structure, dot, member = wire.partition(".")
            if dot:
                structures.setdefault(structure, {})[member] = text
            else:
                flat[wire] = text
        for path, value in body.items():        # an empty object still travels, as {}
            empty_as = names.wire_name(path) if isinstance(value, Mapping) and not value \
                else None
            if empty_as:
                structures.setdefault(empty_as, {})
        return {**flat, **{name: sub_structure(m) for name, m in structures.items()}}

    def _coded(self, path: str, value: object) -> str:
        text = _text(value)
        return self.values.get(path, {}).get(text, text)

    def _sender_field(self, message: str, leg: str) -> str | None:
        """acqCode or issCode: how an institution's request names its sender."""
        if leg != "request.to-switch":
            return None
        initiator = self.profile.messages["messages"].get(message, {}).get("initiator")
        found: str | None = self.entry["sender_fields"]["value"].get(initiator)
        return found

    def sign(self, key: SigningKey, header: dict, body: dict, key_id: str | None,
             leg: str, label: str | None = None) -> dict[str, str]:
        signature = {"alg": label or key.algorithm, "keyId": key_id or key.public.id}
        fields = self.fields(header, body, leg, signature)
        value = key.sign(digest_hex(signing_string(fields), key.algorithm).encode("ascii"))
        return {**signature, "value": value}

    def encode(self, message: dict, leg: str) -> Wire:
        header = message.get("header", {})
        return Wire(form_encode(self.signed_fields(message, leg), raw=_is_answer(leg)),
                    self.content_type, header.get("testCaseId"))

    def signed_fields(self, message: dict, leg: str) -> dict[str, str]:
        """The form fields of a signed message, its signature among them."""
        signature = message.get("signature")
        fields = self.fields(message.get("header", {}), message.get("body", {}), leg,
                             signature)
        if isinstance(signature, Mapping) and signature.get("value"):
            fields["signature"] = str(signature["value"])
        return fields

    def evidence(self, message: dict, leg: str) -> dict:
        """``message`` with its wire beside it: the form fields and the body's text exactly as
        :meth:`encode` sends them."""
        fields = self.signed_fields(message, leg)
        text = form_encode(fields, raw=_is_answer(leg)).decode("utf-8")
        return {**message, "wire": {"binding": NAME, "fields": fields, "text": text}}

    # -- decoding -----------------------------------------------------------------------------
    def decode(self, wire: Wire, leg: str, keyring: KeyRing, receiver: str,
               counterpart: str | None = None) -> dict:
        fields = form_decode(wire.body, percent_encoded=not _is_answer(leg))
        if not fields:
            raise WireError("body is an empty form")
        kind = leg.split(".", 1)[0]
        message = self.req_types.get(fields.get("reqType", ""), fields.get("reqType", ""))
        msg_type = f"{message}.{kind}" if message else ("reject" if kind == "response" else "")
        body = self.body(message, leg, fields)
        sender, key_id = self._signer(fields, keyring, message, leg, body)
        sender = sender or counterpart      # an answer comes from where its request went
        header = {"version": ABSTRACT_VERSION if fields.get("version") == self.version
                  else fields.get("version"), "msgType": msg_type, "sender": sender,
                  "receiver": receiver, **self._derived(wire.body)}
        if wire.test_case:
            header["testCaseId"] = wire.test_case
        decoded: dict[str, Any] = {"header": header, "body": body,
                                   "wire": {"binding": NAME, "fields": fields,
                                            "text": wire.text()}}
        if "signature" in fields:
            # No signType: the SDK's default, SHA1withRSA, which the profile does not allow.
            alg = {code: alg for alg, code in self.sign_types.items()}.get(
                fields.get("signType", ""), fields.get("signType") or SDK_DEFAULT_SIGN_TYPE)
            decoded["signature"] = {"alg": alg, "keyId": key_id, "value": fields["signature"]}
        return decoded

    def body(self, message: str, leg: str, fields: Mapping[str, str]) -> dict:
        """Our body from the form's fields (the envelope's and the sender's left out)."""
        names = self.leg_names(message, leg)
        sender = self._sender_field(message, leg)
        body: dict[str, Any] = {}
        for name, text in fields.items():
            if name in ENVELOPE_FIELDS or (name == sender and name not in names.reverse):
                continue
            members = parse_sub_structure(text) if names.is_structure(name) else None
            if members is None:
                self._put(body, names.reverse.get(name, name), text)
                continue
            parent = names.parent_of.get(name)
            if parent and not members:
                body[parent] = {}
            for member, value in members.items():
                self._put(body, names.member_path(name, member), value)
        return body

    def _put(self, body: dict, path: str, text: str) -> None:
        head, dot, member = path.partition(".")
        leaf = member or head
        value: object = {code: ours for ours, code in self.values.get(path, {}).items()}.get(
            text, text)
        if leaf in self.integers and isinstance(value, str) and _INTEGER.fullmatch(value):
            value = int(value)
        if not dot:
            body[head] = value
        elif isinstance(body.setdefault(head, {}), dict):
            body[head][member] = value

    def _signer(self, fields: Mapping[str, str], keyring: KeyRing, message: str, leg: str,
                body: Mapping[str, Any]) -> tuple[str | None, str]:
        """Who signed, by the request's acqCode/issCode or else by whose key has the certId;
        and the key's registered ID (the certId itself when no key has it)."""
        certificate = fields.get("certId", "")
        owner = next(((sender, kid) for sender, kid, _key in keyring.items()
                      if cert_id(kid) == certificate), (None, certificate))
        named = self._sender_field(message, leg)
        claimed = fields.get(named) if named and named not in body else None
        if claimed is None:
            return owner
        key_id = owner[1] if owner[0] == claimed else certificate
        return claimed, key_id

    @staticmethod
    def _derived(body: bytes) -> dict[str, str]:
        """The header fields QRC has no room for: an ID and nonce from the bytes received (a
        byte-identical copy repeats them), the moment of receipt for the time."""
        digest = hashlib.sha256(body).hexdigest()
        return {"msgId": digest[:24], "nonce": digest[24:56],
                "timestamp": beijing_now().isoformat(timespec="milliseconds")}

    def verify(self, message: dict, key: VerifyKey) -> bool:
        return verify(message, key)


def verify(message: Mapping[str, Any], key: VerifyKey) -> bool:
    """Whether a decoded QRC message carries a valid signature by ``key``: over the signing
    string of its fields as they arrived, under the algorithm its ``signType`` names."""
    wire = message.get("wire")
    fields = wire.get("fields") if isinstance(wire, Mapping) else None
    signature = message.get("signature")
    if not isinstance(fields, Mapping) or not isinstance(signature, Mapping):
        return False
    if signature.get("alg") != key.algorithm:
        return False
    digest = digest_hex(signing_string(fields), key.algorithm)
    try:
        return key.verify(str(signature.get("value", "")), digest.encode("ascii"))
    except ValueError:
        return False


def _leaves(body: Mapping[str, Any]) -> Iterator[tuple[str, object]]:
    """Each scalar of a body by its path (``merchant.id``); an object one level down at most,
    as the profile's messages have them (deeper values travel as JSON text)."""
    for key, value in body.items():
        if isinstance(value, Mapping) and value:
            for member, inner in value.items():
                yield f"{key}.{member}", inner
        elif not isinstance(value, Mapping):
            yield key, value


_LEG_CACHE: dict[int, LegNames] = {}


def _leg_names(fields: Mapping[str, Mapping[str, Any]]) -> LegNames:
    """One :class:`LegNames` per leg of a loaded field map (the map is read once per run)."""
    found = _LEG_CACHE.get(id(fields))
    if found is None:
        found = _LEG_CACHE[id(fields)] = LegNames(fields)
    return found
