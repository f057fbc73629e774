"""Tests for EMV merchant-presented QR payloads (qrinterop.codes.emv_mpm).

Every wallet and the switch decide whether a merchant code is paid from this parser and CRC, so
they are pinned against published sample payloads, not only against our own builder.
"""

from __future__ import annotations

import pytest

from qrinterop.codes.emv_mpm import (
    PayloadError,
    Rules,
    build_payload,
    crc16_ccitt_false,
    crc_of,
    encode_objects,
    parse,
    parse_objects,
    with_wrong_crc,
)
from qrinterop.profile import DATA_DIR, DEFAULT_PROFILE

RULES = Rules.of(DATA_DIR.joinpath(*DEFAULT_PROFILE))

ANNEX_B7_ZH = (
    "00020101021229300012D156000000000510A93FO3230Q31280012D15600000001030812345678"
    "520441115802CN5914BEST TRANSPORT6007BEIJING64200002ZH0104最佳运输0202北京"
    "540523.7253031565502016233030412340603***0708A60086670902ME"
    "91320016A0112233449988770708123456786304A13A"
)
KH_SAMPLE = (
    "00020101021252044131153137210116372101160123456789ABCDE6016Banteay Meanchey"
    "5913Kuntheas Shop5802KH540510.005303840621201081234567863041FF2"
)
SG_PAYNOW = (
    "00020101021126380009SG.PAYNOW010100211+6584554295030115204000053037025802SG5902NA"
    "6009SINGAPORE630416D8"
)
VN_VIETQR = (
    "00020101021238570010A00000072701270006970415011300110019324180208QRIBFTTA"
    "530370454061200005802VN62170813ung ho lu lut6304C15C"
)
# Published with CRC 5855; the correct CRC of this content is 65E0.
HK_WRONG_CRC = (
    "0002010102121531250003440002034410000000000000652045972530334454031005802HK"
    "5913Test Merchant6002HK62600120000000000000000000000520000000000000000000000"
    "7080000001063045855"
)
VALID_SAMPLES = [ANNEX_B7_ZH, KH_SAMPLE, SG_PAYNOW, VN_VIETQR]
SAMPLE_IDS = ["emvco-annex-b7-zh", "kh", "sg-paynow", "vn-vietqr"]


def _tree(objects) -> list[tuple[str, str | list]]:
    """Parsed objects as the (id, value | nested list) pairs that build_payload accepts."""
    return [(o.id, _tree(o.children) if o.children is not None else o.value) for o in objects]


def test_crc_check_value():
    """The catalogue check value of CRC-16/CCITT-FALSE; any other CRC-16 variant differs."""
    assert crc16_ccitt_false(b"123456789") == 0x29B1


def test_crc_of_is_four_upper_case_hex_digits():
    """ID 63 carries exactly four upper-case hex characters (R-MPM-05)."""
    assert crc_of(SG_PAYNOW[:-4]) == "16D8"
    assert crc_of(KH_SAMPLE[:-4]) == "1FF2"


@pytest.mark.parametrize("payload", VALID_SAMPLES, ids=SAMPLE_IDS)
def test_published_samples_have_valid_crc(payload):
    """Real-world codes must parse and pass the CRC, or wallets would refuse genuine merchants."""
    code = parse(payload, RULES)
    assert code.crc_ok
    assert code.objects[0].id == "00"
    assert code.objects[-1].id == "63"


def test_published_sample_with_wrong_crc_is_rejected():
    """A sample published with a wrong CRC (5855, should be 65E0) must not pass the check."""
    code = parse(HK_WRONG_CRC, RULES)
    assert not code.crc_ok
    assert crc_of(HK_WRONG_CRC[:-4]) == "65E0"


@pytest.mark.parametrize("payload", VALID_SAMPLES, ids=SAMPLE_IDS)
def test_with_wrong_crc_damages_only_the_crc(payload):
    """The forged-code helper must change the CRC value and nothing else."""
    damaged = with_wrong_crc(payload)
    assert not parse(damaged, RULES).crc_ok
    assert damaged[:-4] == payload[:-4]
    assert damaged[-4:] != payload[-4:]
    assert len(damaged) == len(payload)


def test_lengths_count_characters_not_bytes():
    """Annex B.7's template 64 holds Chinese text whose lengths are character counts."""
    code = parse(ANNEX_B7_ZH, RULES)
    template = code.get("64")
    assert template is not None and template.value == "0002ZH0104最佳运输0202北京"
    assert [(c.id, c.value) for c in template.children] == [
        ("00", "ZH"), ("01", "最佳运输"), ("02", "北京")]


