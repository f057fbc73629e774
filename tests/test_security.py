"""Tests for the profile's security layer: the JCS canonical form, SM2 and RSA signatures, key
rotation, replay protection, field encryption and the diagnosis of refused signatures.

Signatures only interoperate if every institution signs the same bytes with the same
algorithm; these tests hold the canonical form to RFC 8785's own examples and the SM2 code to
gmssl, an independent implementation, in both directions.
"""

from __future__ import annotations

import base64
import copy
import json
from datetime import datetime, timedelta

import pytest
from Cryptodome.Util.asn1 import DerOctetString, DerSequence
from cryptography.hazmat.primitives import serialization as rsa_serialization
from cryptography.hazmat.primitives.asymmetric import ec as nist_ec
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes
from gmssl import sm2 as gmssl_sm2
from hypothesis import given
from hypothesis import strategies as st
from tongsuopy.crypto.asymciphers import ec
from tongsuopy.crypto.ciphers.aead import SM4GCM

from qrinterop.protocol.canonical import CanonicalFormError, canonicalize, strict_loads
from qrinterop.protocol.crypto import (
    RSA_ALGORITHM,
    SM2_ALGORITHM,
    KeyFormatError,
    SigningKey,
    VerifyKey,
)
from qrinterop.protocol.diagnose import der_problem, diagnose
from qrinterop.protocol.envelope import BEIJING, Party, canonical_bytes, seal, signature_ok
from qrinterop.protocol.fields import FieldDecryptionError, decrypt_field, encrypt_field
from qrinterop.protocol.keyring import KeyRing, UnknownKeyId, UnknownSender, registered
from qrinterop.protocol.replay import (
    BAD_TIMESTAMP,
    FUTURE,
    OK,
    REUSED,
    STALE,
    ReplayGuard,
)

ACQUIRER_ID = "48020000"
SWITCH_ID = "00010000"
ISSUER_ID = "01020000"
NOON = datetime(2026, 12, 1, 12, 0, tzinfo=BEIJING)


def purchase_body() -> dict:
    return {"code": "6212345678901234567", "amount": 1250, "currency": "156",
            "merchant": {"id": "123456789012345", "name": "最佳运输", "mcc": "4111",
                         "city": "北京"},
            "termId": "T0000001", "orderNo": "ORD20261201000001", "orderTime": "20261201120000"}


@pytest.fixture(scope="module")
def sm2_key() -> SigningKey:
    return SigningKey.generate()


@pytest.fixture(scope="module")
def rsa_key() -> SigningKey:
    return SigningKey.generate(RSA_ALGORITHM)


@pytest.fixture(scope="module")
def other_sm2_key() -> SigningKey:
    return SigningKey.generate()


@pytest.fixture(params=[SM2_ALGORITHM, RSA_ALGORITHM])
def any_key(request, sm2_key, rsa_key) -> SigningKey:
    return sm2_key if request.param == SM2_ALGORITHM else rsa_key


def sealed(key: SigningKey, body: dict | None = None, key_id: str | None = None) -> dict:
    return seal(Party(ACQUIRER_ID, key, key_id), "cpm.purchase.request", SWITCH_ID,
                body or purchase_body())


def ring_of(*keys: SigningKey, sender: str = ACQUIRER_ID) -> KeyRing:
    ring = KeyRing()
    for key in keys:
        ring.add(sender, key.public)
    return ring


# --- RFC 8785 canonical form ---------------------------------------------------------------

def test_rfc8785_sorting_example_uses_utf16_code_units():
    """RFC 8785 §3.2.3: the emoji (UTF-16 D83D DE00) sorts before U+FB33, although its code
    point is larger, so code-point sorting (json.dumps sort_keys) gets this wrong."""
    value = {"\u20ac": "Euro Sign", "\r": "Carriage Return",
             "\ufb33": "Hebrew Letter Dalet With Dagesh", "1": "One",
             "\U0001f600": "Emoji: Grinning Face", "\u0080": "Control",
             "\u00f6": "Latin Small Letter O With Diaeresis"}
    expected = ('{"\\r":"Carriage Return","1":"One","\u0080":"Control",'
                '"\u00f6":"Latin Small Letter O With Diaeresis","\u20ac":"Euro Sign",'
                '"\U0001f600":"Emoji: Grinning Face","\ufb33":"Hebrew Letter Dalet With Dagesh"}')
    assert canonicalize(value) == expected.encode("utf-8")
    assert canonicalize(value) != json.dumps(value, sort_keys=True, separators=(",", ":"),
                                             ensure_ascii=False).encode()


def test_rfc8785_main_example_without_its_numbers():
    """RFC 8785 §3.2.2's example, minus the float array the profile does not allow: literals
    and the string with every escaping rule (€ literal, U+000F as \\u000f, \\n, \\" and \\\\,
    '/' unescaped)."""
    text = ('{"string": "\\u20ac$\\u000F\\u000aA\'\\u0042\\u0022\\u005c\\\\\\"\\/",'
            ' "literals": [null, true, false]}')
    expected = '{"literals":[null,true,false],"string":"€$\\u000f\\nA\'B\\"\\\\\\\\\\"/"}'
    assert canonicalize(json.loads(text)) == expected.encode("utf-8")


