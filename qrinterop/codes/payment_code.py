"""Numeric payment codes (付款码): issue them and recognise their issuer by prefix and length.

Prefixes change (Alipay widened from 28 to 25-30), so the table is data supplied by the caller:
the profile's registry of real institutions, or the simulated network's participants.
"""

from __future__ import annotations

import secrets
from collections.abc import Iterable
from dataclasses import dataclass


@dataclass(frozen=True)
class CodeRule:
    """Codes that start with ``prefix`` and have ``length`` digits belong to ``owner``."""

    owner: str
    prefix: str
    length: int

    def matches(self, code: str) -> bool:
        # isascii(): str.isdigit() also accepts full-width and superscript digits.
        return (code.isascii() and code.isdigit() and len(code) == self.length
                and code.startswith(self.prefix))

    def new_code(self) -> str:
        """A fresh random code under this rule (the digits after the prefix are unpredictable)."""
        tail = "".join(secrets.choice("0123456789") for _ in range(self.length - len(self.prefix)))
        return self.prefix + tail


def owner_of(code: str, rules: Iterable[CodeRule]) -> str | None:
    """The owner of the longest matching prefix, or None when no rule matches."""
    best = max((r for r in rules if r.matches(code)), key=lambda r: len(r.prefix), default=None)
    return best.owner if best else None
