"""The wire bindings: every message of the set round-trips through unionpay-qrc with its
signature intact, the signing string is the SDK's, and what QRC cannot hold is said."""

from __future__ import annotations

import base64
from dataclasses import replace

import pytest

from mocks.institution import Institution
from mocks.launch_reference import KEYS as REFERENCE_KEYS
from mocks.launch_reference import from_ics
from qrinterop.ics.service_config import ServiceConfigError
from qrinterop.profile import load_profile, profile_folder
from qrinterop.protocol.bindings import (
    Wire,
    WireError,
    binding,
    detect,
    known_bindings,
    qrc,
    signature_ok,
    signed_content,
)
from qrinterop.protocol.crypto import RSA_ALGORITHM, SigningKey
from qrinterop.protocol.envelope import Party, seal
from qrinterop.protocol.keyring import KeyRing
from tests.conftest import REFERENCE_ICS, run_cli
from tests.test_message_set import EXAMPLES

PROFILE = load_profile()
QRC = binding("unionpay-qrc", PROFILE)
INSTITUTION, SWITCH = "10000001", "90000000"
KEYS = {INSTITUTION: SigningKey.generate(), SWITCH: SigningKey.generate()}
RING = KeyRing()
for _who, _key in KEYS.items():
    RING.add(_who, _key.public)
CASES = [(name, leg) for name, legs in EXAMPLES.items() for leg in legs]


def sent(name: str, leg: str, body: dict | None = None) -> tuple[dict, Wire]:
    """The example of ``name`` on ``leg`` sealed by its sender in QRC, and its wire."""
    kind, direction = leg.split(".")
    sender, receiver = (INSTITUTION, SWITCH) if direction == "to-switch" else (SWITCH,
                                                                              INSTITUTION)
    message = seal(Party(sender, KEYS[sender]), f"{name}.{kind}", receiver,
                   EXAMPLES[name][leg] if body is None else body, test_case_id="TC-1",
                   signer=QRC, leg=leg)
    return message, QRC.encode(message, leg)


def received(wire: Wire, leg: str) -> dict:
    receiver = SWITCH if leg.endswith("to-switch") else INSTITUTION
    return QRC.decode(wire, leg, RING, receiver)


@pytest.mark.parametrize(("name", "leg"), CASES)
def test_every_message_round_trips_signed(name, leg):
    message, wire = sent(name, leg)
    back = received(wire, leg)
    assert back["body"] == message["body"]
    assert back["header"]["msgType"] == message["header"]["msgType"]
    assert back["header"]["sender"] == message["header"]["sender"]
    assert back["header"]["testCaseId"] == "TC-1"
    assert signature_ok(back, RING)
    fields = back["wire"]["fields"]
    assert fields["version"] == "1.0.0" and fields["reqType"] == PROFILE.messages[
        "messages"][name]["qrc_req_type"]
    assert fields["certId"] == qrc.cert_id(KEYS[message["header"]["sender"]].public.id)


def test_the_signing_string_is_the_sdks_sorted_and_without_the_signature():
    assert qrc.signing_string({"b": "2", "signature": "x", "a": "1", "c": ""}) == "a=1&b=2&c="


def test_empty_fields_are_not_sent_as_the_sdk_filters_them():
    body = {**EXAMPLES["cpm.purchase"]["request.to-switch"], "reqReserved": ""}
    _message, wire = sent("cpm.purchase", "request.to-switch", body)
    assert b"reqReserved" not in wire.body


def test_a_field_changed_on_the_wire_breaks_the_signature():
    _message, wire = sent("cpm.purchase", "request.to-switch")
    spoilt = Wire(wire.body.replace(b"txnAmt=", b"txnAmt=9"), wire.content_type)
    assert not signature_ok(received(spoilt, "request.to-switch"), RING)


def test_an_answer_travels_raw_and_keeps_the_plus_of_its_signature():
    _message, wire = sent("cpm.purchase", "response.from-switch")
    assert "成功".encode() in wire.body          # not percent-encoded
    back = received(wire, "response.from-switch")
    assert signature_ok(back, RING)
    assert qrc.form_decode(b"a=x+y&b={k=1&j=2}", percent_encoded=False) == {
        "a": "x+y", "b": "{k=1&j=2}"}


def test_an_rsa_key_signs_the_sha256_hex_digest():
    key = SigningKey.generate(RSA_ALGORITHM)
    fields = {"version": "1.0.0", "reqType": "0120000903", "qrCode": "x"}
    digest = qrc.digest_hex(qrc.signing_string(fields), RSA_ALGORITHM)
    assert len(digest) == 64 and digest == digest.lower()
    assert key.public.verify(key.sign(digest.encode()), digest.encode())


def test_sub_structures_are_base64_of_braced_pairs_padded_or_not():
    text = qrc.sub_structure({"b": "2", "a": "1"})
    assert base64.b64decode(text) == b"{a=1&b=2}"
    assert qrc.parse_sub_structure(text.rstrip("=")) == {"a": "1", "b": "2"}
    assert qrc.parse_sub_structure("not base64!") is None
    assert qrc.parse_sub_structure(base64.b64encode(b"a=1").decode()) is None


