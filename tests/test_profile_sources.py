"""Provenance of the default profile (issue 16 item 1): every item of cn-interconnect 1.1 names
the public texts it rests on, every name is an entry of its sources registry, no citation is an
internal note, and the addresses reach the reader (`profile show --json`, report.html,
docs/CONFORMANCE.md)."""

from __future__ import annotations

import json
import re
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from jsonschema import Draft202012Validator

from qrinterop.profile import DATA_DIR, ProfileError, load_profile
from qrinterop.report.conformance import sources_section
from qrinterop.report.document import cited_sources
from qrinterop.report.html import write_html
from tests.conftest import run_cli
from tests.test_report_render import SCHEMA_PATH, report  # noqa: F401  (the sample report)

PROFILE = load_profile()
FOLDER = PROFILE.folder
INTERNAL_NOTE = re.compile(r"\b(?:domain|cn-spec)\.md\b")


def _read(name: str) -> dict:
    return json.loads((FOLDER / name).read_text(encoding="utf-8"))


def _sourced(document: object, path: str = "") -> Iterator[tuple[str, dict]]:
    """Every object of a document that carries a ``source`` text, with where it is."""
    if isinstance(document, dict):
        if isinstance(document.get("source"), str):
            yield path, document
        for key, value in document.items():
            yield from _sourced(value, f"{path}/{key}")
    elif isinstance(document, list):
        for index, value in enumerate(document):
            yield from _sourced(value, f"{path}/{index}")


def _items() -> Iterator[tuple[str, dict]]:
    """Each item the profile must source: requirements (their ``source``), response codes and
    classes, timing parameters, schedules and cut-offs, business rules, routing entries,
    catalogue entries, the capacity run's values and the signing rules."""
    for req in PROFILE.requirements.values():
        yield f"requirements.json:{req['id']}", req["source"]
    files = PROFILE.manifest["files"]
    for key in ("response_codes", "timing", "business", "routing", "messages", "capacity"):
        for path, item in _sourced(_read(files[key])):
            yield f"{files[key]}:{path}", item
    yield "profile.json:signing", PROFILE.manifest["signing"]


def test_every_item_of_the_default_profile_cites_a_registry_entry():
    items = list(_items())
    assert len(items) > 150
    uncited = [where for where, item in items if not item.get("sources")]
    assert uncited == []
    unknown = {(where, ident) for where, item in items for ident in item["sources"]
               if ident not in PROFILE.sources}
    assert unknown == set()


def test_no_source_or_ref_text_cites_an_internal_note():
    def texts(document: object) -> Iterator[str]:
        if isinstance(document, dict):
            for key, value in document.items():
                if key in ("source", "ref") and isinstance(value, str):
                    yield value
                yield from texts(value)
        elif isinstance(document, list):
            for value in document:
                yield from texts(value)

    for path in sorted(FOLDER.rglob("*.json")):
        cited = [t for t in texts(json.loads(path.read_text(encoding="utf-8")))
                 if INTERNAL_NOTE.search(t)]
        assert cited == [], path.relative_to(FOLDER)


def test_registry_entries_are_public_texts_or_reasoned_choices():
    for ident, entry in PROFILE.sources.items():
        if entry["strength"] == "own":
            assert "address" not in entry and entry["kind"] == "profile", ident
        else:
            assert entry["address"].startswith("http") and entry["read"], ident
        assert not INTERNAL_NOTE.search(entry["quote"] + entry.get("note", "")), ident


def test_the_query_schedule_quotes_unionpay_with_its_address():
    ref = PROFILE.requirements["R-FLOW-04"]["source"]
    quote = "每次时间间隔2N秒发起,即间隔1，2，4，8，16，32S查询"
    assert quote in ref["ref"]
    demo = PROFILE.sources["UP-ACP-DEMO"]
    assert "UP-ACP-DEMO" in ref["sources"] and quote in demo["quote"]
    assert demo["address"].startswith("https://github.com/")


def test_certification_path_is_chinese_with_pix_only_as_an_analogy():
    cert = PROFILE.requirements["R-CERT-01"]
    assert {"JRT-0122", "JRT-0123", "PBOC-242"} <= set(cert["source"]["sources"])
    for words in ("JR/T 0122—2018", "JR/T 0123—2018", "242号", "入网测试", "联调测试"):
        assert words in cert["text"]["en"] + cert["text"]["zh"], words
    assert "analogy" in cert["text"]["en"]


