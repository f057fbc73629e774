"""Secrets never reach a bundle: they are masked where the harness captures them.

From profile 1.1 (R-SEC-06, business.json ``masking``) payment codes and account references
are masked in every artefact too: the fields the profile names, in every record a transcript
writes (signed messages included: the record then says ``masked``, and its signature covers
the values as sent, which only the simulators' own stores keep), and every code so masked
wherever else the run's text shows it (failure reports, Allure results, logs). A message that
travelled in UnionPay QRC's form carries them on its ``wire`` too: its fields (under their QRC
names, ``qrNo``), the members of its base64 ``{k=v}`` sub-structures (``payerInfo``'s ``accNo``,
re-encoded) and its text are masked alike. Under a profile without the rule (1.0) signed
messages stay as sent, as the next paragraph says.

What the harness records of the test-control API (the upper tester) is masked field by field:
passwords and PINs entirely, account numbers that look like card or bank account numbers
(12 digits or more) down to their first six and last four digits, as PCI DSS masks a PAN.
Signed interconnection messages are kept exactly as sent: they must still verify, and they
carry no account number in clear (R-SEC-05); one that does is a finding, and the evidence of it.
The ICS copied into a bundle, and the service logs, have the ICS's test accounts masked too.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qsl, quote_plus

from qrinterop.profile import Profile
from qrinterop.protocol.bindings import qrc

#: Fields whose value is never kept.
SECRET_FIELDS = frozenset({"password", "pin", "cvn2", "cvv", "privateKey", "private_key"})
#: Fields holding an account: masked when the value looks like an account number.
ACCOUNT_FIELDS = frozenset({"account", "accountRef", "accountNo", "pan", "cardNo"})
ACCOUNT_NUMBER = re.compile(r"\d{12,}")
PRIVATE_KEY = re.compile(r"-----BEGIN [A-Z ]*PRIVATE KEY-----.*?-----END [A-Z ]*PRIVATE KEY-----",
                         re.DOTALL)


#: Values of the rule's fields that are masked: runs of digits, as payment codes and
#: account numbers are (an EMV or URL merchant code under ``code`` is not one).
MASKABLE = re.compile(r"\d{12,}")


@dataclass(frozen=True)
class MaskRule:
    """Which fields hold payment codes or account references, and how many of their first
    and last digits stay visible (business.json ``masking``)."""

    fields: frozenset[str]
    first: int = 6
    last: int = 4

    @classmethod
    def of(cls, profile: Profile) -> MaskRule | None:
        """The profile's rule; None under a profile without one (1.0). The fields it names
        are the profile's; their names on a binding's wire (QRC ``qrNo``, ``payerInfo``'s
        ``accNo``: ``messages/qrc-field-map.json``) are masked as they are."""
        rule = profile.business.get("masking")
        if not isinstance(rule, dict):
            return None
        named = frozenset(rule["fields"]["value"])
        return cls(named | frozenset(_wire_names(profile, named)),
                   int(rule["keep_first"]["value"]), int(rule["keep_last"]["value"]))

    def mask(self, value: str) -> str:
        """``8263658590248400271`` → ``826365*********0271``."""
        hidden = len(value) - self.first - self.last
        return value if hidden <= 0 else value[:self.first] + "*" * hidden + value[-self.last:]

    def masks(self, field: str | None, value: str) -> bool:
        """Whether the rule masks ``value`` in field ``field``."""
        return field in self.fields and MASKABLE.fullmatch(value) is not None

    def applied(self, content: object, field: str | None = None) -> object:
        """A copy of a JSON value with the rule's fields masked, and whether any was; on a
        message's QRC wire, inside its sub-structures and its text too (:func:`wire_masked`)."""
        if isinstance(content, dict):
            if field == "wire" and is_form(content):
                return wire_masked(content, lambda name, value: self.mask(value)
                                   if self.masks(name, value) else value)
            return {key: self.applied(value, key) for key, value in content.items()}
        if isinstance(content, list):
            return [self.applied(value, field) for value in content]
        if isinstance(content, str) and field in self.fields and MASKABLE.fullmatch(content):
            return self.mask(content)
        return content

    def secrets(self, content: object, field: str | None = None) -> set[str]:
        """The values of a JSON value that the rule masks (to mask them in other text)."""
        if isinstance(content, dict):
            if field == "wire" and is_form(content):
                return self._form_secrets(content["fields"])
            return set().union(*(self.secrets(v, k) for k, v in content.items()))
        if isinstance(content, list):
            return set().union(*(self.secrets(v, field) for v in content))
        if isinstance(content, str) and self.masks(field, content):
            return {content}
        return set()

    def _form_secrets(self, fields: Mapping[str, object]) -> set[str]:
        """A form's values the rule masks; and a sub-structure holding one as a whole, as
        sent and percent-encoded, so that text quoting the form (a log) loses it too."""
        found: set[str] = set()
        for name, value in fields.items():
            members = qrc.parse_sub_structure(str(value))
            inner = {v for k, v in (members or {}).items() if self.masks(k, v)}
            if inner:
                found |= inner | {str(value), quote_plus(str(value))}
            elif members is None and self.masks(name, str(value)):
                found.add(str(value))
        return found

    def scrubbed(self, value: object, secrets: set[str], field: str | None = None) -> object:
        """``value`` (text, or JSON-like data holding text) with each of ``secrets``
        masked wherever it occurs (in a QRC wire's sub-structures too)."""
        if isinstance(value, str):
            for secret in sorted(secrets, key=len, reverse=True):
                if secret in value:
                    value = value.replace(secret, self.mask(secret))
            return value
        if isinstance(value, dict):
            if field == "wire" and is_form(value):
                return wire_masked(value, lambda _name, text: str(self.scrubbed(text, secrets)))
            return {k: self.scrubbed(v, secrets, k) for k, v in value.items()}
        if isinstance(value, list):
            return [self.scrubbed(v, secrets) for v in value]
        return value