def test_rfc8785_main_example_numbers_are_refused_with_their_path():
    """The profile's numbers are integers; a float is refused where it is, not rounded."""
    value = json.loads('{"numbers": [333333333.33333329, 1E30, 4.50], "literals": [null]}')
    with pytest.raises(CanonicalFormError) as info:
        canonicalize(value)
    assert info.value.path == ["numbers", "0"]
    assert "float" in str(info.value) and str(info.value).startswith("numbers/0: ")


@pytest.mark.parametrize(("char", "escaped"), [
    ("\b", "\\b"), ("\t", "\\t"), ("\n", "\\n"), ("\f", "\\f"), ("\r", "\\r"),
    ("\x00", "\\u0000"), ("\x1f", "\\u001f"), ("\x0b", "\\u000b"), ('"', '\\"'),
    ("\\", "\\\\"), ("/", "/"), ("\x7f", "\x7f"), ("\u2028", "\u2028"), ("é", "é"),
    ("\U0001f600", "\U0001f600"),
], ids=repr)
def test_rfc8785_string_escaping(char, escaped):
    """RFC 8785 §3.2.2.2: short escapes where JSON has them, \\u00xx (lower case) for the
    other controls, every other character literally in UTF-8."""
    assert canonicalize(char) == f'"{escaped}"'.encode()


@pytest.mark.parametrize(("value", "text"), [
    (0, "0"), (-1, "-1"), (2**53 - 1, "9007199254740991"), (-(2**53 - 1), "-9007199254740991"),
    (True, "true"), (None, "null"), ([], "[]"), ({}, "{}"), ([1, [2, {}]], "[1,[2,{}]]"),
])
def test_rfc8785_integers_and_literals(value, text):
    """Integers in I-JSON's safe range are written as decimal digits, as ES6 would."""
    assert canonicalize(value) == text.encode()


@pytest.mark.parametrize(("value", "path", "words"), [
    ({"amount": 12.5}, ["amount"], "float"),
    ({"a": [1, 2**53]}, ["a", "1"], "2**53"),
    ({"a": {"b": -(2**53)}}, ["a", "b"], "2**53"),
    ({"s": "\ud800"}, ["s"], "surrogate"),
    ({"x": {1: "a"}}, ["x"], "not a string"),
    ({"b": b"bytes"}, ["b"], "bytes"),
], ids=["float", "big-int", "big-negative", "lone-surrogate", "int-key", "bytes"])
def test_values_without_canonical_form_are_refused(value, path, words):
    with pytest.raises(CanonicalFormError) as info:
        canonicalize(value)
    assert info.value.path == path and words in str(info.value)


def test_hostile_nesting_is_refused_not_a_crash(sm2_key):
    """json.loads accepts nesting deeper than a recursive serialiser can walk; a receiver
    must refuse such a message, not die in its signature check."""
    deep = json.loads("[" * 900 + "]" * 900)
    with pytest.raises(CanonicalFormError, match="nested too deeply"):
        canonicalize(deep)
    message = sealed(sm2_key)
    message["body"]["memo"] = deep
    assert signature_ok(message, sm2_key.public) is False
    assert [p.code for p in diagnose(message, ring_of(sm2_key))] == ["not-canonicalisable"]


_json_values = st.recursive(
    st.none() | st.booleans() | st.integers(-(2**53 - 1), 2**53 - 1) | st.text(),
    lambda inner: st.lists(inner, max_size=4)
    | st.dictionaries(st.text(st.characters(max_codepoint=0xFFFF, exclude_categories=["Cs"])),
                      inner, max_size=4),
    max_leaves=20)


@given(_json_values)
def test_jcs_matches_sorted_compact_json_for_bmp_keys(value):
    """With keys inside the BMP, JCS is the compact sorted json.dumps the profile used
    before, so the change of canonical form breaks no honest signer; and it parses back."""
    legacy = json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    assert canonicalize(value) == legacy.encode("utf-8")
    assert json.loads(canonicalize(value)) == value


def test_strict_loads_refuses_duplicate_member_names():
    """Two parsers may keep different duplicates, so a duplicate could hide what was signed."""
    assert strict_loads('{"a": 1, "b": {"c": 2}}') == {"a": 1, "b": {"c": 2}}
    with pytest.raises(ValueError, match="'amount'"):
        strict_loads('{"body": {"amount": 1, "amount": 100000}}')


# --- algorithms and keys -------------------------------------------------------------------

def test_sign_verify_each_algorithm(any_key):
    data = "付款扫码消费".encode()
    assert any_key.public.algorithm == any_key.algorithm
    assert any_key.public.verify(any_key.sign(data), data)
    assert not any_key.public.verify(any_key.sign(data), data + b" ")


def test_sealed_message_names_its_algorithm(any_key, rsa_key, sm2_key):
    message = sealed(any_key)
    other = sm2_key if any_key is rsa_key else rsa_key
    assert message["signature"]["alg"] == any_key.algorithm
    assert signature_ok(message, any_key.public)
    assert not signature_ok(message, other.public)


