"""``qrinterop profile show | diff``."""

from __future__ import annotations

import json
import shutil

from qrinterop.profile import DATA_DIR, load_profile
from tests.conftest import run_cli

PROFILE = load_profile()


def test_show_lists_every_requirement_in_both_languages_with_a_source():
    done = run_cli("profile", "show")
    assert done.returncode == 0, done.stderr
    for req in PROFILE.requirements.values():
        assert req["id"] in done.stdout
        assert req["title"]["en"] in done.stdout and req["title"]["zh"] in done.stdout
        assert req["source"]["ref"] in done.stdout
    last = done.stdout.strip().splitlines()[-1]
    assert last.startswith("Requirements by area: MPM ")
    assert last.endswith(f"— {len(PROFILE.requirements)} in all")


def test_show_json():
    done = run_cli("profile", "show", "--json")
    shown = json.loads(done.stdout)
    assert [r["id"] for r in shown["requirements"]] == list(PROFILE.requirements)
    assert sum(shown["countsByArea"].values()) == len(PROFILE.requirements)


def test_diff_names_added_removed_and_changed(tmp_path):
    new = tmp_path / "1.1"
    shutil.copytree(DATA_DIR / "cn-interconnect" / "1.0", new)
    path = new / "requirements.json"
    data = json.loads(path.read_text(encoding="utf-8"))
    removed = data["requirements"].pop(0)
    data["requirements"][0]["level"] = "optional"
    changed = data["requirements"][0]["id"]
    data["requirements"].append({**removed, "id": "R-SEC-09"})
    path.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    done = run_cli("profile", "diff", "--json", "cn-interconnect/1.0", str(new))
    assert done.returncode == 0, done.stderr
    answer = json.loads(done.stdout)
    assert {k: answer[k] for k in ("added", "removed", "changed")} == {
        "added": ["R-SEC-09"], "removed": [removed["id"]],
        "changed": [{"id": changed, "fields": ["level"]}]}
    # a copy without changes.json explains nothing: every difference is shown unexplained
    assert set(answer["unexplained"]) == {f"requirements.json:requirements/{rid}"
                                          for rid in ("R-SEC-09", removed["id"], changed)}
    human = run_cli("profile", "diff", "--check", "cn-interconnect/1.0", str(new))
    assert human.returncode == 1
    assert "added    R-SEC-09" in human.stdout and f"removed  {removed['id']}" in human.stdout
    assert f"changed  requirements.json:requirements/{changed}  UNEXPLAINED" in human.stdout


def test_every_difference_from_1_0_has_a_reason_and_every_citation_an_address():
    """The release's promise: `profile diff` explains each change, and what 1.1 cites can
    be read (the registry's own-choice entries give a reason instead of an address)."""
    done = run_cli("profile", "diff", "--check", "--json", "cn-interconnect/1.0",
                   "cn-interconnect/1.1")
    assert done.returncode == 0, json.loads(done.stdout)["unexplained"]
    assert PROFILE.name == "cn-interconnect/1.1"
    for ident, source in PROFILE.sources.items():
        assert source.get("address") or source["strength"] == "own", ident


def test_unknown_profile_and_broken_profile_are_one_line_errors(tmp_path):
    done = run_cli("profile", "show", "--profile", "cn-interconnect/9.9")
    assert done.returncode == 2 and "cn-interconnect/9.9" in done.stderr
    broken = tmp_path / "broken"
    shutil.copytree(DATA_DIR / "cn-interconnect" / "1.0", broken)
    (broken / "timing.json").write_text("{not json", encoding="utf-8")
    done = run_cli("profile", "show", "--profile", str(broken))
    assert done.returncode == 2 and len(done.stderr.strip().splitlines()) == 1
    assert "timing.json" in done.stderr and "not valid JSON" in done.stderr


def test_a_change_can_name_one_openapi_path():
    """A '/' inside a segment is '~1', as in a JSON Pointer, so one operation is nameable."""
    from qrinterop.profile.diff import Difference, _covers, pointer

    path = ("paths", "/control/clock")
    assert pointer(path) == "paths/~1control~1clock"
    difference = Difference("control-api.openapi.json", path, "changed")
    assert _covers("control-api.openapi.json:paths/~1control~1clock", difference)
    assert not _covers("control-api.openapi.json:paths/~1control~1merchants", difference)
