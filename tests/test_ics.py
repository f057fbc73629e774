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

from qrinterop.errors import UsageError
from qrinterop.ics.loader import (
    PLACEHOLDER,
    TEMPLATE_FILE,
    Problem,
    check_ics,
    load_ics,
    read_yaml,
    schema,
    template,
)
from qrinterop.profile import load_profile
from qrinterop.runner.bdd.suite import locate
from tests.conftest import (
    REFERENCE_ICS,
    ROOT,
    edited_ics,
    ics_with,
    line_of,
    reference_features_line,
    reference_line,
    with_reference_keys,
)

PROFILE = load_profile()
DEFECTS = set(locate().defects())
FEATURES = set(PROFILE.features)
TEMPLATE = template(f"{PROFILE.id}/{PROFILE.version}", PROFILE.features)
KEY_LINE = re.compile(r"^\s*(?:- )?([a-z_]+):")
COMMENTED_KEY_LINE = re.compile(r"^\s*#\s*(?:- )?([a-z_]+):(?: |$)")
#: The documented examples: the reference ICS, and one for each way of launching one's own SUT.
EXAMPLES = [REFERENCE_ICS, *sorted((ROOT / "docs" / "examples").glob("*.yaml"))]
FEATURES_LINE = reference_features_line()


def check(path: Path):
    return check_ics(path, DEFECTS, FEATURES)


def written(tmp_path: Path, text: str | bytes, name: str = "ics.yaml") -> Path:
    path = with_reference_keys(tmp_path) / name
    path.write_bytes(text.encode() if isinstance(text, str) else text)
    return path


def column_of(path: Path, line: int, text: str) -> int:
    return path.read_text(encoding="utf-8").splitlines()[line - 1].index(text) + 1


# -- the reference ICS and the examples: valid, and the documentation of the format -------------
def test_reference_ics_is_valid():
    checked = check(REFERENCE_ICS)
    assert checked.valid, [p.render(REFERENCE_ICS) for p in checked.problems]
    assert checked.document["codes"]["payment_code_length"] == 18
    assert checked.document["institution"]["id"] == "10000001"
    assert [key["id"] for key in checked.document["keys"]] == ["10000001-sm2-2025",
                                                                "10000001-sm2-2026"]


@pytest.mark.parametrize("path", EXAMPLES[1:], ids=lambda p: p.name)
def test_every_example_is_valid(path):
    checked = check(path)
    assert checked.valid, [p.render(path) for p in checked.problems]


def schema_keys(node: dict) -> set[str]:
    """Every key name the schema defines, in mappings and in the mappings of lists."""
    keys = schema_keys(node["items"]) if isinstance(node.get("items"), dict) else set()
    for name, sub in node.get("properties", {}).items():
        keys |= {name, *schema_keys(sub)}
    return keys


def keys_used(text: str, pattern: re.Pattern = KEY_LINE) -> set[str]:
    return {m[1] for line in text.splitlines() if (m := pattern.match(line))}


@pytest.mark.parametrize("text", [*(p.read_text(encoding="utf-8") for p in EXAMPLES), TEMPLATE],
                         ids=[*(p.name for p in EXAMPLES), "template"])
def test_every_key_is_explained_by_a_comment(text):
    lines = text.splitlines()
    keys = [(n, m[1]) for n, line in enumerate(lines) if (m := KEY_LINE.match(line))]
    for n, key in keys:
        assert lines[n - 1].lstrip().startswith("#"), f"no comment above {key!r}"


def test_the_examples_together_use_every_key_of_the_schema():
    """No one valid file can use them all (a launch excludes the others' keys)."""
    used = set().union(*(keys_used(p.read_text(encoding="utf-8")) for p in EXAMPLES))
    assert used == schema_keys(schema())


def test_the_template_shows_every_key_but_defects():
    """The keys of other launches, and accounts, are shown commented out."""
    shown = keys_used(TEMPLATE) | keys_used(TEMPLATE, COMMENTED_KEY_LINE)
    assert shown == schema_keys(schema()) - {"defects"}
    assert {"accounts", "command", "image"} <= keys_used(TEMPLATE, COMMENTED_KEY_LINE)


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
    path = edited_ics(tmp_path, ('  mcc: "5411"\n', '  mcc: "5411"\n  mmc: "5411"\n'))
    [problem] = check(path).problems
    assert (problem.line, problem.column) == (reference_line('mcc: "5411"') + 1, 3)
    assert problem.where == "terminal.mmc"
    assert "unknown key 'mmc'" in problem.message and "'mcc'" in problem.message


def test_missing_key_points_at_its_mapping(tmp_path):
    path = edited_ics(tmp_path, ("  merchant_guid: cn.qrinterop.insta\n", ""))
    [problem] = check(path).problems
    assert problem.line == reference_line("codes:")
    assert problem.render(path).endswith("codes: 'merchant_guid' is a required property")


