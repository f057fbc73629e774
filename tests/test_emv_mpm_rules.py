"""Rules of EMV merchant-presented codes (qrinterop.codes.emv_mpm.validate, decode/encode,
describe) against the requirement catalogue R-MPM-01..16 and R-CPM-04.

Every rule has a negative test naming the requirement, severity and path of its finding, next
to a valid variant that has none. Published payloads (domain.md §7) pin the validator to the
real world; hypothesis checks the round trip and that any one-character change is caught.

Run this file as a script to measure validate() throughput:
``python tests/test_emv_mpm_rules.py``.
"""

from __future__ import annotations

import copy
import json
import re
import shutil
import time
from collections.abc import Callable
from pathlib import Path

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st
from jsonschema import Draft202012Validator

from qrinterop.codes.emv_mpm import (
    MerchantCode,
    PayloadError,
    Rules,
    build_payload,
    crc_of,
    decode,
    describe,
    encode,
    parse,
    validate,
    with_wrong_crc,
)
from qrinterop.codes.emv_mpm import rules as rules_module
from qrinterop.codes.emv_mpm.rules import rules_path
from qrinterop.codes.findings import ERROR, LENIENT, STRICT, WARNING, Policy, has_errors
from qrinterop.profile import DATA_DIR, DEFAULT_PROFILE, SCHEMA_DIR, ProfileError

#: The bundled profile's rules, which every test here is about.
RULES = Rules.of(DATA_DIR.joinpath(*DEFAULT_PROFILE))
RULES_PATH = RULES.source
CURRENCIES = RULES.currencies

# Published payloads, verbatim from domain.md §7 (rows 1-16).
SAMPLES = {
    1: (
        "00020101021229300012D156000000000510A93FO3230Q31280012D15600000001030812345678520441"
        "115802CN5914BEST TRANSPORT6007BEIJING64200002ZH0104最佳运输0202北京540523.7253031565502016"
        "233030412340603***0708A60086670902ME91320016A0112233449988770708123456786304A13A"
    ),
    2: (
        "000201010211057704736a2f41a3-c54c-fce8-32d2-0324e1c32e22*3440e5bf-81ca-4c5f-a1b2-cf9"
        "89f09a03952045024530384054031005802US5913Test Merchant6008New York62080304123463046F"
        "6D"
    ),
    3: (
        "00020101021252044131153137210116372101160123456789ABCDE6016Banteay Meanchey5913Kunth"
        "eas Shop5802KH540510.005303840621201081234567863041FF2"
    ),
    4: (
        "0002010102121531250003440002034410000000000000652045972530334454031005802HK5913Test "
        "Merchant6002HK6260012000000000000000000000052000000000000000000000070800000010630458"
        "55"
    ),
    5: (
        "00020126180014br.gov.bcb.pix5204000053039865802BR5913Fulano de Tal6008BRASILIA620705"
        "03***80800014br.gov.bcb.pix2558pix.example.com/qr/v2/rec/2353c790eefb11eaadc10242ac1"
        "20002630462C9"
    ),
    6: (
        "00020101021226760014br.gov.bcb.pix2554pix.example.com/qr/v2/8b3da2f39a4140d1a91abd93"
        "113bd4415204000053039865802BR5913Fulano de Tal6008BRASILIA62070503***80800014br.gov."
        "bcb.pix2558pix.example.com/qr/v2/rec/94ed2badcbc04c15b0bb7fa35319489063047741"
    ),
    7: (
        "00020101021226810014br.gov.bcb.pix2559pix.example.com/qr/v2/cobv/1e6c54d3ec9449b7a7f"
        "c53b6b0f998e75204000053039865802BR5913Fulano de Tal6008BRASILIA62070503***80800014br"
        ".gov.bcb.pix2558pix.example.com/qr/v2/rec/3ffa640fa4f14080adccb949fa2dc0d06304A441"
    ),
    8: (
        "00020101021238570010A00000072701270006970415011300110019324180208QRIBFTTA53037045406"
        "1200005802VN62170813ung ho lu lut6304C15C"
    ),
    9: (
        "00020101021126520008com.grab01365af16fa7-25d5-442b-8c19-b88ddafb14c727330015sg.com.d"
        "ash.www0110000000464728810011SG.COM.NETS01231198500065G99123123590002111118778720003"
        "088778720199084136B4AE51800007SG.SGQR011218090900176B020700.002103060790270402010502"
        "13060400000708201809115204581253037025802SG5909TOAST BOX6009Singapore6304B081"
    ),
    10: (
        "0002010102111531480007024800070280007025499435326590011COM.REMOPAY011020000003380204"
        "0000030400010404000099020127330015SG.COM.DASH.WWW0110100210041328650017COM.QQ.WEIXIN"
        ".PAY0110100000033702040000030400010404000099020129720013sg.com.ezlink0114FMP-1000000"
        "3380204SGQR0317NPL-0001-0000000004046AF951800007SG.SGQR01121809072DDA29020701.000103"
        "06058602040200050200060400000708201809155204000053037025802SG5909hisenyuan6009Singap"
        "ore63044F90"
    ),
    11: (
        "00020101021126440010com.myfave0126https://myfave.com/qr/511727630010com.alipay0145ht"
        "tps://qr.alipay.com/ocx08230mbjrpvogjn4mm1751800007SG.SGQR01121809132E11F3020701.000"
        "30306339511040202050209060400000708201809185204000053037025802SG5911DRAGON BOWL6009S"
        "ingapore6304"
        "43F4"  # row 11 is published without its CRC; 43F4 is the recomputed value
    ),
    12: (
        "00020101021126380009SG.PAYNOW010100211+6584554295030115204000053037025802SG5902NA600"
        "9SINGAPORE630416D8"
    ),
    13: (
        "00020101021126490009SG.PAYNOW010120210202012345X0301104082021123151820007SG.SGQR0113"
        "202012345X123020701.0001030682867104020105031230604000007082019123152040000530370258"
        "02SG5911RATINAN LEE6009SINGAPORE610682876162140110987654321X630429FD"
    ),
    14: (
        "00020101021126500009SG.PAYNOW010100211+651234567803010040820301231520400005303702540"
        "71234.565802SG5902ME6009Singapore62290106BILLNO50150004TEST0103ABC6304B301"
    ),
    15: (
        "00020101021126590013ID.CO.BNI.WWW011893600009150305256502096102070790303UBE51440014I"
        "D.CO.QRIS.WWW0215ID20222337822690303UBE5204472253033605802ID5912VFS GLOBAL 66015JAKA"
        "RTA SELATAN61051294062070703A016304D7C5"
    ),
    16: (
        "00020101021126610014COM.GO-JEK.WWW01189360091234285490450210G6285936550303UMI5144001"
        "4ID.CO.QRIS.WWW0215ID10253801632580303UMI5204504553033605802ID5910Misterdevs6007JAKA"
        "RTA61051234562070703A016304M2B3"
    ),
}
CLEAN_ROWS = [1, 2, 5, 6, 7, 9, 10, 11, 12, 13, 14, 15]

