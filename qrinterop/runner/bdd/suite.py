"""Where the certification suite lives: ``features/``, ``steps/``, ``mocks/`` and ``vectors/``.

The suite sits beside the ``qrinterop`` package in the source tree (qrinterop is installed from
a checkout, editable), so it is found from the package's own location and works from any
working directory. ``QRINTEROP_SUITE`` points elsewhere, e.g. at a suite under development.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from qrinterop.errors import UsageError
from qrinterop.inputs import load_checked

REQUIRED = ("features", "steps", "mocks")


def tag_expression(tags: str) -> Any:
    """The behave tag expression ``tags`` parsed; :class:`UsageError` in one line when it does
    not parse (``@a and (``): the command line's fault, found before anything starts."""
    from behave.tag_expression import make_tag_expression

    try:
        return make_tag_expression(tags)
    except Exception as exc:    # cucumber's TagExpressionError, or whatever a parser raises
        reason = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        raise UsageError(f"--tags {tags!r}: not a tag expression: {reason}") from None


@dataclass(frozen=True)
class Suite:
    root: Path

    @property
    def features(self) -> Path:
        return self.root / "features"

    @property
    def mocks(self) -> Path:
        return self.root / "mocks"

    @property
    def reports(self) -> Path:
        return self.root / "reports"

    def network_layout(self) -> dict:
        """The simulated network: the switch, and the peer institutions described the way an
        ICS describes the SUT (checked against ``mocks/network.schema.json``)."""
        return self._checked("network.json", "simulated network")

    def scenarios(self) -> list[tuple[str, list[str]]]:
        """Every scenario of the suite (each row of an outline apart), in file order: its
        test-case ID and its tags."""
        found = []
        for feature in self.parsed_features():
            for scenario in feature.walk_scenarios():
                tags = [str(tag) for tag in scenario.effective_tags]
                found += [(t.removeprefix("tc."), tags) for t in tags if t.startswith("tc.")]
        return found

    def parsed_features(self) -> list:
        """Every feature file, parsed, its ``@rows.`` tables filled."""
        from behave.parser import parse_file  # behave only when the suite is read

        from qrinterop.runner.bdd.rows import RowSources, expand_feature

        sources = RowSources(self.root)
        return [expand_feature(parse_file(str(path)), sources)
                for path in sorted(self.features.rglob("*.feature"))]

    def coverage(self) -> dict[str, list[str]]:
        """Requirement ID → the scenarios of this suite tagged with it, whatever a run
        selects: what tells "not covered by the suite" from "not run this time"."""
        covered: dict[str, list[str]] = {}
        for ident, tags in self.scenarios():
            for req in (t.removeprefix("req.") for t in tags if t.startswith("req.")):
                covered.setdefault(req, []).append(ident)
        return covered

    def selected(self, tags: str | None) -> list[str]:
        """Test-case IDs of the scenarios a behave tag expression selects (None: all)."""
        expression = tag_expression(tags) if tags else None
        return [ident for ident, scenario_tags in self.scenarios()
                if expression is None or expression.check(scenario_tags)]

    def defects(self) -> dict[str, dict]:
        """The catalogue of deliberately defective variants of the references."""
        return self._defects_file()["defects"]

    def references(self) -> dict[str, dict]:
        """The bundled references (institution, switch): their ICS and expected verdict."""
        return self._defects_file()["references"]

    def _defects_file(self) -> dict:
        return self._checked("defects.json", "defect catalogue")

    def _checked(self, name: str, what: str) -> dict:
        """A data file of ``mocks/``, checked against the schema beside it (``X.schema.json``
        for ``X.json``): :class:`UsageError` naming the file and its first problem."""
        path = self.mocks / name
        return load_checked(path, what, path.with_suffix(".schema.json"))


def locate() -> Suite:
    # Resolved: the simulators start in the suite's folder, where a relative path means
    # nothing, and behave matches the features' paths only in their resolved form.
    root = Path(os.environ.get("QRINTEROP_SUITE") or Path(__file__).parents[3]).resolve()
    missing = [name for name in REQUIRED if not (root / name).is_dir()]
    if missing:
        raise UsageError(f"certification suite not found at {root} (missing {', '.join(missing)}/):"
                         " install qrinterop from its source checkout with pip install -e,"
                         " or set QRINTEROP_SUITE")
    return Suite(root)
