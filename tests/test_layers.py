"""The layers docs/ARCHITECTURE.md draws are the layers the code has: import-linter checks the
contracts in pyproject.toml (a lower layer never imports a higher one, the simulators never
import the harness, checks and verdicts never reach for the network)."""

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_import_contracts_are_kept():
    lint = Path(sys.executable).with_name("lint-imports")
    done = subprocess.run([str(lint), "--no-cache"], cwd=ROOT, capture_output=True, text=True,
                          timeout=300)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-2000:]
