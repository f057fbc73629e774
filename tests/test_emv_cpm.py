"""Tests for EMV consumer-presented codes (qrinterop.codes.emv_cpm).

A merchant POI decides from this decoding which application to pay with and forwards the
transparent templates to the acquirer unchanged, so the published samples (EMV CPM v1.0
Annex B.1/B.2 and a UnionPay code, domain.md §7 rows 17-19) are pinned to their exact
structure, and every R-CPM-01 rule has a negative case.
"""

from __future__ import annotations

import base64
import json
import random

import pytest

from qrinterop.codes.emv_cpm import (
    CpmCode,
    CpmError,
    Tlv,
    TlvError,
    decode,
    decode_tlv,
    describe,
    encode,
    encode_tlv,
    is_cpm,
    luhn_ok,
    mask_pan,
    parse_track2,
    validate,
)
from qrinterop.codes.findings import ERROR, STRICT, WARNING, has_errors

ANNEX_B1 = "hQVDUFYwMWEaTwegAAAAVVVVVw8SNFZ4kBI0WNGRIgESNF8="
ANNEX_B2 = (
    "hQVDUFYwMWETTwegAAAAVVVVUAhQcm9kdWN0MWETTwegAAAAZmZmUAhQcm9kdWN0MmJJWggSNFZ4kBI0WF8gDkNB"
    "UkRIT0xERVIvRU1WXy0IcnVlc2RlZW5kIZ8QBwYBCgMAAACfJghYT9OF+iNLzJ82AgABnzcEbVjvEw=="
)
UNIONPAY = (
    "hQVDUFYwMWFYTwigAAADMwEBAVcTYpJhA1hEQzVkHSIQIBAAABiAH180AQBjM58mCFaLEtnaC9l/nycBgJ8QEQcA"
    "AQOgAAABCDM5OTk5OTk5nzYCAAGCAgAAnzcE6gZYyA=="
)
SAMPLES = [ANNEX_B1, ANNEX_B2, UNIONPAY]
UNIONPAY_PAN = "6292610358444335641"   # Luhn-valid token PAN in the UnionPay sample

# Track 2 of Annex B.1: PAN 1234567890123458 (not Luhn-valid), D, 1912, 201, 12345, F pad.
TRACK2 = "1234567890123458D191220112345F"
AID = "A0000000555555"


def shape(objects: list[Tlv]) -> list[tuple]:
    """(tag, hex value) for primitives, (tag, [children]) for decoded templates."""
    return [(o.tag, shape(o.children)) if o.children is not None
            else (o.tag, o.value.hex().upper()) for o in objects]


def prim(tag: str, hex_value: str) -> Tlv:
    return Tlv(tag, bytes.fromhex(hex_value))


def text(tag: str, value: str) -> Tlv:
    return Tlv(tag, value.encode("ascii"))


def pfi(value: str = "CPV01") -> Tlv:
    return text("85", value)


def app(*children: Tlv, aid: str = AID, track2: str | None = TRACK2) -> Tlv:
    """An application template: ADF name and track 2 unless told otherwise."""
    base = [prim("4F", aid)] if aid else []
    base += [prim("57", track2)] if track2 else []
    return Tlv.template("61", [*base, *children])


def code(*objects: Tlv) -> str:
    return encode(list(objects))


def problems(text_: str, **kwargs) -> list[tuple[str, str, str]]:
    """(requirement, severity, path) of every finding."""
    _, findings = validate(text_, **kwargs)
    return [(f.requirement, f.severity, f.path) for f in findings]


def messages(text_: str, **kwargs) -> str:
    return " | ".join(f.message for f in validate(text_, **kwargs)[1])


VALID = code(pfi(), app())


# --------------------------------------------------------------------------- samples


def test_annex_b1_structure():
    assert shape(decode(ANNEX_B1).objects) == [
        ("85", "4350563031"),
        ("61", [("4F", AID), ("57", TRACK2)]),
    ]


def test_annex_b2_structure():
    assert shape(decode(ANNEX_B2).objects) == [
        ("85", "4350563031"),
        ("61", [("4F", "A0000000555555"), ("50", b"Product1".hex().upper())]),
        ("61", [("4F", "A0000000666666"), ("50", b"Product2".hex().upper())]),
        ("62", [("5A", "1234567890123458"),
                ("5F20", b"CARDHOLDER/EMV".hex().upper()),
                ("5F2D", b"ruesdeen".hex().upper()),
                ("64", [("9F10", "06010A03000000"), ("9F26", "584FD385FA234BCC"),
                        ("9F36", "0001"), ("9F37", "6D58EF13")])]),
    ]


