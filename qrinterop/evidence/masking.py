"""Secrets never reach a bundle: they are masked where the harness captures them.

What the harness records of the test-control API (the upper tester) is masked field by field:
passwords and PINs entirely, account numbers that look like card or bank account numbers
(12 digits or more) down to their first six and last four digits, as PCI DSS masks a PAN.
Signed interconnection messages are kept exactly as sent: they must still verify, and they
carry no account number in clear (R-SEC-05); one that does is a finding, and the evidence of it.
The ICS copied into a bundle, and the service logs, have the ICS's test accounts masked too.
"""

from __future__ import annotations

import re

#: Fields whose value is never kept.
SECRET_FIELDS = frozenset({"password", "pin", "cvn2", "cvv", "privateKey", "private_key"})
#: Fields holding an account: masked when the value looks like an account number.
ACCOUNT_FIELDS = frozenset({"account", "accountRef", "accountNo", "pan", "cardNo"})
ACCOUNT_NUMBER = re.compile(r"\d{12,}")
PRIVATE_KEY = re.compile(r"-----BEGIN [A-Z ]*PRIVATE KEY-----.*?-----END [A-Z ]*PRIVATE KEY-----",
                         re.DOTALL)


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