# A clean code: dynamic, Chinese names in the language template, additional data.
VALID: dict = {
    "00": "01",
    "01": "12",
    "26": {"00": "COM.EXAMPLE.PAY", "01": "M000000001"},
    "52": "5812",
    "53": "156",
    "54": "12.50",
    "58": "CN",
    "59": "NOODLE BAR",
    "60": "SHANGHAI",
    "62": {"05": "ORDER0001", "07": "T01"},
    "64": {"00": "ZH", "01": "面馆", "02": "上海"},
}


def variant(changes: dict | None = None, drop: tuple[str, ...] = ()) -> str:
    """VALID with values set or removed by path ("54", "62.05"), encoded with a correct CRC."""
    value = copy.deepcopy(VALID)
    for path in drop:
        *parents, last = path.split(".")
        node = value
        for part in parents:
            node = node[part]
        del node[last]
    for path, new in (changes or {}).items():
        *parents, last = path.split(".")
        node = value
        for part in parents:
            node = node.setdefault(part, {})
        node[last] = new
    return encode(value, RULES)


def problems(payload: str, policy: Policy = LENIENT) -> set[tuple[str, str, str]]:
    """(requirement, severity, path) of every finding."""
    return {(f.requirement, f.severity, f.path) for f in validate(payload, RULES, policy)[1]}


def pairs(value: dict) -> list[tuple[str, str | list]]:
    """A structured value as the (id, value) pairs build_payload takes (order kept)."""
    return [(k, v if isinstance(v, str) else pairs(v)) for k, v in value.items()]


def encode_counting_bytes(value: dict) -> str:
    """The classic defect: lengths written as UTF-8 byte counts, CRC still over UTF-8."""
    def objects(node: dict) -> str:
        out = []
        for obj_id, item in node.items():
            text = item if isinstance(item, str) else objects(item)
            out.append(f"{obj_id}{len(text.encode('utf-8')):02d}{text}")
        return "".join(out)
    body = objects(value) + "6304"
    return body + crc_of(body)


# -- the baseline and the published samples -------------------------------------------------------

def test_baseline_is_clean():
    """The valid variant every negative test departs from has no finding at all, in either
    policy: a finding in the negative tests is caused by the change alone."""
    payload = variant()
    assert problems(payload) == set()
    assert problems(payload, STRICT) == set()


@pytest.mark.parametrize("row", CLEAN_ROWS)
def test_published_samples_have_no_error(row):
    """Real codes from several countries, with foreign templates, validate without error
    (Pix dynamic codes carry no amount: an R-MPM-14 warning only)."""
    code, findings = validate(SAMPLES[row], RULES)
    assert code is not None
    assert not has_errors(findings), findings
    assert {f.requirement for f in findings} <= {"R-MPM-14"}


def test_published_sample_3_breaks_one_rule():
    """Row 3 (phannaly, reordered, UnionPay ID 15) reads fine but is not conformant: its city
    "Banteay Meanchey" is 16 characters where EMV Table 3.6 allows 15 (R-MPM-08). Its ID 15
    merchant ID "0123456789ABCDE" is well formed: ans 15, as UnionPay's merchant number (ISO
    8583 field 42) is (R-MPM-16 in profile 1.1; 1.0 wanted digits)."""
    code, findings = validate(SAMPLES[3], RULES)
    assert code is not None and code.get("52").value == "4131"
    assert {(f.requirement, f.severity, f.path) for f in findings} == {
        ("R-MPM-08", ERROR, "60")}
    city = next(f for f in findings if f.path == "60")
    assert "16" in city.message and "15" in city.message


def test_published_sample_8_lacks_mandatory_objects():
    """Row 8 (VietQR) omits 52, 59 and 60, which EMV Table 3.6 makes mandatory (R-MPM-07);
    VietQR's national profile does so deliberately, EMV conformance cannot."""
    assert problems(SAMPLES[8]) == {("R-MPM-07", ERROR, "52"), ("R-MPM-07", ERROR, "59"),
                                    ("R-MPM-07", ERROR, "60")}


@pytest.mark.parametrize(("row", "expected", "found"), [(4, "65E0", "5855"),
                                                        (16, "1E29", "M2B3")])
def test_published_negative_vectors_fail_the_crc(row, expected, found):
    """Row 4 was published with a wrong CRC, row 16 with one that is not even hex."""
    code, findings = validate(SAMPLES[row], RULES)
    assert code is not None
    assert [(f.requirement, f.severity, f.path) for f in findings] == [
        ("R-MPM-05", ERROR, "63")]
    assert expected in findings[0].message and found in findings[0].message


def test_validated_code_is_the_parsed_code():
    """validate() returns the same MerchantCode that parse() builds (its object tree is
    built on first use)."""
    for row in CLEAN_ROWS:
        code, _ = validate(SAMPLES[row], RULES)
        parsed = parse(SAMPLES[row], RULES)
        assert isinstance(code, MerchantCode)
        assert code == parsed and parsed == code
        assert code.objects == parsed.objects
        assert code.guids() == parsed.guids()
        assert code.crc_ok and code.is_static == parsed.is_static
    assert repr(validate(SAMPLES[12], RULES)[0]).startswith("MerchantCode(payload=")


# -- R-MPM-01 syntax ------------------------------------------------------------------------------

@pytest.mark.parametrize(("payload", "path", "words"), [
    ("0002015A04TEST6304ABCD", "", "malformed ID/length '5A04'"),
    ("00020159AXBEST6304ABCD", "", "malformed ID/length '59AX'"),
    ("0002015900" + "6304ABCD", "59", "length 00"),
    ("0002015920ABC", "59", "truncated"),
    ("000201630", "", "fewer than 4"),
    ("000201５９04BEST6304ABCD", "", "malformed"),
    ("hello", "", "malformed"),
    ("", "", "empty"),
], ids=["non-digit-id", "non-digit-length", "length-00", "truncated-value", "cut-header",
        "full-width-digits", "not-a-code", "empty"])
def test_unsplittable_payload_gives_one_finding_and_no_code(payload, path, words):
    """A payload that cannot be split into objects gives no code and one R-MPM-01 finding
    saying where."""
    code, findings = validate(payload, RULES)
    assert code is None
    assert [(f.requirement, f.severity, f.path) for f in findings] == [
        ("R-MPM-01", ERROR, path)]
    assert words in findings[0].message


def test_trailing_characters_after_the_crc():
    """A complete code followed by junk (a scanner's CR LF) is reported, and still checked."""
    code, findings = validate(variant() + "\r\n", RULES)
    assert code is not None and code.payload == variant()
    assert [(f.requirement, f.severity, f.path) for f in findings] == [
        ("R-MPM-01", ERROR, "")]
    assert "trailing" in findings[0].message


