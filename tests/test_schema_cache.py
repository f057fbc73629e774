"""The profile's and the suite's data files are checked against their schemas once per pair of
texts, not once per process: what makes the check cheap must not make it lenient."""

from __future__ import annotations

import json

from qrinterop.profile import file_schema_error
from qrinterop.runner.bdd.suite import locate

SCHEMA = json.dumps({"type": "object", "required": ["id"],
                     "properties": {"id": {"type": "string"}}})


def test_a_valid_file_is_remembered_and_a_broken_one_never(tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    assert file_schema_error(SCHEMA, '{"id": "a"}') is None
    remembered = list((tmp_path / "qrinterop" / "valid").iterdir())
    assert len(remembered) == 1
    assert file_schema_error(SCHEMA, '{"id": "a"}') is None
    for _ in range(2):      # found broken every time, with where and what
        assert file_schema_error(SCHEMA, '{"id": 1}') == "id: 1 is not of type 'string'"
    assert list((tmp_path / "qrinterop" / "valid").iterdir()) == remembered


def test_the_same_document_under_another_schema_is_checked_again(tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    assert file_schema_error(SCHEMA, "{}") == "(top level): 'id' is a required property"
    assert file_schema_error(json.dumps({"type": "object"}), "{}") is None
    assert file_schema_error(SCHEMA, "{}") == "(top level): 'id' is a required property"


def test_a_cache_that_cannot_be_written_is_not_used(tmp_path, monkeypatch):
    blocked = tmp_path / "file"
    blocked.write_text("not a folder")
    monkeypatch.setenv("XDG_CACHE_HOME", str(blocked))
    assert file_schema_error(SCHEMA, '{"id": "a"}') is None
    assert file_schema_error(SCHEMA, '{"id": 1}') is not None


def test_behave_is_given_only_the_feature_files_of_the_selection():
    suite = locate()
    every = suite.feature_files(None)
    assert len(every) == len(set(every)) == len(list(suite.features.rglob("*.feature")))
    one = suite.feature_files("@tc.CODE-01")
    assert len(one) == 1 and one[0] in every and "CODE-01" in one[0].read_text(encoding="utf-8")
    assert suite.feature_files("@tc.NO-SUCH-SCENARIO") == [suite.features]
