"""Generate qrinterop's test vectors, in the style of Wycheproof.

``python -m vectors.generate`` rewrites ``vectors/*_test.json``; ``--check`` only compares
(the harness's tests do that too). Published samples come verbatim from ``sources/``; every
other case is built here from a valid base by changing exactly one thing, so each negative
tests one rule. The output is deterministic: no randomness, no clock.

Expected results are the specification's, decided case by case, never qrinterop's output.
"""

from __future__ import annotations

import argparse
import base64
import json
import re
import sys
from collections.abc import Callable
from pathlib import Path

from qrinterop.codes.emv_cpm import Tlv, encode_tlv
from qrinterop.codes.emv_mpm import build_payload, crc_of, encode_objects, utf8_length
from qrinterop.profile import load_profile, profile_folder

HERE = Path(__file__).parent
SOURCES = HERE / "sources"
PROFILE = "cn-interconnect/1.1"
PROFILE_VERSION = PROFILE.rpartition("/")[2]
PROFILE_DATA = load_profile(profile_folder(PROFILE))     # the version the header names
GENERATOR_VERSION = "1"
#: Every file says what writes it, so that nobody edits it by hand (see .gitattributes).
GENERATED_BY = "vectors/generate.py"

NOTES = {
    "PublishedSample": ("PUBLISHED", "A payload published by a scheme, vendor or library, "
                                     "copied verbatim; the source field says where."),
    "Utf8": ("INTEROP", "Characters outside the EMV common character set (Chinese): lengths "
                        "count characters and the CRC covers UTF-8 bytes."),
    "BadCrc": ("BASIC", "The CRC (ID 63) does not match the payload."),
    "LowerCaseCrc": ("POLICY", "The CRC is right but written in lower case: a warning, an "
                               "error in strict mode."),
    "WrongCrcAlgorithm": ("INTEROP", "The CRC was computed with a wrong but popular "
                                     "parameterisation (CRC-16/AUG-CCITT, initial value 1D0F)."),
    "Syntax": ("FORMAT", "The payload is not a well-formed sequence of ID-length-value "
                         "objects."),
    "ByteLength": ("INTEROP", "Lengths count UTF-8 bytes instead of characters: the classic "
                              "defect with Chinese merchant names."),
    "Order": ("FORMAT", "00 is not first or 63 is not last."),
    "Duplicate": ("FORMAT", "An ID occurs twice at one level."),
    "Mandatory": ("BASIC", "A mandatory object is missing or has a value the specification "
                           "does not allow."),
    "Format": ("FORMAT", "An object breaks its format (N, ans, S) or maximum length."),
    "Amount": ("EDGE_CASE", "Transaction amount grammar and currency exponent."),
    "TipFee": ("EDGE_CASE", "Tip or convenience indicator (55) and fees (56, 57)."),
    "Guid": ("FORMAT", "Templates that must carry a globally unique identifier (sub-ID 00)."),
    "AdditionalData": ("FORMAT", "Additional data field template 62."),
    "Language": ("FORMAT", "Merchant information language template 64."),
    "DynamicWithoutAmount": ("POLICY", "A dynamic code (point of initiation 12) without an "
                                       "amount: a warning, an error in strict mode."),
    "LongPayload": ("POLICY", "A payload over 512 characters, which EMVCo says should not "
                              "happen."),
    "UnionPayId15": ("INTEROP", "UnionPay merchant account information ID 15: acquirer IIN, "
                                "forwarding IIN, merchant ID."),
    "CleartextPan": ("SECURITY", "A card-number-like value inside a code."),
    "MultiScheme": ("INTEROP", "Several schemes' merchant account templates in one code; a "
                               "wallet picks its own and ignores the others."),
    "NestedTemplate": ("EDGE_CASE", "A payment-system template (50-99) inside 62."),
    "ValidVariant": ("BASIC", "A valid code exercising an optional feature."),
    "MoreDecimals": ("POLICY", "More amount decimals than the currency's exponent: MPM v1.0 "
                               "§4.7.4.1 says they 'should' align, so a warning, an error in "
                               "strict mode."),
    "Gbk": ("INTEROP", "The payload handled as GBK (GB 18030's two-byte subset), as legacy "
                       "Chinese terminals do: CRC or lengths over GBK bytes."),
    "NonBmp": ("INTEROP", "A character outside the Basic Multilingual Plane (GB 18030-2022 "
                          "requires such characters): one character, two UTF-16 units."),
    "MerchantChannel": ("FORMAT", "EMV MPM v1.1 62-11 merchant channel: media 0-7, location "
                                  "0-3, presence 0-3."),
    "Base64": ("FORMAT", "The EMV consumer-presented payload is not valid base64."),
    "Tlv": ("FORMAT", "The decoded bytes are not valid BER-TLV."),
    "Structure": ("BASIC", "Payload format indicator, application templates and common data "
                           "template."),
    "Track2": ("FORMAT", "Track 2 equivalent data (57)."),
    "Routing": ("INTEROP", "Which institution a code routes to, by prefix and length or URL "
                           "pattern."),
    "Simulated": ("BASIC", "A code of one of qrinterop's simulated institutions, on the "
                           "profile's test-only prefixes (routing.json test_only)."),
    "AdvisoryLength": ("INTEROP", "A length the issuer does not document, on a prefix whose "
                                  "lengths it calls advisory (Alipay: the actual length is the "
                                  "code's own): routed, with a warning."),
    "OtherWallet": ("INTEROP", "A payment-code family of another wallet (JD, Bestpay, CCB, "
                               "Alipay face payment, WeBank), routed or known but not routable; "
                               "the address says where it was read."),
    "NotACode": ("EDGE_CASE", "Input that is not a code of the kind at all."),
    "TestCryptogram": ("BASIC", "An EMV CPM payload whose application cryptogram 9F26 was made "
                                "with the profile's test key scheme (business.json emv_cpm)."),
    "AlteredCryptogram": ("SECURITY", "The application cryptogram 9F26 changed after it was made."),
    "AlteredChipData": ("SECURITY", "Data the cryptogram covers (9F37, 9F36, 9F10, 82) changed "
                                    "after it was made: the cryptogram no longer verifies."),
    "Stripped": ("INTEROP", "The payload re-encoded without its transparent template 63, as a "
                            "POI that keeps only the data it understands forwards it."),
    "WrongKey": ("INTEROP", "A cryptogram made with another issuer master key than the "
                            "profile's test key."),
    "Envelope": ("SECURITY", "The envelope is spoilt when the message is signed and sent: "
                             "signature, key, timestamp or nonce."),
    "MissingField": ("BASIC", "A field the message type requires is missing."),
    "WrongType": ("FORMAT", "A field has another JSON type than the schema's (an amount as "
                            "text, say)."),
    "UnknownField": ("FORMAT", "A field the schema does not define (additionalProperties "
                               "is false)."),
    "Unsendable": ("EDGE_CASE", "Not something a purchase can carry (the message set's "
                                "paymentCode: 16 to 24 ASCII digits): a terminal must not send "
                                "it."),
    "QrcSigned": ("BASIC", "A UnionPay QRC form signed as the SDK signs: every field but "
                           "signature sorted by name, k=v joined by &, empty fields not sent, "
                           "the lowercase hex digest signed (SHA-256 with SHA256withRSA, SM3 "
                           "with SM3withSM2)."),
    "UnsortedSigningString": ("INTEROP", "The signing string was built from the fields in the "
                                         "order sent, not sorted by name."),
    "EmptyFieldSigned": ("INTEROP", "An empty field (k=) was left in the signing string, then "
                                    "not sent."),
    "EmptyFieldNotSigned": ("INTEROP", "An empty field was sent (k=) but left out of the "
                                       "signing string (the SDK's filterBlank sends none)."),
    "UrlEncodedValues": ("INTEROP", "The URL-encoded values, as in the form body, were signed "
                                    "instead of the decoded ones."),
    "RawStringSigned": ("INTEROP", "The signing string itself was signed, not its hex digest."),
    "UppercaseDigest": ("INTEROP", "The hex digest was signed in uppercase; the SDK signs it "
                                   "in lowercase."),
    "Sha1Digest": ("SECURITY", "SHA-1 instead of the key's digest: with an RSA key SHA1withRSA "
                               "over the SHA-1 digest, the old SDK's signMethod 01, which the "
                               "profile does not allow; with an SM2 key the SHA-1 digest signed."),
    "WrongCertId": ("SECURITY", "certId names another (retired) key of the sender than the one "
                                "that signed."),
    "RetiredKey": ("SECURITY", "Signed with the sender's retired key, certId naming it: no "
                               "longer accepted."),
    "UnknownCertId": ("SECURITY", "certId names no registered key at all."),
    "WrongSignType": ("SECURITY", "signType names another algorithm than the key's."),
    "NoSignType": ("SECURITY", "No signType sent: the SDK then reads the signature as "
                               "SHA1withRSA, which the profile does not allow."),
    "OtherParticipantKey": ("SECURITY", "Signed with another participant's key, certId naming "
                                        "the sender's."),
    "ContentChanged": ("SECURITY", "A value changed after signing: which one cannot be told, "
                                   "only that the content changed or another key signed it."),
}