@pytest.mark.parametrize(("changes", "expected"), [
    ({"62": "0500"}, {("R-MPM-01", ERROR, "62.05"), ("R-MPM-12", ERROR, "62")}),
    ({"62": "0503ABC0702X"}, {("R-MPM-01", ERROR, "62.07")}),
    ({"62": "***"}, {("R-MPM-01", ERROR, "62"), ("R-MPM-12", ERROR, "62")}),
    ({"26": "0015COM.EXAMPLE"}, {("R-MPM-01", ERROR, "26.00")}),
    ({"62": {"05": "REF", "50": "0004TE"}}, {("R-MPM-01", ERROR, "62.50.00")}),
], ids=["length-00", "truncated", "no-object", "account-template", "nested"])
def test_damaged_template_is_reported_and_the_rest_checked(changes, expected):
    """Damage inside a template is an R-MPM-01 finding on it; the root is still checked."""
    code, findings = validate(variant(changes), RULES)
    assert code is not None
    assert {(f.requirement, f.severity, f.path) for f in findings} == expected


# -- R-MPM-02 characters, not bytes ---------------------------------------------------------------

def test_chinese_names_in_64_count_characters():
    """面馆 is 2 characters (6 UTF-8 bytes): its length field is 02 and the code is clean."""
    payload = variant({"64.01": "最佳运输面馆", "64.02": "北京"})
    assert "0106最佳运输面馆0202北京" in payload
    assert problems(payload) == set()
    assert validate(payload, RULES)[0].get("64").child("01").value == "最佳运输面馆"


def test_annex_b_sample_counts_characters():
    """EMVCo's own Chinese example: 64 is 20 characters long, 36 bytes."""
    code, findings = validate(SAMPLES[1], RULES)
    assert findings == []
    assert code.get("64").child("01").value == "最佳运输"


def test_lengths_counting_bytes_are_reported():
    """A generator that writes UTF-8 byte counts produces a code that only reads with byte
    lengths: R-MPM-02 on the whole payload, and the code is still read and checked."""
    payload = encode_counting_bytes(VALID)
    assert "64260002ZH0106面馆0206上海" in payload
    code, findings = validate(payload, RULES)
    assert [(f.requirement, f.severity, f.path) for f in findings] == [("R-MPM-02", ERROR, "")]
    assert "lengths appear to count bytes" in findings[0].message
    assert code is not None and code.get("64").child("01").value == "面馆"


def test_byte_lengths_in_one_template_are_reported_there():
    """Only template 64 counts bytes (its own length counts characters of what it holds)."""
    value = copy.deepcopy(VALID)
    inner = encode_counting_bytes({"64": VALID["64"]})[4:-8]    # 64's value, byte-counted
    value["64"] = inner
    payload = encode(value, RULES)
    assert problems(payload) == {("R-MPM-02", ERROR, "64")}


def test_byte_lengths_with_other_problems_report_them_too():
    """Byte counting does not hide the other problems of the code."""
    payload = encode_counting_bytes({**VALID, "58": "cn"})
    assert problems(payload) == {("R-MPM-02", ERROR, ""), ("R-MPM-08", ERROR, "58")}


# -- R-MPM-03 order and R-MPM-04 uniqueness ------------------------------------------------------

def test_00_must_come_first():
    objects = pairs(VALID)
    payload = build_payload([objects[1], objects[0], *objects[2:]])
    assert problems(payload) == {("R-MPM-03", ERROR, "00")}


def test_63_must_come_last():
    payload = variant(drop=("58",)) + "5802CN"
    code, findings = validate(payload, RULES)
    assert code is not None
    assert [(f.requirement, f.severity, f.path) for f in findings] == [("R-MPM-03", ERROR, "63")]


def test_other_objects_may_come_in_any_order():
    """Order is free between 00 and 63, at the root and inside templates."""
    objects = pairs(VALID)
    payload = build_payload([objects[0], *reversed(objects[1:])])
    assert problems(payload) == set()
    template = variant({"62": {"07": "T01", "05": "ORDER0001"}})
    assert problems(template) == set()


def test_duplicate_id_at_root():
    objects = pairs(VALID)
    payload = build_payload([*objects, ("52", "5812")])
    assert problems(payload) == {("R-MPM-04", ERROR, "52")}


def test_duplicate_id_in_template():
    payload = build_payload([(k, v) if k != "26" else
                             ("26", [("00", "COM.EXAMPLE.PAY"), ("01", "A"), ("01", "B")])
                             for k, v in pairs(VALID)])
    assert problems(payload) == {("R-MPM-04", ERROR, "26.01")}


# -- R-MPM-05 and R-MPM-06 CRC -------------------------------------------------------------------

def test_wrong_crc_gives_expected_and_found():
    payload = with_wrong_crc(variant())
    (finding,) = validate(payload, RULES)[1]
    assert (finding.requirement, finding.severity, finding.path) == ("R-MPM-05", ERROR, "63")
    assert variant()[-4:] in finding.message and payload[-4:] in finding.message


@pytest.mark.parametrize("crc", ["ABC", "ABCDE"])
def test_crc_of_the_wrong_length(crc):
    payload = variant()[:-8] + f"63{len(crc):02d}{crc}"
    assert problems(payload) == {("R-MPM-05", ERROR, "63")}


def test_crc_covers_utf8_bytes():
    """Changing only a Chinese character changes the CRC: it is computed over UTF-8 bytes."""
    payload = variant()
    damaged = payload.replace("面馆", "面店")
    assert problems(damaged) == {("R-MPM-05", ERROR, "63")}


@pytest.mark.parametrize(("policy", "severity"), [(LENIENT, WARNING), (STRICT, ERROR)])
def test_lower_case_crc_is_a_policy_finding(policy, severity):
    """Lower-case hex matches, but EMVCo writes upper case: a warning, an error if strict."""
    payload = variant()
    lower = payload[:-4] + payload[-4:].lower()
    assert lower != payload
    assert problems(lower, policy) == {("R-MPM-06", severity, "63")}
    assert validate(lower, RULES, policy)[0].crc_ok


# -- R-MPM-07 mandatory objects -------------------------------------------------------------------

@pytest.mark.parametrize("obj_id", ["52", "53", "58", "59", "60"])
def test_missing_mandatory_object(obj_id):
    drop = (obj_id, "54") if obj_id == "53" else (obj_id,)
    expected = {("R-MPM-07", ERROR, obj_id)}
    if obj_id == "53":
        expected.add(("R-MPM-14", WARNING, "01"))     # 54 went too: no amount to judge
    assert problems(variant(drop=drop)) == expected


def test_missing_payload_format_indicator():
    """Without 00 it is reported as missing, not as out of place."""
    assert problems(variant(drop=("00",))) == {("R-MPM-07", ERROR, "00")}


def test_missing_crc():
    assert problems(variant()[:-8]) == {("R-MPM-07", ERROR, "63")}


