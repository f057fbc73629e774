"""What a user or an SUT gives the harness, read and shown safely: files are bounded, numbers
finite, JSON strict, tag expressions parsed up front, hidden characters made visible."""

from __future__ import annotations

import json
import math
from pathlib import Path

import markupsafe
import pytest

from qrinterop.errors import UsageError
from qrinterop.evidence.transcript import Transcript
from qrinterop.ics.loader import check_ics
from qrinterop.inputs import as_evidence, load_json, loads_json, non_finite, read_input
from qrinterop.profile import load_profile
from qrinterop.report.html import template_environment
from qrinterop.report.visible import visible
from qrinterop.runner.bdd.suite import locate, tag_expression
from tests.conftest import ics_with

RLO = "\u202e"


def test_an_endless_file_is_refused_at_the_cap():
    with pytest.raises(UsageError, match=r"/dev/zero: more than 1,024 bytes, too large"):
        read_input(Path("/dev/zero"), "ICS file", limit=1024)


@pytest.mark.parametrize(("name", "words"), [
    ("missing.json", "not found"), (".", "is a directory")])
def test_a_file_that_is_not_there_is_named(tmp_path, name, words):
    with pytest.raises(UsageError, match=words):
        read_input(tmp_path / name, "books")


@pytest.mark.parametrize("text", ["NaN", "[1, Infinity]", '{"a": {"b": -Infinity}}', "1e999",
                                  "[" * 5000 + "]" * 5000, '{"a": 1, "a": 2}'])
def test_strict_json_refuses_what_json_does_not_have(text):
    with pytest.raises((ValueError, RecursionError)):
        loads_json(text)


def test_a_non_finite_number_is_named_by_its_path(tmp_path):
    assert non_finite({"a": [1, 2.5, {"b": math.inf}]}) == "a.2.b"
    assert non_finite({"a": [1, 2.5, "NaN"]}) is None
    (tmp_path / "file.json").write_text('{"records": [{"amount": NaN}]}')
    with pytest.raises(UsageError, match=r"file.json does not parse as JSON: NaN is not a JSON"):
        load_json(tmp_path / "file.json", "reconciliation file")


def test_nan_from_an_sut_is_kept_as_evidence_in_valid_json():
    kept, where = as_evidence({"balance": math.nan, "ok": [1.5]})
    assert kept == {"balance": "NaN", "ok": [1.5]} and where == "balance"
    record = Transcript("X-01").add("upper-tester", "10000001", "harness", "response",
                                    {"balance": -math.inf})
    assert record["content"] == {"balance": "-Infinity"} and "non_finite" in record
    json.dumps(record, allow_nan=False)


@pytest.mark.parametrize("value", [".nan", ".NaN", ".inf", "-.Inf", "!!float 1e999"])
def test_an_ics_with_a_non_finite_number_is_invalid(tmp_path, value):
    path = ics_with(tmp_path, "timing_scale: 0.1", f"timing_scale: {value}")
    checked = check_ics(path, set(locate().defects()), set(load_profile().features))
    assert ("sut.timing_scale", "not a finite number") in \
        {(p.where, p.message.partition(" is ")[2]) for p in checked.problems}, checked.problems


def test_a_tag_expression_that_does_not_parse_is_a_usage_error():
    with pytest.raises(UsageError, match=r"^--tags '@a and \(': not a tag expression: "
                                         r"Unclosed '\('[^\n]*$"):
        tag_expression("@a and (")
    assert tag_expression("@tc.CPM-01 or not @area.refund").check(["tc.CPM-01"])


@pytest.mark.parametrize(("text", "shown"), [
    (f"Bank {RLO}AC", "Bank <U+202E>AC"),
    ("a\u2066b\u2069\u200ec\u200fd", "a<U+2066>b<U+2069><U+200E>c<U+200F>d"),
    ("\x1b[2Jcleared\r", "<U+001B>[2Jcleared<U+000D>"),
    ("zero\u200bwidth\ufeff", "zero<U+200B>width<U+FEFF>"),
    ("tag\U000e0041", "tag<U+E0041>"),
    ("lone \ud800", "lone <U+D800>"),
    ("中国银联\n\tline", "中国银联\n\tline"),
])
def test_hidden_characters_are_shown(text, shown):
    assert visible(text) == shown


def test_pages_show_hidden_characters_escaped():
    environment = template_environment()
    page = environment.from_string("{{ name }}|{{ m }}|{{ n }}").render(
        name=f"<b>{RLO}", m=markupsafe.Markup(f"<i>{RLO}</i>"), n=3)
    assert page == "&lt;b&gt;&lt;U+202E&gt;|<i>&lt;U+202E&gt;</i>|3"
    assert RLO not in environment.from_string("{{ x|pretty }}").render(x={"name": RLO})


@pytest.mark.parametrize(("text", "words"), [
    ("waivers:\n  - {requirement: R-MPM-15, reason: r, approver: a, expires: .nan}\n",
     "waivers.0.expires: not a finite number"),
    ("[" * 1200 + "]" * 1200, "nested too deeply"),
], ids=["nan", "deep"])
def test_a_waiver_file_it_cannot_use_is_named(tmp_path, text, words):
    from qrinterop.judging.waivers import load_waivers

    (tmp_path / "waivers.yaml").write_text(text)
    with pytest.raises(UsageError, match=words):
        load_waivers(tmp_path / "waivers.yaml", {"R-MPM-15"})
