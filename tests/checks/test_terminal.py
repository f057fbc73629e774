"""Terminal information and true merchant fields (R-CPM-05, R-FLOW-15), on TERM-01 recorded
against the reference institution and its variants terminal-info-omitted and
terminal-random-factor-first-digits (the SUT's terminal scans a peer's payment code)."""

from dataclasses import replace

from qrinterop.checks.correlation import Exchange
from qrinterop.checks.terminal import (
    mccs_national,
    merchant_as_declared,
    not_relayed,
    terminal_info_sent,
)
from qrinterop.profile import load_profile, profile_folder
from tests.checks.recorded import SUT, transcript

PROFILE = load_profile()
DECLARED = {"id": "TA000001", "merchant_name": "Reference Terminal Shop", "mcc": "5411",
            "city": "BEIJING"}


def test_the_reference_sends_its_registered_terminal():
    assert terminal_info_sent(PROFILE, transcript("TERM-01.reference"), SUT, ["TA000001"]) == []


def test_a_purchase_without_term_info_is_found():
    [found] = terminal_info_sent(PROFILE, transcript("TERM-01.terminal-info-omitted"), SUT,
                                 ["TA000001"])
    assert found.requirements == ("R-CPM-05",) and "no termInfo" in found.observed


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
        ("R-FLOW-15",), "'5812', as the ICS declares", "'5411'")


def test_an_mcc_outside_gbt_20548_is_found_and_1_0_judges_none():
    recorded = transcript("TERM-01.reference")
    assert mccs_national(PROFILE, recorded) == []
    purchase = recorded[0]
    body = {**purchase.body, "merchant": {**purchase.body["merchant"], "mcc": "0000"}}
    spoilt = replace(purchase, content={**purchase.content, "body": body})
    [found] = mccs_national(PROFILE, [spoilt])
    assert (found.requirements, found.observed) == (("R-FLOW-15",), "'0000'")
    assert mccs_national(load_profile(profile_folder("cn-interconnect/1.0")), [spoilt]) == []


def test_a_purchase_refused_for_its_terminal_goes_no_further():
    relayed = [Exchange(request) for request in transcript("TERM-01.reference")]
    assert not_relayed([]) == []
    [found] = not_relayed(relayed)
    assert (found.requirements, found.observed) == (("R-CPM-05",), "1 copy")
