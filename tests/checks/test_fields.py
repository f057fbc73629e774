"""Fields returned or passed on unchanged (R-MSG-02, R-MSG-03), on transcripts recorded
against the reference switch (ECHO-01, ECHO-02, PAYER-02) and the reference institution
(PAYER-01, PAYER-03), and their variants switch-drops-req-reserved,
switch-drops-payer-account-type and issuer-reports-every-account-debit."""

from qrinterop.checks.fields import payer_account_type_told, reserved_returned
from tests.checks.recorded import order_of, transcript

SUT, PEER = "10000001", "10000002"


def test_the_reference_switch_returns_the_reserved_field():
    assert reserved_returned(transcript("ECHO-01.reference-switch"), PEER, "cpm.purchase") == []


def test_the_reference_switch_returns_a_wallets_reserved_field():
    found = transcript("ECHO-02.reference-switch")
    wallet = next(r.sender for r in found if r.msg_type == "mpm.payment.request"
                  and r.leg == "to-switch")
    assert reserved_returned(found, str(wallet), "mpm.payment") == []


def test_a_switch_that_drops_the_reserved_field_fails():
    found = reserved_returned(transcript("ECHO-01.switch-drops-req-reserved"), PEER,
                              "cpm.purchase")
    assert found and {v.requirements for v in found} == {("R-MSG-02",)}
    assert "reqReserved in the switch's answer to cpm.purchase" in found[0].what
    assert found[0].observed == "None" and found[0].expected.startswith("order=")


def test_nothing_to_judge_is_a_violation_not_a_pass():
    found = reserved_returned(transcript("PAYER-01.reference"), SUT, "mpm.payment")
    assert [v.expected for v in found] == ["at least one, answered"]


def test_the_reference_tells_the_acquirer_of_a_credit_account():
    found = transcript("PAYER-01.reference")
    assert payer_account_type_told(found, order_of(found, PEER), "credit") == []
    # and that is what the check reads: the same transcript is no debit account's
    assert payer_account_type_told(found, order_of(found, PEER), "debit") != []


def test_the_reference_wallet_names_the_account_in_an_mpm_payment():
    found = transcript("PAYER-03.reference")
    order = next(r.body["orderNo"] for r in found if r.msg_type == "mpm.payment.request")
    assert payer_account_type_told(found, order, "credit") == []


def test_an_issuer_that_calls_every_account_debit_fails():
    found = transcript("PAYER-01.issuer-reports-every-account-debit")
    violations = payer_account_type_told(found, order_of(found, PEER), "credit")
    assert violations and all(v.observed == "debit" for v in violations)
    assert {v.requirements for v in violations} == {("R-MSG-03",)}


def test_the_reference_switch_passes_the_account_type_on():
    found = transcript("PAYER-02.reference-switch")
    assert payer_account_type_told(found, order_of(found, PEER), "credit") == []


def test_a_switch_that_drops_the_account_type_fails_where_it_does():
    found = transcript("PAYER-02.switch-drops-payer-account-type")
    violations = payer_account_type_told(found, order_of(found, PEER), "credit")
    assert violations and all(v.observed == "None" for v in violations)
    assert all(PEER in v.what for v in violations)     # the issuer said it; the switch lost it
