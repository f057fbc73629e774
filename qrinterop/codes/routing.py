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


@dataclass(frozen=True)
class CodeFamily:
    """A payment-code family the switch recognises but does not route to its own institution
    (routing.json ``routing``: ``routed-as`` another's range, or ``not-routable``), or routes
    by prefix whatever the length (``advisory-length``)."""

    institution: str
    form: str
    routing: str
    pattern: re.Pattern
    routed_as: str | None = None
    note: str | None = None


@dataclass
class RoutingTable:
    names: dict[str, str] = field(default_factory=dict)
    code_rules: list[CodeRule] = field(default_factory=list)
    families: list[CodeFamily] = field(default_factory=list)
    url_forms: list[UrlForm] = field(default_factory=list)
    account_ids: dict[str, str] = field(default_factory=dict)     # EMV ID 02-25 → institution
    guids: dict[str, str] = field(default_factory=dict)           # upper-case GUID → institution
    iins: dict[str, str] = field(default_factory=dict)            # ID 15 acquirer IIN → institution

    @classmethod
    def from_profile(cls, profile_folder: Path) -> RoutingTable:
        data = json.loads(profile_folder.joinpath(*ROUTING_FILE).read_text(encoding="utf-8"))
        table = cls(names={k: v["name"]["en"] for k, v in data["institutions"].items()})
        for entry in data["payment_codes"]:
            routing = entry.get("routing", "routed")    # 1.0 has no key: every entry routed
            if routing in ("routed", "advisory-length"):
                table.code_rules += [CodeRule(entry["institution"], prefix, length)
                                     for prefix in entry["prefixes"]
                                     for length in entry["lengths"]]
            if routing != "routed":
                table.families.append(_family(entry, routing))
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
        self.code_rules += [CodeRule(inst, rule["prefix"], rule["length"])
                            for rule in registration.get("payment_codes", [])]
        if guid := registration.get("merchant_guid"):
            self.guids[guid.upper()] = inst
        if registration.get("merchant_codes") == "unionpay-id15":
            self.iins[inst] = inst      # a simulated acquirer's IIN is its institution code
        self.url_forms.append(UrlForm(inst, "simulated collection code",
                                      re.compile(SIMULATED_URL.format(id=re.escape(inst)))))

    def extended(self, registrations: Iterable[dict]) -> RoutingTable:
        """A copy of this table with a network's participants added."""
        table = RoutingTable(dict(self.names), list(self.code_rules), list(self.families),
                             list(self.url_forms), dict(self.account_ids), dict(self.guids),
                             dict(self.iins))
        for registration in registrations:
            table.register(registration)
        return table

    def _route(self, institution: str | None, role: str) -> Route | None:
        if institution is None:
            return None
        return Route(institution, self.names.get(institution, institution), role)

    def payment_code(self, code: str) -> Route | None:
        """The issuer a payment code routes to: by prefix and length, or, for a family whose
        lengths are advisory (Alipay), by prefix alone (``family_of`` says which)."""
        owner = owner_of(code, self.code_rules)
        if owner is None and (family := self.family_of(code)) is not None \
                and family.routing == "advisory-length":
            owner = family.institution
        return self._route(owner, "issuer")

    def family_of(self, code: str) -> CodeFamily | None:
        """The recognised family a code belongs to (the longest match), if any."""
        found = [f for f in self.families if f.pattern.match(code)]
        return max(found, key=lambda f: len(f.pattern.pattern), default=None)

    def collection_url(self, url: str) -> tuple[Route, UrlForm, dict] | None:
        """The route, the matching form and its named groups; scheme and host are matched
        without regard to case, as URLs are."""
        normalised = _lower_scheme_and_host(url)
        for form in self.url_forms:
            if (match := form.pattern.match(normalised)) and \
                    (route := self._route(form.institution, "acquirer")) is not None:
                return route, form, match.groupdict()
        return None

    def merchant_account(self, account_id: str, guid: str | None) -> Route | None:
        owner = self.guids.get(guid.upper()) if guid else self.account_ids.get(account_id)
        return self._route(owner, "acquirer")

    def merchant_code(self, code: MerchantCode) -> Route | None:
        """The acquirer of an EMV merchant code: the first of its merchant account objects
        (02-51: primitive IDs by number, templates by GUID) that a known institution owns."""
        found = (self._acquirer_by_iin(obj.value) if obj.id == "15" else None
                 or self.merchant_account(obj.id, g.value if (g := obj.child("00")) else None)
                 for obj in code.objects if "02" <= obj.id <= "51")
        return next((route for route in found if route), None)

    def _acquirer_by_iin(self, value: object) -> Route | None:
        """UnionPay ID 15 names the acquirer by its IIN, the first 8 of 31 characters
        (domain.md §3.2): a registered acquirer's own codes route to it, not to UnionPay."""
        owner = self.iins.get(value[:8]) if isinstance(value, str) else None
        return self._route(owner, "acquirer")


def _family(entry: dict, routing: str) -> CodeFamily:
    """A routing.json payment-code entry as a family: its pattern, or one built from its
    prefixes (any length from 8 to 32 digits for advisory lengths, else its own lengths)."""
    if "pattern" in entry:
        pattern = entry["pattern"]
    else:
        prefixes = "|".join(re.escape(p) for p in entry["prefixes"])
        sizes = [f"(?=[0-9]{{{n}}}$)" for n in entry["lengths"]] \
            if routing != "advisory-length" else ["(?=[0-9]{8,32}$)"]
        pattern = f"^(?:{'|'.join(sizes)})(?:{prefixes})[0-9]*$"
    return CodeFamily(entry["institution"], entry.get("form", "payment code"), routing,
                      re.compile(pattern), entry.get("routed_as"), entry.get("note"))


def code_registration(description: dict) -> dict:
    """From an ICS-shaped description (institution, codes), the part of a participant's
    registration that says which codes are its own."""
    inst = description["institution"]
    entry = {"id": inst["id"], "name": inst["name"], "roles": inst["roles"]}
    codes = description.get("codes", {})
    entry["payment_codes"] = [{"prefix": prefix, "length": length}
                              for rule in payment_code_rules(codes)
                              for prefix in rule["prefixes"] for length in rule["lengths"]]
    if codes.get("merchant_guid"):
        entry["merchant_guid"] = codes["merchant_guid"]
    entry["merchant_codes"] = codes.get("merchant_codes", "emv-guid")
    return entry


def payment_code_rules(codes: dict) -> list[dict]:
    """The payment-code rules of a description: an ICS gives one prefix and one length, a
    persona any number of each."""
    if "payment_code_prefix" in codes:
        return [{"prefixes": [codes["payment_code_prefix"]],
                 "lengths": [codes["payment_code_length"]]}]
    return codes.get("payment_codes", [])


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
