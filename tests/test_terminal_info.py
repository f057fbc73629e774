"""Terminal information in CPM purchases (qrinterop/codes/terminal.py, R-CPM-09): built by
the reference acquirer, judged by the switch and the issuer, absent under profile 1.0."""

from qrinterop.codes import terminal
from qrinterop.profile import load_profile, profile_folder

V11, V10 = load_profile(), load_profile(profile_folder("cn-interconnect/1.0"))
CODE = "6225735053201615202"        # the UnionPay C2B code of the review's vectors
PURCHASE = {"code": CODE, "amount": 100, "termId": "HARNESS1"}


def test_the_terminal_sends_its_registered_id_and_the_codes_last_six_digits():
    body = terminal.with_term_info(V11, PURCHASE, {"id": "TA000001"})
    assert body["termId"] == "TA000001"
    assert body["termInfo"] == {"deviceType": "11", "deviceIp": "127.0.0.1",
                                "encryptRandNum": "615202"}
    assert terminal.fault(V11, body, ["TA000001"]) is None


def test_a_type_10_terminal_names_its_serial_number():
    info = terminal.term_info(CODE, {"id": "TA000001", "device_type": "10"})
    assert info["serialNum"] == "SN-TA000001"


def test_what_the_switch_and_the_issuer_refuse():
    body = terminal.with_term_info(V11, PURCHASE, {"id": "TA000001"})
    assert "no termInfo" in str(terminal.fault(V11, PURCHASE))
    wrong = {**body, "termInfo": {**body["termInfo"], "encryptRandNum": CODE[:6]}}
    assert "last 6 digits" in str(terminal.fault(V11, wrong))
    assert "not registered" in str(terminal.fault(V11, body, ["TB000001"]))
    assert terminal.fault(V11, body) is None            # the issuer knows no registrations
    assert terminal.refusal_code(V11) == "58"


def test_under_1_0_no_termInfo_is_sent_or_asked_for():
    assert terminal.with_term_info(V10, PURCHASE, {"id": "TA000001"}) == PURCHASE
    assert terminal.fault(V10, PURCHASE, []) is None


def test_the_random_factor_of_an_emv_payload_is_its_pans_last_digits():
    """UnionPay's termInfo tables: 「若付款码码为EMV二维码，则取其tag57的卡/token号的后6位」."""
    from qrinterop.codes import cpm_cryptogram

    scheme = cpm_cryptogram.TestScheme.from_value(V11.business["emv_cpm"]["cryptogram"]["value"])
    payload = cpm_cryptogram.build(scheme, "6212345678901234567", 7, b"\x01\x02\x03\x04")
    assert terminal.random_factor(payload, 6) == "234567"
    assert terminal.random_factor("6225735053201615202", 6) == "615202"
    # unreadable: the payload's own last characters, which no schema takes
    assert terminal.random_factor("bm90IGEgcGF5bG9hZA==", 6) == "bG9hZA=="[-6:]
