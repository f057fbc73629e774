"""The checks of declared features, on recorded transcripts: a URL-form code asked about and
paid as the switch's signed answer says (FEAT-URL-01), not paid on an answer that does not
verify (FEAT-URL-02), a convenience fee added once (FEAT-TIP-*)."""

from qrinterop.checks.features import fee_added, not_paid, paid_as_answered, url_code_routed
from tests.checks.recorded import SUT, transcript

URL_CODE = "https://qr.qrinterop.invalid/40000001/"


def inquired_code(name: str) -> str:
    return next(r.body["code"] for r in transcript(name)
                if r.msg_type == "mpm.inquiry.request" and r.sent_by(SUT))


def test_the_reference_wallet_asks_about_the_url_code_and_pays_the_answers_order():
    found = transcript("FEAT-URL-01.reference")
    code = inquired_code("FEAT-URL-01.reference")
    assert code.startswith(URL_CODE)
    assert url_code_routed(found, SUT, code) == []
    assert paid_as_answered(found, SUT) == []


def test_a_wallet_that_pays_the_typed_amount_breaks_r_sec_03():
    (violation,) = paid_as_answered(transcript("FEAT-URL-01.url-code-paid-as-typed"), SUT)
    assert violation.requirements == ("R-SEC-03",)
    assert (violation.expected, violation.observed) == ("2500", "2000")


def test_a_wallet_that_never_asked_about_the_url_code_breaks_r_url_01():
    found = [r for r in transcript("FEAT-URL-01.reference")
             if not str(r.msg_type).startswith("mpm.")]
    (violation,) = url_code_routed(found, SUT, URL_CODE + "D0000001")
    assert violation.requirements == ("R-URL-01",) and violation.observed == "none sent"
    (nothing,) = paid_as_answered(found, SUT)
    assert "inquiry none, payment none" in nothing.observed


def test_the_fee_is_added_once():
    assert fee_added(transcript("FEAT-TIP-fixed.reference"), SUT, 2150) == []
    (left_out,) = fee_added(transcript("FEAT-TIP-fixed.tip-fee-ignored"), SUT, 2150)
    assert (left_out.observed, left_out.requirements) == ("2000", ("R-MPM-10",))
    (twice,) = fee_added(transcript("FEAT-TIP-percentage.tip-fee-added-twice"), SUT, 2200)
    assert twice.observed == "2400"


def test_no_payment_on_an_inquiry_answer_that_does_not_verify():
    assert not_paid(transcript("FEAT-URL-02.reference"), SUT) == []
    (paid,) = not_paid(transcript("FEAT-URL-02.wallet-trusts-unsigned-inquiry"), SUT)
    assert (paid.observed, paid.requirements) == ("[2500]", ("R-SEC-03",))
