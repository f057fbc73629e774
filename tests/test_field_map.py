"""The QRC field map (profile 1.1 messages/qrc-field-map.json): the loader refuses one that
names a field the message set lacks, it maps every field of every message and leg, and the
published docs/FIELD-MAPPING.md is what ``qrinterop profile field-map`` prints."""

import json
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

from qrinterop.cli.main import cli
from qrinterop.profile import ProfileError, load_profile, profile_folder
from qrinterop.profile.field_map import field_paths, unmapped

ROOT = Path(__file__).resolve().parents[1]
PROFILE = load_profile()


def test_the_published_page_is_the_maps_output():
    printed = CliRunner().invoke(cli, ["profile", "field-map"])
    assert printed.exit_code == 0, printed.output
    assert (ROOT / "docs" / "FIELD-MAPPING.md").read_text(encoding="utf-8") == printed.output, \
        "docs/FIELD-MAPPING.md is stale: qrinterop profile field-map > docs/FIELD-MAPPING.md"


def test_every_field_of_every_leg_has_a_qrc_name_or_says_it_has_none():
    assert unmapped(PROFILE, PROFILE.field_map) == [], \
        "add these fields to messages/qrc-field-map.json (qrc: null with a note if QRC has none)"
    assert set(PROFILE.field_map["messages"]) == set(PROFILE.messages["messages"])


def test_the_core_names_are_qrcs():
    purchase = PROFILE.field_map["messages"]["cpm.purchase"]
    assert purchase["reqType"] == "0310000903"
    to_switch = purchase["legs"]["request.to-switch"]
    assert {ours: to_switch[ours]["qrc"] for ours in ("code", "amount", "currency",
                                                       "merchant.id", "merchant.name",
                                                       "merchant.mcc")} == {
        "code": "qrNo", "amount": "txnAmt", "currency": "currencyCode", "merchant.id": "merId",
        "merchant.name": "merName", "merchant.mcc": "merCatCode"}
    inquiry = PROFILE.field_map["messages"]["mpm.inquiry"]["legs"]["request.to-switch"]
    assert inquiry["code"]["qrc"] == "qrCode"
    assert "merchant.id" in field_paths(PROFILE, "cpm.purchase", "request.to-switch")


def test_1_0_has_no_map_and_the_command_says_so():
    assert load_profile(profile_folder("cn-interconnect/1.0")).field_map == {}
    printed = CliRunner().invoke(cli, ["profile", "field-map", "--profile", "cn-interconnect/1.0"])
    said = str(printed.exception or printed.output)
    assert printed.exit_code != 0 and "has no QRC field map" in said


@pytest.mark.parametrize(("edit", "said"), [
    (lambda m: m["messages"]["cpm.purchase"]["legs"]["request.to-switch"].update(
        {"merchant.street": {"qrc": "merAddr"}}), "cpm.purchase request.to-switch: no field "
                                                   "merchant.street"),
    (lambda m: m["messages"]["cpm.purchase"].update(reqType="0320000903"), "qrc_req_type"),
    (lambda m: m["messages"]["cpm.purchase"]["legs"].update({"response.to-issuer": {}}),
     "qrc-field-map.json"),
    (lambda m: m["sources"].append("NOWHERE-1"), "unknown source NOWHERE-1"),
])
def test_the_loader_refuses_a_map_naming_what_the_message_set_lacks(tmp_path, edit, said):
    folder = tmp_path / "profile"
    shutil.copytree(profile_folder(), folder)
    path = folder / "messages" / "qrc-field-map.json"
    document = json.loads(path.read_text(encoding="utf-8"))
    edit(document)
    path.write_text(json.dumps(document, ensure_ascii=False), encoding="utf-8")
    with pytest.raises(ProfileError, match=said.replace(".", r"\.")):
        load_profile(folder)


def test_a_field_is_carried_only_where_the_version_has_it():
    """The reference serves 1.0 and 1.1 from one code: it adds a 1.1 field only where the
    version's schema has it (Profile.carries, Profile.carried)."""
    old = load_profile(profile_folder("cn-interconnect/1.0"))
    body = {"code": "6212345678901234567", "orderType": "12", "reqReserved": "x"}
    assert PROFILE.carries("cpm.purchase", "request.to-switch", "orderType")
    assert not old.carries("cpm.purchase", "request.to-switch", "orderType")
    assert not PROFILE.carries("cpm.purchase", "request.from-switch", "reqReserved")
    assert not PROFILE.carries("no.such", "request.to-switch", "code")
    assert old.carried("cpm.purchase", "request.to-switch", body) == {"code": body["code"]}
    assert PROFILE.carried("cpm.purchase", "request.from-switch", body) == {
        "code": body["code"], "orderType": "12"}
    assert PROFILE.carried("no.such", "request.from-switch", body) == body