def test_rsa_signature_is_pkcs1_v15_sha256(rsa_key):
    """SHA256withRSA means PKCS#1 v1.5 padding: check with cryptography directly."""
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.asymmetric import padding
    data = b"amount=1250"
    public = rsa_serialization.load_pem_public_key(rsa_key.public.pem)
    public.verify(base64.b64decode(rsa_key.sign(data)), data, padding.PKCS1v15(),
                  hashes.SHA256())
    assert rsa_key.public.key_size == 2048


@pytest.mark.parametrize(("label", "key_algorithm"), [
    (RSA_ALGORITHM, SM2_ALGORITHM), (SM2_ALGORITHM, RSA_ALGORITHM)])
def test_alg_label_must_match_the_key(sm2_key, rsa_key, label, key_algorithm):
    """A good signature relabelled with the other algorithm is refused: the key decides."""
    key = sm2_key if key_algorithm == SM2_ALGORITHM else rsa_key
    message = sealed(key)
    message["signature"]["alg"] = label
    assert not signature_ok(message, key.public)


def test_save_and_load_both_kinds(tmp_path, any_key):
    path = tmp_path / "key.pem"
    any_key.save(path)
    loaded = SigningKey.load(path)
    assert loaded.algorithm == any_key.algorithm and loaded.public == any_key.public
    public_path = tmp_path / "key.pub.pem"
    public_path.write_bytes(any_key.public.pem)
    assert VerifyKey.load(public_path).algorithm == any_key.algorithm


def test_generate_refuses_weak_rsa_and_unknown_algorithms():
    with pytest.raises(ValueError, match="2048"):
        SigningKey.generate(RSA_ALGORITHM, rsa_bits=1024)
    with pytest.raises(ValueError, match="SHA1withRSA"):
        SigningKey.generate("SHA1withRSA")


def _pem(key, private: bool) -> bytes:
    if private:
        return key.private_bytes(rsa_serialization.Encoding.PEM,
                                 rsa_serialization.PrivateFormat.PKCS8,
                                 rsa_serialization.NoEncryption())
    return key.public_key().public_bytes(rsa_serialization.Encoding.PEM,
                                         rsa_serialization.PublicFormat.SubjectPublicKeyInfo)


def test_key_format_errors_say_what_is_wrong(sm2_key, rsa_key, tmp_path):
    """Each wrong PEM gets its own one-line reason, for the CLI to show with the file name."""
    weak = rsa.generate_private_key(public_exponent=65537, key_size=1024)
    p256 = nist_ec.generate_private_key(nist_ec.SECP256R1())
    private_sm2 = tmp_path / "k.pem"
    sm2_key.save(private_sm2)
    encrypted = weak.private_bytes(rsa_serialization.Encoding.PEM,
                                   rsa_serialization.PrivateFormat.PKCS8,
                                   rsa_serialization.BestAvailableEncryption(b"pw"))
    cases = [
        (lambda: VerifyKey.from_pem(b"hello"), "not a PEM key"),
        (lambda: VerifyKey.from_pem(private_sm2.read_bytes()), "a private key"),
        (lambda: SigningKey.from_pem(sm2_key.public.pem), "a public key"),
        (lambda: VerifyKey.from_pem(_pem(weak, private=False)), "1024 bits"),
        (lambda: SigningKey.from_pem(_pem(weak, private=True)), "1024 bits"),
        (lambda: VerifyKey.from_pem(_pem(p256, private=False)), "secp256r1"),
        (lambda: SigningKey.from_pem(encrypted), "encrypted"),
        (lambda: VerifyKey.from_pem(b"-----BEGIN CERTIFICATE-----\nAAAA\n"), "CERTIFICATE"),
        (lambda: VerifyKey.from_pem(b"-----BEGIN PUBLIC KEY-----\nAAAA\n"
                                    b"-----END PUBLIC KEY-----\n"), "damaged"),
    ]
    for make, words in cases:
        with pytest.raises(KeyFormatError, match=words):
            make()


def test_junk_registered_key_fails_closed(sm2_key):
    """A receiver configured with a broken PEM refuses everything rather than crashing."""
    assert signature_ok(sealed(sm2_key), VerifyKey(b"not a key")) is False


# --- gmssl cross-checks ----------------------------------------------------------------------

@pytest.fixture(scope="module")
def gmssl_pair() -> tuple[SigningKey, gmssl_sm2.CryptSM2]:
    """One SM2 key, as ours and as gmssl's ``CryptSM2``. gmssl wants the private key as 64 hex
    digits and the public key as 128 hex digits x‖y; ``asn1=True`` makes its signatures DER
    (hex). It strips a leading "04" with ``str.lstrip``, which also eats leading '0' and '4'
    digits of x, so keys whose x begins with "04" are skipped."""
    while True:
        private = ec.generate_private_key(ec.SM2())
        numbers = private.public_key().public_numbers()
        public_hex = f"{numbers.x:064x}{numbers.y:064x}"
        if not public_hex.startswith("04"):
            break
    theirs = gmssl_sm2.CryptSM2(private_key=f"{private.private_numbers().private_value:064x}",
                                public_key=public_hex, asn1=True)
    return SigningKey(private), theirs


