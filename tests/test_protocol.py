"""Tests for signing, envelopes, schema validation and profile loading.

Every participant trusts a message only if its SM2 signature verifies and it fits the profile's
schema; a loose check here lets forged or malformed traffic through certification.
"""

from __future__ import annotations

import base64
import copy
import json
import shutil
import stat
from pathlib import Path

import pytest

from qrinterop.profile import DATA_DIR, ProfileError, load_profile, profile_folder
from qrinterop.protocol.crypto import ALGORITHM, SigningKey, key_id
from qrinterop.protocol.envelope import (
    Party,
    canonical_bytes,
    seal,
    signature_ok,
)
from qrinterop.protocol.validation import schema_problems

ACQUIRER_ID = "48020000"
SWITCH_ID = "00010000"
ISSUER_ID = "01020000"
BUNDLED = DATA_DIR / "cn-interconnect" / "1.0"


@pytest.fixture(scope="module")
def key() -> SigningKey:
    return SigningKey.generate()


@pytest.fixture(scope="module")
def other_key() -> SigningKey:
    return SigningKey.generate()


@pytest.fixture(scope="module")
def profile():
    return load_profile()


def purchase_body() -> dict:
    """A CPM purchase body as the acquirer sends it to the switch (cpm.purchase.schema.json)."""
    return {
        "code": "6212345678901234567",
        "amount": 1250,
        "currency": "156",
        "merchant": {"id": "123456789012345", "name": "最佳运输", "mcc": "4111", "city": "北京"},
        "termId": "T0000001",
        "termInfo": {"deviceType": "11", "deviceIp": "127.0.0.1", "encryptRandNum": "234567"},
        "orderNo": "ORD20261201000001",
        "orderTime": "20261201120000",
    }


@pytest.fixture
def message(key) -> dict:
    return seal(Party(ACQUIRER_ID, key), "cpm.purchase.request", SWITCH_ID, purchase_body())


# --- crypto and envelope ---------------------------------------------------------------------

def test_sign_verify_round_trip(key):
    """The basic promise: what a key signs, its public key verifies."""
    data = "付款扫码消费".encode()
    assert key.public.verify(key.sign(data), data)


def test_signature_fails_with_other_key(key, other_key):
    """A message signed by one institution must not pass as another's."""
    data = b"payload"
    assert not other_key.public.verify(key.sign(data), data)


def test_signature_fails_on_other_data(key):
    """The signature is bound to the exact bytes it covers."""
    assert not key.public.verify(key.sign(b"amount=1250"), b"amount=1251")


def test_sealed_message_verifies(message, key, other_key):
    """seal() produces a message the receiver accepts from the sender's key only."""
    assert message["signature"]["alg"] == ALGORITHM
    assert message["signature"]["keyId"] == key.public.id == key_id(key.public.pem)
    assert message["header"]["sender"] == ACQUIRER_ID
    assert signature_ok(message, key.public)
    assert not signature_ok(message, other_key.public)


@pytest.mark.parametrize(("part", "field", "value"), [
    ("body", "amount", 1251),
    ("body", "amount", 125000),
    ("body", "orderNo", "ORD20261201000002"),
    ("header", "msgId", "0" * 24),
    ("header", "receiver", ISSUER_ID),
    ("header", "testCaseId", "TC-CPM-01"),
    ("body", "voucherNum", "20261201000000000001"),
], ids=["amount+1", "amount*100", "orderNo", "msgId", "receiver", "added-header-key",
        "added-body-key"])
def test_any_change_breaks_signature(message, key, part, field, value):
    """Tampering with any signed field, or adding one, must be detected."""
    tampered = copy.deepcopy(message)
    tampered[part][field] = value
    assert not signature_ok(tampered, key.public)


def test_changed_chinese_merchant_name_breaks_signature(message, key):
    """Non-ASCII text is signed as UTF-8; changing one character must break the signature."""
    tampered = copy.deepcopy(message)
    tampered["body"]["merchant"]["name"] = "最佳运送"
    assert not signature_ok(tampered, key.public)


