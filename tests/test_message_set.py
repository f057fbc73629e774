"""Tests for the profile's message set, response codes, timing and business rules.

The message catalogue is what every simulator and every passive check builds on: a message type
whose schema is missing a leg, accepts an amount as text or lets a refund go out without naming
what it refunds would let a non-conformant implementation through certification. So each message
type and leg has a hand-built valid example that must pass, and the typical mistakes must not.
"""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from jsonschema import Draft202012Validator

from qrinterop.profile import DATA_DIR, DEFAULT_PROFILE, SCHEMA_DIR, load_profile, schema_error
from qrinterop.protocol.crypto import SigningKey
from qrinterop.protocol.envelope import Party, seal
from qrinterop.protocol.validation import schema_problems

FOLDER = DATA_DIR.joinpath(*DEFAULT_PROFILE)
MESSAGES = FOLDER / "messages"


def read(path: Path) -> Any:
    return json.loads(path.read_text(encoding="utf-8"))


CATALOGUE = read(MESSAGES / "catalogue.json")
LEGS = ("request.to-switch", "request.from-switch", "response.to-switch", "response.from-switch")

ACQUIRER, SWITCH, ISSUER = "48020000", "00010000", "01020000"
CODE = "6212345678901234567"
MERCHANT = {"id": "123456789012345", "name": "最佳运输", "mcc": "4111", "city": "北京"}
TXN_NO = "2026120112000000000001"
ORIG_VOUCHER = "20261201120000000001"
ORIG_ORDER = {"origOrderNo": "ORD20261201000001", "origOrderTime": "20261201120000"}
OK = {"respCode": "00", "respMsg": "成功"}
PAYER = {"accountRef": "ACC-0001"}


# One valid body per message type and leg, shared with vectors/generate.py (which spoils them).
EXAMPLES: dict[str, dict[str, dict]] = read(
    Path(__file__).parents[1] / "vectors" / "sources" / "message-examples.json")["examples"]

CASES = [(name, leg) for name, entry in CATALOGUE["messages"].items() for leg in entry["legs"]]
QUERIES = ["cpm.status_query", "mpm.payment_query", "mpm.collection_query"]
REFUNDS_AND_VOIDS = {
    "cpm.refund": ("origVoucherNum", "origOrderNo", "origOrderTime"),
    "cpm.void": ("origVoucherNum", "origOrderNo", "origOrderTime"),
    "mpm.refund": ("origVoucherNum", "origTxnNo"),
    "mpm.void": ("origVoucherNum", "origTxnNo"),
}
OTHER_SIDE = {"acquirer": ISSUER, "issuer": ACQUIRER}


def ends(name: str, leg: str) -> tuple[str, str]:
    """Sender and receiver of ``name`` on ``leg``: the participant on that leg and the switch."""
    entry = CATALOGUE["messages"][name]
    kind, direction = leg.split(".")
    initiator = entry["initiator"]
    ids = {"acquirer": ACQUIRER, "issuer": ISSUER, "participant": ISSUER}
    if initiator == "switch":
        participant = ids[entry["responder"]]
    elif (kind == "request") == (direction == "to-switch"):
        participant = ids[initiator]
    else:
        participant = OTHER_SIDE[initiator]
    return (participant, SWITCH) if direction == "to-switch" else (SWITCH, participant)


@pytest.fixture(scope="module")
def profile():
    return load_profile()


@pytest.fixture(scope="module")
def key() -> SigningKey:
    return SigningKey.generate()


def sealed(key: SigningKey, name: str, leg: str, body: dict) -> dict:
    sender, receiver = ends(name, leg)
    return seal(Party(sender, key), f"{name}.{leg.split('.')[0]}", receiver, body)


def problems_of(profile, key, name: str, leg: str, body: dict) -> list[str]:
    return schema_problems(profile, sealed(key, name, leg, body), leg.split(".")[1])


def leg_schema(name: str, leg: str) -> dict:
    return read(MESSAGES / CATALOGUE["messages"][name]["schema"])["$defs"][leg]


def body_schema(name: str, leg: str) -> dict:
    return leg_schema(name, leg)["properties"]["body"]


# --- every message type and leg ----------------------------------------------------------------

def test_every_leg_has_an_example():
    """Control for the parametrised tests below: no catalogued leg goes untested."""
    assert {(n, leg) for n, legs in EXAMPLES.items() for leg in legs} == set(CASES)