def test_template_64_parses_on_its_own():
    """The template value is 20 characters (36 UTF-8 bytes), and its length field says 20."""
    [obj] = parse_objects("64200002ZH0104最佳运输0202北京", RULES)
    assert obj.id == "64"
    assert [c.id for c in obj.children] == ["00", "01", "02"]
    assert obj.child("01").value == "最佳运输"


def test_annex_b7_objects_and_templates():
    """Every top-level object of the EMVCo sample is found, with the nested ones of 62 and 91."""
    code = parse(ANNEX_B7_ZH, RULES)
    assert [o.id for o in code.objects] == [
        "00", "01", "29", "31", "52", "58", "59", "60", "64", "54", "53", "55", "62", "91", "63"]
    assert code.get("59").value == "BEST TRANSPORT"
    assert code.get("54").value == "23.72"
    assert [(c.id, c.value) for c in code.get("62").children] == [
        ("03", "1234"), ("06", "***"), ("07", "A6008667"), ("09", "ME")]
    assert [c.id for c in code.get("91").children] == ["00", "07"]


@pytest.mark.parametrize(("payload", "expected"), [
    (ANNEX_B7_ZH, ["D15600000000", "D15600000001"]),
    (SG_PAYNOW, ["SG.PAYNOW"]),
    (VN_VIETQR, ["A000000727"]),
    (KH_SAMPLE, []),
], ids=["two-templates", "one-template", "template-38", "primitive-15-only"])
def test_guids_of_account_templates_in_order(payload, expected):
    """Routing uses the GUIDs of templates 26-51 in payload order; primitive 02-25 have none."""
    assert parse(payload, RULES).guids() == expected


def test_guids_ignore_templates_outside_26_to_51():
    """Templates 62, 64 and 80-99 also have a sub-ID 00 but are not merchant account info."""
    payload = build_payload([
        ("00", "01"), ("01", "11"),
        ("62", [("00", "NOTAGUID")]),
        ("27", [("00", "FIRST.GUID")]),
        ("51", [("00", "LAST.GUID")]),
        ("80", [("00", "ALSO.NOT")]),
        ("58", "CN"),
    ])
    assert parse(payload, RULES).guids() == ["FIRST.GUID", "LAST.GUID"]


MERCHANT_OBJECTS: list[tuple[str, str | list]] = [
    ("00", "01"),
    ("01", "12"),
    ("29", [("00", "D15600000000"), ("05", "A93FO3230Q")]),
    ("52", "5411"),
    ("53", "156"),
    ("54", "12.50"),
    ("58", "CN"),
    ("59", "最佳运输"),
    ("60", "北京"),
    ("62", [("05", "ORDER0001"), ("07", "T0000001")]),
    ("64", [("00", "ZH"), ("01", "最佳运输"), ("02", "北京")]),
]


def test_build_payload_round_trips_through_parse():
    """What the reference acquirer builds, the reference wallet must read back unchanged."""
    payload = build_payload(MERCHANT_OBJECTS)
    code = parse(payload, RULES)
    assert code.crc_ok
    assert code.objects[0].id == "00"
    assert code.objects[-1].id == "63"
    assert _tree(code.objects[:-1]) == MERCHANT_OBJECTS
    assert code.get("59").value == "最佳运输"


def test_build_payload_counts_chinese_characters():
    """The merchant name 最佳运输 is four characters, so its length field is 04."""
    payload = build_payload([("00", "01"), ("59", "最佳运输")])
    assert payload.startswith("0002015904最佳运输6304")
    assert len(payload) == len("0002015904最佳运输6304") + 4


def test_build_payload_crc_covers_utf8_bytes():
    """The CRC runs over the UTF-8 encoding; an encoding change would alter it."""
    payload = build_payload([("00", "01"), ("59", "最佳运输")])
    body = payload[:-4]
    assert payload[-4:] == f"{crc16_ccitt_false(body.encode('utf-8')):04X}"
    assert payload[-4:] != f"{crc16_ccitt_false(body.encode('gb18030')):04X}"


@pytest.mark.parametrize(("poi", "static"), [("11", True), (None, True), ("12", False)],
                         ids=["poi-11", "poi-absent", "poi-12"])
def test_is_static(poi, static):
    """POI 11 (or none) is a reusable static code; POI 12 is a one-off dynamic code."""
    objects = [("00", "01")] + ([("01", poi)] if poi else []) + [("58", "CN")]
    assert parse(build_payload(objects), RULES).is_static is static


