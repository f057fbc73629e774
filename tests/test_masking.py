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


# -- profile 1.1: payment codes and account references in every artefact (R-SEC-06) ----------
def test_the_profiles_rule_masks_payment_codes_not_merchant_codes_and_1_0_has_none():
    from qrinterop.evidence.masking import MaskRule
    from qrinterop.profile import load_profile, profile_folder

    rule = MaskRule.of(load_profile())
    assert rule is not None and MaskRule.of(load_profile(profile_folder(
        "cn-interconnect/1.0"))) is None
    body = {"code": "8263658590248400271", "merchant": {"id": "100000000000000"},
            "payer": {"accountRef": PAN}, "voucherNum": "20261201130000000002"}
    assert rule.applied({"body": body, "emv": {"code": "000201010211520458125802CN6304ABCD"}}) == {
        "body": {**body, "code": "826365*********0271", "payer": {"accountRef":
                                                                    "622202*********0123"}},
        "emv": {"code": "000201010211520458125802CN6304ABCD"}}
    assert rule.secrets({"body": body}) == {"8263658590248400271", PAN}
    assert rule.scrubbed({"why": ["observed '8263658590248400271'"]},
                         {"8263658590248400271"}) == {"why": ["observed '826365*********0271'"]}


def test_a_transcript_file_masks_signed_messages_under_the_rule_and_says_so(tmp_path):
    import json

    from qrinterop.evidence.masking import MaskRule
    from qrinterop.profile import load_profile

    transcript = Transcript("T-1", MaskRule.of(load_profile()))
    sent = {"body": {"code": "8263658590248400271", "amount": 100}, "signature": "…"}
    transcript.add("switch", "SUT", "switch", "request", sent)
    [seen] = transcript.write(tmp_path / "T-1.jsonl")
    assert seen["content"] == sent          # the checks judge what was sent
    [kept] = [json.loads(line) for line in (tmp_path / "T-1.jsonl").read_text().splitlines()]
    assert kept["masked"] is True and kept["content"]["body"]["code"] == "826365*********0271"
    assert transcript.secrets == {"8263658590248400271"}


def test_a_qrc_wire_is_masked_in_its_fields_sub_structures_and_text():
    """R-SEC-06 on the QRC wire: ``qrNo`` by its QRC name, ``payerInfo``'s ``accNo`` inside
    its base64 sub-structure (re-encoded), and the form's text as it travelled."""
    from urllib.parse import quote_plus

    from qrinterop.evidence.masking import MaskRule
    from qrinterop.profile import load_profile
    from qrinterop.protocol.bindings import qrc

    rule = MaskRule.of(load_profile())
    assert rule is not None and {"qrNo", "qrCode", "accNo"} <= rule.fields
    fields = {"reqType": "0310000903", "qrNo": "8263658590248400271",
              "payerInfo": qrc.sub_structure({"accNo": PAN, "name": "Zhang"}),
              "signature": "c2ln+/=="}
    wire = {"binding": "unionpay-qrc", "fields": fields,
            "text": qrc.form_encode(fields).decode("ascii")}
    kept = rule.applied({"header": {}, "wire": wire})["wire"]
    assert kept["fields"]["qrNo"] == "826365*********0271"
    assert qrc.parse_sub_structure(kept["fields"]["payerInfo"]) == {
        "accNo": "622202*********0123", "name": "Zhang"}
    assert kept["text"].startswith("reqType=0310000903&qrNo=826365*********0271&payerInfo=")
    assert kept["text"].endswith("&signature=c2ln%2B%2F%3D%3D")       # the rest as it went
    assert qrc.form_decode(kept["text"].encode()) == kept["fields"]
    payer = fields["payerInfo"]
    assert rule.secrets({"wire": wire}) == {"8263658590248400271", PAN, payer,
                                            quote_plus(payer)}
    log = f"sent {wire['text']}"            # a log quoting the form loses the sub-structure
    assert payer not in str(rule.scrubbed(log, rule.secrets({"wire": wire})))
    scrubbed = rule.scrubbed({"messages": [{"wire": wire}]}, {PAN})["messages"][0]["wire"]
    assert PAN not in str(scrubbed) and "622202*********0123" in str(
        qrc.parse_sub_structure(scrubbed["fields"]["payerInfo"]))


def test_a_qrc_text_written_another_way_is_rewritten_masked():
    """A form whose text percent-encodes otherwise than ours still loses the code."""
    from qrinterop.evidence.masking import MaskRule
    from qrinterop.profile import load_profile
    from qrinterop.protocol.bindings import qrc

    rule = MaskRule.of(load_profile())
    assert rule is not None
    payer = qrc.sub_structure({"accNo": PAN})
    wire = {"binding": "unionpay-qrc", "fields": {"payerInfo": payer},
            "text": "payerInfo=" + payer}          # base64's = and / left bare
    kept = rule.applied({"wire": wire})["wire"]
    assert qrc.parse_sub_structure(qrc.form_decode(kept["text"].encode())["payerInfo"]) == {
        "accNo": "622202*********0123"}