def test_at_least_one_merchant_account():
    assert problems(variant(drop=("26",))) == {("R-MPM-07", ERROR, "")}
    assert problems(variant({"02": "VISA-MERCHANT-01"}, drop=("26",))) == set()


@pytest.mark.parametrize(("changes", "expected"), [
    ({"00": "02"}, {("R-MPM-07", ERROR, "00")}),
    ({"01": "13"}, {("R-MPM-07", ERROR, "01")}),
    ({"01": "11"}, set()),
    ({"01": "12"}, set()),
])
def test_format_indicator_and_point_of_initiation_values(changes, expected):
    assert problems(variant(changes)) == expected


# -- R-MPM-08 formats and lengths -----------------------------------------------------------------

@pytest.mark.parametrize(("changes", "expected"), [
    ({"52": "58A2"}, {("R-MPM-08", ERROR, "52")}),
    ({"52": "581"}, {("R-MPM-08", ERROR, "52")}),
    ({"52": "５８１２"}, {("R-MPM-08", ERROR, "52")}),
    ({"53": "15"}, {("R-MPM-08", ERROR, "53")}),
    ({"53": "1X6"}, {("R-MPM-08", ERROR, "53")}),
    ({"58": "cn"}, {("R-MPM-08", ERROR, "58")}),
    ({"58": "CHN"}, {("R-MPM-08", ERROR, "58")}),
    ({"58": "C1"}, {("R-MPM-08", ERROR, "58")}),
    ({"59": "N" * 26}, {("R-MPM-08", ERROR, "59")}),
    ({"59": "面馆"}, {("R-MPM-08", ERROR, "59")}),
    ({"59": "NOODLE\tBAR"}, {("R-MPM-08", ERROR, "59")}),
    ({"60": "S" * 16}, {("R-MPM-08", ERROR, "60")}),
    ({"61": "1" * 11}, {("R-MPM-08", ERROR, "61")}),
    ({"54": "1" * 14}, {("R-MPM-08", ERROR, "54")}),
    ({"02": "4000 1234 中"}, {("R-MPM-08", ERROR, "02")}),
    ({"59": "N" * 25, "60": "S" * 15, "61": "1" * 10}, set()),
    ({"65": "RFU 中文 value"}, set()),
    ({"79": "X"}, set()),
    ({"02": "VISA-1234"}, set()),
    ({"53": "392", "54": "1200"}, set()),
], ids=["mcc-letter", "mcc-3", "mcc-fullwidth", "currency-2", "currency-letter",
        "country-lower", "country-3", "country-digit", "name-26", "name-chinese", "name-tab",
        "city-16", "postal-11", "amount-14", "primitive-account-non-ans", "limits-exact",
        "rfu-65-s", "rfu-79", "primitive-account", "jpy"])
def test_formats_and_lengths(changes, expected):
    assert problems(variant(changes)) == expected


def test_format_message_names_the_character():
    (finding,) = validate(variant({"59": "面馆"}), RULES)[1]
    assert "ans" in finding.message and "U+9762" in finding.message


@pytest.mark.parametrize(("policy", "severity"), [(LENIENT, WARNING), (STRICT, ERROR)])
def test_currency_missing_from_the_table_is_a_policy_finding(policy, severity):
    """999 is three digits, but not a currency the profile's ISO 4217 table knows."""
    payload = variant({"53": "999"})
    assert problems(payload, policy) == {("R-MPM-08", severity, "53")}


@pytest.mark.parametrize(("code", "exponent"), [
    ("156", 2), ("840", 2), ("344", 2), ("702", 2), ("986", 2), ("360", 2), ("764", 2),
    ("704", 0), ("116", 2), ("978", 2), ("392", 0), ("410", 0), ("458", 2)])
def test_currency_exponents(code, exponent):
    assert CURRENCIES[code][1] == exponent


# -- R-MPM-09 amounts -----------------------------------------------------------------------------

@pytest.mark.parametrize(("amount", "currency", "ok"), [
    ("98.73", "156", True),
    ("98", "156", True),
    ("98.", "156", True),
    ("0.01", "156", True),
    ("0000012.5", "156", True),
    ("1200", "392", True),
    ("1200.", "392", True),
    ("5.125", "414", True),
    ("0", "156", False),
    ("0.00", "156", False),
    ("98,73", "156", False),
    ("1,000.00", "156", False),
    ("3 705", "156", False),
    ("98.1.2", "156", False),
    (".5", "156", False),
    ("-5", "156", False),
    ("+5", "156", False),
])
def test_amount_grammar(amount, currency, ok):
    payload = variant({"54": amount, "53": currency})
    assert problems(payload) == (set() if ok else {("R-MPM-09", ERROR, "54")})


@pytest.mark.parametrize(("amount", "currency"), [
    ("10.123", "156"), ("1200.5", "392"), ("5.1250", "414")])
def test_more_decimals_than_the_exponent_is_a_warning_in_1_1_and_an_error_in_1_0(amount,
                                                                                   currency):
    """MPM v1.0 §4.7.4.1: the decimals 'should' align with the exponent (profile 1.1,
    emv-mpm.json decimalsSeverity policy); 1.0, lacking the key, made it an error."""
    payload = variant({"54": amount, "53": currency})
    assert problems(payload) == {("R-MPM-09", WARNING, "54")}
    assert problems(payload, STRICT) == {("R-MPM-09", ERROR, "54")}
    rules_1_0 = Rules.of(DATA_DIR / "cn-interconnect" / "1.0")
    assert {(f.requirement, f.severity) for f in validate(payload, rules_1_0)[1]} == \
        {("R-MPM-09", ERROR)}


def test_merchant_channel_positions_follow_v1_1_in_1_1_only():
    """Profile 1.1 reads 62-11 as MPM v1.1's three positions; 1.0 as any 3 characters."""
    rules_1_0 = Rules.of(DATA_DIR / "cn-interconnect" / "1.0")
    assert validate(variant({"62.11": "APP"}), rules_1_0)[1] == []


def test_amount_message_names_the_currency_exponent():
    (finding,) = validate(variant({"54": "10.123"}), RULES)[1]
    assert "156 (CNY)" in finding.message and "2" in finding.message


def test_fixed_fee_follows_the_amount_grammar():
    assert problems(variant({"55": "02", "56": "1.00"})) == set()
    assert problems(variant({"55": "02", "56": "1,00"})) == {("R-MPM-09", ERROR, "56")}


@pytest.mark.parametrize("fee", ["0", "0.00", "00."])
def test_fixed_fee_of_zero_breaks_amount_grammar_and_coupling(fee):
    """A zero fee is named by both R-MPM-09 (an amount is not zero) and R-MPM-10 (55 = 02
    needs a non-zero fee)."""
    assert problems(variant({"55": "02", "56": fee})) == {("R-MPM-09", ERROR, "56"),
                                                           ("R-MPM-10", ERROR, "56")}