def test_unionpay_structure():
    assert shape(decode(UNIONPAY).objects) == [
        ("85", "4350563031"),
        ("61", [("4F", "A000000333010101"),
                ("57", "6292610358444335641D22102010000018801F"),
                ("5F34", "00"),
                ("63", [("9F26", "568B12D9DA0BD97F"), ("9F27", "80"),
                        ("9F10", "07000103A0000001083339393939393939"),
                        ("9F36", "0001"), ("82", "0000"), ("9F37", "EA0658C8")])]),
    ]


def test_sample_lengths_match_the_table():
    root = decode(UNIONPAY).objects
    assert len(root[1].value) == 0x58 and len(root[1].child("63").value) == 0x33
    assert len(decode(ANNEX_B1).objects[1].value) == 0x1A


@pytest.mark.parametrize("sample", SAMPLES)
def test_samples_validate_without_errors(sample):
    found, findings = validate(sample)
    assert isinstance(found, CpmCode) and not has_errors(findings)
    assert not has_errors(validate(sample, STRICT)[1])


def test_annex_samples_have_no_findings_at_all():
    """Their PAN 1234567890123458 fails Luhn, so it is not reported as a card number."""
    assert validate(ANNEX_B1)[1] == [] and validate(ANNEX_B2)[1] == []


@pytest.mark.parametrize("sample", SAMPLES)
def test_samples_round_trip(sample):
    assert encode(decode(sample)) == sample
    raw = encode_tlv(decode(sample).objects)
    assert encode_tlv(decode_tlv(raw)) == raw


@pytest.mark.parametrize("sample", SAMPLES)
def test_samples_are_recognised(sample):
    assert is_cpm(sample)


def test_is_cpm_rejects_other_codes():
    assert not is_cpm("00020101021229300012D156000000000510A93FO3230Q3128")
    assert not is_cpm("134567890123456789")
    assert not is_cpm("")


def test_payload_format_and_templates():
    found = decode(ANNEX_B2)
    assert found.payload_format == "CPV01"
    assert [a.child("4F").value.hex().upper() for a in found.applications] == [
        "A0000000555555", "A0000000666666"]
    assert found.common is not None and found.common.child("5A") is not None


# --------------------------------------------------------------------------- BER-TLV


def test_multi_byte_tags():
    raw = bytes.fromhex("9F2602ABCD" "5F2001" "41" "1F810102" "0102")
    assert shape(decode_tlv(raw)) == [("9F26", "ABCD"), ("5F20", "41"), ("1F8101", "0102")]
    assert encode_tlv(decode_tlv(raw)) == raw


def test_constructed_bit_decides_nesting():
    raw = bytes.fromhex("E1 04 8A 02 01 02 81 02 01 02".replace(" ", ""))
    objects = decode_tlv(raw)
    assert objects[0].constructed and objects[0].children == [prim("8A", "0102")]
    assert not objects[1].constructed and objects[1].children is None


@pytest.mark.parametrize(("size", "header"), [(127, "7F"), (128, "8180"), (255, "81FF"),
                                              (256, "820100"), (300, "82012C")])
def test_long_form_lengths(size, header):
    head = bytes.fromhex("9F10" + header)
    raw = head + (bytes(range(256)) * 2)[:size]
    objects = decode_tlv(raw)
    assert len(objects[0].value) == size and not objects[0].long_length
    assert encode_tlv(objects) == raw
    assert encode_tlv([Tlv("9F10", objects[0].value)]) == raw


def test_long_value_in_a_cpm_code_round_trips():
    blob = Tlv.template("63", [prim("9F10", "AB" * 200)])
    sample = code(pfi(), app(blob))
    found, findings = validate(sample)
    assert findings == [] and encode(found) == sample
    assert found.applications[0].child("63").children == [prim("9F10", "AB" * 200)]


def test_non_minimal_length_round_trips_byte_for_byte():
    raw = bytes.fromhex("4F8105A000000555" "5A820002ABCD")
    objects = decode_tlv(raw)
    assert [o.length_octets for o in objects] == [2, 3]
    assert encode_tlv(objects) == raw