def test_removed_field_breaks_signature(message, key):
    """Dropping a field (e.g. the nonce that defeats replay) is tampering too."""
    tampered = copy.deepcopy(message)
    del tampered["header"]["nonce"]
    assert not signature_ok(tampered, key.public)


def test_key_order_does_not_matter(message, key):
    """Receivers re-serialise canonically, so JSON key order on the wire is irrelevant."""
    reordered = {
        "signature": message["signature"],
        "body": dict(reversed(list(message["body"].items()))),
        "header": dict(reversed(list(message["header"].items()))),
    }
    assert list(reordered["header"]) != list(message["header"])
    assert signature_ok(reordered, key.public)


def test_json_round_trip_keeps_signature(message, key):
    """A message survives the wire (json dumps/loads, with or without ASCII escaping)."""
    for ensure_ascii in (True, False):
        received = json.loads(json.dumps(message, ensure_ascii=ensure_ascii, indent=2))
        assert signature_ok(received, key.public)


def test_canonical_bytes_form():
    """The profile's canonical form: sorted keys, no white space, UTF-8 unescaped."""
    got = canonical_bytes({"b": 1, "a": "北京"}, {"z": [1, 2], "y": {"d": 0, "c": None}})
    assert got == '{"body":{"y":{"c":null,"d":0},"z":[1,2]},"header":{"a":"北京","b":1}}'.encode()


def test_wrong_algorithm_name_is_refused(message, key):
    """A signature labelled with another algorithm is not accepted even if the value is good."""
    relabelled = copy.deepcopy(message)
    relabelled["signature"]["alg"] = "SHA256withRSA"
    assert not signature_ok(relabelled, key.public)


def test_signature_over_other_message_is_refused(key):
    """A valid signature copied from another message does not authenticate this one."""
    first = seal(Party(ACQUIRER_ID, key), "cpm.purchase.request", SWITCH_ID, purchase_body())
    second = seal(Party(ACQUIRER_ID, key), "cpm.purchase.request", SWITCH_ID, purchase_body())
    second["signature"] = first["signature"]
    assert not signature_ok(second, key.public)


def _with_signature(message: dict, signature) -> dict:
    return {**message, "signature": signature}


@pytest.mark.parametrize("make_junk", [
    lambda m: {"header": m["header"], "body": m["body"]},
    lambda m: {"header": m["header"], "signature": m["signature"]},
    lambda m: {"body": m["body"], "signature": m["signature"]},
    lambda m: _with_signature(m, "not-a-dict"),
    lambda m: _with_signature(m, None),
    lambda m: _with_signature(m, {"alg": ALGORITHM}),
    lambda m: _with_signature(m, {**m["signature"], "value": "!!!not base64!!!"}),
    lambda m: _with_signature(m, {**m["signature"], "value": "签名"}),
    lambda m: _with_signature(m, {**m["signature"], "value": 12345}),
    lambda m: _with_signature(m, {**m["signature"], "value": None}),
    lambda m: _with_signature(m, {**m["signature"], "value": ""}),
    lambda m: _with_signature(m, {**m["signature"], "value": "QUJD"}),
    lambda m: _with_signature(m, {**m["signature"], "value": m["signature"]["value"][:-4]}),
    lambda m: {**m, "header": {**m["header"], "nonce": b"bytes"}},
    lambda m: {**m, "header": {1: "non-string key", "a": "b"}},
    lambda m: None,
    lambda m: [m],
    lambda m: "message",
    lambda m: 42,
], ids=["no-signature", "no-body", "no-header", "signature-str", "signature-none",
        "signature-no-value", "value-not-base64", "value-non-ascii", "value-int", "value-none",
        "value-empty", "value-not-der", "value-cut-short",
        "unserialisable-header", "unsortable-header", "none", "list", "str", "int"])
def test_signature_ok_returns_false_for_junk(message, key, make_junk):
    """A receiver checks signatures on untrusted input; junk is refused, never an exception."""
    assert signature_ok(make_junk(message), key.public) is False