# -- R-MPM-10 tip and convenience fee -------------------------------------------------------------

@pytest.mark.parametrize(("changes", "expected"), [
    ({"55": "01"}, set()),
    ({"55": "01"} | {"54": "0.5"}, set()),
    ({"55": "02", "56": "2.00"}, set()),
    ({"55": "03", "57": "3.5"}, set()),
    ({"55": "03", "57": "00.01"}, set()),
    ({"55": "03", "57": "99.99"}, set()),
    ({"55": "04"}, {("R-MPM-10", ERROR, "55")}),
    ({"55": "02"}, {("R-MPM-10", ERROR, "55")}),
    ({"56": "2.00"}, {("R-MPM-10", ERROR, "56")}),
    ({"55": "01", "56": "2.00"}, {("R-MPM-10", ERROR, "56")}),
    ({"55": "03"}, {("R-MPM-10", ERROR, "55")}),
    ({"57": "3.5"}, {("R-MPM-10", ERROR, "57")}),
    ({"55": "02", "57": "3.5"}, {("R-MPM-10", ERROR, "55"), ("R-MPM-10", ERROR, "57")}),
    ({"55": "03", "57": "5%"}, {("R-MPM-10", ERROR, "57")}),
    ({"55": "03", "57": "100"}, {("R-MPM-10", ERROR, "57")}),
    ({"55": "03", "57": "0.00"}, {("R-MPM-10", ERROR, "57")}),
    ({"55": "03", "57": "1.125"}, {("R-MPM-10", ERROR, "57")}),
    ({"55": "03", "57": "12.345"}, {("R-MPM-08", ERROR, "57"), ("R-MPM-10", ERROR, "57")}),
], ids=["tip-prompt", "tip-without-amount-rule", "fixed", "percent", "percent-min",
        "percent-max", "rfu-value", "fixed-missing", "fixed-alone", "fixed-with-tip",
        "percent-missing", "percent-alone", "fixed-vs-percent", "percent-sign", "percent-100",
        "percent-zero", "percent-3-decimals", "percent-6-chars"])
def test_tip_and_fee_coupling(changes, expected):
    assert problems(variant(changes)) == expected


def test_tip_indicator_may_come_without_an_amount():
    """55 may be present on a static code that lets the payer enter the amount."""
    assert problems(variant({"55": "01", "01": "11"}, drop=("54",))) == set()


# -- R-MPM-11 GUIDs -------------------------------------------------------------------------------

@pytest.mark.parametrize(("changes", "expected"), [
    ({"26": {"01": "M000000001"}}, {("R-MPM-11", ERROR, "26.00")}),
    ({"26.00": "G" * 33}, {("R-MPM-11", ERROR, "26.00")}),
    ({"26.00": "支付宝"}, {("R-MPM-11", ERROR, "26.00")}),
    ({"26.00": "G" * 32}, set()),
    ({"26.00": "A000000333"}, set()),
    ({"26.00": "0f5e6b2ad38a4e5f8d1c2b3a4d5e6f70"}, set()),
    ({"51": {"00": "com.alipay", "01": "https://qr.alipay.com/x"}}, set()),
    ({"80": {"01": "X"}}, {("R-MPM-11", ERROR, "80.00")}),
    ({"99": {"00": "COM.EXAMPLE", "01": "中文 S 数据"}}, set()),
    ({"62.50": {"01": "X"}}, {("R-MPM-11", ERROR, "62.50.00")}),
    ({"62.99": {"00": "COM.EXAMPLE", "01": "X"}}, set()),
], ids=["26-no-guid", "26-guid-33", "26-guid-not-ans", "26-guid-32", "aid", "uuid",
        "51-alipay", "80-no-guid", "99-ok", "62-50-no-guid", "62-99-ok"])
def test_templates_carry_a_guid(changes, expected):
    assert problems(variant(changes)) == expected


# -- R-MPM-12 additional data template ------------------------------------------------------------

@pytest.mark.parametrize(("changes", "expected"), [
    ({"62.05": "***"}, set()),
    ({"62.01": "B" * 25}, set()),
    ({"62.01": "B" * 26}, {("R-MPM-12", ERROR, "62.01")}),
    ({"62.08": "订单"}, {("R-MPM-12", ERROR, "62.08")}),
    ({"62.09": "AME"}, set()),
    ({"62.09": "EM"}, set()),
    ({"62.09": "AA"}, {("R-MPM-12", ERROR, "62.09")}),
    ({"62.09": "X"}, {("R-MPM-12", ERROR, "62.09")}),
    ({"62.09": "AMEA"}, {("R-MPM-12", ERROR, "62.09")}),
    ({"62.10": "91310000MA1FL0001X"}, set()),
    ({"62.11": "020"}, set()),
    ({"62.11": "733"}, set()),
    ({"62.11": "APP"}, {("R-MPM-17", ERROR, "62.11")}),
    ({"62.11": "800"}, {("R-MPM-17", ERROR, "62.11")}),
    ({"62.11": "040"}, {("R-MPM-17", ERROR, "62.11")}),
    ({"62.11": "004"}, {("R-MPM-17", ERROR, "62.11")}),
    ({"62.11": "AP"}, {("R-MPM-12", ERROR, "62.11")}),
    ({"62.20": "RFU 中文"}, set()),
    ({"62.00": "X"}, {("R-MPM-12", ERROR, "62.00")}),
], ids=["prompt", "25", "26", "non-ans", "ame", "em", "repeated-letter", "other-letter",
        "4-letters", "tax-id", "channel", "channel-largest", "channel-letters",
        "channel-media-8", "channel-location-4", "channel-presence-4", "channel-2", "rfu",
        "undefined-00"])
def test_additional_data_template(changes, expected):
    assert problems(variant(changes)) == expected


# -- R-MPM-13 language template -------------------------------------------------------------------

@pytest.mark.parametrize(("changes", "drop", "expected"), [
    ({}, ("64.00",), {("R-MPM-13", ERROR, "64.00")}),
    ({}, ("64.01",), {("R-MPM-13", ERROR, "64.01")}),
    ({}, ("64.02",), set()),
    ({"64.00": "ZHO"}, (), {("R-MPM-13", ERROR, "64.00")}),
    ({"64.00": "Z1"}, (), {("R-MPM-13", ERROR, "64.00")}),
    ({"64.00": "zh"}, (), set()),
    ({"64.01": "面" * 25}, (), set()),
    ({"64.01": "面" * 26}, (), {("R-MPM-13", ERROR, "64.01")}),
    ({"64.02": "上" * 16}, (), {("R-MPM-13", ERROR, "64.02")}),
    ({"64.01": "面\x00馆"}, (), {("R-MPM-13", ERROR, "64.01")}),
    ({"64.01": "最佳　运输"}, (), set()),
    ({"64.01": "Cafe\u0301"}, (), {("R-MPM-13", ERROR, "64.01")}),
    ({"64.03": "RFU"}, (), set()),
], ids=["no-language", "no-name", "no-city", "language-3", "language-digit", "lower-case",
        "name-25", "name-26", "city-16", "control-char", "ideographic-space", "decomposed",
        "rfu"])
