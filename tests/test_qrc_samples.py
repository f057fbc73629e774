"""The UnionPay QRC messages published in public code (vectors/qrc_sample_test.json) as
field-mapping vectors, and the profile's assessment of the NetsUnion binding it does not build
(bindings/netsunion-xml.json).

The vectors are curated by hand from the published texts: these tests hold each case to its
schema, to the profile's sources registry and field map, and the expected abstract body to the
leg's schema (valid: accepted; acceptable: refused where the case says), and each sample
through the unionpay-qrc binding: it decodes into the abstract fields the case names, keeps
what the dictionary lacks, and builds the published signing strings. No published signature
can be verified: no public certificate has the samples' certIds.
"""

from __future__ import annotations

import base64
import json
import shutil
from collections.abc import Callable
from pathlib import Path

import pytest
from jsonschema import Draft202012Validator
from referencing import Registry, Resource

from qrinterop.profile import ProfileError, load_profile, profile_folder
from qrinterop.protocol.bindings import binding, qrc
from qrinterop.protocol.bindings.base import Wire
from qrinterop.protocol.crypto import SigningKey
from qrinterop.protocol.keyring import KeyRing
from tests.conftest import ROOT

VECTORS = ROOT / "vectors"
DOCUMENT = json.loads((VECTORS / "qrc_sample_test.json").read_text(encoding="utf-8"))
PROFILE = load_profile(profile_folder(DOCUMENT["profile"]))
TESTS = [t for group in DOCUMENT["testGroups"] for t in group["tests"]]
ASSESSMENT = PROFILE.folder / "bindings" / "netsunion-xml.json"


def cases():
    return [pytest.param(test, id=f"qrc_sample-{test['tcId']}") for test in TESTS]


def _schema_registry(folder: Path) -> tuple[dict[str, dict], Registry]:
    schemas = {p.name: json.loads(p.read_text(encoding="utf-8")) for p in folder.glob("*.json")}
    registry = Registry().with_resources(
        (s["$id"], Resource.from_contents(s)) for s in schemas.values() if "$id" in s)
    return schemas, registry


def test_vector_file_follows_its_schema():
    schemas, registry = _schema_registry(VECTORS / "schemas")
    Draft202012Validator(schemas[DOCUMENT["schema"]], registry=registry).validate(DOCUMENT)
    assert DOCUMENT["numberOfTests"] == len(TESTS)
    assert len({t["tcId"] for t in TESTS}) == len(TESTS)
    assert {f for t in TESTS for f in t["flags"]} == set(DOCUMENT["notes"])


@pytest.mark.parametrize("test", cases())
def test_a_sample_names_its_text_in_the_sources_registry(test):
    """Each case's source ids are entries of the profile's registry, one of them at the very
    address the case gives: a vector and the profile cite the same text."""
    sources = PROFILE.sources
    assert set(test["sources"]) <= set(sources), set(test["sources"]) - set(sources)
    assert test["address"].split("#")[0] in {sources[s]["address"] for s in test["sources"]}


@pytest.mark.parametrize("test", cases())
def test_a_sample_is_the_message_its_req_type_names(test):
    """reqType is the catalogue's qrc_req_type of the message type the case decodes to, and
    the message travels on the case's leg."""
    name, _, kind = test["msgType"].rpartition(".")
    entry = PROFILE.messages["messages"][name]
    assert test["fields"]["reqType"] == test["reqType"] == entry["qrc_req_type"]
    assert test["leg"].startswith(kind + ".")
    assert test["leg"] in entry["legs"]
    assert test["expected"]["header"]["msgType"] == test["msgType"]


@pytest.mark.parametrize("test", cases())
def test_sub_structures_are_the_base64_fields_decoded(test):
    """Every sub-structure the case lists is its field's base64 {k=v&…}, padding restored."""
    for name, members in test["subStructures"].items():
        text = test["fields"][name]
        raw = base64.b64decode(text + "=" * (-len(text) % 4)).decode("utf-8")
        assert raw.startswith("{") and raw.endswith("}")
        assert dict(p.split("=", 1) for p in raw[1:-1].split("&")) == members
        assert ("UnpaddedBase64" in test["flags"]) == any(
            len(test["fields"][n]) % 4 for n in test["subStructures"])


