"""Profile 1.0 stays loadable and still certifies the reference institution when its ICS asks
for it: the simulators and the steps read every rule that changed from the profile in use.

CI certifies, under 1.0, every scenario bearing on a requirement 1.1 changed (where the two
versions' behaviours differ); ``qrinterop certify --ics <an ICS naming cn-interconnect/1.0>``
certifies the whole suite (docs/PERFORMANCE.md has the figures).
"""

from __future__ import annotations

import json
import re

import pytest

from qrinterop.profile import load_profile, profile_folder
from qrinterop.profile.diff import requirement_changes
from tests.conftest import REFERENCE_ICS, edited_ics, reference_features_line, run_cli

pytestmark = pytest.mark.e2e

OLD, NEW = (load_profile(profile_folder(f"cn-interconnect/{v}")) for v in ("1.0", "1.1"))


def ics_for_1_0(folder):
    """The reference ICS naming profile 1.0, with only the features 1.0 knows and no declared
    peak (1.0 has no capacity certification)."""
    line = reference_features_line()
    features = [f.strip() for f in re.search(r"\[(.*)\]", line).group(1).split(",")]
    kept = ", ".join(f for f in features if f in OLD.features)
    peak = re.search(r"^capacity:\n(?:  .*\n)+", REFERENCE_ICS.read_text(encoding="utf-8"),
                     re.MULTILINE).group(0)
    return edited_ics(folder, ("profile: cn-interconnect/1.1", "profile: cn-interconnect/1.0"),
                      (line, f"features: [{kept}]"), (peak, ""))


def test_the_reference_passes_under_1_0_where_1_1_changed_the_rules(tmp_path):
    changed = [c["id"] for c in requirement_changes(OLD, NEW)["changed"]
               if set(c["fields"]) - {"source"}]
    assert changed, "1.1 changes rules of 1.0: their scenarios must still pass under 1.0"
    run_dir = tmp_path / "run"
    done = run_cli("certify", "--ics", str(ics_for_1_0(tmp_path)), "--jobs", "2",
                   "--tags", " or ".join(f"@req.{rid}" for rid in changed),
                   "--out", str(run_dir), timeout=600)
    report = json.loads((run_dir / "report.json").read_text(encoding="utf-8"))
    assert report["run"]["profile"]["version"] == "1.0"
    summary = report["summary"]
    assert summary["pass"] > 0 and summary["fail"] == summary["error"] == 0, done.stdout
    assert summary["inconclusive"] == 0, done.stdout
