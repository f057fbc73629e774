"""checks/wire.py on recorded transcripts: what the reference put on the wire (good) and what
its defective variants did (bad)."""

from __future__ import annotations

from dataclasses import replace

import pytest

from qrinterop.checks import wire
from qrinterop.checks.outcome import FAIL, WARNING
from qrinterop.cli.lint import lint_text, routing_table
from qrinterop.codes.findings import LENIENT
from qrinterop.judging.verdicts import attributed
from qrinterop.protocol.crypto import SigningKey
from qrinterop.protocol.fields import encrypt_field
from tests.checks.recorded import SUT, answers, transcript

SWITCH_SUT = "90000001"      # the reference switch, the SUT of the switch's recorded runs


def test_nothing_sent_after_refusing_a_bad_crc():
    assert wire.nothing_sent(transcript("MPM-02.reference"), SUT) == []
    (sent,) = wire.nothing_sent(transcript("MPM-02.skip-crc-check"), SUT)
    assert (sent.check, sent.requirements) == ("nothing_sent", ())       # generic: the
    assert (sent.expected, sent.observed) == ("[]", "['mpm.inquiry.request']")   # scenario's


def test_a_code_vector_sent_on_is_reported_under_the_rule_it_breaks():
    """wallet-skips-code-checks on VEC-MPM-3 (R-MPM-08): before, every such failure was
    reported under R-MPM-05 whatever rule broke; now the generic check takes the vector's
    own @req tags, and ``code_carried`` names the rules the code breaks."""
    bad = transcript("VEC-MPM-3.wallet-skips-code-checks")
    assert wire.nothing_sent(transcript("VEC-MPM-3.reference"), SUT) == []
    (sent,) = wire.nothing_sent(bad, SUT)
    assert sent.requirements == ()
    code = bad[0].content["code"]
    carried = wire.code_carried(bad, SUT, "mpm.inquiry.request", code,
                                lint_text(code, routing_table(), LENIENT).findings)
    assert {r for v in carried if v.severity == FAIL for r in v.requirements} >= {"R-MPM-08"}
    assert "R-MPM-05" not in {r for v in carried for r in v.requirements}


def test_a_valid_published_sample_carried_as_scanned():
    recorded = transcript("VEC-SAMPLE-1.reference")
    code = recorded[0].content["code"]
    assert wire.code_carried(recorded, SUT, "mpm.inquiry.request", code,
                             lint_text(code, routing_table(), LENIENT).findings) == []
    (other,) = wire.code_carried(recorded, SUT, "mpm.inquiry.request", code[:-1])
    assert (other.check, other.requirements) == ("code_carried", ("R-FLOW-01",))


def test_a_valid_code_refused_is_judged_under_what_its_scenario_verifies():
    """wallet-refuses-foreign-codes on VEC-SAMPLE-9 (edited: the reference's transcript
    without the inquiry the defective wallet never sent): a refusal is not a code altered in
    passing (R-FLOW-01) but a code not read, under the scenario's own requirements
    (R-CERT-03 for a code issued abroad)."""
    recorded = transcript("VEC-SAMPLE-1.reference")
    assert wire.went_on(recorded, SUT, "mpm.inquiry.request") == []
    refused = [r for r in recorded if r.msg_type != "mpm.inquiry.request"]
    (violation,) = wire.went_on(refused, SUT, "mpm.inquiry.request")
    assert (violation.check, violation.requirements) == ("went_on", ())
    assert attributed(violation.requirements, ["R-CERT-03", "R-FLOW-01"]) == \
        ["R-CERT-03", "R-FLOW-01"]


def test_an_acceptable_published_sample_carried_on_is_a_warning():
    """VEC-SAMPLE-6 (Pix, dynamic without amount: result ``acceptable``): the reference wallet
    reads leniently and asks the switch about it, which the profile allows and advises
    against: a warning under R-MPM-14, no failure."""
    recorded = transcript("VEC-SAMPLE-6.reference")
    code = recorded[0].content["code"]
    (warning,) = wire.code_carried(recorded, SUT, "mpm.inquiry.request", code,
                                   lint_text(code, routing_table(), LENIENT).findings)
    assert (warning.check, warning.requirements, warning.severity) == \
        ("code_passed_on", ("R-MPM-14",), WARNING)


