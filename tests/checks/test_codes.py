"""checks/codes.py on recorded transcripts: the codes the reference made (good) and those its
defective variants made (bad), each failure under the requirement of the rule it breaks."""

from __future__ import annotations

import base64
import json
from functools import cache
from pathlib import Path

import pytest

from qrinterop.checks import codes
from qrinterop.checks.outcome import FAIL, WARNING
from qrinterop.cli.lint import lint_text, routing_table
from qrinterop.codes import image
from qrinterop.codes.findings import LENIENT, STRICT
from tests.checks.recorded import SUT, answers, transcript

VECTORS = Path(__file__).resolve().parents[2] / "vectors" / "emv_mpm_test.json"


@cache
def table():
    return routing_table()


def made(name: str) -> dict:
    """The code the SUT's control API answered with (a merchant or a payment code)."""
    return next(a for a in answers(transcript(name)) if "code" in a)


def vectors(result: str) -> list[dict]:
    groups = json.loads(VECTORS.read_text(encoding="utf-8"))["testGroups"]
    return [t for g in groups for t in g["tests"] if t["result"] == result]


def summary(violations) -> list[tuple]:
    return [(v.check, v.requirements, v.severity) for v in violations]


@pytest.mark.parametrize("name", ["CODE-01", "CODE-02", "CODE-04"])
def test_the_reference_codes_pass_in_strict_mode(name):
    result = lint_text(made(f"{name}.reference")["code"], table(), STRICT)
    assert codes.code_conforms(result.findings) == []


def test_a_static_code_routes_to_its_acquirer_and_names_the_merchant_locally():
    result = lint_text(made("CODE-01.reference")["code"], table(), STRICT)
    assert codes.merchant_code_routes(result.route, SUT, "acquirer") == []
    assert codes.initiated(result.fields, "static") == []
    assert codes.language_template(result.fields, "老北京炸酱面", "北京") == []
    (wrong,) = codes.merchant_code_routes(result.route, "10000002", "acquirer")
    assert (wrong.check, wrong.requirements) == ("merchant_code_routes", ("R-MPM-11",))


def test_byte_lengths_fail_the_length_rule_not_another():
    """merchant-code-byte-length: every finding under R-MPM-02 (before, whichever came
    first in a list was named, and nothing said which check)."""
    result = lint_text(made("CODE-01.merchant-code-byte-length")["code"], table(), STRICT)
    violations = codes.code_conforms(result.findings)
    assert violations and {v.requirements for v in violations} == {("R-MPM-02",)}
    assert {v.check for v in violations} == {"code_conforms"}
    assert all(v.severity == FAIL for v in violations)


def test_a_dynamic_code_carries_its_amount_and_order_reference():
    good = lint_text(made("CODE-02.reference")["code"], table(), STRICT)
    assert codes.dynamic_for(good.fields, 1250) == []
    bad = lint_text(made("CODE-02.dynamic-code-without-amount")["code"], table(), STRICT)
    (missing,) = codes.dynamic_for(bad.fields, 1250)
    assert (missing.check, missing.requirements) == ("dynamic_for", ("R-MPM-14",))
    assert (missing.expected, missing.observed) == ("12.50", "None")
    assert summary(codes.code_conforms(bad.findings)) == [("code_conforms", ("R-MPM-14",), FAIL)]


def test_without_strict_mode_a_policy_finding_is_a_warning():
    """The same dynamic code without amount, judged leniently: the profile allows it and
    advises against it."""
    lenient = lint_text(made("CODE-02.dynamic-code-without-amount")["code"], table(), LENIENT)
    assert summary(codes.code_conforms(lenient.findings)) == \
        [("code_conforms", ("R-MPM-14",), WARNING)]


def test_a_payment_code_outside_the_registered_prefix():
    good = lint_text(made("CODE-04.reference")["code"], table(), STRICT)
    assert codes.payment_code_routes(good.route, SUT, "issuer") == []
    bad = lint_text(made("CODE-04.payment-code-wrong-prefix")["code"], table(), STRICT)
    assert summary(codes.code_conforms(bad.findings)) == [("code_conforms", ("R-CPM-02",), FAIL)]
    (unrouted,) = codes.payment_code_routes(bad.route, SUT, "issuer")
    assert (unrouted.requirements, unrouted.expected, unrouted.observed) == \
        (("R-CPM-02",), f"('{SUT}', 'issuer')", "(None, None)")


@pytest.mark.parametrize(("name", "requirements"), [("CODE-03.reference", set()),
                                                     ("CODE-03.qr-without-eci", {"R-MPM-15"})])
def test_the_printed_symbol(name, requirements):
    answer = made(name)
    scan = image.scan_png(base64.b64decode(answer["image"]))
    assert codes.scans_back(scan.text, answer["code"]) == []
    violations = codes.symbol_conforms(image.check_symbol(scan, STRICT))
    assert {r for v in violations for r in v.requirements} == requirements


@pytest.mark.parametrize("vector", vectors("invalid"), ids=lambda v: f"tc{v['tcId']}")
def test_a_wallet_that_went_on_with_an_invalid_vector_fails_its_own_requirements(vector):
    """Whatever rules a vector breaks (its ``requirements`` name each one; vectors/README.md)
    are the requirements its failure is reported under."""
    findings = lint_text(vector["payload"], table(), LENIENT).findings
    assert codes.code_refused(findings, refused=True, outcome="refused") == []
    (kept,) = codes.code_refused(findings, refused=False, outcome="approved")
    assert set(vector["requirements"]) <= set(kept.requirements)
    failed = codes.code_passed_on(findings)
    assert set(vector["requirements"]) <= \
        {r for v in failed if v.severity == FAIL for r in v.requirements}


@pytest.mark.parametrize("vector", vectors("acceptable"), ids=lambda v: f"tc{v['tcId']}")
def test_going_on_with_an_acceptable_vector_is_a_warning(vector):
    """vectors/README.md: acceptable means warnings only. A wallet may refuse such a code
    (nothing to say), or go on with it: a warning naming the vector's requirements."""
    findings = lint_text(vector["payload"], table(), LENIENT).findings
    warnings = codes.code_passed_on(findings)
    assert warnings and all(v.severity == WARNING for v in warnings)
    assert set(vector["requirements"]) <= {r for v in warnings for r in v.requirements}
    assert codes.code_refused(findings, refused=True, outcome="refused") == []


@pytest.mark.parametrize("vector", vectors("valid"), ids=lambda v: f"tc{v['tcId']}")
def test_going_on_with_a_valid_vector_is_right(vector):
    assert codes.code_passed_on(lint_text(vector["payload"], table(), LENIENT).findings) == []


def test_a_payment_code_expires_within_the_validity_declared():
    assert codes.expiry_within_validity(1000.0, 1006.2, 6.0, 2.0) == []
    [longer] = codes.expiry_within_validity(1000.0, 1360.0, 6.0, 2.0)
    assert (longer.check, longer.requirements, longer.observed) == \
        ("expiry_within_validity", ("R-CPM-08",), "360.0 s")
    [missing] = codes.expiry_within_validity(1000.0, None, 6.0, 2.0)
    assert missing.observed == "None"