def test_corrupted_signature_bytes_are_refused(message, key):
    """A well-formed DER signature whose last byte changed must not verify."""
    raw = bytearray(base64.b64decode(message["signature"]["value"]))
    raw[-1] ^= 0x01
    damaged = _with_signature(message, {**message["signature"],
                                        "value": base64.b64encode(bytes(raw)).decode()})
    assert signature_ok(damaged, key.public) is False


def test_save_and_load_key(tmp_path, key):
    """A key saved to disk and loaded back signs as the original, and only its owner can read it."""
    path = tmp_path / "acquirer.key.pem"
    key.save(path)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert path.read_bytes().startswith(b"-----BEGIN PRIVATE KEY-----")
    loaded = SigningKey.load(path)
    assert loaded.public.pem == key.public.pem
    data = "收款扫码付款".encode()
    assert key.public.verify(loaded.sign(data), data)


# --- profile -------------------------------------------------------------------------------

def test_bundled_profile_loads(profile):
    """The bundled profile is the standard every run certifies against."""
    assert profile.id == "cn-interconnect"
    assert profile.version == "1.1"
    assert load_profile(profile_folder("cn-interconnect/1.0")).version == "1.0"     # kept
    assert {"R-SEC-02", "R-CPM-03"} <= set(profile.requirements)
    for req_id, req in profile.requirements.items():
        assert req["id"] == req_id
        assert req["title"]["en"].strip() and req["title"]["zh"].strip(), req_id


def test_bundled_profile_response_lookup(profile):
    """Response bodies carry the catalogue's Chinese message for a code."""
    assert profile.response("72") == {"respCode": "72", "respMsg": "付款码已使用"}


@pytest.fixture
def profile_copy(tmp_path) -> Path:
    folder = tmp_path / "1.0"
    shutil.copytree(BUNDLED, folder)
    return folder


def test_profile_copy_loads(profile_copy):
    """Control: an unmodified copy loads, so the failures below come from the edits."""
    assert load_profile(profile_copy).folder == profile_copy


def test_profile_invalid_json_names_file(profile_copy):
    """A broken file stops the run with the file named, not a bare JSONDecodeError."""
    path = profile_copy / "requirements.json"
    path.write_text(path.read_text(encoding="utf-8")[:-10], encoding="utf-8")
    with pytest.raises(ProfileError) as info:
        load_profile(profile_copy)
    assert str(path) in str(info.value)
    assert "not valid JSON" in str(info.value)


def test_profile_schema_violation_names_file_and_key(profile_copy):
    """A requirement level outside the schema is reported with the file and the JSON path."""
    path = profile_copy / "requirements.json"
    document = json.loads(path.read_text(encoding="utf-8"))
    document["requirements"][2]["level"] = "sometimes"
    path.write_text(json.dumps(document, ensure_ascii=False), encoding="utf-8")
    with pytest.raises(ProfileError) as info:
        load_profile(profile_copy)
    text = str(info.value)
    assert str(path) in text
    assert "requirements/2/level" in text
    assert "sometimes" in text


def test_profile_missing_manifest_names_file(profile_copy):
    """Without profile.json nothing else can be found; the error says which file is missing."""
    path = profile_copy / "profile.json"
    path.unlink()
    with pytest.raises(ProfileError) as info:
        load_profile(profile_copy)
    assert str(path) in str(info.value)
    assert "not found" in str(info.value)


# --- validation ----------------------------------------------------------------------------

def test_valid_purchase_request_to_switch(profile, message):
    """An acquirer's well-formed purchase request passes on the leg it is sent on."""
    assert schema_problems(profile, message, "to-switch") == []


def test_purchase_request_from_switch_needs_switch_fields(profile, message):
    """The switch must add voucher, settlement date and acquirer before forwarding."""
    problems = schema_problems(profile, message, "from-switch")
    assert len(problems) == 3, problems
    for name in ("voucherNum", "settleDate", "acquirer"):
        assert any(name in p for p in problems), (name, problems)