def case(comment: str, flags: list[str], result: str, requirements: list[str] | None = None,
         **fields: object) -> dict:
    out = {"comment": comment, "flags": flags, "result": result, **fields}
    if requirements:
        out["requirements"] = requirements
    return out


# -- EMV merchant-presented -------------------------------------------------------------------
#: The merchant account GUID the merchant-code vectors are built on: reference institution A's
#: (mocks/reference-ics.yaml), so that a switch can be shown them on a participant's account
#: (qrinterop.codes.emv_mpm.rehomed).
MERCHANT_GUID = "cn.qrinterop.insta"
BASE = [("00", "01"), ("01", "11"),
        ("26", [("00", MERCHANT_GUID), ("01", "100000012345678")]),
        ("52", "5812"), ("53", "156"), ("58", "CN"), ("59", "LAO BEIJING NOODLES"),
        ("60", "BEIJING"), ("62", [("05", "ORDER0001"), ("07", "T0000001")]),
        ("64", [("00", "ZH"), ("01", "老北京炸酱面"), ("02", "北京")])]


def objs(base=BASE, drop: tuple[str, ...] = (), **changes: object) -> list:
    """The base objects with some dropped and some replaced or added (``_54="12.50"``)."""
    out = [(k, v) for k, v in base if k not in drop]
    for key, value in changes.items():
        key = key.lstrip("_")
        out = [(k, value if k == key else v) for k, v in out]
        if key not in dict(out):
            out.append((key, value))
    return out


def sub(template: str, **changes: object) -> list:
    return objs(dict(BASE)[template], **changes)


def with_crc(body: str) -> str:
    return body + "6304" + crc_of(body + "6304")


def crc_aug_ccitt(text: str) -> str:
    crc = 0x1D0F
    for byte in text.encode("utf-8"):
        crc ^= byte << 8
        for _ in range(8):
            crc = ((crc << 1) ^ 0x1021) & 0xFFFF if crc & 0x8000 else (crc << 1) & 0xFFFF
    return f"{crc:04X}"


