"""The type checker passes on the library: mypy, configured in pyproject.toml ([tool.mypy])."""

from __future__ import annotations

from pathlib import Path

from mypy import api

ROOT = Path(__file__).resolve().parent.parent


def test_mypy_finds_no_error_in_the_library():
    # The configuration (files, strictness, libraries without types) is pyproject's; the
    # cache keeps a run after the first to a few seconds.
    out, err, status = api.run(["--config-file", str(ROOT / "pyproject.toml"),
                                "--cache-dir", str(ROOT / ".mypy_cache"),
                                str(ROOT / "qrinterop")])
    assert status == 0, f"mypy found errors:\n{out}{err}"