@pytest.mark.parametrize(("name", "leg"), CASES, ids=[f"{n}:{leg}" for n, leg in CASES])
def test_valid_example_passes(profile, key, name, leg):
    """A well-formed message of each type passes on each leg it travels."""
    assert problems_of(profile, key, name, leg, EXAMPLES[name][leg]) == []


AMOUNT_CASES = [(n, leg) for n, leg in CASES if "amount" in EXAMPLES[n][leg]]


@pytest.mark.parametrize(("name", "leg"), AMOUNT_CASES,
                         ids=[f"{n}:{leg}" for n, leg in AMOUNT_CASES])
def test_amount_as_text_is_a_problem(profile, key, name, leg):
    """Amounts are integer fen everywhere; "12.50" invites rounding disputes."""
    body = {**EXAMPLES[name][leg], "amount": "12.50"}
    problems = problems_of(profile, key, name, leg, body)
    assert problems and all(p.startswith("body/amount") for p in problems), problems


MANDATORY_CASES = [(n, leg, field) for n, leg in CASES
                   for field in body_schema(n, leg)["required"]]


@pytest.mark.parametrize(("name", "leg", "field"), MANDATORY_CASES,
                         ids=[f"{n}:{leg}:{f}" for n, leg, f in MANDATORY_CASES])
def test_missing_mandatory_field_is_a_problem(profile, key, name, leg, field):
    """Each mandatory body field of each leg is really enforced, and named when missing."""
    body = {k: v for k, v in EXAMPLES[name][leg].items() if k != field}
    problems = problems_of(profile, key, name, leg, body)
    assert any(f"'{field}'" in p for p in problems), problems


@pytest.mark.parametrize(("name", "leg"), CASES, ids=[f"{n}:{leg}" for n, leg in CASES])
def test_unknown_body_field_is_a_problem(profile, key, name, leg):
    """Bodies are closed: a misspelt field is reported, not silently ignored."""
    body = {**EXAMPLES[name][leg], "txnAmt": 1250}
    problems = problems_of(profile, key, name, leg, body)
    assert any("txnAmt" in p for p in problems), problems


# --- original references, query semantics, conditional fields ----------------------------------

@pytest.mark.parametrize("name", sorted(REFUNDS_AND_VOIDS))
def test_refund_or_void_without_original_reference_is_a_problem(profile, key, name):
    """A refund or void that does not say what it undoes cannot be honoured or reconciled."""
    body = {k: v for k, v in EXAMPLES[name]["request.to-switch"].items()
            if k not in REFUNDS_AND_VOIDS[name]}
    problems = problems_of(profile, key, name, "request.to-switch", body)
    assert problems and all(any(f"'{field}'" in p for field in REFUNDS_AND_VOIDS[name])
                            for p in problems), problems


@pytest.mark.parametrize("name", ["cpm.refund", "cpm.void"])
def test_half_an_order_reference_is_not_enough(profile, key, name):
    """An order number names a transaction only together with its order time."""
    body = {k: v for k, v in EXAMPLES[name]["request.to-switch"].items()
            if k not in REFUNDS_AND_VOIDS[name]}
    body["origOrderNo"] = ORIG_ORDER["origOrderNo"]
    assert problems_of(profile, key, name, "request.to-switch", body)
    body["origOrderTime"] = ORIG_ORDER["origOrderTime"]
    assert problems_of(profile, key, name, "request.to-switch", body) == []


@pytest.mark.parametrize("name", sorted(REFUNDS_AND_VOIDS))
def test_forwarded_refund_or_void_names_the_original_voucher(profile, key, name):
    """The switch resolves the original before forwarding: the issuer always gets its voucher."""
    body = {k: v for k, v in EXAMPLES[name]["request.from-switch"].items()
            if k != "origVoucherNum"}
    problems = problems_of(profile, key, name, "request.from-switch", body)
    assert any("origVoucherNum" in p for p in problems), problems


def test_reversal_names_the_purchase_by_its_order(profile, key):
    """A reversal is sent when the purchase's answer was lost, so it cannot rely on a voucher."""
    body = {k: v for k, v in EXAMPLES["cpm.reversal"]["request.to-switch"].items()
            if k != "origOrderTime"}
    body["origVoucherNum"] = ORIG_VOUCHER
    problems = problems_of(profile, key, "cpm.reversal", "request.to-switch", body)
    assert any("origOrderTime" in p for p in problems), problems


QUERY_RESPONSES = [(n, leg) for n in QUERIES for leg in ("response.to-switch",
                                                         "response.from-switch")]


@pytest.mark.parametrize(("name", "leg"), QUERY_RESPONSES,
                         ids=[f"{n}:{leg}" for n, leg in QUERY_RESPONSES])
