"""Shared helpers for the harness's own tests."""

from __future__ import annotations

import functools
import inspect
import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import allure
import pytest
import requests
from hypothesis import settings

from qrinterop.runner.certify import CertifyOptions, load_inputs, running_network

# A loaded CI machine can take longer than hypothesis's 200 ms per example: correctness, not
# speed, is what the property tests check (speed has its own benchmarks).
settings.register_profile("qrinterop", deadline=None, database=None)
settings.load_profile("qrinterop")

ROOT = Path(__file__).resolve().parents[1]
REFERENCE_ICS = ROOT / "mocks" / "reference-ics.yaml"


def _docker_missing() -> str | None:
    try:
        from docker import from_env  # the SDK, not the repository's docker/ folder
    except ImportError:
        return "the docker SDK is not installed: pip install -e '.[test,container]'"
    try:
        from_env().ping()
    except Exception as exc:            # the SDK's DockerException, or the socket's error
        return f"no Docker engine answers ({type(exc).__name__}): docker/start-engine.sh"
    return None


#: What each marker's tests need (pyproject.toml registers the markers): why it is missing
#: here, with the step of README's test setup that brings it, or None.
NEEDS: dict[str, Callable[[], str | None]] = {
    "docker": _docker_missing,
    "chromium": lambda: None if shutil.which("chromium") else
    "chromium is not on PATH: apt-get install chromium fonts-wqy-microhei",
    "allure": lambda: None if shutil.which("allure") else
    "the Allure command line is not on PATH: npm install -g allure@3",
}


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """End-to-end tests first (a stable sort: files stay whole and in order), so that the
    parallel workers do not end on one long certification while the other waits; and skip a
    test whose tool is missing, with the one line that says how to get it; not in CI
    (CI=true), which installs every tool (.ci/run), so that a missing one fails there."""
    items.sort(key=lambda item: item.get_closest_marker("e2e") is None)
    if os.environ.get("CI") == "true":
        return
    missing: dict[str, str | None] = {}
    for item in items:
        for marker in (m.name for m in item.iter_markers() if m.name in NEEDS):
            if marker not in missing:           # probed once, and only if a test needs it
                missing[marker] = NEEDS[marker]()
            if missing[marker]:
                item.add_marker(pytest.mark.skip(reason=missing[marker]))


def run_cli(*args: str, timeout: float = 120, cwd: Path | None = None,
            env: dict[str, str] | None = None) -> subprocess.CompletedProcess:
    """Run the installed ``qrinterop`` entry point as a user would, from another folder
    (``env``: variables added to ours)."""
    return subprocess.run([sys.executable, "-m", "qrinterop.cli", *args], capture_output=True,
                          text=True, timeout=timeout, cwd=cwd or Path("/"),
                          env={**os.environ, "PYTHONUNBUFFERED": "1", **(env or {})},
                          check=False)


def processes_mentioning(text: str) -> list[str]:
    """Command lines of live processes that contain ``text`` (e.g. a run folder)."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit() or int(entry.name) == os.getpid():
            continue
        try:
            cmdline = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode()
        except OSError:
            continue
        if text in cmdline:
            found.append(cmdline)
    return found


def with_reference_keys(folder: Path) -> Path:
    """``folder`` with the reference institution's keys beside it, as ``keys/``: where a copy
    of the reference ICS, which names them relative to its own folder, finds them."""
    keys = folder / "keys"
    if not keys.exists():
        keys.symlink_to(ROOT / "mocks" / "keys", target_is_directory=True)
    return folder


def free_port() -> int:
    """A port nothing listens on now, for an SUT the test starts on a port of its ICS."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def edited_ics(folder: Path, *edits: tuple[str, str], source: Path = REFERENCE_ICS,
               name: str = "ics.yaml") -> Path:
    """A copy of an example ICS in ``folder`` with text replacements, each of which must
    apply; its key files are found beside it, as beside the original."""
    text = source.read_text(encoding="utf-8")
    for old, new in edits:
        assert old in text, old
        text = text.replace(old, new, 1)
    if source.parent == REFERENCE_ICS.parent:
        with_reference_keys(folder)
    else:
        shutil.copytree(source.parent / "keys", folder / "keys", dirs_exist_ok=True)
    path = folder / name
    path.write_text(text, encoding="utf-8")
    return path