def _switch_key_for(recorded, key: SigningKey):
    """The recorded mpm.payment with its payer field sealed again for ``key``: the run's
    switch key was made for that run and is gone, so a good record can only be opened by
    a key the test holds. The account reference is the one the SUT sent."""
    account = answers(recorded)[0]["account"]
    payment = next(r for r in recorded if r.msg_type == "mpm.payment.request")
    body = {**payment.body, "payer": encrypt_field({"accountRef": account}, key.public,
                                                   key.public.id)}
    return [replace(payment, content={**payment.content, "body": body})], account


def test_the_payer_field_encrypted_for_the_switch():
    key = SigningKey.generate()
    good, account = _switch_key_for(transcript("MPM-01.reference"), key)
    assert wire.payer_encrypted(good, SUT, key, key.public.id, account) == []
    (wrong_key,) = wire.payer_encrypted(transcript("MPM-01.reference"), SUT, key,
                                        key.public.id, account)
    assert (wrong_key.check, wrong_key.requirements) == ("payer_encrypted", ("R-SEC-05",))


def test_the_payer_in_clear_fails_r_sec_05():
    """payer-in-clear: before, a failed decryption was reported with no requirement."""
    recorded = transcript("MPM-01.payer-in-clear")
    key = SigningKey.generate()
    (clear,) = wire.payer_encrypted(recorded, SUT, key, key.public.id,
                                    answers(recorded)[0]["account"])
    assert (clear.check, clear.requirements) == ("payer_encrypted", ("R-SEC-05",))
    assert clear.expected == "encrypted for the switch's key"
    assert "accountRef" in clear.observed


@pytest.mark.parametrize(("name", "kept"), [("MPM-03.reference", True),
                                            ("MPM-03.payer-details-not-kept", False)])
def test_the_acquirer_keeps_the_payer_reference(name, kept):
    account, booked = (a for a in answers(transcript(name)))
    violations = wire.payer_reference_kept(booked, account["account"])
    assert [(v.check, v.requirements, v.observed) for v in violations] == \
        ([] if kept else [("payer_reference_kept", ("R-SEC-05",), str(booked.get("account")))])


@pytest.mark.parametrize(("name", "owner"), [("COL-01-merchant.reference", []),
                                             ("COL-01-merchant.code-apply-without-owner",
                                              ["(no codeOwner)"])])
def test_the_code_application_names_its_owner(name, owner):
    violations = wire.code_owner_marked(transcript(name), SUT, "merchant")
    assert [(v.check, v.requirements, v.observed) for v in violations] == \
        ([] if not owner else [("code_owner_marked", ("R-FLOW-11",), str(owner))])


def test_an_altered_purchase_is_refused_with_11():
    """skip-signature-check acts on it: before, reported with no requirement; the generic
    check now takes SEC-01's @req (R-SEC-02)."""
    assert wire.answered_with(answers(transcript("SEC-01.reference"), "injector")[0],
                              ["11"]) == []
    (acted,) = wire.answered_with(answers(transcript("SEC-01.skip-signature-check"),
                                          "injector")[0], ["11"])
    assert (acted.check, acted.requirements, acted.expected, acted.observed) == \
        ("answered_with", (), "response code 11", "00")
    assert wire.answered_with(None, ["10", "11"])[0].observed == "None"


def test_a_repeated_purchase_gets_the_first_answer():
    first, second = answers(transcript("SW-04.reference-switch"), "injector")
    assert wire.answered_alike(first, second) == []
    first, second = answers(transcript("SW-04.switch-forwards-repeated-purchases"), "injector")
    (twice,) = wire.answered_alike(first, second)
    assert (twice.check, twice.requirements) == ("answered_alike", ("R-FLOW-06",))
    assert "'respCode': '72'" in twice.observed


def test_the_switch_issues_a_payment_code():
    (answer,) = answers(transcript("SW-08.reference-switch"), "injector")
    assert wire.code_issued(answer) == []
    refused = {**answer, "body": {"respCode": "96"}}
    (violation,) = wire.code_issued(refused)
    assert (violation.requirements, violation.observed) == (("R-CPM-02",), "96")


