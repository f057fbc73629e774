"""Examples tables filled from data (qrinterop/runner/bdd/rows.py): the selection language of
features/rows.json, and the tags a row's values become."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from behave.parser import parse_feature

from qrinterop.errors import UsageError
from qrinterop.runner.bdd.rows import RowSources, expand_feature
from qrinterop.runner.bdd.suite import locate

ROOT = Path(__file__).resolve().parents[1]

FEATURE = """
Feature: rows
  @tc.T-<id> @req.<reqs>
  Scenario Outline: row <id> of <name>
    Given nothing about <name>

    @rows.things
    Examples: things
      | id | name | reqs | detail.colour | body |
"""


@pytest.fixture
def sources(tmp_path):
    (tmp_path / "features").mkdir()
    shutil.copy(ROOT / "features" / "rows.schema.json", tmp_path / "features")
    data = {"items": {"a": {"id": 1, "name": "one", "reqs": ["R-A-01", "R-B-02"],
                            "detail": {"colour": "red"}, "body": {"k": "v"}, "kind": "x"},
                      "b": {"id": 2, "name": "two", "reqs": [], "kind": ["x", "y"]},
                      "c": {"id": 3, "name": "three", "reqs": [], "kind": "z"}}}
    (tmp_path / "data.json").write_text(json.dumps(data), encoding="utf-8")
    rows = {"sources": {"things": {"file": "data.json", "items": "items.*",
                                   "where": {"kind": "x"}, "unless": {"name": "three"}},
                        "with-an-e": {"file": "data.json", "items": "items.*",
                                      "where": {"name": {"contains": "e"}}}}}
    (tmp_path / "features" / "rows.json").write_text(json.dumps(rows), encoding="utf-8")
    return RowSources(tmp_path)


def test_items_are_selected_by_equality_or_membership(sources):
    assert [item["key"] for item in sources.items("things")] == ["a", "b"]


def test_items_are_selected_by_the_text_a_field_contains(sources):
    assert [item["key"] for item in sources.items("with-an-e")] == ["a", "c"]


def test_a_row_gets_each_heading_from_its_item(sources):
    rows = sources.rows("things", ["id", "name", "reqs", "detail.colour", "body", "missing"])
    assert rows[0] == ["1", "one", "R-A-01 R-B-02", "red", '{"k": "v"}', ""]


def test_an_outline_gets_a_scenario_per_row_and_a_tag_per_value(sources):
    feature = expand_feature(parse_feature(FEATURE), sources)
    scenarios = list(feature.walk_scenarios())
    assert [s.name.split(" -- ")[0] for s in scenarios] == ["row 1 of one", "row 2 of two"]
    assert {"tc.T-1", "req.R-A-01", "req.R-B-02"} <= {str(t) for t in scenarios[0].tags}


def test_an_unknown_source_is_a_usage_error(sources):
    with pytest.raises(UsageError, match="no row source 'nothing'"):
        sources.items("nothing")


def test_every_source_of_the_suite_selects_something():
    suite = locate()
    sources = RowSources(suite.root)
    assert all(sources.items(name) for name in sources.sources)


MIXED = """
Feature: rows beside hand-written rows
  @tc.M-<id> @req.<reqs>
  Scenario Outline: row <id>
    Given nothing about <id>

    @rows.things
    Examples: from data
      | id | reqs |

    Examples: by hand
      | id | reqs          |
      | 9  | R-C-03 R-D-04 |
"""


def test_rows_with_several_words_for_a_tag_keep_their_order_and_get_a_tag_each(sources):
    """behave alone would tag row 1 ``req.R-A-01_R-B-02``: the rows are split into Examples
    carrying one tag per word, in file order, and a hand-written table is read the same way."""
    feature = expand_feature(parse_feature(MIXED), sources)
    scenarios = list(feature.walk_scenarios())
    tags = [sorted(str(t) for t in s.effective_tags) for s in scenarios]
    assert tags == [["req.R-A-01", "req.R-B-02", "rows.things", "tc.M-1"],
                    ["rows.things", "tc.M-2"],
                    ["req.R-C-03", "req.R-D-04", "tc.M-9"]]
    assert [s.line for s in scenarios][:2] == [8, 8]    # where the rows come from


def test_a_rows_file_that_breaks_its_schema_is_one_usage_error_naming_it(tmp_path):
    (tmp_path / "features").mkdir()
    shutil.copy(ROOT / "features" / "rows.schema.json", tmp_path / "features")
    path = tmp_path / "features" / "rows.json"
    path.write_text(json.dumps({"sources": {"x": {"file": "d.json", "item": "a.*"}}}))
    with pytest.raises(UsageError) as caught:
        RowSources(tmp_path)
    assert str(path) in str(caught.value) and "'items' is a required property" in str(caught.value)
    assert "\n" not in str(caught.value)


def test_the_suite_rows_file_carries_its_schema():
    assert json.loads((ROOT / "features" / "rows.json").read_text())["$schema"] == \
        "./rows.schema.json"


def test_a_plain_behave_dry_run_sees_every_scenario_and_uses_every_step(tmp_path):
    """``behave --dry-run -f steps.usage`` in the suite's folder (behave.ini names
    RowsRunner) fills the data-driven tables: no step definition is reported unused, and
    it sees exactly the scenarios the suite's reader does."""
    done = subprocess.run(
        [str(Path(sys.executable).with_name("behave")), "--dry-run", "--no-summary",
         "-f", "json", "-o", str(tmp_path / "dry.json"), "-f", "steps.usage"],
        cwd=ROOT, capture_output=True, text=True, timeout=120, check=False)
    assert "UNUSED STEP DEFINITIONS" not in done.stdout, done.stdout[-2000:]
    seen = [next(t.removeprefix("tc.") for t in element["tags"] if t.startswith("tc."))
            for feature in json.loads((tmp_path / "dry.json").read_text())
            for element in feature.get("elements", []) if element["type"] == "scenario"]
    assert seen == [ident for ident, _tags in locate().scenarios()]


def test_a_tag_placeholder_no_heading_names_is_dropped_as_behave_drops_it(sources):
    text = FEATURE.replace("@tc.T-<id> @req.<reqs>", "@tc.T-<id> @req.<reqs> @role.<nobody>")
    feature = expand_feature(parse_feature(text), sources)
    assert not any("role." in str(t) for s in feature.walk_scenarios() for t in s.tags)