def launched_ics(folder: Path, launch: str, *lines: str, source: Path = REFERENCE_ICS,
                 name: str = "ics.yaml") -> Path:
    """A copy of an example ICS of the bundled reference, started another way: ``launch:
    <launch>`` with its own ``lines`` (``command: …``, ``image: …``, ``ready_timeout_s: …``),
    on a port free now, and without defects, which only the reference launch takes."""
    port = free_port()
    block = "\n".join([f"launch: {launch}", *(f"  {line}" for line in lines),
                       f"  url: http://127.0.0.1:{port}/messages",
                       f"  control_url: http://127.0.0.1:{port}"])
    return edited_ics(folder, ("launch: reference", block), ("  defects: []\n", ""),
                      source=source, name=name)


def ics_with(tmp_path: Path, old: str, new: str, name: str = "ics.yaml") -> Path:
    """A copy of the reference ICS with one text replacement."""
    return edited_ics(tmp_path, (old, new), name=name)


def reference_features_line() -> str:
    """The reference ICS's ``features: [...]`` line as it stands: features get added to it."""
    return next(line.strip() for line in REFERENCE_ICS.read_text(encoding="utf-8").splitlines()
                if line.strip().startswith("features:"))


def line_of(path: Path, text: str) -> int:
    """The first line of ``path`` that holds ``text``, as an error about it names it."""
    lines = path.read_text(encoding="utf-8").splitlines()
    return next(n for n, line in enumerate(lines, 1) if text in line)


def reference_line(text: str) -> int:
    """The line of the reference ICS that holds ``text``."""
    return line_of(REFERENCE_ICS, text)


@pytest.fixture
def defect_ics(tmp_path):
    def make(*defects: str) -> Path:
        return ics_with(tmp_path, "defects: []", f"defects: [{', '.join(defects)}]")
    return make


def paying_account(base: str, balance: int = 10000) -> tuple[str, str]:
    """A payer account holding ``balance`` fen at the institution whose control API is at
    ``base``, and a payment code for it."""
    account = requests.post(f"{base}/control/accounts", json={"balance": balance},
                            timeout=10).json()["account"]
    return account, requests.post(f"{base}/control/payment-codes", json={"account": account},
                                  timeout=10).json()["code"]


REQUIREMENT = re.compile(r"\bR-[A-Z]+-\d{2}\b")


@functools.cache
def requirements_named(function) -> tuple[str, ...]:
    """The requirement IDs a test's source names (its docstring, its assertions)."""
    try:
        return tuple(sorted(set(REQUIREMENT.findall(inspect.getsource(function)))))
    except (OSError, TypeError):
        return ()


@pytest.fixture(autouse=True)
def allure_requirement_tags(request):
    """Tag each test's Allure result ``req.<ID>`` for every requirement its source or its
    parameters (a test vector, say) name, as allure-behave tags the certification scenarios:
    one Allure report finds both by requirement ID."""
    params = getattr(getattr(request.node, "callspec", None), "params", {})
    named = {*requirements_named(request.function), *REQUIREMENT.findall(repr(params))}
    for requirement in sorted(named):
        allure.dynamic.tag(f"req.{requirement}")


def reference_network(**options: Any) -> Iterator:
    """The simulated network around the reference institution, in a folder of its own
    (``options``: those of ``running_network``, e.g. ``personas``); use it as a fixture's body."""
    suite, _profile, ics, _path = load_inputs(CertifyOptions())
    with tempfile.TemporaryDirectory() as folder, \
            running_network(suite, ics, Path(folder), 0, **options) as running:
        yield running


def eventually(probe: Callable[[], Any], seconds: float, every_s: float = 0.1) -> Any:
    """The first truthy value ``probe`` gives within ``seconds`` (after that, its last)."""
    deadline = time.monotonic() + seconds
    while not (value := probe()) and time.monotonic() < deadline:
        time.sleep(every_s)
    return value