def test_non_minimal_length_is_a_policy_finding():
    """61 with length 26 coded 81 1A: valid BER, but not what EMV Book 3 shows."""
    body = bytes.fromhex("8505") + b"CPV01" + bytes.fromhex("61811A")
    body += bytes.fromhex("4F07" + AID + "570F" + TRACK2)
    text_ = base64.b64encode(body).decode()
    assert problems(text_) == [("R-CPM-01", WARNING, "61[1]")]
    assert problems(text_, policy=STRICT) == [("R-CPM-01", ERROR, "61[1]")]
    assert encode(decode(text_)) == text_


@pytest.mark.parametrize(("hex_data", "offset", "words"), [
    ("4F", 1, "length missing"),
    ("4F03A000", 0, "truncated"),
    ("9F", 0, "tag truncated"),
    ("9F2680", 2, "indefinite"),
    ("4F8301000001", 1, "at most"),
    ("4F82FF", 1, "length truncated"),
    ("4F01AA00", 3, "byte 00"),
    ("6103", 0, "truncated"),
    ("E1035A0201", 2, "truncated"),
])
def test_decode_errors_name_the_offset(hex_data, offset, words):
    with pytest.raises(TlvError) as caught:
        decode_tlv(bytes.fromhex(hex_data))
    assert caught.value.offset == offset
    assert words in str(caught.value) and f"at byte {offset}" in str(caught.value)


def test_nested_error_path_and_absolute_offset():
    with pytest.raises(TlvError) as caught:
        decode_tlv(bytes.fromhex("8501AA" "E1035A0301"), "root")
    assert caught.value.path == "root.E1" and caught.value.offset == 5


@pytest.mark.parametrize("tag", ["GG", "", "1F", "9F", "4F4F", "00", "9F8101"[:4]])
def test_encode_refuses_malformed_tags(tag):
    with pytest.raises(ValueError, match="tag"):
        encode_tlv([Tlv(tag, b"\x01")])


def test_encode_refuses_values_beyond_three_length_bytes():
    with pytest.raises(ValueError, match="65535"):
        encode_tlv([Tlv("63", bytes(0x10000))])


def test_tag_is_normalised_to_upper_case():
    assert Tlv("9f26").tag == "9F26"
    assert encode_tlv([Tlv("5f20", b"AB")]) == bytes.fromhex("5F20024142")


def _random_tlv(rng: random.Random, depth: int) -> Tlv:
    tag = rng.choice(["4F", "50", "57", "5A", "9F26", "5F20", "1F8101", "82", "DF7F"])
    if depth < 3 and rng.random() < 0.3:
        children = [_random_tlv(rng, depth + 1) for _ in range(rng.randint(0, 3))]
        return Tlv.template(rng.choice(["61", "62", "63", "64", "BF0C", "E1"]), children)
    size = rng.choice([0, 1, 5, 127, 128, 255, 256, 700])
    return Tlv(tag, rng.randbytes(size), None, rng.choice([0, 0, 2, 3]) if size < 256 else 0)


def test_random_trees_round_trip():
    """Property: for any tree, encode -> decode -> encode reproduces the bytes."""
    rng = random.Random(20170701)
    for _ in range(300):
        objects = [_random_tlv(rng, 0) for _ in range(rng.randint(1, 4))]
        raw = encode_tlv(objects)
        again = decode_tlv(raw)
        assert encode_tlv(again) == raw
        assert shape(again) == shape(decode_tlv(encode_tlv(again)))


# --------------------------------------------------------------------------- base64


def test_not_base64_is_one_finding_and_no_code():
    found, findings = validate("hQVDUFYwMW!a")
    assert found is None and len(findings) == 1
    assert findings[0].severity == ERROR and "'!' at position 10" in findings[0].message
    with pytest.raises(CpmError):
        decode("hQVDUFYwMW!a")


@pytest.mark.parametrize("bad", ["hQVDUFYwM", "hQVDUFY=wMWE", "hQVD UFY", "hQVDUFYwMWE==="])
def test_malformed_base64(bad):
    found, findings = validate(bad)
    assert found is None and [f.severity for f in findings] == [ERROR]


def test_missing_padding_is_a_policy_finding():
    unpadded = ANNEX_B1.rstrip("=")
    found, findings = validate(unpadded)
    assert found is not None and [(f.severity, f.path) for f in findings] == [(WARNING, "")]
    assert "padding" in findings[0].message
    assert problems(unpadded, policy=STRICT) == [("R-CPM-01", ERROR, "")]
    assert encode(decode(unpadded)) == ANNEX_B1


