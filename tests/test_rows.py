"""Examples tables filled from data (qrinterop/runner/bdd/rows.py): the selection language of
features/rows.json, and the tags a row's values become."""

from __future__ import annotations

import json

import pytest
from behave.parser import parse_feature

from qrinterop.errors import UsageError
from qrinterop.runner.bdd.rows import RowSources, expand_feature
from qrinterop.runner.bdd.suite import locate

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