@pytest.mark.parametrize("test", [c for c in cases() if "wire" in c.values[0]])
def test_a_published_string_is_its_fields(test):
    """A raw or signing string splits on '&' and the first '=' into the case's fields, in
    order; a signing string is those fields but signature, sorted by name (the SDK's rule)."""
    pairs = [p.split("=", 1) for p in test["wire"].split("&")]
    assert [k for k, _v in pairs] == list(test["fields"])
    assert dict(pairs) == test["fields"]
    if test["published"] == "signing-string":
        ordered = sorted((k, v) for k, v in test["fields"].items() if k != "signature")
        assert "&".join(f"{k}={v}" for k, v in ordered) == test["wire"]


def _leg_map(test: dict) -> dict:
    """The field map's entries of the case's message and leg (our field -> QRC name)."""
    legs = PROFILE.field_map["messages"][test["msgType"].rpartition(".")[0]]["legs"]
    return dict(legs[test["leg"]])


def _body_problems(test: dict, body: dict) -> list[str]:
    name = test["msgType"].rpartition(".")[0]
    entry = PROFILE.messages["messages"][name]
    uri = f"{PROFILE.messages['schema_base']}{entry['schema']}#/$defs/{test['leg']}/properties/body"
    validator = Draft202012Validator({"$ref": uri}, registry=PROFILE.schema_registry)
    return [f"{'/'.join(map(str, e.absolute_path))}: {e.message}"
            for e in validator.iter_errors(body)]


@pytest.mark.parametrize("test", cases())
def test_the_expected_body_is_judged_as_the_result_says(test):
    """valid: the leg's schema accepts the expected body; acceptable: it is refused, and every
    refusal of a field the expected body holds (or requires) is among the schema's problems.
    Refusals of fields outside the dictionary are a decoder's to show (it keeps them)."""
    problems = _body_problems(test, test["expected"]["body"])
    if test["result"] == "valid":
        assert problems == [] and test["refused"] == [] and test["outside"] == {}
        return
    assert problems or test["outside"], "an acceptable sample the schema accepts"
    body = test["expected"]["body"]
    for refusal in test["refused"]:
        path = refusal.split(":", 1)[0]
        head, _, member = path.partition(".")
        if head in body and (not member or member in body[head]):
            assert any(p.startswith(path.replace(".", "/") + ":") for p in problems), \
                (refusal, problems)
        elif "required" in refusal:
            assert any(f"'{member or head}' is a required property" in p for p in problems), \
                (refusal, problems)


@pytest.mark.parametrize("test", cases())
def test_outside_fields_are_not_in_the_field_map(test):
    """A field the case calls outside the dictionary has no entry of its leg's map; one it
    decodes has one (so the map and the vectors cannot drift apart silently)."""
    qrc_names = {entry["qrc"] for entry in _leg_map(test).values() if entry["qrc"]}
    for field in test["outside"]:
        assert field not in qrc_names, field
    structures = {n.split(".")[0] for n in qrc_names}
    for field in test["fields"]:
        if field in ("version", "reqType", "certId", "signType", "signature", "encryptCertId",
                     "issCode", "acqCode") or field in test["outside"]:
            continue
        assert field in qrc_names or field in structures, f"{field} is neither mapped nor outside"


def test_no_published_signature_is_claimed_verifiable():
    """Every signed sample says its signature cannot be verified; none claims a public key."""
    for test in TESTS:
        signed = "signature" in test["fields"]
        assert signed == ("SignatureUnverifiable" in test["flags"]), test["tcId"]
        assert signed == ("signature" in test["expected"]), test["tcId"]


# -- through the unionpay-qrc binding ----------------------------------------------------------
CODEC = binding("unionpay-qrc", PROFILE)


def _decoded(test: dict, raw: bytes | None = None) -> dict:
    """The sample as the binding decodes it: its fields sent as a form (as our own encoder
    would send them) unless ``raw`` gives the bytes, to a receiver that holds no key of the
    samples' certIds."""
    answer = test["leg"].startswith("response.")
    wire = Wire(raw if raw is not None else qrc.form_encode(test["fields"], raw=answer),
                CODEC.content_type, None)
    return CODEC.decode(wire, test["leg"], KeyRing(), "receiver")


def _subset(expected: object, actual: object) -> bool:
    if isinstance(expected, dict):
        return isinstance(actual, dict) and all(_subset(v, actual.get(k))
                                                for k, v in expected.items())
    return expected == actual