def test_language_template(changes, drop, expected):
    assert problems(variant(changes, drop)) == expected


# -- R-MPM-14 static and dynamic, R-MPM-15 size ---------------------------------------------------

@pytest.mark.parametrize(("changes", "drop", "expected"), [
    ({"01": "12"}, ("54",), {"R-MPM-14"}),
    ({"01": "12"}, (), set()),
    ({"01": "11"}, ("54",), set()),
    ({}, ("01", "54"), set()),
])
@pytest.mark.parametrize(("policy", "severity"), [(LENIENT, WARNING), (STRICT, ERROR)])
def test_dynamic_code_carries_the_amount(changes, drop, expected, policy, severity):
    """A dynamic code without amount: a warning, an error in strict mode."""
    assert problems(variant(changes, drop), policy) == {(r, severity, "01") for r in expected}


@pytest.mark.parametrize(("policy", "severity"), [(LENIENT, WARNING), (STRICT, ERROR)])
def test_payload_over_512_characters(policy, severity):
    big = {f"{i}": {"00": "COM.EXAMPLE", "01": "X" * 80} for i in range(80, 85)}
    payload = variant(big)
    assert len(payload) > 512
    assert problems(payload, policy) == {("R-MPM-15", severity, "")}
    small = variant({k: v for k, v in big.items() if k < "83"})
    assert len(small) <= 512 and problems(small) == set()


# -- R-MPM-16 UnionPay ID 15 ----------------------------------------------------------------------

@pytest.mark.parametrize(("value", "ok"), [
    ("4800070248000702800070254994353", True),
    ("37210116372101160123456789ABCDE", True),       # the merchant ID is ans 15
    ("480007024800070280007025499435", False),
    ("48000702480007028000702549943531", False),
    ("4800070A48000702800070254994353", False),
    ("48000702480007B2800070254994353", False),
    ("4800070248000702800070254-94353", True),
])
def test_unionpay_account_structure(value, ok):
    payload = variant({"15": value}, drop=("26",))
    assert problems(payload) == (set() if ok else {("R-MPM-16", ERROR, "15")})


def test_unionpay_message_gives_the_layout():
    (finding,) = validate(variant({"15": "1234"}), RULES)[1]
    assert "acquirer IIN (8) + forwarding IIN (8) + merchant ID (15)" in finding.message


# -- R-CPM-04 cleartext card numbers --------------------------------------------------------------

@pytest.mark.parametrize(("value", "path", "flagged"), [
    ("4111111111111111", "26.01", True),
    ("6222021234567890128", "26.01", True),
    ("PAN4111111111111111END", "26.01", True),
    ("4111111111111112", "26.01", False),
    ("41111111111111111111", "26.01", False),
    ("0000000000000000", "26.01", False),
    ("411111111111111", "26.01", False),
])
def test_cleartext_card_number(value, path, flagged):
    payload = variant({"26.01": value})
    assert problems(payload) == ({("R-CPM-04", WARNING, path)} if flagged else set())


def test_card_number_in_a_root_value_and_message_is_masked():
    findings = validate(variant({"02": "4111111111111111"}), RULES)[1]
    assert [(f.requirement, f.severity, f.path) for f in findings] == [
        ("R-CPM-04", WARNING, "02")]
    assert problems(variant({"02": "4111111111111111"}), STRICT) == {("R-CPM-04", ERROR, "02")}
    assert "4111111111111111" not in findings[0].message
    assert "411111******1111" in findings[0].message


# -- findings and robustness ----------------------------------------------------------------------

def test_every_problem_is_reported_at_once():
    """A code with many defects gets all of them, not only the first."""
    payload = variant({"00": "02", "52": "58A2", "58": "cn", "54": "1,00", "62.09": "AA",
                       "64.00": "Z1"}, drop=("59",))
    assert problems(with_wrong_crc(payload)) == {
        ("R-MPM-07", ERROR, "00"), ("R-MPM-08", ERROR, "52"), ("R-MPM-08", ERROR, "58"),
        ("R-MPM-09", ERROR, "54"), ("R-MPM-12", ERROR, "62.09"), ("R-MPM-13", ERROR, "64.00"),
        ("R-MPM-07", ERROR, "59"), ("R-MPM-05", ERROR, "63")}


def test_findings_name_catalogue_requirements():
    catalogue = json.loads((DATA_DIR.joinpath(*DEFAULT_PROFILE) / "requirements.json")
                           .read_text(encoding="utf-8"))
    known = {r["id"] for r in catalogue["requirements"]}
    text = RULES_PATH.read_text(encoding="utf-8")
    used = set(re.findall(r'"(R-[A-Z]+-\d{2})"', text))
    assert used and used <= known


@given(st.text(max_size=300))
@settings(database=None, max_examples=300)
def test_validate_never_raises(text):
    """Any text, however broken, gives findings, never an exception."""
    code, findings = validate(text, RULES)
    assert code is not None or [f.requirement for f in findings] == ["R-MPM-01"]


def test_lone_surrogate_does_not_crash():
    """A lone surrogate (from a broken decoder) cannot be UTF-8 encoded: it is reported, and
    the CRC check does not crash on it."""
    payload = variant({"64.01": "面馆"}).replace("面馆", "面\ud800")
    assert problems(payload) == {("R-MPM-13", ERROR, "64.01"), ("R-MPM-05", ERROR, "63")}


# -- the rules file -------------------------------------------------------------------------------

def test_rules_file_matches_its_schema():
    schema = json.loads((SCHEMA_DIR / "emv-mpm.schema.json").read_text(encoding="utf-8"))
    Draft202012Validator.check_schema(schema)
    rules = json.loads(RULES_PATH.read_text(encoding="utf-8"))
    errors = list(Draft202012Validator(schema).iter_errors(rules))
    assert errors == [], [e.message for e in errors]


@pytest.mark.parametrize(("where", "bad"), [
    (("root", "objects", "59", "format"), "ascii"),
    (("root", "objects", "59", "maxLength"), 100),
    (("root", "objects", "2"), {"name": "x", "presence": "O", "format": "S"}),
    (("payload", "crc", "requirement"), "MPM-05"),
    (("currencies", "156", "exponent"), "2"),
    (("root", "objects", "62", "format"), "S"),
])
def test_schema_refuses_a_broken_rules_file(where, bad):
    schema = json.loads((SCHEMA_DIR / "emv-mpm.schema.json").read_text(encoding="utf-8"))
    rules = json.loads(RULES_PATH.read_text(encoding="utf-8"))
    node = rules
    for key in where[:-1]:
        node = node[key]
    node[where[-1]] = bad
    assert not Draft202012Validator(schema).is_valid(rules)