def test_query_answered_00_needs_the_original_result(profile, key, name, leg):
    """respCode 00 only says the query worked; without origRespCode nobody knows the outcome."""
    body = {k: v for k, v in EXAMPLES[name][leg].items() if k != "origRespCode"}
    problems = problems_of(profile, key, name, leg, body)
    assert any("origRespCode" in p for p in problems), problems


@pytest.mark.parametrize(("name", "leg"), QUERY_RESPONSES,
                         ids=[f"{n}:{leg}" for n, leg in QUERY_RESPONSES])
def test_query_not_found_needs_no_original_result(profile, key, name, leg):
    """Control: 35 (original not found) stands alone."""
    assert problems_of(profile, key, name, leg,
                       {"respCode": "35", "respMsg": "原交易不存在或状态不正确"}) == []


@pytest.mark.parametrize("name", QUERIES)
def test_query_still_unknown_needs_no_clearing_data(profile, key, name):
    """00 with origRespCode 04: the original is still unknown, so no voucher exists yet."""
    body = {**OK, "origRespCode": "04", "origRespMsg": "交易状态未明，请查询对账结果"}
    assert problems_of(profile, key, name, "response.from-switch", body) == []


@pytest.mark.parametrize(("name", "field"), [(n, f) for n in QUERIES
                                             for f in ("voucherNum", "settleDate", "settleKey")])
def test_query_found_success_needs_clearing_data(profile, key, name, field):
    """The switch's answer about a successful original carries its clearing keys."""
    body = {k: v for k, v in EXAMPLES[name]["response.from-switch"].items() if k != field}
    problems = problems_of(profile, key, name, "response.from-switch", body)
    assert any(f"'{field}'" in p for p in problems), problems


@pytest.mark.parametrize("name", ["cpm.status_query", "mpm.payment_query",
                                  "mpm.collection_query"])
def test_query_needs_a_reference(profile, key, name):
    """A query that names no transaction cannot be answered."""
    assert problems_of(profile, key, name, "request.to-switch", {})


@pytest.mark.parametrize("name", ["cpm.reversal", "cpm.void", "cpm.refund", "mpm.refund",
                                  "mpm.void"])
def test_approved_post_authorisation_needs_clearing_data(profile, key, name):
    """An approved reversal, void or refund without settleKey cannot be reconciled."""
    body = {k: v for k, v in EXAMPLES[name]["response.from-switch"].items() if k != "settleKey"}
    problems = problems_of(profile, key, name, "response.from-switch", body)
    assert any("settleKey" in p for p in problems), problems


@pytest.mark.parametrize("name", ["cpm.reversal", "cpm.void", "cpm.refund", "mpm.refund",
                                  "mpm.void"])
def test_declined_post_authorisation_is_code_and_message(profile, key, name):
    """Control: a refusal (45: already refunded or voided) carries only code and message."""
    body = {"respCode": "45", "respMsg": "原交易已被成功退货或已被成功撤销"}
    assert problems_of(profile, key, name, "response.from-switch", body) == []


def test_notice_of_a_refund_names_the_refunded_purchase(profile, key):
    """The recipient of a refund notice must be able to find the purchase it refunds."""
    body = {**EXAMPLES["notice.result"]["request.from-switch"], "origMsgType": "cpm.refund"}
    problems = problems_of(profile, key, "notice.result", "request.from-switch", body)
    assert any("origVoucherNum" in p for p in problems), problems
    body["origVoucherNum"] = ORIG_VOUCHER
    assert problems_of(profile, key, "notice.result", "request.from-switch", body) == []


def test_notice_of_a_success_carries_clearing_data(profile, key):
    """A success notice without settleKey is useless for reconciliation; a failure needs none."""
    body = {k: v for k, v in EXAMPLES["notice.result"]["request.from-switch"].items()
            if k not in ("settleDate", "settleKey")}
    assert problems_of(profile, key, "notice.result", "request.from-switch", body)
    failed = {**body, "origRespCode": "69", "origRespMsg": "输入超时"}
    assert problems_of(profile, key, "notice.result", "request.from-switch", failed) == []


def test_notice_names_unknown_original_type_is_a_problem(profile, key):
    """origMsgType is one of the message types that move money."""
    body = {**EXAMPLES["notice.result"]["request.from-switch"], "origMsgType": "cpm.code_apply"}
    problems = problems_of(profile, key, "notice.result", "request.from-switch", body)
    assert any(p.startswith("body/origMsgType") for p in problems), problems


