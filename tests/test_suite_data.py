"""The suite's own data (the defect catalogue, the simulated network, the rows sources, the
simulators' configuration) against the schemas beside it, checked where each is loaded; and
the one way the reference code asks for a defect, ``defects.on(name)``."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from jsonschema import Draft202012Validator

from mocks.defects import Defects, UnknownDefect, catalogue
from qrinterop.errors import UsageError
from qrinterop.runner.bdd.suite import Suite
from tests.conftest import ROOT

SCHEMAS = {"mocks/defects.json": "mocks/defects.schema.json",
           "mocks/network.json": "mocks/network.schema.json",
           "features/rows.json": "features/rows.schema.json"}
CONFIG_SCHEMA = ROOT / "mocks" / "service-config.schema.json"


@pytest.mark.parametrize("data", sorted(SCHEMAS))
def test_each_data_file_satisfies_its_schema_and_names_it(data):
    schema = json.loads((ROOT / SCHEMAS[data]).read_text(encoding="utf-8"))
    Draft202012Validator.check_schema(schema)
    document = json.loads((ROOT / data).read_text(encoding="utf-8"))
    assert list(Draft202012Validator(schema).iter_errors(document)) == []
    assert document["$schema"] == f"./{Path(SCHEMAS[data]).name}"   # for editors


@pytest.fixture
def suite_copy(tmp_path):
    """A suite whose mocks/ may be broken (the rest linked to the real one)."""
    shutil.copytree(ROOT / "mocks", tmp_path / "mocks",
                    ignore=shutil.ignore_patterns("__pycache__", "keys"))
    for name in ("features", "steps", "vectors", "qrinterop"):
        (tmp_path / name).symlink_to(ROOT / name)
    return Suite(tmp_path)


def _break(path: Path, change) -> None:
    data = json.loads(path.read_text(encoding="utf-8"))
    change(data)
    path.write_text(json.dumps(data), encoding="utf-8")


def test_a_catalogue_that_breaks_its_schema_is_one_usage_error_naming_it(suite_copy):
    _break(suite_copy.mocks / "defects.json",
           lambda data: data["defects"]["void-twice"].update(expect="fails"))
    with pytest.raises(UsageError) as caught:
        suite_copy.defects()
    message = str(caught.value)
    assert str(suite_copy.mocks / "defects.json") in message and "\n" not in message
    assert "defects/void-twice/expect" in message


def test_a_variant_expected_to_fail_must_name_what_catches_it(suite_copy):
    _break(suite_copy.mocks / "defects.json",
           lambda data: data["defects"]["void-twice"].update(caught_by=[]))
    with pytest.raises(UsageError, match="caught_by"):
        suite_copy.defects()


def test_a_network_that_breaks_its_schema_is_one_usage_error_naming_it(suite_copy):
    _break(suite_copy.mocks / "network.json",
           lambda data: data["peers"][0].update(persona="the peer"))
    with pytest.raises(UsageError) as caught:
        suite_copy.network_layout()
    assert "network.json" in str(caught.value) and "peers/0/persona" in str(caught.value)


def test_every_configuration_the_runner_writes_satisfies_the_schema(tmp_path):
    from qrinterop.runner.certify import CertifyOptions, load_inputs
    from qrinterop.runner.processes.network import build_network

    suite, _profile, ics, _path = load_inputs(CertifyOptions())
    (tmp_path / "secrets").mkdir()
    network = build_network(suite, ics, tmp_path / "run", tmp_path / "secrets")
    for service in network.group.services:
        service.sock.close()
    validator = Draft202012Validator(json.loads(CONFIG_SCHEMA.read_text(encoding="utf-8")))
    configs = sorted((tmp_path / "run" / "services").glob("*.json"))
    assert len(configs) == len(network.participants)
    for path in configs:
        assert list(validator.iter_errors(json.loads(path.read_text()))) == [], path.name


@pytest.mark.parametrize(("config", "problem"), [
    ({"id": "10000001"}, "'key_id' is a required property"),
    ({"id": "10000001", "key_id": "k", "timing_scale": 2, "state_file": "s",
      "network": {"participants": []}}, "timing_scale"),
    ({"id": "10000001", "key_id": "k", "timing_scale": 1, "state_file": "s",
      "network": {"participants": []}, "defects": ["no-such-defect"]}, "no-such-defect"),
])
def test_a_simulator_given_a_bad_configuration_says_so_in_one_line_and_exits_2(
        tmp_path, config, problem):
    path = tmp_path / "config.json"
    path.write_text(json.dumps(config), encoding="utf-8")
    done = subprocess.run([sys.executable, "-m", "mocks.institution", "--config", str(path),
                           "--fd", "99"], cwd=ROOT, capture_output=True, text=True,
                          timeout=60, check=False)
    assert done.returncode == 2, done.stderr
    assert len(done.stderr.strip().splitlines()) == 1 and problem in done.stderr


def test_a_defect_is_on_only_when_named():
    defects = Defects(["void-twice"])
    assert defects.on("void-twice") and not defects.on("terminal-hangs")
    assert not Defects().on("void-twice")


def test_a_name_the_catalogue_lacks_is_refused_when_asked_and_when_configured():
    with pytest.raises(UnknownDefect, match="void-thrice"):
        Defects().on("void-thrice")
    with pytest.raises(UnknownDefect, match="void-thrice"):
        Defects(["void-thrice"])


def test_the_simulators_and_the_harness_read_one_catalogue():
    assert catalogue() == Suite(ROOT).defects()