def test_rules_are_compiled_once_per_profile(monkeypatch):
    """validate() never reads the data file: Rules.of compiles a profile's once and keeps it."""
    def refuse(*args, **kwargs):
        raise AssertionError("rules read at call time")
    assert Rules.of(DATA_DIR.joinpath(*DEFAULT_PROFILE)) is RULES
    monkeypatch.setattr(json, "load", refuse)
    monkeypatch.setattr(rules_module, "load_rules", refuse)
    assert Rules.of(DATA_DIR / DEFAULT_PROFILE[0] / ".." / "/".join(DEFAULT_PROFILE)) is RULES
    assert validate(variant(), RULES)[1] == []


def profile_copy(tmp_path: Path, change: Callable[[dict], None]) -> Path:
    """A copy of the bundled profile whose ``codes/emv-mpm.json`` ``change`` edits."""
    folder = tmp_path / "profile"
    shutil.copytree(DATA_DIR.joinpath(*DEFAULT_PROFILE), folder)
    path = rules_path(folder)
    document = json.loads(path.read_text(encoding="utf-8"))
    change(document)
    path.write_text(json.dumps(document), encoding="utf-8")
    return folder


def test_the_profile_in_use_decides_the_rules(tmp_path):
    """A profile version whose merchant name may be 30 characters is checked by its own rules,
    the bundled profile's still by its 25, whichever was compiled first."""
    def longer_names(document: dict) -> None:
        document["root"]["objects"]["59"]["maxLength"] = 30
    other = Rules.of(profile_copy(tmp_path, longer_names))
    payload = variant({"59": "A MERCHANT NAME OF 28 CHARS."})
    assert len(decode(payload, RULES)["59"]) == 28
    assert ("R-MPM-08", ERROR, "59") in {(f.requirement, f.severity, f.path)
                                         for f in validate(payload, RULES)[1]}
    assert validate(payload, other)[1] == []
    assert Rules.of(DATA_DIR.joinpath(*DEFAULT_PROFILE)) is RULES
    assert validate(payload, RULES)[1] != []


def test_the_profile_in_use_decides_the_templates(tmp_path):
    """Which IDs are templates is the profile's too: parse and describe follow it."""
    def no_language_template(document: dict) -> None:
        spec = document["root"]["objects"]["64"]
        del spec["template"]
        spec.update(format="S", minLength=1, maxLength=99)
    other = Rules.of(profile_copy(tmp_path, no_language_template))
    assert parse(SAMPLES[1], RULES).get("64").children is not None
    assert parse(SAMPLES[1], other).get("64").children is None
    assert describe(parse(SAMPLES[1], other), other)["objects"][8]["children"] == []


def test_a_broken_rules_file_is_a_profile_error(tmp_path):
    def broken(document: dict) -> None:
        document["root"]["objects"]["59"]["maxLength"] = "long"
    folder = profile_copy(tmp_path, broken)
    with pytest.raises(ProfileError, match=r"emv-mpm\.json: at root/objects/59/maxLength"):
        Rules.of(folder)


# -- decode, encode, describe ---------------------------------------------------------------------

def test_decode_gives_nested_ordered_mappings():
    value = decode(SAMPLES[1], RULES)
    assert list(value) == ["00", "01", "29", "31", "52", "58", "59", "60", "64", "54", "53",
                           "55", "62", "91", "63"]
    assert value["64"] == {"00": "ZH", "01": "最佳运输", "02": "北京"}
    assert value["62"] == {"03": "1234", "06": "***", "07": "A6008667", "09": "ME"}
    assert value["29"] == {"00": "D15600000000", "05": "A93FO3230Q"}
    assert value["63"] == "A13A"


@pytest.mark.parametrize("row", [*CLEAN_ROWS, 3, 8])
def test_decode_encode_round_trip_on_published_samples(row):
    """Byte for byte, reordered objects (row 3 puts 52 before 15) included."""
    assert encode(decode(SAMPLES[row], RULES), RULES) == SAMPLES[row]


@pytest.mark.parametrize("row", [4, 16])
def test_encode_recomputes_a_wrong_crc(row):
    payload = SAMPLES[row]
    assert encode(decode(payload, RULES), RULES) == payload[:-4] + crc_of(payload[:-4])


def test_encode_puts_00_first_and_63_last():
    value = {"52": "5812", "00": "01", "63": "FFFF", "58": "CN"}
    payload = encode(value, RULES)
    assert payload.startswith("0002015204581258")
    assert payload[-8:-4] == "6304" and payload[-4:] == crc_of(payload[:-4])


def test_encode_nested_templates():
    payload = encode({"00": "01", "62": {"05": "R1", "50": {"00": "G", "01": "X"}}}, RULES)
    assert payload.startswith("000201" + "6220" + "0502R1" + "5010" + "0001G0101X" + "6304")


@pytest.mark.parametrize(("value", "path"), [
    ({"00": "01", "5": "X"}, ""),
    ({"00": "01", "59": ""}, "59"),
    ({"00": "01", "59": "X" * 100}, "59"),
    ({"00": "01", "62": {"05": "A" * 60, "07": "B" * 60}}, "62"),
    ({"00": "01", "62": {"0x": "A"}}, "62"),
    ({"00": "01", "54": 12.5}, "54"),
])
def test_encode_refuses_what_cannot_be_written(value, path):
    with pytest.raises(PayloadError) as info:
        encode(value, RULES)
    assert info.value.path == path


def test_decode_refuses_duplicates_and_damage():
    with pytest.raises(PayloadError) as info:
        decode(build_payload([*pairs(VALID), ("52", "5812")]), RULES)
    assert info.value.path == "52"
    with pytest.raises(PayloadError):
        decode("0002015920ABC", RULES)


def test_describe_annex_b():
    fields = describe(parse(SAMPLES[1], RULES), RULES)
    assert {k: fields[k] for k in ("merchantName", "merchantCity", "countryCode", "mcc",
                                   "currency", "amount", "pointOfInitiation")} == {
        "merchantName": "BEST TRANSPORT", "merchantCity": "BEIJING", "countryCode": "CN",
        "mcc": "4111", "currency": "156", "amount": "23.72", "pointOfInitiation": "dynamic"}
    assert fields["merchantAccounts"] == [{"id": "29", "guid": "D15600000000"},
                                          {"id": "31", "guid": "D15600000001"}]
    assert fields["alternateLanguage"] == {"language": "ZH", "merchantName": "最佳运输",
                                           "merchantCity": "北京"}
    assert fields["additionalData"] == {"03": "1234", "06": "***", "07": "A6008667",
                                        "09": "ME"}
    objects = {o["id"]: o for o in fields["objects"]}
    assert objects["59"] == {"id": "59", "name": "Merchant Name", "value": "BEST TRANSPORT",
                             "children": []}
    assert [(c["id"], c["name"]) for c in objects["62"]["children"]] == [
        ("03", "Store Label"), ("06", "Customer Label"), ("07", "Terminal Label"),
        ("09", "Additional Consumer Data Request")]
    assert objects["29"]["children"][0]["name"] == "Globally Unique Identifier"
    assert objects["64"]["name"] == "Merchant Information—Language Template"