def test_additional_processing_result_uses_result_code(profile, key):
    """The payer's decision is resultCode; respCode in a request would read as an answer."""
    body = {**EXAMPLES["cpm.additional_processing_result"]["request.to-switch"]}
    body["respCode"] = body.pop("resultCode")
    assert problems_of(profile, key, "cpm.additional_processing_result", "request.to-switch",
                       body)


def test_dynamic_merchant_code_needs_amount(profile, key):
    """A per-order code carries its amount; a static one need not."""
    body = {k: v for k, v in EXAMPLES["mpm.code_apply"]["request.to-switch"].items()
            if k != "amount"}
    problems = problems_of(profile, key, "mpm.code_apply", "request.to-switch", body)
    assert any("'amount'" in p for p in problems), problems
    static = {**body, "codeType": "static", "useLimit": 0}
    assert problems_of(profile, key, "mpm.code_apply", "request.to-switch", static) == []


@pytest.mark.parametrize(("field", "value"), [
    ("accountType", "35"),
    ("riskInfo", {"deviceType": "1"}),
    ("validitySeconds", 0),
    ("pinFreeLimit", "1000"),
], ids=["qrType-code", "riskInfo-no-device", "validity-0", "limit-text"])
def test_code_apply_field_problems(profile, key, field, value):
    """Code application fields are checked at their path."""
    body = {**EXAMPLES["cpm.code_apply"]["request.to-switch"], field: value}
    problems = problems_of(profile, key, "cpm.code_apply", "request.to-switch", body)
    assert problems and all(p.startswith(f"body/{field}") for p in problems), problems


def test_message_on_a_leg_it_does_not_travel_is_a_problem(profile, key):
    """A participant sending a notice to the switch gets a finding, not a crash."""
    message = seal(Party(ISSUER, key), "notice.result.request", SWITCH,
                   EXAMPLES["notice.result"]["request.from-switch"])
    assert schema_problems(profile, message, "to-switch")


# --- catalogue ---------------------------------------------------------------------------------

def test_catalogue_matches_its_schema():
    assert schema_error(read(SCHEMA_DIR / "message-catalogue.schema.json"), CATALOGUE) is None


def test_catalogue_schema_catches_a_missing_leg_list():
    """Control: the catalogue schema is not vacuous."""
    broken = copy.deepcopy(CATALOGUE)
    del broken["messages"]["cpm.refund"]["legs"]
    problem = schema_error(read(SCHEMA_DIR / "message-catalogue.schema.json"), broken)
    assert problem and "legs" in problem


def test_catalogue_lists_every_qrc_req_type():
    """The 16 UnionPay QR-platform transactions the profile covers each have a message."""
    expected = {f"0{n}0000903" for n in ("12", "13", "14", "15", "17", "21", "23", "24", "25",
                                         "31", "32", "33", "34", "35", "51", "53", "54")}
    listed = [e["qrc_req_type"] for e in CATALOGUE["messages"].values()]
    assert len(listed) == len(set(listed))
    assert expected <= set(listed)
    assert len(expected) == 17  # 0230 and 0240 are the two halves of additional processing


def test_every_referenced_schema_file_exists():
    names = [CATALOGUE["envelope"], CATALOGUE["common"], CATALOGUE["reject"]["schema"],
             CATALOGUE["reconciliation"]["schema"],
             *(e["schema"] for e in CATALOGUE["messages"].values())]
    for name in names:
        assert (MESSAGES / name).is_file(), name


def test_no_schema_file_is_orphaned():
    """Every schema file in the folder is reachable from the catalogue."""
    referenced = {CATALOGUE["envelope"], CATALOGUE["common"], CATALOGUE["reject"]["schema"],
                  CATALOGUE["reconciliation"]["schema"],
                  *(e["schema"] for e in CATALOGUE["messages"].values())}
    assert {p.name for p in MESSAGES.glob("*.schema.json")} == referenced


@pytest.mark.parametrize("name", sorted(CATALOGUE["messages"]))
def test_message_schema_defines_exactly_its_legs(name):
    """The catalogue's legs and the schema's $defs agree, with the right msgType on each."""
    entry = CATALOGUE["messages"][name]
    document = read(MESSAGES / entry["schema"])
    assert document["$id"] == CATALOGUE["schema_base"] + entry["schema"]
    assert set(document["$defs"]) == set(entry["legs"])
    for leg in entry["legs"]:
        kind = leg.split(".")[0]
        msg_type = document["$defs"][leg]["properties"]["header"]["properties"]["msgType"]
        assert msg_type == {"const": f"{name}.{kind}"}
        assert document["$defs"][leg]["allOf"] == [{"$ref": "envelope.schema.json"}]
    assert "cn-spec.md" in document["description"] or "domain.md" in document["description"]