def test_the_sender_field_must_name_the_certificates_owner():
    """An acquirer's request names its sender in acqCode: a certId of another participant's
    key then verifies with nobody's key under that sender."""
    _message, wire = sent("cpm.purchase", "request.to-switch")
    forged = Wire(wire.body.replace(f"acqCode={INSTITUTION}".encode(),
                                    b"acqCode=10000009"), wire.content_type)
    back = received(forged, "request.to-switch")
    assert back["header"]["sender"] == "10000009" and not signature_ok(back, RING)


def test_no_form_is_a_wire_error_and_the_form_is_detected():
    with pytest.raises(WireError):
        received(Wire(b"\xff\xfe", QRC.content_type), "request.to-switch")
    with pytest.raises(WireError, match="twice"):
        qrc.form_decode(b"a=1&a=2")
    assert detect(b'{"header": {}}') == "qrinterop-json"
    assert detect(b"version=1.0.0&reqType=0310000903") == "unionpay-qrc"


def test_an_answer_signed_by_a_key_nobody_has_comes_from_the_party_asked_and_fails():
    """QRC's answer names no sender: it comes back from where the request went, and a
    certId that no registered key has leaves its signature unverifiable."""
    stranger = Party(SWITCH, SigningKey.generate())
    message = seal(stranger, "cpm.purchase.response", INSTITUTION,
                   EXAMPLES["cpm.purchase"]["response.from-switch"], signer=QRC,
                   leg="response.from-switch")
    wire = QRC.encode(message, "response.from-switch")
    back = QRC.decode(wire, "response.from-switch", RING, INSTITUTION, SWITCH)
    assert back["header"]["sender"] == SWITCH and not signature_ok(back, RING)
    assert QRC.decode(wire, "response.from-switch", RING, INSTITUTION)["header"][
        "sender"] is None


def test_an_unsigned_request_to_an_institution_comes_from_the_switch_and_fails():
    message, _wire = sent("cpm.purchase", "request.from-switch")
    del message["signature"]
    wire = QRC.encode(message, "request.from-switch")
    assert b"certId" not in wire.body and b"signature" not in wire.body
    back = QRC.decode(wire, "request.from-switch", RING, INSTITUTION, SWITCH)
    assert back["header"]["sender"] == SWITCH and not signature_ok(back, RING)


def test_a_mislabelled_signature_is_signed_over_its_label_in_qrc_not_in_json():
    """signType is among the signed fields: a sender's SM2 signature labelled 01 (RSA)
    verifies over its form with the sender's key, and only a receiver that reads the
    label refuses it; the JSON envelope's label is outside what is signed."""
    message, _wire = sent("cpm.purchase", "request.to-switch")
    key, leg = KEYS[INSTITUTION], "request.to-switch"
    for wire in (QRC, binding("qrinterop-json", PROFILE)):
        message["signature"] = wire.sign(key, message["header"], message["body"], None, leg,
                                         "SHA256withRSA")
        back = wire.decode(wire.encode(message, leg), leg, RING, SWITCH)
        assert back["signature"]["alg"] == "SHA256withRSA" and not signature_ok(back, RING)
        assert key.public.verify(back["signature"]["value"],
                                 signed_content(back, key.algorithm))
    assert QRC.evidence(message, leg)["wire"]["fields"]["signType"] == "01"


def test_a_missing_sign_type_is_the_sdks_sha1_default_which_no_key_has():
    _message, wire = sent("cpm.purchase", "request.to-switch")
    back = received(Wire(wire.body.replace(b"signType=03&", b""), wire.content_type),
                    "request.to-switch")
    assert back["signature"]["alg"] == "SHA1withRSA" and not signature_ok(back, RING)


def test_a_text_only_wire_loses_a_wrong_json_type():
    body = {**EXAMPLES["cpm.purchase"]["request.to-switch"], "amount": "1250"}
    assert QRC.as_received("cpm.purchase", "request.to-switch", body)["amount"] == 1250
    assert not QRC.carries("timestamp") and QRC.carries("testCaseId")
    assert binding(None, PROFILE).as_received("cpm.purchase", "request.to-switch",
                                              body) == body


def test_profile_1_0_builds_only_the_json_envelope():
    old = load_profile(profile_folder("cn-interconnect/1.0"))
    assert known_bindings(old) == ("qrinterop-json",)
    with pytest.raises(KeyError, match="not built"):
        binding("unionpay-qrc", old)


def test_a_simulator_asked_for_a_binding_its_profile_does_not_build_refuses_to_start():
    config = replace(from_ics(REFERENCE_ICS), binding="unionpay-qrc",
                     profile_dir=str(profile_folder("cn-interconnect/1.0")),
                     key_file=str(REFERENCE_KEYS / "10000001-sm2-2025.key.pem"))
    with pytest.raises(ServiceConfigError, match="binding 'unionpay-qrc' is not built"):
        Institution(config)


def test_an_ics_naming_a_binding_not_built_is_refused_with_what_is_missing(tmp_path):
    ics = tmp_path / "ics.yaml"
    text = REFERENCE_ICS.read_text(encoding="utf-8").replace(
        "launch: reference", "launch: reference\n  binding: netsunion-xml").replace(
        "public_key: keys/", f"public_key: {REFERENCE_ICS.parent}/keys/")
    ics.write_text(text, encoding="utf-8")
    done = run_cli("ics", "check", str(ics))
    assert done.returncode == 1
    assert "binding 'netsunion-xml' is not built" in done.stdout + done.stderr
    assert "netsunion-xml.json" in done.stdout + done.stderr
