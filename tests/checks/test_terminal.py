"""Terminal information and true merchant fields (R-CPM-09, R-FLOW-19), on TERM-01 recorded
against the reference institution and its variants terminal-info-omitted and
terminal-random-factor-first-digits (the SUT's terminal scans a peer's payment code)."""

from dataclasses import replace

from qrinterop.checks.correlation import Exchange
from qrinterop.checks.terminal import (
    answer_merchant_as_coded,
    mccs_national,
    merchant_as_declared,
    not_relayed,
    terminal_info_sent,
)
from qrinterop.codes.emv_mpm import Rules
from qrinterop.profile import load_profile, profile_folder
from tests.checks.recorded import SUT, answers, transcript

PROFILE = load_profile()
RULES = Rules.of(PROFILE.folder)
DECLARED = {"id": "TA000001", "merchant_name": "Reference Terminal Shop", "mcc": "5411",
            "city": "BEIJING"}


def test_the_reference_sends_its_registered_terminal():
    assert terminal_info_sent(PROFILE, transcript("TERM-01.reference"), SUT, ["TA000001"]) == []


def test_a_purchase_without_term_info_is_found():
    [found] = terminal_info_sent(PROFILE, transcript("TERM-01.terminal-info-omitted"), SUT,
                                 ["TA000001"])
    assert found.requirements == ("R-CPM-09",) and "no termInfo" in found.observed


def test_a_random_factor_from_the_wrong_end_is_found():
    [found] = terminal_info_sent(PROFILE, transcript("TERM-01.terminal-random-factor-first-digits"),
                                 SUT, ["TA000001"])
    assert "last 6 digits" in found.observed


def test_an_unregistered_terminal_is_found():
    [found] = terminal_info_sent(PROFILE, transcript("TERM-01.reference"), SUT, ["TA000009"])
    assert "not registered" in found.observed


def test_no_purchase_at_all_is_found():
    assert terminal_info_sent(PROFILE, [], SUT, ["TA000001"])


def test_the_reference_names_its_declared_merchant_and_one_substituted_mcc_is_found():
    recorded = transcript("TERM-01.reference")
    assert merchant_as_declared(recorded, SUT, DECLARED) == []
    [found] = merchant_as_declared(recorded, SUT, {**DECLARED, "mcc": "5812"})
    assert (found.requirements, found.expected, found.observed) == (
        ("R-FLOW-19",), "'5812', as the ICS declares", "'5411'")


def test_an_mcc_outside_gbt_20548_is_found_and_1_0_judges_none():
    recorded = transcript("TERM-01.reference")
    assert mccs_national(PROFILE, recorded) == []
    purchase = recorded[0]
    body = {**purchase.body, "merchant": {**purchase.body["merchant"], "mcc": "0000"}}
    spoilt = replace(purchase, content={**purchase.content, "body": body})
    [found] = mccs_national(PROFILE, [spoilt])
    assert (found.requirements, found.observed) == (("R-FLOW-19",), "'0000'")
    assert mccs_national(load_profile(profile_folder("cn-interconnect/1.0")), [spoilt]) == []


def test_a_purchase_refused_for_its_terminal_goes_no_further():
    relayed = [Exchange(request) for request in transcript("TERM-01.reference")]
    assert not_relayed([]) == []
    [found] = not_relayed(relayed)
    assert (found.requirements, found.observed) == (("R-CPM-09",), "1 copy")


def coded_and_answered(name: str) -> tuple[str, dict]:
    """TERM-05: the SUT's merchant code (its control answer) and its answer to the inquiry."""
    code, answer = answers(transcript(name)), answers(transcript(name), "injector")
    return code[0]["code"], answer[0]


def test_the_reference_answers_with_the_merchant_its_code_shows():
    assert answer_merchant_as_coded(*coded_and_answered("TERM-05.reference"), RULES) == []


def test_an_answer_naming_another_mcc_than_the_code_is_found():
    payload, answer = coded_and_answered("TERM-05.inquiry-answers-other-mcc")
    [found] = answer_merchant_as_coded(payload, answer, RULES)
    assert (found.requirements, found.observed) == (("R-FLOW-19",), "'5311'")
    assert "ID 52" in found.expected
