"""Examples tables filled from data: adding a vector (or a persona, or a response code) adds
a scenario.

An Examples table of a Scenario Outline tagged ``@rows.<source>`` is written with its
headings only; the source, named in ``features/rows.json``, says which file and which items
of it give the rows, and each heading names a field of the item (``a.b`` for a nested one; a
list of names becomes the names separated by spaces, an object its JSON). A tag of the
outline whose placeholder takes such a value, ``@req.<requirements>`` say, becomes one tag
per name.

The suite's reader (:meth:`Suite.scenarios`) and its runner both expand features through
:func:`expand_feature`, so selection, sharding and coverage see the same scenarios as a run.
"""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path

from behave.model import Feature, Row, ScenarioOutline, Tag

from qrinterop.errors import UsageError
from qrinterop.profile import DATA_DIR, DEFAULT_PROFILE

ROWS_TAG = "rows."
PROFILE_FILE = "profile:"


class RowSources:
    """The sources of ``features/rows.json``, read relative to the suite's root."""

    def __init__(self, root: Path) -> None:
        self.root = root
        path = root / "features" / "rows.json"
        self.sources = json.loads(path.read_text(encoding="utf-8"))["sources"] \
            if path.is_file() else {}

    def items(self, name: str) -> list[dict]:
        """The items the source ``name`` selects, in file order."""
        if name not in self.sources:
            raise UsageError(f"features: no row source {name!r} in features/rows.json")
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
        return [[_cell(_field(item, heading)) for heading in headings]
                for item in self.items(name)]


@cache
def _load(path: Path) -> object:
    return json.loads(path.read_text(encoding="utf-8"))


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
    return [item for element in data or [] for item in _walk(element, rest)]


def _field(item: dict, dotted: str) -> object:
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
    return all(_holds(_field(item, k), v) for k, v in where.items()) and \
        not any(_holds(_field(item, k), v) for k, v in unless.items())


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


def expand_feature(feature: Feature, sources: RowSources) -> Feature:
    """Fill every ``@rows.`` Examples table of ``feature`` in place; return it."""
    for outline in feature.walk_scenarios(with_outlines=True):
        if not isinstance(outline, ScenarioOutline):
            continue
        filled = False
        for examples in outline.examples:
            names = [str(t)[len(ROWS_TAG):] for t in examples.tags
                     if str(t).startswith(ROWS_TAG)]
            if not names:
                continue
            table = examples.table
            table.rows = [Row(table.headings, cells, line=examples.line)
                          for name in names for cells in sources.rows(name, table.headings)]
            table.modified = filled = True
        if filled:
            for scenario, examples_tags in _built(outline):
                scenario.tags = _row_tags([*outline.tags, *examples_tags], scenario._row)
    return feature


def _built(outline: ScenarioOutline) -> list[tuple]:
    """Each scenario of the outline with the tags of the Examples table it comes from."""
    scenarios = iter(outline.scenarios)
    return [(next(scenarios), examples.tags) for examples in outline.examples
            for _row in examples.table or []]


def _row_tags(template: list, row: Row) -> list[Tag]:
    """The template's tags for one row, a tag per word of a placeholder's value (behave
    would make ``@req.<requirements>`` one tag with the words joined by underscores)."""
    tags = []
    for tag in map(str, template):
        name = next((name for name in row.headings if f"<{name}>" in tag), None)
        rendered = [tag] if name is None else \
            [tag.replace(f"<{name}>", word) for word in row[name].split()]
        tags += [Tag(text, 0) for text in rendered if "<" not in text]
    return tags