@pytest.mark.parametrize("test", cases())
def test_every_sample_decodes_into_the_abstract_fields_it_names(test):
    """The binding decodes each published sample into the vector's header, body and key ID,
    keeps what the dictionary lacks under its QRC names (never drops it), and the leg's
    schema refuses exactly the acceptable ones, where the vector says."""
    message = _decoded(test)
    expected = test["expected"]
    assert _subset(expected["header"], message["header"]), message["header"]
    assert _subset(expected["body"], message["body"]), message["body"]
    assert _subset(expected.get("signature", {}), message.get("signature", {}))
    assert message["wire"]["fields"] == test["fields"]
    for name in test["outside"]:
        structure, _, member = name.partition(".")
        if member:
            parent = next(path for path, entry in _leg_map(test).items()
                          if entry["qrc"] == structure)
            assert member in message["body"][parent], name
        else:
            assert name in message["body"], name
    problems = _body_problems(test, message["body"])
    assert bool(problems) == (test["result"] == "acceptable"), problems
    for refusal in test["refused"]:
        path = refusal.split(":", 1)[0]
        last = path.rpartition(".")[2]
        assert any(p.startswith(path.replace(".", "/") + ":") or f"'{last}'" in p
                   for p in problems), (refusal, problems)


@pytest.mark.parametrize("test", [c for c in cases() if c.values[0]["published"]
                                  == "signing-string"])
def test_the_binding_builds_the_published_signing_strings(test):
    """qrc.signing_string of a sample's fields is the string its author's SDK signed."""
    assert qrc.signing_string(test["fields"]) == test["wire"]


@pytest.mark.parametrize("test", cases())
def test_no_public_sample_verifies(test):
    """No key anyone holds verifies a published signature (no public certificate has the
    samples' certIds): the binding says no rather than guessing."""
    assert CODEC.verify(_decoded(test), SigningKey.generate().public) is False


@pytest.mark.parametrize("test", [c for c in cases() if c.values[0]["published"] == "raw"])
def test_a_raw_answer_decodes_to_its_published_fields(test):
    """An answer as the QRC SDK writes one (k=v&k=v, not percent-encoded: sources.json
    UP-QRC-SDK-QUICKEA) keeps its signature's '+' when decoded."""
    fields = _decoded(test, test["wire"].encode("utf-8"))["wire"]["fields"]
    assert fields == test["fields"]


# -- NetsUnion ---------------------------------------------------------------------------------
def test_the_netsunion_assessment_follows_its_schema_and_cites_the_registry():
    schema = json.loads((ROOT / "qrinterop/profile/schemas/binding-assessment.schema.json")
                        .read_text(encoding="utf-8"))
    document = json.loads(ASSESSMENT.read_text(encoding="utf-8"))
    Draft202012Validator(schema).validate(document)
    cited = set(document["sources"]) | {s for item in document["public"] for s in item["sources"]}
    assert cited <= set(PROFILE.sources), cited - set(PROFILE.sources)
    assert {s for item in document["public"] for s in item["sources"]} <= set(document["sources"])
    assert all(PROFILE.sources[s]["kind"] == "netsunion" for s in document["sources"])
    assert document["status"] == "not built"
    assert PROFILE.bindings["bindings"]["netsunion-xml"]["assessment"] == \
        ASSESSMENT.relative_to(PROFILE.folder).as_posix()


@pytest.mark.parametrize(("edit", "said"), [
    (lambda d: d.update(binding="netsunion-json"), "assesses 'netsunion-json'"),
    (lambda d: d["public"][0]["sources"].append("NOWHERE-1"), "unknown source(s) NOWHERE-1"),
    (lambda d: d.pop("missing"), "netsunion-xml.json: at"),
])
def test_the_loader_refuses_a_broken_assessment(tmp_path: Path, edit: Callable[[dict], object],
                                                said: str) -> None:
    """The profile's loader checks the assessment bindings.json names: its schema, that it
    is about that binding, and that it cites only the registry."""
    folder = tmp_path / "profile"
    shutil.copytree(PROFILE.folder, folder)
    path = folder / ASSESSMENT.relative_to(PROFILE.folder)
    document = json.loads(path.read_text(encoding="utf-8"))
    edit(document)
    path.write_text(json.dumps(document, ensure_ascii=False), encoding="utf-8")
    with pytest.raises(ProfileError, match=said.replace(".", r"\.").replace("(", r"\(")
                       .replace(")", r"\)")):
        load_profile(folder)