def test_purchase_request_from_switch_with_switch_fields(profile, key):
    """Control: with the switch's fields added the forwarded request is valid."""
    body = {**purchase_body(), "voucherNum": "20261201000000000001", "settleDate": "1201",
            "acquirer": ACQUIRER_ID}
    forwarded = seal(Party(SWITCH_ID, key), "cpm.purchase.request", ISSUER_ID, body)
    assert schema_problems(profile, forwarded, "from-switch") == []


def test_amount_as_decimal_string_is_a_problem(profile, key):
    """Amounts are integer fen; "12.50" invites rounding disagreements between implementations."""
    body = {**purchase_body(), "amount": "12.50"}
    sealed = seal(Party(ACQUIRER_ID, key), "cpm.purchase.request", SWITCH_ID, body)
    problems = schema_problems(profile, sealed, "to-switch")
    assert problems and all(p.startswith("body/amount") for p in problems), problems


@pytest.mark.parametrize(("field", "value"), [
    ("termId", "T-000001"),
    ("orderNo", "ORD1"),
    ("orderTime", "2026-12-01 12:00"),
    ("code", "62ABC"),
    ("currency", "CNY"),
    ("amount", 0),
], ids=lambda v: str(v))
def test_body_field_format_problems(profile, key, field, value):
    """Each common data element's format is enforced and reported at its path."""
    body = {**purchase_body(), field: value}
    sealed = seal(Party(ACQUIRER_ID, key), "cpm.purchase.request", SWITCH_ID, body)
    problems = schema_problems(profile, sealed, "to-switch")
    assert problems and all(p.startswith(f"body/{field}") for p in problems), problems


def test_header_problem_is_reported(profile, message):
    """The envelope is validated too: a sender that is not an 8-digit institution code fails."""
    broken = copy.deepcopy(message)
    broken["header"]["sender"] = "ACQ1"
    problems = schema_problems(profile, broken, "to-switch")
    assert problems and all(p.startswith("header/sender") for p in problems), problems


def test_unknown_message_type_is_one_problem(profile, message):
    """A message type the profile does not define yields exactly one problem that names it."""
    unknown = copy.deepcopy(message)
    unknown["header"]["msgType"] = "cpm.teleport.request"
    problems = schema_problems(profile, unknown, "to-switch")
    assert len(problems) == 1
    assert "cpm.teleport.request" in problems[0]


@pytest.mark.parametrize("junk", [None, [], "text", {"body": {}}, {"header": "x"}],
                         ids=["none", "list", "str", "no-header", "header-str"])
def test_non_message_is_one_problem(profile, junk):
    """Anything that is not an object with a header is reported, not raised."""
    assert len(schema_problems(profile, junk, "to-switch")) == 1


def _response(key, body: dict) -> dict:
    return seal(Party(ISSUER_ID, key), "cpm.purchase.response", SWITCH_ID, body)


def test_approved_response_needs_voucher(profile, key):
    """An approval (00) without the voucher cannot be reconciled, so it is malformed."""
    body = {"respCode": "00", "respMsg": "成功", "amount": 1250, "currency": "156",
            "payerAccountType": "debit"}
    problems = schema_problems(profile, _response(key, body), "to-switch")
    assert len(problems) == 1 and "voucherNum" in problems[0], problems


def test_approved_response_with_voucher(profile, key):
    """Control: the same approval with its voucher is valid."""
    body = {"respCode": "00", "respMsg": "成功", "amount": 1250, "currency": "156",
            "voucherNum": "20261201000000000001", "payerAccountType": "debit"}
    assert schema_problems(profile, _response(key, body), "to-switch") == []


def test_declined_response_needs_only_code_and_message(profile, key):
    """A decline (72, code already used) carries no voucher or amount and is still valid."""
    body = profile.response("72")
    assert schema_problems(profile, _response(key, body), "to-switch") == []


def test_saving_over_an_existing_file_makes_it_private(tmp_path, key):
    """A private key written over a world-readable file must not stay world-readable."""
    path = tmp_path / "key.pem"
    path.write_text("old")
    path.chmod(0o644)
    key.save(path)
    assert path.stat().st_mode & 0o777 == 0o600