@pytest.mark.parametrize("name", sorted(CATALOGUE["messages"]))
def test_catalogue_fields_exist_in_the_schemas(name):
    """clearing_fields, idempotency_key and original_reference name real body fields."""
    entry = CATALOGUE["messages"][name]
    for leg, fields in entry["clearing_fields"].items():
        assert leg in entry["legs"]
        assert set(fields) <= set(body_schema(name, leg)["properties"]), (leg, fields)
    first_leg = next(leg for leg in entry["legs"] if leg.startswith("request"))
    request_fields = set(body_schema(name, first_leg)["properties"])
    assert set(entry.get("idempotency_key", [])) <= request_fields
    for group in entry.get("original_reference", []):
        assert set(group) <= request_fields, group


def test_money_moving_messages_are_the_financial_types():
    """What notices, queries and reconciliation may name is exactly what moves money, and each
    of those carries clearing data back to its initiator."""
    common = read(MESSAGES / "common.schema.json")
    moving = {n for n, e in CATALOGUE["messages"].items() if e["moves_money"]}
    assert moving == set(common["$defs"]["financialMsgType"]["enum"])
    for name in moving:
        clearing = CATALOGUE["messages"][name]["clearing_fields"]
        assert clearing["response.from-switch"] == ["voucherNum", "settleDate", "settleKey"]


def test_message_names_fit_the_envelope():
    pattern = read(MESSAGES / "envelope.schema.json")["properties"]["header"]["properties"][
        "msgType"]["pattern"]
    validator = Draft202012Validator({"type": "string", "pattern": pattern})
    for name in CATALOGUE["messages"]:
        for kind in ("request", "response"):
            assert validator.is_valid(f"{name}.{kind}"), name


@pytest.mark.parametrize("path", sorted(MESSAGES.glob("*.schema.json")), ids=lambda p: p.name)
def test_schema_files_are_valid_json_schema(path):
    document = read(path)
    Draft202012Validator.check_schema(document)
    assert document["$id"] == CATALOGUE["schema_base"] + path.name


def _refs(node: Any):
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "$ref" and isinstance(value, str):
                yield value
            else:
                yield from _refs(value)
    elif isinstance(node, list):
        for item in node:
            yield from _refs(item)


def test_registry_resolves_every_reference(profile):
    """Every $ref in every message file resolves in the profile's schema registry."""
    registry = profile.schema_registry
    count = 0
    for path in sorted(MESSAGES.glob("*.schema.json")):
        resolver = registry.resolver(base_uri=CATALOGUE["schema_base"] + path.name)
        for ref in _refs(read(path)):
            assert resolver.lookup(ref).contents is not None, (path.name, ref)
            count += 1
    assert count > 100


def test_every_leg_resolves_through_the_profile(profile):
    """The loader's URI for every catalogued leg points into the registry."""
    for name, leg in CASES:
        kind, direction = leg.split(".")
        uri = profile.message_schema_uri(f"{name}.{kind}", direction)
        assert profile.schema_registry.resolver().lookup(uri).contents == leg_schema(name, leg)


# --- reconciliation file -----------------------------------------------------------------------

def record(msg_type: str, role: str, trace: int, amount: int, **fields) -> dict:
    time = f"12011{trace}0000"
    return {"msgType": msg_type, "role": role, "voucherNum": f"20261201{trace:012d}",
            "settleDate": "1201", "settleKey": f"{ACQUIRER:<11}{SWITCH:<11}{trace:06d}{time}",
            "amount": amount, "currency": "156", "acquirer": ACQUIRER, "issuer": ISSUER,
            **fields}


