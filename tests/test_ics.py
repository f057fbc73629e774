"""The ICS in YAML: every problem located by line and column, the template, ``qrinterop ics``."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import time
from pathlib import Path

import pytest
import yaml

from qrinterop.profile import load_profile
from qrinterop.runner.errors import UsageError
from qrinterop.runner.ics import PLACEHOLDER, check_ics, load_ics, read_yaml, schema, template
from qrinterop.runner.suite import locate
from tests.conftest import REFERENCE_ICS, ics_with, reference_line

PROFILE = load_profile()
DEFECTS = set(locate().defects())
FEATURES = set(PROFILE.features)
TEMPLATE = template(f"{PROFILE.id}/{PROFILE.version}", PROFILE.features)
KEY_LINE = re.compile(r"^\s*(?:- )?([a-z_]+):")


def check(path: Path):
    return check_ics(path, DEFECTS, FEATURES)


def edited(tmp_path: Path, *edits: tuple[str, str]) -> Path:
    """The reference ICS with several text replacements, each of which must apply."""
    text = REFERENCE_ICS.read_text(encoding="utf-8")
    for old, new in edits:
        assert old in text, old
        text = text.replace(old, new, 1)
    path = tmp_path / "ics.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def written(tmp_path: Path, text: str | bytes, name: str = "ics.yaml") -> Path:
    path = tmp_path / name
    path.write_bytes(text.encode() if isinstance(text, str) else text)
    return path


def column_of(path: Path, line: int, text: str) -> int:
    return path.read_text(encoding="utf-8").splitlines()[line - 1].index(text) + 1


# -- the reference ICS: valid, and the documented example ---------------------------------------
def test_reference_ics_is_valid():
    checked = check(REFERENCE_ICS)
    assert checked.valid, [p.render(REFERENCE_ICS) for p in checked.problems]
    assert checked.document["codes"]["payment_code_length"] == 18
    assert checked.document["institution"]["id"] == "10000001"


def schema_keys(node: dict) -> set[str]:
    keys = set()
    for name, sub in node.get("properties", {}).items():
        keys |= {name, *schema_keys(sub)}
    return keys


@pytest.mark.parametrize("text", [REFERENCE_ICS.read_text(encoding="utf-8"), TEMPLATE],
                         ids=["reference", "template"])
def test_every_key_is_explained_by_a_comment(text):
    lines = text.splitlines()
    keys = [(n, m[1]) for n, line in enumerate(lines) if (m := KEY_LINE.match(line))]
    assert {k for _n, k in keys} >= schema_keys(schema()) - {"defects"}
    for n, key in keys:
        assert lines[n - 1].lstrip().startswith("#"), f"no comment above {key!r}"


def test_reference_uses_every_key_of_the_schema():
    text = REFERENCE_ICS.read_text(encoding="utf-8")
    assert {m[1] for line in text.splitlines() if (m := KEY_LINE.match(line))} \
        == schema_keys(schema())


# -- every problem, with its line ---------------------------------------------------------------
def test_type_error_names_line_column_path_and_rule(tmp_path):
    path = ics_with(tmp_path, "payment_code_length: 18", 'payment_code_length: "18"')
    line = reference_line("payment_code_length: 18")
    [problem] = check(path).problems
    assert (problem.line, problem.column) == (line, column_of(path, line, '"18"'))
    assert problem.render(path).startswith(
        f"ICS file {path}, line {line}, column {problem.column}: codes.payment_code_length: "
        "'18' is not of type 'integer'")


def test_unknown_key_points_at_the_key(tmp_path):
    path = edited(tmp_path, ('  mcc: "5411"\n', '  mcc: "5411"\n  mmc: "5411"\n'))
    [problem] = check(path).problems
    assert (problem.line, problem.column) == (reference_line('mcc: "5411"') + 1, 3)
    assert problem.where == "terminal.mmc"
    assert "unknown key 'mmc'" in problem.message and "'mcc'" in problem.message


def test_missing_key_points_at_its_mapping(tmp_path):
    path = edited(tmp_path, ("  merchant_guid: cn.qrinterop.insta\n", ""))
    [problem] = check(path).problems
    assert problem.line == reference_line("codes:")
    assert problem.render(path).endswith("codes: 'merchant_guid' is a required property")


def test_yaml_syntax_error_names_the_line(tmp_path):
    path = edited(tmp_path, ("name: Reference Terminal Shop", "name: [Reference Terminal Shop"))
    [problem] = check(path).problems
    assert problem.line == reference_line("mcc:")       # where the parser gave up
    assert "not valid YAML" in problem.message
    assert f"from line {reference_line('Reference Terminal Shop')}" in problem.message


def test_a_tab_is_named(tmp_path):
    path = edited(tmp_path, ("  city: BEIJING", "\tcity: BEIJING"))
    [problem] = check(path).problems
    assert problem.line == reference_line("BEIJING") and "tab" in problem.message


def test_every_problem_is_reported_in_line_order(tmp_path):
    path = edited(tmp_path,
                  ('id: "10000001"', "id: 10000001"),
                  ("roles: [issuer, acquirer]", "roles: [issuer, wallet]"),
                  ("features: [dynamic-mpm, partial-refund, sm2, void]", "features: [mpm-tips]"),
                  ("  id: TA000001\n", "  id: TA000001\n  id: TA000002\n"),
                  ("city: BEIJING", "city: NO"),
                  ("launch: reference", "launch: docker"),
                  ("defects: []", "defects: [crash-on-strat]"))
    problems = check(path).problems
    assert [p.where for p in problems] == [
        "institution.id", "institution.roles.1", "institution.features.0", "terminal.id",
        "terminal.city", "sut.launch", "sut.defects.0"]
    assert [p.line for p in problems] == sorted(p.line for p in problems)
    text = path.read_text(encoding="utf-8").splitlines()
    assert "10000001" in text[problems[0].line - 1]
    assert 'write it in quotes: "10000001"' in problems[0].message
    assert "duplicate key" in problems[3].message
    assert 'write it in quotes: "NO"' in problems[4].message
    assert "did you mean 'mpm-tip'" in problems[2].message
    assert "did you mean 'crash-on-start'" in problems[6].message


def test_load_ics_stops_on_one_line_that_counts_the_rest(tmp_path):
    path = edited(tmp_path, ("city: BEIJING", "city: NO"), ("launch: reference", "launch: x"))
    with pytest.raises(UsageError) as caught:
        load_ics(path, DEFECTS, FEATURES)
    message = str(caught.value)
    assert "\n" not in message
    assert message.startswith(f"ICS file {path}, line {reference_line('BEIJING')}, column ")
    assert f"(+1 more: qrinterop ics check {path} lists them)" in message


def test_a_value_from_a_merge_key_is_located_where_it_is_written(tmp_path):
    path = edited(tmp_path, ("codes:\n", "codes:\n  <<: {payment_code_prefix: 81}\n"),
                  ('  payment_code_prefix: "81"\n', ""))
    [problem] = check(path).problems
    assert problem.where == "codes.payment_code_prefix"
    assert problem.line == reference_line("codes:") + 1


def test_an_empty_value_is_named(tmp_path):
    path = edited(tmp_path, ("  name: Reference institution A", "  name:"))
    [problem] = check(path).problems
    assert problem.line == reference_line("name:") and "no value given" in problem.message


@pytest.mark.parametrize(("text", "words"), [
    ("", "the file is empty"),
    ("# only a comment\n", "the file is empty"),
    ("---\n", "the file is empty"),
    ("- schema\n- profile\n", "line 1, column 1: the file holds a list"),
    ("hello\n", "line 1, column 1: the file holds a single value ('hello')"),
    ("a: 1\n---\nb: 2\n", "line 2, column 1: not valid YAML"),
    (b"schema: x\n\xff\n", "line 2, column 1: not UTF-8 text"),
    ("schema: \x01\n", "line 1, column 9: not valid YAML"),
    ("schema: !!python/object/apply:os.system [ls]\n", "line 1, column 9: not valid YAML"),
    ("schema: !!int abc\n", "line 1, column 9: not valid YAML"),
    ("a: " + "[" * 5000 + "]" * 5000 + "\n", "not valid YAML"),
])
def test_files_that_are_no_mapping_get_one_line(tmp_path, text, words):
    path = written(tmp_path, text)
    [problem] = check(path).problems
    rendered = problem.render(path)
    assert "\n" not in rendered and rendered.startswith(f"ICS file {path}")
    assert words in rendered, rendered


def test_aliases_that_expand_to_billions_are_refused_at_once(tmp_path):
    lines = ["a: &a [x, x, x, x, x, x, x, x, x, x]"]
    lines += [f"{chr(98 + n)}: &{chr(98 + n)} [{', '.join([f'*{chr(97 + n)}'] * 10)}]"
              for n in range(9)]
    path = written(tmp_path, "\n".join(lines) + "\n")
    started = time.monotonic()
    [problem] = check(path).problems
    assert time.monotonic() - started < 1
    assert "aliases" in problem.message


def test_a_missing_file_is_a_usage_error(tmp_path):
    with pytest.raises(UsageError, match=r"ICS file not found: .*nope\.yaml"):
        check(tmp_path / "nope.yaml")


def test_read_yaml_reads_without_checking_and_locates_syntax_errors(tmp_path):
    assert read_yaml(REFERENCE_ICS) == check(REFERENCE_ICS).document
    assert read_yaml(written(tmp_path, "launch: anything\n")) == {"launch": "anything"}
    with pytest.raises(UsageError, match=r"line 2, column \d+: not valid YAML"):
        read_yaml(written(tmp_path, "a: b\n c: d\n", "bad.yaml"))


# -- the template ---------------------------------------------------------------------------------
def template_placeholders() -> list[tuple[int, str]]:
    """(line, placeholder) of every placeholder in the template's values, not its comments."""
    return [(n, m) for n, line in enumerate(TEMPLATE.splitlines(), 1)
            if not line.lstrip().startswith("#")
            for m in PLACEHOLDER.findall(line)]


