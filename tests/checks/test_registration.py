"""Payment codes follow the issuer's registration, on transcripts recorded against the
reference institution and its variant payment-code-wrong-prefix (CODE-04: the SUT's wallet
shows a payment code)."""

import yaml

from qrinterop.checks.registration import code_follows_registration
from tests.checks.recorded import transcript
from tests.conftest import REFERENCE_ICS

SUT = "10000001"
CODES = yaml.safe_load(REFERENCE_ICS.read_text(encoding="utf-8"))["codes"]
RULES = [{"prefix": CODES["payment_code_prefix"], "length": CODES["payment_code_length"]}]


def shown(variant: str) -> str:
    """The payment code the SUT's wallet showed (its test-control answer)."""
    return next(r.content["code"] for r in transcript(f"CODE-04.{variant}")
                if not r.is_message and r.sent_by(SUT) and "code" in r.content)


def test_the_reference_issues_codes_by_its_registration():
    assert code_follows_registration(shown("reference"), "sut", RULES) == []


def test_a_code_outside_the_registration_is_found():
    code = shown("payment-code-wrong-prefix")
    [found] = code_follows_registration(code, "sut", RULES)
    assert (found.check, found.requirements) == ("code_follows_registration", ("R-CPM-02",))
    expected = f"{CODES['payment_code_length']} digits starting {CODES['payment_code_prefix']}"
    assert (found.expected, found.observed) == (expected, code)