def mpm_generated() -> list[dict]:
    good = build_payload(BASE)
    body = good[:-8]
    p = build_payload
    cases = [case("base code: static, Chinese name in template 64", ["ValidVariant", "Utf8"],
                  "valid", payload=good,
                  decoded={"merchantName": "LAO BEIJING NOODLES", "pointOfInitiation": "static",
                           "alternateLanguage": {"language": "ZH", "merchantName": "老北京炸酱面",
                                                 "merchantCity": "北京"}})]
    # CRC
    for i in range(4):
        digit = good[-4 + i]
        wrong = f"{(int(digit, 16) + 1) % 16:X}"
        cases.append(case(f"CRC digit {i + 1} changed", ["BadCrc"], "invalid", ["R-MPM-05"],
                          payload=good[:-4 + i] + wrong + good[len(good) - 3 + i:]))
    cases += [
        case("CRC computed with initial value 1D0F (CRC-16/AUG-CCITT)",
             ["BadCrc", "WrongCrcAlgorithm"], "invalid", ["R-MPM-05"],
             payload=body + "6304" + crc_aug_ccitt(body + "6304")),
        case("CRC computed without the '6304' of the CRC object itself", ["BadCrc"], "invalid",
             ["R-MPM-05"], payload=body + "6304" + crc_of(body)),
        case("CRC value not hexadecimal", ["BadCrc"], "invalid", ["R-MPM-05"],
             payload=body + "6304G00D"),
    ]
    lower = next(c for c in (p(objs(_59=f"SHOP {n}")) for n in range(100))
                 if any(ch in "ABCDEF" for ch in c[-4:]))
    cases.append(case("CRC right but in lower case", ["LowerCaseCrc"], "acceptable",
                      ["R-MPM-06"], payload=lower[:-4] + lower[-4:].lower()))
    # syntax
    cases += [
        case("length 00", ["Syntax"], "invalid", ["R-MPM-01"],
             payload=with_crc(encode_objects(BASE) + "6100")),
        case("length not digits", ["Syntax"], "invalid", ["R-MPM-01"],
             payload=with_crc(encode_objects(BASE).replace("5919", "59A9", 1))),
        case("last object's value runs past the end", ["Syntax"], "invalid", ["R-MPM-01"],
             payload=encode_objects(BASE) + "6199ABC"),
        case("characters after the CRC", ["Syntax"], "invalid", ["R-MPM-01"], payload=good + "X"),
        case("lengths count UTF-8 bytes (Chinese name in 64)", ["ByteLength", "Utf8"],
             "invalid", ["R-MPM-02"], payload=build_payload(BASE, utf8_length)),
    ]
    # order and duplicates
    swapped = [BASE[1], BASE[0], *BASE[2:]]
    cases += [
        case("00 is not the first object", ["Order"], "invalid", ["R-MPM-03"], payload=p(swapped)),
        case("63 is not the last object", ["Order"], "invalid", ["R-MPM-03"],
             payload=good + "6102AB"),
        case("objects other than 00 and 63 in any order", ["ValidVariant"], "valid",
             payload=p([BASE[0], *reversed(BASE[1:])])),
        case("59 twice", ["Duplicate"], "invalid", ["R-MPM-04"],
             payload=p([*BASE, ("59", "OTHER NAME")])),
        case("62.05 twice", ["Duplicate"], "invalid", ["R-MPM-04"],
             payload=p(objs(_62=[("05", "A1"), ("05", "A2")]))),
    ]
    # mandatory set
    for key in ("52", "53", "58", "59", "60"):
        cases.append(case(f"mandatory {key} missing", ["Mandatory"], "invalid", ["R-MPM-07"],
                          payload=p(objs(drop=(key,)))))
    cases += [
        case("no merchant account information (02-51)", ["Mandatory"], "invalid", ["R-MPM-07"],
             payload=p(objs(drop=("26",)))),
        case("payload format indicator 02", ["Mandatory"], "invalid", ["R-MPM-07"],
             payload=p(objs(_00="02"))),
        case("point of initiation 13", ["Mandatory"], "invalid", ["R-MPM-07"],
             payload=p(objs(_01="13"))),
        case("no point of initiation: static", ["ValidVariant"], "valid",
             payload=p(objs(drop=("01",)))),
    ]
    # formats and lengths
    for comment, change in [
        ("52 not 4 digits", {"_52": "58A2"}), ("53 two digits", {"_53": "15"}),
        ("53 letters", {"_53": "CNY"}), ("58 lower case", {"_58": "cn"}),
        ("58 three letters", {"_58": "CHN"}), ("59 of 26 characters", {"_59": "A" * 26}),
        ("60 of 16 characters", {"_60": "B" * 16}), ("61 of 11 characters", {"_61": "1" * 11}),
        ("59 outside the EMV common character set", {"_59": "CAFÉ"}),
        ("54 of 14 characters", {"_54": "12345678901.23"}),
    ]:
        cases.append(case(comment, ["Format"], "invalid", ["R-MPM-08"], payload=p(objs(**change))))
    cases.append(case("59 of exactly 25 characters", ["Format"], "valid",
                      payload=p(objs(_59="A" * 25))))
    # amounts
    for amount in ("0", "0.00", "98,73", "3 705", "1.2.3", "12.345", "-5", ".5"):
        result, more = _decimals(amount)
        cases.append(case(f"amount {amount!r}", ["Amount", *more], result, ["R-MPM-09"],
                          payload=p(objs(_01="12", _54=amount))))
    for amount in ("98", "98.", "98.73", "0.01"):
        cases.append(case(f"amount {amount!r}", ["Amount"], "valid",
                          payload=p(objs(_01="12", _54=amount))))
    cases += [
        case("amount with decimals in a currency without (JPY)", ["Amount", "MoreDecimals"],
             "acceptable", ["R-MPM-09"], payload=p(objs(_01="12", _53="392", _54="100.5"))),
        case("fixed convenience fee of zero", ["Amount", "TipFee"], "invalid", ["R-MPM-09"],
             payload=p(objs(_55="02", _56="0"))),
    ]
    # tip and convenience fee
    for comment, change, result in [
        ("55 = 04", {"_55": "04"}, "invalid"), ("55 = 02 without 56", {"_55": "02"}, "invalid"),
        ("56 without 55", {"_56": "1.00"}, "invalid"),
        ("57 without 55", {"_57": "10.00"}, "invalid"),
        ("55 = 03 with 57 of 00.00", {"_55": "03", "_57": "00.00"}, "invalid"),
        ("57 with a percent sign", {"_55": "03", "_57": "5%"}, "invalid"),

        ("55 = 01: prompt for tip", {"_55": "01"}, "valid"),
        ("55 = 02 with 56", {"_55": "02", "_56": "1.00"}, "valid"),
        ("55 = 03 with 57", {"_55": "03", "_57": "10.00"}, "valid"),
    ]:
        cases.append(case(comment, ["TipFee"], result,
                          ["R-MPM-10"] if result == "invalid" else None, payload=p(objs(**change))))
    # GUID templates
    for comment, change, result in [
        ("26 without GUID", {"_26": [("01", "100000012345678")]}, "invalid"),
        ("GUID of 33 characters", {"_26": [("00", "cn." + "q" * 30), ("01", "1")]}, "invalid"),
        ("62.50 without GUID", {"_62": [("05", "A1"), ("50", [("01", "X")])]}, "invalid"),
        ("80 without GUID", {"_80": [("01", "X")]}, "invalid"),
        ("GUID is an AID", {"_26": [("00", "A000000333"), ("01", "1")]}, "valid"),
        ("GUID is a UUID without hyphens",
         {"_26": [("00", "5af16fa725d5442b8c19b88ddafb14c7"), ("01", "1")]}, "valid"),
    ]:
        cases.append(case(comment, ["Guid"], result,
                          ["R-MPM-11"] if result == "invalid" else None, payload=p(objs(**change))))
    # template 62
    for comment, value, result in [
        ("62.01 of 26 characters", [("01", "B" * 26)], "invalid"),
        ("62.09 with A twice", [("09", "AA")], "invalid"),
        ("62.09 with X", [("09", "X")], "invalid"),
        ("62.11 of 4 characters", [("11", "ABCD")], "invalid"),
        ("62.05 = *** (prompt the payer)", [("05", "***")], "valid"),
        ("62.09 = AME", [("09", "AME")], "valid"),
        ("62.10 and 62.11 (EMV MPM v1.1; 62.11 020: sticker, remote commerce, attended)",
         [("10", "91110000123456789X"), ("11", "020")], "valid"),
    ]:
        cases.append(case(comment, ["AdditionalData"], result,
                          ["R-MPM-12"] if result == "invalid" else None,
                          payload=p(objs(_62=value))))
    # template 64
    for comment, value in [
        ("64 without 01", [("00", "ZH"), ("02", "北京")]),
        ("64 without 00", [("01", "老北京"), ("02", "北京")]),
        ("64.00 of 3 characters", [("00", "ZHO"), ("01", "老北京")]),
        ("64.01 of 26 characters", [("00", "ZH"), ("01", "面" * 26)]),
        ("64.02 of 16 characters", [("00", "ZH"), ("01", "老北京"), ("02", "京" * 16)]),
    ]:
        cases.append(case(comment, ["Language", "Utf8"], "invalid", ["R-MPM-13"],
                          payload=p(objs(_64=value))))
    # static and dynamic, long payloads
    cases += [
        case("dynamic code without amount", ["DynamicWithoutAmount"], "acceptable", ["R-MPM-14"],
             payload=p(objs(_01="12"))),
        case("dynamic code with amount", ["ValidVariant"], "valid",
             payload=p(objs(_01="12", _54="12.50"))),
        case("payload of more than 512 characters", ["LongPayload"], "acceptable", ["R-MPM-15"],
             payload=p(objs(**{f"_{80 + i}": [("00", "cn.example"), ("01", "X" * 80)]
                               for i in range(6)}))),
    ]
    # UnionPay ID 15
    for comment, value, result in [
        ("ID 15: acquirer IIN, forwarding IIN, merchant ID", "2500034400020344" + "7" * 15,
         "valid"),
        ("ID 15 of 30 digits", "2500034400020344" + "7" * 14, "invalid"),
        ("ID 15 with letters in the acquirer IIN", "25A00344000203447777777777ABCDE", "invalid"),
    ]:
        cases.append(case(comment, ["UnionPayId15"], result,
                          ["R-MPM-16"] if result == "invalid" else None,
                          payload=p(objs(drop=("26",), _15=value))))
    cases.append(case("a Luhn-valid card number as bill number", ["CleartextPan"], "acceptable",
                      ["R-CPM-04"], payload=p(objs(_62=[("01", "4111111111111111")]))))
    return cases