def test_qrinterop_signature_verifies_with_gmssl(gmssl_pair):
    """What we sign over the canonical form, gmssl verifies (default user ID 1234567812345678)."""
    ours, theirs = gmssl_pair
    message = sealed(ours)
    data = canonical_bytes(message["header"], message["body"])
    der_hex = base64.b64decode(message["signature"]["value"]).hex()
    assert theirs.verify_with_sm3(der_hex, data)
    assert not theirs.verify_with_sm3(der_hex, data + b" ")


def test_gmssl_signature_verifies_with_qrinterop(gmssl_pair):
    """A message signed by gmssl passes our receiver's check, and not once altered."""
    ours, theirs = gmssl_pair
    message = sealed(ours)
    data = canonical_bytes(message["header"], message["body"])
    message["signature"]["value"] = base64.b64encode(
        bytes.fromhex(theirs.sign_with_sm3(data))).decode()
    assert signature_ok(message, ours.public)
    message["body"]["amount"] += 1
    assert not signature_ok(message, ours.public)


def _der_to_c1c3c2(der: bytes) -> bytes:
    x, y, c3, c2 = DerSequence().decode(der)
    return (x.to_bytes(32, "big") + y.to_bytes(32, "big") + DerOctetString().decode(c3).payload
            + DerOctetString().decode(c2).payload)


def _c1c3c2_to_der(raw: bytes) -> bytes:
    return DerSequence([int.from_bytes(raw[:32], "big"), int.from_bytes(raw[32:64], "big"),
                        DerOctetString(raw[64:96]), DerOctetString(raw[96:])]).encode()


def test_sm2_encryption_interoperates_with_gmssl(gmssl_pair):
    """The SM2 key wrapping reads gmssl's ciphertexts and gmssl reads ours (GM/T 0009 DER
    here, raw C1‖C3‖C2 in gmssl)."""
    ours, theirs = gmssl_pair
    theirs_c1c3c2 = gmssl_sm2.CryptSM2(private_key=theirs.private_key,
                                       public_key=theirs.public_key, mode=1)
    secret = bytes(range(16))
    assert ours.decrypt(_c1c3c2_to_der(theirs_c1c3c2.encrypt(secret))) == secret
    assert theirs_c1c3c2.decrypt(_der_to_c1c3c2(ours.public.encrypt(secret))) == secret


def test_sm4_gcm_matches_rfc8998_vector():
    """RFC 8998 Appendix A.1, the SM4-GCM test vector the field encryption relies on."""
    key = bytes.fromhex("0123456789ABCDEFFEDCBA9876543210")
    encryptor = Cipher(algorithms.SM4(key), modes.GCM(bytes.fromhex("00001234567800000000ABCD"))
                       ).encryptor()
    encryptor.authenticate_additional_data(
        bytes.fromhex("FEEDFACEDEADBEEFFEEDFACEDEADBEEFABADDAD2"))
    plain = bytes.fromhex("AAAAAAAAAAAAAAAABBBBBBBBBBBBBBBBCCCCCCCCCCCCCCCCDDDDDDDDDDDDDDDD"
                          "EEEEEEEEEEEEEEEEFFFFFFFFFFFFFFFFEEEEEEEEEEEEEEEEAAAAAAAAAAAAAAAA")
    cipher = encryptor.update(plain) + encryptor.finalize()
    assert cipher.hex().upper() == (
        "17F399F08C67D5EE19D0DC9969C4BB7D5FD46FD3756489069157B282BB200735"
        "D82710CA5C22F0CCFA7CBF93D496AC15A56834CBCF98C397B4024A2691233B8D")
    assert encryptor.tag.hex().upper() == "83DE3541E4C2B58177E065A9BF7B62EC"


# --- key rings and rotation ----------------------------------------------------------------

def test_rotation_picks_the_key_named_by_key_id(sm2_key, other_sm2_key):
    """During a rotation the sender has two keys; each message verifies with the one its
    keyId names, and signing with the new key under the old label fails."""
    ring = KeyRing()
    ring.add(ACQUIRER_ID, sm2_key.public, "2025-key")
    ring.add(ACQUIRER_ID, other_sm2_key.public, "2026-key")
    old, new = sealed(sm2_key, key_id="2025-key"), sealed(other_sm2_key, key_id="2026-key")
    assert signature_ok(old, ring) and signature_ok(new, ring)
    assert ring.key_for(new) == other_sm2_key.public
    mislabelled = sealed(other_sm2_key, key_id="2025-key")
    assert not signature_ok(mislabelled, ring)
    assert [p.code for p in diagnose(mislabelled, ring)] == ["wrong-key"]


def test_retired_key_is_an_unknown_key_id(sm2_key, other_sm2_key):
    ring = ring_of(sm2_key, other_sm2_key)
    ring.retire(ACQUIRER_ID, sm2_key.public.id)
    message = sealed(sm2_key)
    assert not signature_ok(message, ring)
    with pytest.raises(UnknownKeyId) as info:
        ring.key_for(message)
    assert info.value.known == (other_sm2_key.public.id,)