def test_non_canonical_base64_is_a_policy_finding():
    sloppy = ANNEX_B1[:-2] + "9="      # '8' -> '9' sets an unused bit, same bytes
    assert decode(sloppy).objects == decode(ANNEX_B1).objects
    assert "canonical" in messages(sloppy)
    assert problems(sloppy) == [("R-CPM-01", WARNING, "")]


def test_not_ber_tlv_is_one_finding_with_the_offset():
    raw = base64.b64decode(ANNEX_B1)[:-3]
    text_ = base64.b64encode(raw).decode()
    found, findings = validate(text_)
    assert found is None and len(findings) == 1
    assert findings[0].path == "" and "at byte 7" in findings[0].message
    assert "not BER-TLV" in findings[0].message
    with pytest.raises(TlvError):
        decode(text_)


def test_broken_application_template_is_not_ber_tlv():
    text_ = code(pfi(), Tlv("61", bytes.fromhex("4F07A000")))
    found, findings = validate(text_)
    assert found is None and [f.path for f in findings] == ["61[1]"]
    assert "at byte 9" in findings[0].message


# --------------------------------------------------------------------------- root rules


def test_valid_minimal_code():
    assert validate(VALID)[1] == []


def test_first_object_not_85():
    text_ = code(app(), pfi())
    assert ("R-CPM-01", ERROR, "85") in problems(text_)
    assert "not payload format indicator 85" in messages(text_)
    assert not is_cpm(text_)


def test_empty_payload():
    assert problems("") == [("R-CPM-01", ERROR, "85"), ("R-CPM-01", ERROR, "61")]


def test_wrong_payload_format_indicator():
    text_ = code(pfi("CPV02"), app())
    assert problems(text_) == [("R-CPM-01", ERROR, "85")]
    assert "'CPV02'" in messages(text_)


def test_no_application_template():
    assert problems(code(pfi())) == [("R-CPM-01", ERROR, "61")]


def test_more_than_two_application_templates():
    text_ = code(pfi(), app(), app(aid="A0000000666666"), app(aid="A0000000777777"))
    assert problems(text_) == [("R-CPM-01", ERROR, "61[3]")]


def test_two_common_data_templates():
    common = Tlv.template("62", [text("5F20", "JOHN")])
    text_ = code(pfi(), app(), app(aid="A0000000666666", track2=None), common, common)
    assert ("R-CPM-01", ERROR, "62") in problems(text_)
    assert "2 common data templates" in messages(text_)


def test_common_template_needs_two_application_templates():
    text_ = code(pfi(), app(), Tlv.template("62", [text("5F20", "JOHN")]))
    assert problems(text_) == [("R-CPM-01", ERROR, "62")]
    assert "only when two application templates" in messages(text_)


def test_application_template_after_common_template():
    text_ = code(pfi(), app(), Tlv.template("62", [text("5F20", "JOHN")]),
                 app(aid="A0000000666666"))
    assert problems(text_) == [("R-CPM-01", ERROR, "61[2]")]
    assert "out of order" in messages(text_)


def test_common_template_before_application_templates():
    text_ = code(pfi(), Tlv.template("62", [text("5F20", "JOHN")]), app(),
                 app(aid="A0000000666666"))
    assert problems(text_) == [("R-CPM-01", ERROR, "61[1]"), ("R-CPM-01", ERROR, "61[2]")]


def test_other_object_before_application_template():
    text_ = code(pfi(), Tlv.template("BF0C", [prim("9F4D", "0B0A")]), app())
    assert problems(text_) == [("R-CPM-01", ERROR, "61[1]")]


def test_other_templates_may_follow():
    extra = Tlv.template("BF0C", [prim("9F4D", "0B0A")])
    text_ = code(pfi(), app(), app(aid="A0000000666666"),
                 Tlv.template("62", [text("5F20", "JOHN")]), extra)
    found, findings = validate(text_)
    assert findings == [] and found.objects[-1] == extra
    assert encode(found) == text_


def test_duplicate_payload_format_indicator():
    assert problems(code(pfi(), app(), pfi())) == [("R-CPM-01", ERROR, "85")]


# --------------------------------------------------------------------------- template rules


