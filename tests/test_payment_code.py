"""Tests for numeric payment codes (qrinterop.codes.payment_code).

The switch routes a scanned 付款码 to its issuer purely by prefix and length (R-CPM-02), so a
wrong match sends a payer's money request to the wrong institution.
"""

from __future__ import annotations

import pytest

from qrinterop.codes.payment_code import CodeRule, owner_of

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