def test_yaml_syntax_error_names_the_line(tmp_path):
    path = edited_ics(tmp_path, ("name: Reference Terminal Shop", "name: [Reference Terminal Shop"))
    [problem] = check(path).problems
    assert problem.line == reference_line("mcc:")       # where the parser gave up
    assert "not valid YAML" in problem.message
    assert f"from line {reference_line('Reference Terminal Shop')}" in problem.message


def test_a_tab_is_named(tmp_path):
    path = edited_ics(tmp_path, ("  city: BEIJING", "\tcity: BEIJING"))
    [problem] = check(path).problems
    assert problem.line == reference_line("BEIJING") and "tab" in problem.message


def test_every_problem_is_reported_in_line_order(tmp_path):
    path = edited_ics(tmp_path,
                  ('id: "10000001"', "id: 10000001"),
                  ("roles: [issuer, acquirer]", "roles: [issuer, wallet]"),
                  (FEATURES_LINE, "features: [mpm-tips, sm2]"),
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
    path = edited_ics(tmp_path, ("city: BEIJING", "city: NO"), ("launch: reference", "launch: x"))
    with pytest.raises(UsageError) as caught:
        load_ics(path, DEFECTS, FEATURES)
    message = str(caught.value)
    assert "\n" not in message
    assert message.startswith(f"ICS file {path}, line {reference_line('BEIJING')}, column ")
    assert f"(+1 more: qrinterop ics check {path} lists them)" in message


def test_a_value_from_a_merge_key_is_located_where_it_is_written(tmp_path):
    path = edited_ics(tmp_path, ("codes:\n", "codes:\n  <<: {payment_code_prefix: 991}\n"),
                  ('  payment_code_prefix: "991"\n', ""))
    [problem] = check(path).problems
    assert problem.where == "codes.payment_code_prefix"
    assert problem.line == reference_line("codes:") + 1


def test_an_empty_value_is_named(tmp_path):
    path = edited_ics(tmp_path, ("  name: Reference institution A", "  name:"))
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


# -- keys, launches and accounts: what the ICS points at -------------------------------------------
COMMAND_EXAMPLE = ROOT / "docs" / "examples" / "ics-command.yaml"
CONTAINER_EXAMPLE = ROOT / "docs" / "examples" / "ics-container.yaml"
FIRST_KEY = "public_key: keys/10000001-sm2-2025.pub.pem"
FIRST_ID, LAST_ID = '- id: "10000001-sm2-2025"', '- id: "10000001-sm2-2026"'


def the_problem(path: Path, where: str, line: int, *words: str) -> Problem:
    """The one problem of ``path``: at ``where``, on ``line``, saying ``words``."""
    problems = check(path).problems
    assert len(problems) == 1, [p.render(path) for p in problems]
    problem = problems[0]
    assert (problem.where, problem.line) == (where, line), problem
    for word in words:
        assert word in problem.message, (word, problem.message)
    return problem


@pytest.mark.parametrize(("content", "words"), [
    (None, "no such file {file} (a relative path starts at the ICS file's folder)"),
    (b"hello\n", "{file} is not a usable PEM public key: not a PEM key"),
    ((ROOT / "mocks/keys/10000001-sm2-2025.key.pem").read_bytes(),
     "not a usable PEM public key: a private key; give the public key"),
    ((ROOT / "docs/examples/keys/10000004-rsa-2026.pub.pem").read_bytes(),
     "{file} is a SHA256withRSA key, but algorithm says SM3withSM2"),
    (b"-----BEGIN PUBLIC KEY-----\n" + b"A" * 70_000, "too large for a PEM public key"),
], ids=["missing", "not-pem", "private", "wrong-algorithm", "huge"])
def test_a_key_file_that_is_no_usable_key_is_named_at_its_path(tmp_path, content, words):
    file = tmp_path / "mine.pem"
    if content is not None:
        file.write_bytes(content)
    path = edited_ics(tmp_path, (FIRST_KEY, "public_key: mine.pem"))
    problem = the_problem(path, "keys.0.public_key", reference_line(FIRST_KEY),
                          words.format(file=file))
    assert problem.column == column_of(path, problem.line, "mine.pem")


def test_a_folder_is_no_key_file(tmp_path):
    path = edited_ics(tmp_path, (FIRST_KEY, "public_key: keys"))
    the_problem(path, "keys.0.public_key", reference_line(FIRST_KEY), "is a folder, not a file")


def test_a_key_id_given_twice_is_named_where_it_repeats(tmp_path):
    path = edited_ics(tmp_path, (LAST_ID, FIRST_ID))
    the_problem(path, "keys.1.id", reference_line(LAST_ID), "duplicate ID '10000001-sm2-2025'",
                f"already given on line {reference_line(FIRST_ID)}")


def test_a_key_id_must_be_safe_in_a_file_name(tmp_path):
    path = edited_ics(tmp_path, (LAST_ID, '- id: "../10000001"'))
    the_problem(path, "keys.1.id", reference_line(LAST_ID), "1 to 64 letters, digits")


def test_keys_of_an_undeclared_signature_feature(tmp_path):
    path = edited_ics(tmp_path, (FEATURES_LINE, "features: [dynamic-mpm]"))
    problems = check(path).problems
    assert [(p.where, p.line) for p in problems] == [
        ("keys.0.algorithm", reference_line(FIRST_ID) + 2),
        ("keys.1.algorithm", reference_line(LAST_ID) + 2)]
    assert "a SM3withSM2 key, but institution.features does not declare 'sm2'" \
        in problems[0].message


def test_a_signature_feature_without_its_key(tmp_path):
    path = edited_ics(tmp_path, (FEATURES_LINE, "features: [rsa, sm2]"))
    the_problem(path, "institution.features.0", reference_line(FEATURES_LINE),
                "feature 'rsa' is declared, but keys lists no SHA256withRSA key")


def test_load_ics_makes_key_paths_absolute(tmp_path):
    document = load_ics(edited_ics(tmp_path), DEFECTS, FEATURES)
    assert [key.public_key for key in document.keys] == [
        tmp_path.resolve() / "keys" / f"10000001-sm2-{year}.pub.pem" for year in (2025, 2026)]


@pytest.mark.parametrize("url", [
    "http://10.0.0.5:9100/qr", "http://localhost:9100", "https://127.0.0.1:9100",
    "http://127.0.0.1", "http://127.0.0.1:0", "http://127.0.0.1:65536", "http://127.0.0.1:9100?a=b",
    "http://127.0.0.1.example.com:80", "http://user@127.0.0.1:80"])
def test_a_url_off_this_machine_is_refused(tmp_path, url):
    path = edited_ics(tmp_path, ("url: http://127.0.0.1:9100/interconnect/messages", f"url: {url}"),
                  source=COMMAND_EXAMPLE)
    the_problem(path, "sut.url", line_of(COMMAND_EXAMPLE, "  url: "),
                "is not a loopback URL, http://127.0.0.1:PORT", "never to another host")


@pytest.mark.parametrize("url", ["http://127.0.0.1:1", "http://127.0.0.1:65535/a/b-c_d.e",
                                 "http://127.0.0.1:8080/"])
def test_a_loopback_url_with_a_port_is_accepted(tmp_path, url):
    path = edited_ics(tmp_path, ("url: http://127.0.0.1:9100/interconnect/messages", f"url: {url}"),
                  source=COMMAND_EXAMPLE)
    assert check(path).valid


def test_launch_url_needs_its_url(tmp_path):
    path = edited_ics(tmp_path, ("  launch: command", "  launch: url"),
                  ('  command: [./bin/qr-gateway, --profile, test, --listen, "127.0.0.1:9100"]\n',
                   ""), ("  workdir: .\n", ""),
                  ("  url: http://127.0.0.1:9100/interconnect/messages\n", ""),
                  source=COMMAND_EXAMPLE)
    the_problem(path, "sut", line_of(COMMAND_EXAMPLE, "sut:"),
                "'url' is a required property (launch: url needs the SUT's url and control_url)")


def test_a_command_is_a_list(tmp_path):
    command = '  command: [./bin/qr-gateway, --profile, test, --listen, "127.0.0.1:9100"]'
    path = edited_ics(tmp_path, (command, "  command: ./bin/qr-gateway --profile test"),
                  source=COMMAND_EXAMPLE)
    the_problem(path, "sut.command", line_of(COMMAND_EXAMPLE, command),
                "is not of type 'array'", "write a list: [first, second]")


def test_a_missing_workdir_is_named(tmp_path):
    path = edited_ics(tmp_path, ("workdir: .", "workdir: build/out"), source=COMMAND_EXAMPLE)
    the_problem(path, "sut.workdir", line_of(COMMAND_EXAMPLE, "workdir:"),
                f"no such folder {tmp_path / 'build/out'}")


def test_an_image_needs_its_tag(tmp_path):
    image = "image: registry.example.com/example-pay/qr-acquiring:3.2.0"
    path = edited_ics(tmp_path, (image, "image: registry.example.com/example-pay/qr-acquiring"),
                  source=CONTAINER_EXAMPLE)
    the_problem(path, "sut.image", line_of(CONTAINER_EXAMPLE, image), "with its tag or digest")


def test_keys_a_launch_does_not_use_are_named(tmp_path):
    path = edited_ics(tmp_path, ("  launch: reference\n",
                             "  launch: reference\n  url: http://127.0.0.1:9100\n"),
                  ("  defects: []", "  image: bank/gateway:1.0\n  defects: []"))
    problems = check(path).problems
    assert [(p.where, p.line) for p in problems] == [
        ("sut.url", reference_line("launch: reference") + 1),
        ("sut.image", reference_line("defects: []") + 1)]
    assert problems[0].message.startswith("not used here: launch: reference starts the bundled")
    assert problems[1].message == "not used here: only launch: container runs an image"


def test_an_own_implementation_needs_its_keys(tmp_path):
    text = re.sub(r"^keys:\n(?:  .*\n)+", "", COMMAND_EXAMPLE.read_text(encoding="utf-8"),
                  flags=re.MULTILINE)
    problems = check(written(tmp_path, text)).problems
    assert [(p.where, p.message) for p in problems] == [
        ("", "'keys' is a required property (launch: url, command and container need the "
             "SUT's keys: the public keys the switch verifies its signatures with)")]


def test_accounts_are_for_an_own_implementation_and_each_is_named_once(tmp_path):
    first, second = '- id: "6217000010000000001"', '- id: "6217000010000000002"'
    path = edited_ics(tmp_path, (second, first), source=COMMAND_EXAMPLE)
    the_problem(path, "accounts.1.id", line_of(COMMAND_EXAMPLE, second),
                f"already given on line {line_of(COMMAND_EXAMPLE, first)}")
    (tmp_path / "ref").mkdir()
    reference = edited_ics(tmp_path / "ref", ("\nsut:\n", "\naccounts:\n  - id: A1\nsut:\n"))
    the_problem(reference, "accounts", reference_line("sut:"),
                "not used here: launch: reference starts the bundled reference institution, "
                "which opens a new account for every scenario")


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


def example_value(path: tuple) -> object:
    """The value at ``path`` in the first example that has one."""
    for example in EXAMPLES:
        value = yaml.safe_load(example.read_text(encoding="utf-8"))
        for part in path:
            value = value[part] if isinstance(value, dict | list) and part in (
                value if isinstance(value, dict) else range(len(value))) else None
        if value is not None:
            return value
    raise AssertionError(f"no example has {path}")


def test_template_filled_in_is_valid(tmp_path):
    """Each placeholder replaced by the value at the same key in the examples: the
    reference's where it has one (its key file is found beside the filled-in file)."""
    lines = TEMPLATE.splitlines()
    for problem in check(written(tmp_path, TEMPLATE)).problems:
        value = example_value(problem.path)
        lines[problem.line - 1] = PLACEHOLDER.sub(str(value), lines[problem.line - 1], count=1)
    checked = check(written(tmp_path, "\n".join(lines) + "\n", "filled.yaml"))
    assert checked.valid, [p.render("filled.yaml") for p in checked.problems]
    assert checked.document["codes"]["payment_code_length"] == 18


def test_template_file_is_yaml_as_it_stands():
    """The template is a data file people may open and edit: valid YAML before it is filled,
    its two fields left for the profile in use."""
    document = yaml.safe_load(TEMPLATE_FILE.read_text(encoding="utf-8"))
    assert document["profile"] == "${profile}" and document["schema"] == "qrinterop-ics/1"
    assert "${features}" in TEMPLATE_FILE.read_text(encoding="utf-8")


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
    for words in ("issuer, acquirer", "features     ",
                  "dynamic-mpm, emv-cpm, mpm-tip, partial-refund, sm2, unionpay-id15, url-codes",
                  "launch       reference", "keys         10000001-sm2-2025, 10000001-sm2-2026 "
                  "(signs with 10000001-sm2-2026)", "accounts     none"):
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


# -- the declared peak --------------------------------------------------------------------------
def test_a_declared_peak_is_read_with_its_default_error_share(tmp_path):
    declared = load_ics(REFERENCE_ICS, DEFECTS, FEATURES).capacity
    assert (declared.peak_tps, declared.duration_s, declared.error_rate) == (10, 60, 0)
    path = ics_with(tmp_path, "  error_rate: 0\n", "")
    assert load_ics(path, DEFECTS, FEATURES).capacity.error_rate == 0.0


def test_a_declared_peak_under_a_profile_without_capacity_certification_is_located(tmp_path):
    path = ics_with(tmp_path, "profile: cn-interconnect/1.1", "profile: cn-interconnect/1.0")
    [problem] = [p for p in check(path).problems if p.where == "capacity"]
    assert path.read_text(encoding="utf-8").splitlines()[problem.line - 1] == "capacity:"
    assert "cn-interconnect/1.0 has no capacity certification" in problem.message
