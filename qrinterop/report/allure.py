"""Render Allure results as one HTML page with the Allure command line, which qrinterop does
not ship (README, "Allure reports"): Allure 3 (npm ``allure``) or Allure 2 (npm
``allure-commandline``, Java 17).

The two differ in the command that writes a self-contained page, so the version decides.
Either way the page opens from ``file://``, as report.html does, and a nightly job can
publish it as a plain file beside the bundle.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

from qrinterop.errors import UsageError

# Allure 2 otherwise reports usage to its authors over the network.
ENVIRONMENT = {**os.environ, "ALLURE_NO_ANALYTICS": "true"}


def allure_arguments(version: str, results: list[Path], out: Path, name: str) -> list[str]:
    """The Allure command line's arguments that write ``out/index.html`` from ``results``."""
    command = ["generate", "--clean"] if version.startswith("2.") else ["awesome"]
    return [*command, *map(str, results), "-o", str(out), "--single-file", "--name", name]


def render(results: list[Path], out: Path, name: str) -> Path:
    """``out/index.html``, the report over every folder of ``results``; :class:`UsageError`
    when the Allure command line is missing or fails."""
    allure = shutil.which("allure")
    if allure is None:
        raise UsageError("the Allure command line is not installed (README: Allure reports)")
    version = _run([allure, "--version"]).strip().splitlines()[-1]
    _run([allure, *allure_arguments(version, results, out, name)])
    return out / "index.html"


def _run(command: list[str]) -> str:
    try:
        done = subprocess.run(command, env=ENVIRONMENT, capture_output=True, text=True,
                              timeout=300, check=False)
    except subprocess.TimeoutExpired:
        raise UsageError(f"{' '.join(command[:2])} did not finish in 300 s") from None
    if done.returncode != 0:
        raise UsageError(f"{' '.join(command[:2])} failed: "
                         f"{(done.stderr or done.stdout).strip()[:300]}")
    return done.stdout