def test_the_reversal_answered():
    recorded = transcript("REV-02.reference")
    assert wire.reversal_answered(recorded, SUT, "00") == []
    # No variant answers a reversal otherwise: the same record, answered 25.
    answer = recorded[-1]
    spoilt = replace(answer, content={**answer.content, "body": {"respCode": "25"}})
    (violation,) = wire.reversal_answered([recorded[0], spoilt], SUT, "00")
    assert (violation.requirements, violation.observed) == (("R-FLOW-05",), "['25']")


def test_a_terminal_that_rewrites_a_payment_code_is_found():
    """VEC-PAY-9 (24 digits, prefix 25) scanned by the reference terminal and by the variant
    terminal-rewrites-codes, which cuts it to 18 digits."""
    recorded = transcript("VEC-PAY-9.reference")
    code = next(r.body["code"] for r in recorded
                if r.msg_type == "cpm.purchase.request" and r.sent_by(SUT))
    assert len(code) == 24
    assert wire.code_carried(recorded, SUT, "cpm.purchase.request", code) == []
    (cut,) = wire.code_carried(transcript("VEC-PAY-9.terminal-rewrites-codes"), SUT,
                               "cpm.purchase.request", code)
    assert (cut.check, cut.requirements) == ("code_carried", ("R-FLOW-01",))
    assert cut.observed == str([code[:18]])


def test_a_payment_of_a_dynamic_code_for_another_amount_is_refused():
    """MPM-05: the reference refuses (35); mpm-payment-amount-unchecked approved it. Generic:
    the scenario's @req (R-MPM-14) takes it."""
    failures = ["10", "35", "64"]
    assert wire.refused(answers(transcript("MPM-05.reference"), "injector")[-1], failures) == []
    (taken,) = wire.refused(answers(transcript("MPM-05.mpm-payment-amount-unchecked"),
                                    "injector")[-1], failures)
    assert (taken.check, taken.requirements, taken.observed) == ("refused", (), "00")
    assert attributed(taken.requirements, ["R-MPM-14"]) == ["R-MPM-14"]
    assert wire.refused(None, failures)[0].observed == "None"


@pytest.mark.parametrize(("name", "expected", "declared"), [
    ("COL-04-merchant.reference", ["merchant code for remote use"], None),
    ("COL-04-merchant.remote-use-not-declared", ["merchant code for remote use"],
     ["merchant code for face-to-face use"]),
    ("COL-05.personal-code-for-remote-use", [], ["personal code for remote use"])])
def test_a_code_application_declares_the_codes_class_and_remote_use(name, expected, declared):
    violations = wire.code_use_declared(transcript(name), SUT, expected)
    assert [(v.check, v.requirements, v.observed) for v in violations] == \
        ([] if declared is None else [("code_use_declared", ("R-FLOW-16",), str(declared))])


def test_no_application_and_no_code_when_the_acquirer_refuses():
    assert wire.code_use_declared([], SUT, []) == []
    assert wire.no_code_issued("collection code for remote use", None) == []
    [issued] = wire.no_code_issued("collection code for remote use", "https://qr.example/c/1")
    assert (issued.requirements, issued.expected) == (("R-FLOW-16",), "refused by the acquirer")
    assert wire.declared_use({"codeOwner": "personal-business", "merchantChannel": "021"}) == \
        "personal-business code for remote use"
    assert wire.declared_use({}) == "(no codeOwner) code for face-to-face use"


def test_an_identical_repeat_is_answered_as_the_profile_says_for_the_role():
    """R-FLOW-06 per role (business.json idempotency.identical_repeat): the switch's first
    answer again, an issuer's 12; what the other role does is a failure."""
    first, second = answers(transcript("SW-04.reference-switch"), "injector")
    assert wire.repeat_answered("first_answer", first, second) == []
    (alike,) = wire.repeat_answered("12", first, second)
    assert (alike.requirements, alike.observed) == (("R-FLOW-06",), second["body"]["respCode"])
    duplicate = {**second, "body": {**second["body"], "respCode": "12"}}
    assert wire.repeat_answered("12", first, duplicate) == []
    (twice,) = wire.repeat_answered("first_answer", first, duplicate)
    assert twice.check == "answered_alike"