@pytest.mark.parametrize(("payload", "path"), [
    ("0002015900" + "6304ABCD", "59"),
    ("000201" + "6210" + "0500" + "0702AB" + "6304ABCD", "62.05"),
    ("000201630", ""),
    ("0002015A04TEST6304ABCD", ""),
    ("000201" + "5802CN" + "63", ""),
], ids=["length-00", "nested-length-00", "truncated-header",
        "non-digit-id", "crc-header-cut"])
def test_malformed_objects_raise_with_path(payload, path):
    """Structural damage is a PayloadError naming the object, never a silently wrong parse."""
    with pytest.raises(PayloadError) as info:
        parse(payload, RULES)
    assert info.value.path == path


def test_truncated_value_names_object():
    """A length longer than what is left is reported on the object that claims it."""
    with pytest.raises(PayloadError, match="truncated") as info:
        parse("0002015920ABC", RULES)
    assert info.value.path == "59"


def test_length_00_names_object():
    """Length 00 is forbidden by MPM §4.4, and the message says which object broke it."""
    with pytest.raises(PayloadError, match="00") as info:
        parse(build_payload([("00", "01")])[:6] + "5900" + "6304ABCD", RULES)
    assert info.value.path == "59"
    assert str(info.value).startswith("59: ")


def test_non_digit_length_is_rejected():
    """A length field that is not two digits cannot be trusted to split the payload."""
    with pytest.raises(PayloadError, match="malformed"):
        parse("00020159AXBEST6304ABCD", RULES)


def test_non_ascii_digits_in_header_are_rejected():
    """Full-width or Arabic-Indic digits pass str.isdigit but are not EMV numeric IDs."""
    with pytest.raises(PayloadError, match="malformed"):
        parse("000201５９04BEST6304ABCD", RULES)


def test_payload_must_start_with_00():
    """The payload format indicator must come first (MPM §4.6)."""
    with pytest.raises(PayloadError) as info:
        parse("0102115802CN" + "6304ABCD", RULES)
    assert info.value.path == "00"


@pytest.mark.parametrize("payload", [
    "0002010102115802CN",
    "0002016304ABCD5802CN",
    "0002015802CN6303ABC",
    "0002015802CN6305ABCDE",
], ids=["no-crc", "crc-not-last", "crc-3-chars", "crc-5-chars"])
def test_payload_must_end_with_four_char_crc(payload):
    """Without a trailing 4-character ID 63 there is nothing to check the code against."""
    with pytest.raises(PayloadError) as info:
        parse(payload, RULES)
    assert info.value.path == "63"


def test_empty_payload_is_rejected():
    """An empty scan is not a merchant code."""
    with pytest.raises(PayloadError):
        parse("", RULES)


def test_encode_objects_rejects_value_of_100_characters():
    """Two length digits cannot express 100; silently truncating would corrupt the code."""
    with pytest.raises(PayloadError) as info:
        encode_objects([("59", "x" * 100)])
    assert info.value.path == "59"


def test_encode_objects_accepts_99_chinese_characters():
    """The limit is 99 characters, even when they take 297 UTF-8 bytes."""
    assert encode_objects([("59", "中" * 99)]) == "5999" + "中" * 99


def test_encode_objects_rejects_empty_value():
    """An empty value would encode as length 00, which parse refuses."""
    with pytest.raises(PayloadError):
        encode_objects([("59", "")])


def test_encode_objects_rejects_oversized_template():
    """A template's encoded value is also limited to 99 characters."""
    with pytest.raises(PayloadError) as info:
        encode_objects([("62", [("05", "A" * 50), ("07", "B" * 50)])])
    assert info.value.path == "62"


def test_parse_descends_into_payment_system_templates_inside_62():
    """Inside 62, IDs 50-99 are templates with a GUID; other sub-IDs stay primitive."""
    payload = build_payload([
        ("00", "01"),
        ("62", [("01", "BILLNO"), ("50", [("00", "TEST"), ("01", "ABC")])]),
    ])
    template = parse(payload, RULES).get("62")
    assert template.child("01").children is None
    assert [(c.id, c.value) for c in template.child("50").children] == [
        ("00", "TEST"), ("01", "ABC")]


def test_parse_reports_damage_inside_a_62_payment_system_template():
    """A nested template that does not split is named down to the broken object."""
    payload = build_payload([("00", "01"), ("62", [("50", "0000")])])
    with pytest.raises(PayloadError) as info:
        parse(payload, RULES)
    assert info.value.path == "62.50.00"
