"""checks/emv.py on recorded transcripts: the payload a wallet showed (CPM-30) and the payload
each hop passed on (CPM-31 around the reference's terminal, CPM-35 through the reference
switch), against the defective variants that spoil them."""

from __future__ import annotations

from qrinterop.checks import emv
from qrinterop.codes import cpm_cryptogram
from qrinterop.profile import load_profile
from tests.checks.recorded import SUT, answers, transcript

SWITCH_SUT = "90000001"
PEER, BANK_U = "10000002", "30000001"


def scheme() -> cpm_cryptogram.TestScheme:
    return cpm_cryptogram.TestScheme.from_value(
        load_profile().business["emv_cpm"]["cryptogram"]["value"])


def shown(name: str) -> str:
    (code,) = [a["code"] for a in answers(transcript(name))]
    return code


def scanned(name: str) -> str:
    """The payload the harness handed the terminal (the charge request's code)."""
    recorded = transcript(name)
    (code,) = [r.content["code"] for r in recorded if r.pco == "upper-tester"]
    return code


def test_the_reference_wallet_shows_a_payload_whose_cryptogram_verifies():
    assert emv.payload_shown(shown("CPM-30.reference"), scheme()) == []


def test_a_payload_made_with_the_institution_s_own_keys_is_reported_under_r_cpm_01():
    (bad,) = emv.payload_shown(shown("CPM-30.emv-own-test-keys"), scheme())
    assert (bad.check, bad.requirements) == ("payload_shown", ("R-CPM-01",))
    assert "does not verify" in bad.observed


def test_a_malformed_payload_is_reported_with_its_finding():
    found = emv.payload_shown("hQVDUFYwMQ==", scheme())
    assert {v.requirements for v in found} == {("R-CPM-01",)}
    assert any("no application template" in v.observed for v in found)


def test_the_reference_terminal_sends_the_payload_as_scanned():
    recorded = transcript("CPM-31.reference")
    assert emv.payload_forwarded(recorded, SUT, scanned("CPM-31.reference")) == []


def test_a_terminal_that_strips_template_63_is_reported_under_r_cpm_05():
    name = "CPM-31.terminal-strips-transparent-templates"
    (bad,) = emv.payload_forwarded(transcript(name), SUT, scanned(name))
    assert (bad.check, bad.requirements) == ("payload_forwarded", ("R-CPM-05",))
    assert "lacks 9F26" in bad.observed


def test_the_reference_switch_passes_the_payload_on_unaltered():
    name = "CPM-35.reference-switch"
    recorded, payload = transcript(name), scanned(name)
    assert emv.payload_forwarded(recorded, PEER, payload) == []
    assert emv.payload_forwarded(recorded, SWITCH_SUT, payload, BANK_U) == []


def test_a_switch_that_strips_template_63_is_reported_and_the_acquirer_is_not():
    name = "CPM-35.switch-strips-transparent-templates"
    recorded, payload = transcript(name), scanned(name)
    assert emv.payload_forwarded(recorded, PEER, payload) == []
    (bad,) = emv.payload_forwarded(recorded, SWITCH_SUT, payload, BANK_U)
    assert bad.requirements == ("R-CPM-05",)


def test_no_purchase_at_all_is_a_count_not_a_crash():
    (none,) = emv.payload_forwarded([], SUT, "hQVDUFYwMQ==")
    assert (none.expected, none.observed) == ("1", "0")


def test_a_changed_cryptogram_is_named_in_the_difference():
    payload = shown("CPM-30.reference")
    assert "9F26" in emv.difference(payload, cpm_cryptogram.altered(payload, "9F26"))
    assert "re-encoded" in emv.difference(payload, payload.rstrip("="))
