"""Lint any code a wallet or terminal may meet: recognise what it is, check it against the
profile, decode it, and say where it routes.

One entry point for ``qrinterop lint``, the simulators and the scenarios, so that every part
of qrinterop reads codes the same way.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from qrinterop.codes import emv_cpm, emv_mpm
from qrinterop.codes.emv_mpm import Rules
from qrinterop.codes.findings import ERROR, LENIENT, WARNING, Finding, Policy, has_errors, judged
from qrinterop.codes.payment_code import owner_of
from qrinterop.codes.routing import CodeFamily, RoutingTable

EMV_MPM, EMV_CPM, PAYMENT_CODE, COLLECTION_URL, UNKNOWN = (
    "emv-mpm", "emv-cpm", "payment-code", "collection-url", "unknown")
MAX_INPUT = 4096     # nothing a QR symbol can carry is longer; beyond this, don't even parse
MAX_PAYMENT_CODE = 32    # longer digit strings are not payment codes under any known rule


@dataclass
class LintResult:
    """``fields`` and ``route`` may be given as functions: decoding a code for display costs
    more than checking it, and a batch run that only reports verdicts never asks."""

    kind: str
    findings: list[Finding]
    _fields: dict | Callable[[], dict] = field(default_factory=dict)
    _route: dict | Callable[[], dict | None] | None = None

    @property
    def fields(self) -> dict:
        if callable(self._fields):
            self._fields = self._fields()
        return self._fields

    @fields.setter
    def fields(self, value: dict) -> None:
        self._fields = value

    @property
    def route(self) -> dict | None:
        if callable(self._route):
            self._route = self._route()
        return self._route

    @property
    def valid(self) -> bool:
        return not has_errors(self.findings)

    def as_dict(self) -> dict:
        return {"kind": self.kind, "valid": self.valid, "fields": self.fields,
                "findings": [f.as_dict() for f in self.findings], "route": self.route}


def kind_of(text: str) -> str:
    """What the text claims to be, from its first characters (the way a POI decides)."""
    if emv_cpm.is_cpm(text):
        return EMV_CPM
    if text.isascii() and text.isdigit() and len(text) <= MAX_PAYMENT_CODE:
        return PAYMENT_CODE
    head = text[:4]
    if head.isascii() and head.isdigit() and (head.startswith("00") or "6304" in text[-8:]):
        return EMV_MPM
    scheme, sep, _ = text.partition("://")
    if sep and scheme.isascii() and scheme.replace("+", "").replace("-", "").isalnum():
        return COLLECTION_URL
    return UNKNOWN


def lint(text: str, table: RoutingTable, policy: Policy = LENIENT, *,
         rules: Rules) -> LintResult:
    """Lint ``text`` against the profile whose merchant-code ``rules`` and routing ``table``
    are given."""
    if not text:
        return LintResult(UNKNOWN, [Finding(None, ERROR, "", "empty input")])
    if len(text) > MAX_INPUT:
        return LintResult(UNKNOWN, [Finding(None, ERROR, "", f"input of {len(text)} characters "
                                            f"is longer than any QR code ({MAX_INPUT})")])
    kind = kind_of(text)
    if kind == UNKNOWN and table.family_of(text) is not None:
        kind = PAYMENT_CODE     # a family not all digits (Alipay's fp… face token)
    check = {EMV_MPM: _mpm, EMV_CPM: _cpm, PAYMENT_CODE: _payment_code,
             COLLECTION_URL: _url}.get(kind, _unknown)
    result = check(text, table, policy, rules)
    result.findings = judged(result.findings, policy)
    return result


def _mpm(text: str, table: RoutingTable, policy: Policy, rules: Rules) -> LintResult:
    code, findings = emv_mpm.validate(text, rules, policy)
    if code is None:
        return LintResult(EMV_MPM, findings)
    def route() -> dict | None:
        found = table.merchant_code(code)
        return found.as_dict() if found else None

    return LintResult(EMV_MPM, findings, lambda: emv_mpm.describe(code, rules), route)


def _cpm(text: str, _table: RoutingTable, policy: Policy, _rules: Rules) -> LintResult:
    code, findings = emv_cpm.validate(text, policy)
    return LintResult(EMV_CPM, findings, (lambda: emv_cpm.describe(code)) if code else {})


def _payment_code(text: str, table: RoutingTable, _policy: Policy,
                  _rules: Rules) -> LintResult:
    route = table.payment_code(text)
    family = table.family_of(text)
    fields = {"code": text, "length": len(text), "prefix": text[:2]}
    if family is not None:
        fields["family"] = {"institution": family.institution, "form": family.form,
                            "routing": family.routing}
    if route is None:
        return LintResult(PAYMENT_CODE, [_unrouted(text, family, table)], fields)
    findings = []
    if family is not None and family.routing == "advisory-length" \
            and owner_of(text, table.code_rules) is None:
        findings.append(Finding("R-CPM-02", WARNING, "", (
            f"{table.names.get(family.institution, family.institution)} documents other "
            f"lengths than {len(text)} for codes starting {text[:2]}, but says the actual length "
            "is the code's own: routed by its prefix")))
    return LintResult(PAYMENT_CODE, findings, fields, route.as_dict())


def _unrouted(text: str, family: CodeFamily | None, table: RoutingTable) -> Finding:
    """Why a payment code routes nowhere: a known family the switch does not route, or no
    family at all."""
    if family is not None and family.routing == "not-routable":
        return Finding("R-CPM-02", ERROR, "", f"a {family.form} of "
                       f"{table.names.get(family.institution, family.institution)}: a "
                       "known family the profile does not route through the switch")
    return Finding("R-CPM-02", ERROR, "", f"no institution registers {len(text)}-digit "
                   f"payment codes starting {text[:2]}")


def _url(text: str, table: RoutingTable, _policy: Policy, _rules: Rules) -> LintResult:
    match = table.collection_url(text)
    if match is None:
        return LintResult(COLLECTION_URL, [Finding(
            "R-URL-01", ERROR, "", "no institution registers a collection-code URL of this "
                                   "form")], {"url": text})
    route, form, groups = match
    return LintResult(COLLECTION_URL, [], {"url": text, "form": form.form, **groups},
                      route.as_dict())


def _unknown(text: str, _table: RoutingTable, _policy: Policy, _rules: Rules) -> LintResult:
    return LintResult(UNKNOWN, [Finding(None, ERROR, "", "not an EMV merchant code, EMV payment "
                                        "code, numeric payment code or collection URL")])
