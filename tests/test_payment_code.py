"""Tests for numeric payment codes (qrinterop.codes.payment_code).

The switch routes a scanned 付款码 to its issuer purely by prefix and length (R-CPM-02), so a
wrong match sends a payer's money request to the wrong institution.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml

from qrinterop.codes.emv_mpm import Rules
from qrinterop.codes.findings import ERROR, WARNING
from qrinterop.codes.lint import lint
from qrinterop.codes.payment_code import CodeRule, owner_of
from qrinterop.codes.routing import RoutingTable
from qrinterop.profile import DATA_DIR

# Modelled on domain.md §4.4: one rule per prefix and length.
REGISTRY: list[CodeRule] = [
    *(CodeRule("wechat", str(p), 18) for p in range(10, 16)),
    *(CodeRule("alipay", str(p), n) for p in range(25, 31) for n in range(16, 25)),
    CodeRule("unionpay", "62", 19),
    CodeRule("ecny", "01", 19),
]


@pytest.mark.parametrize(("code", "expected"), [
    ("6212345678901234567", True),
    ("621234567890123456", False),
    ("62123456789012345678", False),
    ("6312345678901234567", False),
    ("2612345678901234567", False),
    ("62123456789012345A7", False),
    ("621234567890123456 ", False),
    (" 621234567890123456", False),
    ("6212345678 01234567", False),
    ("", False),
], ids=["match", "one-short", "one-long", "other-prefix", "prefix-inside-not-at-start",
        "letter", "trailing-space", "leading-space", "inner-space", "empty"])
def test_rule_matches_prefix_length_and_digits(code, expected):
    """A code belongs to a rule only with the exact prefix, exact length and ASCII digits."""
    assert CodeRule("unionpay", "62", 19).matches(code) is expected


@pytest.mark.parametrize("rule", [
    CodeRule("wechat", "10", 18),
    CodeRule("alipay", "25", 16),
    CodeRule("alipay", "30", 24),
    CodeRule("unionpay", "62", 19),
    CodeRule("ecny", "01", 19),
    CodeRule("bank", "9", 16),
], ids=lambda r: f"{r.prefix}/{r.length}")
def test_new_code_matches_its_own_rule(rule):
    """Every code the simulated issuer hands out must be routable back to it (many draws)."""
    codes = [rule.new_code() for _ in range(300)]
    assert all(rule.matches(c) for c in codes), [c for c in codes if not rule.matches(c)]
    assert all(owner_of(c, [*REGISTRY, rule]) == rule.owner for c in codes)


def test_new_code_differs_between_draws():
    """Payment codes are single use; a repeated code would be refused as already used (72)."""
    rule = CodeRule("wechat", "13", 18)
    codes = [rule.new_code() for _ in range(100)]
    assert len(set(codes)) == len(codes)


def test_new_code_uses_every_digit_after_the_prefix():
    """The random tail draws from all ten digits; a narrower alphabet weakens unpredictability."""
    rule = CodeRule("unionpay", "62", 19)
    digits = set("".join(rule.new_code()[2:] for _ in range(50)))
    assert digits == set("0123456789")


@pytest.mark.parametrize("rules", [
    [CodeRule("generic", "6", 19), CodeRule("unionpay", "62", 19)],
    [CodeRule("unionpay", "62", 19), CodeRule("generic", "6", 19)],
], ids=["short-first", "long-first"])
def test_owner_of_prefers_longest_prefix(rules):
    """Overlapping prefixes resolve to the most specific one, whatever the table order."""
    assert owner_of("6212345678901234567", rules) == "unionpay"
    assert owner_of("6312345678901234567", rules) == "generic"


def test_owner_of_returns_none_when_nothing_matches():
    """An unroutable code gets None (the switch answers 44), never a guess."""
    assert owner_of("9912345678901234567", REGISTRY) is None
    assert owner_of("6212345678901234567", []) is None


@pytest.mark.parametrize(("code", "owner"), [
    ("120061098828009406", "wechat"),
    ("100000000000000000", "wechat"),
    ("159999999999999999", "wechat"),
    ("6212345678901234567", "unionpay"),
    ("0112345678901234567", "ecny"),
    ("2512345678901234", "alipay"),
    ("281234567890123456", "alipay"),
    ("301234567890123456789012", "alipay"),
    ("12006109882800940", None),
    ("1200610988280094061", None),
    ("160000000000000000", None),
    ("241234567890123456", None),
    ("3012345678901234567890123", None),
    ("251234567890123", None),
    ("621234567890123456", None),
    ("011234567890123456", None),
    ("12006109882800940A", None),
], ids=["wechat-doc-example", "wechat-10", "wechat-15", "unionpay-19", "ecny-19", "alipay-16",
        "alipay-18", "alipay-24", "wechat-prefix-17-digits", "wechat-prefix-19-digits",
        "prefix-16-unowned", "prefix-24-unowned", "alipay-25-digits", "alipay-15-digits",
        "unionpay-18-digits", "ecny-18-digits", "letter"])
def test_registry_modelled_on_domain_table(code, owner):
    """The documented prefix/length table routes real-looking codes and refuses near misses."""
    assert owner_of(code, REGISTRY) == owner


@pytest.mark.parametrize("code", ["621234567890123456７", "62123456789012345²7", "62" + "٣" * 17])
def test_only_ascii_digits_make_a_payment_code(code):
    """str.isdigit() accepts full-width and other Unicode digits; a payment code must not."""
    assert not CodeRule("UnionPay", "62", 19).matches(code)


# -- the profile's routing table: families and test-only prefixes (profile 1.1) --------------------

ROOT = Path(__file__).resolve().parent.parent
PROFILE_1_0, PROFILE_1_1 = (DATA_DIR / "cn-interconnect" / v for v in ("1.0", "1.1"))


def linted(code: str, folder: Path = PROFILE_1_1) -> tuple[dict | None, set]:
    result = lint(code, RoutingTable.from_profile(folder), rules=Rules.of(folder))
    return result.route, {(f.requirement, f.severity) for f in result.findings}


@pytest.mark.parametrize(("code", "institution"), [
    ("181234567890123456", "jd"), ("511234567890123456", "bestpay"),
    ("6230105123456789012", "unionpay"), ("28763443825664394", "alipay")])
def test_the_other_wallets_families_route_as_the_profile_says(code, institution):
    route, findings = linted(code)
    assert (route["institution"], findings) == (institution, set())


def test_an_alipay_code_of_an_undocumented_length_routes_with_a_warning_in_1_1_only():
    """Alipay: 「实际字符串长度以开发者获取的付款码长度为准」; 1.0 refused the code."""
    code = "2500000000000000000000001"
    assert linted(code) == ({"institution": "alipay", "name": "Alipay", "role": "issuer"},
                            {("R-CPM-02", WARNING)})
    assert linted(code, PROFILE_1_0) == (None, {("R-CPM-02", ERROR)})


@pytest.mark.parametrize(("code", "family"), [
    ("fp0123456789abcdefghijABCDEFGHIJ012", "face-payment token"),
    ("5678123456789012345", "WeBank")])
def test_a_known_family_the_switch_does_not_route_is_refused_naming_it(code, family):
    result = lint(code, RoutingTable.from_profile(PROFILE_1_1), rules=Rules.of(PROFILE_1_1))
    [finding] = result.findings
    assert (result.route, finding.requirement, finding.severity) == (None, "R-CPM-02", ERROR)
    assert family in finding.message


def simulated_prefixes() -> list[tuple[str, str]]:
    """(where, prefix) of every simulated institution that issues on one prefix: the
    reference ICS, the peer persona not modelled on a real wallet, the examples."""
    icses = [ROOT / "mocks" / "reference-ics.yaml", *(ROOT / "docs" / "examples").glob("*.yaml")]
    found = [(p.name, str(yaml.safe_load(p.read_text(encoding="utf-8"))["codes"]
                          ["payment_code_prefix"])) for p in icses]
    network = json.loads((ROOT / "mocks" / "network.json").read_text(encoding="utf-8"))
    return found + [(peer["persona"], peer["codes"]["payment_code_prefix"])
                    for peer in network["peers"] if "payment_code_prefix" in peer["codes"]]


@pytest.mark.parametrize(("where", "prefix"), simulated_prefixes())
def test_simulated_institutions_issue_on_the_profiles_test_only_prefixes(where, prefix):
    """No simulated code may be one a real issuer could have issued (81/82 were Lakala's)."""
    routing = json.loads((PROFILE_1_1 / "codes" / "routing.json").read_text(encoding="utf-8"))
    assert any(prefix.startswith(p) for p in routing["test_only"]["prefixes"]), where
    table = RoutingTable.from_profile(PROFILE_1_1)
    assert not [r for r in table.code_rules if r.prefix.startswith(prefix[:2])
                or prefix.startswith(r.prefix)], where
