"""``qrinterop suite lint``: the suite's own consistency, checked before it certifies anyone.

Named rules, web-platform-tests style: each is in ``suite-lint-rules.json`` with what it finds
and how to fix it, and each problem is one line ``RULE-ID file:line message`` (the file
relative to the suite's root). The checks read the suite as a run does: features parsed by
behave with their ``@rows.`` tables filled (``rows.py``), the profile's requirements, the
defect catalogue and the reference code's ``defects.on("name")`` calls (``mocks/defects.py``).
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from functools import cache, cached_property
from pathlib import Path

from behave.model import Examples, Feature
from behave.parser import ParserError, parse_file

from qrinterop.errors import UsageError
from qrinterop.profile import Profile, by_scenarios
from qrinterop.report.conformance import matching
from qrinterop.runner.bdd.rows import ROWS_FILE, RowSources, expand_feature, row_sources
from qrinterop.runner.bdd.rows import field as item_field
from qrinterop.runner.bdd.suite import Suite

RULES_FILE = Path(__file__).with_name("suite-lint-rules.json")
#: The one way the reference code marks a defect (mocks/defects.py), the name written out.
DEFECT_CALL = re.compile(r"""\bdefects\.on\(\s*(?:"([^"]*)"|'([^']*)'|([^)]*))\)""")
#: The other ways it used to: a name tested for membership, or Institution.has.
DEFECT_OTHER = re.compile(r"""["'][a-z0-9-]+["']\s+(?:not\s+)?in\s+(?:self\.)?defects\b"""
                          r"""|\.has\(\s*["']""")


@dataclass(frozen=True, order=True)
class Problem:
    file: str
    line: int
    rule: str
    message: str

    def __str__(self) -> str:
        return f"{self.rule} {self.file}:{self.line} {self.message}"


@cache
def rules() -> dict[str, dict]:
    """Every rule by ID: its description and how to fix what it finds."""
    return json.loads(RULES_FILE.read_text(encoding="utf-8"))["rules"]


class _LenientSources(RowSources):
    """Row sources for reading: an unknown source gives no rows (ROWS-UNKNOWN-SOURCE says so)
    instead of stopping the lint."""

    def rows(self, name: str, headings: list[str]) -> list[list[str]]:
        return super().rows(name, headings) if name in self.sources else []


@dataclass
class _RowsTable:
    """A ``@rows.`` Examples table as written, before it is filled."""

    file: str
    line: int
    sources: list[str]
    headings: list[str]
    written_rows: int


@dataclass
class SuiteView:
    """What the rules read, each read once."""

    suite: Suite
    profile: Profile

    def where(self, path: str | Path) -> str:
        """A file relative to the suite's root (behave names a feature's file relative to
        the working folder)."""
        return os.path.relpath(Path(path).resolve(), self.suite.root.resolve())

    @cached_property
    def sources(self) -> RowSources:
        return _LenientSources(self.suite.root)

    @cached_property
    def parsed(self) -> tuple[list[Feature], list[_RowsTable]]:
        """Every feature, its ``@rows.`` tables noted as written, then filled."""
        features, tables = [], []
        for path in sorted(self.suite.features.rglob("*.feature")):
            try:
                feature = parse_file(str(path))
            except ParserError as exc:
                raise UsageError(f"{self.where(path)}: does not parse: {exc}") from None
            tables += [_RowsTable(self.where(path), ex.line, row_sources(ex),
                                  list(ex.table.headings), len(ex.table.rows))
                       for ex in _examples(feature) if row_sources(ex)]
            features.append(expand_feature(feature, self.sources))
        return features, tables

    @cached_property
    def scenarios(self) -> list[tuple[str, int, list[str]]]:
        """Every scenario (each row apart): its file, line and tags."""
        return [(self.where(s.filename), s.line, [str(t) for t in s.effective_tags])
                for feature in self.parsed[0] for s in feature.walk_scenarios()]

    @cached_property
    def catalogue(self) -> dict[str, dict]:
        return self.suite.defects()

    @cached_property
    def defect_calls(self) -> list[tuple[str, int, str | None, str]]:
        """Each ``defects.on(...)`` in ``mocks/``: file, line, the name (None: not written
        out) and the call as written; and each other way of testing a defect (name None)."""
        found = []
        for path in sorted(self.suite.mocks.rglob("*.py")):
            if path.name == "defects.py":       # where defects.on is defined and described
                continue
            for number, text in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
                found += [(self.where(path), number, m[1] if m[1] is not None else m[2], m[0])
                          for m in DEFECT_CALL.finditer(text)]
                found += [(self.where(path), number, None, m[0])
                          for m in DEFECT_OTHER.finditer(text)]
        return found


def _examples(feature: Feature) -> Iterator[Examples]:
    for scenario in feature.walk_scenarios(with_outlines=True):
        yield from getattr(scenario, "examples", [])


def _line_of(path: Path, key: str, after: str = ":") -> int:
    """The line where ``"key":`` (or the string ``key`` followed by ``after``) first appears
    in a JSON file (1 if nowhere)."""
    needle = json.dumps(key) + after
    lines = path.read_text(encoding="utf-8").splitlines()
    return next((n for n, text in enumerate(lines, 1) if needle in text), 1)