def _decimals(amount: str) -> tuple[str, list[str]]:
    """More decimals than CNY's exponent is acceptable (MPM v1.0 §4.7.4.1 "should"), every
    other broken amount invalid."""
    whole, dot, decimals = amount.partition(".")
    if dot and whole.isdigit() and decimals.isdigit() and len(decimals) > 2:
        return "acceptable", ["MoreDecimals"]
    return "invalid", []


#: Where the China-specific negatives' rules and the v1.1 merchant channel were read.
LEE_RATINAN = "https://github.com/lee-ratinan/emv-qr/blob/master/src/EmvAdditionalDataFields.php"
GB18030 = "https://www.gbstd.com/en-us/view/6100054012000000.html"
#: A merchant account template no participant of the simulated network owns: a wallet that
#: misreads such a code asks the switch about it instead of refusing it as its own (on-us).
FOREIGN_ACCOUNT = [("00", "cn.example.acquirer"), ("01", "100000012345678")]
#: The base code with a name outside the Basic Multilingual Plane in 64: 𠮷 (U+20BB7) is one
#: character, two UTF-16 code units, four UTF-8 bytes.
NON_BMP_NAME = "𠮷野家"


def gbk_length(text: str) -> int:
    """A value's length in GBK bytes (2 per Chinese character): a legacy terminal's count."""
    return len(text.encode("gbk"))


def utf16_length(text: str) -> int:
    """A value's length in UTF-16 code units: Java's or JavaScript's String.length."""
    return len(text.encode("utf-16-le")) // 2


def crc_over_gbk(body_through_6304: str) -> str:
    """CRC-16/CCITT-FALSE computed over the GBK bytes instead of the UTF-8 bytes."""
    import binascii
    return f"{binascii.crc_hqx(body_through_6304.encode('gbk'), 0xFFFF):04X}"


def mpm_china() -> list[dict]:
    """China-specific cases and the MPM v1.1 merchant channel, a group of their own after the
    others (so that earlier tcIds stay as they were), each with the address of its rule."""
    p = build_payload
    body = encode_objects(BASE) + "6304"
    non_bmp = objs(_64=[("00", "ZH"), ("01", NON_BMP_NAME)])
    cases = [
        case("CRC computed over the GBK bytes of the payload (a GBK terminal), not UTF-8",
             ["BadCrc", "Gbk"], "invalid", ["R-MPM-05"], payload=body + crc_over_gbk(body),
             address=GB18030),
        case("lengths count GBK bytes (2 per Chinese character) instead of characters",
             ["ByteLength", "Gbk"], "invalid", ["R-MPM-02"],
             payload=build_payload(objs(_64=[("00", "ZH"), ("01", "老北京"), ("02", "北京")]),
                                   gbk_length), address=GB18030),
        case("a character outside the BMP in 64.01 (𠮷, U+20BB7): 𠮷野家 is 3 characters",
             ["Utf8", "NonBmp", "ValidVariant"], "valid", payload=p(non_bmp),
             decoded={"alternateLanguage": {"language": "ZH", "merchantName": NON_BMP_NAME}},
             address=GB18030),
        case("a character outside the BMP in 64.01 counted in UTF-16 units (Java "
             "String.length: 4 for 𠮷野家)", ["ByteLength", "NonBmp"], "invalid", ["R-MPM-02"],
             payload=build_payload(non_bmp, utf16_length), address=GB18030),
    ]
    for comment, value, account in [
            ("media 8", "800", FOREIGN_ACCOUNT), ("location 4", "040", None),
            ("presence 4", "004", None), ("letters", "ABC", FOREIGN_ACCOUNT)]:
        where = " (a merchant account no participant owns)" if account else ""
        cases.append(case(f"62.11 merchant channel {value}: {comment} is outside EMV MPM "
                          f"v1.1's positions (media 0-7, location 0-3, presence 0-3){where}",
                          ["AdditionalData", "MerchantChannel"], "invalid", ["R-MPM-17"],
                          payload=p(objs(_62=[("11", value)],
                                         **({"_26": account} if account else {}))),
                          address=LEE_RATINAN))
    cases.append(case("62.11 merchant channel 733: other screen, other location, other "
                      "presence (every position at its largest value)",
                      ["AdditionalData", "MerchantChannel", "ValidVariant"], "valid",
                      payload=p(objs(_62=[("11", "733")])), address=LEE_RATINAN))
    return cases


def mpm_published(added: bool = False) -> list[dict]:
    """The published samples of sources/mpm-published.json: those of 1.0 first, those added
    since (``since``) in a group of their own, so that the tcIds of the first stay."""
    data = json.loads((SOURCES / "mpm-published.json").read_text(encoding="utf-8"))
    return [case(s["name"] + (f" — {s['comment']}" if s.get("comment") else ""), s["flags"],
                 s["result"], s.get("requirements"), source=s["source"], payload=s["payload"],
                 **({"address": s["address"]} if "address" in s else {}),
                 **({"decoded": s["decoded"]} if "decoded" in s else {}))
            for s in data["samples"] if ("since" in s) == added]


def mpm_published_1_1() -> list[dict]:
    return mpm_published(added=True)


# -- EMV consumer-presented -------------------------------------------------------------------
AID = bytes.fromhex("A0000003330101")
TRACK2 = bytes.fromhex("6212345678901234D2512201123456789F")     # PAN fails Luhn: no warning


def prim(tag: str, value: bytes) -> Tlv:
    return Tlv(tag, value)


def app(*children: Tlv) -> Tlv:
    return Tlv.template("61", list(children))


def cpm(*objects: Tlv) -> str:
    return base64.b64encode(encode_tlv(objects)).decode("ascii")


PFI = prim("85", b"CPV01")