def test_unknown_sender_and_bad_shapes_are_refused(sm2_key):
    ring = ring_of(sm2_key, sender=ISSUER_ID)
    with pytest.raises(UnknownSender):
        ring.key_for(sealed(sm2_key))
    for junk in (None, [], {"header": "x"}, {"header": {"sender": ISSUER_ID}}):
        assert signature_ok(junk, ring) is False


def test_key_ring_from_network_registrations(sm2_key, other_sm2_key, rsa_key):
    """The shape the runner writes to network.json: id, and keys, each with its key ID,
    algorithm and PEM text; during a rotation a participant has several."""
    ring = KeyRing.from_registrations([
        {"id": ACQUIRER_ID, "keys": [registered("a1", sm2_key.public),
                                     registered("a2", other_sm2_key.public)]},
        {"id": ISSUER_ID, "keys": [registered(rsa_key.public.id, rsa_key.public)]}])
    assert ring.key_ids(ACQUIRER_ID) == ("a1", "a2")
    assert ring.key_ids(ISSUER_ID) == (rsa_key.public.id,)
    assert signature_ok(sealed(sm2_key, key_id="a1"), ring)
    assert signature_ok(sealed(other_sm2_key, key_id="a2"), ring)
    assert not signature_ok(sealed(sm2_key, key_id="a2"), ring)


def test_a_registration_that_misstates_its_algorithm_is_refused(sm2_key):
    entry = {**registered("a1", sm2_key.public), "algorithm": "SHA256withRSA"}
    with pytest.raises(ValueError, match="registered as SHA256withRSA but is a SM3withSM2 key"):
        KeyRing.from_registrations([{"id": ACQUIRER_ID, "keys": [entry]}])


def test_a_key_id_cannot_be_reused_for_another_key(sm2_key, other_sm2_key):
    ring = ring_of(sm2_key)
    ring.add(ACQUIRER_ID, sm2_key.public)          # the same key again is harmless
    with pytest.raises(ValueError, match="different key"):
        ring.add(ACQUIRER_ID, other_sm2_key.public, sm2_key.public.id)


# --- replay guard ------------------------------------------------------------------------------

def stamp(seconds: float) -> str:
    return (NOON + timedelta(seconds=seconds)).isoformat(timespec="milliseconds")


@pytest.mark.parametrize(("offset", "status"), [
    (0, OK), (-300, OK), (300, OK), (-300.001, STALE), (300.001, FUTURE), (-3600, STALE),
    (86400, FUTURE)])
def test_timestamp_window(offset, status):
    """±300 s by default, both edges included."""
    verdict = ReplayGuard().check(ACQUIRER_ID, stamp(offset), "n1", NOON)
    assert verdict.status == status
    assert verdict.ok == (status == OK)


def test_window_is_configurable():
    guard = ReplayGuard(window_s=10)
    assert guard.check(ACQUIRER_ID, stamp(-11), "n1", NOON).status == STALE
    assert guard.check(ACQUIRER_ID, stamp(-9), "n2", NOON).ok


def test_reused_nonce_is_refused_per_sender():
    guard = ReplayGuard()
    assert guard.check(ACQUIRER_ID, stamp(0), "n1", NOON).ok
    again = guard.check(ACQUIRER_ID, stamp(1), "n1", NOON + timedelta(seconds=1))
    assert again.status == REUSED and "n1" in again.detail
    assert guard.check(ISSUER_ID, stamp(1), "n1", NOON).ok


def test_unrecorded_check_does_not_burn_the_nonce():
    """A forged message (bad signature) must not make the honest one look like a replay."""
    guard = ReplayGuard()
    assert guard.check(ACQUIRER_ID, stamp(0), "n1", NOON, record=False).ok
    assert guard.check(ACQUIRER_ID, stamp(0), "n1", NOON).ok
    assert guard.remembered(ACQUIRER_ID) == 1


def test_nonces_are_forgotten_once_they_could_only_be_stale():
    guard = ReplayGuard(window_s=300)
    for n in range(5):
        guard.check(ACQUIRER_ID, stamp(n), f"n{n}", NOON)
    assert guard.remembered(ACQUIRER_ID) == 5
    later = NOON + timedelta(seconds=303.5)
    assert guard.check(ACQUIRER_ID, stamp(303), "fresh", later).ok
    assert guard.remembered(ACQUIRER_ID) == 2      # n4 and the fresh one
    assert guard.check(ACQUIRER_ID, stamp(0), "n0", later).status == STALE


