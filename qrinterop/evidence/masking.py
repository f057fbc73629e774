"""Secrets never reach a bundle: they are masked where the harness captures them.

From profile 1.1 (R-SEC-06, business.json ``masking``) payment codes and account references
are masked in every artefact too: the fields the profile names, in every record a transcript
writes (signed messages included: the record then says ``masked``, and its signature covers
the values as sent, which only the simulators' own stores keep), and every code so masked
wherever else the run's text shows it (failure reports, Allure results, logs). Under a profile
without the rule (1.0) signed messages stay as sent, as the next paragraph says.

What the harness records of the test-control API (the upper tester) is masked field by field:
passwords and PINs entirely, account numbers that look like card or bank account numbers
(12 digits or more) down to their first six and last four digits, as PCI DSS masks a PAN.
Signed interconnection messages are kept exactly as sent: they must still verify, and they
carry no account number in clear (R-SEC-05); one that does is a finding, and the evidence of it.
The ICS copied into a bundle, and the service logs, have the ICS's test accounts masked too.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from qrinterop.profile import Profile

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
        """The profile's rule; None under a profile without one (1.0)."""
        rule = profile.business.get("masking")
        if not isinstance(rule, dict):
            return None
        return cls(frozenset(rule["fields"]["value"]), int(rule["keep_first"]["value"]),
                   int(rule["keep_last"]["value"]))

    def mask(self, value: str) -> str:
        """``8263658590248400271`` → ``826365*********0271``."""
        hidden = len(value) - self.first - self.last
        return value if hidden <= 0 else value[:self.first] + "*" * hidden + value[-self.last:]

    def applied(self, content: object, field: str | None = None) -> object:
        """A copy of a JSON value with the rule's fields masked, and whether any was."""
        if isinstance(content, dict):
            return {key: self.applied(value, key) for key, value in content.items()}
        if isinstance(content, list):
            return [self.applied(value, field) for value in content]
        if isinstance(content, str) and field in self.fields and MASKABLE.fullmatch(content):
            return self.mask(content)
        return content

    def secrets(self, content: object, field: str | None = None) -> set[str]:
        """The values of a JSON value that the rule masks (to mask them in other text)."""
        if isinstance(content, dict):
            return set().union(*(self.secrets(v, k) for k, v in content.items()))
        if isinstance(content, list):
            return set().union(*(self.secrets(v, field) for v in content))
        if isinstance(content, str) and field in self.fields and MASKABLE.fullmatch(content):
            return {content}
        return set()

    def scrubbed(self, value: object, secrets: set[str]) -> object:
        """``value`` (text, or JSON-like data holding text) with each of ``secrets``
        masked wherever it occurs."""
        if isinstance(value, str):
            for secret in sorted(secrets, key=len, reverse=True):
                if secret in value:
                    value = value.replace(secret, self.mask(secret))
            return value
        if isinstance(value, dict):
            return {k: self.scrubbed(v, secrets) for k, v in value.items()}
        if isinstance(value, list):
            return [self.scrubbed(v, secrets) for v in value]
        return value


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