def _test_cases(view: SuiteView) -> Iterator[Problem]:
    first: dict[str, str] = {}
    for file, line, tags in view.scenarios:
        idents = [t for t in tags if t.startswith("tc.")]
        if not idents:
            yield Problem(file, line, "TC-MISSING", "scenario has no @tc. tag")
        elif len(idents) > 1:
            yield Problem(file, line, "TC-SEVERAL",
                          f"scenario has {len(idents)} @tc. tags: {', '.join(sorted(idents))}")
        for ident in idents:
            if ident in first:
                yield Problem(file, line, "TC-DUPLICATE", f"@{ident} already at {first[ident]}")
            first.setdefault(ident, f"{file}:{line}")


def _requirements(view: SuiteView) -> Iterator[Problem]:
    for file, line, tags in view.scenarios:
        for req in (t.removeprefix("req.") for t in tags if t.startswith("req.")):
            if req not in view.profile.requirements:
                yield Problem(file, line, "REQ-UNKNOWN",
                              f"@req.{req}: no such requirement in profile "
                              f"{view.profile.id} {view.profile.version}")


def _defects(view: SuiteView) -> Iterator[Problem]:
    asked = set()
    for file, line, name, call in view.defect_calls:
        if name is None:
            yield Problem(file, line, "DEFECT-STYLE", f"{call!r}: ask defects.on(\"name\")")
        elif name not in view.catalogue:
            yield Problem(file, line, "DEFECT-UNCATALOGUED",
                          f"defect {name!r} is not in mocks/defects.json")
        asked.add(name)
    catalogue_file = view.suite.mocks / "defects.json"
    claims_only = {name for name, entry in view.catalogue.items() if entry.get("ics_declares")}
    for name in sorted(view.catalogue.keys() - asked - claims_only):
        yield Problem(view.where(catalogue_file), _line_of(catalogue_file, name),
                      "DEFECT-UNUSED", f"defect {name!r}: no defects.on({name!r}) in mocks/")


def _rows(view: SuiteView) -> Iterator[Problem]:
    used = set()
    for table in view.parsed[1]:
        for name in table.sources:
            used.add(name)
            yield from _table_problems(view, table, name)
    rows_file = view.suite.root / ROWS_FILE
    for name in view.sources.sources:
        if name not in used:
            yield Problem(str(ROWS_FILE), _line_of(rows_file, name), "ROWS-UNUSED",
                          f"source {name!r}: no Examples table is tagged @rows.{name}")
        elif not view.sources.items(name):
            yield Problem(str(ROWS_FILE), _line_of(rows_file, name), "ROWS-EMPTY",
                          f"source {name!r} selects no item")


def _table_problems(view: SuiteView, table: _RowsTable, name: str) -> Iterator[Problem]:
    if name not in view.sources.sources:
        yield Problem(table.file, table.line, "ROWS-UNKNOWN-SOURCE",
                      f"@rows.{name}: no such source in {ROWS_FILE}")
        return
    if table.written_rows:
        yield Problem(table.file, table.line, "ROWS-HANDWRITTEN",
                      f"@rows.{name} table has {table.written_rows} row(s) written by hand")
    items = view.sources.items(name)
    for heading in table.headings:
        if items and all(item_field(item, heading) is None for item in items):
            yield Problem(table.file, table.line, "ROWS-HEADING",
                          f"heading {heading!r}: no item of source {name!r} has that field")


def _behaviours(view: SuiteView) -> Iterator[Problem]:
    path = view.suite.features / "behaviours.json"
    listed = view.suite.behaviours()
    idents = [t.removeprefix("tc.") for _, _, tags in view.scenarios
              for t in tags if t.startswith("tc.")]
    for req, entries in listed.items():
        if req not in view.profile.requirements:
            yield Problem(view.where(path), _line_of(path, req), "BEHAVIOUR-REQ-UNKNOWN",
                          f"{req}: no such requirement in profile {view.profile.id} "
                          f"{view.profile.version}")
        for entry in entries:
            yield from _behaviour_problems(view, path, entry, idents)
    for req, requirement in view.profile.requirements.items():
        if req not in listed and by_scenarios(requirement):
            yield Problem(view.where(path), 1, "BEHAVIOUR-MISSING",
                          f"{req}: no behaviour listed for this requirement")


def _behaviour_problems(view: SuiteView, path: Path, entry: dict,
                        idents: list[str]) -> Iterator[Problem]:
    line = _line_of(path, entry["id"], after="")
    for pattern in entry["scenarios"]:
        if not matching(pattern, idents):
            yield Problem(view.where(path), line, "BEHAVIOUR-SCENARIO-UNKNOWN",
                          f"behaviour {entry['id']!r}: no scenario {pattern}")
    for name in entry.get("defects", []):
        if name not in view.catalogue:
            yield Problem(view.where(path), line, "BEHAVIOUR-DEFECT-UNKNOWN",
                          f"behaviour {entry['id']!r}: defect {name!r} is not in "
                          f"mocks/defects.json")
    if not entry["scenarios"] and not entry.get("not_covered"):
        yield Problem(view.where(path), line, "BEHAVIOUR-UNSEPARATED",
                      f"behaviour {entry['id']!r}: no scenario, and no not_covered saying why")


CHECKS: tuple[Callable[[SuiteView], Iterator[Problem]], ...] = (
    _test_cases, _requirements, _defects, _rows, _behaviours)


def lint(suite: Suite, profile: Profile) -> list[Problem]:
    """Every problem of the suite, by file and line; :class:`UsageError` when the suite
    cannot be read at all (a data file that breaks its schema, a feature that does not
    parse)."""
    view = SuiteView(suite, profile)
    return sorted({problem for check in CHECKS for problem in check(view)})
