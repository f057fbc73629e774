"""Where the certification suite lives: ``features/``, ``steps/``, ``mocks/`` and ``vectors/``.

In the source tree the suite's folders sit beside the ``qrinterop`` package (an editable
install runs them there); a wheel carries them inside the package, as ``qrinterop/suite/``
(setup.py maps them). Either way the suite is found from the package's own location, from any
working directory. ``QRINTEROP_SUITE`` points elsewhere, e.g. at a suite under development.
"""

from __future__ import annotations

import functools
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

    def network_layout(self) -> dict:
        """The simulated network: the switch, and the peer institutions described the way an
        ICS describes the SUT (checked against ``mocks/network.schema.json``)."""
        return self._checked(self.mocks / "network.json", "simulated network")

    def scenarios(self) -> list[tuple[str, list[str]]]:
        """Every scenario of the suite (each row of an outline apart), in file order: its
        test-case ID and its tags."""
        return [(ident, list(tags)) for ident, tags, _file in _scenarios_of(self)]

    def feature_files(self, tags: str | None) -> list[Path]:
        """The feature files holding a scenario a tag expression selects (None: all), in
        file order: behave, given only these, does not build the scenarios of the others
        (an outline's rows cost it a copy of every step)."""
        files = dict.fromkeys(file for _ident, file in self._matching(tags))
        return list(files) or [self.features]

    def _matching(self, tags: str | None) -> list[tuple[str, Path]]:
        """Test-case ID and feature file of each scenario a tag expression selects (None:
        all), in file order."""
        expression = tag_expression(tags) if tags else None
        return [(ident, file) for ident, scenario_tags, file in _scenarios_of(self)
                if expression is None or expression.check(scenario_tags)]

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
        return [ident for ident, _file in self._matching(tags)]

    def defects(self) -> dict[str, dict]:
        """The catalogue of deliberately defective variants of the references."""
        return self._defects_file()["defects"]

    def references(self) -> dict[str, dict]:
        """The bundled references (institution, switch): their ICS and expected verdict."""
        return self._defects_file()["references"]

    def behaviours(self) -> dict[str, list[dict]]:
        """Requirement ID → the behaviours an implementation could get wrong under it, each
        with the scenarios (test-case IDs, or a prefix ending in ``*`` for an outline's rows)
        that separate right from wrong (``features/behaviours.json``)."""
        return self._checked(self.features / "behaviours.json",
                             "behaviours list")["behaviours"]

    def _defects_file(self) -> dict:
        return self._checked(self.mocks / "defects.json", "defect catalogue")

    @staticmethod
    def _checked(path: Path, what: str) -> dict:
        """A data file of the suite, checked against the schema beside it
        (``X.schema.json`` for ``X.json``): :class:`UsageError` naming the file and its first
        problem."""
        return load_checked(path, what, path.with_suffix(".schema.json"))


@functools.cache
def _scenarios_of(suite: Suite) -> tuple[tuple[str, tuple[str, ...], Path], ...]:
    """What :meth:`Suite.scenarios` lists, read once per process: parsing the suite's
    features and filling their tables takes seconds, and a certification asks for it to count,
    select and tell what the suite covers."""
    found = []
    for feature in suite.parsed_features():
        for scenario in feature.walk_scenarios():
            tags = tuple(str(tag) for tag in scenario.effective_tags)
            found += [(t.removeprefix("tc."), tags, Path(feature.filename))
                      for t in tags if t.startswith("tc.")]
    return tuple(found)


def locate() -> Suite:
    """The suite ``QRINTEROP_SUITE`` names, else the one installed inside the package (a
    wheel), else the source checkout's, beside the package (an editable install);
    :class:`UsageError` in one line when there is none."""
    named = os.environ.get("QRINTEROP_SUITE")
    package = Path(__file__).resolve().parents[2]
    # Resolved: the simulators start in the suite's folder, where a relative path means
    # nothing, and behave matches the features' paths only in their resolved form.
    places = [Path(p).resolve() for p in ([named] if named else [package / "suite",
                                                                  package.parent])]
    found = next((root for root in places if not _missing(root)), None)
    if found:
        return Suite(found)
    needed = ", ".join(f"{name}/" for name in REQUIRED)
    if named:
        raise UsageError(f"QRINTEROP_SUITE={named}: no certification suite at {places[0]} "
                         f"(missing {', '.join(_missing(places[0]))}): name a folder holding "
                         f"{needed}")
    raise UsageError(f"qrinterop's certification suite is missing (no {needed} in "
                     f"{' nor in '.join(map(str, places))}): reinstall qrinterop (pip install ."
                     f" from its source), or set QRINTEROP_SUITE to a folder holding {needed}")


def _missing(root: Path) -> list[str]:
    """The suite's required folders ``root`` lacks."""
    return [f"{name}/" for name in REQUIRED if not (root / name).is_dir()]