def test_adf_name_missing():
    text_ = code(pfi(), app(aid=""))
    assert problems(text_) == [("R-CPM-01", ERROR, "61[1].4F")]
    assert "mandatory" in messages(text_)


@pytest.mark.parametrize("aid", ["A0000000", "A0" + "00" * 16])
def test_adf_name_outside_5_to_16_bytes(aid):
    text_ = code(pfi(), app(aid=aid))
    assert problems(text_) == [("R-CPM-01", ERROR, "61[1].4F")]
    assert "the POI skips this application template" in messages(text_)


@pytest.mark.parametrize("aid", ["A000000333", "A0" + "00" * 15])
def test_adf_name_bounds_accepted(aid):
    assert problems(code(pfi(), app(aid=aid))) == []


def test_track2_or_pan_required():
    text_ = code(pfi(), app(track2=None))
    assert problems(text_) == [("R-CPM-01", ERROR, "61[1]")]
    assert "57" in messages(text_) and "5A" in messages(text_)


def test_pan_instead_of_track2_is_enough():
    assert problems(code(pfi(), app(prim("5A", "1234567890123458"), track2=None))) == []


def test_pan_in_common_template_serves_both_applications():
    """Annex B.2 carries the PAN only in 62."""
    common = Tlv.template("62", [prim("5A", "1234567890123458")])
    text_ = code(pfi(), app(track2=None), app(aid="A0000000666666", track2=None), common)
    assert problems(text_) == []


@pytest.mark.parametrize(("tag", "hex_value", "words"), [
    ("50", "41" * 17, "application label is 17 bytes, must be 1-16"),
    ("50", "", "application label is 0 bytes"),
    ("50", b"VISA-DEBIT".hex(), "letters, digits and space only"),
    ("57", "12" * 20, "track 2 equivalent data is 20 bytes, must be 1-19"),
    ("5A", "12" * 11, "application PAN is 11 bytes, must be 1-10"),
    ("5A", "12" * 10, "1-19 digits"),
    ("5A", "1234F67890", "1-19 digits"),
    ("5A", "FF", "1-19 digits"),
    ("5F20", "41", "cardholder name is 1 bytes, must be 2-26"),
    ("5F20", "41" * 27, "cardholder name is 27 bytes"),
    ("5F20", "41E9", "cardholder name: not ans"),
    ("5F2D", "656E" * 4 + "65", "language preference is 9 bytes, must be 2-8"),
    ("5F2D", b"en-zh".hex(), "language preference: not an"),
    ("5F50", "0A", "issuer URL: not ans"),
    ("9F08", "000001", "application version number is 3 bytes, must be 2"),
    ("9F19", "0000000001", "token requestor ID is 5 bytes, must be 6"),
    ("9F19", "00000000000A", "token requestor ID: not n"),
    ("9F24", b"A".hex() * 28, "payment account reference is 28 bytes, must be 29"),
    ("9F24", b"A".hex() * 28 + "2D", "payment account reference: not an"),
    ("9F25", "123456", "last 4 digits of PAN is 3 bytes, must be 2"),
    ("9F25", "12AB", "last 4 digits of PAN: not n"),
])
def test_field_rules(tag, hex_value, words):
    track2 = None if tag == "57" else TRACK2
    text_ = code(pfi(), app(prim(tag, hex_value), track2=track2))
    assert problems(text_) == [("R-CPM-01", ERROR, f"61[1].{tag}")]
    assert words in messages(text_)


@pytest.mark.parametrize(("tag", "hex_value"), [
    ("50", b"Product 1".hex()), ("5F20", b"CARDHOLDER/EMV".hex()), ("5F2D", b"zhen".hex()),
    ("5F50", b"tel:+862195516".hex()), ("9F08", "0010"), ("9F19", "000000000012"),
    ("9F24", b"V0010013018123456789012345678".hex()), ("9F25", "5641"),
    ("5F34", "00"), ("DF7F", "ABCDEF"),
])
def test_well_formed_and_unknown_fields_pass(tag, hex_value):
    text_ = code(pfi(), app(prim(tag, hex_value)))
    assert problems(text_) == []
    assert decode(text_).applications[0].child(tag).value.hex() == hex_value.lower()


def test_field_rules_apply_in_the_common_template():
    common = Tlv.template("62", [text("5F20", "J")])
    text_ = code(pfi(), app(), app(aid="A0000000666666"), common)
    assert problems(text_) == [("R-CPM-01", ERROR, "62.5F20")]