def test_the_jrt0245_map_follows_the_public_table_of_contents(tmp_path):
    chapters = [c["chapter"] for c in PROFILE.standard_map["chapters"]]
    assert chapters == ["1", "2", "3", "4.1", "4.2", "5.1", "5.2", "6.1", "6.2", "6.3", "7"]
    assert PROFILE.standard_map["sources"] == ["JRT-0245"]
    toc = PROFILE.sources["JRT-0245"]["quote"]
    for chapter in PROFILE.standard_map["chapters"][:-1]:
        assert chapter["heading"]["zh"] in toc, chapter["chapter"]
    broken = tmp_path / "1.1"
    shutil.copytree(DATA_DIR / "cn-interconnect" / "1.1", broken)
    mapping = json.loads((broken / "jrt0245-map.json").read_text(encoding="utf-8"))
    mapping["chapters"][0]["files"] = ["nowhere.json"]
    (broken / "jrt0245-map.json").write_text(json.dumps(mapping), encoding="utf-8")
    with pytest.raises(ProfileError, match=r"nowhere\.json is not a file of the profile"):
        load_profile(broken)


def test_profile_show_json_gives_each_requirements_cited_addresses():
    shown = json.loads(run_cli("profile", "show", "--json").stdout)
    flow04 = next(r for r in shown["requirements"] if r["id"] == "R-FLOW-04")
    assert [c["id"] for c in flow04["cited"]] == flow04["source"]["sources"]
    assert flow04["cited"][0]["address"] == PROFILE.sources["UP-ACP-DEMO"]["address"]
    assert set(shown["sources"]) == set(PROFILE.sources)


def test_report_html_links_each_requirements_sources(tmp_path: Path, report: dict):  # noqa: F811
    """report.json carries the cited entries (valid by its schema) and report.html shows each
    as a link with its strength."""
    req = PROFILE.requirements["R-CERT-01"]
    report["requirements"].append({
        "id": req["id"], "level": req["level"], "roles": req["roles"], "title": req["title"],
        "source": req["source"], "cited": cited_sources(PROFILE, req),
        "verdict": "not_covered", "scenarios": []})
    schema = json.loads(SCHEMA_PATH.read_text(encoding="utf-8"))
    assert list(Draft202012Validator(schema).iter_errors(report)) == []
    out = tmp_path / "report.html"
    write_html(report, out)
    html = out.read_text(encoding="utf-8")
    address = PROFILE.sources["JRT-0122"]["address"]
    assert f'<a href="{address}" rel="noreferrer">' in html
    assert "[official]" in html and "[own]" in html
    fetched = re.findall(r'(?:src|srcset|action)="(https?:[^"]*)"', html)
    assert fetched == [], "nothing is fetched from outside: the links are the only addresses"


def test_conformance_page_sources_section_counts_by_strength_and_gives_every_reason():
    lines = sources_section(PROFILE)
    text = "\n".join(lines)
    counts = {s: sum(e["strength"] == s for e in PROFILE.sources.values())
              for s in ("official", "scheme", "press", "own")}
    assert (f"{counts['official']} official, {counts['scheme']} scheme, {counts['press']} press, "
            f"{counts['own']} own — {len(PROFILE.sources)} entries") in text
    for ident, entry in PROFILE.sources.items():
        assert f"**{ident}**" in text
        if entry["strength"] == "own":
            assert entry["quote"] in text
        else:
            assert entry["address"] in text
    assert sources_section(load_profile(DATA_DIR / "cn-interconnect" / "1.0")) == []


def test_a_change_id_listed_twice_is_refused(tmp_path):
    """Two entries under one ID would each seem to explain the other's differences."""
    broken = tmp_path / "1.1"
    shutil.copytree(DATA_DIR / "cn-interconnect" / "1.1", broken)
    changes = json.loads((broken / "changes.json").read_text(encoding="utf-8"))
    changes["changes"].append(dict(changes["changes"][0]))
    (broken / "changes.json").write_text(json.dumps(changes), encoding="utf-8")
    with pytest.raises(ProfileError, match=r"change CHG-001 is listed twice"):
        load_profile(broken)
