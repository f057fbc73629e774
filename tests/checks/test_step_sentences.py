"""Steps are sentences that call a check: no step function longer than 10 lines, and no
requirement ID in a step file (the requirement a failure is reported under comes from the
check and the scenario's @req tags). Every step file: each function, helpers included."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

STEPS = Path(__file__).resolve().parents[2] / "steps"
FILES = sorted(path.name for path in STEPS.glob("*.py"))
REQUIREMENT = re.compile(r"\bR-[A-Z]+-\d+\b")


@pytest.mark.parametrize("name", FILES)
def test_steps_are_short_sentences_without_requirement_ids(name):
    source = (STEPS / name).read_text(encoding="utf-8")
    assert REQUIREMENT.findall(source) == []
    long = [f"{f.name}: {f.end_lineno - f.lineno + 1} lines"
            for f in ast.walk(ast.parse(source)) if isinstance(f, ast.FunctionDef)
            and f.end_lineno - f.lineno + 1 > 10]
    assert long == []