def test_full_memory_raises_the_floor_instead_of_forgetting_silently():
    """Beyond max_nonces the oldest nonce is dropped, and anything as old is now stale, so a
    replay of it cannot slip through."""
    guard = ReplayGuard(max_nonces=3)
    for n in range(4):
        assert guard.check(ACQUIRER_ID, stamp(n), f"n{n}", NOON).ok
    assert guard.remembered(ACQUIRER_ID) == 3
    replay = guard.check(ACQUIRER_ID, stamp(0), "n0", NOON)
    assert replay.status == STALE and "memory full" in replay.detail
    assert guard.check(ACQUIRER_ID, stamp(2), "n2", NOON).status == REUSED
    assert guard.check(ACQUIRER_ID, stamp(5), "n5", NOON).ok


@pytest.mark.parametrize("timestamp", ["2026-12-01T12:00:00", "yesterday", "", 12])
def test_unreadable_or_naive_timestamps(timestamp):
    assert ReplayGuard().check(ACQUIRER_ID, timestamp, "n1", NOON).status == BAD_TIMESTAMP


def test_guard_arguments_are_checked():
    with pytest.raises(ValueError):
        ReplayGuard(window_s=-1)
    with pytest.raises(ValueError):
        ReplayGuard(max_nonces=0)


# --- field encryption --------------------------------------------------------------------

ACCOUNT = {"accountNo": "6222020200112233445", "name": "张三", "bank": "工商银行"}


def test_field_round_trip(any_key):
    encrypted = encrypt_field(ACCOUNT, any_key.public)
    assert set(encrypted) == {"alg", "keyId", "wrappedKey", "iv", "ciphertext"}
    assert encrypted["keyId"] == any_key.public.id
    assert "6222" not in json.dumps(encrypted) and "张三" not in json.dumps(encrypted)
    assert decrypt_field(encrypted, any_key) == ACCOUNT
    assert encrypt_field(ACCOUNT, any_key.public)["ciphertext"] != encrypted["ciphertext"]


def test_field_algorithms_and_custom_key_id(sm2_key, rsa_key):
    assert encrypt_field(ACCOUNT, sm2_key.public)["alg"] == "SM2+SM4-GCM"
    assert encrypt_field(ACCOUNT, rsa_key.public)["alg"] == "RSA-OAEP-SHA256+SM4-GCM"
    encrypted = encrypt_field(ACCOUNT, sm2_key.public, key_id="enc-2026")
    assert decrypt_field(encrypted, sm2_key, key_id="enc-2026") == ACCOUNT
    with pytest.raises(FieldDecryptionError, match="enc-2026"):
        decrypt_field(encrypted, sm2_key)


def test_field_ciphertext_is_sm4_gcm_readable_by_tongsuo(sm2_key):
    """Cross-check the SM4-GCM layer against Tongsuo's own SM4GCM implementation."""
    encrypted = encrypt_field(ACCOUNT, sm2_key.public)
    field_key = sm2_key.decrypt(base64.b64decode(encrypted["wrappedKey"]))
    aad = canonicalize({"alg": encrypted["alg"], "keyId": encrypted["keyId"]})
    plain = SM4GCM(field_key).decrypt(base64.b64decode(encrypted["iv"]),
                                      base64.b64decode(encrypted["ciphertext"]), aad)
    assert json.loads(plain) == ACCOUNT


def _flip_last_byte(text: str) -> str:
    raw = bytearray(base64.b64decode(text))
    raw[-1] ^= 1
    return base64.b64encode(bytes(raw)).decode()


@pytest.mark.parametrize(("tamper", "words"), [
    (lambda e, other: {**e, "ciphertext": _flip_last_byte(e["ciphertext"])}, "altered"),
    (lambda e, other: {**e, "iv": _flip_last_byte(e["iv"])}, "altered"),
    (lambda e, other: {**e, "wrappedKey": other["wrappedKey"]}, "altered"),
    (lambda e, other: {**e, "wrappedKey": _flip_last_byte(e["wrappedKey"])}, "altered"),
    (lambda e, other: {**e, "alg": "RSA-OAEP-SHA256+SM4-GCM"}, "RSA-OAEP"),
    (lambda e, other: {**e, "alg": "AES-GCM"}, "unknown"),
    (lambda e, other: {**e, "keyId": "someone-else"}, "someone-else"),
    (lambda e, other: {**e, "iv": "!!"}, "base64"),
    (lambda e, other: {**e, "iv": base64.b64encode(b"short").decode()}, "12 bytes"),
    (lambda e, other: {k: v for k, v in e.items() if k != "iv"}, "exactly the members"),
    (lambda e, other: "6222020200112233445", "exactly the members"),
], ids=["ciphertext", "iv", "swapped-wrapped-key", "wrapped-key-bit", "relabelled-alg",
        "unknown-alg", "relabelled-key-id", "iv-not-base64", "iv-short", "missing-iv",
        "plain-string"])
def test_field_tampering_is_detected(sm2_key, tamper, words):
    encrypted = encrypt_field(ACCOUNT, sm2_key.public)
    other = encrypt_field(ACCOUNT, sm2_key.public)
    with pytest.raises(FieldDecryptionError, match=words):
        decrypt_field(tamper(encrypted, other), sm2_key)


def test_field_for_another_recipient_cannot_be_opened(sm2_key, other_sm2_key):
    encrypted = encrypt_field(ACCOUNT, other_sm2_key.public, key_id=sm2_key.public.id)
    with pytest.raises(FieldDecryptionError, match="altered"):
        decrypt_field(encrypted, sm2_key)


