"""Profile 1.1 says what its scenarios expect (issue 16 item 3): no scenario asserts a
response code, an answer to a repeat or a payer reference that the profile's own data does
not state, and a rule conditional on a feature does not bind an SUT that leaves it out."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from qrinterop.profile import DATA_DIR, load_profile

ROOT = Path(__file__).resolve().parent.parent
V10, V11 = DATA_DIR / "cn-interconnect" / "1.0", DATA_DIR / "cn-interconnect" / "1.1"
#: How the scenarios' sentences name a response code they expect.
ASSERTED = re.compile(r'(?:response code|answers? [^"\n]*with) "?(\d\d)"?(?: or "(\d\d)")?')


def asserted_codes() -> dict[str, list[str]]:
    """Every response code a scenario's Then expects, with where."""
    found: dict[str, list[str]] = {}
    for feature in sorted((ROOT / "features").glob("*.feature")):
        for n, line in enumerate(feature.read_text(encoding="utf-8").splitlines(), 1):
            if not line.strip().startswith(("Then", "And")) or "will " in line:
                continue        # a fault the harness programs is no expectation
            for match in ASSERTED.finditer(line):
                for code in filter(None, match.groups()):
                    found.setdefault(code, []).append(f"{feature.name}:{n}")
    return found


def test_every_code_a_scenario_expects_is_in_the_table_with_its_uses():
    profile = load_profile(V11)
    codes = asserted_codes()
    assert {"12", "33", "35", "36", "45"} <= set(codes)
    for code, where in codes.items():
        if code == "00":
            continue
        entry = profile.response_codes.get(code)
        assert entry is not None, f"{code} ({where[0]}) is not in response-codes.json"
        assert entry.get("uses"), f"{code} ({where[0]}): response-codes.json names no use"


def test_every_use_names_requirements_and_sources_of_the_profile():
    profile = load_profile(V11)
    for code, entry in profile.response_codes.items():
        for use in entry.get("uses", ()):
            assert set(use["requirements"]) <= set(profile.requirements), code
            assert set(use["sources"]) <= set(profile.sources), code


@pytest.mark.parametrize(("code", "case"), [("35", "dynamic merchant code"),
                                             ("43", "void"), ("36", "part of"),
                                             ("33", "max_count")])
def test_the_codes_the_issue_names_are_documented(code, case):
    uses = load_profile(V11).response_codes[code]["uses"]
    assert any(case in use["en"] for use in uses)


# -- R-FLOW-06: how each role answers an identical repeat ----------------------------------
def test_each_role_answers_an_identical_repeat_as_the_profile_says_and_1_0_as_before():
    v10, v11 = load_profile(V10), load_profile(V11)
    assert "idempotency" not in v10.business
    for profile in (v10, v11):       # 1.1 writes down what 1.0's scenarios expected
        assert [profile.repeat_answer(r) for r in ("issuer", "acquirer", "switch")] == \
            ["12", "12", "first_answer"]
        # a reversal is resent until answered (R-FLOW-03): the first answer again, everywhere
        assert profile.repeat_answer("issuer", "cpm.reversal") == "first_answer"
    assert v11.business["idempotency"]["identical_repeat"]["switch"]["sources"]
    assert "identical_repeat" in v11.requirements["R-FLOW-06"]["text"]["en"]


# -- R-MPM-16: the merchant ID is ans 15, as the published sample has it ---------------------
PHANNALY = ("00020101021252044131153137210116372101160123456789ABCDE6016Banteay Meanchey"
            "5913Kuntheas Shop5802KH540510.005303840621201081234567863041FF2")


def test_the_published_sample_s_merchant_id_with_letters_breaks_no_id15_rule_in_1_1():
    from qrinterop.codes import emv_mpm

    def broken(folder: Path) -> set[str | None]:
        return {f.requirement for f in emv_mpm.validate(PHANNALY, emv_mpm.Rules.of(folder))[1]}
    assert broken(V10) == {"R-MPM-16", "R-MPM-08"}       # 1.0 as it was: digits only
    assert broken(V11) == {"R-MPM-08"}                    # as the vector says
    assert "ans" in load_profile(V11).requirements["R-MPM-16"]["text"]["en"]


