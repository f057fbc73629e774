"""What a check concludes, and how a check is declared.

A check is a pure function over what was observed (transcript records, a transaction as the
SUT reports it, a code, the profile) that returns its violations: ``[]`` when the SUT did
what the profile asks. It never raises on the SUT's behaviour and never does I/O, so each
one is unit-tested on recorded transcripts, good and bad, as the OpenID Foundation suite
tests each of its conditions.

A check names the requirements it can verify (``@check("R-FLOW-04")``); a check with none is
generic (a transaction's outcome, say) and bears on whatever its scenario verifies. The
requirement a failure is reported under is chosen by ``judging.verdicts.attributed`` from the
check's and the scenario's ``@req`` tags, never written in a step. A violation of severity
``warning`` (the profile allows it but advises against it: a vector's ``acceptable`` result, a
code finding of severity warning) does not fail the scenario; its verdict is ``warning``.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import ParamSpec

FAIL = "fail"
WARNING = "warning"

P = ParamSpec("P")


@dataclass(frozen=True)
class Violation:
    """A check's expectation not met: what, what was expected, what was observed, and the
    requirements it bears on (the check's own unless the violation names its own, as a code
    finding does)."""

    what: str
    expected: str
    observed: str
    check: str = ""
    requirements: tuple[str, ...] = ()
    severity: str = FAIL

    @property
    def message(self) -> str:
        return f"{self.what}: expected {self.expected}, observed {self.observed}"


#: Every declared check by name, with the requirements it verifies (its tests read it, so
#: that every check has one and no two share a name: a report names a check by name alone).
REGISTRY: dict[str, tuple[str, ...]] = {}


def check(*requirements: str) -> Callable[[Callable[P, list[Violation]]],
                                          Callable[P, list[Violation]]]:
    """Declare a check that can verify ``requirements`` (none: a generic check). Its
    violations carry its name and, unless they name their own, these requirements."""
    def declare(fn: Callable[P, list[Violation]]) -> Callable[P, list[Violation]]:
        name = fn.__name__
        REGISTRY[name] = requirements

        @functools.wraps(fn)
        def run(*args: P.args, **kwargs: P.kwargs) -> list[Violation]:
            return [replace(v, check=v.check or name,
                            requirements=v.requirements or requirements)
                    for v in fn(*args, **kwargs)]
        return run
    return declare


def unequal(what: str, observed: object, expected: object) -> list[Violation]:
    """``[]`` if ``observed == expected``, else the violation saying both."""
    return [] if observed == expected else [Violation(what, str(expected), str(observed))]


def unless(condition: bool, what: str, expected: str, observed: object) -> list[Violation]:
    """``[]`` if ``condition`` holds, else the violation: ``expected`` in words."""
    return [] if condition else [Violation(what, expected, str(observed))]