def cpm_cases() -> list[dict]:
    published = [
        ("EMV CPM v1.0 Annex B.1", "hQVDUFYwMWEaTwegAAAAVVVVVw8SNFZ4kBI0WNGRIgESNF8=", "valid",
         None),
        ("EMV CPM v1.0 Annex B.2: two applications, common data, transparent template",
         "hQVDUFYwMWETTwegAAAAVVVVUAhQcm9kdWN0MWETTwegAAAAZmZmUAhQcm9kdWN0MmJJWggSNFZ4kBI0WF8gDkNBUk"
         "RIT0xERVIvRU1WXy0IcnVlc2RlZW5kIZ8QBwYBCgMAAACfJghYT9OF+iNLzJ82AgABnzcEbVjvEw==", "valid",
         None),
        ("UnionPay EMV CPM (public UPI wallet test); its token PAN passes Luhn, so it is "
         "reported as a possible cleartext card number",
         "hQVDUFYwMWFYTwigAAADMwEBAVcTYpJhA1hEQzVkHSIQIBAAABiAH180AQBjM58mCFaLEtnaC9l/nycBgJ8QEQcA"
         "AQOgAAABCDM5OTk5OTk5nzYCAAGCAgAAnzcE6gZYyA==", "acceptable", ["R-CPM-04"]),
    ]
    cases = [case(c, ["PublishedSample"], r, req, source="domain.md §7", payload=pl)
             for c, pl, r, req in published]
    good = cpm(PFI, app(prim("4F", AID), prim("57", TRACK2)))
    cases.append(case("one application with AID and track 2", ["Structure"], "valid",
                      payload=good, decoded={"payloadFormat": "CPV01"}))
    bad = [
        ("not base64", ["Base64"], "hQVDUFY!!!"),
        ("BER-TLV length runs past the end", ["Tlv"],
         base64.b64encode(encode_tlv([PFI]) + bytes.fromhex("611A4F07")).decode()),
        ("payload format CPV02", ["Structure"], cpm(prim("85", b"CPV02"),
                                                    app(prim("4F", AID), prim("57", TRACK2)))),
        ("no application template", ["Structure"], cpm(PFI)),
        ("three application templates", ["Structure"],
         cpm(PFI, *[app(prim("4F", AID), prim("57", TRACK2)) for _ in range(3)])),
        ("ADF name of 4 bytes", ["Structure"], cpm(PFI, app(prim("4F", AID[:4]),
                                                              prim("57", TRACK2)))),
        ("ADF name of 17 bytes", ["Structure"], cpm(PFI, app(prim("4F", AID + bytes(10)),
                                                              prim("57", TRACK2)))),
        ("neither track 2 nor PAN", ["Structure"], cpm(PFI, app(prim("4F", AID)))),
        ("4F twice in one application", ["Structure"],
         cpm(PFI, app(prim("4F", AID), prim("4F", AID), prim("57", TRACK2)))),
        ("track 2 without separator", ["Track2"],
         cpm(PFI, app(prim("4F", AID), prim("57", bytes.fromhex("62123456789012342512201F"))))),
        ("common data template with one application", ["Structure"],
         cpm(PFI, app(prim("4F", AID), prim("57", TRACK2)),
             Tlv.template("62", [prim("5F20", b"CARDHOLDER/EMV")]))),
    ]
    cases += [case(c, f, "invalid", ["R-CPM-01"], payload=pl) for c, f, pl in bad]
    cases.append(case("first object is not 85: not an EMV consumer-presented code at all "
                      "(CPM §5.1: the POI only parses data starting hQVDUFY)", ["NotACode"],
                      "invalid", payload=cpm(app(prim("4F", AID), prim("57", TRACK2)), PFI)))
    return cases


# -- EMV CPM with test cryptograms ---------------------------------------------------------------
#: Fixed inputs, so that the file regenerates bit for bit: PANs of 19 and 16 digits (odd and
#: even length: the F padding), ATCs from the first to the last, unpredictable numbers.
CRYPTOGRAM_INPUTS = [("8212345678901234567", 1, "EA0658C8"), ("8212345678901234567", 2, "0BADF00D"),
                     ("6212345678901238", 65535, "00000000")]


def cpm_cryptogram_cases() -> list[dict]:
    """Payloads with valid test cryptograms, and each spoilt one way (R-CPM-05, R-CPM-06)."""
    from dataclasses import replace

    from qrinterop.codes import cpm_cryptogram as cc

    scheme = cc.TestScheme.from_value(PROFILE_DATA.business["emv_cpm"]["cryptogram"]["value"])
    cases = []
    for pan, atc, un in CRYPTOGRAM_INPUTS:
        payload = cc.build(scheme, pan, atc, bytes.fromhex(un))
        arqc = cc.arqc(scheme, pan, atc, bytes.fromhex(un), scheme.aip, scheme.iad).hex().upper()
        cases.append(case(f"PAN of {len(pan)} digits, ATC {atc}", ["TestCryptogram"], "valid",
                          payload=payload, pan=pan, atc=atc, arqc=arqc))
    pan, atc, un = CRYPTOGRAM_INPUTS[0]
    good = cc.build(scheme, pan, atc, bytes.fromhex(un))
    spoilt = [("9F26", ["AlteredCryptogram"]), ("9F37", ["AlteredChipData"]),
              ("9F36", ["AlteredChipData"]), ("9F10", ["AlteredChipData"]),
              ("82", ["AlteredChipData"])]
    cases += [case(f"first byte of {tag} flipped after the cryptogram was made", flags,
                   "invalid", ["R-CPM-06"], payload=cc.altered(good, tag), pan=pan)
              for tag, flags in spoilt]
    cases.append(case("template 63 dropped and the payload re-encoded (a POI keeping only what "
                      "it understands)", ["Stripped"], "invalid", ["R-CPM-05", "R-CPM-06"],
                      payload=cc.stripped(good), pan=pan))
    other = replace(scheme, imk=bytes(16))
    cases.append(case("cryptogram made with an issuer master key of zeros, not the test key",
                      ["WrongKey"], "invalid", ["R-CPM-06"],
                      payload=cc.build(other, pan, atc, bytes.fromhex(un)), pan=pan))
    cases.append(case("UnionPay International's published payload: a cryptogram under "
                      "UnionPay's own keys, which the test keys do not verify",
                      ["PublishedSample", "WrongKey"], "invalid", ["R-CPM-06"],
                      source="sources.json UPI-CPM-SAMPLE",
                      payload="hQVDUFYwMWFYTwigAAADMwEBAVcTYpJhA1hEQzVkHSIQIBAAABiAH180AQBjM58"
                              "mCFaLEtnaC9l/nycBgJ8QEQcAAQOgAAABCDM5OTk5OTk5nzYCAAGCAgAAnzcE6gZ"
                              "YyA==", pan="6292610358444335641"))
    return cases


# -- numeric payment codes and collection URLs --------------------------------------------------
def payment_code_cases() -> list[dict]:
    table = [
        ("WeChat example value from the micropay documentation", "120061098828009406", "wechat"),
        *[(f"WeChat-like prefix {p}", f"{p}0000000000000001", "wechat") for p in range(10, 16)],
        ("Alipay-like, 16 digits", "2800000000000001", "alipay"),
        ("Alipay-like, 24 digits, prefix 25", "250000000000000000000001", "alipay"),
        ("Alipay-like, prefix 30, 20 digits", "30000000000000000001", "alipay"),
        ("UnionPay C2B code (public test traffic; no Luhn digit)", "6225735053201615202",
         "unionpay"),
        ("e-CNY payment code (weak: only third-party code states the rule)",
         "0100000000000000001", "ecny"),
        ("simulated institution A: test-only prefix 991, 18 digits", "991234567890123456",
         "10000001"),
        ("simulated institution B: test-only prefix 992, 19 digits", "9921234567890123456",
         "10000002"),
    ]
    cases = [case(c, ["Routing"] + (["Simulated"] if r.isdigit() else []), "valid", code=code,
                  route=r) for c, code, r in table]
    for comment, code in [
        ("WeChat prefix with 17 digits", "12006109882800940"),
        ("WeChat prefix with 19 digits", "1200610988280094061"),
        ("Alipay prefix with 25 digits: Alipay says the actual length is the code's own, so "
         "it routes to Alipay with a warning", "2500000000000000000000001"),
        ("prefix 24 belongs to nobody", "240000000000000001"),
        ("UnionPay prefix with 18 digits", "622573505320161520"),
        ("simulated A's prefix with B's length", "9911234567890123456"),
    ]:
        if code.startswith("25"):
            cases.append(case(comment, ["Routing", "AdvisoryLength", *_unsendable(code)],
                              "acceptable", ["R-CPM-02"], code=code, route="alipay",
                              **ALIPAY_AUTH_CODE))
            continue
        cases.append(case(comment, ["Routing", *_unsendable(code)], "invalid", ["R-CPM-02"],
                          code=code, route=None))
    for comment, code in [("full-width digits", "１２００６１０９８８２８００９４０６"),
                          ("letters", "12006109882800940A")]:
        cases.append(case(comment, ["NotACode", *_unsendable(code)], "invalid", code=code,
                          route=None))
    return cases