# -- a rule conditional on a feature binds only an SUT declaring it ---------------------------
def session_with(features: set[str]):
    from qrinterop.runner.scenarios.session import Session
    session = Session.__new__(Session)      # not_applicable() reads the claims and profile
    session.roles, session.features = {"issuer", "acquirer"}, features
    session.profile = load_profile(V11)
    return session


def test_a_scenario_verifying_only_a_rule_of_an_undeclared_feature_does_not_apply():
    without, declared = session_with({"sm2"}), session_with({"sm2", "unionpay-id15"})
    vector = ["tc.VEC-MPM-101", "req.R-MPM-16", "role.issuer"]    # an ID 15 of 30 digits
    assert "R-MPM-16 (unionpay-id15)" in without.not_applicable(vector)
    assert declared.not_applicable(vector) is None
    assert "R-MPM-16" in without.excused and "R-MPM-16" not in declared.excused
    # a scenario that also verifies a mandatory rule, or that checks the feature is refused
    assert without.not_applicable([*vector, "req.R-MPM-05"]) is None
    assert without.not_applicable(["role.issuer", "req.R-FLOW-13", "absent.void"]) is None


def test_a_code_finding_under_a_rule_of_an_undeclared_feature_is_not_held_against_the_sut():
    from qrinterop.checks import codes
    from qrinterop.codes import emv_mpm
    thirty = ("0002010102115204581253031565802CN5919LAO BEIJING NOODLES6007BEIJING62250509ORDER"
              "00010708T000000164220002ZH0106老北京炸酱面0202北京1530250003440002034477777777777777"
              "63044E20")
    found = emv_mpm.validate(thirty, emv_mpm.Rules.of(V11))[1]
    assert {f.requirement for f in found} == {"R-MPM-16"}
    (violation,) = codes.code_conforms(codes.binding(found, session_with({"sm2"}).excused
                                                     - {"R-MPM-16"}))
    assert violation.requirements == ("R-MPM-16",)
    assert codes.code_conforms(codes.binding(found, session_with({"sm2"}).excused)) == []


# -- R-SEC-01: the algorithm per registered key and role -------------------------------------
def test_each_key_signs_with_its_own_algorithm_for_the_roles_the_profile_allows():
    from qrinterop.ics.loader import _algorithm_problem
    v10, v11 = load_profile(V10), load_profile(V11)
    assert v10.signature_keys() == {
        alg: {"feature": spec["feature"], "roles": spec["roles"]}
        for alg, spec in v11.signature_keys().items()}
    assert {spec["feature"] for spec in v11.signature_keys().values()} == {"sm2", "rsa"}
    assert "SHA256withRSA" in v11.requirements["R-SEC-01"]["text"]["en"]
    keys = v11.signature_keys()
    assert _algorithm_problem("SHA256withRSA", keys, {"issuer"}) is None
    assert "allows no SHA1withRSA key" in _algorithm_problem("SHA1withRSA", keys, {"issuer"})
    switch_only = {**keys, "SHA256withRSA": {**keys["SHA256withRSA"], "roles": ["switch"]}}
    assert "only for switch" in _algorithm_problem("SHA256withRSA", switch_only, {"issuer"})


# -- payer.accountRef: masked, never the full account number ---------------------------------
def test_the_payer_reference_is_masked_in_1_1_and_the_account_id_in_1_0():
    import re as regex
    account = "ACC1A2B3C4D5E6F"
    masked = load_profile(V11).payer_reference(account)
    assert masked == "ACC1A2*****5E6F" and masked != account
    pattern = load_profile(V11).definition("payer")["properties"]["accountRef"]["pattern"]
    assert regex.fullmatch(pattern, masked)
    assert load_profile(V11).payer_reference("12345") == "*2345"
    assert load_profile(V10).payer_reference(account) == account
