"""Whose code is it? The routing table from the profile, plus the institutions a simulated
network registers, answering for payment codes, collection URLs and EMV merchant accounts.

Lookups are dictionary and regex work compiled once per table, because the switch asks on
every transaction and ``qrinterop lint --batch`` asks for every line.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

from qrinterop.codes.emv_mpm import MerchantCode
from qrinterop.codes.payment_code import CodeRule, owner_of

ROUTING_FILE = ("codes", "routing.json")
SIMULATED_URL = r"^https://qr\.qrinterop\.invalid/(?P<institution>{id})/(?P<token>[0-9A-Za-z]{{8,64}})$"


@dataclass(frozen=True)
class Route:
    institution: str
    name: str
    role: str            # "issuer" for payment codes, "acquirer" for merchant codes

    def as_dict(self) -> dict:
        return {"institution": self.institution, "name": self.name, "role": self.role}


@dataclass
class UrlForm:
    institution: str
    form: str
    pattern: re.Pattern


@dataclass
class RoutingTable:
    names: dict[str, str] = field(default_factory=dict)
    code_rules: list[CodeRule] = field(default_factory=list)
    url_forms: list[UrlForm] = field(default_factory=list)
    account_ids: dict[str, str] = field(default_factory=dict)     # EMV ID 02-25 → institution
    guids: dict[str, str] = field(default_factory=dict)           # upper-case GUID → institution

    @classmethod
    def from_profile(cls, profile_folder: Path) -> RoutingTable:
        data = json.loads(profile_folder.joinpath(*ROUTING_FILE).read_text(encoding="utf-8"))
        table = cls(names={k: v["name"]["en"] for k, v in data["institutions"].items()})
        for entry in data["payment_codes"]:
            table.code_rules += [CodeRule(entry["institution"], prefix, length)
                                 for prefix in entry["prefixes"] for length in entry["lengths"]]
        table.url_forms = [UrlForm(e["institution"], e["form"], re.compile(e["pattern"]))
                           for e in data["collection_urls"]]
        for entry in data["mpm_accounts"]:
            table.account_ids.update(dict.fromkeys(entry.get("ids", []), entry["institution"]))
            table.guids.update({g.upper(): entry["institution"] for g in entry.get("guids", [])})
        return table

    def register(self, registration: dict) -> None:
        """Add a participant of a simulated network (its registration from network.json)."""
        inst = registration["id"]
        self.names[inst] = registration["name"]
        if rule := registration.get("payment_code"):
            self.code_rules.append(CodeRule(inst, rule["prefix"], rule["length"]))
        if guid := registration.get("merchant_guid"):
            self.guids[guid.upper()] = inst
        self.url_forms.append(UrlForm(inst, "simulated collection code",
                                      re.compile(SIMULATED_URL.format(id=re.escape(inst)))))

    def extended(self, registrations: Iterable[dict]) -> RoutingTable:
        """A copy of this table with a network's participants added."""
        table = RoutingTable(dict(self.names), list(self.code_rules), list(self.url_forms),
                             dict(self.account_ids), dict(self.guids))
        for registration in registrations:
            table.register(registration)
        return table

    def _route(self, institution: str | None, role: str) -> Route | None:
        if institution is None:
            return None
        return Route(institution, self.names.get(institution, institution), role)

    def payment_code(self, code: str) -> Route | None:
        return self._route(owner_of(code, self.code_rules), "issuer")

    def collection_url(self, url: str) -> tuple[Route, UrlForm, dict] | None:
        """The route, the matching form and its named groups; scheme and host are matched
        without regard to case, as URLs are."""
        normalised = _lower_scheme_and_host(url)
        for form in self.url_forms:
            if match := form.pattern.match(normalised):
                return self._route(form.institution, "acquirer"), form, match.groupdict()
        return None

    def merchant_account(self, account_id: str, guid: str | None) -> Route | None:
        owner = self.guids.get(guid.upper()) if guid else self.account_ids.get(account_id)
        return self._route(owner, "acquirer")

    def merchant_code(self, code: MerchantCode) -> Route | None:
        """The acquirer of an EMV merchant code: the first of its merchant account objects
        (02-51: primitive IDs by number, templates by GUID) that a known institution owns."""
        found = (self.merchant_account(obj.id, g.value if (g := obj.child("00")) else None)
                 for obj in code.objects if "02" <= obj.id <= "51")
        return next((route for route in found if route), None)


def code_registration(description: dict) -> dict:
    """From an ICS-shaped description (institution, codes), the part of a participant's
    registration that says which codes are its own."""
    inst = description["institution"]
    entry = {"id": inst["id"], "name": inst["name"], "roles": inst["roles"]}
    if codes := description.get("codes"):
        entry["payment_code"] = {"prefix": codes["payment_code_prefix"],
                                 "length": codes["payment_code_length"]}
        entry["merchant_guid"] = codes["merchant_guid"]
    return entry


def _lower_scheme_and_host(url: str) -> str:
    scheme, sep, rest = url.partition("://")
    if not sep:
        return url
    host, slash, path = rest.partition("/")
    return f"{scheme.lower()}://{host.lower()}{slash}{path}"


@cache
def default_table(profile_folder: Path) -> RoutingTable:
    """The profile's table, loaded once per profile folder (callers must not modify it)."""
    return RoutingTable.from_profile(profile_folder)
