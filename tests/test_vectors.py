"""Every test vector in vectors/ through the library, plus the vector files' own integrity:
they validate against their schemas and equal what the generator makes."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from jsonschema import Draft202012Validator
from referencing import Registry, Resource

from qrinterop.cli.lint import mpm_rules, routing_table
from qrinterop.codes import cpm_cryptogram
from qrinterop.codes.findings import ERROR, LENIENT, STRICT, WARNING
from qrinterop.codes.lint import lint
from qrinterop.profile import load_profile, profile_folder
from qrinterop.protocol.crypto import SigningKey
from qrinterop.protocol.envelope import Party, seal
from qrinterop.protocol.validation import schema_problems
from tests.conftest import ROOT
from vectors import generate

VECTORS = ROOT / "vectors"
FIELD = {"emv_mpm": "payload", "emv_cpm": "payload", "payment_code": "code",
         "collection_url": "url"}
TABLE = routing_table()
RULES = mpm_rules()
PROFILE = load_profile(profile_folder(generate.PROFILE))   # the version the vectors name
KEY = SigningKey.generate()


def load(name: str) -> dict:
    return json.loads((VECTORS / f"{name}_test.json").read_text(encoding="utf-8"))


def all_vectors():
    for name in FIELD:
        for group in load(name)["testGroups"]:
            for test in group["tests"]:
                yield pytest.param(name, test, id=f"{name}-{test['tcId']}")


def named(result, severity: str) -> set[str]:
    return {f.requirement for f in result.findings if f.severity == severity}


def subset(expected: object, actual: object) -> bool:
    if isinstance(expected, dict):
        return isinstance(actual, dict) and all(subset(v, actual.get(k))
                                                for k, v in expected.items())
    return expected == actual


@pytest.mark.parametrize(("name", "test"), list(all_vectors()))
def test_vector(name, test):
    text = test[FIELD[name]]
    lenient = lint(text, TABLE, LENIENT, rules=RULES)
    strict = lint(text, TABLE, STRICT, rules=RULES)
    wanted = set(test.get("requirements", []))
    describe = [f.as_dict() for f in lenient.findings]
    if test["result"] == "valid":
        assert lenient.valid and strict.valid, describe
    elif test["result"] == "acceptable":
        assert lenient.valid and not strict.valid, describe
        assert wanted <= named(lenient, WARNING), describe
    else:
        assert not lenient.valid, describe
        assert wanted <= named(lenient, ERROR), describe
    if "decoded" in test:
        assert subset(test["decoded"], lenient.fields), lenient.fields
    if "route" in test:
        assert (lenient.route or {}).get("institution") == test["route"]


FILES = [*FIELD, "message", "emv_cpm_cryptogram"]


@pytest.mark.parametrize("name", FILES)
def test_committed_vectors_equal_the_generator_output(name):
    assert (VECTORS / f"{name}_test.json").read_text(encoding="utf-8") == generate.render(name)


def test_every_generated_file_is_marked_generated_for_git():
    """Each file says what generated it, and .gitattributes marks it linguist-generated, so
    that a code review collapses it and a reader edits the generator instead."""
    marked = [line.split()[0] for line in (ROOT / ".gitattributes").read_text().splitlines()
              if "linguist-generated=true" in line.split()[1:]]
    for name in FILES:
        path = (VECTORS / f"{name}_test.json").relative_to(ROOT)
        assert load(name)["generatedBy"] == f"vectors/{Path(generate.__file__).name}"
        assert any(path.match(pattern) for pattern in marked), path


@pytest.mark.parametrize("name", FILES)
def test_vector_file_follows_its_schema(name):
    schemas = {p.name: json.loads(p.read_text()) for p in (VECTORS / "schemas").glob("*.json")}
    registry = Registry().with_resources(
        (schema["$id"], Resource.from_contents(schema)) for schema in schemas.values())
    document = load(name)
    Draft202012Validator(schemas[document["schema"]], registry=registry).validate(document)
    tests = [t for g in document["testGroups"] for t in g["tests"]]
    assert document["numberOfTests"] == len(tests)
    assert len({t["tcId"] for t in tests}) == len(tests)
    assert {f for t in tests for f in t["flags"]} == set(document["notes"])


def test_every_published_sample_is_a_vector():
    sources = json.loads((VECTORS / "sources/mpm-published.json").read_text(encoding="utf-8"))
    payloads = {t["payload"] for g in load("emv_mpm")["testGroups"] for t in g["tests"]}
    assert {s["payload"] for s in sources["samples"]} <= payloads
    assert len(sources["samples"]) == 17


def vectors_of(name: str):
    """Every test of one vector file, each a parameter named ``<file>-<tcId>``."""
    for group in load(name)["testGroups"]:
        for test in group["tests"]:
            yield pytest.param(test, id=f"{name}-{test['tcId']}")


@pytest.mark.parametrize("test", list(vectors_of("message")))
def test_message_vector(test):
    """A spoilt body breaks the message set's schema; an envelope case spoils a body the
    schema accepts, so that the envelope is the only thing wrong with it."""
    message = seal(Party("00010000", KEY), test["msgType"], "48020000", test["body"])
    problems = schema_problems(PROFILE, message, test["leg"])
    assert bool(problems) == (test["mutation"] == "none"), problems


@pytest.mark.parametrize("test", list(vectors_of("emv_cpm_cryptogram")))
def test_cryptogram_vector(test):
    """The issuer's check (R-CPM-06) passes exactly the valid ones; every one routes by its
    PAN (R-CPM-05), a stripped one too, and stays a well-formed code (R-CPM-01)."""
    scheme = cpm_cryptogram.TestScheme.from_value(
        PROFILE.business["emv_cpm"]["cryptogram"]["value"])
    data, problem = cpm_cryptogram.verify(scheme, test["payload"])
    assert (problem is None) == (test["result"] == "valid"), problem
    assert cpm_cryptogram.pan_of(test["payload"]) == test["pan"]
    assert lint(test["payload"], TABLE, LENIENT, rules=RULES).valid
    if test["result"] == "valid":
        assert (data.atc, data.values["9F26"].hex().upper()) == (test["atc"], test["arqc"])