#: Where the families of other wallets were read (sources.json: ALIPAY-AUTHCODE, WECHAT-MICROPAY,
#: REGEXHELPER-PAYCODES; the WeBank family the review recalls could not be opened).
ALIPAY_AUTH_CODE = {"address": "https://opendocs.alipay.com/open/194/106039",
                    "source": "Alipay alipay.trade.pay auth_code (quoted in public SDK code)"}
REGEX_HELPER = {"source": "public C# code APP.Utility.RegexHelper, region 付款码正则已测试 "
                          "(read in a code index that does not name its repository)"}
REVIEW_WEBANK = {"address": "https://github.com/chenliang0508/practice",
                 "source": "recalled by the review as Restrict.java there; not found"}


def payment_code_families() -> list[dict]:
    """The other wallets' payment-code families of the profile's routing table, routed or
    not, each with the address it was read at (a group of their own after the first, so
    that the first group's tcIds stay as they were)."""
    routed = [
        ("Alipay documentation auth_code example (alipay.trade.pay: 17 digits)",
         "28763443825664394", "alipay", ALIPAY_AUTH_CODE),
        ("JD Pay: 18 digits starting 18", "181234567890123456", "jd", REGEX_HELPER),
        ("Bestpay: 18 digits starting 51", "511234567890123456", "bestpay", REGEX_HELPER),
        ("CCB Long Pay (龙支付) debit: 62 2 0105 + 12 digits, inside UnionPay's range",
         "6220105123456789012", "unionpay", REGEX_HELPER),
        ("CCB Long Pay (龙支付) credit: 62 7 0105 + 12 digits, inside UnionPay's range",
         "6270105123456789012", "unionpay", REGEX_HELPER),
        ("JD Pay's 62/19 code: a UnionPay C2B code", "6212345678901234567", "unionpay",
         REGEX_HELPER),
    ]
    cases = [case(c, ["Routing", "OtherWallet"], "valid", code=code, route=r, **where)
             for c, code, r, where in routed]
    for comment, code, where in [
        ("Alipay face-payment token (fp + 33 letters or digits): known, not routable",
         "fp" + "0123456789abcdefghijABCDEFGHIJ012", REGEX_HELPER),
        ("WeBank 5678 + 15 digits (recalled, unverified): known, not routable",
         "5678123456789012345", REVIEW_WEBANK),
        ("JD Pay prefix 18 with 19 digits", "1812345678901234567", REGEX_HELPER),
        ("Bestpay prefix 51 with 17 digits", "51123456789012345", REGEX_HELPER),
    ]:
        cases.append(case(comment, ["Routing", "OtherWallet", *_unsendable(code)], "invalid",
                          ["R-CPM-02"], code=code, route=None, **where))
    return cases


def _unsendable(code: str) -> list[str]:
    """Flagged when the profile's message set cannot carry the code (cpm.purchase's code)."""
    pattern = PROFILE_DATA.definition("paymentCode").get("pattern", "^[0-9]{16,24}$")
    return [] if re.search(pattern, code, re.ASCII) else ["Unsendable"]   # \d as ECMA-262 reads it


def collection_url_published() -> list[dict]:
    """URL codes found in published samples and public code, in a group of their own."""
    return [
        case("Alipay URL inside the SGQR sample (com.alipay template)",
             ["Routing", "PublishedSample"], "valid",
             url="https://qr.alipay.com/ocx08230mbjrpvogjn4mm17", route="alipay",
             source="SGQR sample of vectors/sources/mpm-published.json (public Java "
                    "CalculateCRC32ChecksumForByteArray)"),
        case("WeChat Pay native order code_url (模式二), as a unified order answered it",
             ["Routing", "PublishedSample"], "valid",
             url="weixin://wxpay/bizpayurl?pr=OINmxCp", route="wechat",
             source="public PHP code on WeChat Pay's NATIVE example (GetPayUrl: its comment "
                    "shows the code_url returned)"),
    ]


def collection_url_cases() -> list[dict]:
    valid = [
        ("WeChat personal collection code", "wxp://f2f0Lz4QkXkAkHjvZDNYx0k1LyQXjWr9kHu", "wechat"),
        ("Alipay collection code", "https://qr.alipay.com/fkx12345abcde", "alipay"),
        ("Alipay, upper-case scheme and host (QR alphanumeric style)",
         "HTTPS://QR.ALIPAY.COM/fkx12345abcde", "alipay"),
        ("UnionPay collection code (public sample)",
         "https://qr.95516.com/00010000/01224895077923008075686116433377", "unionpay"),
        ("simulated institution A", "https://qr.qrinterop.invalid/10000001/ABCD1234EFGH",
         "10000001"),
    ]
    cases = [case(c, ["Routing"] + (["Simulated"] if r.isdigit() else []), "valid", url=u,
                  route=r) for c, u, r in valid]
    for comment, url in [
        ("UnionPay with a 7-digit institution code",
         "https://qr.95516.com/0001000/01224895077923008075686116433377"),
        ("Alipay over plain http", "http://qr.alipay.com/fkx12345abcde"),
        ("look-alike host", "https://qr.alipay.com.example.net/fkx12345abcde"),
        ("unknown host", "https://pay.example.com/qr/12345678"),
        ("simulated host with an unregistered institution",
         "https://qr.qrinterop.invalid/99999999/ABCD1234EFGH"),
    ]:
        cases.append(case(comment, ["Routing"], "invalid", ["R-URL-01"], url=url, route=None))
    return cases