def reconciliation_file() -> dict:
    """Participant 48020000's day: it acquired two purchases, refunded part of the first,
    reversed the second, and as a wallet paid a merchant code of 01020000."""
    first = record("cpm.purchase", "acquirer", 1, 1250, orderNo="ORD20261201000001",
                   orderTime="20261201110000", code=CODE, merId=MERCHANT["id"],
                   termId="T0000001")
    refund = record("cpm.refund", "acquirer", 2, 500, orderNo="ORD20261201000002",
                    orderTime="20261201120000", origVoucherNum=first["voucherNum"],
                    origOrderNo=first["orderNo"], origOrderTime=first["orderTime"],
                    merId=MERCHANT["id"])
    second = record("cpm.purchase", "acquirer", 3, 800, orderNo="ORD20261201000003",
                    orderTime="20261201130000", code="6212345678901234568",
                    merId=MERCHANT["id"], termId="T0000001")
    reversal = record("cpm.reversal", "acquirer", 4, 800, origVoucherNum=second["voucherNum"],
                      origOrderNo=second["orderNo"], origOrderTime=second["orderTime"])
    payment = record("mpm.payment", "issuer", 5, 3000, txnNo=TXN_NO, orderNo="W20261201000005",
                     orderTime="20261201150000")
    payment.update(acquirer=ISSUER, issuer=ACQUIRER)
    records = [first, refund, second, reversal, payment]
    return {
        "header": {"version": "1.0", "participant": ACQUIRER, "switch": SWITCH,
                   "clearingDate": "2026-12-01", "settleDate": "1201",
                   "generatedAt": "2026-12-01T23:30:00.000+08:00", "currency": "156",
                   "recordCount": len(records),
                   "totals": {"cpm.purchase": {"count": 2, "amount": 2050},
                              "cpm.refund": {"count": 1, "amount": 500},
                              "cpm.reversal": {"count": 1, "amount": 800},
                              "mpm.payment": {"count": 1, "amount": 3000}},
                   "netAmount": 2050 - 500 - 800 - 3000},
        "records": records,
    }


def reconciliation_problems(profile, document: dict) -> list[str]:
    uri = CATALOGUE["schema_base"] + CATALOGUE["reconciliation"]["schema"]
    validator = Draft202012Validator({"$ref": uri}, registry=profile.schema_registry)
    return [f"{'/'.join(map(str, e.absolute_path))}: {e.message}"
            for e in validator.iter_errors(document)]


def test_reconciliation_file_example_is_valid(profile):
    document = reconciliation_file()
    assert reconciliation_problems(profile, document) == []
    header, records = document["header"], document["records"]
    assert header["recordCount"] == len(records)
    for msg_type, total in header["totals"].items():
        mine = [r for r in records if r["msgType"] == msg_type]
        assert total == {"count": len(mine), "amount": sum(r["amount"] for r in mine)}


@pytest.mark.parametrize(("index", "field", "value"), [
    (1, "origVoucherNum", None),
    (3, "origOrderNo", None),
    (0, "orderNo", None),
    (4, "txnNo", None),
    (0, "amount", "12.50"),
    (0, "settleKey", "4802000000010000 0000011201120000"),
    (0, "msgType", "cpm.status_query"),
], ids=["refund-no-original", "reversal-no-order", "purchase-no-order", "mpm-no-txnNo",
        "amount-text", "settleKey-collapsed", "query-is-not-financial"])
def test_reconciliation_record_problems(profile, index, field, value):
    """Records of undoing transactions name their original; every record is clearable."""
    document = reconciliation_file()
    if value is None:
        del document["records"][index][field]
    else:
        document["records"][index][field] = value
    problems = reconciliation_problems(profile, document)
    assert any(p.startswith(f"records/{index}") for p in problems), problems


def test_reconciliation_totals_name_financial_types_only(profile):
    document = reconciliation_file()
    document["header"]["totals"]["cpm.status_query"] = {"count": 0, "amount": 0}
    assert reconciliation_problems(profile, document)


# --- response codes ----------------------------------------------------------------------------

CODES = read(FOLDER / "response-codes.json")

KEPT = {  # code: (outcome, zh) as existing code and tests use them
    "00": ("success", "成功"), "03": ("unknown", "交易通讯超时，请发起查询交易"),
    "04": ("unknown", "交易状态未明，请查询对账结果"), "06": ("failure", "系统繁忙"),
    "10": ("failure", "报文格式错误"), "11": ("failure", "验证签名失败"),
    "12": ("failure", "重复交易"), "31": ("failure", "商户状态不正确"),
    "35": ("failure", "原交易不存在或状态不正确"), "44": ("failure", "输入号码错误或暂未开通"),
    "61": ("failure", "付款码无效"), "64": ("failure", "余额不足"),
    "72": ("failure", "付款码已使用"), "73": ("failure", "付款码已过期"),
}


def test_response_codes_match_their_schema():
    assert schema_error(read(SCHEMA_DIR / "response-codes.schema.json"), CODES) is None


def test_response_codes_load_with_every_class(profile):
    classes = {"success", "unknown", "system", "format", "merchant", "payer"}
    assert set(CODES["classes"]) == classes
    assert {entry["class"] for entry in profile.response_codes.values()} == classes