def test_describe_primitive_account_static_and_absent_fields():
    fields = describe(validate(SAMPLES[12], RULES)[0], RULES)
    assert fields["pointOfInitiation"] == "static"
    assert "amount" not in fields and "alternateLanguage" not in fields
    assert fields["additionalData"] == {}
    kh = describe(validate(SAMPLES[3], RULES)[0], RULES)      # not conformant, still described
    assert kh["merchantAccounts"] == [{"id": "15", "guid": None,
                                       "value": "37210116372101160123456789ABCDE"}]
    assert describe(validate(variant(drop=("01",)), RULES)[0], RULES)["pointOfInitiation"] is None


def test_describe_nested_payment_system_template_and_undefined_id():
    fields = describe(validate(SAMPLES[14], RULES)[0], RULES)
    assert fields["additionalData"] == {"01": "BILLNO", "50": {"00": "TEST", "01": "ABC"}}
    undefined = describe(validate(variant({"62.00": "X"}), RULES)[0], RULES)
    assert [c["name"] for o in undefined["objects"] if o["id"] == "62"
            for c in o["children"]][-1] is None


# -- properties -----------------------------------------------------------------------------------

ANS = st.characters(min_codepoint=0x20, max_codepoint=0x7E)
HAN = st.characters(min_codepoint=0x4E00, max_codepoint=0x9FA5)
DIGITS = "0123456789"


def ans(min_size: int, max_size: int) -> st.SearchStrategy[str]:
    return st.text(ANS, min_size=min_size, max_size=max_size)


@st.composite
def merchant_values(draw) -> dict:
    """Structured values of valid codes: random ans names, Chinese names in 64, optional
    amount and additional data, objects in random order between 00 and 63."""
    body: dict = {}
    if draw(st.booleans()):
        body["01"] = draw(st.sampled_from(["11", "12"]))
    for obj_id in draw(st.lists(st.sampled_from([f"{i}" for i in range(26, 52)]),
                                min_size=1, max_size=3, unique=True)):
        template = {"00": draw(ans(1, 32))}
        if draw(st.booleans()):
            template["01"] = draw(ans(1, 40))
        body[obj_id] = template
    body["52"] = draw(st.text(DIGITS, min_size=4, max_size=4))
    currency = draw(st.sampled_from(["156", "840", "344", "392", "702", "410", "048"]))
    body["53"] = currency
    if body.get("01") == "12" or draw(st.booleans()):
        exponent = CURRENCIES[currency][1]
        decimals = draw(st.text(DIGITS, max_size=exponent))
        mark = "." if decimals else draw(st.sampled_from(["", "."]))
        body["54"] = f"{draw(st.integers(1, 10**8))}{mark}{decimals}"
    body["58"] = draw(st.text(st.characters(min_codepoint=65, max_codepoint=90),
                              min_size=2, max_size=2))
    body["59"] = draw(ans(1, 25))
    body["60"] = draw(ans(1, 15))
    if draw(st.booleans()):
        body["61"] = draw(ans(1, 10))
    if draw(st.booleans()):
        subs = draw(st.lists(st.sampled_from([f"0{i}" for i in range(1, 9)]), min_size=1,
                             max_size=3, unique=True))
        body["62"] = {s: draw(st.one_of(st.just("***"), ans(1, 20))) for s in subs}
    if draw(st.booleans()):
        language = {"00": "ZH", "01": draw(st.text(HAN, min_size=1, max_size=25))}
        if draw(st.booleans()):
            language["02"] = draw(st.text(HAN, min_size=1, max_size=15))
        body["64"] = language
    order = draw(st.permutations(list(body)))
    return {"00": "01", **{k: body[k] for k in order}}


@given(merchant_values())
@settings(database=None, max_examples=200, suppress_health_check=[HealthCheck.too_slow])
def test_generated_codes_round_trip_and_are_valid(value):
    payload = encode(value, RULES)
    findings = validate(payload, RULES)[1]
    assert not has_errors(findings), findings
    # only a random name that happens to hold a Luhn-valid digit run draws a (policy) warning
    assert {f.requirement for f in findings} <= {"R-CPM-04"}
    assert encode(decode(payload, RULES), RULES) == payload
    assert decode(payload, RULES) == {**value, "63": payload[-4:]}


@given(merchant_values(), st.data())
@settings(database=None, max_examples=300, suppress_health_check=[HealthCheck.too_slow])
def test_any_single_character_change_is_an_error(value, data):
    payload = encode(value, RULES)
    index = data.draw(st.integers(0, len(payload) - 1), label="index")
    char = data.draw(st.one_of(ANS, HAN, st.sampled_from("0123456789abcdef"))
                     .filter(lambda c: c != payload[index]), label="char")
    changed = payload[:index] + char + payload[index + 1:]
    # A 16-bit CRC catches every change of one byte, but misses one in 65,536 changes that
    # span more bits (a 3-byte character); such a change makes another valid code.
    assume(index >= len(payload) - 4 or crc_of(changed[:-4]) != changed[-4:])
    assert has_errors(validate(changed, RULES, STRICT)[1])
    lenient = validate(changed, RULES)[1]
    only_case = changed[:-4] == payload[:-4] and changed[-4:].upper() == payload[-4:]
    assert has_errors(lenient) or (only_case and [f.requirement for f in lenient]
                                   == ["R-MPM-06"])


# -- throughput -----------------------------------------------------------------------------------

def throughput(repeats: int = 5, rounds: int = 3000) -> tuple[float, float, int]:
    """Payloads per second of validate() over the published samples plus damaged variants
    (best of ``repeats``), the same with the object tree built, and the mix's mean length."""
    valid = [SAMPLES[row] for row in (*CLEAN_ROWS, 3, 8)]
    mix = [*valid, SAMPLES[4], SAMPLES[16], with_wrong_crc(valid[0]),
           valid[1].replace("5802US", "5802us"), valid[2][:-10], valid[5] + "\r\n"]

    def run(action) -> float:
        best = 0.0
        for _ in range(repeats):
            start = time.perf_counter()
            for _ in range(rounds):
                for payload in mix:
                    action(payload)
            best = max(best, rounds * len(mix) / (time.perf_counter() - start))
        return best

    def with_tree(payload: str) -> None:
        code = validate(payload, RULES)[0]
        if code is not None:
            code.objects    # noqa: B018 - builds the tree
    return (run(lambda payload: validate(payload, RULES)), run(with_tree),
            sum(map(len, mix)) // len(mix))


if __name__ == "__main__":
    alone, tree, mean = throughput()
    print(f"validate(): {alone:,.0f} payloads/s; with the object tree built: {tree:,.0f}/s "
          f"(mean payload {mean} characters)")
