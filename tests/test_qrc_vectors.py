"""vectors/qrc_message_test.json through the library: every valid form verifies with the key its
certId names and decodes to the example body; every spoilt one is diagnosed with the mistake
its flag names. Plus the file's integrity: its schema, and equal to what the generator makes."""

from __future__ import annotations

import json

import pytest
from jsonschema import Draft202012Validator
from referencing import Registry, Resource

from qrinterop.profile import load_profile, profile_folder
from qrinterop.protocol.bindings import signature_ok
from qrinterop.protocol.bindings.base import Wire
from qrinterop.protocol.bindings.qrc import QrcBinding, form_decode
from qrinterop.protocol.bindings.qrc_diagnose import (
    diagnose,
    diagnose_decoded,
    message_name,
    sender_field,
)
from qrinterop.protocol.crypto import VerifyKey
from qrinterop.protocol.keyring import KeyRing
from tests.conftest import ROOT
from vectors import generate
from vectors.qrc_forms import MISTAKES

VECTORS = ROOT / "vectors"
DOCUMENT = json.loads((VECTORS / "qrc_message_test.json").read_text(encoding="utf-8"))
BINDING = QrcBinding(load_profile(profile_folder(generate.PROFILE)))
CODE_OF_FLAG = {flag: code for flag, code, _comment, _spoil in MISTAKES}


def rings() -> tuple[KeyRing, KeyRing]:
    """The current keys a receiver accepts, and the retired ones it knows of."""
    current, retired = KeyRing(), KeyRing()
    for entry in DOCUMENT["keys"]:
        ring = current if entry["status"] == "current" else retired
        ring.add(entry["participant"], VerifyKey(entry["publicKey"].encode()), entry["keyId"])
    return current, retired


CURRENT, RETIRED = rings()


def claimed_sender(fields: dict[str, str], leg: str) -> str | None:
    named = sender_field(BINDING, message_name(BINDING, fields), leg)
    return fields.get(named) if named else None


def wrong(test: dict) -> str | None:
    """What is wrong with the library's reading of vector ``test``; None when it is right."""
    fields = form_decode(test["form"].encode("utf-8"), not test["leg"].startswith("response."))
    problems = diagnose(BINDING, fields, test["leg"], CURRENT,
                        claimed_sender(fields, test["leg"]), RETIRED)
    if test["result"] == "invalid":
        codes = [p.code for p in problems]
        return None if codes == [test["problem"]] == [CODE_OF_FLAG[test["flags"][0]]] \
            else f"diagnosed {codes}, not {test['problem']}"
    message = BINDING.decode(Wire(test["form"].encode(), BINDING.content_type), test["leg"],
                             CURRENT, "00000000")
    kind = test["leg"].split(".")[0]
    right = (problems == [] and signature_ok(message, CURRENT)
             and message["body"] == test["body"] and message["header"]["sender"] == test["sender"]
             and message["header"]["msgType"] == f"{test['message']}.{kind}")
    return None if right else f"does not verify or decode to its body: {problems}"


GROUPS = [(group["comment"], flag) for group in DOCUMENT["testGroups"]
          for flag in sorted({t["flags"][0] for t in group["tests"]})]


@pytest.mark.parametrize(("group", "flag"), GROUPS)
def test_qrc_message_vectors(group, flag):
    """Valid forms verify and decode to the example body; each spoilt one is diagnosed with the
    mistake its flag names (one test per group and flag: 1,500 vectors, a few seconds)."""
    tests = [t for g in DOCUMENT["testGroups"] if g["comment"] == group
             for t in g["tests"] if t["flags"][0] == flag]
    failures = {t["tcId"]: why for t in tests if (why := wrong(t)) is not None}
    assert not failures, failures


def test_every_message_leg_has_a_valid_form_and_every_mistake_is_made():
    catalogue = BINDING.profile.messages["messages"]
    legs = {(name, leg) for name, entry in catalogue.items() for leg in entry["legs"]}
    tests = [t for g in DOCUMENT["testGroups"] for t in g["tests"]]
    assert {(t["message"], t["leg"]) for t in tests if t["result"] == "valid"} == legs
    assert {t["flags"][0] for t in tests if t["result"] == "invalid"} == set(CODE_OF_FLAG)
    assert set(DOCUMENT["notes"]) == {f for t in tests for f in t["flags"]}


def test_the_file_follows_its_schema_and_equals_the_generator_output():
    schemas = {p.name: json.loads(p.read_text()) for p in (VECTORS / "schemas").glob("*.json")}
    registry = Registry().with_resources(
        (schema["$id"], Resource.from_contents(schema)) for schema in schemas.values())
    Draft202012Validator(schemas[DOCUMENT["schema"]], registry=registry).validate(DOCUMENT)
    text = (VECTORS / "qrc_message_test.json").read_text(encoding="utf-8")
    assert text == generate.render("qrc_message")


@pytest.mark.parametrize("flag", ["UnsortedSigningString", "UppercaseDigest", "WrongSignType"])
def test_a_decoded_message_is_diagnosed_from_the_wire_it_came_in(flag):
    """What a passive check holding the decoded message (its direction only) is told."""
    test = next(t for g in DOCUMENT["testGroups"] for t in g["tests"]
                if t["flags"] == [flag] and t["leg"] == "response.from-switch")
    message = BINDING.decode(Wire(test["form"].encode(), BINDING.content_type), test["leg"],
                             CURRENT, "00000000")
    assert [p.code for p in diagnose_decoded(BINDING, message, CURRENT, "from-switch")] == \
        [test["problem"]]
    assert [p.code for p in diagnose_decoded(BINDING, {}, CURRENT, "from-switch")] == \
        ["missing-field"]


def test_a_passive_check_names_the_qrc_mistake():
    """A QRC message whose signature fails is explained in the binding's terms in the passive
    findings (R-SEC-01), not as a JSON envelope's canonical form."""
    from qrinterop.checks.passive import passive_findings
    from qrinterop.checks.record import records

    test = next(t for g in DOCUMENT["testGroups"] for t in g["tests"]
                if t["flags"] == ["UnsortedSigningString"] and t["leg"] == "request.to-switch")
    message = BINDING.decode(Wire(test["form"].encode(), BINDING.content_type), test["leg"],
                             CURRENT, "00010000")
    lines = records([{"n": 1, "at": 0.0, "from": test["sender"], "to": "00010000",
                      "leg": "to-switch", "content": message}])
    findings = passive_findings(BINDING.profile, lines, CURRENT)
    assert [f["requirement"] for f in findings] == ["R-SEC-01"]
    assert "not sorted by name" in findings[0]["message"], findings