# -- messages --------------------------------------------------------------------------------------
#: The switch answers status queries from its own record (the simulators relay none yet), so
#: a participant is sent every request of the message set but those.
NOT_RELAYED = {"cpm.status_query", "mpm.payment_query", "mpm.collection_query"}
#: What a request whose body breaks the schema is refused with (response-codes.json): 10,
#: message format error; a missing field may also be 13, mandatory element missing.
FORMAT_ERROR = {"MissingField": "10,13", "WrongType": "10", "UnknownField": "10"}
#: Spoilt after the body is built, when the harness signs and sends it: (mutation, comment,
#: the answer the profile calls for, requirement).
ENVELOPE_MUTATIONS = [
    ("signature-altered", "its signature value altered", "11", "R-SEC-02"),
    ("body-altered-after-signing", "its amount or first field changed after signing", "11",
     "R-SEC-02"),
    ("unknown-key", "signed under a key ID the switch never registered", "11", "R-SEC-02"),
    ("stale", "correctly signed 600 seconds ago", "10", "R-SEC-04"),
    ("replayed", "sent a second time, unchanged (same message ID and nonce)", "12", "R-SEC-04"),
]
#: Spoilt as a rogue participant, or a receiver with a short memory, would find out: correctly
#: signed but by the wrong party or labelled wrongly, stamped ahead, or replayed later. A
#: group of their own after the first, so that the first group's tcIds stay as they were.
#: The last field: the legs it applies to (only the switch may send to a participant).
ROGUE_MUTATIONS = [
    ("peer-key", "signed with another registered participant's key (its key ID), the sender "
     "unchanged", "11", "R-SEC-02", ("from-switch", "to-switch")),
    ("from-a-peer", "sent straight by a registered peer, signed with its own key, not through "
     "the switch", "11", "R-SEC-02", ("from-switch",)),
    ("alg-rsa", "its SM2 signature labelled SHA256withRSA", "11", "R-SEC-02",
     ("from-switch", "to-switch")),
    ("alg-unknown", "its signature labelled with an algorithm the profile does not know", "11",
     "R-SEC-02", ("from-switch", "to-switch")),
    ("unsigned", "no signature at all", "11", "R-SEC-02", ("from-switch", "to-switch")),
    ("future", "correctly signed, stamped 600 seconds ahead of the receiver's clock", "10",
     "R-SEC-04", ("from-switch", "to-switch")),
    ("replayed-after-50", "sent again unchanged after 50 other messages from the same sender",
     "12", "R-SEC-04", ("from-switch", "to-switch")),
    ("replayed-inside-window", "stamped 20 seconds inside the replay window, then sent again "
     "unchanged", "12", "R-SEC-04", ("from-switch", "to-switch")),
]


def _requests() -> list[tuple[str, str, dict, dict]]:
    """``(name, leg, base fields, valid body)`` of every request a participant is sent and
    every request the switch is sent."""
    examples = json.loads((SOURCES / "message-examples.json").read_text(encoding="utf-8"))
    catalogue = PROFILE_DATA.messages["messages"]
    return [(name, leg, {"msgType": f"{name}.request", "leg": leg,
                         "receiver": _receiver(entry, leg)},
             _known(name, leg, examples["examples"][name][f"request.{leg}"]))
            for leg in ("from-switch", "to-switch") for name, entry in catalogue.items()
            if f"request.{leg}" in entry["legs"]
            and not (leg == "from-switch" and name in NOT_RELAYED)]


def _known(name: str, leg: str, example: dict) -> dict:
    """The example's fields the vectors' profile defines: the examples follow the newest
    message set (1.1's termInfo on a purchase, R-CPM-09), the vectors the version they name."""
    known = PROFILE_DATA.leg_body_schema(name, f"request.{leg}").get("properties", {})
    return {key: value for key, value in example.items() if key in known}


def rogue_envelope_cases() -> list[dict]:
    """Every request, its envelope spoilt as ROGUE_MUTATIONS says."""
    return [case(f"{name} to the {base['receiver']}: {comment}", ["Envelope"], "invalid",
                 [req], **base, body=body, mutation=mutation, answer=answer)
            for name, leg, base, body in _requests()
            for mutation, comment, answer, req, legs in ROGUE_MUTATIONS if leg in legs]


def message_cases() -> list[dict]:
    """Every request a participant is sent, and every request the switch is sent, spoilt one
    way at a time: each required field missing, each field of the wrong JSON type, a field
    the schema does not know, and the envelope's signature and freshness broken."""
    cases = []
    for name, leg, base, body in _requests():
        cases += [case(f"{name} to the {base['receiver']}: {comment}", ["Envelope"],
                       "invalid", [req], **base, body=body, mutation=mutation,
                       answer=answer)
                  for mutation, comment, answer, req in ENVELOPE_MUTATIONS]
        cases += [case(f"{name} to the {base['receiver']}: {comment}", [flag], "invalid",
                       ["R-MSG-01"], **base, body=spoilt, mutation="none",
                       answer=FORMAT_ERROR[flag])
                  for flag, comment, spoilt in _spoilt_bodies(name, leg, body)
                  if _schema_refuses(name, leg, spoilt)]
    return cases


def _receiver(entry: dict, leg: str) -> str:
    """Who a request on ``leg`` is sent to: the switch, or the participant that answers it
    (result notices go to the acquirer)."""
    if leg == "to-switch":
        return "switch"
    return "acquirer" if entry["responder"] == "participant" else entry["responder"]


def _spoilt_bodies(name: str, leg: str, body: dict) -> list[tuple[str, str, dict]]:
    schema = PROFILE_DATA.leg_body_schema(name, f"request.{leg}")
    missing = [("MissingField", f"{field} missing",
                {k: v for k, v in body.items() if k != field})
               for field in schema.get("required", [])]
    wrong = [("WrongType", f"{field} as {_json_type(_other_type(value))}",
              {**body, field: _other_type(value)}) for field, value in body.items()]
    return [*missing, *wrong, ("UnknownField", "a field the schema does not define",
                               {**body, "extraField": "x"})]


def _other_type(value: object) -> object:
    """A value of another JSON type: how an implementation that types a field wrongly
    sends it (an amount as text, a code as a number)."""
    if isinstance(value, bool | int | float):
        return str(value)
    if isinstance(value, str):
        return int(value) if value.isdigit() and len(value) < 16 else 12345678
    return "x"


def _json_type(value: object) -> str:
    return {int: "a number", str: "text"}.get(type(value), "another type")


def _schema_refuses(name: str, leg: str, body: dict) -> bool:
    """Kept only when the message set's schema really refuses the spoilt body."""
    from qrinterop.protocol.crypto import SigningKey
    from qrinterop.protocol.envelope import Party, seal
    from qrinterop.protocol.validation import schema_problems

    message = seal(Party("01020000", SigningKey.generate()), f"{name}.request", "48020000",
                   body)
    return bool(schema_problems(PROFILE_DATA, message, leg))


# -- QRC forms ------------------------------------------------------------------------------------
def _qrc_legs() -> list[tuple[str, str, str, dict]]:
    """``(message, leg, sender, body)`` of every message and leg of the examples."""
    from vectors.qrc_forms import PARTICIPANTS, signer_of

    examples = json.loads((SOURCES / "message-examples.json").read_text(encoding="utf-8"))
    catalogue = PROFILE_DATA.messages["messages"]
    return [(name, leg, PARTICIPANTS[signer_of(entry, leg)], examples["examples"][name][leg])
            for name, entry in catalogue.items() for leg in entry["legs"]]


def qrc_message_cases(family: str = "rsa") -> list[dict]:
    """Every message and leg as a QRC form: signed right by its sender's current key of
    ``family``, then signed with each common mistake, one per case (vectors/qrc_forms.py)."""
    from qrinterop.protocol.bindings.qrc import QrcBinding, form_encode
    from vectors import qrc_forms

    binding, cases = QrcBinding(PROFILE_DATA), []
    label = "" if family == "rsa" else f" ({family.upper()})"
    for name, leg, participant, body in _qrc_legs():
        sender = qrc_forms.sender(binding, name, leg, participant, family=family)
        fields = sender.unsigned(body, participant)
        base = {"message": name, "leg": leg, "sender": participant}
        good = qrc_forms.signed(fields, sender.key)
        answer = leg.startswith("response.")        # written raw, as the SDK writes answers
        cases.append(case(f"{name} {leg}{label}: signed as the SDK signs", ["QrcSigned"],
                          "valid", **base, form=form_encode(good, answer).decode("utf-8"),
                          body=body))
        for flag, code, comment, spoil in qrc_forms.MISTAKES:
            sent = spoil(sender, dict(fields))
            if sent is not None and sent != good:
                cases.append(case(f"{name} {leg}{label}: {comment}", [flag], "invalid",
                                  ["R-SEC-02"], **base,
                                  form=form_encode(sent, answer).decode("utf-8"), problem=code))
    return cases if family == "rsa" else _kept_signatures(cases)