def test_response_codes_cover_the_unionpay_table(profile):
    """cn-spec.md §2.6: 00-06, 10-14, 30-46, 60-71 and A6."""
    table = {f"{n:02d}" for n in (*range(7), *range(10, 15), *range(30, 47), *range(60, 72))}
    assert table | {"A6"} <= set(profile.response_codes)


@pytest.mark.parametrize("code", sorted(KEPT))
def test_existing_codes_keep_their_meaning(profile, code):
    outcome, zh = KEPT[code]
    assert profile.response_codes[code]["outcome"] == outcome
    assert profile.response(code) == {"respCode": code, "respMsg": zh}


def test_profile_own_codes_are_marked():
    own = {c for c, e in CODES["codes"].items() if e.get("profile_choice")}
    assert own == {"58", "61", "70", "72", "73", "74"}    # 58: terminal refused; 70: password wait
    for code in own:
        assert "profile's own choice" in CODES["codes"][code]["source"]


def test_unknown_codes_call_for_a_query():
    unknown = {c for c, e in CODES["codes"].items() if e["class"] == "unknown"}
    assert unknown == {"03", "04", "05"}
    assert all(CODES["codes"][c]["outcome"] == "unknown" for c in unknown)
    assert CODES["codes"]["A6"]["outcome"] == "success"


def test_response_code_schema_rejects_an_undescribed_class():
    broken = copy.deepcopy(CODES)
    broken["codes"]["01"]["class"] = "mystery"
    assert schema_error(read(SCHEMA_DIR / "response-codes.schema.json"), broken)


# --- timing ------------------------------------------------------------------------------------

TIMING = read(FOLDER / "timing.json")


def test_timing_matches_its_schema():
    assert schema_error(read(SCHEMA_DIR / "timing.schema.json"), TIMING) is None


def test_timing_parameters_stay_numbers(profile):
    """Code reads profile.timing[name] as a number; the existing values are unchanged."""
    assert {k: profile.timing[k] for k in ("payment_code_validity_s", "switch_response_timeout_s",
                                           "participant_request_timeout_s",
                                           "upper_tester_timeout_s")} == {
        "payment_code_validity_s": 60, "switch_response_timeout_s": 10,
        "participant_request_timeout_s": 15, "upper_tester_timeout_s": 30}
    assert all(isinstance(v, int | float) for v in profile.timing.values())
    assert profile.timing["reversal_earliest_s"] == 15
    assert profile.timing["notification_ack_timeout_s"] == 10


def test_timing_schema_keeps_schedules_out_of_parameters():
    broken = copy.deepcopy(TIMING)
    broken["parameters"]["query_backoff_s"] = {"value": [1, 2, 4], "source": "x"}
    assert schema_error(read(SCHEMA_DIR / "timing.schema.json"), broken)


def test_timing_hypothesis_must_be_configurable():
    broken = copy.deepcopy(TIMING)
    del broken["parameters"]["payment_code_validity_s"]["configurable"]
    assert schema_error(read(SCHEMA_DIR / "timing.schema.json"), broken)


def test_status_query_schedule():
    """UnionPay: up to 6 queries at 1, 2, 4, 8, 16, 32 s while the answer is 03/04/05."""
    schedule = TIMING["schedules"]["status_query"]
    assert schedule["delays_s"] == [1, 2, 4, 8, 16, 32]
    assert schedule["max_attempts"] == 6
    assert schedule["continue_on"] == ["03", "04", "05"]
    assert TIMING["parameters"]["query_first_delay_s"]["value"] == schedule["delays_s"][0]


def test_notification_schedule():
    """UnionPay: 5 sends, again after 1, 2, 4 and 5 minutes without an acknowledgement."""
    schedule = TIMING["schedules"]["notification_retry"]
    assert schedule["delays_s"] == [0, 60, 120, 240, 300]
    assert schedule["max_attempts"] == 5


@pytest.mark.parametrize("name", sorted(TIMING["schedules"]))
def test_schedules_are_consistent(name):
    schedule = TIMING["schedules"][name]
    assert len(schedule["delays_s"]) == schedule["max_attempts"]
    assert set(schedule["applies_to"]) <= set(CATALOGUE["messages"])
    for code in schedule["continue_on"]:
        assert CODES["codes"][code]["outcome"] == "unknown", code


# --- business rules ----------------------------------------------------------------------------

BUSINESS = read(FOLDER / "business.json")


