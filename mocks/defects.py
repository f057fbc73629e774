"""The one way the reference code asks whether a deliberate defect is on: ``defects.on(name)``.

Each named defect of the catalogue (``mocks/defects.json``, checked against
``defects.schema.json``) makes the reference institution or switch break one rule, so that
``qrinterop selftest`` can prove the scenarios notice. A misspelt name in the code would
leave the reference correct and the defect never switched on, its selftest passing for the
wrong reason; so :meth:`Defects.on` refuses a name the catalogue lacks, and
``qrinterop suite lint`` (rules DEFECT-UNCATALOGUED, DEFECT-UNUSED) finds every
``defects.on("…")`` in ``mocks/`` and checks the names against the catalogue both ways.
"""

from __future__ import annotations

from collections.abc import Iterable
from functools import cache
from pathlib import Path

from qrinterop.inputs import load_checked

CATALOGUE_FILE = Path(__file__).with_name("defects.json")
SCHEMA_FILE = Path(__file__).with_name("defects.schema.json")


class UnknownDefect(ValueError):
    """A defect name the catalogue does not have."""


@cache
def catalogue() -> dict[str, dict]:
    """The defects of ``mocks/defects.json`` by name; a file that breaks its schema is a
    :class:`~qrinterop.errors.UsageError` naming it."""
    return load_checked(CATALOGUE_FILE, "defect catalogue", SCHEMA_FILE)["defects"]


def _known(names: Iterable[str]) -> frozenset[str]:
    names = frozenset(names)
    if unknown := sorted(names - catalogue().keys()):
        raise UnknownDefect(f"unknown defect(s): {', '.join(unknown)} "
                            f"(not in {CATALOGUE_FILE.name})")
    return names


class Defects:
    """The defects a simulator runs with (its config's ``defects``)."""

    def __init__(self, names: Iterable[str] = ()) -> None:
        self.names = _known(names)

    def on(self, name: str) -> bool:
        """Whether the defect ``name`` is on; :class:`UnknownDefect` if the catalogue has no
        such defect, so that a typo fails loudly instead of never being on."""
        _known([name])
        return name in self.names