def is_form(wire: Mapping[str, object]) -> bool:
    """Whether ``wire`` (a message's ``wire``) is a form of fields, as QRC's is."""
    return wire.get("binding") == qrc.NAME and isinstance(wire.get("fields"), dict)


def wire_masked(wire: Mapping[str, Any], mask: Callable[[str, str], str]) -> dict:
    """A QRC message's ``wire`` with each field, and each member of a base64 ``{k=v}``
    sub-structure (re-encoded: its base64 is then no longer what was signed, as a masked
    JSON message's signature no longer covers it), masked by ``mask(name, value)``; and its
    ``text`` with every field changed written masked."""
    fields = {str(name): str(value) for name, value in wire["fields"].items()}
    kept = {name: _field_masked(name, str(value), mask) for name, value in fields.items()}
    out = {**wire, "fields": kept}
    if isinstance(wire.get("text"), str):
        out["text"] = _text_masked(wire["text"], fields, kept, mask)
    return out


def _field_masked(name: str, value: str, mask: Callable[[str, str], str]) -> str:
    members = qrc.parse_sub_structure(value)
    if not members:
        return mask(name, value)
    masked_members = {k: mask(k, v) for k, v in members.items()}
    return value if masked_members == members else qrc.sub_structure(masked_members)


def _text_masked(text: str, fields: Mapping[str, str], kept: Mapping[str, str],
                 mask: Callable[[str, str], str]) -> str:
    """The form's text with each changed field's value written as masked, the rest of it as
    it travelled; rewritten from the pairs it holds when a value was written in a way not
    found (another percent-encoding)."""
    for name, value in fields.items():
        if kept[name] != value:
            for written in (quote_plus(value), value):
                text = text.replace(f"{quote_plus(name)}={written}",
                                    f"{quote_plus(name)}={quote_plus(kept[name], safe='*')}")
    try:
        pairs = parse_qsl(text, keep_blank_values=True)
    except ValueError:
        pairs = []
    if all(_field_masked(k, v, mask) == v for k, v in pairs):
        return text
    return "&".join(f"{quote_plus(k)}={quote_plus(_field_masked(k, v, mask), safe='*')}"
                    for k, v in pairs)


def _wire_names(profile: Profile, named: frozenset[str]) -> Iterator[str]:
    """The QRC names of the profile's fields ``named`` (a sub-structure's member by its own
    name), from the field map of every message and leg."""
    for message in profile.field_map.get("messages", {}).values():
        for fields in message.get("legs", {}).values():
            for path, entry in fields.items():
                if path.rsplit(".", 1)[-1] in named and entry.get("qrc"):
                    yield str(entry["qrc"]).rsplit(".", 1)[-1]


def mask_number(value: str) -> str:
    """``6222021234567890123`` → ``622202*********0123``."""
    return value[:6] + "*" * (len(value) - 10) + value[-4:]


def masked(content: object, field: str | None = None) -> object:
    """A copy of a captured JSON value with its secrets masked."""
    if isinstance(content, dict):
        return {key: masked(value, key) for key, value in content.items()}
    if isinstance(content, list):
        return [masked(value, field) for value in content]
    if not isinstance(content, str):
        return content
    if field in SECRET_FIELDS:
        return "***"
    if field in ACCOUNT_FIELDS and ACCOUNT_NUMBER.fullmatch(content):
        return mask_number(content)
    return PRIVATE_KEY.sub("[private key removed]", content)


def mask_known(text: str, secrets: list[str]) -> str:
    """``text`` with each of ``secrets`` (account numbers an ICS lists) masked wherever it
    occurs."""
    for secret in sorted(secrets, key=len, reverse=True):
        if ACCOUNT_NUMBER.fullmatch(secret):
            text = text.replace(secret, mask_number(secret))
    return PRIVATE_KEY.sub("[private key removed]", text)