def test_template_reports_every_placeholder_by_line(tmp_path):
    problems = check(written(tmp_path, TEMPLATE)).problems
    assert [(p.line, PLACEHOLDER.search(p.message)[0]) for p in problems] \
        == template_placeholders()
    assert all("not filled in" in p.message for p in problems)


def test_template_filled_in_is_valid(tmp_path):
    """Each placeholder replaced by the reference institution's value at the same key."""
    reference = yaml.safe_load(REFERENCE_ICS.read_text(encoding="utf-8"))
    lines = TEMPLATE.splitlines()
    for problem in check(written(tmp_path, TEMPLATE)).problems:
        value = reference
        for part in problem.path:
            value = value[part]
        lines[problem.line - 1] = PLACEHOLDER.sub(str(value), lines[problem.line - 1], count=1)
    checked = check(written(tmp_path, "\n".join(lines) + "\n", "filled.yaml"))
    assert checked.valid, [p.render("filled.yaml") for p in checked.problems]
    assert checked.document["codes"]["payment_code_length"] == 18


def test_template_lists_the_profiles_features():
    for name, info in PROFILE.features.items():
        assert re.search(rf"#\s+{re.escape(name)}\s+{re.escape(info['en'])}", TEMPLATE)


# -- qrinterop ics init | check -------------------------------------------------------------------
ENTRY = ("from qrinterop.cli.ics import ics; from qrinterop.cli.main import cli, main; "
         "cli.add_command(ics); main()")


