"""Profile 1.1 says what its scenarios expect (issue 16 item 3): no scenario asserts a
response code, an answer to a repeat or a payer reference that the profile's own data does
not state, and a rule conditional on a feature does not bind an SUT that leaves it out."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from qrinterop.profile import DATA_DIR, load_profile

ROOT = Path(__file__).resolve().parent.parent
V10, V11 = DATA_DIR / "cn-interconnect" / "1.0", DATA_DIR / "cn-interconnect" / "1.1"
#: How the scenarios' sentences name a response code they expect.
ASSERTED = re.compile(r'(?:response code|answers? [^"\n]*with) "?(\d\d)"?(?: or "(\d\d)")?')


def asserted_codes() -> dict[str, list[str]]:
    """Every response code a scenario's Then expects, with where."""
    found: dict[str, list[str]] = {}
    for feature in sorted((ROOT / "features").glob("*.feature")):
        for n, line in enumerate(feature.read_text(encoding="utf-8").splitlines(), 1):
            if not line.strip().startswith(("Then", "And")) or "will " in line:
                continue        # a fault the harness programs is no expectation
            for match in ASSERTED.finditer(line):
                for code in filter(None, match.groups()):
                    found.setdefault(code, []).append(f"{feature.name}:{n}")
    return found


def test_every_code_a_scenario_expects_is_in_the_table_with_its_uses():
    profile = load_profile(V11)
    codes = asserted_codes()
    assert {"12", "33", "35", "36", "45"} <= set(codes)
    for code, where in codes.items():
        if code == "00":
            continue
        entry = profile.response_codes.get(code)
        assert entry is not None, f"{code} ({where[0]}) is not in response-codes.json"
        assert entry.get("uses"), f"{code} ({where[0]}): response-codes.json names no use"


def test_every_use_names_requirements_and_sources_of_the_profile():
    profile = load_profile(V11)
    for code, entry in profile.response_codes.items():
        for use in entry.get("uses", ()):
            assert set(use["requirements"]) <= set(profile.requirements), code
            assert set(use["sources"]) <= set(profile.sources), code


@pytest.mark.parametrize(("code", "case"), [("35", "dynamic merchant code"),
                                             ("43", "void"), ("36", "part of"),
                                             ("33", "max_count")])
def test_the_codes_the_issue_names_are_documented(code, case):
    uses = load_profile(V11).response_codes[code]["uses"]
    assert any(case in use["en"] for use in uses)