# --- diagnosis ---------------------------------------------------------------------------

def resigned(message: dict, key: SigningKey, data: bytes) -> dict:
    """``message`` with its signature replaced by ``key``'s signature over ``data``."""
    changed = copy.deepcopy(message)
    changed["signature"]["value"] = key.sign(data)
    return changed


def codes(message: object, ring: KeyRing, **kwargs) -> list[str]:
    return [problem.code for problem in diagnose(message, ring, **kwargs)]


def test_valid_message_has_no_problems(any_key):
    message = sealed(any_key)
    assert diagnose(message, ring_of(any_key), ReplayGuard()) == []


@pytest.mark.parametrize(("form", "make"), [
    ("\\uXXXX", lambda m: json.dumps({"body": m["body"], "header": m["header"]},
                                      sort_keys=True, separators=(",", ":")).encode()),
    ("header alone", lambda m: canonicalize(m["header"])),
    ("body alone", lambda m: canonicalize(m["body"])),
    ("not sorted", lambda m: json.dumps({"header": m["header"], "body": m["body"]},
                                        separators=(",", ":"), ensure_ascii=False).encode()),
    ("default separators", lambda m: json.dumps({"body": m["body"], "header": m["header"]},
                                                sort_keys=True, ensure_ascii=False).encode()),
    ("indent 2, keys as received", lambda m: json.dumps(
        {"header": m["header"], "body": m["body"]}, indent=2, ensure_ascii=False).encode()),
    ("indent 4, keys sorted, non-ASCII escaped, final newline", lambda m: (json.dumps(
        {"header": m["header"], "body": m["body"]}, indent=4, sort_keys=True) + "\n").encode()),
    ("PHP", lambda m: json.dumps({"body": m["body"], "header": m["header"]}, sort_keys=True,
                                 separators=(",", ":")).replace("/", "\\/").encode()),
])
def test_non_canonical_form_is_named(any_key, form, make):
    """The commonest interop failure: the right key over the wrong bytes."""
    message = sealed(any_key, body={**purchase_body(), "notifyUrl": "https://a.example/n"})
    wrong = resigned(message, any_key, make(message))
    problems = diagnose(wrong, ring_of(any_key))
    assert [p.code for p in problems] == ["wrong-canonical-form"], problems
    assert form in problems[0].message and "RFC 8785" in problems[0].message
    assert problems[0].path == "signature/value"


def test_code_point_key_order_is_named(sm2_key):
    """A signer sorting keys by code point differs from JCS only with non-BMP characters."""
    body = {**purchase_body(), "memo": {"\U0001f600": "a", "\ufb33": "b"}}
    message = sealed(sm2_key, body=body)
    wrong = resigned(message, sm2_key, json.dumps(
        {"body": body, "header": message["header"]}, sort_keys=True, separators=(",", ":"),
        ensure_ascii=False).encode())
    problems = diagnose(wrong, ring_of(sm2_key))
    assert [p.code for p in problems] == ["wrong-canonical-form"]
    assert "code point" in problems[0].message


def _mutate(message: dict, part: str, name: str, value: object) -> dict:
    changed = copy.deepcopy(message)
    changed[part][name] = value
    return changed


def test_each_failure_cause_has_its_own_code(sm2_key, rsa_key, other_sm2_key):
    message = sealed(sm2_key)
    ring = ring_of(sm2_key, other_sm2_key)
    signature = base64.b64decode(message["signature"]["value"])
    cases = {
        "unknown-algorithm": _mutate(message, "signature", "alg", "SHA1withRSA"),
        "algorithm-mismatch": _mutate(message, "signature", "alg", RSA_ALGORITHM),
        "unknown-sender": _mutate(message, "header", "sender", ISSUER_ID),
        "unknown-key-id": _mutate(message, "signature", "keyId", "nope"),
        "signature-not-base64": _mutate(message, "signature", "value", "!!!"),
        "signature-not-der": _mutate(message, "signature", "value",
                                     base64.b64encode(signature[:-3]).decode()),
        "bad-signature": _mutate(message, "body", "amount", 1251),
        "wrong-key": resigned(message, other_sm2_key, canonical_bytes(message["header"],
                                                                      message["body"])),
        "not-canonicalisable": _mutate(message, "body", "amount", 12.5),
    }
    for code, broken in cases.items():
        problems = diagnose(broken, ring)
        assert [p.code for p in problems] == [code], (code, problems)
        assert not signature_ok(broken, ring), code


def test_problem_messages_name_the_facts(sm2_key, rsa_key):
    message = sealed(sm2_key)
    ring = ring_of(sm2_key)
    [unknown_id] = diagnose(_mutate(message, "signature", "keyId", "nope"), ring)
    assert sm2_key.public.id in unknown_id.message and unknown_id.path == "signature/keyId"
    [mismatch] = diagnose(_mutate(message, "signature", "alg", RSA_ALGORITHM), ring)
    assert "SM3withSM2 key" in mismatch.message and "only the label is wrong" in mismatch.message
    [floating] = diagnose(_mutate(message, "body", "amount", 12.5), ring)
    assert floating.path == "body/amount" and "float" in floating.message
    [truncated] = diagnose(_mutate(message, "signature", "value",
                                   message["signature"]["value"][:-8]), ring)
    assert "truncated" in truncated.message


