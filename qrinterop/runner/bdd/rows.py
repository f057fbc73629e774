"""Examples tables filled from data: adding a vector (or a persona, or a response code) adds
a scenario.

An Examples table of a Scenario Outline tagged ``@rows.<source>`` is written with its
headings only; the source, named in ``features/rows.json`` (checked against
``features/rows.schema.json``, which documents its small selection language), says which file
and which items of it give the rows, and each heading names a field of the item (``a.b`` for a
nested one; a list of names becomes the names separated by spaces, an object its JSON).

A tag whose placeholder takes several words, ``@req.<requirements>`` say, becomes one tag per
word. behave would make it one tag, the words joined by underscores, so such a table is split
into one Examples per run of consecutive rows sharing those words, each carrying the rendered
tags itself: behave then builds every scenario as it would from a hand-written table.

Only behave's public model is used (``Examples``, ``Table``, ``Tag``, an outline's
``examples`` and ``tags``), before any scenario of the outline is built. The suite's reader
(:meth:`Suite.scenarios`), the run (``SuiteRunner``) and a plain ``behave`` command line (its
``runner`` in ``behave.ini`` is :class:`RowsRunner`, so ``behave --dry-run -f steps.usage``
sees every row) expand features through :func:`expand_feature`, so selection, sharding and
coverage see the same scenarios as a run.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from functools import cache
from itertools import groupby
from pathlib import Path

from behave.model import Examples, Feature, ScenarioOutline, Table, Tag
from behave.runner import Runner

from qrinterop.errors import UsageError
from qrinterop.inputs import load_checked
from qrinterop.profile import DATA_DIR, DEFAULT_PROFILE

ROWS_TAG = "rows."
PROFILE_FILE = "profile:"
ROWS_FILE = Path("features") / "rows.json"
SCHEMA_FILE = Path("features") / "rows.schema.json"
PLACEHOLDER = re.compile(r"<([^<>]+)>")


class RowSources:
    """The sources of ``features/rows.json``, read relative to the suite's root."""

    def __init__(self, root: Path) -> None:
        self.root = root
        path = root / ROWS_FILE
        self.sources: dict[str, dict] = load_checked(
            path, "row sources", root / SCHEMA_FILE)["sources"] if path.is_file() else {}

    def items(self, name: str) -> list[dict]:
        """The items the source ``name`` selects, in file order."""
        if name not in self.sources:
            raise UsageError(f"features: no row source {name!r} in {ROWS_FILE}")
        spec = self.sources[name]
        data = _load(self._file(spec["file"]))
        return [item for item in _walk(data, spec["items"].split("."))
                if _matches(item, spec.get("where", {}), spec.get("unless", {}))]

    def _file(self, name: str) -> Path:
        """A source's file: ``profile:NAME`` is a file of the profile, which ships inside the
        library (the suite's root holds no ``qrinterop/`` once installed from a wheel); any
        other name is relative to the suite's root."""
        if name.startswith(PROFILE_FILE):
            return DATA_DIR.joinpath(*DEFAULT_PROFILE, name.removeprefix(PROFILE_FILE))
        return self.root / name

    def rows(self, name: str, headings: list[str]) -> list[list[str]]:
        return [[_cell(field(item, heading)) for heading in headings]
                for item in self.items(name)]


@cache
def _load(path: Path) -> object:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise UsageError(f"row sources {ROWS_FILE}: cannot read {path}: {exc}") from None


def _walk(data: object, parts: list[str]) -> list[dict]:
    """The items at a path such as ``testGroups.*.tests.*``; ``*`` over an object gives its
    values, each with its member name as ``key``."""
    if not parts:
        return [data] if isinstance(data, dict) else []
    head, rest = parts[0], parts[1:]
    if head != "*":
        return _walk(data.get(head), rest) if isinstance(data, dict) else []
    if isinstance(data, dict):
        data = [{"key": key, **value} for key, value in data.items() if isinstance(value, dict)]
    return [item for element in (data if isinstance(data, list) else [])
            for item in _walk(element, rest)]


def field(item: dict, dotted: str) -> object:
    """The value of a dotted field name in an item (None where the path ends early)."""
    value: object = item
    for part in dotted.split("."):
        value = value.get(part) if isinstance(value, dict) else None
    return value


def _holds(value: object, wanted: object) -> bool:
    """Equality, membership when the field is a list, or with ``{"contains": text}`` a
    field that holds that text."""
    if isinstance(wanted, dict):
        return isinstance(value, str) and wanted["contains"] in value
    return wanted in value if isinstance(value, list) else value == wanted