@pytest.mark.parametrize(("track2", "words"), [
    ("1234567890123458191220112345", "separator 'D' missing"),
    ("1234567890123458D1912201F2345F", "only as the last nibble"),
    ("12345678901234567890D1912201", "1-19 digits, found 20"),
    ("D1912201", "1-19 digits, found 0"),
    ("1234567890123458D1913201", "month 13"),
    ("1234567890123458D1900201", "month 00"),
    ("1234567890123458D191220", "YYMM expiry, 3-digit service code"),
    ("1234567890123458D1912201D1", "after 'D'"),
    ("12345678901A3458D1912201", "1-19 digits"),
])
def test_track2_rules(track2, words):
    text_ = code(pfi(), app(track2=track2 + ("F" if len(track2) % 2 else "")))
    assert problems(text_) == [("R-CPM-01", ERROR, "61[1].57")]
    assert words in messages(text_)
    assert "1234567890123458" not in messages(text_)


def test_track2_fields():
    track = parse_track2(bytes.fromhex("6292610358444335641D22102010000018801F"))
    assert (track.pan, track.expiry, track.service_code, track.discretionary) == (
        UNIONPAY_PAN, "2210", "201", "0000018801")
    even = parse_track2(bytes.fromhex("1234567890123458D1912201"))
    assert even.discretionary == ""


def test_duplicate_in_one_template():
    text_ = code(pfi(), app(text("50", "ONE"), text("50", "TWO")))
    assert problems(text_) == [("R-CPM-01", ERROR, "61[1].50")]
    assert "duplicate" in messages(text_)


def test_duplicate_between_application_and_common_template():
    common = Tlv.template("62", [text("50", "COMMON"), text("5F20", "JOHN")])
    text_ = code(pfi(), app(), app(text("50", "TWO"), aid="A0000000666666"), common)
    assert problems(text_) == [("R-CPM-01", ERROR, "62.50")]
    assert "also in 61[2]" in messages(text_)


def test_duplicate_pan_between_templates():
    common = Tlv.template("62", [prim("57", TRACK2)])
    text_ = code(pfi(), app(), app(aid="A0000000666666", track2=None), common)
    assert problems(text_) == [("R-CPM-01", ERROR, "62.57")]


def test_many_problems_are_all_reported():
    text_ = code(pfi("CPV1"), app(text("50", ""), aid="A0", track2=None),
                 app(aid="A0000000666666"), app(aid="A0000000777777"))
    assert problems(text_) == [
        ("R-CPM-01", ERROR, "85"), ("R-CPM-01", ERROR, "61[3]"),
        ("R-CPM-01", ERROR, "61[1].4F"), ("R-CPM-01", ERROR, "61[1].50"),
        ("R-CPM-01", ERROR, "61[1]"),
    ]


# --------------------------------------------------------------------------- transparent


def test_transparent_template_contents_are_not_validated():
    opaque = Tlv.template("63", [prim("5A", "4111111111111111"), prim("4F", "A0"),
                                 prim("4F", "A0")])
    text_ = code(pfi(), app(opaque))
    assert problems(text_) == []


def test_transparent_template_that_is_not_ber_tlv_is_kept():
    garbage = Tlv("63", bytes.fromhex("9F2608ABCD"))
    text_ = code(pfi(), app(garbage))
    found, findings = validate(text_)
    assert findings == [] and encode(found) == text_
    kept = found.applications[0].child("63")
    assert kept.children is None and kept.value == garbage.value
    assert describe(found)["applications"][0]["transparent"] == {"63": "9F2608ABCD"}


def test_common_transparent_template_is_not_validated():
    common = Tlv.template("62", [Tlv.template("64", [text("50", "DUPLICATE"),
                                                     prim("57", TRACK2)])])
    text_ = code(pfi(), app(text("50", "DUPLICATE")), app(aid="A0000000666666"), common)
    assert problems(text_) == []


def test_unknown_tags_are_kept():
    text_ = code(pfi(), app(prim("DF7F", "0102"), prim("9F7C", "")), prim("C1", "AA"))
    found, findings = validate(text_)
    assert findings == [] and encode(found) == text_
    assert describe(found)["other"] == {"C1": "AA"}
    assert describe(found)["applications"][0]["other"] == {"DF7F": "0102", "9F7C": ""}


# --------------------------------------------------------------------------- R-CPM-04