def test_business_matches_its_schema():
    assert schema_error(read(SCHEMA_DIR / "business.schema.json"), BUSINESS) is None


def test_risk_tier_limits_in_fen():
    """296号: A agreed, B CNY 5,000, C CNY 1,000, D (static) CNY 500 per customer per day."""
    tiers = BUSINESS["risk_tiers"]["tiers"]
    assert {t: tiers[t]["daily_limit_fen"]["value"] for t in "ABCD"} == {
        "A": None, "B": 500000, "C": 100000, "D": 50000}
    assert tiers["D"]["code_type"] == "static"
    assert BUSINESS["codes"]["static_code_risk_tier"]["value"] == "D"


def test_refund_and_void_rules():
    refund, void = BUSINESS["refund"], BUSINESS["void"]
    assert refund["partial_allowed"]["value"] is True
    assert refund["cumulative_max"]["value"] == "original_amount"
    assert refund["window_days"]["value"] == 30
    assert void["window"]["value"] == "same_clearing_day"
    assert void["full_amount_only"]["value"] is True
    assert BUSINESS["clearing_day"]["cutoff"]["value"] == "23:00"
    assert BUSINESS["password"]["pin_free_limit_fen"]["value"] == 100000
    assert BUSINESS["replay"]["window_s"]["value"] == 300


def _leaves(node: Any):
    if isinstance(node, dict):
        if "value" in node and "source" in node:
            yield node
        else:
            for value in node.values():
                yield from _leaves(value)


def test_every_business_value_has_a_source_and_hypotheses_are_configurable():
    leaves = list(_leaves(BUSINESS))
    assert len(leaves) > 15
    for leaf in leaves:
        assert leaf["source"].strip()
        if leaf["evidence"] == "U":
            assert leaf.get("configurable") is True, leaf


def test_business_message_types_exist():
    moving = {n for n, e in CATALOGUE["messages"].items() if e["moves_money"]}
    assert set(BUSINESS["void"]["applies_to"]["value"]) <= moving
    assert set(BUSINESS["reversal"]["applies_to"]["value"]) <= moving


@pytest.mark.parametrize(("path", "value"), [
    (("risk_tiers", "tiers", "B", "daily_limit_fen", "value"), "5000"),
    (("password", "pin_free_limit_fen", "configurable"), False),
    (("refund", "window_days", "evidence"), "maybe"),
], ids=["limit-text", "hypothesis-fixed", "evidence-unknown"])
def test_business_schema_problems(path, value):
    broken = copy.deepcopy(BUSINESS)
    node = broken
    for key in path[:-1]:
        node = node[key]
    node[path[-1]] = value
    assert schema_error(read(SCHEMA_DIR / "business.schema.json"), broken)


@pytest.mark.parametrize("leg", ["request.to-switch", "request.from-switch"])
def test_payer_details_in_clear_are_a_problem(profile, key, leg):
    """R-SEC-05: mpm.payment's payer travels only as an encrypted field."""
    body = {**EXAMPLES["mpm.payment"][leg], "payer": PAYER}
    assert problems_of(profile, key, "mpm.payment", leg, body)


# --- the compiled validator agrees with the reference one --------------------------------------

#: Values a mutation puts in place of a body field: wrong types, edge numbers, odd strings
#: (no fractions: a message with one has no canonical form, so it is never signed).
ODD_VALUES = st.one_of(st.none(), st.booleans(), st.integers(-2, 10**13),
                       st.text(max_size=40), st.lists(st.integers(-2, 99), max_size=2),
                       st.dictionaries(st.text(max_size=5), st.integers(-2, 99), max_size=2))


@settings(max_examples=600, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(case=st.sampled_from(CASES), data=st.data())
def test_compiled_validator_agrees_with_jsonschema(profile, key, case, data):
    """jsonschema-rs only decides validity on the hot path (schema_problems), so on every
    message, valid or spoilt, it must say what jsonschema says."""
    name, leg = case
    body = copy.deepcopy(EXAMPLES[name][leg])
    for _ in range(data.draw(st.integers(0, 3))):
        field = data.draw(st.sampled_from([*body, "extra"]))
        if data.draw(st.booleans()) and field in body:
            del body[field]
        else:
            body[field] = data.draw(ODD_VALUES)
    message = sealed(key, name, leg, body)
    uri = profile.message_schema_uri(message["header"]["msgType"], leg.split(".")[1])
    reference = Draft202012Validator({"$ref": uri}, registry=profile.schema_registry)
    assert (schema_problems(profile, message, leg.split(".")[1]) == []) \
        == reference.is_valid(message)