def qrc_sm2_message_cases() -> list[dict]:
    return qrc_message_cases("sm2")


def _kept_signatures(cases: list[dict]) -> list[dict]:
    """SM3withSM2 signatures are randomised: a case whose fields are those of the committed
    file keeps the committed form, signature and all, so that the file regenerates bit for bit."""
    from qrinterop.protocol.bindings.qrc import form_decode

    def unsigned(form: str, leg: str) -> dict[str, str]:
        fields = form_decode(form.encode("utf-8"), not leg.startswith("response."))
        return {k: v for k, v in fields.items() if k != "signature"}

    published = _published("qrc_message")
    for vector in cases:
        earlier = published.get(vector["comment"])
        if earlier is not None and unsigned(earlier["form"], earlier["leg"]) == \
                unsigned(vector["form"], vector["leg"]):
            vector["form"] = earlier["form"]
    return cases


def qrc_keys() -> dict:
    """The header's ``keys``: each participant's current and retired public key, by key ID and
    certId, which the file's forms are verified with."""
    from qrinterop.protocol.bindings.qrc import cert_id
    from vectors import qrc_forms

    return {"keys": [{"participant": participant, "keyId": kid, "certId": cert_id(kid),
                      "algorithm": qrc_forms.signing_key(kid).algorithm, "status": status,
                      "publicKey": qrc_forms.signing_key(kid).public.pem.decode("ascii")}
                     for participant in qrc_forms.PARTICIPANTS.values()
                     for family in qrc_forms.FAMILIES
                     for year, status in ((qrc_forms.CURRENT, "current"),
                                          (qrc_forms.RETIRED, "retired"))
                     for kid in [qrc_forms.key_id(participant, year, family)]]}


#: Header members a file has beyond the common ones.
EXTRA_HEADER: dict[str, Callable[[], dict]] = {"qrc_message": qrc_keys}


# -- files -----------------------------------------------------------------------------------------
FILES: dict[str, tuple[str, str, str, list[tuple[str, Callable[[], list[dict]]]]]] = {
    "emv_mpm": ("EMV-MPM", "EmvMpmTest", "EMV merchant-presented payloads (EMV QRCPS MPM v1.0/1.1)",
                [("published samples", mpm_published), ("one rule at a time", mpm_generated),
                 ("China-specific encodings and the v1.1 merchant channel", mpm_china),
                 ("published samples added in profile 1.1", mpm_published_1_1)]),
    "emv_cpm": ("EMV-CPM", "EmvCpmTest", "EMV consumer-presented payloads (EMV QRCPS CPM v1.0)",
                [("published samples and one rule at a time", cpm_cases)]),
    "emv_cpm_cryptogram": ("EMV-CPM-ARQC", "EmvCpmCryptogramTest",
                           "EMV consumer-presented payloads with application cryptograms made "
                           "with the profile's test key scheme (business.json emv_cpm; "
                           "qrinterop/codes/cpm_cryptogram.py); valid: the issuer's check "
                           "passes, invalid: it declines (74)",
                           [("test cryptograms, good and spoilt", cpm_cryptogram_cases)]),
    "payment_code": ("PAYMENT-CODE", "PaymentCodeTest",
                     "Numeric payment codes routed by prefix and length",
                     [("routing table", payment_code_cases),
                      ("other wallets' families", payment_code_families)]),
    "collection_url": ("COLLECTION-URL", "CollectionUrlTest",
                       "URL-form collection codes routed by pattern",
                       [("routing table", collection_url_cases),
                        ("published URL codes", collection_url_published)]),
    "message": ("MESSAGE", "MessageTest",
                "Requests the switch sends a participant, and a participant the switch, spoilt "
                "one way at a time",
                [("envelope and body", message_cases),
                 ("envelope of a rogue sender, or for a forgetful receiver",
                  rogue_envelope_cases)]),
    "qrc_message": ("QRC-MESSAGE", "QrcMessageTest",
                    "Every message and leg as a UnionPay QRC form, signed right and with each "
                    "common signing mistake; keys lists the public keys that verify them",
                    [("SHA256withRSA: signed right, and with one signing mistake each",
                      qrc_message_cases),
                     ("SM3withSM2: signed right, and with one signing mistake each",
                      qrc_sm2_message_cases)]),
}


#: Files whose vectors say from which profile version they exist (``since``): a message
#: vector spoiling a field a version added is not run against an earlier one.
VERSIONED = frozenset({"message"})


def _published(name: str) -> dict[str, dict]:
    """The committed file's tests by comment: a vector keeps its tcId for good, as in
    Wycheproof, so that what names it (a defect's caught_by, a waiver) keeps meaning it."""
    path = HERE / f"{name}_test.json"
    if not path.exists():
        return {}
    document = json.loads(path.read_text(encoding="utf-8"))
    return {test["comment"]: test for group in document["testGroups"]
            for test in group["tests"]}


def build(name: str) -> dict:
    algorithm, test_type, title, groups = FILES[name]
    published = _published(name)
    next_id = max((test["tcId"] for test in published.values()), default=0)
    out_groups, used, count = [], set(), 0
    for comment, make in groups:
        tests = []
        for vector in make():
            earlier = published.get(vector["comment"])
            if earlier is None:
                next_id += 1
            tc_id = earlier["tcId"] if earlier else next_id
            since = {"since": earlier.get("since", "1.0") if earlier else PROFILE_VERSION} \
                if name in VERSIONED else {}
            tests.append({"tcId": tc_id, **vector, **since})
            used.update(vector["flags"])
        count += len(tests)
        out_groups.append({"type": test_type, "comment": comment, "tests": tests})
    return {
        "algorithm": algorithm, "schema": f"{name}_test_schema.json", "profile": PROFILE,
        "generatedBy": GENERATED_BY, "generatorVersion": GENERATOR_VERSION,
        "numberOfTests": count,
        "header": [title, f"Generated by {GENERATED_BY}; do not edit by hand."],
        **EXTRA_HEADER.get(name, dict)(),
        "notes": {f: {"bugType": NOTES[f][0], "description": NOTES[f][1]} for f in sorted(used)},
        "testGroups": out_groups,
    }


def render(name: str) -> str:
    return json.dumps(build(name), indent=2, ensure_ascii=False) + "\n"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--check", action="store_true", help="compare, don't write")
    args = parser.parse_args()
    stale = []
    for name in FILES:
        path = HERE / f"{name}_test.json"
        text = render(name)
        if args.check:
            if not path.exists() or path.read_text(encoding="utf-8") != text:
                stale.append(path.name)
        else:
            path.write_text(text, encoding="utf-8")
    if stale:
        print(f"out of date: {', '.join(stale)} (run python -m vectors.generate)", file=sys.stderr)
    return 1 if stale else 0


if __name__ == "__main__":
    sys.exit(main())
