"""report.html in a real headless Chromium, from a file: it renders offline, and its language
switch (``#en``, ``#zh``; no script) shows the verdict in each language. The screenshots in
docs/ are made the same way (``python -m tests.test_report_browser RUN/report.html docs/``).
README installs Chromium for these tests."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest

from tests.conftest import ics_with, run_cli

pytestmark = [pytest.mark.e2e, pytest.mark.chromium]
CHROMIUM = shutil.which("chromium") or "chromium"


def chromium(url: str, *args: str) -> subprocess.CompletedProcess:
    with tempfile.TemporaryDirectory() as profile:
        return subprocess.run(
            [CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
             "--no-first-run", "--disable-background-networking", "--disable-component-update",
             "--disable-sync", f"--user-data-dir={profile}", "--window-size=1280,900", *args,
             url], capture_output=True, text=True, timeout=60, check=True)


def screenshots(report_html: Path, out: Path) -> dict[str, Path]:
    """One screenshot of the report per language."""
    shots = {}
    for language in ("en", "zh"):
        shots[language] = out / f"report-{language}.png"
        chromium(f"{report_html.as_uri()}#{language}", f"--screenshot={shots[language]}")
    return shots


@pytest.fixture(scope="module")
def failing_report(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("browser")
    ics = ics_with(folder, "defects: []", "defects: [skip-crc-check]")
    run_dir = folder / "run"
    run_cli("certify", "--ics", str(ics), "--tags",
            "@tc.MPM-02 or @tc.MPM-01", "--out", str(run_dir))
    return run_dir / "report.html"


def test_the_report_shows_its_verdict_in_each_language(failing_report, tmp_path):
    dom = chromium(failing_report.as_uri(), "--dump-dom").stdout
    assert "not-conformant" in dom and "不符合" in dom and "MPM-02" in dom
    # The ICS summary: the keys the SUT signs with, its codes and terminal, in both languages.
    assert "10000001-sm2-2026" in dom and "cn.qrinterop.insta" in dom and "TA000001" in dom
    assert "Signing keys" in dom and "签名密钥" in dom
    shots = screenshots(failing_report, tmp_path)
    english, chinese = (shots[language].read_bytes() for language in ("en", "zh"))
    assert english.startswith(b"\x89PNG") and chinese.startswith(b"\x89PNG")
    assert english != chinese       # the switch changed what is shown


def test_the_report_needs_nothing_from_the_network(failing_report):
    html = failing_report.read_text(encoding="utf-8")
    # Links to the profile's public sources are followed only if clicked; nothing is fetched.
    assert not re.search(r"""(src|srcset)=["']?https?:|url\(["']?https?:|<link[^>]*https?:""",
                         html)
    assert "<script" not in html
    assert json.loads((failing_report.parent / "report.json").read_text())["verdict"] == \
        "not-conformant"


def test_a_capacity_page_draws_its_charts(tmp_path):
    """A capacity run's page from file://: both SVG charts laid out, with their lines."""
    from qrinterop.report.html import write_html
    from tests.capacity_sample import capacity_only_report, failing_section

    page = tmp_path / "report.html"
    write_html(capacity_only_report(failing_section()), page)
    dom = chromium(page.as_uri(), "--dump-dom").stdout
    assert dom.count("<svg") == 2 and dom.count("<polyline") >= 4 and "峰值" in dom
    shot = tmp_path / "capacity.png"
    chromium(f"{page.as_uri()}#capacity", f"--screenshot={shot}")
    assert shot.read_bytes().startswith(b"\x89PNG")


if __name__ == "__main__":      # refresh the screenshots shown in README.md
    report, out = Path(sys.argv[1]), Path(sys.argv[2])
    print(screenshots(report, out))