def test_luhn():
    assert luhn_ok(UNIONPAY_PAN) and luhn_ok("4111111111111111")
    assert not luhn_ok("1234567890123458")


def test_cleartext_pan_warning():
    _, findings = validate(UNIONPAY)
    assert [(f.requirement, f.severity, f.path) for f in findings] == [
        ("R-CPM-04", WARNING, "61[1].57")]
    assert "cleartext PAN?" in findings[0].message
    assert UNIONPAY_PAN not in findings[0].message and "629261" in findings[0].message


def test_token_prefixes_silence_the_warning():
    assert validate(UNIONPAY, token_pan_prefixes=("62",))[1] == []
    assert validate(UNIONPAY, token_pan_prefixes=("4", "6292"))[1] == []
    assert len(validate(UNIONPAY, token_pan_prefixes=("6293",))[1]) == 1


def test_cleartext_pan_in_5a_of_common_template():
    common = Tlv.template("62", [prim("5A", "4111111111111111")])
    text_ = code(pfi(), app(track2=None), app(aid="A0000000666666", track2=None), common)
    assert problems(text_) == [("R-CPM-04", WARNING, "62.5A")]
    assert "4111111111111111" not in messages(text_)


def test_padded_5a_pan_is_read():
    text_ = code(pfi(), app(prim("5A", UNIONPAY_PAN + "F"), track2=None))
    assert problems(text_) == [("R-CPM-04", WARNING, "61[1].5A")]


# --------------------------------------------------------------------------- describe


def test_describe_unionpay():
    assert describe(decode(UNIONPAY)) == {
        "payloadFormat": "CPV01",
        "applications": [{
            "aid": "A000000333010101",
            "pan": "629261*********5641",
            "expiry": "2210",
            "serviceCode": "201",
            "other": {"5F34": "00"},
            "transparent": {"9F26": "568B12D9DA0BD97F", "9F27": "80",
                            "9F10": "07000103A0000001083339393939393939",
                            "9F36": "0001", "82": "0000", "9F37": "EA0658C8"},
        }],
        "common": None,
    }


def test_describe_annex_b2():
    described = describe(decode(ANNEX_B2))
    assert described["applications"] == [{"aid": "A0000000555555", "label": "Product1"},
                                         {"aid": "A0000000666666", "label": "Product2"}]
    assert described["common"] == {
        "pan": "123456******3458", "cardholderName": "CARDHOLDER/EMV",
        "languagePreference": "ruesdeen",
        "transparent": {"9F10": "06010A03000000", "9F26": "584FD385FA234BCC",
                        "9F36": "0001", "9F37": "6D58EF13"}}


@pytest.mark.parametrize(("sample", "pan"), [(ANNEX_B1, "1234567890123458"),
                                             (ANNEX_B2, "1234567890123458"),
                                             (UNIONPAY, UNIONPAY_PAN)])
def test_describe_never_shows_a_full_pan(sample, pan):
    shown = json.dumps(describe(decode(sample)))
    assert pan not in shown and pan[:6] in shown and pan[-4:] in shown
    assert "0000018801" not in shown          # track 2 discretionary data


def test_describe_fields():
    text_ = code(pfi(), app(text("5F2D", "zhen"), prim("9F08", "0010"),
                            prim("9F19", "000000000012"), prim("9F25", "3458"),
                            text("9F24", "V" * 29), text("5F50", "tel:95516"),
                            text("5F20", "LI/SI")))
    assert describe(decode(text_))["applications"][0] == {
        "aid": AID, "pan": "123456******3458", "expiry": "1912", "serviceCode": "201",
        "languagePreference": "zhen", "applicationVersion": "0010",
        "tokenRequestorId": "000000000012", "panLast4": "3458",
        "paymentAccountReference": "V" * 29, "issuerUrl": "tel:95516", "cardholderName": "LI/SI"}


def test_describe_malformed_track2_shows_no_digits():
    text_ = code(pfi(), app(track2="1234567890123458"))
    assert describe(decode(text_))["applications"][0]["pan"] == "(malformed)"


@pytest.mark.parametrize(("pan", "masked"), [
    ("6292610358444335641", "629261*********5641"),
    ("1234567890123458", "123456******3458"),
    ("12345678901", "123456*8901"),
    ("1234567890", "******7890"),
    ("12345", "****5"),
    ("1234", "****"),
])
def test_mask_pan(pan, masked):
    assert mask_pan(pan) == masked