def test_mislabelled_key_id_is_pointed_out(sm2_key):
    """Signed with a registered key but labelled with an ID the ring does not have."""
    ring = KeyRing()
    ring.add(ACQUIRER_ID, sm2_key.public, "2026-01")
    [problem] = diagnose(sealed(sm2_key), ring)
    assert problem.code == "unknown-key-id"
    assert "2026-01" in problem.message and "only the label is wrong" in problem.message


def test_sm2_encoding_mistakes_are_named(sm2_key):
    """gmssl's defaults produce hex, and raw r‖s rather than DER: both are named as such."""
    message = sealed(sm2_key)
    der = base64.b64decode(message["signature"]["value"])
    sequence = DerSequence().decode(der)
    raw_rs = sequence[0].to_bytes(32, "big") + sequence[1].to_bytes(32, "big")
    ring = ring_of(sm2_key)
    [as_hex] = diagnose(_mutate(message, "signature", "value", der.hex()), ring)
    assert as_hex.code == "signature-not-base64" and "hex" in as_hex.message
    [as_rs] = diagnose(_mutate(message, "signature", "value",
                               base64.b64encode(raw_rs).decode()), ring)
    assert as_rs.code == "signature-not-der" and "r‖s" in as_rs.message


def test_truncated_rsa_signature_is_named(rsa_key):
    message = sealed(rsa_key)
    short = base64.b64encode(base64.b64decode(message["signature"]["value"])[:200]).decode()
    [problem] = diagnose(_mutate(message, "signature", "value", short), ring_of(rsa_key))
    assert problem.code == "signature-wrong-length" and "256-byte" in problem.message


@pytest.mark.parametrize(("raw", "words"), [
    (b"\x30\x06\x02\x01\x01\x02\x01", "truncated"),
    (b"\x31\x06\x02\x01\x01\x02\x01\x01", "do not start"),
    (b"\x30\x06\x02\x01\x01\x04\x01\x01", "INTEGER s"),
    (b"\x30\x07\x02\x01\x01\x02\x01\x01\x00", "1 bytes follow"),
])
def test_der_problems(raw, words):
    assert words in der_problem(raw)


@pytest.mark.parametrize(("junk", "code", "path"), [
    ([], "not-an-object", "(message)"),
    ({"header": {}, "body": {}}, "missing-field", "signature"),
    ({"header": {}, "body": [], "signature": {}}, "wrong-type", "body"),
    ({"header": {}, "body": {}, "signature": {"alg": SM2_ALGORITHM, "keyId": "k",
                                              "value": 5}}, "wrong-type", "signature/value"),
    ({"header": {}, "body": {}, "signature": {"alg": SM2_ALGORITHM, "keyId": "k",
                                              "value": "AA=="}}, "missing-field",
     "header/sender"),
])
def test_shapeless_messages(sm2_key, junk, code, path):
    problems = diagnose(junk, ring_of(sm2_key))
    assert (problems[0].code, problems[0].path) == (code, path)


def test_replay_problems_come_with_the_signature_check(sm2_key):
    message = sealed(sm2_key)
    sent = datetime.fromisoformat(message["header"]["timestamp"])
    ring, guard = ring_of(sm2_key), ReplayGuard()
    assert codes(message, ring, guard=guard, now=sent + timedelta(seconds=400)) == [
        "stale-timestamp"]
    assert codes(message, ring, guard=guard, now=sent - timedelta(seconds=400)) == [
        "future-timestamp"]
    assert codes(message, ring, guard=guard, now=sent) == []
    [reused] = diagnose(message, ring, guard, sent + timedelta(seconds=1))
    assert (reused.code, reused.path) == ("reused-nonce", "header/nonce")


def test_forged_message_does_not_consume_the_nonce(sm2_key):
    message = sealed(sm2_key)
    sent = datetime.fromisoformat(message["header"]["timestamp"])
    ring, guard = ring_of(sm2_key), ReplayGuard()
    forged = _mutate(message, "body", "amount", 99999)
    assert codes(forged, ring, guard=guard, now=sent) == ["bad-signature"]
    assert codes(message, ring, guard=guard, now=sent) == []


def test_diagnosis_agrees_with_signature_ok(sm2_key, other_sm2_key):
    """No diagnosis for exactly the messages signature_ok accepts."""
    message = sealed(sm2_key)
    ring = ring_of(sm2_key)
    variants = [message, _mutate(message, "body", "amount", 1), sealed(other_sm2_key),
                _mutate(message, "signature", "keyId", other_sm2_key.public.id),
                _mutate(message, "header", "testCaseId", "T1"), sealed(sm2_key, key_id="x")]
    for variant in variants:
        assert (diagnose(variant, ring) == []) == signature_ok(variant, ring)
