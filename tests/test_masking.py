"""Secrets are masked where the harness captures them (qrinterop/evidence/masking.py)."""

from __future__ import annotations

from qrinterop.evidence.masking import mask_known, masked
from qrinterop.evidence.transcript import Transcript
from qrinterop.protocol.crypto import SigningKey

PAN = "6222021234567890123"


def test_account_numbers_keep_six_and_four_digits_and_passwords_nothing():
    captured = masked({"account": PAN, "password": "123456", "accounts": [{"account": PAN}],
                       "merchantId": "100000012345678", "code": "991234567890123456",
                       "note": "ACC1234ABCD"})
    assert captured == {"account": "622202*********0123", "password": "***",
                        "accounts": [{"account": "622202*********0123"}],
                        "merchantId": "100000012345678", "code": "991234567890123456",
                        "note": "ACC1234ABCD"}


def test_a_private_key_in_any_text_is_removed():
    pem = SigningKey.generate().private_pem().decode().strip()
    assert masked({"error": f"bad key {pem} given"}) == {
        "error": "bad key [private key removed] given"}
    assert "PRIVATE KEY" not in mask_known(f"log line\n{pem}", [])


def test_only_the_upper_testers_records_are_masked_signed_messages_stay_as_sent():
    transcript = Transcript("T-1")
    control = transcript.add("upper-tester", "harness", "SUT", "response", {"account": PAN})
    message = transcript.add("switch", "SUT", "switch", "request", {"body": {"account": PAN}})
    assert control["content"] == {"account": "622202*********0123"}
    assert message["content"] == {"body": {"account": PAN}}


def test_an_icss_accounts_are_masked_wherever_they_occur():
    text = f"accounts:\n  - id: \"{PAN}\"\n  - id: TESTACC01\n"
    kept = mask_known(f"{text}paid from {PAN}", [PAN, "TESTACC01"])
    assert PAN not in kept and "TESTACC01" in kept and kept.count("622202*********0123") == 2