def run_ics(*args: str, cwd: Path) -> subprocess.CompletedProcess:
    """``qrinterop ics ...`` through the real entry point and its error handling. The group is
    registered here as well, so these tests hold before and after main.py adds it."""
    return subprocess.run([sys.executable, "-c", ENTRY, "ics", *args], capture_output=True,
                          text=True, timeout=60, cwd=cwd, check=False,
                          env={**os.environ, "PYTHONUNBUFFERED": "1"})


def one_line_error(done: subprocess.CompletedProcess, *words: str) -> str:
    assert done.returncode == 2, done.stdout + done.stderr
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("qrinterop: error: "), done.stderr
    assert all(word in lines[0] for word in words), (words, lines[0])
    return lines[0]


def test_init_prints_the_template_and_never_overwrites(tmp_path):
    done = run_ics("init", cwd=tmp_path)
    assert done.returncode == 0 and done.stdout == TEMPLATE
    assert run_ics("init", "--out", "mine.yaml", cwd=tmp_path).returncode == 0
    assert (tmp_path / "mine.yaml").read_text(encoding="utf-8") == TEMPLATE
    (tmp_path / "mine.yaml").write_text("filled in", encoding="utf-8")
    one_line_error(run_ics("init", "--out", "mine.yaml", cwd=tmp_path), "mine.yaml", "exists")
    assert (tmp_path / "mine.yaml").read_text(encoding="utf-8") == "filled in"
    one_line_error(run_ics("init", "--out", "no/such/dir.yaml", cwd=tmp_path), "no/such/dir.yaml")


def test_check_a_valid_file_prints_a_summary(tmp_path):
    done = run_ics("check", str(REFERENCE_ICS), cwd=tmp_path)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "valid" in done.stdout and "10000001 Reference institution A" in done.stdout
    for words in ("issuer, acquirer", "features     dynamic-mpm, partial-refund, sm2, void",
                  "launch       reference"):
        assert words in done.stdout
    summary = json.loads(run_ics("check", "--json", str(REFERENCE_ICS), cwd=tmp_path).stdout)
    assert summary["valid"] and summary["problems"] == []
    assert summary["summary"]["roles"] == ["issuer", "acquirer"]


def test_check_prints_one_line_per_problem(tmp_path):
    (tmp_path / "t.yaml").write_text(TEMPLATE, encoding="utf-8")
    done = run_ics("check", "t.yaml", cwd=tmp_path)
    assert done.returncode == 1 and done.stderr == ""
    lines = done.stdout.strip().splitlines()
    assert len(lines) == len(template_placeholders())
    assert all(re.match(r"ICS file t\.yaml, line \d+, column \d+: [a-z_.0-9]+: placeholder <",
                        line) for line in lines), lines
    report = json.loads(run_ics("check", "t.yaml", "--json", cwd=tmp_path).stdout)
    assert not report["valid"] and report["summary"] is None
    assert [p["line"] for p in report["problems"]] == [n for n, _ in template_placeholders()]


def test_check_a_broken_yaml_file_is_invalid_not_usage(tmp_path):
    path = ics_with(tmp_path, "roles: [issuer, acquirer]", "roles: [issuer, acquirer")
    done = run_ics("check", str(path), cwd=tmp_path)
    assert done.returncode == 1 and len(done.stdout.strip().splitlines()) == 1
    assert "not valid YAML" in done.stdout


def test_check_usage_errors(tmp_path):
    one_line_error(run_ics("check", "nope.yaml", cwd=tmp_path), "nope.yaml", "not found")
    one_line_error(run_ics("check", str(tmp_path), cwd=tmp_path), "directory")
    one_line_error(run_ics("check", cwd=tmp_path), "FILE")