def _matches(item: dict, where: dict, unless: dict) -> bool:
    return all(_holds(field(item, k), v) for k, v in where.items()) and \
        not any(_holds(field(item, k), v) for k, v in unless.items())


def _cell(value: object) -> str:
    """A list of names as words (one tag each in ``@req.<requirements>``); an object or a
    list of objects as JSON (a message body, say)."""
    if value is None:
        return ""
    if isinstance(value, list) and all(isinstance(v, str | int) for v in value):
        return " ".join(map(str, value))
    if isinstance(value, dict | list):
        return json.dumps(value, ensure_ascii=False)
    return str(value)


def row_sources(examples: Examples) -> list[str]:
    """The sources an Examples table's ``@rows.`` tags name."""
    return [str(tag)[len(ROWS_TAG):] for tag in examples.tags if str(tag).startswith(ROWS_TAG)]


def expand_feature(feature: Feature, sources: RowSources) -> Feature:
    """Fill every ``@rows.`` Examples table of ``feature`` in place, once, as it is parsed
    (before behave builds its outlines' scenarios); return it."""
    for outline in feature.walk_scenarios(with_outlines=True):
        if isinstance(outline, ScenarioOutline) and any(map(row_sources, outline.examples)):
            _fill(outline, sources)
    return feature


def _fill(outline: ScenarioOutline, sources: RowSources) -> None:
    tables = [(examples, _rows_of(examples, sources)) for examples in outline.examples]
    split = {name for examples, rows in tables for name in _placeholders(outline, examples)
             if any(name in row and len(row[name].split()) != 1 for row in rows)}
    lists = [tag for tag in outline.tags if _names(tag) & split]
    outline.tags = [tag for tag in outline.tags if tag not in lists]
    outline.examples = [part for examples, rows in tables
                        for part in _parts(examples, rows, lists, split)]


def _rows_of(examples: Examples, sources: RowSources) -> list[dict[str, str]]:
    """Each row of the table as heading → cell: its own rows, or those its sources give."""
    headings = examples.table.headings
    cells = [row.cells for row in examples.table] if not row_sources(examples) else \
        [row for name in row_sources(examples) for row in sources.rows(name, headings)]
    return [dict(zip(headings, row, strict=True)) for row in cells]


def _names(tag: str) -> set[str]:
    return set(PLACEHOLDER.findall(str(tag)))


def _placeholders(outline: ScenarioOutline, examples: Examples) -> set[str]:
    """The columns whose values the tags of the outline or the table take."""
    return {name for tag in [*outline.tags, *examples.tags] for name in _names(tag)}


def _parts(examples: Examples, rows: list[dict[str, str]], lists: list[str],
           split: set[str]) -> Iterator[Examples]:
    """The table as Examples behave builds scenarios from: one per run of consecutive rows
    whose several-word values are alike (one only, when no tag takes such a value), the
    tags that take them rendered one per word."""
    own = [tag for tag in examples.tags if not _names(tag) & split]
    templates = lists + [tag for tag in examples.tags if _names(tag) & split]
    for values, run in groupby(rows, key=lambda row: tuple(row.get(n, "") for n in sorted(split))):
        table = Table(list(examples.table.headings), line=examples.table.line)
        for row in run:
            table.add_row([row[heading] for heading in table.headings], examples.line)
        rendered = _rendered(templates, dict(zip(sorted(split), values, strict=True)))
        yield Examples(examples.filename, examples.line, examples.keyword, examples.name,
                       [*own, *(Tag(text, examples.line) for text in rendered)], table)


def _rendered(templates: list[str], values: dict[str, str]) -> list[str]:
    """Each template tag with a placeholder's words, one tag per word."""
    tags = [str(tag) for tag in templates]
    for name, value in values.items():
        placeholder = f"<{name}>"
        tags = [rendered for tag in tags for rendered in (
            [tag.replace(placeholder, word) for word in value.split()]
            if placeholder in tag else [tag])]
    return tags


class RowsRunner(Runner):
    """behave's runner, with the ``@rows.`` tables filled before anything runs: what a plain
    ``behave`` command line uses (``runner`` in ``behave.ini``), so that a dry run
    (``behave --dry-run -f steps.usage``) sees the scenarios a certification runs."""

    def run_model(self, features: list[Feature] | None = None) -> bool:
        sources = RowSources(Path(self.config.base_dir))
        for feature in self.features if features is None else features:
            expand_feature(feature, sources)
        return super().run_model(features)
