"""The typed ICS and service configuration: one default for each setting, the schema's."""

from __future__ import annotations

import json
from dataclasses import MISSING, fields
from pathlib import Path

import pytest

from mocks.launch_reference import from_ics
from qrinterop.ics import model
from qrinterop.ics.loader import load_ics, schema
from qrinterop.ics.service_config import ServiceConfig, ServiceConfigError
from qrinterop.runner.bdd.suite import locate
from qrinterop.runner.processes import services

SUITE = locate()
REFERENCE_ICS = SUITE.mocks / "reference-ics.yaml"
COMMAND_ICS = SUITE.root / "docs" / "examples" / "ics-command.yaml"
#: Each object of the schema with the model class that stands for it.
SECTIONS = {(): model.Ics, ("institution",): model.Institution, ("codes",): model.Codes,
            ("terminal",): model.Terminal, ("sut",): model.Sut, ("keys",): model.Key,
            ("accounts",): model.Account, ("capacity",): model.CapacityDeclaration}


def schema_defaults() -> list[tuple[tuple[str, ...], str, object]]:
    """Every ``default`` the schema documents: (section, property, value)."""
    found = []
    for section in SECTIONS:
        node = schema()
        for part in section:
            node = node["properties"][part]
            node = node.get("items", node)
        found += [(section, name, spec["default"])
                  for name, spec in node["properties"].items() if "default" in spec]
    return found


def load(path: Path) -> model.Ics:
    return load_ics(path, set(SUITE.defects()), {"sm2", "rsa", *_features()})


def _features() -> set[str]:
    from qrinterop.profile import load_profile

    return set(load_profile().features)


def test_the_schema_documents_defaults():
    assert {(s, n) for s, n, _v in schema_defaults()} >= {(("sut",), "timing_scale"),
                                                          (("sut",), "ready_timeout_s")}


@pytest.mark.parametrize(("section", "name", "value"), schema_defaults())
def test_every_default_of_the_schema_is_the_models(section, name, value):
    default = {f.name: f.default for f in fields(SECTIONS[section])}[name]
    assert default is not MISSING and default == value


def test_every_property_of_the_schema_is_a_field_of_the_model():
    for section, cls in SECTIONS.items():
        node = schema()
        for part in section:
            node = node["properties"][part]
            node = node.get("items", node)
        assert set(node["properties"]) == {f.name for f in fields(cls)}, section


def test_the_simulators_start_within_the_ics_default():
    """The bundled reference is started as a simulator: it must get at least the time the
    schema promises an SUT (it had 20 s where the ICS said 30)."""
    default = schema()["properties"]["sut"]["properties"]["ready_timeout_s"]["default"]
    assert default == model.DEFAULT_READY_TIMEOUT_S <= services.READY_TIMEOUT_S


def test_an_ics_without_the_optional_settings_takes_the_defaults():
    container = load(SUITE.root / "docs" / "examples" / "ics-container.yaml").sut
    assert (container.ready_timeout_s, container.timing_scale, container.defects) == (
        model.DEFAULT_READY_TIMEOUT_S, model.DEFAULT_TIMING_SCALE, ())
    command = load(COMMAND_ICS).sut
    assert command.workdir == COMMAND_ICS.parent.resolve()
    assert command.command and isinstance(command.command, tuple)
    reference = load(REFERENCE_ICS)
    assert reference.sut.timing_scale == 0.1 and reference.sut.control_timeout_s is None
    assert reference.signing_key is reference.keys[-1]


def test_the_payment_codes_validity_and_use_count_are_declared_or_the_profiles():
    """R-CPM-08: the reference declares both; an ICS without them leaves the profile's."""
    declared = load(REFERENCE_ICS).codes
    assert (declared.payment_code_validity_s, declared.payment_code_use_limit) == (60, 1)
    from qrinterop.profile import load_profile

    assert declared.payment_code_validity_s == load_profile().timing[
        "payment_code_validity_s"]
    left = load(SUITE.root / "docs" / "examples" / "ics-container.yaml").codes
    assert (left.payment_code_validity_s, left.payment_code_use_limit) == (None, None)
    assert "payment_code_validity_s" in load(REFERENCE_ICS).description()["codes"]


def test_a_defect_adds_its_settings_and_leaves_out_features():
    catalogue = SUITE.defects()
    ics = load(REFERENCE_ICS)
    hangs = ics.with_defects(["terminal-hangs"], catalogue)
    assert hangs.sut.defects == ("terminal-hangs",) and hangs.sut.control_timeout_s == 1
    beyond = ics.with_defects(["acts-beyond-its-ics"], catalogue)
    assert not {"partial-refund", "void"} & set(beyond.institution.features)
    assert ics.sut.defects == () and "void" in ics.institution.features   # unchanged


def test_a_service_configuration_round_trips_through_its_json(tmp_path):
    config = ServiceConfig(id="10000001", key_id="k1", state_file="s.sqlite",
                           participants=({"id": "10000001", "url": "http://127.0.0.1:1"},),
                           defects=("void-ignored",), roles=("issuer",))
    config.write(tmp_path / "c.json")
    raw = json.loads((tmp_path / "c.json").read_text(encoding="utf-8"))
    assert raw["network"]["participants"][0]["id"] == "10000001" and "features" not in raw
    assert ServiceConfig.read(tmp_path / "c.json") == config
    assert ServiceConfig.from_dict({k: v for k, v in raw.items() if k != "timing_scale"}
                                   ).timing_scale == model.DEFAULT_TIMING_SCALE


@pytest.mark.parametrize("raw", [
    [], {"key_id": "k", "state_file": "s", "network": {"participants": []}},
    {"id": "1", "key_id": "k", "state_file": "s"},
    {"id": "1", "key_id": "k", "state_file": "s", "network": {"participants": []},
     "timing_scale": 2},
    {"id": "1", "key_id": "k", "state_file": "s", "network": {"participants": []},
     "colour": "blue"}])
def test_a_configuration_that_cannot_be_run_with_is_refused(raw):
    with pytest.raises(ServiceConfigError):
        ServiceConfig.from_dict(raw)


def test_the_reference_configures_itself_from_its_ics_with_its_defaults():
    config = from_ics(SUITE.root / "docs" / "examples" / "ics-peer.yaml")
    assert config.timing_scale == load(SUITE.root / "docs" / "examples" / "ics-peer.yaml"
                                       ).sut.timing_scale
    assert config.features is None and config.key_id


def test_the_service_configuration_schema_and_model_name_the_same_keys():
    """mocks/service-config.schema.json checks the file, ServiceConfig reads it: neither may
    know a key the other does not (the JSON's ``network`` is the model's ``participants``)."""
    document = json.loads((SUITE.mocks / "service-config.schema.json").read_text(
        encoding="utf-8"))
    fields_ = {f.name for f in fields(ServiceConfig)} - {"participants"} | {"network"}
    assert set(document["properties"]) == fields_
    assert set(document["required"]) - {"network", "timing_scale"} == {
        f.name for f in fields(ServiceConfig) if f.default is MISSING
        and f.default_factory is MISSING}
